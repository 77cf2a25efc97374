"""`sfai hosts add|list|test|remove`, run as a person or a script would (the real console
script), against real sfai-agent processes and a real sshd; and the single-host commands
(`ask`, `check`, `tools run`) over an agent host."""

from __future__ import annotations

import json
import shlex
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from sfai.core.paths import sfai_paths
from sfai.hosts.inventory import (
    HostEntry,
    InventoryError,
    agent_url,
    load_inventory,
    owned_token_file,
    ssh_address,
)
from tests.cli import run_sfai
from tests.fixtures.agent import AgentServer
from tests.fixtures.processes import free_port
from tests.pty_run import PtyRun

OTHER_FINGERPRINT = "SHA256:" + ":".join(["CD"] * 32)


def add_agent(agent: AgentServer, name: str = "web1", *extra: str) -> list[str]:
    return [
        "hosts", "add", name, "--agent", agent.url, "--fingerprint", agent.fingerprint,
        "--token-file", str(agent.token_file), *extra,
    ]  # fmt: skip


def entries() -> dict[str, HostEntry]:
    return {entry.name: entry for entry in load_inventory(sfai_paths()).entries}


# -- add -------------------------------------------------------------------------------
def test_add_pins_stores_the_token_apart_and_checks_the_agent(
    agent_server: AgentServer, sfai_home: Path
) -> None:
    result = run_sfai(*add_agent(agent_server, "web1", "--tag", "prod", "--tag", "web"))
    assert result.code == 0, result.stderr
    assert result.stdout == f"added web1: agent {agent_server.url}\n"
    assert "sfai-agent" in result.stderr and "tools" in result.stderr
    entry = entries()["web1"]
    assert entry.fingerprint == agent_server.fingerprint and entry.tags == ("prod", "web")
    token = Path(entry.token_file)
    assert token == sfai_home / "keys" / "web1.token"
    assert token.read_text().strip() == agent_server.token
    assert stat.S_IMODE(token.stat().st_mode) == 0o600
    assert stat.S_IMODE(token.parent.stat().st_mode) == 0o700
    assert agent_server.token not in (sfai_home / "hosts.toml").read_text()


def test_a_script_without_fingerprint_gets_the_exact_command_to_run(
    agent_server: AgentServer, sfai_home: Path
) -> None:
    result = run_sfai(
        "hosts", "add", "web1", "--agent", agent_server.url,
        "--token-file", str(agent_server.token_file), "--tag", "prod",
    )  # fmt: skip
    assert result.code == 2
    assert agent_server.fingerprint in result.stderr  # shown, to compare on the server
    assert "sfai-agent fingerprint" in result.stderr
    assert not (sfai_home / "hosts.toml").exists() and not (sfai_home / "keys").exists()
    command = result.stderr.split("then run: ", 1)[1].strip()
    argv = shlex.split(command)
    assert argv[:2] == ["sfai", "hosts"] and "--fingerprint" in argv
    rerun = run_sfai(*argv[1:])
    assert rerun.code == 0, rerun.stderr
    assert entries()["web1"].fingerprint == agent_server.fingerprint
    assert entries()["web1"].tags == ("prod",)


def test_yes_pins_what_was_shown_and_the_token_can_come_from_stdin(
    agent_server: AgentServer,
) -> None:
    result = run_sfai(
        "hosts", "add", "web1", "--agent", agent_server.url.removeprefix("wss://"),
        "--token-file", "-", "--yes",
        stdin=agent_server.token + "\n",
    )  # fmt: skip
    assert result.code == 0, result.stderr
    assert "trusted on first use" in result.stderr
    assert entries()["web1"].fingerprint == agent_server.fingerprint
    assert entries()["web1"].address == agent_server.url


def test_on_a_terminal_the_fingerprint_is_confirmed_and_the_token_asked_hidden(
    agent_server: AgentServer,
) -> None:
    run = PtyRun("hosts", "add", "web1", "--agent", agent_server.url)
    try:
        run.expect(agent_server.fingerprint)
        run.expect("Pin this certificate for web1?")
        run.send("y")
        run.expect("Token")
        run.send(agent_server.token)
        result = run.finish()
    finally:
        run.kill()
    assert result.code == 0, result.transcript
    assert agent_server.token not in result.transcript  # not echoed
    assert entries()["web1"].fingerprint == agent_server.fingerprint


def test_on_a_terminal_a_declined_fingerprint_adds_nothing(agent_server: AgentServer) -> None:
    run = PtyRun("hosts", "add", "web1", "--agent", agent_server.url)
    try:
        run.expect("Pin this certificate for web1?")
        run.send("n")
        result = run.finish()
    finally:
        run.kill()
    assert result.code == 1 and "not confirmed" in result.transcript
    assert entries() == {}


def test_a_wrong_fingerprint_or_token_adds_nothing(
    agent_server: AgentServer, sfai_home: Path, tmp_path: Path
) -> None:
    pinned = run_sfai(
        "hosts", "add", "web1", "--agent", agent_server.url, "--fingerprint", OTHER_FINGERPRINT,
        "--token-file", str(agent_server.token_file),
    )  # fmt: skip
    assert pinned.code == 1
    assert "CERTIFICATE HAS CHANGED" in pinned.stderr and "--no-check" in pinned.stderr
    wrong = tmp_path / "wrong"
    wrong.write_text("not-the-token")
    token = run_sfai(
        "hosts", "add", "web1", "--agent", agent_server.url,
        "--fingerprint", agent_server.fingerprint, "--token-file", str(wrong),
    )  # fmt: skip
    assert token.code == 1 and "rejected the token" in token.stderr
    assert "sfai-agent token rotate" in token.stderr
    assert entries() == {}
    assert not (sfai_home / "keys" / "web1.token").exists()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--agent", "ws://127.0.0.1:7422"], "TLS only"),
        (["--agent", "wss://h/path"], "no path"),
        (["--ssh", "user@host:99999"], "port number"),
        ([], "exactly one of"),
        (["--agent", "wss://h:1", "--ssh", "u@h"], "exactly one of"),
        (["--agent", "wss://h:1", "--sudo", "--no-check"], "--sudo: only for --ssh"),
        (["--ssh", "u@h", "--fingerprint", OTHER_FINGERPRINT], "only for --agent"),
        (["--agent", "wss://h:1", "--fingerprint", "12:34", "--token-file", "-"], "SHA-256"),
        (["--ssh", "u@h", "--tag", "two words", "--no-check"], "simple word"),
        (["--agent", "wss://h:1", "--fingerprint", OTHER_FINGERPRINT], "--token-file"),
    ],
)
def test_mistakes_are_usage_errors(arguments: list[str], message: str) -> None:
    result = run_sfai("hosts", "add", "web1", *arguments)
    assert result.code == 2, result.stderr
    assert message in result.stderr
    assert entries() == {}


def test_names_are_unique_and_local_is_taken() -> None:
    first = run_sfai("hosts", "add", "db1", "--ssh", "deploy@db1.example", "--no-check")
    assert first.code == 0, first.stderr
    again = run_sfai("hosts", "add", "db1", "--ssh", "deploy@db2.example", "--no-check")
    assert again.code == 2 and "exists already" in again.stderr
    local = run_sfai("hosts", "add", "local", "--ssh", "deploy@db2.example", "--no-check")
    assert local.code == 2
    bad = run_sfai("hosts", "add", "-x", "--ssh", "deploy@db2.example", "--no-check")
    assert bad.code == 2


def test_add_ssh_host_checks_it_over_real_sshd(sshd_server, ssh_client_home: Path) -> None:  # type: ignore[no-untyped-def]
    result = run_sfai(
        "hosts", "add", "db1", "--ssh", sshd_server.address,
        "--identity", str(sshd_server.client_key), "--known-hosts", str(sshd_server.known_hosts),
        "--sudo", "--tag", "db", "--json",
    )  # fmt: skip
    assert result.code == 0, result.stderr
    stored = json.loads(result.stdout)
    assert stored["ssh"] == sshd_server.address and stored["sudo"] is True
    entry = entries()["db1"]
    assert entry.identity_file == str(sshd_server.client_key) and entry.tags == ("db",)
    unknown = run_sfai(
        "hosts", "add", "db2", "--ssh", sshd_server.address,
        "--identity", str(sshd_server.client_key),
        "--known-hosts", str(ssh_client_home / "empty_known_hosts"),
    )  # fmt: skip
    assert unknown.code == 1 and "not added" in unknown.stderr
    assert "db2" not in entries()


# -- list, test, remove ----------------------------------------------------------------
def test_list_reports_every_host_concurrently_with_reachability(
    start_agent: Callable[..., AgentServer],
) -> None:
    up = start_agent()
    assert run_sfai(*add_agent(up, "web1", "--tag", "prod")).code == 0
    dead = run_sfai(
        "hosts", "add", "web2", "--agent", f"wss://127.0.0.1:{free_port()}",
        "--fingerprint", OTHER_FINGERPRINT, "--token-file", str(up.token_file),
        "--tag", "prod", "--no-check",
    )  # fmt: skip
    assert dead.code == 0, dead.stderr
    listed = run_sfai("hosts", "list", "--json")
    assert listed.code == 0, listed.stderr
    rows = {row["name"]: row for row in json.loads(listed.stdout)}
    assert list(rows) == ["local", "web1", "web2"]
    assert rows["local"]["reachable"] is True and rows["local"]["transport"] == "local"
    assert rows["web1"]["reachable"] is True and rows["web1"]["latency_ms"] >= 0
    assert rows["web1"]["tags"] == ["prod"] and rows["web1"]["hostname"]
    assert rows["web2"]["reachable"] is False
    assert "connection refused" in rows["web2"]["error"] and rows["web2"]["hint"]
    plain = run_sfai("hosts", "list", "--tag", "prod")
    lines = [line.split("\t") for line in plain.stdout.splitlines()]
    assert [line[0] for line in lines] == ["web1", "web2"]
    assert lines[0][4] == "ok" and lines[1][4] == "unreachable"
    unchecked = run_sfai("hosts", "list", "--no-check", "--json")
    assert {row["reachable"] for row in json.loads(unchecked.stdout)} == {None}


def test_test_shows_facts_and_a_tool_round_trip(agent_server: AgentServer) -> None:
    assert run_sfai(*add_agent(agent_server)).code == 0
    result = run_sfai("hosts", "test", "web1")
    assert result.code == 0, result.stderr
    assert "web1: reachable over agent" in result.stdout
    assert "round trip" in result.stdout and agent_server.fingerprint in result.stdout
    data = json.loads(run_sfai("hosts", "test", "web1", "--json").stdout)
    assert data["reachable"] is True and data["tool"]["ok"] is True
    assert data["tool"]["round_trip_ms"] > 0 and data["facts"]["transport"] == "agent"
    local = run_sfai("hosts", "test", "local")
    assert local.code == 0 and "local: reachable" in local.stdout
    unknown = run_sfai("hosts", "test", "nope")
    assert unknown.code == 2 and "no host named 'nope'" in unknown.stderr


def test_test_exits_1_with_the_reason_when_unreachable(agent_server: AgentServer) -> None:
    assert run_sfai(*add_agent(agent_server)).code == 0
    agent_server.stop()
    result = run_sfai("hosts", "test", "web1")
    assert result.code == 1
    assert "connection refused" in result.stderr and "sfai-agent" in result.stderr


def test_remove_forgets_the_host_and_the_token_sfai_keeps(
    agent_server: AgentServer, sfai_home: Path, tmp_path: Path
) -> None:
    assert run_sfai(*add_agent(agent_server)).code == 0
    token = sfai_home / "keys" / "web1.token"
    assert token.exists()
    removed = run_sfai("hosts", "remove", "web1")
    assert removed.code == 0 and removed.stdout == "removed web1\n"
    assert entries() == {} and not token.exists()
    assert agent_server.token_file.exists()  # the file it was copied from is not sfai's
    assert run_sfai("hosts", "remove", "web1").code == 2
    local = run_sfai("hosts", "remove", "local")
    assert local.code == 2 and "always there" in local.stderr


def test_a_broken_inventory_is_a_usage_error_saying_where(sfai_home: Path) -> None:
    (sfai_home / "hosts.toml").write_text("[hosts.web1]\nagent = 3\n")
    result = run_sfai("hosts", "list")
    assert result.code == 2 and "hosts.web1.agent" in result.stderr


# -- the other commands over an agent host ---------------------------------------------
def test_single_host_commands_work_over_an_agent(agent_server: AgentServer) -> None:
    assert run_sfai(*add_agent(agent_server)).code == 0
    run = run_sfai("tools", "run", "get_memory_status", "--host", "web1", "--json")
    assert run.code == 0, run.stderr
    assert json.loads(run.stdout)["ram"]["total_bytes"] > 0
    check = run_sfai("check", "--host", "web1")
    assert check.code in (0, 5), check.stderr
    assert "web1" in check.stdout and "skipped" not in check.stderr
    asked = run_sfai("ask", "--host", "web1", "how much memory is free?", "--json")
    assert asked.code == 0, asked.stderr
    stream = [json.loads(line) for line in asked.stdout.splitlines()]
    results = [e for e in stream if e["type"] == "tool_result"]
    assert results and all(e["ok"] for e in results)
    assert stream[-1]["status"] == "ok"
    refused = run_sfai(
        "tools", "run", "restart_service", "--host", "web1", "--arg", "service=nginx",
        "--arg", "dry_run=false", "--yes",
    )  # fmt: skip
    assert refused.code == 1 and "allows no actions" in refused.stderr


# -- the pieces ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("typed", "url"),
    [
        ("web1.example", "wss://web1.example:7422"),
        ("10.0.0.5:9000", "wss://10.0.0.5:9000"),
        ("wss://[::1]:7422/", "wss://[::1]:7422"),
        ("WSS://h:1", "wss://h:1"),
    ],
)
def test_agent_url_normalises(typed: str, url: str) -> None:
    assert agent_url(typed) == url


@pytest.mark.parametrize(
    ("typed", "address"),
    [("deploy@db1", "deploy@db1"), ("db1:2222", "db1:2222"), ("root@[::1]:22", "root@[::1]:22")],
)
def test_ssh_address_keeps_what_was_given(typed: str, address: str) -> None:
    assert ssh_address(typed) == address


@pytest.mark.parametrize("typed", ["bad user@h", "u@h;rm -rf /", "u@", "u@h:x", "-oProxyCommand=x"])
def test_ssh_address_refuses_what_could_become_an_option_or_a_command(typed: str) -> None:
    with pytest.raises(InventoryError):
        ssh_address(typed)


def test_owned_token_file_is_only_sfais_own(sfai_home: Path, tmp_path: Path) -> None:
    paths = sfai_paths()
    mine = HostEntry("web1", "agent", "wss://h:1", token_file=str(paths.keys_dir / "web1.token"))
    theirs = HostEntry("web1", "agent", "wss://h:1", token_file=str(tmp_path / "token"))
    assert owned_token_file(paths, mine) == paths.keys_dir / "web1.token"
    assert owned_token_file(paths, theirs) is None
