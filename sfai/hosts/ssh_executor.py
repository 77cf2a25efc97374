"""The SSH Executor: every primitive of ``sfai_agent.exec.base.Executor`` on a remote host.

The tools run on the operator's side; only their primitives cross the wire, over one
shared connection (``SSHLink``). When the remote helper runs (``ssh_files``: python3 on the
host), it starts commands too — argv straight to ``execve``, its own process group killed
at the timeout, no SSH session per command (sshd's session setup costs tens of
milliseconds per command). Otherwise, and under ``sudo`` when the helper could not become
root, each command is an SSH exec request: the argv list turned into one command line with
``shlex.join`` (the remote login shell splits it back into exactly those words; the
login shell must be a POSIX one: sh, bash, dash, zsh), prefixed by ``env LC_ALL=C ...``
for parsable output and, when the entry says ``sudo = true``, by ``sudo -n --`` (after
``env``: sudoers may then allow only the programs the tools use; sudo keeps LANG, LC_*
and TZ). File primitives go to the remote helper (``ssh_files``), else to SFTP.

Errors are the local executor's: ``not_found``, ``timeout``, ``permission_denied``,
``invalid_argument``, and ``unavailable`` when the connection drops (the next call
reconnects).
"""

from __future__ import annotations

import asyncio
import contextlib
import shlex
import signal
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from sfai.core.host import HostUnreachable
from sfai.hosts.ssh_connection import SSHLink
from sfai.hosts.ssh_files import HelperFiles, lost
from sfai.hosts.ssh_sftp import SFTPFiles
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
from sfai_agent.exec.local import read_capped

if TYPE_CHECKING:
    import asyncssh

BASE_ENV = {"LC_ALL": "C", "LANG": "C", "SYSTEMD_PAGER": "", "PAGER": "cat"}


def build_command(
    argv: list[str],
    *,
    env: dict[str, str] | None = None,
    sudo: bool = False,
    timeout: float | None = None,
) -> str:
    """The remote command line for ``argv``: every word quoted, nothing left to a shell.

    ``timeout``: coreutils' ``timeout`` stops the command (and its children) there one
    second after we stop waiting: closing an SSH channel does not stop a remote command,
    and sshd may ignore signal requests."""
    if not argv or not all(isinstance(part, str) for part in argv):
        raise ExecutorError("invalid_argument", "a command is a non-empty list of strings")
    if any("\x00" in part for part in argv):
        raise ExecutorError("invalid_argument", "command arguments cannot contain NUL bytes")
    if "=" in argv[0] or argv[0].startswith("-"):
        raise ExecutorError("invalid_argument", f"{argv[0]!r} is not a program name")
    variables = {**BASE_ENV, **(env or {})}
    if any(not key or "=" in key or "\x00" in key + value for key, value in variables.items()):
        raise ExecutorError("invalid_argument", "environment names cannot contain '=' or NUL")
    words = ["env", *(f"{key}={value}" for key, value in variables.items())]
    if timeout is not None:
        words += ["timeout", "-k", "1", f"{timeout + 1:g}"]
    if sudo:
        words += ["sudo", "-n", "--"]
    return shlex.join(words + argv)


def tail_result(path: str, buffer: bytes, size: int, position: int, lines: int) -> TailResult:
    """The same cut as ``sfai_agent.exec.local.tail_lines`` over the bytes read remotely."""
    all_lines = buffer.decode("utf-8", errors="replace").splitlines()
    if position > 0 and all_lines:
        all_lines = all_lines[1:]  # partial: we stopped before the start of the file
    kept = all_lines[-lines:] if lines > 0 else []
    return TailResult(
        path=path,
        lines=kept,
        size_bytes=size,
        bytes_read=len(buffer),
        truncated=position > 0 or len(all_lines) > len(kept),
    )


def _returncode(process: asyncssh.SSHClientProcess[bytes]) -> int | None:
    if process.exit_status is not None and process.exit_status >= 0:
        return int(process.exit_status)
    if process.exit_signal:
        name = process.exit_signal[0]
        with contextlib.suppress(KeyError):
            return -int(signal.Signals[f"SIG{name}"])
        return -1
    return None


class SSHExecutor:
    """Runs on a host reached over SSH (see the module docstring)."""

    def __init__(
        self,
        link: SSHLink,
        *,
        sudo: bool = False,
        file_access: str = "auto",
        commands: str = "auto",
    ) -> None:
        """``file_access``: ``auto`` (the helper when python3 is there, else SFTP),
        ``helper`` or ``sftp``. ``commands``: ``auto`` (the helper starts them when it
        runs as the user they must run as: always without sudo, as root with it) or
        ``exec`` (one SSH session each). Forcing is what the tests use to check each way."""
        if file_access not in ("auto", "helper", "sftp") or commands not in ("auto", "exec"):
            raise ValueError(f"file_access={file_access!r}, commands={commands!r}")
        self._commands = commands
        self.name = link.label
        self._link = link
        self._sudo = sudo
        self._file_access = file_access
        self._files: HelperFiles | SFTPFiles | None = None
        self._files_generation = -1
        self._files_lock = asyncio.Lock()
        self._which: dict[str, str | None] = {}
        self._which_generation = -1

    @property
    def link(self) -> SSHLink:
        return self._link

    async def _connection(self) -> asyncssh.SSHClientConnection:
        try:
            return await self._link.connection()
        except HostUnreachable as exc:
            raise ExecutorError("unavailable", exc.message, exc.hint) from None

    async def run(
        self,
        argv: list[str],
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_output: int = DEFAULT_MAX_OUTPUT,
        stdin: bytes | None = None,
        env: dict[str, str] | None = None,
    ) -> CommandResult:
        import asyncssh

        command = build_command(argv, env=env, sudo=self._sudo, timeout=timeout)
        helper = await self.command_helper()
        if helper is not None:
            async with self._link.channels:
                return await helper.run(
                    argv, timeout=timeout, max_output=max_output, stdin=stdin, env=env
                )
        conn = await self._connection()
        started = time.monotonic()
        async with self._link.channels:
            try:
                process = await conn.create_process(command, encoding=None)
            except (asyncssh.Error, OSError) as exc:
                self._link.drop()
                raise lost(self.name) from exc
            try:
                if stdin:
                    process.stdin.write(stdin)
                process.stdin.write_eof()
                gathered = asyncio.gather(
                    read_capped(process.stdout, max_output),
                    read_capped(process.stderr, max_output),
                    process.wait_closed(),
                )
                # After a timeout the readers end with the channel's error: retrieve it, or
                # asyncio logs "exception was never retrieved" for each.
                gathered.add_done_callback(lambda done: done.cancelled() or done.exception())
                (out, out_cut), (err, err_cut), _ = await asyncio.wait_for(gathered, timeout)
            except TimeoutError:
                with contextlib.suppress(Exception):
                    process.send_signal("KILL")
                process.close()
                raise ExecutorError(
                    "timeout",
                    f"'{' '.join(argv[:3])}' did not finish within {timeout:g}s and was stopped",
                ) from None
            except (asyncssh.Error, OSError) as exc:
                self._link.drop()
                raise lost(self.name) from exc
        returncode = _returncode(process)
        if returncode is None:
            self._link.drop()
            raise lost(self.name)
        stderr = err.decode("utf-8", errors="replace")
        self._check_start(argv[0], returncode, stderr)
        return CommandResult(
            argv=tuple(argv),
            returncode=returncode,
            stdout=out.decode("utf-8", errors="replace"),
            stderr=stderr,
            duration_s=time.monotonic() - started,
            truncated=out_cut or err_cut,
        )

    async def command_helper(self) -> HelperFiles | None:
        """The helper that starts commands here, or None: one SSH exec session each."""
        if self._commands == "exec" or self._file_access == "sftp":
            return None
        files = await self.files()
        if isinstance(files, HelperFiles) and (not self._sudo or files.uid == 0):
            return files
        return None

    def _check_start(self, program: str, returncode: int, stderr: str) -> None:
        """``env``/``sudo`` saying the program could not be started: the local executor's
        ``not_found`` (and ``permission_denied`` for sudo asking a password)."""
        first = stderr.lstrip().split("\n", 1)[0]
        missing = ExecutorError(
            "not_found",
            f"'{program}' is not installed on this host",
            f"install the package that provides '{program}'",
        )
        if returncode in (126, 127) and first.startswith(("env: ", "timeout: ")):
            if self._sudo and "'sudo'" in first:
                raise ExecutorError(
                    "unavailable",
                    f"{self._link.entry.name} has sudo = true but no sudo installed",
                    "install sudo there, or set sudo = false for this host",
                )
            if program in first:
                raise missing
        if returncode == 1 and first.startswith("sudo: "):
            if "command not found" in first:
                raise missing
            if "password is required" in first or "terminal is required" in first:
                raise ExecutorError(
                    "permission_denied",
                    f"sudo asked for a password to run '{program}' on {self._link.entry.name}",
                    "allow it without a password in sudoers (NOPASSWD), or set sudo = false",
                )

    async def which(self, program: str) -> str | None:
        if self._which_generation != self._link.generation:
            self._which, self._which_generation = {}, self._link.generation
        if program not in self._which and (helper := await self.command_helper()):
            self._which[program] = await helper.which(program)
        if program not in self._which:
            result = await self.run(["sh", "-c", 'command -v "$1"', "sh", program])
            found = result.stdout.strip().splitlines()
            path = found[0] if result.ok and found and found[0].startswith("/") else None
            self._which[program] = path
        return self._which[program]

    async def files(self) -> HelperFiles | SFTPFiles:
        """The file backend for the current connection (started on first use)."""
        conn = await self._connection()
        if (
            self._files is not None
            and self._files.alive()
            and self._files_generation == self._link.generation
        ):
            return self._files
        async with self._files_lock:
            if not (
                self._files is not None
                and self._files.alive()
                and self._files_generation == self._link.generation
            ):
                self._files = await self._start_files(conn)
                self._files_generation = self._link.generation
            return self._files

    async def _start_files(self, conn: asyncssh.SSHClientConnection) -> HelperFiles | SFTPFiles:
        import asyncssh

        try:
            helper = None
            if self._file_access != "sftp":
                helper = await HelperFiles.start(conn, sudo=self._sudo, label=self.name)
                if helper is None and self._sudo:
                    helper = await HelperFiles.start(conn, sudo=False, label=self.name)
            if helper is not None:
                return helper
            if self._file_access == "helper":
                raise ExecutorError(
                    "unavailable",
                    f"cannot start python3 on {self._link.entry.name}",
                    "install python3 there",
                )
            sftp = await conn.start_sftp_client(path_errors="surrogateescape")
            return SFTPFiles(sftp, str(conn.get_extra_info("username") or ""))
        except (asyncssh.Error, OSError) as exc:
            self._link.drop()
            raise lost(self.name) from exc

    async def read_file(self, path: str, *, max_bytes: int = DEFAULT_MAX_OUTPUT) -> bytes:
        return await (await self.files()).read(path, max_bytes)

    async def read_tail(
        self, path: str, *, lines: int, max_bytes: int = DEFAULT_MAX_OUTPUT
    ) -> TailResult:
        buffer, size, position = await (await self.files()).tail(path, lines, max_bytes)
        return tail_result(path, buffer, size, position, lines)

    async def stat(self, path: str, *, follow_symlinks: bool = False) -> FileStat:
        return await (await self.files()).stat(path, follow_symlinks)

    async def realpath(self, path: str) -> str:
        return await (await self.files()).realpath(path)

    async def list_dir(self, path: str, *, limit: int = 10_000) -> list[DirEntry]:
        return await (await self.files()).list_dir(path, limit)

    async def fs_usage(self, path: str) -> FsUsage:
        blocks, bfree, bavail, frsize, files, ffree = await (await self.files()).statvfs(path)
        return FsUsage(
            size_bytes=blocks * frsize,
            used_bytes=(blocks - bfree) * frsize,
            free_bytes=bavail * frsize,
            inodes_total=files,
            inodes_used=files - ffree,
        )

    async def remove_file(self, path: str) -> None:
        await (await self.files()).remove(path)

    async def write_file(self, path: str, data: bytes, *, mode: int | None = None) -> None:
        await (await self.files()).write(path, data, mode)

    async def open_for_writing(self, paths: Iterable[str]) -> set[str]:
        return await (await self.files()).open_for_writing(paths)

    async def close(self) -> None:
        if self._files is not None:
            self._files.close()
            self._files = None
