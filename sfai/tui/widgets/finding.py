"""A finding as a highlighted block: severity, title, evidence, next step, the fixing action."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label

from sfai.tui.text import clean, signature
from sfai.tui.widgets import css_beside

ICONS = {"critical": "✖", "warning": "▲", "info": "●"}


class Finding(Vertical):
    """``✖ CRITICAL  certificate for shop.example.com expires in 3 days``, then evidence,
    the next step and the action that would fix it; the severity sets the highlight."""

    DEFAULT_CSS = css_beside(__file__)

    def __init__(
        self,
        severity: str,
        title: str,
        evidence: list[str] | None = None,
        next_step: str = "",
        fix: dict[str, Any] | None = None,
    ) -> None:
        severity = severity if severity in ICONS else "info"
        super().__init__(classes=f"-{severity}")
        self.severity = severity
        self.title = clean(title)
        self.evidence = [clean(line) for line in evidence or []]
        self.next_step = clean(next_step)
        self.fix = fix

    def compose(self) -> ComposeResult:
        yield Label(
            f"{ICONS[self.severity]} {self.severity.upper()}  {self.title}",
            classes="title",
            markup=False,
        )
        for line in self.evidence:
            yield Label(line, classes="evidence", markup=False)
        if self.next_step:
            yield Label(f"→ {self.next_step}", classes="next", markup=False)
        if self.fix and self.fix.get("tool"):
            call = signature(str(self.fix["tool"]), dict(self.fix.get("arguments") or {}))
            yield Label(f"fix: {call}", classes="fix", markup=False)
