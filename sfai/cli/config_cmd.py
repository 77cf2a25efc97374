"""``sfai config path|show|init``."""

from __future__ import annotations

from typing import Annotated

import typer

from sfai.cli import output
from sfai.cli.common import config_or_exit, fail
from sfai.core.exit_codes import ExitCode

app = typer.Typer(
    help="Where the config lives, what is in effect, a starting file.", no_args_is_help=True
)


@app.command("path")
def path() -> None:
    """Print the config file's path (it may not exist yet)."""
    from sfai.core.paths import sfai_paths

    output.write(str(sfai_paths().config_file))


@app.command("show")
def show(
    as_json: Annotated[bool, typer.Option("--json", help="As JSON instead of TOML.")] = False,
) -> None:
    """Print the effective configuration: defaults, the file, then SFAI_* variables."""
    import tomli_w

    config = config_or_exit()
    output.info(f"# from {config.source or 'defaults (no config file)'}")
    if as_json:
        output.write_json(config.as_dict())
    else:
        output.write(tomli_w.dumps(config.as_dict()))


@app.command("init")
def init(
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented config file with every key at its default."""
    from sfai.core.config import config_template
    from sfai.core.paths import sfai_paths

    target = sfai_paths().config_file
    if target.exists() and not force:
        fail(
            ExitCode.USAGE,
            f"{target} already exists",
            "keep it, or overwrite with `sfai config init --force`",
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(config_template(), encoding="utf-8")
    output.info(f"wrote {target}")
