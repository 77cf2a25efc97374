"""``fix_nginx_config(domain, fix, dry_run=true)``: change the config file of a domain's server
block, previewed on a copy, applied with a backup, verified live, rolled back on failure.

The plan (:mod:`sfai_agent.tools.nginx_fix`) turns the fix into the file's new text and
refuses what must not run. Then:

- dry-run: the diff recomputed from the real before/after, ``nginx -t`` on a temporary copy
  with the change (:mod:`sfai_agent.tools.nginx_trial`; live files untouched) and what the
  site answers now. A change ``nginx -t`` rejects is an ``invalid_argument`` result that still
  carries the diff and nginx's output, so the approval flow never offers it.
- real run: back up the file into ``backup_dir``, write the new text (atomic), ``nginx -t``
  on the live config, reload, wait until new workers serve it, check the site
  (:mod:`sfai_agent.tools.nginx_live`). Any failure restores the backup, reloads again and
  checks that the site answers as before: ``rolled_back: true``, ``verified: false``.

When no nginx master runs this config, a change that passes ``nginx -t`` stays in place,
unverified, with a summary that says nginx must be started: a stopped nginx is often the
reason for the fix, and nothing live got worse.
"""

from __future__ import annotations

import asyncio
import posixpath
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sfai_agent.exec.base import ExecutorError
from sfai_agent.policy.identifiers import domain_name
from sfai_agent.tools import nginx_live as live
from sfai_agent.tools.base import JSON, Risk, ToolContext, ToolError, object_schema, register
from sfai_agent.tools.nginx import (
    NginxState,
    analyse,
    domain_blocks,
    require_config,
    run_config_test,
    select_blocks,
)
from sfai_agent.tools.nginx_conf import NginxConfig, NginxConfigError, load_config
from sfai_agent.tools.nginx_fix import Plan, make_plan
from sfai_agent.tools.nginx_patch import MAX_FIX_BYTES, check_fix_text
from sfai_agent.tools.nginx_trial import check_on_copy
from sfai_agent.tools.render import render_text

RELOAD_WAIT_S = 5.0


@dataclass
class Budget:
    """The tool's time limit shared between its steps, keeping room for a rollback."""

    total: float
    started: float = field(default_factory=time.monotonic)

    def left(self) -> float:
        return self.total - (time.monotonic() - self.started)

    def share(self, wanted: float, keep: float = 0.0) -> float:
        return max(1.0, min(wanted, self.left() - keep))


def _first_error(output: str) -> str:
    lines = [line for line in output.splitlines() if "[emerg]" in line or "[alert]" in line]
    line = (lines or output.splitlines() or [""])[0]
    return line.removeprefix("nginx: ").strip()[:200]


def _base(plan: Plan, dry_run: bool) -> JSON:
    added, removed = plan.counts
    return {
        "domain": plan.domain,
        "dry_run": dry_run,
        "file": plan.file,
        "server_block": plan.block.where,
        "fix_kind": plan.kind,
        "diff": plan.diff,
        "lines_added": added,
        "lines_removed": removed,
    }


async def _dry_run(ctx: ToolContext, state: NginxState, config: NginxConfig, plan: Plan) -> JSON:
    test = await check_on_copy(ctx, state, config, dict.fromkeys(plan.sources, plan.after))
    result = _base(plan, True)
    result["test"] = test
    change = f"{plan.file} (+{result['lines_added']} -{result['lines_removed']})"
    if not test["ok"]:
        message = (
            f"nginx -t rejects this change to {change}: {_first_error(test['output'])} "
            "(tested on a temporary copy; nothing changed)"
        )
        hint = "correct the fix and preview it again; the diff and nginx's output are here"
        result.update(
            ok=False,
            summary=message,
            error={"code": "invalid_argument", "message": message, "hint": hint},
        )
        return result
    targets = live.site_targets(select_blocks(state.servers, plan.domain), plan.domain)
    site = await live.check_site(ctx, targets, ctx.settings.site_check_timeout_s)
    result["site_now"] = site
    result["summary"] = (
        f"dry-run: would change {change}; nginx -t passes on a copy with the change; "
        f"{plan.domain} answers {live.statuses(site)} now"
    )
    return result


async def _backup(ctx: ToolContext, plan: Plan) -> str:
    directory = posixpath.normpath(posixpath.join(ctx.settings.backup_dir, "nginx"))
    if not posixpath.isabs(directory):
        raise ToolError("invalid_argument", f"backup_dir {directory} is not an absolute path")
    made = await ctx.executor.run(
        ["mkdir", "-p", "-m", "700", "--", directory], timeout=ctx.settings.command_timeout_s
    )
    real = await ctx.executor.realpath(directory)
    if not made.ok:
        raise ToolError(
            "unavailable",
            f"cannot create the backup directory {directory}: {made.stderr.strip()[:200]}",
            "set [tools] backup_dir to a writable directory; nothing was changed",
        )
    if real == plan.conf_dir or real.startswith(plan.conf_dir + "/"):
        raise ToolError(
            "refused_by_policy",
            f"backup_dir {real} is inside nginx's config directory: nginx could load the backup",
            "set [tools] backup_dir outside it (default /var/backups/sfai); nothing was changed",
        )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    path = f"{real}/{plan.file.strip('/').replace('/', '__')}.{stamp}.bak"
    await ctx.executor.write_file(path, plan.before_bytes, mode=0o600)
    return path


async def _targets_now(
    ctx: ToolContext, state: NginxState, domain: str
) -> tuple[list[tuple[str, str]], NginxConfig | None]:
    """Where the domain is served according to the config on disk now."""
    try:
        config = await load_config(ctx.executor, state.conf)
    except (NginxConfigError, ExecutorError):
        return [], None
    servers, _ = analyse(config)
    return live.site_targets(select_blocks(servers, domain), domain), config


async def _apply(
    ctx: ToolContext, state: NginxState, plan: Plan, master: int | None, budget: Budget
) -> JSON:
    result = _base(plan, False)
    targets = live.site_targets(select_blocks(state.servers, plan.domain), plan.domain)
    keep = budget.total * 0.4  # room to restore, reload and check again
    before = await live.check_site(
        ctx, targets, budget.share(ctx.settings.site_check_timeout_s, keep)
    )
    result["site_before"] = before
    current = await ctx.executor.read_file(plan.file, max_bytes=len(plan.before_bytes) + 1)
    if current != plan.before_bytes:
        raise ToolError(
            "unavailable",
            f"{plan.file} changed while sfai prepared the fix; nothing was changed",
            "preview the fix again (dry_run=true) against the file as it is now",
        )
    result["backup"] = await _backup(ctx, plan)
    await ctx.executor.write_file(plan.file, plan.after.encode("utf-8"))
    try:
        return await _verify(ctx, state, plan, master, budget, result)
    except Exception as exc:  # whatever broke, the old file goes back
        why = f"sfai could not finish checking the change ({type(exc).__name__}: {exc})"
        return await _rollback(ctx, state, plan, result, why, master, budget, reload=True)


async def _verify(
    ctx: ToolContext,
    state: NginxState,
    plan: Plan,
    master: int | None,
    budget: Budget,
    result: JSON,
) -> JSON:
    targets = live.site_targets(select_blocks(state.servers, plan.domain), plan.domain)
    before = result["site_before"]
    keep = budget.total * 0.4
    test = await run_config_test(ctx, state.binary, state.conf, state.prefix)
    result["test"] = test
    if not test["ok"]:
        why = f"nginx -t failed after the change: {_first_error(test['output'])}"
        return await _rollback(ctx, state, plan, result, why, master, budget, reload=False)
    if master is None:
        result.update(verified=False, rolled_back=False)
        result["summary"] = (
            f"{plan.file} changed (+{result['lines_added']} -{result['lines_removed']}), nginx "
            "-t ok, but no nginx master runs this config: nothing reloaded or checked; start "
            "nginx (restart_service nginx)"
        )
        return result
    targets_after, config_after = await _targets_now(ctx, state, plan.domain)
    reloaded = await live.reload(
        ctx, state, master, budget.share(RELOAD_WAIT_S, keep), config_after
    )
    result["reload"] = reloaded
    if not reloaded["ok"]:
        why = f"the reload failed: {_first_error(str(reloaded['output']))}"
        again = bool(reloaded["signalled"])  # a master that got no signal runs the old config
        return await _rollback(ctx, state, plan, result, why, master, budget, reload=again)
    after = await live.check_site(
        ctx, targets_after or targets, budget.share(ctx.settings.site_check_timeout_s, keep)
    )
    result["site_after"] = after
    if after and not live.answers(after):  # no TCP listen (unix sockets only): not checked
        why = f"after the reload {plan.domain} answered {live.statuses(after)}"
        why += f" (was {live.statuses(before)})"
        return await _rollback(ctx, state, plan, result, why, master, budget, reload=True)
    result.update(verified=True, rolled_back=False)
    result["summary"] = (
        f"{plan.domain} fixed: {plan.file} changed (+{result['lines_added']} "
        f"-{result['lines_removed']}), nginx -t ok, reloaded; answers {live.statuses(after)} "
        f"(was {live.statuses(before)})"
    )
    return result


async def _rollback(
    ctx: ToolContext,
    state: NginxState,
    plan: Plan,
    result: JSON,
    why: str,
    master: int | None,
    budget: Budget,
    *,
    reload: bool,
) -> JSON:
    """Put the old file back, reload if the new one may be loaded, check the site again."""
    rollback: JSON = {"reason": why}
    await ctx.executor.write_file(plan.file, plan.before_bytes)
    restored = await ctx.executor.read_file(plan.file, max_bytes=len(plan.before_bytes) + 1)
    rollback["file_restored"] = restored == plan.before_bytes
    test = await run_config_test(ctx, state.binary, state.conf, state.prefix)
    rollback["test"] = test
    done = rollback["file_restored"] and test["ok"]
    if master is not None:
        if reload:
            reloaded = await live.reload(ctx, state, master, budget.share(RELOAD_WAIT_S, 2.0), None)
            rollback["reload"] = reloaded
            done = done and reloaded["ok"]
        targets = live.site_targets(select_blocks(state.servers, plan.domain), plan.domain)
        site = await live.check_site(
            ctx, targets, budget.share(ctx.settings.site_check_timeout_s, 0.5)
        )
        rollback["site"] = site
        before = {c["url"]: c["status"] for c in result.get("site_before", [])}
        same = all(c["ok"] or c["status"] == before.get(c["url"]) for c in site)
        done = done and same
        rollback["answers"] = live.statuses(site)
    rollback["verified"] = done
    result.update(verified=False, rolled_back=True, rollback=rollback)
    if done:
        again = f", {plan.domain} answers {rollback['answers']} again" if master else ""
        result["summary"] = f"rolled back: {why}; {plan.file} restored{again}"
    else:
        result["summary"] = (
            f"ROLLBACK INCOMPLETE: {why}; then restoring {plan.file} did not fully work "
            f"(see rollback); the old file is at {result['backup']}: copy it back and run "
            "nginx -t, then reload nginx"
        )
    return result


async def fix_nginx_config(ctx: ToolContext, args: JSON) -> JSON:
    domain = domain_name(args.get("domain"))
    fix = check_fix_text(args.get("fix"))
    dry_run = bool(args.get("dry_run", True))
    budget = Budget(ctx.settings.tool_timeout_s - 1.0)
    state, blocks = await domain_blocks(ctx, domain)
    config = require_config(state)
    plan = await make_plan(ctx, state, config, blocks, domain, fix)
    if dry_run:
        return await _dry_run(ctx, state, config, plan)
    master = await live.find_master(ctx, state)
    ctx.cache.pop("nginx_state", None)  # whatever happens next, the parsed state is stale
    # Once the file is written, a timeout must not interrupt the rollback: shield it.
    task = asyncio.ensure_future(_apply(ctx, state, plan, master, budget))
    return await asyncio.shield(task)


def render(result: JSON) -> str:
    """The summary, the verdicts, then the diff as it applies."""
    if not result.get("ok", True) and "diff" not in result:
        return render_text(result)
    lines = [str(result.get("summary") or result.get("error", {}).get("message", ""))]
    lines.append(f"file: {result.get('file')} (server block at {result.get('server_block')})")
    test = result.get("test")
    if isinstance(test, dict):
        lines.append(f"nginx -t: {'ok' if test.get('ok') else 'FAILED'}")
        if not test.get("ok"):
            lines += ["  " + line for line in str(test.get("output", "")).splitlines()]
    for key in ("site_now", "site_before", "site_after"):
        for check in result.get(key, []):
            lines.append(
                f"{key.replace('_', ' ')}: {check['url']} -> {check['status'] or 'no answer'}"
            )
    rollback = result.get("rollback")
    if isinstance(rollback, dict):
        lines.append(f"rolled back: {rollback.get('reason')}")
        lines.append(f"  file restored: {'yes' if rollback.get('file_restored') else 'NO'}")
        if rollback.get("answers"):
            lines.append(f"  site answers: {rollback['answers']}")
    if result.get("backup"):
        lines.append(f"backup: {result['backup']}")
    if result.get("diff"):
        lines += ["", str(result["diff"]).rstrip("\n")]
    return "\n".join(lines)


@register(
    name="fix_nginx_config",
    family="actions_nginx",
    risk=Risk.HIGH,
    renderer=render,
    description="""
        Change the nginx config file that holds a domain's server block. `fix` is a unified
        diff against that file (--- a/PATH, +++ b/PATH, @@ hunks whose context and - lines
        are copied exactly from the file, e.g. from get_nginx_config), or a whole replacement
        `server { ... }` block that keeps the domain in server_name. Call it first with
        dry_run=true (the default, no approval needed): it shows the exact diff and the
        result of `nginx -t` on a temporary copy with the change, and what the site answers
        now; a change nginx -t rejects comes back as an error with nginx's output. The real
        run (dry_run=false) needs the person's approval: it backs the file up, writes it,
        runs nginx -t, reloads nginx, checks the site answers (2xx/3xx), and restores the
        backup automatically on any failure. Result: file, diff, lines_added/removed, test
        {ok, output}, site_before/site_after [{url, status}], backup, verified, rolled_back,
        rollback {reason, file_restored, answers}. Refused: other files, credential paths,
        diffs that do not apply, directives that load code or point at credentials.
    """,
    schema=object_schema(
        {
            "domain": {
                "type": "string",
                "maxLength": 260,
                "description": "A domain nginx serves, e.g. shop.example.com.",
            },
            "fix": {
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_FIX_BYTES,
                "description": "A unified diff against the domain's config file, or a "
                "replacement server { ... } block for the domain.",
            },
            "dry_run": {
                "type": "boolean",
                "default": True,
                "description": "true: only show the diff and nginx -t on a copy (no approval "
                "needed).",
            },
        },
        required=["domain", "fix"],
    ),
)
async def fix_nginx_config_tool(ctx: ToolContext, args: JSON) -> JSON:
    return await fix_nginx_config(ctx, args)
