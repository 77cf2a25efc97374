"""Screenshots of the main screen (tests/__snapshots__/test_snapshots/).

Deterministic by construction: TEST_OPTIONS (no version, no durations, no blinking cursor,
no live metrics, no animations), a fixed host name and clock, the fake Claude server with
scripted usage, tools whose arguments and results are the same on every machine, and the
screenshot is taken once the answer is complete (no spinner mid-frame).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot

from sfai.tui.app import SfaiApp
from sfai.tui.widgets.tool_card import ToolCard
from tests.fakes import reply, tool_use
from tests.tui.conftest import ask

USAGE = {"input_tokens": 1500, "output_tokens": 120}
ANSWER = """\
This machine runs **Linux**.

- `uname -s` printed `Linux`.
- The authentication log asked for is a credential location: sfai refuses to read it, \
so I cannot say who logged in. Ask about `/var/log/auth.log` instead.

```console
$ uname -s
Linux
```
"""


def script_reply_with_tools(fake_claude: Any) -> None:
    fake_claude.script(
        [
            reply(
                "I'll check the kernel and the authentication log.",
                tool_use("run_command", {"argv": ["uname", "-s"]}),
                tool_use("get_logs", {"source": "/etc/shadow", "lines": 20}),
                usage=USAGE,
            ),
            reply(ANSWER, usage=USAGE),
        ]
    )


async def ask_which_os(pilot: Pilot[Any]) -> None:
    await ask(pilot, "which OS is this, and who logged in last?")
    assert [card.state for card in pilot.app.screen.query(ToolCard)] == ["ok", "error"]


class TestEmptyState:
    def test_wide(self, build_app: Callable[..., SfaiApp], snap_compare: Any) -> None:
        """The welcome panel (host testbox, the offline diagnostician, suggest mode), the
        empty prompt with its placeholder and the cursor, the status bar (● local
        (testbox), suggest, offline, 0 tok · $0, no rate limit offline) and the footer."""
        assert snap_compare(build_app(), terminal_size=(100, 32))

    def test_80x24(self, build_app: Callable[..., SfaiApp], snap_compare: Any) -> None:
        """The same at 80x24: the welcome text wraps, nothing is cut but the footer's end."""
        assert snap_compare(build_app(), terminal_size=(80, 24))


class TestReplyWithToolCards:
    def test_wide(
        self,
        build_app: Callable[..., SfaiApp],
        claude_provider: Any,
        fake_claude_env: Any,
        snap_compare: Any,
    ) -> None:
        """Claude's reply: the question, a first line, two tool cards (run_command ✓ with
        "`uname -s` exited 0, 1 line"; get_logs ✗ refused_by_policy), then the answer as
        Markdown (bold, a list, a code block). Status bar: anthropic claude-sonnet-5,
        3.2k tok · $0.0084."""
        script_reply_with_tools(fake_claude_env)
        app = build_app(provider=claude_provider)
        assert snap_compare(app, terminal_size=(100, 32), run_before=ask_which_os)

    def test_80x24(
        self,
        build_app: Callable[..., SfaiApp],
        claude_provider: Any,
        fake_claude_env: Any,
        snap_compare: Any,
    ) -> None:
        """The same reply at 80x24, scrolled to its end: cards and text fit the width."""
        script_reply_with_tools(fake_claude_env)
        app = build_app(provider=claude_provider)
        assert snap_compare(app, terminal_size=(80, 24), run_before=ask_which_os)

    def test_expanded_card_in_act_mode(
        self,
        build_app: Callable[..., SfaiApp],
        claude_provider: Any,
        fake_claude_env: Any,
        snap_compare: Any,
    ) -> None:
        """Act mode (the mode stands out in the status bar) and the first card expanded
        with Enter: the full call and the result as the model read it."""
        script_reply_with_tools(fake_claude_env)
        app = build_app(provider=claude_provider, mode="act")

        async def expand(pilot: Pilot[Any]) -> None:
            await ask_which_os(pilot)
            card = pilot.app.screen.query(ToolCard).first()
            card.focus()
            await pilot.press("enter")
            await pilot.pause()
            pilot.app.screen.query_one("#conversation").scroll_end(animate=False)
            await pilot.pause()

        assert snap_compare(app, terminal_size=(100, 32), run_before=expand)
