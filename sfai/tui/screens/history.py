"""The history screen: find a past conversation, read its gist, open, resume or delete it.

``HistoryScreen(store, limit=100)`` is a ``Screen[str | None]``: it dismisses with the id of
the conversation to open (the app shows it, and the next question continues it), or
``None`` when closed.

Keys: type to search (every word, ``word*`` for a prefix: ``search_conversations``); ``down``
from the search box goes to the list; ``enter`` opens the highlighted conversation (from
the list or the search box); ``d`` or ``delete`` deletes it after a confirmation; ``/``
back to the search box; ``escape`` closes.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from sfai.core.store import Store
from sfai.tui.screens.confirm import ConfirmScreen
from sfai.tui.widgets.conversation_card import MARK, details, entry

LIMIT = 100


class HistoryScreen(Screen[str | None]):
    """Past conversations, newest first, searchable."""

    CSS_PATH = "history.tcss"
    AUTO_FOCUS = "#history-search"
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("enter", "open", "Open / resume"),
        Binding("d,delete", "delete", "Delete"),
        Binding("slash", "search", "Search"),
        Binding("down", "to_list", "List", show=False),
    ]

    def __init__(self, store: Store, *, limit: int = LIMIT) -> None:
        super().__init__()
        self.store = store
        self.limit = limit
        self.titles: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        with Vertical(id="history"):
            yield Static(
                Content.assemble(
                    ("History", "bold"),
                    ("   enter open or resume · d delete · / search · esc close", "$text-muted"),
                ),
                id="history-title",
            )
            yield Input(placeholder="Search questions, answers and titles…", id="history-search")
            with Horizontal(id="history-body"):
                yield OptionList(id="history-list")
                with VerticalScroll(id="history-details"):
                    yield Static(id="history-details-body")
        yield Footer()

    def on_mount(self) -> None:
        self.reload()

    # -- the list ---------------------------------------------------------------
    @property
    def query_text(self) -> str:
        return self.query_one("#history-search", Input).value.strip()

    def reload(self, keep: str | None = None) -> None:
        """Fill the list from the store (the search if there is one), keeping ``keep``
        highlighted when it is still there."""
        text = self.query_text
        if text:
            found = self.store.search_conversations(text, self.limit, mark=MARK)
        else:
            found = self.store.list_conversations(self.limit)
        self.titles = {str(c["id"]): str(c.get("title") or "") for c in found}
        listing = self.query_one("#history-list", OptionList)
        options: list[Option | None] = []
        for conversation in found:
            options += [None] if options else []  # a rule between entries
            options.append(Option(entry(conversation), id=str(conversation["id"])))
        listing.set_options(options)
        if not found:
            empty = f"Nothing matches “{text}”." if text else "No conversations yet."
            listing.add_option(Option(Content.styled(empty, "$text-muted"), disabled=True))
            self.show_details(None)
            return
        ids = list(self.titles)
        listing.highlighted = ids.index(keep) if keep in self.titles else 0

    @property
    def selected(self) -> str | None:
        option = self.query_one("#history-list", OptionList).highlighted_option
        return option.id if option is not None and not option.disabled else None

    def show_details(self, conversation_id: str | None) -> None:
        body = self.query_one("#history-details-body", Static)
        conversation = self.store.get_conversation(conversation_id) if conversation_id else None
        if conversation is None:
            body.update(Content.styled("Select a conversation to see it here.", "$text-muted"))
        else:
            body.update(details(conversation))
        self.query_one("#history-details", VerticalScroll).scroll_home(animate=False)

    @on(Input.Changed, "#history-search")
    def search(self) -> None:
        self.reload()

    @on(OptionList.OptionHighlighted, "#history-list")
    def highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.show_details(event.option.id)

    @on(OptionList.OptionSelected, "#history-list")
    def chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.dismiss(event.option.id)

    @on(Input.Submitted, "#history-search")
    def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_open()

    # -- actions ----------------------------------------------------------------
    def action_open(self) -> None:
        if self.selected is not None:
            self.dismiss(self.selected)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_search(self) -> None:
        self.query_one("#history-search", Input).focus()

    def action_to_list(self) -> None:
        self.query_one("#history-list", OptionList).focus()

    def action_delete(self) -> None:
        conversation_id = self.selected
        if conversation_id is None:
            return
        title = self.titles.get(conversation_id, conversation_id)

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._delete(conversation_id, title)

        self.app.push_screen(
            ConfirmScreen(
                f"Delete “{title}”?",
                "Its messages and tool calls are deleted for good; its cost stays counted "
                "in usage, and the audit log keeps its actions.",
            ),
            callback=confirmed,
        )

    def _delete(self, conversation_id: str, title: str) -> None:
        ids = list(self.titles)
        index = ids.index(conversation_id) if conversation_id in ids else 0
        deleted = self.store.delete_conversation(conversation_id)
        after = [i for i in ids if i != conversation_id]
        self.reload(keep=after[min(index, len(after) - 1)] if after else None)
        self.notify(f"Deleted “{title}”." if deleted else "It was already gone.")
