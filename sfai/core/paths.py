"""Where sfai keeps its files: one folder, ``SFAI_HOME``, or the platform's dirs."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SfaiPaths:
    config_dir: Path
    data_dir: Path

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def database(self) -> Path:
        return self.data_dir / "sfai.db"

    @property
    def keys_dir(self) -> Path:
        return self.config_dir / "keys"

    @property
    def themes_dir(self) -> Path:
        return self.config_dir / "themes"


def sfai_paths() -> SfaiPaths:
    """``SFAI_HOME`` holds everything when set; otherwise config and data follow the platform."""
    home = os.environ.get("SFAI_HOME")
    if home:
        root = Path(home).expanduser()
        return SfaiPaths(config_dir=root, data_dir=root)
    import platformdirs

    return SfaiPaths(
        config_dir=Path(platformdirs.user_config_dir("sfai", appauthor=False)),
        data_dir=Path(platformdirs.user_data_dir("sfai", appauthor=False)),
    )
