"""Live metrics of a host reached over SSH, in ``sfai_agent.metrics``' sample format.

The agent measures where it runs (psutil); over SSH there is nothing running there, so
this reads the kernel's own counters through the executor — /proc/stat, /proc/meminfo,
/proc/loadavg, /proc/net/dev, /proc/mounts plus statvfs, and every /proc/PID/stat in one
helper round trip — and keeps the previous reading: CPU, network and per-process figures
are rates over the time between two samples, like the local sidebar's. The first sample
takes a baseline and waits ``FIRST_INTERVAL_S``. Thresholds and alerts are
``sfai_agent.metrics``' own, so every transport judges the same way.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sfai.hosts.ssh_executor import SSHExecutor
from sfai_agent.exec.base import ExecutorError
from sfai_agent.metrics import (
    FIRST_INTERVAL_S,
    NETWORK_FS,
    TOP_PROCESSES,
    AlertThresholds,
    alerts,
    load_entry,
    severity,
)
from sfai_agent.tools.disk import parse_mounts, real_filesystems
from sfai_agent.tools.system import memory_from_meminfo

Ticks = tuple[float, float]
"""(busy, total) jiffies of one CPU."""


def cpu_ticks(stat_text: str) -> list[Ticks]:
    """Per-CPU (busy, total) from the ``cpuN`` lines, counted as psutil and top count them:
    guest time is already in user time; iowait is idle."""
    rows: list[Ticks] = []
    for line in stat_text.splitlines():
        fields = line.split()
        if not fields or not fields[0].startswith("cpu") or not fields[0][3:].isdigit():
            continue
        values = [float(v) for v in fields[1:]]
        values += [0.0] * (10 - len(values))
        total = sum(values[:8])  # guest and guest_nice are inside user and nice
        idle = values[3] + values[4]
        rows.append((total - idle, total))
    return rows


def net_counters(text: str) -> dict[str, tuple[int, int]]:
    """(received, sent) bytes per interface of /proc/net/dev, loopback left out."""
    counters: dict[str, tuple[int, int]] = {}
    for line in text.splitlines()[2:]:
        name, sep, rest = line.partition(":")
        fields = rest.split()
        name = name.strip()
        if sep and len(fields) >= 9 and name != "lo" and not name.startswith("lo:"):
            counters[name] = (int(fields[0]), int(fields[8]))
    return counters


def _percent(part: float, whole: float) -> float:
    return round(100.0 * part / whole, 1) if whole > 0 else 0.0


def _cpu_percent(before: Ticks, after: Ticks) -> float:
    elapsed = after[1] - before[1]
    if elapsed <= 0:
        return 0.0
    return round(min(100.0, max(0.0, 100.0 * (after[0] - before[0]) / elapsed)), 1)


@dataclass
class _Reading:
    at: float
    cpus: list[Ticks]
    nics: dict[str, tuple[int, int]]
    procs: dict[int, tuple[str, int, int]] = field(default_factory=dict)
    """pid -> (name, CPU ticks, RSS pages)."""
    clock_ticks: int = 100
    page_size: int = 4096


class RemoteMetrics:
    """Samples one host through its executor; keeps the previous reading for rates."""

    def __init__(self, executor: SSHExecutor, thresholds: AlertThresholds | None = None) -> None:
        self.executor = executor
        self.thresholds = thresholds or AlertThresholds()
        self._previous: _Reading | None = None
        self._lock = asyncio.Lock()

    async def _text(self, path: str) -> str:
        return (await self.executor.read_file(path)).decode("utf-8", errors="replace")

    async def _read(self) -> _Reading:
        stat, net = await asyncio.gather(self._text("/proc/stat"), self._text("/proc/net/dev"))
        reading = _Reading(time.monotonic(), cpu_ticks(stat), net_counters(net))
        files = await self.executor.files()
        processes = getattr(files, "processes", None)
        if processes is not None:
            got = await processes()
            reading.clock_ticks = int(got["tck"]) or 100
            reading.page_size = int(got["page"]) or 4096
            reading.procs = {int(r[0]): (str(r[1]), int(r[2]), int(r[3])) for r in got["rows"]}
        return reading

    async def sample(self) -> dict[str, Any]:
        """One sample (raises ``ExecutorError`` when the host cannot be read)."""
        async with self._lock:
            if self._previous is None:
                self._previous = await self._read()
                await asyncio.sleep(FIRST_INTERVAL_S)
            previous = self._previous
            now, meminfo, loadavg, disks = await asyncio.gather(
                self._read(),
                self._text("/proc/meminfo"),
                self._text("/proc/loadavg"),
                self._disks(),
            )
            self._previous = now
        elapsed = max(now.at - previous.at, 1e-6)
        cpu_count = len(now.cpus) or 1
        memory = memory_from_meminfo(meminfo)
        sample: dict[str, Any] = {
            "time": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "interval_s": round(elapsed, 3),
            "cpu_percent": _cpu_percent(
                (sum(c[0] for c in previous.cpus), sum(c[1] for c in previous.cpus)),
                (sum(c[0] for c in now.cpus), sum(c[1] for c in now.cpus)),
            ),
            "per_cpu": [_cpu_percent(a, b) for a, b in zip(previous.cpus, now.cpus, strict=False)],
            "cpu_count": cpu_count,
            "load": self._load(loadavg, cpu_count),
            **self._memory(memory),
            "disks": disks,
            "net": self._net(previous.nics, now.nics, elapsed),
            "processes": len(now.procs),
            "top": self._top(previous, now, elapsed, memory.get("MemTotal", 0)),
        }
        sample["alerts"] = alerts(sample)
        return sample

    def _load(self, text: str, cpu_count: int) -> dict[str, Any]:
        one, five, fifteen = ([float(v) for v in text.split()[:3]] + [0.0] * 3)[:3]
        return load_entry((one, five, fifteen), cpu_count, self.thresholds)

    def _memory(self, mem: dict[str, int]) -> dict[str, Any]:
        """Used RAM is total minus available, as ``get_memory_status`` counts it."""
        limits = self.thresholds
        total = mem.get("MemTotal", 0)
        available = mem.get("MemAvailable", mem.get("MemFree", 0))
        swap_total, swap_free = mem.get("SwapTotal", 0), mem.get("SwapFree", 0)
        ram_used, swap_used = (
            _percent(total - available, total),
            _percent(swap_total - swap_free, swap_total),
        )
        return {
            "memory": {
                "total_bytes": total,
                "used_bytes": total - available,
                "available_bytes": available,
                "used_percent": ram_used,
                "severity": severity(
                    ram_used, limits.memory_warning_percent, limits.memory_critical_percent
                ),
            },
            "swap": {
                "total_bytes": swap_total,
                "used_bytes": swap_total - swap_free,
                "free_bytes": swap_free,
                "used_percent": swap_used,
                "severity": severity(
                    swap_used, limits.swap_warning_percent, limits.swap_critical_percent
                )
                if swap_total
                else "ok",
            },
        }

    async def _disks(self) -> list[dict[str, Any]]:
        """Real local filesystems, one row per device (network mounts left out: statvfs on
        a hung one never returns)."""
        mounts = [
            m
            for m in real_filesystems(parse_mounts(await self._text("/proc/mounts")))
            if m.fstype not in NETWORK_FS
        ]

        async def measure(mountpoint: str) -> tuple[int, Any] | None:
            try:
                info = await self.executor.stat(mountpoint, follow_symlinks=True)
                return info.device, await self.executor.fs_usage(mountpoint)
            except ExecutorError:
                return None

        measured = await asyncio.gather(*(measure(m.mountpoint) for m in mounts))
        limits = self.thresholds
        rows: list[dict[str, Any]] = []
        seen: set[int] = set()
        for mount, got in zip(mounts, measured, strict=True):
            if got is None or got[0] in seen:
                continue
            seen.add(got[0])
            usage = got[1]
            used_percent = _percent(usage.used_bytes, usage.used_bytes + usage.free_bytes)
            rows.append(
                {
                    "mountpoint": mount.mountpoint,
                    "size_bytes": usage.size_bytes,
                    "free_bytes": usage.free_bytes,
                    "used_percent": used_percent,
                    "severity": severity(
                        used_percent, limits.disk_warning_percent, limits.disk_critical_percent
                    ),
                }
            )
        return sorted(rows, key=lambda row: row["mountpoint"])

    @staticmethod
    def _net(
        before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]], elapsed: float
    ) -> dict[str, float]:
        rx = tx = 0
        for name, (received, sent) in after.items():
            if name in before:
                rx += max(0, received - before[name][0])
                tx += max(0, sent - before[name][1])
        return {"rx_bytes_per_s": round(rx / elapsed, 1), "tx_bytes_per_s": round(tx / elapsed, 1)}

    @staticmethod
    def _top(
        previous: _Reading, now: _Reading, elapsed: float, mem_total: int
    ) -> list[dict[str, Any]]:
        """The busiest processes since the previous sample, in % of one CPU (as top shows);
        a pid seen for the first time has no baseline yet and waits for the next sample."""
        ceiling = 100.0 * max(len(now.cpus), 1)
        busy: list[tuple[float, int, str, int]] = []
        for pid, (name, ticks, rss_pages) in now.procs.items():
            before = previous.procs.get(pid)
            if before is None or before[0] != name:
                continue
            cpu = min(ceiling, 100.0 * (ticks - before[1]) / now.clock_ticks / elapsed)
            if cpu > 0:
                busy.append((cpu, pid, name, rss_pages))
        busy.sort(key=lambda row: -row[0])
        return [
            {
                "pid": pid,
                "name": name,
                "cpu_percent": round(cpu, 1),
                "memory_percent": round(_percent(rss * now.page_size, mem_total), 1),
            }
            for cpu, pid, name, rss in busy[:TOP_PROCESSES]
        ]
