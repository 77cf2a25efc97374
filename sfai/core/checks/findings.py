"""What an analyzer produces: findings a person can act on in one read."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Severity(enum.StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return {"info": 0, "warning": 1, "critical": 2}[self.value]


@dataclass(frozen=True)
class Finding:
    severity: Severity
    check: str
    """Which analyzer: ``disk``, ``inodes``, ``memory``, ``swap``, ``oom``, ``services``..."""
    title: str
    evidence: list[str]
    next_step: str
    fix_tool: str | None = None
    """The action tool that would fix it, when one exists (``restart_failed_service``...)."""
    fix_arguments: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "severity": self.severity.value,
            "check": self.check,
            "title": self.title,
            "evidence": self.evidence,
            "next_step": self.next_step,
        }
        if self.fix_tool:
            data["fix"] = {"tool": self.fix_tool, "arguments": self.fix_arguments}
        return data


@dataclass
class CheckReport:
    host: str
    findings: list[Finding]
    checks_run: list[str]
    errors: list[str]
    """Checks that could not run (a tool failed or is unavailable), with the reason."""

    @property
    def problems(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is not Severity.INFO]

    @property
    def healthy(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        counts = {s.value: sum(1 for f in self.findings if f.severity is s) for s in Severity}
        return {
            "host": self.host,
            "healthy": self.healthy,
            "counts": counts,
            "findings": [f.as_dict() for f in self.findings],
            "checks_run": self.checks_run,
            "errors": self.errors,
        }
