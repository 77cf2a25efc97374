"""The conversation pane: questions, replies streamed as Markdown, tool cards, findings.

The engine's events go to a :class:`ReplyWriter` (``conversation.begin_reply()``), which
turns them into widgets as they arrive: text streams into a ``Markdown`` widget through
``Markdown.get_stream`` (batched: at most FLUSH_S apart; each append parses the last
block again, never the whole reply), each tool call becomes a
:class:`~sfai.tui.widgets.tool_card.ToolCard`, each finding a
:class:`~sfai.tui.widgets.finding.Finding`. Every SEAL_AFTER_BLOCKS blocks the live
Markdown widget is sealed into one :class:`~sfai.tui.widgets.frozen_markdown.FrozenMarkdown`
and a new one continues, so a long reply costs what a short one does. The pane stays
anchored to the bottom while a reply streams, until the person scrolls up.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from textual.containers import VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Markdown, Static
from textual.widgets.markdown import MarkdownStream

from sfai.core.events import (
    ApprovalEvent,
    DoneEvent,
    ErrorEvent,
    Event,
    FindingEvent,
    StatusEvent,
    TextEvent,
    ToolCallEvent,
    ToolResultEvent,
    Usage,
)
from sfai.tui.text import clean
from sfai.tui.widgets import css_beside
from sfai.tui.widgets.finding import Finding
from sfai.tui.widgets.frozen_markdown import FrozenMarkdown
from sfai.tui.widgets.tool_card import ToolCard

FLUSH_S = 1 / 20
"""Text reaches the Markdown stream in batches this far apart at most: each append makes
Textual parse the last block again (creating widgets it then drops) and lay the screen
out, so a model writing 500 tokens/s costs 20 appends a second, not 500."""
SEAL_AFTER_BLOCKS = 8
"""A streaming reply's Markdown widget is sealed into one FrozenMarkdown past this many
blocks (at a paragraph break, outside code): layouts stay cheap however long it grows."""
STOPPED = {
    "interrupted": "Stopped. What was said is kept: ask again to go on.",
    "max_steps": "Stopped after the maximum number of steps without a final answer.",
    "approval_needed": "An action is waiting for approval and was not run.",
}


class Conversation(VerticalScroll, can_focus=True):
    """Everything said in this conversation, newest at the bottom."""

    DEFAULT_CSS = css_beside(__file__)

    class ReplyFinished(Message):
        """The engine said it is done with a question (``status``: ``ok``, ``error``...)."""

        def __init__(self, conversation_id: str, status: str, usage: Usage) -> None:
            super().__init__()
            self.conversation_id = conversation_id
            self.status = status
            self.usage = usage

    class Activity(Message):
        """Progress worth a line in the status bar (not part of the transcript)."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, *, timings: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self.timings = timings

    async def show_welcome(self, text: str) -> None:
        """The empty state: what to ask, how to get help. Gone with the first question."""
        await self.clear()
        self.anchor(False)  # anchored, a short pane sits at the bottom: the panel goes on top
        self.scroll_home(animate=False, immediate=True)
        await self.mount(Static(text, classes="welcome", markup=False))

    async def clear(self) -> None:
        await self.remove_children()

    async def add_question(self, text: str) -> None:
        await self.remove_children(".welcome")
        await self.mount(Static(clean(text), classes="question", markup=False))
        self.anchor()

    async def add_note(self, text: str, *, error: bool = False, hint: str = "") -> None:
        """A line from sfai itself: an error, or why a run stopped."""
        body = clean(text) + (f"\n{clean(hint)}" if hint else "")
        await self.mount(Static(body, classes="error" if error else "note", markup=False))

    def begin_reply(self) -> ReplyWriter:
        """Where the events of one answer go; ``await writer.close()`` when it ends."""
        self.anchor()
        return ReplyWriter(self)

    async def show_transcript(self, conversation: dict[str, Any]) -> None:
        """A stored conversation (``Store.get_conversation``) as it looked when it ran."""
        from sfai.core.store.export import ToolCallView, turns
        from sfai_agent.tools.render import render_result

        await self.clear()
        widgets: list[Widget] = []
        for turn in turns(conversation):
            if turn.question:
                widgets.append(Static(clean(turn.question), classes="question", markup=False))
            for part in turn.parts:
                if not isinstance(part, ToolCallView):
                    text = clean(part)
                    long = text.count("\n\n") >= SEAL_AFTER_BLOCKS
                    widgets.append(
                        FrozenMarkdown(text) if long else Markdown(text, classes="reply")
                    )
                    continue
                card = ToolCard(part.tool_use_id, part.name, part.arguments, timings=self.timings)
                result = part.result if isinstance(part.result, dict) else None
                if part.ok is None:
                    card.interrupt()
                else:
                    content = render_result(part.name, result) if result else str(part.result or "")
                    card.finish(
                        ok=part.ok,
                        content=content,
                        result=result,
                        duration_s=part.duration_s,
                        cached=part.cached,
                    )
                widgets.append(card)
            if turn.interrupted:
                widgets.append(Static(STOPPED["interrupted"], classes="note"))
        await self.mount_all(widgets)
        self.scroll_end(animate=False)
        self.anchor()


class ReplyWriter:
    """Renders one answer's events into a :class:`Conversation` as they arrive.

    Text between two tool calls is one Markdown widget, streamed; a tool call closes it
    and the next text opens another below the cards, so the reply reads in order."""

    def __init__(self, conversation: Conversation) -> None:
        self.conversation = conversation
        self.cards: dict[str, ToolCard] = {}
        self.markdown: Markdown | None = None
        self._stream: MarkdownStream | None = None
        self._live: list[str] = []
        """What the live Markdown widget was given (it parses behind, in batches)."""
        self._pending: list[str] = []
        self._flushed_at = 0.0
        self._timer: Timer | None = None
        self._lock = asyncio.Lock()
        self.done: DoneEvent | None = None

    async def handle(self, event: Event) -> None:
        if isinstance(event, TextEvent):
            await self._write(event.content)
            return
        await self._end_text()
        view = self.conversation
        if isinstance(event, ToolCallEvent):
            card = ToolCard(event.id, event.name, event.input, event.risk, timings=view.timings)
            self.cards[event.id] = card
            await view.mount(card)
        elif isinstance(event, ToolResultEvent):
            found = self.cards.get(event.id)
            if found is not None:
                found.finish(
                    ok=event.ok,
                    content=event.content,
                    result=event.result,
                    duration_s=event.duration_s,
                    cached=event.cached,
                )
        elif isinstance(event, ApprovalEvent):
            found = self.cards.get(event.id)
            if found is not None:
                found.note_approval(event.decision, event.by)
        elif isinstance(event, FindingEvent):
            await view.mount(
                Finding(event.severity, event.title, event.evidence, event.next_step, event.fix)
            )
        elif isinstance(event, ErrorEvent):
            await view.add_note(event.message, error=True, hint=event.hint)
        elif isinstance(event, StatusEvent):
            view.post_message(Conversation.Activity(event.message))
        elif isinstance(event, DoneEvent):
            self.done = event
            if event.status in STOPPED:
                await view.add_note(STOPPED[event.status])
            view.post_message(
                Conversation.ReplyFinished(event.conversation_id, event.status, event.usage)
            )

    async def _write(self, text: str) -> None:
        """Collect ``text``; hand it to the Markdown stream at most every FLUSH_S."""
        text = clean(text)
        if not text:
            return
        self._pending.append(text)
        wait = self._flushed_at + FLUSH_S - time.monotonic()
        if wait <= 0:
            await self._flush()
        elif self._timer is None:
            self._timer = self.conversation.set_timer(wait, self._flush)

    async def _flush(self) -> None:
        """Pending text to the stream. The timer (the pane's task) and the events (the
        worker's) both call it: one at a time."""
        async with self._lock:
            if self._timer is not None:
                self._timer.stop()
                self._timer = None
            self._flushed_at = time.monotonic()
            text, self._pending = "".join(self._pending), []
            cut = text.rfind("\n\n") + 2
            if cut >= 2 and self._seal_due(text[:cut]):
                await self._append(text[:cut])
                await self._seal()
                text = text[cut:]
            await self._append(text)

    async def _append(self, text: str) -> None:
        if not text:
            return
        if self._stream is None:
            if not text.strip():
                return  # no reply block for whitespace between tool calls
            self.markdown = Markdown(classes="reply")
            await self.conversation.mount(self.markdown)
            self._stream = Markdown.get_stream(self.markdown)
        await self._stream.write(text)
        self._live.append(text)

    def _seal_due(self, head: str) -> bool:
        """Sealing after ``head`` leaves enough blocks behind, and no code block open."""
        live = "".join(self._live) + head
        fences = sum(1 for line in live.splitlines() if line.lstrip().startswith(("```", "~~~")))
        return fences % 2 == 0 and live.count("\n\n") >= SEAL_AFTER_BLOCKS

    async def _seal(self) -> None:
        """Swap the live Markdown widget for one FrozenMarkdown; later text opens another."""
        markdown = self.markdown
        stream, self._stream = self._stream, None
        self._live = []
        if stream is not None:
            await stream.stop()
        if markdown is not None:
            await self.conversation.mount(FrozenMarkdown(markdown.source), before=markdown)
            await markdown.remove()
        # Drop the lines the earlier parts cached while they were on screen (a refresh
        # renders again only what is visible): memory stays flat as the reply grows.
        for frozen in list(self.conversation.query_children(FrozenMarkdown))[:-2]:
            frozen.forget()

    async def _end_text(self) -> None:
        await self._flush()
        async with self._lock:
            stream, self._stream = self._stream, None
            self._live = []
            if stream is not None:
                await stream.stop()

    async def close(self, *, interrupted: bool = False) -> None:
        """Flush the text, stop any spinner left; say so when the run was stopped."""
        await self._end_text()
        for card in self.cards.values():
            card.interrupt()
        if interrupted and self.done is None:
            await self.conversation.add_note(STOPPED["interrupted"])
