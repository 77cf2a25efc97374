"""Fast scanning with Python's ``re``: one marker byte instead of a set of first characters.

``re`` skips text fastest when a pattern starts with one literal character (a quarter of a
nanosecond per character); a pattern starting with any of a set of characters costs ten
times that, on every character of the text. So the scanners search a copy of the text in
which their trigger characters became one marker byte (``bytes.translate``, under a
nanosecond per character):

- ``SEPARATOR`` stands for ``_``, ``-`` and ``.``: the separator scanner of ``tokens.py``;
- ``LETTER`` stands for ``p c u k b`` in both cases: the name words of ``context.py``
  (``password``, ``secret``, ``auth``...) are searched from those letters;
- ``CAPITAL`` stands for ``A D E G H I L N S $ ! {``: the prefixes of ``tokens.py`` that
  start with a capital or a sign (``AKIA``, ``SG.``, ``$6$``) are searched from them.

The copy has one byte per character of the text, so every position found in it is a
position in the text. Patterns are written in the copy's alphabet with ``literal`` and
``wider``.
"""

from __future__ import annotations

import re

SEPARATOR = "\x01"
LETTER = "\x02"
CAPITAL = "\x03"
SEPARATORS = "_-."
LETTERS = "pcukbPCUKB"
CAPITALS = "ADEGHILNS$!{"
_SOURCE = SEPARATORS + LETTERS + CAPITALS
_TARGET = SEPARATOR * len(SEPARATORS) + LETTER * len(LETTERS) + CAPITAL * len(CAPITALS)
TABLE = bytes.maketrans(_SOURCE.encode(), _TARGET.encode())
_MAPPING = str.maketrans(_SOURCE, _TARGET)


WINDOW = 1 << 20
"""Characters per window: long texts are translated and scanned a window at a time."""
OVERLAP = 4096
"""Context each window shares with its neighbours: more than the longest match a windowed
scanner reads (a name, a separator and a 2048-character value)."""


class Window:
    """A stretch of a text, with its translated copy made on demand.

    A windowed scanner searches ``copy()`` (positions from ``start``) and keeps what it finds
    at positions in ``[own_start, own_end)``: the overlap gives every match its context, and
    every position belongs to exactly one window."""

    __slots__ = ("_copy", "_reversed", "end", "own_end", "own_start", "start", "text")

    def __init__(self, text: str, start: int, end: int, own_start: int, own_end: int) -> None:
        self.text = text
        self.start, self.end = start, end
        self.own_start, self.own_end = own_start, own_end
        self._copy: bytes | None = None
        self._reversed: bytes | None = None

    def copy(self) -> bytes:
        """``text[start:end]`` as one byte per character (anything outside Latin-1 reads as
        ``?``), separators and trigger letters replaced by their marker."""
        if self._copy is None:
            piece = (
                self.text
                if self.end - self.start == len(self.text)
                else self.text[self.start : self.end]
            )
            self._copy = piece.encode("latin-1", "replace").translate(TABLE)
        return self._copy

    def reversed_copy(self) -> bytes:
        """The copy read backwards: what precedes a position follows it, so look-behinds
        become plain forward matches."""
        if self._reversed is None:
            self._reversed = self.copy()[::-1]
        return self._reversed

    def owns(self, position: int) -> bool:
        return self.own_start <= position < self.own_end


def windows(text: str) -> list[Window]:
    """The windows covering ``text``: one for a text up to ``WINDOW + OVERLAP`` characters."""
    if len(text) <= WINDOW + OVERLAP:
        return [Window(text, 0, len(text), 0, len(text))]
    return [
        Window(
            text,
            max(0, own - OVERLAP),
            min(len(text), own + WINDOW + OVERLAP),
            own,
            min(len(text), own + WINDOW),
        )
        for own in range(0, len(text), WINDOW)
    ]


def literal(text: str) -> str:
    """``text`` as it reads in the copy, escaped for a pattern."""
    return re.escape(text.translate(_MAPPING))


def wider(pattern: str) -> str:
    """A simple pattern (literal characters, and character classes with their counts) made
    to accept what the copy shows for it: literals are translated, classes also accept the
    three markers. Finders may over-accept: every hit is checked on the text itself."""
    out: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "[":
            close = index + 1
            while pattern[close] != "]" or close == index + 1:
                close += 2 if pattern[close] == "\\" else 1
            body = pattern[index + 1 : close]
            if not body.startswith("^"):
                body = re.escape(SEPARATOR + LETTER + CAPITAL) + body
            out.append(f"[{body}]")
            index = close + 1
        elif char == "{":
            close = pattern.index("}", index)
            out.append(pattern[index : close + 1])
            index = close + 1
        else:
            escaped = char == "\\"
            out.append(literal(pattern[index + 1] if escaped else char))
            index += 2 if escaped else 1
    return "".join(out)
