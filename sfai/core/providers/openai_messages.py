"""Anthropic-shaped conversation → OpenAI chat-completion messages and function tools.

The agent keeps one history format (:mod:`sfai.core.providers.base`) whatever the
provider; OpenAI-compatible servers want theirs instead. The translation lives here, apart
from HTTP, so that it can be read and tested on plain data.
"""

from __future__ import annotations

import json
from typing import Any

from sfai.core.providers.base import Message, ProviderRequest, ToolDefinition


def translate_tools(tools: list[ToolDefinition]) -> list[dict[str, Any]]:
    return [
        {
            "type": "function",
            "function": {
                "name": tool.name,
                "description": tool.description,
                "parameters": tool.input_schema,
            },
        }
        for tool in tools
    ]


def _blocks(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    return [block for block in content or [] if isinstance(block, dict)]


def _text_of(content: Any) -> str:
    """The text of a string or of a list of blocks (other block types are dropped)."""
    return "\n\n".join(
        block.get("text", "") for block in _blocks(content) if block.get("type") == "text"
    )


def translate_messages(request: ProviderRequest) -> list[dict[str, Any]]:
    """Anthropic-shaped history → OpenAI chat messages, system prompt first."""
    system = "\n\n".join(part for part in (request.system, request.context) if part)
    out: list[dict[str, Any]] = [{"role": "system", "content": system}] if system else []
    for message in request.messages:
        out.extend(_translate_message(message))
    return out


def _translate_message(message: Message) -> list[dict[str, Any]]:
    blocks = _blocks(message.get("content"))
    if message.get("role") == "assistant":
        calls = [
            {
                "id": block["id"],
                "type": "function",
                "function": {
                    "name": block["name"],
                    "arguments": json.dumps(block.get("input") or {}, ensure_ascii=False),
                },
            }
            for block in blocks
            if block.get("type") == "tool_use"
        ]
        reply: dict[str, Any] = {"role": "assistant", "content": _text_of(blocks)}
        if calls:
            reply["tool_calls"] = calls
        return [reply]
    # A user turn: tool results first (they must follow the assistant's tool_calls), then text.
    out: list[dict[str, Any]] = []
    for block in blocks:
        if block.get("type") == "tool_result":
            text = _text_of(block.get("content"))
            if block.get("is_error"):
                text = f"ERROR: {text}"
            out.append({"role": "tool", "tool_call_id": block["tool_use_id"], "content": text})
    text = _text_of(blocks)
    if text or not out:
        out.append({"role": "user", "content": text})
    return out
