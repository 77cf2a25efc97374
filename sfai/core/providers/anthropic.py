"""Claude through the anthropic SDK: streamed turns, tool use, prompt caching, clear errors.

The SDK takes over a second to import, so it is imported inside methods only: importing
this module costs nothing, and :func:`preload` lets the engine pay for the SDK in a thread
while it collects the host's context.

``ANTHROPIC_API_KEY`` and ``ANTHROPIC_BASE_URL`` are read by the SDK itself (explicit
arguments win when given). Retries on 408 / 409 / 429 / 5xx / 529 and connection errors
are the SDK's (``max_retries``, exponential backoff, ``retry-after`` honoured); what is
left after them becomes a :class:`ProviderError` whose ``kind`` the front ends map to a
message and an exit code. No message ever carries the API key.

Prompt caching: breakpoints on the last tool (tools cached), on the stable system rules
(tools + rules cached; the host snapshot comes after, uncached), and from the second turn
on, on the end of the conversation and on the end of the previous request's conversation
(so each request reads what the previous one wrote): at most 4, the API's limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from sfai.core.events import Usage
from sfai.core.pricing import DEFAULT_MODEL, cost
from sfai.core.providers.base import (
    Message,
    ProviderError,
    ProviderEvent,
    ProviderRequest,
    TextDelta,
    ToolUse,
    TurnEnd,
    connection_reason,
)

if TYPE_CHECKING:
    from anthropic import APIStatusError, AsyncAnthropic

EPHEMERAL: dict[str, str] = {"type": "ephemeral"}
MAX_BREAKPOINTS = 4
AUTH_HINT = (
    "check ANTHROPIC_API_KEY, or run without it to use the offline diagnostician: "
    "--provider offline"
)
MODEL_HINT = f"choose a current model with --model (sfai's default is {DEFAULT_MODEL})"
TRANSPORT_HINT = (
    "check the network and ANTHROPIC_BASE_URL; the offline diagnostician needs neither: "
    "--provider offline"
)
_KIND_BY_ERROR_TYPE = {
    "authentication_error": "auth",
    "permission_error": "auth",
    "billing_error": "auth",
    "not_found_error": "model",
    "rate_limit_error": "rate_limit",
    "overloaded_error": "overloaded",
    "invalid_request_error": "bad_request",
    "request_too_large": "bad_request",
    "api_error": "internal",
    "timeout_error": "internal",
}
_UNCACHEABLE_BLOCKS = {"thinking", "redacted_thinking"}


def preload() -> None:
    """Get the SDK ready for a first request: import it, then stream one canned reply
    through it (no network) so the models it builds on first use are built. Meant for a
    thread; about 1.5 s here, of which the rehearsal is about 0.1 s. Best effort: a
    failed rehearsal only means the first real request pays for it."""
    import anthropic
    import anthropic.lib.streaming
    import anthropic.resources.messages

    del anthropic
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        with contextlib.suppress(Exception):
            asyncio.run(_rehearse())


_CANNED_STREAM = "".join(
    f'event: {name}\ndata: {{"type": "{name}"{data}}}\n\n'
    for name, data in [
        (
            "message_start",
            ', "message": {"id": "msg_0", "type": "message", "role": "assistant", "model": "m",'
            ' "content": [], "stop_reason": null, "usage": {"input_tokens": 1, "output_tokens": 1}}',
        ),
        ("content_block_start", ', "index": 0, "content_block": {"type": "text", "text": ""}'),
        ("content_block_delta", ', "index": 0, "delta": {"type": "text_delta", "text": "ok"}'),
        ("content_block_stop", ', "index": 0'),
        (
            "content_block_start",
            ', "index": 1, "content_block": {"type": "tool_use", "id": "toolu_0", "name": "t",'
            ' "input": {}}',
        ),
        (
            "content_block_delta",
            ', "index": 1, "delta": {"type": "input_json_delta", "partial_json": "{}"}',
        ),
        ("content_block_stop", ', "index": 1'),
        (
            "message_delta",
            ', "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 2}',
        ),
        ("message_stop", ""),
    ]
)
"""A short reply (text, then a tool_use) as the API streams it."""


async def _rehearse() -> None:
    """One streamed request through the SDK, answered in memory."""
    import anthropic
    import httpx2

    def answer(request: httpx2.Request) -> httpx2.Response:
        headers = {"content-type": "text/event-stream"}
        return httpx2.Response(200, headers=headers, content=_CANNED_STREAM.encode())

    http = httpx2.AsyncClient(transport=httpx2.MockTransport(answer))
    client = anthropic.AsyncAnthropic(
        api_key="preload", base_url="http://preload.invalid", http_client=http, max_retries=0
    )
    try:
        async with client.messages.stream(
            model=DEFAULT_MODEL,
            max_tokens=1,
            messages=[{"role": "user", "content": "ok"}],
        ) as stream:
            await stream.get_final_message()
    finally:
        await client.close()


class AnthropicProvider:
    """The :class:`~sfai.core.providers.base.Provider` for Claude."""

    name = "anthropic"

    def __init__(
        self,
        model: str | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
        max_retries: int = 4,
        timeout: float = 60,
    ) -> None:
        self.model = model or DEFAULT_MODEL
        self._api_key = api_key
        self._base_url = base_url
        self._max_retries = max_retries
        self._timeout = timeout
        self._client: AsyncAnthropic | None = None
        self._lock = threading.Lock()

    # --- the client --------------------------------------------------------------------

    def client(self) -> AsyncAnthropic:
        """The SDK client, made on first use (this is where the SDK gets imported)."""
        with self._lock:
            if self._client is None:
                self._client = self._make_client()
            return self._client

    def _make_client(self) -> AsyncAnthropic:
        import anthropic

        options: dict[str, Any] = {
            "max_retries": self._max_retries,
            "timeout": anthropic.Timeout(self._timeout, connect=min(self._timeout, 10.0)),
        }
        if self._api_key is not None:
            options["api_key"] = self._api_key
        if self._base_url is not None:
            options["base_url"] = self._base_url
        try:
            return anthropic.AsyncAnthropic(**options)
        except anthropic.AnthropicError as exc:
            raise ProviderError("auth", self._scrub(f"Anthropic client: {exc}"), AUTH_HINT) from exc

    def prepare(self) -> None:
        """:func:`preload`, then make the client: everything a first request would pay for
        before reaching the network. Safe to run in a thread while the loop does other work."""
        preload()
        with contextlib.suppress(ProviderError):
            self.client()

    @property
    def base_url(self) -> str:
        """Where requests go (as the SDK resolved it), without any credentials in it."""
        parts = urlsplit(str(self.client().base_url).rstrip("/"))
        host = parts.hostname or ""
        netloc = f"[{host}]" if ":" in host else host
        if parts.port is not None:
            netloc += f":{parts.port}"
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))

    async def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            await client.close()

    # --- the request -------------------------------------------------------------------

    def build_params(self, request: ProviderRequest) -> dict[str, Any]:
        """The Messages API parameters for ``request`` (without ``stream``)."""
        system: list[dict[str, Any]] = []
        if request.system:
            system.append({"type": "text", "text": request.system, "cache_control": EPHEMERAL})
        if request.context:
            system.append({"type": "text", "text": request.context})
        tools: list[dict[str, Any]] = [
            {"name": t.name, "description": t.description, "input_schema": t.input_schema}
            for t in request.tools
        ]
        if tools:
            tools[-1]["cache_control"] = EPHEMERAL
        budget = MAX_BREAKPOINTS - bool(tools) - bool(request.system)
        params: dict[str, Any] = {
            "model": self.model,
            "max_tokens": request.max_tokens,
            "messages": cached_history(request.messages, budget),
        }
        if system:
            params["system"] = system
        if tools:
            params["tools"] = tools
        return params

    async def count_tokens(self, request: ProviderRequest) -> int:
        """Input tokens of ``request`` as the API counts them (``/v1/messages/count_tokens``)."""
        params = self.build_params(request)
        del params["max_tokens"]
        try:
            counted = await self.client().messages.count_tokens(**params)
        except Exception as exc:
            raise self._translate(exc) from exc
        return counted.input_tokens

    async def stream(self, request: ProviderRequest) -> AsyncIterator[ProviderEvent]:
        """One streamed turn: TextDelta per text delta, ToolUse per completed tool_use block,
        then TurnEnd. A failure after some text raises only after that text was yielded."""
        params = self.build_params(request)
        client = self.client()
        complete = False
        try:
            async with client.messages.stream(**params) as stream:
                async for event in stream:
                    if event.type == "text":
                        if event.text:
                            yield TextDelta(event.text)
                    elif event.type == "content_block_stop":
                        block = event.content_block
                        if block.type == "tool_use":
                            arguments = block.input if isinstance(block.input, dict) else {}
                            yield ToolUse(block.id, block.name, dict(arguments))
                    elif event.type == "message_stop":
                        complete = True
                if not complete:
                    raise ProviderError(
                        "transport",
                        f"the reply from {self.base_url} ended before it was complete",
                        TRANSPORT_HINT,
                    )
                message = stream.current_message_snapshot
        except ProviderError:
            raise
        except Exception as exc:
            raise self._translate(exc, streaming=True) from exc
        yield self._turn_end(message)

    def _turn_end(self, message: Any) -> TurnEnd:
        raw = message.usage
        usage = Usage(
            input_tokens=raw.input_tokens or 0,
            output_tokens=raw.output_tokens or 0,
            cache_read_tokens=raw.cache_read_input_tokens or 0,
            cache_write_tokens=raw.cache_creation_input_tokens or 0,
            requests=1,
        )
        priced_as = message.model or self.model
        usage = Usage(**{**usage.as_dict(), "cost_usd": cost(priced_as, usage)})
        content = [b for b in (_plain_block(block) for block in message.content) if b]
        return TurnEnd(stop_reason=message.stop_reason or "end_turn", content=content, usage=usage)

    # --- errors ------------------------------------------------------------------------

    def _translate(self, exc: Exception, streaming: bool = False) -> ProviderError:
        """The ProviderError a user can act on, for whatever the SDK or transport raised."""
        import anthropic
        import httpx2

        if isinstance(exc, anthropic.APIStatusError):
            return self._status_error(exc)
        if isinstance(exc, anthropic.APITimeoutError):
            return ProviderError(
                "transport",
                f"the Anthropic API at {self.base_url} did not answer in time",
                TRANSPORT_HINT,
            )
        if isinstance(exc, anthropic.APIConnectionError):
            return ProviderError(
                "transport",
                self._scrub(f"cannot reach the Anthropic API at {self.base_url}: {_reason(exc)}"),
                TRANSPORT_HINT,
            )
        if isinstance(exc, httpx2.HTTPError):
            what = "dropped mid-reply" if streaming else "failed"
            return ProviderError(
                "transport",
                self._scrub(f"the connection to {self.base_url} {what}: {_reason(exc)}"),
                TRANSPORT_HINT,
            )
        if isinstance(exc, TypeError) and "authentication method" in str(exc):
            return ProviderError("auth", "no Anthropic API key is set", AUTH_HINT)
        if isinstance(exc, anthropic.CredentialsError):
            return ProviderError("auth", self._scrub(f"Anthropic credentials: {exc}"), AUTH_HINT)
        if isinstance(exc, ValueError) and "tool parameter JSON" in str(exc):
            return ProviderError("internal", "Claude sent tool input that is not valid JSON")
        if isinstance(exc, anthropic.AnthropicError):
            return ProviderError("internal", self._scrub(f"Anthropic SDK: {exc}"))
        return ProviderError(
            "internal",
            self._scrub(f"unexpected reply from {self.base_url}: {type(exc).__name__}: {exc}"),
        )

    def _status_error(self, exc: APIStatusError) -> ProviderError:
        status = exc.status_code
        error_type = exc.type if isinstance(exc.type, str) else None
        detail = self._scrub(exc.api_message or _body_text(exc.body) or f"HTTP {status}")
        kind = _KIND_BY_ERROR_TYPE.get(error_type or "") or _kind_for_status(status)
        label = f"{status} {error_type}" if error_type else str(status)
        retries = exc.response.request.headers.get("x-stainless-retry-count", "0")
        after = {"": "", "0": "", "1": " after 1 retry"}.get(retries, f" after {retries} retries")
        if kind == "auth":
            if error_type == "billing_error":
                hint = "check the plan and credit balance of the account behind ANTHROPIC_API_KEY"
                return ProviderError(
                    kind, f"the Anthropic account cannot be billed: {detail}", hint
                )
            return ProviderError(
                kind, f"the Anthropic API refused the key ({label}): {detail}", AUTH_HINT
            )
        if kind == "model":
            if error_type is None:
                return ProviderError(
                    "transport",
                    f"{self.base_url} answered {status} to /v1/messages: is it the Anthropic API?",
                    TRANSPORT_HINT,
                )
            return ProviderError(kind, f"unknown model {self.model!r}: {detail}", MODEL_HINT)
        if kind == "rate_limit":
            wait = exc.response.headers.get("retry-after")
            hint = f"the API asks to wait {wait}s" if wait else "wait a minute and try again"
            return ProviderError(kind, f"rate limited by the Anthropic API{after}: {detail}", hint)
        if kind == "overloaded":
            return ProviderError(
                kind, f"the Anthropic API is overloaded{after}: {detail}", "try again in a moment"
            )
        if kind == "bad_request":
            return ProviderError(
                kind, f"the Anthropic API rejected the request ({label}): {detail}"
            )
        return ProviderError(
            "internal", f"the Anthropic API failed ({label}){after}: {detail}", "try again later"
        )

    def _scrub(self, text: str) -> str:
        """``text`` without the API key (or auth token), whatever put it there."""
        secrets = [self._api_key]
        if self._client is not None:
            secrets += [self._client.api_key, self._client.auth_token]
        for secret in secrets:
            if secret and len(secret) >= 4:
                text = text.replace(secret, "***")
        return text


def cached_history(messages: list[Message], budget: int) -> list[Message]:
    """A copy of ``messages`` with cache breakpoints for incremental conversation caching.

    From two messages on, the last eligible block of the last message gets a breakpoint,
    and (budget allowing) so does the last message the previous request ended with (the
    user message before the final one), so this request reads what that one wrote.
    Breakpoints already in the messages are dropped; the input is never changed.
    """
    copied = [_without_cache_control(m) for m in messages]
    if len(copied) < 2 or budget < 1:
        return copied
    targets = [len(copied) - 1]
    previous = next(
        (i for i in range(len(copied) - 2, 0, -1) if copied[i].get("role") == "user"), None
    )
    if previous is not None and budget >= 2:
        targets.append(previous)
    for index in targets:
        _mark_last_block(copied[index])
    return copied


def _without_cache_control(message: Message) -> Message:
    content = message.get("content")
    if not isinstance(content, list):
        return dict(message)
    blocks = [
        {k: v for k, v in b.items() if k != "cache_control"} if isinstance(b, dict) else b
        for b in content
    ]
    return {**message, "content": blocks}


def _mark_last_block(message: Message) -> None:
    content = message.get("content")
    if isinstance(content, str):
        if content:
            message["content"] = [{"type": "text", "text": content, "cache_control": EPHEMERAL}]
        return
    if not isinstance(content, list):
        return
    for index in range(len(content) - 1, -1, -1):
        block = content[index]
        if not isinstance(block, dict) or block.get("type") in _UNCACHEABLE_BLOCKS:
            continue
        if block.get("type") == "text" and not block.get("text"):
            continue
        content[index] = {**block, "cache_control": EPHEMERAL}
        return


def _plain_block(block: Any) -> dict[str, Any] | None:
    """A response content block as the plain dict a later request sends back."""
    kind = block.type
    if kind == "text":
        return {"type": "text", "text": block.text} if block.text else None
    if kind == "tool_use":
        arguments = block.input if isinstance(block.input, dict) else {}
        return {"type": "tool_use", "id": block.id, "name": block.name, "input": dict(arguments)}
    if kind == "thinking":
        return {"type": "thinking", "thinking": block.thinking, "signature": block.signature}
    dumped: dict[str, Any] = block.to_dict(exclude_none=True)
    return dumped


def _reason(exc: BaseException) -> str:
    """What went wrong on the wire, in the plainest words found in the exception chain."""
    reason = connection_reason(exc)
    if reason is not None:
        return reason
    cause = exc.__cause__ if type(exc).__module__.startswith("anthropic") else exc
    return str(cause or exc) or type(cause or exc).__name__


def _kind_for_status(status: int) -> str:
    if status in (401, 403):
        return "auth"
    if status == 404:
        return "model"
    if status == 429:
        return "rate_limit"
    if status == 529:
        return "overloaded"
    if status in (400, 413, 422):
        return "bad_request"
    return "internal"


def _body_text(body: object) -> str:
    if isinstance(body, str):
        return body.strip()[:300]
    return ""
