"""Policy check per tool call (issue #4 goal: under 0.2 ms).

Times ``Policy.evaluate`` from ``default_policy()`` — the path every call takes in the
runner — over the whole labelled run_command case table, and for a plain read-only tool.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sfai_agent.tools.catalog import load_catalog  # noqa: E402
from sfai_agent.tools.runner import default_policy  # noqa: E402
from tests.data.run_command_cases import CASES  # noqa: E402

ROUNDS = 200


def per_call_us(evaluate_all: object, calls: int, rounds: int = ROUNDS) -> list[float]:
    assert callable(evaluate_all)
    evaluate_all()  # warm up (compiled regexes, cached properties)
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        evaluate_all()
        samples.append((time.perf_counter() - started) / calls * 1e6)
    return samples


def line(label: str, samples: list[float]) -> None:
    ordered = sorted(samples)
    p90 = ordered[int(0.9 * (len(ordered) - 1))]
    print(
        f"{label:<52} median {statistics.median(samples):7.2f} µs/call   "
        f"min {ordered[0]:7.2f}   p90 {p90:7.2f}   (n={len(samples)} rounds)",
        flush=True,
    )


def main() -> None:
    catalog = load_catalog()
    policy = default_policy()
    run_command = catalog["run_command"].spec
    memory = catalog["get_memory_status"].spec
    arguments = [{"argv": argv} for _, argv, _ in CASES]

    def table() -> None:
        for args in arguments:
            policy.evaluate(run_command, args)

    def plain() -> None:
        for _ in range(len(arguments)):
            policy.evaluate(memory, {})

    line(f"run_command, {len(arguments)} labelled argv cases", per_call_us(table, len(arguments)))
    worst = max(
        arguments,
        key=lambda a: min(per_call_us(lambda a=a: policy.evaluate(run_command, a), 1, 30)),
    )
    line(
        f"run_command, slowest case ({' '.join(worst['argv'])[:24]}...)",
        per_call_us(lambda: policy.evaluate(run_command, worst), 1, 2000),
    )
    line("get_memory_status (plain read-only tool)", per_call_us(plain, len(arguments)))
    ruled = default_policy([{"decision": "deny", "tool": "clean_disk", "paths": "/srv/*"}] * 10)
    line(
        "run_command with 10 user rules",
        per_call_us(lambda: [ruled.evaluate(run_command, a) for a in arguments], len(arguments)),
    )


if __name__ == "__main__":
    main()
