"""The help screen: key bindings and slash commands, one line each."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label

from sfai.tui import slash


class HelpScreen(ModalScreen[None]):
    """Lists key bindings and slash commands as (key or usage, one-line explanation).

    ``bindings``: default, those of the screen below and of the app; ``slash_commands``:
    default, every command of sfai.tui.slash. Escape, q or F1 close it."""

    CSS_PATH = "help.tcss"
    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("q", "dismiss", "Close", show=False),
        Binding("f1", "dismiss", "Close", show=False),
    ]

    def __init__(
        self,
        bindings: list[tuple[str, str]] | None = None,
        slash_commands: Sequence[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__()
        self.key_bindings = None if bindings is None else list(bindings)
        self.slash_commands = (
            [(spec.usage, spec.help) for spec in slash.COMMANDS.values()]
            if slash_commands is None
            else list(slash_commands)
        )

    def _bindings_below(self) -> list[tuple[str, str]]:
        """The bindings of the screen under this one, then the app's: every one with a
        description, hidden from the footer or not; not those of the focused widget
        (cursor keys of an input...)."""
        app = self.app
        stack = app.screen_stack
        position = stack.index(self) if self in stack else 0
        if position == 0:
            return []
        keys: dict[tuple[str, str], list[str]] = {}  # (action, description) -> keys
        seen: set[str] = set()
        for node in (stack[position - 1], app):
            # the node's own bindings: BINDINGS of its classes merged, the keymap applied
            for key, bindings in node._bindings.key_to_bindings.items():
                for binding in bindings:
                    if binding.description and not binding.system and key not in seen:
                        seen.add(key)
                        shown = app.get_key_display(binding)
                        keys.setdefault((binding.action, binding.description), []).append(shown)
        return [(" / ".join(shown), description) for (_, description), shown in keys.items()]

    def compose(self) -> ComposeResult:
        if self.key_bindings is None:
            self.key_bindings = self._bindings_below()
        with Vertical(id="help-dialog") as dialog:
            dialog.border_title = "sfai help"
            dialog.border_subtitle = "esc close"
            with VerticalScroll(id="help-body"):
                yield Label("Keys", classes="help-section")
                yield self._table("help-keys", self.key_bindings)
                yield Label("Slash commands (type them in the input)", classes="help-section")
                yield self._table("help-slash", self.slash_commands)

    @staticmethod
    def _table(table_id: str, rows: Sequence[tuple[str, str]]) -> Grid:
        cells: list[Label] = []
        for key, text in rows:
            cells += [
                Label(key, markup=False, classes="help-key"),
                Label(text, markup=False, classes="help-text"),
            ]
        if not cells:
            cells = [Label("-", classes="help-key"), Label("none", classes="help-text")]
        return Grid(*cells, id=table_id, classes="help-table")
