"""The Textual app: themes, the command palette, the main screen, and closing up.

Build it with :func:`sfai.tui.factory.make_app` (the CLI and the tests both do), which
hands it a :class:`~sfai.tui.state.TuiState`: the core session (provider, host, store)
and the options. The app owns the host and the provider from then on and closes them
when it exits; the store stays the caller's.
"""

from __future__ import annotations

import gc
import time
from pathlib import Path
from typing import Any

from textual.app import App
from textual.screen import Screen

from sfai.tui.commands import SfaiCommands
from sfai.tui.screens.main import MainScreen
from sfai.tui.state import TuiState
from sfai.tui.themes import choose_theme, load_themes, theme_variable_defaults


class SfaiApp(App[None]):
    """sfai's terminal UI."""

    TITLE = "sfai"
    CSS_PATH = ["app.tcss", "screens/main.tcss"]
    """The main screen's too: Textual loads a screen's CSS_PATH when it is pushed, and the
    default screen never is."""
    COMMANDS = App.COMMANDS | {SfaiCommands}

    def __init__(self, state: TuiState, *, config_dir: Path) -> None:
        super().__init__()
        self.state = state
        self.notices = load_themes(self, config_dir)
        notice = choose_theme(self, state.options.theme, state.session.config.theme)
        if notice:
            self.notices.append(notice)
        if not state.options.animations:
            self.animation_level = "none"

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return theme_variable_defaults(self.current_theme)

    def get_default_screen(self) -> Screen[Any]:
        return MainScreen(self.state)

    def on_mount(self) -> None:
        for warning in self.state.session.config.warnings:
            self.notify(warning, title="Config", severity="warning", timeout=10)
        for notice in self.notices:
            self.notify(notice, title="Theme", severity="warning", timeout=10)

    def on_ready(self) -> None:
        """The first frame is on screen (benchmarks: note when, and leave)."""
        # What exists now (modules, the catalog, the app) lives as long as the app: keep it
        # out of the collector's full passes, which otherwise stall a streaming reply for
        # hundreds of milliseconds (bench/tui_streaming.py).
        gc.freeze()
        path = self.state.options.first_frame_file
        if path is not None:
            path.write_text(f"{time.time():.6f}\n", encoding="utf-8")
            self.exit()
            return
        # The Claude SDK's import (over a second) happens now, in a thread, rather than
        # when the first question is asked.
        prepare = getattr(self.state.session.provider, "prepare", None)
        if callable(prepare):
            self.run_worker(prepare, thread=True, group="prepare", exit_on_error=False)

    async def on_unmount(self) -> None:
        gc.unfreeze()  # another app may run in this process (tests): let this one go
        session = self.state.session
        await session.provider.close()
        await session.host.close()
        audit = session.audit
        close = getattr(audit, "close", None)
        if callable(close):
            close()
