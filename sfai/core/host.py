"""The Host protocol: how the core reaches a server, whatever the transport."""

from __future__ import annotations

from typing import Any, Protocol

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

    async def metrics(self) -> dict[str, Any]:
        """One live sample of the host (CPU, memory, swap, load, disks, network, top
        processes, threshold alerts): the format of ``sfai_agent.metrics``, plain JSON.

        Measured where the host is (in-process for the local host, by the agent for a
        managed one), because rates need the previous reading and the sidebar asks every
        second or two. Raises when the host cannot be reached: the caller shows that."""
        ...

    async def close(self) -> None: ...
