"""The approval modal: the exact call, its risk, the dry-run, and the person's answer.

``ApprovalScreen(request)`` is a ``ModalScreen[Answer]``; it dismisses with
``Answer(Choice.ONCE | ALWAYS | NO, "user:NAME", reason)``.

Keys: ``o`` run once, ``a`` always (this tool, this host, this session), ``n`` deny: a
reason input opens (Enter sends it; an empty reason is fine), ``escape`` denies at once
(with whatever reason was typed). There is no default answer: the focus starts on the
preview, Enter alone does nothing, and the two approve buttons cannot take the focus, so
only their key or a click approves. The terminal bell rings when it opens.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from sfai.core.approval import Answer, ApprovalRequest, Choice
from sfai.core.audit import local_actor
from sfai.tui.widgets.action_preview import ActionPreview

RISKS = ("read_only", "low", "medium", "high")
BY = local_actor()
"""Who answers in the TUI: the person running it (``user:NAME``), as the CLI records."""


def risk_class(risk: str) -> str:
    """The CSS class of a risk level; anything unknown is shown as high."""
    return f"-{risk if risk in RISKS else 'high'}"


def risk_label(risk: str) -> str:
    return "read-only" if risk == "read_only" else f"{risk or 'unknown'} risk"


def arguments_content(arguments: Mapping[str, Any]) -> Content:
    """Each argument as ``name  value``, values as exact JSON (what the tool receives)."""
    if not arguments:
        return Content.styled("(no arguments)", "$text-muted")
    width = max(len(str(name)) for name in arguments)
    return Content("\n").join(
        Content.assemble(
            (str(name).ljust(width), "$text-muted"),
            "  ",
            (json.dumps(value, ensure_ascii=False, default=str), "bold"),
        )
        for name, value in arguments.items()
    )


class ApproveButton(Button, can_focus=False):
    """An approve button: a click or its key, never Enter on a focused button."""


class ApprovalScreen(ModalScreen[Answer]):
    """Approve or deny one action; see the module docstring for the keys."""

    CSS_PATH = "approval.tcss"
    AUTO_FOCUS = "#preview"
    BINDINGS = [
        Binding("o", "once", "Once"),
        Binding("a", "always", "Always this session"),
        Binding("n", "deny", "Deny…"),
        Binding("escape", "deny_now", "Deny", show=False),
    ]

    def __init__(self, request: ApprovalRequest) -> None:
        super().__init__()
        self.request = request
        self.answer: Answer | None = None

    def compose(self) -> ComposeResult:
        request = self.request
        with Vertical(id="dialog", classes=risk_class(request.risk)) as dialog:
            dialog.border_title = f"Approve {request.tool} on {request.host}?"
            dialog.border_subtitle = "↑↓ scroll · esc deny"
            with Horizontal(id="headline"):
                yield Label(Content(request.tool), id="tool")
                yield Label(
                    Content(risk_label(request.risk).upper()),
                    id="risk",
                    classes=risk_class(request.risk),
                )
                yield Label(Content(f"on {request.host}"), id="host")
            if request.reason:
                yield Static(Content(request.reason), id="reason")
            yield Static(arguments_content(request.arguments), id="arguments")
            preview = ActionPreview(request, id="preview")
            preview.border_title = "Dry-run preview" if request.preview else "No preview"
            yield preview
            with Horizontal(id="buttons"):
                yield ApproveButton(
                    Content("Once (o)"),
                    variant="warning",
                    id="once",
                    tooltip="Run this call now.",
                )
                yield ApproveButton(
                    Content("Always this session (a)"),
                    id="always",
                    tooltip=f"Run it, and later {request.tool} calls on {request.host}, "
                    "without asking until sfai exits.",
                )
                yield Button(
                    Content("Deny… (n)"),
                    variant="primary",
                    id="deny",
                    tooltip="Do not run it; tell the model why.",
                )
            with Vertical(id="deny-row"):
                yield Label(
                    Content("Why not? Told to the model so it can adapt. Enter denies."),
                    id="deny-label",
                )
                yield Input(placeholder="reason (optional)", id="deny-reason")

    def on_mount(self) -> None:
        self.app.bell()

    # -- answers --------------------------------------------------------------
    def _answer(self, answer: Answer) -> None:
        if self.answer is not None:  # a second key while dismissing: the first answer holds
            return
        self.answer = answer
        self.dismiss(answer)

    def action_once(self) -> None:
        self._answer(Answer(Choice.ONCE, BY))

    def action_always(self) -> None:
        self._answer(Answer(Choice.ALWAYS, BY))

    def action_deny(self) -> None:
        """Open the reason input; Enter in it denies."""
        self.query_one("#deny-row").display = True
        self.query_one("#deny-reason", Input).focus()

    def action_deny_now(self) -> None:
        reason = self.query_one("#deny-reason", Input).value.strip()
        self._answer(Answer(Choice.NO, BY, reason))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._answer(Answer(Choice.NO, BY, event.value.strip()))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        actions = {"once": self.action_once, "always": self.action_always}
        actions.get(event.button.id or "", self.action_deny)()
