"""The Redactor: finds secrets, replaces them with stable placeholders, walks tool results."""

from __future__ import annotations

import re
import threading
from bisect import bisect_right
from collections.abc import Sequence
from typing import Any

from sfai_agent.redact.context import find_assignments, find_in_context
from sfai_agent.redact.names import NameClass, classify_name, value_is_secret
from sfai_agent.redact.pem import find_private_keys
from sfai_agent.redact.scan import windows
from sfai_agent.redact.spans import Span
from sfai_agent.redact.tokens import find_tokens, find_tokens_in_window

PLACEHOLDER_RE = re.compile(r"\[SECRET:[a-z0-9-]{1,40}:[0-9]{1,9}\]")
"""What a masked secret looks like: ``[SECRET:aws-key:1]``."""


_SHORTEST_SECRET = 3
"""No detector masks a secret in a text shorter than this (``pwd=x`` is 5 characters)."""


class Redactor:
    """Masks secrets in text and in tool results (dicts, lists, strings).

    Placeholders are stable for the life of the instance: the same secret value always
    becomes the same ``[SECRET:kind:n]``, numbered per kind in order of appearance. Text
    that is already a placeholder is left alone, so masking twice changes nothing.
    Share one instance across a conversation.
    """

    def __init__(self) -> None:
        self._placeholders: dict[str, str] = {}
        self._per_kind: dict[str, int] = {}
        self._occurrences: dict[str, int] = {}
        self._lock = threading.Lock()

    # -- public interface ----------------------------------------------------------------
    def redact(self, value: Any) -> Any:
        """Mask secrets anywhere in ``value``: strings, dict values (keys are kept), lists
        and tuples, recursively. A value under a key that names a secret (``password``,
        ``api_key``, ``DB_PASSWORD``, ``token``...) is masked whole, however short. Other
        types are returned unchanged."""
        if isinstance(value, str):
            return self.redact_text(value)
        if isinstance(value, dict):
            return {key: self._redact_item(key, item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            if len(value) > 1 and all(isinstance(item, str) for item in value):
                masked = self.redact_lines(value)  # log lines: a key block spans several
            else:
                masked = [self.redact(item) for item in value]
            return masked if isinstance(value, list) else tuple(masked)
        return value

    def redact_text(self, text: str) -> str:
        """``text`` with every secret replaced by its placeholder."""
        if len(text) < _SHORTEST_SECRET:
            return text
        masks = self._masks(text)
        if not masks:
            return text
        pieces: list[str] = []
        position = 0
        for start, end, placeholder in masks:
            pieces.append(text[position:start])
            pieces.append(placeholder)
            position = end
        pieces.append(text[position:])
        return "".join(pieces)

    def redact_lines(self, lines: Sequence[str]) -> list[str]:
        """Mask strings read together, as the text they come from, so a secret spanning
        them is found: log lines joined by newlines (a private key block), or an argv joined
        by spaces when no element holds a blank (``["mysql", "-pS3cret"]``). Each string
        keeps its place; the parts of it inside a secret become that secret's placeholder."""
        argv = not any(" " in line or "\t" in line or "\n" in line for line in lines)
        text = (" " if argv else "\n").join(lines)
        masks = self._masks(text)
        if not masks:
            return list(lines)
        result: list[str] = []
        line_start = 0
        index = 0  # first mask that may still reach this line
        for line in lines:
            line_end = line_start + len(line)
            while index < len(masks) and masks[index][1] <= line_start:
                index += 1
            pieces: list[str] = []
            position = line_start
            for start, end, placeholder in masks[index:]:
                if start >= line_end:
                    break
                if start > position:
                    pieces.append(text[position:start])
                if end > position:
                    pieces.append(placeholder)
                    position = end
            pieces.append(text[position:line_end] if position < line_end else "")
            result.append("".join(pieces))
            line_start = line_end + 1
        return result

    def reserve(self, value: Any) -> None:
        """Number new secrets after the placeholders already in ``value`` (a stored
        transcript: strings, dicts, lists): after ``--continue`` a new instance must not give
        a different secret a placeholder the conversation already used."""
        if isinstance(value, str):
            if "[SECRET:" in value:
                with self._lock:
                    for match in PLACEHOLDER_RE.finditer(value):
                        kind, number = match.group()[8:-1].rsplit(":", 1)
                        self._per_kind[kind] = max(self._per_kind.get(kind, 0), int(number))
        elif isinstance(value, dict):
            for item in value.values():
                self.reserve(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                self.reserve(item)

    @property
    def count(self) -> int:
        """How many secret occurrences this instance has masked so far."""
        return sum(self._occurrences.values())

    @property
    def distinct(self) -> int:
        """How many different secret values this instance has seen."""
        return len(self._placeholders)

    def summary(self) -> dict[str, int]:
        """Masked occurrences per kind, e.g. ``{"aws-key": 2, "password": 1}``: for the
        audit trail, which records what was hidden but never the values."""
        return dict(sorted(self._occurrences.items()))

    # -- internals -----------------------------------------------------------------------
    def _redact_item(self, key: object, item: Any) -> Any:
        if isinstance(key, str) and not isinstance(item, (dict, bool)) and item is not None:
            name_class = classify_name(key)
            if name_class is not None:
                return self._mask_whole(item, name_class)
        return self.redact(item)

    def _mask_whole(self, item: Any, name_class: NameClass) -> Any:
        """A value under a secret's name: masked whole, however short, unless it is a
        reference (path, URL, ``$VARIABLE``) or already masked; weak names (``key``) only
        when the value looks like a key."""
        if isinstance(item, (list, tuple)):
            masked = [self._mask_whole(element, name_class) for element in item]
            return masked if isinstance(item, list) else tuple(masked)
        if isinstance(item, str):
            stripped = item.strip()
            if not stripped or PLACEHOLDER_RE.fullmatch(stripped):
                return item
            if value_is_secret(item, name_class):  # not a path, a URL, a $VARIABLE...
                return self._placeholder(item, name_class.kind)
            return self.redact_text(item)
        if isinstance(item, (int, float)) and not isinstance(item, bool) and name_class.strong:
            return self._placeholder(str(item), name_class.kind)
        return self.redact(item)

    def _placeholder(self, secret: str, kind: str) -> str:
        with self._lock:
            placeholder = self._placeholders.get(secret)
            if placeholder is None:
                number = self._per_kind.get(kind, 0) + 1
                self._per_kind[kind] = number
                placeholder = f"[SECRET:{kind}:{number}]"
                self._placeholders[secret] = placeholder
            found_kind = placeholder[8 : placeholder.rindex(":")]
            self._occurrences[found_kind] = self._occurrences.get(found_kind, 0) + 1
        return placeholder

    def _masks(self, text: str) -> list[tuple[int, int, str]]:
        """Where the secrets of ``text`` are and their placeholders: overlapping findings
        merged, placeholders already in the text left alone."""
        spans: list[Span] = []
        find_private_keys(text, spans)
        find_tokens(text, spans)
        find_in_context(text, spans)
        for window in windows(text):  # the scanners that read a translated copy
            find_tokens_in_window(window, spans)
            find_assignments(window, spans)
        if not spans:
            return []
        spans.sort()
        existing = _placeholder_spans(text)
        merged: list[list[Any]] = []
        for start, end, kind, priority in spans:
            if end <= start or (existing and _overlaps(existing, start, end)):
                continue
            if merged and start < merged[-1][1]:
                last = merged[-1]
                last[1] = max(last[1], end)
                if priority > last[3]:
                    last[2], last[3] = kind, priority
                continue
            merged.append([start, end, kind, priority])
        return [
            (start, end, self._placeholder(text[start:end], kind)) for start, end, kind, _ in merged
        ]


def _placeholder_spans(text: str) -> list[tuple[int, int]]:
    if "[SECRET:" not in text:
        return []
    return [match.span() for match in PLACEHOLDER_RE.finditer(text)]


def _overlaps(existing: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether [start, end) overlaps one of the sorted, disjoint ``existing`` spans."""
    index = bisect_right(existing, (start, float("inf"))) - 1
    if index >= 0 and existing[index][1] > start:
        return True
    return index + 1 < len(existing) and existing[index + 1][0] < end


def mask_text(text: str) -> str:
    """Mask one text with a fresh Redactor (placeholders numbered from 1)."""
    return Redactor().redact_text(text)
