"""Shared by the remote benchmarks: real agents and a real sshd on loopback, percentiles.

The agents are real ``sfai-agent serve`` processes and the sshd is the system's
``/usr/sbin/sshd`` with generated keys, both started the way the test fixtures start them
(``tests.fixtures.agent.create_agent``, ``tests.fixtures.sshd.start_sshd``: plain
functions, no pytest needed), each in its own temporary directory, all stopped on exit.
"""

from __future__ import annotations

import contextlib
import platform
import statistics
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # `tests.fixtures` (the agent and sshd starters)

from sfai.hosts.inventory import HostEntry  # noqa: E402
from tests.fixtures.agent import AgentServer, create_agent  # noqa: E402
from tests.fixtures.sshd import SSHServer, start_sshd, stop_sshd  # noqa: E402


def machine() -> str:
    import os

    import psutil

    memory = psutil.virtual_memory().total / 1024**3
    return (
        f"{os.cpu_count()} CPUs, {memory:.0f} GiB, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


def percentiles(label: str, samples: list[float], unit: str = "ms") -> dict[str, float]:
    """Print and return p50 / p90 / p99 / max of ``samples`` (seconds)."""
    scale = 1000.0 if unit == "ms" else 1.0
    ordered = sorted(samples)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * scale

    figures = {
        "p50": statistics.median(ordered) * scale,
        "p90": at(0.90),
        "p99": at(0.99),
        "max": ordered[-1] * scale,
    }
    print(
        f"{label:<48} p50 {figures['p50']:8.2f} {unit}   p90 {figures['p90']:8.2f}   "
        f"p99 {figures['p99']:8.2f}   max {figures['max']:8.2f}   (n={len(samples)})",
        flush=True,
    )
    return figures


def agent_entry(name: str, agent: AgentServer) -> HostEntry:
    return HostEntry(
        name=name,
        transport="agent",
        address=agent.url,
        fingerprint=agent.fingerprint,
        token_file=str(agent.token_file),
    )


@contextlib.contextmanager
def agents(count: int, workers: int = 8, **policy: Any) -> Iterator[list[AgentServer]]:
    """``count`` agents on loopback (started ``workers`` at a time), stopped on exit."""
    base = Path(tempfile.mkdtemp(prefix="sfai-bench-agents-"))
    started: list[AgentServer] = []
    try:
        with ThreadPoolExecutor(workers) as pool:
            futures = [
                pool.submit(create_agent, base / f"agent{i:03d}", **policy) for i in range(count)
            ]
            for future in futures:
                started.append(future.result())
        yield started
    finally:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(lambda agent: agent.stop(), started))


@contextlib.contextmanager
def sshd() -> Iterator[SSHServer]:
    server = start_sshd(Path(tempfile.mkdtemp(prefix="sfai-bench-sshd-")))
    try:
        yield server
    finally:
        stop_sshd(server)


def ssh_argv(server: SSHServer) -> list[str]:
    """``ssh`` to the bench's sshd with its key and known_hosts, nothing from ~/.ssh."""
    return [
        "ssh",
        "-F",
        "/dev/null",
        "-i",
        str(server.client_key),
        "-o",
        f"UserKnownHostsFile={server.known_hosts}",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        "BatchMode=yes",
        "-p",
        str(server.port),
        f"{server.user}@127.0.0.1",
    ]
