"""The answer, in Markdown: a one-line verdict, the findings with their evidence, what was
looked at, and what to do next — fixes as proposals for sfai to run after approval, never
as something done."""

from __future__ import annotations

import json
from typing import Any

from sfai.core.providers.offline import i18n
from sfai.core.providers.offline.findings import Item
from sfai.core.providers.offline.intents import Intent, Understanding
from sfai.core.providers.offline.playbooks import Done, ToolCall
from sfai.core.providers.offline.signals import Digest, digest
from sfai_agent.tools.render import human_bytes

JSON = dict[str, Any]
EVIDENCE_CHARS = 300
LIST_ITEMS = 12


def call_text(name: str, arguments: JSON) -> str:
    """``restart_failed_service(service="crashy")``."""
    inner = ", ".join(f"{key}={json.dumps(value)}" for key, value in arguments.items())
    return f"{name}({inner})"


_ONE_ARGUMENT = {
    "get_service_status": ("service", "look_status"),
    "get_logs": ("source", "look_logs"),
    "get_nginx_config": ("domain", "look_nginx"),
    "get_ssl_status": ("domain", "look_ssl"),
    "get_disk_usage": ("path", "look_disk_path"),
}
_NO_ARGUMENT = {
    "get_disk_usage": "look_disk",
    "get_memory_status": "look_memory",
    "get_system_overview": "look_overview",
    "list_services": "look_services",
    "list_apps": "look_apps",
}


def labels(lang: str, calls: list[ToolCall] | list[Done]) -> list[str]:
    """What the calls look at, in words, one phrase per tool: "the logs of crashy and worker"."""
    groups: dict[str, list[str]] = {}
    for call in calls:
        argument, key = _ONE_ARGUMENT.get(call.name, ("", ""))
        value = call.input.get(argument) if argument else None
        if value is None:
            groups.setdefault(_NO_ARGUMENT.get(call.name, call.name), [])
        elif str(value) not in groups.setdefault(key, []):
            groups[key].append(str(value))
    phrases: list[str] = []
    for key, values in groups.items():
        if key not in i18n.STRINGS:
            phrases.append(key)
        elif not values:
            phrases.append(i18n.say(lang, key))
        elif len(values) == 1:
            one = {"look_status": "name", "look_logs": "name", "look_disk_path": "path"}
            phrases.append(i18n.say(lang, key, **{one.get(key, "domain"): values[0]}))
        else:
            phrases.append(i18n.say(lang, f"{key}_many", names=i18n.join(lang, values)))
    return phrases


def _cut(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= EVIDENCE_CHARS else text[: EVIDENCE_CHARS - 1] + "…"


def _inline(text: str) -> str:
    """``text`` as inline code, even when it holds backticks itself."""
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def _code(lines: list[str]) -> list[str]:
    fence = "````" if any("```" in line for line in lines) else "```"
    return [fence, *lines, fence]


def _verdict(lang: str, items: list[Item], done: list[Done], piped: Digest | None) -> str:
    if items:
        first = items[0]
        title = first.heading or i18n.translate(lang, first.finding.title)
        if len(items) == 1:
            return i18n.say(lang, "verdict_one", title=title)
        return i18n.say(lang, "verdict_problems", count=len(items), title=title)
    ok = [d for d in done if d.ok]
    if done and not ok:
        return i18n.say(lang, "verdict_failed")
    if not done:
        return i18n.say(lang, "verdict_stdin_only") if piped else i18n.say(lang, "no_tools")
    what = i18n.join(lang, labels(lang, ok))
    if len(ok) < len(done):
        return i18n.say(lang, "verdict_partial", what=what, failed=len(done) - len(ok))
    return i18n.say(lang, "verdict_ok", what=what)


def _findings(lang: str, items: list[Item]) -> list[str]:
    lines = ["", i18n.say(lang, "h_findings")]
    for item in items:
        finding = item.finding
        title = item.heading or i18n.translate(lang, finding.title)
        lines.append(f"- **{i18n.say(lang, finding.severity.value)}** — {title}")
        for evidence in finding.evidence if item.quoted else []:
            shown = _cut(evidence)
            lines.append(
                f"  - {_inline(shown)}" if evidence.startswith("log: ") else f"  - {shown}"
            )
        lines += [f"  - {note}" for note in item.notes]
    return lines


def _counts(lang: str, read: Digest) -> str:
    if not read.problems:
        return i18n.say(lang, "log_clean", total=read.total)
    return i18n.say(
        lang, "log_counts", problems=read.problems, total=read.total, levels=read.levels_text()
    )


def _piped(lang: str, piped: Digest) -> list[str]:
    lines = ["", i18n.say(lang, "h_stdin"), _counts(lang, piped)]
    if piped.recent:
        lines += ["", i18n.say(lang, "recent_lines"), *_code(piped.recent)]
    return lines


def _details(lang: str, call: Done, u: Understanding) -> list[str]:
    """A few facts under a result, where its summary is not enough for the question."""
    result, out = call.result, []
    if call.name == "get_disk_usage" and call.input.get("path"):
        largest = [
            f"{e.get('path')} ({human_bytes(e.get('size_bytes', 0))})"
            for e in result.get("largest", [])[:5]
        ]
        if largest:
            out.append(i18n.say(lang, "largest", path=call.input["path"], items=", ".join(largest)))
    elif call.name == "get_logs":
        read = digest([str(x) for x in result.get("lines") or []])
        out.append(_counts(lang, read))
        if Intent.LOGS in u.intents and read.recent:
            out.append(i18n.say(lang, "recent_lines"))
            out += [f"  {line}" for line in _code(read.recent)]
    elif call.name == "get_ssl_status":
        # Expiry is judged by the analyzer against the configured thresholds; show the rest.
        out += [
            f"{f.get('severity')}: {f.get('title')}"
            for f in result.get("findings", [])
            if "expire" not in str(f.get("title"))
        ]
    elif call.name == "get_nginx_config":
        for block in result.get("server_blocks", [])[:3]:
            upstream = ", ".join(block.get("upstreams") or []) or "-"
            out.append(
                f"{block.get('file')}:{block.get('line')} listen {'; '.join(block.get('listen') or [])}; upstreams {upstream}; certificate {block.get('ssl_certificate') or '-'}"
            )
    elif call.name == "list_apps" and u.intents & {Intent.INVENTORY, Intent.WEB}:
        out += _inventory(lang, result)
    elif call.name == "get_memory_status" and Intent.MEMORY in u.intents:
        top = result.get("top_consumers", [])[:3]
        out += [
            f"{p.get('name')} (pid {p.get('pid')}): {human_bytes(p.get('rss_bytes', 0))}"
            for p in top
        ]
    elif call.name == "get_system_overview" and Intent.SLOW in u.intents:
        top = result.get("top_by_cpu", [])[:3]
        out += [f"{p.get('name')} (pid {p.get('pid')}): {p.get('cpu_percent')}% CPU" for p in top]
    return out


def _inventory(lang: str, apps: JSON) -> list[str]:
    out: list[str] = []
    nginx = apps.get("nginx")
    if isinstance(nginx, dict) and nginx.get("sites"):
        sites = []
        for site in nginx["sites"][:LIST_ITEMS]:
            names = " ".join(site.get("server_names") or ["_"])
            backends = [
                f"{b.get('upstream')} ({'up' if b.get('listening') else 'down' if b.get('listening') is False else '?'})"
                for b in site.get("backends", [])
            ]
            tls = " TLS" if site.get("ssl") else ""
            target = (
                f" → {', '.join(backends)}"
                if backends
                else (f" root {site['root']}" if site.get("root") else "")
            )
            sites.append(f"{names}{tls}{target}")
        out.append(i18n.say(lang, "sites", items="; ".join(sites)))
    services = apps.get("services") or []
    if services:
        shown = ", ".join(f"{s.get('name')} ({s.get('state')})" for s in services[: LIST_ITEMS * 2])
        out.append(i18n.say(lang, "services_list", items=shown))
    listening = apps.get("listening") or []
    if listening:
        ports = sorted({(int(r.get("port") or 0), str(r.get("process") or "?")) for r in listening})
        out.append(
            i18n.say(lang, "ports", items=", ".join(f"{p} {n}" for p, n in ports[: LIST_ITEMS * 2]))
        )
    return out


def _checked(lang: str, done: list[Done], missing: list[str], u: Understanding) -> list[str]:
    lines = ["", i18n.say(lang, "h_checked")]
    for call in done:
        head = f"- `{call_text(call.name, call.input)}`"
        if call.ok:
            lines.append(f"{head}: {_cut(call.result.get('summary', ''))}")
            # Lines of a quoted block come indented; the others are bullets.
            lines += [
                f"  {line}" if line.startswith("  ") else f"  - {line}"
                for line in _details(lang, call, u)
            ]
        else:
            error = call.result.get("error") or {}
            message = str(error.get("message", "")) + (
                f" ({error['hint']})" if error.get("hint") else ""
            )
            lines.append(f"{head}: {i18n.say(lang, 'tool_failed', message=_cut(message))}")
    lines += [f"- {i18n.say(lang, 'tool_missing', name=name)}" for name in missing]
    return lines


def _suggestions(lang: str, items: list[Item], u: Understanding, done: list[Done]) -> list[str]:
    steps: list[str] = []
    proposed: set[str] = set()
    for item in items:
        finding = item.finding
        step = item.todo or i18n.translate(lang, finding.next_step)
        step = step[:1].upper() + step[1:]
        if finding.fix_tool and finding.fix_arguments:
            call = call_text(finding.fix_tool, finding.fix_arguments)
            if call in proposed:
                continue
            proposed.add(call)
            step += "\n   " + i18n.say(lang, "proposal", call=call)
        elif finding.fix_tool:
            step += "\n   " + i18n.say(lang, "proposal_bare", tool=finding.fix_tool)
        if step not in steps:
            steps.append(step)
    for call in _asked(u, done):
        if call not in proposed:
            steps.append(i18n.say(lang, "asked_action", call=call))
    if not steps:
        no_source = Intent.LOGS in u.intents and not any(d.name == "get_logs" for d in done)
        steps.append(i18n.say(lang, "suggest_logs_source" if no_source else "suggest_none"))
    return ["", i18n.say(lang, "h_suggest"), *(f"{n}. {s}" for n, s in enumerate(steps, 1))]


def _asked(u: Understanding, done: list[Done]) -> list[str]:
    """Actions the question asks for by name, on a target it names."""
    calls: list[str] = []
    if "restart" in u.actions:
        failed = {
            str(d.result.get("service", {}).get("name"))
            for d in done
            if d.ok
            and d.name == "get_service_status"
            and d.result.get("service", {}).get("state") == "failed"
        }
        for service in u.services:
            tool = "restart_failed_service" if service in failed else "restart_service"
            calls.append(call_text(tool, {"service": service}))
    if "renew" in u.actions:
        calls += [call_text("renew_certificate", {"domain": d, "dry_run": True}) for d in u.domains]
    if "clean" in u.actions:
        calls += [call_text("clean_disk", {"paths": [p], "dry_run": True}) for p in u.paths]
    return calls


def compose(
    u: Understanding, items: list[Item], done: list[Done], piped: Digest | None, missing: list[str]
) -> str:
    lang = u.lang
    lines = [_verdict(lang, items, done, piped)]
    if "howto" in u.out_of_scope:
        lines += ["", i18n.say(lang, "oos_partial")]
    if u.past:
        lines += ["", i18n.say(lang, "past_note")]
    if items:
        lines += _findings(lang, items)
    if piped:
        lines += _piped(lang, piped)
    if done or missing:
        lines += _checked(lang, done, missing, u)
    lines += _suggestions(lang, items, u, done)
    return "\n".join(lines) + "\n"


def out_of_scope(u: Understanding) -> str:
    lang = u.lang
    lines = [i18n.say(lang, "oos_intro")]
    lines += [f"- {item}" for item in i18n.capabilities(lang)]
    reasons = [i18n.say(lang, f"oos_{r}") for r in u.out_of_scope if r != "howto"]
    if reasons:
        lines += ["", " ".join(reasons)]
    lines += ["", i18n.say(lang, "oos_claude")]
    return "\n".join(lines) + "\n"
