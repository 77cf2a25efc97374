"""The local Executor: argv only, bounded in time and size, clear errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sfai_agent.exec import ExecutorError, LocalExecutor


async def test_arguments_are_never_interpreted_by_a_shell(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    result = await LocalExecutor().run(["echo", f"$(touch {marker}); `touch {marker}`"])
    assert result.ok
    assert "$(touch" in result.stdout
    assert not marker.exists()


async def test_missing_binary_is_a_clear_not_found_error() -> None:
    with pytest.raises(ExecutorError) as caught:
        await LocalExecutor().run(["definitely-not-installed-sfai"])
    assert caught.value.code == "not_found"
    assert "not installed" in caught.value.message


async def test_slow_command_is_stopped_at_the_timeout() -> None:
    with pytest.raises(ExecutorError) as caught:
        await LocalExecutor().run(["sleep", "30"], timeout=0.3)
    assert caught.value.code == "timeout"


async def test_output_is_capped_and_marked_truncated() -> None:
    result = await LocalExecutor().run(["head", "-c", "300000", "/dev/zero"], max_output=1000)
    assert len(result.stdout) == 1000
    assert result.truncated


async def test_non_zero_exit_is_a_result_not_an_exception() -> None:
    result = await LocalExecutor().run(["false"])
    assert result.returncode == 1 and not result.ok


async def test_commands_get_the_c_locale() -> None:
    result = await LocalExecutor().run(["sh", "-c", "echo $LC_ALL"])
    assert result.stdout.strip() == "C"


async def test_tail_reads_only_the_end_of_a_huge_sparse_file(tmp_path: Path) -> None:
    log = tmp_path / "huge.log"
    with open(log, "wb") as handle:
        handle.truncate(3 * 1024**3)
        handle.seek(0, os.SEEK_END)
        handle.write(b"".join(f"line {i}\n".encode() for i in range(500)))
    tail = await LocalExecutor().read_tail(str(log), lines=20)
    assert tail.lines == [f"line {i}" for i in range(480, 500)]
    assert tail.bytes_read <= 65_536
    assert tail.truncated


async def test_tail_of_a_small_file_without_final_newline(tmp_path: Path) -> None:
    log = tmp_path / "small.log"
    log.write_text("a\nb\nc")
    tail = await LocalExecutor().read_tail(str(log), lines=10)
    assert tail.lines == ["a", "b", "c"]
    assert not tail.truncated


async def test_missing_file_and_directory_errors_are_typed(tmp_path: Path) -> None:
    executor = LocalExecutor()
    with pytest.raises(ExecutorError) as caught:
        await executor.read_file(str(tmp_path / "absent"))
    assert caught.value.code == "not_found"
    with pytest.raises(ExecutorError) as caught:
        await executor.list_dir(str(tmp_path / "absent"))
    assert caught.value.code == "not_found"


async def test_stat_does_not_follow_symlinks(tmp_path: Path) -> None:
    (tmp_path / "target").write_text("x")
    (tmp_path / "link").symlink_to(tmp_path / "target")
    info = await LocalExecutor().stat(str(tmp_path / "link"))
    assert info.kind == "symlink"
    assert info.link_target == str(tmp_path / "target")


async def test_write_file_replaces_atomically_keeping_mode(tmp_path: Path) -> None:
    from sfai_agent.exec import LocalExecutor

    target = tmp_path / "site.conf"
    target.write_text("old\n")
    target.chmod(0o640)
    executor = LocalExecutor()
    await executor.write_file(str(target), b"new\n")
    assert target.read_text() == "new\n"
    assert target.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["site.conf"]  # no temporary left
    await executor.write_file(str(tmp_path / "fresh"), b"x", mode=0o600)
    assert (tmp_path / "fresh").stat().st_mode & 0o777 == 0o600


async def test_write_file_never_follows_symlinks(tmp_path: Path) -> None:
    from sfai_agent.exec import LocalExecutor
    from sfai_agent.exec.base import ExecutorError

    victim = tmp_path / "victim"
    victim.write_text("keep\n")
    (tmp_path / "link").symlink_to(victim)
    real_dir = tmp_path / "real"
    real_dir.mkdir()
    (tmp_path / "dirlink").symlink_to(real_dir)
    executor = LocalExecutor()
    with pytest.raises(ExecutorError) as final:
        await executor.write_file(str(tmp_path / "link"), b"owned\n")
    assert final.value.code == "invalid_argument"
    with pytest.raises(ExecutorError) as middle:
        await executor.write_file(str(tmp_path / "dirlink" / "f"), b"owned\n")
    assert middle.value.code == "invalid_argument"
    with pytest.raises(ExecutorError):
        await executor.write_file("relative/path", b"x")
    assert victim.read_text() == "keep\n"
    assert not (real_dir / "f").exists()
