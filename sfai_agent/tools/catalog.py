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
)

_loaded = False


def load_catalog() -> dict[str, Tool]:
    """All tools by name. Family modules import nothing heavy at module level."""
    global _loaded
    if not _loaded:
        for family in FAMILIES:
            importlib.import_module(f"sfai_agent.tools.{family}")
        _loaded = True
    return registered_tools()
