"""Analyzers at their thresholds, and the fill-rate estimate over real stored samples.

The analyzers are pure functions of tool results; boundary cases (a 96%-full disk, an
expired certificate) cannot be produced on this machine, so they are fed results in the
catalog's documented shape. End-to-end checks against real nginx and supervisord live in
test_check_command.py.
"""

from __future__ import annotations

import time
from pathlib import Path

from sfai.core.checks import analyzers
from sfai.core.checks.fill_rate import fill_rate
from sfai.core.checks.findings import Severity
from sfai.core.checks.runner import _fill_rates
from sfai.core.config import CheckThresholds
from sfai.core.store import open_store

LIMITS = CheckThresholds()
GIB = 1024**3


def filesystem(
    used_percent: float, inodes: float = 10.0, free: int = 10 * GIB
) -> dict[str, object]:
    return {
        "device": "/dev/vda1",
        "mountpoint": "/",
        "fstype": "ext4",
        "size_bytes": 100 * GIB,
        "used_bytes": int(used_percent * GIB),
        "free_bytes": free,
        "used_percent": used_percent,
        "inodes_used_percent": inodes,
    }


def test_disk_below_warning_is_silent() -> None:
    assert analyzers.analyze_disk({"filesystems": [filesystem(84.9)]}, LIMITS, {}) == []


def test_disk_warning_and_critical_thresholds() -> None:
    warning = analyzers.analyze_disk({"filesystems": [filesystem(85.0)]}, LIMITS, {})
    critical = analyzers.analyze_disk({"filesystems": [filesystem(96.0)]}, LIMITS, {})
    assert [f.severity for f in warning] == [Severity.WARNING]
    assert [f.severity for f in critical] == [Severity.CRITICAL]
    assert critical[0].fix_tool == "clean_disk"
    assert "get_disk_usage --arg path=/" in critical[0].next_step


def test_inode_exhaustion_is_its_own_finding() -> None:
    findings = analyzers.analyze_disk({"filesystems": [filesystem(40.0, inodes=97.0)]}, LIMITS, {})
    assert [(f.check, f.severity) for f in findings] == [("inodes", Severity.CRITICAL)]


def test_fill_rate_predicts_a_full_disk_before_the_threshold() -> None:
    rate = 5 * GIB / 86_400  # 5 GiB a day, 10 GiB free: two days left
    findings = analyzers.analyze_disk({"filesystems": [filesystem(50.0)]}, LIMITS, {"/": rate})
    assert len(findings) == 1
    assert findings[0].severity is Severity.WARNING
    assert "full in about 2.0 days" in findings[0].title


def test_fill_rate_needs_ten_minutes_of_history() -> None:
    now = time.time()
    assert fill_rate([(now, 1), (now + 60, 2)]) is None
    assert fill_rate([(now, 0), (now + 3600, 3600)]) == 1.0


def test_fill_rate_comes_from_samples_stored_across_runs(tmp_path: Path) -> None:
    store = open_store(tmp_path / "sfai.db")
    now = time.time()
    for hours_ago in (48, 36, 24, 12):
        used = int((60 - hours_ago / 12 * 2) * GIB)  # grew 2 GiB every 12 hours
        store.record_disk_sample("web1", "/", used, 100 * GIB, now - hours_ago * 3600)
    disk = {"filesystems": [{**filesystem(60.0), "used_bytes": 60 * GIB}]}
    rates = _fill_rates(store, "web1", disk)
    assert abs(rates["/"] * 86_400 / GIB - 4.0) < 0.01
    assert len(store.disk_samples("web1", "/", 0)) == 5
    store.close()


def test_memory_and_swap_pressure() -> None:
    memory = {
        "ram": {"total_bytes": 8 * GIB, "available_bytes": GIB // 10, "used_percent": 98.8},
        "swap": {"total_bytes": 2 * GIB, "used_bytes": int(1.9 * GIB), "used_percent": 95.0},
        "top_consumers": [{"name": "java", "rss_bytes": 6 * GIB}],
        "oom_kills": [],
    }
    findings = analyzers.analyze_memory(memory, LIMITS)
    assert [(f.check, f.severity) for f in findings] == [
        ("memory", Severity.CRITICAL),
        ("swap", Severity.CRITICAL),
    ]
    assert "java (6.0 GiB)" in findings[0].evidence[1]


def test_no_swap_configured_is_not_a_finding() -> None:
    memory = {"ram": {"used_percent": 20.0}, "swap": {"total_bytes": 0, "used_percent": 0}}
    assert analyzers.analyze_memory(memory, LIMITS) == []


def test_oom_kills_are_grouped_by_process() -> None:
    kills = [
        {
            "process": "java",
            "pid": 1,
            "line": "Out of memory: Killed process 1 (java)",
            "time": "2026-11-24T10:00:00Z",
        },
        {
            "process": "java",
            "pid": 2,
            "line": "Out of memory: Killed process 2 (java)",
            "time": "2026-11-24T11:00:00Z",
        },
        {
            "process": "node",
            "pid": 3,
            "line": "Out of memory: Killed process 3 (node)",
            "time": "2026-11-24T12:00:00Z",
        },
    ]
    (finding,) = analyzers.analyze_oom({"oom_kills": kills})
    assert finding.title == "the kernel's OOM killer killed java (2x), node"
    assert len(finding.evidence) == 3


def test_failed_services_are_critical_with_a_restart_fix() -> None:
    services = {
        "services": [
            {"name": "web", "manager": "supervisor", "state": "running"},
            {"name": "crashy", "manager": "supervisor", "state": "failed", "raw_state": "FATAL"},
        ]
    }
    (finding,) = analyzers.analyze_services(services)
    assert finding.severity is Severity.CRITICAL
    assert finding.fix_tool == "restart_failed_service"
    assert finding.fix_arguments == {"service": "crashy"}


def test_certificate_expiry_levels() -> None:
    def level(days: float) -> list[Severity]:
        return [
            f.severity
            for f in analyzers.analyze_certificate({"domain": "a.test", "days_left": days}, LIMITS)
        ]

    assert level(30) == []
    assert level(14) == [Severity.WARNING]
    assert level(3) == [Severity.CRITICAL]
    assert level(-2) == [Severity.CRITICAL]


def test_served_certificate_differing_from_the_file_asks_for_a_reload() -> None:
    ssl = {
        "domain": "a.test",
        "days_left": 80,
        "served": {"same_as_file": False, "certificate": {}},
    }
    (finding,) = analyzers.analyze_certificate(ssl, LIMITS)
    assert "reload" in finding.next_step


def test_load_is_judged_per_cpu() -> None:
    busy = {"cpu_count": 2, "load_1m": 7.0, "load_5m": 6.5, "load_15m": 5.0, "top_by_cpu": []}
    calm = {"cpu_count": 16, "load_1m": 7.0, "load_5m": 6.5, "load_15m": 5.0}
    assert [f.severity for f in analyzers.analyze_load(busy, LIMITS)] == [Severity.CRITICAL]
    assert analyzers.analyze_load(calm, LIMITS) == []


def test_nginx_test_failure_is_critical_and_quotes_nginx() -> None:
    apps = {
        "nginx": {
            "test_ok": False,
            "test_output": 'nginx: [emerg] unknown directive "servr_name" in /etc/nginx/conf.d/a.conf:3\nnginx: configuration file test failed',
        }
    }
    (finding,) = analyzers.analyze_nginx(apps)
    assert finding.severity is Severity.CRITICAL
    assert 'unknown directive "servr_name"' in finding.evidence[0]
    assert analyzers.analyze_nginx({"nginx": {"test_ok": True}}) == []
