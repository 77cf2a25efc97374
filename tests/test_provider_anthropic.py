"""The Anthropic provider, through the real anthropic SDK, against the fake Messages server."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from sfai.core.events import Usage
from sfai.core.pricing import DEFAULT_MODEL, cost
from sfai.core.providers.anthropic import AnthropicProvider, _rehearse, cached_history
from sfai.core.providers.base import (
    ProviderError,
    ProviderEvent,
    ProviderRequest,
    TextDelta,
    ToolDefinition,
    ToolUse,
    TurnEnd,
)
from tests.fakes import NO_REPLY_LEFT, FakeAnthropicServer, error, reply, tool_use
from tests.fixtures.fake_claude import FAKE_API_KEY
from tests.fixtures.processes import free_port

KEY = "sk-ant-test-key-for-sfai-7f3a9c"
TOOLS = [
    ToolDefinition(
        "get_disk_usage",
        "Filesystems and their usage.",
        {"type": "object", "properties": {"path": {"type": "string"}}},
    ),
    ToolDefinition(
        "get_logs",
        "Recent log lines.",
        {
            "type": "object",
            "properties": {"source": {"type": "string"}, "lines": {"type": "integer"}},
            "required": ["source"],
        },
    ),
]


def ask(question: str = "Why is the disk full?", **overrides: Any) -> ProviderRequest:
    fields: dict[str, Any] = {
        "system": "You are sfai. Explain before acting.",
        "context": "Host: web1, Debian 12, 2 GiB RAM.",
        "messages": [{"role": "user", "content": [{"type": "text", "text": question}]}],
        "tools": TOOLS,
        "max_tokens": 1024,
    }
    fields.update(overrides)
    return ProviderRequest(**fields)


async def collect(provider: AnthropicProvider, request: ProviderRequest) -> list[ProviderEvent]:
    return [event async for event in provider.stream(request)]


async def collect_until_error(
    provider: AnthropicProvider, request: ProviderRequest
) -> tuple[list[ProviderEvent], ProviderError]:
    events: list[ProviderEvent] = []
    with pytest.raises(ProviderError) as caught:
        async for event in provider.stream(request):
            events.append(event)
    return events, caught.value


def texts(events: list[ProviderEvent]) -> list[str]:
    return [e.text for e in events if isinstance(e, TextDelta)]


@pytest.fixture
async def provider(fake_claude: FakeAnthropicServer) -> AsyncIterator[AnthropicProvider]:
    made = AnthropicProvider(api_key=KEY, base_url=fake_claude.url, max_retries=2)
    yield made
    await made.close()


class TestStreaming:
    async def test_text_arrives_in_several_deltas_then_the_turn_ends(
        self, fake_claude: FakeAnthropicServer, provider: AnthropicProvider
    ) -> None:
        answer = "Disk / is 91% full, mostly old logs under /var/log."
        fake_claude.script([reply(answer)])

        events = await collect(provider, ask())

        assert len(texts(events)) >= 5
        assert "".join(texts(events)) == answer
        end = events[-1]
        assert isinstance(end, TurnEnd)
        assert end.stop_reason == "end_turn"
        assert end.content == [{"type": "text", "text": answer}]

    async def test_tool_use_is_assembled_from_input_json_pieces(
        self, fake_claude: FakeAnthropicServer, provider: AnthropicProvider
    ) -> None:
        arguments = {"source": "nginx:error", "lines": 200}
        fake_claude.script(
            [reply("Let me read the log.", tool_use("get_logs", arguments), chunk_size=5)]
        )

        events = await collect(provider, ask())

        calls = [e for e in events if isinstance(e, ToolUse)]
        assert calls == [ToolUse(calls[0].id, "get_logs", arguments)]
        assert calls[0].id.startswith("toolu_")
        assert isinstance(events[-2], ToolUse), "the tool use comes after the text, before the end"
        end = events[-1]
        assert isinstance(end, TurnEnd)
        assert end.stop_reason == "tool_use"
        assert end.content == [
            {"type": "text", "text": "Let me read the log."},
            {"type": "tool_use", "id": calls[0].id, "name": "get_logs", "input": arguments},
        ]

    async def test_the_turn_content_goes_back_as_a_valid_conversation(
        self, fake_claude: FakeAnthropicServer, provider: AnthropicProvider
    ) -> None:
        """The assistant blocks from TurnEnd, plus a tool_result, pass the API's checks."""

        def echo_tool_result(body: dict[str, Any]) -> Any:
            result = body["messages"][-1]["content"][0]
            return reply(f"The tool said: {result['content']}")

        fake_claude.script([reply(tool_use("get_disk_usage", {"path": "/"})), echo_tool_result])
        first = await collect(provider, ask())
        call, end = first[-2], first[-1]
        assert isinstance(call, ToolUse) and isinstance(end, TurnEnd)
        result = {"type": "tool_result", "tool_use_id": call.id, "content": "/ is 91% full"}
        history = [
            *ask().messages,
            {"role": "assistant", "content": end.content},
            {"role": "user", "content": [result]},
        ]

        second = await collect(provider, ask(messages=history))

        assert "".join(texts(second)) == "The tool said: / is 91% full"

    async def test_usage_and_cost_are_reported(
        self, fake_claude: FakeAnthropicServer, provider: AnthropicProvider
    ) -> None:
        numbers = {
            "input_tokens": 1200,
            "output_tokens": 300,
            "cache_read_input_tokens": 2000,
            "cache_creation_input_tokens": 500,
        }
        fake_claude.script([reply("ok", usage=numbers)])

        end = (await collect(provider, ask()))[-1]

        assert isinstance(end, TurnEnd)
        tokens = Usage(
            input_tokens=1200,
            output_tokens=300,
            cache_read_tokens=2000,
            cache_write_tokens=500,
            requests=1,
        )
        assert end.usage == Usage(**{**tokens.as_dict(), "cost_usd": cost(DEFAULT_MODEL, tokens)})
        # claude-sonnet-5: $2 in, $10 out per million; reads 10%, writes 125% of input.
        assert end.usage.cost_usd == pytest.approx((2400 + 3000 + 400 + 1250) / 1e6)


class TestRequestShape:
    async def test_model_tools_system_stream_and_headers(
        self, fake_claude: FakeAnthropicServer, provider: AnthropicProvider
    ) -> None:
        fake_claude.script([reply("ok")])
        await collect(provider, ask())

        [sent] = fake_claude.message_requests
        body = sent.body
        assert body["model"] == DEFAULT_MODEL
        assert body["max_tokens"] == 1024
        assert body["stream"] is True
        assert [t["name"] for t in body["tools"]] == ["get_disk_usage", "get_logs"]
        assert body["tools"][1]["input_schema"] == TOOLS[1].input_schema
        assert "cache_control" not in body["tools"][0]
        assert body["tools"][-1]["cache_control"] == {"type": "ephemeral"}
        assert body["system"] == [
            {
                "type": "text",
                "text": "You are sfai. Explain before acting.",
                "cache_control": {"type": "ephemeral"},
            },
            {"type": "text", "text": "Host: web1, Debian 12, 2 GiB RAM."},
        ]
        assert body["messages"] == ask().messages, "one message: no conversation breakpoint"
        # SDK 2.x sends the key as `Authorization: Bearer`, older ones as `x-api-key`.
        assert sent.api_key == KEY
        assert sent.headers["anthropic-version"]

    async def test_a_conversation_gets_breakpoints_on_this_and_the_previous_turn(
        self, fake_claude: FakeAnthropicServer, provider: AnthropicProvider
    ) -> None:
        history: list[dict[str, Any]] = [
            {"role": "user", "content": "Why is the disk full?"},
            {"role": "assistant", "content": [tool_use("get_disk_usage", {}, id="toolu_1")]},
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "91%"}],
            },
            {
                "role": "assistant",
                "content": [tool_use("get_logs", {"source": "nginx"}, id="toolu_2")],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "toolu_2", "content": "..."}],
            },
        ]
        before = json.dumps(history)
        fake_claude.script([reply("ok")])

        await collect(provider, ask(messages=history))

        sent = fake_claude.message_requests[0].body["messages"]
        marked = [
            (i, j)
            for i, message in enumerate(sent)
            for j, block in enumerate(message["content"])
            if isinstance(block, dict) and "cache_control" in block
        ]
        assert marked == [(2, 0), (4, 0)]
        assert json.dumps(history) == before, "the caller's messages are not changed"

    def test_breakpoints_stay_within_the_budget_and_skip_unmarkable_blocks(self) -> None:
        history: list[dict[str, Any]] = [
            {
                "role": "user",
                "content": [{"type": "text", "text": "hi", "cache_control": {"type": "ephemeral"}}],
            },
            {"role": "assistant", "content": [{"type": "text", "text": "hello"}]},
            {
                "role": "user",
                "content": [{"type": "text", "text": "disk?"}, {"type": "text", "text": ""}],
            },
        ]

        one = cached_history(history, budget=1)
        none = cached_history(history, budget=0)

        assert one[2]["content"][0]["cache_control"] == {"type": "ephemeral"}
        assert "cache_control" not in one[2]["content"][1], "never on an empty text block"
        assert "cache_control" not in one[0]["content"][0], "old breakpoints are dropped"
        assert not any("cache_control" in b for m in none for b in m["content"])

    async def test_the_second_request_reads_what_the_first_cached(self) -> None:
        """Through the fake's cache simulation: rules long enough to be cached."""
        rules = "Rule: explain before acting; never touch credentials. " * 120
        with FakeAnthropicServer(cache_min_tokens=1024) as server:
            server.script([reply(tool_use("get_disk_usage", {})), reply("done")])
            provider = AnthropicProvider(api_key=KEY, base_url=server.url, max_retries=0)
            try:
                first = await collect(provider, ask(system=rules))
                call, end = first[-2], first[-1]
                assert isinstance(call, ToolUse) and isinstance(end, TurnEnd)
                history = [
                    *ask().messages,
                    {"role": "assistant", "content": end.content},
                    {
                        "role": "user",
                        "content": [
                            {"type": "tool_result", "tool_use_id": call.id, "content": "ok"}
                        ],
                    },
                ]
                second = (await collect(provider, ask(system=rules, messages=history)))[-1]
            finally:
                await provider.close()
        assert isinstance(second, TurnEnd)
        assert end.usage.cache_write_tokens > 1024
        assert end.usage.cache_read_tokens == 0
        assert second.usage.cache_read_tokens == end.usage.cache_write_tokens


class TestRetries:
    async def test_a_429_is_retried_then_the_answer_streams(
        self, fake_claude: FakeAnthropicServer, provider: AnthropicProvider
    ) -> None:
        fake_claude.script([error(429), reply("after the wait")])

        events = await collect(provider, ask())

        assert "".join(texts(events)) == "after the wait"
        assert len(fake_claude.message_requests) == 2

    async def test_529_overloaded_twice_then_success(
        self, fake_claude: FakeAnthropicServer, provider: AnthropicProvider
    ) -> None:
        fake_claude.script([error(529), error(529), reply("finally")])

        events = await collect(provider, ask())

        assert "".join(texts(events)) == "finally"
        assert len(fake_claude.message_requests) == 3

    @pytest.mark.parametrize(
        ("status", "kind"),
        [(429, "rate_limit"), (529, "overloaded"), (500, "internal"), (503, "internal")],
    )
    async def test_exhausted_retries_raise_the_matching_kind(
        self, fake_claude: FakeAnthropicServer, provider: AnthropicProvider, status: int, kind: str
    ) -> None:
        fake_claude.script([error(status)] * 3)

        events, failure = await collect_until_error(provider, ask())

        assert events == []
        assert failure.kind == kind
        assert "after 2 retries" in failure.message
        assert len(fake_claude.message_requests) == 3, "one request and max_retries=2 retries"

    async def test_an_empty_script_fails_at_once_without_retries(
        self, fake_claude: FakeAnthropicServer, provider: AnthropicProvider
    ) -> None:
        _, failure = await collect_until_error(provider, ask())

        assert failure.kind == "internal"
        assert NO_REPLY_LEFT in failure.message
        assert len(fake_claude.message_requests) == 1


class TestErrors:
    async def test_a_rejected_key_says_how_to_fix_it_without_showing_the_key(
        self, fake_claude: FakeAnthropicServer, provider: AnthropicProvider
    ) -> None:
        fake_claude.script([error(401)])

        _, failure = await collect_until_error(provider, ask())

        assert failure.kind == "auth"
        assert "ANTHROPIC_API_KEY" in failure.hint and "--provider offline" in failure.hint
        assert KEY not in f"{failure} {failure.message} {failure.hint} {failure!r}"
        assert len(fake_claude.message_requests) == 1, "401 is not retried"

    async def test_the_key_is_masked_even_when_the_server_echoes_it(
        self, fake_claude: FakeAnthropicServer, provider: AnthropicProvider
    ) -> None:
        fake_claude.script([error(401, message=f"invalid x-api-key: {KEY}")])

        _, failure = await collect_until_error(provider, ask())

        assert KEY not in failure.message
        assert "***" in failure.message

    async def test_an_unknown_model_names_the_default_and_the_option(
        self, fake_claude: FakeAnthropicServer
    ) -> None:
        fake_claude.script([error(404, message="model: claude-nonexistent-1")])
        provider = AnthropicProvider("claude-nonexistent-1", api_key=KEY, base_url=fake_claude.url)
        try:
            _, failure = await collect_until_error(provider, ask())
        finally:
            await provider.close()

        assert failure.kind == "model"
        assert "claude-nonexistent-1" in failure.message
        assert DEFAULT_MODEL in failure.hint and "--model" in failure.hint

    async def test_a_bad_request_carries_the_api_message(
        self, fake_claude: FakeAnthropicServer, provider: AnthropicProvider
    ) -> None:
        fake_claude.script(
            [error(400, message="prompt is too long: 210000 tokens > 200000 maximum")]
        )

        _, failure = await collect_until_error(provider, ask())

        assert failure.kind == "bad_request"
        assert "prompt is too long: 210000 tokens" in failure.message

    async def test_a_request_the_api_would_reject_is_a_bad_request(
        self, fake_claude: FakeAnthropicServer, provider: AnthropicProvider
    ) -> None:
        fake_claude.script([reply("never sent")])
        empty = [{"role": "user", "content": [{"type": "text", "text": ""}]}]

        _, failure = await collect_until_error(provider, ask(messages=empty))

        assert failure.kind == "bad_request"
        assert "text content blocks must be non-empty" in failure.message
        assert fake_claude.remaining == 1, "a rejected request uses no scripted reply"

    async def test_nothing_listening_is_a_transport_error_naming_the_url(self) -> None:
        url = f"http://127.0.0.1:{free_port()}"
        provider = AnthropicProvider(api_key=KEY, base_url=url, max_retries=0)
        try:
            _, failure = await collect_until_error(provider, ask())
        finally:
            await provider.close()

        assert failure.kind == "transport"
        assert url in failure.message
        assert KEY not in failure.message

    async def test_a_server_that_does_not_answer_in_time_is_a_transport_error(
        self, fake_claude: FakeAnthropicServer
    ) -> None:
        fake_claude.script([reply("too late", latency=2)])
        provider = AnthropicProvider(
            api_key=KEY, base_url=fake_claude.url, max_retries=0, timeout=0.2
        )
        try:
            _, failure = await collect_until_error(provider, ask())
        finally:
            await provider.close()

        assert failure.kind == "transport"
        assert "did not answer in time" in failure.message

    async def test_a_dropped_stream_keeps_the_text_then_raises_transport(
        self, fake_claude: FakeAnthropicServer, provider: AnthropicProvider
    ) -> None:
        fake_claude.script([reply("The disk is full because of old logs.", drop_after=3)])

        events, failure = await collect_until_error(provider, ask())

        assert texts(events) == ["The ", "disk ", "is "]
        assert failure.kind == "transport"
        assert fake_claude.url in failure.message
        assert len(fake_claude.message_requests) == 1, "a started stream is never replayed"

    async def test_a_stream_that_ends_early_is_a_transport_error(
        self, fake_claude: FakeAnthropicServer, provider: AnthropicProvider
    ) -> None:
        fake_claude.script([reply("Half an answer is", end_after=2)])

        events, failure = await collect_until_error(provider, ask())

        assert texts(events) == ["Half ", "an "]
        assert failure.kind == "transport"
        assert "ended before it was complete" in failure.message

    async def test_an_overloaded_error_event_mid_stream_is_overloaded(
        self, fake_claude: FakeAnthropicServer, provider: AnthropicProvider
    ) -> None:
        fake_claude.script([reply("Looking at the disk now.", error_after=2)])

        events, failure = await collect_until_error(provider, ask())

        assert texts(events) == ["Looking ", "at "]
        assert failure.kind == "overloaded"


class TestEnvironment:
    async def test_base_url_and_key_come_from_the_environment(
        self, fake_claude_env: FakeAnthropicServer
    ) -> None:
        fake_claude_env.script([reply("from the env")])
        provider = AnthropicProvider(max_retries=0)
        try:
            events = await collect(provider, ask())
        finally:
            await provider.close()

        assert "".join(texts(events)) == "from the env"
        assert fake_claude_env.message_requests[0].api_key == FAKE_API_KEY
        assert provider.base_url == fake_claude_env.url

    async def test_explicit_arguments_win_over_the_environment(
        self, fake_claude_env: FakeAnthropicServer
    ) -> None:
        fake_claude_env.script([reply("never")])
        provider = AnthropicProvider(api_key="sk-ant-other-key-000", max_retries=0)
        try:
            _, failure = await collect_until_error(provider, ask())
        finally:
            await provider.close()

        assert failure.kind == "auth"
        assert fake_claude_env.message_requests[0].api_key == "sk-ant-other-key-000"

    async def test_no_key_anywhere_is_an_auth_error(
        self, fake_claude: FakeAnthropicServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
        monkeypatch.delenv("ANTHROPIC_PROFILE", raising=False)
        monkeypatch.setenv("ANTHROPIC_CONFIG_DIR", str(tmp_path))
        provider = AnthropicProvider(base_url=fake_claude.url, max_retries=0)
        try:
            _, failure = await collect_until_error(provider, ask())
        finally:
            await provider.close()

        assert failure.kind == "auth"
        assert "--provider offline" in failure.hint
        assert fake_claude.requests == []


class TestLifecycle:
    def test_importing_the_provider_does_not_import_the_sdk(self) -> None:
        code = (
            "import sys, sfai.core.providers.anthropic as m\n"
            "assert 'anthropic' not in sys.modules, 'imported at module level'\n"
            "m.preload()\n"
            "assert 'anthropic' in sys.modules\n"
        )
        subprocess.run([sys.executable, "-c", code], check=True)

    async def test_the_preload_rehearsal_runs_through_the_sdk_without_network(self) -> None:
        """preload() swallows a failed rehearsal; here it must succeed with this SDK."""
        await _rehearse()

    async def test_a_prepared_provider_streams_from_its_ready_client(
        self, fake_claude: FakeAnthropicServer, provider: AnthropicProvider
    ) -> None:
        fake_claude.script(["ready"])
        await asyncio.to_thread(provider.prepare)
        client = provider.client()

        events = await collect(provider, ask())

        assert "".join(texts(events)) == "ready"
        assert provider.client() is client

    async def test_close_is_idempotent_and_a_closed_provider_can_stream_again(
        self, fake_claude: FakeAnthropicServer, provider: AnthropicProvider
    ) -> None:
        fake_claude.script([reply("one"), reply("two")])
        await collect(provider, ask())
        await provider.close()
        await provider.close()

        events = await collect(provider, ask())

        assert "".join(texts(events)) == "two"
