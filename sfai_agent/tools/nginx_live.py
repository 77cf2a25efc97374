"""The live side of an nginx change: which master serves the config, a reload that is seen to
take effect, and whether a domain's site answers.

``nginx -s reload`` only sends a signal: the master then reads the config and starts new
workers, and old workers finish their requests. Checking the site right after the command
could reach an old worker and judge the old config. So a reload is verified by watching the
master's children: at least one new ``worker process``, and every old one gone or titled
``worker process is shutting down`` (it no longer accepts connections). When the master
rejects the new config at runtime (a port already taken...), no new worker appears and the
reload is reported as failed, with the end of nginx's error log.
"""

from __future__ import annotations

import asyncio
import posixpath
import time
from urllib.parse import urlsplit

from sfai_agent.exec.base import ExecutorError
from sfai_agent.tools.base import JSON, ToolContext
from sfai_agent.tools.http_check import http_check
from sfai_agent.tools.nginx import DEFAULT_CONF, NginxState, ServerBlock, running_masters
from sfai_agent.tools.nginx_conf import NginxConfig

POLL_S = 0.1
MAX_SITE_CHECKS = 4
ERROR_LOG_LINES = 5


async def find_master(ctx: ToolContext, state: NginxState) -> int | None:
    """The pid of the nginx master running ``state.conf``, or None when none runs it."""
    wanted = await ctx.executor.realpath(state.conf)
    for master in await running_masters(ctx):
        conf = master.conf or DEFAULT_CONF
        try:
            if conf == state.conf or await ctx.executor.realpath(conf) == wanted:
                return master.pid
        except ExecutorError:
            continue
    return None


async def workers(ctx: ToolContext, master: int) -> dict[int, str] | None:
    """The master's worker processes (pid -> title); None when the master is gone."""
    result = await ctx.executor.run(
        ["ps", "-ww", "-eo", "pid=,ppid=,args="], timeout=ctx.settings.command_timeout_s
    )
    found: dict[int, str] = {}
    alive = False
    for line in result.stdout.splitlines():
        parts = line.split(None, 2)
        if len(parts) < 3 or not parts[0].isdigit() or not parts[1].isdigit():
            continue
        pid, ppid, title = int(parts[0]), int(parts[1]), parts[2]
        alive = alive or pid == master
        if ppid == master and "worker process" in title:
            found[pid] = title
    return found if alive else None


def reload_argv(state: NginxState) -> list[str]:
    return [state.binary, "-s", "reload", "-c", state.conf] + (
        ["-p", state.prefix] if state.prefix else []
    )


async def error_log_tail(
    ctx: ToolContext, state: NginxState, config: NginxConfig | None
) -> list[str]:
    """The last lines of the main ``error_log`` (where a failed reload says why)."""
    path = "logs/error.log"
    for directive in config.directives if config else []:
        if directive.name == "error_log" and directive.args:
            path = directive.args[0]
            break
    if path.startswith(("syslog:", "memory:")) or path == "stderr":
        return []
    base = state.prefix or "/usr/share/nginx"
    path = posixpath.normpath(posixpath.join(base, path))
    try:
        tail = await ctx.executor.read_tail(path, lines=ERROR_LOG_LINES, max_bytes=16_384)
    except ExecutorError:
        return []
    return [line[-300:] for line in tail.lines]


async def reload(
    ctx: ToolContext, state: NginxState, master: int, wait_s: float, config: NginxConfig | None
) -> JSON:
    """``{"ok", "command", "output", "signalled", "waited_s"}``: the reload ran and new workers
    took over. ``signalled`` false: the command failed, the master never got the signal."""
    argv = reload_argv(state)
    before = await workers(ctx, master) or {}
    started = time.monotonic()
    try:
        ran = await ctx.executor.run(argv, timeout=ctx.settings.command_timeout_s)
    except ExecutorError as exc:
        return {"ok": False, "command": argv, "output": exc.message, "signalled": False}
    output = (ran.stderr + ran.stdout).strip()[-1_000:]
    outcome: JSON = {"ok": ran.ok, "command": argv, "output": output, "signalled": ran.ok}
    if not ran.ok:
        return outcome
    deadline = started + wait_s
    while True:
        now_workers = await workers(ctx, master)
        if now_workers is None:
            outcome.update(ok=False, output=f"the nginx master (pid {master}) exited")
            break
        fresh = [pid for pid in now_workers if pid not in before]
        lingering = [
            pid for pid in before if pid in now_workers and "shutting down" not in now_workers[pid]
        ]
        if fresh and not lingering:
            break
        if time.monotonic() >= deadline:
            outcome.update(
                ok=False,
                output=(
                    f"nginx did not start new worker processes within {wait_s:g}s of the "
                    "reload: it may have rejected the new config at runtime"
                ),
            )
            break
        await asyncio.sleep(POLL_S)
    outcome["waited_s"] = round(time.monotonic() - started, 2)
    if not outcome["ok"]:
        outcome["error_log"] = await error_log_tail(ctx, state, config)
    return outcome


def _resolve_to(address: str) -> str | None:
    if address.startswith("unix:"):
        return None
    if address in ("::", "[::]"):
        return "[::1]"
    if address in ("*", "0.0.0.0") or not any(ch.isdigit() for ch in address):
        return "127.0.0.1"  # every address, or a host name (localhost...)
    return f"[{address}]" if ":" in address else address


def site_targets(blocks: list[ServerBlock], domain: str) -> list[tuple[str, str]]:
    """(url, address to pin it to) for each distinct port the domain's blocks listen on."""
    host = domain.replace("*", "sfai-check", 1)
    found: dict[str, str] = {}
    for block in blocks:
        for listen in block.listens:
            pin = _resolve_to(listen.address)
            if pin is None or listen.port is None:
                continue
            scheme = "https" if listen.ssl or (block.ssl and listen.port == 443) else "http"
            found.setdefault(f"{scheme}://{host}:{listen.port}/", pin)
    return list(found.items())[:MAX_SITE_CHECKS]


async def check_site(
    ctx: ToolContext, targets: list[tuple[str, str]], timeout_s: float
) -> list[JSON]:
    """Each target checked once, concurrently: ``[{"url", "status", "ok", "error"}]``."""
    checks = [http_check(ctx, url, resolve_to=pin, timeout_s=timeout_s) for url, pin in targets]
    results = await asyncio.gather(*checks)
    return [
        {key: result[key] for key in ("url", "status", "ok", "error") if result.get(key) != ""}
        for result in results
    ]


def answers(checks: list[JSON]) -> bool:
    return bool(checks) and all(check["ok"] for check in checks)


def statuses(checks: list[JSON]) -> str:
    """``200`` or ``http 301, https 200`` or ``no answer``: for a one-line summary."""
    if not checks:
        return "(not checked: no TCP listen)"
    shown = [str(c["status"]) if c["status"] is not None else "no answer" for c in checks]
    if len(set(shown)) == 1:
        return shown[0]
    labels = [urlsplit(str(c["url"])) for c in checks]
    return ", ".join(f"{u.scheme}:{u.port} {s}" for u, s in zip(labels, shown, strict=True))
