"""Markdown that no longer changes, drawn as one widget: the older part of a long reply.

Textual's ``Markdown`` widget is a widget per block (and more for lists and code), and
every layout costs in proportion to the widgets on the screen. A streaming reply is
sealed into a :class:`FrozenMarkdown` every few dozen blocks (see
``sfai.tui.widgets.conversation.ReplyWriter``), so a 20,000-token reply lays out as fast
as a short one. It is drawn by Rich's Markdown renderer, headings kept on the left as
Textual draws them; it rewraps when the terminal is resized.
"""

from __future__ import annotations

from typing import ClassVar

from rich.console import JustifyMethod, RenderableType
from rich.markdown import Heading, Markdown
from rich.markdown import MarkdownElement as RichElement
from textual.widgets import Static


class _LeftHeading(Heading):
    LEVEL_ALIGN: ClassVar[dict[str, JustifyMethod]] = dict.fromkeys(
        ("h1", "h2", "h3", "h4", "h5", "h6"), "left"
    )


class _Markdown(Markdown):
    elements: ClassVar[dict[str, type[RichElement]]] = {
        **Markdown.elements,
        "heading_open": _LeftHeading,
    }


class FrozenMarkdown(Static):
    """A finished stretch of Markdown, rendered once per width."""

    DEFAULT_CSS = """
    FrozenMarkdown {
        height: auto;
    }
    """

    def __init__(self, source: str, *, classes: str = "reply") -> None:
        super().__init__(classes=classes)
        self.source = source

    def render(self) -> RenderableType:
        dark = self.app.current_theme.dark
        return _Markdown(
            self.source,
            code_theme="ansi_dark" if dark else "ansi_light",
            hyperlinks=False,
        )
