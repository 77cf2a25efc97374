"""`sfai ask` with no API key: the offline diagnostician through the real engine and CLI,
against real nginx and supervisord."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.cli import run_sfai
from tests.fixtures.supervisor import CRASHY_STDERR_LINE


def events(stdout: str) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in stdout.splitlines()]


@pytest.fixture
def fixture_env(nginx_server, supervisor, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SFAI_TOOLS__NGINX_CONF", nginx_server.settings["nginx_conf"])
    monkeypatch.setenv("SFAI_TOOLS__SUPERVISOR_CONFIG", str(supervisor.config))
    monkeypatch.setenv("SFAI_TOOLS__SERVICE_MANAGERS", '["supervisor"]')


@pytest.mark.usefixtures("fixture_env")
def test_expiring_certificate_question_gets_a_finding_and_a_renewal_proposal() -> None:
    result = run_sfai("ask", "is my certificate about to expire?", "--json")
    assert result.code == 0, result.stderr
    stream = events(result.stdout)
    findings = [e for e in stream if e["type"] == "finding"]
    assert any("expiring.sfai.test" in f["title"] and f["severity"] == "critical" for f in findings)
    calls = [e["name"] for e in stream if e["type"] == "tool_call"]
    assert "get_ssl_status" in calls
    text = "".join(e["content"] for e in stream if e["type"] == "text")
    assert "renew_certificate" in text
    assert stream[-1]["type"] == "done" and stream[-1]["status"] == "ok"
    assert stream[-1]["usage"]["cost_usd"] == 0


@pytest.mark.usefixtures("fixture_env")
def test_french_question_about_a_failed_service_is_answered_in_french() -> None:
    result = run_sfai("ask", "pourquoi le service crashy est arrêté ?")
    assert result.code == 0, result.stderr
    assert "crashy" in result.stdout
    assert CRASHY_STDERR_LINE in result.stdout
    assert any(word in result.stdout for word in ("Je ", "problème", "Ce que"))
    assert "restart_failed_service" in result.stdout


def test_offline_notice_is_said_once_per_home() -> None:
    first = run_sfai("ask", "how much memory is free?")
    second = run_sfai("ask", "how much memory is free?")
    assert first.code == 0 and second.code == 0
    assert "no ANTHROPIC_API_KEY" in first.stderr
    assert "no ANTHROPIC_API_KEY" not in second.stderr


def test_out_of_scope_question_is_honest_and_recorded_as_an_escalation(sfai_home: Path) -> None:
    result = run_sfai("ask", "write me a bash script that backs up postgres")
    assert result.code == 0
    assert "ANTHROPIC_API_KEY" in result.stdout
    with sqlite3.connect(sfai_home / "sfai.db") as db:
        names = [row[0] for row in db.execute("SELECT name FROM events ORDER BY id")]
    assert names == [
        "ai.conversation.started",
        "ai.conversation.escalated_to_support",
        "ai.diagnostic.completed",
    ]


def test_piped_logs_are_explained_offline() -> None:
    piped = (
        '2026/11/24 10:00:01 [error] 812#812: *7 connect() failed (111: Connection refused) while connecting to upstream, upstream: "http://127.0.0.1:9"\n'
        * 3
    )
    result = run_sfai("ask", "why does nginx fail?", stdin=piped)
    assert result.code == 0, result.stderr
    assert "Connection refused" in result.stdout or "refused" in result.stdout.lower()


def test_local_model_endpoint_down_is_a_clear_error() -> None:
    from tests.fixtures.processes import free_port

    env = {
        "SFAI_OPENAI__BASE_URL": f"http://127.0.0.1:{free_port()}/v1",
        "SFAI_OPENAI__MODEL": "qwen2.5:7b",
    }
    result = run_sfai("ask", "status?", "--provider", "openai", env=env)
    assert result.code == 1
    assert "connection refused" in result.stderr.lower()
    assert "ollama" in result.stderr.lower()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["ask", "x", "--format", "yaml"], "--format"),
        (["ask", "x", "--continue"], "no conversation to continue"),
        (["ask", "x", "--conversation", "abcd1234"], "no conversation matches"),
        (["ask", "x", "--all-hosts", "--host", "local"], "not both"),
        (["ask", "x", "--mode", "yolo"], "--mode"),
        (["ask", "x", "--provider", "gpt"], "unknown provider"),
    ],
)
def test_usage_errors_exit_2(args: list[str], fragment: str) -> None:
    result = run_sfai(*args)
    assert result.code == 2, result.stderr
    assert fragment in result.stderr
