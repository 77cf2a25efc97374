"""`sfai tools list|run` and `sfai config` through the real console script."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli import run_sfai

CONTRACT_READ_ONLY = {
    "get_system_overview",
    "get_disk_usage",
    "get_memory_status",
    "list_services",
    "get_service_status",
    "get_logs",
    "list_apps",
    "get_nginx_config",
    "get_ssl_status",
}


def test_help_lists_the_commands() -> None:
    result = run_sfai("--help")
    assert result.code == 0
    for command in ("check", "tools", "config"):
        assert command in result.stdout


def test_tools_list_json_has_every_contract_tool_with_schema() -> None:
    result = run_sfai("tools", "list", "--json")
    assert result.code == 0
    specs = {spec["name"]: spec for spec in json.loads(result.stdout)}
    assert set(specs) >= CONTRACT_READ_ONLY
    for spec in specs.values():
        assert spec["input_schema"]["type"] == "object"
        assert spec["input_schema"]["additionalProperties"] is False
        assert spec["risk"] in {"read_only", "low", "medium", "high"}
        assert len(spec["description"]) > 80


def test_tools_list_piped_is_plain_tab_separated_text() -> None:
    result = run_sfai("tools", "list")
    assert result.code == 0
    assert "\x1b[" not in result.stdout
    names = {line.split("\t")[0] for line in result.stdout.splitlines()}
    assert names >= CONTRACT_READ_ONLY


def test_tools_run_renders_text_when_piped(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text(
        "".join(f"2026-11-24T10:00:{i:02d}Z app started worker {i}\n" for i in range(30))
    )
    env = {"SFAI_TOOLS__LOG_ROOTS": json.dumps([str(tmp_path)])}
    result = run_sfai(
        "tools", "run", "get_logs", "--arg", f"source={log}", "--arg", "lines=3", env=env
    )
    assert result.code == 0, result.stderr
    assert "worker 29" in result.stdout and "worker 26" not in result.stdout
    assert "\x1b[" not in result.stdout


def test_tools_run_json_values_are_parsed_when_they_parse(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text("one\ntwo\nthree\n")
    env = {"SFAI_TOOLS__LOG_ROOTS": json.dumps([str(tmp_path)])}
    result = run_sfai(
        "tools", "run", "get_logs", "--arg", f"source={log}", "--arg", "lines=2", "--json", env=env
    )
    assert result.code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["ok"] is True
    assert data["lines"][-2:] == ["two", "three"]


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (["tools", "run", "no_such_tool"], 2, "unknown_tool"),
        (["tools", "run", "get_logs"], 2, "missing required argument"),
        (["tools", "run", "get_logs", "--arg", "source"], 2, "not key=value"),
        (["tools", "run", "get_logs", "--arg", "source=/etc/shadow"], 1, "refused_by_policy"),
        (
            ["tools", "run", "get_service_status", "--arg", "service=web; touch /tmp/sfai-pwned"],
            2,
            "invalid_argument",
        ),
    ],
)
def test_refused_or_failed_calls_exit_non_zero_with_reason_on_stderr(
    args: list[str], code: int, fragment: str
) -> None:
    result = run_sfai(*args)
    assert result.code == code
    assert fragment in result.stderr
    assert result.stdout == ""
    assert not Path("/tmp/sfai-pwned").exists()


def test_refusal_is_in_the_json_too() -> None:
    result = run_sfai("tools", "run", "get_logs", "--arg", "source=/etc/shadow", "--json")
    assert result.code == 1
    assert json.loads(result.stdout)["error"]["code"] == "refused_by_policy"
    assert "refused_by_policy" in result.stderr


def test_config_init_then_show_round_trips(sfai_home: Path) -> None:
    assert run_sfai("config", "path").stdout.strip() == str(sfai_home / "config.toml")
    assert run_sfai("config", "init").code == 0
    assert (sfai_home / "config.toml").exists()
    again = run_sfai("config", "init")
    assert again.code == 2 and "--force" in again.stderr
    shown = run_sfai("config", "show", "--json", env={"SFAI_CHECK__CERT_WARNING_DAYS": "30"})
    assert json.loads(shown.stdout)["check"]["cert_warning_days"] == 30.0


def test_a_broken_config_is_a_usage_error_naming_the_file(sfai_home: Path) -> None:
    (sfai_home / "config.toml").write_text("[tools\n")
    result = run_sfai("tools", "run", "get_memory_status")
    assert result.code == 2
    assert "config.toml" in result.stderr


def test_unknown_host_is_a_usage_error() -> None:
    result = run_sfai("tools", "run", "get_memory_status", "--host", "web9")
    assert result.code == 2
    assert "no host named 'web9'" in result.stderr
