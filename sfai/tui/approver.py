"""The TUI's answer to the core's ``Approver`` protocol: the approval modal.

``TuiApprover(app).approve(request)`` pushes an :class:`ApprovalScreen` and waits for the
person's answer with ``App.push_screen_wait``. That call must run inside a Textual worker
(it raises ``NoActiveWorker`` otherwise): the conversation engine runs in an async worker
of the app (``@work`` / ``run_worker``, not ``thread=True``), and its ``ToolCaller`` calls
``approve`` from there, so this holds. Never call it from a message handler: the handler
would wait for a screen that needs the very message loop it blocks.

Requests are asked one at a time, in the order they came (the engine may run several tool
calls concurrently); if the worker is cancelled while its modal is open (the person
stopped the conversation), the modal is closed and nothing is approved.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from textual.app import App, ScreenError

from sfai.core.approval import Answer, ApprovalRequest, Choice
from sfai.tui.screens.approval import BY, ApprovalScreen


class TuiApprover:
    """Implements ``sfai.core.approval.Approver`` with the approval modal."""

    def __init__(self, app: App[Any]) -> None:
        self.app = app
        self._one_at_a_time = asyncio.Lock()

    async def approve(self, request: ApprovalRequest) -> Answer:
        async with self._one_at_a_time:
            screen = ApprovalScreen(request)
            try:
                answer = await self.app.push_screen_wait(screen)
            except asyncio.CancelledError:
                self._withdraw(screen)
                raise
        return answer if answer is not None else Answer(Choice.NO, BY)

    def _withdraw(self, screen: ApprovalScreen) -> None:
        """Close a modal whose question nobody waits for any more (screens pushed over it
        go too); nothing to do if it was answered or the app is closing."""
        if screen.answer is not None or screen not in self.app.screen_stack:
            return
        with contextlib.suppress(ScreenError):
            if self.app.screen is not screen:
                screen.pop_until_active()
            screen.dismiss(None)
