"""`sfai ask` with Claude: the real console script, the real anthropic SDK, real tools on
this host, and the fake Messages server as the only stand-in (it records every request)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.cli import SFAI, run_sfai
from tests.fakes import error, reply, tool_use

GOLDEN = Path(__file__).parent / "golden"


def events(stdout: str) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in stdout.splitlines()]


@pytest.fixture
def app_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A real log file under a log root the tools may read."""
    log = tmp_path / "app.log"
    log.write_text(
        "2026-11-24T10:00:01Z app: started\n"
        "2026-11-24T10:00:02Z app: connect() failed (111: Connection refused) to 127.0.0.1:5432\n"
        "2026-11-24T10:00:03Z app: giving up\n"
    )
    monkeypatch.setenv("SFAI_TOOLS__LOG_ROOTS", json.dumps([str(tmp_path)]))
    return log


def test_tool_use_round_trip_streams_json_lines(fake_claude_env, app_log: Path) -> None:  # type: ignore[no-untyped-def]
    fake_claude_env.script(
        [
            reply(
                "I will read the log.", tool_use("get_logs", {"source": str(app_log), "lines": 10})
            ),
            reply("The app cannot reach PostgreSQL on port 5432: the connection is refused."),
        ]
    )
    result = run_sfai("ask", "why does the app fail?", "--json")
    assert result.code == 0, result.stderr
    stream = events(result.stdout)
    types = [e["type"] for e in stream]
    assert types[-1] == "done" and types.count("tool_call") == 1 and types.count("tool_result") == 1
    assert types.index("tool_call") < types.index("tool_result")
    call = next(e for e in stream if e["type"] == "tool_call")
    assert call["name"] == "get_logs" and call["input"] == {"source": str(app_log), "lines": 10}
    assert call["risk"] == "read_only"
    outcome = next(e for e in stream if e["type"] == "tool_result")
    assert outcome["ok"] is True and "Connection refused" in outcome["content"]
    text = "".join(e["content"] for e in stream if e["type"] == "text")
    assert (
        text
        == "I will read the log.The app cannot reach PostgreSQL on port 5432: the connection is refused."
    )
    done = stream[-1]
    assert done["status"] == "ok"
    assert done["usage"]["requests"] == 2 and done["usage"]["output_tokens"] > 0
    # What Claude received: the tool result, framed with the tool_use id.
    second = fake_claude_env.message_requests[1].body
    results = [
        b
        for m in second["messages"]
        for b in m["content"]
        if isinstance(b, dict) and b.get("type") == "tool_result"
    ]
    assert results[0]["tool_use_id"] == call["id"]
    assert "Connection refused" in json.dumps(results[0]["content"])


def test_first_request_carries_rules_snapshot_and_cached_tools(fake_claude_env) -> None:  # type: ignore[no-untyped-def]
    fake_claude_env.script([reply("All good.")])
    assert run_sfai("ask", "how is the server?").code == 0
    body = fake_claude_env.message_requests[0].body
    assert body["stream"] is True
    assert body["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert "You are sfai" in body["system"][0]["text"]
    assert "Snapshot of the server" in body["system"][1]["text"]
    assert body["tools"][-1]["cache_control"] == {"type": "ephemeral"}
    names = {tool["name"] for tool in body["tools"]}
    assert {"get_disk_usage", "get_logs", "get_ssl_status"} <= names
    assert body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "how is the server?"}]}
    ]


def test_text_output_is_plain_and_turns_are_separated(fake_claude_env, app_log: Path) -> None:  # type: ignore[no-untyped-def]
    fake_claude_env.script(
        [
            reply("Reading the log.", tool_use("get_logs", {"source": str(app_log)})),
            reply("**Verdict:** PostgreSQL is down."),
        ]
    )
    result = run_sfai("ask", "why?")
    assert result.code == 0, result.stderr
    assert result.stdout == "Reading the log.\n\n**Verdict:** PostgreSQL is down.\n"
    assert "→ get_logs(" in result.stderr
    assert "conversation " in result.stderr


def test_golden_text_and_json_output(fake_claude_env, app_log: Path) -> None:  # type: ignore[no-untyped-def]
    def script() -> None:
        fake_claude_env.script(
            [
                reply(
                    "Let me look.",
                    tool_use(
                        "get_logs", {"source": str(app_log), "grep": "refused"}, id="toolu_golden1"
                    ),
                ),
                reply("The database refuses connections.\n\n- check `postgresql`\n"),
            ]
        )

    def normalise(text: str) -> str:
        return text.replace(str(app_log.parent), "<LOGDIR>")

    script()
    text = run_sfai("ask", "why?")
    script()
    as_json = run_sfai("ask", "why?", "--json")
    assert text.code == 0 and as_json.code == 0
    stream = events(as_json.stdout)
    stream[-1]["conversation_id"] = "<ID>"
    stream[-1]["usage"] = dict.fromkeys(stream[-1]["usage"], "<N>")
    rendered = normalise("".join(json.dumps(e, sort_keys=True) + "\n" for e in stream))
    for name, actual in (("ask_text.txt", normalise(text.stdout)), ("ask_json.jsonl", rendered)):
        golden = GOLDEN / name
        if os.environ.get("UPDATE_GOLDEN"):
            golden.write_text(actual)
        assert actual == golden.read_text(), f"{name} differs; regenerate with UPDATE_GOLDEN=1"


def test_identical_tool_calls_are_served_once(fake_claude_env) -> None:  # type: ignore[no-untyped-def]
    fake_claude_env.script(
        [
            reply(tool_use("get_disk_usage", {"path": "/tmp"})),
            reply(tool_use("get_disk_usage", {"path": "/tmp"})),
            reply(tool_use("get_memory_status")),
            reply("Memory is fine."),
        ]
    )
    result = run_sfai("ask", "memory?", "--json")
    assert result.code == 0, result.stderr
    conversation = json.loads(
        run_sfai("history", "show", events(result.stdout)[-1]["conversation_id"], "--json").stdout
    )
    # The second identical call is served from the first, and get_memory_status from the
    # snapshot already collected for the context.
    assert [call["cached"] for call in conversation["tool_calls"]] == [False, True, True]


def test_piped_stdin_is_added_as_context(fake_claude_env) -> None:  # type: ignore[no-untyped-def]
    fake_claude_env.script([reply("nginx cannot reach its upstream.")])
    piped = "nginx[812]: connect() failed (111: Connection refused) while connecting to upstream\n"
    result = run_sfai("ask", "why does it fail?", stdin=piped)
    assert result.code == 0, result.stderr
    content = fake_claude_env.message_requests[0].body["messages"][0]["content"]
    assert content[0] == {"type": "text", "text": "why does it fail?"}
    assert content[1]["text"].startswith("Context piped on stdin:\n")
    assert "while connecting to upstream" in content[1]["text"]


def test_continue_sends_the_earlier_turns(fake_claude_env) -> None:  # type: ignore[no-untyped-def]
    fake_claude_env.script([reply("Disk is 22% full."), reply("Yes, /var is the largest.")])
    assert run_sfai("ask", "how full is the disk?").code == 0
    assert run_sfai("ask", "and /var?", "--continue").code == 0
    messages = fake_claude_env.message_requests[1].body["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert messages[1]["content"][0]["text"] == "Disk is 22% full."
    listed = run_sfai("history", "list", "--json")
    assert len(json.loads(listed.stdout)) == 1


def test_rate_limit_after_retries_exits_4(fake_claude_env) -> None:  # type: ignore[no-untyped-def]
    fake_claude_env.script([error(429, retry_after=0.01)] * 6)
    result = run_sfai("ask", "status?", "--json")
    assert result.code == 4
    stream = events(result.stdout)
    assert stream[-2]["type"] == "error" and "rate" in stream[-2]["message"].lower()
    assert stream[-1] == {**stream[-1], "type": "done", "status": "rate_limited"}


def test_bad_key_exits_1_with_a_hint_and_never_prints_the_key(
    fake_claude_env, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-wrong-key-123456")
    result = run_sfai("ask", "status?")
    assert result.code == 1
    assert "ANTHROPIC_API_KEY" in result.stderr
    assert "sk-ant-wrong-key-123456" not in result.stderr + result.stdout


def test_unknown_model_exits_1_naming_the_default(fake_claude_env) -> None:  # type: ignore[no-untyped-def]
    fake_claude_env.script([error(404, type="not_found_error", message="model: claude-nope")])
    result = run_sfai("ask", "status?", "--model", "claude-nope")
    assert result.code == 1
    assert "--model" in result.stderr


def test_max_steps_stops_a_model_that_never_answers(fake_claude_env) -> None:  # type: ignore[no-untyped-def]
    fake_claude_env.script(
        [reply(tool_use("get_disk_usage", {"path": f"/var/{i}"})) for i in range(3)]
    )
    result = run_sfai("ask", "loop", "--max-steps", "2", "--json")
    assert result.code == 1
    stream = events(result.stdout)
    assert "stopped after 2 steps" in stream[-2]["message"]
    assert stream[-1]["status"] == "max_steps"
    assert len(fake_claude_env.message_requests) == 2


def _start_streaming(fake_claude_env) -> tuple[subprocess.Popen[str], str]:  # type: ignore[no-untyped-def]
    words = " ".join(f"word{i}" for i in range(400))
    fake_claude_env.script([reply(words, delay=0.02)])
    process = subprocess.Popen(
        [SFAI, "ask", "tell me a long story", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=dict(os.environ),
    )
    seen = ""
    assert process.stdout is not None
    while "word30 " not in seen:
        line = process.stdout.readline()
        assert line, process.stderr.read() if process.stderr else ""
        record = json.loads(line)
        if record["type"] == "text":
            seen += record["content"]
    return process, seen


def test_kill_9_mid_stream_keeps_what_was_streamed(fake_claude_env) -> None:  # type: ignore[no-untyped-def]
    process, seen = _start_streaming(fake_claude_env)
    process.kill()
    process.wait(timeout=10)
    listed = json.loads(run_sfai("history", "list", "--json").stdout)
    conversation = json.loads(run_sfai("history", "show", listed[0]["id"], "--json").stdout)
    stored = "".join(m["text"] for m in conversation["messages"] if m["role"] == "assistant")
    assert stored.startswith(seen.rstrip())


def test_ctrl_c_stops_cleanly_exit_130_and_keeps_the_text(fake_claude_env) -> None:  # type: ignore[no-untyped-def]
    process, seen = _start_streaming(fake_claude_env)
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=20)
    assert process.returncode == 130
    tail = [json.loads(line) for line in out.splitlines()]
    assert tail[-1]["type"] == "done" and tail[-1]["status"] == "interrupted"
    time.sleep(0.1)
    conversation = json.loads(
        run_sfai("history", "show", tail[-1]["conversation_id"], "--json").stdout
    )
    assert conversation["status"] == "interrupted"
    stored = "".join(m["text"] for m in conversation["messages"] if m["role"] == "assistant")
    assert stored.startswith(seen.rstrip())
