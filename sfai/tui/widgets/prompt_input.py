"""The prompt: questions and /commands, several lines when needed, with history."""

from __future__ import annotations

from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widgets import TextArea

from sfai.tui.slash import complete
from sfai.tui.widgets import css_beside

NEWLINE_KEYS = frozenset({"shift+enter", "alt+enter", "ctrl+j"})
"""Keys that start a new line. Terminals send Enter and Shift+Enter alike unless they
speak the kitty keyboard protocol; Ctrl+J (a plain line feed) works in every terminal."""
PLACEHOLDER = "Ask about this server, or type / for commands"


class PromptInput(TextArea):
    """Enter sends; Shift+Enter, Alt+Enter or Ctrl+J start a new line. Up on the first
    line and Down on the last walk through what was sent before (the draft is kept).
    A ``/command`` being typed shows its completion: Right or Tab accepts it."""

    DEFAULT_CSS = css_beside(__file__)
    BINDINGS = [
        Binding("enter", "submit", "Send", show=False),
        Binding("ctrl+j", "newline", "New line", key_display="^J", show=False),
    ]

    class Submitted(Message):
        """The person sent ``text`` (never empty)."""

        def __init__(self, prompt: PromptInput, text: str) -> None:
            super().__init__()
            self.prompt = prompt
            self.text = text

        @property
        def control(self) -> PromptInput:
            return self.prompt

    def __init__(
        self,
        *,
        sent: list[str] | None = None,
        cursor_blink: bool = True,
        id: str | None = None,
    ) -> None:
        super().__init__(
            id=id,
            soft_wrap=True,
            tab_behavior="focus",
            show_line_numbers=False,
            highlight_cursor_line=False,
            placeholder=PLACEHOLDER,
        )
        self.cursor_blink = cursor_blink
        self.sent: list[str] = list(sent or [])
        self._index = len(self.sent)
        self._draft = ""

    # -- keys -------------------------------------------------------------------------

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self.action_submit()
            return
        if event.key in NEWLINE_KEYS:
            event.stop()
            event.prevent_default()
            self.action_newline()
            return
        if event.key == "tab" and self.suggestion:
            event.stop()
            event.prevent_default()
            self.insert(self.suggestion)
            return
        await super()._on_key(event)

    def action_submit(self) -> None:
        text = self.text
        if not text.strip():
            return
        self.remember(text)
        self.clear()
        self.post_message(self.Submitted(self, text.strip()))

    def action_newline(self) -> None:
        start, end = self.selection
        self.replace("\n", start, end)

    def action_cursor_up(self, select: bool = False) -> None:
        if not select and self.cursor_location[0] == 0 and self._index > 0:
            self._recall(self._index - 1)
            return
        super().action_cursor_up(select)

    def action_cursor_down(self, select: bool = False) -> None:
        last_row = self.document.line_count - 1
        if not select and self.cursor_location[0] == last_row and self._index < len(self.sent):
            self._recall(self._index + 1)
            return
        super().action_cursor_down(select)

    # -- history ----------------------------------------------------------------------

    def remember(self, text: str) -> None:
        """Add ``text`` to the history (not twice in a row) and stop browsing it."""
        text = text.strip()
        if text and (not self.sent or self.sent[-1] != text):
            self.sent.append(text)
        self._index = len(self.sent)
        self._draft = ""

    def _recall(self, index: int) -> None:
        if self._index == len(self.sent):
            self._draft = self.text
        self._index = index
        self.load_text(self.sent[index] if index < len(self.sent) else self._draft)
        self.move_cursor(self.document.end)

    def update_suggestion(self) -> None:
        at_end = self.cursor_location == self.document.end
        self.suggestion = complete(self.text) if at_end else ""
