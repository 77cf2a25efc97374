"""Discoverability: the help screen (keys and slash commands) and the command palette."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.command import CommandPalette, DiscoveryHit, Hit
from textual.screen import Screen
from textual.widgets import Footer, Input, Label

from sfai.tui import slash
from sfai.tui.commands import PaletteAction, SfaiCommands, palette_actions_of
from sfai.tui.screens.help import HelpScreen
from sfai.tui.themes import choose_theme, load_themes, theme_variable_defaults

REQUIRED_SLASH_COMMANDS = ("/mode", "/host", "/new", "/history", "/clear", "/help", "/export")

APP_BINDINGS = [
    ("ctrl+p", "Command palette: every action, searchable"),
    ("f1", "This help"),
    ("ctrl+n", "New conversation"),
    ("ctrl+o", "Switch host"),
    ("ctrl+r", "History: search, resume, delete"),
    ("ctrl+t", "Cycle mode: diagnose, suggest, act"),
    ("ctrl+l", "Clear the conversation pane"),
    ("ctrl+s", "Toggle the metrics sidebar"),
    ("ctrl+q", "Quit"),
]


class HelpHost(App[None]):
    """Opens HelpScreen with the given bindings (or its own, shown in the footer)."""

    BINDINGS = [
        Binding("ctrl+n", "noop", "New conversation"),
        Binding("ctrl+s", "noop", "Sidebar"),
        Binding("ctrl+x", "noop", "Hidden from the footer", show=False),
    ]

    def __init__(self, config_dir: Path, bindings: list[tuple[str, str]] | None = None) -> None:
        super().__init__()
        self.help_bindings = bindings
        load_themes(self, config_dir)
        choose_theme(self, None, "serverflow-dark")

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return theme_variable_defaults(self.current_theme)

    def compose(self) -> ComposeResult:
        yield Label("main screen")
        prompt = Input(placeholder="the prompt has the focus")
        prompt.cursor_blink = False
        yield prompt
        yield Footer()

    def on_mount(self) -> None:
        self.push_screen(HelpScreen(self.help_bindings))

    def action_noop(self) -> None:
        pass


def table(screen: Screen[Any], table_id: str) -> list[tuple[str, str]]:
    cells = [str(label.content) for label in screen.query(f"#{table_id} Label").results(Label)]
    return list(zip(cells[::2], cells[1::2], strict=True))


class TestHelpScreen:
    async def test_lists_every_binding_passed_in_and_every_slash_command(
        self, sfai_home: Path
    ) -> None:
        async with HelpHost(sfai_home, APP_BINDINGS).run_test() as pilot:
            await pilot.pause()
            screen = pilot.app.screen
            assert isinstance(screen, HelpScreen)
            assert table(screen, "help-keys") == APP_BINDINGS
            listed = table(screen, "help-slash")
            assert listed == [(spec.usage, spec.help) for spec in slash.COMMANDS.values()]
            usages = [usage.split()[0] for usage, _ in listed]
            assert sorted(usages) == sorted(REQUIRED_SLASH_COMMANDS)
            assert all(text.strip() for _, text in listed)

    async def test_without_bindings_it_lists_the_screen_and_app_bindings(
        self, sfai_home: Path
    ) -> None:
        """Footer-hidden ones included; not the cursor keys of the focused input."""
        async with HelpHost(sfai_home).run_test() as pilot:
            await pilot.pause()
            assert pilot.app.screen_stack[0].focused is not None
            keys = table(pilot.app.screen, "help-keys")
        assert ("^n", "New conversation") in keys
        assert ("^s", "Sidebar") in keys
        assert ("^x", "Hidden from the footer") in keys
        assert ("^q", "Quit") in keys
        assert ("^c / super+c", "Copy selected text") in keys
        assert all("cursor" not in text.lower() for _, text in keys), keys

    @pytest.mark.parametrize("key", ["escape", "q", "f1"])
    async def test_closes_with(self, key: str, sfai_home: Path) -> None:
        async with HelpHost(sfai_home, APP_BINDINGS).run_test() as pilot:
            await pilot.pause()
            assert isinstance(pilot.app.screen, HelpScreen)
            await pilot.press(key)
            await pilot.pause()
            assert not isinstance(pilot.app.screen, HelpScreen)

    def test_snapshot_80x24(self, sfai_home: Path, snap_compare: Any) -> None:
        """The help over the main screen, serverflow-dark: a Keys table and a Slash commands
        table, keys in the accent colour, everything fits 80x24 (the body scrolls)."""
        assert snap_compare(HelpHost(sfai_home, APP_BINDINGS), terminal_size=(80, 24))


class PaletteApp(App[None]):
    """A tiny app following the palette_actions contract."""

    COMMANDS = App.COMMANDS | {SfaiCommands}

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def palette_actions(self) -> list[PaletteAction]:
        return [
            ("New conversation", "Start over", lambda: self.calls.append("new")),
            ("Switch host", "Pick a host", self.switch_host),
            ("Export conversation", "Save as Markdown", lambda: self.calls.append("export")),
        ]

    async def switch_host(self) -> None:
        self.calls.append("host")


class HistoryLike(Screen[None]):
    def palette_actions(self) -> list[PaletteAction]:
        return [
            ("Delete conversation", "Remove the selected one", lambda: None),
            ("New conversation", "Shadowed by the screen's own", lambda: None),
        ]


async def hits_of(provider: SfaiCommands, query: str) -> list[DiscoveryHit | Hit]:
    await provider.startup()
    found = provider.discover() if not query else provider.search(query)
    return [hit async for hit in found]


class TestCommandPalette:
    async def test_yields_every_entry_the_app_reports(self) -> None:
        app = PaletteApp()
        async with app.run_test():
            hits = await hits_of(SfaiCommands(app.screen), "")
            assert [(str(h.text), h.help) for h in hits] == [
                (name, help_text) for name, help_text, _ in app.palette_actions()
            ]
            matches = await hits_of(SfaiCommands(app.screen), "exp conv")
            assert [str(h.text) for h in matches] == ["Export conversation"]

    async def test_screen_entries_come_first_and_shadow_the_app(self) -> None:
        app = PaletteApp()
        async with app.run_test() as pilot:
            await app.push_screen(HistoryLike())
            await pilot.pause()
            hits = await hits_of(SfaiCommands(app.screen), "")
            names = [str(h.text) for h in hits]
            assert names == [
                "Delete conversation",
                "New conversation",
                "Switch host",
                "Export conversation",
            ]
            assert hits[1].help == "Shadowed by the screen's own"

    def test_objects_without_the_method_add_nothing(self) -> None:
        assert palette_actions_of(object(), None) == []

    @pytest.mark.parametrize(("typed", "called"), [("new conv", "new"), ("switch host", "host")])
    async def test_choosing_an_entry_in_the_palette_runs_it(self, typed: str, called: str) -> None:
        """Through the real palette: ctrl+p, type, enter; plain and async callbacks."""
        app = PaletteApp()
        async with app.run_test() as pilot:
            await pilot.press("ctrl+p")
            await pilot.pause()
            palette = app.screen
            assert isinstance(palette, CommandPalette)
            await pilot.press(*typed)
            await pilot.pause(0.3)
            await pilot.press("enter")
            await pilot.pause()
            assert palette not in app.screen_stack
            assert app.calls == [called]
