"""`sfai check` end to end: the real console script against real nginx and supervisord."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from sfai.core.store import open_store
from tests.cli import run_sfai

pytestmark = [pytest.mark.nginx, pytest.mark.supervisor]

# Thresholds no healthy test machine reaches, so only the planted problems show.
CALM = {
    "SFAI_CHECK__DISK_WARNING_PERCENT": "99.9",
    "SFAI_CHECK__DISK_CRITICAL_PERCENT": "100",
    "SFAI_CHECK__INODE_WARNING_PERCENT": "99.9",
    "SFAI_CHECK__INODE_CRITICAL_PERCENT": "100",
    "SFAI_CHECK__MEMORY_WARNING_PERCENT": "99.9",
    "SFAI_CHECK__MEMORY_CRITICAL_PERCENT": "100",
    "SFAI_CHECK__LOAD_WARNING_PER_CPU": "1000",
    "SFAI_CHECK__LOAD_CRITICAL_PER_CPU": "2000",
}


def env_for(nginx_conf: str, supervisor_config: str | None = None) -> dict[str, str]:
    env = {**CALM, "SFAI_TOOLS__NGINX_CONF": nginx_conf}
    if supervisor_config:
        env["SFAI_TOOLS__SUPERVISOR_CONFIG"] = supervisor_config
        env["SFAI_TOOLS__SERVICE_MANAGERS"] = '["supervisor"]'
    else:
        env["SFAI_TOOLS__SERVICE_MANAGERS"] = "[]"
    return env


@pytest.fixture
def empty_nginx_conf(tmp_path: Path) -> str:
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\nhttp {{}}\n"
    )
    return str(conf)


def test_failed_service_and_expiring_certificate_exit_5(nginx_server, supervisor) -> None:  # type: ignore[no-untyped-def]
    result = run_sfai(
        "check", "--json", env=env_for(nginx_server.settings["nginx_conf"], str(supervisor.config))
    )
    assert result.code == 5, result.stderr
    report = json.loads(result.stdout)
    titles = {(f["severity"], f["title"]) for f in report["findings"]}
    assert ("critical", "service crashy has failed") in titles
    expiring = [f for f in report["findings"] if f["check"] == "certificates"]
    assert len(expiring) == 1
    assert expiring[0]["severity"] == "critical"
    assert "expiring.sfai.test" in expiring[0]["title"]
    assert expiring[0]["fix"] == {
        "tool": "renew_certificate",
        "arguments": {"domain": "expiring.sfai.test", "dry_run": True},
    }
    crashy = next(f for f in report["findings"] if f["check"] == "services")
    assert crashy["fix"] == {"tool": "restart_failed_service", "arguments": {"service": "crashy"}}
    assert {"services", "certificates", "nginx", "disk", "memory"} <= set(report["checks_run"])
    assert report["healthy"] is False
    assert report["counts"]["critical"] == 2


def test_broken_nginx_config_is_reported_with_nginx_own_words(
    broken_nginx_config, empty_nginx_conf
) -> None:  # type: ignore[no-untyped-def]
    result = run_sfai("check", "--json", env=env_for(str(broken_nginx_config.conf)))
    assert result.code == 5, result.stderr
    (finding,) = [f for f in json.loads(result.stdout)["findings"] if f["check"] == "nginx"]
    assert finding["severity"] == "critical"
    assert any('unknown directive "sfai_unknown_directive"' in line for line in finding["evidence"])


def test_healthy_host_exits_0_with_plain_text_when_piped(empty_nginx_conf: str) -> None:
    result = run_sfai("check", env=env_for(empty_nginx_conf))
    assert result.code == 0, result.stdout + result.stderr
    assert result.stdout.startswith("local: healthy")
    assert "\x1b[" not in result.stdout


def test_problems_read_as_plain_text_when_piped(nginx_server, supervisor) -> None:  # type: ignore[no-untyped-def]
    result = run_sfai(
        "check", env=env_for(nginx_server.settings["nginx_conf"], str(supervisor.config))
    )
    assert result.code == 5
    lines = result.stdout.splitlines()
    assert lines[0] == "local: 2 problem(s) — 2 critical"
    assert "✖ CRITICAL  service crashy has failed" in lines
    assert "    → read why: sfai tools run get_service_status --arg service=crashy" in lines
    assert "\x1b[" not in result.stdout


def test_disk_filling_fast_is_predicted_from_earlier_runs(
    sfai_home: Path, empty_nginx_conf: str
) -> None:
    """Samples stored by earlier runs show / growing: the check warns before any threshold."""
    vfs = os.statvfs("/")
    used_now = (vfs.f_blocks - vfs.f_bfree) * vfs.f_frsize
    free = vfs.f_bavail * vfs.f_frsize
    per_hour = free // 48  # full in about two days
    store = open_store(sfai_home / "sfai.db")
    now = time.time()
    for hours in (3, 2, 1):
        store.record_disk_sample(
            "local",
            "/",
            used_now - hours * per_hour,
            vfs.f_blocks * vfs.f_frsize,
            now - hours * 3600,
        )
    store.close()
    result = run_sfai("check", "--json", env=env_for(empty_nginx_conf))
    assert result.code == 5, result.stdout + result.stderr
    (finding,) = [f for f in json.loads(result.stdout)["findings"] if f["check"] == "disk"]
    assert finding["severity"] == "warning"
    assert "/ will be full in about" in finding["title"]
    days = float(finding["title"].split("about ")[1].split(" days")[0])
    assert 1.5 < days < 2.5


def test_site_whose_backend_is_down_is_reported(nginx_config_copy) -> None:  # type: ignore[no-untyped-def]
    from tests.fixtures.processes import free_port

    dead = free_port()
    nginx_config_copy.add_conf(
        "dead.conf",
        f"server {{\n    listen 127.0.0.1:{nginx_config_copy.source.http_port};\n"
        f"    server_name dead.sfai.test;\n"
        f"    location / {{ proxy_pass http://127.0.0.1:{dead}; }}\n}}\n",
    )
    result = run_sfai("check", "--json", env=env_for(str(nginx_config_copy.conf)))
    assert result.code == 5, result.stderr
    findings = [f for f in json.loads(result.stdout)["findings"] if f["check"] == "upstream"]
    assert [f["title"] for f in findings] == [
        f"dead.sfai.test: nothing listens on 127.0.0.1:{dead} (proxy_pass http://127.0.0.1:{dead})"
    ]
