"""The policy engine: deny, then ask, then allow; first match wins within each.

Enforced by the tool runner, where the tool runs, so the ``sfai-agent`` daemon applies
its own policy whatever its client says. Built-in defaults: read-only tools are
allowed, actions ask for approval, ``run_command`` is judged argument by argument by
its own allowlist. User rules (``[[policy.rules]]`` in the config, or the agent's policy
file) come before the defaults.
"""

from __future__ import annotations

import enum
import fnmatch
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sfai_agent.tools.base import ToolSpec


class Decision(enum.StrEnum):
    ALLOW = "allow"
    ASK = "ask"
    DENY = "deny"


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    reason: str
    rule: str = "default"
    """Which rule decided: ``default``, ``rule #N``, or ``run_command``."""


@dataclass(frozen=True)
class Rule:
    """``decision`` for ``tool`` (a glob) when every ``when`` argument matches its glob."""

    decision: Decision
    tool: str
    when: dict[str, str] = field(default_factory=dict)
    reason: str = ""

    def matches(self, spec: ToolSpec, arguments: dict[str, Any]) -> bool:
        if not fnmatch.fnmatchcase(spec.name, self.tool):
            return False
        for name, pattern in self.when.items():
            value = arguments.get(name)
            values = value if isinstance(value, list) else [value]
            if value is None or not all(fnmatch.fnmatchcase(str(v), pattern) for v in values):
                return False
        return True

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> Rule:
        """``{decision = "deny", tool = "clean_disk", reason = "...", service = "web*"}``."""
        try:
            decision = Decision(str(data["decision"]))
        except (KeyError, ValueError):
            raise ValueError(
                f"a policy rule needs decision = allow | ask | deny: {data!r}"
            ) from None
        if not isinstance(data.get("tool"), str):
            raise ValueError(f'a policy rule needs tool = "NAME or glob": {data!r}')
        when = {k: str(v) for k, v in data.items() if k not in ("decision", "tool", "reason")}
        return cls(
            decision=decision, tool=data["tool"], when=when, reason=str(data.get("reason", ""))
        )


CommandJudge = Callable[[dict[str, Any]], Verdict]
"""How ``run_command`` judges its argv (``sfai_agent.policy.commands``)."""


@dataclass
class Policy:
    rules: list[Rule] = field(default_factory=list)
    actions_allowed: bool = True
    """False on an agent whose policy file forbids every action: only reads are served."""
    judges: dict[str, CommandJudge] = field(default_factory=dict)
    """Per-tool judges for tools whose risk depends on their arguments (run_command)."""

    def evaluate(self, spec: ToolSpec, arguments: dict[str, Any]) -> Verdict:
        judge = self.judges.get(spec.name)
        judged = judge(arguments) if judge is not None else None
        # A judge's refusal (a write flag in run_command's argv) is final: no rule lifts it.
        if judged is not None and judged.decision is Decision.DENY:
            return judged
        changes = (
            judged.decision is Decision.ASK
            if judged is not None
            else spec.risk.value != "read_only"
        )
        for decision in (Decision.DENY, Decision.ASK, Decision.ALLOW):
            for number, rule in enumerate(self.rules, start=1):
                if rule.decision is decision and rule.matches(spec, arguments):
                    # Without actions_allowed only DENY stands for a change: an ALLOW
                    # or ASK rule (approval) must not lift it.
                    if decision is not Decision.DENY and changes and not self.actions_allowed:
                        break
                    return Verdict(
                        decision, rule.reason or f"policy rule #{number}", f"rule #{number}"
                    )
        if changes and not self.actions_allowed:
            return Verdict(Decision.DENY, "this host's policy allows no actions", "actions_allowed")
        if judged is not None:
            return judged
        if not changes:
            return Verdict(Decision.ALLOW, "read-only tool")
        return Verdict(Decision.ASK, f"{spec.name} changes the server ({spec.risk.value} risk)")

    @classmethod
    def from_rules(cls, rules: list[dict[str, Any]], *, actions_allowed: bool = True) -> Policy:
        return cls(rules=[Rule.from_mapping(r) for r in rules], actions_allowed=actions_allowed)
