"""``sfai tools list|run``: the catalog, called directly, under the same rules as the model."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sfai.cli import output
from sfai.cli.common import config_or_exit, fail, run_async
from sfai.core.exit_codes import ExitCode

if TYPE_CHECKING:
    from sfai_agent.tools.base import ToolSpec

app = typer.Typer(help="List the tool catalog or call one tool directly.", no_args_is_help=True)

# A person's typo is a usage error; an action left unapproved is 3; anything else is 1.
_EXIT_FOR = {
    "unknown_tool": ExitCode.USAGE,
    "invalid_argument": ExitCode.USAGE,
    "approval_pending": ExitCode.APPROVAL_NEEDED,
    "approval_required": ExitCode.APPROVAL_NEEDED,
    "denied_by_user": ExitCode.APPROVAL_NEEDED,
}


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


def host_catalog(host: list[str] | None) -> list[ToolSpec]:
    """The catalog of the host ``--host`` names (a remote agent's policy may offer fewer
    tools than this build has); without ``--host``, this build's catalog, instantly."""
    if not host:
        from sfai_agent.tools.catalog import load_catalog

        return [tool.spec for tool in load_catalog().values()]
    from sfai.cli import targets
    from sfai.core.fleet import close_all

    config = config_or_exit()
    [target] = targets.open_all([targets.single(config, host, "sfai tools list")], config)

    async def fetch() -> list[ToolSpec]:
        try:
            await targets.connect_or_exit(target)
            return target.catalog()
        finally:
            await close_all([target])

    return run_async(fetch())


@app.command("list")
def list_tools(
    as_json: Annotated[
        bool, typer.Option("--json", help="The full specs, with input schemas, as JSON.")
    ] = False,
    host: Annotated[
        list[str] | None,
        typer.Option("--host", "-H", help="The catalog this host offers (its policy may trim it)."),
    ] = None,
) -> None:
    """List every tool the model can use, with its risk level."""
    specs = host_catalog(host)
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
        list[str] | None, typer.Option("--host", "-H", help="Host from the inventory.")
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Approve an action without asking.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="The raw result as JSON.")] = False,
) -> None:
    """Call one tool directly: same validation, policy, approval and audit as for the model.

    Actions preview by default (their dry_run is true); with --arg dry_run=false sfai
    shows the dry-run, asks for approval on a terminal (or takes --yes), and audits it.
    """
    from sfai.cli import targets
    from sfai.cli.ask_cmd import choose_approver
    from sfai.core.action_flow import ToolCaller
    from sfai.core.audit import local_actor, open_audit_or_unavailable
    from sfai.core.events import ApprovalEvent
    from sfai.core.fleet import close_all
    from sfai.core.providers.base import ToolUse
    from sfai.core.store import open_store
    from sfai_agent.redact import Redactor
    from sfai_agent.tools.render import render_result

    arguments = parse_arguments(arg or [])
    config = config_or_exit()
    redactor = Redactor()
    entry = targets.single(config, host, "sfai tools run")
    [target] = targets.open_all([entry], config, redactor=redactor)

    async def call() -> dict[str, Any]:
        await targets.connect_or_exit(target)
        store = open_store()
        try:
            caller = ToolCaller(
                host=target,
                store=store,
                mode="act",
                approver=choose_approver(yes),
                audit=open_audit_or_unavailable(redactor),
                specs={spec.name: spec for spec in target.catalog()},
                actor=local_actor(),
            )
            result = await caller.call(ToolUse(id="cli", name=name, input=arguments))
            for event in caller.events:
                if isinstance(event, ApprovalEvent):
                    output.info(f"{event.decision} by {event.by}")
            return result
        finally:
            store.close()
            await close_all([target])

    result = run_async(call())
    if as_json:
        output.write_json(result)
    elif result.get("ok"):
        output.write(render_result(name, result))
    if not result.get("ok"):
        error = result.get("error", {})
        code = _EXIT_FOR.get(error.get("code"), ExitCode.ERROR)
        fail(
            code,
            f"{name}: {error.get('message', 'failed')} [{error.get('code', 'internal')}]",
            error.get("hint", ""),
        )
