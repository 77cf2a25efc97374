"""Keeping a connection to one agent: connect on demand, say hello, reconnect with backoff.

Every way of failing becomes a :class:`~sfai.core.host.HostUnreachable` whose message
says what happened and whose hint says what to do. Two of them are refusals rather than
outages (:class:`AgentRefused`): a certificate that is not the pinned one, and a token the
agent rejects. Retrying those at once cannot help, so a connect cycle stops at them.

Backoff: consecutive failures space the attempts exponentially (``BASE_DELAY_S`` doubling
up to ``MAX_DELAY_S``) with jitter, so a fleet of clients does not reconnect in step to an
agent that just restarted. One cycle makes up to ``ATTEMPTS`` attempts; a call that
arrives while the next attempt is far off fails at once with the last reason instead of
waiting (``MAX_WAIT_S``): no caller ever hangs on a dead host. Concurrent callers share
one cycle.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sfai import __version__
from sfai.core.host import HostUnreachable
from sfai.hosts.agent_client import (
    AgentConnection,
    CallTimeout,
    ConnectionLost,
    Notify,
    PinMismatch,
)
from sfai.hosts.inventory import HostEntry
from sfai_agent.server import protocol
from sfai_agent.server.protocol import HelloResult, RpcError

BASE_DELAY_S = 0.25
MAX_DELAY_S = 30.0
ATTEMPTS = 3
MAX_WAIT_S = 5.0
OPEN_TIMEOUT_S = 10.0


class AgentRefused(HostUnreachable):
    """The agent is there but the connection must not be used (pin, token, protocol)."""


@dataclass
class Backoff:
    """Exponential backoff with jitter ("equal jitter": half fixed, half random)."""

    base: float = BASE_DELAY_S
    cap: float = MAX_DELAY_S
    failures: int = 0
    retry_at: float = 0.0
    clock: Callable[[], float] = time.monotonic

    def delay(self) -> float:
        step = min(self.cap, self.base * 2.0 ** max(0, self.failures - 1))
        return step / 2 + random.uniform(0, step / 2)  # noqa: S311 (jitter, not crypto)

    def failed(self) -> float:
        self.failures += 1
        pause = self.delay()
        self.retry_at = self.clock() + pause
        return pause

    def succeeded(self) -> None:
        self.failures = 0
        self.retry_at = 0.0

    def wait(self) -> float:
        return max(0.0, self.retry_at - self.clock())


def pin_changed_message(entry: HostEntry, actual: str) -> tuple[str, str]:
    """Modelled on OpenSSH's host key warning: loud, both fingerprints, what to do."""
    bar = "@" * 61
    message = (
        "the agent's certificate has CHANGED since it was pinned: connection refused\n"
        f"{bar}\n@    WARNING: AGENT CERTIFICATE HAS CHANGED!                @\n{bar}\n"
        "IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\n"
        "Someone could be intercepting the connection right now (man-in-the-middle),\n"
        "or the agent was re-initialised (sfai-agent init --force) or reinstalled.\n"
        f"The agent at {entry.address} presented a certificate with fingerprint\n"
        f"    {actual or '(no certificate)'}\n"
        f"but hosts.toml pins\n    {entry.fingerprint}\n"
        "Nothing was sent to it: no token, no request. The connection was refused."
    )
    hint = (
        f"on the server, run `sfai-agent fingerprint` and compare. Only if it prints the new "
        f"fingerprint and you know why it changed: `sfai hosts remove {entry.name}` then "
        f"`sfai hosts add {entry.name} --agent {entry.address} --fingerprint {actual} "
        f"--token-file FILE`"
    )
    return message, hint


class AgentLink:
    """The connection to one agent, opened on first use and reopened after a drop."""

    def __init__(
        self,
        entry: HostEntry,
        *,
        on_notification: Notify | None = None,
        open_timeout: float = OPEN_TIMEOUT_S,
    ) -> None:
        self.entry = entry
        self.open_timeout = open_timeout
        self.hello: HelloResult | None = None
        self.connect_ms: float = 0.0
        self.hello_ms: float = 0.0
        self.connections = 0
        """How many connections were opened (1 + reconnects)."""
        self._on_notification = on_notification
        self._connection: AgentConnection | None = None
        self._cycle: asyncio.Task[AgentConnection] | None = None
        self.backoff = Backoff()
        self._last_error: HostUnreachable | None = None

    @property
    def name(self) -> str:
        return self.entry.name

    def current(self) -> AgentConnection | None:
        """The open connection, if there is one (never connects)."""
        if self._connection is not None and not self._connection.closed:
            return self._connection
        return None

    async def connection(self) -> AgentConnection:
        """The open connection, or a new one. Raises :class:`HostUnreachable`."""
        current = self.current()
        if current is not None:
            return current
        if self._cycle is None or self._cycle.done():
            self._cycle = asyncio.get_running_loop().create_task(self._connect_cycle())
            self._cycle.add_done_callback(_retrieve)
        return await asyncio.shield(self._cycle)

    async def close(self) -> None:
        if self._cycle is not None and not self._cycle.done():
            self._cycle.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._cycle
        if self._connection is not None:
            await self._connection.close()
            self._connection = None

    # -- connecting --------------------------------------------------------------------
    async def _connect_cycle(self) -> AgentConnection:
        wait = self.backoff.wait()
        if wait > MAX_WAIT_S and self._last_error is not None:
            last = self._last_error
            raise type(last)(self.name, f"{last.message} (next attempt in {wait:.0f}s)", last.hint)
        if wait > 0:
            await asyncio.sleep(wait)
        for attempt in range(ATTEMPTS):
            try:
                connection = await self._open()
            except HostUnreachable as exc:
                self._last_error = exc
                pause = self.backoff.failed()
                if isinstance(exc, AgentRefused) or attempt == ATTEMPTS - 1:
                    raise
                await asyncio.sleep(pause)
            else:
                self.backoff.succeeded()
                self._last_error = None
                self._connection = connection
                self.connections += 1
                return connection
        raise AssertionError("unreachable")  # pragma: no cover

    def _token(self) -> str:
        entry = self.entry
        if not entry.token_file:
            raise AgentRefused(
                self.name,
                "no token file is configured for this agent",
                f"`sfai hosts remove {entry.name}` and add it again with --token-file",
            )
        path = Path(entry.token_file).expanduser()
        try:
            token = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise AgentRefused(
                self.name,
                f"cannot read the token file {path}: {exc.strerror}",
                "on the server `sfai-agent token rotate` prints a new token; write it to "
                f"{path} (mode 0600)",
            ) from None
        if not token:
            raise AgentRefused(self.name, f"the token file {path} is empty", "")
        return token

    async def _open(self) -> AgentConnection:
        entry = self.entry
        if not entry.fingerprint:
            raise AgentRefused(
                self.name,
                "no certificate fingerprint is pinned for this agent; sfai will not talk to it",
                f"`sfai hosts remove {entry.name}` and add it again (it shows the fingerprint)",
            )
        token = self._token()
        started = time.perf_counter()
        try:
            connection = await AgentConnection.open(
                entry.address,
                entry.fingerprint,
                open_timeout=self.open_timeout,
                on_notification=self._on_notification,
            )
        except PinMismatch as exc:
            message, hint = pin_changed_message(entry, exc.actual)
            raise AgentRefused(self.name, message, hint) from None
        except Exception as exc:  # OSError, TimeoutError, handshake errors
            raise HostUnreachable(self.name, *_describe_open_error(entry, exc)) from None
        connected = time.perf_counter()
        try:
            raw = await connection.request(
                "hello",
                {
                    "token": token,
                    "protocol": protocol.PROTOCOL_VERSION,
                    "client": {"name": "sfai", "version": __version__},
                },
                timeout=self.open_timeout,
            )
            hello = HelloResult.from_dict(raw)
        except RpcError as exc:
            await connection.close()
            raise _hello_refusal(entry, exc) from None
        except ConnectionLost as exc:
            await connection.close()
            if exc.close_code == protocol.CLOSE_UNAUTHENTICATED:
                raise _hello_refusal(entry, RpcError(protocol.UNAUTHENTICATED, "")) from None
            raise HostUnreachable(
                self.name, f"{exc.reason} during hello", _network_hint(entry)
            ) from None
        except CallTimeout:
            connection.abort("no answer to hello")
            raise HostUnreachable(
                self.name,
                f"the agent did not answer hello within {self.open_timeout:g}s",
                _network_hint(entry),
            ) from None
        except (KeyError, TypeError, ValueError) as exc:
            await connection.close()
            raise AgentRefused(
                self.name,
                f"the agent's hello answer is not understood ({exc!r})",
                "upgrade sfai and sfai-agent to the same version",
            ) from None
        calls = hello.limits.get("max_concurrent_calls")
        if isinstance(calls, int) and not isinstance(calls, bool) and calls > 0:
            connection.limit_concurrency(calls)
        self.connect_ms = (connected - started) * 1000
        self.hello_ms = (time.perf_counter() - connected) * 1000
        self.hello = hello
        return connection


def _retrieve(task: asyncio.Task[Any]) -> None:
    if not task.cancelled():
        task.exception()


def _network_hint(entry: HostEntry) -> str:
    return (
        f"check that sfai-agent runs on {entry.name} (`systemctl status sfai-agent`) and that "
        f"{entry.address} is reachable from here; `sfai hosts test {entry.name}` retries"
    )


def _describe_open_error(entry: HostEntry, exc: BaseException) -> tuple[str, str]:
    if isinstance(exc, TimeoutError):
        return "timed out connecting to the agent", _network_hint(entry)
    if isinstance(exc, ConnectionRefusedError):
        return f"connection refused at {entry.address}", _network_hint(entry)
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc) or type(exc).__name__
        return f"cannot connect to {entry.address}: {reason}", _network_hint(entry)
    return f"the agent at {entry.address} did not accept the connection: {exc}", (
        "is it an sfai-agent (not another TLS service)? `sfai-agent serve` logs why"
    )


def _hello_refusal(entry: HostEntry, exc: RpcError) -> AgentRefused:
    if exc.code == protocol.UNAUTHENTICATED:
        return AgentRefused(
            entry.name,
            f"the agent rejected the token from {entry.token_file}",
            "on the server run `sfai-agent token rotate` (it prints the new token), then "
            f"write that token to {entry.token_file} (mode 0600)",
        )
    if exc.code == protocol.UNSUPPORTED_PROTOCOL:
        return AgentRefused(
            entry.name,
            f"the agent does not speak protocol {protocol.PROTOCOL_VERSION}: {exc.message}",
            "upgrade sfai and sfai-agent to the same version",
        )
    return AgentRefused(entry.name, f"the agent refused hello: {exc.message}", "")
