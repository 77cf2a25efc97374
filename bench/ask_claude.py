"""`sfai ask` against the fake Claude server on loopback.

- Time from process start to the first streamed character, against `python -c "import
  anthropic"` in the same run. Goal (issue #3): within 0.3 s of the SDK import alone.
- Size of the first request (rules + host snapshot + tool specs) in tokens, by part, and
  the cached share of the second request. Goal: under 3,000 tokens.

Token counts are estimates (4 characters per token, the fake server's rule); the real
API's count_tokens endpoint cannot be reached from here.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))
from _timing import report, time_command  # noqa: E402

from tests.fakes import FakeAnthropicServer, reply, tool_use  # noqa: E402
from tests.fakes.anthropic_replies import estimate_tokens, prompt_tokens  # noqa: E402

SFAI = str(Path(sys.executable).parent / "sfai")
RUNS = 10


def first_text_latency(env: dict[str, str]) -> float:
    started = time.perf_counter()
    process = subprocess.Popen(
        [SFAI, "ask", "how is the server?", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    latency = float("nan")
    for line in process.stdout:
        if json.loads(line)["type"] == "text":
            latency = time.perf_counter() - started
            break
    process.wait()
    return latency


def main() -> None:
    server = FakeAnthropicServer(api_key="sk-ant-bench").start()
    env = {
        **os.environ,
        "SFAI_HOME": tempfile.mkdtemp(prefix="sfai-bench-"),
        "ANTHROPIC_BASE_URL": server.url,
        "ANTHROPIC_API_KEY": "sk-ant-bench",
    }
    try:
        report(
            'python -c "import anthropic"',
            time_command([sys.executable, "-c", "import anthropic"], runs=RUNS),
        )
        server.script([reply("All good here.")] * (RUNS + 1))
        first_text_latency(env)
        samples = [first_text_latency(env) for _ in range(RUNS)]
        report("sfai ask: start to first streamed character", samples)

        server.clear()
        server.script([reply("Checking.", tool_use("get_memory_status")), reply("Fine.")])
        subprocess.run([SFAI, "ask", "memory?"], env=env, capture_output=True, check=True)
        first, second = server.message_requests[-2:]
        body = first.body
        parts = {
            "rules (system, cached)": estimate_tokens(body["system"][0]["text"]),
            "host snapshot": estimate_tokens(body["system"][1]["text"]),
            "tool specs (cached)": estimate_tokens(json.dumps(body["tools"])),
            "question": estimate_tokens(json.dumps(body["messages"])),
        }
        total = prompt_tokens(body)
        print(f"first request: about {total} tokens in all", flush=True)
        for name, tokens in parts.items():
            print(f"  {name:<24} {tokens:6d}", flush=True)
        usage = second.response_usage if hasattr(second, "response_usage") else None
        cached = parts["rules (system, cached)"] + parts["tool specs (cached)"]
        share = cached / prompt_tokens(second.body)
        print(
            f"second request: about {prompt_tokens(second.body)} tokens, "
            f"cache-eligible prefix {cached} ({share:.0%})",
            flush=True,
        )
        if usage:
            print(f"  fake server usage: {usage}", flush=True)
        print(f"median first character: {statistics.median(samples) * 1000:.0f} ms", flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
