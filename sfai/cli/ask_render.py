"""How `sfai ask` shows the engine's events: streamed text, markdown, or JSON Lines.

The answer goes to stdout as it streams; tool activity, errors and usage go to stderr.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from sfai.cli import output
from sfai.core.events import (
    ApprovalEvent,
    DoneEvent,
    ErrorEvent,
    Event,
    StatusEvent,
    TextEvent,
    ToolCallEvent,
    ToolResultEvent,
    Usage,
    to_json,
)


def _arguments(arguments: dict[str, Any]) -> str:
    text = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in arguments.items())
    return text if len(text) <= 100 else text[:97] + "..."


def usage_line(
    provider: str, model: str, usage: Usage, tool_calls: int, conversation_id: str
) -> str:
    parts = [f"{provider}" + (f" {model}" if model and provider != "offline" else "")]
    if usage.requests and provider != "offline":
        parts.append(f"{usage.requests} request(s)")
        tokens = f"{usage.input_tokens:,} in / {usage.output_tokens:,} out tokens"
        if usage.cache_read_tokens or usage.cache_write_tokens:
            tokens += (
                f" (cache read {usage.cache_read_tokens:,}, write {usage.cache_write_tokens:,})"
            )
        parts.append(tokens)
        parts.append(f"${usage.cost_usd:.4f}")
    parts.append(f"{tool_calls} tool call(s)")
    parts.append(f"conversation {conversation_id}")
    return " · ".join(parts)


class EventWriter:
    """Text and markdown: the answer streams to stdout, activity to stderr."""

    def __init__(self, *, markdown: bool, provider: str, model: str, mode: str = "suggest") -> None:
        self.mode = mode
        self.render_markdown = markdown and output.stdout_is_terminal()
        self.provider = provider
        self.model = model
        self._buffer: list[str] = []
        self._ends_with_newline = True
        self._tool_calls = 0
        self._show_activity = sys.stderr.isatty()
        self._after_tools = False
        self._wrote_text = False
        self._trailing_newlines = 0

    def handle(self, event: Event) -> None:
        if isinstance(event, TextEvent):
            content = output.terminal_safe(event.content)
            if self._after_tools and self._wrote_text:
                # A new turn after tool calls starts a new paragraph: one blank line.
                content = "\n" * max(0, 2 - self._trailing_newlines) + content.lstrip("\n")
            self._after_tools = False
            self._wrote_text = True
            if self.render_markdown:
                self._buffer.append(content)
            else:
                sys.stdout.write(content)
                sys.stdout.flush()
                self._ends_with_newline = content.endswith("\n")
                stripped = content.rstrip("\n")
                newlines = len(content) - len(stripped)
                self._trailing_newlines = (
                    newlines if stripped else self._trailing_newlines + newlines
                )
        elif isinstance(event, ToolCallEvent):
            self._tool_calls += 1
            self._after_tools = True
            output.info(f"  → {event.name}({_arguments(event.input)})")
        elif isinstance(event, ToolResultEvent):
            if not event.ok:
                first = event.content.splitlines()[0] if event.content else "failed"
                output.info(f"  ✗ {event.name}: {first}")
            elif self._show_activity:
                note = "reused" if event.cached else f"{event.duration_s:.2f}s"
                output.info(f"  ✓ {event.name} ({note})")
        elif isinstance(event, ApprovalEvent):
            verdict = {
                "once": "approved",
                "always": "approved for this session",
                "no": "declined",
                "pending": "waiting for approval (not run)",
            }
            output.info(f"  {verdict.get(event.decision, event.decision)} by {event.by}")
        elif isinstance(event, StatusEvent):
            if self._show_activity:
                output.info(event.message)
        elif isinstance(event, ErrorEvent):
            self._finish_line()
            output.error(event.message, event.hint)
        elif isinstance(event, DoneEvent):
            self._flush_markdown()
            self._finish_line()
            output.info(
                usage_line(
                    self.provider, self.model, event.usage, self._tool_calls, event.conversation_id
                )
            )

    def _finish_line(self) -> None:
        if not self._ends_with_newline:
            sys.stdout.write("\n")
            sys.stdout.flush()
            self._ends_with_newline = True

    def _flush_markdown(self) -> None:
        if self._buffer:
            from rich.markdown import Markdown

            output.rich_console().print(Markdown("".join(self._buffer)))
            self._buffer.clear()


class JsonLinesWriter:
    """One JSON object per event, flushed as it happens (design: `--json`)."""

    def handle(self, event: Event) -> None:
        record = to_json(event)
        if record is not None:
            output.write_json(record, lines=True)
