"""``sfai check`` on several hosts: the local host and real ``sfai-agent`` processes on
loopback (one of them managing a real supervisord with a crashed program), a closed port
and a silent listener as the hosts that cannot be reached, and (as root, where ``ip netns``
works) an agent in a network namespace of its own whose link is then pulled."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sfai.core.paths import sfai_paths
from sfai.hosts.inventory import HostEntry, Inventory, inventory_path, save_inventory
from tests.cli import run_sfai
from tests.fixtures.agent import AgentServer
from tests.fixtures.processes import free_port

StartAgent = Callable[..., AgentServer]

# Thresholds no test machine reaches, no service manager, an nginx config with no site:
# every host is healthy unless a test plants a problem.
CALM_CHECK = {
    "SFAI_CHECK__DISK_WARNING_PERCENT": "99.9",
    "SFAI_CHECK__DISK_CRITICAL_PERCENT": "100",
    "SFAI_CHECK__INODE_WARNING_PERCENT": "99.9",
    "SFAI_CHECK__INODE_CRITICAL_PERCENT": "100",
    "SFAI_CHECK__MEMORY_WARNING_PERCENT": "99.9",
    "SFAI_CHECK__MEMORY_CRITICAL_PERCENT": "100",
    "SFAI_CHECK__SWAP_WARNING_PERCENT": "99.9",
    "SFAI_CHECK__SWAP_CRITICAL_PERCENT": "100",
    "SFAI_CHECK__LOAD_WARNING_PER_CPU": "1000",
    "SFAI_CHECK__LOAD_CRITICAL_PER_CPU": "2000",
}


@pytest.fixture
def quiet_nginx(tmp_path: Path) -> str:
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\nhttp {{}}\n"
    )
    return str(conf)


@pytest.fixture
def calm(quiet_nginx: str) -> dict[str, str]:
    """The environment of the ``sfai`` process (the local host's tools, the thresholds)."""
    return {
        **CALM_CHECK,
        "SFAI_TOOLS__NGINX_CONF": quiet_nginx,
        "SFAI_TOOLS__SERVICE_MANAGERS": "[]",
    }


@pytest.fixture
def calm_agent(start_agent: StartAgent, quiet_nginx: str) -> Callable[..., AgentServer]:
    def start(**tools: Any) -> AgentServer:
        return start_agent(
            tools={"nginx_conf": quiet_nginx, "service_managers": [], **tools},
        )

    return start


@pytest.fixture
def silent_port() -> Iterator[int]:
    """Accepts TCP connections, never answers: a host whose traffic is dropped."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield int(listener.getsockname()[1])


def entry(
    name: str, agent: AgentServer, port: int | None = None, tags: tuple[str, ...] = ()
) -> HostEntry:
    return HostEntry(
        name=name,
        transport="agent",
        address=f"wss://127.0.0.1:{port}" if port else agent.url,
        fingerprint=agent.fingerprint,
        token_file=str(agent.token_file),
        tags=tags,
    )


def write_inventory(*entries: HostEntry) -> None:
    save_inventory(Inventory(path=inventory_path(sfai_paths()), entries=entries))


def records(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def test_all_hosts_json_one_object_per_host_unreachable_is_a_problem(
    calm: dict[str, str], calm_agent: Callable[..., AgentServer]
) -> None:
    web1, web2 = calm_agent(), calm_agent()
    write_inventory(entry("web1", web1), entry("web2", web2), entry("down", web1, free_port()))
    result = run_sfai("check", "--all-hosts", "--json", env=calm)
    assert result.code == 5, result.stderr
    found = records(result.stdout)
    assert [r["host"] for r in found] == ["local", "web1", "web2", "down"]
    for record in found[:3]:
        assert record["healthy"] is True and record["reachable"] is True, record
        assert "disk" in record["checks_run"] and "unreachable" not in record
    down = found[3]
    assert down["reachable"] is False and down["healthy"] is False
    assert down["unreachable"]["code"] == "unreachable" and down["unreachable"]["hint"]
    assert down["findings"][0]["check"] == "reachability"
    assert down["findings"][0]["severity"] == "critical"


@pytest.mark.supervisor
def test_a_sick_host_among_healthy_ones_text_sections(
    calm: dict[str, str], calm_agent: Callable[..., AgentServer], supervisor: Any
) -> None:
    # Started after the supervisor fixture: the agent inherits its PATH (supervisorctl).
    sick = calm_agent(supervisor_config=str(supervisor.config), service_managers=["supervisor"])
    fine = calm_agent()
    write_inventory(entry("sick", sick, tags=("prod",)), entry("fine", fine, tags=("prod",)))
    result = run_sfai("check", "--host", "@prod", env=calm)
    assert result.code == 5, result.stderr
    text = result.stdout
    assert text.index("sick:") < text.index("fine:")
    sick_part = text[text.index("sick:") : text.index("fine:")]
    assert "crashy" in sick_part and "problem" in sick_part
    assert "fine: healthy" in text
    assert "2 hosts: 1 healthy, 1 with problems" in text.splitlines()[-1]
    # Only the healthy one: exit 0, and still a per-host section (a tag is a group).
    alone = run_sfai("check", "--host", "fine", "--host", "local", env=calm)
    assert alone.code == 0, alone.stdout + alone.stderr
    assert "local: healthy" in alone.stdout and "fine: healthy" in alone.stdout


def test_a_silent_host_is_reported_within_the_timeout(
    calm: dict[str, str], calm_agent: Callable[..., AgentServer], silent_port: int
) -> None:
    web = calm_agent()
    write_inventory(entry("web", web), entry("blackhole", web, silent_port))
    result = run_sfai("check", "--all-hosts", "--timeout", "2", env=calm, timeout=60)
    assert result.code == 5, result.stderr
    assert "blackhole: unreachable" in result.stdout or "blackhole: no answer" in result.stdout
    assert "web: healthy" in result.stdout and "local: healthy" in result.stdout


def test_one_unreachable_host_alone_is_an_error(agent_server: AgentServer) -> None:
    write_inventory(entry("down", agent_server, free_port()))
    result = run_sfai("check", "--host", "down")
    assert result.code == 1
    assert "down" in result.stderr and "hint:" in result.stderr
    assert result.stdout == ""


def test_parallel_one_still_checks_every_host(
    calm: dict[str, str], calm_agent: Callable[..., AgentServer]
) -> None:
    agents = [calm_agent() for _ in range(3)]
    write_inventory(*(entry(f"n{i}", agent) for i, agent in enumerate(agents)))
    result = run_sfai("check", "--all-hosts", "--json", "--parallel", "1", env=calm)
    assert result.code == 0, result.stdout + result.stderr
    assert [r["host"] for r in records(result.stdout)] == ["local", "n0", "n1", "n2"]


# -- an agent in its own network namespace, and a network drop --------------------------


@dataclass
class NamespacedAgent:
    name: str
    link: str
    """The host side of the veth pair: down is a network drop."""
    address: str
    fingerprint: str
    token_file: Path


def _ip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=10, check=False)


@pytest.fixture
def namespaced_agent(tmp_path: Path, quiet_nginx: str) -> Iterator[NamespacedAgent]:
    """A real ``sfai-agent serve`` in a network namespace of its own, reached over a veth
    pair on a private /30: a separate host as far as the network is concerned."""
    import tomli_w

    from tests.fixtures.agent import DEFAULT_POLICY, agent_command
    from tests.fixtures.processes import stop_process, wait_until

    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("network namespaces need root and iproute2")
    tag = secrets.token_hex(3)
    namespace, outside, inside = f"sfaitest{tag}", f"sfv{tag}h", f"sfv{tag}n"
    subnet = f"10.{200 + secrets.randbelow(50)}.{secrets.randbelow(256)}"
    if _ip("netns", "add", namespace).returncode != 0:
        pytest.skip("`ip netns add` does not work here")
    process: subprocess.Popen[bytes] | None = None
    try:
        steps = [
            ("link", "add", outside, "type", "veth", "peer", "name", inside, "netns", namespace),
            ("addr", "add", f"{subnet}.1/30", "dev", outside),
            ("link", "set", outside, "up"),
            ("netns", "exec", namespace, "ip", "addr", "add", f"{subnet}.2/30", "dev", inside),
            ("netns", "exec", namespace, "ip", "link", "set", inside, "up"),
            ("netns", "exec", namespace, "ip", "link", "set", "lo", "up"),
        ]
        for step in steps:
            done = _ip(*step)
            if done.returncode != 0:
                pytest.skip(
                    f"cannot build the namespace's link: ip {' '.join(step)}: {done.stderr}"
                )
        home = tmp_path / "ns-agent"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SFAI_")}
        env["SFAI_AGENT_HOME"] = str(home)
        subprocess.run([*agent_command(), "init"], env=env, capture_output=True, check=True)
        policy = {**DEFAULT_POLICY, "tools": {"nginx_conf": quiet_nginx, "service_managers": []}}
        (home / "policy.toml").write_text(tomli_w.dumps(policy))
        log = home / "agent.log"
        with open(log, "wb") as handle:
            process = subprocess.Popen(
                [
                    "ip",
                    "netns",
                    "exec",
                    namespace,
                    *agent_command(),
                    "serve",
                    "--listen",
                    f"{subnet}.2:7422",
                ],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=handle,
                stderr=handle,
                start_new_session=True,
            )
        if not wait_until(lambda: "listening on" in log.read_text(errors="replace"), 30, 0.05):
            raise RuntimeError(f"the namespaced agent did not start:\n{log.read_text()}")
        fingerprint = subprocess.run(
            [*agent_command(), "fingerprint"], env=env, capture_output=True, text=True, check=True
        ).stdout.strip()
        yield NamespacedAgent(
            name="isolated",
            link=outside,
            address=f"wss://{subnet}.2:7422",
            fingerprint=fingerprint,
            token_file=home / "token",
        )
    finally:
        if process is not None:
            stop_process(process)
        _ip("netns", "del", namespace)
        _ip("link", "del", outside)


def test_an_agent_in_its_own_network_namespace_then_a_network_drop(
    calm: dict[str, str], namespaced_agent: NamespacedAgent
) -> None:
    agent = namespaced_agent
    write_inventory(
        HostEntry(
            name=agent.name,
            transport="agent",
            address=agent.address,
            fingerprint=agent.fingerprint,
            token_file=str(agent.token_file),
        )
    )
    result = run_sfai("check", "--all-hosts", "--json", env=calm)
    assert result.code == 0, result.stdout + result.stderr
    assert [r["host"] for r in records(result.stdout)] == ["local", "isolated"]
    assert _ip("link", "set", agent.link, "down").returncode == 0  # the cable is pulled
    dropped = run_sfai("check", "--all-hosts", "--json", "--timeout", "3", env=calm)
    assert dropped.code == 5, dropped.stderr
    local, isolated = records(dropped.stdout)
    assert local["healthy"] is True
    assert isolated["healthy"] is False and isolated["findings"][0]["check"] == "reachability"


async def test_a_network_drop_mid_conversation_is_an_error_result_in_time(
    namespaced_agent: NamespacedAgent,
) -> None:
    from sfai.core.config import Config
    from sfai.core.multihost import MultiHost
    from sfai.hosts.agent import AgentHost
    from sfai.hosts.local import LocalHost
    from sfai_agent.settings import AgentSettings

    agent = namespaced_agent
    config = Config(tools=AgentSettings(tool_timeout_s=2.0))
    remote = AgentHost(
        HostEntry(
            name=agent.name,
            transport="agent",
            address=agent.address,
            fingerprint=agent.fingerprint,
            token_file=str(agent.token_file),
        ),
        config,
    )
    multi = MultiHost([LocalHost(), remote], settings=config.tools, call_grace_s=1.0)
    try:
        before = await multi.call_tool("get_memory_status", {"host": "isolated"})
        assert before["ok"] is True, before
        assert _ip("link", "set", agent.link, "down").returncode == 0
        after = await multi.call_tool("get_memory_status", {"host": "isolated"})
        assert after["ok"] is False and after["error"]["code"] in ("timeout", "unavailable")
        assert "isolated" in after["error"]["message"]
        assert (await multi.call_tool("get_memory_status", {"host": "local"}))["ok"] is True
    finally:
        await multi.close()
