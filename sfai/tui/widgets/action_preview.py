"""The dry-run of an action, shown the way a person reads it.

``preview_kind`` decides from the result's shape, not the tool's name, so a new action
that returns the same shape is shown the same way:

- ``diff``: a ``diff`` string (a config change): the summary, +/- counts, the coloured diff;
- ``files``: ``targets`` and ``total_bytes`` (``clean_disk``): files with sizes, the total;
- ``service``: ``service`` and ``command`` (restarts): the service, its current state, the
  exact command (and the reset command, other managers, recent logs when not running);
- ``text``: anything else: the tool's own rendering (``preview_text``);
- ``none``: no dry-run at all (a tool without one): said plainly.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterable, Mapping
from typing import Any

from textual.app import ComposeResult
from textual.containers import ScrollableContainer
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Static

from sfai.core.approval import ApprovalRequest
from sfai.tui.widgets.diff_view import DiffView, diff_stats
from sfai.tui.widgets.file_list import FileList
from sfai_agent.tools.services import human_duration

MUTED = "$text-muted"
LABEL_WIDTH = 9
LOG_LINES = 8
STATE_STYLES = {"running": "$text-success", "failed": "$text-error"}


def preview_kind(request: ApprovalRequest) -> str:
    preview = request.preview
    if preview is None:
        return "none"
    if isinstance(preview.get("diff"), str) and preview["diff"].strip():
        return "diff"
    if isinstance(preview.get("targets"), list) and "total_bytes" in preview:
        return "files"
    if isinstance(preview.get("service"), str) and isinstance(preview.get("command"), list):
        return "service"
    return "text"


def service_state(before: Mapping[str, Any]) -> str:
    """``running (RUNNING), pid 4242, up 1h`` from a restart preview's ``before``."""
    state = str(before.get("state") or "unknown")
    raw = str(before.get("raw_state") or "")
    text = state + (f" ({raw})" if raw and raw.lower() != state else "")
    if before.get("pid") is not None:
        text += f", pid {before['pid']}"
    if isinstance(before.get("uptime_s"), int | float):
        text += f", up {human_duration(int(before['uptime_s']))}"
    return text


def _field(label: str, value: str | Content, style: str = "") -> Content:
    body = value if isinstance(value, Content) else Content.styled(value, style)
    return Content.assemble((label.ljust(LABEL_WIDTH), MUTED), body)


def _argv(value: object) -> str:
    return shlex.join(str(a) for a in value) if isinstance(value, list) else str(value)


def service_content(preview: Mapping[str, Any]) -> Content:
    raw = preview.get("before")
    before: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    state = str(before.get("state") or "unknown")
    manager = str(preview.get("manager") or "?")
    lines = [
        _field("Service", Content.assemble((str(preview["service"]), "bold"), f" · {manager}")),
        _field("Now", service_state(before), STATE_STYLES.get(state, "$text-warning")),
    ]
    if preview.get("reset_command"):
        lines.append(_field("First", _argv(preview["reset_command"]), "bold"))
    lines.append(_field("Command", _argv(preview["command"]), "bold"))
    if preview.get("also_in"):
        others = ", ".join(str(m) for m in preview["also_in"])
        lines.append(_field("Note", f"also a service of {others}; only {manager}'s is restarted"))
    logs = [str(line) for line in preview.get("recent_logs") or []]
    if logs:
        lines.append(Content.styled(f"Last {min(len(logs), LOG_LINES)} log lines", MUTED))
        lines += [Content(f"  {line}") for line in logs[-LOG_LINES:]]
    if preview.get("logs_error"):
        lines.append(_field("Logs", str(preview["logs_error"]), MUTED))
    return Content("\n").join(lines)


def _summary(preview: Mapping[str, Any], *extra: Content) -> Iterable[Widget]:
    lines = [Content(str(preview["summary"]))] if preview.get("summary") else []
    lines += extra
    if lines:
        yield Static(Content("\n").join(lines), classes="preview-summary")


class ActionPreview(ScrollableContainer, can_focus=True):
    """The scrollable dry-run area of the approval modal; takes the focus when it opens so
    the arrow keys scroll it and Enter does nothing. File lists and diffs do not wrap:
    long paths and lines scroll sideways."""

    DEFAULT_CSS = """
    ActionPreview {
        height: auto;
        overflow: auto auto;
    }
    ActionPreview > .preview-summary {
        padding: 0 1;
        margin-bottom: 1;
    }
    ActionPreview > .preview-body {
        padding: 0 1;
    }
    ActionPreview > .preview-none {
        padding: 0 1;
        color: $text-warning;
    }
    """

    def __init__(self, request: ApprovalRequest, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.request = request
        self.kind = preview_kind(request)

    def compose(self) -> ComposeResult:
        preview = self.request.preview or {}
        if self.kind == "none":
            yield Static(
                "This tool has no dry-run: approving runs it directly, with the arguments "
                "shown above.",
                classes="preview-none",
            )
        elif self.kind == "diff":
            added, removed = diff_stats(preview["diff"])
            yield from _summary(
                preview,
                Content.assemble(
                    (f"+{added}", "$text-success"), " ", (f"-{removed}", "$text-error"), " lines"
                ),
            )
            yield DiffView(preview["diff"], id="preview-diff")
        elif self.kind == "files":
            yield FileList(preview, id="preview-files")
        elif self.kind == "service":
            yield Static(service_content(preview), id="preview-service", classes="preview-body")
        else:
            text = self.request.preview_text or json.dumps(
                preview, indent=2, ensure_ascii=False, default=str
            )
            yield Static(Content(text), id="preview-text", classes="preview-body")
