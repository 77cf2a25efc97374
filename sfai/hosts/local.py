"""The local host: the catalog runs in-process over a LocalExecutor."""

from __future__ import annotations

from sfai_agent.exec import LocalExecutor
from sfai_agent.settings import AgentSettings
from sfai_agent.tools.base import JSON, ToolContext, ToolSpec
from sfai_agent.tools.catalog import load_catalog
from sfai_agent.tools.runner import call_tool


class LocalHost:
    name = "local"

    def __init__(self, settings: AgentSettings | None = None) -> None:
        # One context per host object: detections (service managers, nginx config)
        # are cached for the life of one command or session.
        self._context = ToolContext(executor=LocalExecutor(), settings=settings or AgentSettings())

    async def call_tool(self, name: str, arguments: JSON) -> JSON:
        return await call_tool(name, arguments, self._context)

    def catalog(self) -> list[ToolSpec]:
        return [tool.spec for tool in load_catalog().values()]

    async def close(self) -> None:
        self._context.cache.clear()
