"""The SSH executor against a real sshd: the local executor's semantics, over the wire.

The sshd runs on this machine, so what a primitive sees remotely can be checked with
plain ``os`` calls here. File primitives are checked through both backends: the remote
python3 helper and the SFTP fallback (``file_access``).
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sfai.hosts.ssh_connection import SSHLink
from sfai.hosts.ssh_executor import SSHExecutor, build_command
from sfai_agent.exec import ExecutorError, LocalExecutor
from tests.fixtures.processes import wait_until
from tests.fixtures.sshd import SSHServer

pytestmark = pytest.mark.usefixtures("ssh_client_home")

HOSTILE_ARGS = [
    "two words",
    'it\'s "quoted"',
    "; touch {marker}",
    "$(touch {marker})",
    "`touch {marker}`",
    "line one\nline two",
    "*",
    "",
    "-n",
    "back\\slash",
    "| cat > {marker}",
]


async def _executor(
    server: SSHServer, file_access: str = "auto", commands: str = "auto"
) -> SSHExecutor:
    return SSHExecutor(SSHLink(server.entry()), file_access=file_access, commands=commands)


@pytest.fixture(params=["helper", "exec"])
async def executor(
    request: pytest.FixtureRequest, sshd_server: SSHServer
) -> AsyncIterator[SSHExecutor]:
    """Commands started by the remote helper, or one SSH exec session each."""
    ex = await _executor(sshd_server, commands="auto" if request.param == "helper" else "exec")
    yield ex
    await ex.close()
    await ex.link.close()


@pytest.fixture(params=["helper", "sftp"])
async def files_executor(
    request: pytest.FixtureRequest, sshd_server: SSHServer
) -> AsyncIterator[SSHExecutor]:
    ex = await _executor(sshd_server, request.param)
    yield ex
    await ex.close()
    await ex.link.close()


async def test_arguments_arrive_verbatim_and_no_shell_runs_them(
    executor: SSHExecutor, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    marker = tmp_path / "pwned"
    args = [arg.format(marker=marker) for arg in HOSTILE_ARGS]
    code = "import json, sys; print(json.dumps(sys.argv[1:]))"
    result = await executor.run(["python3", "-c", code, *args])
    assert result.ok, result.stderr
    way = request.node.callspec.params["executor"]
    assert (await executor.command_helper() is not None) == (way == "helper")
    assert json.loads(result.stdout) == args
    assert not marker.exists()


def test_command_line_quotes_every_word_and_puts_sudo_after_env() -> None:
    line = build_command(["systemctl", "status", "a b;c"], sudo=True, timeout=5)
    assert line.startswith("env LC_ALL=C LANG=C SYSTEMD_PAGER= PAGER=cat timeout -k 1 6 ")
    assert line.endswith("sudo -n -- systemctl status 'a b;c'")
    assert "sudo" not in build_command(["true"])
    with pytest.raises(ExecutorError) as caught:
        build_command(["A=B", "sh"])
    assert caught.value.code == "invalid_argument"
    with pytest.raises(ExecutorError):
        build_command(["echo", "nul\x00byte"])


async def test_stdin_env_exit_codes_and_c_locale(executor: SSHExecutor) -> None:
    piped = await executor.run(["cat"], stdin=b"from stdin\n")
    assert piped.stdout == "from stdin\n"
    env = await executor.run(
        ["sh", "-c", 'echo "$LC_ALL $SFAI_TEST_VAR"'], env={"SFAI_TEST_VAR": "x y"}
    )
    assert env.stdout.strip() == "C x y"
    failed = await executor.run(["sh", "-c", "echo oops >&2; exit 3"])
    assert (failed.returncode, failed.stderr, failed.ok) == (3, "oops\n", False)


async def test_missing_program_is_not_found(executor: SSHExecutor) -> None:
    with pytest.raises(ExecutorError) as caught:
        await executor.run(["definitely-not-installed-sfai"])
    assert caught.value.code == "not_found"
    assert "not installed" in caught.value.message
    assert await executor.which("definitely-not-installed-sfai") is None
    assert await executor.which("sh") in ("/bin/sh", "/usr/bin/sh")


def _processes_with_argv(argv: list[str]) -> list[int]:
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


async def test_timeout_stops_the_remote_command_too(executor: SSHExecutor) -> None:
    argv = ["sleep", "37.4159"]
    with pytest.raises(ExecutorError) as caught:
        await executor.run(argv, timeout=0.5)
    assert caught.value.code == "timeout"
    assert wait_until(lambda: not _processes_with_argv(argv), timeout=10), "remote sleep survived"
    assert (await executor.run(["true"])).ok  # the connection is still usable


async def test_output_is_capped_and_marked_truncated(executor: SSHExecutor) -> None:
    result = await executor.run(["head", "-c", "300000", "/dev/zero"], max_output=1000)
    assert len(result.stdout) == 1000
    assert result.truncated


async def test_tail_reads_only_the_end_of_a_huge_sparse_file(
    files_executor: SSHExecutor, tmp_path: Path
) -> None:
    log = tmp_path / "huge.log"
    with open(log, "wb") as handle:
        handle.truncate(3 * 1024**3)
        handle.seek(0, os.SEEK_END)
        handle.write(b"".join(f"line {i}\n".encode() for i in range(500)))
    tail = await files_executor.read_tail(str(log), lines=20)
    assert tail.lines == [f"line {i}" for i in range(480, 500)]
    assert tail.bytes_read <= 65_536
    assert tail.truncated and tail.size_bytes == log.stat().st_size
    small = tmp_path / "small.log"
    small.write_text("a\nb\nc")
    whole = await files_executor.read_tail(str(small), lines=10)
    assert (whole.lines, whole.truncated) == (["a", "b", "c"], False)


async def test_read_file_is_bounded_and_errors_are_typed(
    files_executor: SSHExecutor, tmp_path: Path
) -> None:
    data = bytes(range(256)) * 1000
    (tmp_path / "blob").write_bytes(data)
    assert await files_executor.read_file(str(tmp_path / "blob")) == data
    assert await files_executor.read_file(str(tmp_path / "blob"), max_bytes=10) == data[:10]
    assert (await files_executor.read_file("/proc/loadavg")).count(b" ") >= 4
    for call in (
        files_executor.read_file(str(tmp_path / "absent")),
        files_executor.list_dir(str(tmp_path / "absent")),
        files_executor.stat(str(tmp_path / "absent")),
    ):
        with pytest.raises(ExecutorError) as caught:
            await call
        assert caught.value.code == "not_found"
    with pytest.raises(ExecutorError) as directory:
        await files_executor.read_file(str(tmp_path))
    assert directory.value.code == "invalid_argument"


async def test_stat_list_realpath_and_usage_match_the_local_executor(
    files_executor: SSHExecutor, tmp_path: Path
) -> None:
    (tmp_path / "target").write_text("x")
    (tmp_path / "link").symlink_to(tmp_path / "target")
    (tmp_path / "sub").mkdir()
    local = LocalExecutor()
    remote_link = await files_executor.stat(str(tmp_path / "link"))
    local_link = await local.stat(str(tmp_path / "link"))
    assert (remote_link.kind, remote_link.link_target) == ("symlink", str(tmp_path / "target"))
    remote_file = await files_executor.stat(str(tmp_path / "link"), follow_symlinks=True)
    local_file = await local.stat(str(tmp_path / "link"), follow_symlinks=True)
    for field in ("kind", "size_bytes", "mode", "uid"):
        assert getattr(remote_file, field) == getattr(local_file, field), field
    assert int(remote_file.mtime) == int(local_file.mtime)  # SFTP v3: whole seconds
    if "helper" in type(await files_executor.files()).__name__.lower():
        assert remote_file == local_file
        assert remote_link == local_link
    entries = {e.name: e.kind for e in await files_executor.list_dir(str(tmp_path))}
    assert entries == {"target": "file", "link": "symlink", "sub": "dir"}
    assert await files_executor.realpath(str(tmp_path / "link")) == str(tmp_path / "target")
    usage, here = await files_executor.fs_usage(str(tmp_path)), await local.fs_usage(str(tmp_path))
    assert (usage.size_bytes, usage.inodes_total) == (here.size_bytes, here.inodes_total)


async def test_write_file_replaces_atomically_keeping_mode(
    files_executor: SSHExecutor, tmp_path: Path
) -> None:
    target = tmp_path / "site.conf"
    target.write_text("old\n")
    target.chmod(0o640)
    await files_executor.write_file(str(target), b"new\n")
    assert target.read_text() == "new\n"
    assert target.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["site.conf"]  # no temporary left
    await files_executor.write_file(str(tmp_path / "fresh"), b"x", mode=0o600)
    assert (tmp_path / "fresh").stat().st_mode & 0o777 == 0o600


async def test_write_and_remove_never_follow_symlinks(
    files_executor: SSHExecutor, tmp_path: Path
) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep\n")
    (tmp_path / "link").symlink_to(victim)
    real_dir = tmp_path / "real"
    real_dir.mkdir()
    (real_dir / "inside").write_text("keep\n")
    (tmp_path / "dirlink").symlink_to(real_dir)
    for call in (
        files_executor.write_file(str(tmp_path / "link"), b"owned\n"),
        files_executor.write_file(str(tmp_path / "dirlink" / "f"), b"owned\n"),
        files_executor.write_file("relative/path", b"x"),
        files_executor.remove_file(str(tmp_path / "dirlink" / "inside")),
        files_executor.remove_file(str(real_dir)),
        files_executor.remove_file(str(tmp_path / "a" / ".." / "victim")),
    ):
        with pytest.raises(ExecutorError) as caught:
            await call
        assert caught.value.code == "invalid_argument", caught.value.message
    assert victim.read_text() == "keep\n"
    assert (real_dir / "inside").exists() and not (real_dir / "f").exists()
    await files_executor.remove_file(str(tmp_path / "link"))  # the link, not its target
    assert not (tmp_path / "link").is_symlink() and victim.exists()
    await files_executor.remove_file(str(victim))
    assert not victim.exists()
    with pytest.raises(ExecutorError) as gone:
        await files_executor.remove_file(str(victim))
    assert gone.value.code == "not_found"


async def test_open_for_writing_sees_writers_only(executor: SSHExecutor, tmp_path: Path) -> None:
    written, read = tmp_path / "written.log", tmp_path / "read.log"
    read.write_text("x")
    with open(written, "a") as _writer, open(read) as _reader:
        found = await executor.open_for_writing([str(written), str(read)])
    assert found == {str(written)}


async def test_sftp_fallback_refuses_open_for_writing_instead_of_guessing(
    sshd_server: SSHServer, tmp_path: Path
) -> None:
    ex = await _executor(sshd_server, "sftp")
    try:
        with pytest.raises(ExecutorError) as caught:
            await ex.open_for_writing([str(tmp_path / "x")])
        assert caught.value.code == "unavailable"
        assert "python3" in caught.value.hint
    finally:
        await ex.close()
        await ex.link.close()
