"""Stream a 20,000-token reply at 500 tokens/s through the real TUI (headless) and report:

- final render lag: from the moment the provider hands over the last token to the frame
  that shows it (goal, issue #5: under 0.2 s),
- how late the event loop ran while streaming (a 50 ms timer's delay: the UI stays
  responsive to keys when this stays small),
- memory (RSS) before, at each quarter of the reply, and after (goal: flat: the cost of
  the text itself, not a growing backlog).

The reply comes from the fake Claude server (tests/fakes, in a process of its own, as the
real API would be) through the real AnthropicProvider, the real engine and store, the real
conversation widget: one token per SSE delta, one delta every 2 ms.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOKENS = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
RATE = 500.0  # tokens per second
FAKE_KEY = "sk-ant-bench"
os.environ["SFAI_HOME"] = tempfile.mkdtemp(prefix="sfai-bench-")
os.environ["ANTHROPIC_API_KEY"] = FAKE_KEY

import psutil  # noqa: E402

from tests.fakes import reply  # noqa: E402


def start_server(replies: list[dict[str, Any]]) -> tuple[subprocess.Popen[str], str]:
    script = Path(tempfile.mkdtemp(prefix="sfai-bench-")) / "replies.json"
    script.write_text(json.dumps(replies))
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.anthropic_server", "--script", str(script),
         "--api-key", FAKE_KEY],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert server.stdout is not None
    return server, server.stdout.readline().strip()


def long_reply(tokens: int) -> str:
    """Markdown as a model writes it: headings, paragraphs, lists, code; one token per word."""
    rng = random.Random(5)
    words = [
        "disk",
        "nginx",
        "worker",
        "memory",
        "the",
        "a",
        "is",
        "at",
        "of",
        "upstream",
        "log",
        "service",
        "restart",
    ]
    parts: list[str] = []
    count = 0
    section = 0
    while count < tokens:
        section += 1
        block = [f"\n## Section {section}\n\n"]
        paragraph = " ".join(rng.choice(words) for _ in range(60))
        block.append(paragraph + ".\n\n")
        block += [f"- item {i}: `{rng.choice(words)}` {rng.choice(words)}\n" for i in range(5)]
        block.append("\n```console\n$ df -h /var\n/dev/vda 79G 22G 57G 28% /\n```\n")
        text = "".join(block)
        parts.append(text)
        count += len(text.split())
    return "".join(parts)


def shown_characters(app: Any) -> int:
    """Characters handed to the reply widgets (live Markdown and frozen parts)."""
    return sum(len(widget.source) for widget in app.screen.query(".reply"))


def rss_mib() -> float:
    return psutil.Process().memory_info().rss / 2**20


async def main() -> None:
    from sfai.core.config import load_config
    from sfai.core.providers.anthropic import AnthropicProvider
    from sfai.core.providers.base import TextDelta
    from sfai.core.store import open_store
    from sfai.hosts import open_host
    from sfai.tui.factory import make_app
    from sfai.tui.state import TuiOptions
    from sfai.tui.widgets.frozen_markdown import FrozenMarkdown
    from sfai.tui.widgets.prompt_input import PromptInput
    from sfai_agent.redact import Redactor

    text = long_reply(TOKENS)
    usage = {"input_tokens": 2000, "output_tokens": TOKENS}
    server, url = start_server([reply(text, delay=1 / RATE, usage=usage)])
    os.environ["ANTHROPIC_BASE_URL"] = url
    deltas = len(text.split())

    class TimedProvider(AnthropicProvider):
        """Notes when the last token reached sfai."""

        last_token_at = 0.0
        tokens = 0

        async def stream(self, request: Any) -> Any:  # type: ignore[override]
            async for event in super().stream(request):
                if isinstance(event, TextDelta):
                    TimedProvider.last_token_at = time.perf_counter()
                    TimedProvider.tokens += 1
                yield event

    config = load_config()
    redactor = Redactor()
    store = open_store()
    provider = TimedProvider()
    provider.prepare()
    app = make_app(
        config,
        store=store,
        host=open_host("local", config, redactor=redactor),
        provider=provider,
        redactor=redactor,
        options=TuiOptions(metrics=False, metrics_interval=0, cursor_blink=False),
    )
    lateness: list[float] = []
    memory: list[tuple[str, float]] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        memory.append(("before", rss_mib()))
        expected = time.perf_counter() + 0.05

        def tick() -> None:
            nonlocal expected
            now = time.perf_counter()
            lateness.append(max(0.0, now - expected))
            expected = now + 0.05

        timer = app.set_interval(0.05, tick)
        prompt = app.screen.query_one(PromptInput)
        prompt.load_text("write me a long report")
        started = time.perf_counter()
        await pilot.press("enter")
        quarters = [deltas * q // 4 for q in (1, 2, 3)]
        while not TimedProvider.last_token_at or TimedProvider.tokens < deltas:
            await asyncio.sleep(0.05)
            if quarters and TimedProvider.tokens >= quarters[0]:
                memory.append((f"{len(memory) * 25}% streamed", rss_mib()))
                quarters.pop(0)
            if time.perf_counter() - started > 600:
                raise SystemExit("the stream did not finish in 10 minutes")
        while shown_characters(app) < len(text):  # the last token reached the widget
            await asyncio.sleep(0.002)
        await pilot.pause()  # and the frame that shows it
        rendered = time.perf_counter()
        await app.workers.wait_for_complete()
        await pilot.pause()
        completed = time.perf_counter()
        timer.stop()
        memory.append(("after", rss_mib()))
        shown = shown_characters(app)
        frozen = len(app.screen.query(FrozenMarkdown))
    server.terminate()
    server.wait()
    store.close()

    streamed_for = TimedProvider.last_token_at - started
    print(
        f"reply: {TOKENS:,} tokens ({deltas:,} deltas, {len(text):,} characters) at {RATE:.0f} tokens/s"
    )
    print(f"streaming took {streamed_for:.1f} s ({deltas / streamed_for:.0f} deltas/s arrived)")
    print(f"shown: {shown:,} characters (older parts sealed into {frozen} frozen widgets)")
    last = TimedProvider.last_token_at
    print(f"final render lag: {(rendered - last) * 1000:.0f} ms (goal < 200 ms)")
    print(
        "answer complete (stored, indexed, status bar updated): "
        f"{(completed - last) * 1000:.0f} ms after the last token"
    )
    ordered = sorted(lateness)
    print(
        f"event loop lateness while streaming: median {statistics.median(ordered) * 1000:.1f} ms, "
        f"p99 {ordered[int(0.99 * (len(ordered) - 1))] * 1000:.1f} ms, "
        f"max {ordered[-1] * 1000:.1f} ms"
    )
    print("memory (RSS): " + ", ".join(f"{label} {value:.0f} MiB" for label, value in memory))


if __name__ == "__main__":
    asyncio.run(main())
