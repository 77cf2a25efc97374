"""Whole flows through the app: resume from history, approve or deny a real restart of a
real supervisord program, switch hosts, stop an answer half-way."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input, Static

from sfai.core.audit import local_actor
from sfai.core.config import Config
from sfai.core.store import Store
from sfai.tui.app import SfaiApp
from sfai.tui.screens.approval import ApprovalScreen
from sfai.tui.screens.history import HistoryScreen
from sfai.tui.screens.hosts import HostsScreen
from sfai.tui.screens.main import MainScreen
from sfai.tui.widgets.metrics_sidebar import MetricsSidebar
from sfai.tui.widgets.prompt_input import PromptInput
from sfai.tui.widgets.tool_card import ToolCard
from tests.adversarial_kit import audit_records, call, kinds, results_by_id, supervisor_env
from tests.fakes import reply
from tests.fixtures.supervisor import SupervisorInstance
from tests.tui.conftest import ask, settle

REASON = "not during the sale"


async def until(pilot: Pilot[Any], condition: Callable[[], bool], timeout: float = 30) -> None:
    """Let the app run until ``condition`` holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "timed out waiting for the app"
        await pilot.pause(0.05)


async def send_without_waiting(pilot: Pilot[Any], text: str) -> None:
    prompt = pilot.app.screen.query_one(PromptInput)
    prompt.load_text(text)
    await pilot.press("enter")


def on(app: SfaiApp, kind: type[Screen[Any]]) -> Callable[[], bool]:
    return lambda: isinstance(app.screen, kind)


class TestHistory:
    async def test_new_then_resume_from_history_continues_the_old_conversation(
        self, build_app: Callable[..., SfaiApp], tui_store: Store
    ) -> None:
        app = build_app()
        async with app.run_test(size=(100, 32)) as pilot:
            await ask(pilot, "how full is the disk?")
            first = app.state.conversation_id
            await pilot.press("ctrl+n")
            await pilot.pause()
            assert app.state.conversation_id is None and not app.screen.query(ToolCard)
            await pilot.press("ctrl+r")
            await until(pilot, on(app, HistoryScreen))
            await pilot.press("enter")
            await until(pilot, on(app, MainScreen))
            await settle(pilot)
            assert app.state.conversation_id == first
            assert [str(q.render()) for q in app.screen.query(".question").results(Static)] == [
                "how full is the disk?"
            ]
            (card,) = app.screen.query(ToolCard)
            assert card.tool == "get_disk_usage" and card.state == "ok"
            await ask(pilot, "and the memory?")
            assert app.state.conversation_id == first
        assert len(tui_store.list_conversations()) == 1


@pytest.fixture
def worker(
    supervisor_private: SupervisorInstance, monkeypatch: pytest.MonkeyPatch
) -> SupervisorInstance:
    """A real supervisord of the test's own; sfai's tools pointed at it (before the config,
    the host and the app are built)."""
    supervisor_env(monkeypatch, supervisor_private)
    return supervisor_private


@pytest.mark.supervisor
class TestApproval:
    async def test_approved_once_restarts_the_worker_and_the_card_says_so(
        self,
        worker: SupervisorInstance,
        fake_claude_env: Any,
        build_app: Callable[..., SfaiApp],
        claude_provider: Any,
        sfai_home: Any,
    ) -> None:
        before = worker.pids()["worker"]
        fake_claude_env.script(
            [
                reply("Restarting it.", call("restart_service", "r1", service="worker", dry_run=False)),
                reply("The worker was restarted."),
            ]
        )  # fmt: skip
        app = build_app(provider=claude_provider, mode="act")
        async with app.run_test(size=(100, 32)) as pilot:
            await send_without_waiting(pilot, "restart the worker")
            await until(pilot, on(app, ApprovalScreen))
            assert worker.pids()["worker"] == before  # nothing ran before the answer
            await pilot.press("enter")  # a stray Enter approves nothing
            await pilot.pause()
            assert isinstance(app.screen, ApprovalScreen)
            await pilot.press("o")
            await until(pilot, on(app, MainScreen))
            await settle(pilot)
            card = app.screen.query_one(ToolCard)
            assert card.state == "ok" and card.has_class("-action")
            assert "approved once by user" in card.preview + card.approval
        assert worker.pids()["worker"] != before
        records = audit_records(sfai_home)
        assert kinds(records, "restart_service") == ["proposal", "approval", "execution", "result"]

    async def test_denied_with_a_reason_runs_nothing_and_the_model_hears_why(
        self,
        worker: SupervisorInstance,
        fake_claude_env: Any,
        build_app: Callable[..., SfaiApp],
        claude_provider: Any,
        sfai_home: Any,
    ) -> None:
        before = worker.pids()["worker"]
        fake_claude_env.script(
            [
                reply(call("restart_service", "d1", service="worker", dry_run=False)),
                reply("Understood, I will not restart it."),
            ]
        )
        app = build_app(provider=claude_provider, mode="act")
        async with app.run_test(size=(100, 32)) as pilot:
            await send_without_waiting(pilot, "restart the worker")
            await until(pilot, on(app, ApprovalScreen))
            await pilot.press("n")
            await until(pilot, lambda: isinstance(app.focused, Input))
            await pilot.press(*REASON, "enter")
            await until(pilot, on(app, MainScreen))
            await settle(pilot)
            card = app.screen.query_one(ToolCard)
            assert card.state == "error" and card.approval == f"declined by {local_actor()}"
            assert "Understood" in "".join(
                md.source
                for md in app.screen.query(".reply").results()  # type: ignore[attr-defined]
            )
        assert worker.pids()["worker"] == before
        declined, is_error = results_by_id(fake_claude_env, 1)["toolu_d1"]
        assert is_error and REASON in declined
        assert kinds(audit_records(sfai_home), "restart_service") == ["proposal", "denial"]


class TestHosts:
    async def test_switching_host_starts_a_new_conversation_there_and_the_sidebar_follows(
        self, build_app: Callable[..., SfaiApp], tui_config: Config, tui_store: Store
    ) -> None:
        from sfai.hosts.local import LocalHost

        opened: list[LocalHost] = []

        def open_host(name: str) -> LocalHost:
            """This machine under another inventory name (remote transports are not here
            yet); unknown names are refused like sfai.hosts.open_host does."""
            if name not in ("staging", "local"):
                raise LookupError(f"no host named {name!r}")
            host = LocalHost(tui_config.tools)
            host.name = name  # type: ignore[misc]
            opened.append(host)
            return host

        app = build_app(open_host=open_host)
        async with app.run_test(size=(100, 32)) as pilot:
            await ask(pilot, "how full is the disk?")
            first = app.state.conversation_id
            await send_without_waiting(pilot, "/host nowhere")
            await pilot.pause()
            assert app.state.host.name == "local" and app.state.conversation_id == first
            await send_without_waiting(pilot, "/host staging")
            await settle(pilot)
            assert app.state.host is opened[-1] and app.state.host.name == "staging"
            assert app.state.conversation_id is None
            assert str(app.screen.query_one("#host", Static).render()) == "● staging"
            assert app.screen.query_one(MetricsSidebar)._resolve() is opened[-1]
            await ask(pilot, "how full is the disk?")
        hosts = sorted(c["host"] for c in tui_store.list_conversations())
        assert hosts == ["local", "staging"]

    async def test_the_switcher_lists_the_hosts_and_escape_keeps_the_current_one(
        self, build_app: Callable[..., SfaiApp]
    ) -> None:
        app = build_app()
        async with app.run_test(size=(100, 32)) as pilot:
            host = app.state.host
            await pilot.press("ctrl+o")
            await until(pilot, on(app, HostsScreen))
            await pilot.press("escape")
            await until(pilot, on(app, MainScreen))
            assert app.state.host is host


class TestStop:
    async def test_escape_stops_the_answer_and_keeps_what_was_said(
        self,
        build_app: Callable[..., SfaiApp],
        claude_provider: Any,
        fake_claude_env: Any,
        tui_store: Store,
    ) -> None:
        words = " ".join(f"word{i}" for i in range(400))
        fake_claude_env.script([reply(words, delay=0.02)])
        app = build_app(provider=claude_provider)
        async with app.run_test(size=(100, 32)) as pilot:
            screen = app.screen
            assert isinstance(screen, MainScreen)
            await send_without_waiting(pilot, "tell me a long story")
            await until(pilot, lambda: "word5 " in "".join(
                md.source for md in screen.query(".reply").results()  # type: ignore[attr-defined]
            ))  # fmt: skip
            assert screen.busy
            await pilot.press("escape")
            await settle(pilot)
            assert not screen.busy
            assert [str(n.render()) for n in screen.query(".note").results(Static)] == [
                "Stopped. What was said is kept: ask again to go on."
            ]
            conversation_id = app.state.conversation_id
        assert conversation_id is not None
        stored = tui_store.get_conversation(conversation_id)
        assert stored is not None and stored["status"] == "interrupted"
        assert "word5" in stored["messages"][-1]["text"]
