"""Placeholder for issue #7: the agent transport (being written)."""

from __future__ import annotations

from typing import Any

from sfai.core.config import Config
from sfai.hosts.inventory import HostEntry
from sfai_agent.tools.base import JSON, Masker, ToolSpec


class AgentHost:
    def __init__(self, entry: HostEntry, config: Config, *, redactor: Masker | None = None) -> None:
        self.name = entry.name
        raise NotImplementedError("the agent transport is not written yet")

    async def call_tool(self, name: str, arguments: JSON, *, approved: bool = False) -> JSON:
        raise NotImplementedError

    async def connect(self) -> dict[str, Any]:
        raise NotImplementedError

    def catalog(self) -> list[ToolSpec]:
        raise NotImplementedError

    async def metrics(self) -> dict[str, Any]:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError
