"""The conversation pane, driven through the whole app: a question goes in, the engine runs
the real tools on this machine, the answer streams in as Markdown with a card per tool
call, and the conversation is in the store."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from textual.widgets import Markdown, Static

from sfai.core.events import FindingEvent, TextEvent
from sfai.core.store import Store
from sfai.tui.app import SfaiApp
from sfai.tui.screens.main import MainScreen
from sfai.tui.widgets import conversation as conversation_module
from sfai.tui.widgets.conversation import Conversation
from sfai.tui.widgets.finding import Finding
from sfai.tui.widgets.frozen_markdown import FrozenMarkdown
from sfai.tui.widgets.tool_card import ToolCard
from tests.fakes import error, reply, tool_use
from tests.tui.conftest import ask

USAGE = {"input_tokens": 1200, "output_tokens": 80}


def label(app: SfaiApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def reply_text(app: SfaiApp) -> str:
    return "\n".join(widget.source for widget in app.screen.query(".reply"))  # type: ignore[attr-defined]


class TestOfflineQuestion:
    async def test_disk_question_runs_the_tool_shows_a_card_and_the_answer_is_kept(
        self, build_app: Callable[..., SfaiApp], tui_store: Store
    ) -> None:
        app = build_app()
        async with app.run_test(size=(100, 32)) as pilot:
            await ask(pilot, "how full is the disk?")
            cards = list(app.screen.query(ToolCard))
            assert [card.tool for card in cards] == ["get_disk_usage"]
            assert cards[0].state == "ok"
            assert "filesystem" in cards[0].preview
            assert "get_disk_usage" in reply_text(app)
            assert not app.screen.query(".welcome")
            assert label(app, ".question") == "how full is the disk?"
            conversation_id = app.state.conversation_id
        assert conversation_id is not None
        stored = tui_store.get_conversation(conversation_id)
        assert stored is not None and stored["status"] == "ok"
        assert stored["provider"] == "offline" and stored["host"] == "local"
        assert [call["name"] for call in stored["tool_calls"]] == ["get_disk_usage"]
        assert tui_store.list_conversations()[0]["id"] == conversation_id

    async def test_a_follow_up_continues_the_same_conversation(
        self, build_app: Callable[..., SfaiApp], tui_store: Store
    ) -> None:
        app = build_app()
        async with app.run_test(size=(100, 32)) as pilot:
            await ask(pilot, "how full is the disk?")
            first = app.state.conversation_id
            await ask(pilot, "and the memory?")
            assert app.state.conversation_id == first
            assert len(app.screen.query(".question")) == 2
            assert "get_memory_status" in [card.tool for card in app.screen.query(ToolCard)]
        assert len(tui_store.list_conversations()) == 1
        assert first is not None
        questions = [m["text"] for m in tui_store.get_conversation(first)["messages"]]  # type: ignore[index]
        assert "how full is the disk?" in questions and "and the memory?" in questions


class TestClaudeQuestion:
    async def test_tool_call_and_streamed_answer_through_the_fake_server(
        self, build_app: Callable[..., SfaiApp], claude_provider: Any, fake_claude_env: Any
    ) -> None:
        fake_claude_env.script(
            [
                reply(
                    "Let me check the kernel.",
                    tool_use("run_command", {"argv": ["uname", "-s"]}),
                    usage=USAGE,
                ),
                reply(
                    "This machine runs **Linux**.\n\n- kernel: `uname -s` says Linux\n",
                    usage=USAGE,
                ),
            ]
        )
        app = build_app(provider=claude_provider, clock=None)
        async with app.run_test(size=(100, 32)) as pilot:
            await ask(pilot, "which OS is this?")
            (card,) = app.screen.query(ToolCard)
            assert card.tool == "run_command" and card.state == "ok"
            assert "exited 0" in card.preview
            text = reply_text(app)
            assert "Let me check the kernel." in text
            assert "This machine runs **Linux**." in text
            # Two reply blocks: the text before the tool call and the answer after it.
            assert len(app.screen.query(".reply")) == 2
            assert label(app, "#provider") == "anthropic claude-sonnet-5"
            assert label(app, "#usage") == "2.6k tok · $0.0064"
            assert label(app, "#limits") == "2/10 per min · 2/500 today"
        requests = fake_claude_env.message_requests
        assert len(requests) == 2
        assert requests[0].body["messages"][0]["content"][0]["text"] == "which OS is this?"
        results = [
            block
            for message in requests[1].body["messages"]
            for block in message["content"]
            if isinstance(block, dict) and block.get("type") == "tool_result"
        ]
        assert len(results) == 1 and "Linux" in json.dumps(results[0]["content"])

    async def test_a_provider_error_is_shown_in_the_conversation(
        self, build_app: Callable[..., SfaiApp], claude_provider: Any, fake_claude_env: Any
    ) -> None:
        fake_claude_env.script([error(401)])
        fake_claude_env.api_key = "sk-ant-another-key"  # the provider's key is refused
        app = build_app(provider=claude_provider)
        async with app.run_test(size=(100, 32)) as pilot:
            await ask(pilot, "which OS is this?")
            (note,) = app.screen.query(".error").results(Static)
            assert "key" in str(note.render()).lower()
            assert not app.screen.query(ToolCard)
            assert isinstance(app.screen, MainScreen) and not app.screen.busy

    async def test_terminal_control_characters_from_the_model_never_reach_the_screen(
        self, build_app: Callable[..., SfaiApp], claude_provider: Any, fake_claude_env: Any
    ) -> None:
        fake_claude_env.script([reply("\x1b]0;pwned\x07All \x1b[2Jgood\x9b.\r\n", usage=USAGE)])
        app = build_app(provider=claude_provider)
        async with app.run_test(size=(100, 32)) as pilot:
            await ask(pilot, "hello")
            text = reply_text(app)
            assert text.strip() == "]0;pwnedAll [2Jgood."
            assert not any(char in text for char in "\x1b\x07\x9b\r")


class TestLongReplies:
    async def test_a_long_reply_is_sealed_in_frozen_parts_without_losing_or_splitting_anything(
        self, build_app: Callable[..., SfaiApp], claude_provider: Any, fake_claude_env: Any
    ) -> None:
        paragraphs = [f"Paragraph {i}: the disk of host {i} is fine." for i in range(30)]
        code = "```console\n$ df -h\n\n/dev/vda 79G\n\n\n$ free -m\n```"
        text = "\n\n".join([*paragraphs[:15], code, *paragraphs[15:]]) + "\n"
        fake_claude_env.script([reply(text, usage=USAGE, chunk_size=7)])
        app = build_app(provider=claude_provider)
        async with app.run_test(size=(100, 32)) as pilot:
            await ask(pilot, "report")
            parts = list(app.screen.query(".reply"))
            assert isinstance(parts[0], FrozenMarkdown) and isinstance(parts[-1], Markdown)
            assert "".join(part.source for part in parts) == text  # type: ignore[attr-defined]
            for part in parts:  # a code block is never cut in two
                source = part.source  # type: ignore[attr-defined]
                assert source.count("```") % 2 == 0
            frozen = parts[0]
            assert isinstance(frozen, FrozenMarkdown)
            assert "Paragraph 0: the disk of host 0 is fine." in str(
                frozen.render_lines(frozen.region.reset_offset)[0].text
            )

    async def test_sealing_waits_for_the_end_of_a_code_block(
        self, build_app: Callable[..., SfaiApp], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(conversation_module, "FLUSH_S", 0)  # every chunk is flushed
        monkeypatch.setattr(conversation_module, "SEAL_AFTER_BLOCKS", 2)
        chunks = [
            "One.\n\n",
            "Two.\n\n",
            "```\ncode\n\n",
            "more\n\n",
            "```\n\n",
            "Three.\n\n",
            "Four.",
        ]
        app = build_app()
        async with app.run_test(size=(100, 32)) as pilot:
            writer = app.screen.query_one(Conversation).begin_reply()
            for chunk in chunks:
                await writer.handle(TextEvent(chunk))
            await writer.close()
            await pilot.pause()
            sources = [part.source for part in app.screen.query(".reply")]  # type: ignore[attr-defined]
        assert sources == [
            "One.\n\nTwo.\n\n",
            "```\ncode\n\nmore\n\n```\n\n",  # not before the block is closed
            "Three.\n\nFour.",
        ]


class TestCardsAndFindings:
    async def test_enter_on_a_card_shows_the_full_result(
        self, build_app: Callable[..., SfaiApp]
    ) -> None:
        app = build_app()
        async with app.run_test(size=(100, 32)) as pilot:
            await ask(pilot, "how full is the disk?")
            card = app.screen.query_one(ToolCard)
            details = card.query_one("#details", Static)
            assert not details.display or not card.expanded
            card.focus()
            await pilot.press("enter")
            assert card.expanded and card.has_class("-expanded")
            assert "mountpoint" in str(details.render())
            await pilot.press("enter")
            assert not card.expanded
            await pilot.click(card)
            assert card.expanded

    async def test_findings_are_highlighted_by_severity(
        self, build_app: Callable[..., SfaiApp]
    ) -> None:
        app = build_app()
        async with app.run_test(size=(100, 32)) as pilot:
            writer = app.screen.query_one(Conversation).begin_reply()
            await writer.handle(TextEvent("Looking."))
            for severity in ("critical", "warning", "info"):
                await writer.handle(
                    FindingEvent(
                        severity,
                        f"{severity} thing",
                        ["evidence line"],
                        "do this next",
                        {"tool": "restart_failed_service", "arguments": {"service": "worker"}},
                    )
                )
            await writer.close()
            await pilot.pause()
            findings = list(app.screen.query(Finding))
            assert [f.has_class(f"-{f.severity}") for f in findings] == [True, True, True]
            first = [str(w.render()) for w in findings[0].query(Static)]
            assert first == [
                "✖ CRITICAL  critical thing",
                "evidence line",
                "→ do this next",
                'fix: restart_failed_service(service="worker")',
            ]
