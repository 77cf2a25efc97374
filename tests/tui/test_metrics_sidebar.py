"""The live metrics sidebar, driven by Pilot against the real LocalHost (and a real
supervisord for failed services). ``FlakyHost`` wraps a real LocalHost to stand for the one
thing that cannot happen here: a remote host whose connection drops or hangs.

Snapshots feed ``tests/data/metrics-samples.json`` — samples recorded on this machine
with lowered alert thresholds, and a real ``list_services`` result — through ``show``."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.content import Content
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Static

from sfai.core.host import Host
from sfai.hosts.local import LocalHost
from sfai.tui.widgets.metrics_sections import ProcessTable
from sfai.tui.widgets.metrics_sidebar import MetricsSidebar
from sfai.tui.widgets.sparkline_row import Gauge, GaugeList, SparklineRow
from sfai_agent.settings import AgentSettings
from sfai_agent.tools.base import JSON, ToolSpec
from tests.fixtures.supervisor import SupervisorInstance

RECORDED = json.loads(
    (Path(__file__).parents[1] / "data" / "metrics-samples.json").read_text(encoding="utf-8")
)
SIZE = (40, 32)


class FlakyHost:
    """A real LocalHost behind a switch: ``down`` makes metrics() raise as a dropped
    connection does, ``hang`` makes it never answer; ``delay`` slows each answer."""

    def __init__(self, name: str = "web1", *, down: bool = False) -> None:
        self.name = name
        self.inner = LocalHost()
        self.down = down
        self.hang = False
        self.delay = 0.0
        self.calls = 0

    async def metrics(self) -> dict[str, Any]:
        self.calls += 1
        if self.hang:
            await asyncio.sleep(3600)
        if self.down:
            raise ConnectionRefusedError(f"{self.name}:7420: connection refused")
        await asyncio.sleep(self.delay)
        return await self.inner.metrics()

    async def call_tool(self, name: str, arguments: JSON, *, approved: bool = False) -> JSON:
        if self.down:
            raise ConnectionRefusedError(f"{self.name}:7420: connection refused")
        return await self.inner.call_tool(name, arguments, approved=approved)

    def catalog(self) -> list[ToolSpec]:
        return self.inner.catalog()

    async def close(self) -> None:
        await self.inner.close()


class SidebarApp(App[None]):
    """The sidebar docked right of a stand-in conversation pane, as the main screen has it."""

    CSS = "Screen { layout: horizontal; } #conversation { width: 1fr; }"
    BINDINGS = [("x", "mark", "mark")]

    def __init__(self, sidebar: MetricsSidebar, *, width: int | None = None) -> None:
        super().__init__()
        self.sidebar = sidebar
        self.marks = 0
        if width is not None:
            sidebar.styles.width = width

    def compose(self) -> ComposeResult:
        yield Static("", id="conversation")
        yield self.sidebar

    def action_mark(self) -> None:
        self.marks += 1


class CountingSidebar(MetricsSidebar):
    """Counts the samples actually drawn."""

    drawn = 0

    def show(self, sample: Any) -> None:
        self.drawn += 1
        super().show(sample)


def text(widget: Widget) -> str:
    rendered = widget.render()
    return rendered.plain if isinstance(rendered, Content) else str(rendered)


def header(sidebar: MetricsSidebar) -> str:
    return text(sidebar.query_one("#metrics-host", Static))


def gauge(sidebar: MetricsSidebar, row: str) -> Gauge:
    return sidebar.query_one(f"#{row}", SparklineRow).query_one(Gauge)


async def until(pilot: Pilot[None], predicate: Callable[[], object], timeout: float = 8.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        await pilot.pause(0.05)


def recorded_sample(cpu: float) -> dict[str, Any]:
    return {**RECORDED["samples"][-1], "cpu_percent": cpu}


async def test_sidebar_shows_the_local_hosts_cpu_and_memory_live() -> None:
    sidebar = MetricsSidebar(LocalHost(), interval=0.2)
    async with SidebarApp(sidebar).run_test(size=SIZE) as pilot:
        await until(pilot, lambda: len(sidebar.query_one("#cpu", SparklineRow).history) >= 3)
        sample = sidebar.last_sample
        assert sample is not None
        assert header(sidebar).startswith("local · ")
        assert "unreachable" not in header(sidebar)
        assert gauge(sidebar, "cpu").value == f"{sample['cpu_percent']:3.0f}%"
        assert gauge(sidebar, "memory").value == f"{sample['memory']['used_percent']:3.0f}%"
        assert "█" in text(gauge(sidebar, "memory"))  # some memory is always in use
        disks = text(sidebar.query_one("#disks", GaugeList))
        assert any(
            line.startswith(d["mountpoint"]) for d in sample["disks"] for line in disks.splitlines()
        )


async def test_an_unreachable_host_is_shown_dimmed_with_the_reason_then_recovers() -> None:
    host = FlakyHost("web1")
    sidebar = MetricsSidebar(host, interval=0.2)
    async with SidebarApp(sidebar).run_test(size=SIZE) as pilot:
        await until(pilot, lambda: sidebar.last_sample is not None)
        host.down = True
        await until(pilot, lambda: "unreachable" in header(sidebar))
        assert header(sidebar) == "web1 · unreachable"
        assert sidebar.has_class("-stale")
        status = text(sidebar.query_one("#metrics-status", Static))
        assert status.startswith("web1:7420: connection refused (last sample ")
        assert sidebar.query_one("#metrics-status").display
        assert gauge(sidebar, "memory").value.endswith("%")  # last figures kept
        host.down = False
        await until(pilot, lambda: not sidebar.has_class("-stale"))
        assert "unreachable" not in header(sidebar)
        assert not sidebar.query_one("#metrics-status").display


async def test_a_host_that_never_answers_times_out_and_is_not_asked_again_meanwhile() -> None:
    host = FlakyHost("web1")
    host.hang = True
    sidebar = MetricsSidebar(host, interval=0.05, timeout=0.5)
    async with SidebarApp(sidebar).run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "unreachable" in header(sidebar))
        assert text(sidebar.query_one("#metrics-status", Static)) == "no answer in time"
        # ten ticks went by while the first request hung: none of them sent another
        assert host.calls <= 2


async def test_a_slow_host_is_asked_at_its_own_pace() -> None:
    host = FlakyHost("web1")
    host.delay = 0.4
    sidebar = MetricsSidebar(host, interval=0.05)
    async with SidebarApp(sidebar).run_test(size=SIZE) as pilot:
        started = time.monotonic()
        await pilot.pause(1.3)
        elapsed = time.monotonic() - started
        assert 1 <= host.calls <= elapsed / 0.4 + 2  # not one per 0.05 s tick
        assert sidebar.last_sample is not None


async def test_updates_coalesce_and_the_last_one_wins() -> None:
    """100 samples posted at once: the app draws far fewer, ends on the newest, and still
    answers a key press at once."""
    sidebar = CountingSidebar(interval=0)
    app = SidebarApp(sidebar)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for cpu in range(100):
            sidebar.post_message(MetricsSidebar.Updated("local", recorded_sample(float(cpu))))
        await pilot.press("x")
        await pilot.pause()
        assert app.marks == 1
        assert sidebar.last_sample is not None and sidebar.last_sample["cpu_percent"] == 99.0
        assert gauge(sidebar, "cpu").value == " 99%"
        assert 1 <= sidebar.drawn < 10


async def test_a_sample_missing_keys_or_with_long_mountpoints_still_draws() -> None:
    """Samples may come from another agent version: what is missing shows as ``-``."""
    sidebar = MetricsSidebar(interval=0)
    async with SidebarApp(sidebar).run_test(size=SIZE) as pilot:
        sidebar.show({})
        await pilot.pause()
        assert gauge(sidebar, "cpu").value == "   -"
        assert gauge(sidebar, "swap").value == "none"
        assert text(sidebar.query_one("#disks", GaugeList)).endswith("no disk filesystems")
        disk = {"mountpoint": "/var/lib/docker", "used_percent": 91.0, "free_bytes": 3 << 30}
        sidebar.show({**recorded_sample(5.0), "disks": [{**disk, "severity": "warning"}]})
        await pilot.pause()
        line = text(sidebar.query_one("#disks", GaugeList)).splitlines()[1]
        assert line.startswith("…/docker ") and line.endswith(" 91%  3.0G")


def test_update_messages_replace_only_their_own_kind() -> None:
    first, second = MetricsSidebar.Updated("a", {}), MetricsSidebar.Updated("a", None, "down")
    services = MetricsSidebar.ServicesChecked("a", {})
    assert first.can_replace(second) and second.can_replace(first)
    assert not first.can_replace(services) and not services.can_replace(first)
    assert services.can_replace(MetricsSidebar.ServicesChecked("a", {"ok": True}))


async def test_set_host_starts_over_and_ignores_the_previous_hosts_answers() -> None:
    sidebar = MetricsSidebar(LocalHost(), interval=0.2)
    async with SidebarApp(sidebar).run_test(size=SIZE) as pilot:
        await until(pilot, lambda: len(sidebar.query_one("#cpu", SparklineRow).history) >= 2)
        sidebar.set_host(FlakyHost("web1", down=True))
        assert header(sidebar) == "web1 · connecting…"
        assert not sidebar.query_one("#cpu", SparklineRow).history
        assert not sidebar.query_one(GaugeList).rows and not sidebar.query_one(ProcessTable).rows
        await until(pilot, lambda: "unreachable" in header(sidebar))
        # a late answer from the host shown before (generation 0) is dropped
        sidebar.post_message(MetricsSidebar.Updated("local", recorded_sample(1.0), None, 0))
        await pilot.pause()
        assert header(sidebar) == "web1 · unreachable"


async def test_a_host_source_callable_is_followed_when_it_changes() -> None:
    current: list[Host] = [LocalHost()]
    sidebar = MetricsSidebar(lambda: current[0], interval=0.1)
    async with SidebarApp(sidebar).run_test(size=SIZE) as pilot:
        await until(pilot, lambda: sidebar.last_sample is not None)
        current[0] = FlakyHost("web2")
        await until(pilot, lambda: header(sidebar).startswith("web2 · "))
        await until(pilot, lambda: sidebar.last_sample is not None)
        assert "unreachable" not in header(sidebar)


async def test_a_hidden_sidebar_asks_nothing_and_refreshes_as_soon_as_shown() -> None:
    host = FlakyHost("web1")
    sidebar = MetricsSidebar(host, interval=5.0)
    sidebar.display = False
    async with SidebarApp(sidebar).run_test(size=SIZE) as pilot:
        await pilot.pause(0.4)
        assert host.calls == 0 and sidebar.last_sample is None
        sidebar.display = True
        await until(pilot, lambda: sidebar.last_sample is not None, timeout=3.0)  # < interval
        assert host.calls == 1


@pytest.mark.supervisor
async def test_failed_services_come_from_the_hosts_service_manager(
    supervisor: SupervisorInstance,
) -> None:
    host = LocalHost(AgentSettings.from_mapping(supervisor.settings))
    sidebar = MetricsSidebar(host, interval=0.5)
    async with SidebarApp(sidebar).run_test(size=SIZE) as pilot:
        services = sidebar.query_one("#services", Static)
        await until(pilot, lambda: "crashy" in text(services), timeout=20)
        assert text(services) == "✖ crashy (supervisor)"


async def test_without_a_service_manager_or_an_answer_the_sidebar_says_so() -> None:
    sidebar = MetricsSidebar(interval=0)
    async with SidebarApp(sidebar).run_test(size=SIZE) as pilot:
        services = sidebar.query_one("#services", Static)
        assert text(services) == "checking…"
        none = {"ok": True, "managers": [{"name": "systemd", "available": False}], "services": []}
        sidebar.show_services(none)
        assert text(services) == "no service manager found"
        sidebar.show_services({"ok": False, "error": {"code": "timeout", "message": "timed out"}})
        assert text(services) == "? timed out"
        await pilot.pause()


def replay(*, unreachable: str | None = None) -> Callable[[Pilot[None]], Awaitable[None]]:
    """Feed the recorded samples and services through the sidebar's public methods."""

    async def run_before(pilot: Pilot[None]) -> None:
        sidebar = pilot.app.query_one(MetricsSidebar)
        for sample in RECORDED["samples"]:
            sidebar.show(sample)
        sidebar.show_services(RECORDED["failed_services"])
        if unreachable:
            sidebar.show_unreachable(unreachable)
        await pilot.pause()

    return run_before


class TestMetricsSidebarSnapshots:
    """The sidebar as a person sees it (default theme), from recorded data."""

    def test_recorded_samples_with_alerts_and_a_failed_service(self, snap_compare: Any) -> None:
        """Header `local · 3 alerts` in red; CPU, MEM, SWAP (none), LOAD, NET gauges with
        24 samples of history on the right of each sparkline (CPU varying, memory low);
        `/` at 22% with an amber bar; alerts: a red ✖ load line first, then amber ▲ memory
        and disk; failed services: red ✖ crashy (supervisor); top processes with pids."""
        app = SidebarApp(MetricsSidebar(LocalHost(), interval=0))
        assert snap_compare(app, terminal_size=SIZE, run_before=replay())

    def test_unreachable_keeps_the_last_figures_dimmed_at_30_columns(
        self, snap_compare: Any
    ) -> None:
        """A 30-column sidebar: header `local · unreachable` in red, the reason and the time
        of the last sample under it, every figure below dimmed; nothing wraps."""
        app = SidebarApp(MetricsSidebar(LocalHost(), interval=0), width=30)
        run_before = replay(unreachable="connection refused")
        assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
