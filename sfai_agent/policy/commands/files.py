"""Rules for reading, searching and listing files.

cat, head, tail, wc, grep, stat, ls, find; sort has rules too, but always asks.
"""

from __future__ import annotations

import re

from sfai_agent.policy.commands.judgement import FOLLOW, WRITES_FILE, Judgement
from sfai_agent.policy.commands.parsing import getopt, parse, words
from sfai_agent.policy.commands.paths import LIST, check_path, list_paths, read_paths

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


SORT_REFUSED = {
    "-o": WRITES_FILE,
    "--output": WRITES_FILE,
    "--compress-program": "runs a program",
    "--files0-from": "reads file names from a file",
}
SORT = getopt(permissive=True, refuse=SORT_REFUSED)


def sort_command(j: Judgement, args: list[str]) -> None:
    read_paths(j, parse(j, SORT, args).operands)
    j.ask("sort is not on the allowlist")
