"""What a tool is: a spec the model sees, and an implementation over an Executor."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sfai_agent.exec.base import Executor, ExecutorError
from sfai_agent.settings import AgentSettings

JSON = dict[str, Any]


class Risk(enum.StrEnum):
    """How much a tool can change. Read-only tools never change anything."""

    READ_ONLY = "read_only"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class ToolError(Exception):
    """A tool's refusal or failure, reported to the model and the user as a result.

    Codes: ``invalid_argument``, ``refused_by_policy``, ``not_found``, ``timeout``,
    ``unavailable``, ``permission_denied``, ``unknown_tool``, ``internal``.
    """

    def __init__(self, code: str, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint

    @classmethod
    def from_executor(cls, exc: ExecutorError) -> ToolError:
        return cls(exc.code, exc.message, exc.hint)

    def as_result(self) -> JSON:
        return {
            "ok": False,
            "error": {"code": self.code, "message": self.message, "hint": self.hint},
        }


class Masker(Protocol):
    """Secret masking (``sfai_agent.redact.Redactor``): placeholders stable per instance."""

    def redact(self, value: Any) -> Any: ...


@dataclass
class ToolContext:
    """Everything a tool may use. Tools never touch the host except through ``executor``."""

    executor: Executor
    settings: AgentSettings = field(default_factory=AgentSettings)
    cache: dict[str, Any] = field(default_factory=dict)
    """Per-request memo (service manager detection, parsed nginx config...)."""
    policy: Any = None
    """The ``sfai_agent.policy.rules.Policy`` the runner enforces; None: built-in defaults."""
    redactor: Masker | None = None
    """Masks secrets in every result before it leaves the host; None: a fresh Redactor."""


Implementation = Callable[[ToolContext, JSON], Awaitable[JSON]]
Renderer = Callable[[JSON], str]


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    """One paragraph written for a model: what it returns and when to use it."""
    input_schema: JSON
    risk: Risk
    family: str
    timeout_setting: str = "tool_timeout_s"
    """The AgentSettings field that bounds one call (deploys take longer than reads)."""

    @property
    def has_dry_run(self) -> bool:
        """Actions preview themselves with ``dry_run: true``; the approval flow relies on it."""
        return "dry_run" in self.input_schema.get("properties", {})

    def as_dict(self) -> JSON:
        return {
            "name": self.name,
            "description": self.description,
            "input_schema": self.input_schema,
            "risk": self.risk.value,
            "family": self.family,
        }


@dataclass(frozen=True)
class Tool:
    spec: ToolSpec
    implementation: Implementation
    renderer: Renderer | None = None

    @property
    def name(self) -> str:
        return self.spec.name


def object_schema(properties: JSON | None = None, required: list[str] | None = None) -> JSON:
    """A closed JSON-schema object: unknown arguments are errors, not silently ignored."""
    return {
        "type": "object",
        "properties": properties or {},
        "required": required or [],
        "additionalProperties": False,
    }


_REGISTRY: dict[str, Tool] = {}


def register(
    *,
    name: str,
    description: str,
    family: str,
    schema: JSON | None = None,
    risk: Risk = Risk.READ_ONLY,
    renderer: Renderer | None = None,
    timeout_setting: str = "tool_timeout_s",
) -> Callable[[Implementation], Implementation]:
    """Declare a tool. The catalog module imports every family so all register once."""

    def decorate(implementation: Implementation) -> Implementation:
        if name in _REGISTRY:
            raise RuntimeError(f"tool {name!r} registered twice")
        spec = ToolSpec(
            name=name,
            description=" ".join(description.split()),
            input_schema=schema or object_schema(),
            risk=risk,
            family=family,
            timeout_setting=timeout_setting,
        )
        _REGISTRY[name] = Tool(spec=spec, implementation=implementation, renderer=renderer)
        return implementation

    return decorate


def registered_tools() -> dict[str, Tool]:
    return dict(_REGISTRY)
