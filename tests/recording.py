"""``RecordingExecutor``: a real LocalExecutor that records every primitive it performs.

Tool tests use it to assert what a tool asked of the host (``executor.calls``, a list of
``(primitive, argument)``), and ``missing={"ss"}`` to see how a tool copes when a program is
not installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sfai_agent.exec import LocalExecutor
from sfai_agent.exec.base import (
    CommandResult,
    DirEntry,
    ExecutorError,
    FileStat,
    FsUsage,
    TailResult,
)


class RecordingExecutor:
    """A real LocalExecutor that records each primitive; ``missing`` programs raise not_found."""

    name = "local"

    def __init__(self, missing: set[str] | None = None) -> None:
        self.inner = LocalExecutor()
        self.missing = missing or set()
        self.calls: list[tuple[str, Any]] = []

    async def run(self, argv: list[str], **kwargs: Any) -> CommandResult:
        self.calls.append(("run", list(argv)))
        if Path(argv[0]).name in self.missing:
            raise ExecutorError("not_found", f"'{argv[0]}' is not installed on this host")
        return await self.inner.run(argv, **kwargs)

    async def which(self, program: str) -> str | None:
        self.calls.append(("which", program))
        return None if Path(program).name in self.missing else await self.inner.which(program)

    async def read_file(self, path: str, **kwargs: Any) -> bytes:
        self.calls.append(("read_file", path))
        return await self.inner.read_file(path, **kwargs)

    async def read_tail(self, path: str, **kwargs: Any) -> TailResult:
        self.calls.append(("read_tail", path))
        return await self.inner.read_tail(path, **kwargs)

    async def stat(self, path: str, **kwargs: Any) -> FileStat:
        self.calls.append(("stat", path))
        return await self.inner.stat(path, **kwargs)

    async def realpath(self, path: str) -> str:
        self.calls.append(("realpath", path))
        return await self.inner.realpath(path)

    async def list_dir(self, path: str, **kwargs: Any) -> list[DirEntry]:
        self.calls.append(("list_dir", path))
        return await self.inner.list_dir(path, **kwargs)

    async def fs_usage(self, path: str) -> FsUsage:
        self.calls.append(("fs_usage", path))
        return await self.inner.fs_usage(path)

    async def remove_file(self, path: str) -> None:
        self.calls.append(("remove_file", path))
        await self.inner.remove_file(path)

    async def write_file(self, path: str, data: bytes, *, mode: int | None = None) -> None:
        self.calls.append(("write_file", path))
        await self.inner.write_file(path, data, mode=mode)

    async def open_for_writing(self, paths: Any) -> set[str]:
        paths = list(paths)
        self.calls.append(("open_for_writing", paths))
        return await self.inner.open_for_writing(paths)
