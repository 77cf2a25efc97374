"""Option parsing, the way each program parses its options (GNU ``getopt_long`` and kin).

Combined short flags (``-tulpn``), values attached (``-n50``) or separate (``-n 50``),
``--opt=value`` or ``--opt value``, options after operands, ``--`` ending options, and
abbreviated long options: an abbreviation of a refused option is refused. A value taken
from the next item that is a refused option in disguise is refused too. Also the operand
rules and value checks the program tables are built from.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sfai_agent.policy.commands.judgement import Judgement

DIGITS = re.compile(r"\d+")


def words(text: str) -> list[str]:
    """``"a b c"`` → ``["a", "b", "c"]``: long option tables read better as prose."""
    return text.split()


ValueCheck = Callable[[Judgement, str], None]


@dataclass(frozen=True)
class Opt:
    """One option: its arity, and what the judge makes of it."""

    arg: int = 0
    """0: no value; 1: a value (attached or the next item); 2: optional, attached only
    (``--boot=-1``), or the next item when it matches the spec's ``lookahead``."""
    deny: str = ""
    ask: str = ""
    check: ValueCheck | None = None


@dataclass(frozen=True)
class Getopt:
    """How one program reads its options."""

    short: dict[str, Opt]
    long: dict[str, Opt]
    permute: bool = True
    """GNU: options after operands are still options. False: the first operand ends them."""
    permissive: bool = False
    """Unknown options are allowed (programs with no harmful option beyond those refused)."""
    numeric: bool = False
    """``-20`` means a count (head, tail, last, grep)."""
    lookahead: dict[str, re.Pattern[str]] = field(default_factory=dict)
    """For optional-value options: the next item is their value when it matches."""

    @cached_property
    def refused_long(self) -> tuple[tuple[str, str], ...]:
        return tuple((name, opt.deny) for name, opt in self.long.items() if opt.deny)

    @cached_property
    def refused_short(self) -> frozenset[str]:
        return frozenset(c for c, opt in self.short.items() if opt.deny)


def getopt(
    flags: str = "",
    values: str = "",
    optional: str = "",
    longs: str = "",
    long_values: str = "",
    long_optional: str = "",
    refuse: dict[str, str] | None = None,
    ask: dict[str, str] | None = None,
    ask_values: dict[str, str] | None = None,
    checks: dict[str, ValueCheck] | None = None,
    **options: Any,
) -> Getopt:
    """Build a spec from compact strings. ``refuse``/``ask``/``checks`` keys are ``-x`` or
    ``--name``; ``ask`` options take no value, ``ask_values`` ones take one."""
    short: dict[str, Opt] = {}
    long: dict[str, Opt] = {}
    for letters, arity in ((flags, 0), (values, 1), (optional, 2)):
        for letter in letters:
            short[letter] = Opt(arg=arity)
    for names, arity in ((longs, 0), (long_values, 1), (long_optional, 2)):
        for name in names.split():
            long[name] = Opt(arg=arity)

    def put(
        key: str, *, deny: str = "", ask: str = "", arg: int = -1, check: ValueCheck | None = None
    ) -> None:
        table, name = (long, key[2:]) if key.startswith("--") else (short, key[1:])
        old = table.get(name, Opt())
        table[name] = Opt(
            arg=old.arg if arg < 0 else arg,
            deny=deny or old.deny,
            ask=ask or old.ask,
            check=check or old.check,
        )

    for key, reason in (refuse or {}).items():
        put(key, deny=reason)
    for key, reason in (ask or {}).items():
        put(key, ask=reason)
    for key, reason in (ask_values or {}).items():
        put(key, ask=reason, arg=1)
    for key, value_check in (checks or {}).items():
        name = key.lstrip("-")
        declared = (long if key.startswith("--") else short).get(name, Opt())
        put(key, check=value_check, arg=declared.arg or 1)
    lookahead = {k: re.compile(v) for k, v in options.pop("lookahead", {}).items()}
    return Getopt(short=short, long=long, lookahead=lookahead, **options)


@dataclass
class Parsed:
    operands: list[str]
    seen: dict[str, str]
    """Options seen (``-x`` / ``--name``) → their last value ("" for flags)."""

    def has(self, *keys: str) -> bool:
        return any(key in self.seen for key in keys)

    def value(self, *keys: str) -> str | None:
        for key in keys:
            if key in self.seen:
                return self.seen[key]
        return None


def _guard_consumed(j: Judgement, g: Getopt, value: str, owner: str) -> None:
    """A value taken from the next item must not be a refused option in disguise."""
    if len(value) < 2 or not value.startswith("-"):
        return
    if value.startswith("--"):
        name = value[2:].split("=", 1)[0]
        for refused, reason in g.refused_long:
            if name and refused.startswith(name):
                j.refuse(f"{j.program} {value} (the value of {owner}?) is --{refused}: {reason}")
        return
    for letter in value[1:]:
        if letter in g.refused_short:
            j.refuse(
                f"{j.program} {value} (the value of {owner}?) holds -{letter}: "
                f"{g.short[letter].deny}"
            )


def _unknown_long(j: Judgement, g: Getopt, name: str, item: str) -> None:
    for refused, reason in g.refused_long:
        if name and refused.startswith(name):
            j.refuse(f"{j.program} {item.split('=', 1)[0]} abbreviates --{refused}: {reason}")
    if g.permissive:
        return
    if name and any(known.startswith(name) for known in g.long):
        j.ask(f"{j.program}: abbreviated option {item.split('=', 1)[0]} (spell it out)")
    else:
        j.ask(f"{j.program}: option {item.split('=', 1)[0]} is not on the allowlist")


def _apply(j: Judgement, opt: Opt, label: str, value: str | None) -> None:
    if opt.deny:
        j.refuse(f"{j.program} {label}: {opt.deny}")
    if opt.ask:
        j.ask(f"{j.program} {label}: {opt.ask}")
    if opt.check is not None and value is not None:
        opt.check(j, value)


def parse(j: Judgement, g: Getopt, args: Sequence[str]) -> Parsed:
    """Read ``args`` as ``g`` says; refuse/ask on the way; return operands and options."""
    operands: list[str] = []
    seen: dict[str, str] = {}
    i, count = 0, len(args)
    while i < count:
        item = args[i]
        i += 1
        if item == "--":
            operands.extend(args[i:])
            break
        if item.startswith("--"):
            name, eq, value = item[2:].partition("=")
            opt = g.long.get(name)
            if opt is None:
                _unknown_long(j, g, name, item)
                seen["--" + name] = value
                continue
            label = "--" + name
            got: str | None = value if eq else None
            if opt.arg == 0 and eq and not opt.deny:
                j.ask(f"{j.program} {label} takes no value")
            elif opt.arg == 1 and not eq:
                if i >= count:
                    j.ask(f"{j.program} {label} needs a value")
                    got = None
                else:
                    got = args[i]
                    i += 1
                    _guard_consumed(j, g, got, label)
            elif (
                opt.arg == 2
                and not eq
                and i < count
                and name in g.lookahead
                and g.lookahead[name].fullmatch(args[i])
            ):
                got = args[i]
                i += 1
            _apply(j, opt, label, got)
            seen[label] = got or ""
            continue
        if item.startswith("-") and len(item) > 1:
            if g.numeric and DIGITS.fullmatch(item, 1):
                seen["-NUM"] = item[1:]
                continue
            k = 1
            while k < len(item):
                letter = item[k]
                k += 1
                short = g.short.get(letter)
                label = "-" + letter
                if short is None:
                    if not g.permissive:
                        j.ask(f"{j.program}: option {label} is not on the allowlist")
                    seen[label] = ""
                    continue
                if short.arg == 0:
                    _apply(j, short, label, None)
                    seen[label] = ""
                    continue
                got = item[k:] or None
                if got is None and short.arg == 1:
                    if i >= count:
                        j.ask(f"{j.program} {label} needs a value")
                    else:
                        got = args[i]
                        i += 1
                        _guard_consumed(j, g, got, label)
                elif (
                    got is None
                    and letter in g.lookahead
                    and i < count
                    and g.lookahead[letter].fullmatch(args[i])
                ):
                    got = args[i]
                    i += 1
                _apply(j, short, label, got)
                seen[label] = got or ""
                break
            continue
        operands.append(item)
        if not g.permute:
            operands.extend(args[i:])
            break
    return Parsed(operands, seen)


# --- Operand rules and value checks --------------------------------------------------

Handler = Callable[[Judgement, list[str]], None]
OperandRule = Callable[[Judgement, list[str]], None]


def no_operands(j: Judgement, operands: list[str]) -> None:
    if operands:
        j.ask(f"{j.program}: unexpected argument {operands[0]!r}")


def any_operands(j: Judgement, operands: list[str]) -> None:
    return None


def simple(g: Getopt, operands: OperandRule = no_operands) -> Handler:
    def handle(j: Judgement, args: list[str]) -> None:
        operands(j, parse(j, g, args).operands)

    return handle


def one_of(allowed: Iterable[str], what: str) -> ValueCheck:
    choices = frozenset(allowed)

    def check(j: Judgement, value: str) -> None:
        if value not in choices:
            j.ask(f"{j.program}: {what} {value!r} is not one the judge knows")

    return check


def digits(what: str) -> ValueCheck:
    def check(j: Judgement, value: str) -> None:
        if not DIGITS.fullmatch(value.lstrip("+-")):
            j.ask(f"{j.program}: {what} should be a number, not {value!r}")

    return check
