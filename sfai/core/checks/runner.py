"""Run every analyzer against one host: gather tool results concurrently, then judge."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from sfai.core.checks import analyzers
from sfai.core.checks.fill_rate import WINDOW_S, fill_rate
from sfai.core.checks.findings import CheckReport, Finding
from sfai.core.config import CheckThresholds
from sfai.core.host import Host
from sfai.core.store import Store

JSON = dict[str, Any]

BASE_TOOLS = (
    "get_disk_usage",
    "get_memory_status",
    "get_system_overview",
    "list_services",
    "list_apps",
)


def tls_domains(apps: JSON) -> list[str]:
    nginx = apps.get("nginx")
    if not isinstance(nginx, dict):
        return []
    domains: list[str] = []
    for site in nginx.get("sites", []):
        if not site.get("ssl"):
            continue
        for name in site.get("server_names", []):
            if (
                name
                and name != "_"
                and not name.startswith("~")
                and "*" not in name
                and name not in domains
            ):
                domains.append(name)
    return domains


def _fill_rates(store: Store | None, host: str, disk: JSON) -> dict[str, float]:
    if store is None:
        return {}
    now = time.time()
    rates: dict[str, float] = {}
    for fs in disk.get("filesystems", []):
        mount = fs.get("mountpoint")
        if not mount:
            continue
        store.record_disk_sample(
            host, mount, int(fs.get("used_bytes", 0)), int(fs.get("size_bytes", 0)), now
        )
        rate = fill_rate(store.disk_samples(host, mount, now - WINDOW_S))
        if rate is not None:
            rates[mount] = rate
    store.prune_disk_samples(now - 4 * WINDOW_S)
    return rates


async def run_checks(
    host: Host, limits: CheckThresholds, store: Store | None = None
) -> CheckReport:
    results = await asyncio.gather(*(host.call_tool(name, {}) for name in BASE_TOOLS))
    by_tool = dict(zip(BASE_TOOLS, results, strict=True))
    errors = [
        f"{name}: {result['error'].get('message', '')}"
        for name, result in by_tool.items()
        if not result.get("ok")
    ]
    ok = {name: result for name, result in by_tool.items() if result.get("ok")}
    findings: list[Finding] = []
    checks_run: list[str] = []
    if "get_disk_usage" in ok:
        disk = ok["get_disk_usage"]
        findings += analyzers.analyze_disk(disk, limits, _fill_rates(store, host.name, disk))
        checks_run += ["disk", "inodes"]
    if "get_memory_status" in ok:
        findings += analyzers.analyze_memory(ok["get_memory_status"], limits)
        findings += analyzers.analyze_oom(ok["get_memory_status"])
        checks_run += ["memory", "swap", "oom"]
    if "get_system_overview" in ok:
        findings += analyzers.analyze_load(ok["get_system_overview"], limits)
        checks_run.append("load")
    if "list_services" in ok:
        findings += analyzers.analyze_services(ok["list_services"])
        checks_run.append("services")
    if "list_apps" in ok:
        apps = ok["list_apps"]
        if isinstance(apps.get("nginx"), dict):
            findings += analyzers.analyze_nginx(apps)
            findings += analyzers.analyze_upstreams(apps)
            checks_run += ["nginx", "upstreams"]
        domains = tls_domains(apps)
        certificates = await asyncio.gather(
            *(host.call_tool("get_ssl_status", {"domain": d}) for d in domains)
        )
        for domain, result in zip(domains, certificates, strict=True):
            if result.get("ok"):
                findings += analyzers.analyze_certificate(result, limits)
            else:
                errors.append(f"get_ssl_status {domain}: {result['error'].get('message', '')}")
        if domains:
            checks_run.append("certificates")
    findings.sort(key=lambda f: (-f.severity.rank, f.check, f.title))
    return CheckReport(host=host.name, findings=findings, checks_run=checks_run, errors=errors)
