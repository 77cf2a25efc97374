"""The provider protocol: one streamed model turn in, provider events out."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from sfai.core.events import FindingEvent, Usage

Message = dict[str, Any]
"""``{"role": "user" | "assistant", "content": [blocks]}``; blocks are Anthropic-shaped:
``{"type": "text", "text"}``, ``{"type": "tool_use", "id", "name", "input"}``,
``{"type": "tool_result", "tool_use_id", "content", "is_error"}``."""


@dataclass(frozen=True)
class ToolDefinition:
    name: str
    description: str
    input_schema: dict[str, Any]


@dataclass
class ProviderRequest:
    system: str
    """Stable part of the system prompt (rules); cached by providers that can."""
    context: str
    """The host snapshot and per-request instructions; changes between requests."""
    messages: list[Message]
    tools: list[ToolDefinition]
    max_tokens: int = 4096
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Structured tool results by tool_use id, for providers that read data rather than
    text (the offline diagnostician). Model APIs get the text in ``messages`` only."""


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class ToolUse:
    id: str
    name: str
    input: dict[str, Any]


OUT_OF_SCOPE = "out_of_scope"
"""A TurnEnd stop reason: the provider could not answer this kind of question (the
offline diagnostician outside its topics). The engine records an escalation event."""


@dataclass(frozen=True)
class TurnEnd:
    stop_reason: str
    """``end_turn``, ``tool_use``, ``max_tokens``..."""
    content: list[dict[str, Any]]
    """The assistant message's content blocks, to append to the conversation."""
    usage: Usage = field(default_factory=Usage)


ProviderEvent = TextDelta | ToolUse | FindingEvent | TurnEnd


class ProviderError(Exception):
    """A provider failed in a way the user must hear about.

    ``kind``: ``auth`` (bad or missing key), ``model`` (unknown model), ``rate_limit``
    (429 after retries; exit 4), ``overloaded``, ``transport`` (cannot connect),
    ``bad_request``, ``internal``.
    """

    def __init__(self, kind: str, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.hint = hint


def connection_reason(exc: BaseException, *, resolver_detail: str = " ({})") -> str | None:
    """A failed connection in the plainest words found in ``exc``'s chain, or ``None``.

    Walks ``__cause__`` / ``__context__`` (guarding against cycles) for a refused connection
    (``"connection refused"``) or a failed host name lookup (``"cannot resolve the host
    name"`` followed by the resolver's message put through ``resolver_detail``, so that the
    phrase fits the sentence around it, e.g. ``" ({})"`` or ``": {}"``). ``None`` when the
    chain holds neither; the caller then words the failure itself.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ConnectionRefusedError):
            return "connection refused"
        if isinstance(current, socket.gaierror):
            detail = resolver_detail.format(current.strerror or current)
            return f"cannot resolve the host name{detail}"
        current = current.__cause__ or current.__context__
    return None


class Provider(Protocol):
    name: str
    """``anthropic``, ``offline``, ``openai``."""
    model: str

    def stream(self, request: ProviderRequest) -> AsyncIterator[ProviderEvent]:
        """Stream one model turn: text deltas and tool uses as they complete, then TurnEnd.

        Raises ProviderError for failures the user must act on.
        """
        ...

    async def close(self) -> None: ...
