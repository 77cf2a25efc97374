"""Stand-ins for what cannot be reached from the test machine: the model APIs.

``FakeAnthropicServer`` is a real local HTTP server speaking the Messages API (SSE and
JSON); ``reply``, ``tool_use`` and ``error`` build its scripted replies. The server module
is imported on first use, so ``python -m tests.fakes.anthropic_server`` runs cleanly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.fakes.anthropic_replies import ReplySpec, error, reply, tool_use

if TYPE_CHECKING:
    from tests.fakes.anthropic_server import NO_REPLY_LEFT, FakeAnthropicServer, RecordedRequest

_SERVER_NAMES = {"NO_REPLY_LEFT", "FakeAnthropicServer", "RecordedRequest"}


def __getattr__(name: str) -> Any:
    if name in _SERVER_NAMES:
        from tests.fakes import anthropic_server

        return getattr(anthropic_server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "NO_REPLY_LEFT",
    "FakeAnthropicServer",
    "RecordedRequest",
    "ReplySpec",
    "error",
    "reply",
    "tool_use",
]
