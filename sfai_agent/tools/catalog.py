"""The tool catalog: every family module, imported once, in the design's order."""

from __future__ import annotations

import importlib

from sfai_agent.tools.base import Tool, registered_tools

FAMILIES: tuple[str, ...] = (
    "system",
    "disk",
    "memory",
    "services",
    "logs",
    "apps",
    "nginx",
    "tls",
    "command",
    "actions_services",
    "actions_disk",
    "actions_tls",
    "actions_nginx",
    "actions_deploy",
)

_loaded = False


def load_catalog() -> dict[str, Tool]:
    """All tools by name. Family modules import nothing heavy at module level."""
    global _loaded
    if not _loaded:
        for family in FAMILIES:
            importlib.import_module(f"sfai_agent.tools.{family}")
        _loaded = True
    # Family order, not import order: a test importing one family first must not
    # change what `sfai tools list` or docs/tools.md show.
    tools = registered_tools()
    rank = {family: index for index, family in enumerate(FAMILIES)}
    ordered = sorted(
        enumerate(tools.values()), key=lambda item: (rank.get(item[1].spec.family, 99), item[0])
    )
    return {tool.name: tool for _, tool in ordered}
