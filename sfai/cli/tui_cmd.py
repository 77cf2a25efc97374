"""``sfai`` with no command on a terminal: the TUI on the default host.

Textual is imported here only, inside the function, so ``sfai --help`` and every other
command never load it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sfai.cli.common import config_or_exit, fail, run_async
from sfai.core.exit_codes import ExitCode

if TYPE_CHECKING:
    from sfai.core.host import Host

FIRST_FRAME_ENV = "BENCH_SFAI_FIRST_FRAME"
"""Benchmarks (bench/tui_startup.py): a file where the app writes the time of its first
frame before it exits. Not ``SFAI_*``: those are config keys."""


def on_a_terminal() -> bool:
    """Both ends are a terminal: a TUI makes sense (never when piped or scripted)."""
    return all(
        stream is not None and not stream.closed and stream.isatty()
        for stream in (sys.stdin, sys.stdout)
    )


async def _probe(host: Host) -> None:
    from sfai.cli import targets
    from sfai.core.fleet import close_all

    await targets.connect_or_exit(host)
    await close_all([host])


def open_tui(theme: str | None = None, hosts: list[str] | None = None) -> None:
    """The TUI on ``--host NAME`` (one host), else the configured default host. A remote
    host is reached before the screen opens: unreachable is a plain error (exit 1)."""
    from sfai.cli import targets
    from sfai.core.context import system_prompt
    from sfai.core.providers.base import ProviderError
    from sfai.core.providers.factory import choose_provider_name, make_provider
    from sfai.core.store import open_store
    from sfai_agent.redact import Redactor

    config = config_or_exit()
    try:
        name, _notice = choose_provider_name(config, None)  # the welcome panel says it
        provider = make_provider(config, name, None)
        system_prompt(config.prompt_file)
    except ProviderError as exc:
        fail(ExitCode.USAGE, exc.message, exc.hint)
    except ValueError as exc:
        fail(ExitCode.USAGE, str(exc), "fix prompt_file in the config")
    redactor = Redactor()
    entry = targets.single(config, hosts, "the TUI")
    if entry.transport != "local":
        # A probe of its own, closed at once: the TUI's event loop is not this one, and a
        # connection belongs to the loop that opened it. The TUI's host connects there.
        [probe] = targets.open_all([entry], config)
        run_async(_probe(probe))
    [host] = targets.open_all([entry], config, redactor=redactor)

    from sfai.tui.factory import make_app
    from sfai.tui.state import TuiOptions

    first_frame = os.environ.get(FIRST_FRAME_ENV)
    options = TuiOptions(theme=theme, first_frame_file=Path(first_frame) if first_frame else None)
    store = open_store()
    try:
        app = make_app(
            config, store=store, host=host, provider=provider, redactor=redactor, options=options
        )
        app.run()
    finally:
        store.close()
