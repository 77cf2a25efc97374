"""The ``sfai`` entry point. Only Typer is imported here: ``sfai --help`` stays fast."""

from __future__ import annotations

from typing import Annotated

import typer

from sfai import __version__
from sfai.cli import ask_cmd, audit_cmd, check_cmd, config_cmd, history_cmd, hosts_cmd, tools_cmd

app = typer.Typer(
    name="sfai",
    help="ServerFlow's AI sysadmin: diagnose a Linux server with safe, read-only tools.",
    pretty_exceptions_show_locals=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(tools_cmd.app, name="tools")
app.add_typer(config_cmd.app, name="config")
app.add_typer(history_cmd.app, name="history")
app.add_typer(hosts_cmd.app, name="hosts")
app.command("ask")(ask_cmd.ask)
app.command("check")(check_cmd.check)
app.command("audit")(audit_cmd.audit)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"sfai {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def root(
    ctx: typer.Context,
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
    theme: str | None = typer.Option(
        None,
        "--theme",
        help="TUI theme: serverflow-dark, serverflow-light, serverflow-high-contrast or yours.",
    ),
    host: Annotated[
        list[str] | None,
        typer.Option("--host", "-H", help="The TUI on this host from the inventory."),
    ] = None,
) -> None:
    """With no command: the TUI on a terminal; otherwise this host's health and a tour."""
    if ctx.invoked_subcommand is not None:
        return
    from sfai.cli.tui_cmd import on_a_terminal, open_tui

    if on_a_terminal():
        open_tui(theme, host)
        return
    from sfai.cli.welcome import welcome

    welcome()


def main() -> None:
    app()
