"""Process exit codes: one contract for every command, documented in the README."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0
    ERROR = 1
    """Provider, transport or internal error; also a tool call that failed."""
    USAGE = 2
    APPROVAL_NEEDED = 3
    """An action needed approval that was not given (non-interactive, no --yes)."""
    RATE_LIMITED = 4
    PROBLEMS_FOUND = 5
    """``sfai check`` found at least one warning or critical finding."""
    INTERRUPTED = 130
