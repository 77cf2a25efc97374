"""list_services / get_service_status against a real supervisord (tests/fixtures/supervisor.py)
and the service managers this machine really lacks (systemd as PID 1, PM2, a docker daemon)."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from sfai_agent.exec import LocalExecutor
from sfai_agent.settings import AgentSettings
from sfai_agent.tools.base import ToolContext
from sfai_agent.tools.catalog import load_catalog
from sfai_agent.tools.managers import collect_services
from sfai_agent.tools.render import render_text
from sfai_agent.tools.runner import call_tool
from tests.fixtures.processes import pid_alive
from tests.fixtures.supervisor import (
    CRASHY_STDERR_LINE,
    WORKER_STDOUT_LINE,
    SupervisorInstance,
)
from tests.recording import RecordingExecutor


def by_name(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {service["name"]: service for service in result["services"]}


# --- list_services against a real supervisord -------------------------------------------


@pytest.mark.supervisor
async def test_list_services_reports_each_supervisor_program_with_its_normalised_state(
    run_tool: Any, supervisor: SupervisorInstance
) -> None:
    result = await run_tool("list_services", {}, **supervisor.settings)

    assert result["ok"], result
    assert result["managers"] == [{"name": "supervisor", "available": True}]
    services = by_name(result)
    assert set(services) == {"web", "worker", "crashy", "idle"}
    assert {name: s["state"] for name, s in services.items()} == {
        "web": "running",
        "worker": "running",
        "crashy": "failed",
        "idle": "stopped",
    }
    assert services["crashy"]["raw_state"] == "FATAL"
    assert services["idle"]["raw_state"] == "STOPPED"
    for name in ("web", "worker"):
        assert services[name]["pid"] == supervisor.pids()[name]
        assert pid_alive(services[name]["pid"])
        assert services[name]["uptime_s"] >= 1
        assert services[name]["since"].endswith("Z")
    assert services["idle"]["pid"] is None
    assert set(services["web"]) == {
        "name", "manager", "state", "raw_state", "description",
        "pid", "uptime_s", "since", "restarts", "exit_code",
    }  # fmt: skip


@pytest.mark.supervisor
async def test_list_services_counts_every_state_and_summary_names_the_failed_one(
    run_tool: Any, supervisor: SupervisorInstance
) -> None:
    result = await run_tool("list_services", {}, **supervisor.settings)

    assert result["counts"] == {
        "running": 2, "failed": 1, "stopped": 1, "starting": 0, "unknown": 0, "total": 4,
    }  # fmt: skip
    assert result["summary"] == "4 services (supervisor): 2 running, 1 failed (crashy), 1 stopped"


@pytest.mark.supervisor
@pytest.mark.parametrize(
    ("state", "expected"),
    [("failed", {"crashy"}), ("running", {"web", "worker"}), ("stopped", {"idle"})],
)
async def test_list_services_state_filter_returns_only_that_state_but_counts_all(
    run_tool: Any, supervisor: SupervisorInstance, state: str, expected: set[str]
) -> None:
    result = await run_tool("list_services", {"state": state}, **supervisor.settings)

    assert result["ok"], result
    assert set(by_name(result)) == expected
    assert result["counts"]["total"] == 4
    assert result["summary"].startswith(f"{len(expected)} {state} of 4 services")


async def test_list_services_rejects_an_unknown_state_filter(run_tool: Any) -> None:
    result = await run_tool("list_services", {"state": "broken"})

    assert result["ok"] is False
    assert result["error"]["code"] == "invalid_argument"


@pytest.mark.supervisor
async def test_list_services_text_rendering_shows_the_crash_looping_program(
    run_tool: Any, supervisor: SupervisorInstance
) -> None:
    text = render_text(await run_tool("list_services", {}, **supervisor.settings))

    assert "1 failed (crashy)" in text.splitlines()[0]
    crashy_rows = [line for line in text.splitlines() if line.strip().startswith("crashy")]
    assert crashy_rows and "failed" in crashy_rows[0] and "FATAL" in crashy_rows[0]


@pytest.mark.supervisor
async def test_supervisor_exit_code_and_restarts_come_from_supervisords_log(
    run_tool: Any, supervisor: SupervisorInstance
) -> None:
    services = by_name(await run_tool("list_services", {}, **supervisor.settings))

    # startretries=2: spawned three times, exited 1 each time, then FATAL.
    assert services["crashy"]["exit_code"] == 1
    assert services["crashy"]["restarts"] == 2
    assert services["web"]["restarts"] == 0
    assert services["web"]["exit_code"] is None


@pytest.mark.supervisor
async def test_detection_runs_each_manager_once_per_request(supervisor: SupervisorInstance) -> None:
    executor = RecordingExecutor()
    ctx = ToolContext(executor=executor, settings=AgentSettings(**supervisor.settings))

    first, _ = await collect_services(ctx)
    commands = len([call for call in executor.calls if call[0] == "run"])
    second, _ = await collect_services(ctx)

    assert commands >= 1
    assert len([call for call in executor.calls if call[0] == "run"]) == commands
    assert [r.name for r in first] == [r.name for r in second]


# --- get_service_status ------------------------------------------------------------------


@pytest.mark.supervisor
async def test_get_service_status_of_a_running_program_has_a_live_pid_and_uptime(
    run_tool: Any, supervisor: SupervisorInstance
) -> None:
    result = await run_tool("get_service_status", {"service": "web"}, **supervisor.settings)

    assert result["ok"], result
    assert result["manager"] == "supervisor"
    service = result["service"]
    assert service["state"] == "running"
    assert pid_alive(service["pid"])
    assert service["uptime_s"] > 0
    assert result["summary"].startswith(f"web (supervisor): running, pid {service['pid']}, up ")
    assert isinstance(result["recent_logs"], list)
    assert "also_in" not in result


@pytest.mark.supervisor
async def test_get_service_status_of_the_crashed_program_shows_what_it_printed_to_stderr(
    run_tool: Any, supervisor: SupervisorInstance
) -> None:
    result = await run_tool("get_service_status", {"service": "crashy"}, **supervisor.settings)

    assert result["ok"], result
    assert result["service"]["state"] == "failed"
    assert result["service"]["exit_code"] == 1
    assert any(CRASHY_STDERR_LINE in line for line in result["recent_logs"])
    assert result["recent_logs"][-1] == f"[stderr] {CRASHY_STDERR_LINE}"
    assert len(result["recent_logs"]) <= 20
    assert "crashy (supervisor): failed (FATAL)" in result["summary"]
    assert "exit code 1" in result["summary"]


@pytest.mark.supervisor
async def test_get_service_status_text_rendering_shows_one_log_line_per_line(
    run_tool: Any, supervisor: SupervisorInstance
) -> None:
    result = await run_tool("get_service_status", {"service": "crashy"}, **supervisor.settings)

    renderer = load_catalog()["get_service_status"].renderer
    assert renderer is not None
    text = renderer(result)

    assert text.splitlines()[0] == result["summary"]
    assert f"  [stderr] {CRASHY_STDERR_LINE}" in text.splitlines()


@pytest.mark.supervisor
async def test_get_service_status_of_the_worker_shows_its_stdout(
    run_tool: Any, supervisor: SupervisorInstance
) -> None:
    result = await run_tool("get_service_status", {"service": "worker"}, **supervisor.settings)

    assert f"[stdout] {WORKER_STDOUT_LINE}" in result["recent_logs"]


@pytest.mark.supervisor
async def test_get_service_status_accepts_a_manager_prefix(
    run_tool: Any, supervisor: SupervisorInstance
) -> None:
    result = await run_tool(
        "get_service_status", {"service": "supervisor:idle"}, **supervisor.settings
    )

    assert result["ok"], result
    assert result["service"]["name"] == "idle"
    assert result["service"]["state"] == "stopped"


@pytest.mark.supervisor
async def test_get_service_status_of_an_unknown_service_suggests_the_close_name(
    run_tool: Any, supervisor: SupervisorInstance
) -> None:
    result = await run_tool("get_service_status", {"service": "wokrer"}, **supervisor.settings)

    assert result["ok"] is False
    assert result["error"]["code"] == "not_found"
    assert "wokrer" in result["error"]["message"]
    assert "worker" in result["error"]["hint"]
    assert "sfai tools run list_services" in result["error"]["hint"]


# --- refusals ----------------------------------------------------------------------------

MARKER = "/tmp/sfai-services-PWNED"


@pytest.mark.supervisor
@pytest.mark.parametrize(
    "service",
    [
        f"web; touch {MARKER}",
        f"$(touch {MARKER})",
        f"`touch {MARKER}`",
        f"web && touch {MARKER}",
        "-c",
        "--help",
        "../etc/passwd",
        "a b",
        "web\nworker",
        "",
        "x" * 500,
        123,
    ],
)
async def test_hostile_service_names_are_refused_before_anything_runs(
    supervisor: SupervisorInstance, service: object
) -> None:
    if os.path.exists(MARKER):
        os.unlink(MARKER)
    executor = RecordingExecutor()
    ctx = ToolContext(executor=executor, settings=AgentSettings(**supervisor.settings))

    result = await call_tool("get_service_status", {"service": service}, ctx)

    assert result["ok"] is False
    assert result["error"]["code"] == "invalid_argument"
    assert executor.calls == []
    assert not os.path.exists(MARKER)


# --- managers that are not there ---------------------------------------------------------


@pytest.mark.skipif(shutil.which("pm2") is not None, reason="pm2 is installed here")
async def test_no_manager_found_is_an_ok_result_with_empty_services_and_a_hint(
    run_tool: Any,
) -> None:
    result = await run_tool("list_services", {}, service_managers=("pm2",))

    assert result["ok"] is True
    assert result["services"] == []
    assert result["managers"] == [
        {"name": "pm2", "available": False, "reason": "pm2 is not on PATH"}
    ]
    assert "no service manager found" in result["summary"]
    assert "PM2 (pm2 jlist)" in result["hint"]
    assert "tools.service_managers" in result["hint"]
    assert "no service manager found" in render_text(result)


@pytest.mark.skipif(shutil.which("pm2") is not None, reason="pm2 is installed here")
async def test_get_service_status_without_any_manager_is_unavailable(run_tool: Any) -> None:
    result = await run_tool("get_service_status", {"service": "web"}, service_managers=("pm2",))

    assert result["error"]["code"] == "unavailable"
    assert "PM2" in result["error"]["hint"]


async def test_docker_client_without_a_daemon_is_reported_unavailable_quickly(
    run_tool: Any,
) -> None:
    if shutil.which("docker") is None:
        pytest.skip("no docker client here")
    executor = LocalExecutor()
    if (await executor.run(["docker", "version", "--format", "{{.Server.Version}}"])).ok:
        pytest.skip("a docker daemon answers here")
    started = time.monotonic()

    result = await run_tool("list_services", {}, service_managers=("docker",))

    assert time.monotonic() - started < AgentSettings().command_timeout_s
    assert result["ok"] is True
    (note,) = result["managers"]
    assert note["name"] == "docker" and note["available"] is False
    assert note["reason"].startswith("the docker daemon is not answering")
    assert "daemon" in note["reason"].lower()


@pytest.mark.supervisor
async def test_supervisorctl_without_a_running_supervisord_is_reported_unavailable(
    run_tool: Any, supervisor: SupervisorInstance, tmp_path: Path
) -> None:
    config = tmp_path / "supervisord.conf"
    config.write_text(f"[supervisorctl]\nserverurl=unix://{tmp_path}/absent.sock\n")

    result = await run_tool(
        "list_services", {}, service_managers=("supervisor",), supervisor_config=str(config)
    )

    (note,) = result["managers"]
    assert note["available"] is False
    assert note["reason"].startswith("supervisord is not running")
    assert "no such file" in note["reason"]


async def test_systemd_is_only_used_when_it_is_pid_1(run_tool: Any) -> None:
    comm = Path("/proc/1/comm").read_text().strip()
    if comm == "systemd":
        pytest.skip("systemd is PID 1 here")

    result = await run_tool("list_services", {}, service_managers=("systemd",))

    assert result["managers"] == [
        {"name": "systemd", "available": False, "reason": f"PID 1 is {comm!r}, not systemd"}
    ]


@pytest.mark.supervisor
async def test_managers_are_reported_in_settings_order_with_services_from_those_available(
    run_tool: Any, supervisor: SupervisorInstance
) -> None:
    result = await run_tool(
        "list_services",
        {},
        service_managers=("pm2", "supervisor", "docker"),
        supervisor_config=supervisor.settings["supervisor_config"],
    )

    assert [m["name"] for m in result["managers"]] == ["pm2", "supervisor", "docker"]
    assert {s["manager"] for s in result["services"]} == {"supervisor"}
    assert result["summary"].startswith("4 services (supervisor)")
