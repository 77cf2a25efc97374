"""Time from starting sfai to the TUI's first usable frame. Goal (issue #5): under 1 s.

Two measures, each in fresh processes (imports are part of the cost):

- process: the real ``sfai`` console script on a pseudo-terminal, from spawning it to the
  first frame on the terminal. ``BENCH_SFAI_FIRST_FRAME=FILE`` makes the app write the
  wall-clock time of its first frame (Textual's ``Ready``: the DOM is mounted and the
  first frame was written) to FILE, then exit.
- in-process: a Python process that imports the TUI, builds the real app with
  ``make_app`` (local host, offline provider) and enters ``App.run_test()`` (headless:
  the app is mounted and ready), timed from before the first import.

Against ``python -c pass`` and ``sfai --help`` in the same run, for scale.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _timing import report, time_command

BIN = Path(sys.executable).parent
RUNS = 10
ENV = {
    **os.environ,
    "SFAI_HOME": tempfile.mkdtemp(prefix="sfai-bench-"),
    "TERM": "xterm-256color",
}
ENV.pop("ANTHROPIC_API_KEY", None)

IN_PROCESS = """
import time
started = time.perf_counter()
import asyncio
from sfai.core.config import load_config
from sfai.core.providers.offline import OfflineProvider
from sfai.core.store import open_store
from sfai.hosts import open_host
from sfai.tui.factory import make_app
from sfai_agent.redact import Redactor

async def main():
    config = load_config()
    redactor = Redactor()
    store = open_store()
    app = make_app(config, store=store, host=open_host("local", config, redactor=redactor),
                   provider=OfflineProvider(thresholds=config.check), redactor=redactor)
    async with app.run_test(size=(100, 32)):
        ready = time.perf_counter()
    store.close()
    return ready

print(f"{asyncio.run(main()) - started:.6f}")
"""


def first_frame_on_a_terminal() -> float:
    """Spawn ``sfai`` on a pty and return seconds until its first frame."""
    master, slave = os.openpty()
    marker = Path(tempfile.mkdtemp(prefix="sfai-frame-")) / "first-frame"
    env = {**ENV, "BENCH_SFAI_FIRST_FRAME": str(marker)}
    started = time.time()
    process = subprocess.Popen(
        [str(BIN / "sfai")], stdin=slave, stdout=slave, stderr=slave, env=env
    )
    os.close(slave)
    try:
        while process.poll() is None:  # drain the terminal so the app never blocks writing
            try:
                if not os.read(master, 65536):
                    break
            except OSError:
                break
        process.wait(30)
    finally:
        os.close(master)
    return float(marker.read_text()) - started


def in_process() -> float:
    out = subprocess.run(
        [sys.executable, "-c", IN_PROCESS], capture_output=True, text=True, env=ENV, check=True
    ).stdout
    return float(out.strip().splitlines()[-1])


def main() -> None:
    report("python -c pass", time_command([sys.executable, "-c", "pass"], runs=RUNS, env=ENV))
    report("sfai --help", time_command([str(BIN / "sfai"), "--help"], runs=RUNS, env=ENV))
    first_frame_on_a_terminal()  # warm the page cache
    report("sfai -> first frame (pty, process)", [first_frame_on_a_terminal() for _ in range(RUNS)])
    in_process()
    report("import + make_app + run_test ready", [in_process() for _ in range(RUNS)])


if __name__ == "__main__":
    main()
