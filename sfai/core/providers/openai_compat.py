"""OpenAI-compatible provider: local models behind Ollama, llama.cpp's server or vLLM.

One turn is one ``POST {base_url}/chat/completions`` with ``stream: true`` and function
tools. The conversation arrives Anthropic-shaped (:mod:`sfai.core.providers.base`) and is
translated by :mod:`~sfai.core.providers.openai_messages`; the streamed reply is turned
back into provider events by :mod:`~sfai.core.providers.openai_stream`. This module keeps
what depends on the server as a service: the request, its retries, and its errors in
words that say what to do.

HTTP goes through ``httpx2``, the client the anthropic SDK already depends on, imported
only when a request is made so that importing this module stays cheap.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from sfai.core.providers.base import (
    ProviderError,
    ProviderEvent,
    ProviderRequest,
    connection_reason,
)
from sfai.core.providers.openai_messages import translate_messages, translate_tools
from sfai.core.providers.openai_stream import read_turn

if TYPE_CHECKING:
    import httpx2

DEFAULT_BASE_URL = "http://127.0.0.1:11434/v1"
TOOL_MODELS = "llama3.1, llama3.2, qwen2.5, qwen3, mistral-nemo"
_RETRYABLE = {"rate_limit", "overloaded", "internal"}
_MAX_RETRY_AFTER_S = 20.0


def _error_message(body: bytes) -> str:
    """The server's own words: OpenAI / Ollama / vLLM / llama.cpp error bodies, or the text."""
    text = body.decode("utf-8", "replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        return text[:300]
    if isinstance(data, dict):
        for key in ("error", "message", "detail"):
            value = data.get(key)
            if isinstance(value, dict) and isinstance(value.get("message"), str):
                return str(value["message"])[:300]
            if isinstance(value, str):
                return value[:300]
    return text[:300]


def _reason(exc: BaseException) -> str:
    """Why a connection failed, in the plainest words found in the exception chain."""
    return connection_reason(exc, resolver_detail=": {}") or str(exc) or type(exc).__name__


class OpenAICompatProvider:
    """Chat completions with tool calling against any OpenAI-compatible server."""

    name = "openai"

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        model: str = "",
        api_key: str | None = None,
        timeout: float = 120,
        max_retries: int = 2,
        *,
        retry_backoff: float = 0.5,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key = api_key or None
        self.timeout = timeout
        self.max_retries = max_retries
        self.retry_backoff = retry_backoff
        self._client: httpx2.AsyncClient | None = None

    @property
    def url(self) -> str:
        return f"{self.base_url}/chat/completions"

    def build_body(self, request: ProviderRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "messages": translate_messages(request),
            "stream": True,
            "stream_options": {"include_usage": True},
            "max_tokens": request.max_tokens,
        }
        if self.model:  # llama.cpp and vLLM serve their one model without a name
            body["model"] = self.model
        if request.tools:
            body["tools"] = translate_tools(request.tools)
        return body

    def _http(self) -> httpx2.AsyncClient:
        if self._client is None:
            import httpx2

            self._client = httpx2.AsyncClient(
                timeout=httpx2.Timeout(self.timeout, connect=min(self.timeout, 10.0))
            )
        return self._client

    async def stream(self, request: ProviderRequest) -> AsyncIterator[ProviderEvent]:
        import httpx2

        body = self.build_body(request)
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        client = self._http()
        attempt = 0
        answering = False
        while True:
            try:
                async with client.stream("POST", self.url, json=body, headers=headers) as response:
                    if response.status_code < 400:
                        async for event in read_turn(response, self._decode, self.base_url):
                            answering = True  # from here on, a retry would repeat itself
                            yield event
                        return
                    error = self.status_error(response.status_code, await response.aread())
                    if error.kind not in _RETRYABLE or attempt >= self.max_retries:
                        if attempt:
                            message = f"{error.message} (after {attempt + 1} attempts)"
                            raise ProviderError(error.kind, message, error.hint)
                        raise error
                    delay = self._delay(attempt, response.headers.get("retry-after"))
            except httpx2.ConnectError as exc:
                raise self._transport(
                    f"cannot connect to {self.base_url} ({_reason(exc)})"
                ) from exc
            except httpx2.ConnectTimeout as exc:
                raise self._transport(f"cannot connect to {self.base_url} (timed out)") from exc
            except httpx2.TimeoutException as exc:
                silent = "stopped answering for" if answering else "did not answer within"
                raise ProviderError(
                    "transport",
                    f"{self.base_url} {silent} {self.timeout:g}s",
                    "the model may still be loading, or is too slow for this machine; "
                    "try again, or pick a smaller model",
                ) from exc
            except (httpx2.UnsupportedProtocol, httpx2.InvalidURL) as exc:
                raise ProviderError(
                    "transport",
                    f"[openai] base_url is not a usable URL: {self.base_url!r}",
                    f"set it to the server's API root, e.g. {DEFAULT_BASE_URL}",
                ) from exc
            except httpx2.TransportError as exc:
                if answering or attempt >= self.max_retries:
                    when = "mid-answer" if answering else "before answering"
                    raise ProviderError(
                        "transport",
                        f"the connection to {self.base_url} broke {when} ({exc or type(exc).__name__})",
                        "the server may have crashed or run out of memory; check its log "
                        "(Ollama: `journalctl -u ollama`)",
                    ) from exc
                delay = self._delay(attempt, None)  # e.g. a kept-alive connection it just closed
            attempt += 1
            await asyncio.sleep(delay)

    def _decode(self, data: bytes) -> dict[str, Any]:
        try:
            chunk = json.loads(data)
        except ValueError:
            raise ProviderError(
                "internal",
                f"unreadable reply from {self.base_url}: {data[:200].decode('utf-8', 'replace')!r}",
                "is [openai] base_url an OpenAI-compatible API?",
            ) from None
        if not isinstance(chunk, dict):
            raise ProviderError(
                "internal", f"unexpected reply from {self.base_url}: {chunk!r:.200}"
            )
        if chunk.get("error"):  # vLLM and Ollama report failures inside the stream
            error = chunk["error"]
            code = error.get("code") if isinstance(error, dict) else None
            status = code if isinstance(code, int) and code >= 400 else 500
            raise self.status_error(status, json.dumps(chunk).encode())
        return chunk

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        try:
            if retry_after is not None:
                return min(max(float(retry_after), 0.0), _MAX_RETRY_AFTER_S)
        except ValueError:
            pass
        return float(self.retry_backoff * 2**attempt)

    def _transport(self, message: str) -> ProviderError:
        return ProviderError(
            "transport",
            message,
            "is Ollama running? start it with `ollama serve` (or start your llama.cpp / "
            "vLLM server), or set [openai] base_url to where it listens",
        )

    def status_error(self, status: int, body: bytes) -> ProviderError:
        """The ProviderError for an HTTP error status and the server's reply."""
        detail = _error_message(body) or f"HTTP {status}"
        lower = detail.lower()
        where = f"{self.base_url} ({status})"
        model = self.model or "(none set)"
        if status in (401, 403):
            return ProviderError(
                "auth",
                f"{where} refused the request: {detail}",
                "set [openai] api_key (or SFAI_OPENAI__API_KEY) to the key the server expects",
            )
        if status == 429:
            return ProviderError(
                "rate_limit",
                f"rate limited by {where}: {detail}",
                "wait a moment and retry",
            )
        if "tool" in lower and any(
            s in lower for s in ("not support", "--jinja", "auto-tool-choice", "tool-call-parser")
        ):
            return ProviderError(
                "bad_request",
                f"model {model} cannot call tools here: {detail}",
                f"pick a tool-capable model ({TOOL_MODELS}: `ollama pull qwen2.5`) with "
                "[openai] model or --model; llama.cpp needs `llama-server --jinja`, vLLM "
                "`--enable-auto-tool-choice --tool-call-parser ...`",
            )
        if "model" in lower and any(
            s in lower for s in ("not found", "does not exist", "is required", "no such")
        ):
            pull = f"`ollama pull {self.model}`" if self.model else "`ollama list`"
            return ProviderError(
                "model",
                f"model {model} is not available at {where}: {detail}",
                f"pull it ({pull}) or set [openai] model (or --model) to one the server has",
            )
        if status == 404:
            return ProviderError(
                "transport",
                f"no chat completions endpoint at {self.url} (404): {detail}",
                f"check [openai] base_url: it usually ends in /v1 (Ollama: {DEFAULT_BASE_URL})",
            )
        if "context" in lower and any(
            s in lower for s in ("length", "window", "exceed", "too long")
        ):
            return ProviderError(
                "bad_request",
                f"the conversation no longer fits model {model}'s context: {detail}",
                "start a new conversation, or give the model a larger context (Ollama: "
                "OLLAMA_CONTEXT_LENGTH; llama.cpp: --ctx-size; vLLM: --max-model-len)",
            )
        if status == 503:
            return ProviderError(
                "overloaded",
                f"{where} is busy: {detail}",
                "retry in a moment (Ollama queues at most OLLAMA_MAX_QUEUE requests)",
            )
        if status >= 500:
            return ProviderError(
                "internal",
                f"{where} failed: {detail}",
                "check the server's log (Ollama: `journalctl -u ollama`)",
            )
        return ProviderError("bad_request", f"{where} rejected the request: {detail}")

    async def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()
