"""The real run of ``deploy_app``: move the tree, build, restart, check, and undo on failure.

``Deployment`` runs each step as an argv, records it (argv, exit code, duration, the end of
its output when it fails) and stops at the first failure. ``roll_back`` then puts the tree
back on the commit (and branch) it held before, rebuilds it, restarts the service and checks
the health URL again, so a broken commit costs a few seconds of downtime, not an outage.

Time: the forward steps get ``FORWARD_SHARE`` of ``deploy_timeout_s`` and the rollback the
rest, so the runner's own limit never cuts a deploy between "broken" and "rolled back".
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field

from sfai_agent.exec.base import CommandResult, ExecutorError
from sfai_agent.tools import managers
from sfai_agent.tools.actions_services import restart_argv, watch
from sfai_agent.tools.app_specs import AppSpec
from sfai_agent.tools.base import JSON, ToolContext, ToolError
from sfai_agent.tools.git_ops import GIT_ENV, build_argv, git_argv
from sfai_agent.tools.http_check import http_check
from sfai_agent.tools.services import find_service

FORWARD_SHARE = 0.6
TAIL_LINES = 20
HEALTH_POLL_S = 0.5
RESTART_TIMEOUT_S = 60.0
_PROBES_CACHE_KEY = "services.probes"


def output_tail(result: CommandResult, lines: int = TAIL_LINES) -> list[str]:
    text = "\n".join(part for part in (result.stdout.rstrip(), result.stderr.rstrip()) if part)
    return [line[:300] for line in text.splitlines()[-lines:]]


@dataclass(frozen=True)
class Origin:
    """Where the tree was before the deploy: what a rollback restores."""

    commit: str
    branch: str | None


def restore_argvs(spec: AppSpec, origin: Origin) -> list[tuple[str, list[str]]]:
    """The git commands that put the tree back on ``origin`` (tracked files only: untracked
    build output is rebuilt by the build steps that follow)."""
    if origin.branch is None:
        checkout = ["-c", "advice.detachedHead=false", "checkout", "--quiet", "--force"]
        return [("restore", git_argv(spec, *checkout, "--detach", origin.commit))]
    return [
        ("restore", git_argv(spec, "checkout", "--quiet", "--force", origin.branch, "--")),
        ("restore", git_argv(spec, "reset", "--quiet", "--hard", origin.commit)),
    ]


@dataclass
class Deployment:
    """One pass of steps (the deploy, or the rollback), stopping at the first failure."""

    ctx: ToolContext
    spec: AppSpec
    deadline: float
    steps: list[JSON] = field(default_factory=list)
    failure: JSON | None = None
    health: JSON | None = None

    def remaining(self) -> float:
        return max(self.deadline - time.monotonic(), 1.0)

    def _fail(self, record: JSON) -> bool:
        self.failure = record
        return False

    async def command(self, step: str, argv: list[str], timeout: float) -> bool:
        """Run one step; False (and ``failure`` set) when it exits non-zero or times out."""
        started = time.monotonic()
        record: JSON = {"step": step, "argv": argv}
        try:
            result = await self.ctx.executor.run(
                argv, timeout=min(timeout, self.remaining()), env=GIT_ENV
            )
        except ExecutorError as exc:
            record.update(
                {
                    "ok": False,
                    "exit_code": None,
                    "duration_s": round(time.monotonic() - started, 2),
                    "output_tail": [exc.message],
                }
            )
            self.steps.append(record)
            return self._fail(record)
        record.update(
            {
                "ok": result.ok,
                "exit_code": result.returncode,
                "duration_s": round(result.duration_s, 2),
            }
        )
        self.steps.append(record)
        if not result.ok:
            record["output_tail"] = output_tail(result)
            return self._fail(record)
        return True

    async def build(self) -> bool:
        for argv in self.spec.build:
            if not await self.command(
                "build", build_argv(self.spec, argv), self.spec.build_timeout_s
            ):
                return False
        return True

    async def restart(self) -> bool:
        """Restart the declared service through its manager and watch it run as a new
        process (the checks of restart_service)."""
        if not self.spec.service:
            return True
        self.ctx.cache.pop(_PROBES_CACHE_KEY, None)
        started = time.monotonic()
        record: JSON = {"step": "restart", "service": self.spec.service}
        try:
            found, _ = await find_service(self.ctx, self.spec.service, "restart")
            argv = restart_argv(self.ctx, found)
        except ToolError as exc:
            record.update({"ok": False, "output_tail": [exc.message]})
            self.steps.append(record)
            return self._fail(record)
        record["argv"] = argv
        ok = await self.command("restart", argv, min(RESTART_TIMEOUT_S, self.remaining()))
        record = self.steps[-1]
        record["service"] = self.spec.service
        try:
            after, verified = await watch(self.ctx, found, started)
        except (ExecutorError, ToolError) as exc:
            after, verified = None, False
            record.setdefault("output_tail", []).append(f"cannot watch it: {exc.message}")
        self.ctx.cache.pop(_PROBES_CACHE_KEY, None)
        record["state"] = after.state if after else "missing"
        record["pid"] = after.pid if after else None
        record["duration_s"] = round(time.monotonic() - started, 2)
        if ok and verified:
            return True
        record["ok"] = False
        try:
            logs = await managers.recent_logs(self.ctx, after or found, TAIL_LINES)
        except (ExecutorError, ToolError) as exc:
            logs = [f"(no logs: {exc.message})"]
        said = record.get("output_tail", [])[-3:]
        record["output_tail"] = [
            *said,
            f"{self.spec.service} is {record['state']} after the restart; its last log lines:",
            *logs,
        ]
        return self._fail(record)

    async def check_health(self) -> bool:
        """Ask the health URL until it answers 2xx/3xx or ``health_timeout_s`` passes."""
        if not self.spec.health_url:
            return True
        started = time.monotonic()
        until = min(started + self.spec.health_timeout_s, self.deadline)
        attempts = 0
        while True:
            attempts += 1
            wait = max(min(self.ctx.settings.site_check_timeout_s, until - time.monotonic()), 1.0)
            try:
                answer = await http_check(self.ctx, self.spec.health_url, timeout_s=wait)
            except ToolError as exc:  # no curl on the host: no verdict is a failed check
                answer = {"status": None, "ok": False, "error": exc.message}
                break
            if answer["ok"] or time.monotonic() + HEALTH_POLL_S >= until:
                break
            await asyncio.sleep(HEALTH_POLL_S)
        self.health = {
            "url": self.spec.health_url,
            "status": answer["status"],
            "ok": answer["ok"],
            "attempts": attempts,
            "waited_s": round(time.monotonic() - started, 2),
            "error": answer["error"],
        }
        record: JSON = {"step": "health_check", **self.health}
        self.steps.append(record)
        if not answer["ok"]:
            got = f"HTTP {answer['status']}" if answer["status"] else answer["error"] or "no answer"
            record["output_tail"] = [
                f"{self.spec.health_url} answered {got} ({attempts} attempts over "
                f"{self.health['waited_s']:g}s)"
            ]
            return self._fail(record)
        return True

    async def release(self) -> bool:
        """Build, restart, health-check the tree as it is now."""
        return await self.build() and await self.restart() and await self.check_health()

    async def guarded(self, steps: Awaitable[bool]) -> bool:
        """``steps``, with an unexpected error turned into a failed step: once the tree has
        moved, whatever goes wrong must still end in a rollback."""
        try:
            return await steps
        except (ExecutorError, ToolError) as exc:
            why = exc.message
        except Exception as exc:  # a bug must not leave a half-deployed app
            why = f"{type(exc).__name__}: {exc}"
        record: JSON = {"step": "internal", "ok": False, "output_tail": [why]}
        self.steps.append(record)
        return self._fail(record)


async def roll_back(
    ctx: ToolContext, spec: AppSpec, origin: Origin, deadline: float, *, rebuild: bool
) -> JSON:
    """Put the tree back on ``origin``; with ``rebuild`` (the failure came at or after the
    build) also rebuild, restart and check it. Returns ``{verified, steps, health, failure}``."""
    back = Deployment(ctx, spec, deadline)
    restored = True
    for step, argv in restore_argvs(spec, origin):
        if not await back.command(step, argv, ctx.settings.command_timeout_s * 6):
            restored = False
            break
    verified = restored and await back.guarded(back.release() if rebuild else back.check_health())
    report: JSON = {"restored": restored, "verified": verified, "steps": back.steps}
    if back.health is not None:
        report["health"] = back.health
    if back.failure is not None:
        report["failed_step"] = back.failure["step"]
    return report
