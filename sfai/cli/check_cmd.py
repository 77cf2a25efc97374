"""``sfai check``: deterministic health checks. Exit 5 when problems are found."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from sfai.cli import output
from sfai.cli.common import config_or_exit, fail, run_async
from sfai.core.exit_codes import ExitCode

if TYPE_CHECKING:
    from sfai.core.checks import CheckReport

_MARK = {"critical": "✖", "warning": "▲", "info": "•"}
_STYLE = {"critical": "bold red", "warning": "yellow", "info": "cyan"}


def render_report(report: CheckReport) -> list[tuple[str, str]]:
    """(text, rich style) lines, so the terminal and the pipe print the same words."""
    counts = report.as_dict()["counts"]
    if report.healthy:
        head = f"{report.host}: healthy ({len(report.checks_run)} checks: {', '.join(report.checks_run)})"
        lines = [(head, "bold green")]
    else:
        parts = [f"{counts[s]} {s}" for s in ("critical", "warning") if counts[s]]
        lines = [(f"{report.host}: {len(report.problems)} problem(s) — {', '.join(parts)}", "bold")]
    for finding in report.findings:
        severity = finding.severity.value
        lines.append(("", ""))
        lines.append((f"{_MARK[severity]} {severity.upper()}  {finding.title}", _STYLE[severity]))
        lines += [(f"    {line}", "dim") for line in finding.evidence]
        lines.append((f"    → {finding.next_step}", ""))
        if finding.fix_tool:
            args = ", ".join(f"{k}={v!r}" for k, v in finding.fix_arguments.items())
            lines.append((f"    fix: {finding.fix_tool}({args})", "dim"))
    return lines


def check(
    host: Annotated[
        str | None, typer.Option("--host", "-H", help="Host from the inventory.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="The report as one JSON document.")
    ] = False,
) -> None:
    """Run the health checks (disk, inodes, memory, swap, OOM, services, nginx, certificates, load).

    No model is involved: the same inputs always give the same findings. Exit code 5
    when a warning or critical problem is found, 0 when healthy.
    """
    from sfai.core.checks import run_checks
    from sfai.core.store import open_store
    from sfai.hosts import UnknownHostError, open_host

    config = config_or_exit()
    try:
        target = open_host(host or config.default_host, config)
    except UnknownHostError as exc:
        fail(ExitCode.USAGE, str(exc), "see `sfai hosts list`")
    if output.color_enabled(__import__("sys").stderr):
        output.info(f"checking {target.name}…")

    async def collect() -> CheckReport:
        store = open_store()
        try:
            return await run_checks(target, config.check, store)
        finally:
            store.close()
            await target.close()

    report = run_async(collect())
    for problem in report.errors:
        output.info(f"sfai: warning: check skipped: {problem}")
    if as_json:
        output.write_json(report.as_dict())
    elif output.stdout_is_terminal():
        from rich.text import Text

        console = output.rich_console()
        for text, style in render_report(report):
            console.print(Text(text, style=style))
    else:
        output.write("\n".join(text for text, _ in render_report(report)))
    if not report.healthy:
        raise typer.Exit(int(ExitCode.PROBLEMS_FOUND))
