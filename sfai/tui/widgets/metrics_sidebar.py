"""The live metrics sidebar: CPU, memory, swap, load and network with their recent history,
disks, alerts, failed services and the busiest processes of the host being talked to.

It asks ``host.metrics()`` every ``interval`` seconds from an async worker, so the UI never
waits for a host, and receives the answer as a message that replaces a pending copy of
itself: a terminal too slow to draw every sample skips to the newest instead of building
a backlog. A tick is skipped while the previous request is still out, so a slow remote
host is asked at its own pace. Failed services come from the ``list_services`` tool every
``services_interval`` (it runs commands: not every second). Everything goes through the
``Host`` interface, so local and remote hosts look the same here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Static
from textual.worker import Worker

from sfai.core.host import Host
from sfai.tui.widgets.metrics_sections import (
    ERROR_STYLE,
    OK_STYLE,
    WARNING_STYLE,
    ProcessTable,
    alert_lines,
    number,
    service_lines,
)
from sfai.tui.widgets.sparkline_row import (
    LABEL_STYLE,
    GaugeList,
    SparklineRow,
    compact_bytes,
    severity_of,
)

HostSource = Callable[[], Host] | Host
Sample = Mapping[str, Any]


def _percent_text(value: float | None) -> str:
    return "   -" if value is None else f"{value:3.0f}%"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _short_mount(path: str, width: int = GaugeList.MAX_LABEL) -> str:
    """``/var/lib/docker`` → ``…/docker``: the end is what tells two mounts apart, cut at
    a ``/`` when there is one to cut at."""
    if len(path) <= width:
        return path
    tail = path[-(width - 1) :]
    return "…" + (tail[tail.index("/") :] if "/" in tail else tail)


def _reason(error: BaseException) -> str:
    """One line saying why a host did not answer."""
    if isinstance(error, TimeoutError):
        return "no answer in time"
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


class MetricsSidebar(VerticalScroll, can_focus=False):
    """Live metrics of one host. Follows the selected host: pass a callable that returns
    it, or call ``set_host`` on a switch. ``interval=0`` never asks anything: render a
    given sample with ``show`` (snapshots, or a host that pushes its metrics)."""

    DEFAULT_CSS = Path(__file__).with_suffix(".tcss").read_text(encoding="utf-8")

    class Updated(Message):
        """A sample of ``host_name``, or ``error`` saying why there is none. Replaces a
        pending copy of itself: only the newest is ever drawn."""

        def __init__(
            self,
            host_name: str,
            sample: Sample | None,
            error: str | None = None,
            generation: int = 0,
        ) -> None:
            super().__init__()
            self.host_name = host_name
            self.sample = sample
            self.error = error
            self.generation = generation

        @property
        def reachable(self) -> bool:
            return self.sample is not None

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, MetricsSidebar.Updated)

    class ServicesChecked(Message):
        """The ``list_services(state="failed")`` result for ``host_name``; coalesces too."""

        def __init__(self, host_name: str, result: Mapping[str, Any], generation: int = 0):
            super().__init__()
            self.host_name = host_name
            self.result = result
            self.generation = generation

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, MetricsSidebar.ServicesChecked)

    def __init__(
        self,
        host_source: HostSource | None = None,
        interval: float = 1.5,
        *,
        services_interval: float = 30.0,
        timeout: float | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.interval = interval
        self.services_interval = services_interval
        self.timeout = timeout if timeout is not None else max(5.0, 4 * interval)
        """How long a host may take to answer before it is shown as unreachable."""
        self._source = host_source
        self._host: Host | None = None
        self._generation = 0
        self._fetching: Worker[None] | None = None
        self._checking: Worker[None] | None = None
        self.last_sample: Sample | None = None
        """The sample on screen (kept while the host is unreachable)."""

    # --- layout ----------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(id="metrics-host", markup=False)
        yield Static(id="metrics-status", markup=False)
        with Vertical(id="metrics-body"):
            yield SparklineRow("CPU", ceiling=100, id="cpu")
            yield SparklineRow("MEM", ceiling=100, id="memory")
            yield SparklineRow("SWAP", ceiling=100, id="swap")
            yield SparklineRow("LOAD", id="load")
            yield SparklineRow("NET", id="net")
            yield GaugeList(
                title="DISKS", columns="used  free", empty="no disk filesystems", id="disks"
            )
            yield Static("ALERTS", classes="section", markup=False)
            yield Static(id="alerts", classes="lines", markup=False)
            yield Static("FAILED SERVICES", classes="section", markup=False)
            yield Static(id="services", classes="lines", markup=False)
            yield ProcessTable(id="top")

    def on_mount(self) -> None:
        self._host = self._resolve()
        self._header("connecting…" if self._host else "", LABEL_STYLE)
        self._set("#services", Content.styled("checking…", LABEL_STYLE))
        if self.interval > 0:
            self.set_interval(self.interval, self._tick)
            self.set_interval(self.services_interval, self._check_services)
            self._tick()
            self._check_services()

    def on_show(self) -> None:
        """Shown again (the main screen hides it on narrow terminals): refresh at once
        rather than on the next tick; nothing was asked while hidden."""
        if self.interval > 0:
            self._tick()
            self._check_services()

    # --- following the host ------------------------------------------------------------

    def set_host(self, host: Host) -> None:
        """Show ``host`` from now on (the main screen calls this on a host switch)."""
        self._source = host
        self._switch(host)

    def _resolve(self) -> Host | None:
        source = self._source
        if source is None:
            return None
        return source() if callable(source) else source

    def _switch(self, host: Host | None) -> None:
        """Forget the previous host: its history, its pending answers, its services."""
        self._generation += 1
        self._host = host
        self.last_sample = None
        if not self.is_mounted:
            return
        self.workers.cancel_group(self, "metrics")
        self.workers.cancel_group(self, "metrics-services")
        self._fetching = self._checking = None
        for row in self.query(SparklineRow):
            row.clear()
        self.query_one(GaugeList).set([])
        self.query_one(ProcessTable).set([])
        self._set("#alerts", Content(""))
        self.remove_class("-stale")
        self._header("connecting…", LABEL_STYLE)
        self._set("#services", Content.styled("checking…", LABEL_STYLE))
        if self.interval > 0:
            self._tick()
            self._check_services()

    def _tick(self) -> None:
        host = self._resolve()
        if host is not self._host:
            self._switch(host)  # a callable source: it now returns another host
            return
        if host is None or not self.display:
            return
        if self._fetching is not None and not self._fetching.is_finished:
            return  # still waiting for the previous answer: do not pile requests up
        self._fetching = self._fetch(host, self._generation)

    def _check_services(self) -> None:
        host = self._host
        if host is None or not self.display:
            return
        if self._checking is not None and not self._checking.is_finished:
            return
        self._checking = self._fetch_services(host, self._generation)

    @work(exclusive=True, group="metrics")
    async def _fetch(self, host: Host, generation: int) -> None:
        try:
            sample = await asyncio.wait_for(host.metrics(), self.timeout)
        except Exception as error:  # whatever the transport raises, the host is unreachable
            self.post_message(self.Updated(host.name, None, _reason(error), generation))
        else:
            self.post_message(self.Updated(host.name, sample, None, generation))

    @work(exclusive=True, group="metrics-services")
    async def _fetch_services(self, host: Host, generation: int) -> None:
        try:
            call = host.call_tool("list_services", {"state": "failed"})
            result = await asyncio.wait_for(call, max(self.timeout, 30.0))
        except Exception as error:
            result = {"ok": False, "error": {"message": _reason(error)}}
        self.post_message(self.ServicesChecked(host.name, result, generation))

    def on_metrics_sidebar_updated(self, message: MetricsSidebar.Updated) -> None:
        if message.generation != self._generation:
            return  # an answer from the host shown before the switch
        if message.sample is not None:
            if self.has_class("-stale") and self.interval > 0:
                self._check_services()  # back: the list from before may be stale too
            self.show(message.sample)
        else:
            self.show_unreachable(message.error or "no answer")

    def on_metrics_sidebar_services_checked(self, message: MetricsSidebar.ServicesChecked) -> None:
        if message.generation == self._generation:
            self.show_services(message.result)

    # --- drawing -----------------------------------------------------------------------

    def _set(self, selector: str, content: Content) -> None:
        self.query_one(selector, Static).update(content)

    def _header(self, status: str, style: str) -> None:
        name = self._host.name if self._host is not None else ""
        parts: list[tuple[str, str] | str] = [name]
        if status:
            parts.append((f"{' · ' if name else ''}{status}", style))
        self._set("#metrics-host", Content.assemble(*parts))

    def show(self, sample: Sample) -> None:
        """Draw ``sample`` (the format of ``sfai_agent.metrics``); tolerant of missing keys."""
        self.last_sample = sample
        self.remove_class("-stale")
        alerts = [a for a in sample.get("alerts") or [] if isinstance(a, Mapping)]
        worst = {severity_of(a.get("severity")) for a in alerts}
        if "critical" in worst:
            self._header(_plural(len(alerts), "alert"), ERROR_STYLE)
        elif alerts:
            self._header(_plural(len(alerts), "alert"), WARNING_STYLE)
        else:
            self._header("live", OK_STYLE)
        self._show_gauges(sample)
        self._show_disks(sample.get("disks") or [])
        self._set("#alerts", alert_lines(alerts))
        self.query_one(ProcessTable).set(sample.get("top") or [])

    def _show_gauges(self, sample: Sample) -> None:
        cpus = int(number(sample.get("cpu_count")) or 0)
        cpu = number(sample.get("cpu_percent"))
        self.query_one("#cpu", SparklineRow).push(
            cpu, percent=cpu, value=_percent_text(cpu), detail=_plural(cpus, "CPU") if cpus else ""
        )
        for key in ("memory", "swap"):
            block = sample.get(key) or {}
            total = number(block.get("total_bytes")) or 0.0
            used = number(block.get("used_bytes")) or 0.0
            level = severity_of(block.get("severity"))
            percent = number(block.get("used_percent")) if total else None
            self.query_one(f"#{key}", SparklineRow).push(
                percent,
                percent=percent,
                value=_percent_text(percent) if total else "none",
                severity=level,
                detail=f"{compact_bytes(used)}/{compact_bytes(total)}" if total else "",
                history_shown=bool(total),
            )
        load = sample.get("load") or {}
        figures = [number(load.get(k)) for k in ("1m", "5m", "15m")]
        per_cpu = number(load.get("per_cpu_5m"))
        self.query_one("#load", SparklineRow).push(
            figures[0],
            percent=None,
            value=" ".join("-" if f is None else f"{f:.2f}" for f in figures),
            severity=severity_of(load.get("severity")),
            detail="" if per_cpu is None else f"{per_cpu:.2f}/CPU",
            ceiling=float(cpus) if cpus else None,  # full height: every CPU busy
        )
        net = sample.get("net") or {}
        rx, tx = number(net.get("rx_bytes_per_s")), number(net.get("tx_bytes_per_s"))
        known = rx is not None and tx is not None
        self.query_one("#net", SparklineRow).push(
            (rx or 0.0) + (tx or 0.0) if known else None,
            percent=None,
            value=f"↓{compact_bytes(rx or 0)}/s ↑{compact_bytes(tx or 0)}/s" if known else "-",
        )

    def _show_disks(self, disks: list[Any]) -> None:
        rows = []
        for disk in disks:
            if not isinstance(disk, Mapping):
                continue
            used = number(disk.get("used_percent"))
            free = number(disk.get("free_bytes"))
            value = f"{_percent_text(used)} {compact_bytes(free) if free is not None else '-':>5}"
            level = severity_of(disk.get("severity"))
            rows.append((_short_mount(str(disk.get("mountpoint", "?"))), used, value, level))
        self.query_one("#disks", GaugeList).set(rows)

    def show_unreachable(self, reason: str) -> None:
        """Keep the last figures, dimmed, and say why they are not live."""
        self.add_class("-stale")
        self._header("unreachable", ERROR_STYLE)
        when = str(self.last_sample.get("time", "")) if self.last_sample else ""
        since = f" (last sample {when[11:19]} UTC)" if len(when) >= 19 else ""
        self._set("#metrics-status", Content(f"{reason}{since}"))

    def show_services(self, result: Mapping[str, Any]) -> None:
        """Draw a ``list_services(state="failed")`` result (or its error)."""
        self._set("#services", service_lines(result))
