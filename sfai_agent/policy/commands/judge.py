"""The judge: checks on argv as a whole and on the program, then the program's rules."""

from __future__ import annotations

import contextlib
import posixpath
import re
from typing import Any

from sfai_agent.policy.commands.allowlist import ASK_ONLY, HANDLERS
from sfai_agent.policy.commands.judgement import Judgement, Refused
from sfai_agent.policy.commands.paths import READ, check_path, normalise_path
from sfai_agent.policy.commands.refused import refusal
from sfai_agent.policy.rules import Verdict

MAX_ARGS = 64
MAX_ARG_CHARS = 4096
TRUSTED_BIN_DIRS: tuple[str, ...] = (
    "/usr/bin",
    "/bin",
    "/usr/sbin",
    "/sbin",
    "/usr/local/bin",
    "/usr/local/sbin",
    "/snap/bin",
)
_PROGRAM_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,127}")
_BAD_CHARS = re.compile(
    "[\x00-\x1f\x7f\u0080-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]"
)
"""Control characters (NUL, newline...), and invisible or direction-changing format
characters that could make the argv a person approves read differently from what runs."""
_DRY_RUN_OFF = re.compile(r"--dry-run=(none|false|no|n|off|0|f)", re.IGNORECASE)


def _program(j: Judgement, argv0: str) -> str:
    """The base name to judge, once the path form is known to be acceptable."""
    if "/" in argv0:
        if not argv0.startswith("/"):
            j.refuse(f"{argv0!r}: a relative program path; give a plain name such as ss")
        normal = normalise_path(argv0)
        if normal != argv0 or ".." in argv0.split("/"):
            j.refuse(f"{argv0!r}: a program path must be plain (no '..', '//' or '/./')")
        directory, name = posixpath.split(normal)
        if directory not in TRUSTED_BIN_DIRS:
            j.refuse(
                f"{argv0}: runs a program from outside the system binary directories "
                f"({', '.join(TRUSTED_BIN_DIRS)})"
            )
        argv0 = name
    if not _PROGRAM_NAME.fullmatch(argv0):
        j.refuse(
            f"{argv0!r} is not a plain command name (letters, digits, '.', '_', '+', '-'; "
            "no shell syntax: there is no shell)"
        )
    return argv0


def _judge_into(j: Judgement, argv: object) -> None:
    if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
        j.refuse("argv must be a non-empty list of strings")
        return
    if len(argv) > MAX_ARGS:
        j.refuse(f"argv has {len(argv)} items; at most {MAX_ARGS}")
    for item in argv:
        if len(item) > MAX_ARG_CHARS:
            j.refuse(f"an argument is {len(item)} characters long; at most {MAX_ARG_CHARS}")
        bad = _BAD_CHARS.search(item)
        if bad is not None:
            j.refuse(
                f"an argument holds the control or invisible character U+{ord(bad[0]):04X}: "
                "one argv item is one argument, never several lines"
            )
        if item.startswith("--dry-run=") and _DRY_RUN_OFF.fullmatch(item):
            j.refuse(f"{item} reads like a dry run but turns the dry run off")
    j.program = _program(j, argv[0])
    denied = refusal(j.program)
    if denied is not None:
        j.refuse(f"{j.program} {denied}")
    handler = HANDLERS.get(j.program)
    if handler is not None:
        handler(j, argv[1:])
        return
    special = ASK_ONLY.get(j.program)
    if special is not None:
        special(j, argv[1:])
        return
    _unlisted_paths(j, argv[1:])
    j.ask(
        f"{j.program} is not on the read-only allowlist: it runs only with a person's "
        "approval (act mode)"
    )


def _unlisted_paths(j: Judgement, arguments: list[str]) -> None:
    """A program we do not know may read any file it is given: approval must never open
    a credential. Every argument that looks like a path (``/x``, ``--in=/x``, ``@/x``,
    ``file:///x``, ``dir/x``) is judged as a file that will be read, and re-checked on
    the host after symlinks are resolved."""
    for argument in arguments:
        candidate = (
            argument.split("=", 1)[1] if argument.startswith("-") and "=" in argument else argument
        )
        candidate = candidate.removeprefix("@").removeprefix("file://")
        if "/" not in candidate:
            continue
        if not candidate.startswith("/"):
            j.refuse(
                f"{argument!r}: an unlisted program may read what it is given, so paths must be "
                "absolute (the working directory on the host is unknown)"
            )
        check_path(j, candidate, READ)


def analyse_command(argv: object) -> Judgement:
    """The full judgement of ``argv``: decision, reason, the paths to re-check on the host."""
    j = Judgement(argv=tuple(argv) if isinstance(argv, list) else ())
    with contextlib.suppress(Refused):
        _judge_into(j, argv)
    return j


def judge_command(arguments: dict[str, Any]) -> Verdict:
    """The policy judge of ``run_command`` (wired by ``tools.runner.default_policy``)."""
    return analyse_command(arguments.get("argv")).verdict()
