"""A unified diff, coloured by the theme: added lines in the success colour, removed lines
in the error colour, hunk headers in the accent colour.

Generic: any unified diff string (``preview["diff"]`` of a config change), whatever tool
produced it. The text is shown as is: nothing in it is read as markup.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

ADDED = "$text-success on $success-muted"
REMOVED = "$text-error on $error-muted"
HUNK = "$text-accent"
HEADER = "bold"
CONTEXT = ""


def line_style(line: str) -> str:
    """The theme style of one diff line (file headers before the +/- test: ``+++``/``---``)."""
    if line.startswith(("+++", "---", "diff ", "index ")):
        return HEADER
    if line.startswith("@@"):
        return HUNK
    if line.startswith("+"):
        return ADDED
    if line.startswith("-"):
        return REMOVED
    return CONTEXT


def diff_content(diff: str) -> Content:
    """The diff as styled content, one span per line; tabs expanded so columns hold."""
    lines = diff.expandtabs(4).rstrip("\n").splitlines()
    return Content("\n").join(Content.styled(line, line_style(line)) for line in lines)


def diff_stats(diff: str) -> tuple[int, int]:
    """(lines added, lines removed), headers not counted."""
    added = removed = 0
    for line in diff.splitlines():
        style = line_style(line)
        added += style == ADDED
        removed += style == REMOVED
    return added, removed


class DiffView(Static):
    """A unified diff with +/- lines coloured through theme variables."""

    DEFAULT_CSS = """
    DiffView {
        width: auto;
        min-width: 100%;
        height: auto;
        text-wrap: nowrap;
        padding: 0 1;
    }
    """

    def __init__(self, diff: str, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(diff_content(diff), id=id, classes=classes)
        self.diff = diff
