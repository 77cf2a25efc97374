"""One WebSocket connection to an sfai-agent: pinned TLS, JSON-RPC requests, notifications.

The pin is checked on the very connection that is then used, after the TLS handshake and
*before* the WebSocket upgrade request is written: a man in the middle never sees the
token, nor even the HTTP request line. Checking on a first probe connection and then
opening a second one would leave a window in which the second peer is someone else.

Requests carry increasing ids and wait on a future each, bounded by a timeout; one reader
task resolves them and hands notifications (``metrics.sample``) to a callback. When the
connection drops, every pending request fails at once with :class:`ConnectionLost` —
nothing waits for an answer that cannot come. Reconnecting is the caller's business
(``sfai.hosts.agent_link``): a dropped tool call is never replayed, since an action may
or may not have run.

``websockets`` is imported lazily: ``sfai --help`` never needs it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import ssl
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sfai_agent.server import protocol
from sfai_agent.server.protocol import RpcError, fingerprint_of

if TYPE_CHECKING:
    from websockets.asyncio.client import ClientConnection

Notify = Callable[[str, dict[str, Any]], None]

MAX_INCOMING_BYTES = 16 * protocol.MAX_FRAME_BYTES
"""Answers are bounded by the agent (``max_result_chars``); this only caps memory."""
MAX_ANSWER_DEPTH = 100
"""Deepest nesting an answer may have: tool results need a dozen levels, and masking
walks them recursively (a compromised agent must not crash sfai with a small frame)."""


class PinMismatch(Exception):
    """The agent's certificate is not the pinned one. Nothing was sent."""

    def __init__(self, expected: str, actual: str) -> None:
        super().__init__(f"certificate {actual or '(none)'} is not the pinned {expected}")
        self.expected = expected
        self.actual = actual


class ConnectionLost(Exception):
    """The connection ended (or was never usable); ``close_code`` when the agent said why."""

    def __init__(self, reason: str, close_code: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.close_code = close_code


class CallTimeout(Exception):
    """No answer in time; the connection may be dead (a stopped agent, a dropped link)."""


def client_ssl_context() -> ssl.SSLContext:
    """TLS without CA verification: the agent's certificate is self-signed, and trust
    comes from the pinned fingerprint instead (checked before anything is sent)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "", parts.port or protocol.DEFAULT_PORT


def peer_fingerprint(transport: asyncio.BaseTransport) -> str:
    """The fingerprint of the certificate the peer presented ('' when none)."""
    ssl_object = transport.get_extra_info("ssl_object")
    der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
    return fingerprint_of(der) if der else ""


async def fetch_fingerprint(url: str, timeout: float) -> str:
    """The certificate fingerprint of the agent at ``url``: a TLS handshake and nothing
    else (no request, no token), for ``sfai hosts add`` to show before pinning it."""
    host, port = host_port(url)
    async with asyncio.timeout(timeout):
        _, writer = await asyncio.open_connection(
            host, port, ssl=client_ssl_context(), server_hostname=host
        )
    try:
        return peer_fingerprint(writer.transport)
    finally:
        writer.transport.abort()


def _pinned_connection_class(expected: str) -> type[ClientConnection]:
    from websockets.asyncio.client import ClientConnection

    class PinnedConnection(ClientConnection):
        """Checks the pin between the TLS handshake and the upgrade request."""

        async def handshake(self, *args: Any, **kwargs: Any) -> None:
            actual = peer_fingerprint(self.transport)
            if actual != expected:
                raise PinMismatch(expected, actual)
            await super().handshake(*args, **kwargs)

    return PinnedConnection


class AgentConnection:
    """An open, pinned WebSocket to one agent. Use :meth:`open`."""

    def __init__(self, websocket: ClientConnection, on_notification: Notify | None) -> None:
        self._ws = websocket
        self._on_notification = on_notification
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._lost: ConnectionLost | None = None
        self._gate: asyncio.Semaphore | None = None
        self._reader = asyncio.get_running_loop().create_task(self._read())

    @classmethod
    async def open(
        cls,
        url: str,
        fingerprint: str,
        *,
        open_timeout: float,
        on_notification: Notify | None = None,
    ) -> AgentConnection:
        """Connect, check the pin, upgrade. Raises :class:`PinMismatch`, ``OSError``,
        ``TimeoutError`` or a ``websockets`` handshake error."""
        from websockets.asyncio.client import connect

        websocket = await connect(
            url,
            ssl=client_ssl_context(),
            server_hostname=host_port(url)[0],
            subprotocols=[protocol.SUBPROTOCOL],  # type: ignore[list-item]
            create_connection=_pinned_connection_class(fingerprint),
            open_timeout=open_timeout,
            proxy=None,
            max_size=MAX_INCOMING_BYTES,
            ping_interval=15,
            ping_timeout=15,
            close_timeout=2,
            user_agent_header="sfai",
        )
        return cls(websocket, on_notification)

    @property
    def closed(self) -> bool:
        return self._lost is not None

    @property
    def lost(self) -> ConnectionLost | None:
        return self._lost

    def limit_concurrency(self, calls: int) -> None:
        """At most ``calls`` requests in flight (the agent's ``max_concurrent_calls``):
        more wait here for a turn instead of being answered ``BUSY``."""
        self._gate = asyncio.Semaphore(max(1, calls))

    async def request(self, method: str, params: dict[str, Any], timeout: float) -> Any:
        """Send one request and wait for its answer (``timeout`` counts from sending).
        Raises :class:`RpcError` (the agent's JSON-RPC error), :class:`ConnectionLost` or
        :class:`CallTimeout`."""
        if self._gate is None:
            return await self._request(method, params, timeout)
        async with self._gate:
            return await self._request(method, params, timeout)

    async def _request(self, method: str, params: dict[str, Any], timeout: float) -> Any:
        from websockets.exceptions import ConnectionClosed

        if self._lost is not None:
            raise self._lost
        request_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        try:
            async with asyncio.timeout(timeout):
                await self._ws.send(protocol.request(request_id, method, params))
                return await future
        except ConnectionClosed as exc:
            raise self._lost or ConnectionLost(_describe_close(exc), _close_code(exc)) from None
        except TimeoutError:
            raise CallTimeout(f"no answer to {method} within {timeout:g}s") from None
        finally:
            self._pending.pop(request_id, None)

    async def ping(self, timeout: float) -> float:
        """Round-trip time in seconds of a WebSocket ping. Raises like :meth:`request`."""
        from websockets.exceptions import ConnectionClosed

        if self._lost is not None:
            raise self._lost
        try:
            async with asyncio.timeout(timeout):
                waiter = await self._ws.ping()
                return float(await waiter)
        except ConnectionClosed as exc:
            raise self._lost or ConnectionLost(_describe_close(exc), _close_code(exc)) from None
        except TimeoutError:
            raise CallTimeout(f"no answer to a ping within {timeout:g}s") from None

    def abort(self, reason: str) -> None:
        """Drop the connection at once (it stopped answering): pending requests fail."""
        self._fail_pending(ConnectionLost(reason))
        self._ws.transport.abort()

    async def close(self) -> None:
        """A clean close (close frame, bounded wait), then nothing is left running."""
        if self._lost is None:
            self._fail_pending(ConnectionLost("the connection was closed"))
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._ws.close(), 3)
        self._ws.transport.abort()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._reader

    # -- reading ---------------------------------------------------------------------
    async def _read(self) -> None:
        from websockets.exceptions import ConnectionClosed

        lost = ConnectionLost("the agent closed the connection")
        try:
            async for raw in self._ws:
                self._dispatch(raw)
            lost = ConnectionLost(_describe_close(None, self._ws), self._ws.close_code)
        except ConnectionClosed as exc:
            lost = ConnectionLost(_describe_close(exc), _close_code(exc))
        except Exception as exc:  # anything ends the connection, and is reported
            lost = ConnectionLost(f"the connection failed: {exc}")
        finally:
            self._fail_pending(lost)

    def _dispatch(self, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            return  # not ours to crash on; the request it answered will time out
        if not isinstance(message, dict):
            return
        if protocol.too_deep(message, MAX_ANSWER_DEPTH):
            future = self._pending.get(message.get("id"))  # type: ignore[arg-type]
            if future is not None and not future.done():
                future.set_exception(
                    RpcError(
                        protocol.INVALID_REQUEST,
                        f"the agent's answer nests deeper than {MAX_ANSWER_DEPTH} levels",
                    )
                )
            return
        if "method" in message and "id" not in message:
            params = message.get("params")
            if self._on_notification is not None and isinstance(params, dict):
                self._on_notification(str(message["method"]), params)
            return
        future = self._pending.get(message.get("id"))  # type: ignore[arg-type]
        if future is None or future.done():
            return
        error = message.get("error")
        if isinstance(error, dict):
            future.set_exception(
                RpcError(
                    int(error.get("code", protocol.INTERNAL_ERROR)),
                    str(error.get("message", "error")),
                    error.get("data"),
                )
            )
        else:
            future.set_result(message.get("result"))

    def _fail_pending(self, lost: ConnectionLost) -> None:
        if self._lost is None:
            self._lost = lost
        for future in self._pending.values():
            if not future.done():
                future.set_exception(self._lost)
                future.exception()  # retrieved: no "never retrieved" warning if abandoned
        self._pending.clear()


def _close_code(exc: Any) -> int | None:
    frame = getattr(exc, "rcvd", None)
    return int(frame.code) if frame is not None else None


def _describe_close(exc: Any, websocket: Any = None) -> str:
    code = _close_code(exc) if exc is not None else getattr(websocket, "close_code", None)
    reason = ""
    frame = getattr(exc, "rcvd", None) if exc is not None else None
    if frame is not None:
        reason = frame.reason
    elif websocket is not None:
        reason = getattr(websocket, "close_reason", "") or ""
    if code is None or code == 1006:
        return "the connection to the agent dropped"
    if code == protocol.CLOSE_UNAUTHENTICATED:
        return "the agent refused the token"
    if code == 1001:
        return "the agent is shutting down"
    if code == 1009:
        return "the agent refused a message as too large"
    return f"the agent closed the connection ({code}{': ' + reason if reason else ''})"
