"""Live metrics of the machine this code runs on: what the TUI's sidebar draws every second
or two, and (later) what ``sfai-agent`` streams for ``metrics.subscribe``.

Unlike the tools, this reads the host directly (psutil, ``os.statvfs``): it only ever runs
where the host is — in-process for the local host, inside the agent daemon for a managed
one — never over SSH. psutil is imported inside the functions that use it so that
importing this module (or the catalog next to it) stays light.

A sample is one plain-JSON dict (it will cross the agent's WebSocket):

``time`` (ISO 8601 UTC), ``interval_s`` (seconds the rates cover), ``cpu_percent``,
``per_cpu`` (list), ``cpu_count``, ``load`` (``1m``, ``5m``, ``15m``, ``per_cpu_5m``,
``severity``), ``memory`` and ``swap`` (``total_bytes``, ``used_bytes``,
``available_bytes`` / ``free_bytes``, ``used_percent``, ``severity``), ``disks``
(``mountpoint``, ``size_bytes``, ``free_bytes``, ``used_percent``, ``severity``), ``net``
(``rx_bytes_per_s``, ``tx_bytes_per_s``), ``processes`` (count), ``top`` (at most 5 by CPU:
``pid``, ``name``, ``cpu_percent`` — of one CPU, as ``top`` shows it —, ``memory_percent``)
and ``alerts`` (``severity``, ``title``; critical first). ``severity`` is ``ok``,
``warning`` or ``critical``, judged here so that front ends never hold thresholds.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from sfai_agent.tools.disk import parse_mounts, real_filesystems

if TYPE_CHECKING:
    import psutil

TOP_PROCESSES = 5
FIRST_INTERVAL_S = 0.1
"""Rates need two readings: the first sample waits this long (in its thread) for a baseline."""
NETWORK_FS = frozenset(
    {
        "nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "ceph", "glusterfs", "afs", "davfs",
        "fuse.sshfs", "fuse.glusterfs", "fuse.rclone", "fuse.s3fs", "fuse.cephfs",
    }
)  # fmt: skip
"""Left out of the per-second sample: statvfs on a hung network mount never returns.
``get_disk_usage`` still reports them, under its executor's timeout."""
Sample = dict[str, Any]


@dataclass(frozen=True)
class AlertThresholds:
    """When a value becomes an alert. Same names and defaults as ``[check]`` in sfai's
    config, so the operator's side passes that table through ``from_mapping``; the
    agent cannot import sfai, hence this copy of the few that matter every second."""

    disk_warning_percent: float = 85.0
    disk_critical_percent: float = 95.0
    memory_warning_percent: float = 90.0
    memory_critical_percent: float = 97.0
    swap_warning_percent: float = 50.0
    swap_critical_percent: float = 90.0
    load_warning_per_cpu: float = 1.5
    load_critical_per_cpu: float = 3.0

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> AlertThresholds:
        """Build from a config table, ignoring the keys that are not about live metrics."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: float(v) for k, v in data.items() if k in known})


def severity(value: float, warning: float, critical: float) -> str:
    if value >= critical:
        return "critical"
    return "warning" if value >= warning else "ok"


def _percent(part: float, whole: float) -> float:
    return round(100.0 * part / whole, 1) if whole > 0 else 0.0


class _CpuTicks(NamedTuple):
    busy: float
    total: float


def _ticks(times: Any) -> _CpuTicks:
    """Busy and total time of one ``cpu_times`` row, counted as psutil and top count them:
    guest time is already inside user time, and iowait is idle."""
    total = sum(times) - getattr(times, "guest", 0.0) - getattr(times, "guest_nice", 0.0)
    idle = times.idle + getattr(times, "iowait", 0.0)
    return _CpuTicks(total - idle, total)


def _cpu_percent(before: _CpuTicks, after: _CpuTicks) -> float:
    elapsed = after.total - before.total
    if elapsed <= 0:
        return 0.0
    return round(min(100.0, max(0.0, 100.0 * (after.busy - before.busy) / elapsed)), 1)


@dataclass
class _Reading:
    """The counters a rate is computed from; kept from one sample to the next."""

    at: float
    cpus: list[_CpuTicks]
    nics: dict[str, tuple[int, int]]


def load_entry(
    averages: tuple[float, float, float], cpu_count: int, limits: AlertThresholds
) -> dict[str, Any]:
    """The sample's ``load`` entry, wherever the averages were read (here, or /proc over SSH)."""
    one, five, fifteen = averages
    per_cpu = five / max(cpu_count, 1)
    return {
        "1m": round(one, 2),
        "5m": round(five, 2),
        "15m": round(fifteen, 2),
        "per_cpu_5m": round(per_cpu, 2),
        "severity": severity(per_cpu, limits.load_warning_per_cpu, limits.load_critical_per_cpu),
    }


class MetricsCollector:
    """Samples the host; keeps the previous reading so that CPU, network and per-process
    figures are rates over the time between two samples, not averages since boot.

    Thread-safe (one sample at a time): callers run ``sample()`` in a thread, because
    psutil's reads of /proc are quick but blocking.
    """

    def __init__(self, thresholds: AlertThresholds | None = None, *, top: int = TOP_PROCESSES):
        self.thresholds = thresholds or AlertThresholds()
        self.top = top
        self._lock = threading.Lock()
        self._previous: _Reading | None = None
        self._processes: dict[int, psutil.Process] = {}

    def sample(self) -> Sample:
        """One sample. The first call takes a baseline and waits ``FIRST_INTERVAL_S``, so
        every sample, the first included, has real rates."""
        with self._lock:
            if self._previous is None:
                self._previous = self._read_counters()
                self._top_processes()  # per-process CPU needs a baseline too
                time.sleep(FIRST_INTERVAL_S)
            return self._sample(self._previous)

    def _read_counters(self) -> _Reading:
        import psutil

        cpus = [_ticks(row) for row in psutil.cpu_times(percpu=True)]
        nics = {
            name: (counters.bytes_recv, counters.bytes_sent)
            for name, counters in psutil.net_io_counters(pernic=True).items()
            if name != "lo" and not name.startswith("lo:")
        }
        return _Reading(time.monotonic(), cpus, nics)

    def _sample(self, previous: _Reading) -> Sample:
        now = self._read_counters()
        self._previous = now
        elapsed = max(now.at - previous.at, 1e-6)
        per_cpu = [_cpu_percent(a, b) for a, b in zip(previous.cpus, now.cpus, strict=False)]
        overall = _cpu_percent(
            _CpuTicks(sum(c.busy for c in previous.cpus), sum(c.total for c in previous.cpus)),
            _CpuTicks(sum(c.busy for c in now.cpus), sum(c.total for c in now.cpus)),
        )
        top, count = self._top_processes()
        cpu_count = len(now.cpus) or 1  # the CPUs online now
        sample: Sample = {
            "time": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "interval_s": round(elapsed, 3),
            "cpu_percent": overall,
            "per_cpu": per_cpu,
            "cpu_count": cpu_count,
            "load": self._load(cpu_count),
            **self._memory(),
            "disks": self._disks(),
            "net": _net_rates(previous.nics, now.nics, elapsed),
            "processes": count,
            "top": top,
        }
        sample["alerts"] = alerts(sample)
        return sample

    def _load(self, cpu_count: int) -> dict[str, Any]:
        return load_entry(os.getloadavg(), cpu_count, self.thresholds)

    def _memory(self) -> dict[str, Any]:
        """RAM counted as ``get_memory_status`` counts it: used is total minus available
        (what the kernel could not hand out without swapping), not psutil's ``used``."""
        import psutil

        ram, swap = psutil.virtual_memory(), psutil.swap_memory()
        limits = self.thresholds
        ram_used = _percent(ram.total - ram.available, ram.total)
        swap_used = _percent(swap.used, swap.total)
        return {
            "memory": {
                "total_bytes": ram.total,
                "used_bytes": ram.total - ram.available,
                "available_bytes": ram.available,
                "used_percent": ram_used,
                "severity": severity(
                    ram_used, limits.memory_warning_percent, limits.memory_critical_percent
                ),
            },
            "swap": {
                "total_bytes": swap.total,
                "used_bytes": swap.used,
                "free_bytes": swap.free,
                "used_percent": swap_used,
                "severity": severity(
                    swap_used, limits.swap_warning_percent, limits.swap_critical_percent
                )
                if swap.total
                else "ok",
            },
        }

    def _disks(self) -> list[dict[str, Any]]:
        """Real filesystems as ``get_disk_usage`` chooses them (one row per device: bind
        mounts repeat the first), measured as df measures them."""
        try:
            with open("/proc/mounts", encoding="utf-8", errors="replace") as handle:
                mounts = parse_mounts(handle.read())
        except OSError:
            return []
        limits = self.thresholds
        rows: list[dict[str, Any]] = []
        seen: set[int] = set()
        for mount in real_filesystems(mounts):
            if mount.fstype in NETWORK_FS:
                continue
            try:
                device = Path(mount.mountpoint).stat().st_dev
                if device in seen:
                    continue
                vfs = os.statvfs(mount.mountpoint)
            except OSError:
                continue  # gone, or not ours to look at (another user's FUSE mount)
            seen.add(device)
            used = (vfs.f_blocks - vfs.f_bfree) * vfs.f_frsize
            free = vfs.f_bavail * vfs.f_frsize
            used_percent = _percent(used, used + free)
            rows.append(
                {
                    "mountpoint": mount.mountpoint,
                    "size_bytes": vfs.f_blocks * vfs.f_frsize,
                    "free_bytes": free,
                    "used_percent": used_percent,
                    "severity": severity(
                        used_percent, limits.disk_warning_percent, limits.disk_critical_percent
                    ),
                }
            )
        return sorted(rows, key=lambda row: row["mountpoint"])

    def _top_processes(self) -> tuple[list[dict[str, Any]], int]:
        """The busiest processes since the previous sample. psutil's per-process CPU is the
        change since that Process object's last reading, so the objects are kept between
        samples (a new pid gets its baseline now and shows from the next sample on)."""
        import psutil

        pids = psutil.pids()
        known = self._processes
        alive: dict[int, psutil.Process] = {}
        busy: list[tuple[float, psutil.Process]] = []
        for pid in pids:
            try:
                process = known.get(pid)
                if process is None:
                    process = psutil.Process(pid)
                cpu = process.cpu_percent(None)
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            alive[pid] = process
            if pid in known and cpu > 0:
                busy.append((cpu, process))
        self._processes = alive
        # a pid reused between samples can read above what the CPUs can give: clip it
        ceiling = 100.0 * (psutil.cpu_count() or 1)
        busy = sorted(((min(cpu, ceiling), p) for cpu, p in busy), key=lambda item: -item[0])
        return _describe(busy, self.top), len(alive)


def _describe(busy: Iterable[tuple[float, psutil.Process]], limit: int) -> list[dict[str, Any]]:
    import psutil

    rows: list[dict[str, Any]] = []
    for cpu, process in busy:
        if len(rows) >= limit:
            break
        try:
            with process.oneshot():
                name, memory = process.name(), process.memory_percent()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue  # exited since: the next sample will not list it either
        rows.append(
            {
                "pid": process.pid,
                "name": name,
                "cpu_percent": round(cpu, 1),
                "memory_percent": round(memory, 1),
            }
        )
    return rows


def _net_rates(
    before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]], elapsed: float
) -> dict[str, float]:
    """Bytes per second over the interfaces present in both readings: one that appeared or
    vanished in between (a container stopping) does not count as traffic."""
    rx = tx = 0
    for name, (received, sent) in after.items():
        if name in before:
            rx += max(0, received - before[name][0])
            tx += max(0, sent - before[name][1])
    return {"rx_bytes_per_s": round(rx / elapsed, 1), "tx_bytes_per_s": round(tx / elapsed, 1)}


def alerts(sample: Mapping[str, Any]) -> list[dict[str, str]]:
    """The sample's warnings and criticals, critical first, titles short enough for a
    30-column sidebar."""
    found: list[dict[str, str]] = []
    memory, swap, load = sample["memory"], sample["swap"], sample["load"]
    if memory["severity"] != "ok":
        found.append(_alert(memory["severity"], f"memory {memory['used_percent']:.0f}% used"))
    if swap["severity"] != "ok":
        found.append(_alert(swap["severity"], f"swap {swap['used_percent']:.0f}% used"))
    if load["severity"] != "ok":
        title = f"load {load['5m']:.2f} on {sample['cpu_count']} CPUs"
        found.append(_alert(load["severity"], title))
    for disk in sample["disks"]:
        if disk["severity"] != "ok":
            title = f"{disk['mountpoint']} {disk['used_percent']:.0f}% full"
            found.append(_alert(disk["severity"], title))
    return sorted(found, key=lambda alert: alert["severity"] != "critical")


def _alert(level: str, title: str) -> dict[str, str]:
    return {"severity": level, "title": title}
