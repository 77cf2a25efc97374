"""git, as deploy_app and list_apps drive it: argv lists only, bounded, never prompting.

Every call is ``git -C PATH ...``, run as the app's ``user`` when it declares one, with
``GIT_TERMINAL_PROMPT=0`` (a remote asking for a password fails instead of hanging) and
``GIT_OPTIONAL_LOCKS=0`` (``git status`` in a dry-run or in list_apps does not rewrite the
index). A model-supplied ref reaches git only after ``app_specs.ref_problem`` accepted it,
and after ``--end-of-options`` where the subcommand supports it; once resolved, commands
use the 40-hex commit id, never the name again.

git's ownership check ("dubious ownership") is never lifted: a repository's ``.git/config``
can make git run programs (``core.fsmonitor`` during ``git status``, ``remote.*.uploadpack``
during ``ls-remote``...), so root running git in a tree another user can write would run that
user's code as root, in a dry-run or in ``list_apps``, without approval. Such a tree is
refused with the fix: declare ``user`` (its owner), and git and the build run as that user.
"""

from __future__ import annotations

from dataclasses import dataclass

from sfai_agent.exec.base import CommandResult, ExecutorError
from sfai_agent.tools.app_specs import AppSpec
from sfai_agent.tools.base import JSON, ToolContext, ToolError

GIT_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"}
FETCH_TIMEOUT_S = 120.0
SHOWN_COMMITS = 20
_SEP = "\x1f"
_COMMIT_FORMAT = f"%H{_SEP}%s{_SEP}%cI{_SEP}%an"


@dataclass(frozen=True)
class Commit:
    sha: str
    subject: str
    date: str
    author: str

    @property
    def short(self) -> str:
        return self.sha[:7]

    def as_dict(self) -> JSON:
        return {
            "commit": self.sha,
            "short": self.short,
            "subject": self.subject,
            "date": self.date,
            "author": self.author,
        }


def user_prefix(spec: AppSpec) -> list[str]:
    """``runuser -u USER --`` when the app declares a user: git objects and build output
    then belong to the tree's owner, not to root."""
    return ["runuser", "-u", spec.user, "--"] if spec.user else []


def git_argv(spec: AppSpec, *args: str) -> list[str]:
    return [*user_prefix(spec), "git", "-C", spec.path, *args]


def build_argv(spec: AppSpec, step: tuple[str, ...]) -> list[str]:
    """A build step run in the work tree: ``env -C PATH -- [NAME=VALUE...] argv`` (app_specs
    refused program names holding ``=``, which env would read as a variable)."""
    assignments = [f"{name}={value}" for name, value in spec.env]
    return [*user_prefix(spec), "env", "-C", spec.path, "--", *assignments, *step]


async def run_git(
    ctx: ToolContext, spec: AppSpec, *args: str, timeout: float | None = None
) -> CommandResult:
    """Run git in the app's tree; a non-zero exit is a result, a missing git an error."""
    try:
        return await ctx.executor.run(
            git_argv(spec, *args),
            timeout=timeout if timeout is not None else ctx.settings.command_timeout_s,
            env=GIT_ENV,
        )
    except ExecutorError as exc:
        if exc.code == "not_found":
            raise ToolError(
                "unavailable",
                f"{exc.message}: deploy_app needs git (and runuser when the app sets user)",
                "install it: apt-get install git",
            ) from None
        raise ToolError.from_executor(exc) from None


def gist(result: CommandResult, limit: int = 300) -> str:
    text = (result.stderr.strip() or result.stdout.strip()).replace("\n", "; ")
    return text[-limit:] or f"exit status {result.returncode}"


async def commit_info(ctx: ToolContext, spec: AppSpec, rev: str) -> Commit | None:
    result = await run_git(
        ctx, spec, "log", "-1", f"--format={_COMMIT_FORMAT}", "--end-of-options", rev, "--"
    )
    fields = result.stdout.strip().split(_SEP)
    if not result.ok or len(fields) != 4:
        return None
    return Commit(*fields)


async def check_work_tree(ctx: ToolContext, spec: AppSpec) -> None:
    """``not_found``/``unavailable`` with what to do when ``path`` is not a usable clone."""
    try:
        await ctx.executor.stat(spec.path, follow_symlinks=True)
    except ExecutorError:
        raise ToolError(
            "not_found",
            f"{spec.name}: {spec.path} does not exist on this host",
            f"clone the repository there first: git clone URL {spec.path}",
        ) from None
    result = await run_git(ctx, spec, "rev-parse", "--is-inside-work-tree")
    if "dubious ownership" in result.stderr:
        runs_as = f"user {spec.user}" if spec.user else "the user sfai runs as"
        raise ToolError(
            "refused_by_policy",
            f"{spec.name}: {spec.path} belongs to another user than {runs_as}; git refuses to "
            "work there, because that user's .git/config could make git run programs",
            f'declare the tree\'s owner (ls -ld {spec.path}) as user = "OWNER" in '
            f"[apps.{spec.name}]: git and the build then run as that user",
        )
    if not result.ok or result.stdout.strip() != "true":
        raise ToolError(
            "unavailable",
            f"{spec.name}: {spec.path} is not a git work tree ({gist(result)})",
            f"deploy_app deploys git clones: git clone URL {spec.path}",
        )


async def current_branch(ctx: ToolContext, spec: AppSpec) -> str | None:
    """The checked-out branch, or None on a detached HEAD."""
    result = await run_git(ctx, spec, "symbolic-ref", "--quiet", "--short", "HEAD")
    return (result.stdout.strip() or None) if result.ok else None


async def dirty_files(ctx: ToolContext, spec: AppSpec) -> list[str]:
    """Tracked files with uncommitted changes (untracked build output does not count: a
    checkout leaves it alone)."""
    result = await run_git(ctx, spec, "status", "--porcelain=v1", "--untracked-files=no")
    if not result.ok:
        raise ToolError("unavailable", f"{spec.name}: git status failed: {gist(result)}")
    return [line[3:] for line in result.stdout.splitlines() if line.strip()]


async def resolve(ctx: ToolContext, spec: AppSpec, rev: str) -> str | None:
    """The commit ``rev`` names in the local clone, or None."""
    result = await run_git(
        ctx, spec, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"
    )
    sha = result.stdout.strip()
    return sha if result.ok and sha else None


async def ls_remote(ctx: ToolContext, spec: AppSpec, name: str) -> dict[str, str]:
    """``{ref: object}`` for refs/heads/NAME and refs/tags/NAME on the remote (tags peeled
    to their commit), read without fetching anything into the clone."""
    patterns = [f"refs/heads/{name}", f"refs/tags/{name}", f"refs/tags/{name}^{{}}"]
    result = await run_git(
        ctx, spec, "ls-remote", "--end-of-options", spec.remote, *patterns, timeout=FETCH_TIMEOUT_S
    )
    if not result.ok:
        raise ToolError(
            "unavailable",
            f"{spec.name}: cannot reach remote {spec.remote!r}: {gist(result)}",
            "check the network and the remote's credentials (git remote -v in the tree)",
        )
    refs: dict[str, str] = {}
    for line in result.stdout.splitlines():
        sha, _, ref = line.partition("\t")
        refs[ref.strip()] = sha.strip()
    peeled = refs.pop(f"refs/tags/{name}^{{}}", None)
    if peeled:
        refs[f"refs/tags/{name}"] = peeled
    return refs


async def is_ancestor(ctx: ToolContext, spec: AppSpec, old: str, new: str) -> bool:
    result = await run_git(ctx, spec, "merge-base", "--is-ancestor", "--end-of-options", old, new)
    return result.returncode == 0


async def commits_between(ctx: ToolContext, spec: AppSpec, old: str, new: str) -> JSON:
    """``{ahead, behind, commits}``: commits ``new`` adds to ``old`` (newest first, at most
    SHOWN_COMMITS), and how many of ``old``'s it leaves out (a deploy that goes back)."""
    counts = await run_git(
        ctx, spec, "rev-list", "--left-right", "--count", "--end-of-options", f"{old}...{new}"
    )
    behind_text, _, ahead_text = counts.stdout.strip().partition("\t")
    if not counts.ok or not behind_text.isdigit() or not ahead_text.isdigit():
        return {"ahead": None, "behind": None, "commits": []}
    listed = await run_git(
        ctx,
        spec,
        "log",
        f"--max-count={SHOWN_COMMITS}",
        f"--format=%h{_SEP}%s",
        "--end-of-options",
        f"{old}..{new}",
        "--",
    )
    commits = [
        {"short": short, "subject": subject}
        for short, _, subject in (line.partition(_SEP) for line in listed.stdout.splitlines())
        if short
    ]
    return {"ahead": int(ahead_text), "behind": int(behind_text), "commits": commits}


async def deployed_state(ctx: ToolContext, spec: AppSpec) -> JSON:
    """What list_apps shows for a declared app: the commit the tree holds, its branch and
    whether tracked files were changed by hand. Never raises: problems go to ``error``."""
    entry: JSON = {
        "name": spec.name,
        "path": spec.path,
        "branch": spec.branch,
        "remote": spec.remote,
        "service": spec.service or None,
        "health_url": spec.health_url or None,
    }
    try:
        await check_work_tree(ctx, spec)
        head = await commit_info(ctx, spec, "HEAD")
        entry["deployed"] = head.as_dict() if head else None
        entry["checked_out"] = await current_branch(ctx, spec) or "(detached HEAD)"
        entry["dirty_files"] = len(await dirty_files(ctx, spec))
    except ToolError as exc:
        entry["error"] = exc.message
    return entry
