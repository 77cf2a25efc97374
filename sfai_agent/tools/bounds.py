"""Keep a tool result under a size cap, saying explicitly what was cut."""

from __future__ import annotations

import json
from typing import Any

from sfai_agent.tools.base import JSON

TRUNCATION_MARK = "[truncated]"


def _size(value: Any) -> int:
    return len(json.dumps(value, default=str, ensure_ascii=False))


def _largest(container: Any, path: tuple[Any, ...] = ()) -> tuple[int, tuple[Any, ...]]:
    """The path to the biggest list or string inside ``container``."""
    best: tuple[int, tuple[Any, ...]] = (0, ())
    items: list[tuple[Any, Any]] = []
    if isinstance(container, dict):
        items = list(container.items())
    elif isinstance(container, list):
        items = list(enumerate(container))
    for key, value in items:
        if isinstance(value, (list, str)) and len(value) > 1:
            size = _size(value)
            if size > best[0]:
                best = (size, (*path, key))
        if isinstance(value, (dict, list)):
            inner = _largest(value, (*path, key))
            if inner[0] > best[0] and inner[0] * 2 < _size(value):
                best = inner
    return best


def bound_result(result: JSON, max_chars: int) -> JSON:
    """Halve the largest list or string until the JSON fits; mark the result truncated."""
    if _size(result) <= max_chars:
        return result
    bounded: JSON = json.loads(json.dumps(result, default=str))
    for _ in range(200):
        if _size(bounded) <= max_chars:
            break
        _, path = _largest(bounded)
        if not path:
            break
        parent: Any = bounded
        for key in path[:-1]:
            parent = parent[key]
        value = parent[path[-1]]
        if isinstance(value, str):
            keep = len(value) // 2
            parent[path[-1]] = value[:keep] + f" …{TRUNCATION_MARK} {len(value) - keep} chars cut"
        else:
            keep = max(1, len(value) // 2)
            parent[path[-1]] = value[:keep]
            notes = bounded.setdefault("truncated_lists", {})
            label = ".".join(str(p) for p in path)
            notes[label] = notes.get(label, len(value))
    bounded["truncated"] = True
    return bounded
