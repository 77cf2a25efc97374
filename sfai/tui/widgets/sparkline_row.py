"""The metrics sidebar's building blocks: a one-line gauge (label, bar, value) and a row
that puts a gauge over a sparkline of its recent history.

Bars are drawn at render time from the widget's width, so the sidebar reads the same at
26 columns as at 40. Colours are theme variables ($success, $warning, $error), chosen by
the severity the host judged (``sfai_agent.metrics``): the thresholds live in one place.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.geometry import Size
from textual.style import Style
from textual.widget import Widget
from textual.widgets import Sparkline, Static

BAR_STYLE = {"ok": "$success", "warning": "$warning", "critical": "$error"}
TEXT_STYLE = {"ok": "", "warning": "$text-warning", "critical": "$text-error"}
EMPTY_STYLE = "$foreground 20%"
LABEL_STYLE = "$foreground-muted"
TITLE_STYLE = f"bold {LABEL_STYLE}"
FULL, EMPTY = "█", "░"
MIN_BAR = 3
HISTORY = 120
"""Samples a row keeps: more than a wide sidebar shows (2 to 3 minutes at its pace)."""

_UNITS = ("B", "K", "M", "G", "T", "P")


def compact_bytes(value: float) -> str:
    """Sizes for a 30-column sidebar: ``512B``, ``1.5K``, ``34M``, ``6.1G`` (powers of 1024,
    as human_bytes, one decimal only where it carries information)."""
    size = max(float(value), 0.0)
    for unit in _UNITS:
        if size < 1024 or unit == _UNITS[-1]:
            if unit == "B":
                return f"{size:.0f}B"
            return f"{size:.1f}{unit}" if size < 10 else f"{size:.0f}{unit}"
        size /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def severity_of(value: object) -> str:
    """A severity from a sample, ``ok`` for anything a newer agent might send that we do
    not know."""
    return value if isinstance(value, str) and value in BAR_STYLE else "ok"


def gauge_line(
    label: str,
    percent: float | None,
    value: str,
    severity: str,
    width: int,
    *,
    label_width: int = 5,
) -> Content:
    """``MEM  ███████░░░░  81%``: the label, a bar filling what the value leaves, the value.
    Without a percent (or without room for a bar) the value follows the label."""
    level = severity_of(severity)
    head = Content(label).truncate(label_width, ellipsis=True, pad=True)
    tail = Content.styled(value, TEXT_STYLE[level])
    room = width - label_width - tail.cell_length - 1
    if percent is None or room < MIN_BAR:
        return Content.assemble(head.stylize(LABEL_STYLE), tail).truncate(width, ellipsis=True)
    filled = round(room * min(max(percent, 0.0), 100.0) / 100.0)
    if percent > 0 and filled == 0:
        filled = 1  # something is used: never draw it as empty
    return Content.assemble(
        head.stylize(LABEL_STYLE),
        (FULL * filled, BAR_STYLE[level]),
        (EMPTY * (room - filled), EMPTY_STYLE),
        " ",
        tail,
    )


class Gauge(Widget):
    """One gauge line, redrawn from its last values at whatever width it has."""

    DEFAULT_CSS = """
    Gauge { height: 1; width: 1fr; }
    """

    def __init__(self, label: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.label = label
        self.percent: float | None = None
        self.value = "-"
        self.severity = "ok"

    def set(self, percent: float | None, value: str, severity: str = "ok") -> None:
        self.percent, self.value, self.severity = percent, value, severity
        self.refresh()

    def render(self) -> Content:
        return gauge_line(self.label, self.percent, self.value, self.severity, self.size.width)


class GaugeList(Widget):
    """Several gauges sharing one label column, one line each (the disks), under a title
    whose right-hand ``columns`` sit over the values: a single widget, so a mount
    appearing or going away changes text, not the DOM."""

    DEFAULT_CSS = """
    GaugeList { height: auto; width: 1fr; }
    """
    MAX_LABEL = 10

    def __init__(
        self, *, title: str = "", columns: str = "", empty: str = "-", id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.title, self.columns, self.empty = title, columns, empty
        self.rows: list[tuple[str, float | None, str, str]] = []

    def set(self, rows: Iterable[tuple[str, float | None, str, str]]) -> None:
        """Rows of (label, percent, value, severity)."""
        self.rows = list(rows)
        self.refresh(layout=True)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return bool(self.title) + max(len(self.rows), 1)

    def render(self) -> Content:
        width = self.size.width
        lines: list[Content] = []
        if self.title:
            room = max(width - len(self.columns), 1)
            title = Content(self.title).truncate(room, pad=True)
            lines.append(Content.assemble(title, self.columns).stylize(TITLE_STYLE))
        if not self.rows:
            lines.append(Content.styled(self.empty, LABEL_STYLE))
        else:
            label_width = min(max(len(row[0]) for row in self.rows), self.MAX_LABEL) + 1
            lines += [
                gauge_line(label, percent, value, level, width, label_width=label_width)
                for label, percent, value, level in self.rows
            ]
        return Content("\n").join(lines)


class HistorySparkline(Sparkline):
    """Textual's Sparkline, drawn as a monitor draws history: one column per sample, the
    newest on the right, and a fixed floor of zero (and ceiling, for percentages). The
    stock rendering stretches the series over the width and scales it to its own minimum
    and maximum, which turns memory moving from 5.1% to 5.2% into a full-height swing."""

    BARS = "▁▂▃▄▅▆▇█"

    def __init__(self, *, ceiling: float | None = None, id: str | None = None) -> None:
        super().__init__([], id=id)
        self.ceiling = ceiling
        """The value drawn full height (100 for a percentage); a higher visible value
        raises it. None: the visible maximum."""

    def render(self) -> Content:
        width = self.size.width
        values = [float(v) for v in (self.data or [])][-width:] if width > 0 else []
        _, base = self.background_colors
        low = base + self.get_component_styles("sparkline--min-color").color
        high = base + self.get_component_styles("sparkline--max-color").color
        top = max(self.ceiling or 0.0, *values, 0.0) or 1.0
        cells: list[tuple[str, Style] | str] = [" " * (width - len(values))]
        for value in values:
            ratio = min(max(value / top, 0.0), 1.0)
            bar = self.BARS[round(ratio * (len(self.BARS) - 1))]
            cells.append((bar, Style(foreground=low.blend(high, ratio))))
        return Content.assemble(*cells)


class SparklineRow(Vertical):
    """A gauge over a sparkline of the same measure, with a short detail to its right
    (``6.1/7.6G``). ``ceiling``: 100 for percentages; None scales the history to its
    visible maximum (load, network rates)."""

    DEFAULT_CSS = """
    SparklineRow { height: auto; }
    SparklineRow > Horizontal { height: 1; }
    SparklineRow HistorySparkline { width: 1fr; }
    SparklineRow .detail {
        width: 11; padding-left: 1; text-align: right; color: $foreground-muted;
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    """

    def __init__(
        self,
        label: str,
        *,
        ceiling: float | None = None,
        id: str | None = None,
        history: int = HISTORY,
    ) -> None:
        super().__init__(id=id)
        self.label = label
        self.ceiling = ceiling
        self.history: deque[float] = deque(maxlen=history)

    def compose(self) -> ComposeResult:
        yield Gauge(self.label)
        with Horizontal():
            yield HistorySparkline(ceiling=self.ceiling)
            yield Static("", classes="detail", markup=False)

    def push(
        self,
        point: float | None,
        *,
        percent: float | None,
        value: str,
        severity: str = "ok",
        detail: str = "",
        ceiling: float | None = None,
        history_shown: bool = True,
    ) -> None:
        """Show a new reading; ``point`` (when known) joins the sparkline's history.
        ``ceiling`` changes the sparkline's full height (the load's: the CPU count);
        ``history_shown=False`` saves the line when there is nothing to follow (no swap)."""
        self.query_one(Horizontal).display = history_shown
        sparkline = self.query_one(HistorySparkline)
        if ceiling is not None:
            sparkline.ceiling = ceiling
        if point is not None:
            self.history.append(point)
            sparkline.data = list(self.history)
        self.query_one(Gauge).set(percent, value, severity)
        self.query_one(".detail", Static).update(detail)

    def clear(self) -> None:
        """Forget the history (another host is shown now)."""
        self.history.clear()
        self.query_one(HistorySparkline).data = []
        self.query_one(Gauge).set(None, "-")
        self.query_one(".detail", Static).update("")
