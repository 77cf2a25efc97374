"""Tools of the services family: ``list_services`` and ``get_service_status``.

Both read the same per-request snapshot of every configured service manager
(:func:`sfai_agent.tools.managers.collect_services`), so a question that lists services and
then looks at one sees a consistent picture and probes each manager once.
"""

from __future__ import annotations

import difflib
from typing import Any

from sfai_agent.exec.base import ExecutorError
from sfai_agent.policy.identifiers import service_name
from sfai_agent.tools.base import JSON, ToolContext, ToolError, object_schema, register
from sfai_agent.tools.managers import (
    STATES,
    ServiceRecord,
    collect_services,
    match_services,
    recent_logs,
)
from sfai_agent.tools.render import render_text

LOG_LINES = 20
STATE_FILTERS = ("running", "failed", "stopped", "all")
_SHOWN_NAMES = 5
_LIST_HINT = "see every service with: sfai tools run list_services"


def human_duration(seconds: int) -> str:
    """``93784`` → ``1d 2h``: two units are enough to read an uptime at a glance."""
    units = (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1))
    rest = max(int(seconds), 0)
    first = next(i for i, (_, size) in enumerate(units) if rest >= size or size == 1)
    parts: list[str] = []
    for label, size in units[first : first + 2]:
        if size == units[first][1] or rest >= size:
            parts.append(f"{rest // size}{label}")
        rest %= size
    return " ".join(parts)


def _names(records: list[ServiceRecord]) -> str:
    names = [record.name for record in records[:_SHOWN_NAMES]]
    if len(records) > _SHOWN_NAMES:
        names.append(f"+{len(records) - _SHOWN_NAMES} more")
    return ", ".join(names)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _counts(records: list[ServiceRecord]) -> dict[str, int]:
    counts = dict.fromkeys(STATES, 0)
    for record in records:
        counts[record.state] = counts.get(record.state, 0) + 1
    counts["total"] = len(records)
    return counts


def _list_summary(
    records: list[ServiceRecord], shown: list[ServiceRecord], wanted: str, managers: list[str]
) -> str:
    where = f"({', '.join(managers)})"
    if wanted != "all":
        if not shown:
            return f"no {wanted} services among {_plural(len(records), 'service')} {where}"
        return (
            f"{len(shown)} {wanted} of {_plural(len(records), 'service')} {where}: {_names(shown)}"
        )
    if not records:
        return f"no services {where}"
    parts = []
    for state in STATES:
        matching = [record for record in records if record.state == state]
        if matching:
            named = f" ({_names(matching)})" if state in ("failed", "starting", "unknown") else ""
            parts.append(f"{len(matching)} {state}{named}")
    return f"{_plural(len(records), 'service')} {where}: {', '.join(parts)}"


_LOOKED_FOR = {
    "systemd": "systemd (PID 1)",
    "supervisor": "supervisord (supervisorctl status)",
    "pm2": "PM2 (pm2 jlist)",
    "docker": "docker (docker ps)",
}


def _nothing_found_hint(notes: list[dict[str, Any]]) -> str:
    looked = ", ".join(_LOOKED_FOR.get(str(n["name"]), str(n["name"])) for n in notes)
    return (
        f"sfai looked for {looked or 'nothing'}; see managers for why none answered. Start "
        "the one your services use, or set tools.service_managers in sfai's config"
    )


@register(
    name="list_services",
    family="services",
    description="""
        List the services on the host and their state, across every service manager that
        runs there (systemd, supervisord, PM2, docker). Each service has name, manager,
        state (running, failed, stopped, starting, unknown), raw_state (the manager's own
        word), description, pid, uptime_s, since, restarts and exit_code. Use
        state="failed" to see only what is broken; counts always cover every service.
        `managers` says which managers were found and why others were not.
    """,
    schema=object_schema(
        {
            "state": {
                "type": "string",
                "enum": list(STATE_FILTERS),
                "default": "all",
                "description": "Only services in this state (default: all).",
            }
        }
    ),
)
async def list_services(ctx: ToolContext, args: JSON) -> JSON:
    wanted = str(args.get("state", "all"))
    records, notes = await collect_services(ctx)
    available = [str(note["name"]) for note in notes if note["available"]]
    shown = [record for record in records if wanted == "all" or record.state == wanted]
    result: JSON = {
        "managers": notes,
        "services": [record.as_dict() for record in shown],
        "counts": _counts(records),
    }
    if not available:
        looked = ", ".join(str(note["name"]) for note in notes) or "none configured"
        result["summary"] = f"no service manager found on this host (looked for: {looked})"
        result["hint"] = _nothing_found_hint(notes)
        return result
    result["summary"] = _list_summary(records, shown, wanted, available)
    return result


def _status_summary(record: ServiceRecord) -> str:
    facts: list[str] = []
    if record.pid is not None:
        facts.append(f"pid {record.pid}")
    if record.uptime_s is not None:
        facts.append(f"up {human_duration(record.uptime_s)}")
    if record.exit_code is not None:
        facts.append(f"exit code {record.exit_code}")
    if record.restarts:
        facts.append(_plural(record.restarts, "restart"))
    raw = f" ({record.raw_state})" if record.raw_state.lower() != record.state else ""
    text = f"{record.name} ({record.manager}): {record.state}{raw}"
    if facts:
        text += ", " + ", ".join(facts)
    if record.description and not record.description.startswith("pid "):
        text += f"; {record.description}"
    return text


def render_status(result: JSON) -> str:
    """Like ``render_text``, with the log lines one per line instead of a joined list."""
    logs = result.get("recent_logs")
    text = render_text({key: value for key, value in result.items() if key != "recent_logs"})
    if result.get("ok", True) and isinstance(logs, list) and logs:
        text += "\nrecent_logs:" + "".join(f"\n  {line}" for line in logs)
    return text


def _close_names(name: str, records: list[ServiceRecord]) -> list[str]:
    names = list(dict.fromkeys(record.name for record in records))
    lowered = {candidate.lower(): candidate for candidate in names}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=3, cutoff=0.6)
    return [lowered[candidate] for candidate in close]


async def find_service(ctx: ToolContext, name: str, verb: str) -> tuple[ServiceRecord, list[str]]:
    """The record answering to ``name`` and the other managers with the same name.

    The first match in settings order wins (``manager:NAME`` picks one). Raises
    ``ToolError`` ``unavailable`` when no service manager answers (``verb`` says what could
    not be done, e.g. "look up" or "restart") and ``not_found``, with close names as a hint,
    when no manager knows ``name``.
    """
    records, notes = await collect_services(ctx)
    searched = [str(note["name"]) for note in notes if note["available"]]
    if not searched:
        raise ToolError(
            "unavailable",
            f"cannot {verb} {name!r}: no service manager found on this host",
            _nothing_found_hint(notes),
        )
    matches = match_services(records, name)
    if not matches:
        close = _close_names(name, records)
        hint = f"did you mean {' or '.join(close)}? {_LIST_HINT}" if close else _LIST_HINT
        raise ToolError("not_found", f"no service named {name!r} in {', '.join(searched)}", hint)
    record = matches[0]
    also_in = list(dict.fromkeys(m.manager for m in matches[1:] if m.manager != record.manager))
    return record, also_in


@register(
    name="get_service_status",
    family="services",
    description="""
        Status of one service by name, as list_services shows it (systemd units with or
        without .service; prefix with the manager, e.g. docker:web or pm2:api, to pick one
        when a name exists in several). Returns the service record (state, pid, uptime_s,
        restarts, exit_code...), its manager, other managers with the same name (also_in),
        and the last ~20 log lines (journal, supervisor stdout/stderr, PM2 log files,
        docker logs): start here to learn why a service failed.
    """,
    renderer=render_status,
    schema=object_schema(
        {
            "service": {
                "type": "string",
                "description": "The service name, e.g. nginx, worker, docker:web.",
            }
        },
        required=["service"],
    ),
)
async def get_service_status(ctx: ToolContext, args: JSON) -> JSON:
    name = service_name(args.get("service"))
    record, also_in = await find_service(ctx, name, "look up")
    result: JSON = {
        "summary": _status_summary(record),
        "service": record.as_dict(),
        "manager": record.manager,
    }
    if also_in:
        result["also_in"] = also_in
    if record.details:
        result["details"] = dict(record.details)
    try:
        result["recent_logs"] = await recent_logs(ctx, record, LOG_LINES)
    except (ExecutorError, ToolError) as exc:  # e.g. a PM2 log in a credential location
        result["recent_logs"] = []
        result["logs_error"] = exc.message
    return result
