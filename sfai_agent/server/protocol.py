"""The agent protocol: JSON-RPC 2.0 over a WebSocket over TLS. Both ends import this.

One text frame is one JSON-RPC message (no batches). The session:

1. TLS. The client pins the agent's certificate by the SHA-256 of its DER bytes
   (:func:`fingerprint_of`); a mismatch ends the connection *before* anything is sent,
   the token above all.
2. ``hello`` must be the first request: ``{"token", "protocol", "client": {"name",
   "version"}}`` → :class:`HelloResult` fields (agent version, host facts, the catalog the
   agent's policy offers, whether actions are allowed). A wrong token is
   ``UNAUTHENTICATED`` and the agent closes with ``CLOSE_UNAUTHENTICATED``. Any other
   method before a successful hello is ``UNAUTHENTICATED`` too.
3. ``tools.call`` ``{"name", "arguments", "approved"}`` → the tool's result object, exactly
   what ``sfai_agent.tools.runner.call_tool`` returns on the agent (validated, judged by
   the *agent's* policy, masked there, bounded). Tool failures are results
   (``{"ok": false, "error": ...}``), never JSON-RPC errors: JSON-RPC errors are for the
   protocol (bad frame, unknown method, busy, too large).
4. ``metrics.subscribe`` ``{"interval_s"}`` → ``{"interval_s"}`` (clamped to
   ``MIN_METRICS_INTERVAL_S``), then ``metrics.sample`` notifications whose params are one
   ``sfai_agent.metrics`` sample; ``metrics.unsubscribe`` stops them. ``metrics.sample``
   as a request returns one sample at once.

Limits the agent enforces: frames above its ``max_frame_bytes`` are refused (the
WebSocket layer closes with 1009), at most ``max_concurrent_calls`` calls run at once per
connection (more are ``BUSY``, answered before the next frame is read), a message nested
deeper than ``MAX_JSON_DEPTH`` is ``INVALID_REQUEST``, a tool slower than its timeout is a
``timeout`` result.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

PROTOCOL_VERSION = 1
DEFAULT_PORT = 7422
SUBPROTOCOL = "sfai-agent.v1"
MAX_FRAME_BYTES = 1_048_576
MIN_METRICS_INTERVAL_S = 0.5
MAX_JSON_DEPTH = 32
"""Deepest nesting of arrays and objects a message may have. Tool arguments and results
need a handful of levels; a small frame can nest hundreds deep, and everything that walks
a message (masking, validation, the audit) recurses."""

# JSON-RPC 2.0 error codes: the standard ones, then the agent's (-32000 to -32099).
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
UNAUTHENTICATED = -32001
BUSY = -32002
UNSUPPORTED_PROTOCOL = -32003

# WebSocket close codes (4000-4999 are the application's).
CLOSE_UNAUTHENTICATED = 4401
CLOSE_PROTOCOL = 4400

METHODS = ("hello", "tools.call", "metrics.subscribe", "metrics.unsubscribe", "metrics.sample")


def fingerprint_of(der: bytes) -> str:
    """``SHA256:AB:CD:...``, the form ``sfai-agent fingerprint`` prints and hosts.toml stores."""
    digest = hashlib.sha256(der).hexdigest().upper()
    return "SHA256:" + ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def normalise_fingerprint(text: str) -> str:
    """Accept what people paste (with or without ``SHA256:``, colons, any case)."""
    hex_digits = text.strip().removeprefix("SHA256:").removeprefix("sha256:").replace(":", "")
    hex_digits = hex_digits.upper()
    if len(hex_digits) != 64 or any(c not in "0123456789ABCDEF" for c in hex_digits):
        raise ValueError(f"{text!r} is not a SHA-256 fingerprint (64 hex digits)")
    return "SHA256:" + ":".join(hex_digits[i : i + 2] for i in range(0, 64, 2))


def too_deep(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``value`` (decoded JSON) nests deeper than ``limit``; iterative, so that
    checking cannot itself hit the recursion limit."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


@dataclass(frozen=True)
class HostFacts:
    hostname: str
    os: str
    kernel: str
    arch: str
    cpus: int
    boot_time: str
    """ISO 8601 UTC."""


@dataclass(frozen=True)
class HelloResult:
    protocol: int
    agent_version: str
    host: HostFacts
    catalog: list[dict[str, Any]]
    """``ToolSpec.as_dict()`` of each tool the agent's policy offers."""
    actions_allowed: bool
    limits: dict[str, Any] = field(default_factory=dict)
    """``max_frame_bytes``, ``max_concurrent_calls``, ``tool_timeout_s``."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HelloResult:
        return cls(
            protocol=int(data["protocol"]),
            agent_version=str(data["agent_version"]),
            host=HostFacts(**data["host"]),
            catalog=list(data["catalog"]),
            actions_allowed=bool(data["actions_allowed"]),
            limits=dict(data.get("limits", {})),
        )


class RpcError(Exception):
    """A JSON-RPC error object, raised by either end."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def as_dict(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


def request(request_id: int, method: str, params: dict[str, Any]) -> str:
    return json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})


def notification(method: str, params: dict[str, Any]) -> str:
    return json.dumps({"jsonrpc": "2.0", "method": method, "params": params})


def response(request_id: Any, result: Any) -> str:
    return json.dumps({"jsonrpc": "2.0", "id": request_id, "result": result})


def error_response(request_id: Any, error: RpcError) -> str:
    return json.dumps({"jsonrpc": "2.0", "id": request_id, "error": error.as_dict()})
