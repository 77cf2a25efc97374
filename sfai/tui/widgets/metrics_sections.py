"""The metrics sidebar's list sections: alerts, failed services and the busiest processes.

Everything here reads data from a host (a sample, a ``list_services`` result) and may meet
a newer or older agent's format, so missing or odd values become ``?`` or ``-``, never an
exception. Process and service names are shown as plain text, never parsed as markup.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from textual.content import Content
from textual.geometry import Size
from textual.widget import Widget

from sfai.tui.widgets.sparkline_row import LABEL_STYLE, TITLE_STYLE, severity_of

OK_STYLE, WARNING_STYLE, ERROR_STYLE = "$text-success", "$text-warning", "$text-error"
ALERT_MARK = {"critical": ("✖", ERROR_STYLE), "warning": ("▲", WARNING_STYLE)}
SERVICES_SHOWN = 5


def number(value: object) -> float | None:
    """A figure from a sample, or None: samples may come from another agent version."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def alert_lines(alerts: Iterable[Mapping[str, Any]]) -> Content:
    """``✖ load 4.20 on 2 CPUs`` in the error colour, ``▲ /var 91% full`` in the warning's."""
    lines = []
    for alert in alerts:
        mark, style = ALERT_MARK.get(severity_of(alert.get("severity")), ("•", ""))
        lines.append(Content.assemble((mark, style), " ", str(alert.get("title", "?"))))
    return Content("\n").join(lines) if lines else Content.styled("✓ none", OK_STYLE)


def service_lines(result: Mapping[str, Any]) -> Content:
    """A ``list_services(state="failed")`` result: the failed ones, or why there is no list."""
    if result.get("ok") is False:
        error = result.get("error")
        message = error.get("message", "unknown error") if isinstance(error, Mapping) else "?"
        return Content.styled(f"? {message}", LABEL_STYLE)
    managers = result.get("managers") or []
    if managers and not any(isinstance(m, Mapping) and m.get("available") for m in managers):
        return Content.styled("no service manager found", LABEL_STYLE)
    failed = [s for s in result.get("services") or [] if isinstance(s, Mapping)]
    if not failed:
        return Content.styled("✓ none", OK_STYLE)
    lines = [
        Content.assemble(
            ("✖", ERROR_STYLE),
            f" {service.get('name', '?')}",
            (f" ({service.get('manager', '?')})", LABEL_STYLE),
        )
        for service in failed[:SERVICES_SHOWN]
    ]
    if len(failed) > SERVICES_SHOWN:
        lines.append(Content.styled(f"  and {len(failed) - SERVICES_SHOWN} more", LABEL_STYLE))
    return Content("\n").join(lines)


class ProcessTable(Widget):
    """``TOP`` with its column titles, then one line per process: name and pid on the left
    (cut to fit), CPU and memory percentages in right-aligned columns under their titles."""

    DEFAULT_CSS = """
    ProcessTable { height: auto; width: 1fr; margin-top: 1; }
    """
    NUMBERS = 12
    """``100.0  12.5``: two right-hand columns of six, titled ``cpu%`` and ``mem%``."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[Mapping[str, Any]] = []

    def set(self, top: Iterable[Any]) -> None:
        self.rows = [process for process in top if isinstance(process, Mapping)]
        self.refresh(layout=True)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return 1 + max(len(self.rows), 1)

    def render(self) -> Content:
        width = self.size.width
        room = max(width - self.NUMBERS, 1)
        header = Content.assemble(
            Content("TOP").truncate(room, pad=True).stylize(TITLE_STYLE),
            ("cpu%  mem%".rjust(self.NUMBERS), TITLE_STYLE),
        )
        lines = [header.truncate(width)]
        for process in self.rows:
            cpu = number(process.get("cpu_percent"))
            memory = number(process.get("memory_percent"))
            who = Content.assemble(
                str(process.get("name", "?")), (f" {process.get('pid', '')}", LABEL_STYLE)
            )
            columns = "".join(f"{'-' if v is None else f'{v:.1f}':>6}" for v in (cpu, memory))
            lines.append(Content.assemble(who.truncate(room, ellipsis=True, pad=True), columns))
        if not self.rows:
            lines.append(Content.styled("-", LABEL_STYLE))
        return Content("\n").join(lines)
