"""The local host: the catalog runs in-process over a LocalExecutor."""

from __future__ import annotations

from typing import Any

from sfai_agent.exec import LocalExecutor
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

    @property
    def redactor(self) -> Masker | None:
        return self._context.redactor

    async def call_tool(self, name: str, arguments: JSON, *, approved: bool = False) -> JSON:
        return await call_tool(name, arguments, self._context, approved=approved)

    def catalog(self) -> list[ToolSpec]:
        return [tool.spec for tool in load_catalog().values()]

    async def close(self) -> None:
        self._context.cache.clear()
