"""Tools of the memory family: RAM, swap, who holds it, and who the kernel killed for it.

OOM kills come from the kernel log, wherever this host lets us read it: the journal,
then ``dmesg`` (often restricted to root), then /var/log/kern.log. Each source may be
missing or forbidden; the result then says why there are no OOM kills to show instead
of claiming there were none.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from sfai_agent.exec.base import ExecutorError
from sfai_agent.tools.base import JSON, ToolContext, ToolError, object_schema, register
from sfai_agent.tools.logtime import iso_utc, line_time
from sfai_agent.tools.procs import list_processes_with_source, top
from sfai_agent.tools.render import human_bytes
from sfai_agent.tools.system import memory_from_meminfo, percent, read_text

TOP_CONSUMERS = 10
MAX_OOM_KILLS = 20
OOM_SCAN_LINES = 20_000
KERNEL_LOG_FILES = ("/var/log/kern.log", "/var/log/messages")
_OOM_MARKERS = ("out of memory", "oom-kill", "killed process")
_JOURNAL_ARGV = [
    "journalctl", "-k", "--no-pager", "-o", "short-iso",
    "-n", str(OOM_SCAN_LINES), "-g", "Out of memory|oom-kill|Killed process",
]  # fmt: skip
_KILLED = re.compile(r"Kill(?:ed)? process (\d+) \((.{0,64}?)\)(?= total-vm| score|,|$)")
_OOM_KILL_INFO = re.compile(r"oom-kill:.*?\btask=([^,]*),pid=(\d+)")
_RSS_FIELD = re.compile(r"\b(anon|file|shmem)-rss:(\d+)kB")


def parse_oom_line(line: str) -> dict[str, Any] | None:
    """One OOM-killer victim from one kernel log line, or None when the line names none.

    Understands the modern ``Out of memory: Killed process 1234 (java) total-vm:...,
    anon-rss:...kB, file-rss:...kB, shmem-rss:...kB, UID:0 ...`` (also prefixed ``Memory
    cgroup out of memory:``), the older pair ``Out of memory: Kill process 1234 (mysqld)
    score 900 or sacrifice child`` / ``Killed process 1234 (mysqld) total-vm:...``, and
    the ``oom-kill:constraint=...,task=java,pid=1234,uid=0`` summary. ``rss_bytes`` is
    anon + file + shmem RSS at the time of the kill, when the line gives it. ``time``
    is left to the caller, who knows the log's format.
    """
    if "invoked oom-killer" in line or "oom_reaper" in line:
        return None  # the process that asked for memory, or the cleanup after a kill
    pid: int | None = None
    process = ""
    if m := _KILLED.search(line):
        pid, process = int(m[1]), m[2]
    elif m := _OOM_KILL_INFO.search(line):
        pid, process = int(m[2]), m[1]
    if pid is None:
        return None
    event: dict[str, Any] = {"pid": pid, "process": process, "rss_bytes": None}
    rss = {kind: int(kb) * 1024 for kind, kb in _RSS_FIELD.findall(line)}
    if rss:
        event["rss_bytes"] = sum(rss.values())
    lowered = line.lower()
    if "memory cgroup out of memory" in lowered or "oom_memcg=" in lowered:
        event["scope"] = "cgroup"
    elif "out of memory" in lowered or "global_oom" in lowered:
        event["scope"] = "system"
    return event


def _merge_kill(events: list[dict[str, Any]], event: dict[str, Any]) -> None:
    """The kernel reports one kill in two or three lines; keep one event per kill."""
    for previous in events[-3:]:
        if previous["pid"] == event["pid"] and previous["process"] == event["process"]:
            for key in ("rss_bytes", "scope", "time"):
                if previous.get(key) is None and event.get(key) is not None:
                    previous[key] = event[key]
            if event["rss_bytes"] is not None:
                previous["line"] = event["line"]
            return
    events.append(event)


def parse_oom_kills(
    lines: list[str], now: datetime, boot_time: datetime | None = None
) -> list[dict[str, Any]]:
    """Every OOM kill in ``lines`` (oldest first), each ``{time, pid, process, rss_bytes,
    scope?, line}``. Plain ``dmesg`` prefixes seconds since boot; with ``boot_time`` they
    become wall-clock times (approximate if the host was suspended)."""
    events: list[dict[str, Any]] = []
    for raw in lines:
        line = raw.strip()
        lowered = line.lower()
        if not any(marker in lowered for marker in _OOM_MARKERS):
            continue
        event = parse_oom_line(line)
        if event is None:
            continue
        stamp = line_time(line, now, boot_time)
        event["time"] = iso_utc(stamp) if stamp else None
        event["line"] = line[:500]
        _merge_kill(events, event)
    return [{"time": e.pop("time"), **e} for e in events]


async def _kernel_log_lines(ctx: ToolContext) -> tuple[list[str], str, list[str]]:
    """``(lines, source, why_not_others)``: the first kernel log this host lets us read."""
    failures: list[str] = []
    timeout = ctx.settings.command_timeout_s
    attempts: list[tuple[str, list[str]]] = [
        ("journalctl -k", _JOURNAL_ARGV),
        ("dmesg --time-format iso", ["dmesg", "--time-format", "iso"]),
        ("dmesg", ["dmesg"]),
    ]
    for label, argv in attempts:
        try:
            result = await ctx.executor.run(argv, timeout=timeout, max_output=16 * 1_048_576)
        except ExecutorError as exc:
            failures.append(f"{label}: {exc.message}")
            if exc.code == "not_found" and argv[0] == "dmesg":
                break  # no dmesg at all: the plain form will not exist either
            continue
        problem = (result.stderr.strip().splitlines() or [f"exit status {result.returncode}"])[0]
        # journalctl -g exits 1 when nothing matches; that is an answer, not a failure.
        matched_nothing = argv[0] == "journalctl" and result.returncode == 1 and not result.stderr
        if "No journal files" in result.stderr or not (result.ok or matched_nothing):
            failures.append(f"{label}: {problem[:160]}")
            continue
        return result.stdout.splitlines(), label, failures
    for path in KERNEL_LOG_FILES:
        try:
            tail = await ctx.executor.read_tail(
                path, lines=OOM_SCAN_LINES, max_bytes=16 * 1_048_576
            )
        except ExecutorError as exc:
            failures.append(f"{path}: {exc.message}")
            continue
        return tail.lines, path, failures
    return [], "", failures


def _ram_and_swap(meminfo: dict[str, int]) -> tuple[dict[str, int | float], dict[str, int | float]]:
    total = meminfo.get("MemTotal", 0)
    available = meminfo.get("MemAvailable", meminfo.get("MemFree", 0))
    ram: dict[str, int | float] = {
        "total_bytes": total,
        "available_bytes": available,
        "used_bytes": total - available,
        "used_percent": percent(total - available, total),
        "free_bytes": meminfo.get("MemFree", 0),
        "buffers_bytes": meminfo.get("Buffers", 0),
        "cached_bytes": meminfo.get("Cached", 0) + meminfo.get("SReclaimable", 0),
    }
    swap_total, swap_free = meminfo.get("SwapTotal", 0), meminfo.get("SwapFree", 0)
    swap: dict[str, int | float] = {
        "total_bytes": swap_total,
        "used_bytes": swap_total - swap_free,
        "free_bytes": swap_free,
        "used_percent": percent(swap_total - swap_free, swap_total),
    }
    return ram, swap


@register(
    name="get_memory_status",
    family="memory",
    description="""
    RAM and swap use, the processes holding the most memory, and recent OOM kills. Returns
    ram (total_bytes, available_bytes, used_bytes = total - available, used_percent,
    free_bytes, buffers_bytes, cached_bytes), swap (total_bytes, used_bytes, free_bytes,
    used_percent), top_consumers (at most 10 processes by resident memory: pid, user, name,
    rss_bytes, memory_percent, command), and oom_kills (at most the 20 most recent kills
    by the kernel's OOM killer this boot, oldest first: time, pid, process, rss_bytes at
    the kill, scope system or cgroup, the log line) with oom_source telling which kernel
    log was read, or why none could be. Use it when a server is slow, swaps, or a process
    died without a trace. Takes no arguments; read-only.
    """,
    schema=object_schema({}),
)
async def get_memory_status(ctx: ToolContext, args: JSON) -> JSON:
    """Memory figures from /proc/meminfo; OOM kills from the first readable kernel log."""
    meminfo_text = await read_text(ctx, "/proc/meminfo")
    if meminfo_text is None:
        raise ToolError(
            "unavailable",
            "cannot read /proc/meminfo on this host",
            "sfai needs a Linux host with /proc mounted; check that /proc is readable",
        )
    ram, swap = _ram_and_swap(memory_from_meminfo(meminfo_text))
    processes, process_source = await list_processes_with_source(ctx)
    consumers = [
        {k: p[k] for k in ("pid", "user", "name", "rss_bytes", "memory_percent", "command")}
        for p in top(processes, "rss_bytes", TOP_CONSUMERS)
    ]

    now = datetime.now(UTC)
    stat_text = await read_text(ctx, "/proc/stat") or ""
    btime = next((ln.split()[1] for ln in stat_text.splitlines() if ln.startswith("btime ")), "")
    boot = datetime.fromtimestamp(int(btime), UTC) if btime.isdigit() else None
    lines, source, failures = await _kernel_log_lines(ctx)
    kills = parse_oom_kills(lines, now, boot)
    oom_source = source or "none readable (" + "; ".join(failures) + ")"

    summary = (
        f"RAM {ram['used_percent']:.0f}% used ({human_bytes(ram['available_bytes'])} available "
        f"of {human_bytes(ram['total_bytes'])})"
    )
    summary += (
        f", swap {swap['used_percent']:.0f}% used of {human_bytes(swap['total_bytes'])}"
        if swap["total_bytes"]
        else ", no swap"
    )
    if not source:
        summary += "; OOM kills unknown: no kernel log readable"
    elif kills:
        last = kills[-1]
        summary += f"; {len(kills)} OOM kill(s), last {last['process']} (pid {last['pid']})"
        summary += f" at {last['time']}" if last["time"] else ""
    else:
        summary += "; no OOM kills in the kernel log"
    result: JSON = {
        "summary": summary,
        "ram": ram,
        "swap": swap,
        "top_consumers": consumers,
        "process_source": process_source,
        "oom_kills": kills[-MAX_OOM_KILLS:],
        "oom_kill_count": len(kills),
        "oom_source": oom_source,
    }
    if boot is not None:
        result["boot_time"] = iso_utc(boot)
    if source and failures:
        result["oom_source_notes"] = failures
    return result
