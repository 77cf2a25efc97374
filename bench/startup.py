"""Cold start of `sfai --help` and `sfai tools list`, against bare Python and `import typer`.

Goal (issue #2): under 0.2 s, i.e. no Textual and no anthropic SDK on these paths.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _timing import report, time_command

BIN = Path(sys.executable).parent
env = {**os.environ, "SFAI_HOME": tempfile.mkdtemp(prefix="sfai-bench-")}

report("python -c pass", time_command([sys.executable, "-c", "pass"], env=env))
report('python -c "import typer"', time_command([sys.executable, "-c", "import typer"], env=env))
report("sfai --help", time_command([str(BIN / "sfai"), "--help"], env=env))
report("sfai tools list", time_command([str(BIN / "sfai"), "tools", "list"], env=env))
report(
    "sfai tools list --json", time_command([str(BIN / "sfai"), "tools", "list", "--json"], env=env)
)
