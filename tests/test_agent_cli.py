"""``sfai-agent init | token rotate | fingerprint | serve`` as a person runs them, and the
policy file they rely on."""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from sfai_agent.server import protocol as rpc
from sfai_agent.server.daemon import parse_listen
from sfai_agent.server.policy_file import (
    POLICY_TEMPLATE,
    AgentPolicy,
    PolicyFileError,
    parse_policy,
)
from sfai_agent.server.protocol import RpcError
from tests.fixtures.agent import AgentServer, agent_command, agent_connection


def run_agent(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SFAI_AGENT_")}
    env["SFAI_AGENT_HOME"] = str(home)
    return subprocess.run(
        [*agent_command(), *args], env=env, capture_output=True, text=True, timeout=60
    )


def test_init_creates_private_files_and_prints_the_hosts_add_line(tmp_path: Path) -> None:
    home = tmp_path / "agent"
    done = run_agent(home, "init")
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    for name in ("key.pem", "cert.pem", "token", "policy.toml"):
        assert stat.S_IMODE((home / name).stat().st_mode) == 0o600, name
    token = (home / "token").read_text().strip()
    assert len(token) >= 40
    fingerprint = run_agent(home, "fingerprint").stdout.strip()
    assert rpc.normalise_fingerprint(fingerprint) == fingerprint
    out = done.stdout
    assert token in out and fingerprint in out
    line = re.search(r"^  (sfai hosts add .*)$", out, re.MULTILINE)
    assert line is not None
    assert line.group(1) == (
        f"sfai hosts add {socket.gethostname().split('.')[0]} "
        f"--agent wss://{socket.getfqdn()}:{rpc.DEFAULT_PORT} "
        f"--fingerprint {fingerprint} --token-file {home / 'token'}"
    )
    # the policy file it wrote is the documented, read-only default
    policy = parse_policy(tomllib.loads((home / "policy.toml").read_text()))
    assert policy.actions_allowed is False and policy.offer == ("*",)


def test_the_certificate_names_this_host_and_loopback(tmp_path: Path) -> None:
    assert run_agent(tmp_path, "init").returncode == 0
    cert = x509.load_pem_x509_certificate((tmp_path / "cert.pem").read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    dns = names.get_values_for_type(x509.DNSName)
    ips = names.get_values_for_type(x509.IPAddress)
    assert "localhost" in dns and socket.gethostname() in dns
    assert ipaddress.ip_address("127.0.0.1") in ips
    public_key = cert.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    assert public_key.curve.name == "secp256r1"


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    assert run_agent(tmp_path, "init").returncode == 0
    before = run_agent(tmp_path, "fingerprint").stdout
    token_before = (tmp_path / "token").read_text()
    (tmp_path / "policy.toml").write_text('[agent]\noffer = ["get_*"]\n')
    again = run_agent(tmp_path, "init")
    assert again.returncode == 1
    assert "--force" in again.stderr
    assert run_agent(tmp_path, "fingerprint").stdout == before
    forced = run_agent(tmp_path, "init", "--force")
    assert forced.returncode == 0
    assert run_agent(tmp_path, "fingerprint").stdout != before
    assert (tmp_path / "token").read_text() != token_before
    # the owner's policy survives a new identity
    assert (tmp_path / "policy.toml").read_text() == '[agent]\noffer = ["get_*"]\n'


def test_commands_before_init_say_what_to_run(tmp_path: Path) -> None:
    for args in (("fingerprint",), ("token", "rotate"), ("serve", "--listen", "127.0.0.1:0")):
        done = run_agent(tmp_path / "empty", *args)
        assert done.returncode == 1, args
        assert "sfai-agent init" in done.stderr, args


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run_agent(tmp_path, "token").returncode == 2
    assert run_agent(tmp_path, "nonsense").returncode == 2
    assert run_agent(tmp_path, "--version").stdout.startswith("sfai-agent ")


def test_serve_refuses_a_bad_policy_file(tmp_path: Path) -> None:
    assert run_agent(tmp_path, "init").returncode == 0
    (tmp_path / "policy.toml").write_text("[agent]\nactions_alowed = true\n")
    done = run_agent(tmp_path, "serve", "--listen", "127.0.0.1:0")
    assert done.returncode == 1
    assert "agent.actions_alowed: unknown key" in done.stderr


def test_serve_refuses_a_bad_listen_address(tmp_path: Path) -> None:
    assert run_agent(tmp_path, "init").returncode == 0
    done = run_agent(tmp_path, "serve", "--listen", "127.0.0.1:http")
    assert done.returncode == 1
    assert "HOST:PORT" in done.stderr


async def test_token_rotate_takes_effect_on_the_running_agent(agent_server: AgentServer) -> None:
    old = agent_server.token
    async with agent_connection(agent_server) as conn:
        await conn.hello(token=old)
        rotated = agent_server.cli("token", "rotate")
        assert rotated.returncode == 0
        new = rotated.stdout.strip()
        assert new == agent_server.token != old
        assert "update the token file on every client" in rotated.stderr
        # an open session goes on
        assert (await conn.tool("get_memory_status"))["ok"] is True
    async with agent_connection(agent_server) as conn:
        with pytest.raises(RpcError) as refused:
            await conn.hello(token=old)
        assert refused.value.code == rpc.UNAUTHENTICATED
    async with agent_connection(agent_server) as conn:
        await conn.hello(token=new)
    assert old not in agent_server.log() and new not in agent_server.log()


def test_parse_listen() -> None:
    assert parse_listen("0.0.0.0:7422") == ("0.0.0.0", 7422)
    assert parse_listen("[::1]:9000") == ("::1", 9000)
    assert parse_listen(":9000") == ("0.0.0.0", 9000)
    assert parse_listen("9000") == ("0.0.0.0", 9000)
    for bad in ("host:", "host:99999", "a:b"):
        with pytest.raises(ValueError, match="--listen"):
            parse_listen(bad)


def test_the_template_is_the_default_policy() -> None:
    parsed = parse_policy(tomllib.loads(POLICY_TEMPLATE))
    assert parsed == AgentPolicy()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"agnet": {}}, "agnet: unknown table"),
        ({"agent": {"actions_allowed": "yes"}}, "agent.actions_allowed: expected true or false"),
        ({"agent": {"offer": "get_*"}}, "agent.offer: expected a list of strings"),
        (
            {"limits": {"max_concurrent_calls": 0}},
            "limits.max_concurrent_calls: expected a number above 0",
        ),
        ({"limits": {"max_frame": 1}}, "limits.max_frame: unknown key"),
        ({"tools": {"log_root": ["/var/log"]}}, "tools.log_root: unknown key"),
        ({"tools": {"tool_timeout_s": "fast"}}, "tools.tool_timeout_s: expected a number"),
        ({"policy": {"rules": [{"tool": "x"}]}}, "policy.rules #1: a policy rule needs decision"),
        ({"apps": {"shop": 1}}, "apps.shop: expected an [apps.shop] table"),
    ],
)
def test_policy_file_mistakes_are_errors(data: dict[str, object], message: str) -> None:
    with pytest.raises(PolicyFileError, match=re.escape(message)):
        parse_policy(data)


def test_policy_tools_and_apps_become_settings() -> None:
    policy = parse_policy(
        {
            "tools": {"log_roots": ["/srv/logs"], "tool_timeout_s": 3},
            "apps": {"shop": {"path": "/srv/shop"}},
        }
    )
    assert policy.settings.log_roots == ("/srv/logs",)
    assert policy.settings.tool_timeout_s == 3.0
    assert policy.settings.apps == {"shop": {"path": "/srv/shop"}}


def test_default_home_as_root_is_etc(tmp_path: Path) -> None:
    code = "from sfai_agent.server.home import default_home; print(default_home())"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SFAI_AGENT_")}
    env["HOME"] = str(tmp_path)
    env.pop("XDG_CONFIG_HOME", None)
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    expected = "/etc/sfai-agent" if os.geteuid() == 0 else str(tmp_path / ".config" / "sfai-agent")
    assert out == expected


UNIT = Path(__file__).resolve().parent.parent / "packaging" / "sfai-agent.service"


def test_the_systemd_unit_is_hardened_and_valid(tmp_path: Path) -> None:
    text = UNIT.read_text()
    for line in (
        "User=sfai-agent",
        "SupplementaryGroups=adm systemd-journal",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ReadWritePaths=/etc/sfai-agent",
        "Environment=SFAI_AGENT_HOME=/etc/sfai-agent",
        "CapabilityBoundingSet=",
    ):
        assert f"\n{line}\n" in text, line
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    unit = tmp_path / "sfai-agent.service"
    unit.write_text(text.replace("/opt/sfai/bin/sfai-agent", agent_command()[0]))
    done = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "sfai-agent.service" not in done.stderr, done.stderr
