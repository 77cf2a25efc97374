"""The local Executor: argv-only subprocesses and direct, bounded file access."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import shutil
import signal
import stat as stat_mod
import time
from collections.abc import Iterable
from typing import Any, Protocol

from sfai_agent.exec.base import (
    DEFAULT_MAX_OUTPUT,
    DEFAULT_TIMEOUT,
    CommandResult,
    DirEntry,
    ExecutorError,
    FileStat,
    FsUsage,
    TailResult,
)

_TAIL_BLOCK = 65_536
OWN_ENV_PREFIXES = ("ANTHROPIC_", "OPENAI_", "SFAI_")
"""sfai's own settings and model credentials: no command it runs needs them, and some run
code from the server (a deploy's build steps run the repository's scripts)."""
_READ_CHUNK = 65_536


def _kind(mode: int) -> str:
    if stat_mod.S_ISREG(mode):
        return "file"
    if stat_mod.S_ISDIR(mode):
        return "dir"
    if stat_mod.S_ISLNK(mode):
        return "symlink"
    return "other"


def _os_error(path: str, exc: OSError) -> ExecutorError:
    if isinstance(exc, FileNotFoundError):
        return ExecutorError("not_found", f"{path}: no such file or directory")
    if isinstance(exc, PermissionError):
        return ExecutorError(
            "permission_denied",
            f"{path}: permission denied",
            "run sfai (or sfai-agent) as a user in the 'adm' group, or as root",
        )
    if isinstance(exc, IsADirectoryError):
        return ExecutorError("invalid_argument", f"{path}: is a directory")
    return ExecutorError("unavailable", f"{path}: {exc.strerror or exc}")


class ByteStream(Protocol):
    """asyncio's StreamReader, or asyncssh's channel reader: both read bytes until b""."""

    async def read(self, n: int = -1) -> Any: ...


async def read_capped(stream: ByteStream | None, cap: int) -> tuple[bytes, bool]:
    """Read a pipe to EOF, keeping at most ``cap`` bytes; keep draining so the child never
    blocks on a full pipe (used by the local and the SSH executors)."""
    if stream is None:
        return b"", False
    kept = bytearray()
    truncated = False
    while chunk := await stream.read(_READ_CHUNK):
        room = cap - len(kept)
        if room > 0:
            kept += chunk[:room]
        if len(chunk) > room:
            truncated = True
    return bytes(kept), truncated


def tail_lines(path: str, lines: int, max_bytes: int) -> TailResult:
    """Read the last ``lines`` lines of ``path`` block by block from the end."""
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            position = size
            chunks: list[bytes] = []
            newlines = 0
            # A trailing newline ends the last line; it does not start a new one.
            wanted_newlines = lines + 1
            while position > 0 and newlines < wanted_newlines and size - position < max_bytes:
                step = min(_TAIL_BLOCK, position, max_bytes - (size - position))
                position -= step
                handle.seek(position)
                chunk = handle.read(step)
                chunks.append(chunk)
                newlines += chunk.count(b"\n")
            buffer = b"".join(reversed(chunks))
    except OSError as exc:
        raise _os_error(path, exc) from exc
    text = buffer.decode("utf-8", errors="replace")
    all_lines = text.splitlines()
    # The first line is partial when we stopped before the start of the file.
    if position > 0 and all_lines:
        all_lines = all_lines[1:]
    kept = all_lines[-lines:] if lines > 0 else []
    return TailResult(
        path=path,
        lines=kept,
        size_bytes=size,
        bytes_read=len(buffer),
        truncated=position > 0 or len(all_lines) > len(kept),
    )


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def remove_file_nofollow(path: str) -> None:
    """Unlink ``path`` walking its directories with ``O_NOFOLLOW`` from ``/``: a directory
    swapped for a symlink after the caller checked it cannot redirect the unlink."""
    fd, name = _open_parent_nofollow(path, "remove_file")
    try:
        try:
            info = os.stat(name, dir_fd=fd, follow_symlinks=False)
            if stat_mod.S_ISDIR(info.st_mode):
                raise ExecutorError(
                    "invalid_argument", f"{path}: is a directory; only files are removed"
                )
            os.unlink(name, dir_fd=fd)
        except OSError as exc:
            raise _os_error(path, exc) from exc
    finally:
        os.close(fd)


def _open_parent_nofollow(path: str, action: str) -> tuple[int, str]:
    """An fd of ``path``'s directory reached with ``O_NOFOLLOW`` from ``/``, and the last
    component: what the caller then acts on can no longer be redirected by a symlink."""
    parts = path.split("/")[1:] if path.startswith("/") else []
    if not parts or "\x00" in path or any(part in ("", ".", "..") for part in parts):
        raise ExecutorError(
            "invalid_argument", f"{path!r}: {action} needs a normalised absolute path"
        )
    fd = os.open("/", _DIR_FLAGS)
    try:
        for index, part in enumerate(parts[:-1]):
            try:
                next_fd = os.open(part, _DIR_FLAGS, dir_fd=fd)
            except OSError as exc:
                where = "/" + "/".join(parts[: index + 1])
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise ExecutorError(
                        "invalid_argument",
                        f"{path}: {where} is a symlink or not a directory; not followed",
                    ) from None
                raise _os_error(where, exc) from exc
            os.close(fd)
            fd = next_fd
    except BaseException:
        os.close(fd)
        raise
    return fd, parts[-1]


def write_file_nofollow(path: str, data: bytes, mode: int | None = None) -> None:
    """Atomic replace through a directory fd (see ``Executor.write_file``)."""
    dir_fd, name = _open_parent_nofollow(path, "write_file")
    temp = f".{name}.sfai-{os.getpid()}-{time.monotonic_ns()}"
    try:
        try:
            current: os.stat_result | None = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        except FileNotFoundError:
            current = None
        if current is not None and not stat_mod.S_ISREG(current.st_mode):
            raise ExecutorError(
                "invalid_argument", f"{path}: not a regular file (a symlink?); not replaced"
            )
        new_mode = mode if mode is not None else (current.st_mode & 0o7777 if current else 0o644)
        try:
            fd = os.open(
                temp,
                os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                new_mode,
                dir_fd=dir_fd,
            )
        except OSError as exc:
            raise _os_error(path, exc) from exc
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temp, new_mode, dir_fd=dir_fd, follow_symlinks=False)
            if current is not None and os.geteuid() == 0:
                os.chown(temp, current.st_uid, current.st_gid, dir_fd=dir_fd, follow_symlinks=False)
            os.rename(temp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(temp, dir_fd=dir_fd)
            raise _os_error(path, exc) from exc
        with contextlib.suppress(OSError):
            os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _writable_flags(flags_text: str) -> bool:
    for line in flags_text.splitlines():
        if line.startswith("flags:"):
            access = int(line.split()[1], 8) & os.O_ACCMODE
            return access in (os.O_WRONLY, os.O_RDWR)
    return True  # unreadable: assume the worst


def open_for_writing_now(paths: Iterable[str], proc: str = "/proc") -> set[str]:
    """Scan every ``/proc/PID/fd`` link; for the wanted targets read ``fdinfo``'s flags."""
    wanted = set(paths)
    found: set[str] = set()
    if not wanted:
        return found
    try:
        pids = [name for name in os.listdir(proc) if name.isdigit()]
    except OSError:
        return found
    for pid in pids:
        fd_dir = f"{proc}/{pid}/fd"
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue  # gone, or another user's process
        for fd in fds:
            try:
                target = os.readlink(f"{fd_dir}/{fd}")
            except OSError:
                continue
            if target not in wanted or target in found:
                continue
            try:
                with open(f"{proc}/{pid}/fdinfo/{fd}", encoding="ascii") as handle:
                    writable = _writable_flags(handle.read())
            except (OSError, ValueError, IndexError):
                writable = True
            if writable:
                found.add(target)
    return found


class LocalExecutor:
    """Runs on the machine this process runs on."""

    name = "local"

    def __init__(self, *, base_env: dict[str, str] | None = None) -> None:
        env = dict(os.environ if base_env is None else base_env)
        for name in [name for name in env if name.upper().startswith(OWN_ENV_PREFIXES)]:
            del env[name]
        # Parsable, untranslated output from every command.
        env.update({"LC_ALL": "C", "LANG": "C", "SYSTEMD_PAGER": "", "PAGER": "cat"})
        env.pop("SYSTEMD_COLORS", None)
        self._env = env

    async def run(
        self,
        argv: list[str],
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_output: int = DEFAULT_MAX_OUTPUT,
        stdin: bytes | None = None,
        env: dict[str, str] | None = None,
    ) -> CommandResult:
        if not argv or not all(isinstance(part, str) for part in argv):
            raise ExecutorError("invalid_argument", "a command is a non-empty list of strings")
        if any("\x00" in part for part in argv):
            raise ExecutorError("invalid_argument", "command arguments cannot contain NUL bytes")
        program = argv[0]
        resolved = (
            program if os.sep in program else shutil.which(program, path=self._env.get("PATH"))
        )
        if resolved is None or not os.access(resolved, os.X_OK):
            raise ExecutorError(
                "not_found",
                f"'{program}' is not installed on this host",
                f"install the package that provides '{program}'",
            )
        started = time.monotonic()
        process = await asyncio.create_subprocess_exec(
            resolved,
            *argv[1:],
            stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**self._env, **(env or {})},
            start_new_session=True,
        )
        if stdin is not None and process.stdin is not None:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                process.stdin.write(stdin)
                await process.stdin.drain()
            process.stdin.close()
        gathered = asyncio.gather(
            read_capped(process.stdout, max_output),
            read_capped(process.stderr, max_output),
            process.wait(),
        )
        try:
            (out, out_cut), (err, err_cut), returncode = await asyncio.wait_for(gathered, timeout)
        except asyncio.CancelledError:
            # The caller gave up (a tool timeout, a client gone): the command must not
            # outlive it. Reaping it (a moment after SIGKILL) closes its transport while
            # the loop still runs; left to the garbage collector, it would be closed on a
            # closed loop.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(process.wait(), 2.0)
            raise
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            with contextlib.suppress(Exception):
                await process.wait()
            raise ExecutorError(
                "timeout",
                f"'{' '.join(argv[:3])}' did not finish within {timeout:g}s and was stopped",
            ) from None
        return CommandResult(
            argv=tuple(argv),
            returncode=returncode,
            stdout=out.decode("utf-8", errors="replace"),
            stderr=err.decode("utf-8", errors="replace"),
            duration_s=time.monotonic() - started,
            truncated=out_cut or err_cut,
        )

    async def which(self, program: str) -> str | None:
        return shutil.which(program, path=self._env.get("PATH"))

    async def read_file(self, path: str, *, max_bytes: int = DEFAULT_MAX_OUTPUT) -> bytes:
        try:
            with open(path, "rb") as handle:
                return handle.read(max_bytes)
        except OSError as exc:
            raise _os_error(path, exc) from exc

    async def read_tail(
        self, path: str, *, lines: int, max_bytes: int = DEFAULT_MAX_OUTPUT
    ) -> TailResult:
        return tail_lines(path, lines, max_bytes)

    async def stat(self, path: str, *, follow_symlinks: bool = False) -> FileStat:
        try:
            info = os.stat(path, follow_symlinks=follow_symlinks)
            target = os.readlink(path) if stat_mod.S_ISLNK(info.st_mode) else None
        except OSError as exc:
            raise _os_error(path, exc) from exc
        return FileStat(
            path=path,
            kind=_kind(info.st_mode),
            size_bytes=info.st_size,
            mtime=info.st_mtime,
            mode=stat_mod.S_IMODE(info.st_mode),
            uid=info.st_uid,
            inode=info.st_ino,
            device=info.st_dev,
            link_target=target,
            links=info.st_nlink,
        )

    async def realpath(self, path: str) -> str:
        return os.path.realpath(path)

    async def list_dir(self, path: str, *, limit: int = 10_000) -> list[DirEntry]:
        entries: list[DirEntry] = []
        try:
            with os.scandir(path) as iterator:
                for entry in iterator:
                    if len(entries) >= limit:
                        break
                    try:
                        info = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    entries.append(
                        DirEntry(
                            name=entry.name,
                            path=entry.path,
                            kind=_kind(info.st_mode),
                            size_bytes=info.st_size,
                            mtime=info.st_mtime,
                        )
                    )
        except OSError as exc:
            raise _os_error(path, exc) from exc
        return entries

    async def fs_usage(self, path: str) -> FsUsage:
        try:
            # A hung network mount blocks statvfs forever: never on the event loop.
            vfs = await asyncio.wait_for(asyncio.to_thread(os.statvfs, path), DEFAULT_TIMEOUT)
        except TimeoutError:
            raise ExecutorError(
                "timeout", f"{path}: the filesystem did not answer (a hung network mount?)"
            ) from None
        except OSError as exc:
            raise _os_error(path, exc) from exc
        size = vfs.f_blocks * vfs.f_frsize
        free_for_users = vfs.f_bavail * vfs.f_frsize
        used = (vfs.f_blocks - vfs.f_bfree) * vfs.f_frsize
        return FsUsage(
            size_bytes=size,
            used_bytes=used,
            free_bytes=free_for_users,
            inodes_total=vfs.f_files,
            inodes_used=vfs.f_files - vfs.f_ffree,
        )

    async def remove_file(self, path: str) -> None:
        remove_file_nofollow(path)

    async def write_file(self, path: str, data: bytes, *, mode: int | None = None) -> None:
        await asyncio.to_thread(write_file_nofollow, path, data, mode)

    async def open_for_writing(self, paths: Iterable[str]) -> set[str]:
        return await asyncio.to_thread(open_for_writing_now, list(paths))
