"""Process listing shared by the system and memory families.

The listing goes through the Executor only, so it works the same over SSH: ``ps`` when
the host has a procps-compatible one, else a bounded scan of ``/proc/<pid>/`` files.
Both give the same dict shape, and the caller can say which source was used.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from sfai_agent.exec.base import ExecutorError
from sfai_agent.tools.base import ToolContext

PS_ARGV: tuple[str, ...] = ("ps", "-ww", "-eo", "pid=,user=,pcpu=,pmem=,rss=,etimes=,comm=,args=")
"""``-ww``: unlimited width, or ps cuts ``args`` to $COLUMNS when that is set."""
COMMAND_CHARS = 200
"""Command lines are cut to this many characters: enough to recognise a process."""
PROC_SCAN_MAX = 2_000
"""The /proc fallback reads three files per process; past this many it stops."""
PROC_SCAN_TIME_S = 5.0
_COMM_WIDTH = 15
"""procps prints ``comm`` (the kernel task name, at most 15 chars) padded to 15 columns."""
_CLOCK_TICKS = 100
"""USER_HZ: 100 on every mainstream Linux architecture; /proc times are in these ticks."""
_CACHE_KEY = "procs.listing"

Process = dict[str, Any]


def _cut(command: str) -> str:
    command = " ".join(command.split())
    return command if len(command) <= COMMAND_CHARS else command[: COMMAND_CHARS - 1] + "…"


def parse_ps_line(line: str) -> Process | None:
    """One line of ``ps -eo pid=,user=,pcpu=,pmem=,rss=,etimes=,comm=,args=``, or None.

    The first six columns never hold spaces; ``comm`` may (``tmux: server``), so it is
    taken from its fixed 15-column slot, and ``args`` is everything after it.
    """
    parts = line.split(None, 6)
    if len(parts) < 7:
        return None
    pid, user, pcpu, pmem, rss, etimes, rest = parts
    try:
        values = (int(pid), float(pcpu), float(pmem), int(rss), int(etimes))
    except ValueError:
        return None
    if len(rest) > _COMM_WIDTH and rest[_COMM_WIDTH] == " ":
        name, args = rest[:_COMM_WIDTH].rstrip(), rest[_COMM_WIDTH + 1 :].strip()
    else:  # an overlong column pushed the alignment: fall back to the first word
        name, _, args = rest.partition(" ")
        args = args.strip()
    return {
        "pid": values[0],
        "user": user,
        "name": name,
        "cpu_percent": values[1],
        "memory_percent": values[2],
        "rss_bytes": values[3] * 1024,
        "elapsed_s": values[4],
        "command": _cut(args or f"[{name}]"),
    }


def parse_ps_output(text: str, own_args: str = "") -> list[Process]:
    """All parsable lines, minus the ``ps`` that produced them (``own_args``: its arguments)."""
    processes: list[Process] = []
    for line in text.splitlines():
        process = parse_ps_line(line)
        if process is None:
            continue
        if own_args and process["name"] == "ps" and process["command"].endswith(own_args):
            continue
        processes.append(process)
    return processes


def parse_proc_stat(text: str) -> tuple[str, int, int] | None:
    """``(name, utime+stime ticks, starttime ticks)`` from ``/proc/<pid>/stat``.

    The name sits in parentheses and may itself hold spaces or parentheses, so the
    fields are counted from the last ``)``.
    """
    opening, closing = text.find("("), text.rfind(")")
    if opening < 0 or closing < opening:
        return None
    fields = text[closing + 2 :].split()
    # fields[0] is field 3 (state); utime=14, stime=15, starttime=22 in proc(5) numbering.
    try:
        return text[opening + 1 : closing], int(fields[11]) + int(fields[12]), int(fields[19])
    except (IndexError, ValueError):
        return None


def parse_status(text: str) -> dict[str, str]:
    """``Key: value`` pairs of ``/proc/<pid>/status`` (or ``/proc/meminfo``)."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            values[key.strip()] = value.strip()
    return values


def parse_passwd(text: str) -> dict[int, str]:
    users: dict[int, str] = {}
    for line in text.splitlines():
        fields = line.split(":")
        if len(fields) >= 3 and fields[2].isdigit():
            users.setdefault(int(fields[2]), fields[0])
    return users


async def _read_text(ctx: ToolContext, path: str, max_bytes: int = 65_536) -> str | None:
    try:
        data = await ctx.executor.read_file(path, max_bytes=max_bytes)
    except ExecutorError:
        return None
    return data.decode("utf-8", errors="replace")


async def _from_ps(ctx: ToolContext) -> list[Process] | None:
    argv = list(PS_ARGV)
    try:
        result = await ctx.executor.run(
            argv, timeout=ctx.settings.command_timeout_s, max_output=8 * 1_048_576
        )
    except ExecutorError as exc:
        if exc.code == "timeout":
            raise
        return None
    if not result.ok:  # e.g. BusyBox ps, which knows neither pcpu nor etimes
        return None
    return parse_ps_output(result.stdout, " ".join(argv[1:])) or None


async def _one_from_proc(
    ctx: ToolContext, pid: int, users: dict[int, str], mem_total_kb: int, uptime_s: float
) -> Process | None:
    stat_text, status_text, cmdline = await asyncio.gather(
        _read_text(ctx, f"/proc/{pid}/stat"),
        _read_text(ctx, f"/proc/{pid}/status"),
        _read_text(ctx, f"/proc/{pid}/cmdline", 4096),
    )
    if stat_text is None or status_text is None:
        return None  # gone since the directory was listed
    parsed = parse_proc_stat(stat_text)
    if parsed is None:
        return None
    name, cpu_ticks, start_ticks = parsed
    status = parse_status(status_text)
    uid_field = status.get("Uid", "").split()
    uid = int(uid_field[0]) if uid_field and uid_field[0].isdigit() else -1
    rss_kb = int(status.get("VmRSS", "0 kB").split()[0] or 0)
    elapsed = max(0.0, uptime_s - start_ticks / _CLOCK_TICKS)
    cpu_s = cpu_ticks / _CLOCK_TICKS
    args = (cmdline or "").replace("\x00", " ").strip()
    return {
        "pid": pid,
        "user": users.get(uid, str(uid)),
        "name": name[:_COMM_WIDTH],
        "cpu_percent": round(100.0 * cpu_s / elapsed, 1) if elapsed > 0 else 0.0,
        "memory_percent": round(100.0 * rss_kb / mem_total_kb, 1) if mem_total_kb else 0.0,
        "rss_bytes": rss_kb * 1024,
        "elapsed_s": int(elapsed),
        "command": _cut(args or f"[{name}]"),
    }


async def _from_proc(ctx: ToolContext) -> list[Process]:
    """Bounded scan of /proc: at most PROC_SCAN_MAX processes, PROC_SCAN_TIME_S seconds."""
    entries = await ctx.executor.list_dir("/proc", limit=100_000)
    pids = sorted(int(e.name) for e in entries if e.name.isdigit())[:PROC_SCAN_MAX]
    passwd, meminfo, uptime = await asyncio.gather(
        _read_text(ctx, "/etc/passwd", 1_048_576),
        _read_text(ctx, "/proc/meminfo"),
        _read_text(ctx, "/proc/uptime"),
    )
    users = parse_passwd(passwd or "")
    mem_total_kb = int((parse_status(meminfo or "").get("MemTotal") or "0").split()[0])
    uptime_s = float((uptime or "0").split()[0])
    processes: list[Process] = []
    deadline = time.monotonic() + PROC_SCAN_TIME_S
    for start in range(0, len(pids), 64):
        if time.monotonic() > deadline:
            break
        batch = await asyncio.gather(
            *(
                _one_from_proc(ctx, pid, users, mem_total_kb, uptime_s)
                for pid in pids[start : start + 64]
            )
        )
        processes.extend(p for p in batch if p is not None)
    return processes


async def list_processes_with_source(ctx: ToolContext) -> tuple[list[Process], str]:
    """Every process and where the list came from: ``"ps"`` or ``"proc"``.

    Memoised in ``ctx.cache`` so one request that asks for both the system overview and
    the memory status lists processes once.
    """
    cached = ctx.cache.get(_CACHE_KEY)
    if cached is not None:
        processes, source = cached
        return list(processes), str(source)
    listed = await _from_ps(ctx)
    source = "ps"
    if listed is None:
        listed, source = await _from_proc(ctx), "proc"
    ctx.cache[_CACHE_KEY] = (listed, source)
    return list(listed), source


async def list_processes(ctx: ToolContext) -> list[Process]:
    """Every process: pid, user, name, cpu_percent, memory_percent, rss_bytes, elapsed_s,
    command. ``cpu_percent`` is CPU time over the process's lifetime, as ``ps`` reports it."""
    processes, _ = await list_processes_with_source(ctx)
    return processes


def top(processes: list[Process], key: str, count: int) -> list[Process]:
    """The ``count`` processes with the highest ``key``, ties broken by pid for stable output."""
    return sorted(processes, key=lambda p: (-p[key], p["pid"]))[:count]
