"""From tool results to findings: ``sfai check``'s analyzers, plus what only a question
brings (a backend nginx cannot reach, what the log lines read for it say)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from sfai.core.checks import analyzers
from sfai.core.checks.findings import Finding, Severity
from sfai.core.config import CheckThresholds
from sfai.core.providers.offline import i18n
from sfai.core.providers.offline.playbooks import Done
from sfai.core.providers.offline.signals import Digest, Hit, digest, port_of, quote

JSON = dict[str, Any]
LOG_EVIDENCE_LINES = 3


@dataclass
class Item:
    """A finding and what to say under it in the answer's language."""

    finding: Finding
    notes: list[str] = field(default_factory=list)
    heading: str = ""
    """The line shown in the answer, when not the finding's (translated) title."""
    todo: str = ""
    """What to do, in the answer's language, when not the finding's (translated) next step."""
    quoted: bool = True
    """Whether the answer shows the evidence (piped lines are quoted in their own section)."""


def _analyze(call: Done, limits: CheckThresholds) -> list[Finding]:
    result = call.result
    if call.name == "get_disk_usage" and not call.input.get("path"):
        return analyzers.analyze_disk(result, limits, {})
    if call.name == "get_memory_status":
        return analyzers.analyze_memory(result, limits) + analyzers.analyze_oom(result)
    if call.name == "get_system_overview":
        return analyzers.analyze_load(result, limits)
    if call.name == "list_services":
        return analyzers.analyze_services(result)
    if call.name == "list_apps":
        return (
            analyzers.analyze_services(result)
            + analyzers.analyze_nginx(result)
            + analyzers.analyze_upstreams(result)
        )
    if call.name == "get_service_status" and isinstance(result.get("service"), dict):
        return analyzers.analyze_services({"services": [result["service"]]})
    if call.name == "get_ssl_status":
        return analyzers.analyze_certificate(result, limits)
    if call.name == "get_nginx_config" and isinstance(result.get("test"), dict):
        test = result["test"]
        nginx = {"test_ok": test.get("ok"), "test_output": test.get("output", "")}
        return analyzers.analyze_nginx({"nginx": nginx})
    return []


def _log_lines(done: list[Done], service: str) -> list[str]:
    lines: list[str] = []
    for call in done:
        if not call.ok:
            continue
        if call.name == "get_service_status" and call.input.get("service") == service:
            lines += [str(x) for x in call.result.get("recent_logs") or []]
        if call.name == "get_logs" and call.input.get("source") == service:
            lines += [str(x) for x in call.result.get("lines") or []]
    return lines


def _service_item(finding: Finding, done: list[Done], lang: str) -> tuple[Item, str | None]:
    """A failed service with the log lines that say why; returns the log source it used."""
    name = str(finding.fix_arguments.get("service", ""))
    source = next(
        (
            str(c.input.get("service"))
            for c in done
            if c.name == "get_service_status"
            and str(c.input.get("service", "")).split(":")[-1] == name
        ),
        name,
    )
    lines = list(dict.fromkeys(_log_lines(done, source)))
    if not lines:
        return Item(finding), None
    read = digest(lines)
    chosen = read.recent[-LOG_EVIDENCE_LINES:]
    evidence = [*finding.evidence, *(f"log: {line}" for line in chosen)]
    item = Item(replace(finding, evidence=evidence))
    if read.hits:
        item.notes.append(i18n.say(lang, "suggests", text=read.hits[0].explain(lang)))
        item.todo = read.hits[0].todo(lang)
    return item, source


def _hit_item(hit: Hit, origin: str, lang: str) -> Item:
    """A failure signature found in log lines (piped, or read by get_logs)."""
    where = "piped text" if origin == "stdin" else f"log {origin}"
    finding = Finding(
        severity=Severity(hit.signature.severity),
        check="stdin" if origin == "stdin" else "logs",
        title=f"{hit.title('en')} ({where}: {hit.count} line(s))",
        evidence=[quote(hit.last_line), *(f"target: {t}" for t in hit.targets[:3])],
        next_step=f"{hit.explain('en')} Next: {hit.todo('en')}.",
    )
    key = "hit_stdin" if origin == "stdin" else "hit_log"
    heading = i18n.say(lang, key, title=hit.title(lang), source=origin, count=hit.count)
    return Item(finding, [hit.explain(lang)], heading, hit.todo(lang), origin != "stdin")


def _listening(done: list[Done]) -> list[JSON] | None:
    for call in done:
        if call.ok and call.name == "list_apps" and isinstance(call.result.get("listening"), list):
            return list(call.result["listening"])
    return None


def _now_note(hit: Hit, done: list[Done], lang: str) -> str | None:
    """Whether the backend refused in the piped lines listens now, from list_apps."""
    listening = _listening(done)
    port = port_of(hit.targets[0]) if hit.targets else None
    if listening is None or port is None or hit.signature.key != "upstream_refused":
        return None
    owner = next((row for row in listening if row.get("port") == port), None)
    if owner is None:
        return i18n.say(lang, "upstream_now_free", port=port)
    process = f"{owner.get('process') or '?'} (pid {owner.get('pid') or '?'})"
    return i18n.say(lang, "upstream_now_busy", port=port, process=process)


def collect(
    done: list[Done], piped: Digest | None, limits: CheckThresholds, lang: str
) -> list[Item]:
    """Every finding, most severe first, each once."""
    items: list[Item] = []
    seen: set[tuple[str, str]] = set()
    attached: set[str] = set()
    for call in done:
        if not call.ok:
            continue
        for finding in _analyze(call, limits):
            if (finding.check, finding.title) in seen:
                continue
            seen.add((finding.check, finding.title))
            if finding.check == "services":
                item, source = _service_item(finding, done, lang)
                attached.update({source} if source else set())
            else:
                item = Item(finding)
            items.append(item)
    for call in done:
        source = str(call.input.get("source", ""))
        if call.ok and call.name == "get_logs" and source not in attached:
            for hit in digest([str(x) for x in call.result.get("lines") or []]).hits[:3]:
                items.append(_hit_item(hit, source, lang))
    for hit in piped.hits if piped else []:
        item = _hit_item(hit, "stdin", lang)
        now = _now_note(hit, done, lang)
        item.notes += [now] if now else []
        items.append(item)
    items.sort(key=lambda item: -item.finding.severity.rank)
    return items
