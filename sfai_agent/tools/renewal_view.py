"""The words of ``renew_certificate``: its one-line summary, the hint when something is left to
do, and the terminal rendering. Pure functions over the result dict, so the action module
holds only what it does."""

from __future__ import annotations

from typing import Any

from sfai_agent.tools.base import JSON
from sfai_agent.tools.certbot import LE_PRODUCTION, shown
from sfai_agent.tools.render import render_text
from sfai_agent.tools.x509 import expiry_phrase


def _cert_phrase(cert: dict[str, Any] | None) -> str:
    """``serial 4b00…, which expires in 89 days (2027-02-21)``."""
    if not cert or "not_after" not in cert:
        return "no certificate" + (f" ({cert['error']})" if cert and cert.get("error") else "")
    return f"serial {cert['serial']}, which " + expiry_phrase(cert["days_left"], cert["not_after"])


def _server(result: JSON) -> str:
    server = result["renewal"].get("server")
    if not server or server == LE_PRODUCTION:
        return "Let's Encrypt staging"
    return str(server)


def _not_certbot_file(result: JSON) -> str:
    nginx = result["nginx"]
    if nginx["uses_certbot_files"] or not nginx["ssl_certificate"]:
        return ""
    live = result["certbot_certificate"]["certificate_path"]
    return (
        f"nginx serves {nginx['ssl_certificate']}, not certbot's {live}: a renewal does not "
        "change what nginx serves"
    )


def _point_nginx_hint(result: JSON) -> str:
    live = result["certbot_certificate"]["certificate_path"]
    key = live.rsplit("/", 1)[0] + "/privkey.pem"
    return (
        f"in {result['nginx']['server_block']} set ssl_certificate {live} and "
        f"ssl_certificate_key {key}, then reload nginx (fix_nginx_config can do it)"
    )


def _dry_run(result: JSON) -> tuple[str, str | None]:
    name, report = result["certificate_name"], result["certbot"]
    served = result["before"]["served"] or result["before"]["certbot"]
    due = result["renewal"].get("due_from")
    real = f"`{shown(result['command'])}`" + (
        " then reload nginx" if result["reload_command"] else ""
    )
    if report["outcome"] == "failed":
        summary = (
            f"dry-run: certbot's rehearsal for {name} FAILED ({_server(result)}): "
            f"{report.get('error', '')}; a real renewal would fail the same way"
        )
        return summary, "read certbot's output above; fix the cause, then dry-run again"
    when = f"; certbot renews it from {due[:10]}" if due else ""
    summary = (
        f"dry-run: certbot's rehearsal for {name} succeeded ({_server(result)}); "
        f"{result['domain']} is served with {_cert_phrase(served)}{when}; "
        f"the real run would run {real}"
    )
    warning = _not_certbot_file(result)
    if warning:
        return f"{summary}. Note: {warning}", _point_nginx_hint(result)
    return summary, None


def _real_run(result: JSON) -> tuple[str, str | None]:
    name, domain, report = result["certificate_name"], result["domain"], result["certbot"]
    before, after = result["before"], result["after"]
    served_before, served_after = before["served"], after["served"]
    if report["outcome"] == "failed":
        return (
            f"certbot could not renew {name}: {report.get('error', '')}; nothing changed, "
            f"{domain} is served with {_cert_phrase(served_before or before['certbot'])}",
            "run renew_certificate with dry_run=true to rehearse, and read certbot's output",
        )
    if served_before is None:  # certbot manages it, nginx serves it over plain HTTP only
        verb = "renewed" if result["changed"] else "did not renew (not due)"
        return (
            f"certbot {verb} {name}: its certificate has {_cert_phrase(after['certbot'])}; "
            f"nginx serves {domain} over plain HTTP only, so nothing was reloaded",
            None,
        )
    if not result["changed"] and result["verified"]:
        due = result["renewal"].get("due_from")
        force = shown([*result["command"], "--force-renewal"])
        when = f"; certbot renews it from {due[:10]}" if due else ""
        return (
            f"{name} is not due for renewal: {domain} is served with "
            f"{_cert_phrase(served_after)}{when}; nothing changed",
            f"to renew before that anyway, run by hand: {force}",
        )
    if result["verified"]:
        renewed = report["outcome"] == "renewed"
        head = f"{domain} renewed" if renewed else f"certbot had already renewed {name}"
        return (
            f"{head}: nginx now serves {_cert_phrase(served_after)} "
            f"(was {_cert_phrase(served_before)})",
            None,
        )
    return _not_verified(result)


def _not_verified(result: JSON) -> tuple[str, str | None]:
    name, reload = result["certificate_name"], result.get("reload") or {}
    after = result["after"]
    did = "renewed" if result["certbot"]["outcome"] == "renewed" else "has nothing to renew for"
    head = (
        f"certbot {did} {name} ({_cert_phrase(after['certbot'])}), but nginx still serves "
        f"{_cert_phrase(after['served'])}"
    )
    if not result["nginx"]["uses_certbot_files"]:
        return f"{head}: {_not_certbot_file(result)}", _point_nginx_hint(result)
    command = shown(reload.get("command") or result["reload_command"] or [])
    if reload.get("skipped"):
        return (
            f"{head}: nginx was not reloaded because {reload['skipped']}",
            f"fix nginx's config (nginx -t), then reload it: {command}",
        )
    if reload.get("exit_code", 0) != 0:
        return (
            f"{head}: `{command}` exited {reload['exit_code']}: {reload.get('output', '')}",
            "is nginx running with this config? check its error log, then reload it",
        )
    return (
        f"{head} after `{command}`",
        "check nginx's error log; several server blocks may serve this name",
    )


def explain(result: JSON) -> None:
    """Set ``summary`` (and ``hint`` when something is left for the person to do)."""
    summary, hint = _dry_run(result) if result["dry_run"] else _real_run(result)
    result["summary"] = summary
    if hint:
        result["hint"] = hint


def _cert_line(label: str, cert: dict[str, Any] | None) -> str:
    if cert is None:
        return f"  {label}: -"
    if "not_after" not in cert:
        return f"  {label}: {cert.get('error', '-')}"
    return (
        f"  {label}: expires {cert['not_after']} ({cert['days_left']:.1f} days), "
        f"serial {cert['serial']}, issuer {cert.get('issuer_cn') or '-'}"
    )


def render_renewal(result: JSON) -> str:
    """What the person approves or reads after: the certificates, certbot's words, the commands."""
    if not result.get("ok", True):
        return render_text(result)
    lineage, nginx = result["certbot_certificate"], result["nginx"]
    lines = [
        str(result.get("summary", "")),
        f"certbot certificate {lineage['name']} ({' '.join(lineage['domains'])}), "
        f"matched by {result['matched_by'].replace('_', ' ')}: {lineage['certificate_path']}",
        f"nginx: {nginx['server_block']} ssl_certificate {nginx['ssl_certificate'] or '-'}",
    ]
    for moment in ("before", "after"):
        if moment in result:
            lines.append(f"{moment}:")
            lines.append(_cert_line("served", result[moment]["served"]))
            lines.append(_cert_line("certbot", result[moment]["certbot"]))
    report = result.get("certbot", {})
    lines.append(f"certbot: {report.get('outcome')} (exit {report.get('exit_code')})")
    lines += [f"  | {line}" for line in report.get("output", [])]
    lines.append(f"command: {shown(result['command'])}")
    if result.get("reload_command"):
        lines.append(f"reload: {shown(result['reload_command'])}")
    for key in ("changed", "verified"):
        if key in result:
            lines.append(f"{key}: {'yes' if result[key] else 'no'}")
    if result.get("hint"):
        lines.append(f"hint: {result['hint']}")
    return "\n".join(lines)
