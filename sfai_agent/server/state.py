"""What every connection of one running agent shares: home, policy, audit log, host facts.

Loaded once at start: the policy file is read when ``serve`` starts (restart the agent to
apply a change, so that a half-edited file never takes effect), the token on every
``hello`` (so ``token rotate`` applies at once).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sfai_agent import __version__
from sfai_agent.audit import AuditError, AuditLog
from sfai_agent.server.facts import host_facts
from sfai_agent.server.home import AgentHome
from sfai_agent.server.policy_file import AgentPolicy, load_policy
from sfai_agent.server.protocol import PROTOCOL_VERSION, HelloResult, HostFacts

log = logging.getLogger("sfai_agent.server")


@dataclass
class AgentState:
    home: AgentHome
    policy: AgentPolicy
    facts: HostFacts
    audit: AuditLog | None = None
    audit_problem: str = ""
    """Why ``audit`` is None: actions are refused with this reason."""
    connections: int = 0
    wrong_tokens: int = 0
    """Wrong-token hellos since start (the audit log records a thinning sample)."""
    catalog: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def load(cls, home: AgentHome) -> AgentState:
        """Read the policy file and open the audit log. A policy mistake raises
        ``PolicyFileError`` (the daemon must not start); an audit log that cannot be
        opened does not stop reads, but every action is refused until it can be."""
        home.require()
        policy = load_policy(home.policy_file)
        state = cls(home=home, policy=policy, facts=host_facts())
        state.catalog = [spec.as_dict() for spec in policy.catalog()]
        try:
            state.audit = AuditLog(home.audit_file)
        except AuditError as exc:
            state.audit_problem = str(exc)
            log.error("%s: actions will be refused until it can be written", exc)
        return state

    def hello_result(self) -> dict[str, Any]:
        limits = self.policy.limits
        return HelloResult(
            protocol=PROTOCOL_VERSION,
            agent_version=__version__,
            host=self.facts,
            catalog=self.catalog,
            actions_allowed=self.policy.actions_allowed,
            limits={
                "max_frame_bytes": limits.max_frame_bytes,
                "max_concurrent_calls": limits.max_concurrent_calls,
                "tool_timeout_s": self.policy.settings.tool_timeout_s,
            },
        ).as_dict()

    def close(self) -> None:
        if self.audit is not None:
            self.audit.close()
