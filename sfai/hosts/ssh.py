"""A host reached over plain SSH: the catalog runs here, its primitives run there.

Where no sfai-agent is installed, sfai still works: the same tool code as the local host
runs in this process over an ``SSHExecutor``, so the policy is sfai's own (``[tools]`` and
``[[policy.rules]]`` of the config), secrets are masked by the conversation's redactor
before anything leaves this process, and results have exactly the local shapes. What the
agent adds and SSH cannot: enforcement on the server itself (a compromised operator
machine can do whatever the SSH user can), and a local audit there.

Transport failures are tool results (``unavailable``, ``timeout``), never exceptions:
``connect`` is the one call that raises (``HostUnreachable``).
"""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Any

from sfai.core.config import Config
from sfai.core.host import HostUnreachable
from sfai.hosts.inventory import HostEntry
from sfai.hosts.remote_metrics import RemoteMetrics
from sfai.hosts.ssh_connection import SSHLink
from sfai.hosts.ssh_executor import SSHExecutor
from sfai_agent.exec.base import ExecutorError
from sfai_agent.metrics import AlertThresholds
from sfai_agent.tools.base import JSON, Masker, ToolContext, ToolSpec
from sfai_agent.tools.catalog import load_catalog
from sfai_agent.tools.runner import call_tool, default_policy


class SSHHost:
    """One inventory entry with ``ssh = "[USER@]HOST[:PORT]"``. Connects on first use."""

    def __init__(self, entry: HostEntry, config: Config, *, redactor: Masker | None = None) -> None:
        self.name = entry.name
        self.entry = entry
        self._link = SSHLink(entry)
        self._executor = SSHExecutor(self._link, sudo=entry.sudo)
        self._context = ToolContext(
            executor=self._executor,
            settings=config.tools,
            policy=default_policy(list(config.policy_rules)),
            redactor=redactor,
        )
        self._metrics = RemoteMetrics(
            self._executor, AlertThresholds.from_mapping(asdict(config.check))
        )

    @property
    def redactor(self) -> Masker | None:
        return self._context.redactor

    @property
    def executor(self) -> SSHExecutor:
        return self._executor

    async def connect(self) -> dict[str, Any]:
        """Open (or reuse) the connection and describe the host. Raises HostUnreachable."""
        reused = self._link.alive()
        await self._link.connection()
        try:
            files = await self._executor.files()
            started = time.monotonic()
            hostname = await self._executor.read_file("/proc/sys/kernel/hostname")
            latency_ms = (time.monotonic() - started) * 1000
        except ExecutorError as exc:
            raise HostUnreachable(self.name, exc.message, exc.hint) from None
        return {
            "hostname": hostname.decode("utf-8", errors="replace").strip(),
            "transport": "ssh",
            "latency_ms": round(latency_ms, 2),
            "connect_ms": self._link.latency_ms,
            "reused": reused,
            "address": self.entry.address,
            "user": files.user,
            "sudo": self.entry.sudo,
            "file_access": type(files).__name__.removesuffix("Files").lower(),
        }

    def catalog(self) -> list[ToolSpec]:
        return [tool.spec for tool in load_catalog().values()]

    async def call_tool(self, name: str, arguments: JSON, *, approved: bool = False) -> JSON:
        try:
            await self._link.connection()
        except HostUnreachable as exc:
            return {
                "ok": False,
                "error": {
                    "code": "unavailable",
                    "message": f"{self.name}: {exc.message}",
                    "hint": exc.hint,
                },
            }
        return await call_tool(name, arguments, self._context, approved=approved)

    async def metrics(self) -> dict[str, Any]:
        try:
            return await self._metrics.sample()
        except ExecutorError as exc:
            raise HostUnreachable(self.name, f"metrics: {exc.message}", exc.hint) from None

    async def close(self) -> None:
        self._context.cache.clear()
        await self._executor.close()
        await self._link.close()
