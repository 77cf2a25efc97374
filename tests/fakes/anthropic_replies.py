"""What the fake Anthropic Messages server says: scripted replies, their rendering as a
Message object or as the SSE stream the API sends, the request checks the real API makes,
and a small prompt-cache simulation for replies that do not script their usage.

Scripting (all plain, JSON-friendly values, so a script can also live in a file):

- ``reply("Hello ", "world", tool_use("get_disk_usage", {"path": "/"}))``: strings are text
  blocks; ``stop_reason`` defaults to ``tool_use`` when a tool_use block is present, else
  ``end_turn``; ``usage={"input_tokens": 10, "output_tokens": 5, ...}`` replaces the
  simulated numbers (missing keys are 0); ``latency`` waits before the response starts,
  ``delay`` waits between SSE events; ``drop_after=N`` closes the connection abruptly after N
  content deltas; ``end_after=N`` ends the body cleanly there (no ``message_stop``, as a
  proxy that cuts a stream might); ``error_after=N`` sends an SSE ``error`` event (``stream_error``, default
  ``overloaded_error``) after N deltas; ``chunk_size`` sets characters per delta (text
  defaults to one word per delta, tool input JSON to 8 characters per piece).
- ``error(429)``: an HTTP error with the API's JSON body; type and message default from the
  status; retryable statuses (408, 409, 429, 5xx, 529) carry ``retry-after: 0.01`` unless
  ``retry_after`` says otherwise (``None``: no header, the SDK's own backoff applies).
- A bare string is ``reply(string)``; a callable receives the request's JSON body and
  returns any of these (a test can answer from what it received).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeAlias

JSON: TypeAlias = dict[str, Any]
ReplySpec: TypeAlias = str | JSON | Callable[[JSON], "ReplySpec"]

_DEFAULT: Any = object()
_RETRYABLE = {408, 409, 429, 500, 502, 503, 504, 529}
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}
ERROR_MESSAGES = {
    "invalid_request_error": "Invalid request",
    "authentication_error": "invalid x-api-key",
    "billing_error": "Your credit balance is too low to access the Anthropic API.",
    "permission_error": "Your API key does not have permission to use the specified resource.",
    "not_found_error": "model: not found",
    "request_too_large": "Request exceeds the maximum allowed number of bytes.",
    "rate_limit_error": "Number of request tokens has exceeded your per-minute rate limit",
    "api_error": "Internal server error",
    "timeout_error": "Request timed out",
    "overloaded_error": "Overloaded",
}


def tool_use(name: str, input: JSON | None = None, id: str | None = None) -> JSON:
    """A tool_use content block; the server gives it an id when ``id`` is None."""
    block: JSON = {"type": "tool_use", "name": name, "input": input or {}}
    if id is not None:
        block["id"] = id
    return block


def reply(
    *blocks: str | JSON,
    stop_reason: str | None = None,
    usage: dict[str, int] | None = None,
    latency: float = 0.0,
    delay: float = 0.0,
    drop_after: int | None = None,
    end_after: int | None = None,
    error_after: int | None = None,
    stream_error: JSON | None = None,
    chunk_size: int | None = None,
    model: str | None = None,
) -> JSON:
    """One scripted assistant turn (see the module docstring)."""
    spec: JSON = {
        "content": [{"type": "text", "text": b} if isinstance(b, str) else b for b in blocks]
    }
    options = {
        "stop_reason": stop_reason,
        "usage": usage,
        "latency": latency or None,
        "delay": delay or None,
        "drop_after": drop_after,
        "end_after": end_after,
        "error_after": error_after,
        "stream_error": stream_error,
        "chunk_size": chunk_size,
        "model": model,
    }
    spec.update({k: v for k, v in options.items() if v is not None})
    return spec


def error(
    status: int,
    type: str | None = None,
    message: str | None = None,
    retry_after: float | None = _DEFAULT,
    headers: dict[str, str] | None = None,
) -> JSON:
    """An HTTP error reply with the API's error body."""
    spec: JSON = {"status": status}
    if type is not None:
        spec["type"] = type
    if message is not None:
        spec["message"] = message
    if retry_after is not _DEFAULT:
        spec["retry_after"] = retry_after
    if headers:
        spec["headers"] = headers
    return {"error": spec}


@dataclass
class Reply:
    content: list[JSON]
    stop_reason: str
    usage: dict[str, int] | None = None
    latency: float = 0.0
    delay: float = 0.0
    drop_after: int | None = None
    end_after: int | None = None
    error_after: int | None = None
    stream_error: JSON | None = None
    chunk_size: int | None = None
    model: str | None = None


@dataclass
class ErrorReply:
    status: int
    type: str
    message: str
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> JSON:
        return {"type": "error", "error": {"type": self.type, "message": self.message}}


def parse_reply(spec: str | JSON, new_tool_id: Callable[[], str]) -> Reply | ErrorReply:
    """Turn a (non-callable) reply spec into a Reply or ErrorReply; raises on nonsense."""
    if isinstance(spec, str):
        spec = reply(spec)
    if not isinstance(spec, dict):
        raise TypeError(f"fake server: a reply is a str, dict or callable, not {spec!r}")
    if "error" in spec:
        err = spec["error"]
        status = int(err["status"])
        kind = err.get("type") or ERROR_TYPES.get(status, "api_error")
        headers = {str(k): str(v) for k, v in (err.get("headers") or {}).items()}
        retry_after = err.get("retry_after", 0.01 if status in _RETRYABLE else None)
        if retry_after is not None:
            headers.setdefault("retry-after", f"{retry_after:g}")
        return ErrorReply(
            status, kind, err.get("message") or ERROR_MESSAGES.get(kind, kind), headers
        )
    content: list[JSON] = []
    for block in spec.get("content", []):
        block = dict(block)
        if block.get("type") == "tool_use":
            block.setdefault("id", new_tool_id())
            block.setdefault("input", {})
        content.append(block)
    has_tool = any(b.get("type") == "tool_use" for b in content)
    return Reply(
        content=content,
        stop_reason=spec.get("stop_reason") or ("tool_use" if has_tool else "end_turn"),
        usage=spec.get("usage"),
        latency=float(spec.get("latency") or 0.0),
        delay=float(spec.get("delay") or 0.0),
        drop_after=spec.get("drop_after"),
        end_after=spec.get("end_after"),
        error_after=spec.get("error_after"),
        stream_error=spec.get("stream_error"),
        chunk_size=spec.get("chunk_size"),
        model=spec.get("model"),
    )


# --- usage ---------------------------------------------------------------------------


def estimate_tokens(value: Any) -> int:
    """About four characters per token, of the compact JSON (or the text itself)."""
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return max(1, len(text) // 4) if text else 0


def output_tokens(content: list[JSON]) -> int:
    total = 0
    for block in content:
        if block.get("type") == "text":
            total += estimate_tokens(block.get("text", ""))
        elif block.get("type") == "tool_use":
            total += estimate_tokens(block.get("input", {})) + 5
    return max(1, total)


def _segments(body: JSON) -> list[tuple[JSON | str, bool]]:
    """The prompt in cache order (tools, system, messages), block by block, each with
    whether it carries a cache breakpoint."""
    out: list[tuple[JSON | str, bool]] = []

    def add(block: Any) -> None:
        if isinstance(block, dict):
            marked = "cache_control" in block
            out.append(({k: v for k, v in block.items() if k != "cache_control"}, marked))
        else:
            out.append((str(block), False))

    for tool in body.get("tools") or []:
        add(tool)
    system = body.get("system")
    for block in [system] if isinstance(system, str) else system or []:
        add(block)
    for message in body.get("messages") or []:
        content = message.get("content")
        for block in [content] if isinstance(content, str) else content or []:
            add({"role": message.get("role"), **block} if isinstance(block, dict) else block)
    return out


def prompt_tokens(body: JSON) -> int:
    """The estimated input tokens of a request (what ``count_tokens`` answers)."""
    return sum(estimate_tokens(block) for block, _ in _segments(body))


class CacheSimulator:
    """Prompt caching as the API does it, roughly: each breakpoint writes the prefix up to
    it (when at least ``min_tokens`` long); a later request reads the longest prefix that
    was written before. Not thread-safe by itself (the server holds its lock)."""

    def __init__(self, min_tokens: int = 1024) -> None:
        self.min_tokens = min_tokens
        self._written: set[str] = set()

    def usage(self, body: JSON) -> dict[str, int]:
        segments = _segments(body)
        digest = hashlib.sha256()
        hashes: list[str] = []
        sizes: list[int] = []
        for block, _ in segments:
            digest.update(json.dumps(block, sort_keys=True).encode())
            hashes.append(digest.copy().hexdigest())
            sizes.append(estimate_tokens(block))
        marks = [i for i, (_, marked) in enumerate(segments) if marked]
        total = sum(sizes)
        if not marks:
            return {
                "input_tokens": total,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
            }
        last = marks[-1]
        hit = max((i for i in range(last + 1) if hashes[i] in self._written), default=-1)
        read = sum(sizes[: hit + 1])
        written = 0
        for i in marks:
            prefix = sum(sizes[: i + 1])
            if prefix >= self.min_tokens and i > hit:
                self._written.add(hashes[i])
                written = prefix - read
        return {
            "input_tokens": total - read - written,
            "cache_creation_input_tokens": written,
            "cache_read_input_tokens": read,
        }


def full_usage(reply: Reply, simulated: dict[str, int]) -> dict[str, int]:
    usage = {
        **simulated,
        "output_tokens": output_tokens(reply.content),
    }
    if reply.usage is not None:
        usage = {
            "input_tokens": 0,
            "output_tokens": 0,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            **reply.usage,
        }
    return usage


# --- rendering -----------------------------------------------------------------------


def message_object(reply: Reply, model: str, message_id: str, usage: dict[str, int]) -> JSON:
    return {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": reply.model or model,
        "content": reply.content,
        "stop_reason": reply.stop_reason,
        "stop_sequence": None,
        "usage": usage,
    }


def _text_pieces(text: str, size: int | None) -> list[str]:
    if size:
        return [text[i : i + size] for i in range(0, len(text), size)] or [""]
    return re.findall(r"\s*\S+\s*|\s+", text) or [""]


def sse_events(
    reply: Reply, model: str, message_id: str, usage: dict[str, int]
) -> Iterator[tuple[str, JSON, bool]]:
    """``(event name, data, is_content_delta)`` in the order the API streams them."""
    start_usage = {**usage, "output_tokens": min(1, usage.get("output_tokens", 0))}
    start = message_object(reply, model, message_id, start_usage)
    start.update(content=[], stop_reason=None)
    yield "message_start", {"type": "message_start", "message": start}, False
    yield "ping", {"type": "ping"}, False
    for index, block in enumerate(reply.content):
        kind = block.get("type")
        if kind == "text":
            first: JSON = {"type": "text", "text": ""}
            deltas = [
                {"type": "text_delta", "text": piece}
                for piece in _text_pieces(block.get("text", ""), reply.chunk_size)
            ]
        elif kind == "tool_use":
            first = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
            encoded = json.dumps(block.get("input", {}))
            size = reply.chunk_size or 8
            pieces = [""] + [encoded[i : i + size] for i in range(0, len(encoded), size)]
            deltas = [{"type": "input_json_delta", "partial_json": p} for p in pieces]
        else:
            first, deltas = block, []
        yield (
            "content_block_start",
            {"type": "content_block_start", "index": index, "content_block": first},
            False,
        )
        for delta in deltas:
            data = {"type": "content_block_delta", "index": index, "delta": delta}
            yield "content_block_delta", data, True
        yield "content_block_stop", {"type": "content_block_stop", "index": index}, False
    yield (
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": reply.stop_reason, "stop_sequence": None},
            "usage": {"output_tokens": usage.get("output_tokens", 0)},
        },
        False,
    )
    yield "message_stop", {"type": "message_stop"}, False


def sse_bytes(event: str, data: JSON) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


# --- the checks the real API makes -----------------------------------------------------

_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def _blocks(content: Any) -> list[Any]:
    return [{"type": "text", "text": content}] if isinstance(content, str) else list(content or [])


def validate(body: Any) -> str | None:
    """The API's message for a request it would reject with 400, or None."""
    if not isinstance(body, dict):
        return "request body must be a JSON object"
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "model: Field required"
    max_tokens = body.get("max_tokens")
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
        return "max_tokens: Field required (an integer >= 1)"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages: Field required (at least one message)"
    breakpoints = 0
    system = body.get("system")
    for block in _blocks(system) if system is not None else []:
        if block.get("type") == "text" and not block.get("text"):
            return "system: text content blocks must be non-empty"
        breakpoints += "cache_control" in block
    names: set[str] = set()
    for i, tool in enumerate(body.get("tools") or []):
        name = tool.get("name", "")
        if not _TOOL_NAME.match(name):
            return f"tools.{i}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{{1,64}}$'"
        if "type" not in tool and not isinstance(tool.get("input_schema"), dict):
            return f"tools.{i}.custom.input_schema: Field required"
        if name in names:
            return "tools: Tool names must be unique."
        names.add(name)
        breakpoints += "cache_control" in tool
    previous_tool_ids: list[str] = []
    for i, message in enumerate(messages):
        if message.get("role") not in ("user", "assistant"):
            return f"messages.{i}.role: Input should be 'user' or 'assistant'"
        blocks = _blocks(message.get("content"))
        if not blocks and not (i == len(messages) - 1 and message["role"] == "assistant"):
            return (
                f"messages.{i}: all messages must have non-empty content except for the "
                "optional final assistant message"
            )
        answered = []
        for j, block in enumerate(blocks):
            breakpoints += "cache_control" in block
            kind = block.get("type")
            if kind == "text" and not block.get("text"):
                return "messages: text content blocks must be non-empty"
            if kind == "tool_result":
                if block.get("tool_use_id") not in previous_tool_ids:
                    return (
                        f"messages.{i}.content.{j}: unexpected `tool_use_id` found in "
                        f"`tool_result` blocks: {block.get('tool_use_id')}. Each `tool_result` "
                        "block must have a corresponding `tool_use` block in the previous message."
                    )
                answered.append(block["tool_use_id"])
        missing = [t for t in previous_tool_ids if t not in answered]
        if missing:
            return (
                f"messages.{i}: `tool_use` ids were found without `tool_result` blocks "
                f"immediately after: {', '.join(missing)}. Each `tool_use` block must have a "
                "corresponding `tool_result` block in the next message."
            )
        previous_tool_ids = (
            [b.get("id", "") for b in blocks if b.get("type") == "tool_use"]
            if message["role"] == "assistant"
            else []
        )
    if breakpoints > 4:
        return f"A maximum of 4 blocks with cache_control may be provided. Found {breakpoints}."
    return None
