"""get_memory_status on this machine's real /proc, with a real process holding memory,
and the OOM-kill parser on kernel lines in the formats kernels really print."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sfai_agent.exec import LocalExecutor
from sfai_agent.tools.base import ToolContext
from sfai_agent.tools.memory import parse_oom_kills, parse_oom_line
from sfai_agent.tools.render import render_text
from sfai_agent.tools.runner import call_tool
from tests.fixtures.processes import stop_process

HOLD_MB = 200
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)

MODERN = (
    "Out of memory: Killed process 4321 (java) total-vm:8123456kB, anon-rss:3123456kB, "
    "file-rss:1024kB, shmem-rss:512kB, UID:1000 pgtables:7000kB oom_score_adj:0"
)
OOM_KILL_INFO = (
    "oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,"
    "task_memcg=/system.slice/app.service,task=java,pid=4321,uid=1000"
)
INVOKED = (
    "java invoked oom-killer: gfp_mask=0x100cca(GFP_HIGHUSER_MOVABLE), order=0, oom_score_adj=0"
)
REAPER = "oom_reaper: reaped process 4321 (java), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB"
CGROUP = (
    "Memory cgroup out of memory: Killed process 999 (node) total-vm:1000000kB, "
    "anon-rss:500000kB, file-rss:2000kB, shmem-rss:0kB, UID:0 pgtables:1200kB oom_score_adj:0"
)
OLD_KILL = "Out of memory: Kill process 1234 (mysqld) score 900 or sacrifice child"
OLD_KILLED = "Killed process 1234 (mysqld) total-vm:2457600kB, anon-rss:1572864kB, file-rss:0kB"


@pytest.fixture
def memory_hog() -> Iterator[int]:
    """A real child process holding HOLD_MB of touched memory until we stop it."""
    code = (
        f"data = b'\\x01' * ({HOLD_MB} * 1024 * 1024)\n"
        "import sys\nprint('ready', flush=True)\nsys.stdin.read()\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert process.stdout is not None and process.stdout.readline().strip() == b"ready"
    try:
        yield process.pid
    finally:
        stop_process(process)  # type: ignore[arg-type]


def test_modern_kill_line() -> None:
    event = parse_oom_line(MODERN)
    assert event == {
        "pid": 4321,
        "process": "java",
        "rss_bytes": (3123456 + 1024 + 512) * 1024,
        "scope": "system",
    }


def test_cgroup_and_old_style_lines() -> None:
    cgroup = parse_oom_line(CGROUP)
    assert cgroup is not None and cgroup["scope"] == "cgroup" and cgroup["pid"] == 999
    assert cgroup["rss_bytes"] == 502000 * 1024
    old = parse_oom_line(OLD_KILL)
    assert old is not None and (old["pid"], old["process"], old["rss_bytes"]) == (
        1234,
        "mysqld",
        None,
    )
    killed = parse_oom_line(OLD_KILLED)
    assert killed is not None and killed["rss_bytes"] == 1572864 * 1024
    info = parse_oom_line(OOM_KILL_INFO)
    assert info is not None and (info["pid"], info["process"], info["scope"]) == (
        4321,
        "java",
        "system",
    )


def test_lines_that_name_no_victim() -> None:
    assert parse_oom_line(INVOKED) is None
    assert parse_oom_line(REAPER) is None
    assert parse_oom_line("EXT4-fs (vda): mounted filesystem") is None


def test_odd_process_names() -> None:
    sd_pam = parse_oom_line(
        "Out of memory: Killed process 77 ((sd-pam)) total-vm:100kB, anon-rss:10kB, file-rss:0kB"
    )
    assert sd_pam is not None and sd_pam["process"] == "(sd-pam)"
    spaced = parse_oom_line(
        "Out of memory: Killed process 88 (Web Content) total-vm:1kB, anon-rss:1kB, file-rss:1kB"
    )
    assert spaced is not None and spaced["process"] == "Web Content"


def test_one_event_per_kill_with_times_from_each_log_format() -> None:
    boot = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    dmesg = [
        f"[ 3600.100000] {INVOKED}",
        "[ 3600.100100] Mem-Info:",
        f"[ 3600.200000] {OOM_KILL_INFO}",
        f"[ 3600.200100] {MODERN}",
        f"[ 3600.300000] {REAPER}",
    ]
    events = parse_oom_kills(dmesg, NOW, boot)
    assert len(events) == 1
    event = events[0]
    assert event["time"] == "2026-11-24T13:00:00Z"
    assert (event["pid"], event["process"], event["scope"]) == (4321, "java", "system")
    assert event["rss_bytes"] == (3123456 + 1024 + 512) * 1024
    assert event["line"].endswith(MODERN)
    assert next(iter(event)) == "time"

    kern_log = [
        f"Nov 24 14:03:01 web1 kernel: [12345.678901] {OLD_KILL}",
        f"Nov 24 14:03:01 web1 kernel: [12345.679001] {OLD_KILLED}",
        f"2026-11-24T14:30:00+0000 web1 kernel: {CGROUP}",
        f"2026-11-24T14:40:00,123456+00:00 {MODERN}",
    ]
    events = parse_oom_kills(kern_log, NOW)
    assert [(e["time"], e["pid"], e["process"]) for e in events] == [
        ("2026-11-24T14:03:01Z", 1234, "mysqld"),
        ("2026-11-24T14:30:00Z", 999, "node"),
        ("2026-11-24T14:40:00Z", 4321, "java"),
    ]
    assert events[0]["rss_bytes"] == 1572864 * 1024  # taken from the second line of the pair


async def test_memory_status_of_this_machine(run_tool, memory_hog: int) -> None:
    result = await run_tool("get_memory_status", {})
    assert result["ok"], result
    ram, swap = result["ram"], result["swap"]
    assert ram["total_bytes"] > 0 and 0 < ram["available_bytes"] <= ram["total_bytes"]
    assert ram["used_bytes"] == ram["total_bytes"] - ram["available_bytes"]
    assert (
        0 <= ram["used_percent"] <= 100 and ram["buffers_bytes"] >= 0 and ram["cached_bytes"] >= 0
    )
    assert swap["used_bytes"] + swap["free_bytes"] == swap["total_bytes"]
    assert 0 <= swap["used_percent"] <= 100
    consumers = result["top_consumers"]
    assert 1 <= len(consumers) <= 10
    assert [c["rss_bytes"] for c in consumers] == sorted(
        (c["rss_bytes"] for c in consumers), reverse=True
    )
    hog = next((c for c in consumers if c["pid"] == memory_hog), None)
    assert hog is not None, consumers
    assert hog["rss_bytes"] >= HOLD_MB * 1024 * 1024 and "python" in hog["command"]
    assert isinstance(result["oom_kills"], list) and result["oom_source"]
    text = render_text(result)
    assert text.startswith(result["summary"]) and "top_consumers" in text


async def test_degrades_without_ps_or_kernel_log_tools(tmp_path: Path, memory_hog: int) -> None:
    """No ps, journalctl or dmesg on PATH: processes come from /proc, and the OOM source
    says why it could not be read instead of claiming there were no kills."""
    context = ToolContext(executor=LocalExecutor(base_env={"PATH": str(tmp_path)}))
    result = await call_tool("get_memory_status", {}, context)
    assert result["ok"], result
    assert result["process_source"] == "proc"
    assert memory_hog in [c["pid"] for c in result["top_consumers"]]
    if result["oom_source"].startswith("none readable"):
        assert "journalctl" in result["oom_source"] and "OOM kills unknown" in result["summary"]
    else:  # a kern.log exists on this host
        assert result["oom_source"].startswith("/var/log/")
