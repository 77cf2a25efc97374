"""``TuiApprover``: the core's Approver answered by the modal from a worker, as the
conversation engine runs; and the whole act-mode flow — ``ToolCaller`` on the real local
host, the real dry-run in the modal, the real audit log — answered with keys."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.worker import NoActiveWorker

from sfai.core.action_flow import ToolCaller
from sfai.core.approval import Answer, ApprovalRequest, Choice
from sfai.core.audit import local_actor
from sfai.core.providers.base import ToolUse
from sfai.core.store import open_store
from sfai.hosts.local import LocalHost
from sfai.tui.approver import TuiApprover
from sfai.tui.screens.approval import ApprovalScreen
from sfai_agent.audit import AuditLog
from sfai_agent.settings import AgentSettings
from tests.tui.approval_requests import SIZE, build_tree, clean_disk_request, diff_request

USER = local_actor()
"""The TUI records the person running it, like the CLI does."""

USER = local_actor()
"""The TUI records the person running it, like the CLI does."""


@pytest.fixture
def request_(tmp_path: Path) -> ApprovalRequest:
    return asyncio.run(clean_disk_request(tmp_path / "tree"))


def approval_open(app: App[Any]) -> bool:
    return isinstance(app.screen, ApprovalScreen)


class ApproverApp(App[None]):
    """Runs approvals in workers, as the conversation engine does."""

    def __init__(self) -> None:
        super().__init__()
        self.approver = TuiApprover(self)
        self.answers: list[tuple[str, Answer]] = []

    async def ask(self, request: ApprovalRequest) -> Answer:
        answer = await self.approver.approve(request)
        self.answers.append((request.id, answer))
        return answer


async def test_tui_approver_waits_in_a_worker_for_the_keys_pressed(
    request_: ApprovalRequest,
) -> None:
    app = ApproverApp()
    async with app.run_test(size=SIZE) as pilot:
        worker = app.run_worker(app.ask(request_))
        await pilot.pause()
        assert isinstance(app.screen, ApprovalScreen)
        await pilot.press("n", *"wrong host", "enter")
        assert await worker.wait() == Answer(Choice.NO, USER, "wrong host")
        assert not approval_open(app)


async def test_tui_approver_asks_concurrent_requests_one_at_a_time_in_order(
    request_: ApprovalRequest,
) -> None:
    app = ApproverApp()
    second = diff_request()
    async with app.run_test(size=SIZE) as pilot:
        app.run_worker(app.ask(request_))
        app.run_worker(app.ask(second))
        await pilot.pause()
        assert [type(s) for s in app.screen_stack].count(ApprovalScreen) == 1
        assert isinstance(app.screen, ApprovalScreen) and app.screen.request is request_
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(app.screen, ApprovalScreen) and app.screen.request is second
        await pilot.press("escape")
        await app.workers.wait_for_complete()
    assert app.answers == [
        (request_.id, Answer(Choice.ONCE, USER)),
        (second.id, Answer(Choice.NO, USER, "")),
    ]


async def test_cancelling_the_worker_closes_its_modal(request_: ApprovalRequest) -> None:
    app = ApproverApp()
    async with app.run_test(size=SIZE) as pilot:
        worker = app.run_worker(app.ask(request_))
        await pilot.pause()
        assert isinstance(app.screen, ApprovalScreen)
        worker.cancel()
        await pilot.pause()
        assert not approval_open(app)
    assert app.answers == []


async def test_tui_approver_outside_a_worker_is_refused(request_: ApprovalRequest) -> None:
    app = ApproverApp()
    async with app.run_test(size=SIZE):
        with pytest.raises(NoActiveWorker):
            await app.approver.approve(request_)


# --- the whole flow: ToolCaller in act mode, the modal, the real files --------------------


class ActApp(App[None]):
    """The engine's side: a ToolCaller in act mode on the real local host, asking through
    the TUI approver from a worker."""

    def __init__(self, root: Path, tmp_path: Path) -> None:
        super().__init__()
        self.host = LocalHost(AgentSettings(**build_tree(root)))
        self.store = open_store(tmp_path / "sfai.db")
        self.audit = AuditLog(tmp_path / "audit.db")
        self.caller = ToolCaller(
            host=self.host,
            store=self.store,
            mode="act",
            approver=TuiApprover(self),
            audit=self.audit,
            specs={spec.name: spec for spec in self.host.catalog()},
        )

    async def clean(self) -> dict[str, Any]:
        use = ToolUse("toolu_09", "clean_disk", {"paths": ["rotated-logs"], "dry_run": False})
        return await self.caller.call(use)


async def act(tmp_path: Path, *keys: str) -> tuple[dict[str, Any], ActApp]:
    app = ActApp(tmp_path / "tree", tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        worker = app.run_worker(app.clean())
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ApprovalScreen)
        assert screen.request.preview is not None and screen.request.preview["dry_run"] is True
        await pilot.press(*keys)
        result = await worker.wait()
    app.store.close()
    return result, app


async def test_approved_in_the_modal_the_files_shown_are_removed(tmp_path: Path) -> None:
    result, app = await act(tmp_path, "o")
    logs = tmp_path / "tree" / "log"
    assert result["ok"] and result["dry_run"] is False, result
    assert not (logs / "syslog.1").exists() and not (logs / "nginx" / "access.log.1").exists()
    assert (logs / "syslog").exists()
    kinds = [(r.kind, r.actor) for r in app.audit.records(limit=10)]
    assert ("approval", USER) in kinds and ("execution", "sfai") in kinds


async def test_denied_in_the_modal_nothing_is_removed_and_the_model_gets_the_reason(
    tmp_path: Path,
) -> None:
    result, app = await act(tmp_path, "n", *"keep them for the audit", "enter")
    logs = tmp_path / "tree" / "log"
    assert result["error"]["code"] == "denied_by_user"
    assert "keep them for the audit" in result["error"]["message"]
    assert (logs / "syslog.1").exists() and (logs / "nginx" / "access.log.1").exists()
    denial = app.audit.records(limit=10, kind="denial")
    assert [r.detail["reason"] for r in denial] == ["keep them for the audit"]
