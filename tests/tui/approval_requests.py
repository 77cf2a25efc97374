"""Real approval requests for the TUI tests, built the way ``ToolCaller`` builds them: the
real policy refusal's reason and the real dry-run as preview (``clean_disk`` on a real tree of
files, ``restart_service`` against the real supervisord), plus a config change's diff.

For snapshots, the test's temporary paths, pids and uptimes are rewritten to fixed values
(``normalised``) and file times are set with ``os.utime``: data, not stand-ins."""

from __future__ import annotations

import difflib
import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from textual.app import App

from sfai.core.approval import Answer, ApprovalRequest
from sfai.tui.screens.approval import ApprovalScreen
from sfai_agent.exec import LocalExecutor
from sfai_agent.settings import AgentSettings
from sfai_agent.tools.base import ToolContext
from sfai_agent.tools.catalog import load_catalog
from sfai_agent.tools.render import render_result
from sfai_agent.tools.runner import call_tool
from tests.fixtures.supervisor import SupervisorInstance

MiB = 1024 * 1024
FIXED_MTIME = 1_736_935_200  # 2025-01-15 10:00 UTC
SIZE = (100, 32)


def build_tree(root: Path) -> dict[str, Any]:
    """Rotated logs, old temp files and a cache, plus what must be kept; the settings that
    make them the cleanup roots."""
    files = {
        "log/syslog.1": MiB,
        "log/syslog.2.gz": MiB // 2,
        "log/nginx/access.log.1": 3 * MiB,
        "log/nginx/error.log-20261101.gz": MiB // 4,
        "log/syslog": 4096,  # live: kept
        "tmp/build-cache.bin": 2 * MiB,
        "cache/app/thumbnails.db": MiB // 2,
    }
    for name, size in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\0" * size)
        os.utime(path, (FIXED_MTIME, FIXED_MTIME))
    (root / "log" / "evil.1").symlink_to(root / "tmp" / "build-cache.bin")
    return {
        "log_roots": (str(root / "log"),),
        "temp_dirs": (str(root / "tmp"),),
        "cleanup_cache_dirs": (str(root / "cache"),),
    }


def rewrite(value: Any, replacements: dict[str, str]) -> Any:
    """``value`` with every path prefix in ``replacements`` rewritten (longest first)."""
    text = json.dumps(value)
    for old in sorted(replacements, key=len, reverse=True):
        text = text.replace(old, replacements[old])
    return json.loads(text)


async def request_for(
    name: str, arguments: dict[str, Any], context: ToolContext, **preview_changes: Any
) -> tuple[ApprovalRequest, dict[str, Any]]:
    """What ``ToolCaller`` would put to the person: the real refusal's reason, the real
    dry-run as preview; returns the request and the raw dry-run."""
    refusal = await call_tool(name, arguments, context)
    assert refusal["error"]["code"] == "approval_required", refusal
    dry_run = await call_tool(name, {**arguments, "dry_run": True}, context)
    assert dry_run["ok"], dry_run
    preview = {**dry_run, **preview_changes}
    request = ApprovalRequest(
        id="toolu_01",
        tool=name,
        arguments=arguments,
        risk=load_catalog()[name].spec.risk.value,
        host="local",
        reason=refusal["error"]["message"],
        preview=preview,
        preview_text=render_result(name, preview),
    )
    return request, dry_run


async def clean_disk_request(root: Path, normalised: bool = True) -> ApprovalRequest:
    settings = AgentSettings(**build_tree(root))
    context = ToolContext(executor=LocalExecutor(), settings=settings)
    arguments = {"paths": ["rotated-logs", "tmp", "cache"], "dry_run": False}
    request, _ = await request_for("clean_disk", arguments, context)
    if not normalised:
        return request
    names = {f"{root}/log": "/var/log", f"{root}/tmp": "/tmp", f"{root}/cache": "/var/cache"}
    preview = rewrite(request.preview, names)
    return replace(request, preview=preview, preview_text=render_result("clean_disk", preview))


async def restart_request(
    supervisor: SupervisorInstance, tool: str = "restart_service", service: str = "worker"
) -> ApprovalRequest:
    context = ToolContext(executor=LocalExecutor(), settings=AgentSettings(**supervisor.settings))
    request, _ = await request_for(tool, {"service": service, "dry_run": False}, context)
    return request


def normalise_restart(request: ApprovalRequest, supervisor: SupervisorInstance) -> ApprovalRequest:
    """The test's supervisord config path, pid and uptime as fixed values."""
    preview = rewrite(request.preview, {str(supervisor.config): "/etc/supervisor/supervisord.conf"})
    pid = preview["before"]["pid"]
    preview["before"].update(pid=4242, uptime_s=3723)
    preview["summary"] = preview["summary"].replace(f"pid {pid}", "pid 4242")
    return replace(request, preview=preview, preview_text=render_result(request.tool, preview))


NGINX_BEFORE = """\
server {
    listen 443 ssl;
    server_name shop.example.com;

    location / {
        proxy_pass http://127.0.0.1:3000;
        proxy_read_timeout 60s;
    }
}
"""


def diff_request() -> ApprovalRequest:
    """A config change's preview: any ``diff`` string is shown as a coloured diff."""
    after = NGINX_BEFORE.replace("3000", "3001").replace("60s", "120s")
    path = "/etc/nginx/sites-enabled/shop.conf"
    diff = "".join(
        difflib.unified_diff(
            NGINX_BEFORE.splitlines(keepends=True),
            after.splitlines(keepends=True),
            f"a{path}",
            f"b{path}",
        )
    )
    preview: dict[str, Any] = {
        "ok": True,
        "summary": "dry-run: would change 2 lines in shop.conf; nginx -t passes",
        "dry_run": True,
        "diff": diff,
    }
    return ApprovalRequest(
        id="toolu_02",
        tool="fix_nginx_config",
        arguments={"domain": "shop.example.com", "fix": "upstream_port", "dry_run": False},
        risk="medium",
        host="web1",
        reason="fix_nginx_config needs the person's approval: actions ask by default",
        preview=preview,
        preview_text=preview["summary"],
    )


class Harness(App[None]):
    """Pushes the modal on mount and keeps what it was dismissed with."""

    def __init__(self, request: ApprovalRequest) -> None:
        super().__init__()
        self.request = request
        self.answers: list[Answer | None] = []
        self.bells = 0

    def on_mount(self) -> None:
        self.push_screen(ApprovalScreen(self.request), callback=self.answers.append)

    def bell(self) -> None:
        self.bells += 1
