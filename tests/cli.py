"""Run the real ``sfai`` console script in a subprocess, as a person or a script would."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

SFAI = str(Path(sys.executable).parent / "sfai")


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str


def run_sfai(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None, timeout: float = 60
) -> Run:
    environment = {**os.environ, **(env or {})}
    completed = subprocess.run(
        [SFAI, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        timeout=timeout,
        stdin=None if stdin is not None else subprocess.DEVNULL,
    )
    return Run(completed.returncode, completed.stdout, completed.stderr)
