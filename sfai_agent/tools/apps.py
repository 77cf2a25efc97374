"""Tools of the apps family: what runs on this host, seen from three sides at once.

``list_apps`` joins nginx's sites (from its config and ``nginx -t``), the services every
service manager reports, and the TCP sockets in LISTEN state, then ties each nginx upstream
(``proxy_pass http://127.0.0.1:8001``) to the process listening on that port: the usual
first question behind a 502. A missing part is reported in ``notes``, never an error.
The apps declared for ``deploy_app`` (``[apps.NAME]``), when there are any, come under
``declared`` with the commit their tree holds (read with git, never fetched).
``sfai check`` reads ``nginx.test_ok``, ``nginx.test_output`` and each site's ``ssl`` and
``server_names``: those names are a contract.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
from typing import Any

from sfai_agent.exec.base import ExecutorError
from sfai_agent.tools.base import JSON, ToolContext, ToolError, register
from sfai_agent.tools.nginx import NginxState, describe_block, nginx_state
from sfai_agent.tools.nginx_conf import split_target

MAX_LISTENING = 500
MAX_PROC_PIDS = 2_000
MAX_PROC_FDS = 50_000
_SS_USER = re.compile(r'\("([^"]*)",pid=(\d+),')
_LOOPBACK_NAMES = {"localhost", "ip6-localhost"}
_WILDCARDS = {"*", "0.0.0.0", "::"}


def parse_ss(output: str) -> list[JSON]:
    """Parse ``ss -ltnpH`` lines such as
    ``LISTEN 0 511 127.0.0.1:8080 0.0.0.0:* users:(("nginx",pid=1,fd=6))``."""
    sockets: list[JSON] = []
    for line in output.splitlines():
        fields = line.split(None, 5)
        if len(fields) < 5 or fields[0] != "LISTEN":
            continue
        address, _, port = fields[3].rpartition(":")
        if not port.isdigit():
            continue
        address = address.strip("[]").split("%", 1)[0]
        users = _SS_USER.findall(fields[5]) if len(fields) > 5 else []
        # Master and workers share the socket: the lowest pid is usually the parent.
        name, pid = min(((n, int(p)) for n, p in users), key=lambda u: u[1], default=(None, None))
        sockets.append({"address": address, "port": int(port), "process": name, "pid": pid})
    return sockets


def parse_proc_net(text: str, ipv6: bool) -> list[tuple[str, int, str]]:
    """LISTEN sockets of /proc/net/tcp or tcp6 as (address, port, inode)."""
    found: list[tuple[str, int, str]] = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 10 or fields[3] != "0A":
            continue
        hex_address, _, hex_port = fields[1].partition(":")
        raw = bytes.fromhex(hex_address)
        # The kernel prints each 32-bit word in host (little-endian) order.
        ordered = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
        address = ipaddress.IPv6Address(ordered) if ipv6 else ipaddress.IPv4Address(ordered)
        found.append((str(address), int(hex_port, 16), fields[9]))
    return found


async def _socket_owners(ctx: ToolContext, inodes: set[str]) -> dict[str, tuple[str, int]]:
    """inode -> (process name, pid), by reading /proc/PID/fd links; bounded."""
    owners: dict[str, tuple[str, int]] = {}
    seen_fds = 0
    try:
        pids = [e.name for e in await ctx.executor.list_dir("/proc") if e.name.isdigit()]
    except ExecutorError:
        return owners
    for pid in sorted(pids, key=int)[:MAX_PROC_PIDS]:
        if len(owners) == len(inodes) or seen_fds > MAX_PROC_FDS:
            break
        try:
            fds = await ctx.executor.list_dir(f"/proc/{pid}/fd", limit=4_096)
        except ExecutorError:
            continue
        for fd in fds:
            seen_fds += 1
            try:
                target = (await ctx.executor.stat(fd.path)).link_target or ""
            except ExecutorError:
                continue
            inode = target.removeprefix("socket:[").removesuffix("]")
            if inode in inodes and inode not in owners:
                try:
                    name = (await ctx.executor.read_file(f"/proc/{pid}/comm")).decode().strip()
                except ExecutorError:
                    name = ""
                owners[inode] = (name, int(pid))
    return owners


async def collect_listening(ctx: ToolContext) -> tuple[list[JSON], str | None]:
    """TCP listen sockets with their process: ``ss``, else /proc/net/tcp{,6}. (rows, note)."""
    try:
        result = await ctx.executor.run(["ss", "-ltnpH"], timeout=ctx.settings.command_timeout_s)
        if result.ok:
            return sorted(parse_ss(result.stdout), key=_port_order)[:MAX_LISTENING], None
    except ExecutorError:
        pass
    rows: list[tuple[str, int, str]] = []
    for path, ipv6 in (("/proc/net/tcp", False), ("/proc/net/tcp6", True)):
        try:
            text = (await ctx.executor.read_file(path)).decode("ascii", errors="replace")
        except ExecutorError:
            continue
        rows += parse_proc_net(text, ipv6)
    if not rows:
        return [], "no listening sockets could be read (neither ss nor /proc/net/tcp)"
    owners = await _socket_owners(ctx, {inode for _, _, inode in rows})
    sockets = [
        {
            "address": address,
            "port": port,
            "process": owners.get(inode, (None, None))[0],
            "pid": owners.get(inode, (None, None))[1],
        }
        for address, port, inode in rows
    ]
    note = "ss is not available: sockets read from /proc/net/tcp and /proc/net/tcp6"
    return sorted(sockets, key=_port_order)[:MAX_LISTENING], note


def _port_order(row: JSON) -> tuple[int, str]:
    return (int(row["port"]), str(row["address"]))


def _is_local(host: str) -> bool:
    if host in _LOOPBACK_NAMES or host in _WILDCARDS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def listener_for(host: str, port: int | None, listening: list[JSON]) -> JSON | None:
    """The listen socket a connection to host:port reaches on this host, if any."""
    if port is None:
        return None
    for row in listening:
        if row["port"] != port:
            continue
        address = str(row["address"])
        if address == host or (address in _WILDCARDS and _is_local(host)):
            return row
        if _is_local(address) and _is_local(host):
            return row
    return None


async def _backends(
    ctx: ToolContext, state: NginxState, site: JSON, listening: list[JSON]
) -> list[JSON]:
    backends: list[JSON] = []
    for target in site["upstreams"]:
        for host, port in split_target(target, state.upstream_groups):
            entry: JSON = {"upstream": target, "address": host, "port": port}
            if host.startswith("unix:"):
                try:
                    await ctx.executor.stat(host[5:], follow_symlinks=True)
                    entry["listening"] = True
                except ExecutorError:
                    entry["listening"] = False
            elif port is None or not _is_local(host):
                entry["listening"] = None
                entry["note"] = "not on this host, or not resolvable from the config"
            else:
                row = listener_for(host, port, listening)
                entry["listening"] = row is not None
                entry["process"] = row["process"] if row else None
                entry["pid"] = row["pid"] if row else None
            backends.append(entry)
    return backends


async def nginx_section(ctx: ToolContext, listening: list[JSON]) -> tuple[JSON | None, str | None]:
    try:
        state = await nginx_state(ctx)
    except ToolError as exc:
        return None, f"{exc.message} ({exc.hint})" if exc.hint else exc.message
    section: JSON = {
        "config_file": state.conf,
        "config_source": state.source,
        "test_ok": bool(state.test["ok"]),
        "test_output": state.test["output"],
        "sites": [],
    }
    if state.parse_error:
        section["parse_error"] = state.parse_error
    for block in state.servers:
        site = describe_block(state, block, text=False)
        site["backends"] = await _backends(ctx, state, site, listening)
        section["sites"].append(site)
    return section, None


async def services_section(ctx: ToolContext) -> tuple[list[JSON] | None, list[JSON], str | None]:
    try:
        from sfai_agent.tools.managers import collect_services
    except ImportError:  # pragma: no cover - a build without the services family
        return None, [], "service managers are not available in this build"
    try:
        records, managers = await collect_services(ctx)
    except (ToolError, ExecutorError) as exc:
        return None, [], f"services could not be listed: {exc.message}"
    return [record.as_dict() for record in records], managers, None


async def declared_section(ctx: ToolContext) -> tuple[list[JSON] | None, str | None]:
    """The apps deploy_app may deploy (``[apps.NAME]``) with the commit each tree holds."""
    if not ctx.settings.apps:
        return None, None
    from sfai_agent.tools.app_specs import declared_apps
    from sfai_agent.tools.git_ops import deployed_state

    try:
        specs = declared_apps(ctx.settings.apps)
    except ToolError as exc:
        return None, exc.message
    return list(await asyncio.gather(*(deployed_state(ctx, s) for s in specs.values()))), None


def _summary(result: JSON) -> str:
    parts: list[str] = []
    nginx = result.get("nginx")
    if nginx is not None:
        verdict = "config ok" if nginx["test_ok"] else "config test FAILED"
        parts.append(f"nginx: {len(nginx['sites'])} site(s), {verdict}")
    if result.get("services") is not None:
        running = sum(1 for s in result["services"] if s.get("state") == "running")
        parts.append(f"{len(result['services'])} service(s), {running} running")
    if result.get("listening") is not None:
        parts.append(f"{len(result['listening'])} listening TCP socket(s)")
    if result.get("declared") is not None:
        parts.append(f"{len(result['declared'])} declared app(s) for deploy_app")
    return "; ".join(parts) or "nothing found: see notes"


@register(
    name="list_apps",
    family="apps",
    description="""What runs on this host: nginx sites (server names, listen, TLS, certificate
    path, root, upstreams and, for each upstream, the local process listening on its port),
    the `nginx -t` verdict, services from every service manager (systemd, supervisor, pm2,
    docker), the TCP ports in LISTEN with their process, and the apps declared for
    deploy_app (declared: name, path, branch, service, health_url and the deployed commit).
    Start here for "what is on this server", and to find which app is behind a domain or a
    502.""",
)
async def list_apps(ctx: ToolContext, args: JSON) -> JSON:
    (listening, listening_note), services_part, (declared, declared_note) = await asyncio.gather(
        collect_listening(ctx), services_section(ctx), declared_section(ctx)
    )
    nginx, nginx_note = await nginx_section(ctx, listening)
    services, managers, services_note = services_part
    result: dict[str, Any] = {}
    notes: dict[str, str] = {}
    if nginx is not None:
        result["nginx"] = nginx
    if services is not None:
        result["services"] = services
        result["service_managers"] = managers
    result["listening"] = listening
    if declared is not None:
        result["declared"] = declared
    for key, note in (
        ("nginx", nginx_note),
        ("services", services_note),
        ("listening", listening_note),
        ("declared", declared_note),
    ):
        if note:
            notes[key] = note
    if notes:
        result["notes"] = notes
    result["summary"] = _summary(result)
    return result
