"""Refresh the template block of docs/configuration.md (``make docs``)."""

from __future__ import annotations

import sys
from pathlib import Path

from sfai.core.config import config_template


def refresh(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    head, marker, _ = text.partition("```toml\n")
    path.write_text(head + marker + config_template() + "```\n", encoding="utf-8")


if __name__ == "__main__":
    refresh(Path(sys.argv[1]))
