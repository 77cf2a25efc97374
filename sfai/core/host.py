"""The Host protocol: how the core reaches a server, whatever the transport."""

from __future__ import annotations

from typing import Any, Protocol

from sfai_agent.tools.base import JSON, ToolSpec


class HostUnreachable(Exception):
    """The host cannot be reached or refused us (network, auth, pinning): ``message`` says
    what happened, ``hint`` what to do. Tool failures are results, never this."""

    def __init__(self, host: str, message: str, hint: str = "") -> None:
        super().__init__(f"{host}: {message}")
        self.host = host
        self.message = message
        self.hint = hint


class Host(Protocol):
    name: str
    """The inventory name: ``local``, ``web1``..."""

    async def call_tool(self, name: str, arguments: JSON, *, approved: bool = False) -> JSON:
        """Run a catalog tool there. Never raises for tool failures: they are error results.

        ``approved``: the person approved this exact call (the host's policy decides
        whether that is needed and whether it is enough)."""
        ...

    def catalog(self) -> list[ToolSpec]:
        """The tools this host offers (a remote agent's policy may offer fewer). Remote
        hosts know it after ``connect``; before, the local catalog."""
        ...

    async def connect(self) -> dict[str, Any]:
        """Reach the host now (idempotent; later calls reuse the connection) and return its
        facts: ``hostname``, ``transport``, ``latency_ms`` and whatever the transport knows
        (``agent_version``...). Raises ``HostUnreachable``."""
        ...

    async def metrics(self) -> dict[str, Any]:
        """One live sample of the host (CPU, memory, swap, load, disks, network, top
        processes, threshold alerts): the format of ``sfai_agent.metrics``, plain JSON.

        Measured where the host is (in-process for the local host, by the agent for a
        managed one), because rates need the previous reading and the sidebar asks every
        second or two. Raises when the host cannot be reached: the caller shows that."""
        ...

    async def close(self) -> None: ...
