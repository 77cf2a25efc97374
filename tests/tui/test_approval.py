"""The approval modal over real dry-runs (``tests/tui/approval_requests.py``): what it shows
for each kind of preview, and how it is answered — ``o``, ``a``, ``n`` + a reason, escape, a
click — and that a stray Enter answers nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.widgets import Input

from sfai.core.approval import Answer, ApprovalRequest, Choice
from sfai.core.audit import local_actor
from sfai.tui.screens.approval import ApprovalScreen, risk_class
from sfai.tui.widgets.action_preview import preview_kind
from tests.fixtures.supervisor import CRASHY_STDERR_LINE, SupervisorInstance
from tests.tui.approval_requests import (
    SIZE,
    Harness,
    clean_disk_request,
    diff_request,
    normalise_restart,
    restart_request,
)

USER = local_actor()
"""The TUI records the person running it, like the CLI does."""


@pytest.fixture
def request_(tmp_path: Path) -> ApprovalRequest:
    return asyncio.run(clean_disk_request(tmp_path / "tree"))


async def answer_with(request: ApprovalRequest, *keys: str) -> Harness:
    app = Harness(request)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press(*keys)
        await pilot.pause()
    return app


# --- answering -----------------------------------------------------------------------------


async def test_o_approves_once_and_the_bell_rang_when_it_opened(request_: ApprovalRequest) -> None:
    app = await answer_with(request_, "o")
    assert app.answers == [Answer(Choice.ONCE, USER)]
    assert app.bells == 1


async def test_a_approves_always_for_the_session(request_: ApprovalRequest) -> None:
    app = await answer_with(request_, "a")
    assert app.answers == [Answer(Choice.ALWAYS, USER)]


async def test_n_asks_why_and_enter_sends_the_reason_typed(request_: ApprovalRequest) -> None:
    # the reason holds o, a and n: typed into the input, never taken as answers
    app = await answer_with(request_, "n", *"not on a friday", "enter")
    assert app.answers == [Answer(Choice.NO, USER, "not on a friday")]


async def test_escape_denies_without_a_reason(request_: ApprovalRequest) -> None:
    app = await answer_with(request_, "escape")
    assert app.answers == [Answer(Choice.NO, USER, "")]


async def test_clicking_once_approves(request_: ApprovalRequest) -> None:
    app = Harness(request_)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert await pilot.click("#once")
        await pilot.pause()
    assert app.answers == [Answer(Choice.ONCE, USER)]


async def test_a_stray_enter_answers_nothing_and_approve_buttons_never_take_focus(
    request_: ApprovalRequest,
) -> None:
    app = Harness(request_)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ApprovalScreen)
        assert app.focused is not None and app.focused.id == "preview"
        await pilot.press("enter", "enter")
        assert app.answers == [] and app.screen is screen
        focused = set()
        for _ in range(6):
            await pilot.press("tab")
            focused.add(app.focused.id if app.focused else None)
        assert focused == {"preview", "deny"}
        # Enter on the focused Deny button opens the reason input: still no answer
        while app.focused is None or app.focused.id != "deny":
            await pilot.press("tab")
        await pilot.press("enter")
        assert app.answers == [] and app.screen is screen
        assert isinstance(app.focused, Input) and app.focused.id == "deny-reason"


# --- what it shows ---------------------------------------------------------------------------


def shown(app: App[Any]) -> str:
    """Every visible text of the modal, as plain text."""
    return "\n".join(str(widget.render()) for widget in app.screen.query("Static, Label"))


async def test_the_clean_disk_preview_lists_each_file_with_its_size_and_the_total(
    tmp_path: Path,
) -> None:
    request = await clean_disk_request(tmp_path / "tree", normalised=False)
    assert preview_kind(request) == "files"
    app = Harness(request)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = shown(app)
    root = tmp_path / "tree"
    assert "clean_disk" in text and "HIGH RISK" in text
    assert '["rotated-logs", "tmp", "cache"]' in text and "false" in text
    assert "needs the person's approval" in text
    for name, size in [
        ("log/nginx/access.log.1", "3.0 MiB"),
        ("log/syslog.1", "1.0 MiB"),
        ("log/syslog.2.gz", "512.0 KiB"),
        ("tmp/build-cache.bin", "2.0 MiB"),
        ("cache/app/thumbnails.db", "512.0 KiB"),
    ]:
        line = next(line for line in text.splitlines() if line.endswith(str(root / name)))
        assert size in line and "2025-01-15 10:00" in line
    assert "Would free 7.2 MiB in total" in text
    assert f"{root / 'log' / 'evil.1'} — symlink" in text
    assert str(root / "log" / "syslog") + "\n" not in text + "\n"  # the live log is not listed


@pytest.mark.supervisor
async def test_the_restart_preview_shows_the_service_its_state_and_the_exact_command(
    supervisor: SupervisorInstance,
) -> None:
    request = await restart_request(supervisor)
    assert preview_kind(request) == "service"
    app = Harness(request)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = shown(app)
    pid = supervisor.pids()["worker"]
    assert "worker · supervisor" in text
    assert f"running, pid {pid}, up " in text
    assert f"supervisorctl -c {supervisor.config} restart worker" in text


@pytest.mark.supervisor
async def test_a_failed_service_preview_shows_its_last_log_lines(
    supervisor: SupervisorInstance,
) -> None:
    request = await restart_request(supervisor, "restart_failed_service", "crashy")
    app = Harness(request)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = shown(app)
    assert "failed (FATAL)" in text
    assert CRASHY_STDERR_LINE in text


async def test_a_diff_preview_colours_added_and_removed_lines_from_the_theme() -> None:
    app = Harness(diff_request())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        diff = app.screen.query_one("#preview-diff")
        lines = {
            "".join(s.text for s in strip).strip(): strip
            for strip in diff.render_lines(diff.region.reset_offset)
        }
        variables = app.get_css_variables()

    def colour(line: str) -> str:
        styles = {s.style.color if s.style else None for s in lines[line] if s.text.strip()}
        assert len(styles) == 1, styles
        found = styles.pop()
        assert found is not None and found.triplet is not None
        return str(found.triplet.hex).lower()

    assert colour("+        proxy_pass http://127.0.0.1:3001;") == variables["text-success"].lower()
    assert colour("-        proxy_pass http://127.0.0.1:3000;") == variables["text-error"].lower()
    assert colour("@@ -3,7 +3,7 @@") == variables["text-accent"].lower()
    assert colour("location / {") not in {
        variables["text-success"].lower(),
        variables["text-error"].lower(),
    }


async def test_without_a_dry_run_the_modal_says_approving_runs_it_directly() -> None:
    request = ApprovalRequest(
        "toolu_03", "run_command", {"argv": ["lsof", "-n"]}, "low", "local", "unknown program"
    )
    app = Harness(request)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "no dry-run: approving runs it directly" in shown(app)


def test_an_unknown_risk_is_shown_as_high() -> None:
    assert risk_class("high") == "-high"
    assert risk_class("medium") == "-medium"
    assert risk_class("") == risk_class("catastrophic") == "-high"


# --- snapshots -------------------------------------------------------------------------------


class TestApprovalSnapshots:
    """The modal as a person sees it, with the default theme. Paths, pids and uptimes are
    fixed values; file times are set on the real files."""

    def test_clean_disk_preview(self, snap_compare: Any, request_: ApprovalRequest) -> None:
        """A HIGH RISK badge and a red border; the exact arguments; the rotated logs, old temp
        file and cache file with sizes and times, the 7.2 MiB total, the symlink kept; the
        preview has the focus; Once / Always / Deny buttons with their keys."""
        assert snap_compare(Harness(request_), terminal_size=SIZE)

    def test_clean_disk_preview_at_80x24(
        self, snap_compare: Any, request_: ApprovalRequest
    ) -> None:
        """Everything still fits at 80x24: the preview scrolls (scrollbars), the buttons
        stay visible."""
        assert snap_compare(Harness(request_), terminal_size=(80, 24))

    @pytest.mark.supervisor
    def test_restart_preview(self, snap_compare: Any, supervisor: SupervisorInstance) -> None:
        """MEDIUM RISK with an amber border; the service and its manager, its state in
        green (running, pid, uptime), the exact supervisorctl command."""
        request = normalise_restart(asyncio.run(restart_request(supervisor)), supervisor)
        assert snap_compare(Harness(request), terminal_size=SIZE)

    def test_diff_preview(self, snap_compare: Any) -> None:
        """A config change: summary, +2 -2, the unified diff with green added lines, red
        removed lines and accent hunk headers."""
        assert snap_compare(Harness(diff_request()), terminal_size=SIZE)

    def test_deny_asks_for_a_reason(self, snap_compare: Any, request_: ApprovalRequest) -> None:
        """After `n`: the reason input under the buttons, focused, with the reason typed."""

        async def deny(pilot: Any) -> None:
            await pilot.press("n", *"not on a friday")
            pilot.app.screen.query_one("#deny-reason", Input).cursor_blink = False
            await pilot.pause()

        assert snap_compare(Harness(request_), terminal_size=SIZE, run_before=deny)
