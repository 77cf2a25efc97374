"""The runner: every call is looked up, validated and bounded; failures are results."""

from __future__ import annotations

import json

import pytest

from sfai_agent.tools.bounds import bound_result
from sfai_agent.tools.render import render_text


async def test_unknown_tool_suggests_a_close_name(run_tool) -> None:  # type: ignore[no-untyped-def]
    result = await run_tool("get_disk_usag", {})
    assert result == {
        "ok": False,
        "error": {
            "code": "unknown_tool",
            "message": "there is no tool named 'get_disk_usag'",
            "hint": "did you mean get_disk_usage?",
        },
    }


@pytest.mark.parametrize(
    ("name", "arguments", "fragment"),
    [
        ("get_service_status", {}, "missing required argument: 'service'"),
        ("get_logs", {"source": "/var/log/syslog", "lines": "many"}, "argument 'lines'"),
        ("get_logs", {"source": "/var/log/syslog", "lines": -5}, "argument 'lines'"),
        ("get_memory_status", {"verbose": True}, "unknown argument"),
        ("get_ssl_status", {"domain": ["a.com"]}, "argument 'domain'"),
        ("get_disk_usage", "not an object", "must be a JSON object"),
    ],
)
async def test_bad_arguments_are_invalid_argument_errors(
    run_tool, name, arguments, fragment
) -> None:  # type: ignore[no-untyped-def]
    result = await run_tool(name, arguments)
    assert result["ok"] is False
    assert result["error"]["code"] == "invalid_argument"
    assert fragment in result["error"]["message"]


async def test_a_tool_over_its_time_budget_is_a_timeout_result(run_tool) -> None:  # type: ignore[no-untyped-def]
    result = await run_tool("get_system_overview", {}, tool_timeout_s=0.001)
    assert result["ok"] is False
    assert result["error"]["code"] == "timeout"


async def test_results_put_ok_and_summary_first(run_tool) -> None:  # type: ignore[no-untyped-def]
    result = await run_tool("get_memory_status", {})
    assert list(result)[:2] == ["ok", "summary"]
    assert result["ok"] is True and result["summary"]


def test_oversized_results_are_cut_with_an_explicit_marker() -> None:
    big = {
        "ok": True,
        "summary": "s",
        "lines": [f"line {i} " + "x" * 80 for i in range(5000)],
        "note": "y" * 50_000,
    }
    bounded = bound_result(big, 20_000)
    assert len(json.dumps(bounded)) <= 20_000
    assert bounded["truncated"] is True
    assert bounded["truncated_lists"]["lines"] == 5000
    assert bounded["summary"] == "s"


def test_small_results_are_untouched() -> None:
    small = {"ok": True, "summary": "fine", "value": 1}
    assert bound_result(small, 1000) is small


def test_error_rendering_carries_the_hint() -> None:
    text = render_text(
        {"ok": False, "error": {"code": "not_found", "message": "no such thing", "hint": "try x"}}
    )
    assert text == "error (not_found): no such thing\nhint: try x"
