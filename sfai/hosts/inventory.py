"""The hosts inventory: ``hosts.toml`` under SFAI_HOME, one ``[hosts.NAME]`` table each.

A plain TOML file because people edit and review it (and keep it in their dotfiles);
secrets never live in it: an agent's token is in its own file (0600, ``keys/NAME.token``
by default), SSH keys stay in ssh-agent or ``~/.ssh``. The local host is always there and
is never written to the file.

Example::

    [hosts.web1]
    agent = "wss://203.0.113.10:7422"
    fingerprint = "SHA256:AB:CD:..."
    token_file = "/home/me/.config/sfai/keys/web1.token"
    tags = ["prod", "web"]

    [hosts.db1]
    ssh = "deploy@db1.example.com:22"
    sudo = true
    tags = ["prod"]
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sfai.core.paths import SfaiPaths

LOCAL = "local"
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")
TAG_PATTERN = NAME_PATTERN


class InventoryError(Exception):
    """hosts.toml or a `sfai hosts` argument is wrong; the message says how to fix it."""


@dataclass(frozen=True)
class HostEntry:
    name: str
    transport: str
    """``local``, ``agent`` or ``ssh``."""
    address: str = ""
    """agent: ``wss://HOST:PORT``; ssh: ``[USER@]HOST[:PORT]``; local: empty."""
    fingerprint: str = ""
    """agent: the pinned certificate's ``SHA256:..`` fingerprint."""
    token_file: str = ""
    """agent: where the token is (0600)."""
    sudo: bool = False
    """ssh: prefix commands with ``sudo -n`` (passwordless sudo for the tools' programs)."""
    known_hosts: str = ""
    """ssh: a known_hosts file other than ~/.ssh/known_hosts."""
    identity_file: str = ""
    """ssh: a private key other than ssh-agent's and ~/.ssh's defaults."""
    accept_new_host_key: bool = False
    """ssh: trust on first use; only when asked for (``sfai hosts add --accept-new``)."""
    tags: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    def as_table(self) -> dict[str, Any]:
        """The ``[hosts.NAME]`` table: only what differs from the defaults."""
        table: dict[str, Any] = {}
        if self.transport == "agent":
            table["agent"] = self.address
            if self.fingerprint:
                table["fingerprint"] = self.fingerprint
            if self.token_file:
                table["token_file"] = self.token_file
        elif self.transport == "ssh":
            table["ssh"] = self.address
            for key in ("known_hosts", "identity_file"):
                if getattr(self, key):
                    table[key] = getattr(self, key)
            for key in ("sudo", "accept_new_host_key"):
                if getattr(self, key):
                    table[key] = True
        if self.tags:
            table["tags"] = list(self.tags)
        table.update(self.extra)
        return table


LOCAL_ENTRY = HostEntry(name=LOCAL, transport="local")


def check_name(name: str) -> str:
    if not NAME_PATTERN.fullmatch(name):
        raise InventoryError(
            f"{name!r} is not a host name sfai accepts: letters, digits, '.', '_', '-', "
            "starting with a letter or digit, 63 characters at most"
        )
    return name


def _entry(name: str, table: Any) -> HostEntry:
    where = f"hosts.{name}"
    if not isinstance(table, dict):
        raise InventoryError(f"{where}: expected a table")
    check_name(name)
    if name in (LOCAL, "localhost"):
        raise InventoryError(f"{where}: '{name}' is the local host, always there; rename it")
    kinds = [k for k in ("agent", "ssh") if k in table]
    if len(kinds) != 1:
        raise InventoryError(
            f"{where}: give exactly one of agent = 'wss://...' or ssh = 'user@host'"
        )
    transport = kinds[0]
    tags = table.get("tags", [])
    if not isinstance(tags, list) or not all(
        isinstance(t, str) and TAG_PATTERN.fullmatch(t) for t in tags
    ):
        raise InventoryError(f"{where}.tags: expected a list of simple words")
    known = {
        "agent",
        "ssh",
        "fingerprint",
        "token_file",
        "sudo",
        "known_hosts",
        "identity_file",
        "accept_new_host_key",
        "tags",
    }
    values: dict[str, Any] = {}
    for key in ("fingerprint", "token_file", "known_hosts", "identity_file"):
        if key in table:
            if not isinstance(table[key], str):
                raise InventoryError(f"{where}.{key}: expected a string")
            values[key] = table[key]
    for key in ("sudo", "accept_new_host_key"):
        if key in table:
            if not isinstance(table[key], bool):
                raise InventoryError(f"{where}.{key}: expected true or false")
            values[key] = table[key]
    address = table[transport]
    if not isinstance(address, str) or not address:
        raise InventoryError(f"{where}.{transport}: expected an address string")
    return HostEntry(
        name=name,
        transport=transport,
        address=address,
        tags=tuple(tags),
        extra={k: v for k, v in table.items() if k not in known},
        **values,
    )


@dataclass(frozen=True)
class Inventory:
    path: Path
    entries: tuple[HostEntry, ...]
    """The file's hosts, in file order; ``local`` is not among them."""

    def names(self) -> list[str]:
        return [LOCAL, *(entry.name for entry in self.entries)]

    def get(self, name: str) -> HostEntry:
        if name in (LOCAL, "localhost"):
            return LOCAL_ENTRY
        for entry in self.entries:
            if entry.name == name:
                return entry
        known = ", ".join(self.names())
        raise InventoryError(
            f"no host named {name!r} (known: {known}); add it with `sfai hosts add`"
        )

    def all(self) -> list[HostEntry]:
        return [LOCAL_ENTRY, *self.entries]

    def select(self, names_or_tags: list[str]) -> list[HostEntry]:
        """Hosts by name, or every host carrying a tag (``@prod`` or a bare tag name that is
        not a host), each once, in inventory order."""
        wanted: list[HostEntry] = []
        for item in names_or_tags:
            tag = item.removeprefix("@")
            if item.startswith("@") or (
                item not in self.names() and any(tag in e.tags for e in self.entries)
            ):
                matches = [e for e in self.entries if tag in e.tags]
                if not matches:
                    raise InventoryError(f"no host carries the tag {tag!r}")
            else:
                matches = [self.get(item)]
            wanted += [m for m in matches if m not in wanted]
        return wanted

    def with_entry(self, entry: HostEntry) -> Inventory:
        if entry.name in (LOCAL, "localhost") or any(e.name == entry.name for e in self.entries):
            raise InventoryError(
                f"a host named {entry.name!r} exists already; `sfai hosts remove {entry.name}` first"
            )
        return replace(self, entries=(*self.entries, entry))

    def without(self, name: str) -> Inventory:
        if name in (LOCAL, "localhost"):
            raise InventoryError("the local host is always there; it cannot be removed")
        self.get(name)
        return replace(self, entries=tuple(e for e in self.entries if e.name != name))


def inventory_path(paths: SfaiPaths) -> Path:
    return paths.config_dir / "hosts.toml"


def load_inventory(paths: SfaiPaths) -> Inventory:
    path = inventory_path(paths)
    if not path.exists():
        return Inventory(path=path, entries=())
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InventoryError(f"{path}: {exc}. Fix the file or move it away.") from exc
    except OSError as exc:
        raise InventoryError(f"cannot read {path}: {exc.strerror}") from exc
    hosts = data.get("hosts", {})
    if not isinstance(hosts, dict):
        raise InventoryError(f"{path}: expected [hosts.NAME] tables")
    return Inventory(path=path, entries=tuple(_entry(n, t) for n, t in hosts.items()))


def save_inventory(inventory: Inventory) -> None:
    """Write atomically (temporary file, rename): an interrupted write loses nothing."""
    import tomli_w

    text = "# sfai hosts (sfai hosts add/remove edit this file; docs/hosts.md)\n\n"
    text += tomli_w.dumps({"hosts": {e.name: e.as_table() for e in inventory.entries}})
    inventory.path.parent.mkdir(parents=True, exist_ok=True)
    temp = inventory.path.with_name(f".{inventory.path.name}.{os.getpid()}")
    temp.write_text(text, encoding="utf-8")
    temp.replace(inventory.path)


# -- addresses and token files (used by `sfai hosts add`) ----------------------------------
_HOSTNAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]")
_SSH_USER = re.compile(r"[A-Za-z_][A-Za-z0-9._-]{0,31}")


def _port(text: str, where: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise InventoryError(f"{where}: {text!r} is not a port number (1-65535)")
    return int(text)


def _host_and_port(text: str, where: str, default_port: int) -> tuple[str, int]:
    host, port = text, default_port
    if text.startswith("["):
        close = text.find("]")
        host, rest = text[: close + 1], text[close + 1 :]
        if rest:
            if not rest.startswith(":"):
                raise InventoryError(f"{where}: {text!r} is not HOST[:PORT]")
            port = _port(rest[1:], where)
    elif ":" in text:
        host, _, port_text = text.rpartition(":")
        port = _port(port_text, where)
    if not _HOSTNAME.fullmatch(host):
        raise InventoryError(f"{where}: {host!r} is not a host name or IP address")
    return host, port


def agent_url(text: str, default_port: int = 7422) -> str:
    """``wss://HOST:PORT`` from what a person typed (``HOST``, ``HOST:PORT``, ``wss://...``).
    Plain ``ws://`` is refused: the token must never cross a network in clear text."""
    raw = text.strip()
    scheme, sep, rest = raw.partition("://")
    if not sep:
        scheme, rest = "wss", raw
    if scheme.lower() != "wss":
        raise InventoryError(
            f"--agent {text!r}: sfai talks to agents over TLS only; use wss://HOST:PORT"
        )
    rest = rest.rstrip("/")
    if not rest or any(c in rest for c in "/?#@ "):
        raise InventoryError(f"--agent {text!r}: expected wss://HOST:PORT (no path, no user)")
    host, port = _host_and_port(rest, "--agent", default_port)
    return f"wss://{host}:{port}"


def ssh_address(text: str) -> str:
    """``[USER@]HOST[:PORT]`` checked (it is split into argv, never into a shell string)."""
    raw = text.strip()
    user, at, rest = raw.rpartition("@")
    if at and not _SSH_USER.fullmatch(user):
        raise InventoryError(f"--ssh {text!r}: {user!r} is not a user name")
    if not rest or any(c in rest for c in "/?# "):
        raise InventoryError(f"--ssh {text!r}: expected USER@HOST[:PORT]")
    host, port = _host_and_port(rest, "--ssh", 22)
    address = f"{user}@{host}" if at else host
    port_given = ":" in rest.removeprefix(host)
    return f"{address}:{port}" if port_given else address


def token_path(paths: SfaiPaths, name: str) -> Path:
    return paths.keys_dir / f"{check_name(name)}.token"


def write_token(paths: SfaiPaths, name: str, token: str) -> Path:
    """Store an agent's token as ``keys/NAME.token``: 0600 in a 0700 folder, written to a
    temporary name first so no reader ever sees half of it."""
    path = token_path(paths, name)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    temp = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(token.strip() + "\n")
    temp.replace(path)
    return path


def owned_token_file(paths: SfaiPaths, entry: HostEntry) -> Path | None:
    """The entry's token file when sfai made it (under ``keys/``): `remove` deletes only
    that one, never a file the person keeps elsewhere."""
    if not entry.token_file:
        return None
    path = Path(entry.token_file).expanduser()
    try:
        inside = path.resolve().parent == paths.keys_dir.resolve()
    except OSError:
        return None
    return path if inside else None
