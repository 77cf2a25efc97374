"""The Host protocol: how the core reaches a server, whatever the transport."""

from __future__ import annotations

from typing import Protocol

from sfai_agent.tools.base import JSON, ToolSpec


class Host(Protocol):
    name: str
    """The inventory name: ``local``, ``web1``..."""

    async def call_tool(self, name: str, arguments: JSON, *, approved: bool = False) -> JSON:
        """Run a catalog tool there. Never raises for tool failures: they are error results.

        ``approved``: the person approved this exact call (the host's policy decides
        whether that is needed and whether it is enough)."""
        ...

    def catalog(self) -> list[ToolSpec]: ...

    async def close(self) -> None: ...
