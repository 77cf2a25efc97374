"""Small helpers shared by the benchmark scripts: repeat, then report median and spread."""

from __future__ import annotations

import statistics
import subprocess
import time
from collections.abc import Callable


def time_command(argv: list[str], runs: int = 15, env: dict[str, str] | None = None) -> list[float]:
    subprocess.run(argv, capture_output=True, env=env, check=False)  # warm the page cache
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, capture_output=True, env=env, check=False)
        samples.append(time.perf_counter() - started)
    return samples


def time_call(function: Callable[[], object], runs: int) -> list[float]:
    function()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return samples


def report(label: str, samples: list[float], unit: str = "ms") -> str:
    scale = 1000.0 if unit == "ms" else 1.0
    ordered = sorted(samples)
    p90 = ordered[int(0.9 * (len(ordered) - 1))]
    line = (
        f"{label:<44} median {statistics.median(samples) * scale:8.2f} {unit}   "
        f"min {ordered[0] * scale:8.2f}   p90 {p90 * scale:8.2f}   (n={len(samples)})"
    )
    print(line, flush=True)
    return line
