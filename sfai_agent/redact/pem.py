"""Private key blocks: ``-----BEGIN ... PRIVATE KEY-----`` through ``-----END ...-----``.

A block is masked whole, header and footer included, wherever its lines are: in a file, in a
log whose every line has a prefix, inside a JSON string with ``\\n`` escapes. A block with
no footer (a truncated read, a cut log) is masked to the end of its paragraph: the first
blank line, or the end of the text. A footer with no header (a tail window that starts
inside the block) is masked with the key lines above it: while each line ends with a run of
base64 (64 characters in PEM, fewer on the line just above the footer).

Certificates and public keys are kept: the diagnosis needs them.
"""

from __future__ import annotations

import re

from sfai_agent.redact.spans import Span

_HEADER = re.compile(r"-----BEGIN (?:[A-Z0-9]{1,16} ){0,3}PRIVATE KEY(?: BLOCK)?-----")
_PUTTY = re.compile(r"PuTTY-User-Key-File-[0-9]: ")
_FOOTER = "-----END "
_MAX_BLOCK = 64 * 1024
"""A 16384-bit RSA key is 13 kB of PEM; a footer further away belongs to something else."""
_BLANK_LINE = re.compile(r"\n[ \t\r]*\n")
_LONE_FOOTER = re.compile(r"-----END (?:[A-Z0-9]{1,16} ){0,3}PRIVATE KEY(?: BLOCK)?-----")
_KEY_LINE_END = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{4,100}={0,2}[\"',]?[ \t\r]*\Z")
_FULL_KEY_LINE = 40
"""Above the last body line, key lines are 64 (PEM) or 70 (OpenSSH) characters; a shorter
run is a word of a log line."""
_ESCAPED_BODY = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\\")


def find_private_keys(text: str, out: list[Span]) -> None:
    """Append a span per private key block. Linear: each ``-----END`` is searched once."""
    if "PRIVATE KEY" in text:
        _find_blocks(text, _HEADER, out)
        if "-----END " in text:
            _find_lone_footers(text, out)
    if "PuTTY-User-Key-File" in text:
        _find_blocks(text, _PUTTY, out)


def _find_blocks(text: str, header_pattern: re.Pattern[str], out: list[Span]) -> None:
    position = 0
    next_footer = -2  # unknown
    for header in header_pattern.finditer(text):
        start = header.start()
        if start < position:  # inside the previous block
            continue
        body = header.end()
        if next_footer != -1 and next_footer < body:
            next_footer = text.find(_FOOTER, body)
        if next_footer != -1 and next_footer - body <= _MAX_BLOCK:
            close = text.find("-----", next_footer + len(_FOOTER))
            end = close + 5 if close != -1 and close - next_footer < 80 else next_footer + 9
        else:
            blank = _BLANK_LINE.search(text, body)
            end = blank.start() if blank else len(text)
        out.append((start, end, "private-key", 3))
        position = end


def _find_lone_footers(text: str, out: list[Span]) -> None:
    """Footers outside every block found from a header: mask the key lines above them."""
    blocks = sorted((start, end) for start, end, kind, _ in out if kind == "private-key")
    index = 0
    floor = 0  # never walk back over an earlier block
    for footer in _LONE_FOOTER.finditer(text):
        while index < len(blocks) and blocks[index][1] <= footer.start():
            floor = max(floor, blocks[index][1])
            index += 1
        if index < len(blocks) and blocks[index][0] <= footer.start():
            continue  # this footer closes a block already masked
        start = _key_start(text, footer.start(), floor)
        if start < footer.start():
            out.append((start, footer.end(), "private-key", 3))
        floor = footer.end()


def _key_start(text: str, footer: int, floor: int) -> int:
    """Where the key material above ``footer`` begins (``footer`` itself: none found)."""
    limit = max(floor, footer - _MAX_BLOCK)
    if text.startswith("\\n", footer - 2):  # "...\\nMIIE...\\n-----END": one escaped line
        start = footer
        while start > limit and text[start - 1] in _ESCAPED_BODY:
            start -= 1
        return start if footer - start > _FULL_KEY_LINE else footer
    start = footer
    line_end = text.rfind("\n", limit, footer)
    first = True
    while line_end >= limit and line_end != -1:
        line_start = text.rfind("\n", limit, line_end) + 1
        if line_start == 0 and limit > 0:
            line_start = limit
        found = _KEY_LINE_END.search(text, line_start, line_end)
        if found is None or (not first and found.end() - found.start() < _FULL_KEY_LINE):
            break
        start = found.start()
        first = False
        if line_start <= limit:
            break
        line_end = line_start - 1
    return start
