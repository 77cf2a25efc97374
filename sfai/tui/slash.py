"""Slash commands typed in the prompt: ``/mode act``, ``/host web1``, ``/export json``...

Pure parsing, no Textual: :func:`parse` turns a line into a :class:`SlashCommand` or
raises :class:`SlashError` with a message for the person; :func:`complete` gives the
rest of a command name for the prompt's inline suggestion.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

MODES = ("diagnose", "suggest", "act")
EXPORT_FORMATS = ("markdown", "json")


@dataclass(frozen=True)
class CommandSpec:
    name: str
    usage: str
    help: str
    choices: tuple[str, ...] = ()
    """Allowed values of the one argument, when it is a closed set."""
    takes_argument: bool = False
    argument_required: bool = False


COMMANDS: dict[str, CommandSpec] = {
    spec.name: spec
    for spec in (
        CommandSpec(
            "mode",
            "/mode diagnose|suggest|act",
            "what sfai may do: look only, dry-run actions, or run them after approval",
            MODES,
            takes_argument=True,
        ),
        CommandSpec(
            "host",
            "/host NAME",
            "talk about another host (no name: pick one)",
            takes_argument=True,
        ),
        CommandSpec("new", "/new", "start a new conversation"),
        CommandSpec("history", "/history", "search, open, resume or delete past conversations"),
        CommandSpec("clear", "/clear", "clear the screen (the conversation goes on)"),
        CommandSpec("help", "/help", "key bindings and commands"),
        CommandSpec(
            "export",
            "/export [markdown|json]",
            "write this conversation to a file in the current directory",
            EXPORT_FORMATS,
            takes_argument=True,
        ),
    )
}


@dataclass(frozen=True)
class SlashCommand:
    name: str
    argument: str = ""


class SlashError(ValueError):
    """What was typed is not a valid command; the message says what would be."""


def is_command(text: str) -> bool:
    """A line starting with ``/`` (and not ``//``, which sends a literal slash)."""
    stripped = text.strip()
    return stripped.startswith("/") and not stripped.startswith("//")


def parse(text: str) -> SlashCommand:
    """``"/mode act"`` -> ``SlashCommand("mode", "act")``; raises :class:`SlashError`."""
    stripped = text.strip()
    if not is_command(stripped):
        raise SlashError(f"{stripped!r} is not a command")
    name, _, rest = stripped[1:].partition(" ")
    name, argument = name.lower(), " ".join(rest.split())
    spec = COMMANDS.get(name)
    if spec is None:
        close = difflib.get_close_matches(name, list(COMMANDS), n=1)
        hint = f" — did you mean /{close[0]}?" if close else ""
        raise SlashError(f"unknown command /{name}{hint} (/help lists them)")
    if argument and not spec.takes_argument:
        raise SlashError(f"/{name} takes no argument: {spec.usage}")
    if spec.argument_required and not argument:
        raise SlashError(f"/{name} needs an argument: {spec.usage}")
    if argument and spec.choices:
        argument = argument.lower()
        if argument not in spec.choices:
            raise SlashError(f"/{name} {argument}: choose {' or '.join(spec.choices)}")
    return SlashCommand(name, argument)


def complete(text: str) -> str:
    """The rest of the only command name (or choice) ``text`` is a prefix of, or ``""``.

    ``"/mo"`` -> ``"de "``; ``"/mode a"`` -> ``"ct"``."""
    if not text.startswith("/") or "\n" in text:
        return ""
    name, space, argument = text[1:].partition(" ")
    if not space:
        matches = [spec for spec in COMMANDS.values() if spec.name.startswith(name.lower())]
        if len(matches) != 1 or matches[0].name == name:
            return ""
        return matches[0].name[len(name) :] + (" " if matches[0].takes_argument else "")
    spec = COMMANDS.get(name.lower())
    if spec is None or " " in argument:
        return ""
    choices = [choice for choice in spec.choices if choice.startswith(argument.lower())]
    if len(choices) != 1 or choices[0] == argument:
        return ""
    return choices[0][len(argument) :]


def help_lines() -> list[str]:
    """``/mode diagnose|suggest|act — what sfai may do ...`` for each command."""
    return [f"{spec.usage} — {spec.help}" for spec in COMMANDS.values()]
