"""`sfai check` on the local host, end to end (process start included) and in-process.

Goal (issue #2): under 1 s.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _timing import report, time_call, time_command

from sfai.core.checks import run_checks
from sfai.core.config import load_config
from sfai.core.store import open_store
from sfai.hosts.local import LocalHost

home = tempfile.mkdtemp(prefix="sfai-bench-")
os.environ["SFAI_HOME"] = home
BIN = Path(sys.executable).parent

report("sfai check (process)", time_command([str(BIN / "sfai"), "check"], runs=10))
report("sfai check --json (process)", time_command([str(BIN / "sfai"), "check", "--json"], runs=10))

config = load_config()


def in_process() -> None:
    async def once() -> None:
        store = open_store()
        try:
            await run_checks(LocalHost(config.tools), config.check, store)
        finally:
            store.close()

    asyncio.run(once())


report("run_checks (in-process)", time_call(in_process, 10))
