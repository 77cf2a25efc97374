"""Slash commands: the parser, then each command typed in the real app."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Static

from sfai.core.store import Store
from sfai.tui import slash
from sfai.tui.app import SfaiApp
from sfai.tui.screens.help import HelpScreen
from sfai.tui.screens.history import HistoryScreen
from sfai.tui.screens.main import MainScreen
from sfai.tui.widgets.conversation import Conversation
from sfai.tui.widgets.prompt_input import PromptInput
from tests.tui.conftest import ask, settle


class TestParse:
    @pytest.mark.parametrize(
        ("text", "name", "argument"),
        [
            ("/mode act", "mode", "act"),
            ("  /MODE   Diagnose ", "mode", "diagnose"),
            ("/host web-1", "host", "web-1"),
            ("/host", "host", ""),
            ("/new", "new", ""),
            ("/export", "export", ""),
            ("/export json", "export", "json"),
        ],
    )
    def test_commands_and_their_argument(self, text: str, name: str, argument: str) -> None:
        assert slash.parse(text) == slash.SlashCommand(name, argument)

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("/mod act", "unknown command /mod — did you mean /mode?"),
            ("/frobnicate", "unknown command /frobnicate (/help lists them)"),
            ("/mode yolo", "/mode yolo: choose diagnose or suggest or act"),
            ("/new now", "/new takes no argument: /new"),
            ("/export pdf", "/export pdf: choose markdown or json"),
        ],
    )
    def test_mistakes_say_what_would_be_right(self, text: str, message: str) -> None:
        with pytest.raises(slash.SlashError) as caught:
            slash.parse(text)
        assert message in str(caught.value)

    def test_double_slash_is_not_a_command(self) -> None:
        assert not slash.is_command("//etc/nginx is it fine?")
        assert slash.is_command("/help")

    @pytest.mark.parametrize(
        ("typed", "rest"),
        [("/", ""), ("/h", ""), ("/he", "lp"), ("/mo", "de "), ("/mode s", "uggest"), ("x", "")],
    )
    def test_completion(self, typed: str, rest: str) -> None:
        assert slash.complete(typed) == rest


async def send(pilot: object, text: str) -> None:
    app = pilot.app  # type: ignore[attr-defined]
    prompt = app.screen.query_one(PromptInput)
    prompt.load_text(text)
    await pilot.press("enter")  # type: ignore[attr-defined]
    await settle(pilot)  # type: ignore[arg-type]


def notices(app: SfaiApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


class TestInTheApp:
    async def test_mode_changes_what_the_next_question_may_do(
        self, build_app: Callable[..., SfaiApp], tui_store: Store
    ) -> None:
        app = build_app()
        async with app.run_test(size=(100, 32)) as pilot:
            await send(pilot, "/mode act")
            assert app.state.mode == "act"
            mode = app.screen.query_one("#mode", Static)
            assert str(mode.render()) == "act" and mode.has_class("-act")
            await send(pilot, "/mode nonsense")
            assert app.state.mode == "act"
            assert any("choose diagnose or suggest or act" in n for n in notices(app))
            await pilot.press("ctrl+t")
            assert app.state.mode == "diagnose"
            await ask(pilot, "how full is the disk?")
        (summary,) = tui_store.list_conversations()
        assert summary["mode"] == "diagnose"

    async def test_new_starts_afresh_and_clear_only_clears_the_screen(
        self, build_app: Callable[..., SfaiApp]
    ) -> None:
        app = build_app()
        async with app.run_test(size=(100, 32)) as pilot:
            await ask(pilot, "how full is the disk?")
            first = app.state.conversation_id
            await send(pilot, "/clear")
            assert not app.screen.query_one(Conversation).children
            assert app.state.conversation_id == first
            await send(pilot, "/new")
            assert app.state.conversation_id is None
            assert app.screen.query(".welcome")
            await ask(pilot, "how full is the disk?")
            assert app.state.conversation_id not in (None, first)

    @pytest.mark.parametrize(("fmt", "suffix"), [("markdown", "md"), ("json", "json")])
    async def test_export_writes_the_conversation_here(
        self,
        build_app: Callable[..., SfaiApp],
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        fmt: str,
        suffix: str,
    ) -> None:
        monkeypatch.chdir(tmp_path)
        app = build_app()
        async with app.run_test(size=(100, 32)) as pilot:
            await send(pilot, f"/export {fmt}")
            assert any("nothing to export yet" in n for n in notices(app))
            await ask(pilot, "how full is the disk?")
            await send(pilot, f"/export {fmt}")
            path = tmp_path / f"sfai-{app.state.conversation_id}.{suffix}"
            assert any(str(path) in n for n in notices(app))
        text = path.read_text()
        if fmt == "json":
            assert json.loads(text)["tool_calls"][0]["name"] == "get_disk_usage"
        else:
            assert text.startswith("# how full is the disk?") and "get_disk_usage" in text

    async def test_unknown_command_is_refused_and_nothing_is_asked(
        self, build_app: Callable[..., SfaiApp], tui_store: Store
    ) -> None:
        app = build_app()
        async with app.run_test(size=(100, 32)) as pilot:
            await send(pilot, "/hepl")
            assert any("did you mean /help?" in n for n in notices(app))
        assert tui_store.list_conversations() == []

    async def test_help_and_history_open_their_screens(
        self, build_app: Callable[..., SfaiApp]
    ) -> None:
        app = build_app()
        async with app.run_test(size=(100, 32)) as pilot:
            await send(pilot, "/help")
            assert isinstance(app.screen, HelpScreen)
            await pilot.press("escape")
            await send(pilot, "/history")
            assert isinstance(app.screen, HistoryScreen)
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, MainScreen)


class TestPalette:
    async def test_every_action_is_in_the_palette_and_runs_from_there(
        self,
        build_app: Callable[..., SfaiApp],
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        from textual.command import CommandPalette

        monkeypatch.chdir(tmp_path)
        app = build_app()
        async with app.run_test(size=(100, 32)) as pilot:
            screen = app.screen
            assert isinstance(screen, MainScreen)
            names = [name for name, _, _ in screen.palette_actions()]
            assert names == [
                "New conversation",
                "History",
                "Switch host",
                "Mode: diagnose",
                "Mode: act",
                "Export as Markdown",
                "Export as JSON",
                "Clear the screen",
                "Toggle metrics",
                "Help",
            ]
            await ask(pilot, "how full is the disk?")
            await pilot.press("ctrl+p")
            await pilot.pause()
            assert isinstance(app.screen, CommandPalette)
            await pilot.press(*"export as json")
            await pilot.pause(0.3)
            await pilot.press("enter")
            await settle(pilot)
            assert (tmp_path / f"sfai-{app.state.conversation_id}.json").exists()
            await pilot.press("ctrl+p", *"mode: act")
            await pilot.pause(0.3)
            await pilot.press("enter")
            await settle(pilot)
            assert app.state.mode == "act"
