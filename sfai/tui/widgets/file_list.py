"""What a ``clean_disk`` dry-run would remove: each target with its files and sizes, the
commands a command target would run, what is kept and why, and the total.

Reads the result shape of ``sfai_agent.tools.actions_disk.preview_result``: ``targets``
(``[{target, rule, files, bytes, listed: [{path, size_bytes, modified}], more}]``, or for
apt-cache / journal / docker ``{commands, listed: [{path|id, size_bytes}], note}`` or
``{available: false, reason}``), ``total_bytes``, ``skipped`` (``[{path, reason}]``,
``skipped_count``), ``notes``, ``complete``.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping
from typing import Any

from textual.content import Content
from textual.widgets import Static

from sfai_agent.tools.render import human_bytes

SIZE_WIDTH = 10
"""``1023.9 KiB``: the widest size human_bytes writes below a TiB."""
KEPT_SHOWN = 8
MUTED = "$text-muted"
HEADING = "bold"
TOTAL = "bold $text-warning"
WARNING = "$text-warning"


def short_time(iso: object) -> str:
    """``2026-11-24T14:03:01Z`` → ``2026-11-24 14:03`` (UTC, as the tool wrote it)."""
    text = str(iso or "")
    return text[:16].replace("T", " ") if len(text) >= 16 else text


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _size(value: object) -> str:
    return human_bytes(int(value)) if isinstance(value, int | float) else "?"


def _item_line(item: Mapping[str, Any]) -> Content:
    size = _size(item.get("size_bytes")).rjust(SIZE_WIDTH)
    name = str(item.get("path") or item.get("id") or "?")
    parts: list[tuple[str, str] | str] = ["  ", size, "  "]
    if item.get("modified"):
        parts += [(short_time(item["modified"]), MUTED), "  "]
    parts.append(name)
    return Content.assemble(*parts)


def _target_lines(target: Mapping[str, Any]) -> Iterable[Content]:
    label = str(target.get("target") or target.get("rule") or "?")
    if target.get("available") is False:
        yield Content.assemble(
            (label, HEADING), (f" · not available: {target.get('reason', '')}", MUTED)
        )
        return
    if "commands" in target:  # apt-cache, journal, docker: an estimate from a simulation
        yield Content.assemble((label, HEADING), (f" · about {_size(target.get('bytes'))}", MUTED))
        for argv in target.get("commands") or []:
            yield Content.assemble("  would run ", (shlex.join(str(a) for a in argv), "bold"))
    else:
        files = _plural(int(target.get("files") or 0), "file")
        yield Content.assemble(
            (label, HEADING), (f" · {files} · {_size(target.get('bytes'))}", MUTED)
        )
    for item in target.get("listed") or []:
        if isinstance(item, Mapping):
            yield _item_line(item)
    if target.get("more"):
        yield Content.styled(f"  … and {target['more']} more not listed here", MUTED)
    if target.get("note"):
        yield Content.styled(f"  {target['note']}", MUTED)


def _kept_lines(preview: Mapping[str, Any]) -> Iterable[Content]:
    skipped = [s for s in preview.get("skipped") or [] if isinstance(s, Mapping)]
    count = int(preview.get("skipped_count") or len(skipped))
    if not count:
        return
    yield Content.styled(f"Kept ({count}), never removed:", HEADING)
    for item in skipped[:KEPT_SHOWN]:
        yield Content.assemble("  ", str(item.get("path", "")), (f" — {item.get('reason')}", MUTED))
    if count > min(len(skipped), KEPT_SHOWN):
        yield Content.styled(f"  … and {count - min(len(skipped), KEPT_SHOWN)} more", MUTED)


def file_list_content(preview: Mapping[str, Any]) -> Content:
    """The whole preview as styled lines (no markup is read from file names)."""
    lines: list[Content] = []
    targets = [t for t in preview.get("targets") or [] if isinstance(t, Mapping)]
    for target in targets:
        lines += _target_lines(target)
    if not targets:
        lines.append(Content.styled("Nothing to remove.", MUTED))
    total = preview.get("total_bytes", preview.get("freed_bytes"))
    if total is not None:
        lines.append(Content.styled(f"Would free {_size(total)} in total", TOTAL))
    if preview.get("complete") is False:
        lines.append(Content.styled("The listing is incomplete (see the notes below).", WARNING))
    lines += _kept_lines(preview)
    lines += [Content.styled(f"Note: {note}", MUTED) for note in preview.get("notes") or []]
    if preview.get("truncated"):
        lines.append(Content.styled("(the preview was truncated to fit)", MUTED))
    return Content("\n").join(lines)


class FileList(Static):
    """A clean_disk dry-run: files with sizes, grouped by target, and the total."""

    DEFAULT_CSS = """
    FileList {
        width: auto;
        min-width: 100%;
        height: auto;
        text-wrap: nowrap;
        padding: 0 1;
    }
    """

    def __init__(
        self, preview: Mapping[str, Any], *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(file_list_content(preview), id=id, classes=classes)
        self.preview = preview
