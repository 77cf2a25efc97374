"""A local HTTP server speaking the Anthropic Messages API: the one stand-in of the suite.

It listens on 127.0.0.1 (a free port unless told), in a background thread of the test
process, so a client in another process (the ``sfai`` console script) reaches it too.
``POST /v1/messages`` answers from a script of replies (see
:mod:`tests.fakes.anthropic_replies` for ``reply``, ``tool_use``, ``error`` and callables):
streamed as Server-Sent Events exactly as the API sends them when the body says
``"stream": true``, else as one JSON Message object. Every request is recorded.

When the script runs out the server answers 500 ``api_error`` "fake server: no scripted
reply left" with ``x-should-retry: false`` (the SDK does not retry it, the test fails at
once). Requests the real API would reject (empty text blocks, more than 4 cache
breakpoints, tool_result without its tool_use...) get the API's 400 without using a reply,
unless ``validate=False``. With ``api_key`` set, any other key gets 401.

From the command line, for benchmarks::

    python -m tests.fakes.anthropic_server --port 8765 --script replies.json [--repeat]

prints the base URL on stdout and serves until interrupted. ``replies.json`` is a JSON list
of reply specs (strings or the dicts ``reply()`` / ``error()`` build).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

from tests.fakes.anthropic_replies import (
    JSON,
    CacheSimulator,
    ErrorReply,
    Reply,
    ReplySpec,
    full_usage,
    message_object,
    parse_reply,
    prompt_tokens,
    sse_bytes,
    sse_events,
    validate,
)

NO_REPLY_LEFT = "fake server: no scripted reply left"


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    """Header names in lower case."""
    body: Any
    """The parsed JSON body (None when the body is not JSON)."""
    raw: bytes

    @property
    def api_key(self) -> str | None:
        """The key the client sent, as ``x-api-key`` or ``Authorization: Bearer``."""
        if "x-api-key" in self.headers:
            return self.headers["x-api-key"]
        auth = self.headers.get("authorization", "")
        return auth[len("Bearer ") :] if auth.startswith("Bearer ") else None


class FakeAnthropicServer:
    """``start()`` (or ``with``), then ``script([...])``, point the client at ``url``."""

    def __init__(
        self,
        replies: Iterable[ReplySpec] = (),
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
        validate: bool = True,
        repeat: bool = False,
        cache_min_tokens: int = 1024,
    ) -> None:
        self.api_key = api_key
        self.validate = validate
        self.repeat = repeat
        self._lock = threading.Lock()
        self._replies: deque[ReplySpec] = deque(replies)
        self._used: list[ReplySpec] = []
        self._requests: list[RecordedRequest] = []
        self._counters = {"msg": 0, "toolu": 0, "req": 0}
        self._cache = CacheSimulator(cache_min_tokens)
        self.stopping = threading.Event()
        self._httpd = _QuietServer((host, port), _Handler)
        self._httpd.fake = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    # --- the API for tests -----------------------------------------------------------

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """The base URL (``ANTHROPIC_BASE_URL``), without a trailing slash."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, in order (a copy)."""
        with self._lock:
            return list(self._requests)

    @property
    def message_requests(self) -> list[RecordedRequest]:
        """Only the ``POST /v1/messages`` ones."""
        return [r for r in self.requests if r.method == "POST" and r.path == "/v1/messages"]

    @property
    def remaining(self) -> int:
        """Scripted replies not used yet."""
        with self._lock:
            return len(self._replies)

    def script(self, replies: Iterable[ReplySpec]) -> FakeAnthropicServer:
        """Append replies to the script (used in order, one per ``/v1/messages`` request)."""
        with self._lock:
            self._replies.extend(replies)
        return self

    def clear(self) -> None:
        """Forget the remaining script and the recorded requests."""
        with self._lock:
            self._replies.clear()
            self._requests.clear()

    def wait_for_requests(self, count: int, timeout: float = 10.0) -> list[RecordedRequest]:
        """Wait until ``count`` requests were recorded (for clients in other processes)."""
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.requests

    def start(self) -> FakeAnthropicServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; replies in progress end at their next delay."""
        self.stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> FakeAnthropicServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- used by the handler ---------------------------------------------------------

    def _next_id(self, prefix: str) -> str:
        with self._lock:
            self._counters[prefix] += 1
            return f"{prefix}_fake{self._counters[prefix]:04d}"

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _take_reply(self) -> ReplySpec | None:
        with self._lock:
            if not self._replies and self.repeat and self._used:
                self._replies.extend(self._used)
                self._used.clear()
            if not self._replies:
                return None
            spec = self._replies.popleft()
            self._used.append(spec)
            return spec

    def _simulated_usage(self, body: JSON) -> dict[str, int]:
        with self._lock:
            return self._cache.usage(body)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away (killed mid-stream) is not worth a traceback."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "fake-anthropic/1"
    sys_version = ""

    @property
    def fake(self) -> FakeAnthropicServer:
        return self.server.fake  # type: ignore[attr-defined, no-any-return]

    def log_message(self, format: str, *args: Any) -> None:
        if getattr(self.server, "verbose", False):
            sys.stderr.write(f"fake-anthropic: {format % args}\n")

    # --- entry points ------------------------------------------------------------------

    def do_GET(self) -> None:
        self._record(b"")
        self._send_error(ErrorReply(404, "not_found_error", f"Not found: {self.path}"))

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        request = self._record(raw)
        body = request.body
        path = self.path.split("?", 1)[0]
        if path not in ("/v1/messages", "/v1/messages/count_tokens"):
            self._send_error(ErrorReply(404, "not_found_error", f"Not found: {path}"))
            return
        if self.fake.api_key is not None and request.api_key != self.fake.api_key:
            self._send_error(ErrorReply(401, "authentication_error", "invalid x-api-key"))
            return
        problem = validate(body) if self.fake.validate else None
        if path.endswith("/count_tokens"):
            if problem and not problem.startswith("max_tokens"):
                self._send_error(ErrorReply(400, "invalid_request_error", problem))
            else:
                self._send_json(200, {"input_tokens": prompt_tokens(body)})
            return
        if problem:
            self._send_error(ErrorReply(400, "invalid_request_error", problem))
            return
        self._answer(body)

    # --- answering ---------------------------------------------------------------------

    def _answer(self, body: JSON) -> None:
        spec = self.fake._take_reply()
        if spec is None:
            self._send_error(ErrorReply(500, "api_error", NO_REPLY_LEFT), retry=False)
            return
        try:
            while callable(spec):
                spec = spec(body)
            reply = parse_reply(spec, lambda: self.fake._next_id("toolu"))
        except Exception as exc:
            message = f"fake server: the scripted reply failed: {type(exc).__name__}: {exc}"
            self._send_error(ErrorReply(500, "api_error", message), retry=False)
            return
        if reply_wait := getattr(reply, "latency", 0.0):
            self.fake.stopping.wait(reply_wait)
        if isinstance(reply, ErrorReply):
            self._send_error(reply)
            return
        usage = full_usage(reply, self.fake._simulated_usage(body))
        message_id = self.fake._next_id("msg")
        if body.get("stream"):
            self._stream(reply, body["model"], message_id, usage)
        else:
            self._send_json(200, message_object(reply, body["model"], message_id, usage))

    def _stream(self, reply: Reply, model: str, message_id: str, usage: dict[str, int]) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream; charset=utf-8")
        self.send_header("cache-control", "no-cache")
        self.send_header("transfer-encoding", "chunked")
        self.send_header("request-id", self.fake._next_id("req"))
        self.end_headers()
        deltas = 0
        try:
            for number, (event, data, is_delta) in enumerate(
                sse_events(reply, model, message_id, usage)
            ):
                if reply.drop_after is not None and deltas >= reply.drop_after:
                    self._drop()
                    return
                if reply.end_after is not None and deltas >= reply.end_after:
                    break
                if reply.error_after is not None and deltas >= reply.error_after:
                    error = reply.stream_error or {
                        "type": "overloaded_error",
                        "message": "Overloaded",
                    }
                    self._chunk(sse_bytes("error", {"type": "error", "error": error}))
                    break
                if reply.delay and number and self.fake.stopping.wait(reply.delay):
                    self._drop()
                    return
                self._chunk(sse_bytes(event, data))
                deltas += is_delta
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _drop(self) -> None:
        """Close the connection mid-body, the way a dying network or server does."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)

    def _send_error(self, error: ErrorReply, retry: bool | None = None) -> None:
        headers = dict(error.headers)
        if retry is not None:
            headers["x-should-retry"] = "true" if retry else "false"
        self._send_json(error.status, error.body(), headers)

    def _send_json(self, status: int, payload: JSON, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.send_header("request-id", self.fake._next_id("req"))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _record(self, raw: bytes) -> RecordedRequest:
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        request = RecordedRequest(
            method=self.command,
            path=self.path,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            raw=raw,
        )
        self.fake._record(request)
        return request


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--script", type=Path, help="JSON list of reply specs")
    parser.add_argument("--repeat", action="store_true", help="replay the script forever")
    parser.add_argument("--api-key", help="answer 401 to any other key")
    parser.add_argument("--cache-min-tokens", type=int, default=1024)
    parser.add_argument("--verbose", action="store_true", help="log requests to stderr")
    args = parser.parse_args(argv)
    replies = json.loads(args.script.read_text()) if args.script else []
    server = FakeAnthropicServer(
        replies,
        port=args.port,
        api_key=args.api_key,
        repeat=args.repeat,
        cache_min_tokens=args.cache_min_tokens,
    )
    server._httpd.verbose = args.verbose  # type: ignore[attr-defined]

    def terminate(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    server.start()
    print(server.url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
