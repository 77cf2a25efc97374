"""Analyzers: pure functions from tool results (and thresholds) to findings.

They read the catalog's result conventions only, so they work the same on any
host and are tested on real tool output.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sfai.core.checks.findings import Finding, Severity
from sfai.core.config import CheckThresholds

JSON = dict[str, Any]


def _level(value: float, warning: float, critical: float) -> Severity | None:
    if value >= critical:
        return Severity.CRITICAL
    if value >= warning:
        return Severity.WARNING
    return None


def _gib(value: float) -> str:
    return f"{value / 1024**3:.1f} GiB"


def analyze_disk(
    disk: JSON, limits: CheckThresholds, fill_rates: dict[str, float]
) -> list[Finding]:
    """Space and inode pressure per filesystem, plus time-to-full when the fill rate is known.

    ``fill_rates`` maps mountpoint to growth in bytes per second (from stored samples).
    """
    findings: list[Finding] = []
    for fs in disk.get("filesystems", []):
        mount = fs.get("mountpoint", "?")
        used = float(fs.get("used_percent") or 0)
        level = _level(used, limits.disk_warning_percent, limits.disk_critical_percent)
        evidence = [
            f"{mount} ({fs.get('device', '?')}, {fs.get('fstype', '?')}): {used:.1f}% used, "
            f"{_gib(fs.get('free_bytes', 0))} free of {_gib(fs.get('size_bytes', 0))}"
        ]
        rate = fill_rates.get(mount, 0.0)
        days_left = fs.get("free_bytes", 0) / rate / 86_400 if rate > 0 else None
        if days_left is not None:
            evidence.append(
                f"growing {_gib(rate * 86_400)}/day: full in about {days_left:.1f} days"
            )
        if level:
            findings.append(
                Finding(
                    severity=level,
                    check="disk",
                    title=f"{mount} is {used:.0f}% full",
                    evidence=evidence,
                    next_step=f"find what takes the space: sfai tools run get_disk_usage --arg path={mount}",
                    fix_tool="clean_disk",
                    fix_arguments={"paths": [mount], "dry_run": True},
                )
            )
        elif days_left is not None and days_left <= limits.disk_full_warning_days:
            findings.append(
                Finding(
                    severity=Severity.CRITICAL if days_left <= 1 else Severity.WARNING,
                    check="disk",
                    title=f"{mount} will be full in about {days_left:.1f} days at the current rate",
                    evidence=evidence,
                    next_step=f"find what grows: sfai tools run get_disk_usage --arg path={mount}",
                    fix_tool="clean_disk",
                    fix_arguments={"paths": [mount], "dry_run": True},
                )
            )
        inodes = float(fs.get("inodes_used_percent") or 0)
        inode_level = _level(inodes, limits.inode_warning_percent, limits.inode_critical_percent)
        if inode_level:
            findings.append(
                Finding(
                    severity=inode_level,
                    check="inodes",
                    title=f"{mount} has used {inodes:.0f}% of its inodes",
                    evidence=[f"{mount}: {inodes:.1f}% of inodes used (many small files)"],
                    next_step=f"look for directories with many small files under {mount} "
                    "(session files, mail queues, caches)",
                )
            )
    return findings


def analyze_memory(memory: JSON, limits: CheckThresholds) -> list[Finding]:
    findings: list[Finding] = []
    ram = memory.get("ram", {})
    used = float(ram.get("used_percent") or 0)
    level = _level(used, limits.memory_warning_percent, limits.memory_critical_percent)
    top = memory.get("top_consumers", [])[:3]
    consumers = ", ".join(f"{p.get('name', '?')} ({_gib(p.get('rss_bytes', 0))})" for p in top)
    if level:
        findings.append(
            Finding(
                severity=level,
                check="memory",
                title=f"memory is {used:.0f}% used",
                evidence=[
                    f"{_gib(ram.get('available_bytes', 0))} available of {_gib(ram.get('total_bytes', 0))}",
                    *([f"largest: {consumers}"] if consumers else []),
                ],
                next_step="see which processes grow: sfai tools run get_memory_status",
            )
        )
    swap = memory.get("swap", {})
    if swap.get("total_bytes"):
        swap_used = float(swap.get("used_percent") or 0)
        swap_level = _level(swap_used, limits.swap_warning_percent, limits.swap_critical_percent)
        if swap_level:
            findings.append(
                Finding(
                    severity=swap_level,
                    check="swap",
                    title=f"swap is {swap_used:.0f}% used",
                    evidence=[
                        f"{_gib(swap.get('used_bytes', 0))} of {_gib(swap['total_bytes'])} swap in use"
                    ],
                    next_step="the host is short of RAM: find the largest consumers "
                    "(sfai tools run get_memory_status) or add memory",
                )
            )
    return findings


def analyze_oom(memory: JSON) -> list[Finding]:
    kills = memory.get("oom_kills", [])
    if not kills:
        return []
    by_process = Counter(str(k.get("process", "?")) for k in kills)
    last = kills[-1]
    return [
        Finding(
            severity=Severity.WARNING,
            check="oom",
            title="the kernel's OOM killer killed "
            + ", ".join(
                f"{name} ({count}x)" if count > 1 else name for name, count in by_process.items()
            ),
            evidence=[str(k.get("line", ""))[:200] for k in kills[-3:]],
            next_step=f"find why memory ran out before {last.get('time') or 'the last kill'}: "
            "sfai tools run get_memory_status; consider limits or more RAM",
        )
    ]


def analyze_services(services: JSON) -> list[Finding]:
    findings: list[Finding] = []
    for record in services.get("services", []):
        if record.get("state") != "failed":
            continue
        name = str(record.get("name", "?"))
        detail = f"{name} ({record.get('manager', '?')}): {record.get('raw_state', 'failed')}"
        if record.get("description"):
            detail += f" — {record['description']}"
        findings.append(
            Finding(
                severity=Severity.CRITICAL,
                check="services",
                title=f"service {name} has failed",
                evidence=[detail],
                next_step=f"read why: sfai tools run get_service_status --arg service={name}",
                fix_tool="restart_failed_service",
                fix_arguments={"service": name},
            )
        )
    return findings


def analyze_nginx(apps: JSON) -> list[Finding]:
    nginx = apps.get("nginx")
    if not isinstance(nginx, dict) or nginx.get("test_ok") is not False:
        return []
    output = str(nginx.get("test_output", "")).strip().splitlines()
    return [
        Finding(
            severity=Severity.CRITICAL,
            check="nginx",
            title="nginx configuration test fails (`nginx -t`)",
            evidence=[line for line in output if line.strip()][:5],
            next_step="the next reload or restart of nginx will fail: fix the line nginx names above",
            fix_tool="fix_nginx_config",
        )
    ]


def analyze_certificate(ssl: JSON, limits: CheckThresholds) -> list[Finding]:
    domain = str(ssl.get("domain", "?"))
    days = ssl.get("days_left")
    findings: list[Finding] = []
    if isinstance(days, (int, float)):
        expires = ssl.get("not_after") or ssl.get("file_certificate", {}).get("not_after", "")
        if days < 0:
            severity, title = (
                Severity.CRITICAL,
                f"certificate for {domain} expired {-days:.0f} days ago",
            )
        elif days <= limits.cert_critical_days:
            severity, title = (
                Severity.CRITICAL,
                f"certificate for {domain} expires in {days:.0f} days",
            )
        elif days <= limits.cert_warning_days:
            severity, title = (
                Severity.WARNING,
                f"certificate for {domain} expires in {days:.0f} days",
            )
        else:
            severity = None
        if severity:
            findings.append(
                Finding(
                    severity=severity,
                    check="certificates",
                    title=title,
                    evidence=[
                        f"{domain}: not after {expires}",
                        f"file: {ssl.get('certificate_file', '?')}",
                    ],
                    next_step=f"renew it (certbot renew --cert-name {domain}) and reload nginx",
                    fix_tool="renew_certificate",
                    fix_arguments={"domain": domain, "dry_run": True},
                )
            )
    served = ssl.get("served")
    if isinstance(served, dict) and served.get("same_as_file") is False:
        findings.append(
            Finding(
                severity=Severity.WARNING,
                check="certificates",
                title=f"nginx serves a different certificate for {domain} than the file on disk",
                evidence=[
                    f"file expires {ssl.get('file_certificate', {}).get('not_after', '?')}, "
                    f"served expires {served.get('certificate', {}).get('not_after', '?')}"
                ],
                next_step="reload nginx so it serves the renewed certificate (nginx -s reload)",
            )
        )
    return findings


def analyze_load(overview: JSON, limits: CheckThresholds) -> list[Finding]:
    cpus = int(overview.get("cpu_count") or 1)
    load5 = float(overview.get("load_5m") or 0)
    per_cpu = load5 / max(cpus, 1)
    level = _level(per_cpu, limits.load_warning_per_cpu, limits.load_critical_per_cpu)
    if not level:
        return []
    top = overview.get("top_by_cpu", [])[:3]
    return [
        Finding(
            severity=level,
            check="load",
            title=f"load is high: {load5:.2f} over 5 minutes on {cpus} CPUs",
            evidence=[
                f"load 1/5/15 min: {overview.get('load_1m')}, {load5}, {overview.get('load_15m')}",
                *[
                    f"{p.get('name', '?')} (pid {p.get('pid')}): {p.get('cpu_percent', 0)}% CPU"
                    for p in top
                ],
            ],
            next_step="see what is busy: sfai tools run get_system_overview",
        )
    ]


def analyze_upstreams(apps: JSON) -> list[Finding]:
    """Sites whose proxy_pass target has nothing listening: nginx answers 502 there."""
    nginx = apps.get("nginx")
    if not isinstance(nginx, dict):
        return []
    findings: list[Finding] = []
    for site in nginx.get("sites", []):
        names = [n for n in site.get("server_names", []) if n and n != "_"]
        name = names[0] if names else "_"
        where = f"{site.get('file', '?')}:{site.get('line', '?')}"
        for backend in site.get("backends", []):
            if backend.get("listening") is not False:
                continue
            port = backend.get("port")
            target = f"{backend.get('address')}:{port}" if port else str(backend.get("address"))
            findings.append(
                Finding(
                    severity=Severity.CRITICAL,
                    check="upstream",
                    title=f"{name}: nothing listens on {target} (proxy_pass {backend.get('upstream')})",
                    evidence=[
                        f"{where}: proxy_pass {backend.get('upstream')}",
                        f"no process listens on {target}",
                    ],
                    next_step=f"start the app that should listen on {target}, or fix proxy_pass in {where}",
                )
            )
    return findings
