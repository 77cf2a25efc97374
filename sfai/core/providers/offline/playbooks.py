"""Which read-only tools answer a question: the first round from the question (and any
piped text), further rounds from what the first results show."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sfai.core.checks.runner import BASE_TOOLS as CHECK_TOOLS
from sfai.core.checks.runner import tls_domains
from sfai.core.config import CheckThresholds
from sfai.core.providers.offline.intents import Intent, Understanding
from sfai.core.providers.offline.signals import Digest

JSON = dict[str, Any]
MAX_FAILED = 3
MAX_TLS = 8
MAX_CALLS = 16
FOLLOW_FAILED = frozenset({Intent.SERVICE, Intent.HEALTH, Intent.LOGS, Intent.WEB})
FOLLOW_TLS = frozenset({Intent.CERT, Intent.HEALTH})
FOLLOW_DISK = frozenset({Intent.DISK, Intent.HEALTH, Intent.SLOW})


@dataclass(frozen=True)
class ToolCall:
    name: str
    input: JSON = field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.name + ":" + json.dumps(self.input, sort_keys=True)


@dataclass(frozen=True)
class Done:
    """A call made earlier in this answer, with its structured result."""

    id: str
    name: str
    input: JSON
    result: JSON

    @property
    def ok(self) -> bool:
        return bool(self.result.get("ok"))

    @property
    def key(self) -> str:
        return ToolCall(self.name, self.input).key


@dataclass(frozen=True)
class Reason:
    """Why a further round is needed, for the sentence that announces it."""

    key: str
    values: dict[str, str]


class _Plan:
    def __init__(self, done: list[Done] | None = None) -> None:
        self.calls: list[ToolCall] = []
        self.seen = {d.key for d in done or []}
        self.log_sources = {str(d.input.get("source")) for d in done or [] if d.name == "get_logs"}

    def add(self, name: str, **arguments: Any) -> bool:
        arguments = {k: v for k, v in arguments.items() if v is not None}
        call = ToolCall(name, arguments)
        if call.key in self.seen or len(self.calls) >= MAX_CALLS:
            return False
        if name == "get_logs":
            if arguments["source"] in self.log_sources:
                return False  # one read of each log per answer
            self.log_sources.add(arguments["source"])
        self.seen.add(call.key)
        self.calls.append(call)
        return True


def _is_log_path(path: str, u: Understanding) -> bool:
    if Intent.LOGS not in u.intents:
        return False
    file_like = not path.endswith("/") and "." in path.rsplit("/", 1)[-1]
    return (path.startswith("/var/log/") and file_like) or Intent.DISK not in u.intents


def _log_source(name: str, u: Understanding) -> str:
    if name == "nginx":
        return "nginx:access" if u.access_log else "nginx:error"
    return name


def _intents(u: Understanding, piped: Digest | None) -> set[Intent]:
    """The question's topics, and those the piped lines point to. With piped text, a vague
    question ("why does it fail?") is about that text, not the whole server."""
    intents = set(u.intents)
    if piped is not None:
        if u.vague:
            intents.discard(Intent.HEALTH)
        intents |= piped.intents
    return intents


def first_round(u: Understanding, piped: Digest | None) -> list[ToolCall]:
    """The tools to call for the question, before seeing any result."""
    intents = _intents(u, piped)
    plan = _Plan()
    grep = "error" if u.wants_errors else None
    if Intent.HEALTH in intents:
        for name in CHECK_TOOLS:
            plan.add(name)
    if Intent.SERVICE in intents:
        for service in u.services:
            plan.add("get_service_status", service=service)
            plan.add("get_logs", source=_log_source(service, u), lines=50, since=u.since)
        if not u.services:
            plan.add("list_services")
    if Intent.LOGS in intents:
        sources = [_log_source(s, u) for s in u.log_sources]
        sources += [p for p in u.paths if _is_log_path(p, u)]
        if not sources and "nginx" in u.words:
            sources.append(_log_source("nginx", u))
        for source in sources:
            plan.add("get_logs", source=source, lines=100, grep=grep, since=u.since)
        if not sources and not u.services:
            plan.add("list_services")  # find what is failing, then read its logs
    if Intent.DISK in intents:
        plan.add("get_disk_usage")
        for path in u.paths:
            if not _is_log_path(path, u):
                plan.add("get_disk_usage", path=path)
        if Intent.LOGS in intents and not u.paths:
            plan.add("get_disk_usage", path="/var/log")
    if Intent.MEMORY in intents:
        plan.add("get_memory_status")
    if Intent.SLOW in intents:
        for name in ("get_system_overview", "get_memory_status", "get_disk_usage"):
            plan.add(name)
    if Intent.WEB in intents:
        plan.add("list_apps")
        for domain in u.domains:
            plan.add("get_nginx_config", domain=domain)
    if Intent.CERT in intents:
        for domain in u.domains:
            plan.add("get_ssl_status", domain=domain)
        if not u.domains:
            plan.add("list_apps")
    if Intent.INVENTORY in intents:
        plan.add("list_apps")
        plan.add("list_services")
    return plan.calls


def failed_services(done: list[Done]) -> list[JSON]:
    """Failed service records seen in list_services or list_apps, once each."""
    found: dict[str, JSON] = {}
    for call in done:
        if call.ok and call.name in ("list_services", "list_apps"):
            for record in call.result.get("services") or []:
                if record.get("state") == "failed":
                    found.setdefault(str(record.get("name")), record)
    return list(found.values())


def service_target(record: JSON) -> str:
    """How the tools address a service: plain for systemd and supervisor, else manager:name."""
    name, manager = str(record.get("name", "")), str(record.get("manager", ""))
    return f"{manager}:{name}" if manager in ("docker", "pm2") else name


def next_round(
    u: Understanding, piped: Digest | None, done: list[Done], limits: CheckThresholds
) -> tuple[list[ToolCall], list[Reason]]:
    """Calls the results so far call for (nothing new when the answer can be written)."""
    intents = _intents(u, piped)
    plan = _Plan(done)
    reasons: list[Reason] = []
    results = {d.name: d.result for d in done if d.ok}
    looked_up = {str(d.input.get("service")) for d in done if d.name == "get_service_status"}
    if intents & FOLLOW_FAILED:
        for record in failed_services(done)[:MAX_FAILED]:
            target = service_target(record)
            if target in looked_up:
                continue
            added = plan.add("get_service_status", service=target)
            added = plan.add("get_logs", source=target, lines=50) or added
            if added:
                reasons.append(Reason("why_failed", {"name": str(record.get("name"))}))
    if intents & FOLLOW_TLS and "list_apps" in results:
        domains = tls_domains(results["list_apps"])[:MAX_TLS]
        if sum(plan.add("get_ssl_status", domain=d) for d in domains):
            reasons.append(Reason("why_tls", {"count": str(len(domains))}))
    if intents & FOLLOW_DISK and "get_disk_usage" in results:
        scanned = any(d.name == "get_disk_usage" and d.input.get("path") for d in done)
        full = [
            fs
            for fs in results["get_disk_usage"].get("filesystems", [])
            if float(fs.get("used_percent") or 0) >= limits.disk_warning_percent
        ]
        full.sort(key=lambda fs: -float(fs.get("used_percent") or 0))
        if full and not scanned and plan.add("get_disk_usage", path=full[0]["mountpoint"]):
            reasons.append(Reason("why_full", {"mount": str(full[0]["mountpoint"])}))
    apps = results.get("list_apps", {})
    wants_nginx_log = Intent.WEB in intents and piped is None
    if (
        wants_nginx_log
        and isinstance(apps.get("nginx"), dict)
        and plan.add("get_logs", source="nginx:error", lines=50)
    ):
        reasons.append(Reason("why_nginx", {}))
    return plan.calls, reasons
