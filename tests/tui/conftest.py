"""Shared fixtures for the TUI tests: the real app, built by ``make_app`` around real parts.

The only stand-in is the fake Anthropic server (``fake_claude_env``, tests/fixtures/
fake_claude.py), reached through the real ``AnthropicProvider``; the offline provider,
the local host, the store and the audit log are the real ones, under the test's own
SFAI_HOME (the root conftest's autouse ``sfai_home``).

Fixtures
--------
``tui_config`` -> :class:`sfai.core.config.Config`
    The config of the test's SFAI_HOME (set ``SFAI_*`` variables with monkeypatch *before*
    asking for it, e.g. ``SFAI_TOOLS__SERVICE_MANAGERS``).
``tui_store`` -> :class:`sfai.core.store.Store`
    sfai.db of the test's SFAI_HOME; closed at teardown.
``local_host`` -> the real local host (``sfai.hosts.open_host("local", ...)``) with a
    ``Redactor``; the app closes it.
``offline_provider`` -> the real offline diagnostician.
``claude_provider`` -> a real ``AnthropicProvider`` talking to ``fake_claude_env`` (script
    the replies on ``fake_claude_env`` before asking).
``build_app`` -> ``build_app(provider=None, host=None, **make_app_kwargs) -> SfaiApp``
    ``make_app`` with :data:`TEST_OPTIONS`, ``hostname="testbox"`` and a fixed clock; the
    provider defaults to the offline one, the host to ``local_host``. Any ``make_app``
    keyword (``mode``, ``approver``, ``options``...) can be passed.

Helpers (import them: ``from tests.tui.conftest import ask, TEST_OPTIONS``)
-------------------------------------------------------------------------
``await ask(pilot, "question")`` types the question, presses Enter and waits until the
answer is complete (the worker is done, no spinner left). ``await settle(pilot)`` waits
for every worker and a refresh.

Snapshots
---------
``snap_compare`` snapshots of every test under tests/tui/ are stored in
``tests/__snapshots__/<test module>/`` (not next to the test module, syrupy's default),
so that all of the suite's screenshots are in one place. Update them with
``pytest tests/tui --snapshot-update`` and review the SVGs in the diff.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_textual_snapshot
from textual.pilot import Pilot

from sfai.core.config import Config, load_config
from sfai.core.host import Host
from sfai.core.providers.base import Provider
from sfai.core.store import Store, open_store
from sfai.tui.app import SfaiApp
from sfai.tui.factory import make_app
from sfai.tui.state import TuiOptions

SNAPSHOTS = Path(__file__).resolve().parents[1] / "__snapshots__"
FIXED_NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z: the limits count nothing at that time
TEST_OPTIONS = TuiOptions(
    metrics=False,
    metrics_interval=0,
    cursor_blink=False,
    timings=False,
    version="",
    animations=False,
)
"""Nothing that changes between runs: no version, no durations, no blinking cursor, no
live metrics, no animations."""


class _SnapshotsUnderTests(pytest_textual_snapshot.SVGImageExtension):
    """Store SVG snapshots in tests/__snapshots__/<module>/ instead of beside the module."""

    @classmethod
    def dirname(cls, *, test_location: Any) -> str:
        return str(SNAPSHOTS / test_location.basename)


# snap_compare looks the extension up in its module when it runs.
pytest_textual_snapshot.SVGImageExtension = _SnapshotsUnderTests  # type: ignore[misc]


@pytest.fixture
def tui_config() -> Config:
    return load_config()


@pytest.fixture
def tui_store() -> Iterator[Store]:
    store = open_store()
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def local_host(tui_config: Config) -> Host:
    from sfai.hosts import open_host
    from sfai_agent.redact import Redactor

    return open_host("local", tui_config, redactor=Redactor())


@pytest.fixture
def offline_provider(tui_config: Config) -> Provider:
    from sfai.core.providers.offline import OfflineProvider

    return OfflineProvider(thresholds=tui_config.check)


@pytest.fixture
def claude_provider(fake_claude_env: Any) -> Provider:
    from sfai.core.providers.anthropic import AnthropicProvider

    return AnthropicProvider(max_retries=0)


@pytest.fixture
def build_app(
    tui_config: Config, tui_store: Store, local_host: Host, offline_provider: Provider
) -> Callable[..., SfaiApp]:
    def build(provider: Provider | None = None, host: Host | None = None, **kwargs: Any) -> SfaiApp:
        kwargs.setdefault("options", TEST_OPTIONS)
        kwargs.setdefault("hostname", "testbox")
        kwargs.setdefault("clock", lambda: FIXED_NOW)
        return make_app(
            tui_config,
            store=tui_store,
            host=host or local_host,
            provider=provider or offline_provider,
            **kwargs,
        )

    return build


async def settle(pilot: Pilot[Any]) -> None:
    """Every worker done, then a refresh."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def ask(pilot: Pilot[Any], question: str) -> None:
    """Type ``question`` in the prompt, send it, wait for the whole answer."""
    from sfai.tui.widgets.prompt_input import PromptInput

    for _ in range(200):  # snap_compare's run_before may start before the screen is up
        hosts = pilot.app.screen.query("#host")
        if hosts and str(hosts.first().render()):  # the main screen's on_mount has run
            break
        await pilot.pause(0.02)
    prompt = pilot.app.screen.query_one(PromptInput)
    prompt.focus()
    prompt.load_text(question)
    await pilot.press("enter")
    await settle(pilot)
