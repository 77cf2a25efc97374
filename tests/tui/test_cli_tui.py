"""``sfai`` with no command: the TUI on a terminal (a real pseudo-terminal here), the
welcome text and health check when stdout is not one; ``--theme``; NO_COLOR."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from sfai.tui.app import SfaiApp
from tests.cli import run_sfai
from tests.pty_run import PtyRun

TUI_ENV = {"TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"}


def quit_tui(session: PtyRun) -> None:
    os.write(session._master, b"\x11")  # Ctrl+Q


def test_on_a_terminal_sfai_opens_the_tui_and_ctrl_q_leaves_it() -> None:
    session = PtyRun(env=TUI_ENV, stdout_on_terminal=True)
    try:
        session.expect("ServerFlow's AI sysadmin", timeout=30)
        session.expect("offline diagnostician")
        quit_tui(session)
        finished = session.finish(timeout=30)
    finally:
        session.kill()
    assert finished.code == 0, finished.transcript
    assert "what you can do now" not in finished.transcript  # not the piped welcome


def test_first_frame_file_for_benchmarks(tmp_path: Path) -> None:
    marker = tmp_path / "first-frame"
    started = time.time()
    session = PtyRun(
        env={**TUI_ENV, "BENCH_SFAI_FIRST_FRAME": str(marker)}, stdout_on_terminal=True
    )
    try:
        finished = session.finish(timeout=30)
    finally:
        session.kill()
    assert finished.code == 0, finished.transcript
    assert started < float(marker.read_text()) < time.time()


def test_an_unknown_theme_falls_back_with_a_notice() -> None:
    session = PtyRun("--theme", "serverflow-purple", env=TUI_ENV, stdout_on_terminal=True)
    try:
        session.expect("unknown theme", timeout=30)
        quit_tui(session)
        finished = session.finish(timeout=30)
    finally:
        session.kill()
    assert finished.code == 0


def test_piped_sfai_prints_the_tour_and_the_health_check_instead() -> None:
    result = run_sfai()
    assert result.code in (0, 5), result.stderr
    assert "sfai — what you can do now" in result.stderr
    assert "\x1b[" not in result.stdout + result.stderr


def test_help_shows_the_theme_option() -> None:
    result = run_sfai("--help")
    assert result.code == 0 and "--theme" in result.stdout


async def test_no_color_is_honoured(
    build_app: Callable[..., SfaiApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = build_app()
    async with app.run_test(size=(80, 24)):
        assert app.no_color


@pytest.fixture
def config_with_a_typo(sfai_home: Path) -> Path:
    (sfai_home / "config.toml").write_text('modle = "claude-sonnet-5"\n')
    return sfai_home


async def test_config_warnings_are_shown_in_the_tui(
    config_with_a_typo: Path, build_app: Callable[..., SfaiApp]
) -> None:
    app = build_app()
    async with app.run_test(size=(80, 24)):
        messages = [str(n.message) for n in app._notifications]
        assert any("unknown config key modle" in m for m in messages), messages
