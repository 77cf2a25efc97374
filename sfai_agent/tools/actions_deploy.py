"""``deploy_app(app, ref?, dry_run=true)``: deploy a declared app from git, verified, with
automatic rollback.

The model chooses only the app (one of the ``[apps.NAME]`` tables, see ``app_specs``) and,
optionally, a ref (branch, tag or commit id); the commands come from the declaration.

- Dry-run (the default) changes nothing, not even the clone: the remote branch head comes
  from ``git ls-remote``, a ``ref`` from the local refs (then ``ls-remote``). It shows the
  current and target commits, the commits between when both are known, and the exact steps.
  A dirty tree or a branch that cannot fast-forward is shown as a warning: the real run
  will refuse it.
- Real run: refuse a dirty tree (uncommitted changes would be lost), fetch, resolve the
  target (``not_found`` when the ref does not exist), refuse a non-fast-forward, then
  fast-forward the branch (or check out ``ref`` detached), build, restart the service
  through its manager, and ask the health URL until it answers. Any failure rolls back to
  the previous commit (and branch), rebuilds, restarts and checks again (``deploy_run``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sfai_agent.policy.identifiers import app_name
from sfai_agent.tools.actions_services import restart_argv
from sfai_agent.tools.app_specs import SHA_PATTERN, AppSpec, declared_apps, ref_problem
from sfai_agent.tools.base import JSON, Risk, ToolContext, ToolError, object_schema, register
from sfai_agent.tools.deploy_render import dry_run_summary, render_deploy, run_summary
from sfai_agent.tools.deploy_run import FORWARD_SHARE, Deployment, Origin, roll_back
from sfai_agent.tools.git_ops import (
    build_argv,
    check_work_tree,
    commit_info,
    commits_between,
    current_branch,
    dirty_files,
    git_argv,
    is_ancestor,
    ls_remote,
    resolve,
)
from sfai_agent.tools.services import find_service

SHOWN_DIRTY = 10
_REF_HINT = (
    "pass a branch or tag name that exists on the remote (release, v1.4.2) or a commit id "
    "(7 to 40 hex digits); leave ref out to deploy the head of the app's branch"
)


@dataclass(frozen=True)
class Target:
    commit: str | None
    source: str
    """Where the commit id comes from: ``origin/main``, ``tag v1.2``, ``commit 1a2b3c4``."""


def _app(ctx: ToolContext, value: object) -> AppSpec:
    name = app_name(value)
    apps = declared_apps(ctx.settings.apps)
    if name not in apps:
        declared = ", ".join(sorted(apps))
        raise ToolError(
            "not_found",
            f"no app named {name!r} is declared"
            + (f" (declared: {declared})" if declared else ": no app is declared on this host"),
            "list_apps shows the declared apps; an app is declared by the server's admin in "
            "an [apps.NAME] table of sfai's config (docs/configuration.md)",
        )
    return apps[name]


def _ref(value: object) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ToolError("invalid_argument", "ref must be a string", _REF_HINT)
    problem = ref_problem(value)
    if problem:
        raise ToolError(
            "invalid_argument",
            f"{value[:80]!r} is not a ref sfai passes to git: {problem}",
            _REF_HINT,
        )
    return value


async def _local_target(ctx: ToolContext, spec: AppSpec, ref: str | None) -> Target:
    """The target as the clone knows it now (the remote-tracking refs after a fetch)."""
    if ref is None:
        tracking = f"{spec.remote}/{spec.branch}"
        return Target(await resolve(ctx, spec, f"refs/remotes/{tracking}"), tracking)
    candidates = [
        (f"refs/remotes/{spec.remote}/{ref}", f"{spec.remote}/{ref}"),
        (f"refs/tags/{ref}", f"tag {ref}"),
        (f"refs/heads/{ref}", f"local branch {ref}"),
    ]
    if SHA_PATTERN.fullmatch(ref):
        candidates.append((ref, f"commit {ref}"))
    for rev, source in candidates:
        sha = await resolve(ctx, spec, rev)
        if sha:
            return Target(sha, source)
    return Target(None, ref)


async def _preview_target(ctx: ToolContext, spec: AppSpec, ref: str | None) -> tuple[Target, str]:
    """(target, warning) without fetching: the remote's head of the branch, else local refs."""
    name = ref if ref is not None else spec.branch
    if ref is not None:
        local = await _local_target(ctx, spec, ref)
        if local.commit:
            return local, ""
    remote = await ls_remote(ctx, spec, name)
    for kind, label in (("heads", f"{spec.remote}/{name}"), ("tags", f"tag {name}")):
        sha = remote.get(f"refs/{kind}/{name}")
        if sha:
            return Target(sha, label), ""
    if ref is not None and SHA_PATTERN.fullmatch(ref):
        return Target(None, f"commit {ref}"), (
            f"commit {ref} is not in the clone yet: the real run fetches first and refuses "
            "if it is still unknown"
        )
    what = f"ref {ref!r}" if ref is not None else f"branch {spec.branch!r}"
    raise ToolError("not_found", f"{spec.name}: {what} does not exist on {spec.remote}", _REF_HINT)


def _not_found(spec: AppSpec, ref: str | None) -> ToolError:
    what = f"ref {ref!r}" if ref is not None else f"branch {spec.branch!r}"
    return ToolError(
        "not_found",
        f"{spec.name}: {what} does not exist on {spec.remote} (after git fetch); nothing changed",
        _REF_HINT,
    )


async def _ff_problem(
    ctx: ToolContext, spec: AppSpec, origin: Origin, target: str, ref: str | None
) -> str:
    """Why the branch cannot fast-forward to ``target`` ("" when it can, or when ``ref``
    is checked out detached, which needs no fast-forward)."""
    if ref is not None:
        return ""
    if origin.branch == spec.branch:
        base: str | None = origin.commit
    else:
        base = await resolve(ctx, spec, f"refs/heads/{spec.branch}")
    if base is None or await is_ancestor(ctx, spec, base, target):
        return ""
    return (
        f"{spec.branch} ({base[:7]}) cannot fast-forward to {spec.remote}/{spec.branch} "
        f"({target[:7]}): the local branch has commits the remote lacks, or the remote "
        "history was rewritten"
    )


async def _checkout_argvs(
    ctx: ToolContext, spec: AppSpec, origin: Origin, target: str, ref: str | None
) -> list[tuple[str, list[str]]]:
    """(step, argv): ``ref`` is checked out detached; otherwise the branch is checked out
    (created at the target when the clone lacks it) and fast-forwarded."""
    if ref is not None:
        detach = ["-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", target]
        return [("checkout", git_argv(spec, *detach))]
    argvs: list[tuple[str, list[str]]] = []
    if origin.branch != spec.branch:
        if await resolve(ctx, spec, f"refs/heads/{spec.branch}") is None:
            create = git_argv(spec, "checkout", "--quiet", "-b", spec.branch, target)
            return [("checkout", create)]
        argvs.append(("checkout", git_argv(spec, "checkout", "--quiet", spec.branch, "--")))
    merge = git_argv(spec, "merge", "--ff-only", "--quiet", "--end-of-options", target)
    argvs.append(("fast_forward", merge))
    return argvs


def _fetch_argv(spec: AppSpec) -> list[str]:
    return git_argv(spec, "fetch", "--quiet", "--tags", "--force", "--end-of-options", spec.remote)


def _already_there(spec: AppSpec, origin: Origin, target: Target, ref: str | None) -> bool:
    """The tree holds the target already (and, without ref, on the app's branch: a tree left
    detached by a ref deploy goes back on the branch even at the same commit)."""
    return target.commit == origin.commit and (ref is not None or origin.branch == spec.branch)


async def _where(ctx: ToolContext, spec: AppSpec) -> tuple[Origin, JSON]:
    await check_work_tree(ctx, spec)
    head = await commit_info(ctx, spec, "HEAD")
    if head is None:
        raise ToolError(
            "unavailable", f"{spec.name}: {spec.path} has no commit checked out", _REF_HINT
        )
    branch = await current_branch(ctx, spec)
    return Origin(head.sha, branch), {**head.as_dict(), "branch": branch}


def _dirty_message(spec: AppSpec, files: list[str]) -> str:
    shown = ", ".join(files[:SHOWN_DIRTY]) + (" ..." if len(files) > SHOWN_DIRTY else "")
    return (
        f"{spec.path} has uncommitted changes to {len(files)} tracked file(s) ({shown}): "
        "a deploy would lose them"
    )


_DIRTY_HINT = "commit or discard them on the server first (git -C PATH status), then deploy again"


async def _target_view(ctx: ToolContext, spec: AppSpec, target: Target, before: str) -> JSON:
    view: JSON = {"source": target.source, "commit": target.commit}
    if target.commit is None:
        return view
    info = await commit_info(ctx, spec, target.commit)
    if info is None:
        view["note"] = "not fetched yet: its subject and the commits between are known after fetch"
        return view
    view.update(info.as_dict())
    view.update(await commits_between(ctx, spec, before, target.commit))
    return view


async def _restart_preview(ctx: ToolContext, spec: AppSpec) -> tuple[JSON | None, str]:
    if not spec.service:
        return None, ""
    try:
        record, _ = await find_service(ctx, spec.service, "restart")
        return {"step": "restart", "service": spec.service, "argv": restart_argv(ctx, record)}, ""
    except ToolError as exc:
        return None, f"service {spec.service}: {exc.message}; the real run would fail at restart"


async def _preview(ctx: ToolContext, spec: AppSpec, ref: str | None, result: JSON) -> JSON:
    origin, current = await _where(ctx, spec)
    warnings: list[str] = []
    if files := await dirty_files(ctx, spec):
        warnings.append(f"the real run will REFUSE: {_dirty_message(spec, files)}")
    target, warning = await _preview_target(ctx, spec, ref)
    warnings += [warning] if warning else []
    result["current"] = current
    result["target"] = await _target_view(ctx, spec, target, origin.commit)
    steps: list[JSON] = [{"step": "fetch", "argv": _fetch_argv(spec)}]
    if target.commit and "subject" in result["target"]:
        problem = await _ff_problem(ctx, spec, origin, target.commit, ref)
        if problem:
            warnings.append(f"the real run will REFUSE: {problem}")
    if _already_there(spec, origin, target, ref):
        result["nothing_to_deploy"] = True
    sha = target.commit or "<fetched commit>"
    steps += [
        {"step": step, "argv": argv}
        for step, argv in await _checkout_argvs(ctx, spec, origin, sha, ref)
    ]
    steps += [{"step": "build", "argv": build_argv(spec, step)} for step in spec.build]
    restart, warning = await _restart_preview(ctx, spec)
    steps += [restart] if restart else []
    warnings += [warning] if warning else []
    if spec.health_url:
        steps.append(
            {"step": "health_check", "url": spec.health_url, "timeout_s": spec.health_timeout_s}
        )
    result["steps"] = steps
    result["on_failure"] = (
        f"roll back to {origin.commit[:7]}"
        + (f" on {origin.branch}" if origin.branch else " (detached)")
        + ", rebuild, restart and check health again"
    )
    if warnings:
        result["warnings"] = warnings
    result["summary"] = dry_run_summary(result)
    return result


async def _forward(run: Deployment, checkout: list[tuple[str, list[str]]], timeout: float) -> bool:
    for step, argv in checkout:
        if not await run.command(step, argv, timeout):
            return False
    return await run.release()


async def _deploy(ctx: ToolContext, spec: AppSpec, ref: str | None, result: JSON) -> JSON:
    started = time.monotonic()
    total = ctx.settings.deploy_timeout_s
    origin, before = await _where(ctx, spec)
    result["before"] = before
    if files := await dirty_files(ctx, spec):
        raise ToolError(
            "refused_by_policy", f"{spec.name}: {_dirty_message(spec, files)}", _DIRTY_HINT
        )
    run = Deployment(ctx, spec, started + total * FORWARD_SHARE)
    if not await run.command("fetch", _fetch_argv(spec), ctx.settings.command_timeout_s * 12):
        tail = "; ".join((run.failure or {}).get("output_tail", []))[-300:]
        raise ToolError(
            "unavailable",
            f"{spec.name}: git fetch from {spec.remote} failed, nothing changed: {tail}",
            "check the network and the remote's credentials (git -C PATH fetch by hand)",
        )
    target = await _local_target(ctx, spec, ref)
    if target.commit is None:
        raise _not_found(spec, ref)
    problem = await _ff_problem(ctx, spec, origin, target.commit, ref)
    if problem:
        raise ToolError(
            "refused_by_policy",
            f"{spec.name}: {problem}; nothing changed",
            f"deploy a commit explicitly with ref (checked out detached), or reconcile "
            f"{spec.branch} by hand in {spec.path}",
        )
    result["target"] = await _target_view(ctx, spec, target, origin.commit)
    git_timeout = ctx.settings.command_timeout_s * 6
    if _already_there(spec, origin, target, ref):
        result["nothing_to_deploy"] = True
        verified = await run.check_health()
    else:
        steps = await _checkout_argvs(ctx, spec, origin, target.commit, ref)
        verified = await run.guarded(_forward(run, steps, git_timeout))
    result.update({"steps": run.steps, "verified": verified, "rolled_back": False})
    if run.health is not None:
        result["health"] = run.health
    if not verified and run.failure is not None and not result.get("nothing_to_deploy"):
        result["failed_step"] = run.failure["step"]
        result["failure"] = run.failure
        rebuild = run.failure["step"] not in ("checkout", "fast_forward")
        result["rollback"] = await roll_back(
            ctx, spec, origin, started + total - 1.0, rebuild=rebuild
        )
        result["rolled_back"] = bool(result["rollback"]["restored"])
    head = await commit_info(ctx, spec, "HEAD")
    result["after"] = {
        **(head.as_dict() if head else {}),
        "branch": await current_branch(ctx, spec),
    }
    result["build_s"] = round(sum(s["duration_s"] for s in run.steps if s["step"] == "build"), 2)
    result["duration_s"] = round(time.monotonic() - started, 2)
    result["summary"] = run_summary(result)
    return result


@register(
    name="deploy_app",
    family="actions_deploy",
    risk=Risk.HIGH,
    renderer=render_deploy,
    timeout_setting="deploy_timeout_s",
    description="""
        Deploy an app declared by the admin (list_apps shows them under declared) from its
        git repository: fetch, fast-forward its branch (or check out `ref`), run its build
        steps, restart its service through its manager and check its health URL. On any
        failure it rolls back to the previous commit, rebuilds, restarts and checks again
        (rolled_back=true, verified=false, failed_step and the step's output tail). You
        choose only the app and optionally ref (a branch, tag or commit id; default: the
        head of the app's branch); the commands come from the declaration. Changes the
        server: the real run (dry_run=false) needs the person's approval; call it first
        with dry_run=true (the default: nothing changes, not even a fetch) to show the
        current and target commits, the commits between and the exact steps. A tree with
        uncommitted changes, or a branch that cannot fast-forward, is refused. Result:
        before/after commits (sha, subject, date), steps with argv, exit code and duration,
        health {status, attempts}, verified, rolled_back, summary.
    """,
    schema=object_schema(
        {
            "app": {
                "type": "string",
                "minLength": 1,
                "maxLength": 64,
                "description": "The app's name as declared (list_apps: declared[].name).",
            },
            "ref": {
                "type": "string",
                "maxLength": 200,
                "description": "Optional: a branch or tag of the remote, or a commit id. "
                "Default: the head of the app's configured branch (fast-forward).",
            },
            "dry_run": {
                "type": "boolean",
                "default": True,
                "description": "true: only show what would be deployed (no approval needed).",
            },
        },
        required=["app"],
    ),
)
async def deploy_app(ctx: ToolContext, args: JSON) -> JSON:
    spec = _app(ctx, args.get("app"))
    ref = _ref(args.get("ref"))
    result: JSON = {
        "app": spec.name,
        "path": spec.path,
        "branch": spec.branch,
        "remote": spec.remote,
        "ref": ref,
        "service": spec.service or None,
        "health_url": spec.health_url or None,
        "dry_run": bool(args.get("dry_run", True)),
    }
    if result["dry_run"]:
        return await _preview(ctx, spec, ref, result)
    return await _deploy(ctx, spec, ref, result)
