"""Helpers every command uses: config loading with clean errors, running async code."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any, NoReturn, TypeVar

import typer

from sfai.cli import output
from sfai.core.config import Config, ConfigError, load_config
from sfai.core.exit_codes import ExitCode

T = TypeVar("T")


def fail(code: ExitCode, message: str, hint: str = "") -> NoReturn:
    output.error(message, hint)
    raise typer.Exit(int(code))


def config_or_exit() -> Config:
    try:
        config = load_config()
    except ConfigError as exc:
        fail(
            ExitCode.USAGE,
            str(exc),
            "see `sfai config show`, or start again with `sfai config init --force`",
        )
    for warning in config.warnings:
        output.info(f"sfai: warning: {warning}")
    return config


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    import asyncio  # not at module level: `sfai --help` never needs it

    try:
        return asyncio.run(coroutine)
    except KeyboardInterrupt:
        output.info("interrupted")
        raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
