"""The history screen over a real store under the test's SFAI_HOME, filled through the real
store API (conversations, streamed messages, tool calls with results, usage, events).

For snapshots, ids and times are set to fixed values with SQL afterwards (the store picks
random ids and reads the clock): the data stays what the store wrote, only those columns
change."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from textual.app import App
from textual.widgets import Input, OptionList, Static

from sfai.core.events import Usage
from sfai.core.store import Store, open_store
from sfai.tui.screens.confirm import ConfirmScreen
from sfai.tui.screens.history import HistoryScreen

SIZE = (100, 32)
T0 = 1_795_946_400  # 2026-11-30 06:40 UTC


@dataclass
class Talk:
    title: str
    answer: str
    host: str = "local"
    provider: str = "anthropic"
    model: str = "claude-sonnet-5"
    mode: str = "diagnose"
    status: str = "ok"
    tools: list[tuple[str, dict[str, Any], bool]] = field(default_factory=list)
    cost_usd: float = 0.0
    tokens: tuple[int, int] = (0, 0)


TALKS = [
    Talk(
        "Why is the disk on web1 full?",
        "The disk is 97% full: /var/log/nginx holds 38 GB of access logs that logrotate never "
        "compressed. Clean them with clean_disk, then fix the logrotate configuration.",
        host="web1",
        tools=[("get_disk_usage", {"path": "/"}, True), ("get_logs", {"source": "nginx"}, True)],
        cost_usd=0.0123,
        tokens=(4210, 512),
    ),
    Talk(
        "nginx returns 502 on shop.example.com",
        "The upstream 127.0.0.1:3000 refuses connections: the shop app is not running. "
        "Restart it with restart_service shop.",
        provider="offline",
        model="offline",
        mode="suggest",
        tools=[
            ("get_nginx_config", {"domain": "shop.example.com"}, True),
            ("get_service_status", {"service": "shop"}, True),
            ("restart_service", {"service": "shop"}, False),
        ],
    ),
    Talk(
        "Pourquoi le service worker redémarre-t-il sans arrêt ?",
        "Le worker s'arrête faute de mémoire : le noyau le tue (OOM killer) toutes les 4 min.",
        status="interrupted",
        tools=[("get_memory_status", {}, True), ("get_memory_status", {}, True)],
        cost_usd=0.0456,
        tokens=(9100, 1400),
    ),
]


def record(store: Store, talk: Talk) -> str:
    """One conversation, written the way the engine writes it."""
    cid = store.create_conversation(
        host=talk.host, provider=talk.provider, model=talk.model, mode=talk.mode, title=talk.title
    )
    store.record_event("ai.conversation.started", cid, {"mode": talk.mode})
    store.add_message(cid, "user", [{"type": "text", "text": talk.title}])
    uses = [
        {"type": "tool_use", "id": f"toolu_{i}", "name": name, "input": args}
        for i, (name, args, _ok) in enumerate(talk.tools)
    ]
    first = store.start_assistant_message(cid)
    store.append_text(first, "Let me look.")
    store.finish_message(first, [{"type": "text", "text": "Let me look."}, *uses])
    for i, (name, args, ok) in enumerate(talk.tools):
        store.record_tool_call(cid, f"toolu_{i}", name, args, "read_only")
        result: dict[str, Any] = {"ok": ok, "summary": f"{name} done"}
        store.record_tool_result(cid, f"toolu_{i}", result, ok, 0.1, False)
    answer = store.start_assistant_message(cid)
    store.append_text(answer, talk.answer)
    store.finish_message(answer, [{"type": "text", "text": talk.answer}])
    if talk.cost_usd:
        usage = Usage(talk.tokens[0], talk.tokens[1], cost_usd=talk.cost_usd, requests=2)
        store.record_usage(cid, talk.provider, talk.model, usage)
    store.set_conversation_status(cid, talk.status)
    return cid


def fix_ids_and_times(store: Store, ids: list[str]) -> list[str]:
    """Give the conversations fixed ids and times (the first is the oldest, an hour apart)."""
    fixed = [f"c0ffee{n:06x}" for n in range(1, len(ids) + 1)]
    conn = store.db.conn
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("PRAGMA defer_foreign_keys = ON")
    for n, (old, new) in enumerate(zip(ids, fixed, strict=True)):
        for table in ("messages", "tool_calls", "usage", "events"):
            conn.execute(
                f"UPDATE {table} SET conversation_id = ? WHERE conversation_id = ?", (new, old)
            )
        conn.execute(
            "UPDATE conversations SET id = ?, created_at = ?, updated_at = ? WHERE id = ?",
            (new, T0 + n * 3600, T0 + n * 3600 + 300, old),
        )
    conn.execute("COMMIT")
    return fixed


@pytest.fixture
def store() -> Iterator[Store]:
    opened = open_store()  # sfai.db under this test's SFAI_HOME
    yield opened
    opened.close()


@pytest.fixture
def ids(store: Store) -> list[str]:
    return fix_ids_and_times(store, [record(store, talk) for talk in TALKS])


class Harness(App[None]):
    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        self.results: list[str | None] = []

    def on_mount(self) -> None:
        self.push_screen(HistoryScreen(self.store), callback=self.results.append)


def listed(app: App[Any]) -> list[str | None]:
    return [o.id for o in app.screen.query_one("#history-list", OptionList).options]


def details_text(app: App[Any]) -> str:
    return str(app.screen.query_one("#history-details-body", Static).render())


# --- behaviour ---------------------------------------------------------------------------------


async def test_lists_newest_first_and_shows_the_highlighted_conversation(
    store: Store, ids: list[str]
) -> None:
    app = Harness(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert listed(app) == list(reversed(ids))
        text = details_text(app)
        assert "Pourquoi le service worker" in text
        assert "OOM killer" in text
        assert "get_memory_status x2 ✓" in text
        assert "$0.0456 · 9,100 tokens in, 1,400 out · 2 requests" in text
        await pilot.press("down", "down")  # from the search box to the list, then one down
        assert "nginx returns 502" in details_text(app)
        assert "restart_service ✗" in details_text(app)


async def test_search_narrows_the_list_and_enter_opens_the_match(
    store: Store, ids: list[str]
) -> None:
    app = Harness(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press(*"logrotate")
        await pilot.pause()
        assert listed(app) == [ids[0]]
        await pilot.press("enter")
        await pilot.pause()
    assert app.results == [ids[0]]


async def test_a_search_with_no_match_says_so_and_enter_opens_nothing(
    store: Store, ids: list[str]
) -> None:
    app = Harness(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press(*"kubernetes", "enter")
        await pilot.pause()
        assert listed(app) == [None]
        assert "Nothing matches “kubernetes”" in str(
            app.screen.query_one("#history-list", OptionList).get_option_at_index(0).prompt
        )
        assert app.results == []
        await pilot.press("ctrl+u")  # clear the search box: everything is back
        await pilot.pause()
        assert len(listed(app)) == len(ids)


async def test_enter_in_the_list_resumes_the_highlighted_conversation(
    store: Store, ids: list[str]
) -> None:
    app = Harness(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("down", "down", "down", "enter")
        await pilot.pause()
    assert app.results == [ids[0]]


async def test_d_then_y_deletes_the_conversation_from_the_store(
    store: Store, ids: list[str]
) -> None:
    app = Harness(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("down", "down", "d")  # the list's second entry: the nginx one
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "nginx returns 502" in app.screen.question
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, HistoryScreen)
        assert listed(app) == [ids[2], ids[0]]
    assert store.get_conversation(ids[1]) is None
    assert store.get_conversation(ids[0]) is not None
    assert app.results == []


async def test_delete_cancelled_by_a_stray_enter_or_n_keeps_it(
    store: Store, ids: list[str]
) -> None:
    app = Harness(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("down", "d", "enter")
        await pilot.pause()
        await pilot.press("d", "n")
        await pilot.pause()
        assert isinstance(app.screen, HistoryScreen)
        assert len(listed(app)) == len(ids)
    assert all(store.get_conversation(cid) is not None for cid in ids)


async def test_escape_closes_with_nothing_to_open(store: Store, ids: list[str]) -> None:
    app = Harness(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press(*"disk", "escape")
        await pilot.pause()
    assert app.results == [None]


async def test_an_empty_history_says_so(store: Store) -> None:
    app = Harness(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert listed(app) == [None]
        await pilot.press("down", "enter", "d")
        await pilot.pause()
        assert isinstance(app.screen, HistoryScreen)
    assert app.results == []


# --- snapshots -------------------------------------------------------------------------------


async def steady(pilot: Any, *keys: str) -> None:
    """Type ``keys``, then stop the search box's cursor blinking (a steady cursor)."""
    await pilot.press(*keys)
    for box in pilot.app.screen.query(Input):
        box.cursor_blink = False
    await pilot.pause()


class TestHistorySnapshots:
    """Fixed titles, ids and times (UTC): the list newest first with when / host / messages /
    cost (and a status when not ok), the highlighted conversation's details on the right."""

    def test_history_list(self, snap_compare: Any, store: Store, ids: list[str]) -> None:
        """The French question (newest, interrupted) highlighted: question, answer excerpt,
        tools used (get_memory_status x2 ✓), cost."""
        assert snap_compare(Harness(store), terminal_size=SIZE, run_before=steady)

    def test_history_search(self, snap_compare: Any, store: Store, ids: list[str]) -> None:
        """`upstream` typed: one match, its snippet under it with the word highlighted."""

        async def search(pilot: Any) -> None:
            await steady(pilot, *"upstream")

        assert snap_compare(Harness(store), terminal_size=SIZE, run_before=search)

    def test_history_at_80x24(self, snap_compare: Any, store: Store, ids: list[str]) -> None:
        """Still readable at 80x24: long titles cut, the details pane scrolls."""
        assert snap_compare(Harness(store), terminal_size=(80, 24), run_before=steady)
