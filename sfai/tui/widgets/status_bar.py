"""One line under the prompt: host, mode, provider and model, what this conversation cost,
the rate limit, and whether sfai is busy."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widgets import Label

from sfai.core.config import LimitSettings
from sfai.core.events import Usage
from sfai.core.limits import LimitStatus
from sfai.tui.text import money, provider_label, tokens
from sfai.tui.widgets import css_beside

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


def limits_text(settings: LimitSettings, status: LimitStatus | None) -> tuple[str, bool]:
    """``3/10 per min · 41/500 today`` and whether a limit is reached; ``status`` None:
    the provider is not limited (offline)."""
    if status is None:
        return "no rate limit offline", False
    counts = [
        (status.last_minute, settings.requests_per_minute, "per min"),
        (status.today, settings.requests_per_day, "today"),
    ]
    parts = [f"{used}/{limit} {unit}" for used, limit, unit in counts if limit]
    reached = any(limit and used >= limit for used, limit, _ in counts)
    return " · ".join(parts) or "no rate limit", reached


class StatusBar(Horizontal):
    """``● local │ suggest │ anthropic claude-sonnet-5 │ 12.3k tok · $0.0123 │ 3/10 per min``

    The screen calls the ``show_*`` methods; the mode label carries the class ``-act``
    (and ``-diagnose``/``-suggest``) so a theme can make act mode stand out."""

    DEFAULT_CSS = css_beside(__file__)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._frame = 0
        self._spinner: Timer | None = None
        self._busy_text = ""

    def compose(self) -> ComposeResult:
        yield Label("", id="busy", markup=False)
        yield Label("", id="host", markup=False)
        yield Label("", id="mode", markup=False)
        yield Label("", id="provider", markup=False)
        yield Label("", id="usage", markup=False)
        yield Label("", id="limits", markup=False)

    def show_host(self, name: str, hostname: str = "") -> None:
        label = name if not hostname or hostname == name else f"{name} ({hostname})"
        self.query_one("#host", Label).update(f"● {label}")

    def show_mode(self, mode: str) -> None:
        label = self.query_one("#mode", Label)
        label.update(mode)
        for name in ("diagnose", "suggest", "act"):
            label.set_class(name == mode, f"-{name}")

    def show_provider(self, provider: str, model: str) -> None:
        self.query_one("#provider", Label).update(provider_label(provider, model))

    def show_usage(self, usage: Usage) -> None:
        total = usage.input_tokens + usage.output_tokens
        total += usage.cache_read_tokens + usage.cache_write_tokens
        self.query_one("#usage", Label).update(f"{tokens(total)} tok · {money(usage.cost_usd)}")

    def show_limits(self, text: str, *, warn: bool = False) -> None:
        label = self.query_one("#limits", Label)
        label.update(text)
        label.set_class(warn, "-warn")

    def show_busy(self, text: str) -> None:
        """``text`` with a spinner while sfai works; ``""`` when it is done."""
        self._busy_text = text
        label = self.query_one("#busy", Label)
        label.display = bool(text)
        if text and self._spinner is None:
            self._spinner = self.set_interval(0.1, self._spin)
        elif not text and self._spinner is not None:
            self._spinner.stop()
            self._spinner = None
        label.update(f"{SPINNER[self._frame]} {text}" if text else "")

    def _spin(self) -> None:
        self._frame = (self._frame + 1) % len(SPINNER)
        self.query_one("#busy", Label).update(f"{SPINNER[self._frame]} {self._busy_text}")
