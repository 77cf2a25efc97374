"""git's rules: refuse what runs configured commands or writes; read subcommands only."""

from __future__ import annotations

from sfai_agent.policy.commands.judgement import Judgement
from sfai_agent.policy.commands.parsing import getopt, parse, words
from sfai_agent.policy.commands.paths import list_path_value
from sfai_agent.policy.credentials import is_credential_path

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
    checks={"-C": list_path_value},
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
