"""Private key blocks: ``-----BEGIN ... PRIVATE KEY-----`` through ``-----END ...-----``.

A block is masked whole, header and footer included, wherever its lines are: in a file, in a
log whose every line has a prefix, inside a JSON string with ``\\n`` escapes. A block with
no footer (a truncated read, a cut log) is masked to the end of its paragraph: the first
blank line, or the end of the text.

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


def find_private_keys(text: str, out: list[Span]) -> None:
    """Append a span per private key block. Linear: each ``-----END`` is searched once."""
    if "PRIVATE KEY" in text:
        _find_blocks(text, _HEADER, out)
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
