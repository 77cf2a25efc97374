"""``sfai check``: deterministic health checks. Exit 5 when problems are found.

On several hosts (``--host a --host b``, ``--host @tag``, ``--all-hosts``) the hosts are
checked concurrently, at most ``--parallel`` at a time, each within ``--timeout`` seconds,
and the output has a section per host (``--json``: one JSON object per line, per host).
A host that cannot be reached or does not answer in time is a problem of that host — a
critical ``reachability`` finding, so the command exits 5 — never a hang, and the other
hosts are still reported. On one host, an unreachable host is an error (exit 1): there
is nothing else to report.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sfai.cli import output
from sfai.cli.common import config_or_exit, fail, run_async
from sfai.core.exit_codes import ExitCode

# sfai.core.fleet's defaults, repeated: importing it (asyncio) would slow `sfai --help`.
DEFAULT_TIMEOUT_S = 30.0
DEFAULT_PARALLEL = 16

if TYPE_CHECKING:
    from sfai.core.checks import CheckReport
    from sfai.core.fleet import HostOutcome

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


def unreachable_report(outcome: HostOutcome[CheckReport]) -> CheckReport:
    """A host that gave no report: one critical ``reachability`` finding saying why."""
    from sfai.core.checks import CheckReport, Finding, Severity

    assert outcome.error is not None
    what = {
        "unreachable": "is unreachable",
        "timeout": "did not answer in time",
    }.get(outcome.error.code, "could not be checked")
    finding = Finding(
        severity=Severity.CRITICAL,
        check="reachability",
        title=f"{outcome.name} {what}",
        evidence=[outcome.error.message],
        next_step=outcome.error.hint or f"`sfai hosts test {outcome.name}`",
    )
    return CheckReport(host=outcome.name, findings=[finding], checks_run=[], errors=[])


def render_unreachable(outcome: HostOutcome[CheckReport]) -> list[tuple[str, str]]:
    """A host without a report: what went wrong and what to do, in two lines."""
    assert outcome.error is not None
    what = {"unreachable": "unreachable", "timeout": "no answer"}.get(outcome.error.code, "failed")
    return [
        (f"{outcome.name}: {what} — {outcome.error.message}", "bold red"),
        (f"    → {outcome.error.hint or f'`sfai hosts test {outcome.name}`'}", ""),
    ]


def fleet_record(outcome: HostOutcome[CheckReport]) -> dict[str, Any]:
    """One host's JSON object: its report, whether it was reached, how long it took, and
    for a host without a report, why: an ``unreachable``, ``timeout`` (connected, then too
    slow) or ``error`` object with ``code``, ``message`` and ``hint``."""
    report = outcome.value if outcome.value is not None else unreachable_report(outcome)
    record: dict[str, Any] = {
        **report.as_dict(),
        "reachable": outcome.error is None or bool(outcome.facts),
        "elapsed_s": round(outcome.elapsed_s, 3),
    }
    if outcome.error is not None:
        record[outcome.error.code] = outcome.error.as_dict()
    return record


def fleet_summary(outcomes: list[HostOutcome[CheckReport]]) -> str:
    healthy = sum(1 for o in outcomes if o.value is not None and o.value.healthy)
    sick = sum(1 for o in outcomes if o.value is not None and not o.value.healthy)
    missing = len(outcomes) - healthy - sick
    parts = [f"{healthy} healthy", f"{sick} with problems"]
    if missing:
        parts.append(f"{missing} could not be checked")
    slowest = max(outcomes, key=lambda o: o.elapsed_s)
    return (
        f"{len(outcomes)} hosts: {', '.join(parts)} "
        f"(slowest: {slowest.name}, {slowest.elapsed_s:.1f} s)"
    )


def _print(lines: list[tuple[str, str]]) -> None:
    if output.stdout_is_terminal():
        from rich.text import Text

        console = output.rich_console()
        for text, style in lines:
            console.print(Text(text, style=style))
    else:
        output.write("\n".join(text for text, _ in lines))


def check(
    host: Annotated[
        list[str] | None,
        typer.Option(
            "--host", "-H", help="Host from the inventory, or @tag; repeat for several hosts."
        ),
    ] = None,
    all_hosts: Annotated[
        bool, typer.Option("--all-hosts", help="Check every host in the inventory.")
    ] = False,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="The report as JSON (several hosts: one object per line, per host)."
        ),
    ] = False,
    timeout: Annotated[
        float, typer.Option("--timeout", min=1, help="Seconds each host has to answer.")
    ] = DEFAULT_TIMEOUT_S,
    parallel: Annotated[
        int, typer.Option("--parallel", min=1, max=256, help="Hosts checked at the same time.")
    ] = DEFAULT_PARALLEL,
) -> None:
    """Run the health checks (disk, inodes, memory, swap, OOM, services, nginx, certificates, load).

    No model is involved: the same inputs always give the same findings. Exit code 5
    when a warning or critical problem is found (on several hosts: also a host that
    cannot be reached), 0 when healthy.
    """
    from sfai.cli import targets
    from sfai.core.checks import run_checks
    from sfai.core.fleet import close_all, gather_hosts
    from sfai.core.store import open_store

    config = config_or_exit()
    entries = targets.select(config, host, all_hosts)
    several = targets.several(host, all_hosts, entries)
    hosts = targets.open_all(entries, config)
    if output.color_enabled(sys.stderr):
        output.info(f"checking {len(hosts)} hosts…" if several else f"checking {hosts[0].name}…")

    async def collect() -> list[HostOutcome[CheckReport]]:
        store = open_store()
        try:
            return await gather_hosts(
                hosts,
                lambda target: run_checks(target, config.check, store),
                timeout_s=timeout,
                parallel=parallel,
            )
        finally:
            store.close()
            await close_all(hosts)

    outcomes = run_async(collect())
    for outcome in outcomes:
        for problem in outcome.value.errors if outcome.value is not None else []:
            where = f"{outcome.name}: " if several else ""
            output.info(f"sfai: warning: check skipped: {where}{problem}")
    if not several:
        outcome = outcomes[0]
        if outcome.value is None:
            assert outcome.error is not None
            fail(
                ExitCode.ERROR,
                f"host {outcome.name}: {outcome.error.message}",
                outcome.error.hint,
            )
        report = outcome.value
        if as_json:
            output.write_json(report.as_dict())
        else:
            _print(render_report(report))
        if not report.healthy:
            raise typer.Exit(int(ExitCode.PROBLEMS_FOUND))
        return
    reports = [o.value if o.value is not None else unreachable_report(o) for o in outcomes]
    if as_json:
        for outcome in outcomes:
            output.write_json(fleet_record(outcome), lines=True)
    else:
        lines: list[tuple[str, str]] = []
        for outcome, report in zip(outcomes, reports, strict=True):
            lines += (
                [*render_unreachable(outcome), ("", "")]
                if outcome.error
                else [
                    *render_report(report),
                    ("", ""),
                ]
            )
        lines.append((fleet_summary(outcomes), "bold"))
        _print(lines)
    if not all(report.healthy for report in reports):
        raise typer.Exit(int(ExitCode.PROBLEMS_FOUND))
