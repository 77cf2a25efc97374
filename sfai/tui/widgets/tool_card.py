"""A tool call as a compact card: what was called, how it went, the whole result on demand."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.events import Click
from textual.reactive import reactive
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Label, Static

from sfai.tui.text import clean, duration, first_line, signature
from sfai.tui.widgets import css_beside

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
ICONS = {"ok": "✓", "error": "✗", "interrupted": "■"}
APPROVALS = {
    "once": "approved once",
    "always": "approved for this session",
    "no": "declined",
    "pending": "not run: waiting for approval",
}


def error_line(result: dict[str, Any] | None, content: str) -> str:
    """``not_found: no service named foo`` from an error result, else its first line."""
    error = (result or {}).get("error")
    if isinstance(error, dict):
        parts = [str(error.get(key) or "") for key in ("code", "message")]
        return clean(": ".join(part for part in parts if part))
    return first_line(content) or "failed"


class ToolCard(Widget, can_focus=True):
    """One tool call. Running: a spinner. Done: ✓ or ✗, the duration and a one-line
    preview; Enter (or a click) shows the full result as the model read it."""

    DEFAULT_CSS = css_beside(__file__)
    BINDINGS = [Binding("enter,space", "toggle_details", "Details")]

    expanded: reactive[bool] = reactive(False)

    def __init__(
        self,
        call_id: str,
        name: str,
        arguments: dict[str, Any],
        risk: str = "read_only",
        *,
        timings: bool = True,
    ) -> None:
        super().__init__(classes="-running")
        self.call_id = call_id
        self.tool = name
        self.arguments = arguments
        self.risk = risk
        self.timings = timings
        self.state = "running"
        self.content = ""
        self.preview = ""
        self.approval = ""
        self.duration_s: float | None = None
        self.cached = False
        self._frame = 0
        self._spinner: Timer | None = None
        if risk not in ("read_only", "unknown"):
            self.add_class("-action")

    def compose(self) -> ComposeResult:
        with Horizontal(id="head"):
            yield Label(SPINNER[0], id="icon")
            yield Label(signature(self.tool, self.arguments), id="call", markup=False)
            yield Label(self._status_text(), id="status", markup=False)
        yield Label("", id="preview", markup=False)
        yield Static("", id="details", markup=False)

    def on_mount(self) -> None:
        if self.state == "running":
            self._spinner = self.set_interval(0.1, self._spin)
        else:
            self._show()

    # -- what the conversation calls -------------------------------------------------

    def finish(
        self,
        *,
        ok: bool,
        content: str,
        result: dict[str, Any] | None = None,
        duration_s: float | None = None,
        cached: bool = False,
    ) -> None:
        """The result arrived: stop the spinner, show the outcome."""
        self.state = "ok" if ok else "error"
        self.content = clean(content)
        if not ok:
            self.preview = error_line(result, content)
        else:
            self.preview = first_line(content) or "done"
        self.duration_s = duration_s
        self.cached = cached
        if self.is_mounted:
            self._show()

    def interrupt(self) -> None:
        """The run stopped before this call's result came back."""
        if self.state == "running":
            self.state = "interrupted"
            self.preview = "no result: the run was stopped"
            self.duration_s = None
            self.cached = False
            if self.is_mounted:
                self._show()

    def note_approval(self, decision: str, by: str) -> None:
        self.approval = APPROVALS.get(decision, decision) + (f" by {by}" if by else "")
        if self.is_mounted:
            self._show()

    # -- display ----------------------------------------------------------------------

    def _status_text(self) -> str:
        if self.state == "running":
            return "running"
        parts: list[str] = []
        if self.risk not in ("read_only", "unknown"):
            parts.append(f"{self.risk} risk")
        if self.cached:
            parts.append("reused")
        elif self.timings and self.duration_s is not None:
            parts.append(duration(self.duration_s))
        return " · ".join(parts)

    def _show(self) -> None:
        if self._spinner is not None:
            self._spinner.stop()
            self._spinner = None
        self.set_class(False, "-running")
        self.set_class(self.state == "ok", "-ok")
        self.set_class(self.state in ("error", "interrupted"), "-error")
        self.query_one("#icon", Label).update(ICONS.get(self.state, "?"))
        self.query_one("#status", Label).update(self._status_text())
        preview = self.preview + (f" · {self.approval}" if self.approval else "")
        self.query_one("#preview", Label).update(f"└ {preview}")
        self.query_one("#details", Static).update(
            signature(self.tool, self.arguments) + "\n\n" + (self.content or self.preview)
        )

    def _spin(self) -> None:
        self._frame = (self._frame + 1) % len(SPINNER)
        self.query_one("#icon", Label).update(SPINNER[self._frame])

    def watch_expanded(self, expanded: bool) -> None:
        self.set_class(expanded, "-expanded")

    def action_toggle_details(self) -> None:
        if self.state != "running":
            self.expanded = not self.expanded

    def on_click(self, event: Click) -> None:
        event.stop()
        self.focus()
        self.action_toggle_details()
