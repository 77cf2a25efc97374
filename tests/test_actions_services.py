"""restart_service / restart_failed_service against a real supervisord of their own
(``supervisor_private``: programs web/worker RUNNING, crashy FATAL, idle STOPPED), through the
real runner and its policy (a real run needs ``approved=True``)."""

from __future__ import annotations

from typing import Any

import pytest

from sfai_agent.exec import LocalExecutor
from sfai_agent.exec.base import CommandResult, ExecutorError
from sfai_agent.settings import AgentSettings
from sfai_agent.tools.actions_services import reset_argv, restart_argv
from sfai_agent.tools.base import ToolContext, ToolError
from sfai_agent.tools.catalog import load_catalog
from sfai_agent.tools.managers import ServiceRecord
from sfai_agent.tools.runner import call_tool
from tests.fixtures.processes import pid_alive
from tests.fixtures.supervisor import CRASHY_STDERR_LINE, SupervisorInstance


class CommandRecorder(LocalExecutor):
    """The real local executor, remembering every argv it ran."""

    def __init__(self) -> None:
        super().__init__()
        self.argvs: list[list[str]] = []

    async def run(self, argv: list[str], **kwargs: Any) -> CommandResult:
        self.argvs.append(list(argv))
        return await super().run(argv, **kwargs)


def context(instance: SupervisorInstance, executor: LocalExecutor | None = None) -> ToolContext:
    return ToolContext(
        executor=executor or LocalExecutor(), settings=AgentSettings(**instance.settings)
    )


async def approved(name: str, args: dict[str, Any], instance: SupervisorInstance) -> Any:
    return await call_tool(name, args, context(instance), approved=True)


# --- the specs ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["restart_service", "restart_failed_service"])
def test_restart_tools_are_medium_risk_actions_that_preview_by_default(name: str) -> None:
    spec = load_catalog()[name].spec
    assert spec.risk.value == "medium"
    assert spec.has_dry_run
    assert spec.input_schema["properties"]["dry_run"] == {
        "type": "boolean",
        "default": True,
        "description": spec.input_schema["properties"]["dry_run"]["description"],
    }
    assert spec.input_schema["required"] == ["service"]
    assert "approval" in spec.description and "dry_run=true" in spec.description


# --- dry-runs (the shared supervisord: nothing changes) ----------------------------------


@pytest.mark.supervisor
async def test_restart_dry_run_shows_the_exact_command_and_state_and_changes_nothing(
    supervisor: SupervisorInstance,
) -> None:
    pid = supervisor.pids()["worker"]
    result = await call_tool("restart_service", {"service": "worker"}, context(supervisor))
    assert result["ok"], result
    assert result["dry_run"] is True
    assert result["command"] == ["supervisorctl", "-c", str(supervisor.config), "restart", "worker"]
    assert result["before"]["state"] == "running" and result["before"]["pid"] == pid
    assert "would run `supervisorctl -c" in result["summary"]
    assert f"pid {pid}" in result["summary"]
    assert "after" not in result and "verified" not in result
    prefixed = await call_tool(
        "restart_service", {"service": "supervisor:worker"}, context(supervisor)
    )
    assert prefixed["ok"] and prefixed["command"] == result["command"]
    assert supervisor.pids()["worker"] == pid


@pytest.mark.supervisor
async def test_restart_failed_service_dry_run_shows_why_it_failed(
    supervisor: SupervisorInstance,
) -> None:
    result = await call_tool("restart_failed_service", {"service": "crashy"}, context(supervisor))
    assert result["ok"], result
    assert result["before"]["state"] == "failed" and result["before"]["raw_state"] == "FATAL"
    assert any(CRASHY_STDERR_LINE in line for line in result["recent_logs"])
    assert supervisor.states()["crashy"] == "FATAL"


# --- real runs (a supervisord of the test's own) ------------------------------------------


@pytest.mark.supervisor
async def test_restart_service_restarts_the_worker_and_verifies_a_new_pid(
    supervisor_private: SupervisorInstance,
) -> None:
    old = supervisor_private.pids()["worker"]
    result = await approved(
        "restart_service", {"service": "worker", "dry_run": False}, supervisor_private
    )
    assert result["ok"], result
    assert result["verified"] is True
    assert result["before"]["pid"] == old
    new = result["after"]["pid"]
    assert new != old and result["after"]["state"] == "running"
    assert supervisor_private.pids()["worker"] == new
    assert not pid_alive(old)
    assert result["summary"] == f"worker restarted: pid {old} → {new}, running"
    assert result["command_exit_code"] == 0
    assert "recent_logs" not in result
    assert result["waited_s"] < 10


@pytest.mark.supervisor
async def test_restart_service_starts_a_stopped_program_and_says_from_what(
    supervisor_private: SupervisorInstance,
) -> None:
    result = await approved(
        "restart_service", {"service": "idle", "dry_run": False}, supervisor_private
    )
    assert result["ok"] and result["verified"], result
    assert result["before"]["state"] == "stopped" and result["before"]["pid"] is None
    assert supervisor_private.pids()["idle"] == result["after"]["pid"]
    assert result["summary"].startswith("idle restarted: stopped → pid ")


@pytest.mark.supervisor
async def test_restart_failed_service_on_a_crash_loop_ran_but_is_not_verified(
    supervisor_private: SupervisorInstance,
) -> None:
    log = supervisor_private.root / "logs" / "crashy.err.log"
    lines_before = log.read_text().count(CRASHY_STDERR_LINE)
    result = await approved(
        "restart_failed_service", {"service": "crashy", "dry_run": False}, supervisor_private
    )
    # The action ran (ok), it did not fix the service (verified false), and says why.
    assert result["ok"], result
    assert result["verified"] is False
    assert result["after"]["state"] == "failed"
    assert log.read_text().count(CRASHY_STDERR_LINE) > lines_before, "it was really started"
    assert any(CRASHY_STDERR_LINE in line for line in result["recent_logs"])
    assert result["summary"] == (
        f"crashy restarted but is not running: failed (FATAL); last log line: {CRASHY_STDERR_LINE}"
    )
    assert result["command_exit_code"] != 0 and "spawn error" in result["command_output"]


@pytest.mark.supervisor
async def test_restart_failed_service_refuses_a_running_service_even_when_approved(
    supervisor_private: SupervisorInstance,
) -> None:
    pids = supervisor_private.pids()
    result = await approved(
        "restart_failed_service", {"service": "worker", "dry_run": False}, supervisor_private
    )
    assert not result["ok"]
    assert result["error"]["code"] == "invalid_argument"
    assert "not failed" in result["error"]["message"]
    assert (
        "running" in result["error"]["message"]
        and str(pids["worker"]) in result["error"]["message"]
    )
    assert "restart_service" in result["error"]["hint"]
    assert supervisor_private.pids() == pids


@pytest.mark.supervisor
async def test_real_runs_without_approval_are_refused_and_change_nothing(
    supervisor_private: SupervisorInstance,
) -> None:
    pids, states = supervisor_private.pids(), supervisor_private.states()
    executor = CommandRecorder()
    ctx = context(supervisor_private, executor)
    for name, service in (("restart_service", "worker"), ("restart_failed_service", "crashy")):
        result = await call_tool(name, {"service": service, "dry_run": False}, ctx)
        assert result["error"]["code"] == "approval_required", result
    assert not any("restart" in argv for argv in executor.argvs)
    assert supervisor_private.pids() == pids
    assert supervisor_private.states() == states


# --- names -------------------------------------------------------------------------------


@pytest.mark.supervisor
async def test_unknown_service_is_not_found_with_a_close_match(
    supervisor: SupervisorInstance,
) -> None:
    result = await call_tool("restart_service", {"service": "workr"}, context(supervisor))
    assert result["error"]["code"] == "not_found"
    assert "did you mean worker" in result["error"]["hint"]


class NoCommands(LocalExecutor):
    """Refuses to run anything: a name that slipped through validation could change nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.argvs: list[list[str]] = []

    async def run(self, argv: list[str], **kwargs: Any) -> CommandResult:
        self.argvs.append(list(argv))
        raise ExecutorError("unavailable", "no command may run in this test")


@pytest.mark.parametrize("tool", ["restart_service", "restart_failed_service"])
@pytest.mark.parametrize(
    "name",
    [
        "worker; rm -rf /",
        "-c/etc/passwd",
        "--help",
        "../worker",
        "$(reboot)",
        "`id`",
        "worker\nweb",
        "worker web",
        "web*",
        "x" * 200,
        "",
    ],
)
async def test_hostile_service_names_are_refused_before_any_command(tool: str, name: str) -> None:
    executor = NoCommands()
    ctx = ToolContext(executor=executor, settings=AgentSettings())
    result = await call_tool(tool, {"service": name, "dry_run": False}, ctx, approved=True)
    assert result["error"]["code"] == "invalid_argument", result
    assert executor.argvs == []


async def test_without_any_service_manager_the_restart_is_unavailable(make_context: Any) -> None:
    result = await call_tool(
        "restart_service", {"service": "web"}, make_context(service_managers=("nonesuch",))
    )
    assert result["error"]["code"] == "unavailable"


# --- the command each manager gets ---------------------------------------------------------


def _record(manager: str, name: str, state: str = "running", **details: str) -> ServiceRecord:
    return ServiceRecord(name=name, manager=manager, state=state, raw_state=state, details=details)


def test_each_manager_gets_its_own_restart_command() -> None:
    ctx = ToolContext(executor=LocalExecutor(), settings=AgentSettings())
    assert restart_argv(ctx, _record("systemd", "nginx", unit="nginx.service")) == [
        "systemctl",
        "restart",
        "nginx.service",
    ]
    assert restart_argv(ctx, _record("pm2", "api")) == ["pm2", "restart", "api"]
    # pm2 reads a number as an id, and "all" as every app
    assert restart_argv(ctx, _record("pm2", "7", pm_id="2")) == ["pm2", "restart", "2"]
    for manager in ("pm2", "supervisor"):
        with pytest.raises(ToolError):
            restart_argv(ctx, _record(manager, "all"))
    assert restart_argv(ctx, _record("docker", "web")) == ["docker", "restart", "web"]
    assert restart_argv(ctx, _record("supervisor", "worker")) == [
        "supervisorctl",
        "restart",
        "worker",
    ]


def test_a_failed_systemd_unit_is_reset_before_its_restart() -> None:
    failed = _record("systemd", "nginx", state="failed", unit="nginx.service")
    assert reset_argv(failed) == ["systemctl", "reset-failed", "nginx.service"]
    assert reset_argv(_record("systemd", "nginx", unit="nginx.service")) is None
    assert reset_argv(_record("supervisor", "crashy", state="failed")) is None
