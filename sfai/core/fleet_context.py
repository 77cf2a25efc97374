"""What the model reads about several hosts before it calls a tool: a few lines each.

The single-host snapshot (:func:`sfai.core.context.host_context`) has a handful of lines;
N hosts must not cost N times that on every request, so up to ``BLOCK_HOSTS`` hosts get a
block each (the same lines as one host, under a heading with what the host is and how it
is reached), and a fleet gets one line per host with the figures that tell a sick host
apart. A host that did not answer is a line saying so.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from sfai.core.context import (
    _apps_lines,
    _disk_line,
    _memory_line,
    _services_line,
    _system_line,
)
from sfai.core.fleet import HostOutcome
from sfai.core.host import Host
from sfai_agent.tools.base import JSON

BLOCK_HOSTS = 4
"""Up to this many hosts, the snapshot has a block per host; beyond, a line per host."""
BLOCK_READS = (
    "get_system_overview",
    "get_memory_status",
    "get_disk_usage",
    "list_services",
    "list_apps",
)
LINE_READS = ("get_system_overview", "get_disk_usage", "list_services")
"""A fleet's line needs less: the overview carries the memory figure too."""


async def read_all(host: Host, tools: Sequence[str]) -> dict[str, JSON]:
    results = await asyncio.gather(*(host.call_tool(name, {}) for name in tools))
    return dict(zip(tools, results, strict=True))


def _heading(outcome: HostOutcome[dict[str, JSON]]) -> str:
    if outcome.error is not None:
        what = {"unreachable": "UNREACHABLE", "timeout": "NO ANSWER"}.get(
            outcome.error.code, "FAILED"
        )
        return (
            f"{outcome.name}: {what}: {outcome.error.message} "
            "(its tools answer with an error until it is back)"
        )
    facts = outcome.facts
    parts = [str(facts.get("hostname") or "?"), str(facts.get("transport") or "?")]
    latency = facts.get("latency_ms")
    if isinstance(latency, (int, float)) and facts.get("transport") != "local":
        parts.append(f"{latency:.0f} ms away")
    return f"{outcome.name} ({', '.join(parts)})"


def host_block(outcome: HostOutcome[dict[str, JSON]]) -> list[str]:
    """A few lines about one host: the single-host snapshot's lines, under a heading."""
    lines = ["", "## " + _heading(outcome)]
    if outcome.value is None:
        return lines
    renderers: dict[str, Any] = {
        "get_system_overview": lambda r: [_system_line(r)],
        "get_memory_status": lambda r: [_memory_line(r)],
        "get_disk_usage": lambda r: [_disk_line(r)],
        "list_services": lambda r: [_services_line(r)],
        "list_apps": _apps_lines,
    }
    for name, result in outcome.value.items():
        if result.get("ok"):
            lines += renderers[name](result)
        else:
            message = (result.get("error") or {}).get("message", "")
            lines.append(f"({name} unavailable: {message})")
    return lines


def host_line(outcome: HostOutcome[dict[str, JSON]]) -> str:
    """One line about one host, for fleets: the figures that tell a sick host apart."""
    if outcome.value is None:
        return "- " + _heading(outcome)
    value = outcome.value
    parts: list[str] = []
    overview = value.get("get_system_overview", {})
    if overview.get("ok"):
        parts.append(
            f"load {overview.get('load_1m', '?')} on {overview.get('cpu_count', '?')} CPUs"
        )
    if overview.get("ok"):
        memory = overview.get("memory") or {}
        parts.append(f"mem {float(memory.get('used_percent') or 0):.0f}%")
    disk = value.get("get_disk_usage", {})
    if disk.get("ok"):
        fullest = sorted(
            disk.get("filesystems", []), key=lambda fs: -float(fs.get("used_percent") or 0)
        )[:2]
        parts.append(
            "disk "
            + (
                ", ".join(
                    f"{fs.get('mountpoint')} {float(fs.get('used_percent') or 0):.0f}%"
                    for fs in fullest
                )
                or "?"
            )
        )
    services = value.get("list_services", {})
    if services.get("ok"):
        failed = [
            str(r.get("name")) for r in services.get("services", []) if r.get("state") == "failed"
        ]
        parts.append("failed: " + ", ".join(failed[:5]) if failed else "no failed service")
    missing = [name for name, result in value.items() if not result.get("ok")]
    if missing:
        parts.append("unavailable: " + ", ".join(missing))
    return f"- {_heading(outcome)}: " + "; ".join(parts)
