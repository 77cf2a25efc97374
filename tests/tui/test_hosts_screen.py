"""The hosts switcher: the real local host is checked through its real ``call_tool``; hosts
that cannot be reached here (remote transports arrive later) are objects whose call
raises, hangs or returns an error result, as a broken transport would."""

from __future__ import annotations

import asyncio
from typing import Any

from textual.app import App
from textual.widgets import OptionList

from sfai.core.config import load_config
from sfai.hosts import open_host
from sfai.tui.screens.hosts import HostInfo, HostsScreen, check, configured_hosts

SIZE = (100, 32)


class RefusingHost:
    """A host whose transport fails: the connection is refused."""

    name = "web1"

    async def call_tool(
        self, name: str, arguments: dict[str, Any], *, approved: bool = False
    ) -> dict[str, Any]:
        raise ConnectionRefusedError(111, "Connection refused")


class SilentHost:
    """A host that never answers."""

    name = "db1"

    async def call_tool(
        self, name: str, arguments: dict[str, Any], *, approved: bool = False
    ) -> dict[str, Any]:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


class Harness(App[None]):
    def __init__(self, screen: HostsScreen) -> None:
        super().__init__()
        self.hosts_screen = screen
        self.results: list[str | None] = []

    def on_mount(self) -> None:
        self.push_screen(self.hosts_screen, callback=self.results.append)


def local() -> HostInfo:
    return HostInfo("local", open_host("local", load_config()), "local")


def prompts(app: App[Any]) -> dict[str | None, str]:
    listing = app.screen.query_one("#hosts-list", OptionList)
    return {option.id: str(option.prompt) for option in listing.options}


async def checked(app: Harness) -> dict[str | None, str]:
    await app.hosts_screen.workers.wait_for_complete()
    await asyncio.sleep(0)
    return prompts(app)


async def test_the_local_host_answers_with_its_round_trip() -> None:
    app = Harness(HostsScreen([local()], current="local"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        shown = await checked(app)
        await pilot.pause()
    assert shown["local"].startswith("● local")
    assert "this machine" in shown["local"]
    assert "✓" in shown["local"] and shown["local"].endswith(" ms")
    assert app.hosts_screen.reachability["local"].state == "up"


async def test_a_host_whose_call_raises_is_unreachable_and_says_why() -> None:
    web1 = HostInfo("web1", RefusingHost(), "agent", "wss://web1:7443")
    app = Harness(HostsScreen([local(), web1], current="local"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        shown = await checked(app)
    assert shown["web1"].endswith("✗ Connection refused")
    assert "agent wss://web1:7443" in shown["web1"]
    assert "✓" in shown["local"]


async def test_a_host_that_never_answers_times_out_while_the_others_are_shown() -> None:
    db1 = HostInfo("db1", SilentHost(), "ssh", "deploy@db1")
    app = Harness(HostsScreen([local(), db1], current="local", timeout_s=0.5))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "checking…" in prompts(app)["db1"]
        shown = await checked(app)
    assert "✗ no answer within 0.5 s" in shown["db1"]
    assert "✓" in shown["local"]


async def test_an_error_result_from_the_check_means_unreachable() -> None:
    async def failing() -> dict[str, Any]:
        return {"ok": False, "error": {"code": "unavailable", "message": "agent token refused"}}

    state = await check(HostInfo("web2", probe=failing, transport="agent"), timeout_s=1)
    assert (state.state, state.message) == ("down", "agent token refused")


async def test_enter_switches_to_the_highlighted_host() -> None:
    web1 = HostInfo("web1", RefusingHost(), "agent", "wss://web1:7443")
    app = Harness(HostsScreen([local(), web1], current="web1"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        listing = app.screen.query_one("#hosts-list", OptionList)
        assert listing.highlighted_option is not None
        assert listing.highlighted_option.id == "web1"  # the current host first
        await pilot.press("up", "enter")
        await pilot.pause()
    assert app.results == ["local"]


async def test_escape_closes_without_switching() -> None:
    app = Harness(HostsScreen([local()], current="local"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]


async def test_r_reads_the_hosts_again_and_checks_them_again() -> None:
    inventory = [local()]
    app = Harness(HostsScreen(lambda: list(inventory), current="local"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await checked(app)
        inventory.append(HostInfo("web1", RefusingHost(), "agent", "wss://web1:7443"))
        await pilot.press("r")
        shown = await checked(app)
    assert list(shown) == ["local", "web1"]
    assert "✗" in shown["web1"] and "✓" in shown["local"]


async def test_configured_hosts_reuse_the_open_host() -> None:
    config = load_config()
    opened = open_host("local", config)
    hosts = configured_hosts(config, {"local": opened})
    assert [(h.name, h.host) for h in hosts] == [("local", opened)]
    assert (await check(hosts[0], timeout_s=30)).state == "up"
