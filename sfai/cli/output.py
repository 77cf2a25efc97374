"""Output rules shared by every command.

stdout carries the answer only; progress, warnings and usage go to stderr. When
stdout is not a terminal the output is plain text: no ANSI codes, no hard wrap.
JSON is written with ``sys.stdout.write`` + flush, never through a Rich console.
"""

from __future__ import annotations

import json
import os
import re
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console


# ESC-introduced sequences (CSI, OSC, single-character), then any other C0/C1 control
# character except tab and newline. Text from a model or a server log must never move
# the cursor, hide a prompt or retitle the terminal.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]|[\x00-\x08\x0b-\x1f\x7f-\x9f]"
)


def terminal_safe(text: str) -> str:
    """``text`` without escape sequences or control characters (newlines and tabs kept)."""
    return _ESCAPES.sub("", text)


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def color_enabled(stream: Any = None) -> bool:
    stream = stream or sys.stdout
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def rich_console(stderr: bool = False) -> Console:
    """A Rich console for terminal output only; callers use plain writes when piped."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    return Console(
        file=stream, no_color=not color_enabled(stream), highlight=False, soft_wrap=False
    )


def write(text: str) -> None:
    text = terminal_safe(text)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()


def write_json(data: Any, *, lines: bool = False) -> None:
    """One JSON document (indented on a terminal) or one JSON Lines record."""
    indent = None if lines or not stdout_is_terminal() else 2
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=indent, default=str) + "\n")
    sys.stdout.flush()


def info(message: str) -> None:
    """Progress and notes, on stderr."""
    sys.stderr.write(terminal_safe(message) + "\n")
    sys.stderr.flush()


def error(message: str, hint: str = "") -> None:
    text = f"sfai: error: {message}"
    if hint:
        text += f"\n  hint: {hint}"
    sys.stderr.write(terminal_safe(text) + "\n")
    sys.stderr.flush()
