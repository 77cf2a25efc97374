"""``sfai audit [--json] [--verify] [--limit N] [--kind K]``: the tamper-evident audit log."""

from __future__ import annotations

import enum
import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sfai.cli import output
from sfai.cli.common import fail
from sfai.core.exit_codes import ExitCode

if TYPE_CHECKING:
    from sfai.core.audit import AuditLog, AuditRecord


class KindChoice(enum.StrEnum):
    proposal = "proposal"
    approval = "approval"
    denial = "denial"
    execution = "execution"
    result = "result"
    refusal = "refusal"
    error = "error"


_KIND_STYLE = {
    "proposal": "cyan",
    "approval": "green",
    "denial": "yellow",
    "execution": "bold",
    "result": "",
    "refusal": "red",
    "error": "bold red",
}


def _open() -> AuditLog | None:
    """The log, or None when none was written yet (listing or verifying creates nothing)."""
    from sfai.core.audit import AuditError, AuditLog, audit_path

    path = audit_path()
    if not path.exists():
        return None
    try:
        return AuditLog(path)
    except AuditError as exc:
        fail(ExitCode.ERROR, str(exc))


def audit(
    verify: Annotated[
        bool, typer.Option("--verify", help="Recompute the hash chain; exit 1 if it is broken.")
    ] = False,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many records.")] = 20,
    kind: Annotated[
        KindChoice | None, typer.Option("--kind", help="Only records of this kind.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="As JSON Lines.")] = False,
) -> None:
    """What sfai proposed, who approved or denied it, what ran and how it went.

    Lists the last records, oldest first. Every record is chained to the one before by a
    SHA-256 hash: --verify detects an edited, deleted, inserted or reordered record.
    """
    from sfai.core.audit import AuditError

    log = _open()
    try:
        if verify:
            _verify(log, as_json)
            return
        try:
            records = [] if log is None else log.records(limit, kind=kind and kind.value)
        except AuditError as exc:
            fail(ExitCode.ERROR, str(exc), "run `sfai audit --verify` to find the damage")
    finally:
        if log is not None:
            log.close()
    if as_json:
        for record in records:
            output.write_json(record.as_dict(), lines=True)
    elif not records:
        what = f"no {kind.value} records" if kind else "no audit records"
        output.info(f"{what} yet: sfai records every proposed, approved and executed action")
    elif output.stdout_is_terminal():
        _print_table(records)
    else:
        for record in records:
            output.write("\t".join(_one_line(value) for value in _row(record, None)))


def _verify(log: AuditLog | None, as_json: bool) -> None:
    from sfai.core.audit import AuditError, VerifyResult

    try:
        result = VerifyResult(True, 0) if log is None else log.verify()
    except AuditError as exc:
        fail(ExitCode.ERROR, str(exc))
    if as_json:
        output.write_json(result.as_dict(), lines=True)
    elif result.ok:
        noun = "record" if result.checked == 1 else "records"
        output.write(f"audit chain intact: {result.checked} {noun}")
    else:
        output.write(f"audit chain BROKEN at record #{result.first_bad_seq}: {result.problem}")
    if not result.ok:
        raise typer.Exit(int(ExitCode.ERROR))


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _short(value: str, width: int | None) -> str:
    value = _one_line(value)
    if width is None or len(value) <= width:
        return value
    return value[: width - 1].rstrip() + "…"


def _arguments(arguments: Any) -> str:
    if arguments in (None, {}, []):
        return "-"
    if isinstance(arguments, dict):
        return " ".join(
            f"{key}={value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)}"
            for key, value in arguments.items()
        )
    return json.dumps(arguments, ensure_ascii=False)


def _row(record: AuditRecord, width: int | None) -> list[str]:
    from sfai.core.audit import outcome

    return [
        str(record.seq),
        record.at,
        record.kind,
        record.actor,
        record.host,
        record.tool or "-",
        _short(_arguments(record.arguments), width),
        _short(outcome(record), width) or "-",
    ]


def _print_table(records: list[AuditRecord]) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, pad_edge=False, show_edge=False)
    # Everything may fold on a narrow terminal (the date above the time, long names).
    table.add_column("#", no_wrap=True)
    table.add_column("when (UTC)", min_width=10)
    table.add_column("kind", no_wrap=True)
    for column in ("actor", "host", "tool"):
        table.add_column(column, overflow="fold")
    for column in ("arguments", "outcome"):
        table.add_column(column, overflow="fold", min_width=12, ratio=1)
    for record in records:
        row = _row(record, 48)
        row[1] = row[1][:19].replace("T", " ")
        kind = Text(row[2], style=_KIND_STYLE.get(record.kind, ""))
        table.add_row(row[0], row[1], kind, *row[3:])
    output.rich_console().print(table)
