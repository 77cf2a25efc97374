"""sfai's widgets, one per module, each with its layout in a ``.tcss`` file beside it.

Import widgets from their modules (``from sfai.tui.widgets.tool_card import ToolCard``);
this package only holds :func:`css_beside`, which reads that ``.tcss`` file into a
widget's ``DEFAULT_CSS`` (so an app, a screen or a theme can still override it).
"""

from __future__ import annotations

from pathlib import Path


def css_beside(module_file: str) -> str:
    """The ``.tcss`` file next to ``module_file`` (``tool_card.py`` -> ``tool_card.tcss``)."""
    return Path(module_file).with_suffix(".tcss").read_text(encoding="utf-8")
