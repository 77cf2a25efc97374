"""How tools reach a host: the :class:`Executor` protocol and its local implementation."""

from sfai_agent.exec.base import (
    CommandResult,
    DirEntry,
    Executor,
    ExecutorError,
    FileStat,
    FsUsage,
    TailResult,
)
from sfai_agent.exec.local import LocalExecutor

__all__ = [
    "CommandResult",
    "DirEntry",
    "Executor",
    "ExecutorError",
    "FileStat",
    "FsUsage",
    "LocalExecutor",
    "TailResult",
]
