"""A local OpenAI-compatible server, the way Ollama, llama.cpp's server and vLLM speak it.

A real HTTP/1.1 server on 127.0.0.1 (stdlib, one thread per connection) that answers
``POST /v1/chat/completions`` with scripted replies, streamed as chunked SSE
(``data: {...}`` events then ``data: [DONE]``), and records every request it receives.
Anything else gets Ollama's plain-text ``404 page not found``.

    with FakeOpenAIServer() as server:
        server.script(tool_reply(ToolCall("call_1", "get_disk_usage", '{"path": "/"}')),
                      text_reply("The disk ", "is full."))
        provider = OpenAICompatProvider(server.base_url, "qwen2.5")
        ...
        server.requests[0].body["messages"]
"""

from __future__ import annotations

import json
import sys
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import zip_longest
from typing import Any, NamedTuple

MODEL = "qwen2.5:7b"
CHAT_PATH = "/v1/chat/completions"


@dataclass
class Reply:
    """One scripted response."""

    status: int = 200
    chunks: list[dict[str, Any]] = field(default_factory=list)
    """SSE ``data:`` payloads, in order (streamed replies)."""
    done: bool = True
    """End the stream with ``data: [DONE]``."""
    body: bytes | None = None
    """A whole body instead of a stream (errors, non-streamed completions)."""
    content_type: str = "text/event-stream"
    headers: dict[str, str] = field(default_factory=dict)
    hold_after: int | None = None
    """Stop after this many chunks until ``FakeOpenAIServer.release()`` (or 5 s)."""
    cut_after: int | None = None
    """Drop the connection after this many chunks, mid-body."""
    drop: bool = False
    """Close the connection without answering at all."""


class ToolCall(NamedTuple):
    id: str
    name: str
    arguments: str
    """Raw JSON text, sent as the model produced it (may be malformed on purpose)."""


@dataclass
class RecordedRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


def chunk(
    delta: dict[str, Any] | None = None,
    finish_reason: str | None = None,
    usage: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A ``chat.completion.chunk``; with ``delta`` None, the usage-only last chunk."""
    payload: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1767225600,
        "model": MODEL,
        "system_fingerprint": "fp_ollama",
        "choices": []
        if delta is None
        else [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }
    if usage is not None:
        payload["usage"] = usage
    return payload


def usage(prompt: int, completion: int, cached: int | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }
    if cached is not None:
        data["prompt_tokens_details"] = {"cached_tokens": cached}
    return data


def text_reply(
    *pieces: str,
    finish_reason: str = "stop",
    tokens: tuple[int, int] | None = (12, 5),
    **options: Any,
) -> Reply:
    """Text streamed piece by piece, then finish_reason, then a usage chunk."""
    chunks = [chunk({"role": "assistant", "content": ""})]
    chunks += [chunk({"content": piece}) for piece in pieces]
    chunks.append(chunk({}, finish_reason=finish_reason))
    if tokens is not None:
        chunks.append(chunk(usage=usage(*tokens)))
    return Reply(chunks=chunks, **options)


def _pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def tool_reply(
    *calls: ToolCall,
    text: str = "",
    fragment: int = 5,
    interleave: bool = False,
    finish_reason: str = "tool_calls",
    tokens: tuple[int, int] | None = (40, 18),
) -> Reply:
    """Tool calls streamed like vLLM / OpenAI: per call a first fragment with index, id and
    name (empty arguments), then the arguments in ``fragment``-character pieces. With
    ``interleave``, the calls' argument pieces alternate."""
    chunks = [chunk({"role": "assistant", "content": text})]
    streams: list[list[dict[str, Any]]] = []
    for index, call in enumerate(calls):
        head = {
            "index": index,
            "id": call.id,
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }
        pieces = [
            {"index": index, "function": {"arguments": piece}}
            for piece in _pieces(call.arguments, fragment)
        ]
        streams.append([head, *pieces])
    if interleave:
        rounds = zip_longest(*(stream[1:] for stream in streams))
        order = [stream[0] for stream in streams]
        order += [piece for round_ in rounds for piece in round_ if piece is not None]
    else:
        order = [piece for stream in streams for piece in stream]
    chunks += [chunk({"tool_calls": [piece]}) for piece in order]
    chunks.append(chunk({}, finish_reason=finish_reason))
    if tokens is not None:
        chunks.append(chunk(usage=usage(*tokens)))
    return Reply(chunks=chunks)


def whole_tool_calls_reply(*calls: ToolCall, finish_reason: str = "stop") -> Reply:
    """Older Ollama: each call whole in one chunk, no ``index``, and "stop" at the end."""
    chunks = [
        chunk(
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    {"id": call.id, "function": {"name": call.name, "arguments": call.arguments}}
                ],
            }
        )
        for call in calls
    ]
    chunks.append(chunk({}, finish_reason=finish_reason, usage=usage(30, 10)))
    return Reply(chunks=chunks)


def json_reply(message: dict[str, Any], finish_reason: str = "stop") -> Reply:
    """A whole (non-streamed) completion, as from a server that ignores ``stream``."""
    body = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": MODEL,
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
        "usage": usage(20, 7),
    }
    return Reply(body=json.dumps(body).encode(), content_type="application/json")


def error_reply(
    status: int,
    message: str,
    *,
    type_: str = "api_error",
    headers: dict[str, str] | None = None,
) -> Reply:
    """An error the way Ollama's /v1 and OpenAI shape it."""
    body = {"error": {"message": message, "type": type_, "param": None, "code": None}}
    return Reply(
        status=status,
        body=json.dumps(body).encode(),
        content_type="application/json",
        headers=headers or {},
    )


def raw_reply(status: int, body: str, content_type: str = "text/plain; charset=utf-8") -> Reply:
    return Reply(status=status, body=body.encode(), content_type=content_type)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        fake = self.server.fake
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {"_unparsed": raw.decode("utf-8", "replace")}
        headers = {k.lower(): v for k, v in self.headers.items()}
        if self.path != CHAT_PATH:
            self._send(raw_reply(404, "404 page not found"))
            return
        with fake.lock:
            fake.requests.append(RecordedRequest(self.path, headers, body))
            reply = fake.replies.popleft() if fake.replies else None
        if reply is None:
            reply = error_reply(500, "fake server: no scripted reply left")
        try:
            self._send(reply)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _send(self, reply: Reply) -> None:
        if reply.drop:
            self.close_connection = True
            return
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.body is not None:
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        events = [f"data: {json.dumps(c)}\n\n".encode() for c in reply.chunks]
        if reply.done:
            events.append(b"data: [DONE]\n\n")
        for sent, event in enumerate(events):
            if reply.hold_after == sent:
                self.wfile.flush()
                self.server.fake.gate.wait(5)
            if reply.cut_after == sent:
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(f"{len(event):x}\r\n".encode() + event + b"\r\n")
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeOpenAIServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client hanging up on a kept-alive connection is normal; anything else is not."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class FakeOpenAIServer:
    """Scripted OpenAI-compatible server on 127.0.0.1; a context manager."""

    def __init__(self) -> None:
        self.replies: deque[Reply] = deque()
        self.requests: list[RecordedRequest] = []
        self.lock = threading.Lock()
        self.gate = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def script(self, *replies: Reply) -> None:
        with self.lock:
            self.replies.extend(replies)

    def release(self) -> None:
        """Let replies held by ``hold_after`` go on."""
        self.gate.set()

    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> FakeOpenAIServer:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.gate.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
