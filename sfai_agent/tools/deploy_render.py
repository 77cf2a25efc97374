"""Words for ``deploy_app`` results: the one-line summaries and the text renderer.

A summary is read in five seconds: what was deployed (old → new commit), whether it is
verified, and when it failed, at which step, why, and where the app stands now.
"""

from __future__ import annotations

from typing import Any

from sfai_agent.tools.base import JSON

_STEP_WORDS = {
    "fetch": "fetch",
    "checkout": "checkout",
    "fast_forward": "fast-forward",
    "build": "build",
    "restart": "restart",
    "health_check": "health check",
    "restore": "restore",
}


def _short(view: Any) -> str:
    if isinstance(view, dict) and view.get("commit"):
        return str(view.get("short") or str(view["commit"])[:7])
    return "?"


def _commit_line(view: Any) -> str:
    if not isinstance(view, dict) or not view.get("commit"):
        return "unknown"
    subject = view.get("subject")
    return f'{_short(view)} "{subject}"' if subject else _short(view)


def _health_words(health: Any) -> str:
    if not isinstance(health, dict):
        return ""
    if health.get("status"):
        return f"health HTTP {health['status']}"
    return f"health: {health.get('error') or 'no answer'}"


def _why(failure: JSON) -> str:
    if failure.get("step") == "health_check":
        status = failure.get("status")
        return f"HTTP {status}" if status else str(failure.get("error") or "no answer")
    tail = [line for line in failure.get("output_tail", []) if str(line).strip()]
    last = str(tail[-1]).strip() if tail else ""
    for tag in ("[stderr] ", "[stdout] "):
        last = last.removeprefix(tag)
    last = last[:160]
    code = failure.get("exit_code")
    head = f"exit {code}" if code not in (None, 0) else ""
    return "; ".join(part for part in (head, last) if part) or "failed"


def dry_run_summary(result: JSON) -> str:
    app = result["app"]
    current, target = result.get("current", {}), result.get("target", {})
    refusals = [w for w in result.get("warnings", []) if "REFUSE" in w]
    if refusals:
        return f"dry-run: deploy {app} would be refused: {refusals[0].split(': ', 1)[-1]}"
    if result.get("nothing_to_deploy"):
        return f"dry-run: {app} is already at {_commit_line(current)}: nothing to deploy"
    ahead = target.get("ahead")
    count = f" ({ahead} new commit{'s' if ahead != 1 else ''})" if ahead else ""
    if target.get("behind"):
        count = f" (goes back {target['behind']} commit(s), adds {ahead or 0})"
    steps = result.get("steps", [])
    builds = sum(1 for s in steps if s["step"] == "build")
    plan = ["fetch", "check out" if result.get("ref") else f"fast-forward {result['branch']}"]
    if builds:
        plan.append(f"{builds} build step{'s' if builds != 1 else ''}")
    if any(s["step"] == "restart" for s in steps):
        plan.append(f"restart {result['service']}")
    if result.get("health_url"):
        plan.append(f"check {result['health_url']}")
    return (
        f"dry-run: deploy {app} {_short(current)} → {_short(target)}{count} "
        f"from {target.get('source', '?')}: {', '.join(plan)}"
    )


def run_summary(result: JSON) -> str:
    app = result["app"]
    before, after, target = result.get("before"), result.get("after"), result.get("target")
    health = _health_words(result.get("health"))
    if result.get("nothing_to_deploy"):
        state = "verified" if result.get("verified") else "NOT healthy"
        tail = f"; {health}" if health else ""
        return f"{app} is already at {_commit_line(before)}: nothing deployed, {state}{tail}"
    if result.get("verified"):
        build = f", built in {result.get('build_s', 0):g}s" if result.get("build_s") else ""
        restarted = f", {result['service']} restarted" if result.get("service") else ""
        tail = f", {health}" if health else ""
        return f"{app} deployed: {_short(before)} → {_commit_line(after)}{build}{restarted}{tail}"
    failure = result.get("failure") or {}
    step = _STEP_WORDS.get(str(failure.get("step")), str(failure.get("step")))
    head = f"{app} deploy of {_short(target)} FAILED at {step} ({_why(failure)})"
    rollback = result.get("rollback") or {}
    if rollback.get("verified"):
        back = _health_words(rollback.get("health"))
        return f"{head}; rolled back to {_short(before)}, verified" + (f", {back}" if back else "")
    failed = rollback.get("failed_step", "?")
    return (
        f"{head}; ROLLBACK to {_short(before)} FAILED at {_STEP_WORDS.get(failed, failed)}: "
        f"{app} may be down, now at {_short(after)} in {result['path']}"
    )


def _step_line(step: JSON) -> str:
    mark = "" if "ok" not in step else ("ok     " if step["ok"] else "FAILED ")
    what = " ".join(step["argv"]) if step.get("argv") else step.get("url", step.get("service", ""))
    facts = []
    if step.get("status"):
        facts.append(f"HTTP {step['status']}")
    if step.get("attempts"):
        facts.append(f"{step['attempts']} attempt(s)")
    if step.get("exit_code") not in (None, 0):
        facts.append(f"exit {step['exit_code']}")
    if step.get("duration_s") is not None:
        facts.append(f"{step['duration_s']:g}s")
    if step.get("waited_s") is not None:
        facts.append(f"{step['waited_s']:g}s")
    extra = f"  ({', '.join(facts)})" if facts else ""
    return f"  {mark}{step['step']:<13} {what}{extra}"


def render_deploy(result: JSON) -> str:
    lines = [str(result.get("summary", ""))]
    old = result.get("current") or result.get("before")
    target = result.get("target") or {}
    lines.append(f"commit: {_commit_line(old)} → {_commit_line(target)}")
    after = result.get("after")
    if isinstance(after, dict) and after.get("commit") not in (None, target.get("commit")):
        lines.append(
            f"now at: {_commit_line(after)}"
            + (" (rolled back)" if result.get("rolled_back") else "")
        )
    for commit in target.get("commits", []):
        lines.append(f"  + {commit['short']} {commit['subject']}")
    for warning in result.get("warnings", []):
        lines.append(f"warning: {warning}")
    lines.append("steps:")
    lines += [_step_line(step) for step in result.get("steps", [])]
    failure = result.get("failure")
    if failure and failure.get("output_tail"):
        lines.append(f"output of the failed {failure['step']}:")
        lines += [f"  {line}" for line in failure["output_tail"]]
    rollback = result.get("rollback")
    if rollback:
        lines.append("rollback:" + (" verified" if rollback.get("verified") else " FAILED"))
        lines += [_step_line(step) for step in rollback.get("steps", [])]
    if result.get("dry_run") and result.get("on_failure"):
        lines.append(f"on failure: {result['on_failure']}")
    return "\n".join(lines)
