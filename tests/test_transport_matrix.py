"""The same tools, the same answers, whatever the transport.

Every case runs on the local host (in-process: the reference), over SSH to a real sshd on
loopback, and through a real ``sfai-agent serve`` — all on this machine, so the answers
must agree: the same keys at every level, the same refusals and error codes, and the same
values wherever a value does not move by itself between two reads (hostnames, sizes of
filesystems, log lines, nginx and certificate facts, command output). Timings, loads,
free space and process lists are left out.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from sfai.core.config import Config
from sfai.core.host import Host
from sfai.hosts import open_entry
from sfai.hosts.inventory import HostEntry
from sfai.hosts.local import LocalHost
from sfai_agent.settings import AgentSettings
from tests.fixtures.agent import AgentServer, create_agent
from tests.fixtures.nginx import NginxServer
from tests.fixtures.sshd import SSHServer

TRANSPORTS = ["local", "ssh", "agent"]
LOG_LINES = [
    "2026-11-24T10:00:00Z app started",
    "2026-11-24T10:00:01Z GET /health 200",
    "2026-11-24T10:00:02Z db connect password=hunter2-secret-value",
    "2026-11-24T10:00:03Z ERROR payment failed for order 42",
    "2026-11-24T10:00:04Z GET /health 200",
]


@dataclass(frozen=True)
class Case:
    id: str
    tool: str
    arguments: dict[str, Any]
    error: str | None = None
    """The expected error code; None: the call succeeds."""
    same: tuple[str, ...] = ()
    """Dotted paths whose values must be equal on every transport (``*`` walks a list)."""
    loose: tuple[str, ...] = field(default=())
    """Dotted paths whose values move by themselves: only their presence is compared."""
    absent: tuple[str, ...] = ()
    """Text that must appear in no result (secrets the masking removes on every leg)."""


CASES = [
    Case(
        "overview",
        "get_system_overview",
        {},
        same=("hostname", "os", "kernel", "cpu_count", "memory.total_bytes", "boot_time"),
        loose=("top_by_cpu", "top_by_memory", "process_count"),
    ),
    Case(
        "disk",
        "get_disk_usage",
        {},
        same=("filesystems.*.mountpoint", "filesystems.*.device", "filesystems.*.size_bytes"),
    ),
    Case(
        "memory",
        "get_memory_status",
        {},
        same=("ram.total_bytes", "swap.total_bytes", "oom_kill_count"),
        loose=("top_consumers",),
    ),
    Case("services", "list_services", {}, same=("managers", "services")),
    Case(
        "logs",
        "get_logs",
        {"source": "{log}", "lines": 4},
        same=("lines", "path"),
        absent=("hunter2-secret-value",),
    ),
    Case("logs-grep", "get_logs", {"source": "{log}", "grep": "ERROR"}, same=("lines",)),
    Case(
        "nginx",
        "get_nginx_config",
        {"domain": "{valid}"},
        same=("domain", "config_file", "server_blocks", "test.ok"),
    ),
    Case(
        "tls",
        "get_ssl_status",
        {"domain": "{valid}"},
        same=(
            "domain",
            "certificate_file",
            "not_after",
            "file_certificate.fingerprint_sha256",
            "served.certificate.fingerprint_sha256",
            "served.same_as_file",
            "findings",
        ),
    ),
    Case("uname", "run_command", {"argv": ["uname", "-srm"]}, same=("stdout", "exit_code")),
    Case("id", "run_command", {"argv": ["id", "-u"]}, same=("stdout",)),
    Case("df", "run_command", {"argv": ["df", "-P", "/"]}, same=("exit_code",)),
    Case("shadow", "get_logs", {"source": "/etc/shadow"}, error="refused_by_policy"),
    Case(
        "ssh-key", "run_command", {"argv": ["cat", "/root/.ssh/id_rsa"]}, error="refused_by_policy"
    ),
    Case("rm", "run_command", {"argv": ["rm", "-rf", "/tmp/x"]}, error="refused_by_policy"),
    Case("shell", "run_command", {"argv": ["sh", "-c", "id"]}, error="refused_by_policy"),
    Case("outside-roots", "get_logs", {"source": "/etc/hostname"}, error="refused_by_policy"),
    Case("bad-lines", "get_logs", {"source": "{log}", "lines": -3}, error="invalid_argument"),
    Case("unknown-tool", "get_everything", {}, error="unknown_tool"),
    Case("bad-domain", "get_nginx_config", {"domain": "a;b"}, error="invalid_argument"),
]


@dataclass(frozen=True)
class World:
    log_root: Path
    log_file: Path
    nginx: NginxServer

    @property
    def settings(self) -> AgentSettings:
        # Generous bounds, the same on every leg: a loaded test machine makes each SSH
        # channel slow to open, and a timeout is not what this matrix compares.
        return AgentSettings(
            log_roots=(str(self.log_root),),
            nginx_conf=str(self.nginx.conf),
            command_timeout_s=30.0,
            tool_timeout_s=60.0,
        )

    def arguments(self, case: Case) -> dict[str, Any]:
        values = {"log": str(self.log_file), "valid": self.nginx.domains["valid"]}
        return {
            key: value.format(**values) if isinstance(value, str) else value
            for key, value in case.arguments.items()
        }


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, nginx_server: NginxServer) -> World:
    root = tmp_path_factory.mktemp("matrix-logs")
    log = root / "app.log"
    log.write_text("\n".join(LOG_LINES) + "\n")
    return World(root, log, nginx_server)


@pytest.fixture(scope="module")
def login_path(sshd_server: SSHServer) -> str:
    """PATH as an SSH login on this machine sees it (shell startup files included). Every
    leg gets it, so that each finds the same programs (a venv's supervisorctl on the test
    runner's PATH would otherwise make the local leg see a service manager SSH does not)."""
    argv = [
        "ssh",
        "-F",
        "/dev/null",
        "-i",
        str(sshd_server.client_key),
        "-p",
        str(sshd_server.port),
    ]
    argv += ["-o", f"UserKnownHostsFile={sshd_server.known_hosts}", "-o", "BatchMode=yes"]
    argv += [f"{sshd_server.user}@127.0.0.1", 'echo "$PATH"']
    if shutil.which("ssh") is None:
        pytest.skip("the OpenSSH client (ssh) is not installed: run `make test`")
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=True)
    return done.stdout.strip()


@pytest.fixture(scope="module")
def matrix_agent(
    tmp_path_factory: pytest.TempPathFactory, world: World, login_path: str
) -> Iterator[AgentServer]:
    settings = world.settings
    agent = create_agent(
        tmp_path_factory.mktemp("matrix-agent"),
        env={"PATH": login_path},
        tools={
            "log_roots": list(settings.log_roots),
            "nginx_conf": settings.nginx_conf,
            "command_timeout_s": settings.command_timeout_s,
            "tool_timeout_s": settings.tool_timeout_s,
        },
    )
    try:
        yield agent
    finally:
        agent.stop()


@pytest.fixture
async def hosts(
    request: pytest.FixtureRequest,
    world: World,
    ssh_client_home: Path,
    login_path: str,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[dict[str, Host]]:
    """The reference (local) and the transport under test, both closed after the test."""
    transport: str = request.param
    monkeypatch.setenv("PATH", login_path)
    config = Config(tools=world.settings)
    opened: dict[str, Host] = {"reference": LocalHost(world.settings)}
    if transport == "local":
        opened[transport] = LocalHost(world.settings)
    elif transport == "ssh":
        server: SSHServer = request.getfixturevalue("sshd_server")
        opened[transport] = open_entry(server.entry("matrix-ssh"), config)
    else:
        agent: AgentServer = request.getfixturevalue("matrix_agent")
        entry = HostEntry(
            name="matrix-agent",
            transport="agent",
            address=agent.url,
            fingerprint=agent.fingerprint,
            token_file=str(agent.token_file),
        )
        opened[transport] = open_entry(entry, config)
    try:
        facts = await opened[transport].connect()
        assert facts["transport"] == transport  # the leg really goes through it
        yield opened
    finally:
        for host in opened.values():
            await host.close()


def values_at(result: Any, path: str) -> list[Any]:
    """The values at a dotted path; ``*`` walks every element of a list."""
    found = [result]
    for part in path.split("."):
        nxt: list[Any] = []
        for value in found:
            if part == "*" and isinstance(value, list):
                nxt += value
            elif isinstance(value, dict) and part in value:
                nxt.append(value[part])
        found = nxt
    return found


def shape(value: Any, skip: frozenset[str], where: str = "") -> Any:
    """Keys at every level (and value types), the loose paths reduced to presence."""
    if where in skip:
        return "present"
    if isinstance(value, dict):
        return {
            key: shape(item, skip, f"{where}.{key}" if where else key)
            for key, item in value.items()
        }
    if isinstance(value, list):
        shapes = [shape(item, skip, f"{where}.*" if where else "*") for item in value]
        return shapes[0] if shapes and all(s == shapes[0] for s in shapes) else shapes
    if isinstance(value, bool) or value is None:
        return type(value).__name__
    return "number" if isinstance(value, (int, float)) else type(value).__name__


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
@pytest.mark.parametrize("hosts", TRANSPORTS, indirect=True)
async def test_same_results_on_every_transport(
    hosts: dict[str, Host], case: Case, world: World
) -> None:
    (transport, host), reference = (
        next((name, h) for name, h in hosts.items() if name != "reference"),
        hosts["reference"],
    )
    arguments = world.arguments(case)
    expected = await reference.call_tool(case.tool, arguments)
    got = await host.call_tool(case.tool, arguments)
    for secret in case.absent:
        assert secret not in json.dumps(got), f"{transport}: {secret!r} was not masked"
    if case.error is None:
        assert expected["ok"], expected
        assert got["ok"], f"{transport}: {got}"
    else:
        assert expected["error"]["code"] == case.error, expected
        assert got["ok"] is False, f"{transport}: {got}"
        assert got["error"]["code"] == case.error, f"{transport}: {got}"
        assert set(got["error"]) == set(expected["error"])
        return
    skip = frozenset(case.loose)
    assert shape(got, skip) == shape(expected, skip), f"{transport}: shapes differ"
    for path in case.same:
        assert values_at(got, path) == values_at(expected, path), f"{transport}: {path}"
        assert values_at(expected, path), f"{path} is not in the reference result"
