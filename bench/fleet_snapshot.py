"""Health snapshot of 50 hosts: sfai over 50 real agents on loopback, against
``ansible all -m setup`` over SSH on 50 inventory aliases of the same machine — same run.

What is timed, each from nothing (hosts opened and connected inside the timing):

- ``sfai check --all-hosts --json`` as a process (hosts.toml of 50 agents): the whole
  command a person or a cron job runs, process start included;
- the same checks in-process (``sfai.core.fleet.gather_hosts`` + ``run_checks``);
- the multi-host snapshot ``sfai ask --all-hosts`` gives the model (``MultiHost.context``);
- ``sfai check`` over SSH (50 ``ssh =`` entries to the bench's sshd), for the same
  transport as ansible;
- ``ansible all -m setup -f 50`` (ansible-core from PyPI, in its own venv: created by this
  script in /tmp/sfai-bench-ansible when missing, with
  ``python -m venv /tmp/sfai-bench-ansible && /tmp/sfai-bench-ansible/bin/pip install
  ansible-core``), over SSH to the bench's sshd with the same key.

Everything shares the machine's cores: 50 agents and 50 sshd sessions are 50 hosts' worth
of work on one box, so these are upper bounds for real, separate hosts.

Goal (issue #7): 50 hosts under 2 s.

    .venv/bin/python bench/fleet_snapshot.py [--hosts 50] [--runs 3] [--no-ansible] [--no-ssh]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from _remote import agent_entry, agents, machine, sshd

from sfai.core.checks import run_checks
from sfai.core.config import load_config
from sfai.core.fleet import DEFAULT_PARALLEL, close_all, gather_hosts
from sfai.core.multihost import MultiHost
from sfai.hosts import open_entry
from sfai.hosts.inventory import HostEntry, Inventory, inventory_path, save_inventory

ANSIBLE_VENV = Path("/tmp/sfai-bench-ansible")
BIN = Path(sys.executable).parent


def ansible() -> Path | None:
    binary = ANSIBLE_VENV / "bin" / "ansible"
    if not binary.exists():
        print("installing ansible-core into", ANSIBLE_VENV, flush=True)
        done = subprocess.run(
            [sys.executable, "-m", "venv", str(ANSIBLE_VENV)], capture_output=True, check=False
        )
        if done.returncode == 0:
            subprocess.run(
                [str(ANSIBLE_VENV / "bin" / "pip"), "install", "-q", "ansible-core"],
                capture_output=True,
                check=False,
            )
    return binary if binary.exists() else None


def show(label: str, samples: list[float], note: str = "") -> None:
    ordered = sorted(samples)
    print(
        f"{label:<52} median {ordered[len(ordered) // 2]:6.2f} s   min {ordered[0]:6.2f} s   "
        f"max {ordered[-1]:6.2f} s   (n={len(samples)}){'  ' + note if note else ''}",
        flush=True,
    )


def repeat(runs: int, job: Callable[[], Any]) -> list[float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        job()
        samples.append(time.perf_counter() - started)
    return samples


def connect_only(entries: list[HostEntry]) -> str:
    """TLS, pin check and hello with every host: the transport's share of a snapshot."""
    config = load_config()

    async def run() -> str:
        hosts = [open_entry(e, config) for e in entries]
        try:
            outcomes = await gather_hosts(hosts, _nothing)
        finally:
            await close_all(hosts)
        return f"{sum(o.ok for o in outcomes)}/{len(outcomes)} answered"

    return asyncio.run(run())


async def _nothing(host: object) -> None:
    return None


def in_process_checks(entries: list[HostEntry], parallel: int = DEFAULT_PARALLEL) -> str:
    config = load_config()

    async def run() -> str:
        hosts = [open_entry(e, config) for e in entries]
        try:
            outcomes = await gather_hosts(
                hosts, lambda h: run_checks(h, config.check), parallel=parallel
            )
        finally:
            await close_all(hosts)
        failed = [o.name for o in outcomes if not o.ok]
        return f"{len(outcomes) - len(failed)}/{len(outcomes)} answered"

    return asyncio.run(run())


def multi_context(entries: list[HostEntry]) -> str:
    config = load_config()

    async def run() -> str:
        multi = MultiHost([open_entry(e, config) for e in entries], settings=config.tools)
        try:
            snapshot = await multi.context("diagnose")
        finally:
            await multi.close()
        return f"{len(multi.reachable())} reachable, {len(snapshot.text)} characters of context"

    return asyncio.run(run())


def sfai_check_process(home: Path) -> str:
    done = subprocess.run(
        [str(BIN / "sfai"), "check", "--all-hosts", "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "SFAI_HOME": str(home)},
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    unreachable = sum('"reachable": false' in line for line in lines)
    return f"exit {done.returncode}, {len(lines)} hosts, {unreachable} unreachable"


def ansible_inventory(folder: Path, count: int, server: Any) -> Path:
    lines = ["[fleet]"]
    for i in range(count):
        lines.append(
            f"h{i:03d} ansible_host=127.0.0.1 ansible_port={server.port} "
            f"ansible_user={server.user} ansible_ssh_private_key_file={server.client_key}"
        )
    lines += [
        "",
        "[fleet:vars]",
        "ansible_python_interpreter=/usr/bin/python3",
        f"ansible_ssh_common_args='-F /dev/null -o UserKnownHostsFile={server.known_hosts} "
        "-o StrictHostKeyChecking=yes -o ControlMaster=no'",
    ]
    path = folder / "inventory.ini"
    path.write_text("\n".join(lines) + "\n")
    return path


def run_ansible(binary: Path, inventory: Path, forks: int) -> str:
    done = subprocess.run(
        [str(binary), "all", "-i", str(inventory), "-m", "setup", "-f", str(forks), "-o"],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "ANSIBLE_HOST_KEY_CHECKING": "True",
            "ANSIBLE_GATHERING": "explicit",
            "ANSIBLE_LOCAL_TEMP": str(inventory.parent / "ansible-tmp"),
        },
        check=False,
    )
    ok = done.stdout.count("SUCCESS")
    return f"exit {done.returncode}, {ok} hosts answered"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-ansible", action="store_true")
    parser.add_argument(
        "--no-ssh", action="store_true", help="agents only (no sfai/ansible over SSH)"
    )
    options = parser.parse_args()
    count, runs = options.hosts, options.runs
    home = Path(tempfile.mkdtemp(prefix="sfai-bench-fleet-"))
    os.environ["SFAI_HOME"] = str(home)
    print(f"machine: {machine()}; {count} hosts, {runs} runs each", flush=True)
    started = time.perf_counter()
    with agents(count) as fleet, sshd() as server:
        print(f"{count} agents and an sshd started in {time.perf_counter() - started:.1f} s")
        entries = [agent_entry(f"web{i:03d}", agent) for i, agent in enumerate(fleet)]
        save_inventory(Inventory(path=inventory_path_for(home), entries=tuple(entries)))
        note = sfai_check_process(home)
        show(
            f"sfai check --all-hosts ({count} agents + local), process",
            repeat(runs, lambda: sfai_check_process(home)),
            note,
        )
        note = connect_only(entries)
        show(
            f"connect + hello to {count} agents (no tool), in-process",
            repeat(runs, lambda: connect_only(entries)),
            note,
        )
        note = in_process_checks(entries, count)
        show(
            f"run_checks on {count} agents, in-process, --parallel {count}",
            repeat(runs, lambda: in_process_checks(entries, count)),
            note,
        )
        note = in_process_checks(entries)
        show(
            f"run_checks on {count} agents, in-process",
            repeat(runs, lambda: in_process_checks(entries)),
            note,
        )
        note = multi_context(entries)
        show(
            f"MultiHost.context on {count} agents (ask snapshot)",
            repeat(runs, lambda: multi_context(entries)),
            note,
        )
        if options.no_ssh:
            return
        ssh_entries = [server.entry(f"ssh{i:03d}") for i in range(count)]
        note = in_process_checks(ssh_entries)
        show(
            f"run_checks on {count} SSH aliases, in-process",
            repeat(runs, lambda: in_process_checks(ssh_entries)),
            note,
        )
        binary = None if options.no_ansible else ansible()
        if binary is None:
            print("ansible: not run (--no-ansible, or ansible-core could not be installed)")
            return
        inventory = ansible_inventory(home, count, server)
        note = run_ansible(binary, inventory, count)
        show(
            f"ansible all -m setup -f {count} ({count} SSH aliases)",
            repeat(runs, lambda: run_ansible(binary, inventory, count)),
            note,
        )


def inventory_path_for(home: Path) -> Path:
    from sfai.core.paths import sfai_paths

    return inventory_path(sfai_paths())


if __name__ == "__main__":
    main()
