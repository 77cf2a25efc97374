"""The hosts switcher: every configured host, whether it answers, how fast; pick one.

``HostsScreen(hosts, current, timeout_s=5.0)`` is a ``ModalScreen[str | None]``: it
dismisses with the name of the host chosen (Enter or a click), or ``None`` (escape).
``hosts`` is a list of :class:`HostInfo`, or a callable returning one (called when the
screen opens and on ``r``, so a host added meanwhile shows up).

Each host is checked concurrently in a worker of its own, under ``timeout_s``: its
``probe`` if it has one, else ``host.call_tool("get_system_overview", {})`` (the same
interface everything else uses, so a remote transport needs nothing special). The list
shows a spinner, then ✓ and the round trip in ms, or ✗ and why.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from sfai.core.config import Config
from sfai.core.host import Host

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
PROBE_TOOL = "get_system_overview"


class Reachable(Protocol):
    """What the check needs of a host: the ``Host`` protocol's ``call_tool``."""

    async def call_tool(
        self, name: str, arguments: dict[str, Any], *, approved: bool = False
    ) -> dict[str, Any]: ...


@dataclass(frozen=True)
class HostInfo:
    """One configured host, as the switcher shows and checks it."""

    name: str
    host: Reachable | None = None
    """The host object (the ``Host`` protocol); its ``call_tool`` is the default check."""
    transport: str = "local"
    """``local`` (in-process), ``agent`` (sfai-agent over WebSocket), ``ssh``."""
    address: str = ""
    """Where it is reached: ``wss://web1:7443``, ``deploy@web1``; empty for local."""
    probe: Callable[[], Awaitable[object]] | None = None
    """A check of its own (a transport's ping); raising or returning ``{"ok": false}``
    means unreachable."""

    @property
    def where(self) -> str:
        if self.transport == "local" and not self.address:
            return "this machine"
        return f"{self.transport} {self.address}".strip()


@dataclass(frozen=True)
class Reachability:
    state: str
    """``checking``, ``up`` or ``down``."""
    latency_ms: float | None = None
    message: str = ""


CHECKING = Reachability("checking")
HostsSource = Sequence[HostInfo] | Callable[[], Sequence[HostInfo]]


def configured_hosts(config: Config, opened: Mapping[str, Host] | None = None) -> list[HostInfo]:
    """The hosts of the configuration, reusing the host objects already open (``opened``,
    by name) so the check does not open a second connection. Today: ``local``; remote
    hosts join the list with ``sfai hosts add``."""
    from sfai.hosts import open_host

    opened = opened or {}
    local = opened.get("local") or open_host("local", config)
    return [HostInfo("local", local, "local")]


def _error_text(exc: BaseException) -> str:
    """``Connection refused``, not ``[Errno 111] Connection refused``."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc).strip() or type(exc).__name__


async def check(info: HostInfo, timeout_s: float) -> Reachability:
    """Whether ``info`` answers within ``timeout_s``, and its round trip."""
    started = time.monotonic()
    try:
        if info.probe is not None:
            result = await asyncio.wait_for(info.probe(), timeout_s)
        elif info.host is not None:
            result = await asyncio.wait_for(info.host.call_tool(PROBE_TOOL, {}), timeout_s)
        else:
            return Reachability("down", message="no way to reach it is configured")
    except TimeoutError:
        return Reachability("down", message=f"no answer within {timeout_s:g} s")
    except Exception as exc:  # a transport's error, whatever its type: the host is down
        return Reachability("down", message=_error_text(exc))
    elapsed_ms = (time.monotonic() - started) * 1000
    if isinstance(result, Mapping) and result.get("ok") is False:
        error = result.get("error")
        message = error.get("message", "") if isinstance(error, Mapping) else ""
        return Reachability("down", elapsed_ms, str(message) or "the check failed")
    return Reachability("up", elapsed_ms)


class HostsScreen(ModalScreen[str | None]):
    """Pick the host the conversation and the sidebar follow."""

    CSS_PATH = "hosts.tcss"
    AUTO_FOCUS = "#hosts-list"
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("r", "recheck", "Check again"),
    ]

    def __init__(self, hosts: HostsSource, current: str, *, timeout_s: float = 5.0) -> None:
        super().__init__()
        self.source = hosts
        self.current = current
        self.timeout_s = timeout_s
        self.hosts: list[HostInfo] = []
        self.reachability: dict[str, Reachability] = {}
        self._frame = 0
        self._spinner: Timer | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="hosts-dialog") as dialog:
            dialog.border_title = "Hosts"
            dialog.border_subtitle = "enter switch · r check again · esc close"
            yield OptionList(id="hosts-list")
            yield Static(id="hosts-note")

    def on_mount(self) -> None:
        self._spinner = self.set_interval(0.1, self._spin)
        self.action_recheck()

    # -- checking ---------------------------------------------------------------
    def action_recheck(self) -> None:
        self.hosts = list(self.source() if callable(self.source) else self.source)
        self.reachability = {info.name: CHECKING for info in self.hosts}
        self.workers.cancel_group(self, "reachability")
        listing = self.query_one("#hosts-list", OptionList)
        highlighted = listing.highlighted_option
        keep = highlighted.id if highlighted is not None else self.current
        listing.set_options(Option(self._prompt(info), id=info.name) for info in self.hosts)
        names = [info.name for info in self.hosts]
        listing.highlighted = names.index(keep) if keep in names else (0 if names else None)
        note = "" if self.hosts else "No hosts configured."
        self.query_one("#hosts-note", Static).update(Content.styled(note, "$text-muted"))
        for info in self.hosts:
            self.run_worker(self._check(info), group="reachability", exit_on_error=False)
        if self._spinner is not None:
            self._spinner.resume()

    async def _check(self, info: HostInfo) -> None:
        self.reachability[info.name] = await check(info, self.timeout_s)
        self._refresh(info)

    def _spin(self) -> None:
        pending = [i for i in self.hosts if self.reachability.get(i.name) == CHECKING]
        if not pending and self._spinner is not None:
            self._spinner.pause()
        self._frame += 1
        for info in pending:
            self._refresh(info)

    def _refresh(self, info: HostInfo) -> None:
        listing = self.query_one("#hosts-list", OptionList)
        if info.name in (option.id for option in listing.options):
            listing.replace_option_prompt(info.name, self._prompt(info))

    # -- rendering --------------------------------------------------------------
    def _prompt(self, info: HostInfo) -> Content:
        width = max((len(i.name) for i in self.hosts), default=0)
        where = max((len(i.where) for i in self.hosts), default=0)
        status = self.reachability.get(info.name, CHECKING)
        marker = ("● ", "$text-accent") if info.name == self.current else "  "
        return Content.assemble(
            marker,
            (info.name.ljust(width), "bold"),
            "  ",
            (info.where.ljust(where), "$text-muted"),
            "  ",
            self._status(status),
        )

    def _status(self, status: Reachability) -> Content:
        if status.state == "checking":
            frame = SPINNER[self._frame % len(SPINNER)]
            return Content.styled(f"{frame} checking…", "$text-muted")
        if status.state == "up":
            return Content.styled(f"✓ {status.latency_ms or 0:.0f} ms", "$text-success")
        return Content.styled(f"✗ {status.message}", "$text-error")

    # -- choosing ---------------------------------------------------------------
    @on(OptionList.OptionSelected, "#hosts-list")
    def chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_close(self) -> None:
        self.dismiss(None)
