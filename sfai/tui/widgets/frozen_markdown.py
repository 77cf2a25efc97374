"""Markdown that no longer changes, drawn as one widget: the older part of a long reply.

Textual's ``Markdown`` widget is a widget per block (and more for lists and code), and
every layout costs in proportion to the widgets on the screen. A streaming reply is
sealed into a :class:`FrozenMarkdown` every few blocks (see
``sfai.tui.widgets.conversation.ReplyWriter``), so a 20,000-token reply lays out as fast
as a short one. It is drawn by Rich's Markdown renderer, headings kept on the left as
Textual draws them, and rewraps when the terminal is resized.

It draws line by line (Textual's line API) from lines it renders once per width, and
:meth:`FrozenMarkdown.forget` drops them when it is off screen: a long conversation
keeps its text, not thousands of rendered lines for the garbage collector to walk.
"""

from __future__ import annotations

from typing import ClassVar

from rich.console import JustifyMethod
from rich.markdown import Heading, Markdown
from rich.markdown import MarkdownElement as RichElement
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget


class _LeftHeading(Heading):
    LEVEL_ALIGN: ClassVar[dict[str, JustifyMethod]] = dict.fromkeys(
        ("h1", "h2", "h3", "h4", "h5", "h6"), "left"
    )


class _Markdown(Markdown):
    elements: ClassVar[dict[str, type[RichElement]]] = {
        **Markdown.elements,
        "heading_open": _LeftHeading,
    }


class FrozenMarkdown(Widget):
    """A finished stretch of Markdown, rendered once per width."""

    DEFAULT_CSS = """
    FrozenMarkdown {
        height: auto;
    }
    """

    def __init__(self, source: str, *, classes: str = "reply") -> None:
        super().__init__(classes=classes)
        self.source = source
        self._lines: list[Strip] = []
        self._lines_width = -1
        self._height = (-1, 0)
        """(width, height): kept when the lines are forgotten, so layouts stay cheap."""

    def _render_lines_at(self, width: int) -> list[Strip]:
        if width != self._lines_width:
            app = self.app
            options = app.console_options.update_width(width).update(highlight=False)
            markdown = _Markdown(
                self.source,
                code_theme="ansi_dark" if app.current_theme.dark else "ansi_light",
                hyperlinks=False,
            )
            rendered = app.console.render_lines(markdown, options, style=self.rich_style)
            self._lines = [Strip(line, width) for line in rendered]
            self._lines_width = width
            self._height = (width, len(self._lines))
        return self._lines

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        if self._height[0] != width:
            self._render_lines_at(width)
        return self._height[1]

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        lines = self._render_lines_at(width)
        return lines[y] if y < len(lines) else Strip.blank(width, self.rich_style)

    def forget(self) -> None:
        """Drop the rendered lines (drawn again if it comes back on screen)."""
        self._lines = []
        self._lines_width = -1
        self.refresh()
