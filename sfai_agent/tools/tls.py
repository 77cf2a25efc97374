"""Tools of the tls family: the certificate nginx is configured to serve for a domain, and
the one a TLS handshake on this host actually presents for it (SNI).

Deliberate exception to the credential rule. ``is_credential_path`` refuses ``*.pem`` and
``*.key`` names, yet certificate files are usually ``*.pem`` (Let's Encrypt's ``fullchain.pem``,
a symlink into /etc/letsencrypt/archive). So ``get_ssl_status`` reads the one file that
nginx's ``ssl_certificate`` names (never ``ssl_certificate_key``), hands the bytes straight to
:func:`sfai_agent.tools.x509.split_pem`, which keeps only ``-----BEGIN CERTIFICATE-----``
blocks, and returns parsed fields only: raw file content is never returned, logged or cached.
A file that also holds a private key is reported as ``certificate_file_has_private_key: true``
(a finding); the key block is dropped with the rest of the buffer.
"""

from __future__ import annotations

import re
from typing import Any

from sfai_agent.exec.base import ExecutorError
from sfai_agent.policy.identifiers import domain_name
from sfai_agent.tools.base import JSON, ToolContext, ToolError, register
from sfai_agent.tools.nginx import DOMAIN_SCHEMA, ServerBlock, domain_blocks
from sfai_agent.tools.nginx_conf import Listen
from sfai_agent.tools.x509 import (
    describe_certificate,
    describe_chain,
    expiry_phrase,
    load_certificates,
    split_pem,
)

MAX_CERT_FILE_BYTES = 262_144
EXPIRY_CRITICAL_DAYS = 7
EXPIRY_WARNING_DAYS = 21
MAX_HANDSHAKE_ATTEMPTS = 2
_VERIFY = re.compile(r"^\s*Verify return code: (\d+) \(([^)]*)\)", re.MULTILINE)
_PROTOCOL = re.compile(r"^New, (\S+), Cipher is (\S+)", re.MULTILINE)
_WILDCARD_ADDRESSES = {"*": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}


async def read_certificate_file(ctx: ToolContext, path: str | None, domain: str) -> JSON:
    """Parse the certificate file nginx serves; never returns the file's content."""
    part: JSON = {"certificate_file": path, "certificate_file_has_private_key": False}
    if not path:
        part["certificate_error"] = "the server block has no ssl_certificate"
        return part
    if "$" in path:
        part["certificate_error"] = "the path is built from nginx variables at request time"
        return part
    try:
        bundle = split_pem(await ctx.executor.read_file(path, max_bytes=MAX_CERT_FILE_BYTES))
    except ExecutorError as exc:
        part["certificate_error"] = exc.message
        return part
    part["certificate_file_has_private_key"] = bundle.has_private_key
    try:
        certificates = load_certificates(bundle)
    except ValueError as exc:
        part["certificate_error"] = f"{path}: {exc}"
        return part
    if not certificates:
        part["certificate_error"] = f"{path} holds no PEM certificate"
        return part
    part["file_certificate"] = describe_certificate(certificates[0], domain=domain)
    part["file_chain"] = describe_chain(certificates)
    return part


def _connect_host(listen: Listen) -> str:
    return _WILDCARD_ADDRESSES.get(listen.address, listen.address)


async def handshake(ctx: ToolContext, listen: Listen, domain: str) -> JSON:
    """What ``openssl s_client`` with SNI ``domain`` gets from this listen socket."""
    host, port = _connect_host(listen), listen.port
    target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    served: JSON = {"address": host, "port": port}
    argv = ["openssl", "s_client", "-connect", target, "-servername", domain]
    argv += ["-verify_hostname", domain, "-showcerts"]
    try:
        result = await ctx.executor.run(argv, timeout=ctx.settings.command_timeout_s, stdin=b"")
    except ExecutorError as exc:
        served["error"] = exc.message
        if exc.code == "not_found":
            served["hint"] = "install openssl (apt install openssl) to check served certificates"
        return served
    try:
        certificates = load_certificates(split_pem(result.stdout))
    except ValueError as exc:
        certificates, served["error"] = [], str(exc)
    if not certificates:
        lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
        served.setdefault("error", lines[-1][:300] if lines else "no certificate was presented")
        return served
    served["certificate"] = describe_certificate(certificates[0], domain=domain)
    served["chain_length"] = len(certificates)
    if verify := _VERIFY.search(result.stdout):
        served["verify"] = f"{verify.group(1)} ({verify.group(2)})"
        served["verified"] = verify.group(1) == "0"
    if protocol := _PROTOCOL.search(result.stdout):
        served["protocol"], served["cipher"] = protocol.group(1), protocol.group(2)
    return served


async def served_certificate(ctx: ToolContext, block: ServerBlock, domain: str) -> JSON:
    """Handshake on the block's TLS listen sockets, trying the next one if one fails."""
    candidates = [
        listen
        for listen in block.listens
        if (listen.ssl or block.ssl)
        and listen.port is not None
        and not listen.address.startswith("unix:")
    ]
    served: JSON = {"error": "no TCP listen socket to connect to"}
    for listen in candidates[:MAX_HANDSHAKE_ATTEMPTS]:
        served = await handshake(ctx, listen, domain)
        if "certificate" in served:
            break
    return served


def _findings(result: JSON) -> list[JSON]:
    findings: list[JSON] = []

    def add(severity: str, title: str) -> None:
        findings.append({"severity": severity, "title": title})

    served = result["served"]
    file_cert: dict[str, Any] | None = result.get("file_certificate")
    served_cert: dict[str, Any] | None = served.get("certificate")
    if "certificate_error" in result:
        add("critical", f"certificate file: {result['certificate_error']}")
    if result["certificate_file_has_private_key"]:
        add("warning", "the certificate file also holds a private key: keep keys in their own file")
    days = result.get("days_left")
    if days is not None and days < 0:
        add("critical", f"certificate expired on {result['not_after']}")
    elif days is not None and days < EXPIRY_WARNING_DAYS:
        severity = "critical" if days < EXPIRY_CRITICAL_DAYS else "warning"
        add(severity, f"certificate {expiry_phrase(days, result['not_after'])}")
    for label, cert in (("file", file_cert), ("served", served_cert)):
        if cert is not None and not cert.get("matches_domain", True):
            names = ", ".join(cert["sans"]) or cert["subject_cn"]
            add("critical", f"the {label} certificate is for {names}, not {result['domain']}")
    if (file_cert or served_cert or {}).get("self_signed"):
        add("warning", "certificate is self-signed: browsers will not trust it")
    if "error" in served:
        where = f"{served.get('address')}:{served.get('port')}"
        add("warning", f"TLS handshake on {where} failed: {served['error']}")
    elif served.get("same_as_file") is False:
        add("warning", "nginx serves a different certificate than the file: reload nginx")
    return findings


def _summary(result: JSON) -> str:
    served = result["served"]
    head = f"{result['domain']}: "
    if "days_left" not in result:
        head += f"no readable certificate ({result.get('certificate_error', 'unknown')})"
    else:
        head += "certificate " + expiry_phrase(result["days_left"], result["not_after"])
    if "error" in served:
        return head + f", handshake failed: {served['error']}"
    if served.get("same_as_file") is None:
        return head + ", served certificate checked (file unreadable)"
    return head + (
        ", served matches file" if served["same_as_file"] else ", served DIFFERS from file"
    )


@register(
    name="get_ssl_status",
    family="tls",
    schema=DOMAIN_SCHEMA,
    description="""TLS status of a domain served by nginx on this host: the certificate file
    its server block names (subject, SANs, issuer, validity, days_left, fingerprint,
    self-signed, matches the domain) and the certificate a local TLS handshake with SNI
    actually presents (same as the file or not, e.g. nginx not reloaded after a renewal),
    plus findings. Top-level days_left/not_after are those of whichever certificate
    expires first. Use it for expiry, name-mismatch and "browser says not secure" questions.""",
)
async def get_ssl_status(ctx: ToolContext, args: JSON) -> JSON:
    domain = domain_name(args.get("domain"))
    state, blocks = await domain_blocks(ctx, domain)
    tls_blocks = [b for b in blocks if b.ssl]
    if not tls_blocks:
        where = ", ".join(
            f"{b.where} (listen {', '.join(ls.raw for ls in b.listens)})" for b in blocks
        )
        raise ToolError(
            "not_found",
            f"nginx serves {domain} over plain HTTP only: {where}; no TLS server block names it",
            "add a 'listen 443 ssl' server block with ssl_certificate for it, or get a "
            "certificate with renew_certificate; see the block with get_nginx_config",
        )
    block = tls_blocks[0]
    result: JSON = {
        "domain": domain,
        "config_file": state.conf,
        "server_block": {
            "file": block.directive.file,
            "line": block.directive.line,
            "server_names": block.names,
            "listen": [listen.raw for listen in block.listens],
        },
    }
    result.update(await read_certificate_file(ctx, block.ssl_certificate, domain))
    served = await served_certificate(ctx, block, domain)
    file_cert, served_cert = result.get("file_certificate"), served.get("certificate")
    if file_cert is not None and served_cert is not None:
        served["same_as_file"] = (
            file_cert["fingerprint_sha256"] == served_cert["fingerprint_sha256"]
        )
    result["served"] = served
    # The headline expiry is the sooner of the two: whichever one needs action first.
    present = [c for c in (file_cert, served_cert) if c is not None]
    if present:
        soonest = min(present, key=lambda c: float(c["days_left"]))
        result["days_left"], result["not_after"] = soonest["days_left"], soonest["not_after"]
    result["findings"] = _findings(result)
    result["summary"] = _summary(result)
    return result
