"""One tool call's round trip: in-process, over the agent, over SSH (reused connection),
and as a fresh ``ssh host cmd`` per call — same run, same machine, loopback.

The call is ``get_logs`` reading the last 20 lines of a 1,000-line file: a real read that
is cheap on the host, so the figures are mostly the transport. The fresh-``ssh`` line
runs ``tail -n 20`` on the same file (what one would script without sfai).

Goal (issue #7): over the agent, p50 under 3 ms.

    .venv/bin/python bench/remote_roundtrip.py [--calls 500]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _remote import agent_entry, agents, machine, percentiles, ssh_argv, sshd

from sfai.core.config import Config
from sfai.hosts.agent import AgentHost
from sfai.hosts.local import LocalHost
from sfai.hosts.ssh import SSHHost
from sfai_agent.settings import AgentSettings


async def timed_calls(host: object, arguments: dict[str, object], calls: int) -> list[float]:
    call = host.call_tool  # type: ignore[attr-defined]
    first = await call("get_logs", arguments)  # connects; not counted
    if not first.get("ok"):
        raise RuntimeError(f"{host}: {first}")
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        result = await call("get_logs", arguments)
        samples.append(time.perf_counter() - started)
        assert result.get("ok"), result
    return samples


async def main(calls: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="sfai-bench-roundtrip-"))
    log = folder / "app.log"
    log.write_text("".join(f"2026-11-24T10:00:{i % 60:02d}Z app: line {i}\n" for i in range(1000)))
    arguments: dict[str, object] = {"source": str(log), "lines": 20}
    settings = AgentSettings(log_roots=(str(folder),))
    config = Config(tools=settings)
    print(f"machine: {machine()}")
    local = LocalHost(settings)
    percentiles("in-process (LocalHost), no transport", await timed_calls(local, arguments, calls))
    with agents(1, tools={"log_roots": [str(folder)]}) as [agent]:
        remote = AgentHost(agent_entry("bench", agent), config)
        try:
            percentiles(
                "agent: wss:// loopback, one connection",
                await timed_calls(remote, arguments, calls),
            )
        finally:
            await remote.close()
    with sshd() as server:
        over_ssh = SSHHost(server.entry("bench"), config)
        try:
            percentiles(
                "ssh: asyncssh, one reused connection",
                await timed_calls(over_ssh, arguments, max(50, calls // 2)),
            )
        finally:
            await over_ssh.close()
        argv = [*ssh_argv(server), "tail", "-n", "20", str(log)]
        subprocess.run(argv, capture_output=True, check=True)
        fresh = []
        for _ in range(max(20, calls // 20)):
            started = time.perf_counter()
            subprocess.run(argv, capture_output=True, check=True)
            fresh.append(time.perf_counter() - started)
        percentiles("ssh: a fresh `ssh host tail -n 20 FILE` per call", fresh)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500)
    asyncio.run(main(parser.parse_args().calls))
