"""Tools of the system family: a one-call picture of the host.

Everything comes from /proc and /etc/os-release read through the Executor, plus the
shared process listing, so the same code answers for a remote host over SSH.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sfai_agent.exec.base import ExecutorError
from sfai_agent.tools.base import JSON, ToolContext, ToolError, object_schema, register
from sfai_agent.tools.logtime import iso_utc
from sfai_agent.tools.procs import list_processes_with_source, parse_status, top
from sfai_agent.tools.render import human_bytes

CPU_SAMPLE_S = 0.2
"""Two /proc/stat samples this far apart give the current CPU use."""
TOP_PROCESSES = 8


async def read_text(ctx: ToolContext, path: str, max_bytes: int = 1_048_576) -> str | None:
    """A small host file as text, or None when it cannot be read (missing, restricted)."""
    try:
        data = await ctx.executor.read_file(path, max_bytes=max_bytes)
    except ExecutorError:
        return None
    return data.decode("utf-8", errors="replace")


def parse_os_release(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key and not key.startswith("#"):
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            values[key] = value
    return values


def parse_cpu_times(text: str) -> tuple[int, int] | None:
    """``(busy, total)`` jiffies from the aggregate ``cpu`` line of /proc/stat.

    guest and guest_nice are already counted in user and nice, so they are left out;
    iowait counts as idle, as top does.
    """
    for line in text.splitlines():
        fields = line.split()
        if fields and fields[0] == "cpu":
            numbers = [int(v) for v in fields[1:9] if v.isdigit()]
            if len(numbers) < 4:
                return None
            total = sum(numbers)
            idle = numbers[3] + (numbers[4] if len(numbers) > 4 else 0)
            return total - idle, total
    return None


def count_cpus(stat_text: str, cpuinfo_text: str | None) -> int:
    """Online CPUs: ``cpuN`` lines of /proc/stat, else ``processor`` lines of /proc/cpuinfo."""
    count = sum(
        1 for line in stat_text.splitlines() if line.startswith("cpu") and line[3:4].isdigit()
    )
    if count == 0 and cpuinfo_text:
        count = sum(1 for line in cpuinfo_text.splitlines() if line.startswith("processor"))
    return max(count, 1)


def memory_from_meminfo(text: str) -> dict[str, int]:
    """/proc/meminfo values in bytes, keyed as the kernel names them."""
    values: dict[str, int] = {}
    for key, value in parse_status(text).items():
        parts = value.split()
        if parts and parts[0].isdigit():
            factor = 1024 if len(parts) > 1 and parts[1].lower() == "kb" else 1
            values[key] = int(parts[0]) * factor
    return values


def percent(part: float, whole: float) -> float:
    return round(100.0 * part / whole, 1) if whole > 0 else 0.0


def human_duration(seconds: float) -> str:
    minutes, _ = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m"


def _process_row(process: dict[str, Any]) -> dict[str, Any]:
    keys = ("pid", "user", "name", "cpu_percent", "memory_percent", "rss_bytes", "command")
    return {key: process[key] for key in keys}


async def _cpu_used_percent(ctx: ToolContext, first: str) -> float | None:
    await asyncio.sleep(CPU_SAMPLE_S)
    second = await read_text(ctx, "/proc/stat")
    before, after = parse_cpu_times(first), parse_cpu_times(second or "")
    if before is None or after is None or after[1] <= before[1]:
        return None
    return percent(after[0] - before[0], after[1] - before[1])


@register(
    name="get_system_overview",
    family="system",
    description="""
    A one-call picture of the host: os (distribution name), kernel, hostname, uptime_s and
    boot_time (ISO 8601 UTC), load_1m/load_5m/load_15m, cpu_count, cpu_used_percent
    (measured over 0.2 s), memory (total_bytes, available_bytes, used_percent), and the
    processes using the most CPU (top_by_cpu) and memory (top_by_memory), at most 8 each
    with pid, user, name, cpu_percent, memory_percent, rss_bytes and command (cut to 200
    characters). A process's cpu_percent is its CPU time over its whole lifetime, as ps
    reports it, so a process that only just started spinning can rank low. Use it first
    when asked how a server is doing or why it is slow; use get_memory_status for swap
    and OOM kills and get_disk_usage for disks. Takes no arguments; read-only.
    """,
    schema=object_schema({}),
)
async def get_system_overview(ctx: ToolContext, args: JSON) -> JSON:
    """Gather /proc facts concurrently; the CPU sample's 0.2 s wait overlaps the ps run."""
    texts = await asyncio.gather(
        read_text(ctx, "/etc/os-release"),
        read_text(ctx, "/proc/sys/kernel/osrelease"),
        read_text(ctx, "/proc/sys/kernel/hostname"),
        read_text(ctx, "/proc/uptime"),
        read_text(ctx, "/proc/loadavg"),
        read_text(ctx, "/proc/stat"),
        read_text(ctx, "/proc/meminfo"),
    )
    os_release, kernel, hostname, uptime, loadavg, stat, meminfo = texts
    if stat is None or meminfo is None:
        raise ToolError(
            "unavailable",
            "cannot read /proc/stat or /proc/meminfo on this host",
            "sfai needs a Linux host with /proc mounted; check that /proc is readable",
        )
    if os_release is None:
        os_release = await read_text(ctx, "/usr/lib/os-release")
    release = parse_os_release(os_release or "")
    (processes, process_source), cpu_used = await asyncio.gather(
        list_processes_with_source(ctx), _cpu_used_percent(ctx, stat)
    )

    uptime_s = float(uptime.split()[0]) if uptime else None
    boot_epoch = next(
        (int(line.split()[1]) for line in stat.splitlines() if line.startswith("btime ")), None
    )
    loads = ([float(v) for v in (loadavg or "").split()[:3]] + [0.0, 0.0, 0.0])[:3]
    cpu_count = count_cpus(stat, None if "cpu0" in stat else await read_text(ctx, "/proc/cpuinfo"))
    mem = memory_from_meminfo(meminfo)
    total = mem.get("MemTotal", 0)
    available = mem.get("MemAvailable", mem.get("MemFree", 0))
    memory = {
        "total_bytes": total,
        "available_bytes": available,
        "used_percent": percent(total - available, total),
    }
    os_name = release.get("PRETTY_NAME") or release.get("NAME") or "unknown Linux"
    name = (hostname or "").strip() or "unknown host"
    parts = [f"{name}: {os_name}"]
    if uptime_s is not None:
        parts.append(f"up {human_duration(uptime_s)}")
    parts.append(f"load {loads[0]:.2f}/{loads[1]:.2f}/{loads[2]:.2f} on {cpu_count} CPUs")
    if cpu_used is not None:
        parts.append(f"CPU {cpu_used:.0f}% used")
    parts.append(f"memory {memory['used_percent']:.0f}% used of {human_bytes(total)}")
    return {
        "summary": ", ".join(parts),
        "hostname": name,
        "os": os_name,
        "kernel": (kernel or "").strip() or None,
        "uptime_s": int(uptime_s) if uptime_s is not None else None,
        "boot_time": iso_utc(boot_epoch) if boot_epoch else None,
        "load_1m": loads[0],
        "load_5m": loads[1],
        "load_15m": loads[2],
        "cpu_count": cpu_count,
        "cpu_used_percent": cpu_used,
        "memory": memory,
        "process_count": len(processes),
        "process_source": process_source,
        "top_by_cpu": [_process_row(p) for p in top(processes, "cpu_percent", TOP_PROCESSES)],
        "top_by_memory": [_process_row(p) for p in top(processes, "rss_bytes", TOP_PROCESSES)],
    }
