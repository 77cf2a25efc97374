"""One SSH connection per host: opened on first use, verified, shared, reopened when dead.

Host keys are checked the way OpenSSH checks them: against the entry's known_hosts file
(else ``~/.ssh/known_hosts`` and ``/etc/ssh/ssh_known_hosts``). An unknown key is refused
unless the entry asks for trust on first use (``accept_new_host_key``: the key is then
recorded, like ``StrictHostKeyChecking=accept-new``); a key that differs from the recorded
one is always refused, loudly. Keys come from ssh-agent, ``identity_file`` or ~/.ssh's
defaults; ``~/.ssh/config`` is honoured (asyncssh reads it), except that ssh-agent is
never forwarded. A key marked ``@revoked`` is refused, trust on first use or not.
asyncssh is imported lazily: ``sfai --help`` never pays for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import re
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sfai.core.host import HostUnreachable
from sfai.hosts.inventory import HostEntry

if TYPE_CHECKING:
    import asyncssh

CONNECT_TIMEOUT_S = 10.0
MAX_CHANNELS = 8
"""Concurrent exec channels per connection; OpenSSH's MaxSessions defaults to 10, and the
file helper (or SFTP) holds one more."""
BACKOFF_MAX_S = 30.0
SYSTEM_KNOWN_HOSTS = "/etc/ssh/ssh_known_hosts"
_ADDRESS = re.compile(
    r"^(?:(?P<user>[^@\s]+)@)?(?:\[(?P<v6>[^\]]+)\]|(?P<host>[^:\s\[\]]+))(?::(?P<port>\d{1,5}))?$"
)


@dataclass(frozen=True)
class SSHTarget:
    user: str | None
    host: str
    port: int | None

    @classmethod
    def parse(cls, address: str) -> SSHTarget:
        """``[USER@]HOST[:PORT]`` (``[v6addr]:PORT`` for IPv6)."""
        match = _ADDRESS.match(address.strip())
        port = int(match["port"]) if match and match["port"] else None
        if not match or (port is not None and not 0 < port < 65536):
            raise ValueError(f"{address!r} is not an SSH address: expected [USER@]HOST[:PORT]")
        return cls(match["user"], match["v6"] or match["host"], port)

    def __str__(self) -> str:
        user = f"{self.user}@" if self.user else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{user}{host}" + (f":{self.port}" if self.port else "")


def fingerprint(key: asyncssh.SSHKey) -> str:
    return str(key.get_fingerprint("sha256"))


class SSHLink:
    """The shared connection to one host and the semaphore that bounds its channels."""

    def __init__(
        self,
        entry: HostEntry,
        *,
        connect_timeout: float = CONNECT_TIMEOUT_S,
        max_channels: int = MAX_CHANNELS,
        backoff_s: float = 1.0,
    ) -> None:
        self.entry = entry
        try:
            self.target = SSHTarget.parse(entry.address)
            self._bad_address = ""
        except ValueError as exc:  # a hand-edited hosts.toml: reported on use
            self.target = SSHTarget(None, entry.address, None)
            self._bad_address = str(exc)
        self.connect_timeout = connect_timeout
        self.channels = asyncio.Semaphore(max_channels)
        self.generation = 0
        """Bumped on every new connection: what was learnt about the old one is stale."""
        self.latency_ms = 0.0
        self._host, self._port = self.target.host, self.target.port or 22
        self._alias: str | None = None
        self._conn: asyncssh.SSHClientConnection | None = None
        self._lock = asyncio.Lock()
        self._backoff_s = backoff_s
        self._failures = 0
        self._retry_at = 0.0
        self._last_error: HostUnreachable | None = None

    @property
    def label(self) -> str:
        return f"ssh:{self.entry.name}"

    def alive(self) -> bool:
        return self._conn is not None and not self._conn.is_closed()

    async def connection(self) -> asyncssh.SSHClientConnection:
        """The live connection, opened (or reopened after a drop) now if needed."""
        if self._conn is not None and not self._conn.is_closed():
            return self._conn
        async with self._lock:
            if self._conn is None or self._conn.is_closed():
                self._conn = await self._open_with_backoff()
            return self._conn

    async def _open_with_backoff(self) -> asyncssh.SSHClientConnection:
        """Open now, unless the last attempt failed a moment ago: then fail at once with
        that reason (waits double from 1 s to 30 s), so a sidebar polling a dead host every
        second does not knock on it every second."""
        now = time.monotonic()
        if self._last_error is not None and now < self._retry_at:
            last = self._last_error
            raise self._fail(
                f"{last.message} (next attempt in {self._retry_at - now:.0f}s)", last.hint
            )
        try:
            conn = await self._open()
        except HostUnreachable as exc:
            self._failures += 1
            self._last_error = exc
            self._retry_at = time.monotonic() + min(
                BACKOFF_MAX_S, self._backoff_s * 2.0 ** (self._failures - 1)
            )
            raise
        self._failures, self._last_error = 0, None
        self.latency_ms = round((time.monotonic() - now) * 1000, 1)
        self.generation += 1
        return conn

    def drop(self) -> None:
        """Forget a connection that failed under us; the next call reconnects."""
        if self._conn is not None:
            self._conn.abort()
        self._conn = None

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.wait_closed(), 5)

    def _known_hosts_file(self) -> Path:
        return Path(self.entry.known_hosts or "~/.ssh/known_hosts").expanduser()

    def _read_known_hosts(self) -> str:
        files = [self._known_hosts_file()]
        if not self.entry.known_hosts:
            files.append(Path(SYSTEM_KNOWN_HOSTS))
        text = ""
        for path in files:
            with contextlib.suppress(OSError):
                text += path.read_text(encoding="utf-8", errors="replace") + "\n"
        return text

    def _is_known(self, known: str) -> bool:
        """Whether known_hosts says anything about this host: a key, a certificate
        authority (``@cert-authority``) or an X.509 entry. Then asyncssh decides."""
        import asyncssh

        try:
            table = asyncssh.import_known_hosts(known)
        except (ValueError, asyncssh.KeyImportError):
            return False
        host, port = self._host, self._port
        try:
            address = str(ipaddress.ip_address(host))
        except ValueError:
            address = ""
        found = table.match(self._alias or host, address, None if port == 22 else port)
        return any(found[index] for index in (0, 1, 3, 5))

    def _fail(self, message: str, hint: str = "") -> HostUnreachable:
        return HostUnreachable(self.entry.name, message, hint)

    @property
    def known_hosts_name(self) -> str:
        """This host as OpenSSH writes it in known_hosts (after ~/.ssh/config's HostName,
        Port and HostKeyAlias)."""
        name = self._alias or self._host
        return name if self._port == 22 else f"[{name}]:{self._port}"

    async def _resolve(self) -> asyncssh.SSHClientConnectionOptions:
        """The options as ~/.ssh/config completes them: the real host, port, user, keys."""
        import asyncssh

        try:
            options: asyncssh.SSHClientConnectionOptions = (
                await asyncssh.SSHClientConnectionOptions.construct(
                    host=self.target.host, config=(), **self._options()
                )
            )
        except (OSError, ValueError, asyncssh.Error) as exc:
            raise self._fail(
                f"cannot prepare the SSH connection: {exc}",
                "check identity_file and ~/.ssh/config for this host",
            ) from None
        self._host, self._port = str(options.host), int(options.port)
        self._alias = options.host_key_alias
        return options

    async def _open(self) -> asyncssh.SSHClientConnection:
        import asyncssh

        if self._bad_address:
            raise self._fail(self._bad_address, "fix the address in hosts.toml")
        options = await self._resolve()
        known = self._read_known_hosts()
        recorded = self._is_known(known)
        try:
            trust: Any = asyncssh.import_known_hosts(known)
        except (ValueError, asyncssh.Error) as exc:
            raise self._fail(
                f"cannot read the known_hosts file {self._known_hosts_file()}: {exc}",
                "fix or remove the broken line (`ssh-keygen -R HOST` rewrites the file)",
            ) from None
        new_line = ""
        if not recorded:
            offered = await self._offered_key()
            if not self.entry.accept_new_host_key:
                raise self._fail(
                    f"the host key of {self.known_hosts_name} is not known "
                    f"({offered.get_algorithm()} {fingerprint(offered)}); not connecting",
                    "check that fingerprint with the server's administrator "
                    "(`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on it), then "
                    f"record it with `ssh -p {self._port} {self._host}` once, "
                    "or add the host again with --accept-new to trust it on first use",
                )
            new_line = (
                f"{self.known_hosts_name} {offered.export_public_key('openssh').decode().strip()}\n"
            )
            # The recorded lines stay: their @revoked entries hold on this connection too.
            trust = asyncssh.import_known_hosts(known + "\n" + new_line)
        try:
            conn = await self._connect(options, trust)
        except asyncssh.HostKeyNotVerifiable:
            if new_line:  # trust on first use, yet the key was refused
                raise self._fail(
                    f"the host key {self.known_hosts_name} offers is refused: known_hosts "
                    "marks it @revoked (or the server offered another key on the second "
                    "connection); not connecting",
                    "ask the server's administrator for the host's current key",
                ) from None
            raise await self._changed_key() from None
        if new_line:
            self._record(new_line)
        return conn

    def _options(self) -> dict[str, Any]:
        options: dict[str, Any] = {
            "port": self.target.port if self.target.port is not None else (),
            "connect_timeout": self.connect_timeout,
            "login_timeout": self.connect_timeout,
            "keepalive_interval": 15,
            "keepalive_count_max": 3,
            "preferred_auth": "publickey",
            "password": None,
            # Never, whatever ~/.ssh/config says (ForwardAgent yes): root on the host could
            # use the person's ssh-agent to log in elsewhere for as long as sfai is connected.
            "agent_forwarding": False,
        }
        if self.target.user:
            options["username"] = self.target.user
        if self.entry.identity_file:
            options["client_keys"] = [str(Path(self.entry.identity_file).expanduser())]
        return options

    async def _connect(
        self, options: asyncssh.SSHClientConnectionOptions, trust: Any
    ) -> asyncssh.SSHClientConnection:
        import asyncssh

        where = str(self.target)
        try:
            return await asyncssh.connect(self.target.host, options=options, known_hosts=trust)
        except asyncssh.HostKeyNotVerifiable:
            raise
        except asyncssh.PermissionDenied:
            raise self._fail(
                f"authentication failed for {where} (public key refused)",
                "load your key in ssh-agent (`ssh-add`) or set identity_file for this host; "
                "its public half must be in the server's ~/.ssh/authorized_keys",
            ) from None
        except asyncssh.KeyImportError as exc:
            raise self._fail(
                f"cannot use the key {self.entry.identity_file}: {exc}",
                "a passphrase-protected key must be loaded in ssh-agent (`ssh-add KEY`)",
            ) from None
        except TimeoutError:
            raise self._fail(
                f"no answer from {where} within {self.connect_timeout:g}s",
                "check the address and port, and that a firewall lets SSH through",
            ) from None
        except ConnectionRefusedError:
            raise self._fail(
                f"connection refused by {where}",
                "is sshd running there and listening on that port?",
            ) from None
        except socket.gaierror as exc:
            raise self._fail(
                f"cannot resolve {self.target.host}: {exc.strerror}", "check the host name"
            ) from None
        except (OSError, asyncssh.Error) as exc:
            reason = getattr(exc, "reason", "") or getattr(exc, "strerror", "") or str(exc)
            raise self._fail(
                f"cannot connect to {where}: {reason}",
                "try `ssh` to the same address to see what the server says",
            ) from None

    async def _offered_key(self) -> asyncssh.SSHKey:
        import asyncssh

        try:
            key = await asyncio.wait_for(
                asyncssh.get_server_host_key(self._host, self._port),
                self.connect_timeout,
            )
        except TimeoutError:
            raise self._fail(
                f"no answer from {self.target} within {self.connect_timeout:g}s",
                "check the address and port, and that a firewall lets SSH through",
            ) from None
        except ConnectionRefusedError:
            raise self._fail(
                f"connection refused by {self.target}",
                "is sshd running there and listening on that port?",
            ) from None
        except (OSError, asyncssh.Error) as exc:
            raise self._fail(f"cannot connect to {self.target}: {exc}") from None
        if key is None:
            raise self._fail(f"{self.target} presented no host key; not connecting")
        return key

    async def _changed_key(self) -> HostUnreachable:
        name = self.known_hosts_name
        try:
            offered = f" It now offers {fingerprint(await self._offered_key())}."
        except HostUnreachable:
            offered = ""
        return self._fail(
            "WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! The host key of "
            f"{name} is not the one recorded in {self._known_hosts_file()}: someone could be "
            "eavesdropping on you right now (man-in-the-middle attack), or the host key has "
            f"just been changed.{offered} sfai refuses to connect.",
            "ask the server's administrator whether the key changed; if it did, remove the "
            f"old one with `ssh-keygen -R '{name}' -f {self._known_hosts_file()}` and connect "
            "again (with --accept-new, or `ssh` once to record the new key)",
        )

    def _record(self, line: str) -> None:
        path = self._known_hosts_file()
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as handle:
                handle.write(line)
        except OSError as exc:
            raise self._fail(
                f"cannot record the new host key in {path}: {exc.strerror}",
                "make the file writable or set known_hosts for this host",
            ) from None
