"""Docker containers, through the docker CLI: ``docker ps -a`` for the list (and to learn
that the daemon answers), one ``docker inspect`` for pids, start times, restart counters and
exit codes.

A docker client without a reachable daemon is common (rootless setups, stopped daemon,
no permission on the socket): the daemon's own error becomes the ``reason``.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sfai_agent.tools import managers
from sfai_agent.tools.base import ToolContext
from sfai_agent.tools.logtime import iso_utc
from sfai_agent.tools.managers import ManagerProbe, ServiceRecord

NAME = "docker"
_FAILED_STATES = ("restarting", "dead")
_STOPPED_STATES = ("created", "paused", "removing")


def _timestamp(value: object) -> float | None:
    """Docker's RFC 3339 nano timestamps; the zero time (``0001-01-01``) means never."""
    if not isinstance(value, str) or not value or value.startswith("0001-"):
        return None
    text = value.replace("Z", "+00:00")
    if "." in text:  # Python parses at most microseconds
        head, _, rest = text.partition(".")
        digits = "".join(c for c in rest if c.isdigit())
        text = f"{head}.{digits[:6]}{rest[len(digits) :]}"
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _iso(timestamp: float | None) -> str | None:
    return iso_utc(timestamp) if timestamp is not None else None


def _state(raw: str, exit_code: int | None) -> str:
    if raw == "running":
        return "running"
    if raw in _FAILED_STATES:
        return "failed"
    if raw == "exited":
        return "failed" if exit_code else "stopped"
    if raw in _STOPPED_STATES:
        return "stopped"
    return "unknown"


def _exit_from_status(status: str) -> int | None:
    """``Exited (137) 3 minutes ago`` or ``Restarting (1) 5 seconds ago`` → the code."""
    for prefix in ("Exited (", "Restarting ("):
        if status.startswith(prefix) and ")" in status:
            code = status[len(prefix) : status.index(")")]
            return int(code) if code.lstrip("-").isdigit() else None
    return None


def build_records(
    ps_output: str, inspected: list[dict[str, Any]], at: float
) -> list[ServiceRecord]:
    by_id = {str(item.get("Id", "")): item for item in inspected}
    records: list[ServiceRecord] = []
    for line in ps_output.splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        container_id = str(row.get("ID", ""))
        name = str(row.get("Names", "")).split(",")[0].lstrip("/")
        info = by_id.get(container_id, {})
        state_info = _dict(info.get("State"))
        raw = str(row.get("State") or state_info.get("Status") or "unknown")
        exit_code = state_info.get("ExitCode")
        if not isinstance(exit_code, int):
            exit_code = _exit_from_status(str(row.get("Status", "")))
        health = _dict(state_info.get("Health")).get("Status")
        state = _state(raw, exit_code)
        record = ServiceRecord(
            name=name,
            manager=NAME,
            state=state,
            raw_state=f"{raw} ({health})" if health else raw,
            description=str(row.get("Image", "")),
            details={"container_id": container_id, "status": str(row.get("Status", ""))},
            aliases=(container_id, container_id[:12]),
        )
        restarts = info.get("RestartCount")
        record.restarts = restarts if isinstance(restarts, int) else None
        pid = state_info.get("Pid")
        record.pid = pid if isinstance(pid, int) and pid > 0 else None
        started = _timestamp(state_info.get("StartedAt"))
        if state == "running":
            record.since = _iso(started)
            record.uptime_s = max(int(at - started), 0) if started is not None else None
        else:
            record.since = _iso(_timestamp(state_info.get("FinishedAt")))
            record.exit_code = exit_code if raw in ("exited", "dead", "restarting") else None
        labels = row.get("Labels")
        for label in (labels if isinstance(labels, str) else "").split(","):
            key, _, value = label.partition("=")
            if key == "com.docker.compose.project.working_dir" and value:
                record.details["cwd"] = value
            elif key == "com.docker.compose.project" and value:
                record.details["compose_project"] = value
        if name:
            records.append(record)
    return records


async def probe(ctx: ToolContext) -> ManagerProbe:
    if await ctx.executor.which("docker") is None:
        return managers.unavailable(NAME, "docker is not on PATH")
    listing = await managers.run(
        ctx, ["docker", "ps", "-a", "--no-trunc", "--format", "{{json .}}"]
    )
    if not listing.ok:
        gist = managers.first_line(listing.stderr, listing.stdout) or f"exit {listing.returncode}"
        return managers.unavailable(NAME, f"the docker daemon is not answering: {gist}")
    ids = [
        str(json.loads(line).get("ID", "")) for line in listing.stdout.splitlines() if line.strip()
    ]
    inspected: list[dict[str, Any]] = []
    if ids:
        details = await managers.run(ctx, ["docker", "inspect", "--type", "container", *ids])
        if details.stdout.strip().startswith("["):
            data = json.loads(details.stdout)
            inspected = [item for item in data if isinstance(item, dict)]
    return ManagerProbe(
        name=NAME, available=True, records=build_records(listing.stdout, inspected, managers.now())
    )


async def recent_logs(ctx: ToolContext, record: ServiceRecord, lines: int) -> list[str]:
    """``docker logs --tail N --timestamps``; stdout and stderr merged back in time order."""
    target = record.details.get("container_id") or record.name
    result = await managers.run(
        ctx, ["docker", "logs", "--tail", str(lines), "--timestamps", target]
    )
    merged = [line for line in (result.stdout + "\n" + result.stderr).splitlines() if line.strip()]
    return sorted(merged)[-lines:]
