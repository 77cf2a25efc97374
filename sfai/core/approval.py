"""The approval protocol: the core asks, a front end answers.

The core only knows ``Approver.approve(request) -> Answer``. The CLI answers on the
terminal, ``--yes`` answers for the person, a run with no terminal answers "no"
(and the command exits 3 with the pending action), the TUI shows a modal.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Protocol


class Choice(enum.StrEnum):
    ONCE = "once"
    """Run this call."""
    ALWAYS = "always"
    """Run this call and later calls of the same tool on this host, this session."""
    NO = "no"
    """Do not run it; the reason goes back to the model so it can adapt."""
    PENDING = "pending"
    """Nobody could be asked (no terminal, no --yes): not run, the command exits 3."""


@dataclass(frozen=True)
class ApprovalRequest:
    id: str
    """The tool_use id of the call."""
    tool: str
    arguments: dict[str, Any]
    risk: str
    host: str
    reason: str
    """Why approval is needed, from the policy."""
    preview: dict[str, Any] | None = None
    """The dry-run result, computed before asking (what would be deleted, the diff...)."""
    preview_text: str = ""


@dataclass(frozen=True)
class Answer:
    choice: Choice
    by: str
    """``user``, ``--yes``, ``session`` (an earlier "always"), ``non-interactive``."""
    reason: str = ""

    @property
    def approved(self) -> bool:
        return self.choice in (Choice.ONCE, Choice.ALWAYS)


class Approver(Protocol):
    async def approve(self, request: ApprovalRequest) -> Answer: ...


@dataclass
class AutoApprover:
    """``--yes``: the person approved every action in advance."""

    by: str = "--yes"

    async def approve(self, request: ApprovalRequest) -> Answer:
        return Answer(Choice.ONCE, self.by)


@dataclass
class NoTerminalApprover:
    """No terminal and no ``--yes``: nothing is executed; the action is left pending."""

    pending: list[ApprovalRequest] = field(default_factory=list)

    async def approve(self, request: ApprovalRequest) -> Answer:
        self.pending.append(request)
        return Answer(
            Choice.PENDING,
            "non-interactive",
            "no terminal to ask on and --yes was not given; the person must approve it",
        )
