"""Reaching hosts to report on them: `sfai hosts list` (all at once) and `sfai hosts test`.

Every probe is bounded (``timeout`` per host) and never raises: a host that cannot be
reached, refuses us or cannot even be opened (a transport this build lacks) becomes a
row with ``reachable: false``, the reason and what to do. Hosts are probed concurrently
(at most ``PARALLEL`` at once), so one dead host costs one timeout, not one per host.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from typing import Any

from sfai.core.config import Config
from sfai.core.host import Host, HostUnreachable
from sfai.hosts.inventory import HostEntry

PARALLEL = 32
CLOSE_TIMEOUT_S = 3.0


def _row(entry: HostEntry) -> dict[str, Any]:
    return {
        "name": entry.name,
        "transport": entry.transport,
        "address": entry.address,
        "tags": list(entry.tags),
        "reachable": None,
        "latency_ms": None,
        "connect_ms": None,
        "hostname": None,
        "error": None,
        "hint": None,
    }


async def probe(
    entry: HostEntry, config: Config, timeout: float, tools: Sequence[str] = ()
) -> dict[str, Any]:
    """Connect to one host (and time the first of ``tools`` it offers, if any)."""
    from sfai.hosts import open_entry

    row = _row(entry)
    try:
        host = open_entry(entry, config)
    except NotImplementedError:
        row.update(
            reachable=False,
            error=f"this build of sfai cannot reach {entry.transport} hosts yet",
            hint="upgrade sfai",
        )
        return row
    try:
        started = time.perf_counter()
        try:
            facts = await asyncio.wait_for(host.connect(), timeout)
        except HostUnreachable as exc:
            row.update(reachable=False, error=exc.message, hint=exc.hint)
            return row
        except TimeoutError:
            row.update(
                reachable=False,
                error=f"no answer within {timeout:g}s",
                hint=f"`sfai hosts test {entry.name} --timeout 30` waits longer",
            )
            return row
        except Exception as exc:  # a transport's bug must not hide the other hosts
            row.update(reachable=False, error=f"{type(exc).__name__}: {exc}")
            return row
        row.update(
            reachable=True,
            latency_ms=facts.get("latency_ms"),
            connect_ms=round((time.perf_counter() - started) * 1000, 2),
            hostname=facts.get("hostname"),
            facts=facts,
        )
        if tools:
            row["tool"] = await _time_tool(host, tools, timeout)
        return row
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(host.close(), CLOSE_TIMEOUT_S)


async def _time_tool(host: Host, tools: Sequence[str], timeout: float) -> dict[str, Any]:
    offered = {spec.name for spec in host.catalog()}
    name = next((tool for tool in tools if tool in offered), None)
    if name is None:
        return {"name": None, "ok": False, "error": "the host offers none of " + ", ".join(tools)}
    started = time.perf_counter()
    try:
        result = await asyncio.wait_for(host.call_tool(name, {}), timeout + 60)
    except TimeoutError:
        return {"name": name, "ok": False, "error": "no answer"}
    elapsed = round((time.perf_counter() - started) * 1000, 2)
    error = result.get("error") or {}
    return {
        "name": name,
        "ok": bool(result.get("ok")),
        "round_trip_ms": elapsed,
        "error": None if result.get("ok") else error.get("message"),
    }


async def probe_all(
    entries: Sequence[HostEntry], config: Config, timeout: float, *, check: bool = True
) -> list[dict[str, Any]]:
    """One row per host, in inventory order; with ``check``, all probed concurrently."""
    if not check:
        return [_row(entry) for entry in entries]
    gate = asyncio.Semaphore(PARALLEL)

    async def bounded(entry: HostEntry) -> dict[str, Any]:
        async with gate:
            row = await probe(entry, config, timeout)
        row.pop("facts", None)
        return row

    return list(await asyncio.gather(*(bounded(entry) for entry in entries)))
