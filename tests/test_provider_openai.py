"""The OpenAI-compatible provider against a real local HTTP server speaking like Ollama /
llama.cpp / vLLM: streaming, tool calls from fragments, request translation, errors."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from sfai.core.events import Usage
from sfai.core.providers.base import (
    ProviderError,
    ProviderEvent,
    ProviderRequest,
    TextDelta,
    ToolDefinition,
    ToolUse,
    TurnEnd,
)
from sfai.core.providers.openai_compat import OpenAICompatProvider
from sfai.core.providers.openai_stream import INVALID_JSON_KEY
from tests.fakes.openai_server import (
    FakeOpenAIServer,
    Reply,
    ToolCall,
    chunk,
    error_reply,
    json_reply,
    raw_reply,
    text_reply,
    tool_reply,
    usage,
    whole_tool_calls_reply,
)

DISK_TOOL = ToolDefinition(
    name="get_disk_usage",
    description="Filesystems and their use; with path, the biggest entries under it.",
    input_schema={"type": "object", "properties": {"path": {"type": "string"}}},
)
SERVICE_TOOL = ToolDefinition(
    name="get_service_status",
    description="One service's state and recent log lines.",
    input_schema={
        "type": "object",
        "properties": {"service": {"type": "string"}},
        "required": ["service"],
    },
)


def ask(text: str = "why is the disk full?", **options: Any) -> ProviderRequest:
    return ProviderRequest(
        system="You are sfai.",
        context="Host: web-1, Debian 12",
        messages=[{"role": "user", "content": [{"type": "text", "text": text}]}],
        tools=[DISK_TOOL, SERVICE_TOOL],
        **options,
    )


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as fake:
        yield fake


@pytest.fixture
async def provider(server: FakeOpenAIServer) -> AsyncIterator[OpenAICompatProvider]:
    client = OpenAICompatProvider(server.base_url, "qwen2.5:7b", retry_backoff=0.01)
    yield client
    await client.close()


async def run(
    provider: OpenAICompatProvider, request: ProviderRequest | None = None
) -> list[ProviderEvent]:
    return [event async for event in provider.stream(request or ask())]


async def failure(provider: OpenAICompatProvider) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        await run(provider)
    return caught.value


def tool_uses(events: list[ProviderEvent]) -> list[ToolUse]:
    return [event for event in events if isinstance(event, ToolUse)]


def turn_end(events: list[ProviderEvent]) -> TurnEnd:
    assert isinstance(events[-1], TurnEnd), events
    return events[-1]


class TestText:
    async def test_text_streams_as_deltas_then_one_turn_end(
        self, server: FakeOpenAIServer, provider: OpenAICompatProvider
    ) -> None:
        server.script(text_reply("The disk ", "is ", "full."))
        events = await run(provider)
        assert events[:-1] == [TextDelta("The disk "), TextDelta("is "), TextDelta("full.")]
        end = turn_end(events)
        assert end.stop_reason == "end_turn"
        assert end.content == [{"type": "text", "text": "The disk is full."}]
        assert end.usage == Usage(input_tokens=12, output_tokens=5, requests=1)

    async def test_first_text_arrives_before_the_reply_ends(
        self, server: FakeOpenAIServer, provider: OpenAICompatProvider
    ) -> None:
        server.script(text_reply("Looking", " at the disks.", hold_after=2))
        stream = provider.stream(ask())
        assert await anext(stream) == TextDelta("Looking")  # the server is still holding
        assert not server.gate.is_set()
        server.release()
        rest = [event async for event in stream]
        assert rest[0] == TextDelta(" at the disks.")
        assert turn_end(rest).content == [{"type": "text", "text": "Looking at the disks."}]

    async def test_length_stop_means_max_tokens(
        self, server: FakeOpenAIServer, provider: OpenAICompatProvider
    ) -> None:
        server.script(text_reply("The disk is", finish_reason="length"))
        assert turn_end(await run(provider)).stop_reason == "max_tokens"

    async def test_usage_splits_cached_prompt_tokens_and_costs_nothing(
        self, server: FakeOpenAIServer, provider: OpenAICompatProvider
    ) -> None:
        reply = text_reply("ok", tokens=None)
        reply.chunks.append(chunk(usage=usage(1000, 40, cached=800)))
        server.script(reply)
        assert turn_end(await run(provider)).usage == Usage(
            input_tokens=200, output_tokens=40, cache_read_tokens=800, cost_usd=0.0, requests=1
        )

    async def test_a_server_without_usage_still_counts_the_request(
        self, server: FakeOpenAIServer, provider: OpenAICompatProvider
    ) -> None:
        server.script(text_reply("ok", tokens=None))
        assert turn_end(await run(provider)).usage == Usage(requests=1)

    async def test_a_non_streamed_json_completion_is_understood(
        self, server: FakeOpenAIServer, provider: OpenAICompatProvider
    ) -> None:
        server.script(
            json_reply(
                {
                    "role": "assistant",
                    "content": "Checking.",
                    "tool_calls": [
                        {
                            "id": "call_a",
                            "type": "function",
                            "function": {"name": "get_disk_usage", "arguments": '{"path": "/"}'},
                        }
                    ],
                },
                finish_reason="tool_calls",
            )
        )
        events = await run(provider)
        assert events[0] == TextDelta("Checking.")
        assert tool_uses(events) == [ToolUse("call_a", "get_disk_usage", {"path": "/"})]
        assert turn_end(events).usage == Usage(input_tokens=20, output_tokens=7, requests=1)


class TestToolCalls:
    async def test_a_tool_call_is_assembled_from_argument_fragments(
        self, server: FakeOpenAIServer, provider: OpenAICompatProvider
    ) -> None:
        arguments = '{"path": "/var/log", "note": "caf\\u00e9 \\"quoted\\""}'
        server.script(tool_reply(ToolCall("call_1", "get_disk_usage", arguments), fragment=3))
        events = await run(provider)
        assert tool_uses(events) == [
            ToolUse("call_1", "get_disk_usage", {"path": "/var/log", "note": 'café "quoted"'})
        ]
        end = turn_end(events)
        assert end.stop_reason == "tool_use"
        assert end.content == [
            {
                "type": "tool_use",
                "id": "call_1",
                "name": "get_disk_usage",
                "input": {"path": "/var/log", "note": 'café "quoted"'},
            }
        ]
        assert end.usage.input_tokens == 40

    @pytest.mark.parametrize("interleave", [False, True], ids=["sequential", "interleaved"])
    async def test_two_parallel_tool_calls_come_out_in_index_order(
        self, server: FakeOpenAIServer, provider: OpenAICompatProvider, interleave: bool
    ) -> None:
        server.script(
            tool_reply(
                ToolCall("call_a", "get_disk_usage", '{"path": "/"}'),
                ToolCall("call_b", "get_service_status", '{"service": "nginx"}'),
                text="Let me look.",
                fragment=4,
                interleave=interleave,
            )
        )
        events = await run(provider)
        assert events[0] == TextDelta("Let me look.")
        expected = [
            ToolUse("call_a", "get_disk_usage", {"path": "/"}),
            ToolUse("call_b", "get_service_status", {"service": "nginx"}),
        ]
        assert tool_uses(events) == expected
        end = turn_end(events)
        assert [block["type"] for block in end.content] == ["text", "tool_use", "tool_use"]
        assert end.content[0] == {"type": "text", "text": "Let me look."}
        assert [block["id"] for block in end.content[1:]] == ["call_a", "call_b"]

    async def test_tool_uses_are_emitted_when_the_model_finishes_not_before(
        self, server: FakeOpenAIServer, provider: OpenAICompatProvider
    ) -> None:
        server.script(tool_reply(ToolCall("call_1", "get_disk_usage", '{"path": "/"}')))
        events = await run(provider)
        kinds = [type(event).__name__ for event in events]
        assert kinds == ["ToolUse", "TurnEnd"]

    async def test_malformed_arguments_reach_the_runner_marked_invalid(
        self, server: FakeOpenAIServer, provider: OpenAICompatProvider
    ) -> None:
        raw = '{"path": "/var/log",'  # a weak model stopped mid-object
        server.script(tool_reply(ToolCall("call_1", "get_disk_usage", raw)))
        events = await run(provider)
        assert tool_uses(events) == [ToolUse("call_1", "get_disk_usage", {INVALID_JSON_KEY: raw})]
        assert turn_end(events).stop_reason == "tool_use"

    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("", {}),
            ("null", {}),
            ('"{\\"path\\": \\"/\\"}"', {"path": "/"}),  # double-encoded
            ('["/"]', {INVALID_JSON_KEY: '["/"]'}),
        ],
        ids=["empty", "null", "double-encoded", "not-an-object"],
    )
    async def test_unusual_arguments(
        self,
        server: FakeOpenAIServer,
        provider: OpenAICompatProvider,
        raw: str,
        expected: dict[str, Any],
    ) -> None:
        server.script(tool_reply(ToolCall("call_1", "get_disk_usage", raw)))
        assert tool_uses(await run(provider)) == [ToolUse("call_1", "get_disk_usage", expected)]

    async def test_whole_calls_without_index_and_a_stop_finish_are_still_tool_use(
        self, server: FakeOpenAIServer, provider: OpenAICompatProvider
    ) -> None:
        server.script(
            whole_tool_calls_reply(
                ToolCall("call_a", "get_disk_usage", '{"path": "/"}'),
                ToolCall("call_b", "get_service_status", '{"service": "nginx"}'),
            )
        )
        events = await run(provider)
        assert [use.id for use in tool_uses(events)] == ["call_a", "call_b"]
        assert turn_end(events).stop_reason == "tool_use"

    async def test_a_call_without_an_id_gets_one(
        self, server: FakeOpenAIServer, provider: OpenAICompatProvider
    ) -> None:
        server.script(tool_reply(ToolCall("", "get_disk_usage", "{}")))
        events = await run(provider)
        [use] = tool_uses(events)
        assert use.id.startswith("call_") and len(use.id) > 10
        assert turn_end(events).content[0]["id"] == use.id


class TestRequest:
    async def test_a_full_history_becomes_openai_messages(
        self, server: FakeOpenAIServer, provider: OpenAICompatProvider
    ) -> None:
        history: list[dict[str, Any]] = [
            {"role": "user", "content": "why is the disk full?"},
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "Checking disk and nginx."},
                    {
                        "type": "tool_use",
                        "id": "call_a",
                        "name": "get_disk_usage",
                        "input": {"path": "/"},
                    },
                    {
                        "type": "tool_use",
                        "id": "call_b",
                        "name": "get_service_status",
                        "input": {"service": "nginx"},
                    },
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "call_a", "content": "/ is 97% used"},
                    {
                        "type": "tool_result",
                        "tool_use_id": "call_b",
                        "content": [{"type": "text", "text": "unknown service"}],
                        "is_error": True,
                    },
                ],
            },
            {
                "role": "assistant",
                "content": [
                    {"type": "tool_use", "id": "call_c", "name": "get_disk_usage", "input": {}}
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "call_c", "content": "ok"},
                    {"type": "text", "text": "and /var?"},
                ],
            },
        ]
        server.script(text_reply("/var/log is the culprit."))
        request = ProviderRequest(
            system="You are sfai.",
            context="Host: web-1",
            messages=history,
            tools=[DISK_TOOL],
            max_tokens=1024,
        )
        await run(provider, request)
        [sent] = server.requests
        assert sent.path == "/v1/chat/completions"
        assert sent.body["model"] == "qwen2.5:7b"
        assert sent.body["stream"] is True
        assert sent.body["stream_options"] == {"include_usage": True}
        assert sent.body["max_tokens"] == 1024
        assert sent.body["tools"] == [
            {
                "type": "function",
                "function": {
                    "name": "get_disk_usage",
                    "description": DISK_TOOL.description,
                    "parameters": DISK_TOOL.input_schema,
                },
            }
        ]
        assert sent.body["messages"] == [
            {"role": "system", "content": "You are sfai.\n\nHost: web-1"},
            {"role": "user", "content": "why is the disk full?"},
            {
                "role": "assistant",
                "content": "Checking disk and nginx.",
                "tool_calls": [
                    {
                        "id": "call_a",
                        "type": "function",
                        "function": {"name": "get_disk_usage", "arguments": '{"path": "/"}'},
                    },
                    {
                        "id": "call_b",
                        "type": "function",
                        "function": {
                            "name": "get_service_status",
                            "arguments": '{"service": "nginx"}',
                        },
                    },
                ],
            },
            {"role": "tool", "tool_call_id": "call_a", "content": "/ is 97% used"},
            {"role": "tool", "tool_call_id": "call_b", "content": "ERROR: unknown service"},
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    {
                        "id": "call_c",
                        "type": "function",
                        "function": {"name": "get_disk_usage", "arguments": "{}"},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_c", "content": "ok"},
            {"role": "user", "content": "and /var?"},
        ]
        assert "authorization" not in sent.headers

    async def test_an_invalid_call_goes_back_as_valid_json(
        self, server: FakeOpenAIServer, provider: OpenAICompatProvider
    ) -> None:
        """Servers that re-parse history arguments must not choke on what a model garbled."""
        server.script(text_reply("ok"))
        bad = {
            "type": "tool_use",
            "id": "c",
            "name": "get_disk_usage",
            "input": {INVALID_JSON_KEY: "{"},
        }
        request = ask()
        request.messages += [
            {"role": "assistant", "content": [bad]},
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "c", "content": "x"}],
            },
        ]
        await run(provider, request)
        arguments = server.requests[0].body["messages"][2]["tool_calls"][0]["function"]["arguments"]
        assert json.loads(arguments) == {INVALID_JSON_KEY: "{"}

    async def test_api_key_is_sent_as_bearer_and_no_tools_means_no_tools_key(
        self, server: FakeOpenAIServer
    ) -> None:
        server.script(text_reply("hi"))
        provider = OpenAICompatProvider(server.base_url + "/", "m", api_key="sk-local")
        try:
            await run(
                provider, ProviderRequest(system="S", context="", messages=ask().messages, tools=[])
            )
        finally:
            await provider.close()
        [sent] = server.requests
        assert sent.headers["authorization"] == "Bearer sk-local"
        assert "tools" not in sent.body
        assert sent.body["messages"][0] == {"role": "system", "content": "S"}

    async def test_an_empty_model_is_left_to_the_server(self, server: FakeOpenAIServer) -> None:
        """llama.cpp and vLLM serve one model and need no name."""
        server.script(text_reply("hi"))
        provider = OpenAICompatProvider(server.base_url, "")
        try:
            await run(provider)
        finally:
            await provider.close()
        assert "model" not in server.requests[0].body


class TestErrors:
    async def test_connection_refused_names_the_url_and_how_to_start_ollama(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        base_url = f"http://127.0.0.1:{port}/v1"
        provider = OpenAICompatProvider(base_url, "qwen2.5:7b")
        try:
            error = await failure(provider)
        finally:
            await provider.close()
        assert error.kind == "transport"
        assert error.message == f"cannot connect to {base_url} (connection refused)"
        assert "ollama serve" in error.hint
        assert "[openai] base_url" in error.hint

    @pytest.mark.parametrize("status", [401, 403])
    async def test_a_refused_key_is_an_auth_error(
        self, server: FakeOpenAIServer, provider: OpenAICompatProvider, status: int
    ) -> None:
        server.script(error_reply(status, "invalid api key"))
        error = await failure(provider)
        assert error.kind == "auth"
        assert "invalid api key" in error.message
        assert "[openai] api_key" in error.hint
        assert len(server.requests) == 1

    async def test_an_unknown_model_says_to_pull_it(
        self, server: FakeOpenAIServer, provider: OpenAICompatProvider
    ) -> None:
        server.script(error_reply(404, 'model "qwen2.5:7b" not found, try pulling it first'))
        error = await failure(provider)
        assert error.kind == "model"
        assert "not found" in error.message
        assert "ollama pull qwen2.5:7b" in error.hint
        assert "[openai] model" in error.hint

    async def test_a_wrong_base_url_path_points_at_v1(self, server: FakeOpenAIServer) -> None:
        provider = OpenAICompatProvider(server.base_url.removesuffix("/v1"), "qwen2.5:7b")
        try:
            error = await failure(provider)
        finally:
            await provider.close()
        assert error.kind == "transport"
        assert "404 page not found" in error.message
        assert "/v1" in error.hint

    @pytest.mark.parametrize(
        "message",
        [
            "registry.ollama.ai/library/gemma2:2b does not support tools",
            '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set',
        ],
        ids=["ollama", "vllm"],
    )
    async def test_a_model_without_tool_support_suggests_one_with_it(
        self, server: FakeOpenAIServer, provider: OpenAICompatProvider, message: str
    ) -> None:
        server.script(error_reply(400, message))
        error = await failure(provider)
        assert error.kind == "bad_request"
        assert message in error.message
        assert "llama3.1" in error.hint and "qwen2.5" in error.hint

    async def test_a_conversation_too_long_for_the_context_says_so(
        self, server: FakeOpenAIServer, provider: OpenAICompatProvider
    ) -> None:
        server.script(
            error_reply(
                400,
                "This model's maximum context length is 4096 tokens. However, you requested 5210 tokens.",
                type_="BadRequestError",
            )
        )
        error = await failure(provider)
        assert error.kind == "bad_request"
        assert "OLLAMA_CONTEXT_LENGTH" in error.hint

    async def test_429_is_retried_then_succeeds(
        self, server: FakeOpenAIServer, provider: OpenAICompatProvider
    ) -> None:
        server.script(
            error_reply(429, "slow down", headers={"Retry-After": "0"}), text_reply("done")
        )
        events = await run(provider)
        assert events[0] == TextDelta("done")
        assert len(server.requests) == 2

    async def test_429_after_every_retry_is_a_rate_limit(
        self, server: FakeOpenAIServer, provider: OpenAICompatProvider
    ) -> None:
        server.script(*[error_reply(429, "slow down") for _ in range(3)])
        error = await failure(provider)
        assert error.kind == "rate_limit"
        assert "3 attempts" in error.message
        assert len(server.requests) == 3  # one try and max_retries=2

    async def test_5xx_is_retried_then_an_internal_error(
        self, server: FakeOpenAIServer, provider: OpenAICompatProvider
    ) -> None:
        server.script(
            error_reply(500, "llama runner process has terminated: signal: killed"),
            raw_reply(502, "Bad Gateway"),
            error_reply(500, "llama runner process has terminated: signal: killed"),
        )
        error = await failure(provider)
        assert error.kind == "internal"
        assert "llama runner process has terminated" in error.message
        assert len(server.requests) == 3

    async def test_a_busy_server_is_overloaded(
        self, server: FakeOpenAIServer, provider: OpenAICompatProvider
    ) -> None:
        server.script(*[error_reply(503, "server busy, please try again.") for _ in range(3)])
        error = await failure(provider)
        assert error.kind == "overloaded"
        assert len(server.requests) == 3

    async def test_a_5xx_then_success_streams_normally(
        self, server: FakeOpenAIServer, provider: OpenAICompatProvider
    ) -> None:
        server.script(raw_reply(502, "Bad Gateway"), text_reply("fine"))
        assert (await run(provider))[0] == TextDelta("fine")

    async def test_an_error_inside_the_stream_is_raised(
        self, server: FakeOpenAIServer, provider: OpenAICompatProvider
    ) -> None:
        reply = text_reply("The disk")
        reply.chunks.insert(2, {"error": {"message": "unexpected EOF", "code": 500}})
        server.script(reply)
        stream = provider.stream(ask())
        assert await anext(stream) == TextDelta("The disk")
        with pytest.raises(ProviderError) as caught:
            await anext(stream)
        assert caught.value.kind == "internal"
        assert "unexpected EOF" in caught.value.message
        assert len(server.requests) == 1  # never retried once text went out

    async def test_a_connection_cut_mid_answer_is_a_transport_error(
        self, server: FakeOpenAIServer, provider: OpenAICompatProvider
    ) -> None:
        server.script(text_reply("The disk", " is", cut_after=2))
        events: list[ProviderEvent] = []
        with pytest.raises(ProviderError) as caught:
            async for event in provider.stream(ask()):
                events.append(event)
        assert events == [TextDelta("The disk")]
        assert caught.value.kind == "transport"
        assert "mid-answer" in caught.value.message

    @pytest.mark.parametrize(
        "broken",
        [Reply(drop=True), text_reply("never seen", cut_after=1)],
        ids=["no-response", "cut-before-any-text"],
    )
    async def test_a_connection_dropped_before_answering_is_retried(
        self, server: FakeOpenAIServer, provider: OpenAICompatProvider, broken: Reply
    ) -> None:
        server.script(broken, text_reply("fine"))
        assert (await run(provider))[0] == TextDelta("fine")
        assert len(server.requests) == 2

    async def test_a_connection_dropped_every_time_is_a_transport_error(
        self, server: FakeOpenAIServer, provider: OpenAICompatProvider
    ) -> None:
        server.script(*[Reply(drop=True) for _ in range(3)])
        error = await failure(provider)
        assert error.kind == "transport"
        assert "before answering" in error.message
        assert len(server.requests) == 3

    async def test_a_silent_server_times_out(self, server: FakeOpenAIServer) -> None:
        server.script(text_reply("late", hold_after=0))
        provider = OpenAICompatProvider(server.base_url, "m", timeout=0.3)
        try:
            error = await failure(provider)
        finally:
            await provider.close()
        assert error.kind == "transport"
        assert "did not answer within 0.3s" in error.message

    async def test_a_server_stalling_mid_answer_times_out(self, server: FakeOpenAIServer) -> None:
        server.script(text_reply("The disk", " is full", hold_after=2))
        provider = OpenAICompatProvider(server.base_url, "m", timeout=0.3)
        events: list[ProviderEvent] = []
        try:
            with pytest.raises(ProviderError) as caught:
                async for event in provider.stream(ask()):
                    events.append(event)
        finally:
            await provider.close()
        assert events == [TextDelta("The disk")]
        assert "stopped answering for 0.3s" in caught.value.message

    async def test_a_stream_that_just_stops_is_incomplete(
        self, server: FakeOpenAIServer, provider: OpenAICompatProvider
    ) -> None:
        server.script(Reply(chunks=[chunk({"content": "The disk"})], done=False))
        events: list[ProviderEvent] = []
        with pytest.raises(ProviderError) as caught:
            async for event in provider.stream(ask()):
                events.append(event)
        assert events == [TextDelta("The disk")]
        assert caught.value.kind == "transport"
        assert "before it was complete" in caught.value.message

    async def test_a_finished_stream_without_done_marker_is_accepted(
        self, server: FakeOpenAIServer, provider: OpenAICompatProvider
    ) -> None:
        server.script(text_reply("ok", done=False))
        assert turn_end(await run(provider)).stop_reason == "end_turn"

    async def test_a_base_url_without_scheme_is_explained(self) -> None:
        provider = OpenAICompatProvider("127.0.0.1:11434/v1", "m")
        try:
            error = await failure(provider)
        finally:
            await provider.close()
        assert error.kind == "transport"
        assert "base_url" in error.message

    async def test_garbage_instead_of_sse_is_an_internal_error(
        self, server: FakeOpenAIServer, provider: OpenAICompatProvider
    ) -> None:
        server.script(
            Reply(chunks=[], done=False, body=b"data: <html>", content_type="text/event-stream")
        )
        error = await failure(provider)
        assert error.kind == "internal"
        assert "unreadable" in error.message


async def test_close_releases_the_client_and_a_new_request_reopens_it(
    server: FakeOpenAIServer, provider: OpenAICompatProvider
) -> None:
    server.script(text_reply("one"), text_reply("two"))
    await run(provider)
    client = provider._client
    assert client is not None
    await provider.close()
    assert client.is_closed and provider._client is None
    assert (await run(provider))[0] == TextDelta("two")


def test_importing_the_provider_does_not_import_the_http_client() -> None:
    code = (
        "import sys, sfai.core.providers.openai_compat\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('httpx', 'httpx2', 'openai', 'anthropic')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
