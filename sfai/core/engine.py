"""The conversation engine: question in, grounded answer out, one event stream.

The loop: send the rules, the host snapshot, the conversation and the tool specs to a
provider; stream its text; run the tools it asks for through the host, under the
safety model (:mod:`sfai.core.action_flow`); feed the results back framed as untrusted
data; stop at an answer or after ``max_steps`` turns. Everything is written to the
store as it happens, so a killed process loses nothing already shown.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from sfai.core.action_flow import AuditSink, ToolCaller
from sfai.core.approval import Approver, NoTerminalApprover
from sfai.core.events import (
    DoneEvent,
    ErrorEvent,
    Event,
    FindingEvent,
    TextEvent,
    ToolCallEvent,
    ToolResultEvent,
    Usage,
)
from sfai.core.framing import frame, framing_note, piped_block, reframe_messages
from sfai.core.host import Host
from sfai.core.limits import LimitExceeded
from sfai.core.providers.base import (
    OUT_OF_SCOPE,
    Message,
    Provider,
    ProviderError,
    ProviderRequest,
    TextDelta,
    ToolDefinition,
    ToolUse,
    TurnEnd,
)
from sfai.core.store import Store
from sfai_agent.tools.base import Masker, ToolSpec
from sfai_agent.tools.render import render_result


@dataclass
class EngineOptions:
    mode: str = "suggest"
    max_steps: int = 12
    max_tokens: int = 4096
    system: str = ""
    """The stable rules (sfai.core.context.system_prompt)."""


@dataclass
class _Turn:
    """What one provider turn produced."""

    text: list[str] = field(default_factory=list)
    tool_uses: list[ToolUse] = field(default_factory=list)
    end: TurnEnd | None = None
    truncated: set[str] = field(default_factory=set)
    """Tool uses cut off by the output limit: answered with an error, never run."""


def offered_tools(specs: list[ToolSpec], mode: str) -> list[ToolSpec]:
    """diagnose: read-only tools only; suggest and act: the whole catalog."""
    if mode == "diagnose":
        return [spec for spec in specs if spec.risk.value == "read_only"]
    return list(specs)


def _call_key(name: str, arguments: dict[str, Any]) -> str:
    return name + ":" + json.dumps(arguments, sort_keys=True, default=str)


def _truncated_result() -> dict[str, Any]:
    return {
        "ok": False,
        "error": {
            "code": "invalid_argument",
            "message": "this tool call was cut off by the output token limit",
            "hint": "send the call again, complete",
        },
    }


class LimitGuard(Protocol):
    """What the engine asks before each model request (rate, daily quota, budget)."""

    def check_before_request(self, provider: str, conversation_cost_usd: float) -> None: ...


class ConversationEngine:
    def __init__(
        self,
        provider: Provider,
        host: Host,
        store: Store,
        options: EngineOptions,
        *,
        approver: Approver | None = None,
        audit: AuditSink | None = None,
        limits: LimitGuard | None = None,
        redactor: Masker | None = None,
    ) -> None:
        self.provider = provider
        self.host = host
        self.store = store
        self.options = options
        self.limits = limits
        self.redactor = redactor
        self.conversation_id: str | None = None
        self.usage = Usage()
        self.nonce = secrets.token_hex(8)
        self._earlier_cost = 0.0
        self._specs = {spec.name: spec for spec in offered_tools(host.catalog(), options.mode)}
        self._served: dict[str, dict[str, Any]] = {}
        self._results: dict[str, dict[str, Any]] = {}
        self.caller = ToolCaller(
            host=host,
            store=store,
            mode=options.mode,
            approver=approver or NoTerminalApprover(),
            audit=audit,
            specs=self._specs,
            actor=f"model:{provider.name}",
            conversation_id=lambda: self.conversation_id,
        )

    def seed(self, results: dict[str, dict[str, Any]]) -> None:
        """Results already collected (the host snapshot), served when the model asks the
        same read with no arguments instead of running it again."""
        for name, result in results.items():
            self._served[_call_key(name, {})] = result

    def _mask(self, text: str) -> str:
        if self.redactor is None:
            return text
        masked: str = self.redactor.redact(text)
        return masked

    def _open(self, question: str, conversation_id: str | None) -> list[Message]:
        if conversation_id:
            self.conversation_id = conversation_id
            self.store.set_conversation_status(conversation_id, "running")
            self.store.claim(conversation_id)
            earlier = self.store.get_conversation(conversation_id) or {}
            self._earlier_cost = float((earlier.get("usage") or {}).get("cost_usd") or 0.0)
            messages = self.store.load_messages(conversation_id)
            reframe_messages(messages, self.nonce)
            reserve = getattr(self.redactor, "reserve", None)
            if reserve is not None:  # new secrets must not reuse this conversation's placeholders
                reserve(messages)
            return messages
        self.conversation_id = self.store.create_conversation(
            host=self.host.name,
            provider=self.provider.name,
            model=self.provider.model,
            mode=self.options.mode,
            title=" ".join(question.split())[:120],
        )
        self.store.record_event(
            "ai.conversation.started",
            self.conversation_id,
            {"host": self.host.name, "provider": self.provider.name, "mode": self.options.mode},
        )
        return []

    async def ask(
        self,
        question: str,
        *,
        context: str,
        conversation_id: str | None = None,
        piped: str | None = None,
    ) -> AsyncIterator[Event]:
        """Answer ``question``; ``context`` is the host snapshot (sfai.core.context)."""
        question = self._mask(question)
        messages = self._open(question, conversation_id)
        assert self.conversation_id is not None
        content: list[dict[str, Any]] = [{"type": "text", "text": question}]
        if piped:
            content.append(piped_block(self._mask(piped), self.nonce))
        messages.append({"role": "user", "content": content})
        self.store.add_message(self.conversation_id, "user", content, text=question)
        # The snapshot holds names chosen by whoever runs processes there: data too.
        context = f"{frame(self.nonce, 'host snapshot', context)}\n{framing_note(self.nonce)}"
        status = "max_steps"
        try:
            for _ in range(self.options.max_steps):
                if self.limits is not None:
                    # The budget is per conversation, earlier runs of it included.
                    spent = self._earlier_cost + self.usage.cost_usd
                    self.limits.check_before_request(self.provider.name, spent)
                turn = _Turn()
                async for event in self._stream_turn(messages, context, turn):
                    yield event
                if not turn.tool_uses:
                    status = "ok"
                    if turn.end is not None and turn.end.stop_reason == OUT_OF_SCOPE:
                        self.store.record_event(
                            "ai.conversation.escalated_to_support",
                            self.conversation_id,
                            {
                                "provider": self.provider.name,
                                "reason": "question outside what it can answer",
                            },
                        )
                    break
                results: list[dict[str, Any]] = []
                async for event in self._run_tools(turn.tool_uses, results, turn.truncated):
                    yield event
                messages.append({"role": "user", "content": results})
                self.store.add_message(self.conversation_id, "user", results)
            else:
                yield ErrorEvent(
                    f"stopped after {self.options.max_steps} steps without a final answer",
                    "continue with `sfai ask --continue ...`, or allow more with --max-steps",
                    kind="max_steps",
                )
        except ProviderError as exc:
            status = "rate_limited" if exc.kind == "rate_limit" else "error"
            yield ErrorEvent(exc.message, exc.hint, kind=exc.kind)
        except (asyncio.CancelledError, KeyboardInterrupt):
            self.store.set_conversation_status(self.conversation_id, "interrupted")
            raise
        except LimitExceeded as exc:
            status = "rate_limited"
            yield ErrorEvent(exc.message, exc.hint, kind=str(exc.kind))
        if status == "ok" and self.caller.pending:
            status = "approval_needed"
        self.store.set_conversation_status(self.conversation_id, status)
        if status == "ok":
            self.store.record_event(
                "ai.diagnostic.completed",
                self.conversation_id,
                {"tool_calls": len(self._served), "requests": self.usage.requests},
            )
        yield DoneEvent(conversation_id=self.conversation_id, status=status, usage=self.usage)

    async def _stream_turn(
        self, messages: list[Message], context: str, turn: _Turn
    ) -> AsyncIterator[Event]:
        assert self.conversation_id is not None
        request = ProviderRequest(
            system=self.options.system,
            context=context,
            messages=messages,
            tools=[
                ToolDefinition(s.name, s.description, s.input_schema) for s in self._specs.values()
            ],
            max_tokens=self.options.max_tokens,
            results=self._results,
        )
        message_id = self.store.start_assistant_message(self.conversation_id)
        final_status = "interrupted"
        try:
            async for event in self.provider.stream(request):
                if isinstance(event, TextDelta):
                    if event.text:
                        turn.text.append(event.text)
                        self.store.append_text(message_id, event.text)
                        yield TextEvent(event.text)
                elif isinstance(event, ToolUse):
                    turn.tool_uses.append(event)
                elif isinstance(event, FindingEvent):
                    yield event
                elif isinstance(event, TurnEnd):
                    turn.end = event
            final_status = "complete"
        except ProviderError:
            final_status = "error"
            raise
        finally:
            end = turn.end
            blocks = (
                end.content
                if end
                else ([{"type": "text", "text": "".join(turn.text)}] if turn.text else [])
            )
            self.store.finish_message(message_id, blocks, status=final_status)
            if end is not None:
                usage = Usage(
                    input_tokens=end.usage.input_tokens,
                    output_tokens=end.usage.output_tokens,
                    cache_read_tokens=end.usage.cache_read_tokens,
                    cache_write_tokens=end.usage.cache_write_tokens,
                    cost_usd=end.usage.cost_usd,
                    requests=1,
                )
                self.usage = self.usage + usage
                self.store.record_usage(
                    self.conversation_id, self.provider.name, self.provider.model, usage
                )
        assert turn.end is not None
        if turn.end.content:  # an empty assistant message is refused by the API next time
            messages.append({"role": "assistant", "content": turn.end.content})
        if turn.end.stop_reason == "max_tokens" and turn.tool_uses:
            # The last call was cut off mid-arguments: do not run a partial call.
            turn.truncated.add(turn.tool_uses[-1].id)

    async def _call(self, use: ToolUse, truncated: bool) -> tuple[dict[str, Any], float, bool]:
        """Run one tool call, or serve an identical earlier one from this conversation."""
        if truncated:
            return _truncated_result(), 0.0, False
        key = _call_key(use.name, use.input)
        if key in self._served:
            return self._served[key], 0.0, True
        started = time.monotonic()
        result = await self.caller.call(use)
        spec = self._specs.get(use.name)
        if (
            result.get("ok")
            and spec is not None
            and spec.risk.value == "read_only"
            and use.name != "run_command"
        ):
            self._served[key] = result  # only reads are reusable; an action runs each time
        return result, time.monotonic() - started, False

    def _parallel(self, uses: list[ToolUse]) -> bool:
        """Reads are independent and run together; anything that may ask the person runs alone."""
        return all(
            use.name in self._specs
            and self._specs[use.name].risk.value == "read_only"
            and use.name != "run_command"
            for use in uses
        )

    async def _run_tools(
        self, uses: list[ToolUse], results: list[dict[str, Any]], truncated: set[str]
    ) -> AsyncIterator[Event]:
        assert self.conversation_id is not None
        for use in uses:
            risk = self._specs[use.name].risk.value if use.name in self._specs else "unknown"
            self.store.record_tool_call(self.conversation_id, use.id, use.name, use.input, risk)
            yield ToolCallEvent(id=use.id, name=use.name, input=use.input, risk=risk)
        if self._parallel(uses):
            outcomes = await asyncio.gather(*(self._call(use, use.id in truncated) for use in uses))
            for use, outcome in zip(uses, outcomes, strict=True):
                yield self._record(use, *outcome, results)
            return
        for use in uses:
            outcome = await self._call(use, use.id in truncated)
            for event in self.caller.events:
                yield event
            yield self._record(use, *outcome, results)

    def _record(
        self,
        use: ToolUse,
        result: dict[str, Any],
        duration: float,
        cached: bool,
        results: list[dict[str, Any]],
    ) -> ToolResultEvent:
        assert self.conversation_id is not None
        ok = bool(result.get("ok"))
        text = render_result(use.name, result)
        self._results[use.id] = result
        self.store.record_tool_result(self.conversation_id, use.id, result, ok, duration, cached)
        results.append(
            {
                "type": "tool_result",
                "tool_use_id": use.id,
                "content": frame(self.nonce, use.name, text),
                "is_error": not ok,
            }
        )
        return ToolResultEvent(
            id=use.id,
            name=use.name,
            ok=ok,
            content=text,
            result=result,
            duration_s=duration,
            cached=cached,
        )
