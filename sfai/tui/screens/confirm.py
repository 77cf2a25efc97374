"""A yes/no question before something that cannot be undone.

``ConfirmScreen(question, detail="", confirm="Delete")`` dismisses with ``True`` (``y`` or a
click on the confirm button) or ``False`` (``n``, ``escape``, Cancel). The focus starts on
Cancel, so a stray Enter cancels.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmScreen(ModalScreen[bool]):
    CSS_PATH = "confirm.tcss"
    AUTO_FOCUS = "#cancel"
    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n", "answer(False)", "No"),
        Binding("escape", "answer(False)", "Cancel", show=False),
    ]

    def __init__(self, question: str, detail: str = "", confirm: str = "Delete") -> None:
        super().__init__()
        self.question = question
        self.detail = detail
        self.confirm = confirm

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog"):
            yield Static(Content(self.question), id="confirm-question")
            if self.detail:
                yield Static(Content(self.detail), id="confirm-detail")
            with Horizontal(id="confirm-buttons"):
                yield Button(Content(f"{self.confirm} (y)"), variant="error", id="confirm")
                yield Button(Content("Cancel (n)"), id="cancel")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm")
