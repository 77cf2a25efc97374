"""Service managers: which ones run on a host, and their services in one common shape.

One module per manager (``systemd``, ``supervisor``, ``pm2``, ``docker``), each with
``async probe(ctx) -> ManagerProbe`` (detection and listing in one pass: for most managers
the listing command *is* the liveness check) and ``async recent_logs(ctx, record, lines)``.
Modules are imported lazily, only for the managers the settings ask for. How a manager
keeps its logs is known only in its module: ``get_logs`` (``pm2:APP``, a supervisord
program) reads them through the same functions as ``recent_logs``. The helpers here that
the modules share (``run``, ``unavailable``, ``first_line``, ``now``, ``merge_streams``) are
called as ``managers.run(...)``, so a call says where it comes from.

``collect_services`` is the entry point other tools use (``list_services``,
``get_service_status``, ``list_apps``, ``sfai check``); its result is memoised in
``ctx.cache`` so one request probes each manager once.
"""

from __future__ import annotations

import asyncio
import importlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

from sfai_agent.exec.base import DEFAULT_MAX_OUTPUT, CommandResult, ExecutorError
from sfai_agent.tools.base import ToolContext

KNOWN_MANAGERS: tuple[str, ...] = ("systemd", "supervisor", "pm2", "docker")
STATES: tuple[str, ...] = ("running", "failed", "stopped", "starting", "unknown")
"""The normalised states; ``raw_state`` keeps the manager's own word."""

_CACHE_KEY = "services.probes"


@dataclass
class ServiceRecord:
    """One service as any manager reports it, so tools and analyzers compare like with like.

    ``uptime_s`` is set only while running; ``since`` is when the current state began (ISO
    8601 UTC) when the manager says; ``exit_code`` only when not running (128+N for a
    signal); ``restarts`` is the manager's own counter (supervisor: restarts seen in its log
    since it started). ``details`` (cwd, unit, container id, log paths...) and ``aliases``
    serve other tools and are not part of ``as_dict()``.
    """

    name: str
    manager: str
    state: str
    raw_state: str
    description: str = ""
    pid: int | None = None
    uptime_s: int | None = None
    since: str | None = None
    restarts: int | None = None
    exit_code: int | None = None
    details: dict[str, str] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "manager": self.manager,
            "state": self.state,
            "raw_state": self.raw_state,
            "description": self.description,
            "pid": self.pid,
            "uptime_s": self.uptime_s,
            "since": self.since,
            "restarts": self.restarts,
            "exit_code": self.exit_code,
        }

    def answers_to(self, name: str) -> bool:
        return name == self.name or name in self.aliases


@dataclass
class ManagerProbe:
    """Whether a manager answers on this host, why not, and what it manages."""

    name: str
    available: bool
    reason: str = ""
    records: list[ServiceRecord] = field(default_factory=list)

    def note(self) -> dict[str, Any]:
        note: dict[str, Any] = {"name": self.name, "available": self.available}
        if not self.available:
            note["reason"] = self.reason
        return note


def unavailable(name: str, reason: str) -> ManagerProbe:
    return ManagerProbe(name=name, available=False, reason=reason)


def now() -> float:
    return datetime.now(UTC).timestamp()


def first_line(*texts: str) -> str:
    """The first non-blank line of the first text that has one: the gist of an error."""
    for text in texts:
        for line in text.splitlines():
            if line.strip():
                return line.strip()[:300]
    return ""


async def run(
    ctx: ToolContext,
    argv: list[str],
    *,
    env: dict[str, str] | None = None,
    max_output: int = DEFAULT_MAX_OUTPUT,
) -> CommandResult:
    """Run a manager's command with the configured timeout."""
    return await ctx.executor.run(
        argv, timeout=ctx.settings.command_timeout_s, env=env, max_output=max_output
    )


def merge_streams(
    out: list[str], err: list[str], count: int, labels: tuple[str, str] = ("out", "err")
) -> list[str]:
    """A process's two streams in one list of at most ``count`` lines, each tagged with
    its stream (``[out] ...``), stdout first. stderr gets at least half the room when both
    are long, because that is where failures are."""
    n_err = min(len(err), max(count - len(out), (count + 1) // 2))
    n_out = min(len(out), count - n_err)
    return [f"[{labels[0]}] {line}" for line in out[len(out) - n_out :]] + [
        f"[{labels[1]}] {line}" for line in err[len(err) - n_err :]
    ]


def _module(name: str) -> ModuleType:
    return importlib.import_module(f"{__name__}.{name}")


async def _probe_one(ctx: ToolContext, name: str) -> ManagerProbe:
    if name not in KNOWN_MANAGERS:
        return unavailable(
            name, f"sfai does not know this manager (known: {', '.join(KNOWN_MANAGERS)})"
        )
    try:
        probe: ManagerProbe = await _module(name).probe(ctx)
    except ExecutorError as exc:
        if exc.code == "timeout":
            return unavailable(
                name, f"{name} did not answer within {ctx.settings.command_timeout_s:g}s"
            )
        return unavailable(name, exc.message)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        return unavailable(name, f"could not read {name}'s answer: {type(exc).__name__}: {exc}")
    return probe


async def probe_managers(ctx: ToolContext) -> list[ManagerProbe]:
    """Probe the configured managers concurrently, in settings order; memoised per request."""
    cached = ctx.cache.get(_CACHE_KEY)
    if cached is not None:
        return list(cached)
    names = list(dict.fromkeys(ctx.settings.service_managers))
    probes = list(await asyncio.gather(*(_probe_one(ctx, name) for name in names)))
    ctx.cache[_CACHE_KEY] = probes
    return list(probes)


async def collect_services(ctx: ToolContext) -> tuple[list[ServiceRecord], list[dict[str, Any]]]:
    """Every service of every available manager, and one availability note per manager
    (``{name, available, reason?}``), both in ``ctx.settings.service_managers`` order."""
    probes = await probe_managers(ctx)
    records = [record for probe in probes for record in probe.records]
    return records, [probe.note() for probe in probes]


def match_services(records: list[ServiceRecord], name: str) -> list[ServiceRecord]:
    """Records answering to ``name`` (``nginx``, ``nginx.service``), in manager order; a
    ``manager:NAME`` form (``docker:web``) restricts to that manager when nothing matches
    the name as a whole (supervisor's own ``group:program`` names come first)."""
    found = [record for record in records if record.answers_to(name)]
    if found or ":" not in name:
        return found
    prefix, rest = name.split(":", 1)
    return [r for r in records if r.manager == prefix and r.answers_to(rest)]


async def recent_logs(ctx: ToolContext, record: ServiceRecord, lines: int = 20) -> list[str]:
    """The last ``lines`` log lines of a service, from its own manager."""
    result: list[str] = await _module(record.manager).recent_logs(ctx, record, lines)
    return result


__all__ = [
    "KNOWN_MANAGERS",
    "STATES",
    "ManagerProbe",
    "ServiceRecord",
    "collect_services",
    "match_services",
    "probe_managers",
    "recent_logs",
]
