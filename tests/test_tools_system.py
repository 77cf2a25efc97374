"""get_system_overview and the shared process listing, on this machine's real /proc and ps."""

from __future__ import annotations

import ctypes
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from sfai_agent.exec import LocalExecutor
from sfai_agent.tools.base import ToolContext
from sfai_agent.tools.procs import list_processes, list_processes_with_source, parse_ps_line
from sfai_agent.tools.render import render_text
from sfai_agent.tools.runner import call_tool
from sfai_agent.tools.system import count_cpus, parse_cpu_times, parse_os_release
from tests.fixtures.processes import stop_process

PROCESS_KEYS = {"pid", "user", "name", "cpu_percent", "memory_percent", "rss_bytes", "command"}


@pytest.fixture
def named_child() -> Iterator[int]:
    """A real process whose kernel task name holds spaces, as tmux's does."""
    code = (
        "import ctypes, sys\n"
        "ctypes.CDLL(None).prctl(15, b'tmux: server', 0, 0, 0)\n"
        "print('ready', flush=True)\n"
        "sys.stdin.read()\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code, "--marker-arg"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert process.stdout is not None and process.stdout.readline().strip() == b"ready"
    try:
        yield process.pid
    finally:
        stop_process(process)  # type: ignore[arg-type]


async def test_overview_of_this_machine(run_tool) -> None:
    result = await run_tool("get_system_overview", {})
    assert result["ok"], result
    assert result["hostname"] == socket.gethostname()
    assert result["kernel"] == os.uname().release
    assert result["os"] and result["os"] != "unknown Linux"
    assert result["uptime_s"] > 0
    boot = datetime.fromisoformat(result["boot_time"].replace("Z", "+00:00"))
    assert abs(boot.timestamp() + result["uptime_s"] - time.time()) < 120
    assert all(result[key] >= 0 for key in ("load_1m", "load_5m", "load_15m"))
    assert 1 <= result["cpu_count"] <= (os.cpu_count() or 1)
    assert result["cpu_used_percent"] is not None and 0 <= result["cpu_used_percent"] <= 100
    memory = result["memory"]
    assert memory["total_bytes"] > 0 and 0 < memory["available_bytes"] <= memory["total_bytes"]
    assert 0 <= memory["used_percent"] <= 100
    assert result["process_source"] == "ps"
    for key in ("top_by_cpu", "top_by_memory"):
        rows = result[key]
        assert 1 <= len(rows) <= 8
        assert all(set(row) == PROCESS_KEYS for row in rows)
        assert all(len(row["command"]) <= 200 for row in rows)
    rss = [row["rss_bytes"] for row in result["top_by_memory"]]
    assert rss == sorted(rss, reverse=True)
    cpu = [row["cpu_percent"] for row in result["top_by_cpu"]]
    assert cpu == sorted(cpu, reverse=True)
    text = render_text(result)
    assert text.startswith(result["summary"]) and "top_by_memory" in text
    assert result["hostname"] in result["summary"]


async def test_process_list_holds_this_test_and_odd_names(make_context, named_child: int) -> None:
    processes = await list_processes(make_context())
    by_pid = {p["pid"]: p for p in processes}
    me = by_pid[os.getpid()]
    assert me["rss_bytes"] > 1_000_000 and 0 <= me["memory_percent"] <= 100
    assert me["user"] == "root" if os.getuid() == 0 else me["user"]
    child = by_pid[named_child]
    assert child["name"] == "tmux: server"
    assert child["command"].startswith(sys.executable) and child["command"].endswith("--marker-arg")
    assert not any(p["name"] == "ps" and "pid=,user=" in p["command"] for p in processes)


async def test_proc_fallback_when_ps_is_missing(tmp_path: Path, named_child: int) -> None:
    context = ToolContext(executor=LocalExecutor(base_env={"PATH": str(tmp_path)}))
    processes, source = await list_processes_with_source(context)
    assert source == "proc"
    by_pid = {p["pid"]: p for p in processes}
    me = by_pid[os.getpid()]
    assert me["rss_bytes"] > 1_000_000 and me["command"] and set(me) >= PROCESS_KEYS
    assert by_pid[named_child]["name"] == "tmux: server"
    assert by_pid[named_child]["command"].endswith("--marker-arg")
    assert by_pid[1]["elapsed_s"] > 0
    overview = await call_tool("get_system_overview", {}, context)
    assert overview["ok"] and overview["process_source"] == "proc", overview
    assert overview["top_by_memory"]


def test_ps_line_parsing() -> None:
    line = (
        f"  4106 www-data   5.8  1.5 13796   3600 {'my proc name xy':<15} /usr/bin/python3 -c x y"
    )
    assert parse_ps_line(line) == {
        "pid": 4106,
        "user": "www-data",
        "name": "my proc name xy",
        "cpu_percent": 5.8,
        "memory_percent": 1.5,
        "rss_bytes": 13796 * 1024,
        "elapsed_s": 3600,
        "command": "/usr/bin/python3 -c x y",
    }
    kernel = parse_ps_line(f"    2 root      0.0  0.0     0    331 {'kthreadd':<15} [kthreadd]")
    assert kernel is not None and kernel["name"] == "kthreadd" and kernel["command"] == "[kthreadd]"
    long_args = parse_ps_line(f"9 root 0.0 0.0 1 1 {'java':<15} " + "x" * 500)
    assert long_args is not None and len(long_args["command"]) == 200
    assert parse_ps_line("garbage") is None
    assert parse_ps_line("a b c d e f g h") is None


def test_proc_parsers() -> None:
    release = parse_os_release(
        'NAME="Debian GNU/Linux"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n'
    )
    assert release["PRETTY_NAME"] == "Debian GNU/Linux 12 (bookworm)" and release["ID"] == "debian"
    stat = "cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 50 0 25 400 25 0 0 0 0 0\ncpu1 50 0 25 400 25 0 0 0 0 0\nbtime 1\n"
    assert parse_cpu_times(stat) == (150, 1000)
    assert count_cpus(stat, None) == 2
    assert count_cpus("cpu 1 2 3 4\n", "processor\t: 0\nprocessor\t: 1\nprocessor\t: 2\n") == 3


async def test_schema_takes_no_arguments(run_tool) -> None:
    result = await run_tool("get_system_overview", {"verbose": True})
    assert result["error"]["code"] == "invalid_argument"


def test_ctypes_prctl_is_available() -> None:
    """The odd-name fixture needs prctl through ctypes (Linux libc)."""
    assert hasattr(ctypes.CDLL(None), "prctl")
