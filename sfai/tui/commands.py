"""Command palette entries for every sfai action.

The palette contract (what the app, or a screen, implements)::

    def palette_actions(self) -> list[tuple[str, str, Callable[[], object]]]:
        return [
            ("New conversation", "Start over; the current one stays in history", self.action_new),
            ("Switch host", "Pick the host the conversation and sidebar follow", ...),
        ]

Each entry is ``(name, help, callback)``: ``name`` is what the palette shows and matches
against, ``help`` one line under it, ``callback`` a callable taking no argument, plain or
``async``, run once the palette has closed. ``SfaiCommands`` asks the screen the palette
was opened from first (entries that only make sense there), then the app; either may
leave the method out. The list is read each time the palette opens, so entries can depend
on the current state (e.g. "Switch to act mode" only outside act mode).

Register the provider next to Textual's own commands (theme, keys, quit...)::

    class SfaiApp(App[None]):
        COMMANDS = App.COMMANDS | {SfaiCommands}
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

PaletteAction = tuple[str, str, Callable[[], Any]]
"""(name, one-line help, callback without arguments)."""


def palette_actions_of(*sources: object) -> list[PaletteAction]:
    """The entries the given objects report through ``palette_actions()``, in order.

    Objects without the method add nothing; a name already given by an earlier source is
    not repeated.
    """
    entries: list[PaletteAction] = []
    seen: set[str] = set()
    for source in sources:
        method = getattr(source, "palette_actions", None)
        if not callable(method):
            continue
        for name, help_text, callback in method():
            if name not in seen:
                seen.add(name)
                entries.append((name, help_text, callback))
    return entries


class SfaiCommands(Provider):
    """The palette's sfai entries: whatever the current screen and the app report."""

    _entries: list[PaletteAction] = []

    async def startup(self) -> None:
        """Read the entries once per opening of the palette."""
        self._entries = palette_actions_of(self.screen, self.app)

    async def discover(self) -> Hits:
        """Every entry, shown before anything is typed."""
        for name, help_text, callback in self._entries:
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        """The entries whose name matches what was typed, best first."""
        matcher = self.matcher(query)
        for name, help_text, callback in self._entries:
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
