"""How a stored conversation reads in the history screen: a two- or three-line list entry
(title; when, where, size, cost; the search snippet) and a details pane (question, answer
excerpt, tools used, cost).

Reads the dictionaries of ``sfai.core.store.conversations``: ``list_conversations`` /
``search_conversations`` summaries and ``get_conversation``. Times are shown in UTC as
``2026-11-24 10:00``, as stored: nothing here reads the clock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from textual.content import Content

MUTED = "$text-muted"
MARK = ("\x02", "\x03")
"""Search-match delimiters passed to ``search_conversations``: never in stored text."""
EXCERPT = 600


def when(iso: object) -> str:
    """``2026-11-24T10:00:00Z`` → ``2026-11-24 10:00``."""
    text = str(iso or "")
    return text[:16].replace("T", " ") if len(text) >= 16 else text or "?"


def cost(usage: Mapping[str, Any] | None) -> str:
    value = float((usage or {}).get("cost_usd") or 0.0)
    return f"${value:.4f}" if value else "$0"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def marked(snippet: str) -> Content:
    """A search snippet with its matches (between ``MARK``) highlighted."""
    parts: list[tuple[str, str] | str] = []
    for index, chunk in enumerate(snippet.replace(MARK[1], MARK[0]).split(MARK[0])):
        parts.append((chunk, "bold $text-accent") if index % 2 else chunk)
    return Content.assemble(*parts)


def entry(summary: Mapping[str, Any]) -> Content:
    """The list entry of one conversation."""
    meta = " · ".join(
        [
            when(summary.get("updated_at")),
            str(summary.get("host") or "?"),
            _plural(int(summary.get("messages") or 0), "message"),
            cost(summary.get("usage")),
        ]
        + ([str(summary["status"])] if summary.get("status") not in (None, "ok") else [])
    )
    lines = [
        Content.styled(" ".join(str(summary.get("title") or "(untitled)").split()), "bold"),
        Content.styled(meta, MUTED),
    ]
    if summary.get("snippet"):
        lines.append(marked(" ".join(str(summary["snippet"]).split())))
    return Content("\n").join(lines)


def _texts(conversation: Mapping[str, Any], role: str) -> list[str]:
    return [
        str(m.get("text") or "").strip()
        for m in conversation.get("messages") or []
        if m.get("role") == role and str(m.get("text") or "").strip()
    ]


def excerpt(text: str, limit: int = EXCERPT) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def tools_used(conversation: Mapping[str, Any]) -> Content:
    """``get_disk_usage x2 ✓  clean_disk ✗``: each tool once, with its outcome."""
    calls = [c for c in conversation.get("tool_calls") or [] if c.get("name")]
    if not calls:
        return Content.styled("none", MUTED)
    counts = Counter(str(c["name"]) for c in calls)
    failed = {str(c["name"]) for c in calls if c.get("ok") is False}
    parts: list[tuple[str, str] | str] = []
    for name, count in counts.items():
        if parts:
            parts.append("  ")
        parts.append(name + (f" x{count}" if count > 1 else ""))
        parts.append((" ✗", "$text-error") if name in failed else (" ✓", "$text-success"))
    return Content.assemble(*parts)


def usage_line(usage: Mapping[str, Any]) -> Content:
    requests = int(usage.get("requests") or 0)
    if not requests and not usage.get("cost_usd"):
        return Content.styled("$0 · no model usage recorded", MUTED)
    return Content(
        f"{cost(usage)} · {int(usage.get('input_tokens') or 0):,} tokens in, "
        f"{int(usage.get('output_tokens') or 0):,} out · {_plural(requests, 'request')}"
    )


def _heading(text: str) -> Content:
    return Content.styled(text, "bold $text-accent")


def details(conversation: Mapping[str, Any]) -> Content:
    """The details pane of one conversation (``get_conversation``'s dictionary)."""
    usage = conversation.get("usage") or {}
    questions = _texts(conversation, "user")
    answers = _texts(conversation, "assistant")
    names = [str(conversation.get(k) or "") for k in ("provider", "model")]
    model = " ".join(dict.fromkeys(name for name in names if name))  # "offline", not twice
    lines = [
        Content.styled(str(conversation.get("title") or "(untitled)"), "bold"),
        Content.styled(
            " · ".join(
                [
                    str(conversation.get("id", "")),
                    str(conversation.get("host") or "?"),
                    model or "?",
                    str(conversation.get("mode") or "?"),
                    str(conversation.get("status") or "?"),
                ]
            ),
            MUTED,
        ),
        Content.styled(
            f"started {when(conversation.get('created_at'))} · "
            f"last active {when(conversation.get('updated_at'))} UTC",
            MUTED,
        ),
        Content(""),
        _heading("Question"),
        Content(excerpt(questions[0]) if questions else "(none)"),
        Content(""),
        _heading("Answer"),
        Content(excerpt(answers[-1]) if answers else "(no answer)"),
        Content(""),
        _heading("Tools used"),
        tools_used(conversation),
        Content(""),
        _heading("Cost"),
        usage_line(usage),
    ]
    return Content("\n").join(lines)
