"""How `sfai hosts list` and `sfai hosts test` print: a table on a terminal, tab-separated
lines when piped (one host per line, for grep and cut)."""

from __future__ import annotations

from typing import Any

from sfai.cli import output


def _status(row: dict[str, Any]) -> str:
    if row["reachable"] is None:
        return "unchecked"
    return "ok" if row["reachable"] else "unreachable"


def _latency(row: dict[str, Any]) -> str:
    value = row.get("latency_ms")
    return f"{value:.1f} ms" if isinstance(value, (int, float)) else "-"


def first_line(text: str | None) -> str:
    """The summary line of a reason (a changed certificate's warning has many)."""
    return next((line for line in (text or "").splitlines() if line.strip()), "")


def print_hosts(rows: list[dict[str, Any]]) -> None:
    columns = ("name", "transport", "address", "tags", "status", "latency", "note")
    cells = [
        (
            row["name"],
            row["transport"],
            row["address"] or "-",
            ",".join(row["tags"]) or "-",
            _status(row),
            _latency(row),
            first_line(row.get("error")) or (row.get("hostname") or ""),
        )
        for row in rows
    ]
    if output.stdout_is_terminal():
        from rich.table import Table

        table = Table(box=None, pad_edge=False, show_edge=False)
        for column in columns:
            table.add_column(column, overflow="fold")
        for line in cells:
            style = "red" if line[4] == "unreachable" else None
            table.add_row(*(output.terminal_safe(str(cell)) for cell in line), style=style)
        output.rich_console().print(table)
        return
    for line in cells:
        output.write("\t".join(str(cell) for cell in line))


def print_test(result: dict[str, Any]) -> None:
    """The facts on stdout; a failure's reason goes to stderr with the exit status."""
    name = result["name"]
    if not result["reachable"]:
        output.write(f"{name}: unreachable")
        return
    facts = result.get("facts", {})
    lines = [f"{name}: reachable over {result['transport']} {result['address']}".rstrip()]
    lines.append(f"  hostname   {facts.get('hostname', '?')}")
    if result["transport"] == "agent":
        lines.append(
            f"  agent      sfai-agent {facts.get('agent_version')} (protocol "
            f"{facts.get('protocol')}), {facts.get('tools')} tools, actions "
            f"{'allowed' if facts.get('actions_allowed') else 'not allowed'}"
        )
        lines.append(
            f"  system     {facts.get('os')}, kernel {facts.get('kernel')}, "
            f"{facts.get('arch')}, {facts.get('cpus')} CPUs"
        )
        lines.append(f"  pinned     {facts.get('fingerprint')}")
    timings = [f"connect {result['connect_ms']:.1f} ms", f"latency {_latency(result)}"]
    tool = result.get("tool") or {}
    if tool.get("round_trip_ms") is not None:
        timings.append(f"{tool['name']} round trip {tool['round_trip_ms']:.1f} ms")
    lines.append("  timings    " + ", ".join(timings))
    if tool and not tool.get("ok"):
        lines.append(f"  tool       {tool.get('name')}: {tool.get('error')}")
    output.write("\n".join(lines))
