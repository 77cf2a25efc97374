"""Stand-ins for what cannot be reached from the test machine: only the Anthropic API.

``FakeAnthropicServer`` is a real local HTTP server speaking the Messages API (SSE and
JSON); ``reply``, ``tool_use`` and ``error`` build its scripted replies.
"""

from tests.fakes.anthropic_replies import ReplySpec, error, reply, tool_use
from tests.fakes.anthropic_server import NO_REPLY_LEFT, FakeAnthropicServer, RecordedRequest

__all__ = [
    "NO_REPLY_LEFT",
    "FakeAnthropicServer",
    "RecordedRequest",
    "ReplySpec",
    "error",
    "reply",
    "tool_use",
]
