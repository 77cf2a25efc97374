"""File primitives over SFTP: the fallback for hosts without python3 (see ``ssh_files``).

``SFTPFiles`` works as the login user (``sudo`` cannot apply to SFTP). What it cannot do
the way the helper and the local executor do: inode numbers are 0 and times whole seconds
(SFTP version 3, OpenSSH's, carries no more), device numbers come from ``statvfs``'s
filesystem id; remove_file and write_file check each directory of the path with
``lstat`` before acting, so a directory swapped for a symlink between that check and the
unlink or rename (by someone who can write to the parent) is followed — the race the
helper's ``O_NOFOLLOW`` walk closes; ``open_for_writing`` is refused (``unavailable``)
rather than guessed, so clean_disk never deletes a file it could not check.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import stat as stat_mod
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from sfai.hosts.ssh_files import error
from sfai_agent.exec.base import DEFAULT_TIMEOUT, DirEntry, ExecutorError, FileStat

if TYPE_CHECKING:
    import asyncssh


def sftp_error(path: str, exc: Exception) -> ExecutorError:
    import asyncssh

    if isinstance(exc, asyncssh.SFTPNoSuchFile):
        return error("not_found", f"{path}: no such file or directory")
    if isinstance(exc, asyncssh.SFTPPermissionDenied):
        return error("permission_denied", f"{path}: permission denied")
    if isinstance(exc, asyncssh.SFTPError):
        return error("unavailable", f"{path}: {exc.reason}")
    return error("unavailable", f"{path}: {exc}")


def _kind(mode: int) -> str:
    for test, name in (
        (stat_mod.S_ISREG, "file"),
        (stat_mod.S_ISDIR, "dir"),
        (stat_mod.S_ISLNK, "symlink"),
    ):
        if test(mode):
            return name
    return "other"


class SFTPFiles:
    """The same primitives over SFTP, as the login user (see the module docstring)."""

    def __init__(self, sftp: asyncssh.SFTPClient, user: str = "") -> None:
        self._sftp = sftp
        self.uid = -1
        self.user = user

    def alive(self) -> bool:
        return True

    def close(self) -> None:
        self._sftp.exit()

    async def _guard(self, path: str, coro: Any) -> Any:
        import asyncssh

        try:
            return await asyncio.wait_for(coro, DEFAULT_TIMEOUT)
        except TimeoutError:
            raise ExecutorError(
                "timeout", f"{path}: no answer within {DEFAULT_TIMEOUT:g}s"
            ) from None
        except (asyncssh.SFTPError, OSError) as exc:
            raise sftp_error(path, exc) from exc

    async def _is_dir(self, path: str) -> bool:
        with contextlib.suppress(Exception):
            return bool(stat_mod.S_ISDIR((await self._sftp.stat(path)).permissions or 0))
        return False

    async def read(self, path: str, max_bytes: int) -> bytes:
        async def go() -> bytes:
            async with self._sftp.open(path, "rb") as handle:
                chunks: list[bytes] = []
                got = 0
                while got < max_bytes:
                    chunk = cast(bytes, await handle.read(min(65_536, max_bytes - got)))
                    if not chunk:
                        break
                    chunks.append(chunk)
                    got += len(chunk)
                return b"".join(chunks)

        try:
            return bytes(await self._guard(path, go()))
        except ExecutorError as exc:
            if exc.code == "unavailable" and await self._is_dir(path):
                raise error("invalid_argument", f"{path}: is a directory") from None
            raise

    async def tail(self, path: str, lines: int, max_bytes: int) -> tuple[bytes, int, int]:
        async def go() -> tuple[bytes, int, int]:
            async with self._sftp.open(path, "rb") as handle:
                size = int((await handle.stat()).size or 0)
                position, newlines = size, 0
                chunks: list[bytes] = []
                while position > 0 and newlines < lines + 1 and size - position < max_bytes:
                    step = min(65_536, position, max_bytes - (size - position))
                    position -= step
                    chunk = cast(bytes, await handle.read(step, position))
                    chunks.append(chunk)
                    newlines += chunk.count(b"\n")
                return b"".join(reversed(chunks)), size, position

        result: tuple[bytes, int, int] = await self._guard(path, go())
        return result

    async def stat(self, path: str, follow: bool) -> FileStat:
        attrs = await self._guard(path, (self._sftp.stat if follow else self._sftp.lstat)(path))
        mode = int(attrs.permissions or 0)
        target = None
        if stat_mod.S_ISLNK(mode):
            target = str(await self._guard(path, self._sftp.readlink(path)))
        vfs = await self._guard(
            path,
            self._sftp.statvfs(path if follow or not target else path.rsplit("/", 1)[0] or "/"),
        )
        return FileStat(
            path=path,
            kind=_kind(mode),
            size_bytes=int(attrs.size or 0),
            mtime=float(attrs.mtime or 0),
            mode=stat_mod.S_IMODE(mode),
            uid=int(attrs.uid or 0),
            inode=0,
            device=int(vfs.fsid),
            links=int(attrs.nlink or 1),
            link_target=target,
        )

    async def realpath(self, path: str) -> str:
        try:
            return str(await self._guard(path, self._sftp.realpath(path)))
        except ExecutorError:
            import posixpath

            return posixpath.normpath(path)

    async def list_dir(self, path: str, limit: int) -> list[DirEntry]:
        names = await self._guard(path, self._sftp.readdir(path))
        rows: list[DirEntry] = []
        for name in names:
            if name.filename in (".", "..") or len(rows) >= limit:
                continue
            attrs = name.attrs
            child = f"{path.rstrip('/')}/{name.filename}"
            mode = int(attrs.permissions or 0)
            rows.append(
                DirEntry(
                    str(name.filename),
                    child,
                    _kind(mode),
                    int(attrs.size or 0),
                    float(attrs.mtime or 0),
                )
            )
        return rows

    async def statvfs(self, path: str) -> tuple[int, ...]:
        v = await self._guard(path, self._sftp.statvfs(path))
        return (v.blocks, v.bfree, v.bavail, v.frsize, v.files, v.ffree)

    async def _check_parents(self, path: str, action: str) -> None:
        parts = path.split("/")[1:] if path.startswith("/") else []
        if not parts or "\x00" in path or any(part in ("", ".", "..") for part in parts):
            raise error("invalid_argument", f"{path!r}: {action} needs a normalised absolute path")
        for index in range(1, len(parts)):
            where = "/" + "/".join(parts[:index])
            attrs = await self._guard(where, self._sftp.lstat(where))
            if not stat_mod.S_ISDIR(int(attrs.permissions or 0)):
                raise error(
                    "invalid_argument",
                    f"{path}: {where} is a symlink or not a directory; not followed",
                )

    async def remove(self, path: str) -> None:
        await self._check_parents(path, "remove_file")
        attrs = await self._guard(path, self._sftp.lstat(path))
        if stat_mod.S_ISDIR(int(attrs.permissions or 0)):
            raise error("invalid_argument", f"{path}: is a directory; only files are removed")
        await self._guard(path, self._sftp.remove(path))

    async def write(self, path: str, data: bytes, mode: int | None) -> None:
        import asyncssh

        await self._check_parents(path, "write_file")
        current = None
        with contextlib.suppress(ExecutorError):
            current = await self._guard(path, self._sftp.lstat(path))
        if current is not None and not stat_mod.S_ISREG(int(current.permissions or 0)):
            raise error(
                "invalid_argument", f"{path}: not a regular file (a symlink?); not replaced"
            )
        new_mode = (
            mode
            if mode is not None
            else (stat_mod.S_IMODE(int(current.permissions or 0)) if current else 0o644)
        )
        directory, name = path.rsplit("/", 1)
        temp = f"{directory}/.{name}.sfai-{secrets.token_hex(6)}"

        async def go() -> None:
            async with self._sftp.open(
                temp, "xb", asyncssh.SFTPAttrs(permissions=new_mode)
            ) as handle:
                await handle.write(data)
                await handle.chmod(new_mode)
                with contextlib.suppress(asyncssh.SFTPError):
                    await handle.fsync()
            await self._sftp.posix_rename(temp, path)

        try:
            await self._guard(path, go())
        except ExecutorError:
            with contextlib.suppress(Exception):
                await self._sftp.remove(temp)
            raise

    async def open_for_writing(self, paths: Iterable[str]) -> set[str]:
        raise ExecutorError(
            "unavailable",
            "cannot tell which files are open for writing on this host: it has no python3",
            "install python3 on the host (sfai's SSH transport uses it for /proc scans)",
        )
