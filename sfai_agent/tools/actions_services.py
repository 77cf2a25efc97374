"""Actions on services: ``restart_service`` and ``restart_failed_service``.

Both find the service as ``get_service_status`` does (every configured manager, first match
in settings order, ``manager:NAME`` to pick one), show in a dry-run the exact command and the
current state, and in a real run execute the manager's own restart command, then watch the
service through its manager for up to ``restart_verify_s`` seconds:

- ``verified: true`` once it has been seen running for ``STABLE_S`` seconds as a new process
  (another pid, or an uptime that started after the command when there is no pid);
- ``verified: false`` when it is not running at the end (or stops early in a state it will
  not leave on its own, such as supervisord's FATAL), or still runs as the old process.

A restart that ran but left the service not running is ``ok: true`` with ``verified: false``,
a summary that says so and the service's last log lines: the action was carried out, it did
not fix the service. The engine records ``ai.action.failed`` for it. Only a restart that
cannot be attempted (unknown service, invalid name, no manager, not failed for
``restart_failed_service``) is an error.
"""

from __future__ import annotations

import asyncio
import time

from sfai_agent.exec.base import CommandResult, ExecutorError
from sfai_agent.policy.identifiers import service_name
from sfai_agent.tools import managers
from sfai_agent.tools.base import JSON, Risk, ToolContext, ToolError, object_schema, register
from sfai_agent.tools.managers import (
    ServiceRecord,
    recent_logs,
)
from sfai_agent.tools.managers import supervisor as supervisor_manager
from sfai_agent.tools.services import (
    find_service,
    human_duration,
    render_status,
)

LOG_LINES = 20
POLL_S = 0.5
STABLE_S = 1.0
"""A restarted service must be seen running as the same new process this long."""
_PROBES_CACHE_KEY = "services.probes"
_SETTLED_RAW_STATES = frozenset(
    {"FATAL", "STOPPED", "failed", "inactive", "errored", "stopped", "exited", "dead"}
)
"""Raw states (first word) a service does not leave by itself: supervisord's FATAL, systemd's
failed, PM2's errored, docker's exited... Watching longer would not change the verdict."""

_SERVICE_ARG = {
    "service": {
        "type": "string",
        "minLength": 1,
        "maxLength": 140,
        "description": "The service name as list_services shows it (nginx, worker, docker:web).",
    }
}
_DRY_RUN_ARG = {
    "dry_run": {
        "type": "boolean",
        "default": True,
        "description": "true: only show the command and the current state (no approval needed).",
    }
}


def restart_argv(ctx: ToolContext, record: ServiceRecord) -> list[str]:
    """The manager's own restart command for ``record`` (an argv, never a shell string)."""
    if record.name == "all" and record.manager in ("supervisor", "pm2"):
        raise ToolError(
            "invalid_argument",
            f"{record.manager} reads 'all' as every program, not the one named all",
            "restart the others one by one",
        )
    if record.manager == "systemd":
        return ["systemctl", "restart", record.details.get("unit", f"{record.name}.service")]
    if record.manager == "supervisor":
        return [*supervisor_manager._base_argv(ctx), "restart", record.name]
    if record.manager == "pm2":
        # pm2 reads a number as a process id: a numeric name is addressed by its own id
        numeric = record.name.isdigit() and record.details.get("pm_id")
        return ["pm2", "restart", record.details["pm_id"] if numeric else record.name]
    if record.manager == "docker":
        return ["docker", "restart", record.name]
    raise ToolError("unavailable", f"sfai cannot restart services of {record.manager}")


def reset_argv(record: ServiceRecord) -> list[str] | None:
    """systemd refuses to start a unit that hit its start limit until ``reset-failed``."""
    if record.manager == "systemd" and record.state == "failed":
        return ["systemctl", "reset-failed", record.details.get("unit", f"{record.name}.service")]
    return None


def _restart_timeout(ctx: ToolContext) -> float:
    """Room for the restart command inside the tool's own time limit, keeping the verify
    window and a margin; never below the usual command timeout."""
    settings = ctx.settings
    room = settings.tool_timeout_s - settings.restart_verify_s - 5.0
    return max(settings.command_timeout_s, room)


def snapshot(record: ServiceRecord | None) -> JSON:
    if record is None:
        return {"state": "missing", "raw_state": "", "pid": None, "uptime_s": None}
    return {
        "state": record.state,
        "raw_state": record.raw_state,
        "pid": record.pid,
        "uptime_s": record.uptime_s,
    }


def describe(record: ServiceRecord | None) -> str:
    """``running, pid 123, up 4m`` / ``failed (FATAL)``: a state a person reads at a glance."""
    if record is None:
        return "no longer listed by its manager"
    raw = f" ({record.raw_state})" if record.raw_state.lower() != record.state else ""
    text = f"{record.state}{raw}"
    if record.pid is not None:
        text += f", pid {record.pid}"
    if record.uptime_s is not None:
        text += f", up {human_duration(record.uptime_s)}"
    return text


async def _logs(ctx: ToolContext, record: ServiceRecord) -> tuple[list[str], str]:
    try:
        return await recent_logs(ctx, record, LOG_LINES), ""
    except (ExecutorError, ToolError) as exc:
        return [], exc.message


async def _current(ctx: ToolContext, before: ServiceRecord) -> tuple[ServiceRecord | None, bool]:
    """The service as its manager reports it now (that manager only, never the cache), and
    whether the manager answered at all (a slow answer is no verdict)."""
    probe = await managers._probe_one(ctx, before.manager)
    # PM2 cluster instances share a name: follow the same instance (its pm_id)
    same = [r for r in probe.records if r.name == before.name]
    instance = before.details.get("pm_id")
    found = next((r for r in same if r.details.get("pm_id") == instance), None)
    return found or (same[0] if same else None), probe.available


def _settled(record: ServiceRecord | None) -> bool:
    return record is None or record.raw_state.split(" ")[0] in _SETTLED_RAW_STATES


def _is_new_process(before: ServiceRecord, after: ServiceRecord, elapsed_s: float) -> bool:
    if before.state not in ("running", "starting"):
        return True
    if before.pid is not None and after.pid is not None:
        return after.pid != before.pid
    if after.uptime_s is not None:
        return after.uptime_s <= elapsed_s + 2
    return True  # the manager says nothing we could compare: running is all we can check


async def watch(
    ctx: ToolContext, before: ServiceRecord, started: float
) -> tuple[ServiceRecord | None, bool]:
    """Poll the manager until the service runs stably as a new process, settles in a state
    it will not leave, or ``restart_verify_s`` passes. Returns the last record and whether
    the restart is verified."""
    deadline = time.monotonic() + ctx.settings.restart_verify_s
    stable_since: tuple[int | None, float] | None = None
    while True:
        now = time.monotonic()
        current, answered = await _current(ctx, before)
        if current is not None and current.state == "running":
            if _is_new_process(before, current, now - started):
                if stable_since is None or stable_since[0] != current.pid:
                    stable_since = (current.pid, now)
                elif now - stable_since[1] >= STABLE_S:
                    return current, True
            else:
                stable_since = None
        else:
            stable_since = None
            if answered and _settled(current) and now - started >= STABLE_S:
                return current, False
        if now >= deadline:
            return current, False
        await asyncio.sleep(POLL_S)


def _output_gist(result: CommandResult) -> str:
    lines = [line.strip() for line in (result.stdout + "\n" + result.stderr).splitlines()]
    return "; ".join(line for line in lines if line)[:300]


def _last_error(logs: list[str]) -> str:
    """The line a person reads first: the last stderr line, else the last line."""
    errors = [line for line in logs if line.startswith("[stderr]")]
    line = (errors or logs or [""])[-1]
    for tag in ("[stderr] ", "[stdout] "):
        line = line.removeprefix(tag)
    return line.strip()[:200]


def _result_summary(
    before: ServiceRecord,
    after: ServiceRecord | None,
    verified: bool,
    ran: CommandResult,
    logs: list[str],
) -> str:
    name = before.name
    if verified and after is not None:
        if before.pid is not None and after.pid is not None and before.state == "running":
            change = f"pid {before.pid} → {after.pid}"
        else:
            change = f"{describe(before)} → pid {after.pid}" if after.pid else describe(before)
        return f"{name} restarted: {change}, running"
    failed = "" if ran.ok else f" ({ran.argv[0]} exit {ran.returncode}: {_output_gist(ran)})"
    if after is not None and after.state == "running":
        return (
            f"{name} still runs as the same process ({describe(after)}): the restart did not "
            f"take effect{failed}"
        )
    last = _last_error(logs)
    why = f"; last log line: {last}" if last else failed
    return f"{name} restarted but is not running: {describe(after)}{why}"


async def restart(ctx: ToolContext, args: JSON, *, only_failed: bool) -> JSON:
    name = service_name(args.get("service"))
    record, also_in = await find_service(ctx, name, "restart")
    tool = "restart_failed_service" if only_failed else "restart_service"
    if only_failed and record.state != "failed":
        raise ToolError(
            "invalid_argument",
            f"{record.name} ({record.manager}) is not failed: it is {describe(record)}",
            "restart_failed_service only restarts failed services; use restart_service "
            "to restart one that is running or stopped",
        )
    argv = restart_argv(ctx, record)
    reset = reset_argv(record) if only_failed else None
    result: JSON = {
        "service": record.name,
        "manager": record.manager,
        "command": argv,
        "before": snapshot(record),
        "dry_run": bool(args.get("dry_run", True)),
    }
    if reset is not None:
        result["reset_command"] = reset
    if also_in:
        result["also_in"] = also_in
    if result["dry_run"]:
        result["summary"] = (
            f"dry-run: {tool} would run `{' '.join(argv)}`; {record.name} ({record.manager}) "
            f"is {describe(record)}"
        )
        if record.state != "running":
            result["recent_logs"], error = await _logs(ctx, record)
            if error:
                result["logs_error"] = error
        return result
    ctx.cache.pop(_PROBES_CACHE_KEY, None)  # whatever happens next, the snapshot is stale
    started = time.monotonic()
    if reset is not None:
        await managers.run(ctx, reset)
    try:
        ran = await ctx.executor.run(argv, timeout=_restart_timeout(ctx))
    except ExecutorError as exc:
        if exc.code != "timeout":
            raise
        ran = CommandResult(tuple(argv), -1, "", exc.message, time.monotonic() - started)
    after, verified = await watch(ctx, record, started)
    result.update(
        {
            "command_exit_code": ran.returncode,
            "command_output": _output_gist(ran),
            "after": snapshot(after),
            "verified": verified,
            "waited_s": round(time.monotonic() - started, 1),
        }
    )
    logs: list[str] = []
    if not verified:
        logs, error = await _logs(ctx, after or record)
        result["recent_logs"] = logs
        if error:
            result["logs_error"] = error
    result["summary"] = _result_summary(record, after, verified, ran, logs)
    return result


_RESULT_DOC = """
    Result: service, manager, command (the exact argv), before {state, raw_state, pid,
    uptime_s}; after a real run also after {...}, verified (seen running as a new process
    within a few seconds), command_exit_code, command_output, and recent_logs when it is
    not running. verified=false means the restart ran but did not fix the service: read
    recent_logs before trying again.
"""


@register(
    name="restart_service",
    family="actions_services",
    risk=Risk.MEDIUM,
    renderer=render_status,
    description=f"""
        Restart a service with its own manager (systemctl restart, supervisorctl restart,
        pm2 restart, docker restart), then check through the manager that it runs again.
        Changes the server: the real run (dry_run=false) needs the person's approval; call
        it first with dry_run=true (the default) to show the exact command and the current
        state, which needs no approval. Service names as list_services shows them (prefix
        with the manager, e.g. docker:web, when a name exists in several). {_RESULT_DOC}
    """,
    schema=object_schema({**_SERVICE_ARG, **_DRY_RUN_ARG}, required=["service"]),
)
async def restart_service(ctx: ToolContext, args: JSON) -> JSON:
    return await restart(ctx, args, only_failed=False)


@register(
    name="restart_failed_service",
    family="actions_services",
    risk=Risk.MEDIUM,
    renderer=render_status,
    description=f"""
        Restart a service that is currently failed (crashed, crash-looping, exited with an
        error); refused with invalid_argument when it is running, starting or stopped. Same
        commands as restart_service (plus systemctl reset-failed first for systemd, so a
        unit that hit its start limit can start). Changes the server: the real run
        (dry_run=false) needs the person's approval; call it first with dry_run=true (the
        default) to show the command, the current state and its last log lines.
        {_RESULT_DOC}
    """,
    schema=object_schema({**_SERVICE_ARG, **_DRY_RUN_ARG}, required=["service"]),
)
async def restart_failed_service(ctx: ToolContext, args: JSON) -> JSON:
    return await restart(ctx, args, only_failed=True)
