"""`sfai ask` with the offline diagnostician, end to end on the local host (process start
included). Goal (issue #3): under 1 s."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _timing import report, time_command

SFAI = str(Path(sys.executable).parent / "sfai")
env = {**os.environ, "SFAI_HOME": tempfile.mkdtemp(prefix="sfai-bench-")}
env.pop("ANTHROPIC_API_KEY", None)

for question in ("is everything ok?", "why is the disk full?", "pourquoi le serveur est lent ?"):
    report(f'sfai ask "{question}"', time_command([SFAI, "ask", question], runs=10, env=env))
report("sfai ask --json (health)", time_command([SFAI, "ask", "--json", "is everything ok?"], runs=10, env=env))
