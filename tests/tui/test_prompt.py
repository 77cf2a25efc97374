"""The prompt: Enter sends, the new-line keys that work in every terminal, the history,
the inline completion of slash commands."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.app import App, ComposeResult

from sfai.tui.app import SfaiApp
from sfai.tui.widgets.prompt_input import PromptInput


class PromptApp(App[None]):
    """The prompt alone, recording what it sends."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[str] = []

    def compose(self) -> ComposeResult:
        yield PromptInput(cursor_blink=False)

    def on_prompt_input_submitted(self, message: PromptInput.Submitted) -> None:
        self.sent.append(message.text)


async def test_enter_sends_the_text_and_empties_the_prompt() -> None:
    app = PromptApp()
    async with app.run_test() as pilot:
        await pilot.press(*"df -h", "enter")
        assert app.sent == ["df -h"]
        assert app.query_one(PromptInput).text == ""
        await pilot.press("enter", "space", "enter")  # nothing to send: nothing sent
        assert app.sent == ["df -h"]


@pytest.mark.parametrize("key", ["ctrl+j", "shift+enter", "alt+enter"])
async def test_new_line_keys_start_a_line_without_sending(key: str) -> None:
    app = PromptApp()
    async with app.run_test() as pilot:
        await pilot.press("a", key, "b")
        assert app.query_one(PromptInput).text == "a\nb"
        assert app.sent == []
        await pilot.press("enter")
        assert app.sent == ["a\nb"]


async def test_up_and_down_walk_the_history_and_keep_the_draft() -> None:
    app = PromptApp()
    async with app.run_test() as pilot:
        prompt = app.query_one(PromptInput)
        for text in ("one", "two", "two", "three"):
            prompt.load_text(text)
            await pilot.press("enter")
        assert prompt.sent == ["one", "two", "three"]  # not twice in a row
        await pilot.press(*"dra", "f", "t")
        seen = []
        for _ in range(4):
            await pilot.press("up")
            seen.append(prompt.text)
        assert seen == ["three", "two", "one", "one"]
        await pilot.press("down", "down")
        assert prompt.text == "three"
        await pilot.press("down")
        assert prompt.text == "draft"
        await pilot.press("down")
        assert prompt.text == "draft"


async def test_up_moves_inside_a_multi_line_entry_before_leaving_it() -> None:
    app = PromptApp()
    async with app.run_test() as pilot:
        prompt = app.query_one(PromptInput)
        prompt.load_text("older")
        await pilot.press("enter")
        await pilot.press("a", "ctrl+j", "b")
        await pilot.press("up")
        assert prompt.text == "a\nb" and prompt.cursor_location[0] == 0
        await pilot.press("up")
        assert prompt.text == "older"


async def test_a_slash_command_being_typed_is_completed_with_tab() -> None:
    app = PromptApp()
    async with app.run_test() as pilot:
        prompt = app.query_one(PromptInput)
        await pilot.press("slash", "m", "o")
        assert prompt.suggestion == "de "
        await pilot.press("tab", "a")
        assert prompt.suggestion == "ct"
        await pilot.press("right")
        assert prompt.text == "/mode act"
        await pilot.press("enter")
        assert app.sent == ["/mode act"]


async def test_the_app_focuses_the_prompt_and_keeps_what_was_asked(
    build_app: Callable[..., SfaiApp],
) -> None:
    app = build_app()
    async with app.run_test(size=(100, 32)) as pilot:
        prompt = app.screen.query_one(PromptInput)
        assert app.focused is prompt
        await pilot.press(*"/mode diagnose", "enter")
        await pilot.press("up")
        assert prompt.text == "/mode diagnose"
