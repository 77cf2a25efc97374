"""``sfai-agent serve``: the TLS WebSocket server, its limits, signals and log lines.

One asyncio process; one :class:`~sfai_agent.server.session.Session` per connection.
Compression is off: messages are small, latency matters more, and a compressed frame
could inflate far beyond its wire size. SIGTERM and SIGINT close every connection
(1001, going away), cancel what runs, close the audit log and exit 0.

Log lines go to stderr (journald adds timestamps under systemd): one when the agent
starts listening, one per connection when it ends, one per refusal. Tokens and tool
results never appear in them.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import ssl
import sys
from typing import TYPE_CHECKING

from sfai_agent.server.home import AgentHome
from sfai_agent.server.protocol import DEFAULT_PORT, SUBPROTOCOL
from sfai_agent.server.session import Session
from sfai_agent.server.state import AgentState

if TYPE_CHECKING:
    from collections.abc import Sequence

    from websockets.asyncio.server import ServerConnection
    from websockets.typing import Subprotocol

log = logging.getLogger("sfai_agent.server")

DEFAULT_LISTEN = f"0.0.0.0:{DEFAULT_PORT}"
PING_INTERVAL_S = 20.0
"""Keepalive: a peer that vanished without a FIN (a dropped network) is noticed within
``PING_INTERVAL_S + PING_TIMEOUT_S`` and its calls cancelled."""
PING_TIMEOUT_S = 20.0


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT``, ``[::1]:PORT``, ``:PORT`` (all IPv4 addresses) or ``PORT``."""
    text = text.strip()
    host, sep, port_text = text.rpartition(":")
    if not sep:
        host, port_text = "0.0.0.0", text
    host = host.strip("[]") or "0.0.0.0"
    try:
        port = int(port_text)
    except ValueError:
        raise ValueError(
            f"--listen {text!r}: expected HOST:PORT, like 0.0.0.0:{DEFAULT_PORT}"
        ) from None
    if not 0 <= port <= 65535:
        raise ValueError(f"--listen {text!r}: the port must be 0 to 65535")
    return host, port


def tls_context(home: AgentHome) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(home.cert_file, home.key_file)
    return context


def setup_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("sfai-agent: %(levelname)s: %(message)s"))
    root = logging.getLogger("sfai_agent")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    # websockets logs failed handshakes (port scanners, clients that drop on a pinning
    # mismatch) with tracebacks at INFO: keep its warnings only.
    logging.getLogger("websockets").setLevel(logging.WARNING)


async def serve(home: AgentHome, listen: str = DEFAULT_LISTEN) -> None:
    """Run until SIGTERM/SIGINT. Raises on a bad home, policy or address (before binding)."""
    from websockets.asyncio.server import serve as ws_serve

    host, port = parse_listen(listen)
    state = AgentState.load(home)
    context = tls_context(home)
    fingerprint = home.fingerprint()
    limits = state.policy.limits

    sessions: set[Session] = set()

    async def handler(websocket: ServerConnection) -> None:
        if state.connections >= limits.max_connections:
            log.warning(
                "refused a connection from %s: %d already open",
                websocket.remote_address,
                state.connections,
            )
            await websocket.close(1013, "too many connections: try again later")
            return
        address = websocket.remote_address[0] if websocket.remote_address else ""
        waiting = sum(1 for s in sessions if not s.authenticated and s.address == address)
        if waiting >= limits.max_unauthenticated_per_address:
            log.warning(
                "refused a connection from %s: %d from that address still waiting to authenticate",
                address,
                waiting,
            )
            await websocket.close(1013, "too many connections: try again later")
            return
        state.connections += 1
        session = Session(state, websocket)
        sessions.add(session)
        try:
            await session.run()
        finally:
            sessions.discard(session)
            state.connections -= 1

    loop = asyncio.get_running_loop()
    stop: asyncio.Future[str] = loop.create_future()

    def on_signal(signum: signal.Signals) -> None:
        if not stop.done():
            stop.set_result(signum.name)

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, on_signal, signum)
    try:
        async with ws_serve(
            handler,
            host,
            port,
            ssl=context,
            max_size=limits.max_frame_bytes,
            compression=None,
            select_subprotocol=_select_subprotocol,
            ping_interval=PING_INTERVAL_S,
            ping_timeout=PING_TIMEOUT_S,
            server_header=None,
        ) as server:
            bound = [sock.getsockname() for sock in server.sockets]
            shown = ", ".join(f"wss://{_host(a[0])}:{a[1]}" for a in bound)
            log.info(
                "listening on %s (fingerprint %s; %d tools offered; actions %s; policy %s)",
                shown, fingerprint, len(state.catalog),
                "allowed" if state.policy.actions_allowed else "not allowed",
                state.policy.source or "defaults (no policy file)",
            )  # fmt: skip
            reason = await stop
            log.info("%s received: closing %d connection(s)", reason, state.connections)
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
        state.close()
    log.info("stopped")


def _select_subprotocol(
    connection: ServerConnection, offered: Sequence[Subprotocol]
) -> Subprotocol | None:
    """``sfai-agent.v1`` when the client offers it; a client that offers nothing is
    served too (the protocol version is checked in ``hello``)."""
    from websockets.typing import Subprotocol

    return Subprotocol(SUBPROTOCOL) if SUBPROTOCOL in offered else None


def _host(address: str) -> str:
    return f"[{address}]" if ":" in address else address
