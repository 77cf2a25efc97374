"""The fake Anthropic Messages server speaks the wire format the API speaks.

Checked on the raw bytes (stdlib HTTP client) and through the SDK's non-streaming path; the
streaming path through the SDK is covered by ``test_provider_anthropic.py``.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.fakes import NO_REPLY_LEFT, FakeAnthropicServer, error, reply, tool_use
from tests.fixtures.processes import free_port, stop_process

REQUEST = {
    "model": "claude-sonnet-5",
    "max_tokens": 100,
    "messages": [{"role": "user", "content": "Is nginx up?"}],
}


def post(url: str, body: Any, path: str = "/v1/messages") -> tuple[int, dict[str, str], bytes]:
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("POST", path, json.dumps(body), {"content-type": "application/json"})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def sse(data: bytes) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for chunk in data.decode().strip().split("\n\n"):
        name, payload = chunk.split("\n")
        events.append((name.removeprefix("event: "), json.loads(payload.removeprefix("data: "))))
    return events


def test_a_streamed_reply_is_the_event_sequence_the_api_sends(
    fake_claude: FakeAnthropicServer,
) -> None:
    fake_claude.script([reply("nginx is up", tool_use("get_service_status", {"service": "nginx"}))])

    status, headers, data = post(fake_claude.url, {**REQUEST, "stream": True})

    assert status == 200
    assert headers["content-type"].startswith("text/event-stream")
    events = sse(data)
    names = [name for name, _ in events]
    assert names[:3] == ["message_start", "ping", "content_block_start"]
    assert names[-2:] == ["message_delta", "message_stop"]
    assert all(name == data_["type"] for name, data_ in events)
    usage = events[0][1]["message"]["usage"]
    assert {"input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"} <= set(usage)
    deltas = [d["delta"] for n, d in events if n == "content_block_delta"]
    text = [d["text"] for d in deltas if d["type"] == "text_delta"]
    pieces = [d["partial_json"] for d in deltas if d["type"] == "input_json_delta"]
    assert text == ["nginx ", "is ", "up"]
    assert len(pieces) > 2 and json.loads("".join(pieces)) == {"service": "nginx"}
    assert events[-2][1]["delta"]["stop_reason"] == "tool_use"


def test_a_plain_reply_is_a_message_object(fake_claude: FakeAnthropicServer) -> None:
    fake_claude.script([reply("up", usage={"input_tokens": 7, "output_tokens": 1})])

    status, _, data = post(fake_claude.url, REQUEST)

    message = json.loads(data)
    assert status == 200
    assert message["type"] == "message" and message["role"] == "assistant"
    assert message["model"] == "claude-sonnet-5"
    assert message["content"] == [{"type": "text", "text": "up"}]
    assert message["stop_reason"] == "end_turn"
    assert message["usage"]["input_tokens"] == 7


async def test_the_sdk_reads_a_plain_reply(fake_claude: FakeAnthropicServer) -> None:
    import anthropic

    fake_claude.script(["pong"])
    client = anthropic.AsyncAnthropic(api_key="sk-test", base_url=fake_claude.url)
    try:
        message = await client.messages.create(**REQUEST)  # type: ignore[call-overload]
    finally:
        await client.close()

    assert message.content[0].text == "pong"
    assert fake_claude.requests[0].body == REQUEST


def test_errors_carry_the_api_body_and_retry_after(fake_claude: FakeAnthropicServer) -> None:
    fake_claude.script([error(429), error(529, retry_after=3)])

    first = post(fake_claude.url, REQUEST)
    second = post(fake_claude.url, REQUEST)

    assert first[0] == 429
    assert json.loads(first[2])["error"]["type"] == "rate_limit_error"
    assert first[1]["retry-after"] == "0.01"
    assert second[0] == 529 and second[1]["retry-after"] == "3"
    assert json.loads(second[2]) == {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "Overloaded"},
    }


def test_a_callable_reply_sees_the_request(fake_claude: FakeAnthropicServer) -> None:
    fake_claude.script([lambda body: reply(f"you said: {body['messages'][0]['content']}")])

    _, _, data = post(fake_claude.url, REQUEST)

    assert json.loads(data)["content"][0]["text"] == "you said: Is nginx up?"


def test_a_failing_callable_and_an_empty_script_fail_loudly(
    fake_claude: FakeAnthropicServer,
) -> None:
    fake_claude.script([lambda body: body["nope"]])

    broken = post(fake_claude.url, REQUEST)
    empty = post(fake_claude.url, REQUEST)

    assert broken[0] == 500 and "KeyError" in json.loads(broken[2])["error"]["message"]
    assert empty[0] == 500 and json.loads(empty[2])["error"]["message"] == NO_REPLY_LEFT
    assert empty[1]["x-should-retry"] == "false"


@pytest.mark.parametrize(
    ("messages", "problem"),
    [
        ([{"role": "user", "content": [{"type": "text", "text": ""}]}], "must be non-empty"),
        (
            [
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": [tool_use("x", {}, id="toolu_1")]},
                {"role": "user", "content": "what?"},
            ],
            "`tool_use` ids were found without `tool_result`",
        ),
        (
            [
                {
                    "role": "user",
                    "content": [{"type": "tool_result", "tool_use_id": "t9", "content": "x"}],
                }
            ],
            "unexpected `tool_use_id`",
        ),
        (
            [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": str(i), "cache_control": {"type": "ephemeral"}}
                        for i in range(5)
                    ],
                }
            ],
            "A maximum of 4 blocks with cache_control",
        ),
    ],
)
def test_requests_the_api_rejects_get_its_400(
    fake_claude: FakeAnthropicServer, messages: list[dict[str, Any]], problem: str
) -> None:
    fake_claude.script(["unused"])

    status, _, data = post(fake_claude.url, {**REQUEST, "messages": messages})

    assert status == 400
    assert problem in json.loads(data)["error"]["message"]
    assert fake_claude.remaining == 1


def test_count_tokens_and_unknown_paths(fake_claude: FakeAnthropicServer) -> None:
    counted = post(
        fake_claude.url,
        {"model": "m", "messages": REQUEST["messages"]},
        "/v1/messages/count_tokens",
    )
    unknown = post(fake_claude.url, REQUEST, "/v1/complete")

    assert counted[0] == 200 and json.loads(counted[2])["input_tokens"] > 0
    assert unknown[0] == 404
    assert [r.path for r in fake_claude.requests] == ["/v1/messages/count_tokens", "/v1/complete"]


def test_the_command_line_serves_a_script_file_on_repeat(tmp_path: Path) -> None:
    script = tmp_path / "replies.json"
    script.write_text(json.dumps([reply("from the file")]))
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.fakes.anthropic_server",
            "--port",
            str(port),
            "--script",
            str(script),
            "--repeat",
        ],
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[1],
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().decode().strip()
        assert url == f"http://127.0.0.1:{port}"
        answers = [json.loads(post(url, REQUEST)[2])["content"][0]["text"] for _ in range(2)]
    finally:
        stop_process(process)
    assert answers == ["from the file", "from the file"]
