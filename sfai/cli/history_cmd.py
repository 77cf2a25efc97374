"""``sfai history list|show|search|export|rm``: past conversations, from sfai.db."""

from __future__ import annotations

import enum
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sfai.cli import output
from sfai.cli.common import fail
from sfai.core.exit_codes import ExitCode

if TYPE_CHECKING:
    from sfai.core.store import Store

app = typer.Typer(
    help="Past conversations: list, show, search, export, delete.", no_args_is_help=True
)

IdArgument = Annotated[
    str, typer.Argument(help="Conversation id, or a unique prefix of it (4+ characters).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="As JSON.")]
_STATUS_STYLE = {"ok": "green", "running": "cyan", "interrupted": "yellow"}


class ExportFormat(enum.StrEnum):
    markdown = "markdown"
    json = "json"


def _open() -> Store:
    import sqlite3

    from sfai.core.store import open_store

    try:
        return open_store()
    except (sqlite3.Error, RuntimeError, OSError) as exc:
        fail(ExitCode.ERROR, f"cannot open the history database: {exc}")


def _resolve(store: Store, given: str) -> str:
    conversation_id = store.resolve_conversation_id(given)
    if conversation_id is not None:
        return conversation_id
    matches = store.conversation_ids_with_prefix(given)
    if len(matches) > 1:
        fail(
            ExitCode.USAGE,
            f"{given!r} matches {len(matches)} conversations: {', '.join(matches)}",
            "give more characters of the id",
        )
    hint = "ids are hexadecimal; give at least 4 characters" if len(given.strip()) < 4 else ""
    fail(
        ExitCode.USAGE,
        f"no conversation {given!r}",
        hint or "see `sfai history list` or `sfai history search TEXT`",
    )


def _cut(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _row(summary: dict[str, Any], title_width: int | None) -> list[str]:
    from sfai.core.store.export import money

    title = summary["title"] or "-"
    return [
        summary["id"],
        summary["updated_at"],
        summary["host"],
        f"{summary['provider']}/{summary['model']}",
        summary["status"],
        _cut(title, title_width) if title_width else title,
        str(summary["messages"]),
        money(summary["usage"]["cost_usd"]),
    ]


def _print_rows(summaries: list[dict[str, Any]], snippets: bool = False) -> None:
    if not output.stdout_is_terminal():
        for summary in summaries:
            fields = _row(summary, None)
            if snippets:
                fields.append(" ".join(summary["snippet"].split()))
            output.write("\t".join(fields))
        return
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, pad_edge=False, show_edge=False)
    for column in ("id", "when (UTC)", "host", "model", "status", "title", "msgs", "cost"):
        table.add_column(column, no_wrap=column != "title", overflow="fold")
    for summary in summaries:
        row = _row(summary, 60)
        row[1] = row[1].replace("T", " ").removesuffix("Z")
        status = Text(row[4], style=_STATUS_STYLE.get(summary["status"], "red"))
        table.add_row(*row[:4], status, *row[5:])
        if snippets:
            snippet = Text("  ")
            pieces = re.split("[\x02\x03]", " ".join(summary["snippet"].split()))
            for index, piece in enumerate(pieces):
                snippet.append(piece, style="bold yellow" if index % 2 else "dim")
            table.add_row("", "", "", "", "", snippet, "", "")
    output.rich_console().print(table)


@app.command("list")
def list_history(
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many.")] = 20,
    as_json: JsonOption = False,
) -> None:
    """Recent conversations, most recently active first."""
    store = _open()
    try:
        summaries = store.list_conversations(limit)
    finally:
        store.close()
    if as_json:
        output.write_json(summaries)
    elif not summaries:
        output.info('no conversations yet: ask one with `sfai ask "why is the disk full?"`')
    else:
        _print_rows(summaries)


@app.command("show")
def show(conversation: IdArgument, as_json: JsonOption = False) -> None:
    """One conversation: questions, answers, tool calls and their outcome, usage."""
    store = _open()
    try:
        data = store.get_conversation(_resolve(store, conversation))
    finally:
        store.close()
    if data is None:  # deleted meanwhile
        fail(ExitCode.USAGE, f"no conversation {conversation!r}")
    if as_json:
        output.write_json(data)
        return
    lines = render_show(data)
    if not output.stdout_is_terminal():
        output.write("\n".join(text for text, _style in lines))
        return
    from rich.text import Text

    console = output.rich_console()
    for text, style in lines:
        console.print(Text(text, style=style))


def render_show(data: dict[str, Any]) -> list[tuple[str, str]]:
    """(text, rich style) lines: the terminal and the pipe print the same words."""
    from sfai.core.store.export import turns, usage_line

    lines = [
        (f"{data['title'] or 'Conversation'}", "bold"),
        (
            f"{data['id']} · {data['host']} · {data['provider']}/{data['model']} · "
            f"{data['mode']} · {data['status']} · {data['created_at']}",
            "dim",
        ),
    ]
    for turn in turns(data):
        if turn.question:
            lines += [("", ""), (f"? {turn.question}", "bold cyan")]
        for attachment in turn.attachments:
            head, _, body = attachment.partition("\n")
            count = len(body.splitlines())
            lines.append((f"  + {head.rstrip(':')} ({count} line{'s' * (count != 1)})", "dim"))
        for part in turn.parts:
            if isinstance(part, str):
                lines += [("", ""), (part, "")]
                continue
            timing = f" · {part.timing}" if part.timing else ""
            style = "green" if part.ok else "red"
            lines.append((f"  → {part.signature}  [{part.outcome}{timing}]", f"dim {style}"))
        if turn.interrupted:
            lines.append(("(the answer stopped here: the run was interrupted)", "yellow"))
    lines += [("", ""), (f"usage: {usage_line(data['usage'])}", "dim")]
    return lines


@app.command("search")
def search(
    text: Annotated[str, typer.Argument(help="Words to find (all of them); word* for a prefix.")],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many.")] = 20,
    as_json: JsonOption = False,
) -> None:
    """Find conversations by the words in their questions, answers or titles."""
    store = _open()
    terminal = output.stdout_is_terminal() and not as_json
    try:
        found = store.search_conversations(
            text, limit, mark=("\x02", "\x03") if terminal else ("**", "**")
        )
    finally:
        store.close()
    if as_json:
        output.write_json(found)
    elif not found:
        output.info(f"no conversation mentions {text!r}")
    else:
        _print_rows(found, snippets=True)


@app.command("export")
def export(
    conversation: IdArgument,
    fmt: Annotated[
        ExportFormat, typer.Option("--format", "-f", help="markdown: a shareable transcript.")
    ] = ExportFormat.markdown,
    to: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to FILE instead of stdout.")
    ] = None,
) -> None:
    """A conversation as a Markdown transcript or as the full JSON record."""
    from sfai.core.store.export import to_json, to_markdown

    store = _open()
    try:
        data = store.get_conversation(_resolve(store, conversation))
    finally:
        store.close()
    if data is None:  # deleted meanwhile
        fail(ExitCode.USAGE, f"no conversation {conversation!r}")
    document = to_markdown(data) if fmt is ExportFormat.markdown else to_json(data)
    if to is None:
        sys.stdout.write(document)
        sys.stdout.flush()
        return
    try:
        to.write_text(document, encoding="utf-8")
    except OSError as exc:
        fail(ExitCode.ERROR, f"cannot write {to}: {exc.strerror or exc}")
    output.info(f"wrote {to}")


@app.command("rm")
def remove(
    conversations: Annotated[
        list[str], typer.Argument(help="Conversation ids or unique prefixes.")
    ],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete conversations with their messages, tool calls and usage."""
    store = _open()
    try:
        ids = list(dict.fromkeys(_resolve(store, given) for given in conversations))
        if not yes:
            if not sys.stdin.isatty():
                fail(
                    ExitCode.USAGE,
                    "refusing to delete without confirmation: stdin is not a terminal",
                    "add --yes to delete without asking",
                )
            for conversation_id in ids:
                data = store.get_conversation(conversation_id) or {}
                output.info(f"{conversation_id}  {data.get('title', '')}")
            noun = "conversation" if len(ids) == 1 else f"{len(ids)} conversations"
            if not typer.confirm(f"Delete {noun}?", default=False, err=True):
                output.info("nothing deleted")
                return
        for conversation_id in ids:
            store.delete_conversation(conversation_id)
            output.info(f"deleted {conversation_id}")
    finally:
        store.close()
