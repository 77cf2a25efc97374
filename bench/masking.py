"""Secret masking: recall, precision and throughput (issue #4, item 5).

- Recall on tests/data/secrets-noseyparker.jsonl: share of the listed secret values no longer
  present after masking their line; strict (every listed value) and credentials only
  (without the user names, hosts and resource names the rules also capture, see
  tests/data/corpus-identifiers.json), per rule family.
- Precision on tests/data/benign-logs.txt: share of benign lines left unchanged.
- Throughput on generated mixed logs (benign lines, ~1% secret lines) of 50, 100 and 200 MB,
  masked in one call, on one core (MB: millions of characters); goal over 50 MB/s and
  linear in size. Two mixes: every
  benign line equally likely ("dense": config lines and JSON full of key names), and the
  volume of a real server (60% access log, 25% syslog, 15% JSON app log).

Run: .venv/bin/python bench/masking.py [--sizes 50,100,200] [--details]
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import re
import resource
import sys
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from sfai_agent.redact import Redactor, mask_text  # noqa: E402

DATA = ROOT / "tests" / "data"
CORPUS = DATA / "secrets-noseyparker.jsonl"
IDENTIFIERS = DATA / "corpus-identifiers.json"
BENIGN = DATA / "benign-logs.txt"
_REFERENCE = re.compile(r"\"?(?:\$\{?[A-Za-z_]\w*\}?|%[A-Za-z_]\w*%)\"?")


@dataclass
class Score:
    found: int = 0
    total: int = 0

    @property
    def rate(self) -> float:
        return self.found / self.total if self.total else 1.0


@dataclass
class Recall:
    strict: Score = field(default_factory=Score)
    credentials: Score = field(default_factory=Score)
    families: dict[str, tuple[Score, Score]] = field(default_factory=dict)
    missed_credentials: list[tuple[str, str, str]] = field(default_factory=list)


def value_category(
    rule: str, position: int, value: str, identifiers: dict[str, dict[str, Any]]
) -> str:
    """``identifier``, ``reference`` or ``credential`` (see corpus-identifiers.json)."""
    if rule in identifiers["identifier_rules"]:
        return "identifier"
    if position in identifiers["identifier_positions"].get(rule, []):
        return "identifier"
    if _REFERENCE.fullmatch(value.strip()):
        return "reference"
    return "credential"


def corpus_recall(corpus: Path = CORPUS, identifiers_path: Path = IDENTIFIERS) -> Recall:
    identifiers = json.loads(identifiers_path.read_text())
    result = Recall()
    families: dict[str, tuple[Score, Score]] = defaultdict(lambda: (Score(), Score()))
    for line in corpus.read_text().splitlines():
        row = json.loads(line)
        if row["label"] != "secret":
            continue
        masked = mask_text(row["text"])
        family = row["rule"].rsplit(".", 1)[0]
        for position, value in enumerate(row["secrets"]):
            removed = value not in masked
            category = value_category(row["rule"], position, value, identifiers)
            scores = [result.strict, families[family][0]]
            if category == "credential":
                scores += [result.credentials, families[family][1]]
                if not removed:
                    result.missed_credentials.append((row["rule"], value, masked))
            for score in scores:
                score.total += 1
                score.found += removed
    result.families = dict(sorted(families.items()))
    return result


def benign_precision(path: Path = BENIGN) -> tuple[Score, list[tuple[str, str]]]:
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    changed = []
    for line in lines:
        masked = mask_text(line)
        if masked != line:
            changed.append((line, masked))
    return Score(len(lines) - len(changed), len(lines)), changed


def mixed_log(size: int, mix: str, seed: int = 4) -> str:
    """``size`` characters of benign lines with about 1% secret lines."""
    benign = [line for line in BENIGN.read_text().splitlines() if line.strip()]
    secrets = [
        row["text"]
        for row in map(json.loads, CORPUS.read_text().splitlines())
        if row["label"] == "secret"
    ]
    if mix == "real":
        access = [line for line in benign if re.match(r"\d+\.\d+\.\d+\.\d+ - ", line)]
        syslog = [line for line in benign if re.match(r"[A-Z][a-z]{2} \d\d \d\d:", line)]
        app = [line for line in benign if line.startswith("{")]
        pools = [(0.60, access), (0.85, syslog), (1.0, app)]
    else:
        pools = [(1.0, benign)]
    rng = random.Random(seed)
    lines: list[str] = []
    total = 0
    while total < size:
        if rng.random() < 0.01:
            line = rng.choice(secrets)
        else:
            draw = rng.random()
            line = rng.choice(next(pool for bound, pool in pools if draw < bound))
        lines.append(line)
        total += len(line) + 1
    return "\n".join(lines)


def throughput(sizes_mb: list[int], mix: str) -> list[tuple[int, float, float]]:
    """(MB, user seconds, system seconds) of one redact_text call per size, best of two.

    User time is the masking; system time is the kernel handing out memory for the copies
    (the text, its Latin-1 copy, the result), which grows faster than linearly on some
    machines once buffers reach hundreds of MB.
    """
    rows = []
    for size_mb in sizes_mb:
        text = mixed_log(size_mb * 1_000_000, mix)
        runs = [_timed(partial(Redactor().redact_text, text)) for _ in range(2)]
        user, system = min(runs, key=lambda run: run[0] + run[1])
        rows.append((size_mb, user, system))
        del text
    return rows


def _timed(function: Callable[[], object]) -> tuple[float, float]:
    gc.collect()
    before = resource.getrusage(resource.RUSAGE_SELF)
    function()
    after = resource.getrusage(resource.RUSAGE_SELF)
    return after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime


def chunked_throughput(size_mb: int, mix: str, chunk: int = 64 * 1024) -> float:
    """MB/s when the same log arrives as tool results of ``chunk`` characters."""
    text = mixed_log(size_mb * 1_000_000, mix)
    pieces = [text[i : i + chunk] for i in range(0, len(text), chunk)]

    def run() -> None:
        redactor = Redactor()
        for piece in pieces:
            redactor.redact_text(piece)

    return len(text) / 1e6 / min(sum(_timed(run)) for _ in range(2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50,100,200", help="MB, comma separated")
    parser.add_argument("--details", action="store_true", help="list misses and changed lines")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]

    recall = corpus_recall()
    print("Recall on secrets-noseyparker.jsonl (share of listed values removed)")
    print(
        f"  credentials {recall.credentials.found}/{recall.credentials.total} "
        f"= {recall.credentials.rate:.1%}"
    )
    print(
        f"  strict      {recall.strict.found}/{recall.strict.total} = {recall.strict.rate:.1%}"
        "   (user names, hosts, resource names and variable references are kept)"
    )
    print("  per family (credentials; strict):")
    for family, (strict, credentials) in recall.families.items():
        print(
            f"    {family:<18} {credentials.found:>3}/{credentials.total:<3}"
            f" {credentials.rate:7.1%}   {strict.found:>3}/{strict.total:<3}"
        )
    if args.details:
        for rule, value, masked in recall.missed_credentials:
            print(f"  missed {rule}: {value[:60]!r} in {masked[:120]!r}")

    precision, changed = benign_precision()
    print(
        f"Precision on benign-logs.txt (lines left unchanged) "
        f"{precision.found}/{precision.total} = {precision.rate:.1%}"
    )
    for line, masked in changed if args.details else []:
        print(f"  changed: {line[:100]!r}\n       -> {masked[:100]!r}")

    for mix, label in (
        ("dense", "dense mix (every benign line alike)"),
        ("real", "server mix (60% access, 25% syslog, 15% JSON)"),
    ):
        print(f"Throughput, one redact_text call, {label}, ~1% secret lines:")
        for size_mb, user, system in throughput(sizes, mix):
            print(
                f"  {size_mb:>4} MB  {size_mb / (user + system):6.1f} MB/s   "
                f"user {user / size_mb * 1000:5.1f} ms/MB  system {system / size_mb * 1000:4.1f} ms/MB"
            )
        print(
            f"  as 64 KiB tool results ({sizes[0]} MB): "
            f"{chunked_throughput(sizes[0], mix):.1f} MB/s"
        )


if __name__ == "__main__":
    main()
