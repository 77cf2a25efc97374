"""PM2 (Node.js process manager), through ``pm2 jlist``: one JSON array with status,
pid, start time, restart counter, exit code, working directory and log file paths.

Logs are the files PM2 writes (``pm_out_log_path``, ``pm_err_log_path``), read with the
executor's bounded tail rather than ``pm2 logs``, which follows forever. ``get_logs`` finds
an app and its log files with :func:`jlist` and :func:`log_files`, like ``recent_logs``.
"""

from __future__ import annotations

import json
from typing import Any

from sfai_agent.exec.base import ExecutorError
from sfai_agent.policy.credentials import is_credential_path
from sfai_agent.tools import managers
from sfai_agent.tools.base import ToolContext, ToolError
from sfai_agent.tools.logtime import iso_utc
from sfai_agent.tools.managers import ManagerProbe, ServiceRecord

NAME = "pm2"
JLIST_MAX_BYTES = 8 * 1_048_576
"""``pm2 jlist`` prints every app's whole environment: a few dozen apps pass 1 MiB."""
TAIL_BYTES = 256_000
_STATES = {
    "online": "running",
    "launching": "starting",
    "errored": "failed",
    "waiting restart": "failed",
    "stopped": "stopped",
    "stopping": "stopped",
    "one-launch-status": "stopped",
}


def _json_array(output: str) -> list[dict[str, Any]]:
    """The JSON array in ``pm2 jlist`` output (PM2 may print notices around it)."""
    start, end = output.find("["), output.rfind("]")
    if start < 0 or end < start:
        raise ValueError(f"no JSON list in pm2 jlist output: {managers.first_line(output)!r}")
    data = json.loads(output[start : end + 1])
    if not isinstance(data, list):
        raise ValueError("pm2 jlist did not return a list")
    return [item for item in data if isinstance(item, dict)]


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_jlist(output: str, at: float) -> list[ServiceRecord]:
    records: list[ServiceRecord] = []
    for proc in _json_array(output):
        env = proc.get("pm2_env")
        if not isinstance(env, dict):
            env = {}
        raw = str(env.get("status", "unknown"))
        state = _STATES.get(raw, "unknown")
        record = ServiceRecord(
            name=str(proc.get("name", "")),
            manager=NAME,
            state=state,
            raw_state=raw,
            description=str(env.get("pm_exec_path") or ""),
            restarts=_int(env.get("restart_time")),
        )
        pid = _int(proc.get("pid"))
        record.pid = pid if pid else None
        started_ms = _int(env.get("pm_uptime"))
        if state == "running" and started_ms:
            record.since = iso_utc(started_ms / 1000)
            record.uptime_s = max(int(at - started_ms / 1000), 0)
        elif state != "starting":
            record.exit_code = _int(env.get("exit_code"))
        for key, detail in (
            ("pm_cwd", "cwd"),
            ("pm_out_log_path", "out_log"),
            ("pm_err_log_path", "err_log"),
            ("namespace", "namespace"),
            ("exec_mode", "exec_mode"),
        ):
            if env.get(key) not in (None, ""):
                record.details[detail] = str(env[key])
        if _int(proc.get("pm_id")) is not None:
            record.details["pm_id"] = str(proc["pm_id"])
        if record.name:
            records.append(record)
    return records


async def probe(ctx: ToolContext) -> ManagerProbe:
    if await ctx.executor.which("pm2") is None:
        return managers.unavailable(NAME, "pm2 is not on PATH")
    return await jlist(ctx)


async def jlist(ctx: ToolContext) -> ManagerProbe:
    """The apps ``pm2 jlist`` reports (pm2 known to be installed), or why it did not answer.
    Raises ``ValueError`` when its output holds no JSON list of apps."""
    result = await managers.run(ctx, ["pm2", "jlist"], max_output=JLIST_MAX_BYTES)
    if not result.ok:
        return managers.unavailable(
            NAME, f"pm2 jlist failed: {managers.first_line(result.stderr, result.stdout)}"
        )
    return ManagerProbe(
        name=NAME, available=True, records=parse_jlist(result.stdout, managers.now())
    )


async def log_files(ctx: ToolContext, record: ServiceRecord) -> dict[str, str]:
    """``{"out": path, "err": path}``: the app's log files, symlinks resolved; a stream
    sent to /dev/null (or nowhere) is left out. PM2 writes wherever the app's config says,
    so a path that resolves into a credential location is refused (``ToolError``)."""
    files: dict[str, str] = {}
    for stream, key in (("out", "out_log"), ("err", "err_log")):
        given = record.details.get(key, "")
        if not given.startswith("/") or given == "/dev/null":
            continue
        path = await ctx.executor.realpath(given)
        if is_credential_path(path):
            raise ToolError("refused_by_policy", f"pm2's log {path} is a credential location")
        files[stream] = path
    return files


async def recent_logs(ctx: ToolContext, record: ServiceRecord, lines: int) -> list[str]:
    """The end of the app's out and error log files (errors last)."""
    streams: dict[str, list[str]] = {"out": [], "err": []}
    for stream, path in (await log_files(ctx, record)).items():
        try:
            tail = await ctx.executor.read_tail(path, lines=lines, max_bytes=TAIL_BYTES)
        except ExecutorError:
            continue  # not written yet
        streams[stream] = [line for line in tail.lines if line.strip()]
    return managers.merge_streams(streams["out"], streams["err"], lines, ("stdout", "stderr"))
