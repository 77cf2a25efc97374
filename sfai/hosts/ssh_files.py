"""File primitives (and commands) over SSH through the remote helper (``ssh_remote.HELPER``).

``HelperFiles`` keeps one ``python3 -I -c HELPER`` per connection (under ``sudo -n`` when
the entry says so) and pipelines JSON requests to it: one round trip per primitive, no
process started per call, local semantics (inode and device numbers, ``O_NOFOLLOW`` walks,
``/proc`` scans). A request that times out (a hung network mount under ``statvfs``) kills
the helper; the next request starts a fresh one. Hosts without python3 get
``ssh_sftp.SFTPFiles`` instead.
"""

from __future__ import annotations

import asyncio
import base64
import json
import shlex
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sfai_agent.exec.base import (
    DEFAULT_TIMEOUT,
    CommandResult,
    DirEntry,
    ExecutorError,
    FileStat,
)

if TYPE_CHECKING:
    import asyncssh

RUN_GRACE_S = 10.0
"""The helper stops a command at its timeout itself; this side waits that much longer."""
HELPER_START_TIMEOUT_S = 20.0
"""python3's start on a loaded host can take seconds; a missing python3 answers at once."""
PERMISSION_HINT = (
    "log in as a user in the 'adm' group (or root), or set sudo = true for this host "
    "with passwordless sudo for python3"
)


def helper_command(sudo: bool) -> str:
    from sfai.hosts.ssh_remote import HELPER

    prefix = ["sudo", "-n", "--"] if sudo else []
    return shlex.join([*prefix, "python3", "-I", "-c", HELPER])


def lost(label: str) -> ExecutorError:
    return ExecutorError(
        "unavailable",
        f"the SSH connection to {label} was lost",
        "check that the host is up and sshd runs; sfai reconnects on the next call",
    )


def error(code: str, message: str) -> ExecutorError:
    return ExecutorError(code, message, PERMISSION_HINT if code == "permission_denied" else "")


class HelperFiles:
    """Requests to one remote helper process; answers matched by id."""

    def __init__(self, process: asyncssh.SSHClientProcess[bytes], label: str) -> None:
        self._process = process
        self._label = label
        self._next = 0
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._reader = asyncio.get_running_loop().create_task(self._read())
        self.uid = -1
        self.user = ""
        """Whom the helper runs as (root under sudo)."""

    @classmethod
    async def start(
        cls, conn: asyncssh.SSHClientConnection, *, sudo: bool, label: str
    ) -> HelperFiles | None:
        """The helper, or None when python3 (or passwordless sudo for it) is missing."""
        process = await conn.create_process(helper_command(sudo), encoding=None)
        try:
            line = await asyncio.wait_for(process.stdout.readline(), HELPER_START_TIMEOUT_S)
            hello = json.loads(line) if line else {}
            uid = int(hello["uid"]) if hello else -1
        except (TimeoutError, ValueError, KeyError, TypeError):
            uid = -1
        if uid < 0:
            process.close()
            return None
        files = cls(process, label)
        files.uid = uid
        files.user = str(hello.get("user", uid))
        return files

    def alive(self) -> bool:
        return not self._reader.done()

    async def _read(self) -> None:
        try:
            while line := await self._process.stdout.readline():
                answer = json.loads(line)
                future = self._pending.pop(answer.get("id"), None)
                if future is not None and not future.done():
                    future.set_result(answer)
        except Exception:  # noqa: S110 (any failure ends the helper; callers see `lost`)
            pass
        finally:
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(lost(self._label))
            self._pending.clear()

    def close(self) -> None:
        self._process.close()
        self._reader.cancel()

    async def call(self, op: str, args: dict[str, Any], timeout: float = DEFAULT_TIMEOUT) -> Any:
        if not self.alive():
            raise lost(self._label)
        self._next += 1
        ident = self._next
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[ident] = future
        try:
            self._process.stdin.write(
                json.dumps({"id": ident, "op": op, "a": args}).encode() + b"\n"
            )
            answer = await asyncio.wait_for(future, timeout)
        except TimeoutError:
            self.close()  # it is stuck (a hung mount?): the next call starts another
            raise ExecutorError(
                "timeout",
                f"{args.get('path', op)}: no answer within {timeout:g}s (a hung network mount?)",
            ) from None
        except (OSError, ConnectionError) as exc:
            raise lost(self._label) from exc
        finally:
            self._pending.pop(ident, None)
        if "e" in answer:
            raise error(*answer["e"])
        return answer["r"]

    async def read(self, path: str, max_bytes: int) -> bytes:
        return base64.b64decode((await self.call("read", {"path": path, "max": max_bytes}))["b64"])

    async def tail(self, path: str, lines: int, max_bytes: int) -> tuple[bytes, int, int]:
        got = await self.call("tail", {"path": path, "lines": lines, "max": max_bytes})
        return base64.b64decode(got["b64"]), int(got["size"]), int(got["position"])

    async def stat(self, path: str, follow: bool) -> FileStat:
        got = await self.call("stat", {"path": path, "follow": follow})
        return FileStat(
            path=path,
            kind=got["kind"],
            size_bytes=got["size"],
            mtime=got["mtime"],
            mode=got["mode"],
            uid=got["uid"],
            inode=got["inode"],
            device=got["device"],
            links=got.get("links", 1),
            link_target=got["target"],
        )

    async def realpath(self, path: str) -> str:
        return str(await self.call("realpath", {"path": path}))

    async def list_dir(self, path: str, limit: int) -> list[DirEntry]:
        rows = await self.call("list", {"path": path, "limit": limit})
        return [DirEntry(*row) for row in rows]

    async def statvfs(self, path: str) -> tuple[int, ...]:
        return tuple(await self.call("statvfs", {"path": path}))

    async def remove(self, path: str) -> None:
        await self.call("remove", {"path": path})

    async def write(self, path: str, data: bytes, mode: int | None) -> None:
        payload = {"path": path, "b64": base64.b64encode(data).decode(), "mode": mode}
        await self.call("write", payload, timeout=max(DEFAULT_TIMEOUT, len(data) / 1_000_000))

    async def open_for_writing(self, paths: Iterable[str]) -> set[str]:
        return set(await self.call("openw", {"paths": list(paths)}, timeout=30))

    async def run(
        self,
        argv: list[str],
        *,
        timeout: float,
        max_output: int,
        stdin: bytes | None,
        env: dict[str, str] | None,
    ) -> CommandResult:
        """A command started by the helper (argv, no shell, its own process group killed
        at the timeout): no SSH session per command, the local executor's semantics."""
        payload = {
            "argv": argv,
            "env": env or {},
            "timeout": timeout,
            "max": max_output,
            "stdin": None if stdin is None else base64.b64encode(stdin).decode(),
        }
        got = await self.call("run", payload, timeout=timeout + RUN_GRACE_S)
        return CommandResult(
            argv=tuple(argv),
            returncode=int(got["rc"]),
            stdout=base64.b64decode(got["out"]).decode("utf-8", errors="replace"),
            stderr=base64.b64decode(got["err"]).decode("utf-8", errors="replace"),
            duration_s=float(got["duration"]),
            truncated=bool(got["cut"]),
        )

    async def which(self, program: str) -> str | None:
        found = await self.call("which", {"program": program})
        return str(found) if found else None

    async def processes(self) -> dict[str, Any]:
        """Every process's CPU ticks and RSS pages in one round trip (live metrics)."""
        got: dict[str, Any] = await self.call("procs", {})
        return got
