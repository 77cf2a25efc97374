"""The Executor protocol: the only way a tool touches a host.

Tools never know whether they run in-process, inside ``sfai-agent`` or over SSH;
they get an Executor and use these few primitives. Every primitive is bounded
(time and size) so a tool cannot hang or flood memory, and commands are argv
lists: no shell string is ever built.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_OUTPUT = 1_048_576


class ExecutorError(Exception):
    """A primitive failed in a way the tool should report, not crash on.

    ``code`` follows the tool error codes of the design (``not_found``,
    ``timeout``, ``unavailable``, ``permission_denied``, ``invalid_argument``).
    """

    def __init__(self, code: str, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class CommandResult:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    duration_s: float
    truncated: bool = False

    @property
    def ok(self) -> bool:
        return self.returncode == 0


@dataclass(frozen=True)
class TailResult:
    path: str
    lines: list[str]
    size_bytes: int
    bytes_read: int
    truncated: bool
    """True when the file holds more lines than were returned."""


@dataclass(frozen=True)
class FileStat:
    path: str
    kind: str
    """``file``, ``dir``, ``symlink`` or ``other``."""
    size_bytes: int
    mtime: float
    mode: int
    uid: int
    inode: int = 0
    device: int = 0
    link_target: str | None = None
    links: int = 1
    """Hard links to the inode: a regular file with more than one may be another name for
    a credential file, so the path rules refuse to read it (docs/security.md)."""


@dataclass(frozen=True)
class DirEntry:
    name: str
    path: str
    kind: str
    size_bytes: int
    mtime: float


@dataclass(frozen=True)
class FsUsage:
    size_bytes: int
    used_bytes: int
    free_bytes: int
    inodes_total: int
    inodes_used: int
    extra: dict[str, int] = field(default_factory=dict)


@runtime_checkable
class Executor(Protocol):
    """What a tool may do on a host. Implementations: local, SSH (later), agent-side."""

    name: str
    """A short label for messages: ``local``, ``ssh:web1``..."""

    async def run(
        self,
        argv: list[str],
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_output: int = DEFAULT_MAX_OUTPUT,
        stdin: bytes | None = None,
        env: dict[str, str] | None = None,
    ) -> CommandResult:
        """Run ``argv`` (never through a shell); raise ``ExecutorError`` if it cannot start
        (``not_found``) or exceeds ``timeout`` (``timeout``). A non-zero exit is a result."""
        ...

    async def which(self, program: str) -> str | None:
        """The absolute path of ``program`` on the host's PATH, or None."""
        ...

    async def read_file(self, path: str, *, max_bytes: int = DEFAULT_MAX_OUTPUT) -> bytes:
        """The first ``max_bytes`` of a regular file."""
        ...

    async def read_tail(
        self, path: str, *, lines: int, max_bytes: int = DEFAULT_MAX_OUTPUT
    ) -> TailResult:
        """The last ``lines`` lines, read backwards from the end: cost does not grow with size."""
        ...

    async def stat(self, path: str, *, follow_symlinks: bool = False) -> FileStat: ...

    async def realpath(self, path: str) -> str:
        """The canonical path (symlinks and ``..`` resolved), as the host sees it."""
        ...

    async def list_dir(self, path: str, *, limit: int = 10_000) -> list[DirEntry]:
        """Entries of a directory (symlinks not followed), at most ``limit``."""
        ...

    async def fs_usage(self, path: str) -> FsUsage:
        """statvfs of the filesystem holding ``path``."""
        ...

    async def remove_file(self, path: str) -> None:
        """Unlink one non-directory entry at an absolute path. No component of ``path`` may
        be a symlink (``invalid_argument``: never followed); a final symlink is removed
        itself, never its target; a directory is refused, never removed recursively."""
        ...

    async def write_file(self, path: str, data: bytes, *, mode: int | None = None) -> None:
        """Replace (or create) the regular file at the normalised absolute ``path`` with
        ``data``, atomically: a temporary file in the same directory, fsynced, renamed over
        it. No component of ``path`` may be a symlink (``invalid_argument``); an existing
        file keeps its mode and owner unless ``mode`` is given. Actions that edit config
        use it for the new version, the backup and the restore alike."""
        ...

    async def open_for_writing(self, paths: Iterable[str]) -> set[str]:
        """Those of ``paths`` (resolved, absolute) that some process holds open for writing
        (``O_WRONLY``/``O_RDWR``). Processes this user may not inspect are not seen."""
        ...
