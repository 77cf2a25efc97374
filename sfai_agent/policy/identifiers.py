"""Strict patterns for the names a model may pass: services, domains, apps.

Anything outside these patterns is refused before a tool runs, so shell
metacharacters, option-looking values (``-x``), path separators and control
characters never reach a command line, even though we never use a shell.
"""

from __future__ import annotations

import re

from sfai_agent.tools.base import ToolError

SERVICE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9@._:+-]{0,127}")
DOMAIN_PATTERN = re.compile(
    r"(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
)
APP_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def _check(kind: str, value: object, pattern: re.Pattern[str], example: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value) or ".." in value:
        shown = repr(value)[:80]
        raise ToolError(
            "invalid_argument",
            f"{shown} is not a valid {kind} name",
            f"use a plain {kind} name such as {example!r}: letters, digits and . _ - only",
        )
    return value


def service_name(value: object) -> str:
    return _check("service", value, SERVICE_PATTERN, "nginx")


def domain_name(value: object) -> str:
    if isinstance(value, str):
        value = value.strip().rstrip(".").lower()
        if len(value) > 253:
            value = "x" * 300  # fails the pattern with a clear message
    return _check("domain", value, DOMAIN_PATTERN, "example.com")


def app_name(value: object) -> str:
    return _check("app", value, APP_PATTERN, "shop-api")
