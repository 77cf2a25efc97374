"""The live metrics collector (sfai_agent/metrics.py) and LocalHost.metrics(), on this real
machine: real /proc, real filesystems, a real child process burning CPU."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

import pytest

from sfai.core.config import CheckThresholds
from sfai.hosts.local import LocalHost
from sfai_agent.metrics import FIRST_INTERVAL_S, AlertThresholds, MetricsCollector
from tests.fixtures.processes import stop_process

SEVERITIES = {"ok", "warning", "critical"}


@pytest.fixture(scope="module")
def two_samples() -> tuple[dict[str, Any], dict[str, Any]]:
    """A first sample and a second one 0.3 s later, from one collector."""
    collector = MetricsCollector()
    first = collector.sample()
    time.sleep(0.3)
    return first, collector.sample()


@pytest.fixture
def cpu_burner() -> Iterator[subprocess.Popen[bytes]]:
    """A python busy loop that ends by itself after a few seconds."""
    code = "import time\nend = time.monotonic() + 8\nwhile time.monotonic() < end: pass\n"
    process = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    yield process
    stop_process(process)


def test_sample_has_every_key_with_values_in_range(
    two_samples: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    _, sample = two_samples
    assert set(sample) == {
        "time", "interval_s", "cpu_percent", "per_cpu", "cpu_count", "load", "memory",
        "swap", "disks", "net", "processes", "top", "alerts",
    }  # fmt: skip
    assert sample["time"].endswith("Z") and sample["time"][10] == "T"
    assert 0.0 <= sample["cpu_percent"] <= 100.0
    assert len(sample["per_cpu"]) == sample["cpu_count"] >= 1
    assert all(0.0 <= value <= 100.0 for value in sample["per_cpu"])
    assert set(sample["load"]) == {"1m", "5m", "15m", "per_cpu_5m", "severity"}
    assert all(sample["load"][key] >= 0 for key in ("1m", "5m", "15m"))
    memory = sample["memory"]
    assert memory["used_bytes"] + memory["available_bytes"] == memory["total_bytes"] > 0
    assert 0.0 < memory["used_percent"] <= 100.0
    swap = sample["swap"]
    assert 0.0 <= swap["used_percent"] <= 100.0 and swap["used_bytes"] <= swap["total_bytes"]
    assert sample["processes"] > 1
    for block in (sample["load"], memory, swap, *sample["disks"]):
        assert block["severity"] in SEVERITIES
    for alert in sample["alerts"]:
        assert set(alert) == {"severity", "title"} and alert["severity"] != "ok"


def test_rates_are_non_negative_and_cover_the_time_between_samples(
    two_samples: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    _, second = two_samples
    assert 0.29 <= second["interval_s"] < 5
    assert second["net"]["rx_bytes_per_s"] >= 0 and second["net"]["tx_bytes_per_s"] >= 0
    assert all(p["cpu_percent"] > 0 for p in second["top"])
    ceiling = 100.0 * second["cpu_count"]
    assert all(
        0 <= p["memory_percent"] <= 100 and p["cpu_percent"] <= ceiling for p in second["top"]
    )


def test_the_first_sample_already_has_rates_over_a_short_baseline(
    two_samples: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    first, _ = two_samples
    assert first["interval_s"] >= FIRST_INTERVAL_S
    assert isinstance(first["cpu_percent"], float)


def test_samples_are_plain_json(two_samples: tuple[dict[str, Any], dict[str, Any]]) -> None:
    for sample in two_samples:
        assert json.loads(json.dumps(sample, allow_nan=False)) == sample


def test_a_process_burning_cpu_shows_in_top_with_its_name(
    cpu_burner: subprocess.Popen[bytes],
) -> None:
    """Known from its second sample on (per-process CPU is a difference). The list is
    widened to 20 here only because a loaded CI machine may have five busier processes."""
    collector = MetricsCollector(top=20)
    collector.sample()
    found: dict[str, Any] = {}
    deadline = time.monotonic() + 6
    while not found and time.monotonic() < deadline:
        time.sleep(0.5)
        top = collector.sample()["top"]
        found = next((p for p in top if p["pid"] == cpu_burner.pid), {})
    assert found, f"pid {cpu_burner.pid} never among the busiest"
    assert found["name"].startswith("python")
    assert found["cpu_percent"] >= 5  # a busy loop, even on a crowded machine
    assert [p["cpu_percent"] for p in top] == sorted((p["cpu_percent"] for p in top), reverse=True)


def test_disks_are_the_filesystems_get_disk_usage_lists(run_tool, two_samples) -> None:  # type: ignore[no-untyped-def]
    """Same choice of filesystems (pseudo, memory, bind repeats left out) and same figures
    as the tool, so the sidebar and `sfai check` never disagree."""
    tool = asyncio.run(run_tool("get_disk_usage"))
    by_mount = {fs["mountpoint"]: fs for fs in tool["filesystems"]}
    disks = two_samples[1]["disks"]
    assert {d["mountpoint"] for d in disks} == set(by_mount)
    assert "/proc" not in by_mount and "/dev/shm" not in by_mount
    for disk in disks:
        assert disk["used_percent"] == pytest.approx(
            by_mount[disk["mountpoint"]]["used_percent"], abs=1.0
        )
        assert disk["size_bytes"] == by_mount[disk["mountpoint"]]["size_bytes"]


def test_memory_is_counted_as_get_memory_status_counts_it(run_tool) -> None:  # type: ignore[no-untyped-def]
    tool = asyncio.run(run_tool("get_memory_status"))
    sample = MetricsCollector().sample()
    assert sample["memory"]["total_bytes"] == tool["ram"]["total_bytes"]
    assert sample["memory"]["used_percent"] == pytest.approx(tool["ram"]["used_percent"], abs=3.0)


def test_alerts_follow_the_thresholds_critical_first() -> None:
    limits = AlertThresholds(
        disk_warning_percent=0.0,
        disk_critical_percent=101.0,
        memory_warning_percent=0.0,
        memory_critical_percent=0.0,
        load_warning_per_cpu=1000.0,
        load_critical_per_cpu=2000.0,
    )
    sample = MetricsCollector(limits).sample()
    alerts = sample["alerts"]
    assert alerts[0] == {
        "severity": "critical",
        "title": f"memory {sample['memory']['used_percent']:.0f}% used",
    }
    disk_alerts = [a for a in alerts if a["title"].endswith("full")]
    assert len(disk_alerts) == len(sample["disks"]) >= 1
    assert {a["severity"] for a in disk_alerts} == {"warning"}
    assert not any(a["title"].startswith("load") for a in alerts)
    assert sample["load"]["severity"] == "ok"


def test_thresholds_come_from_the_check_table_of_the_config() -> None:
    check = CheckThresholds(disk_warning_percent=70.0, load_critical_per_cpu=5.0)
    limits = AlertThresholds.from_mapping(asdict(check))
    assert limits.disk_warning_percent == 70.0 and limits.load_critical_per_cpu == 5.0
    assert limits.memory_warning_percent == check.memory_warning_percent


def test_importing_the_collector_loads_neither_psutil_nor_sfai() -> None:
    """It runs inside sfai-agent (no sfai there), and imports psutil only to sample."""
    code = "import sys, sfai_agent.metrics; print(sorted({m.split('.')[0] for m in sys.modules}))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "'psutil'" not in loaded and "'sfai'" not in loaded


async def test_local_host_metrics_runs_off_the_event_loop() -> None:
    """The first sample waits FIRST_INTERVAL_S for its baseline. Run on the loop, it would
    give a concurrent task no turn at all until it returned; in a thread, the task ticks
    meanwhile (how often depends on the machine's load, so only "at all" is asserted)."""
    host = LocalHost()
    ticks: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        while not done.is_set():
            ticks.append(time.perf_counter())
            await asyncio.sleep(0.005)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)  # the ticker's first turn, before the call
    started = time.perf_counter()
    sample = await host.metrics()
    ended = time.perf_counter()
    done.set()
    await task
    assert ended - started >= FIRST_INTERVAL_S
    assert any(started < tick < ended for tick in ticks)
    assert sample["memory"]["total_bytes"] > 0


async def test_local_host_metrics_keeps_its_collector_and_serves_concurrent_callers() -> None:
    host = LocalHost(alert_thresholds=AlertThresholds(memory_warning_percent=0.0))
    first = await host.metrics()
    await asyncio.sleep(0.2)
    second, third = await asyncio.gather(host.metrics(), host.metrics())
    assert any(a["title"].startswith("memory") for a in first["alerts"])
    # one collector, one sample at a time: the first of the two covers the 0.2 s since
    # the previous call, the other the moment between them (no second baseline wait)
    shorter, longer = sorted([second["interval_s"], third["interval_s"]])
    assert longer >= 0.2 and shorter < FIRST_INTERVAL_S
    assert {"cpu_percent", "top"} <= set(second) and {"cpu_percent", "top"} <= set(third)
