"""The one event stream every front end reads: CLI text, JSON Lines, the TUI.

Field names are a contract (see the design's ``--json`` section): ``to_json`` gives
exactly the JSON Lines record for each event.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float = 0.0
    requests: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cache_read_tokens=self.cache_read_tokens + other.cache_read_tokens,
            cache_write_tokens=self.cache_write_tokens + other.cache_write_tokens,
            cost_usd=round(self.cost_usd + other.cost_usd, 6),
            requests=self.requests + other.requests,
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class TextEvent:
    content: str
    type: Literal["text"] = "text"


@dataclass(frozen=True)
class ToolCallEvent:
    id: str
    name: str
    input: dict[str, Any]
    risk: str
    type: Literal["tool_call"] = "tool_call"


@dataclass(frozen=True)
class ToolResultEvent:
    id: str
    name: str
    ok: bool
    content: str
    """The compact text rendering the model saw (bounded)."""
    result: dict[str, Any] = field(default_factory=dict, compare=False)
    """The structured result, for front ends that show more than text (not in JSON Lines)."""
    duration_s: float = 0.0
    cached: bool = False
    """True when an identical call earlier in the conversation was reused."""
    type: Literal["tool_result"] = "tool_result"


@dataclass(frozen=True)
class ApprovalEvent:
    id: str
    decision: str
    by: str
    type: Literal["approval"] = "approval"


@dataclass(frozen=True)
class FindingEvent:
    severity: str
    title: str
    evidence: list[str] = field(default_factory=list)
    next_step: str = ""
    fix: dict[str, Any] | None = None
    type: Literal["finding"] = "finding"


@dataclass(frozen=True)
class StatusEvent:
    """Progress for humans (stderr / status bar); not part of the JSON Lines contract."""

    message: str
    type: Literal["status"] = "status"


@dataclass(frozen=True)
class ErrorEvent:
    message: str
    hint: str = ""
    kind: str = "error"
    type: Literal["error"] = "error"


@dataclass(frozen=True)
class DoneEvent:
    conversation_id: str
    status: str
    """``ok``, ``max_steps``, ``error``, ``interrupted``, ``approval_needed``, ``rate_limited``."""
    usage: Usage
    type: Literal["done"] = "done"


Event = (
    TextEvent
    | ToolCallEvent
    | ToolResultEvent
    | ApprovalEvent
    | FindingEvent
    | StatusEvent
    | ErrorEvent
    | DoneEvent
)

_JSON_FIELDS: dict[str, tuple[str, ...]] = {
    "text": ("content",),
    "tool_call": ("id", "name", "input", "risk"),
    "tool_result": ("id", "name", "ok", "content"),
    "approval": ("id", "decision", "by"),
    "finding": ("severity", "title", "evidence", "next_step", "fix"),
    "error": ("message", "hint"),
    "done": ("conversation_id", "status", "usage"),
}


def to_json(event: Event) -> dict[str, Any] | None:
    """The JSON Lines record for ``event``, or None for events outside the contract."""
    names = _JSON_FIELDS.get(event.type)
    if names is None:
        return None
    record: dict[str, Any] = {"type": event.type}
    for name in names:
        value = getattr(event, name)
        if isinstance(value, Usage):
            value = value.as_dict()
        if value is None or (name == "hint" and not value):
            continue
        record[name] = value
    return record
