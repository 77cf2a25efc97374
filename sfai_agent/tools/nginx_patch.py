"""Turn a model's ``fix`` into the new text of one nginx config file, strictly.

A fix is a unified diff against that file, or a replacement ``server { ... }`` block. Why our
own applier rather than a patch library: what matters here is what it refuses. Context and
removed lines must match the file exactly (no fuzz, no whitespace leniency); a hunk may sit at
another line than its header says only when its lines occur exactly once in the file (models
miscount lines; a unique exact match is still exact). Hunk line counts are recounted from
the body, the way ``git apply --recount`` does, because models miscount those too; a body
that is not diff lines is refused. Binary patches, mode changes, renames and file
creation/deletion are refused: ``fix_nginx_config`` edits the text of one existing file.

Secrets are masked before a model sees a config (``[SECRET:kind:n]``), so a fix may quote
them as placeholders: in context and removed lines a placeholder matches what masking hides
there, whole (never part of it, so a dry-run cannot confirm a guessed prefix), and an added
line holding one gets the text it matched there when that text stays masked in the new line
(or, failing that, is the file's one original line it matches): the secret is written back,
never its placeholder, and never where a dry-run's diff would show it; a placeholder sfai
cannot map is refused.

The diff shown to the person is recomputed from the actual before/after texts
(:func:`unified_diff`), whatever the fix looked like.
"""

from __future__ import annotations

import difflib
import posixpath
import re
import textwrap
from dataclasses import dataclass

from sfai_agent.redact.redactor import PLACEHOLDER_RE, Redactor, mask_text
from sfai_agent.tools.base import ToolError

MAX_FIX_BYTES = 65_536
_HUNK = re.compile(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_SERVER_START = re.compile(r"\s*server\s*\{")
_PREAMBLE = ("diff ", "index ", "Index: ", "====")
_REFUSED_META = (
    "GIT binary patch",
    "Binary files ",
    "new file mode",
    "deleted file mode",
    "old mode",
    "new mode",
    "rename from",
    "rename to",
    "copy from",
    "copy to",
    "similarity index",
)
_DIFF_HINT = (
    "send one unified diff against that file (--- a/PATH, +++ b/PATH, @@ hunks whose "
    "context and - lines are copied exactly from the file), or a whole replacement "
    "server { ... } block"
)


@dataclass(frozen=True)
class Hunk:
    old_start: int
    lines: tuple[tuple[str, str], ...]
    """(tag, text): tag is " " (context), "-" (removed) or "+" (added)."""
    fix_line: int
    """Where the hunk's @@ header is in the fix, for messages."""
    no_newline_at_end: bool = False

    @property
    def old(self) -> list[str]:
        return [text for tag, text in self.lines if tag != "+"]


@dataclass(frozen=True)
class Patch:
    headers: tuple[tuple[str, str], ...]
    """Every (--- path, +++ path) pair, as written (timestamps dropped)."""
    hunks: tuple[Hunk, ...]


def check_fix_text(value: object) -> str:
    """The fix as text, refusing what no config edit needs (NULs, control characters)."""
    if not isinstance(value, str) or not value.strip():
        raise ToolError("invalid_argument", "fix must be a non-empty string", _DIFF_HINT)
    if len(value.encode("utf-8", errors="replace")) > MAX_FIX_BYTES:
        raise ToolError(
            "invalid_argument",
            f"fix is larger than {MAX_FIX_BYTES // 1024} KiB",
            "a fix changes a few lines: send a diff of just those lines",
        )
    bad = sorted({f"0x{ord(ch):02x}" for ch in value if ord(ch) < 32 and ch not in "\t\r\n"})
    if bad or "\x7f" in value:
        raise ToolError(
            "invalid_argument",
            f"fix contains control characters ({', '.join(bad) or '0x7f'})",
            "nginx config is plain text: send it without control characters",
        )
    fenced = value.strip().split("\n")
    if len(fenced) > 2 and fenced[0].startswith("```") and fenced[-1].strip() == "```":
        return "\n".join(fenced[1:-1]) + "\n"  # a Markdown code fence around the fix
    return value


def is_server_block(fix: str) -> bool:
    return _SERVER_START.match(fix) is not None


def header_path(line: str) -> str:
    """``--- a/etc/x.conf\t2024-...`` -> ``a/etc/x.conf`` (git's quoting undone simply)."""
    path = line[4:].split("\t", 1)[0].strip()
    if len(path) >= 2 and path[0] == path[-1] == '"':
        path = path[1:-1]
    return path


def parse_diff(fix: str) -> Patch:
    """Headers and hunks of a single-file unified diff; raises ``invalid_argument``."""
    lines = [line.removesuffix("\r") for line in fix.split("\n")]
    headers: list[tuple[str, str]] = []
    hunks: list[Hunk] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ "):
            headers.append((header_path(line), header_path(lines[i + 1])))
            i += 2
        elif match := _HUNK.match(line):
            hunk, i = _read_hunk(lines, i, match)
            hunks.append(hunk)
        elif line.startswith(_REFUSED_META):
            raise ToolError(
                "invalid_argument",
                f"fix line {i + 1}: {line[:60]!r}: binary patches, mode changes, renames, "
                "new and deleted files are not config edits",
                _DIFF_HINT,
            )
        elif not line.strip() or (not hunks and line.startswith(_PREAMBLE)):
            i += 1
        else:
            where = "after the last hunk" if hunks else "before any --- / +++ / @@ line"
            raise ToolError(
                "invalid_argument",
                f"fix line {i + 1} is not part of a unified diff ({where}): {line[:80]!r}",
                _DIFF_HINT,
            )
    if not hunks:
        raise ToolError("invalid_argument", "the fix holds no @@ hunk", _DIFF_HINT)
    return Patch(tuple(headers), tuple(hunks))


def _read_hunk(lines: list[str], start: int, match: re.Match[str]) -> tuple[Hunk, int]:
    """The hunk's body: every diff line up to the next hunk, header or the end (recounted)."""
    body: list[tuple[str, str]] = []
    no_newline = False
    i = start + 1
    while i < len(lines):
        line = lines[i]
        if line.startswith("@@") or (
            line.startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ ")
        ):
            break
        if line.startswith("\\"):
            no_newline = bool(body) and body[-1][0] != "-"
        elif line == "":
            body.append((" ", ""))
        elif line[0] in " +-":
            body.append((line[0], line[1:]))
        else:
            break
        i += 1
    while body and body[-1] == (" ", ""):  # blank lines after a hunk are not context
        body.pop()
    if not body:
        raise ToolError("invalid_argument", f"fix line {start + 1}: empty hunk", _DIFF_HINT)
    old_start = int(match.group(1))
    return Hunk(old_start, tuple(body), start + 1, no_newline), i


def _pattern(line: str) -> re.Pattern[str] | None:
    """A regex for a fix line that quotes masked secrets (one group per placeholder), else
    None (compare exactly)."""
    if not PLACEHOLDER_RE.search(line):
        return None
    parts = PLACEHOLDER_RE.split(line)
    return re.compile("(.+?)".join(re.escape(part) for part in parts), re.DOTALL)


def _shape(line: str) -> str:
    return PLACEHOLDER_RE.sub("[SECRET]", line)


def _same(file_line: str, fix_line: str) -> bool:
    """A fix line matches a file line exactly, placeholders standing for what masking hides
    there, whole: a placeholder that could match any text would let a dry-run confirm a
    guessed first character of a secret (``"Z[SECRET:x:1]"``), one call at a time."""
    pattern = _pattern(fix_line)
    if pattern is None:
        return file_line == fix_line
    if pattern.fullmatch(file_line) is None:
        return False
    return _shape(Redactor().redact_text(file_line)) == _shape(fix_line)


def _capture(file_line: str, fix_line: str, secrets: dict[str, str]) -> None:
    """Learn what each placeholder of a matched context/removed line stands for."""
    pattern = _pattern(fix_line)
    match = pattern.fullmatch(file_line) if pattern else None
    if match:
        for holder, value in zip(PLACEHOLDER_RE.findall(fix_line), match.groups(), strict=True):
            secrets.setdefault(holder, value)


def _still_masked(line: str, values: list[str]) -> bool:
    """Whether masking ``line`` hides every value put back into it. A placeholder in a context
    line matches *any* text, so without this a fix could copy part of a secret (or a secret
    recognised only by the name in front of it) into a comment, and the dry-run's diff would
    hand it to the model unmasked."""
    masked = Redactor().redact_text(line)
    return not any(value in masked for value in values)


def _unmask(line: str, originals: list[str], where: str, secrets: dict[str, str]) -> str:
    """An added line quoting masked secrets: each placeholder takes the value it matched in
    the hunk's context or removed lines, else the line is the file's one original line it
    stands for."""
    holders = PLACEHOLDER_RE.findall(line)
    if not holders:
        return line
    if all(holder in secrets for holder in holders):
        filled = PLACEHOLDER_RE.sub(lambda m: secrets[m.group(0)], line)
        if _still_masked(filled, [secrets[holder] for holder in holders]):
            return filled
    pattern = _pattern(line.strip())
    found = {o.strip() for o in originals if pattern and pattern.fullmatch(o.strip())}
    if len(found) != 1:
        raise ToolError(
            "invalid_argument",
            f"{where}: {line.strip()[:80]!r} holds a masked secret ([SECRET:...]) that sfai "
            "cannot put back: it stands for no single line of the file (a secret moves only "
            "where it stays masked)",
            "keep lines with secrets unchanged (as context), or edit those lines by hand",
        )
    return line[: len(line) - len(line.lstrip())] + found.pop()


def _find(contents: list[str], old: list[str], expected: int, start: int) -> int | None:
    def matches(at: int) -> bool:
        return at + len(old) <= len(contents) and all(
            _same(contents[at + k], line) for k, line in enumerate(old)
        )

    if start <= expected and matches(expected):
        return expected
    if not old:
        return None
    found = [at for at in range(start, len(contents) - len(old) + 1) if matches(at)]
    return found[0] if len(found) == 1 else None


def _mismatch(contents: list[str], hunk: Hunk, expected: int, file: str) -> ToolError:
    old = hunk.old
    detail = "its lines are not in the file"
    for k, line in enumerate(old):
        at = expected + k
        actual = contents[at] if 0 <= at < len(contents) else None
        if actual is None or not _same(actual, line):
            # masked before it is cut: half a token would no longer look like one
            shown = "the end of the file" if actual is None else repr(mask_text(actual)[:80])
            detail = f"line {at + 1} is {shown}, the hunk expects {line[:80]!r}"
            break
    return ToolError(
        "invalid_argument",
        f"the hunk at fix line {hunk.fix_line} does not apply to {file}: {detail}",
        "read the file again (get_nginx_config) and copy the context and - lines exactly; "
        "or send a replacement server block",
    )


def apply_patch(text: str, patch: Patch, file: str) -> str:
    """``text`` with every hunk applied in order; exact matches only."""
    lines = text.splitlines(keepends=True)
    contents = [line.rstrip("\r\n") for line in lines]
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    secrets: dict[str, str] = {}
    places: list[int] = []
    pos = 0
    for hunk in patch.hunks:
        expected = hunk.old_start - 1 if hunk.old else hunk.old_start
        at = _find(contents, hunk.old, expected, pos)
        if at is None:
            raise _mismatch(contents, hunk, expected, file)
        for k, line in enumerate(hunk.old):
            _capture(contents[at + k], line, secrets)
        places.append(at)
        pos = at + len(hunk.old)
    out: list[str] = []
    pos = 0
    for number, (hunk, at) in enumerate(zip(patch.hunks, places, strict=True), 1):
        out += lines[pos:at]
        cursor = at
        where = f"hunk {number} (fix line {hunk.fix_line})"
        for tag, content in hunk.lines:
            if tag == "+":
                _emit(out, _unmask(content, contents, where, secrets) + newline)
            elif tag == " ":
                _emit(out, lines[cursor])
                cursor += 1
            else:
                cursor += 1
        if hunk.no_newline_at_end and out and hunk.lines[-1][0] == "+":
            out[-1] = out[-1].rstrip("\r\n")
        pos = cursor
    out += lines[pos:]
    return "".join(out)


def _emit(out: list[str], line: str) -> None:
    if out and not out[-1].endswith("\n"):
        out[-1] += "\n"
    out.append(line)


def check_headers(patch: Patch) -> None:
    if len(patch.headers) > 1:
        raise ToolError(
            "invalid_argument",
            f"the fix holds {len(patch.headers)} file diffs; fix_nginx_config changes one file",
            "send one diff, for the file that holds the domain's server block",
        )
    for old, new in patch.headers:
        if "/dev/null" in (old, new):
            raise ToolError(
                "refused_by_policy",
                "the diff creates or deletes a file (/dev/null in its headers)",
                "fix_nginx_config edits the file that holds the domain's server block",
            )


def header_candidates(path: str) -> list[str]:
    """The paths a header may mean: as written, and without git's ``a/`` / ``b/``."""
    found = [path]
    if path.startswith(("a/", "b/")):
        found.append(path[2:])
    return [posixpath.normpath(p) for p in found if p]


def replace_block(text: str, first: int, last: int, block: str, where: str) -> str:
    """``text`` with lines ``first``..``last`` (the old ``server`` block) replaced by
    ``block``, indented like the old one. Masked secrets in ``block`` take the old block's
    original lines."""
    lines = text.splitlines(keepends=True)
    opening, closing = lines[first - 1], lines[last - 1].rstrip("\r\n")
    after_brace = closing[closing.rfind("}") + 1 :].strip() if "}" in closing else "x"
    if not opening.lstrip().startswith("server") or (after_brace and after_brace[0] != "#"):
        raise ToolError(
            "invalid_argument",
            f"the server block at {where} shares its first or last line with other "
            "directives, so it cannot be replaced as whole lines",
            "send a unified diff instead",
        )
    indent = opening[: len(opening) - len(opening.lstrip())]
    newline = "\r\n" if opening.endswith("\r\n") else "\n"
    originals = [line.rstrip("\r\n") for line in lines[first - 1 : last]]
    new_lines = textwrap.dedent(block.strip("\r\n").replace("\r\n", "\n")).split("\n")
    replaced = [
        (indent + _unmask(line, originals, "the replacement block", {}) if line.strip() else "")
        + newline
        for line in new_lines
    ]
    if not lines[last - 1].endswith("\n"):
        replaced[-1] = replaced[-1].rstrip("\r\n")
    return "".join([*lines[: first - 1], *replaced, *lines[last:]])


def unified_diff(before: str, after: str, path: str) -> str:
    """What changes, as ``diff -u`` prints it (``\\ No newline at end of file`` included)."""
    out: list[str] = []
    for line in difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        f"a{path}",
        f"b{path}",
    ):
        if line.endswith("\n"):
            out.append(line)
        else:
            out.append(line + "\n\\ No newline at end of file\n")
    return "".join(out)


def diff_counts(diff: str) -> tuple[int, int]:
    """(lines added, lines removed) of a unified diff."""
    added = removed = 0
    for line in diff.splitlines():
        if line.startswith("+") and not line.startswith("+++"):
            added += 1
        elif line.startswith("-") and not line.startswith("---"):
            removed += 1
    return added, removed
