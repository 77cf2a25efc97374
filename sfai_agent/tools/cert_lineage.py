"""Which certbot lineage serves a domain, and what to tell the person when none does.

Kept apart from the action so the two questions a person asks first ("does certbot manage
this?", "then who does, and what do I run?") read on one page.

A lineage matches a domain in this order:

1. ``certificate_path``: nginx's ``ssl_certificate`` lives in the lineage's ``live/NAME/``
   directory (the only layout where a renewal changes what nginx serves);
2. ``domain``: the lineage's names cover the domain exactly, then by a wildcard
   (``*.example.com``), the one expiring last first.

A lineage found by name only while nginx serves another file is still renewed, but the
result says that nginx will not see the new certificate (a copy in /etc/nginx/ssl/...).
"""

from __future__ import annotations

import posixpath

from sfai_agent.exec.base import ExecutorError
from sfai_agent.tools.base import ToolContext, ToolError
from sfai_agent.tools.certbot import Lineage, base_argv, shown
from sfai_agent.tools.nginx import ServerBlock
from sfai_agent.tools.tls import read_certificate_file
from sfai_agent.tools.x509 import expiry_phrase, hostname_matches

DEFAULT_CONFIG_DIR = "/etc/letsencrypt"
MAX_REALPATH_CHECKS = 50
"""Lineages whose live/ directory is resolved (symlinks) when no path matches as written."""


async def _realpath(ctx: ToolContext, path: str) -> str | None:
    try:
        return await ctx.executor.realpath(path)
    except ExecutorError:
        return None


async def uses_lineage_files(ctx: ToolContext, nginx_cert: str | None, lineage: Lineage) -> bool:
    """nginx's ``ssl_certificate`` is one of the lineage's ``live/NAME/*.pem`` files."""
    if not nginx_cert or "$" in nginx_cert:
        return False
    directory = posixpath.dirname(nginx_cert)
    if directory == lineage.live_dir:
        return True
    resolved = await _realpath(ctx, directory)
    return resolved is not None and resolved == await _realpath(ctx, lineage.live_dir)


async def pick_lineage(
    ctx: ToolContext, lineages: list[Lineage], domain: str, nginx_cert: str | None
) -> tuple[Lineage, str] | None:
    """(lineage, matched_by) for ``domain``, or None when certbot does not manage it."""
    if nginx_cert and "$" not in nginx_cert:
        directory = posixpath.dirname(nginx_cert)
        for lineage in lineages:
            if lineage.live_dir == directory:
                return lineage, "certificate_path"
        resolved = await _realpath(ctx, directory)  # /etc/letsencrypt may be a symlink
        for lineage in lineages[:MAX_REALPATH_CHECKS] if resolved else []:
            if resolved == await _realpath(ctx, lineage.live_dir):
                return lineage, "certificate_path"
    exact = [lin for lin in lineages if domain in (d.lower() for d in lin.domains)]
    wildcard = [lin for lin in lineages if any(hostname_matches(domain, d) for d in lin.domains)]
    for group in (exact, wildcard):
        if group:
            return max(group, key=lambda lin: lin.expiry or ""), "domain"
    return None


def webroot(blocks: list[ServerBlock]) -> str | None:
    """The document root that answers plain-HTTP requests for the domain (HTTP-01's path)."""
    plain = [b for b in blocks if not b.ssl] + [b for b in blocks if b.ssl]
    for block in plain:
        if block.root and "$" not in block.root:
            return block.root
    return None


def _config_dir(ctx: ToolContext) -> str:
    args = list(ctx.settings.certbot_args)
    for index, arg in enumerate(args):
        if arg == "--config-dir" and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith("--config-dir="):
            return arg.partition("=")[2]
    return DEFAULT_CONFIG_DIR


def issue_commands(ctx: ToolContext, domain: str, blocks: list[ServerBlock]) -> str:
    """The exact commands that put ``domain`` under certbot, for the hint."""
    live = posixpath.join(_config_dir(ctx), "live", domain)
    root = webroot(blocks)
    nginx_plugin = shown([*base_argv(ctx), "--nginx", "-d", domain])
    if root is None:
        return (
            f"let certbot's nginx plugin issue it and edit nginx: `{nginx_plugin}` "
            "(apt install python3-certbot-nginx)"
        )
    certonly = shown([*base_argv(ctx), "certonly", "--webroot", "-w", root, "-d", domain])
    return (
        f"have certbot issue it through the site's root: `{certonly}`, then set "
        f"ssl_certificate {live}/fullchain.pem and ssl_certificate_key {live}/privkey.pem "
        f"and reload nginx; or let certbot's nginx plugin do both: `{nginx_plugin}`"
    )


async def _who_serves(ctx: ToolContext, domain: str, tls_block: ServerBlock | None) -> str:
    if tls_block is None:
        return "nginx serves it over plain HTTP only (no TLS server block)"
    path = tls_block.ssl_certificate
    if not path:
        return f"its TLS server block {tls_block.where} has no ssl_certificate"
    info = await read_certificate_file(ctx, path, domain)
    cert = info.get("file_certificate")
    if cert is None:
        return f"nginx's ssl_certificate {path} cannot be read ({info.get('certificate_error')})"
    if cert["self_signed"]:
        origin = "a self-signed certificate"
    else:
        origin = f"a certificate issued by {cert['issuer_cn'] or cert['issuer']}"
    phrase = expiry_phrase(cert["days_left"], cert["not_after"])
    return f"nginx serves {origin} from {path} (not certbot's), which {phrase}"


async def not_managed(
    ctx: ToolContext,
    domain: str,
    blocks: list[ServerBlock],
    tls_block: ServerBlock | None,
    lineages: list[Lineage] | None,
) -> ToolError:
    """The refusal when certbot is missing (``lineages`` None) or manages none of it."""
    who = await _who_serves(ctx, domain, tls_block)
    commands = issue_commands(ctx, domain, blocks)
    if lineages is None:
        return ToolError(
            "unavailable",
            f"certbot is not installed on this host ({ctx.settings.certbot_binary} not found), "
            f"so it does not manage {domain}: {who}",
            "install it (apt install certbot; or set tools.certbot_binary to its path), then "
            + commands,
        )
    names = ", ".join(f"{lin.name} ({' '.join(lin.domains)})" for lin in lineages[:20])
    return ToolError(
        "not_managed",
        f"certbot does not manage {domain}: {who}; certbot's certificates: {names or 'none'}",
        "renew it where it was issued, or " + commands,
    )
