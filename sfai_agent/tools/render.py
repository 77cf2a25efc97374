"""A compact text rendering of any tool result, for models and for humans on a pipe."""

from __future__ import annotations

from typing import Any

from sfai_agent.tools.base import JSON

_SKIP = {"ok", "summary"}


def human_bytes(value: float) -> str:
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(size) < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} PiB"


def format_value(key: str, value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if key.endswith("_bytes") and isinstance(value, (int, float)):
        return human_bytes(value)
    if key.endswith("_percent") and isinstance(value, (int, float)):
        return f"{value:.1f}%"
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, list) and all(not isinstance(v, (dict, list)) for v in value):
        return ", ".join(str(v) for v in value) or "-"
    text = str(value)
    return text if len(text) <= 200 else text[:197] + "..."


def _is_scalar_or_flat(value: Any) -> bool:
    if isinstance(value, list):
        return all(not isinstance(v, (dict, list)) for v in value)
    return not isinstance(value, dict)


def _one_per_line(key: str, value: list[Any]) -> bool:
    """Log lines and long strings read better one per line than joined with commas."""
    if not value or not all(isinstance(v, str) for v in value):
        return False
    return key.endswith(("lines", "logs", "output")) or any(len(v) > 60 or "\n" in v for v in value)


def _table(rows: list[dict[str, Any]], indent: str) -> list[str]:
    columns: list[str] = []
    for row in rows:
        for key, value in row.items():
            if key not in columns and _is_scalar_or_flat(value):
                columns.append(key)
    cells = [[format_value(c, row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = [indent + "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    lines += [
        indent + "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
        for row in cells
    ]
    return lines


def _render(data: dict[str, Any], indent: str) -> list[str]:
    lines: list[str] = []
    for key, value in data.items():
        if key in _SKIP:
            continue
        if isinstance(value, dict):
            if value:
                lines.append(f"{indent}{key}:")
                lines += _render(value, indent + "  ")
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            lines.append(f"{indent}{key}:")
            lines += _table(value, indent + "  ")
        elif isinstance(value, list) and _one_per_line(key, value):
            lines.append(f"{indent}{key}:")
            lines += [f"{indent}  {line}" for v in value for line in v.splitlines() or [""]]
        elif key in ("lines", "output", "text", "config", "stdout", "stderr") and isinstance(
            value, (list, str)
        ):
            body = value if isinstance(value, list) else value.splitlines()
            lines.append(f"{indent}{key}:")
            lines += [f"{indent}  {line}" for line in body]
        elif key in ("hint", "note", "error"):
            lines.append(f"{indent}{key}: {value}")
        else:
            lines.append(f"{indent}{key}: {format_value(key, value)}")
    return lines


def render_result(name: str, result: JSON) -> str:
    """A tool's own renderer when it has one (and the call succeeded), else ``render_text``."""
    from sfai_agent.tools.catalog import load_catalog

    tool = load_catalog().get(name)
    if tool is not None and tool.renderer is not None and result.get("ok"):
        return tool.renderer(result)
    return render_text(result)


def render_text(result: JSON) -> str:
    if not result.get("ok", True):
        error = result.get("error", {})
        text = f"error ({error.get('code', 'internal')}): {error.get('message', '')}"
        if error.get("hint"):
            text += f"\nhint: {error['hint']}"
        return text
    lines = [str(result.get("summary", ""))]
    lines += _render(result, "")
    return "\n".join(line for line in lines if line is not None).strip()
