"""A host managed by sfai-agent: the Host protocol over the agent's WebSocket JSON-RPC.

The agent is the enforcement point: it validates, judges by *its* policy, masks and
bounds every result before it leaves the server. This side adds what only the client
can do: pin the certificate, keep one connection and reconnect with backoff, bound every
wait, and mask results again with the conversation's redactor, so placeholders stay
stable across hosts and turns (and a secret an old agent missed still never reaches a
model, a screen or the store).

Failures of the transport are tool *results* (``unavailable``, ``timeout``), never
exceptions, and never a hang: a call in flight when the connection drops fails at once,
and a call the agent stops answering fails a little after the agent's own tool timeout.
"""

from __future__ import annotations

import time
from typing import Any

from sfai.core.config import Config
from sfai.core.host import HostUnreachable
from sfai.hosts.agent_client import AgentConnection, CallTimeout, ConnectionLost
from sfai.hosts.agent_link import AgentLink
from sfai.hosts.inventory import HostEntry
from sfai_agent.server import protocol
from sfai_agent.server.protocol import RpcError
from sfai_agent.tools.base import JSON, Masker, Risk, ToolSpec

METRICS_INTERVAL_S = 1.0
"""How often the agent pushes a metrics sample once subscribed (the sidebar's pace)."""
GOING_AWAY = 1001
"""The WebSocket close code an agent sends when it stops or restarts."""
PROBE_TIMEOUT_S = 3.0
"""After a call timed out: how long a ping may take before the connection is dropped."""


DEFAULT_GRACE_S = 5.0
"""The agent's own guard beyond a tool's timeout (``timeout_grace_s`` in its limits)."""


def call_timeout(tool_timeout_s: float, grace_s: float = DEFAULT_GRACE_S) -> float:
    """A little above the agent's own limits (the tool's timeout, then its guard), so the
    agent's ``timeout`` result, which says which tool and why, arrives first whenever the
    agent is still answering; only a silent agent or link runs into this one."""
    return tool_timeout_s + grace_s + 1.0


def unavailable(message: str, hint: str, code: str = "unavailable") -> JSON:
    return {"ok": False, "error": {"code": code, "message": message, "hint": hint}}


class AgentHost:
    """One inventory entry with ``agent = "wss://..."``. Connects on first use."""

    def __init__(self, entry: HostEntry, config: Config, *, redactor: Masker | None = None) -> None:
        self.name = entry.name
        self.entry = entry
        self._settings = config.tools
        self._redactor = redactor
        self._link = AgentLink(entry, on_notification=self._notified)
        self._subscribed: AgentConnection | None = None
        self._sample: dict[str, Any] | None = None
        self._sample_from: AgentConnection | None = None

    @property
    def redactor(self) -> Masker:
        if self._redactor is None:
            from sfai_agent.redact import Redactor

            self._redactor = Redactor()
        return self._redactor

    @property
    def link(self) -> AgentLink:
        return self._link

    # -- Host protocol -----------------------------------------------------------------
    async def connect(self) -> dict[str, Any]:
        already = self._link.current()
        connection = await self._link.connection()
        hello = self._link.hello
        assert hello is not None
        if connection is already:
            try:
                latency_ms = await connection.ping(PROBE_TIMEOUT_S) * 1000
            except (CallTimeout, ConnectionLost):
                connection.abort("no answer to a ping")
                return await self.connect()
        else:
            latency_ms = self._link.hello_ms
        facts = hello.host
        return {
            "hostname": facts.hostname,
            "transport": "agent",
            "latency_ms": round(latency_ms, 2),
            "connect_ms": round(self._link.connect_ms, 2),
            "address": self.entry.address,
            "fingerprint": self.entry.fingerprint,
            "agent_version": hello.agent_version,
            "protocol": hello.protocol,
            "os": facts.os,
            "kernel": facts.kernel,
            "arch": facts.arch,
            "cpus": facts.cpus,
            "boot_time": facts.boot_time,
            "actions_allowed": hello.actions_allowed,
            "tools": len(hello.catalog),
            "limits": dict(hello.limits),
        }

    def catalog(self) -> list[ToolSpec]:
        from sfai_agent.tools.catalog import load_catalog

        local = {tool.name: tool.spec for tool in load_catalog().values()}
        hello = self._link.hello
        if hello is None:
            return list(local.values())
        # The agent says *which* tools it offers; sfai describes and rates them itself.
        # A compromised agent must not word tool descriptions (they reach the model as
        # instructions, not framed data) nor rate risk and dry-run for the approval
        # prompt; a tool this sfai does not know is not offered to a model.
        specs = []
        for item in hello.catalog:
            spec = local.get(str(item.get("name"))) if isinstance(item, dict) else None
            if spec is not None and spec not in specs:
                specs.append(spec)
        return specs

    async def call_tool(self, name: str, arguments: JSON, *, approved: bool = False) -> JSON:
        params = {"name": name, "arguments": arguments, "approved": approved}
        for attempt in (1, 2):
            try:
                connection = await self._link.connection()
            except HostUnreachable as exc:
                return unavailable(f"{self.name}: {exc.message}", exc.hint)
            timeout = call_timeout(self._tool_timeout(name), self._grace())
            try:
                result = await connection.request("tools.call", params, timeout)
            except ConnectionLost as exc:
                if attempt == 1 and self._may_retry(name, exc):
                    continue
                return unavailable(
                    f"{self.name}: {exc.reason} while {name} was running; it may or may not "
                    "have completed there",
                    f"sfai reconnects on the next call; `sfai hosts test {self.name}` checks "
                    "the agent (an action's effect can be checked with a read-only tool)",
                )
            except CallTimeout:
                await self._probe(connection)
                return unavailable(
                    f"{self.name}: no answer from the agent to {name} within {timeout:g}s",
                    f"the agent or the network may be stuck; `sfai hosts test {self.name}`",
                    code="timeout",
                )
            except RpcError as exc:
                return _protocol_error(self.name, name, exc)
            break
        if not isinstance(result, dict) or not isinstance(result.get("ok"), bool):
            return unavailable(
                f"{self.name}: the agent's answer to {name} is not a tool result",
                "upgrade sfai and sfai-agent to the same version",
                code="internal",
            )
        masked: JSON = self.redactor.redact(result)
        return masked

    async def metrics(self) -> dict[str, Any]:
        """The newest pushed sample; subscribes on first use (and after a reconnect) and
        asks for one sample directly until the first notification arrives."""
        try:
            connection = await self._link.connection()
        except HostUnreachable as exc:
            raise HostUnreachable(self.name, exc.message, exc.hint) from None
        try:
            if self._subscribed is not connection:
                await connection.request(
                    "metrics.subscribe", {"interval_s": METRICS_INTERVAL_S}, PROBE_TIMEOUT_S
                )
                self._subscribed = connection
            fresh = self._sample_from is connection and self._sample is not None
            if fresh and self._sample is not None:
                age = time.monotonic() - float(self._sample.get("_received", 0.0))
                fresh = age < 3 * METRICS_INTERVAL_S + PROBE_TIMEOUT_S
            if fresh and self._sample is not None:
                sample = {k: v for k, v in self._sample.items() if k != "_received"}
            else:
                sample = await connection.request("metrics.sample", {}, 2 * PROBE_TIMEOUT_S)
        except (ConnectionLost, CallTimeout) as exc:
            if isinstance(exc, CallTimeout):
                await self._probe(connection)
            raise HostUnreachable(
                self.name, f"metrics: {exc}", "sfai reconnects on its own"
            ) from None
        except RpcError as exc:
            raise HostUnreachable(self.name, f"metrics: {exc.message}", "") from None
        if not isinstance(sample, dict):
            raise HostUnreachable(self.name, "metrics: the agent sent no sample", "")
        masked: dict[str, Any] = self.redactor.redact(sample)
        return masked

    async def close(self) -> None:
        self._subscribed = None
        await self._link.close()

    # -- helpers -----------------------------------------------------------------------
    def _notified(self, method: str, params: dict[str, Any]) -> None:
        if method == "metrics.sample":
            self._sample = {**params, "_received": time.monotonic()}
            self._sample_from = self._link.current()

    def _may_retry(self, name: str, lost: ConnectionLost) -> bool:
        """Once, on a new connection: a read-only call the agent dropped because it was
        going away (a restart, an upgrade). Reading twice changes nothing; an action is
        never replayed, since it may have run."""
        if lost.close_code != GOING_AWAY:
            return False
        return any(s.name == name and s.risk is Risk.READ_ONLY for s in self.catalog())

    def _tool_timeout(self, name: str) -> float:
        """The agent's bound for this tool: its announced limit for the tool's setting
        (``deploy_timeout_s``...), else ours, else its general ``tool_timeout_s``."""
        hello = self._link.hello
        limits = dict(hello.limits) if hello is not None else {}
        setting = "tool_timeout_s"
        for spec in self.catalog():
            if spec.name == name:
                setting = spec.timeout_setting
        announced = limits.get(setting)
        if isinstance(announced, (int, float)) and announced > 0:
            return float(announced)
        if setting != "tool_timeout_s":
            ours = getattr(self._settings, setting, None)
            if isinstance(ours, (int, float)) and ours > 0:
                return float(ours)
        general = limits.get("tool_timeout_s")
        if isinstance(general, (int, float)) and general > 0:
            return float(general)
        return float(self._settings.tool_timeout_s)

    def _grace(self) -> float:
        hello = self._link.hello
        grace = hello.limits.get("timeout_grace_s") if hello is not None else None
        return float(grace) if isinstance(grace, (int, float)) and grace >= 0 else DEFAULT_GRACE_S

    async def _probe(self, connection: AgentConnection) -> None:
        """A call timed out: if a ping is not answered either, the link is dead (stopped
        agent, dropped network); drop it so the next call reconnects instead of waiting."""
        try:
            await connection.ping(PROBE_TIMEOUT_S)
        except (CallTimeout, ConnectionLost):
            connection.abort("the agent stopped answering")


def _protocol_error(host: str, tool: str, exc: RpcError) -> JSON:
    if exc.code == protocol.BUSY:
        return unavailable(
            f"{host}: the agent is busy ({exc.message}); {tool} did not run",
            "fewer calls at once, or raise max_concurrent_calls in the agent's policy",
        )
    if exc.code == protocol.UNAUTHENTICATED:
        return unavailable(f"{host}: the agent refused the session: {exc.message}", "")
    return unavailable(
        f"{host}: the agent could not take {tool}: {exc.message}",
        "upgrade sfai and sfai-agent to the same version",
        code="internal",
    )
