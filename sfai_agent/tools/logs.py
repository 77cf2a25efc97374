"""Tools of the logs family: the end of a log, wherever the host keeps it.

Files are read from the end (cost independent of their size) inside a byte budget, and
filtered by a plain substring, never a regex: a pattern from a model or from text it read
cannot trigger catastrophic backtracking. Journal, supervisor, pm2 and docker logs come
from their own commands, run as argv lists after the names passed are validated; where
supervisord and PM2 keep a program's output is known only to their modules in
``managers/``, which ``get_service_status`` reads too. Times are read by ``logtime``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from sfai_agent.exec.base import ExecutorError
from sfai_agent.policy.credentials import is_credential_path
from sfai_agent.policy.identifiers import app_name, service_name
from sfai_agent.policy.paths import resolve_under_roots
from sfai_agent.tools.base import JSON, ToolContext, ToolError, object_schema, register
from sfai_agent.tools.logtime import filter_since, iso_utc, parse_since
from sfai_agent.tools.managers import merge_streams, pm2, supervisor
from sfai_agent.tools.render import human_bytes

MAX_LINES = 2_000
DEFAULT_LINES = 100
SCAN_BUDGET_BYTES = 8 * 1_048_576
"""A filtered read scans at most this much from the end of a file (or a command's output)."""
FIRST_WINDOW_BYTES = 262_144
"""A filtered read starts with this window and grows it 4x until it has enough lines."""
COMMAND_SCAN_LINES = 20_000
"""With a grep, journal and docker reads fetch this many lines and filter them here."""
LINE_CHARS = 4_000
_NO_LIMIT = 1 << 62
_CONTAINER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
_SOURCE_HINT = (
    "source is a service name (nginx), nginx:error, nginx:access, pm2:APP, docker:NAME, "
    "or an absolute path under the log roots such as /var/log/syslog"
)
_PM2_DAEMON_HINT = "check that the pm2 daemon runs for this user (pm2 ls)"


@dataclass(frozen=True)
class LogQuery:
    """What the caller asked for: how many lines, and the filters."""

    count: int
    grep: str | None
    since: datetime | None
    now: datetime


def filter_grep(lines: list[str], needle: str | None) -> list[str]:
    """Case-insensitive substring match; deliberately not a regex."""
    if not needle:
        return lines
    folded = needle.casefold()
    return [line for line in lines if folded in line.casefold()]


def _clean(lines: list[str]) -> list[str]:
    """NUL runs (left in preallocated logs by a crash) go; overlong lines are cut."""
    cleaned = []
    for line in lines:
        line = line.replace("\x00", "")
        cleaned.append(line if len(line) <= LINE_CHARS else line[:LINE_CHARS] + " …[line cut]")
    return cleaned


def _filter(lines: list[str], q: LogQuery) -> tuple[list[str], bool, bool]:
    """``(matches, older_seen, any_time)``: since first (it needs every line), then grep."""
    older_seen, any_time = False, True
    if q.since is not None:
        lines, older_seen, any_time = filter_since(lines, q.since, q.now)
    return filter_grep(lines, q.grep), older_seen, any_time


async def _scan_file(ctx: ToolContext, path: str, q: LogQuery) -> JSON:
    """The last ``q.count`` lines of ``path`` that pass the filters, reading backwards in
    growing windows until there are enough, ``since`` is crossed, or the budget is spent."""
    if q.grep is None and q.since is None:
        tail = await ctx.executor.read_tail(path, lines=q.count, max_bytes=SCAN_BUDGET_BYTES)
        return {
            "lines": tail.lines,
            "size_bytes": tail.size_bytes,
            "scanned_bytes": tail.bytes_read,
            "truncated": tail.truncated,
        }
    window = FIRST_WINDOW_BYTES
    while True:
        tail = await ctx.executor.read_tail(path, lines=_NO_LIMIT, max_bytes=window)
        whole_file = not tail.truncated
        matches, older_seen, any_time = _filter(tail.lines, q)
        if len(matches) >= q.count or older_seen or whole_file or window >= SCAN_BUDGET_BYTES:
            break
        window = min(window * 4, SCAN_BUDGET_BYTES)
    exhausted = not (whole_file or older_seen) and len(matches) < q.count
    result: JSON = {
        "lines": matches[-q.count :],
        "size_bytes": tail.size_bytes,
        "scanned_bytes": tail.bytes_read,
        "budget_exhausted": exhausted,
        "truncated": len(matches) > q.count or exhausted,
    }
    if exhausted:
        result["note"] = f"stopped after scanning the last {human_bytes(tail.bytes_read)}"
    elif not any_time:
        result["note"] = "no line had a recognisable timestamp, so since matched nothing"
    return result


async def _file_source(ctx: ToolContext, raw: str, q: LogQuery) -> JSON:
    path = await resolve_under_roots(ctx.executor, raw, ctx.settings.log_roots, what="log path")
    info = await ctx.executor.stat(path, follow_symlinks=True)
    if info.kind == "dir":
        entries = await ctx.executor.list_dir(path, limit=500)
        names = sorted(
            e.name for e in entries if e.kind == "file" and not is_credential_path(e.path)
        )
        hint = "name one of its files: " + (", ".join(names[:12]) or "(it holds none)")
        raise ToolError("invalid_argument", f"{path} is a directory, not a log file", hint)
    if info.kind != "file":
        raise ToolError("invalid_argument", f"{path} is not a regular file", "give a log file")
    if path.endswith((".gz", ".xz", ".bz2", ".zst")):
        raise ToolError(
            "invalid_argument",
            f"{path} is a compressed, rotated log",
            "read the current log: the same name without the number and suffix",
        )
    return {"kind": "file", "path": path, **await _scan_file(ctx, path, q)}


async def _nginx_source(ctx: ToolContext, which: str, q: LogQuery) -> JSON:
    """nginx's error or access log at the standard place under each log root."""
    for root in ctx.settings.log_roots:
        candidate = f"{root.rstrip('/')}/nginx/{which}.log"
        try:
            info = await ctx.executor.stat(candidate)
        except ExecutorError:
            continue
        target = info.link_target or await ctx.executor.realpath(candidate)
        if target.startswith(("/dev/", "/proc/")):  # the official image links to /dev/stderr
            raise ToolError(
                "unavailable",
                f"{candidate} points to {target}: nginx writes this log to a stream",
                "nginx runs in a container here: use source docker:NAME",
            )
        return await _file_source(ctx, candidate, q)
    raise ToolError(
        "not_found",
        f"no nginx {which} log at nginx/{which}.log under {', '.join(ctx.settings.log_roots)}",
        f"find the {which}_log directive with get_nginx_config and pass that absolute path",
    )


async def _run(ctx: ToolContext, argv: list[str]) -> tuple[int, str, str]:
    try:
        result = await ctx.executor.run(
            argv, timeout=ctx.settings.command_timeout_s, max_output=SCAN_BUDGET_BYTES
        )
    except ExecutorError as exc:
        raise ToolError.from_executor(exc) from None
    return result.returncode, result.stdout, result.stderr


async def _pm2_source(ctx: ToolContext, raw: str, q: LogQuery) -> JSON:
    app = app_name(raw)
    if await ctx.executor.which("pm2") is None:
        raise ToolError("unavailable", "pm2 is not installed on this host", _SOURCE_HINT)
    try:
        listing = await pm2.jlist(ctx)
    except ValueError as exc:  # its output held no JSON list
        raise ToolError("unavailable", f"pm2 jlist failed: {exc}", _PM2_DAEMON_HINT) from None
    if not listing.available:
        raise ToolError("unavailable", listing.reason, _PM2_DAEMON_HINT)
    entry = next((r for r in listing.records if r.name == app), None)
    if entry is None:
        known = sorted(r.name for r in listing.records)
        hint = "known apps: " + (", ".join(known[:20]) or "none")
        raise ToolError("not_found", f"pm2 has no app named {app!r}", hint)
    streams: dict[str, list[str]] = {"out": [], "err": []}
    paths: dict[str, str] = {}
    truncated, notes = False, []
    for stream, path in (await pm2.log_files(ctx, entry)).items():
        try:
            scan = await _scan_file(ctx, path, q)
        except ExecutorError:
            continue  # not written yet
        streams[stream], paths[stream] = scan["lines"], path
        truncated = truncated or scan["truncated"]
        notes += [f"{stream}: {scan['note']}"] if scan.get("note") else []
    lines = merge_streams(streams["out"], streams["err"], q.count)
    truncated = truncated or len(lines) < len(streams["out"]) + len(streams["err"])
    result: JSON = {"kind": "pm2", "paths": paths, "lines": lines, "truncated": truncated}
    if notes:
        result["note"] = "; ".join(notes)
    return result


async def _docker_source(ctx: ToolContext, name: str, q: LogQuery) -> JSON:
    if not _CONTAINER.fullmatch(name):
        raise ToolError(
            "invalid_argument",
            f"{name[:80]!r} is not a valid container name",
            "use the name or id shown by docker ps, e.g. docker:web",
        )
    if await ctx.executor.which("docker") is None:
        raise ToolError("unavailable", "docker is not installed on this host", _SOURCE_HINT)
    fetch = COMMAND_SCAN_LINES if q.grep else q.count
    argv = ["docker", "logs", "--timestamps", "--tail", str(fetch)]
    if q.since is not None:
        argv += ["--since", str(int(q.since.timestamp()))]
    code, stdout, stderr = await _run(ctx, [*argv, name])
    if code != 0:
        message = stderr.strip()[:300]
        if "no such container" in message.lower():
            raise ToolError("not_found", f"there is no container named {name!r}", "see docker ps")
        denied = "permission denied" in message.lower()
        raise ToolError(
            "permission_denied" if denied else "unavailable",
            f"docker logs failed: {message}",
            "check that the docker daemon runs and that this user may use it",
        )
    # stdout and stderr arrive apart; their RFC 3339 timestamps put them back in order.
    lines = sorted(stdout.splitlines() + stderr.splitlines(), key=lambda ln: ln.split(" ", 1)[0])
    matched = filter_grep(lines, q.grep)
    truncated = len(matched) > q.count or len(lines) >= fetch
    return {"kind": "docker", "lines": matched[-q.count :], "truncated": truncated}


async def _journal_source(ctx: ToolContext, name: str, q: LogQuery) -> JSON:
    fetch = COMMAND_SCAN_LINES if q.grep else q.count
    argv = ["journalctl", "-u", name, "-n", str(fetch), "--no-pager", "-o", "short-iso"]
    if q.since is not None:
        argv += ["--since", f"@{int(q.since.timestamp())}"]
    code, stdout, stderr = await _run(ctx, argv)
    if code != 0 or "No journal files were found" in stderr:
        raise ToolError(
            "unavailable",
            f"journalctl failed: {stderr.strip()[:300]}",
            "run sfai as root or as a member of the systemd-journal or adm group",
        )
    lines = [line for line in stdout.splitlines() if line != "-- No entries --"]
    matched = filter_grep(lines, q.grep)
    truncated = len(matched) > q.count or len(lines) >= fetch
    return {"kind": "journal", "lines": matched[-q.count :], "truncated": truncated}


async def _supervisor_source(ctx: ToolContext, name: str, q: LogQuery) -> JSON:
    """supervisord keeps a program's stdout and stderr apart: both are read, then merged."""
    filtered = q.grep is not None or q.since is not None
    budget = SCAN_BUDGET_BYTES if filtered else min(SCAN_BUDGET_BYTES, q.count * 1024)
    streams, errors = await supervisor.tail_streams(ctx, name, budget)
    if not streams:
        detail = errors[0] if errors else "no output"
        missing = "no such process" in detail.lower() or "bad name" in detail.lower()
        raise ToolError(
            "not_found" if missing else "unavailable",
            f"supervisorctl tail {name} failed: {detail}",
            "check the program name with list_services, and that supervisord runs",
        )
    timed = False
    for stream, lines in streams.items():
        streams[stream], _, any_time = _filter(lines, q)
        timed = timed or (any_time and bool(lines))
    out, err = streams.get("stdout", []), streams.get("stderr", [])
    lines = merge_streams(out, err, q.count)
    result: JSON = {"kind": "supervisor", "lines": lines}
    result["truncated"] = len(lines) < len(out) + len(err)
    if q.since is not None and not timed:
        result["note"] = "the program's lines carry no timestamp, so since matched nothing"
    return result


async def _service_source(ctx: ToolContext, raw: str, q: LogQuery) -> JSON:
    try:
        name = service_name(raw)
    except ToolError as exc:
        raise ToolError(exc.code, exc.message, _SOURCE_HINT) from None
    managers = ctx.settings.service_managers
    if "systemd" in managers:
        try:
            pid1 = (await ctx.executor.read_file("/proc/1/comm", max_bytes=64)).decode().strip()
        except (ExecutorError, UnicodeDecodeError):
            pid1 = ""
        if pid1 == "systemd":
            return await _journal_source(ctx, name, q)
    if "supervisor" in managers and await ctx.executor.which("supervisorctl"):
        return await _supervisor_source(ctx, name, q)
    raise ToolError(
        "unavailable",
        f"cannot read the logs of service {name!r}: systemd is not PID 1 on this host "
        "and supervisorctl is not installed",
        "name the log file instead (an absolute path under the log roots), or use "
        "pm2:APP or docker:NAME",
    )


@register(
    name="get_logs",
    family="logs",
    description="""
    The last lines of a log, oldest first. source is one of: a service name (its journal
    when systemd runs the host, else supervisord's stdout and stderr logs), nginx or
    nginx:error (nginx's error log), nginx:access, pm2:APP, docker:NAME, or an absolute
    path of a file under the allowed log roots (default /var/log). lines: how many to
    return (default 100, max 2000). grep: keep only lines containing this text,
    case-insensitive; a plain substring, not a regex. since: keep lines from this time on,
    relative (30m, 2h, 1d) or ISO 8601 (UTC when no zone is given); lines without a time of
    their own (stack traces) follow the line before them. Filtered file reads scan at most
    8 MiB from the end and say so (budget_exhausted). Returns source, kind (file, journal,
    supervisor, pm2, docker), lines, returned_lines, truncated (older lines exist that are
    not shown) and, for files, path, size_bytes and scanned_bytes. Read-only.
    """,
    schema=object_schema(
        {
            "source": {"type": "string", "minLength": 1, "maxLength": 4096},
            "lines": {"type": "integer", "minimum": 1, "maximum": MAX_LINES, "default": 100},
            "grep": {"type": "string", "minLength": 1, "maxLength": 256},
            "since": {"type": "string", "minLength": 1, "maxLength": 64},
        },
        required=["source"],
    ),
)
async def get_logs(ctx: ToolContext, args: JSON) -> JSON:
    """Dispatch on the form of ``source``; each form is validated before anything runs."""
    source: str = args["source"]
    now = datetime.now(UTC)
    since = parse_since(args["since"], now) if args.get("since") else None
    q = LogQuery(args.get("lines", DEFAULT_LINES), args.get("grep"), since, now)
    if source.startswith("/"):
        result = await _file_source(ctx, source, q)
    elif source in ("nginx", "nginx:error", "nginx:access"):
        result = await _nginx_source(ctx, "access" if source == "nginx:access" else "error", q)
    elif source.startswith("pm2:"):
        result = await _pm2_source(ctx, source[4:], q)
    elif source.startswith("docker:"):
        result = await _docker_source(ctx, source[7:], q)
    else:
        result = await _service_source(ctx, source, q)
    lines = _clean(result.pop("lines"))
    summary = f"{len(lines)} line(s) of {result.get('path') or source}"
    if "size_bytes" in result:
        summary += f" ({human_bytes(result['size_bytes'])})"
    if q.grep:
        summary += f" containing {q.grep!r}"
    if since is not None:
        result["since"] = iso_utc(since)
        summary += f" since {result['since']}"
    if result.get("truncated"):
        summary += "; older lines not shown"
    if result.get("note"):
        summary += f"; {result['note']}"
    return {
        "summary": summary,
        "source": source,
        **result,
        "lines": lines,
        "returned_lines": len(lines),
    }
