"""The offline diagnostician as a Provider: it "calls tools" like a model does, and the
engine runs them and comes back with the results.

It keeps no state between turns: each request is read from the conversation itself (the
question is the last user message with text; the rounds are the assistant turns after
it) and from ``request.results``, the structured results of the calls made so far.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from sfai.core.config import CheckThresholds
from sfai.core.events import FindingEvent, Usage
from sfai.core.framing import PIPED_HEADER, unframe
from sfai.core.providers.base import (
    OUT_OF_SCOPE,
    Message,
    ProviderEvent,
    ProviderRequest,
    TextDelta,
    ToolUse,
    TurnEnd,
)
from sfai.core.providers.offline import answer, findings, i18n, playbooks
from sfai.core.providers.offline.intents import Understanding, understand
from sfai.core.providers.offline.playbooks import Done, Reason, ToolCall
from sfai.core.providers.offline.signals import Digest, digest

MAX_TOOL_ROUNDS = 3
"""Rounds of tool calls for one question; the answer comes at the latest on the next turn."""


@dataclass
class _Exchange:
    """The current question and what happened since it was asked."""

    question: str = ""
    piped: str | None = None
    rounds: int = 0
    done: list[Done] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    """Every tool_use id in the conversation, so new ones never collide."""


def _blocks(message: Message) -> list[dict[str, Any]]:
    content = message.get("content")
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [b for b in content or [] if isinstance(b, dict)]


def _split_piped(text: str) -> tuple[str, str | None]:
    head, marker, rest = text.partition(PIPED_HEADER)
    return (head.strip(), unframe(rest.lstrip("\n"))) if marker else (text, None)


def _fallback_result(block: dict[str, Any]) -> dict[str, Any]:
    """A result the engine did not pass structured: its text, as much as can be told."""
    content = block.get("content")
    if isinstance(content, list):
        content = " ".join(str(c.get("text", "")) for c in content if isinstance(c, dict))
    text = str(content or "")
    if block.get("is_error"):
        return {"ok": False, "error": {"code": "unavailable", "message": text[:300]}}
    return {"ok": True, "summary": text.splitlines()[0][:300] if text else ""}


def read_exchange(request: ProviderRequest) -> _Exchange:
    exchange = _Exchange()
    start = 0
    for index, message in enumerate(request.messages):
        blocks = _blocks(message)
        exchange.ids.update(str(b.get("id")) for b in blocks if b.get("type") == "tool_use")
        texts = [b for b in blocks if b.get("type") == "text"]
        if (
            message.get("role") == "user"
            and texts
            and not any(b.get("type") == "tool_result" for b in blocks)
        ):
            start = index
    calls: dict[str, dict[str, Any]] = {}
    for message in request.messages[start:]:
        blocks = _blocks(message)
        if message.get("role") == "assistant":
            exchange.rounds += 1
            calls.update(
                {str(b["id"]): b for b in blocks if b.get("type") == "tool_use" and "id" in b}
            )
            continue
        for block in blocks:
            if block.get("type") == "text":
                question, piped = _split_piped(str(block.get("text", "")))
                if question:
                    exchange.question = f"{exchange.question}\n{question}".strip()
                if piped is not None:
                    exchange.piped = piped
            elif block.get("type") == "tool_result":
                use_id = str(block.get("tool_use_id"))
                use = calls.get(use_id, {})
                result = request.results.get(use_id) or _fallback_result(block)
                name, arguments = str(use.get("name", "?")), dict(use.get("input") or {})
                exchange.done.append(Done(use_id, name, arguments, result))
    return exchange


class OfflineProvider:
    """Answers common questions from the read-only tools and ``sfai check``'s analyzers."""

    name = "offline"
    model = "offline-diagnostician"

    def __init__(self, thresholds: CheckThresholds | None = None) -> None:
        self.thresholds = thresholds or CheckThresholds()

    async def close(self) -> None:
        return None

    async def stream(self, request: ProviderRequest) -> AsyncIterator[ProviderEvent]:
        exchange = read_exchange(request)
        u = understand(exchange.question)
        piped = digest(exchange.piped.splitlines()) if exchange.piped is not None else None
        offered = {tool.name for tool in request.tools}
        calls: list[ToolCall] = []
        reasons: list[Reason] = []
        if exchange.rounds == 0:
            calls = playbooks.first_round(u, piped)
        elif exchange.rounds < MAX_TOOL_ROUNDS:
            calls, reasons = playbooks.next_round(u, piped, exchange.done, self.thresholds)
        usable = [c for c in calls if c.name in offered]
        if usable:
            async for event in self._ask_tools(u, usable, reasons, exchange, piped):
                yield event
            return
        missing = sorted({c.name for c in calls if c.name not in offered})
        async for event in self._answer(u, exchange, piped, missing):
            yield event

    async def _ask_tools(
        self,
        u: Understanding,
        calls: list[ToolCall],
        reasons: list[Reason],
        exchange: _Exchange,
        piped: Digest | None,
    ) -> AsyncIterator[ProviderEvent]:
        looks = answer.labels(u.lang, calls)
        if piped is not None and exchange.rounds == 0:
            looks.insert(0, i18n.say(u.lang, "look_stdin"))
        what = i18n.join(u.lang, looks)
        if reasons:
            why = "; ".join(dict.fromkeys(i18n.say(u.lang, r.key, **r.values) for r in reasons))
            text = i18n.say(u.lang, "plan_next", why=why, what=what)
        else:
            text = i18n.say(u.lang, "plan", what=what)
        text += "\n\n"
        yield TextDelta(text)
        content: list[dict[str, Any]] = [{"type": "text", "text": text}]
        number = 0
        for call in calls:
            number += 1
            while f"offline_{number}" in exchange.ids:
                number += 1
            use = ToolUse(id=f"offline_{number}", name=call.name, input=dict(call.input))
            yield use
            content.append({"type": "tool_use", "id": use.id, "name": use.name, "input": use.input})
        yield TurnEnd(stop_reason="tool_use", content=content, usage=Usage())

    async def _answer(
        self, u: Understanding, exchange: _Exchange, piped: Digest | None, missing: list[str]
    ) -> AsyncIterator[ProviderEvent]:
        stop_reason = "end_turn"
        if not u.intents and not exchange.done and (piped is None or u.out_of_scope):
            text = answer.out_of_scope(u)
            stop_reason = OUT_OF_SCOPE
        else:
            items = findings.collect(exchange.done, piped, self.thresholds, u.lang)
            for item in items:
                data = item.finding.as_dict()
                yield FindingEvent(
                    severity=data["severity"],
                    title=data["title"],
                    evidence=list(data["evidence"]),
                    next_step=data["next_step"],
                    fix=data.get("fix"),
                )
            text = answer.compose(u, items, exchange.done, piped, missing)
        for chunk in _chunks(text):
            yield TextDelta(chunk)
        yield TurnEnd(
            stop_reason=stop_reason, content=[{"type": "text", "text": text}], usage=Usage()
        )


def _chunks(text: str) -> list[str]:
    """Stream by line, as a model would stream by token: front ends render as it comes."""
    return text.splitlines(keepends=True)
