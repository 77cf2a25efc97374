"""A compromised model sends garbage: wrong types, huge values, unknown tools and arguments.

Each bad call gets an error result the model can read, the conversation goes on to its
answer, the command exits 0, and the process stays small. In diagnose mode the model is not
even offered the actions; calling one anyway is a refusal, audited.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.adversarial_kit import (
    Box,
    audit_records,
    call,
    error_code,
    events,
    results_by_id,
    run_measured,
)
from tests.cli import run_sfai
from tests.fakes import reply, tool_use

MIB = 1 << 20
MAX_RSS_MIB = 600


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.fixture
def box(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Box:
    box = Box.make(tmp_path, monkeypatch)
    (box.logs / "app.log").write_text("2026-11-24T10:00:00Z app: started\n")
    return box


def test_malformed_and_oversized_calls_are_errors_and_the_conversation_goes_on(
    fake_claude_env: Any, box: Box, sfai_home: Path
) -> None:
    log = str(box.logs / "app.log")
    garbage = {
        "type": call("get_logs", "type", source=123),
        "huge": call("get_logs", "huge", source="/" + "x" * MIB),
        "huge_grep": call("get_logs", "huge_grep", source=log, grep="g" * MIB),
        "lines": call("get_logs", "lines", source=log, lines=-5),
        "list": call("run_command", "list", argv=["uptime"] * 10_000),
        "empty": call("run_command", "empty", argv=[]),
        "paths": call("clean_disk", "paths", paths=["rotated-logs"] * 10_000, dry_run=False),
        "nested": call("get_disk_usage", "nested", path=_nested(100)),
        "unknown_arg": call("list_services", "unknown_arg", state="all", sudo=True),
        "invalid_json": call("get_memory_status", "invalid_json", _invalid_json='{"x": '),
        "unknown": call("delete_everything", "unknown", confirm=True),
        "typo": call("restart_servic", "typo", service="worker"),
        "not_object": tool_use("get_logs", ["/etc/shadow"], id="toolu_not_object"),  # type: ignore[arg-type]
    }
    expected = {
        "unknown": "unknown_tool",
        "typo": "unknown_tool",
    }
    fake_claude_env.script(
        [
            reply("Trying things.", *garbage.values(), chunk_size=MIB),
            reply("Those calls were malformed; here is what I know.", chunk_size=MIB),
        ]
    )

    result = run_measured("ask", "break things", "--json", timeout=180)

    assert result.code == 0, result.stderr[-3000:]
    stream = events(result.stdout)
    assert stream[-1]["type"] == "done" and stream[-1]["status"] == "ok"
    assert len(fake_claude_env.message_requests) == 2, "the conversation went on to its answer"
    results = results_by_id(fake_claude_env, 1)
    assert len(results) == len(garbage)
    for key in garbage:
        text, is_error = results[f"toolu_{key}"]
        assert is_error, (key, text[:500])
        assert error_code(text) == expected.get(key, "invalid_argument"), (key, text[:500])
    assert "did you mean restart_service" in results["toolu_typo"][0]
    assert "unknown argument" in results["toolu_unknown_arg"][0]
    assert "not valid JSON" in results["toolu_invalid_json"][0]
    assert result.max_rss_kib < MAX_RSS_MIB * 1024, f"peak RSS {result.max_rss_kib // 1024} MiB"
    assert not any(r["kind"] == "execution" for r in audit_records(sfai_home))


def test_an_oversized_argument_is_not_echoed_back_to_the_model(
    fake_claude_env: Any, box: Box
) -> None:
    fake_claude_env.script(
        [
            reply(
                call("get_logs", "huge", source="/" + "x" * MIB),
                call("get_logs", "grep", source=str(box.logs / "app.log"), grep="g" * MIB),
                chunk_size=MIB,
            ),
            reply("Those were too long."),
        ]
    )
    result = run_sfai("ask", "inflate", "--json", timeout=120)
    assert result.code == 0, result.stderr[-2000:]
    for key, (text, _) in results_by_id(fake_claude_env, 1).items():
        assert len(text) < 20_000, f"{key}: a {len(text)}-character error result"


@pytest.mark.xfail(
    strict=True,
    reason="WEAKNESS: tool input nested deeper than the SDK's JSON parser allows (~200 "
    "levels) ends the whole conversation (exit 1, 'Claude sent tool input that is not "
    "valid JSON', the request not counted in usage) instead of an _invalid_json error "
    "result the model can correct (sfai/core/providers/anthropic.py _translate)",
)
def test_a_deeply_nested_tool_input_is_an_error_result_not_the_end(
    fake_claude_env: Any, box: Box
) -> None:
    fake_claude_env.script(
        [
            reply(call("get_disk_usage", "deep", path=_nested(300)), chunk_size=MIB),
            reply("That input was malformed."),
        ]
    )
    result = run_measured("ask", "nest", "--json", timeout=120)
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.code == 0, result.stdout[-1000:]
    text, is_error = results_by_id(fake_claude_env, 1)["toolu_deep"]
    assert is_error and error_code(text) == "invalid_argument", text[:500]


def test_in_diagnose_mode_actions_are_not_offered_and_calling_them_is_refused(
    fake_claude_env: Any, box: Box, sfai_home: Path
) -> None:
    fake_claude_env.script(
        [
            reply(
                call("restart_service", "restart", service="worker", dry_run=False),
                call("clean_disk", "clean", paths=["rotated-logs"], dry_run=False),
                call("run_command", "unlisted", argv=["base64", "/etc/hostname"]),
            ),
            reply("I can only describe the fix in this mode."),
        ]
    )
    result = run_sfai("ask", "fix it", "--mode", "diagnose", "--json")
    assert result.code == 0, result.stderr
    offered = {tool["name"] for tool in fake_claude_env.message_requests[0].body["tools"]}
    assert "get_logs" in offered
    assert not offered & {"restart_service", "restart_failed_service", "clean_disk"}
    results = results_by_id(fake_claude_env, 1)
    for key in ("restart", "clean"):
        text, is_error = results[f"toolu_{key}"]
        assert is_error and error_code(text) == "refused_by_policy", text
        assert "not available in diagnose mode" in text
    text, is_error = results["toolu_unlisted"]
    assert is_error and error_code(text) == "approval_required", text
    assert "in diagnose mode nothing that changes the server runs" in text
    refusals = [r for r in audit_records(sfai_home) if r["kind"] == "refusal"]
    assert {r["tool"] for r in refusals} == {"restart_service", "clean_disk"}
    assert all(r["arguments"]["dry_run"] is False for r in refusals), "as the model sent them"
