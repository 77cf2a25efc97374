"""A stored conversation as a shareable transcript: Markdown or JSON. Pure functions over
the dict :meth:`Store.get_conversation` returns; no Rich, no I/O."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ToolCallView:
    tool_use_id: str
    name: str
    arguments: dict[str, Any]
    ok: bool | None = None
    """None: no result was recorded (the run stopped first)."""
    duration_s: float | None = None
    cached: bool = False
    result: Any = None

    @property
    def outcome(self) -> str:
        """``ok``, ``error: <code>: <message>`` or ``no result``."""
        if self.ok is None:
            return "no result"
        if self.ok:
            return "ok"
        error = self.result.get("error") if isinstance(self.result, dict) else None
        if isinstance(error, dict):
            code, message = error.get("code", ""), error.get("message", "")
            return "error: " + ": ".join(str(part) for part in (code, message) if part)
        return "error"

    @property
    def signature(self) -> str:
        """``get_logs(source="nginx", lines=50)``"""
        arguments = ", ".join(
            f"{key}={json.dumps(value, ensure_ascii=False)}"
            for key, value in self.arguments.items()
        )
        return f"{self.name}({arguments})"

    @property
    def timing(self) -> str:
        parts = [] if self.duration_s is None else [f"{self.duration_s:.2f} s"]
        return " · ".join([*parts, "cached"] if self.cached else parts)


@dataclass
class Turn:
    """One question and everything said and done to answer it, in order."""

    question: str
    attachments: list[str] = field(default_factory=list)
    """Further text sent with the question (``journalctl ... | sfai ask``: piped input)."""
    parts: list[str | ToolCallView] = field(default_factory=list)
    interrupted: bool = False
    """An answer stopped before it was complete (killed, Ctrl-C, error)."""


def turns(conversation: dict[str, Any]) -> list[Turn]:
    calls = {call["tool_use_id"]: call for call in conversation.get("tool_calls", [])}
    views: dict[str, ToolCallView] = {}
    result: list[Turn] = []
    for message in conversation.get("messages", []):
        blocks: list[dict[str, Any]] = message.get("content") or []
        if message["role"] == "user":
            for block in blocks:
                view = views.get(str(block.get("tool_use_id")))
                if block.get("type") == "tool_result" and view and view.ok is None:
                    view.ok = not block.get("is_error", False)
                    view.result = block.get("content")
            texts = [str(b.get("text", "")).strip() for b in blocks if b.get("type") == "text"]
            texts = [text for text in texts if text] or [str(message.get("text", "")).strip()]
            if texts[0] or not any(block.get("type") == "tool_result" for block in blocks):
                result.append(Turn(question=texts[0], attachments=texts[1:]))
            continue
        if message["role"] != "assistant":
            continue
        if not result:
            result.append(Turn(question=""))
        turn = result[-1]
        if not blocks and message.get("text"):
            blocks = [{"type": "text", "text": message["text"]}]
        for block in blocks:
            if block.get("type") == "text" and str(block.get("text", "")).strip():
                turn.parts.append(str(block["text"]).strip())
            elif block.get("type") == "tool_use":
                view = _view(block, calls.get(str(block.get("id"))))
                views[view.tool_use_id] = view
                turn.parts.append(view)
        turn.interrupted = message.get("status", "complete") != "complete"
    return result


def _view(block: dict[str, Any], call: dict[str, Any] | None) -> ToolCallView:
    view = ToolCallView(
        tool_use_id=str(block.get("id", "")),
        name=str(block.get("name", "")),
        arguments=dict(block.get("input") or {}),
    )
    if call is not None:
        view.name = call["name"] or view.name
        view.arguments = call["arguments"] or view.arguments
        view.ok, view.duration_s, view.cached = call["ok"], call["duration_s"], call["cached"]
        view.result = call["result"]
    return view


def usage_line(usage: dict[str, Any]) -> str:
    """``1,234 input tokens · 56 output · 0 cache read · 0 cache write · 2 requests · $0.0123``"""
    requests = int(usage.get("requests", 0))
    return " · ".join(
        [
            f"{int(usage.get('input_tokens', 0)):,} input tokens",
            f"{int(usage.get('output_tokens', 0)):,} output",
            f"{int(usage.get('cache_read_tokens', 0)):,} cache read",
            f"{int(usage.get('cache_write_tokens', 0)):,} cache write",
            f"{requests} request{'' if requests == 1 else 's'}",
            money(float(usage.get("cost_usd", 0.0))),
        ]
    )


def money(cost_usd: float) -> str:
    return f"${cost_usd:.4f}" if cost_usd else "$0"


def fenced(text: str, language: str = "") -> str:
    """A code fence longer than any run of backticks inside ``text``."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text.rstrip()}\n{fence}"


def pretty(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


def to_json(conversation: dict[str, Any]) -> str:
    return json.dumps(conversation, ensure_ascii=False, indent=2, default=str) + "\n"


def to_markdown(conversation: dict[str, Any]) -> str:
    title = conversation.get("title") or "Conversation"
    lines = [
        f"# {' '.join(title.split())}",
        "",
        f"- Conversation: `{conversation['id']}`",
        f"- Host: `{conversation['host']}` · mode: {conversation['mode']}",
        f"- Model: {conversation['provider']} / {conversation['model']}",
        f"- Started: {conversation['created_at']} · status: {conversation['status']}",
    ]
    for number, turn in enumerate(turns(conversation), start=1):
        if turn.question:
            lines += ["", f"## Question {number}", "", turn.question]
        for attachment in turn.attachments:
            head, _, body = attachment.partition("\n")
            lines += ["", "<details>", f"<summary>{html.escape(head)}</summary>", ""]
            lines += [fenced(body or head), "", "</details>"]
        lines += ["", f"## Answer {number}"]
        for part in turn.parts:
            lines += ["", part if isinstance(part, str) else _tool_markdown(part)]
        if turn.interrupted:
            lines += ["", "_(The answer stopped here: the run was interrupted.)_"]
    lines += ["", "---", "", f"Usage: {usage_line(conversation.get('usage', {}))}", ""]
    return "\n".join(lines)


def _tool_markdown(call: ToolCallView) -> str:
    summary = f"Tool call <code>{html.escape(call.name)}</code> — {html.escape(call.outcome)}"
    if call.timing:
        summary += f" · {call.timing}"
    parts = [
        "<details>",
        f"<summary>{summary}</summary>",
        "",
        "Arguments:",
        "",
        fenced(pretty(call.arguments), "json"),
    ]
    if call.result is not None:
        language = "" if isinstance(call.result, str) else "json"
        parts += ["", "Result:", "", fenced(pretty(call.result), language)]
    return "\n".join([*parts, "", "</details>"])
