"""What one live-metrics sample costs (the sidebar takes one every 1.5 s): the collector
alone, each of its parts, and LocalHost.metrics() with its hop to a thread.

No goal was set; the figure to keep small is the collector's share of a CPU at the
sidebar's pace (median / 1.5 s).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _timing import report, time_call

from sfai.hosts.local import LocalHost
from sfai_agent.metrics import MetricsCollector

RUNS = 200

collector = MetricsCollector()
first_started = time.perf_counter()
sample = collector.sample()
report("first sample (baseline + wait)", [time.perf_counter() - first_started])
print(f"  ({sample['processes']} processes, {len(sample['disks'])} filesystems)")


def paced() -> None:
    time.sleep(0.01)  # a little time between samples, so per-process figures move
    collector.sample()


samples = [s - 0.01 for s in time_call(paced, RUNS)]
report("MetricsCollector.sample()", samples)
print(f"  share of one CPU at a 1.5 s interval: {statistics.median(samples) / 1.5:.2%}")
parts = {
    "  counters (cpu_times, net_io_counters)": collector._read_counters,
    "  memory + swap": collector._memory,
    "  disks (/proc/mounts + statvfs)": collector._disks,
    "  processes (cpu_percent of each)": collector._top_processes,
}
for label, part in parts.items():
    report(label, time_call(part, RUNS))


async def through_the_host() -> list[float]:
    host = LocalHost()
    await host.metrics()
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        await host.metrics()
        timings.append(time.perf_counter() - started)
    return timings


report("LocalHost.metrics() (to_thread)", asyncio.run(through_the_host()))
