"""What ``sfai-agent serve`` costs the server it runs on: memory and CPU, idle and busy.

One real agent on loopback (the process the fixtures start), measured from outside with
psutil (the agent's process and any children it has at the time):

- idle: RSS after start-up, and CPU over ``--seconds`` with nobody connected;
- watched: CPU while one client is subscribed to metrics (a TUI sidebar, 1 sample/s);
- light load: ``--clients`` connections calling ``get_logs`` (20 lines) back to back;
- check load: the same connections calling the five tools of ``sfai check`` in a loop
  (these run ps, df, systemctl... on the host, so their children are counted too);
- RSS again once the load has stopped (what stays allocated).

    .venv/bin/python bench/agent_footprint.py [--seconds 10] [--clients 8]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
import psutil
from _remote import agent_entry, agents, machine

from sfai.core.config import Config
from sfai.hosts.agent import AgentHost
from sfai_agent.settings import AgentSettings

CHECK_TOOLS = (
    "get_disk_usage",
    "get_memory_status",
    "get_system_overview",
    "list_services",
    "list_apps",
)


def family(pid: int) -> list[psutil.Process]:
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def cpu_seconds(pid: int) -> float:
    """CPU time of the agent and its children, the dead ones included (they were waited)."""
    total = 0.0
    for process in family(pid):
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
        if process.pid == pid:
            total += times.children_user + times.children_system
    return total


def rss_mib(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / 1024**2


class Watch:
    """CPU share and peak RSS of the agent over a stretch of time."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = rss_mib(pid)
        self.cpu0 = cpu_seconds(pid)
        self.t0 = time.perf_counter()

    def sample(self) -> None:
        self.peak = max(self.peak, rss_mib(self.pid))

    def report(self, label: str, extra: str = "") -> None:
        elapsed = time.perf_counter() - self.t0
        share = (cpu_seconds(self.pid) - self.cpu0) / elapsed * 100
        print(
            f"{label:<44} CPU {share:6.2f}% of one core   RSS peak {self.peak:6.1f} MiB"
            f"{'   ' + extra if extra else ''}",
            flush=True,
        )


async def watch_for(pid: int, seconds: float) -> Watch:
    watch = Watch(pid)
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        watch.sample()
        await asyncio.sleep(0.2)
    return watch


async def load(
    hosts: list[AgentHost], seconds: float, calls: list[tuple[str, dict[str, Any]]]
) -> int:
    done = 0
    deadline = time.perf_counter() + seconds

    async def client(host: AgentHost) -> None:
        nonlocal done
        index = 0
        while time.perf_counter() < deadline:
            name, arguments = calls[index % len(calls)]
            result = await host.call_tool(name, arguments)
            if not result.get("ok"):
                raise RuntimeError(f"{name}: {result}")
            done += 1
            index += 1

    await asyncio.gather(*(client(host) for host in hosts))
    return done


async def main(seconds: float, clients: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="sfai-bench-footprint-"))
    log = folder / "app.log"
    log.write_text("".join(f"app: line {i}\n" for i in range(1000)))
    config = Config(tools=AgentSettings(log_roots=(str(folder),)))
    print(f"machine: {machine()}; {clients} clients, {seconds:g} s per phase", flush=True)
    with agents(1, tools={"log_roots": [str(folder)]}) as [agent]:
        await asyncio.sleep(2)
        print(f"{'RSS after start-up':<44} {rss_mib(agent.pid):6.1f} MiB", flush=True)
        (await watch_for(agent.pid, seconds)).report("idle, nobody connected")
        viewer = AgentHost(agent_entry("bench", agent), config)
        await viewer.metrics()
        watched = Watch(agent.pid)
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            await viewer.metrics()
            watched.sample()
            await asyncio.sleep(0.5)
        watched.report("one client subscribed to metrics (1/s)")
        await viewer.close()
        hosts = [AgentHost(agent_entry(f"c{i}", agent), config) for i in range(clients)]
        for host in hosts:
            await host.connect()
        for label, calls in (
            (
                "light load: get_logs back to back",
                [("get_logs", {"source": str(log), "lines": 20})],
            ),
            ("check load: the five check tools in a loop", [(t, {}) for t in CHECK_TOOLS]),
        ):
            watch = Watch(agent.pid)
            sampler = asyncio.create_task(_sample_until_cancelled(watch))
            started = time.perf_counter()
            count = await load(hosts, seconds, calls)
            sampler.cancel()
            rate = count / (time.perf_counter() - started)
            watch.report(label, f"{rate:7.0f} calls/s")
        for host in hosts:
            await host.close()
        await asyncio.sleep(2)
        print(f"{'RSS once the load stopped':<44} {rss_mib(agent.pid):6.1f} MiB", flush=True)


async def _sample_until_cancelled(watch: Watch) -> None:
    while True:
        watch.sample()
        await asyncio.sleep(0.2)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=8)
    options = parser.parse_args()
    asyncio.run(main(options.seconds, options.clients))
