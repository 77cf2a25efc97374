"""``renew_certificate``: renew a domain's certificate through certbot, reload nginx, and
check that nginx now serves the new one.

The domain must be served by nginx (its server blocks are found as ``get_ssl_status`` finds
them) and managed by certbot (:mod:`sfai_agent.tools.cert_lineage`); otherwise the result is
an error that says who manages the certificate and the exact commands that would put it
under certbot.

- ``dry_run=true`` runs certbot's own rehearsal, ``certbot renew --cert-name=NAME
  --dry-run`` (Let's Encrypt's staging server, or the ACME server the renewal config names:
  :func:`sfai_agent.tools.certbot.dry_run_server_argv`), which saves nothing, and reports
  its outcome with the certificate served now and the exact commands of the real run.
- The real run is ``certbot renew --cert-name=NAME``: certbot decides whether the
  certificate is due. When certbot's certificate file changed, or nginx serves an older one
  than certbot holds (renewed earlier, never reloaded), nginx is reloaded (``nginx -s reload
  -c CONF``) and the served certificate is read again by a TLS handshake until it is
  certbot's current one or ``site_check_timeout_s`` passes: ``verified`` says whether nginx
  serves certbot's current certificate at the end.

certbot always gets ``--non-interactive --no-random-sleep-on-renew``: without a terminal,
``certbot renew`` otherwise sleeps up to eight minutes before it starts.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from sfai_agent.exec.base import CommandResult, ExecutorError
from sfai_agent.policy.identifiers import domain_name
from sfai_agent.tools import certbot
from sfai_agent.tools.base import JSON, Risk, ToolContext, ToolError, object_schema, register
from sfai_agent.tools.cert_lineage import not_managed, pick_lineage, uses_lineage_files
from sfai_agent.tools.nginx import NginxState, ServerBlock, domain_blocks
from sfai_agent.tools.renewal_view import explain, render_renewal
from sfai_agent.tools.tls import read_certificate_file, served_certificate

POLL_S = 0.5
STABLE_HANDSHAKES = 3
STABLE_POLL_S = 0.3
"""After a reload, old nginx workers answer until they process their QUIT signal: the new
certificate must be seen on this many handshakes in a row, this far apart, before the
check stops early (a single handshake can reach a new worker while an old one still
accepts connections)."""
RESERVE_S = 8.0
"""Of the call's time limit, what a real run keeps for the reload and the check after certbot."""
CERT_FACTS = ("not_after", "days_left", "serial", "fingerprint_sha256", "issuer_cn")


def facts(cert: dict[str, Any] | None) -> JSON | None:
    return None if cert is None else {key: cert.get(key) for key in CERT_FACTS}


async def served(ctx: ToolContext, block: ServerBlock | None, domain: str) -> JSON | None:
    """What a TLS handshake with SNI gets now (None without a TLS block), or its error."""
    if block is None:
        return None
    answer = await served_certificate(ctx, block, domain)
    if "certificate" in answer:
        return facts(answer["certificate"])
    return {"error": answer.get("error", "no certificate was presented")}


async def lineage_file(ctx: ToolContext, lineage: certbot.Lineage, domain: str) -> JSON | None:
    part = await read_certificate_file(ctx, lineage.certificate_path, domain)
    return facts(part.get("file_certificate"))


def fingerprint(cert: JSON | None) -> str | None:
    return None if cert is None else cert.get("fingerprint_sha256")


def reload_argv(state: NginxState) -> list[str]:
    """``nginx -s reload`` for the running master: the same -c (and -p) it was started with."""
    return [state.binary, "-s", "reload", "-c", state.conf] + (
        ["-p", state.prefix] if state.prefix else []
    )


def renew_argv(ctx: ToolContext, name: str, *extra: str) -> list[str]:
    return [
        *certbot.base_argv(ctx),
        "renew",
        f"--cert-name={name}",
        *extra,
        "--non-interactive",
        "--no-random-sleep-on-renew",
    ]


async def run_certbot(ctx: ToolContext, argv: list[str], deadline: float) -> CommandResult:
    """certbot with what is left of the call's time; a timeout is a failed run, not a crash."""
    timeout = max(ctx.settings.command_timeout_s, deadline - time.monotonic())
    started = time.monotonic()
    try:
        return await ctx.executor.run(argv, timeout=timeout)
    except ExecutorError as exc:
        if exc.code not in ("timeout", "not_found"):
            raise
        return CommandResult(tuple(argv), -1, "", exc.message, time.monotonic() - started)


async def reload_and_watch(
    ctx: ToolContext,
    state: NginxState,
    block: ServerBlock,
    domain: str,
    want: str | None,
    call_deadline: float,
) -> tuple[JSON, JSON | None]:
    """Reload nginx, then handshake until it serves ``want`` (a fingerprint) or time is up:
    ``site_check_timeout_s``, and never past the call's own limit (a renewal that happened
    must be reported, not lost to a timeout)."""
    argv = reload_argv(state)
    report: JSON = {"command": argv}
    if not state.test["ok"]:
        report["skipped"] = "nginx -t fails: " + str(state.test["output"])[-300:]
        return report, await served(ctx, block, domain)
    try:
        ran = await ctx.executor.run(argv, timeout=ctx.settings.command_timeout_s)
        report["exit_code"], report["output"] = ran.returncode, certbot.gist(ran, 3)
    except ExecutorError as exc:
        report["exit_code"], report["output"] = -1, exc.message
    deadline = min(time.monotonic() + ctx.settings.site_check_timeout_s, call_deadline - 2.0)
    streak = 0
    while True:
        now = await served(ctx, block, domain)
        streak = streak + 1 if fingerprint(now) == want else 0
        if streak >= STABLE_HANDSHAKES or time.monotonic() >= deadline:
            break
        await asyncio.sleep(STABLE_POLL_S if streak else POLL_S)
    report["consistent_handshakes"] = streak
    return report, now


async def renew_certificate_impl(ctx: ToolContext, args: JSON) -> JSON:
    deadline = time.monotonic() + ctx.settings.renew_timeout_s
    domain = domain_name(args.get("domain"))
    dry_run = bool(args.get("dry_run", True))
    state, blocks = await domain_blocks(ctx, domain)
    tls_block = next((b for b in blocks if b.ssl), None)
    nginx_cert = tls_block.ssl_certificate if tls_block else None
    binary = await ctx.executor.which(ctx.settings.certbot_binary)
    if binary is None:
        raise await not_managed(ctx, domain, blocks, tls_block, None)
    lineages = await certbot.list_lineages(ctx, binary)
    picked = await pick_lineage(ctx, lineages, domain, nginx_cert)
    if picked is None:
        raise await not_managed(ctx, domain, blocks, tls_block, lineages)
    lineage, matched_by = picked
    if not certbot.CERT_NAME.fullmatch(lineage.name):
        raise ToolError(
            "unavailable",
            f"certbot's certificate name {lineage.name[:80]!r} has characters sfai does not "
            "pass to a command",
            "renew it by hand with certbot renew --cert-name and that name",
        )
    conf, conf_source = await certbot.renewal_conf(ctx, lineage)
    result: JSON = {
        "domain": domain,
        "dry_run": dry_run,
        "certificate_name": lineage.name,
        "matched_by": matched_by,
        "certbot_certificate": lineage.as_json(),
        "nginx": {
            "config_file": state.conf,
            "server_block": tls_block.where if tls_block else blocks[0].where,
            "ssl_certificate": nginx_cert,
            "uses_certbot_files": await uses_lineage_files(ctx, nginx_cert, lineage),
        },
        "renewal": {
            "config_file": conf_source if conf else None,
            "server": conf.server if conf else None,
            "authenticator": conf.authenticator if conf else None,
            "renew_before_days": conf.renew_before_days() if conf else None,
            "due_from": certbot.due_from(lineage.expiry, conf),
        },
        "command": renew_argv(ctx, lineage.name),
        "reload_command": reload_argv(state) if tls_block else None,
    }
    if conf is None:
        result["renewal"]["error"] = conf_source
    before = {
        "served": await served(ctx, tls_block, domain),
        "certbot": await lineage_file(ctx, lineage, domain),
    }
    result["before"] = before
    if dry_run:
        argv = renew_argv(ctx, lineage.name, *certbot.dry_run_server_argv(conf, ctx), "--dry-run")
        ran = await run_certbot(ctx, argv, deadline - 2.0)
        result["certbot"] = _certbot_report(ran, argv, dry_run=True)
        explain(result)
        return result
    ran = await run_certbot(ctx, result["command"], deadline - RESERVE_S)
    result["certbot"] = _certbot_report(ran, result["command"], dry_run=False)
    after_file = await lineage_file(ctx, lineage, domain)
    file_changed = fingerprint(after_file) != fingerprint(before["certbot"])
    after_served = before["served"]
    stale = tls_block is not None and fingerprint(after_served) != fingerprint(after_file)
    if tls_block is not None and result["certbot"]["outcome"] != "failed" and stale:
        result["reload"], after_served = await reload_and_watch(
            ctx, state, tls_block, domain, fingerprint(after_file), deadline
        )
    result["after"] = {"served": after_served, "certbot": after_file}
    result["changed"] = file_changed or fingerprint(after_served) != fingerprint(before["served"])
    if result["certbot"]["outcome"] == "failed":
        result["verified"] = False
    elif tls_block is None:
        result["verified"] = after_file is not None
    else:
        now = fingerprint(after_served)
        result["verified"] = now is not None and now == fingerprint(after_file)
    explain(result)
    return result


def _certbot_report(ran: CommandResult, argv: list[str], *, dry_run: bool) -> JSON:
    outcome = certbot.renew_outcome(ran)
    if dry_run and outcome != "failed":
        outcome = "succeeded"  # a rehearsal renews whether or not the certificate is due
    report: JSON = {
        "command": argv,
        "exit_code": ran.returncode,
        "duration_s": round(ran.duration_s, 1),
        "outcome": outcome,
        "output": certbot.output_lines(ran),
    }
    if outcome == "failed":
        report["error"] = certbot.failure_reason(ran)
    return report


@register(
    name="renew_certificate",
    family="actions_tls",
    risk=Risk.MEDIUM,
    renderer=render_renewal,
    timeout_setting="renew_timeout_s",
    description="""
        Renew the TLS certificate of a domain served by nginx, through certbot when certbot
        manages it: `certbot renew --cert-name=NAME` (certbot renews only when it is due),
        then reload nginx and check with a TLS handshake that nginx serves the new
        certificate. Changes the server: the real run (dry_run=false) needs the person's
        approval; call it first with dry_run=true (the default), which runs certbot's own
        rehearsal (`--dry-run`: a test certificate from the CA's staging server, nothing
        saved; certbot still runs the lineage's pre/post hooks) and shows the served
        certificate and the
        exact commands, without approval. When certbot is not installed or does not manage
        the domain, the error says who manages the certificate and the command to run.
        Result: certificate_name, certbot_certificate {domains, expiry, certificate_path},
        nginx {ssl_certificate, uses_certbot_files}, renewal {server, due_from}, before
        {served, certbot} (not_after, days_left, serial, fingerprint), certbot {outcome:
        succeeded|failed for a dry-run, renewed|not_due|failed for a real run, output,
        error}; after a real run also after {...},
        reload, changed, verified (nginx serves certbot's current certificate).
    """,
    schema=object_schema(
        {
            "domain": {
                "type": "string",
                "maxLength": 260,
                "description": "The domain as nginx serves it, e.g. shop.example.com.",
            },
            "dry_run": {
                "type": "boolean",
                "default": True,
                "description": "true: certbot's rehearsal only, nothing changes (no approval).",
            },
        },
        required=["domain"],
    ),
)
async def renew_certificate(ctx: ToolContext, args: JSON) -> JSON:
    return await renew_certificate_impl(ctx, args)
