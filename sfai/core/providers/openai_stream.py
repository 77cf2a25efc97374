"""A streamed chat completion → provider events: SSE lines, tool-call fragments, the end.

OpenAI-compatible servers differ in how they stream a turn (Ollama, llama.cpp and vLLM
each split tool calls their own way, some ignore ``stream: true``), and none of that is
HTTP. It is kept here, on plain chunks, so that :mod:`sfai.core.providers.openai_compat`
holds only the request, its retries and its errors.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sfai.core.events import Usage
from sfai.core.providers.base import ProviderError, ProviderEvent, TextDelta, ToolUse, TurnEnd

if TYPE_CHECKING:
    import httpx2

INVALID_JSON_KEY = "_invalid_json"
"""A tool call whose arguments are not a JSON object gets ``{INVALID_JSON_KEY: raw}`` as
input: the tool runner refuses it with ``invalid_argument`` and the model hears why."""

_FINISH_REASONS = {
    "stop": "end_turn",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "length": "max_tokens",
    "content_filter": "refusal",
}


def parse_arguments(raw: str) -> dict[str, Any]:
    """A tool call's streamed arguments → its input; never raises."""
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
        if isinstance(value, str):  # double-encoded by some small models
            value = json.loads(value)
    except ValueError:
        return {INVALID_JSON_KEY: raw}
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    return {INVALID_JSON_KEY: raw}


@dataclass
class _PendingCall:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)
    input: dict[str, Any] | None = None
    done: bool = False

    def tool_use(self) -> ToolUse:
        self.done = True
        self.id = self.id or f"call_{uuid.uuid4().hex[:24]}"
        tool_input = (
            self.input if self.input is not None else parse_arguments("".join(self.arguments))
        )
        return ToolUse(id=self.id, name=self.name, input=tool_input)


class TurnAssembler:
    """Streamed chat-completion chunks → provider events, and the turn's end."""

    def __init__(self) -> None:
        self.text: list[str] = []
        self.calls: dict[int, _PendingCall] = {}
        self.tool_uses: list[ToolUse] = []
        self.finish_reason: str | None = None
        self.usage: dict[str, Any] = {}

    def feed(self, chunk: dict[str, Any]) -> list[ProviderEvent]:
        if isinstance(chunk.get("usage"), dict):
            self.usage = chunk["usage"]
        events: list[ProviderEvent] = []
        for choice in chunk.get("choices") or []:
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta") or {}
            text = delta.get("content")
            if isinstance(text, str) and text:
                self.text.append(text)
                events.append(TextDelta(text))
            for position, fragment in enumerate(delta.get("tool_calls") or []):
                self._add(position, fragment)
            if choice.get("finish_reason"):
                self.finish_reason = str(choice["finish_reason"])
                events.extend(self.flush())
        return events

    def _slot(self, position: int, fragment: dict[str, Any]) -> int:
        """Which call a fragment belongs to: its ``index``, else its id, else its position
        (older Ollama and non-streamed replies send whole calls without an index)."""
        index = fragment.get("index")
        if isinstance(index, int):
            return index
        call_id = fragment.get("id")
        if not call_id:
            return position
        for slot, call in self.calls.items():
            if call.id == call_id:
                return slot
        return max(self.calls, default=-1) + 1

    def _add(self, position: int, fragment: dict[str, Any]) -> None:
        call_id = fragment.get("id") or ""
        call = self.calls.setdefault(self._slot(position, fragment), _PendingCall())
        if call.done:
            return
        if call_id:
            call.id = call_id
        function = fragment.get("function") or {}
        if function.get("name"):
            call.name = function["name"]
        arguments = function.get("arguments")
        if isinstance(arguments, dict):
            call.input = arguments
        elif isinstance(arguments, str):
            call.arguments.append(arguments)

    def flush(self) -> list[ProviderEvent]:
        """ToolUse events for the calls not yet emitted, in index order."""
        ready = [self.calls[i].tool_use() for i in sorted(self.calls) if not self.calls[i].done]
        self.tool_uses.extend(ready)
        return list(ready)

    def turn_end(self) -> TurnEnd:
        content: list[dict[str, Any]] = []
        if self.text:
            content.append({"type": "text", "text": "".join(self.text)})
        for use in self.tool_uses:
            content.append({"type": "tool_use", "id": use.id, "name": use.name, "input": use.input})
        reason = _FINISH_REASONS.get(self.finish_reason or "stop", "end_turn")
        if self.tool_uses and reason == "end_turn":
            reason = "tool_use"  # Ollama says "stop" after tool calls
        return TurnEnd(stop_reason=reason, content=content, usage=self._usage())

    def _usage(self) -> Usage:
        def number(value: Any) -> int:
            return value if isinstance(value, int) and not isinstance(value, bool) else 0

        prompt = number(self.usage.get("prompt_tokens"))
        details = self.usage.get("prompt_tokens_details")
        cached = number(details.get("cached_tokens")) if isinstance(details, dict) else 0
        return Usage(
            input_tokens=max(prompt - cached, 0),
            output_tokens=number(self.usage.get("completion_tokens")),
            cache_read_tokens=cached,
            cost_usd=0.0,
            requests=1,
        )


async def read_turn(
    response: httpx2.Response, decode: Callable[[bytes], dict[str, Any]], base_url: str
) -> AsyncIterator[ProviderEvent]:
    """One successful reply → its events, ending with TurnEnd.

    ``decode`` is the provider's, so that an error a server reports inside the stream is
    explained like the same error sent as an HTTP status; ``base_url`` names the server in
    the error for a reply cut short.
    """
    turn = TurnAssembler()
    if response.headers.get("content-type", "").startswith("application/json"):
        # A server that ignored ``stream: true``: one whole completion.
        chunk = decode(await response.aread())
        for choice in chunk.get("choices") or []:
            if isinstance(choice, dict):
                choice["delta"] = choice.get("message") or {}
        for event in turn.feed(chunk):
            yield event
    else:
        done = False
        async for line in response.aiter_lines():
            if not line.startswith("data:"):
                continue  # comments (keep-alives), event:, id:, blank separators
            data = line[5:].strip()
            if data == "[DONE]":
                done = True
                break
            for event in turn.feed(decode(data.encode())):
                yield event
        if not done and turn.finish_reason is None:
            raise ProviderError(
                "transport",
                f"the reply from {base_url} ended before it was complete",
                "the server may have crashed or run out of memory; check its log "
                "(Ollama: `journalctl -u ollama`)",
            )
    for event in turn.flush():
        yield event
    yield turn.turn_end()
