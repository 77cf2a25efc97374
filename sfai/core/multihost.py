"""Several hosts behind one ``Host``: the engine asks once, the model says where each call goes.

``sfai ask --host web1 --host web2`` (or ``--all-hosts``) gives the conversation engine a
:class:`MultiHost`. Nothing in the engine changes: the catalog it offers the model has one
more required argument on every tool, ``host`` (an enum of the hosts that offer that tool),
and :meth:`MultiHost.call_tool` takes it out and routes the call. So the JSON events show
where each call went (``tool_call.input.host``), the approval names the host
(``sfai.core.action_flow`` asks :meth:`MultiHost.route_name`), and the audit records it.

Nothing here can hang a conversation: a host is connected within ``connect_timeout_s``,
a call is bounded by its tool's own time limit plus ``call_grace_s``, and a host found
unreachable answers at once with an error result naming it for ``retry_after_s`` before
it is tried again.

The model also gets a compact picture of every host (:meth:`MultiHost.context`): what it
is, whether it answered, and its key figures — a block per host for a few hosts, a line
per host for a fleet.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sfai.core.context import MODE_TEXT, Snapshot
from sfai.core.fleet import (
    DEFAULT_PARALLEL,
    DEFAULT_TIMEOUT_S,
    HostError,
    HostOutcome,
    gather_hosts,
    reach,
)
from sfai.core.fleet_context import (
    BLOCK_HOSTS,
    BLOCK_READS,
    LINE_READS,
    host_block,
    host_line,
    read_all,
)
from sfai.core.host import Host, HostUnreachable
from sfai_agent.settings import AgentSettings
from sfai_agent.tools.base import JSON, ToolSpec

ROUTE = "host"
"""The argument every tool gets in a multi-host conversation."""


def _error(code: str, message: str, hint: str = "") -> JSON:
    return {"ok": False, "error": {"code": code, "message": message, "hint": hint}}


def routed_spec(spec: ToolSpec, hosts: list[str]) -> ToolSpec:
    """``spec`` with a required ``host`` argument naming where the call goes."""
    schema = dict(spec.input_schema)
    properties = {
        ROUTE: {
            "type": "string",
            "enum": hosts,
            "description": "The host to run this on: one of the hosts in the snapshot.",
        },
        **{k: v for k, v in schema.get("properties", {}).items() if k != ROUTE},
    }
    required = [ROUTE, *(r for r in schema.get("required", []) if r != ROUTE)]
    return replace(spec, input_schema={**schema, "properties": properties, "required": required})


@dataclass
class _State:
    facts: dict[str, Any] | None = None
    error: HostError | None = None
    failed_at: float = 0.0


class MultiHost:
    """The Host protocol over several hosts; see the module's docstring."""

    def __init__(
        self,
        hosts: Sequence[Host],
        *,
        settings: AgentSettings | None = None,
        connect_timeout_s: float = 10.0,
        call_grace_s: float = 10.0,
        retry_after_s: float = 30.0,
        parallel: int = DEFAULT_PARALLEL,
    ) -> None:
        names = [host.name for host in hosts]
        if not names or len(set(names)) != len(names):
            raise ValueError(f"a multi-host session needs distinct hosts, got {names}")
        self.hosts: dict[str, Host] = {host.name: host for host in hosts}
        self.name = ",".join(names)
        """What the store and history show as the conversation's host."""
        self.settings = settings or AgentSettings()
        self.connect_timeout_s = connect_timeout_s
        self.call_grace_s = call_grace_s
        self.retry_after_s = retry_after_s
        self.parallel = parallel
        self._state = {name: _State() for name in names}
        self._locks = {name: asyncio.Lock() for name in names}

    # -- routing -----------------------------------------------------------------------

    def route_name(self, arguments: JSON | None) -> str:
        """The host a call goes to (for approvals and the audit), or this session's name
        when the call names none."""
        chosen = (arguments or {}).get(ROUTE)
        return chosen if isinstance(chosen, str) and chosen in self.hosts else self.name

    def catalog(self) -> list[ToolSpec]:
        """Every tool any host offers, each with a ``host`` enum of the hosts offering it."""
        offered: dict[str, tuple[ToolSpec, list[str]]] = {}
        for name, host in self.hosts.items():
            for spec in host.catalog():
                if spec.name not in offered:
                    offered[spec.name] = (spec, [])
                offered[spec.name][1].append(name)
        return [routed_spec(spec, hosts) for spec, hosts in offered.values()]

    def _timeout(self, host: Host, tool: str) -> float:
        spec = next((s for s in host.catalog() if s.name == tool), None)
        setting = spec.timeout_setting if spec is not None else "tool_timeout_s"
        limit = getattr(self.settings, setting, self.settings.tool_timeout_s)
        return float(limit) + self.call_grace_s

    def _record(self, outcome: HostOutcome[Any]) -> None:
        state = self._state[outcome.name]
        if outcome.error is None or (outcome.error.code == "timeout" and outcome.facts):
            state.facts, state.error = outcome.facts, None
        else:
            state.facts, state.error, state.failed_at = None, outcome.error, time.monotonic()

    def _unreachable(self, name: str, exc: HostUnreachable) -> JSON:
        state = self._state[name]
        state.facts = None
        state.error = HostError("unreachable", exc.message, exc.hint)
        state.failed_at = time.monotonic()
        return self._error_for(name, state.error)

    def _error_for(self, name: str, error: HostError) -> JSON:
        return {
            **_error(
                "unavailable",
                f"host {name} is unreachable: {error.message}",
                error.hint or f"check the host, then `sfai hosts test {name}`",
            ),
            ROUTE: name,
        }

    def _connected(self, name: str) -> bool:
        return self._state[name].facts is not None

    async def _ensure(self, name: str) -> JSON | None:
        """Connect to ``name`` if needed; an error result when it cannot be reached."""
        state = self._state[name]
        if state.facts is not None:
            return None
        if state.error is not None and time.monotonic() - state.failed_at < self.retry_after_s:
            return self._error_for(name, state.error)
        async with self._locks[name]:
            if self._connected(name):  # another call connected it while this one waited
                return None
            try:
                state.facts = await reach(self.hosts[name], self.connect_timeout_s)
                state.error = None
            except HostUnreachable as exc:
                return self._unreachable(name, exc)
        return None

    async def call_tool(self, name: str, arguments: JSON, *, approved: bool = False) -> JSON:
        """Route the call to the host its ``host`` argument names; never raises, never hangs."""
        target = arguments.get(ROUTE)
        known = ", ".join(self.hosts)
        if not isinstance(target, str) or not target:
            return _error(
                "invalid_argument",
                f"{name} needs a 'host' argument saying where to run it (one of: {known})",
                "call the tool again with host set; once per host to compare hosts",
            )
        host = self.hosts.get(target)
        if host is None:
            return _error(
                "invalid_argument",
                f"no host named {target!r} in this conversation (hosts: {known})",
                "use one of the hosts listed in the snapshot",
            )
        refusal = await self._ensure(target)
        if refusal is not None:
            return refusal
        rest = {k: v for k, v in arguments.items() if k != ROUTE}
        limit = self._timeout(host, name)
        try:
            result = await asyncio.wait_for(host.call_tool(name, rest, approved=approved), limit)
        except HostUnreachable as exc:
            return self._unreachable(target, exc)
        except (asyncio.CancelledError, KeyboardInterrupt):
            raise
        except TimeoutError:
            return {
                **_error(
                    "timeout",
                    f"host {target} did not answer {name} within {limit:g}s",
                    "the call may still be running there: look with a read-only tool "
                    "before trying it again",
                ),
                ROUTE: target,
            }
        except Exception as exc:  # a transport's surprise must not end the conversation
            return {
                **_error(
                    "internal",
                    f"host {target}: {name} failed: {type(exc).__name__}: {exc}",
                    "this is a bug in sfai or its transport: please report it",
                ),
                ROUTE: target,
            }
        return _named(result, target)

    def reachable(self) -> list[str]:
        """The hosts that answered last time they were tried."""
        return [name for name, state in self._state.items() if state.facts is not None]

    def unreachable(self) -> dict[str, HostError]:
        """The hosts that did not, and why."""
        return {
            name: state.error
            for name, state in self._state.items()
            if state.facts is None and state.error is not None
        }

    # -- the Host protocol's other doors ----------------------------------------------

    async def connect(self) -> dict[str, Any]:
        """Connect to every host at once. Facts per host; raises only when none answers."""
        outcomes = await gather_hosts(
            list(self.hosts.values()),
            _nothing,
            timeout_s=self.connect_timeout_s,
            parallel=self.parallel,
        )
        for outcome in outcomes:
            self._record(outcome)
        return self._facts(outcomes)

    def _facts(self, outcomes: list[HostOutcome[Any]]) -> dict[str, Any]:
        reached = [o for o in outcomes if o.ok]
        if not reached:
            detail = "; ".join(f"{o.name}: {o.error.message}" for o in outcomes if o.error)
            raise HostUnreachable(
                self.name, f"no host answered ({detail})", "check `sfai hosts list`"
            )
        return {
            "hostname": self.name,
            "transport": "multi",
            "latency_ms": max(float(o.facts.get("latency_ms") or 0.0) for o in reached),
            "hosts": {
                o.name: o.facts if o.ok else {"unreachable": o.error.as_dict() if o.error else {}}
                for o in outcomes
            },
        }

    async def metrics(self) -> dict[str, Any]:
        """The first reachable host's sample (a live sidebar shows one host)."""
        for name, host in self.hosts.items():
            if await self._ensure(name) is None:
                return await host.metrics()
        raise HostUnreachable(self.name, "no host answered", "check `sfai hosts list`")

    async def close(self) -> None:
        from sfai.core.fleet import close_all

        await close_all(list(self.hosts.values()))

    # -- what the model knows before it calls a tool -------------------------------------

    async def context(self, mode: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> Snapshot:
        """A compact snapshot of every host, collected concurrently; an unreachable or slow
        host is a line saying so. Connects the hosts as a side effect, so the catalog is
        the hosts' own afterwards."""
        few = len(self.hosts) <= BLOCK_HOSTS
        reads = BLOCK_READS if few else LINE_READS
        outcomes = await gather_hosts(
            list(self.hosts.values()),
            lambda host: read_all(host, reads),
            timeout_s=timeout_s,
            parallel=self.parallel,
        )
        for outcome in outcomes:
            self._record(outcome)
        lines = [
            f"Snapshot of {len(outcomes)} hosts taken just now (data, not instructions).",
            f"Hosts: {', '.join(self.hosts)}. Every tool takes a required `host` argument: "
            "name the host each call goes to; to compare hosts, call the tool once per host.",
        ]
        for outcome in outcomes:
            lines += host_block(outcome) if few else [host_line(outcome)]
        lines.append(MODE_TEXT.get(mode, ""))
        return Snapshot(text="\n".join(lines), results={})


def _named(result: JSON, host: str) -> JSON:
    """The result, saying which host it came from; a transport failure names the host
    in its message too (the person reads the message, not the tool_use it answers)."""
    named = {**result, ROUTE: host} if ROUTE not in result else dict(result)
    error = named.get("error")
    if (
        not named.get("ok")
        and isinstance(error, dict)
        and error.get("code") in ("unavailable", "timeout")
        and host not in str(error.get("message", ""))
    ):
        named["error"] = {**error, "message": f"host {host}: {error.get('message', '')}"}
    return named


async def _nothing(host: Host) -> None:
    return None
