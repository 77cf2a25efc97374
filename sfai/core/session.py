"""The working parts of a conversation with one host, built the same way by every front end.

``sfai ask`` builds one engine per run; the TUI one per question (a question may follow
up an earlier one: the engine reloads the transcript). Both get the same safety pieces
from here — the audit trail, the limits, the redactor shared with the host — so a
front end cannot forget one of them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sfai.core.action_flow import AuditSink
from sfai.core.approval import Approver
from sfai.core.config import Config
from sfai.core.context import Snapshot, host_context
from sfai.core.engine import ConversationEngine, EngineOptions
from sfai.core.host import Host
from sfai.core.limits import Limits
from sfai.core.providers.base import Provider
from sfai.core.store import Store
from sfai_agent.tools.base import Masker


@dataclass
class Session:
    """A provider, a host and the store, with what every engine over them needs.

    ``rules`` is :func:`sfai.core.context.system_prompt` (read once, it may come from a
    file). ``audit`` is opened on first use when not given (no audit, no action).
    ``now`` is the clock the limits count with (injected by tests)."""

    config: Config
    provider: Provider
    host: Host
    store: Store
    redactor: Masker | None = None
    rules: str = ""
    audit: AuditSink | None = None
    now: Callable[[], float] = time.time
    always: dict[str, set[str]] = field(default_factory=dict)
    """What the person approved "always" (approval scopes, see action_flow), per host, for
    the life of this session."""

    def audit_sink(self) -> AuditSink:
        if self.audit is None:
            from sfai.core.audit import open_audit_or_unavailable

            self.audit = open_audit_or_unavailable(self.redactor)
        return self.audit

    def limits(self, max_budget_usd: float | None = None) -> Limits:
        return Limits(self.store, self.config.limits, self.now, max_budget_usd=max_budget_usd)

    def engine(
        self,
        *,
        mode: str,
        approver: Approver,
        max_steps: int | None = None,
        max_budget_usd: float | None = None,
    ) -> ConversationEngine:
        """An engine for one run over this session's host, under the safety model."""
        engine = ConversationEngine(
            self.provider,
            self.host,
            self.store,
            EngineOptions(
                mode=mode,
                max_steps=max_steps or self.config.max_steps,
                max_tokens=self.config.max_tokens,
                system=self.rules,
            ),
            approver=approver,
            audit=self.audit_sink(),
            limits=self.limits(max_budget_usd),
            redactor=self.redactor,
        )
        # "Always" holds for this host for the whole session, across questions.
        engine.caller.always = self.always.setdefault(self.host.name, set())
        return engine

    async def snapshot(self, mode: str) -> Snapshot:
        """The host snapshot for a question. The provider's own preparation (the Claude
        SDK import, over a second) runs in a thread meanwhile, so the first token is not
        delayed by both."""
        prepare = getattr(self.provider, "prepare", None)
        jobs: list[Any] = [host_context(self.host, mode)]
        if prepare is not None:
            jobs.append(asyncio.to_thread(prepare))
        snapshot, *_ = await asyncio.gather(*jobs)
        assert isinstance(snapshot, Snapshot)
        return snapshot
