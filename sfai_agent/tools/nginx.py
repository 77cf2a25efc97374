"""Tools of the nginx family: where nginx's config is, what ``nginx -t`` says about it, and
which server blocks answer for a domain.

The config is found the way an admin would look: the configured path, else the ``-c`` of the
running master process (as ``ps`` shows it), else Debian's /etc/nginx/nginx.conf. It is parsed
by :mod:`sfai_agent.tools.nginx_conf` through the executor, so this works over SSH too.
The parsed state is memoised in ``ctx.cache`` for the request: ``get_ssl_status`` and
``list_apps`` reuse it (they import :func:`nginx_state`, :func:`select_blocks`...).
"""

from __future__ import annotations

import posixpath
import textwrap
from dataclasses import dataclass, field
from typing import Any

from sfai_agent.exec.base import ExecutorError
from sfai_agent.policy.identifiers import domain_name
from sfai_agent.tools.base import JSON, ToolContext, ToolError, object_schema, register
from sfai_agent.tools.nginx_conf import (
    Directive,
    Listen,
    NginxConfig,
    NginxConfigError,
    load_config,
    name_rank,
    parse_listen,
)
from sfai_agent.tools.render import render_text

DEFAULT_CONF = "/etc/nginx/nginx.conf"
TEST_OUTPUT_CHARS = 4_000
BLOCK_TEXT_LINES = 150
BLOCK_TEXT_CHARS = 6_000
MAX_LOCATIONS = 100
PASS_DIRECTIVES = ("proxy_pass", "fastcgi_pass", "uwsgi_pass", "scgi_pass", "grpc_pass")
LOCATION_KEYS = (*PASS_DIRECTIVES, "root", "alias", "return", "try_files")
_INSTALL_HINT = "install nginx (apt install nginx), or set tools.nginx_binary to its path"


@dataclass(frozen=True)
class MasterProcess:
    """A running nginx master, as ``ps`` shows it: ``nginx: master process ARGV``."""

    pid: int
    binary: str
    conf: str | None
    prefix: str | None


@dataclass
class ServerBlock:
    directive: Directive
    names: list[str]
    listens: list[Listen]
    ssl: bool
    ssl_certificate: str | None
    """Absolute (resolved against the config's directory); may hold nginx variables."""
    root: str | None

    @property
    def where(self) -> str:
        return f"{self.directive.file}:{self.directive.line}"


@dataclass
class NginxState:
    conf: str
    prefix: str | None
    source: str
    binary: str
    test: JSON
    config: NginxConfig | None = None
    parse_error: str | None = None
    servers: list[ServerBlock] = field(default_factory=list)
    upstream_groups: dict[str, list[str]] = field(default_factory=dict)


def parse_master_line(line: str) -> MasterProcess | None:
    """``"4583 nginx: master process /usr/sbin/nginx -c /x/nginx.conf -p /x/ -g daemon off;"``.

    ``ps`` joins argv with spaces, so ``-g``'s value is skipped up to the next option; paths
    with spaces cannot be recovered (set ``tools.nginx_conf`` then).
    """
    pid_text, _, title = line.strip().partition(" ")
    marker = "nginx: master process"
    title = title.strip()
    if not pid_text.isdigit() or not title.startswith(marker):
        return None
    words = title[len(marker) :].split()
    values: dict[str, str] = {}
    i = 1
    while i < len(words):
        word = words[i]
        option = word[1:2] if word.startswith("-") else ""
        if option in ("c", "p", "g", "e"):
            value = word[2:]
            if not value and i + 1 < len(words):
                i += 1
                value = words[i]
            values[option] = value
            if option == "g":  # its value is a config snippet that ps split on spaces
                while i + 1 < len(words) and not words[i + 1].startswith("-"):
                    i += 1
        i += 1
    prefix = values.get("p") or None
    conf = values.get("c") or None
    if conf and prefix and not posixpath.isabs(conf):
        conf = posixpath.join(prefix, conf)
    return MasterProcess(int(pid_text), words[0] if words else "nginx", conf, prefix)


async def running_masters(ctx: ToolContext) -> list[MasterProcess]:
    # -ww: without it ps cuts lines to $COLUMNS (80 when it has no terminal).
    try:
        result = await ctx.executor.run(
            ["ps", "-ww", "-eo", "pid=,args="], timeout=ctx.settings.command_timeout_s
        )
    except ExecutorError:
        return []
    masters = (parse_master_line(line) for line in result.stdout.splitlines())
    return [m for m in masters if m is not None]


def _arg(block: Directive, name: str) -> str | None:
    found = block.first(name)
    return found.args[0] if found and found.args else None


def _absolute(config: NginxConfig, path: str | None) -> str | None:
    if not path or posixpath.isabs(path) or path.startswith("$"):
        return path
    return posixpath.normpath(posixpath.join(config.conf_dir, path))


def analyse(config: NginxConfig) -> tuple[list[ServerBlock], dict[str, list[str]]]:
    """The http server blocks (with http-level inheritance) and the ``upstream`` groups."""
    servers: list[ServerBlock] = []
    groups: dict[str, list[str]] = {}
    for http in (d for d in config.directives if d.name == "http" and d.block is not None):
        for upstream in http.children("upstream"):
            if upstream.args:
                groups[upstream.args[0]] = [
                    s.args[0] for s in upstream.children("server") if s.args
                ]
        http_ssl_on = _arg(http, "ssl") == "on"
        for server in http.children("server"):
            if server.block is None:
                continue
            names = [n.lower() for d in server.children("server_name") for n in d.args]
            listens = [parse_listen(d.args) for d in server.children("listen")] or [
                parse_listen([])
            ]
            ssl_on = http_ssl_on or _arg(server, "ssl") == "on"
            cert = _arg(server, "ssl_certificate") or _arg(http, "ssl_certificate")
            servers.append(
                ServerBlock(
                    directive=server,
                    names=names,
                    listens=listens,
                    ssl=ssl_on or any(listen.ssl for listen in listens),
                    ssl_certificate=_absolute(config, cert),
                    root=_arg(server, "root") or _arg(http, "root"),
                )
            )
    return servers, groups


def _endpoints(block: ServerBlock) -> set[tuple[str, int | None]]:
    return {(listen.address, listen.port) for listen in block.listens}


def select_blocks(servers: list[ServerBlock], domain: str) -> list[ServerBlock]:
    """The blocks nginx picks for ``domain``: on each address:port, the best-named one."""
    best: dict[tuple[str, int | None], tuple[tuple[int, int], int]] = {}
    for index, block in enumerate(servers):
        rank = max((r for n in block.names if (r := name_rank(n, domain))), default=None)
        if rank is None:
            continue
        for endpoint in _endpoints(block):
            if endpoint not in best or rank > best[endpoint][0]:
                best[endpoint] = (rank, index)
    chosen = sorted({index for _, index in best.values()})
    return [servers[i] for i in chosen]


def default_blocks(servers: list[ServerBlock]) -> list[ServerBlock]:
    """Per address:port, the ``default_server`` block, else the first one listening there."""
    chosen: dict[tuple[str, int | None], int] = {}
    for index, block in enumerate(servers):
        for listen in block.listens:
            key = (listen.address, listen.port)
            if key not in chosen or (
                listen.default_server and not _is_default(servers[chosen[key]], key)
            ):
                chosen[key] = index
    return [servers[i] for i in sorted(set(chosen.values()))]


def _is_default(block: ServerBlock, key: tuple[str, int | None]) -> bool:
    return any(ls.default_server and (ls.address, ls.port) == key for ls in block.listens)


def unknown_domain(state: NginxState, domain: str) -> ToolError:
    """not_found for a domain no server_name matches, naming what would answer instead."""
    known = sorted({n for s in state.servers for n in s.names if n not in ("_", "")})
    defaults = ", ".join(
        f"{b.where} (listen {', '.join(ls.raw for ls in b.listens)})"
        for b in default_blocks(state.servers)
    )
    message = f"no nginx server block has a server_name matching {domain}"
    if defaults:
        message += f"; requests for it are answered by the default server: {defaults}"
    shown = ", ".join(known[:30]) + (f" (+{len(known) - 30} more)" if len(known) > 30 else "")
    return ToolError(
        "not_found",
        message,
        f"known server names: {shown}" if known else "this nginx config declares no server_name",
    )


def pass_targets(block: Directive) -> list[str]:
    found = (d.args[0] for d in block.walk() if d.name in PASS_DIRECTIVES and d.args)
    return list(dict.fromkeys(found))


def _locations(block: Directive) -> list[JSON]:
    found: list[JSON] = []
    for directive in block.walk():
        if directive.name != "location" or directive.block is None:
            continue
        entry: JSON = {"match": " ".join(directive.args), "line": directive.line}
        if directive.file != block.file:
            entry["file"] = directive.file
        for key in LOCATION_KEYS:
            value = directive.first(key)
            if value is not None:
                entry[key] = " ".join(value.args)
        found.append(entry)
    return found[:MAX_LOCATIONS]


def block_text(config: NginxConfig, directive: Directive) -> str:
    """The block's own source text, dedented and bounded (included files are not inlined)."""
    lines = config.source_lines(directive.file, directive.line, directive.end_line)
    cut = len(lines) > BLOCK_TEXT_LINES
    text = textwrap.dedent("\n".join(lines[:BLOCK_TEXT_LINES]))
    if len(text) > BLOCK_TEXT_CHARS:
        text, cut = text[:BLOCK_TEXT_CHARS], True
    return text + ("\n# … [truncated]" if cut else "")


def describe_block(state: NginxState, block: ServerBlock, *, text: bool) -> JSON:
    upstreams = pass_targets(block.directive)
    described: JSON = {
        "file": block.directive.file,
        "line": block.directive.line,
        "server_names": block.names,
        "listen": [listen.raw for listen in block.listens],
        "ssl": block.ssl,
        "ssl_certificate": block.ssl_certificate,
        "root": block.root,
        "upstreams": upstreams,
    }
    groups = {
        host: state.upstream_groups[host]
        for target in upstreams
        if (host := target.partition("://")[2].split("/")[0]) in state.upstream_groups
    }
    if groups:
        described["upstream_servers"] = groups
    if text and state.config is not None:
        described["locations"] = _locations(block.directive)
        described["text"] = block_text(state.config, block.directive)
    return described


async def _is(ctx: ToolContext, path: str | None, kind: str) -> bool:
    try:
        return (
            bool(path) and (await ctx.executor.stat(str(path), follow_symlinks=True)).kind == kind
        )
    except ExecutorError:
        return False


async def _locate(ctx: ToolContext) -> tuple[str, str | None, str]:
    """(conf, prefix, source). nginx writes its process title over its argv and environment,
    so with a small environment ``ps`` shows the command line cut short: a ``-c``/``-p`` read
    there is used only once the file/directory is seen to exist."""
    masters = await running_masters(ctx)
    if ctx.settings.nginx_conf:
        conf = ctx.settings.nginx_conf
        prefix = next((m.prefix for m in masters if m.conf == conf and m.prefix), None)
        return conf, prefix if await _is(ctx, prefix, "dir") else None, "settings"
    for master in masters:
        if master.conf is None or await _is(ctx, master.conf, "file"):
            prefix = master.prefix if await _is(ctx, master.prefix, "dir") else None
            return master.conf or DEFAULT_CONF, prefix, f"running master (pid {master.pid})"
    if masters:
        raise ToolError(
            "not_found",
            f"nginx runs (master pid {masters[0].pid}) with -c {masters[0].conf}, which is not a "
            "file here: ps may show its command line cut short",
            "set tools.nginx_conf to nginx's main config file",
        )
    return DEFAULT_CONF, None, "default path"


async def run_config_test(ctx: ToolContext, binary: str, conf: str, prefix: str | None) -> JSON:
    argv = [binary, "-t", "-c", conf] + (["-p", prefix] if prefix else [])
    try:
        result = await ctx.executor.run(argv, timeout=ctx.settings.command_timeout_s)
    except ExecutorError as exc:
        return {"ok": False, "output": f"nginx -t could not run: {exc.message}"}
    output = (result.stderr + result.stdout).strip()
    if len(output) > TEST_OUTPUT_CHARS:
        output = output[-TEST_OUTPUT_CHARS:] + "\n[truncated]"
    return {"ok": result.ok, "output": output}


async def nginx_state(ctx: ToolContext) -> NginxState:
    """Find, test and parse nginx's config once per request.

    Raises ToolError ``unavailable`` when nginx is not installed, ``not_found`` when the
    config file does not exist. A syntax error is not raised: it is in ``parse_error``.
    """
    cached = ctx.cache.get("nginx_state")
    if isinstance(cached, NginxState):
        return cached
    binary = await ctx.executor.which(ctx.settings.nginx_binary)
    if binary is None:
        raise ToolError("unavailable", "nginx is not installed on this host", _INSTALL_HINT)
    conf, prefix, source = await _locate(ctx)
    try:
        await ctx.executor.stat(conf, follow_symlinks=True)
    except ExecutorError as exc:
        raise ToolError(
            exc.code,
            f"nginx config {conf} ({source}): {exc.message}",
            "set tools.nginx_conf to nginx's main config file"
            if exc.code == "not_found"
            else exc.hint,
        ) from None
    state = NginxState(
        conf, prefix, source, binary, await run_config_test(ctx, binary, conf, prefix)
    )
    try:
        state.config = await load_config(ctx.executor, conf)
        state.servers, state.upstream_groups = analyse(state.config)
    except NginxConfigError as exc:
        state.parse_error = str(exc)
    ctx.cache["nginx_state"] = state
    return state


def require_config(state: NginxState) -> NginxConfig:
    if state.config is None:
        raise ToolError(
            "unavailable",
            f"nginx config cannot be parsed: {state.parse_error}; nginx -t says: "
            + state.test["output"][-600:],
            "fix the syntax error at that file:line, then check again with nginx -t",
        )
    return state.config


async def domain_blocks(ctx: ToolContext, domain: str) -> tuple[NginxState, list[ServerBlock]]:
    """nginx's parsed state and the server blocks it picks for ``domain`` (never empty).

    Raises ToolError as :func:`nginx_state` does, ``unavailable`` when the config cannot be
    parsed (:func:`require_config`), and :func:`unknown_domain` when no block answers for
    ``domain``.
    """
    state = await nginx_state(ctx)
    require_config(state)
    blocks = select_blocks(state.servers, domain)
    if not blocks:
        raise unknown_domain(state, domain)
    return state, blocks


DOMAIN_SCHEMA = object_schema(
    {"domain": {"type": "string", "maxLength": 260, "description": "e.g. shop.example.com"}},
    ["domain"],
)
"""Input of the tools that take one domain served by nginx."""


def _render(result: JSON) -> str:
    if not result.get("ok", True):
        return render_text(result)
    test = result.get("test", {})
    lines = [str(result.get("summary", "")), f"config: {result.get('config_file')}"]
    lines.append(f"nginx -t: {'ok' if test.get('ok') else 'FAILED'}")
    lines += ["  " + line for line in str(test.get("output", "")).splitlines()]
    for block in result.get("server_blocks", []):
        lines.append(f"\nserver block {block['file']}:{block['line']} ({block.get('match', '')})")
        for key in ("server_names", "listen", "ssl_certificate", "root", "upstreams"):
            value = block.get(key)
            if value:
                shown = ", ".join(value) if isinstance(value, list) else value
                lines.append(f"  {key}: {shown}")
        lines += ["  | " + line for line in str(block.get("text", "")).splitlines()]
    return "\n".join(lines)


@register(
    name="get_nginx_config",
    family="nginx",
    schema=DOMAIN_SCHEMA,
    description="""The nginx server block(s) that answer for a domain: file and line, server
    names, listen directives, TLS certificate path, document root, upstreams (proxy_pass,
    fastcgi_pass...), locations and the block's source text, plus the result of `nginx -t`.
    Use it to see how a site is wired before explaining a 502, a redirect loop or a TLS issue.""",
    renderer=_render,
)
async def get_nginx_config(ctx: ToolContext, args: JSON) -> JSON:
    domain = domain_name(args.get("domain"))
    state, blocks = await domain_blocks(ctx, domain)
    described: list[JSON] = []
    for block in blocks:
        entry = describe_block(state, block, text=True)
        best = max(block.names, key=lambda n: name_rank(n, domain) or (0, 0))
        entry["match"] = "exact" if best == domain else f"wildcard {best}"
        described.append(entry)
    where = ", ".join(
        f"{b['file']}:{b['line']} (listen {'; '.join(b['listen'])})" for b in described
    )
    verdict = "nginx -t ok" if state.test["ok"] else "nginx -t FAILED"
    result: dict[str, Any] = {
        "summary": f"{domain}: {len(blocks)} server block(s) at {where}; {verdict}",
        "domain": domain,
        "config_file": state.conf,
        "config_source": state.source,
        "server_blocks": described,
        "test": state.test,
    }
    if state.config is not None and state.config.warnings:
        result["warnings"] = state.config.warnings
    return result
