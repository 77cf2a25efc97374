"""What the judge found about one argv (``Judgement``), and reasons several rules share."""

from __future__ import annotations

from dataclasses import dataclass, field

from sfai_agent.policy.rules import Decision, Verdict


class Refused(Exception):
    """Raised by ``Judgement.refuse``: the first DENY ends the judgement."""


@dataclass
class Judgement:
    """What the judge found about one argv; ``analyse_command`` returns it."""

    argv: tuple[str, ...]
    program: str = ""
    """The program's base name (``ss`` for ``/usr/bin/ss``)."""
    deny_reason: str | None = None
    ask_reason: str | None = None
    paths: list[tuple[str, str]] = field(default_factory=list)
    """``(normalised absolute path, kind)`` the command reads, lists or parses; the tool
    resolves each on the host and checks it again."""
    filter_credential_lines: bool = False
    """A recursive lister (find, du): drop output lines that name credential paths."""

    @property
    def decision(self) -> Decision:
        if self.deny_reason is not None:
            return Decision.DENY
        if self.ask_reason is not None:
            return Decision.ASK
        return Decision.ALLOW

    @property
    def reason(self) -> str:
        if self.deny_reason is not None:
            return self.deny_reason
        if self.ask_reason is not None:
            return self.ask_reason
        return f"{self.program}: a read-only diagnostic command on the allowlist"

    def refuse(self, reason: str) -> None:
        self.deny_reason = reason
        raise Refused(reason)

    def ask(self, reason: str) -> None:
        if self.ask_reason is None:
            self.ask_reason = reason

    def verdict(self) -> Verdict:
        return Verdict(self.decision, self.reason, "run_command")


# Reasons reused across commands.
FOLLOW = "follows forever and never returns; ask for the last lines instead (-n)"
REPEATS = "repeats until stopped and never returns; take one sample"
WRITES_FILE = "writes a file"
REMOTE = "operates on another host or container; sfai only looks at this host"
