"""Running one question: the engine's event stream in a task of its own, drawn as it comes.

Why a task of its own: stopping an answer (Esc) cancels that task, so the cancellation
always lands inside the engine — which then marks the conversation interrupted and
finishes its stored message, exactly as Ctrl-C does for ``sfai ask`` — and never half-way
through drawing a widget. The drawing side reads a queue; it never slows the engine down
(the engine stores each chunk as it arrives, whatever the terminal's speed).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

from sfai.core.events import Event


class EngineRun:
    def __init__(self, events: AsyncIterator[Event]) -> None:
        self._events = events
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def _produce(self) -> None:
        try:
            async for event in self._events:
                self._queue.put_nowait(event)
        finally:
            self._queue.put_nowait(None)

    async def pump(self, handle: Callable[[Event], Awaitable[None]]) -> bool:
        """Hand every event to ``handle`` until the stream ends; False if it was stopped.

        The engine's own exceptions are raised here, after the events before them."""
        task = self._task = asyncio.create_task(self._produce())
        try:
            while (event := await self._queue.get()) is not None:
                await handle(event)
        finally:
            if not task.done():
                task.cancel()  # we are being cancelled ourselves: stop the engine too
            await asyncio.wait([task])
        if task.cancelled():
            return False
        error = task.exception()
        if error is not None:
            raise error
        return True

    def stop(self) -> None:
        """Stop the engine where it is (what was said is kept)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()
