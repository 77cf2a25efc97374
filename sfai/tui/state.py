"""What the TUI knows while it runs: the core session, the mode, the open conversation.

No Textual here: screens read and change a :class:`TuiState`; :func:`sfai.tui.factory.
make_app` builds it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sfai import __version__
from sfai.core.approval import Approver, NoTerminalApprover
from sfai.core.events import Usage
from sfai.core.host import Host
from sfai.core.session import Session


@dataclass(frozen=True)
class TuiOptions:
    """How the TUI looks and behaves; tests turn off whatever changes between runs."""

    theme: str | None = None
    """``--theme`` or the config's; None: the default theme."""
    metrics: bool = True
    """Show the live metrics sidebar at start (Ctrl+B toggles it)."""
    metrics_interval: float = 1.5
    """Seconds between two samples; 0: never sample (tests, snapshots)."""
    cursor_blink: bool = True
    timings: bool = True
    """Durations on tool cards (they differ from run to run)."""
    version: str = __version__
    """Shown on the welcome panel; ``""`` hides it."""
    animations: bool = True
    first_frame_file: Path | None = None
    """Benchmarks: write the time of the first frame there, then exit."""


@dataclass
class TuiState:
    session: Session
    options: TuiOptions
    mode: str
    open_host: Callable[[str], Host]
    """Opens a host of the inventory by name (``sfai.hosts.open_host``); raises
    ``LookupError`` for an unknown one."""
    local_hostname: str = ""
    """This machine's name, shown next to the ``local`` host (``""``: none)."""
    approver: Approver = field(default_factory=NoTerminalApprover)
    conversation_id: str | None = None
    usage: Usage = field(default_factory=Usage)
    """What the open conversation has cost so far (all its questions)."""

    @property
    def host(self) -> Host:
        return self.session.host

    @property
    def hostname(self) -> str:
        """The machine name shown next to the host's inventory name, if any."""
        return self.local_hostname if self.host.name == "local" else ""

    def new_conversation(self) -> None:
        self.conversation_id = None
        self.usage = Usage()
