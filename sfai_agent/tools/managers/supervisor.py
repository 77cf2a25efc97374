"""supervisord, through ``supervisorctl`` (the same socket and permissions an admin uses).

``supervisorctl status`` is both the liveness check and the listing: it exits 3 when some
program is not running (still a valid listing) and prints ``unix:///... no such file`` or
``... refused connection`` (exit 4) when supervisord is down. Exit codes and restart counts
are not in ``status``; they come from supervisord's own log (``maintail``), which records
``exited: NAME (exit status N; not expected)`` and every ``spawned: 'NAME'``.

A program's own output is read with ``supervisorctl tail`` (:func:`tail_streams`), both for
``recent_logs`` and for ``get_logs``.
"""

from __future__ import annotations

import re

from sfai_agent.exec.base import DEFAULT_MAX_OUTPUT
from sfai_agent.tools import managers
from sfai_agent.tools.base import ToolContext
from sfai_agent.tools.logtime import iso_utc
from sfai_agent.tools.managers import ManagerProbe, ServiceRecord

NAME = "supervisor"
MAINTAIL_BYTES = 20_000
TAIL_BYTES = 2_000

_STATUS_LINE = re.compile(
    r"^(?P<name>\S+)\s+"
    r"(?P<state>STOPPED|STARTING|RUNNING|BACKOFF|STOPPING|EXITED|FATAL|UNKNOWN)\b\s*(?P<desc>.*)$"
)
_RUNNING_DESC = re.compile(
    r"pid (?P<pid>\d+), uptime (?:(?P<days>\d+) days?, )?(?P<h>\d+):(?P<m>\d\d):(?P<s>\d\d)"
)
_EXITED = re.compile(
    r"exited: (?P<name>\S+) \((?:exit status (?P<status>\d+)|terminated by SIG(?P<signal>\w+))"
    r"(?:; (?P<expected>not expected|expected))?\)"
)
_SPAWNED = re.compile(r"spawned: '(?P<name>[^']+)' with pid \d+")
_STARTED = "supervisord started with pid"
_SIGNALS = {"HUP": 1, "INT": 2, "QUIT": 3, "ABRT": 6, "KILL": 9, "SEGV": 11, "PIPE": 13, "TERM": 15}
_NOT_RUNNING_MARKERS = ("no such file", "refused connection", "connection refused")
_TAIL_ERROR_ENDINGS = ("ERROR (no log file)", "(no such process name)")


def _base_argv(ctx: ToolContext) -> list[str]:
    argv = ["supervisorctl"]
    if ctx.settings.supervisor_config:
        argv += ["-c", ctx.settings.supervisor_config]
    return argv


class _LogFacts:
    """What supervisord's log says about each process since supervisord last started."""

    def __init__(self, text: str) -> None:
        self.spawns: dict[str, int] = {}
        self.exits: dict[str, tuple[int | None, bool | None]] = {}
        self.known = bool(text.strip())
        lines = text.splitlines()
        starts = [i for i, line in enumerate(lines) if _STARTED in line]
        for line in lines[starts[-1] if starts else 0 :]:
            if spawned := _SPAWNED.search(line):
                name = spawned["name"]
                self.spawns[name] = self.spawns.get(name, 0) + 1
            elif exited := _EXITED.search(line):
                code: int | None = None
                if exited["status"] is not None:
                    code = int(exited["status"])
                elif exited["signal"] in _SIGNALS:
                    code = 128 + _SIGNALS[exited["signal"]]
                expected = None if exited["expected"] is None else exited["expected"] == "expected"
                self.exits[exited["name"]] = (code, expected)

    def restarts(self, process: str) -> int | None:
        if not self.known:
            return None
        return max(self.spawns.get(process, 0) - 1, 0)


def _state(raw: str, expected_exit: bool | None) -> str:
    if raw == "RUNNING":
        return "running"
    if raw == "STARTING":
        return "starting"
    if raw in ("FATAL", "BACKOFF"):
        return "failed"
    if raw == "EXITED":
        return "failed" if expected_exit is False else "stopped"
    if raw in ("STOPPED", "STOPPING"):
        return "stopped"
    return "unknown"


def parse_status(output: str, facts: _LogFacts, at: float) -> list[ServiceRecord]:
    """``supervisorctl status`` lines → records (``group:name`` kept as the name)."""
    records: list[ServiceRecord] = []
    for line in output.splitlines():
        match = _STATUS_LINE.match(line.rstrip())
        if not match:
            continue
        name, raw, desc = match["name"], match["state"], match["desc"].strip()
        process = name.rsplit(":", 1)[-1]  # supervisord's log names processes without group
        exit_code, expected = facts.exits.get(process, (None, None))
        record = ServiceRecord(
            name=name,
            manager=NAME,
            state=_state(raw, expected),
            raw_state=raw,
            description=desc,
            restarts=facts.restarts(process),
        )
        running = _RUNNING_DESC.search(desc)
        if raw == "RUNNING" and running:
            record.pid = int(running["pid"])
            uptime = (
                int(running["days"] or 0) * 86_400
                + int(running["h"]) * 3_600
                + int(running["m"]) * 60
                + int(running["s"])
            )
            record.uptime_s = uptime
            record.since = iso_utc(at - uptime)
        elif raw not in ("RUNNING", "STARTING", "STOPPING"):
            record.exit_code = exit_code
        records.append(record)
    return records


async def probe(ctx: ToolContext) -> ManagerProbe:
    if await ctx.executor.which("supervisorctl") is None:
        return managers.unavailable(
            NAME, "supervisorctl is not on PATH (supervisor is not installed)"
        )
    base = _base_argv(ctx)
    status = await managers.run(ctx, [*base, "status"])
    at = managers.now()
    has_rows = any(_STATUS_LINE.match(line) for line in status.stdout.splitlines())
    if not has_rows:
        gist = managers.first_line(status.stdout, status.stderr)
        if status.returncode == 0 and not gist:
            return ManagerProbe(name=NAME, available=True)  # supervisord with no programs
        if any(marker in gist.lower() for marker in _NOT_RUNNING_MARKERS):
            return managers.unavailable(NAME, f"supervisord is not running ({gist})")
        if "permission denied" in gist.lower():
            return managers.unavailable(
                NAME,
                "no permission to use supervisord's socket (run sfai as root, or as the user "
                f"set by chown= in [unix_http_server]): {gist}",
            )
        return managers.unavailable(
            NAME, f"supervisorctl status failed: {gist or f'exit {status.returncode}'}"
        )
    maintail = await managers.run(ctx, [*base, "maintail", f"-{MAINTAIL_BYTES}"])
    facts = _LogFacts(maintail.stdout if maintail.ok else "")
    return ManagerProbe(name=NAME, available=True, records=parse_status(status.stdout, facts, at))


async def tail_streams(
    ctx: ToolContext, name: str, max_bytes: int
) -> tuple[dict[str, list[str]], list[str]]:
    """The last ``max_bytes`` of a program's ``stdout`` and ``stderr`` logs as lines, by
    stream, and the error of each stream supervisord could not give (``no log file``, ``no
    such process name``...). The first line is dropped when the byte cut made it partial."""
    base = _base_argv(ctx)
    streams: dict[str, list[str]] = {}
    errors: list[str] = []
    for stream in ("stdout", "stderr"):
        result = await managers.run(
            ctx,
            [*base, "tail", f"-{max_bytes}", name, stream],
            max_output=max(DEFAULT_MAX_OUTPUT, 2 * max_bytes),
        )
        text = result.stdout if result.ok else (result.stdout + result.stderr).strip()
        # Checked in the text too: older supervisorctl printed these errors and exited 0.
        if (
            not result.ok
            or text.startswith(("ERROR", f"{name}: ERROR"))
            or text.rstrip().endswith(_TAIL_ERROR_ENDINGS)
        ):
            errors.append(text.strip()[:200] or f"exit status {result.returncode}")
            continue
        lines = text.splitlines()
        if len(text.encode()) >= max_bytes and lines:
            lines = lines[1:]
        streams[stream] = lines
    return streams, errors


async def recent_logs(ctx: ToolContext, record: ServiceRecord, lines: int) -> list[str]:
    """The end of the program's stdout and stderr logs (stderr last: errors stay in view)."""
    streams, _ = await tail_streams(ctx, record.name, TAIL_BYTES)
    out, err = ([ln for ln in streams.get(s, []) if ln.strip()] for s in ("stdout", "stderr"))
    return managers.merge_streams(out, err, lines, ("stdout", "stderr"))
