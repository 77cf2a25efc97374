"""One client connection: JSON-RPC framing, authentication, dispatch, clean teardown.

Every frame gets an answer or a close, never a crash: a frame that is not JSON is
``PARSE_ERROR``, a JSON value that is not a request is ``INVALID_REQUEST``, and the
connection stays usable. Calls run as tasks (so a slow tool does not block ``metrics``
or a second call) and are counted against ``max_concurrent_calls``; when the client
goes away, whatever is still running is cancelled and awaited, so nothing leaks.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from sfai_agent.exec import LocalExecutor
from sfai_agent.server import protocol as rpc
from sfai_agent.server.calls import Caller, audit_refusal, run_call
from sfai_agent.server.home import HomeError
from sfai_agent.server.protocol import RpcError
from sfai_agent.server.state import AgentState
from sfai_agent.tools.base import ToolContext

if TYPE_CHECKING:
    from websockets.asyncio.server import ServerConnection

    from sfai_agent.metrics import MetricsCollector, Sample

log = logging.getLogger("sfai_agent.server")

MAX_ID_CHARS = 200
MAX_METRICS_INTERVAL_S = 3600.0
DEFAULT_METRICS_INTERVAL_S = 2.0
Handler = Callable[[dict[str, Any]], Awaitable[Any]]


def _text(value: object, limit: int = 80) -> str:
    """A client's value quoted back (in an error or a log line): short and printable."""
    return repr(value)[:limit]


def _valid_id(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, str) and len(value) <= MAX_ID_CHARS


class Session:
    def __init__(self, state: AgentState, websocket: ServerConnection) -> None:
        from sfai_agent.redact import Redactor

        self.state = state
        self.ws = websocket
        address = websocket.remote_address
        self.peer = f"{address[0]}:{address[1]}" if address else "unknown"
        self.address = str(address[0]) if address else ""
        """The peer's IP address (connections waiting for hello are capped per address)."""
        self.client = "unknown client"
        self.authenticated = False
        self.unauthenticated_messages = 0
        self.calls = 0
        self.active = 0
        self.tasks: set[asyncio.Task[None]] = set()
        self.metrics_task: asyncio.Task[None] | None = None
        self.collector: MetricsCollector | None = None
        self.context = ToolContext(
            executor=LocalExecutor(),
            settings=state.policy.settings,
            policy=state.policy.make_policy(),
            redactor=Redactor(),  # one per connection: placeholders stable for its life
        )
        self.handlers: dict[str, Handler] = {
            "hello": self.hello,
            "tools.call": self.tools_call,
            "metrics.subscribe": self.metrics_subscribe,
            "metrics.unsubscribe": self.metrics_unsubscribe,
            "metrics.sample": self.metrics_sample,
        }

    # -- the connection's life ---------------------------------------------------------
    async def run(self) -> None:
        from websockets.exceptions import ConnectionClosed

        started = time.monotonic()
        watchdog = asyncio.create_task(self._hello_deadline())
        try:
            async for frame in self.ws:
                await self.handle_frame(frame)
        except ConnectionClosed:
            pass
        finally:
            watchdog.cancel()
            await self._cancel_all()
            code = self.ws.close_code
            who = self.client if self.authenticated else "never authenticated"
            log.info(
                "%s closed (%s, %d call%s, %.1fs, close code %s)",
                self.peer, who, self.calls, "" if self.calls == 1 else "s",
                time.monotonic() - started, code,
            )  # fmt: skip

    async def _hello_deadline(self) -> None:
        await asyncio.sleep(self.state.policy.limits.hello_timeout_s)
        if not self.authenticated:
            log.warning("%s did not authenticate in time: closed", self.peer)
            await self.ws.close(rpc.CLOSE_UNAUTHENTICATED, "authenticate with hello first")

    async def _cancel_all(self) -> None:
        pending = [*self.tasks]
        if self.metrics_task is not None:
            pending.append(self.metrics_task)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)

    # -- frames --------------------------------------------------------------------------
    async def send(self, text: str) -> None:
        from websockets.exceptions import ConnectionClosed

        with contextlib.suppress(ConnectionClosed):
            await self.ws.send(text)

    async def reply(self, request_id: Any, result: Any) -> None:
        try:
            text = rpc.response(request_id, result)
        except (TypeError, ValueError) as exc:  # a result that is not JSON: a bug, not a crash
            log.error("cannot encode the answer to request %s: %s", _text(request_id), exc)
            text = rpc.error_response(
                request_id, RpcError(rpc.INTERNAL_ERROR, "the agent could not encode its answer")
            )
        await self.send(text)

    async def fail(self, request_id: Any, error: RpcError) -> None:
        await self.send(rpc.error_response(request_id, error))

    async def handle_frame(self, frame: str | bytes) -> None:
        message = await self._parse(frame)
        if message is None:
            return
        request_id, method, params, notify = message
        if not self.authenticated and method != "hello":
            await self._unauthenticated(request_id, method)
            return
        handler = self.handlers.get(method)
        if handler is None:
            if not notify:
                await self.fail(
                    request_id,
                    RpcError(
                        rpc.METHOD_NOT_FOUND,
                        f"unknown method {_text(method)}; the agent knows {', '.join(rpc.METHODS)}",
                    ),
                )
            return
        if method in ("tools.call", "metrics.sample"):
            limit = self.state.policy.limits.max_concurrent_calls
            if self.active >= limit:
                # Answered here, not from a task: a client that sends and never reads
                # then finds the agent no longer reading either (backpressure), instead
                # of one blocked task per frame piling up.
                if not notify:
                    await self.fail(
                        request_id,
                        RpcError(
                            rpc.BUSY,
                            f"{limit} calls already running on this connection: wait for one to finish",
                        ),
                    )
                return
            self._spawn(request_id, handler, params, notify)
            return
        try:
            result = await handler(params)
        except RpcError as exc:
            if not notify:
                await self.fail(request_id, exc)
            if exc.code == rpc.UNAUTHENTICATED:
                await self.ws.close(rpc.CLOSE_UNAUTHENTICATED, "wrong token")
            return
        except Exception as exc:  # a bug must cost one answer, not the connection
            log.exception("internal error in %s from %s", method, self.peer)
            if not notify:
                await self.fail(request_id, RpcError(rpc.INTERNAL_ERROR, type(exc).__name__))
            return
        if not notify:
            await self.reply(request_id, result)

    async def _parse(self, frame: str | bytes) -> tuple[Any, str, dict[str, Any], bool] | None:
        """(id, method, params, is_notification), or None after answering a bad frame."""
        if isinstance(frame, bytes):
            await self._bad(
                RpcError(
                    rpc.INVALID_REQUEST, "binary frames are not accepted: send JSON text frames"
                )
            )
            return None
        try:
            message = json.loads(frame)
        except (ValueError, RecursionError):
            await self._bad(RpcError(rpc.PARSE_ERROR, "the frame is not valid JSON"))
            return None
        if rpc.too_deep(message):
            await self._bad(
                RpcError(
                    rpc.INVALID_REQUEST,
                    f"the request nests deeper than {rpc.MAX_JSON_DEPTH} levels",
                ),
                message.get("id")
                if isinstance(message, dict) and _valid_id(message.get("id"))
                else None,
            )
            return None
        if isinstance(message, list):
            await self._bad(
                RpcError(rpc.INVALID_REQUEST, "batches are not supported: one request per frame")
            )
            return None
        if not isinstance(message, dict):
            await self._bad(RpcError(rpc.INVALID_REQUEST, "a request is a JSON object"))
            return None
        request_id = message.get("id")
        if not _valid_id(request_id):
            await self._bad(
                RpcError(rpc.INVALID_REQUEST, "id must be a string, an integer or null")
            )
            return None
        if message.get("jsonrpc") != "2.0" or not isinstance(message.get("method"), str):
            await self._bad(
                RpcError(
                    rpc.INVALID_REQUEST, 'a request needs "jsonrpc": "2.0" and a "method" string'
                ),
                request_id,
            )
            return None
        params = message.get("params", {})
        if not isinstance(params, dict):
            await self._bad(
                RpcError(rpc.INVALID_PARAMS, "params must be a JSON object (named parameters)"),
                request_id,
            )
            return None
        return request_id, message["method"], params, "id" not in message

    async def _bad(self, error: RpcError, request_id: Any = None) -> None:
        await self.fail(request_id, error)
        if not self.authenticated:
            await self._count_unauthenticated()

    async def _unauthenticated(self, request_id: Any, method: str) -> None:
        log.warning("refused %s from %s: not authenticated", _text(method, 40), self.peer)
        await self.fail(
            request_id, RpcError(rpc.UNAUTHENTICATED, "send hello with the agent's token first")
        )
        await self._count_unauthenticated()

    async def _count_unauthenticated(self) -> None:
        self.unauthenticated_messages += 1
        if self.unauthenticated_messages >= self.state.policy.limits.max_unauthenticated_messages:
            log.warning("%s sent too many messages before hello: closed", self.peer)
            await self.ws.close(rpc.CLOSE_PROTOCOL, "too many messages before hello")

    def _spawn(
        self, request_id: Any, handler: Handler, params: dict[str, Any], notify: bool
    ) -> None:
        async def run() -> None:
            try:
                result = await handler(params)
            except RpcError as exc:
                if not notify:
                    await self.fail(request_id, exc)
                return
            except Exception as exc:  # a bug must cost one answer, not the connection
                log.exception("internal error in a call from %s", self.peer)
                if not notify:
                    await self.fail(request_id, RpcError(rpc.INTERNAL_ERROR, type(exc).__name__))
                return
            finally:
                self.active -= 1
            if not notify:
                await self.reply(request_id, result)

        self.active += 1
        task = asyncio.create_task(run())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    # -- methods -------------------------------------------------------------------------
    async def hello(self, params: dict[str, Any]) -> dict[str, Any]:
        token = params.get("token")
        try:
            expected = self.state.home.read_token()
        except HomeError as exc:
            log.error("cannot check a hello from %s: %s", self.peer, exc)
            raise RpcError(rpc.INTERNAL_ERROR, "the agent cannot read its token file") from exc
        given = token.encode("utf-8", "surrogatepass") if isinstance(token, str) else b""
        if not hmac.compare_digest(given, expected.encode("utf-8")):
            log.warning("refused hello from %s: wrong token", self.peer)
            self.state.wrong_tokens += 1
            count = self.state.wrong_tokens
            # Anyone who reaches the port can send wrong tokens: the audit log records
            # the first ten, then one in ten, one in a hundred..., so it cannot be filled.
            if count <= 10 or count % 10 ** (len(str(count)) - 1) == 0:
                await audit_refusal(
                    self.state,
                    Caller(self.peer, "unauthenticated"),
                    "hello",
                    f"wrong token (#{count} since the agent started)",
                )
            raise RpcError(rpc.UNAUTHENTICATED, "wrong token")
        protocol = params.get("protocol")
        if protocol != rpc.PROTOCOL_VERSION:
            raise RpcError(
                rpc.UNSUPPORTED_PROTOCOL,
                f"protocol {_text(protocol, 20)} is not supported; this agent speaks {rpc.PROTOCOL_VERSION}",
                {"supported": [rpc.PROTOCOL_VERSION]},
            )
        client = params.get("client")
        if isinstance(client, dict):
            name, version = (
                str(client.get("name", "client"))[:40],
                str(client.get("version", ""))[:20],
            )
            self.client = f"{name} {version}".strip()
        else:
            self.client = "client"
        self.authenticated = True
        return self.state.hello_result()

    async def tools_call(self, params: dict[str, Any]) -> dict[str, Any]:
        name = params.get("name")
        if not isinstance(name, str) or not name:
            raise RpcError(rpc.INVALID_PARAMS, 'tools.call needs "name": the tool to run')
        approved = params.get("approved", False)
        if not isinstance(approved, bool):
            raise RpcError(rpc.INVALID_PARAMS, '"approved" must be true or false')
        self.calls += 1
        caller = Caller(peer=self.peer, client=self.client)
        return await run_call(
            self.state, self.context, caller, name, params.get("arguments", {}), approved
        )

    def _collector(self) -> MetricsCollector:
        if self.collector is None:
            from sfai_agent.metrics import MetricsCollector

            self.collector = MetricsCollector()
        return self.collector

    async def _sample(self) -> Sample:
        return await asyncio.to_thread(self._collector().sample)

    async def metrics_sample(self, params: dict[str, Any]) -> Sample:
        return await self._sample()

    async def metrics_subscribe(self, params: dict[str, Any]) -> dict[str, Any]:
        interval = params.get("interval_s", DEFAULT_METRICS_INTERVAL_S)
        if (
            isinstance(interval, bool)
            or not isinstance(interval, (int, float))
            or interval != interval
        ):
            raise RpcError(rpc.INVALID_PARAMS, '"interval_s" must be a number of seconds')
        interval = min(max(float(interval), rpc.MIN_METRICS_INTERVAL_S), MAX_METRICS_INTERVAL_S)
        await self.metrics_unsubscribe({})
        self.metrics_task = asyncio.create_task(self._stream(interval))
        return {"interval_s": interval}

    async def metrics_unsubscribe(self, params: dict[str, Any]) -> dict[str, Any]:
        task, self.metrics_task = self.metrics_task, None
        if task is None:
            return {"subscribed": False}
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return {"subscribed": False}

    async def _stream(self, interval: float) -> None:
        while True:
            started = time.monotonic()
            try:
                sample = await self._sample()
            except Exception:  # a failing read must not end the stream for good
                log.exception("metrics sample failed")
            else:
                await self.send(rpc.notification("metrics.sample", sample))
            await asyncio.sleep(max(0.0, interval - (time.monotonic() - started)))
