"""``clean_disk``: free space from known-safe targets (``cleanup_targets``,
``cleanup_commands``), previewed first, then exactly what the preview listed.

The dry-run computes a plan: every file with its size, mtime, inode and device (files open
for writing already left out), and what each command target would do. The plan is kept in
the tool context (``ctx.cache``, the life of the session on this host) under the call's
arguments. The real run with the same arguments takes that plan, not a new listing, and
re-checks each file just before removing it: a file gone, replaced or modified since the
preview, or open for writing now, is skipped and reported. Files that appeared since the
preview are not touched. Without a preview in this session (a direct call) the real run
lists now and removes that listing, with the same checks (``plan: "fresh"``).

Space is measured, not assumed: ``freed_bytes`` is the sum of what was removed (apparent
sizes, plus what the command targets report), ``measured_freed_bytes`` the drop in used
space of the filesystems involved (statvfs before and after; other writers on those
filesystems count too).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sfai_agent.exec.base import ExecutorError
from sfai_agent.policy.credentials import is_credential_path
from sfai_agent.tools import cleanup_commands as commands
from sfai_agent.tools.base import JSON, Risk, ToolContext, object_schema, register
from sfai_agent.tools.cleanup_commands import CommandTarget
from sfai_agent.tools.cleanup_targets import (
    COMMAND_RULES,
    Candidate,
    Listing,
    Roots,
    Target,
    list_files,
    parse_targets,
)
from sfai_agent.tools.logtime import iso_utc
from sfai_agent.tools.render import human_bytes

LISTED_PER_TARGET = 100
SHOWN = 100
MAX_PLANS = 16
"""Dry-run plans kept per session (the oldest go first)."""
_PLANS_KEY = "clean_disk.plans"


@dataclass
class Plan:
    files: list[Candidate]
    listing: Listing
    older_than_days: float | None = None
    commands: dict[str, CommandTarget] = field(default_factory=dict)
    created: float = field(default_factory=time.time)


def plan_key(items: list[str], older_than_days: float | None) -> str:
    return json.dumps([sorted(set(items)), older_than_days])


async def make_plan(
    ctx: ToolContext, targets: list[Target], older: float | None, roots: Roots
) -> Plan:
    listing = await list_files(ctx, [t for t in targets if t.rule not in COMMAND_RULES])
    listing.notes += [f"refused root {why}" for why in roots.refused]
    busy = await ctx.executor.open_for_writing([c.path for c in listing.files])
    files: list[Candidate] = []
    for candidate in listing.files:
        if candidate.path in busy:
            listing.skipped.append({"path": candidate.path, "reason": "open for writing"})
        else:
            files.append(candidate)
    plan = Plan(files, listing, older)
    for target in targets:
        if target.rule == "apt-cache":
            plan.commands[target.rule] = await commands.preview_apt(ctx)
        elif target.rule == "journal":
            plan.commands[target.rule] = await commands.preview_journal(ctx, older)
        elif target.rule == "docker":
            plan.commands[target.rule] = await commands.preview_docker(ctx, older)
    return plan


def _counts(items: list[dict[str, str]]) -> str:
    reasons = Counter(item["reason"].split(":")[0].split(" (")[0] for item in items)
    return ", ".join(f"{reason} {count}" for reason, count in reasons.most_common())


def _bounded(items: list[dict[str, Any]], key: str, result: JSON) -> None:
    result[key] = items[:SHOWN]
    if len(items) > SHOWN:
        result[f"{key}_not_shown"] = len(items) - SHOWN
    result[f"{key}_count"] = len(items)


def _notes(plan: Plan) -> list[str]:
    notes = list(plan.listing.notes)
    if plan.listing.credentials:
        notes.append(
            f"{plan.listing.credentials} credential files or directories left alone (never "
            "listed or removed)"
        )
    return notes


def _file_targets(targets: list[Target], files: list[Candidate], detail: bool) -> list[JSON]:
    rows: list[JSON] = []
    for target in targets:
        if target.rule in COMMAND_RULES:
            continue
        mine = sorted((c for c in files if c.target == target.label), key=lambda c: -c.size_bytes)
        row: JSON = {
            "target": target.label,
            "rule": target.rule,
            "files": len(mine),
            "bytes": sum(c.size_bytes for c in mine),
        }
        if detail:
            row["listed"] = [
                {"path": c.path, "size_bytes": c.size_bytes, "modified": iso_utc(c.mtime)}
                for c in mine[:LISTED_PER_TARGET]
            ]
            if len(mine) > LISTED_PER_TARGET:
                row["more"] = len(mine) - LISTED_PER_TARGET
        rows.append(row)
    return rows


def _per_target_text(rows: list[JSON]) -> str:
    parts = []
    for row in rows:
        if row.get("available") is False or row.get("ran") is False:
            parts.append(
                f"{row['target']} not available" if "ran" not in row else f"{row['target']} not run"
            )
        elif "ran" in row:
            parts.append(f"{row['target']} {human_bytes(row.get('bytes', 0))}")
        elif "commands" in row:
            parts.append(f"{row['target']} ~{human_bytes(row['bytes'])}")
        else:
            files = _plural(row["files"], "file")
            parts.append(f"{row['target']} {files} {human_bytes(row['bytes'])}")
    return "; ".join(parts)


def preview_result(targets: list[Target], plan: Plan) -> JSON:
    rows = _file_targets(targets, plan.files, detail=True)
    for command in plan.commands.values():
        row = command.as_dict()
        if command.available:
            row["listed"] = command.items[:LISTED_PER_TARGET]
        rows.append(row)
    files_bytes = sum(c.size_bytes for c in plan.files)
    total = files_bytes + sum(c.estimate_bytes for c in plan.commands.values() if c.available)
    summary = (
        f"dry-run: would free {human_bytes(total)} ({_per_target_text(rows)}); nothing was changed"
    )
    skipped = plan.listing.skipped
    if skipped:
        summary += f"; {len(skipped)} kept ({_counts(skipped)})"
    result: JSON = {"summary": summary, "dry_run": True, "targets": rows, "total_bytes": total}
    _bounded(skipped, "skipped", result)
    result["complete"] = plan.listing.complete
    if notes := _notes(plan):
        result["notes"] = notes
    return result


async def _filesystems(ctx: ToolContext, paths: list[str]) -> dict[int, str]:
    """One existing path per filesystem among ``paths`` (by device number)."""
    found: dict[int, str] = {}
    for path in paths:
        try:
            info = await ctx.executor.stat(path, follow_symlinks=True)
        except ExecutorError:
            continue
        found.setdefault(info.device, path)
    return found


async def _used(ctx: ToolContext, where: dict[int, str]) -> dict[int, int]:
    used: dict[int, int] = {}
    for device, path in where.items():
        try:
            used[device] = (await ctx.executor.fs_usage(path)).used_bytes
        except ExecutorError:
            continue
    return used


async def _still_planned(ctx: ToolContext, candidate: Candidate) -> str | None:
    """Why the planned file must not be removed now (None: it is the very file listed)."""
    try:
        info = await ctx.executor.stat(candidate.path)
    except ExecutorError as exc:
        return "gone since the dry-run" if exc.code == "not_found" else exc.message
    same = (info.kind, info.inode, info.device, info.size_bytes, info.mtime) == (
        "file",
        candidate.inode,
        candidate.device,
        candidate.size_bytes,
        candidate.mtime,
    )
    return None if same else "changed since the dry-run"


async def _remove_planned(
    ctx: ToolContext, plan: Plan, skipped: list[dict[str, str]]
) -> list[Candidate]:
    """Remove each planned file that is still the very file listed and not open for
    writing; everything else goes to ``skipped`` with the reason."""
    started = time.monotonic()
    budget_s = ctx.settings.tool_timeout_s * 0.6
    ready: list[Candidate] = []
    for candidate in plan.files:
        reason = await _still_planned(ctx, candidate)
        if reason is None and is_credential_path(candidate.path):
            reason = "credential file"
        if reason is None:
            ready.append(candidate)
        else:
            skipped.append({"path": candidate.path, "reason": reason})
    busy = await ctx.executor.open_for_writing([c.path for c in ready])
    removed: list[Candidate] = []
    for index, candidate in enumerate(ready):
        if time.monotonic() - started > budget_s:
            skipped += [
                {"path": c.path, "reason": "not reached within the time limit; run again"}
                for c in ready[index:]
            ]
            break
        # Checked again right before the unlink: the listing may be minutes old.
        reason = "open for writing" if candidate.path in busy else None
        reason = reason or await _still_planned(ctx, candidate)
        if reason is not None:
            skipped.append({"path": candidate.path, "reason": reason})
            continue
        try:
            await ctx.executor.remove_file(candidate.path)
        except ExecutorError as exc:
            skipped.append({"path": candidate.path, "reason": f"not removed: {exc.message}"})
            continue
        removed.append(candidate)
    return removed


async def _run_command(ctx: ToolContext, rule: str, planned: CommandTarget, plan: Plan) -> JSON:
    """Run one command target as its preview (``planned``) described it."""
    if not planned.available:
        return {"target": rule, "ran": False, "reason": planned.reason}
    if rule == "apt-cache":
        return await commands.run_apt(ctx, planned)
    if rule == "journal":
        return await commands.run_journal(ctx, plan.older_than_days)
    return await commands.run_docker(ctx, plan.older_than_days)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


async def execute(ctx: ToolContext, targets: list[Target], plan: Plan, fresh: bool) -> JSON:
    skipped: list[dict[str, str]] = list(plan.listing.skipped)
    measure = [root for t in targets for root in t.roots]
    measure += [p for c in plan.commands.values() for p in c.measure]
    where = await _filesystems(ctx, measure)
    before = await _used(ctx, where)
    removed = await _remove_planned(ctx, plan, skipped)
    rows = _file_targets(targets, removed, detail=False)
    removed_rows: list[JSON] = [{"path": c.path, "size_bytes": c.size_bytes} for c in removed]
    freed = sum(c.size_bytes for c in removed)
    for rule, planned in plan.commands.items():
        outcome = await _run_command(ctx, rule, planned, plan)
        freed += int(outcome.get("bytes", 0))
        if "reason" in outcome:
            skipped.append({"path": rule, "reason": str(outcome["reason"])})
        removed_rows += outcome.pop("removed", [])
        rows.append(outcome)
    after = await _used(ctx, where)
    measured = sum(before[d] - after[d] for d in before if d in after)
    summary = (
        f"removed {_plural(len(removed), 'file')}, freed {human_bytes(freed)} (measured "
        f"{human_bytes(measured)} on {_plural(len(before), 'filesystem')})"
    )
    if plan.commands:
        summary += f"; {_per_target_text([r for r in rows if 'ran' in r])}"
    if skipped:
        summary += f"; {len(skipped)} skipped ({_counts(skipped)})"
    result: JSON = {
        "summary": summary,
        "dry_run": False,
        "plan": "fresh" if fresh else "dry-run",
        "targets": rows,
        "planned_bytes": sum(c.size_bytes for c in plan.files),
        "freed_bytes": freed,
        "measured_freed_bytes": measured,
    }
    _bounded(removed_rows, "removed", result)
    _bounded(skipped, "skipped", result)
    if notes := _notes(plan):
        result["notes"] = notes
    return result


def render_clean_disk(result: JSON) -> str:
    """Every file the dry-run would delete, with its size: what the person approves."""
    lines = [str(result.get("summary", ""))]
    for row in result.get("targets", []):
        size = human_bytes(row.get("bytes", 0))
        lines.append(
            f"{row.get('target')}: {row.get('files', '')} file(s), {size}".replace(" , ", " ")
        )
        for item in row.get("listed", []):
            if isinstance(item, dict):
                lines.append(f"  {human_bytes(item.get('size_bytes', 0)):>10}  {item.get('path')}")
            else:
                lines.append(f"  {item}")
        if row.get("more"):
            lines.append(f"  … and {row['more']} more file(s)")
    for key in ("removed", "skipped"):
        entries = result.get(key) or []
        if entries:
            lines.append(f"{key}:")
            for entry in entries[:50]:
                if isinstance(entry, dict):
                    reason = f" ({entry['reason']})" if entry.get("reason") else ""
                    lines.append(f"  {entry.get('path')}{reason}")
            count = result.get(f"{key}_count", len(entries))
            if isinstance(count, int) and count > min(len(entries), 50):
                lines.append(f"  … and {count - min(len(entries), 50)} more")
    for note in result.get("notes", []) or []:
        lines.append(f"note: {note}")
    return "\n".join(lines)


@register(
    name="clean_disk",
    renderer=render_clean_disk,
    family="actions_disk",
    risk=Risk.HIGH,
    description="""
        Free disk space from known-safe targets only. Deletes files: the real run
        (dry_run=false) needs the person's approval; call it first with dry_run=true (the
        default, no approval needed, changes nothing) to list every file or target with
        its size and the total. The real run removes exactly what the dry-run of the same
        arguments listed: a file that changed, vanished or is open for writing since is
        skipped and reported, and new files are left alone. `paths` items: "rotated-logs"
        (rotated and compressed logs under the log roots: syslog.1, access.log.2.gz,
        app.log-20261101; never a live *.log), "tmp" (files in the temp dirs not modified
        for older_than_days, default the configured temp_max_age_days), "cache" or
        "cache:DIR" (files in the cache directories the config declares), "apt-cache"
        (apt-get clean: downloaded packages), "journal" (journalctl --vacuum-time:
        archived journals older than older_than_days, default 7), "docker" (dangling images
        and build cache: docker image prune / builder prune), or an absolute path under a
        log root, temp dir or cache dir (the same rule applies below it). Anything else is
        refused. Symlinks are never followed or removed, directories are never removed,
        credential files are never touched. Result: targets [{target, rule, files, bytes,
        listed}], skipped [{path, reason}], total_bytes; after a real run removed,
        freed_bytes (sizes removed) and measured_freed_bytes (filesystem usage before and
        after).
    """,
    schema=object_schema(
        {
            "paths": {
                "type": "array",
                "items": {"type": "string", "minLength": 1, "maxLength": 4096},
                "minItems": 1,
                "maxItems": 20,
                "description": "Targets: rotated-logs, tmp, cache, cache:DIR, apt-cache, "
                "journal, docker, or absolute paths under them.",
            },
            "dry_run": {
                "type": "boolean",
                "default": True,
                "description": "true: only list what would be removed (no approval needed).",
            },
            "older_than_days": {
                "type": "number",
                "minimum": 0,
                "maximum": 36500,
                "description": "Only what was last modified more than this many days ago.",
            },
        },
        required=["paths"],
    ),
)
async def clean_disk(ctx: ToolContext, args: JSON) -> JSON:
    items = [str(item) for item in args["paths"]]
    older = args.get("older_than_days")
    older_days = float(older) if older is not None else None
    targets, roots = await parse_targets(ctx, items, older_days)
    plans: dict[str, Plan] = ctx.cache.setdefault(_PLANS_KEY, {})
    key = plan_key(items, older_days)
    if bool(args.get("dry_run", True)):
        plan = await make_plan(ctx, targets, older_days, roots)
        plans.pop(key, None)
        plans[key] = plan
        while len(plans) > MAX_PLANS:
            plans.pop(next(iter(plans)))
        return preview_result(targets, plan)
    planned = plans.get(key)
    if planned is None:
        listed_now = await make_plan(ctx, targets, older_days, roots)
        return await execute(ctx, targets, listed_now, fresh=True)
    return await execute(ctx, targets, planned, fresh=False)
