"""run_command's allowlist: which argv run at once, which need a person, which never run.

``judge_command({"argv": [...]})`` returns a ``Verdict``:

- **ALLOW** — a read-only diagnostic command on the built-in allowlist, every argument
  checked against that command's rules (``ss -tlnp``, ``journalctl -u nginx -n 50``,
  ``systemctl status nginx``, ``tail -n 100 /var/log/syslog``).
- **ASK** — a command the judge cannot vouch for: a program not on the allowlist, or an
  option of an allowed program that the judge does not know. The person approves it in
  ``act`` mode; every other mode refuses it.
- **DENY** — refused whatever anyone says (a judge's DENY is final, no rule lifts it):
  shells, interpreters and command wrappers; programs that write, delete, kill or change
  configuration; options of allowed programs that do (``ss -K``, ``journalctl
  --vacuum-size``, ``find -exec``, ``git -c``, ``systemctl restart``); commands that never
  return (``tail -f``, ``journalctl -f``, ``watch``, interactive programs); credential
  files; paths that are relative or contain ``..``; argv items with control characters.

How argv is read. There is no shell, so ``;``, ``|``, ``$(...)``, globs and ``~`` are plain
characters: ``ss;id`` is one (refused) program name, not two commands. Options are parsed
the way each program parses them: GNU ``getopt_long`` (combined short flags ``-tulpn``,
values attached ``-n50`` or separate ``-n 50``, ``--opt=value`` or ``--opt value``,
options after operands, ``--`` ending options, and *abbreviated long options*: an
abbreviation of a refused option is refused, ``journalctl --vacuum-s=1`` is
``--vacuum-size``), single-dash long options (``find``, ``openssl``, ``ip``), BSD
clusters (``ps aux``) and subcommands (``systemctl``, ``docker``, ``git``). A value
consumed from the next argv item that itself looks like a refused option is refused, so
a misread arity cannot smuggle one through.

The program is a plain name (``[A-Za-z0-9][A-Za-z0-9._+-]*``, ASCII only: no look-alike
letters) found on the host's PATH, or an absolute path in a system binary directory.
Hijacking PATH on the host is out of scope: whoever can do that already runs code there.

Paths given to commands that read or list files (``cat``, ``head``, ``tail``, ``grep``,
``wc``, ``ls``, ``stat``, ``find``, ``du``, ``git -C``, ``nginx -c``...) must be absolute,
contain no ``..``, and pass ``policy.credentials``; the judge is pure, so the tool
resolves each of them on the host (symlinks included) and checks the result again before
anything runs. Recursive listers' output lines naming credential files are dropped.
"""

from __future__ import annotations

import contextlib
import posixpath
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sfai_agent.policy.credentials import is_credential_path
from sfai_agent.policy.rules import Decision, Verdict

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
NGINX_CONF_ROOT = "/etc/nginx"

READ = "read"
"""Path kind: the command prints the file's content (cat, head, grep...)."""
LIST = "list"
"""Path kind: the command lists or measures it (ls, stat, find, du, git -C...)."""
NGINX_CONF = "nginx_conf"
"""Path kind: a config nginx -t parses; must stay under /etc/nginx."""

_PROGRAM_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,127}")
_BAD_CHARS = re.compile(
    "[\x00-\x1f\x7f\u0080-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]"
)
"""Control characters (NUL, newline...), and invisible or direction-changing format
characters that could make the argv a person approves read differently from what runs."""
_DRY_RUN_OFF = re.compile(r"--dry-run=(none|false|no|n|off|0|f)", re.IGNORECASE)
_PROC_ESCAPE = re.compile(r"/proc/[^/]+(/task/[^/]+)?/(root|cwd|fd|fdinfo|map_files)(/|$)")
_PROC_SECRET = re.compile(r"/proc/[^/]+(/task/[^/]+)?/(environ|mem|pagemap)$|/proc/kcore$")
_READ_SECRET_NAMES: tuple[str, ...] = ("*_history", ".histfile", ".viminfo", "debian.cnf")
_SFAI_STATE = re.compile(r".*/\.(config|local/share|local/state|cache)/sfai(-agent)?(/.*)?")
"""sfai's own config, database and keys (platformdirs locations; SFAI_HOME is checked by
the tool on the host, where it is known)."""
_DIGITS = re.compile(r"\d+")


def words(text: str) -> list[str]:
    """``"a b c"`` → ``["a", "b", "c"]``: long option tables read better as prose."""
    return text.split()


# --- Outcome bookkeeping ---------------------------------------------------------------


class _Refused(Exception):
    """Raised by ``Judgement.refuse``: the first DENY ends the judgement."""


@dataclass
class Judgement:
    """What the judge found about one argv; ``analyse_command`` returns it."""

    argv: tuple[str, ...]
    program: str = ""
    """The program's base name (``ss`` for ``/usr/bin/ss``)."""
    deny_reason: str | None = None
    ask_reason: str | None = None
    paths: list[tuple[str, str]] = field(default_factory=list)
    """``(normalised absolute path, kind)`` the command reads, lists or parses; the tool
    resolves each on the host and checks it again."""
    filter_credential_lines: bool = False
    """A recursive lister (find, du): drop output lines that name credential paths."""

    @property
    def decision(self) -> Decision:
        if self.deny_reason is not None:
            return Decision.DENY
        if self.ask_reason is not None:
            return Decision.ASK
        return Decision.ALLOW

    @property
    def reason(self) -> str:
        if self.deny_reason is not None:
            return self.deny_reason
        if self.ask_reason is not None:
            return self.ask_reason
        return f"{self.program}: a read-only diagnostic command on the allowlist"

    def refuse(self, reason: str) -> None:
        self.deny_reason = reason
        raise _Refused(reason)

    def ask(self, reason: str) -> None:
        if self.ask_reason is None:
            self.ask_reason = reason

    def verdict(self) -> Verdict:
        return Verdict(self.decision, self.reason, "run_command")


# --- Paths ---------------------------------------------------------------------------


def normalise_path(raw: str) -> str:
    """``//etc//shadow/`` → ``/etc/shadow`` (POSIX keeps a double leading slash; we don't)."""
    return posixpath.normpath("/" + raw.lstrip("/"))


def path_refusal(path: str, kind: str) -> str | None:
    """Why ``path`` (absolute, normalised or resolved) may not be read/listed, or None."""
    if is_credential_path(path):
        return f"{path} is a credential location; sfai never reads, lists or changes those"
    if _PROC_ESCAPE.match(path):
        return f"{path} leads into another process's view of the filesystem"
    if _SFAI_STATE.fullmatch(path):
        return f"{path} is sfai's own configuration and state (keys, history)"
    if kind in (READ, NGINX_CONF):
        if path == "/dev" or path.startswith("/dev/"):
            return f"{path} is a device: raw disks and endless streams are not read"
        if _PROC_SECRET.match(path):
            return f"{path} holds process memory or environment (secrets)"
        name = posixpath.basename(path)
        if any(_fnmatch(name, pattern) for pattern in _READ_SECRET_NAMES):
            return f"{path} is a shell history or client password file"
    if kind == NGINX_CONF and not (
        path == NGINX_CONF_ROOT or path.startswith(NGINX_CONF_ROOT + "/")
    ):
        return (
            f"nginx -c {path}: only configs under {NGINX_CONF_ROOT} are tested "
            "(a config from elsewhere could load modules, which runs code)"
        )
    return None


def _fnmatch(name: str, pattern: str) -> bool:
    if pattern.startswith("*"):
        return name.endswith(pattern[1:])
    return name == pattern


def check_path(j: Judgement, raw: str, kind: str) -> None:
    """The judge's half of the path rules; the tool re-checks the resolved path."""
    if raw == "":
        j.refuse("an empty path")
    if not raw.startswith("/"):
        j.refuse(
            f"{raw!r} is not an absolute path: the working directory on the host is unknown, "
            "so give a full path such as /var/log/syslog"
        )
    if ".." in raw.split("/"):
        j.refuse(f"{raw}: '..' is not allowed in paths; give the path it leads to")
    path = normalise_path(raw)
    reason = path_refusal(path, kind)
    if reason is not None:
        j.refuse(reason)
    j.paths.append((path, kind))


# --- Option parsing --------------------------------------------------------------------

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
            if g.numeric and _DIGITS.fullmatch(item, 1):
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


# --- Operand rules -------------------------------------------------------------------

Handler = Callable[[Judgement, list[str]], None]
OperandRule = Callable[[Judgement, list[str]], None]


def no_operands(j: Judgement, operands: list[str]) -> None:
    if operands:
        j.ask(f"{j.program}: unexpected argument {operands[0]!r}")


def any_operands(j: Judgement, operands: list[str]) -> None:
    return None


def read_paths(j: Judgement, operands: list[str]) -> None:
    for operand in operands:
        if operand != "-":  # stdin: empty, the tool gives none
            check_path(j, operand, READ)


def list_paths(j: Judgement, operands: list[str]) -> None:
    if not operands:
        j.refuse(
            f"{j.program} without a path works on the host's working directory, which is "
            "unknown: give an absolute path"
        )
    for operand in operands:
        check_path(j, operand, LIST)


def simple(g: Getopt, operands: OperandRule = no_operands) -> Handler:
    def handle(j: Judgement, args: list[str]) -> None:
        operands(j, parse(j, g, args).operands)

    return handle


def _one_of(allowed: Iterable[str], what: str) -> ValueCheck:
    choices = frozenset(allowed)

    def check(j: Judgement, value: str) -> None:
        if value not in choices:
            j.ask(f"{j.program}: {what} {value!r} is not one the judge knows")

    return check


def _digits(what: str) -> ValueCheck:
    def check(j: Judgement, value: str) -> None:
        if not _DIGITS.fullmatch(value.lstrip("+-")):
            j.ask(f"{j.program}: {what} should be a number, not {value!r}")

    return check


def _read_path_value(j: Judgement, value: str) -> None:
    check_path(j, value, READ)


def _list_path_value(j: Judgement, value: str) -> None:
    check_path(j, value, LIST)


# Reasons reused across commands.
FOLLOW = "follows forever and never returns; ask for the last lines instead (-n)"
REPEATS = "repeats until stopped and never returns; take one sample"
WRITES_FILE = "writes a file"
REMOTE = "operates on another host or container; sfai only looks at this host"


# --- Programs on the allowlist -------------------------------------------------------

SS = getopt(
    flags="hVnraloempTisbZz460tMSudwxHO",
    values="NfA",
    longs="help version numeric resolve all listening options extended memory processes "
    "threads info tipcinfo summary tos cgroup bpf context contexts ipv4 ipv6 packet tcp "
    "mptcp sctp udp dccp raw unix tipc vsock xdp no-header oneline inet-sockopt",
    long_values="net family query socket",
    refuse={
        "-K": "closes (kills) sockets",
        "--kill": "closes (kills) sockets",
        "-D": "dumps raw socket information into a file (writes)",
        "--diag": "dumps raw socket information into a file (writes)",
        "-F": "reads the filter from a file the policy cannot check",
        "--filter": "reads the filter from a file the policy cannot check",
        "-E": "waits for socket events forever and never returns",
        "--events": "waits for socket events forever and never returns",
    },
)

_PS = getopt(
    flags="AeadNFfHjlMPyLmTcVw",
    values="CGgpqstuUOo",
    longs="deselect forest context headers no-headers cumulative version info",
    long_values="Group group pid ppid quick-pid sid tty user User format sort cols "
    "columns width rows lines help",
)
_PS_BSD_FLAGS = frozenset("aTrxfjlsuvXHmcLnSwZV")
_PS_BSD_VALUES = frozenset("pqtUOok")
_PID_LIST = re.compile(r"[\d, ]+")


def ps_command(j: Judgement, args: list[str]) -> None:
    operands = parse(j, _PS, args).operands
    skip = False
    for operand in operands:
        if skip:
            skip = False
            continue
        if _PID_LIST.fullmatch(operand):
            continue
        for index, letter in enumerate(operand):
            if letter == "e":
                j.refuse(
                    "ps e prints every process's environment, where passwords and tokens "
                    "live; ps -e (with a dash) lists all processes"
                )
            if letter in _PS_BSD_VALUES:
                skip = index == len(operand) - 1
                break
            if letter not in _PS_BSD_FLAGS:
                j.ask(f"ps: {operand!r} is not a BSD option the judge knows")
                break


DF = getopt(
    flags="ahHiklPTv",
    values="Btx",
    longs="all human-readable si inodes local no-sync portability total print-type help version",
    long_values="block-size type exclude-type",
    long_optional="output",
    ask={"--sync": "flushes every filesystem's buffers before measuring"},
)

DU = getopt(
    flags="0abcDHhkLlmPSsx",
    values="Bdt",
    longs="null all apparent-size bytes total dereference-args human-readable inodes "
    "dereference count-links no-dereference separate-dirs si summarize one-file-system "
    "help version",
    long_values="block-size max-depth threshold exclude time-style",
    long_optional="time",
    refuse={
        "--files0-from": "reads the names to measure from a file, past the path checks",
    },
    ask_values={
        "-X": "reads exclusion patterns from a file",
        "--exclude-from": "reads exclusion patterns from a file",
    },
)


def du_command(j: Judgement, args: list[str]) -> None:
    list_paths(j, parse(j, DU, args).operands)
    j.filter_credential_lines = True


UPTIME = getopt(flags="psVh", longs="pretty since version help")

FREE = getopt(
    flags="bkmghltvwV",
    values="c",
    longs="bytes kilo mega giga tera peta kibi mebi gibi tebi pebi human si lohi total "
    "committed wide help version",
    long_values="count",
    refuse={"-s": REPEATS, "--seconds": REPEATS},
    checks={"-c": _digits("count"), "--count": _digits("count")},
)

DMESG = getopt(
    flags="HJkPprSuxdeTthV",
    values="fls",
    optional="L",
    longs="human json kernel nopager force-prefix raw noescape syslog userspace decode "
    "show-delta reltime ctime notime help version",
    long_values="facility level buffer-size time-format since until",
    long_optional="color",
    refuse={
        "-C": "clears the kernel ring buffer",
        "--clear": "clears the kernel ring buffer",
        "-c": "clears the kernel ring buffer after reading it",
        "--read-clear": "clears the kernel ring buffer after reading it",
        "-D": "turns off kernel messages on the console",
        "--console-off": "turns off kernel messages on the console",
        "-E": "turns on kernel messages on the console",
        "--console-on": "turns on kernel messages on the console",
        "-n": "sets the console log level",
        "--console-level": "sets the console log level",
        "-F": "reads an arbitrary file; read files with cat or get_logs (checked paths)",
        "--file": "reads an arbitrary file; read files with cat or get_logs (checked paths)",
        "-w": FOLLOW,
        "--follow": FOLLOW,
        "-W": FOLLOW,
        "--follow-new": FOLLOW,
    },
)

JOURNAL_FORMATS = words(
    "short short-precise short-iso short-iso-precise short-full short-monotonic "
    "short-unix short-delta verbose export json json-pretty json-sse json-seq cat with-unit"
)
_JOURNAL_ELSEWHERE = "reads journals from another directory, file or image; a person decides"
JOURNALCTL = getopt(
    flags="mkrxaqeNhl",
    values="SUctupgoF",
    optional="bn",
    longs="system user merge reverse show-cursor utc catalog no-hostname no-full full all "
    "no-tail quiet no-pager pager-end help version fields list-boots disk-usage verify "
    "header list-catalog dump-catalog dmesg",
    long_values="since until cursor after-cursor unit user-unit identifier priority "
    "facility grep output output-fields namespace field interval verify-key",
    long_optional="boot lines case-sensitive",
    lookahead={
        "b": r"-?\d+|[0-9a-f]{32}([+-]\d+)?|all",
        "boot": r"-?\d+|[0-9a-f]{32}([+-]\d+)?|all",
        "n": r"\+?\d+|all",
        "lines": r"\+?\d+|all",
    },
    refuse={
        "-f": FOLLOW,
        "--follow": FOLLOW,
        "--vacuum-size": "deletes journal files",
        "--vacuum-files": "deletes journal files",
        "--vacuum-time": "deletes journal files",
        "--rotate": "rotates the journal files (changes journald's state)",
        "--flush": "moves the journal from /run to /var (changes journald's state)",
        "--sync": "makes journald write to disk (changes journald's state)",
        "--relinquish-var": "makes journald stop writing to /var",
        "--smart-relinquish-var": "makes journald stop writing to /var",
        "--setup-keys": "generates sealing keys (writes key files)",
        "--force": "overrides the sealing keys with --setup-keys",
        "--update-catalog": "rewrites the message catalog database",
        "--cursor-file": "writes the cursor into a file",
    },
    ask_values={
        "-D": _JOURNAL_ELSEWHERE,
        "--directory": _JOURNAL_ELSEWHERE,
        "--file": _JOURNAL_ELSEWHERE,
        "-i": _JOURNAL_ELSEWHERE,
        "--root": _JOURNAL_ELSEWHERE,
        "--image": _JOURNAL_ELSEWHERE,
        "-M": "reads a container's journal; a person decides",
        "--machine": "reads a container's journal; a person decides",
    },
    checks={
        "-o": _one_of(JOURNAL_FORMATS, "output format"),
        "--output": _one_of(JOURNAL_FORMATS, "output format"),
    },
)

SYSTEMCTL_READ_VERBS = frozenset(
    words(
        "status show cat list-units list-unit-files list-sockets list-timers list-jobs "
        "list-dependencies list-automounts list-paths list-machines is-active is-enabled "
        "is-failed is-system-running get-default show-environment"
    )
)
SYSTEMCTL = getopt(
    flags="halrq",
    values="tpnoP",
    longs="help version system user all full recursive reverse with-dependencies "
    "show-types value quiet no-legend no-pager no-ask-password plain failed",
    long_values="type state property lines output legend timestamp",
    refuse={"-H": REMOTE, "--host": REMOTE, "-M": REMOTE, "--machine": REMOTE},
    ask_values={
        "--root": "works on unit files under another root; a person decides",
        "--image": "works on unit files in a disk image; a person decides",
    },
    checks={
        "-o": _one_of(JOURNAL_FORMATS, "output format"),
        "--output": _one_of(JOURNAL_FORMATS, "output format"),
    },
)


def systemctl_command(j: Judgement, args: list[str]) -> None:
    operands = parse(j, SYSTEMCTL, args).operands
    verb = operands[0] if operands else "list-units"
    if verb not in SYSTEMCTL_READ_VERBS:
        j.refuse(
            f"systemctl {verb} is not a read verb (allowed: "
            f"{', '.join(sorted(SYSTEMCTL_READ_VERBS))}); restart a service with "
            "restart_service, which asks first"
        )


NGINX = getopt(
    flags="?hvVtTq",
    values="c",
    permute=False,
    refuse={
        "-s": "sends a signal to the running nginx (stop, reload...); use restart_service",
        "-g": "sets directives outside the config file (load_module would run code)",
        "-p": "changes the prefix relative paths resolve against (modules, includes)",
        "-e": "opens an error log file for writing",
    },
    checks={"-c": lambda j, value: check_path(j, value, NGINX_CONF)},
)


def nginx_command(j: Judgement, args: list[str]) -> None:
    parsed = parse(j, NGINX, args)
    if parsed.operands:
        j.ask(f"nginx: unexpected argument {parsed.operands[0]!r}")
    if not parsed.has("-t", "-T", "-v", "-V", "-h", "-?"):
        j.refuse("nginx without -t, -T, -v or -V starts a server; test with nginx -t")


_IP_FLAGS = frozenset(
    words(
        "-s -stats -statistics -d -details -4 -6 -0 -o -oneline -j -json -p -pretty -br -brief "
        "-c -color -h -human -human-readable -r -resolve -N -Numeric -a -all -t -timestamp -ts "
        "-V -Version"
    )
)
_IP_VALUES = frozenset(words("-f -family -n -netns -l -loops -rc -rcvbuf"))
_IP_OBJECTS = frozenset(
    words(
        "address addr a link l route r neighbour neighbor neigh n rule maddress maddr netconf netns"
    )
)
_IP_READ_VERBS = frozenset(words("show list lst get"))
_IP_NETNS_READ = frozenset(words("list list-id identify pids"))


def ip_command(j: Judgement, args: list[str]) -> None:
    i = 0
    while i < len(args) and args[i].startswith("-"):
        option = args[i]
        i += 1
        if option in _IP_FLAGS:
            continue
        if option in _IP_VALUES:
            i += 1
            continue
        name = option.lstrip("-")
        if name and ("batch".startswith(name) or "force".startswith(name)):
            j.refuse(f"ip {option} runs ip commands read from a file")
        j.ask(f"ip: option {option} is not on the allowlist")
    if i >= len(args):
        return
    obj = args[i]
    rest = args[i + 1 :]
    if obj not in _IP_OBJECTS:
        j.ask(f"ip {obj}: only address, link, route, neigh, rule, maddress, netconf, netns")
        return
    if obj == "netns":
        if rest and rest[0] not in _IP_NETNS_READ:
            j.refuse(f"ip netns {rest[0]}: only list and identify (exec runs a command)")
        return
    if rest and rest[0] not in _IP_READ_VERBS:
        j.refuse(
            f"ip {obj} {rest[0]}: only the read verbs show, list and get, spelled out "
            "(ip expands abbreviations: 's' is 'set' for links); ip does not add, delete, "
            "set or flush here"
        )


LSBLK = getopt(
    flags="ADJMOPSabdfilmnprstyzhV",
    values="EIeowx",
    optional="T",
    longs="noempty discard json merge output-all pairs scsi all bytes nodeps fs ascii list "
    "perms noheadings paths raw inverse topology shell zoned help version",
    long_values="dedup include exclude output width sort",
    long_optional="tree",
    ask_values={"--sysroot": "reads device information under another root"},
)

# docker: pflag — no abbreviations, interspersed flags in subcommands.
DOCKER_GLOBAL = getopt(
    flags="Dv",
    values="l",
    longs="debug version help tls tlsverify",
    long_values="log-level tlscacert tlscert tlskey",
    permute=False,
    refuse={
        "-H": "talks to another docker daemon",
        "--host": "talks to another docker daemon",
        "-c": "switches to another docker context (another daemon)",
        "--context": "switches to another docker context (another daemon)",
        "--config": "reads another client configuration, with its registry credentials",
    },
)
_DOCKER_PS = getopt(
    flags="alqs",
    values="fn",
    longs="all latest no-trunc quiet size",
    long_values="filter format last",
)
_DOCKER_IMAGES = getopt(
    flags="aq", values="f", longs="all digests no-trunc quiet tree", long_values="filter format"
)
_DOCKER_LOGS = getopt(
    flags="t",
    values="n",
    longs="details timestamps",
    long_values="since tail until",
    refuse={"-f": FOLLOW, "--follow": FOLLOW},
)
_DOCKER_INSPECT = getopt(flags="s", values="f", longs="size", long_values="format type")
_DOCKER_STATS = getopt(flags="a", longs="all no-stream no-trunc", long_values="format")
_DOCKER_FORMAT_ONLY = getopt(values="f", long_values="format")
_DOCKER_HISTORY = getopt(flags="Hq", longs="human no-trunc quiet", long_values="format")
_DOCKER_NAMES = getopt()
_DOCKER_DF = getopt(flags="v", longs="verbose", long_values="format")
_DOCKER_LS = getopt(flags="q", values="f", longs="no-trunc quiet", long_values="filter format")
_DOCKER_INSPECT_NET = getopt(flags="v", values="f", longs="verbose", long_values="format")


def _docker_stats(j: Judgement, parsed: Parsed) -> None:
    if not parsed.has("--no-stream"):
        j.refuse("docker stats streams forever without --no-stream")


def _docker_one(j: Judgement, parsed: Parsed) -> None:
    if len(parsed.operands) != 1:
        j.ask(f"docker: expected one container name, got {len(parsed.operands)}")


def _docker_any(j: Judgement, parsed: Parsed) -> None:
    return None


def _docker_none(j: Judgement, parsed: Parsed) -> None:
    no_operands(j, parsed.operands)


DockerRule = tuple[Getopt, Callable[[Judgement, Parsed], None]]
DOCKER_SUBCOMMANDS: dict[str, DockerRule] = {
    "ps": (_DOCKER_PS, _docker_none),
    "container ls": (_DOCKER_PS, _docker_none),
    "container list": (_DOCKER_PS, _docker_none),
    "container ps": (_DOCKER_PS, _docker_none),
    "images": (_DOCKER_IMAGES, _docker_any),
    "image ls": (_DOCKER_IMAGES, _docker_any),
    "image list": (_DOCKER_IMAGES, _docker_any),
    "logs": (_DOCKER_LOGS, _docker_one),
    "container logs": (_DOCKER_LOGS, _docker_one),
    "inspect": (_DOCKER_INSPECT, _docker_any),
    "container inspect": (_DOCKER_INSPECT, _docker_any),
    "image inspect": (_DOCKER_FORMAT_ONLY, _docker_any),
    "network inspect": (_DOCKER_INSPECT_NET, _docker_any),
    "volume inspect": (_DOCKER_FORMAT_ONLY, _docker_any),
    "stats": (_DOCKER_STATS, _docker_stats),
    "container stats": (_DOCKER_STATS, _docker_stats),
    "version": (_DOCKER_FORMAT_ONLY, _docker_none),
    "info": (_DOCKER_FORMAT_ONLY, _docker_none),
    "system info": (_DOCKER_FORMAT_ONLY, _docker_none),
    "system df": (_DOCKER_DF, _docker_none),
    "top": (_DOCKER_NAMES, _docker_one),
    "container top": (_DOCKER_NAMES, _docker_one),
    "port": (_DOCKER_NAMES, _docker_any),
    "container port": (_DOCKER_NAMES, _docker_any),
    "diff": (_DOCKER_NAMES, _docker_one),
    "container diff": (_DOCKER_NAMES, _docker_one),
    "history": (_DOCKER_HISTORY, _docker_one),
    "image history": (_DOCKER_HISTORY, _docker_one),
    "network ls": (_DOCKER_LS, _docker_none),
    "volume ls": (_DOCKER_LS, _docker_none),
}
_DOCKER_GROUPS = frozenset(words("container image system network volume"))


def docker_command(j: Judgement, args: list[str]) -> None:
    operands = parse(j, DOCKER_GLOBAL, args).operands
    if not operands:
        return
    key, rest = operands[0], operands[1:]
    if key in _DOCKER_GROUPS and rest:
        key, rest = f"{key} {rest[0]}", rest[1:]
    rule = DOCKER_SUBCOMMANDS.get(key)
    if rule is None:
        j.refuse(
            f"docker {key} is not a read subcommand (allowed: ps, logs, inspect, images, "
            "stats --no-stream, version, info, top, port, history, system df, "
            "network/volume ls); containers are restarted with restart_service"
        )
        return
    spec, check = rule
    check(j, parse(j, spec, rest))


# git: refuse what runs configured commands or writes; read subcommands only.
_GIT_RUNS = "sets configuration that runs commands (core.pager, core.fsmonitor, diff drivers)"
GIT_GLOBAL = getopt(
    flags="Pp",
    values="C",
    longs="no-pager paginate no-optional-locks literal-pathspecs glob-pathspecs "
    "noglob-pathspecs icase-pathspecs no-replace-objects version help",
    permute=False,
    refuse={
        "-c": _GIT_RUNS,
        "--config-env": _GIT_RUNS,
        "--exec-path": "changes where git finds the programs it runs",
        "--git-dir": "points git at another repository's configuration; use -C DIR",
        "--work-tree": "points git at another work tree; use -C DIR",
        "--namespace": "not needed for reading",
        "--super-prefix": "internal option",
        "--attr-source": "reads attributes (diff drivers) from another tree",
    },
    checks={"-C": _list_path_value},
)
_GIT_WRITES_OUTPUT = "writes its output into a file"
GIT_HISTORY = getopt(
    permissive=True,
    refuse={
        "--output": _GIT_WRITES_OUTPUT,
        "--ext-diff": "runs an external diff program",
        "--no-index": "compares arbitrary files outside the repository (reads any file)",
        "--open-files-in-pager": "runs a pager program",
    },
)
GIT_STATUS = getopt(
    flags="sbvz",
    optional="u",
    longs="short branch long verbose show-stash ahead-behind no-ahead-behind renames "
    "no-renames null",
    long_optional="porcelain untracked-files ignored ignore-submodules column find-renames",
)
_GIT_BRANCH_WRITES = "creates, deletes, renames or re-targets branches"
GIT_BRANCH = getopt(
    flags="arvli",
    longs="all remotes verbose list show-current ignore-case omit-empty no-column",
    long_values="sort format points-at",
    long_optional="contains no-contains merged no-merged color column abbrev",
    refuse=dict.fromkeys(
        words(
            "-d -D -m -M -c -C -f -u -t --delete --move --copy --force --set-upstream-to "
            "--unset-upstream --edit-description --track --no-track --create-reflog"
        ),
        _GIT_BRANCH_WRITES,
    ),
)
_GIT_TAG_WRITES = "creates, signs or deletes tags"
GIT_TAG = getopt(
    flags="li",
    optional="n",
    longs="list ignore-case omit-empty",
    long_values="sort format points-at",
    long_optional="contains no-contains merged no-merged color column",
    refuse=dict.fromkeys(
        words(
            "-d -a -s -u -m -F -f -e --delete --annotate --sign --local-user "
            "--message --file --force --edit --create-reflog"
        ),
        _GIT_TAG_WRITES,
    ),
)
GIT_LS_FILES = getopt(
    flags="cdmoiskuvftz",
    longs="cached deleted modified others ignored stage killed unmerged directory "
    "no-empty-directory eol full-name recurse-submodules error-unmatch debug deduplicate",
    long_values="exclude exclude-per-directory format",
    ask_values={"-X": "reads patterns from a file", "--exclude-from": "reads patterns from a file"},
)
GIT_REMOTE = getopt(flags="v", longs="verbose")


def _git_pathspecs(j: Judgement, operands: list[str]) -> None:
    """``HEAD:.env`` or ``-- id_rsa`` would print a committed secret."""
    for operand in operands:
        candidate = operand.split(":", 1)[1] if ":" in operand else operand
        if candidate and is_credential_path("/" + candidate.lstrip("/")):
            j.refuse(f"git {operand}: names a credential file; sfai never reads those")


def git_command(j: Judgement, args: list[str]) -> None:
    operands = parse(j, GIT_GLOBAL, args).operands
    if not operands:
        return
    sub, rest = operands[0], operands[1:]
    if sub in ("log", "show", "diff", "whatchanged", "shortlog", "rev-parse", "describe"):
        _git_pathspecs(j, parse(j, GIT_HISTORY, rest).operands)
    elif sub == "status":
        _git_pathspecs(j, parse(j, GIT_STATUS, rest).operands)
    elif sub in ("branch", "tag"):
        parsed = parse(j, GIT_BRANCH if sub == "branch" else GIT_TAG, rest)
        if parsed.operands and not parsed.has("-l", "--list"):
            j.refuse(f"git {sub} NAME creates a {sub}; list with git {sub} --list PATTERN")
    elif sub == "ls-files":
        _git_pathspecs(j, parse(j, GIT_LS_FILES, rest).operands)
    elif sub == "remote":
        verbs = parse(j, GIT_REMOTE, rest).operands
        if verbs and verbs[0] == "show":
            j.ask("git remote show contacts the remote over the network")
        elif verbs and verbs[0] != "get-url":
            j.refuse(f"git remote {verbs[0]} changes the repository's remotes")
    elif sub == "stash":
        if not rest or rest[0] not in ("list", "show"):
            j.refuse("git stash without list/show stashes (changes) the work tree")
        _git_pathspecs(j, parse(j, GIT_HISTORY, rest[1:]).operands)
    else:
        j.refuse(
            f"git {sub} is not a read subcommand (allowed: log, show, diff, status, "
            "rev-parse, describe, shortlog, branch --list, tag --list, ls-files, remote -v, "
            "stash list)"
        )


UNAME = getopt(
    flags="asnrvmpio",
    longs="all kernel-name nodename kernel-release kernel-version machine processor "
    "hardware-platform operating-system help version",
)
_SETS_HOSTNAME = "sets the host name"
HOSTNAME = getopt(
    flags="aAdfiIsyvVh",
    longs="alias all-fqdns domain fqdn long ip-address all-ip-addresses short yp nis "
    "verbose help version",
    refuse={
        "-F": _SETS_HOSTNAME,
        "--file": _SETS_HOSTNAME,
        "-b": _SETS_HOSTNAME,
        "--boot": _SETS_HOSTNAME,
    },
)


def hostname_command(j: Judgement, args: list[str]) -> None:
    if parse(j, HOSTNAME, args).operands:
        j.refuse("hostname NAME sets the host name")


ID = getopt(flags="agGnruzZ", longs="context group groups name real user zero help version")
WHOAMI = getopt(longs="help version")
W = getopt(
    flags="husfoipV",
    longs="no-header no-current short from old-style ip-addr pids help version",
)
WHO = getopt(
    flags="abdHlmpqrstTuw",
    longs="all boot dead heading login lookup message mesg writable process count runlevel "
    "short time users ips help version",
)


def who_command(j: Judgement, args: list[str]) -> None:
    operands = parse(j, WHO, args).operands
    if [o.lower() for o in operands] == ["am", "i"]:
        return
    read_paths(j, operands)


LAST = getopt(
    flags="adFiRwx",
    values="nstp",
    longs="hostlast dns fulltimes ip nohostname fullnames system help version",
    long_values="limit since until present time-format",
    numeric=True,
    checks={"-f": _read_path_value, "--file": _read_path_value},
)

_SETS_CLOCK = "sets the system clock"
DATE = getopt(
    flags="uR",
    values="d",
    optional="I",
    longs="utc universal rfc-email debug help version",
    long_values="date rfc-3339 resolution",
    long_optional="iso-8601",
    refuse={
        "-s": _SETS_CLOCK,
        "--set": _SETS_CLOCK,
        "-f": "prints the lines of a file in its errors (reads any file)",
        "--file": "prints the lines of a file in its errors (reads any file)",
    },
    checks={"-r": _list_path_value, "--reference": _list_path_value},
)


def date_command(j: Judgement, args: list[str]) -> None:
    for operand in parse(j, DATE, args).operands:
        if not operand.startswith("+"):
            j.refuse(f"date {operand}: a date operand sets the system clock; use +FORMAT")


CAT = getopt(
    flags="AbeEnstTuv",
    longs="show-all number-nonblank show-ends number squeeze-blank show-tabs "
    "show-nonprinting help version",
)
HEAD = getopt(
    flags="qvz",
    values="cn",
    longs="quiet silent verbose zero-terminated help version",
    long_values="bytes lines",
    numeric=True,
)
TAIL = getopt(
    flags="qvz",
    values="cn",
    longs="quiet silent verbose zero-terminated help version",
    long_values="bytes lines",
    numeric=True,
    refuse={
        "-f": FOLLOW,
        "-F": FOLLOW,
        "--follow": FOLLOW,
        "--retry": FOLLOW,
        "--pid": FOLLOW,
        "-s": FOLLOW,
        "--sleep-interval": FOLLOW,
    },
)
WC = getopt(
    flags="cmlLw",
    longs="bytes chars lines max-line-length words help version",
    long_values="total",
    refuse={"--files0-from": "reads the names of files to count from a file, past the checks"},
)
STAT = getopt(
    flags="Lft",
    values="c",
    longs="dereference file-system terse help version",
    long_values="format printf cached",
)
LS = getopt(
    flags="aAbBcCdfFgGhHiklLmnNopqQrsStuUvxXZ1D",
    values="ITw",
    longs="all almost-all escape ignore-backups directory dired classify file-type "
    "full-time no-group human-readable si dereference-command-line "
    "dereference-command-line-symlink-to-dir inode dereference numeric-uid-gid literal "
    "hide-control-chars show-control-chars quote-name size context help version author "
    "group-directories-first",
    long_values="block-size format hide ignore indicator-style quoting-style sort "
    "time time-style tabsize width",
    long_optional="color hyperlink",
    refuse={
        "-R": "lists recursively, into credential directories; use find with a start path",
        "--recursive": "lists recursively, into credential directories; use find",
    },
)
_GREP_RECURSES = "searches directories recursively, into credential files"
GREP = getopt(
    flags="EFGPivwxyclLoqsbHhnTZzaIU",
    values="emABCdD",
    longs="extended-regexp fixed-strings basic-regexp perl-regexp ignore-case "
    "no-ignore-case invert-match word-regexp line-regexp count files-with-matches "
    "files-without-match only-matching quiet silent no-messages byte-offset with-filename "
    "no-filename line-number initial-tab null null-data text line-buffered help version",
    long_values="regexp max-count after-context before-context context label binary-files "
    "devices directories include exclude exclude-dir",
    long_optional="color colour",
    numeric=True,
    refuse={
        "-r": _GREP_RECURSES,
        "-R": _GREP_RECURSES,
        "--recursive": _GREP_RECURSES,
        "--dereference-recursive": _GREP_RECURSES,
        "-f": "reads patterns from a file (a match oracle on its content)",
        "--file": "reads patterns from a file (a match oracle on its content)",
        "--exclude-from": "reads patterns from a file",
    },
)


def _grep_directories(j: Judgement, value: str) -> None:
    if "recurse".startswith(value) and value:
        j.refuse(f"grep --directories={value}: {_GREP_RECURSES}")


def grep_command(j: Judgement, args: list[str]) -> None:
    parsed = parse(j, GREP, args)
    directories = parsed.value("-d", "--directories")
    if directories is not None:
        _grep_directories(j, directories)
    files = parsed.operands if parsed.has("-e", "--regexp") else parsed.operands[1:]
    read_paths(j, files)


# find: single-dash predicates with fixed arities.
_FIND_OPTIONS_FIRST = frozenset(("-H", "-L", "-P"))
_FIND_NO_ARG = frozenset(
    words(
        "-print -print0 -ls -prune -quit -true -false -empty -readable -writable -executable "
        "-nouser -nogroup -xdev -mount -depth -d -daystart -follow -noleaf "
        "-ignore_readdir_race -noignore_readdir_race -not -a -and -o -or ! ( ) , -nowarn "
        "-warn -help --help -version --version"
    )
)
_FIND_ONE_ARG = frozenset(
    words(
        "-name -iname -path -ipath -wholename -iwholename -lname -ilname -regex -iregex "
        "-regextype -type -xtype -size -mtime -mmin -atime -amin -ctime -cmin -used -user "
        "-group -uid -gid -perm -links -inum -maxdepth -mindepth -fstype -printf -context"
    )
)
_FIND_PATH_ARG = frozenset(words("-newer -anewer -cnewer -samefile"))
_FIND_NEWER_XY = re.compile(r"-newer[aBcmt][aBcmt]")
_FIND_REFUSED = {
    "-exec": "runs a command for each file",
    "-execdir": "runs a command for each file",
    "-ok": "runs a command for each file",
    "-okdir": "runs a command for each file",
    "-delete": "deletes files",
    "-fprint": WRITES_FILE,
    "-fprint0": WRITES_FILE,
    "-fprintf": WRITES_FILE,
    "-fls": WRITES_FILE,
    "-files0-from": "reads its start points from a file, past the path checks",
}


def find_command(j: Judgement, args: list[str]) -> None:
    i, count = 0, len(args)
    while i < count and (args[i] in _FIND_OPTIONS_FIRST or args[i].startswith(("-D", "-O"))):
        if args[i] == "-D":
            i += 1
        i += 1
    starts: list[str] = []
    while i < count and not args[i].startswith("-") and args[i] not in ("(", "!", ")", ","):
        starts.append(args[i])
        i += 1
    list_paths(j, starts)
    while i < count:
        item = args[i]
        i += 1
        if item in _FIND_REFUSED:
            j.refuse(f"find {item}: {_FIND_REFUSED[item]}")
        if item in _FIND_NO_ARG:
            continue
        if item in _FIND_ONE_ARG or _FIND_NEWER_XY.fullmatch(item):
            if i >= count:
                j.ask(f"find {item} needs a value")
            i += 1
            continue
        if item in _FIND_PATH_ARG:
            if i < count:
                check_path(j, args[i], LIST)
            i += 1
            continue
        j.ask(f"find: {item!r} is not a predicate the judge knows")
    j.filter_credential_lines = True


GETENT = getopt(
    flags="Ai?V",
    values="s",
    longs="no-addrconfig no-idn help usage version",
    long_values="service",
)
GETENT_DATABASES = frozenset(
    words(
        "passwd group hosts ahosts ahostsv4 ahostsv6 services protocols networks ethers rpc "
        "netgroup aliases initgroups"
    )
)


def getent_command(j: Judgement, args: list[str]) -> None:
    operands = parse(j, GETENT, args).operands
    if not operands:
        return
    database = operands[0]
    if database in ("shadow", "gshadow"):
        j.refuse(f"getent {database} prints password hashes")
    if database not in GETENT_DATABASES:
        j.ask(f"getent {database}: not a database the judge knows")


TIMEDATECTL = getopt(
    flags="ha",
    values="p",
    longs="no-pager no-ask-password all value help version",
    long_values="property",
    refuse={
        "-H": REMOTE,
        "--host": REMOTE,
        "-M": REMOTE,
        "--machine": REMOTE,
        "--monitor": "watches forever and never returns",
        "--adjust-system-clock": _SETS_CLOCK,
    },
)
TIMEDATECTL_READ = frozenset(words("status show list-timezones timesync-status show-timesync"))


def timedatectl_command(j: Judgement, args: list[str]) -> None:
    operands = parse(j, TIMEDATECTL, args).operands
    if operands and operands[0] not in TIMEDATECTL_READ:
        j.refuse(f"timedatectl {operands[0]} is not a read verb (status, show, ...)")


HOSTNAMECTL = getopt(
    flags="h",
    longs="no-ask-password static transient pretty help version",
    long_values="json",
    refuse={"-H": REMOTE, "--host": REMOTE, "-M": REMOTE, "--machine": REMOTE},
)
_HOSTNAMECTL_GETTERS = frozenset(words("hostname icon-name chassis deployment location"))


def hostnamectl_command(j: Judgement, args: list[str]) -> None:
    operands = parse(j, HOSTNAMECTL, args).operands
    if not operands or operands == ["status"]:
        return
    if operands[0] in _HOSTNAMECTL_GETTERS and len(operands) == 1:
        return
    j.refuse(f"hostnamectl {' '.join(operands[:2])} sets host metadata; only reads are allowed")


LSCPU = getopt(
    flags="abBcJxyhV",
    optional="Cep",
    longs="all online bytes offline json hex physical output-all help version",
    long_optional="caches extended parse",
    ask_values={"-s": "reads CPU information under another root", "--sysroot": "another root"},
)

_LSOF_REFUSED = {
    "r": REPEATS,
    "D": "creates or updates lsof's device cache file",
    "k": "reads an alternative kernel name list file",
    "m": "reads an alternative kernel memory file",
}
LSOF = getopt(
    flags="anPtlwbRUhVXKZE",
    values="pucgd",
    optional="isTF",
    lookahead={"i": r"[^-+].*", "s": r"[A-Za-z]+:[A-Za-z,^]+", "F": r"[A-Za-z0-9]+"},
    refuse={"-" + letter: reason for letter, reason in _LSOF_REFUSED.items()},
)


def lsof_command(j: Judgement, args: list[str]) -> None:
    dashed: list[str] = []
    i = 0
    while i < len(args):
        item = args[i]
        i += 1
        if item.startswith("+") and len(item) > 1:
            letter = item[1]
            if letter == "r":
                j.refuse(f"lsof {item}: {REPEATS}")
            if letter == "L" and _DIGITS.fullmatch(item[2:] or "0"):
                continue
            if letter in "Dd" and len(item) == 2:
                if i < len(args):
                    check_path(j, args[i], LIST)
                i += 1
                continue
            j.ask(f"lsof: option {item} is not on the allowlist")
            continue
        dashed.append(item)
    for operand in parse(j, LSOF, dashed).operands:
        check_path(j, operand, LIST)


NETSTAT = getopt(
    flags="rigsMvWnNepolaFCZtuUSwx46",
    values="A",
    longs="route interfaces groups statistics masquerade verbose wide numeric "
    "numeric-hosts numeric-ports numeric-users symbolic extend programs timers listening "
    "all fib cache context tcp udp udplite sctp raw unix inet inet6 help version",
    long_values="protocol",
    refuse={"-c": REPEATS, "--continuous": REPEATS},
)
VMSTAT = getopt(
    flags="afmnsdDwtyhV",
    values="pS",
    longs="active forks slabs one-header stats disk disk-sum wide timestamp no-first help version",
    long_values="partition unit",
)


def _interval_count(j: Judgement, operands: list[str]) -> None:
    """``[interval [count]]``: an interval without a count repeats forever."""
    if not all(_DIGITS.fullmatch(o) for o in operands) or len(operands) > 2:
        j.ask(f"{j.program}: expected [interval [count]], got {' '.join(operands)!r}")
    elif len(operands) == 1 and operands[0] != "0":
        j.refuse(
            f"{j.program} {operands[0]} repeats until stopped and never returns: add a count "
            f"({j.program} {operands[0]} 5)"
        )


_JSON_ONLY = _one_of(["JSON"], "output format")
IOSTAT = getopt(
    flags="cdhkmNstVxyzH",
    values="gjo",
    optional="p",
    lookahead={"p": r"ALL|[A-Za-z][\w,-]*"},
    longs="compact human pretty help",
    long_values="dec",
    checks={"-o": _JSON_ONLY},
)
MPSTAT = getopt(
    flags="AHnTuV",
    values="INPo",
    longs="help",
    long_values="dec",
    checks={"-o": _JSON_ONLY},
)
SAR = getopt(
    flags="ABbCdHhpqStvWwyzx",
    values="IiPnmsejf",
    optional="Fru",
    lookahead={"F": r"MOUNT", "r": r"ALL", "u": r"ALL"},
    longs="help human pretty",
    long_values="dec",
    refuse={"-o": "writes the samples into a data file"},
    checks={"-f": _list_path_value},
)

TOP = getopt(
    flags="bcHiOSs1hV",
    values="dEenopUu",
    optional="w",
    longs="batch-mode cmdline-toggle threads-show idle-toggle list-fields "
    "accum-time-toggle secure-mode single-cpu-toggle help version",
    long_values="delay scale-summary-mem scale-task-mem iterations sort-override pid "
    "filter-any-user filter-only-euser",
    long_optional="width",
    checks={"-n": _digits("iterations"), "--iterations": _digits("iterations")},
)


def top_command(j: Judgement, args: list[str]) -> None:
    parsed = parse(j, TOP, args)
    no_operands(j, parsed.operands)
    if parsed.has("-h", "--help", "-V", "--version", "-O", "--list-fields"):
        return
    if not parsed.has("-b", "--batch-mode"):
        j.refuse("top without -b is interactive and never returns; use top -b -n 1")
    if not parsed.has("-n", "--iterations"):
        j.refuse(f"top -b without -n {REPEATS}; use top -b -n 1")


# openssl: single-dash options, ``-opt=value`` accepted, no abbreviations.
_OPENSSL_LOADS_CODE = "loads a shared library into openssl (runs code)"
_OPENSSL_GLOBAL_REFUSED = {
    "engine": _OPENSSL_LOADS_CODE,
    "provider": _OPENSSL_LOADS_CODE,
    "provider-path": _OPENSSL_LOADS_CODE,
}
_X509_FLAGS = frozenset(
    words(
        "noout text subject issuer dates startdate enddate fingerprint serial hash subject_hash "
        "issuer_hash subject_hash_old issuer_hash_old email ocsp_uri ocspid pubkey modulus "
        "purpose sha1 sha256 sha384 sha512 md5 nocert alias trustout help"
    )
)
_X509_VALUES = frozenset(words("nameopt certopt ext checkend inform outform dateopt"))
_X509_REFUSED = {
    "out": WRITES_FILE,
    "signkey": "signs with a private key",
    "key": "reads a private key",
    "CA": "signs a certificate",
    "CAkey": "reads a CA private key",
    "CAserial": "writes a serial file",
    "CAcreateserial": "writes a serial file",
    "req": "signs a request",
    "x509toreq": "makes a request with a private key",
    "new": "creates a certificate",
    "set_serial": "changes the certificate",
    "extfile": "reads an extension file to sign with",
    "force_pubkey": "changes the certificate",
    "passin": "reads a password",
    "clrtrust": "changes trust settings",
    "addtrust": "changes trust settings",
    "setalias": "changes the certificate",
}
_S_CLIENT_FLAGS = frozenset(
    words(
        "showcerts brief status verify_return_error tls1_2 tls1_3 no_tls1_3 no_tls1_2 crlf "
        "quiet prexit state debug msg nbio ign_eof no_ign_eof no_ticket help ct noct"
    )
)
_S_CLIENT_VALUES = frozenset(
    words(
        "connect servername alpn verify verify_hostname cipher ciphersuites sigalgs groups "
        "curves host port name"
    )
)
_S_CLIENT_REFUSED = {
    "cert": "reads a private key or client certificate",
    "key": "reads a private key",
    "pass": "reads a password",
    "keylogfile": "writes TLS secrets into a file",
    "sess_out": WRITES_FILE,
    "msgfile": WRITES_FILE,
    "sess_in": "reads a session file",
    "psk": "uses a pre-shared key",
    "psk_identity": "uses a pre-shared key",
    "psk_session": "reads a session file",
}
_LOCALHOST = re.compile(r"(localhost|127(\.\d{1,3}){3}|\[::1\]|::1)(:\d+)?")
_OPENSSL_REFUSED_SUBCOMMANDS = frozenset(
    words(
        "genrsa genpkey gendsa rsa pkey pkeyutl ec ecparam dsa req ca enc pkcs12 pkcs8 rsautl "
        "smime cms engine s_server srp ts spkac storeutl kdf mac"
    )
)


def _openssl_options(
    j: Judgement,
    args: list[str],
    flags: frozenset[str],
    values: frozenset[str],
    refused: dict[str, str],
    paths: frozenset[str] = frozenset(),
) -> dict[str, str]:
    seen: dict[str, str] = {}
    i = 0
    while i < len(args):
        item = args[i]
        i += 1
        if not item.startswith("-") or item in ("-", "--"):
            j.ask(f"openssl: unexpected argument {item!r}")
            continue
        name, eq, value = item.lstrip("-").partition("=")
        if name in _OPENSSL_GLOBAL_REFUSED:
            j.refuse(f"openssl -{name}: {_OPENSSL_GLOBAL_REFUSED[name]}")
        if name in refused:
            j.refuse(f"openssl -{name}: {refused[name]}")
        if name in flags:
            seen[name] = ""
            continue
        if name in values or name in paths:
            if not eq:
                if i >= len(args):
                    j.ask(f"openssl -{name} needs a value")
                    continue
                value = args[i]
                i += 1
            if name in paths:
                check_path(j, value, READ)
            seen[name] = value
            continue
        j.ask(f"openssl: option -{name} is not on the allowlist")
    return seen


def openssl_command(j: Judgement, args: list[str]) -> None:
    for item in args:
        name = item.lstrip("-").partition("=")[0]
        if item.startswith("-") and name in _OPENSSL_GLOBAL_REFUSED:
            j.refuse(f"openssl -{name}: {_OPENSSL_GLOBAL_REFUSED[name]}")
    if not args:
        j.refuse("openssl without a command is an interactive prompt")
    sub, rest = args[0], args[1:]
    if sub in ("version", "ciphers", "help", "list"):
        for item in rest:
            if not item.startswith("-"):
                j.ask(f"openssl {sub}: unexpected argument {item!r}")
        return
    if sub == "x509":
        _openssl_options(j, rest, _X509_FLAGS, _X509_VALUES, _X509_REFUSED, frozenset(("in",)))
        return
    if sub == "s_client":
        seen = _openssl_options(
            j,
            rest,
            _S_CLIENT_FLAGS,
            _S_CLIENT_VALUES,
            _S_CLIENT_REFUSED,
            frozenset(("CAfile", "CApath")),
        )
        target = seen.get("connect", "")
        if not _LOCALHOST.fullmatch(target):
            j.ask(
                f"openssl s_client connects to {target or 'localhost:443'}: a connection "
                "to another host needs a person's approval (get_ssl_status checks a domain)"
            )
        return
    if sub in _OPENSSL_REFUSED_SUBCOMMANDS:
        j.refuse(f"openssl {sub} creates, converts or uses keys, or writes files")
    j.ask(f"openssl {sub} is not on the allowlist")


CERTBOT = getopt(
    flags="qvnh",
    values="d",
    longs="quiet verbose non-interactive help",
    long_values="cert-name domains domain",
    ask_values={
        "--config-dir": "reads certbot state from another directory",
        "--work-dir": "another directory",
        "--logs-dir": "writes logs into another directory",
    },
)


def certbot_command(j: Judgement, args: list[str]) -> None:
    operands = parse(j, CERTBOT, args).operands
    if operands != ["certificates"]:
        verb = operands[0] if operands else "(none: certbot run)"
        j.refuse(
            f"certbot {verb}: only 'certbot certificates' reads; renew with "
            "renew_certificate (dry run first)"
        )


_CRONTAB_WRITES = "edits, removes or installs a crontab"
CRONTAB = getopt(
    flags="l",
    values="u",
    refuse={"-e": _CRONTAB_WRITES, "-r": _CRONTAB_WRITES, "-i": _CRONTAB_WRITES},
    ask={"-n": "cronie's -n sets the host that runs the jobs"},
)


def crontab_command(j: Judgement, args: list[str]) -> None:
    parsed = parse(j, CRONTAB, args)
    if parsed.operands:
        j.refuse("crontab FILE installs FILE as the crontab (replaces it)")
    if not parsed.has("-l"):
        j.refuse("crontab without -l installs a crontab read from stdin (wipes it)")


_APT_CONFIG = "sets APT configuration, including hooks that run commands"
APT = getopt(
    flags="aqh",
    values="t",
    longs="installed upgradable all-versions manual-installed names-only full quiet help version",
    long_values="target-release",
    refuse={
        "-o": _APT_CONFIG,
        "--option": _APT_CONFIG,
        "-c": _APT_CONFIG,
        "--config-file": _APT_CONFIG,
    },
)
_APT_READ = frozenset(words("list show policy search depends rdepends madison"))
_APT_CACHE_READ = frozenset(
    words("policy show showpkg showsrc search depends rdepends madison stats pkgnames")
)


def _apt(reads: frozenset[str]) -> Handler:
    def handle(j: Judgement, args: list[str]) -> None:
        operands = parse(j, APT, args).operands
        if operands and operands[0] not in reads:
            j.refuse(
                f"{j.program} {operands[0]} installs, removes or updates packages; only "
                f"{', '.join(sorted(reads))} read"
            )

    return handle


_DPKG_CHANGES = "installs, removes, unpacks or configures packages"
_DPKG_ELSEWHERE = "works on another dpkg database or root; a person decides"
DPKG = getopt(
    flags="lLsSpCVW",
    values="f",
    longs="list listfiles status search print-avail audit verify get-selections "
    "print-architecture print-foreign-architectures version help show no-pager",
    long_values="showformat verify-format",
    refuse=dict.fromkeys(
        words(
            "-i -r -P -A -b -x -X -e -R -c -I --install --remove --purge --unpack "
            "--configure --triggers-only --record-avail --set-selections "
            "--clear-selections --clear-avail --forget-old-unavail --update-avail "
            "--merge-avail --add-architecture --remove-architecture --build --extract "
            "--vextract --control --recursive --fsys-tarfile --ctrl-tarfile"
        ),
        _DPKG_CHANGES,
    ),
    ask_values={
        "--root": _DPKG_ELSEWHERE,
        "--admindir": _DPKG_ELSEWHERE,
        "--instdir": _DPKG_ELSEWHERE,
    },
)
_DPKG_READ_MODES = words(
    "-l -L -s -S -p -C -V -W --list --listfiles --status --search --print-avail --audit "
    "--verify --show --get-selections --print-architecture --print-foreign-architectures "
    "--version --help"
)


def dpkg_command(j: Judgement, args: list[str]) -> None:
    if not parse(j, DPKG, args).has(*_DPKG_READ_MODES):
        j.ask(f"{j.program}: no query mode (-l, -L, -s, -S...) the judge knows")


_SUPERVISOR_READ = frozenset(words("status tail pid avail version maintail help"))
SUPERVISORCTL = getopt(
    flags="hv",
    values="c",
    longs="help version",
    long_values="configuration",
    permute=False,
    refuse={
        "-i": "opens the interactive shell",
        "--interactive": "opens the interactive shell",
        "-r": "writes a history file",
        "--history-file": "writes a history file",
    },
    ask_values={
        "-s": "talks to another supervisord",
        "--serverurl": "talks to another supervisord",
        "-u": "logs in as another user",
        "--username": "logs in as another user",
        "-p": "passes a password on the command line",
        "--password": "passes a password on the command line",
    },
    checks={"-c": _read_path_value, "--configuration": _read_path_value},
)


def supervisorctl_command(j: Judgement, args: list[str]) -> None:
    operands = parse(j, SUPERVISORCTL, args).operands
    if not operands:
        j.refuse("supervisorctl without an action opens its interactive shell")
    action, rest = operands[0], operands[1:]
    if action not in _SUPERVISOR_READ:
        j.refuse(
            f"supervisorctl {action} changes programs; only status, tail, pid, avail read "
            "(restart with restart_service)"
        )
    if action in ("tail", "maintail"):
        for item in rest:
            if item.startswith("-") and not _DIGITS.fullmatch(item[1:]):
                if item == "-f":
                    j.refuse(f"supervisorctl {action} -f: {FOLLOW}")
                j.ask(f"supervisorctl {action}: option {item} is not on the allowlist")


PM2 = getopt(
    flags="sv",
    longs="nostream raw err out json timestamp silent mini-list sort version help",
    long_values="lines format",
    checks={"--lines": _digits("lines")},
)
_PM2_READ = frozenset(
    words("jlist list ls l status prettylist describe show info desc logs version ping")
)


def pm2_command(j: Judgement, args: list[str]) -> None:
    parsed = parse(j, PM2, args)
    if not parsed.operands:
        if not parsed.has("-v", "--version", "--help"):
            j.ask("pm2 without a command")
        return
    verb = parsed.operands[0]
    if verb == "env":
        j.ask("pm2 env prints an app's whole environment")
    elif verb not in _PM2_READ:
        j.refuse(
            f"pm2 {verb} changes apps or opens an interactive view; only jlist, list, "
            "describe and logs --nostream read"
        )
    elif verb == "logs" and not parsed.has("--nostream"):
        j.refuse(f"pm2 logs without --nostream {FOLLOW}")


_IPTABLES_WRITES = "changes the firewall"
IPTABLES = getopt(
    flags="LSnvxh46",
    values="t",
    optional="w",
    longs="list list-rules numeric verbose exact line-numbers help version",
    lookahead={"w": r"\d+", "wait": r"\d+"},
    long_optional="wait",
    refuse=dict.fromkeys(
        words(
            "-A -D -I -R -F -Z -N -X -P -E -C --append --delete --insert --replace "
            "--flush --zero --new-chain --delete-chain --policy --rename-chain --check"
        ),
        _IPTABLES_WRITES,
    )
    | {"-M": "runs a modprobe program", "--modprobe": "runs a modprobe program"},
)


def iptables_command(j: Judgement, args: list[str]) -> None:
    parsed = parse(j, IPTABLES, args)
    if not parsed.has("-L", "--list", "-S", "--list-rules", "-h", "--help", "--version"):
        j.ask(f"{j.program}: only -L/-S listings are known to be read-only")
    if len(parsed.operands) > 1:
        j.ask(f"{j.program}: unexpected arguments {parsed.operands[1:]}")


IPTABLES_SAVE = getopt(
    flags="cV",
    values="t",
    longs="counters version",
    long_values="table",
    refuse={
        "-f": WRITES_FILE,
        "--file": WRITES_FILE,
        "-M": "runs a modprobe program",
        "--modprobe": "runs a modprobe program",
    },
)
NFT = getopt(
    flags="ansjtceSNuyTvhV",
    longs="handle numeric stateless json terse check echo service reversedns guid "
    "numeric-priority numeric-time version help",
    refuse={
        "-f": "runs nft commands read from a file",
        "--file": "runs nft commands read from a file",
        "-i": "opens the interactive shell",
        "--interactive": "opens the interactive shell",
    },
    ask_values={"-I": "includes files from another directory", "--includepath": "includes"},
)


def nft_command(j: Judgement, args: list[str]) -> None:
    operands = parse(j, NFT, args).operands
    words = " ".join(operands).split()
    if any(ch in " ".join(operands) for ch in ";{}") or not words or words[0] != "list":
        j.refuse("nft: only one 'list ...' command (others change the firewall)")


SYSCTL = getopt(
    flags="aAXbeNnqoxdhV",
    values="r",
    longs="all deprecated binary ignore names values quiet help version",
    long_values="pattern",
    refuse={
        "-w": "writes kernel parameters",
        "--write": "writes kernel parameters",
        "-p": "loads (writes) kernel parameters from a file",
        "-f": "loads (writes) kernel parameters from a file",
        "--load": "loads (writes) kernel parameters from a file",
        "--system": "loads (writes) kernel parameters from the system files",
    },
)


def sysctl_command(j: Judgement, args: list[str]) -> None:
    for operand in parse(j, SYSCTL, args).operands:
        if "=" in operand:
            j.refuse(f"sysctl {operand} sets a kernel parameter")


FINDMNT = getopt(
    flags="smkAabCcDefiJlnPRrUuvxyhV",
    values="dNOoSTMtw",
    permissive=True,
    refuse={"-p": REPEATS, "--poll": REPEATS},
    ask_values={"-F": "parses another file as a mount table", "--tab-file": "another file"},
)
_MOUNTS = "mounts a filesystem"
MOUNT = getopt(
    flags="lvh",
    values="t",
    longs="show-labels verbose help version",
    long_values="types",
    refuse={"-a": "mounts every filesystem in fstab", "--all": "mounts every filesystem"},
)


def mount_command(j: Judgement, args: list[str]) -> None:
    if parse(j, MOUNT, args).operands:
        j.refuse(f"mount with a device or directory {_MOUNTS}; list mounts with findmnt")


PGREP = getopt(permissive=True, refuse={"--signal": "pkill's option: sends signals"})
NPROC = getopt(longs="all help version", long_values="ignore")


def _curl_url(j: Judgement, value: str) -> None:
    lowered = value.lower()
    scheme, sep, rest = lowered.partition("://")
    if sep and scheme not in ("http", "https"):
        j.refuse(f"curl {value}: {scheme}:// reads local files or speaks raw protocols")
    host = (rest if sep else lowered).split("/", 1)[0].rsplit("@", 1)[-1]
    if host.startswith(
        ("169.254.", "[fd00:ec2::254]", "metadata.google.internal", "100.100.100.200")
    ):
        j.refuse(f"curl {value}: the cloud metadata endpoint hands out credentials")


def _curl_data(j: Judgement, value: str) -> None:
    if value.startswith("@") or "=@" in value or "=<" in value or value.startswith("<"):
        j.refuse(f"curl: {value!r} uploads a local file")


_CURL_WRITES = "writes a file"
CURL = getopt(
    flags="sSLIikvfg46qNZjlMpRBJ0123",
    values="HAXmerwzCyYuxUbtQP",
    longs="silent show-error location head include insecure verbose fail fail-with-body "
    "globoff compressed http1.1 http2 no-buffer no-keepalive ipv4 ipv6 version help "
    "location-trusted",
    long_values="header user-agent request max-time referer write-out time-cond "
    "continue-at speed-time speed-limit user proxy proxy-user cookie connect-timeout "
    "resolve connect-to retry cacert capath interface",
    refuse={
        "-o": _CURL_WRITES,
        "--output": _CURL_WRITES,
        "-O": _CURL_WRITES,
        "--remote-name": _CURL_WRITES,
        "--remote-name-all": _CURL_WRITES,
        "--output-dir": _CURL_WRITES,
        "--create-dirs": _CURL_WRITES,
        "-D": _CURL_WRITES,
        "--dump-header": _CURL_WRITES,
        "-c": _CURL_WRITES,
        "--cookie-jar": _CURL_WRITES,
        "--trace": _CURL_WRITES,
        "--trace-ascii": _CURL_WRITES,
        "--libcurl": _CURL_WRITES,
        "--stderr": _CURL_WRITES,
        "--etag-save": _CURL_WRITES,
        "--hsts": _CURL_WRITES,
        "--alt-svc": _CURL_WRITES,
        "-T": "uploads a local file",
        "--upload-file": "uploads a local file",
        "-K": "reads options from a file",
        "--config": "reads options from a file",
        "-n": "sends the credentials in ~/.netrc",
        "--netrc": "sends the credentials in ~/.netrc",
        "--netrc-file": "sends the credentials in a netrc file",
        "--netrc-optional": "sends the credentials in ~/.netrc",
        "-E": "reads a client certificate and private key",
        "--cert": "reads a client certificate and private key",
        "--key": "reads a private key",
        "--unix-socket": "talks to a local socket (the docker socket is root)",
        "--abstract-unix-socket": "talks to a local socket",
    },
    checks={
        "--url": _curl_url,
        **dict.fromkeys(
            (
                "-d",
                "--data",
                "--data-binary",
                "--data-urlencode",
                "--json",
                "-F",
                "--form",
                "--data-ascii",
            ),
            _curl_data,
        ),
    },
)


def curl_command(j: Judgement, args: list[str]) -> None:
    for operand in parse(j, CURL, args).operands:
        _curl_url(j, operand)
    j.ask("curl makes a network request; a person decides which")


SORT_REFUSED = {
    "-o": _CURL_WRITES,
    "--output": _CURL_WRITES,
    "--compress-program": "runs a program",
    "--files0-from": "reads file names from a file",
}
SORT = getopt(permissive=True, refuse=SORT_REFUSED)


def sort_command(j: Judgement, args: list[str]) -> None:
    read_paths(j, parse(j, SORT, args).operands)
    j.ask("sort is not on the allowlist")


HANDLERS: dict[str, Handler] = {
    "ss": simple(SS, any_operands),
    "ps": ps_command,
    "df": simple(DF, any_operands),
    "du": du_command,
    "uptime": simple(UPTIME),
    "free": simple(FREE),
    "dmesg": simple(DMESG),
    "journalctl": simple(JOURNALCTL, any_operands),
    "systemctl": systemctl_command,
    "nginx": nginx_command,
    "ip": ip_command,
    "lsblk": simple(LSBLK, any_operands),
    "findmnt": simple(FINDMNT, any_operands),
    "mount": mount_command,
    "docker": docker_command,
    "git": git_command,
    "uname": simple(UNAME),
    "hostname": hostname_command,
    "id": simple(ID, any_operands),
    "whoami": simple(WHOAMI),
    "w": simple(W, any_operands),
    "who": who_command,
    "last": simple(LAST, any_operands),
    "date": date_command,
    "cat": simple(CAT, read_paths),
    "head": simple(HEAD, read_paths),
    "tail": simple(TAIL, read_paths),
    "wc": simple(WC, read_paths),
    "grep": grep_command,
    "stat": simple(STAT, list_paths),
    "ls": simple(LS, list_paths),
    "find": find_command,
    "getent": getent_command,
    "timedatectl": timedatectl_command,
    "hostnamectl": hostnamectl_command,
    "lscpu": simple(LSCPU),
    "lsof": lsof_command,
    "netstat": simple(NETSTAT),
    "vmstat": simple(VMSTAT, _interval_count),
    "iostat": simple(IOSTAT, _interval_count),
    "mpstat": simple(MPSTAT, _interval_count),
    "sar": simple(SAR, _interval_count),
    "top": top_command,
    "openssl": openssl_command,
    "certbot": certbot_command,
    "crontab": crontab_command,
    "apt": _apt(_APT_READ),
    "apt-cache": _apt(_APT_CACHE_READ),
    "dpkg": dpkg_command,
    "dpkg-query": dpkg_command,
    "supervisorctl": supervisorctl_command,
    "pm2": pm2_command,
    "iptables": iptables_command,
    "ip6tables": iptables_command,
    "iptables-save": simple(IPTABLES_SAVE),
    "ip6tables-save": simple(IPTABLES_SAVE),
    "nft": nft_command,
    "sysctl": sysctl_command,
    "pgrep": simple(PGREP, any_operands),
    "nproc": simple(NPROC),
}
"""The allowlist: program → its argument rules. ``curl`` and ``sort`` have rules too, but
only to refuse their dangerous options: they always need approval (``ASK_ONLY``)."""

ASK_ONLY: dict[str, Handler] = {"curl": curl_command, "sort": sort_command}

# --- Programs refused outright -------------------------------------------------------

_RUNS_ANYTHING = "runs arbitrary commands or code (a shell, interpreter or wrapper)"
_CHANGES = "changes files, processes or the system; changes go through the action tools"
_INTERACTIVE = "is interactive or never returns"
DENIED: dict[str, str] = {
    **dict.fromkeys(
        words(
            "sh bash dash zsh ksh mksh csh tcsh fish ash busybox toybox awk gawk mawk nawk sed "
            "env xargs nohup sudo su doas runuser pkexec setsid nsenter chroot unshare ionice "
            "nice renice taskset timeout stdbuf strace ltrace gdb script expect time flock "
            "setpriv capsh systemd-run at batch parallel ssh scp sftp rsync nc ncat netcat "
            "socat telnet ftp make sqlite3 tar zip unzip gzip gunzip bzip2 xz zstd cpio "
            "ssh-keygen gpg openvt chvt exec eval source command builtin ex rlwrap "
            "lxc-attach machinectl systemd-nspawn crash debugfs"
        ),
        _RUNS_ANYTHING,
    ),
    **dict.fromkeys(
        words(
            "rm rmdir mv cp dd tee touch mkdir ln link unlink chmod chown chgrp chattr truncate "
            "shred install fallocate mknod mkfifo mkswap swapon swapoff umount kill killall pkill "
            "reboot shutdown poweroff halt init telinit fdisk sfdisk gdisk parted wipefs "
            "losetup useradd usermod userdel groupadd groupmod groupdel passwd chpasswd chage "
            "gpasswd newgrp visudo vipw vigr patch ifup ifdown service update-rc.d apt-get "
            "aptitude yum dnf rpm snap pip pip3 npm yarn modprobe insmod rmmod kexec "
            "blkdiscard hdparm"
        ),
        _CHANGES,
    ),
    "wget": "saves what it downloads into files; curl can fetch a URL (with approval)",
    "printenv": "prints sfai's own environment (API keys, tokens)",
    **dict.fromkeys(
        words(
            "less more most pg man vi vim nvim view nano emacs ed joe mcedit htop atop iotop "
            "iftop nload nethogs watch tmux screen mc bmon glances ptop"
        ),
        _INTERACTIVE,
    ),
}
_INTERPRETER_FAMILIES = re.compile(
    r"(python|pypy|perl|php|ruby|irb|lua|luajit|node|nodejs|deno|bun|tclsh|wish|java|"
    r"jshell|pwsh|Rscript|osascript)[0-9.]*"
)
_FILESYSTEM_TOOLS = re.compile(r"(mkfs|fsck|e2fsck|tune2fs|resize2fs|xfs_repair)(\..+)?")


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
    denied = DENIED.get(j.program)
    if denied is None and _INTERPRETER_FAMILIES.fullmatch(j.program):
        denied = _RUNS_ANYTHING
    if denied is None and _FILESYSTEM_TOOLS.fullmatch(j.program):
        denied = _CHANGES
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
    j.ask(
        f"{j.program} is not on the read-only allowlist: it runs only with a person's "
        "approval (act mode)"
    )


def analyse_command(argv: object) -> Judgement:
    """The full judgement of ``argv``: decision, reason, the paths to re-check on the host."""
    j = Judgement(argv=tuple(argv) if isinstance(argv, list) else ())
    with contextlib.suppress(_Refused):
        _judge_into(j, argv)
    return j


def judge_command(arguments: dict[str, Any]) -> Verdict:
    """The policy judge of ``run_command`` (wired by ``tools.runner.default_policy``)."""
    return analyse_command(arguments.get("argv")).verdict()
