"""SSHHost against a real sshd: host keys, authentication, reuse, reconnects, faults."""

from __future__ import annotations

import asyncio
import getpass
import os
import shutil
import socket
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from sfai.core.config import Config
from sfai.core.host import HostUnreachable
from sfai.hosts import open_entry
from sfai.hosts.inventory import HostEntry
from sfai.hosts.ssh import SSHHost
from sfai.hosts.ssh_connection import SSHLink
from sfai.hosts.ssh_executor import SSHExecutor
from sfai_agent.exec import ExecutorError
from tests.fixtures.processes import free_port, kill_pids, wait_until
from tests.fixtures.sshd import SSHServer, kill_connections, stop_sshd

pytestmark = pytest.mark.usefixtures("ssh_client_home")


def _host(server: SSHServer, **overrides: object) -> SSHHost:
    host = open_entry(server.entry(**overrides), Config())
    assert isinstance(host, SSHHost)
    return host


def _fresh_key(where: Path) -> Path:
    key = where / "other_key"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)],
        check=True,
        capture_output=True,
    )
    return key


def _accepted_logins(server: SSHServer) -> int:
    return (server.root / "sshd.log").read_text().count("Accepted publickey")


async def test_connect_returns_the_host_facts(sshd_server: SSHServer) -> None:
    host = _host(sshd_server)
    try:
        facts = await host.connect()
        again = await host.connect()
    finally:
        await host.close()
    assert facts["transport"] == "ssh"
    assert facts["hostname"] == socket.gethostname()
    assert facts["user"] == getpass.getuser()
    assert facts["file_access"] == "helper"
    assert isinstance(facts["latency_ms"], float) and isinstance(facts["connect_ms"], float)
    assert (facts["reused"], again["reused"]) == (False, True)


async def test_a_wrong_key_is_an_authentication_failure(
    sshd_server: SSHServer, tmp_path: Path
) -> None:
    host = _host(sshd_server, identity_file=str(_fresh_key(tmp_path)))
    with pytest.raises(HostUnreachable) as caught:
        await host.connect()
    assert "authentication failed" in caught.value.message
    assert "ssh-add" in caught.value.hint
    result = await host.call_tool("get_memory_status", {})
    assert result["ok"] is False
    assert result["error"]["code"] == "unavailable"
    assert "authentication failed" in result["error"]["message"]
    await host.close()


async def test_an_unknown_host_key_is_refused_without_accept_new(
    sshd_server: SSHServer, tmp_path: Path
) -> None:
    known = tmp_path / "known_hosts"
    known.write_text("")
    host = _host(sshd_server, known_hosts=str(known))
    with pytest.raises(HostUnreachable) as caught:
        await host.connect()
    await host.close()
    offered = sshd_server.host_public_key.split()[1]
    assert "is not known" in caught.value.message
    assert "SHA256:" in caught.value.message
    assert "--accept-new" in caught.value.hint
    assert known.read_text() == ""
    assert offered not in known.read_text()


async def test_accept_new_records_the_key_then_it_is_checked(
    sshd_server: SSHServer, tmp_path: Path
) -> None:
    known = tmp_path / "dir" / "known_hosts"
    first = _host(sshd_server, known_hosts=str(known), accept_new_host_key=True)
    try:
        await first.connect()
    finally:
        await first.close()
    kind, blob = sshd_server.host_public_key.split()[:2]
    assert known.read_text() == f"[127.0.0.1]:{sshd_server.port} {kind} {blob}\n"
    assert known.stat().st_mode & 0o777 == 0o600
    second = _host(sshd_server, known_hosts=str(known))
    try:
        assert (await second.connect())["transport"] == "ssh"
    finally:
        await second.close()


async def test_a_changed_host_key_is_refused_loudly_even_with_accept_new(
    sshd_server: SSHServer, sshd_factory, tmp_path: Path
) -> None:
    impostor = sshd_factory()
    known = tmp_path / "known_hosts"
    # The impostor listens where the known key belongs to someone else.
    kind, blob = sshd_server.host_public_key.split()[:2]
    known.write_text(f"[127.0.0.1]:{impostor.port} {kind} {blob}\n")
    for accept_new in (False, True):
        host = open_entry(
            replace(
                impostor.entry(),
                identity_file=str(sshd_server.client_key),
                known_hosts=str(known),
                accept_new_host_key=accept_new,
            ),
            Config(),
        )
        with pytest.raises(HostUnreachable) as caught:
            await host.connect()
        await host.close()
        assert "REMOTE HOST IDENTIFICATION HAS CHANGED" in caught.value.message
        assert "man-in-the-middle" in caught.value.message
        assert "ssh-keygen -R" in caught.value.hint
    assert known.read_text() == f"[127.0.0.1]:{impostor.port} {kind} {blob}\n"
    assert _accepted_logins(impostor) == 0


async def test_a_closed_port_is_connection_refused(sshd_server: SSHServer) -> None:
    host = _host(sshd_server, address=f"{sshd_server.user}@127.0.0.1:{free_port()}")
    with pytest.raises(HostUnreachable) as caught:
        await host.connect()
    await host.close()
    assert "connection refused" in caught.value.message
    assert "sshd" in caught.value.hint


async def test_ssh_config_and_default_known_hosts_are_honoured(
    sshd_server: SSHServer, ssh_client_home: Path
) -> None:
    ssh_dir = ssh_client_home / ".ssh"
    ssh_dir.mkdir(mode=0o700)
    (ssh_dir / "config").write_text(
        "Host sfai-alias\n"
        "  HostName 127.0.0.1\n"
        f"  Port {sshd_server.port}\n"
        f"  User {sshd_server.user}\n"
        f"  IdentityFile {sshd_server.client_key}\n"
    )
    (ssh_dir / "known_hosts").write_text(sshd_server.known_hosts.read_text())
    host = open_entry(
        replace(sshd_server.entry(), address="sfai-alias", known_hosts="", identity_file=""),
        Config(),
    )
    try:
        facts = await host.connect()
    finally:
        await host.close()
    assert facts["user"] == sshd_server.user


async def test_many_concurrent_calls_share_one_connection(sshd_factory) -> None:
    server = sshd_factory()
    host = _host(server)
    calls = [host.call_tool("get_disk_usage", {}) for _ in range(10)]
    calls += [host.call_tool("run_command", {"argv": ["uname", "-a"]}) for _ in range(30)]
    try:
        results = await asyncio.gather(*calls)
    finally:
        await host.close()
    assert all(r["ok"] for r in results), [r for r in results if not r["ok"]][:1]
    assert _accepted_logins(server) == 1


async def test_channels_are_bounded(sshd_server: SSHServer, tmp_path: Path) -> None:
    """Each command counts the commands running beside it: never more than the bound."""
    link = SSHLink(sshd_server.entry(), max_channels=3)
    executor = SSHExecutor(link)
    script = 'touch "$1/$$"; ls "$1" | wc -l; sleep 0.2; rm "$1/$$"'
    try:
        results = await asyncio.gather(
            *(executor.run(["sh", "-c", script, "sh", str(tmp_path)]) for _ in range(12))
        )
    finally:
        await executor.close()
        await link.close()
    seen = [int(r.stdout) for r in results]
    assert len(seen) == 12 and max(seen) <= 3


async def test_a_dead_connection_is_reopened(sshd_factory) -> None:
    server = sshd_factory()
    host = _host(server)
    try:
        await host.connect()
        link = host.executor.link
        kill_connections(server)
        assert await asyncio.to_thread(wait_until, lambda: not link.alive(), 10)
        result = await host.call_tool("get_memory_status", {})
    finally:
        await host.close()
    assert result["ok"], result
    assert _accepted_logins(server) == 2


def _pids_running(argv: list[str]) -> list[int]:
    """Processes running ``argv`` (the program by name or by its resolved path)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            running = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\x00")[:-1]
        except OSError:
            continue
        if running and [os.path.basename(running[0]), *running[1:]] == [a.encode() for a in argv]:
            found.append(int(pid))
    return found


async def test_sshd_killed_mid_call_gives_an_error_not_a_hang(sshd_factory) -> None:
    server = sshd_factory()
    host = _host(server)
    argv = ["vmstat", "1", "7"]
    try:
        call = asyncio.ensure_future(host.call_tool("run_command", {"argv": argv}))
        assert await asyncio.to_thread(wait_until, lambda: _pids_running(argv), 15)
        stop_sshd(server)
        # a hang guard, not a timing assertion: the call must end on its own
        result = await asyncio.wait_for(call, 30)
        after = await asyncio.wait_for(host.call_tool("get_memory_status", {}), 30)
    finally:
        kill_pids(_pids_running(argv))
        await host.close()
    assert result["ok"] is False
    assert result["error"]["code"] == "unavailable"
    assert "lost" in result["error"]["message"]
    assert after["ok"] is False and "connection refused" in after["error"]["message"]


async def test_executor_errors_when_the_host_is_gone(sshd_factory) -> None:
    server = sshd_factory()
    executor = SSHExecutor(SSHLink(server.entry()))
    stop_sshd(server)
    with pytest.raises(ExecutorError) as caught:
        await executor.read_file("/etc/hostname")
    assert caught.value.code == "unavailable"
    await executor.link.close()


async def test_metrics_sample_has_the_local_format_and_rates(sshd_server: SSHServer) -> None:
    from sfai.hosts.local import LocalHost

    host = _host(sshd_server)
    local = LocalHost()
    try:
        first = await host.metrics()
        second = await host.metrics()
        reference = await local.metrics()
    finally:
        await host.close()
        await local.close()
    assert set(first) == set(reference)
    assert set(first["memory"]) == set(reference["memory"])
    assert set(first["load"]) == set(reference["load"])
    assert first["cpu_count"] == reference["cpu_count"] == len(first["per_cpu"])
    assert first["memory"]["total_bytes"] == reference["memory"]["total_bytes"]
    assert {d["mountpoint"] for d in first["disks"]} == {
        d["mountpoint"] for d in reference["disks"]
    }
    assert second["processes"] > 0 and second["interval_s"] > 0
    for row in second["top"]:
        assert set(row) == {"pid", "name", "cpu_percent", "memory_percent"}


def _passwordless_sudo() -> bool:
    if shutil.which("sudo") is None or os.geteuid() == 0:
        return False
    return subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode == 0


@pytest.mark.skipif(
    not _passwordless_sudo(),
    reason="needs a non-root user with passwordless sudo (sudo -n true) on this machine",
)
async def test_sudo_runs_commands_and_the_helper_as_root(sshd_server: SSHServer) -> None:
    host = _host(sshd_server, sudo=True)
    try:
        result = await host.call_tool("run_command", {"argv": ["id", "-u"]})
        files = await host.executor.files()
    finally:
        await host.close()
    assert result["ok"] and "0" in str(result)
    assert files.uid == 0


async def test_a_silent_server_times_out_and_later_attempts_back_off(tmp_path: Path) -> None:
    with socket.socket() as silent:  # accepts TCP, never says a word of SSH
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        known = tmp_path / "known_hosts"
        known.write_text(f"[127.0.0.1]:{port} ssh-ed25519 {'A' * 68}\n")
        entry = HostEntry(
            name="silent", transport="ssh", address=f"me@127.0.0.1:{port}", known_hosts=str(known)
        )
        link = SSHLink(entry, connect_timeout=1.0, backoff_s=600)
        with pytest.raises(HostUnreachable) as first:
            await link.connection()
        with pytest.raises(HostUnreachable) as second:
            await link.connection()
        await link.close()
    assert "no answer" in first.value.message
    assert "no answer" in second.value.message and "next attempt in" in second.value.message


async def test_a_malformed_address_is_reported_on_use() -> None:
    entry = HostEntry(name="bad", transport="ssh", address="me@host:99999")
    host = open_entry(entry, Config())
    with pytest.raises(HostUnreachable) as caught:
        await host.connect()
    result = await host.call_tool("get_memory_status", {})
    await host.close()
    assert "not an SSH address" in caught.value.message
    assert result["ok"] is False and result["error"]["code"] == "unavailable"


async def test_sudo_without_a_root_helper_prefixes_each_command(sshd_server: SSHServer) -> None:
    """sudo = true: the helper tries `sudo -n python3` first; where that fails it runs as
    the login user, and commands then go one by one through `sudo -n --`."""
    host = _host(sshd_server, sudo=True)
    exec_way = SSHExecutor(SSHLink(sshd_server.entry(sudo=True)), sudo=True, commands="exec")
    message = ""
    try:
        facts = await host.connect()
        try:
            outcome = "ok" if (await exec_way.run(["id", "-u"])).ok else "failed"
        except ExecutorError as exc:
            outcome, message = exc.code, exc.message
    finally:
        await host.close()
        await exec_way.close()
        await exec_way.link.close()
    assert facts["sudo"] is True and facts["file_access"] == "helper"
    if shutil.which("sudo") is None:
        assert outcome == "unavailable" and "no sudo installed" in message
    else:  # the exec way ran `sudo -n -- id -u`: as root, or refused for want of a password
        assert outcome in ("ok", "permission_denied")


async def test_hashed_known_hosts_are_understood(sshd_server: SSHServer, tmp_path: Path) -> None:
    """Debian and Ubuntu hash known_hosts (HashKnownHosts yes): the names are HMACs."""
    known = tmp_path / "known_hosts"
    known.write_text(sshd_server.known_hosts.read_text())
    subprocess.run(["ssh-keygen", "-H", "-f", str(known)], check=True, capture_output=True)
    assert known.read_text().startswith("|1|")
    host = _host(sshd_server, known_hosts=str(known))
    try:
        assert (await host.connect())["transport"] == "ssh"
    finally:
        await host.close()
