"""``sfai`` with no command on a terminal: the TUI on the default host.

Textual is imported here only, inside the function, so ``sfai --help`` and every other
command never load it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from sfai.cli.common import config_or_exit, fail
from sfai.core.exit_codes import ExitCode

FIRST_FRAME_ENV = "BENCH_SFAI_FIRST_FRAME"
"""Benchmarks (bench/tui_startup.py): a file where the app writes the time of its first
frame before it exits. Not ``SFAI_*``: those are config keys."""


def on_a_terminal() -> bool:
    """Both ends are a terminal: a TUI makes sense (never when piped or scripted)."""
    return all(
        stream is not None and not stream.closed and stream.isatty()
        for stream in (sys.stdin, sys.stdout)
    )


def open_tui(theme: str | None = None) -> None:
    from sfai.core.context import system_prompt
    from sfai.core.providers.base import ProviderError
    from sfai.core.providers.factory import choose_provider_name, make_provider
    from sfai.core.store import open_store
    from sfai.hosts import UnknownHostError, open_host
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
    try:
        host = open_host(config.default_host, config, redactor=redactor)
    except UnknownHostError as exc:
        fail(ExitCode.USAGE, str(exc), "fix default_host in the config (`sfai config path`)")

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
