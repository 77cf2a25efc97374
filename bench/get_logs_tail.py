"""`get_logs` on a 4 GB file, last 200 lines, in-process; cost must not grow with file size.

Goal (issue #2): under 5 ms. Compared with `tail -n 200` as a whole process.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _timing import report, time_call, time_command

from sfai_agent.exec import LocalExecutor
from sfai_agent.settings import AgentSettings
from sfai_agent.tools.base import ToolContext
from sfai_agent.tools.runner import call_tool

LINE = "2026-11-24T10:15:02.123Z web-1 nginx[812]: 203.0.113.9 GET /api/orders 200 0.042s\n"


def make_log(directory: str, size: int) -> str:
    path = os.path.join(directory, f"app-{size}.log")
    with open(path, "wb") as handle:
        handle.truncate(size)
        handle.seek(size)
        handle.write(LINE.encode() * 5000)
    return path


def main() -> None:
    directory = tempfile.mkdtemp(prefix="sfai-bench-logs-")
    context = ToolContext(executor=LocalExecutor(), settings=AgentSettings(log_roots=(directory,)))
    loop = asyncio.new_event_loop()
    try:
        for size in (10 * 1024**2, 1024**3, 4 * 1024**3):
            path = make_log(directory, size)
            arguments = {"source": path, "lines": 200}

            def call(arguments: dict[str, object] = arguments) -> None:
                result = loop.run_until_complete(call_tool("get_logs", arguments, context))
                assert result["ok"] and len(result["lines"]) == 200, result

            report(f"get_logs last 200 lines, {size / 1024**3:.2f} GiB file", time_call(call, 200))
        report(
            "tail -n 200 (whole process), 4 GiB file",
            time_command(["tail", "-n", "200", path], runs=50),
        )
    finally:
        loop.close()
        for name in os.listdir(directory):
            os.unlink(os.path.join(directory, name))
        os.rmdir(directory)


if __name__ == "__main__":
    main()
