"""Does a URL answer, seen from the host itself: the verification step of every action.

Actions check their work where it happened (the site nginx now serves, the app just
deployed), so the request runs on the host through the executor: ``curl`` as an argv,
never a shell string. ``resolve_to`` pins the name to an address (``curl --resolve``) so a
site is checked on this server even when its DNS points elsewhere or nowhere yet; TLS is
not verified because the point is "does it answer", not "is the chain trusted" (the
certificate is checked separately, by ``get_ssl_status``/``renew_certificate``).
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

from sfai_agent.exec.base import ExecutorError
from sfai_agent.tools.base import JSON, ToolContext, ToolError

_STATUS_MARK = "SFAI_HTTP_STATUS:"


def healthy_status(status: int | None) -> bool:
    """2xx and 3xx answer; 4xx/5xx (a 502 from a dead upstream, a 404 from a wrong root) do
    not, and neither does no answer at all."""
    return status is not None and 200 <= status < 400


def check_url_argument(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL, or ``invalid_argument``."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ToolError("invalid_argument", f"{url!r} is not an http:// or https:// URL")
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise ToolError("invalid_argument", f"{url!r}: URLs have no spaces or control characters")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, parts.hostname, port


async def http_check(
    ctx: ToolContext,
    url: str,
    *,
    resolve_to: str | None = None,
    timeout_s: float | None = None,
) -> JSON:
    """``{"url", "status", "ok", "duration_s", "error"}``: ``ok`` when the answer is 2xx/3xx.

    Never raises for an unreachable site (that is the answer being checked); raises
    ``unavailable`` only when the host has no curl to ask with.
    """
    _, host, port = check_url_argument(url)
    timeout = timeout_s if timeout_s is not None else ctx.settings.site_check_timeout_s
    argv = [
        "curl",
        "--silent",
        "--show-error",
        "--insecure",
        "--output",
        "/dev/null",
        "--max-time",
        f"{timeout:g}",
        "--write-out",
        f"{_STATUS_MARK}%{{http_code}}",
    ]
    if resolve_to:
        argv += ["--resolve", f"{host}:{port}:{resolve_to}"]
    argv += ["--", url]
    started = time.monotonic()
    try:
        result = await ctx.executor.run(argv, timeout=timeout + 5.0)
    except ExecutorError as exc:
        if exc.code == "not_found":
            raise ToolError(
                "unavailable",
                "curl is not installed on this host; sfai needs it to check that a site answers",
                "install it: apt-get install curl",
            ) from None
        raise ToolError.from_executor(exc) from None
    status: int | None = None
    marker = result.stdout.rpartition(_STATUS_MARK)[2].strip()
    if marker.isdigit() and int(marker) > 0:
        status = int(marker)
    outcome: dict[str, Any] = {
        "url": url,
        "status": status,
        "ok": healthy_status(status),
        "duration_s": round(time.monotonic() - started, 3),
        "error": "" if status is not None else (result.stderr.strip()[-300:] or "no answer"),
    }
    return outcome
