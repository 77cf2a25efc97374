"""Generate docs/tools.md from the catalog's specs (``make docs``); a test keeps it fresh."""

from __future__ import annotations

import json

from sfai_agent.tools.catalog import load_catalog

HEADER = """# Tool catalog

Generated from the tool specs by `make docs`; do not edit by hand (a test fails when
this file is stale). These are the tools the model sees, with the JSON schema of their
input. Call any of them directly with `sfai tools run NAME --arg key=value`.

Every result is a JSON object with `ok` and a one-line `summary`; errors are
`{"ok": false, "error": {"code", "message", "hint"}}`. Results are bounded in size
(`"truncated": true` when cut).
"""


def _argument_rows(schema: dict[str, object]) -> list[str]:
    properties = schema.get("properties", {})
    required = set(schema.get("required", []))  # type: ignore[call-overload]
    rows = []
    assert isinstance(properties, dict)
    for name, prop in properties.items():
        kind = prop.get("type", "")
        if "enum" in prop:
            kind = " \\| ".join(json.dumps(v) for v in prop["enum"])
        extra = prop.get("description", "")
        if "default" in prop:
            extra += f" (default {json.dumps(prop['default'])})"
        rows.append(
            f"| `{name}` | {kind} | {'yes' if name in required else 'no'} | {extra.strip()} |"
        )
    return rows


def render_markdown() -> str:
    catalog = load_catalog()
    parts = [HEADER, "| tool | family | risk |", "| --- | --- | --- |"]
    parts += [
        f"| [`{t.name}`](#{t.name}) | {t.spec.family} | {t.spec.risk.value} |"
        for t in catalog.values()
    ]
    for tool in catalog.values():
        spec = tool.spec
        parts += [
            "",
            f"## {spec.name}",
            "",
            f"Family `{spec.family}`, risk `{spec.risk.value}`.",
            "",
            spec.description,
        ]
        rows = _argument_rows(spec.input_schema)
        if rows:
            parts += [
                "",
                "| argument | type | required | notes |",
                "| --- | --- | --- | --- |",
                *rows,
            ]
        else:
            parts += ["", "No arguments."]
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    print(render_markdown(), end="")
