"""``sfai tools list|run``: the catalog, called directly, under the same rules as the model."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

import typer

from sfai.cli import output
from sfai.cli.common import config_or_exit, fail, run_async
from sfai.core.exit_codes import ExitCode

app = typer.Typer(help="List the tool catalog or call one tool directly.", no_args_is_help=True)

# A person's typo is a usage error; anything else that fails is an error.
_USAGE_CODES = {"unknown_tool", "invalid_argument"}


def parse_arguments(pairs: list[str]) -> dict[str, Any]:
    """``key=value`` pairs; a value is JSON when it parses (``lines=50``, ``paths=["/x"]``)."""
    arguments: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            fail(ExitCode.USAGE, f"--arg {pair!r} is not key=value", "example: --arg lines=50")
        try:
            value: Any = json.loads(raw)
        except ValueError:
            value = raw
        arguments[key.strip()] = value
    return arguments


@app.command("list")
def list_tools(
    as_json: Annotated[
        bool, typer.Option("--json", help="The full specs, with input schemas, as JSON.")
    ] = False,
) -> None:
    """List every tool the model can use, with its risk level."""
    from sfai_agent.tools.catalog import load_catalog

    specs = [tool.spec for tool in load_catalog().values()]
    if as_json:
        output.write_json([spec.as_dict() for spec in specs])
        return
    if output.stdout_is_terminal():
        from rich.table import Table

        table = Table(box=None, pad_edge=False, show_edge=False)
        for column in ("tool", "risk", "arguments", "what it does"):
            table.add_column(column, overflow="fold")
        for spec in specs:
            table.add_row(
                spec.name,
                spec.risk.value,
                _signature(spec.input_schema),
                _first_sentence(spec.description),
            )
        output.rich_console().print(table)
        return
    for spec in specs:
        output.write(
            f"{spec.name}\t{spec.risk.value}\t{_signature(spec.input_schema)}\t{_first_sentence(spec.description)}"
        )


def _signature(schema: dict[str, Any]) -> str:
    required = set(schema.get("required", []))
    names = [name if name in required else f"{name}?" for name in schema.get("properties", {})]
    return ", ".join(names) or "-"


def _first_sentence(text: str) -> str:
    """Up to the first full stop that ends a sentence (not "e.g." or "1.5")."""
    match = re.search(r"(?<=[a-z0-9)\]])\.\s+(?=[A-Z])", text)
    return text[: match.start()] + "." if match else text


@app.command("run")
def run_tool(
    name: Annotated[str, typer.Argument(help="Tool name, as in `sfai tools list`.")],
    arg: Annotated[
        list[str] | None,
        typer.Option("--arg", "-a", help="key=value; the value is parsed as JSON when it can be."),
    ] = None,
    host: Annotated[
        str | None, typer.Option("--host", "-H", help="Host from the inventory.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The raw result as JSON.")] = False,
) -> None:
    """Call one tool directly: same validation and policy as when the model calls it."""
    from sfai.hosts import UnknownHostError, open_host
    from sfai_agent.tools.render import render_text

    arguments = parse_arguments(arg or [])
    config = config_or_exit()
    try:
        target = open_host(host or config.default_host, config)
    except UnknownHostError as exc:
        fail(ExitCode.USAGE, str(exc), "see `sfai hosts list`")

    async def call() -> dict[str, Any]:
        try:
            return await target.call_tool(name, arguments)
        finally:
            await target.close()

    result = run_async(call())
    if as_json:
        output.write_json(result)
    elif result.get("ok"):
        output.write(render_text(result))
    if not result.get("ok"):
        error = result.get("error", {})
        code = ExitCode.USAGE if error.get("code") in _USAGE_CODES else ExitCode.ERROR
        fail(
            code,
            f"{name}: {error.get('message', 'failed')} [{error.get('code', 'internal')}]",
            error.get("hint", ""),
        )
