"""Values whose shape the name announces: ``Authorization`` headers, ``Cookie`` headers,
credentials passed as call arguments."""

from __future__ import annotations

import re

from sfai_agent.redact.names import NameClass, words
from sfai_agent.redact.spans import Span

_AUTH_VALUE = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9-]{1,30}[ \t]+)?(?P<cred>[^\s\"'`,;\\]{1,4096})"
)
_AUTH_LIST_SCHEMES = ("digest", "aws4-hmac-sha256", "hoba", "mutual", "oauth")
_COOKIE_PAIR = re.compile(r"[ \t]*(?P<name>[^=;\s\"']{1,128})=(?P<value>[^;\r\n\"'\\]{0,4096})")
_COOKIE_ATTRIBUTES = words(
    "path domain expires max-age samesite secure httponly priority partitioned version comment"
)
QUOTED = re.compile(r"\"((?:[^\"\\\r\n]|\\.){0,2048})\"|'((?:[^'\\\r\n]|\\.){0,2048})'")


def authorization(text: str, start: int, out: list[Span]) -> bool:
    """``Authorization: Bearer X`` masks X and keeps the scheme; ``Digest``/``AWS4`` lists
    (``k=v, k=v``) are masked to the end of the header."""
    match = _AUTH_VALUE.match(text, start)
    if match is None:
        return False
    scheme = (match.group("scheme") or "").strip().lower()
    cred_start, cred_end = match.span("cred")
    if scheme in _AUTH_LIST_SCHEMES or "=" in text[cred_start:cred_end].rstrip("="):
        stop = cred_start
        while stop < len(text) and text[stop] not in "\r\n\"'`\\":
            stop += 1
        cred_end = stop
    kind = {"basic": "basic-auth", "bearer": "bearer-token"}.get(scheme, "auth-token")
    if not text.startswith("[SECRET:", cred_start):
        out.append((cred_start, cred_end, kind, 1))
    return True


def cookies(text: str, start: int, out: list[Span]) -> bool:
    """``Cookie: a=1; b=2`` masks every value; ``Set-Cookie`` attributes (Path...) are kept."""
    position = start
    end = len(text)
    for _ in range(64):
        match = _COOKIE_PAIR.match(text, position, end)
        if match is None:
            break
        name = match.group("name").lower()
        value_start, value_end = match.span("value")
        value = match.group("value").strip()
        if name not in _COOKIE_ATTRIBUTES and value and not value.startswith("[SECRET:"):
            out.append((value_start, value_end, "cookie", 1))
        position = match.end()
        if position >= end or text[position] != ";":
            break
        position += 1
    return position > start


def call_arguments(text: str, start: int, name_class: NameClass, out: list[Span]) -> bool:
    """``NetworkCredential("user", "password")``: mask the last quoted argument."""
    close = text.find(")", start, start + 1024)
    if close == -1:
        return False
    last = None
    for quoted in QUOTED.finditer(text, start, close):
        last = quoted
    if last is None:
        return False
    group = 1 if last.group(1) is not None else 2
    if not last.group(group):
        return False
    out.append((last.start(group), last.end(group), name_class.kind, 1))
    return True


def trim_unbalanced(text: str, start: int, end: int) -> int:
    """``(using password: YES)``: the closing bracket belongs to the text around the value."""
    while end > start and text[end - 1] in ")]}":
        opening = "([{"[")]}".index(text[end - 1])]
        if text.count(opening, start, end) >= text.count(text[end - 1], start, end):
            break
        end -= 1
    return end
