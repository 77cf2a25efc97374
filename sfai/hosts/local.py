"""The local host: the catalog runs in-process over a LocalExecutor."""

from __future__ import annotations

import asyncio
from typing import Any

from sfai_agent.exec import LocalExecutor
from sfai_agent.metrics import AlertThresholds, MetricsCollector
from sfai_agent.settings import AgentSettings
from sfai_agent.tools.base import JSON, Masker, ToolContext, ToolSpec
from sfai_agent.tools.catalog import load_catalog
from sfai_agent.tools.runner import call_tool, default_policy


class LocalHost:
    name = "local"

    def __init__(
        self,
        settings: AgentSettings | None = None,
        *,
        policy_rules: list[dict[str, Any]] | None = None,
        redactor: Masker | None = None,
        alert_thresholds: AlertThresholds | None = None,
    ) -> None:
        # One context per host object: detections (service managers, nginx config)
        # are cached for the life of one command or session, and the redactor's
        # placeholders stay stable for the conversation.
        self._context = ToolContext(
            executor=LocalExecutor(),
            settings=settings or AgentSettings(),
            policy=default_policy(policy_rules),
            redactor=redactor,
        )
        # Built on the first metrics() call: the TUI wants it, `sfai ask` never does.
        self._alert_thresholds = alert_thresholds
        self._metrics: MetricsCollector | None = None

    @property
    def redactor(self) -> Masker | None:
        return self._context.redactor

    async def call_tool(self, name: str, arguments: JSON, *, approved: bool = False) -> JSON:
        return await call_tool(name, arguments, self._context, approved=approved)

    async def connect(self) -> dict[str, Any]:
        import platform

        return {"hostname": platform.node(), "transport": "local", "latency_ms": 0.0}

    def catalog(self) -> list[ToolSpec]:
        return [tool.spec for tool in load_catalog().values()]

    async def metrics(self) -> dict[str, Any]:
        """A live sample of this machine. psutil's reads of /proc are quick but blocking,
        and the first sample waits for a baseline: a thread keeps the event loop free."""
        if self._metrics is None:
            self._metrics = MetricsCollector(self._alert_thresholds)
        return await asyncio.to_thread(self._metrics.sample)

    async def close(self) -> None:
        self._context.cache.clear()
