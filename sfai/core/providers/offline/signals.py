"""What log lines say: problem counts, known failure signatures, the most recent lines.

Used on text piped into ``sfai ask`` and on the lines the log tools return. Every pattern
is linear (no nested quantifiers) and lines are cut before matching, so hostile input
costs what its length costs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sfai.core.providers.offline.intents import Intent
from sfai.core.providers.offline.signatures import SIGNATURES, Signature

MAX_LINES = 20_000
LINE_CHARS = 2_000
QUOTE_LINES = 5
QUOTE_CHARS = 240

LEVELS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        ("error", r"\b(?:error|errors|crit|critical|alert|emerg|severe|failed|failure)\b"),
        ("warning", r"\b(?:warn|warning)\b"),
        ("fatal", r"\b(?:fatal|panic)\b"),
        ("exception", r"\b(?:exception|traceback)\b"),
        ("refused", r"\brefused\b"),
        ("timeout", r"\b(?:timeout|timed out)\b"),
    )
)


_SCHEME_HOST = re.compile(r"^\w+://[^/]+")
_UPSTREAM = re.compile(r'upstream: "([^"]{1,200})"')
_ADDRESS = re.compile(
    r"\b(\d{1,3}(?:\.\d{1,3}){3}:\d{1,5}|localhost:\d{1,5}|\[[0-9a-f:]+\]:\d{1,5})"
)


@dataclass
class Hit:
    signature: Signature
    count: int = 0
    last_line: str = ""
    targets: list[str] = field(default_factory=list)
    """Upstreams or addresses named in the matching lines, most frequent first."""

    @property
    def shown_targets(self) -> str:
        return ", ".join(self.targets[:3])

    def explain(self, lang: str) -> str:
        return self.signature.text("means", lang, self.shown_targets)

    def todo(self, lang: str) -> str:
        return self.signature.text("todo", lang, self.shown_targets)

    def title(self, lang: str) -> str:
        return self.signature.text("title", lang)


@dataclass
class Digest:
    total: int = 0
    problems: int = 0
    levels: dict[str, int] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    recent: list[str] = field(default_factory=list)
    """The last few problem lines (or last lines when none), oldest first, cut short."""

    def levels_text(self) -> str:
        """`` (3 error, 1 timeout)``, or nothing when no line names a level."""
        shown = ", ".join(f"{count} {name}" for name, count in self.levels.items())
        return f" ({shown})" if shown else ""

    @property
    def intents(self) -> set[Intent]:
        return {hit.signature.intent for hit in self.hits if hit.signature.intent}


def backend_of(target: str) -> str:
    """``http://127.0.0.1:8000/cart`` -> ``http://127.0.0.1:8000``: each request has its own
    path, the backend is one. Unix sockets are left whole."""
    match = _SCHEME_HOST.match(target)
    return match.group(0) if match and "unix:" not in target else target


def quote(line: str) -> str:
    line = " ".join(line.split())
    return line if len(line) <= QUOTE_CHARS else line[: QUOTE_CHARS - 1] + "…"


_STREAM_TAG = re.compile(r"^\[(?:stdout|stderr|out|err)\]\s?")
"""The stream label get_logs puts before supervisor and PM2 lines."""


def _content(line: str) -> str:
    return _STREAM_TAG.sub("", line).strip()


def _recent(lines: list[str]) -> list[str]:
    """The last few distinct lines (the same line on stdout and stderr counts once)."""
    picked: list[str] = []
    seen: set[str] = set()
    for line in reversed(lines):
        if _content(line) not in seen:
            seen.add(_content(line))
            picked.append(quote(line))
        if len(picked) == QUOTE_LINES:
            break
    return picked[::-1]


def digest(lines: list[str]) -> Digest:
    lines = [line[:LINE_CHARS] for line in lines[-MAX_LINES:] if line.strip()]
    result = Digest(total=len(lines))
    lines = [line for line in lines if _content(line)]
    hits: dict[str, Hit] = {}
    targets: dict[str, dict[str, int]] = {}
    problem_lines: list[str] = []
    for line in lines:
        levels = [name for name, pattern in LEVELS if pattern.search(line)]
        for name in levels:
            result.levels[name] = result.levels.get(name, 0) + 1
        signature = next((s for s in SIGNATURES if s.pattern.search(line)), None)
        if signature is not None:
            hit = hits.setdefault(signature.key, Hit(signature))
            hit.count += 1
            hit.last_line = line
            found = _UPSTREAM.search(line) or _ADDRESS.search(line)
            if found:
                target = backend_of(found.group(1))
                seen = targets.setdefault(signature.key, {})
                seen[target] = seen.get(target, 0) + 1
        if levels or signature is not None:
            problem_lines.append(line)
    result.problems = len(problem_lines)
    for key, hit in hits.items():
        seen = targets.get(key, {})
        hit.targets = sorted(seen, key=lambda t: -seen[t])
    rank = {"critical": 0, "warning": 1}
    result.hits = sorted(hits.values(), key=lambda h: (rank[h.signature.severity], -h.count))
    result.recent = _recent(problem_lines or lines)
    return result


def port_of(target: str) -> int | None:
    """The port of ``http://127.0.0.1:8000/`` or ``127.0.0.1:8000``."""
    match = re.search(r":(\d{1,5})(?:/|$)", target.split("://", 1)[-1])
    return int(match.group(1)) if match else None
