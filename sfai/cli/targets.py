"""Which hosts a command works on: ``--host NAME|@TAG`` (repeatable) and ``--all-hosts``.

Every command that takes ``--host`` resolves it here, so a typo is the same usage error
(exit 2, with the hosts and tags that exist) everywhere, and a host that cannot be
reached is the same clear error (exit 1) rather than a traceback or a hang.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn

from sfai.cli.common import fail
from sfai.core.exit_codes import ExitCode

if TYPE_CHECKING:
    from sfai.core.config import Config
    from sfai.core.host import Host
    from sfai.hosts.inventory import HostEntry, Inventory
    from sfai_agent.tools.base import Masker

CONNECT_TIMEOUT_S = 10.0
"""How long a single-host command waits for its host before saying it is unreachable."""


def _known(inventory: Inventory) -> str:
    tags = sorted({tag for entry in inventory.entries for tag in entry.tags})
    text = "known hosts: " + ", ".join(inventory.names())
    return text + (f"; tags: {', '.join('@' + t for t in tags)}" if tags else "")


def _unknown(message: str, inventory: Inventory | None) -> NoReturn:
    if inventory is not None and "known:" not in message:
        message = f"{message} ({_known(inventory)})"
    fail(ExitCode.USAGE, message, "see `sfai hosts list`")


def load() -> Inventory:
    from sfai.core.paths import sfai_paths
    from sfai.hosts.inventory import InventoryError, load_inventory

    try:
        return load_inventory(sfai_paths())
    except InventoryError as exc:
        fail(ExitCode.USAGE, str(exc), "fix hosts.toml (`sfai hosts list` shows where it is)")


def select(config: Config, hosts: list[str] | None, all_hosts: bool = False) -> list[HostEntry]:
    """The inventory entries the options name: ``--all-hosts``, names and ``@tags``, or
    the configured default host. Exits 2 on anything unknown."""
    from sfai.hosts.inventory import InventoryError

    if all_hosts and hosts:
        fail(ExitCode.USAGE, "give either --all-hosts or --host, not both")
    inventory = load()
    if all_hosts:
        return inventory.all()
    try:
        if not hosts:
            return [inventory.get(config.default_host)]
        return inventory.select(hosts)
    except InventoryError as exc:
        _unknown(str(exc), inventory)


def several(hosts: list[str] | None, all_hosts: bool, entries: list[HostEntry]) -> bool:
    """Whether the person asked about a group (per-host output), even if it holds one host."""
    chosen = hosts or []
    return (
        all_hosts or len(entries) > 1 or len(chosen) > 1 or any(h.startswith("@") for h in chosen)
    )


def single(config: Config, hosts: list[str] | None, what: str) -> HostEntry:
    """The one host of a command that works on one host at a time."""
    entries = select(config, hosts)
    if len(entries) != 1:
        fail(
            ExitCode.USAGE,
            f"{what} works on one host at a time; "
            f"{', '.join(e.name for e in entries)} are {len(entries)}",
            "give one --host; `sfai ask` and `sfai check` take several",
        )
    return entries[0]


def open_all(
    entries: list[HostEntry], config: Config, *, redactor: Masker | None = None
) -> list[Host]:
    """A Host per entry (never connects); an entry that cannot be opened (a transport
    missing from this build, a broken entry) is an ``UnavailableHost`` saying why, so one
    bad entry among fifty is one reported host, not a failed command."""
    from sfai.core.fleet import UnavailableHost
    from sfai.hosts import open_entry

    opened: list[Host] = []
    for entry in entries:
        try:
            opened.append(open_entry(entry, config, redactor=redactor))
        except Exception as exc:  # one broken entry must not hide the others
            opened.append(
                UnavailableHost(
                    entry.name,
                    f"cannot open its {entry.transport} transport: {exc or type(exc).__name__}",
                    f"check [hosts.{entry.name}] in hosts.toml (`sfai hosts list`)",
                )
            )
    return opened


async def connect_or_exit(host: Host, timeout_s: float = CONNECT_TIMEOUT_S) -> dict[str, Any]:
    """Reach a single host (instant for the local one); exit 1 saying why when it cannot.

    Called inside ``run_async``: ``typer.Exit`` leaves the event loop like any exception.
    """
    from sfai.core.fleet import reach
    from sfai.core.host import HostUnreachable

    try:
        return await reach(host, timeout_s)
    except HostUnreachable as exc:
        from sfai.core.fleet import close_all

        await close_all([host])
        fail(ExitCode.ERROR, f"host {host.name} is unreachable: {exc.message}", exc.hint)
