"""The main screen: the conversation, the prompt, the status bar, the metrics sidebar.

Questions run in one exclusive async worker (:meth:`MainScreen.ask`) that reads the
engine's events and hands them to the conversation pane; it runs on the event loop, so
it updates widgets directly, and the engine's approval requests can push the approval
modal (``push_screen_wait``) from inside it. Every action has a binding, a slash command
or both, and a command palette entry (:meth:`MainScreen.palette_actions`).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer

from sfai.core.config import MODES
from sfai.core.events import Usage
from sfai.tui import slash
from sfai.tui.commands import PaletteAction
from sfai.tui.engine_run import EngineRun
from sfai.tui.state import TuiState
from sfai.tui.text import MODE_NOTES, money, welcome
from sfai.tui.widgets.conversation import Conversation
from sfai.tui.widgets.metrics_sidebar import MetricsSidebar
from sfai.tui.widgets.prompt_input import PromptInput
from sfai.tui.widgets.status_bar import StatusBar, limits_text

if TYPE_CHECKING:
    from sfai.tui.screens.hosts import HostInfo


class MainScreen(Screen[None]):
    """Ask, read the answer, follow up. Ctrl+P lists every action."""

    CSS_PATH = "main.tcss"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+n", "new_conversation", "New"),
        Binding("ctrl+r", "history", "History"),
        Binding("ctrl+o", "hosts", "Hosts"),
        Binding("ctrl+t", "cycle_mode", "Mode"),
        Binding("ctrl+b", "toggle_metrics", "Metrics"),
        Binding("f1", "help", "Help"),
        Binding("escape", "stop", "Stop"),
        Binding("ctrl+l", "clear", "Clear", show=False),
        Binding("ctrl+s", "export('markdown')", "Export", show=False),
    ]

    def __init__(self, state: TuiState) -> None:
        super().__init__()
        self.state = state
        self.busy = False
        self._run: EngineRun | None = None

    # -- layout -----------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="body"):
            with Vertical(id="main"):
                yield Conversation(id="conversation", timings=self.state.options.timings)
                yield PromptInput(id="prompt", cursor_blink=self.state.options.cursor_blink)
            yield from self.compose_sidebar()
        yield StatusBar(id="status")
        yield Footer()

    def compose_sidebar(self) -> ComposeResult:
        """The live metrics of the current host; it follows host switches by itself."""
        options = self.state.options
        yield MetricsSidebar(lambda: self.state.host, options.metrics_interval, id="metrics")

    async def on_mount(self) -> None:
        if not self.state.options.metrics:
            self.add_class("-hide-metrics")
        self.show_status()
        self.set_interval(10, self.show_limits)
        await self.query_one(Conversation).show_welcome(self.welcome_text())
        self.query_one(PromptInput).focus()

    def welcome_text(self) -> str:
        return welcome(self.state)

    # -- status -----------------------------------------------------------------------

    def show_status(self) -> None:
        state, bar = self.state, self.query_one(StatusBar)
        bar.show_host(state.host.name, state.hostname)
        bar.show_mode(state.mode)
        bar.show_provider(state.session.provider.name, state.session.provider.model)
        bar.show_usage(state.usage)
        self.show_limits()

    def show_limits(self) -> None:
        session = self.state.session
        status = None if session.provider.name == "offline" else session.limits().status()
        text, warn = limits_text(session.config.limits, status)
        self.query_one(StatusBar).show_limits(text, warn=warn)

    def set_busy(self, text: str) -> None:
        self.busy = bool(text)
        self.query_one(StatusBar).show_busy(text)
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop":
            return self.busy
        return True

    # -- asking -----------------------------------------------------------------------

    async def on_prompt_input_submitted(self, message: PromptInput.Submitted) -> None:
        text = message.text
        if slash.is_command(text):
            await self.run_command(text)
            return
        if text.startswith("//"):
            text = text[1:]
        if self.busy:
            self.notify("sfai is still answering: Esc stops it", severity="warning")
            return
        self.ask(text)

    @work(exclusive=True, group="conversation", exit_on_error=False)
    async def ask(self, question: str) -> None:
        """One question: snapshot the host, then draw the engine's events as they come."""
        state = self.state
        conversation = self.query_one(Conversation)
        await conversation.add_question(question)
        writer = conversation.begin_reply()
        self.set_busy("looking at the host")
        engine = state.session.engine(mode=state.mode, approver=state.approver)
        finished = False
        try:
            snapshot = await state.session.snapshot(state.mode)
            engine.seed(snapshot.results)
            self.set_busy("answering")
            self._run = EngineRun(
                engine.ask(question, context=snapshot.text, conversation_id=state.conversation_id)
            )
            finished = await self._run.pump(writer.handle)
        except Exception as exc:  # a bug, or a host that went away: say it, keep the app
            self.log.error(f"ask failed: {exc!r}")
            await conversation.add_note(f"sfai could not answer: {exc}", error=True)
            finished = True
        finally:
            self._run = None
            await writer.close(interrupted=not finished)
            if engine.conversation_id:
                state.conversation_id = engine.conversation_id
            state.usage = state.usage + engine.usage
            self.set_busy("")
            self.show_status()

    def on_conversation_activity(self, message: Conversation.Activity) -> None:
        if self.busy:
            self.set_busy(message.text)

    def on_conversation_reply_finished(self, message: Conversation.ReplyFinished) -> None:
        """The engine is done: its usage is in the store; show the figures at once."""
        self.state.conversation_id = message.conversation_id
        self.show_limits()

    def action_stop(self) -> None:
        """Stop the answer being written (what was said is kept)."""
        if self._run is not None:
            self._run.stop()
        elif self.busy:
            self.workers.cancel_group(self, "conversation")

    # -- commands ---------------------------------------------------------------------

    async def run_command(self, text: str) -> None:
        try:
            command = slash.parse(text)
        except slash.SlashError as exc:
            self.notify(str(exc), severity="error")
            return
        argument = command.argument
        if command.name == "mode":
            if argument:
                self.set_mode(argument)
            else:
                self.notify(f"mode {MODE_NOTES[self.state.mode]}")
        elif command.name == "host":
            if argument:
                await self.switch_host(argument)
            else:
                self.action_hosts()
        elif command.name == "export":
            self.action_export(argument or "markdown")
        else:
            await self.run_action(
                {"new": "new_conversation", "clear": "clear"}.get(command.name, command.name)
            )

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            self.notify(f"unknown mode {mode!r}: choose {', '.join(MODES)}", severity="error")
            return
        self.state.mode = mode
        self.query_one(StatusBar).show_mode(mode)
        self.notify(
            f"mode {MODE_NOTES[mode]}", severity="warning" if mode == "act" else "information"
        )

    def action_cycle_mode(self) -> None:
        """diagnose → suggest → act → diagnose."""
        self.set_mode(MODES[(MODES.index(self.state.mode) + 1) % len(MODES)])

    async def action_new_conversation(self) -> None:
        if self.busy:
            self.notify("sfai is still answering: Esc stops it first", severity="warning")
            return
        self.state.new_conversation()
        self.show_status()
        await self.query_one(Conversation).show_welcome(self.welcome_text())
        self.query_one(PromptInput).focus()

    async def action_clear(self) -> None:
        """Clear the screen; the conversation goes on (Ctrl+N starts a new one)."""
        if not self.busy:
            await self.query_one(Conversation).clear()

    def action_export(self, output_format: str = "markdown") -> None:
        """Write the conversation to ``sfai-ID.md`` (or ``.json``) in the current directory."""
        from sfai.core.store.export import to_json, to_markdown

        conversation_id = self.state.conversation_id
        stored = self.state.session.store.get_conversation(conversation_id or "")
        if stored is None:
            self.notify("nothing to export yet: ask a question first", severity="warning")
            return
        json_format = output_format == "json"
        path = Path.cwd() / f"sfai-{conversation_id}.{'json' if json_format else 'md'}"
        try:
            path.write_text(to_json(stored) if json_format else to_markdown(stored), "utf-8")
        except OSError as exc:
            self.notify(f"cannot write {path}: {exc.strerror}", severity="error")
            return
        self.notify(f"exported to {path}", title="Export")

    def action_toggle_metrics(self) -> None:
        if self.has_class("-narrow"):
            self.toggle_class("-show-metrics")
        else:
            self.toggle_class("-hide-metrics")

    def action_focus_prompt(self) -> None:
        self.query_one(PromptInput).focus()

    def action_help(self) -> None:
        """Key bindings and slash commands."""
        from sfai.tui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen())

    def action_history(self) -> None:
        """Past conversations; the one picked is shown and the next question continues it."""
        from sfai.tui.screens.history import HistoryScreen

        if self.busy:
            self.notify("sfai is still answering: Esc stops it first", severity="warning")
            return

        async def chosen(conversation_id: str | None) -> None:
            if conversation_id:
                await self.resume(conversation_id)

        self.app.push_screen(HistoryScreen(self.state.session.store), chosen)

    def action_hosts(self) -> None:
        """The host switcher: every configured host and whether it answers; pick one."""
        from sfai.tui.screens.hosts import HostsScreen, configured_hosts

        state = self.state
        if self.busy:
            self.notify("sfai is still answering: Esc stops it first", severity="warning")
            return

        def hosts() -> list[HostInfo]:
            return configured_hosts(state.session.config, {state.host.name: state.host})

        async def chosen(name: str | None) -> None:
            if name and name != state.host.name:
                await self.switch_host(name)

        self.app.push_screen(HostsScreen(hosts, state.host.name), chosen)

    # -- hosts and history ------------------------------------------------------------

    async def switch_host(self, name: str) -> None:
        """Talk about host ``name`` from now on: a new conversation, the sidebar follows."""
        state = self.state
        if self.busy:
            self.notify("sfai is still answering: Esc stops it first", severity="warning")
            return
        try:
            host = state.open_host(name)
        except LookupError as exc:
            self.notify(str(exc), title=f"Host {name}", severity="error")
            return
        old, state.session.host = state.session.host, host
        if old is not host:
            await old.close()
        self.query_one(MetricsSidebar).set_host(host)
        await self.action_new_conversation()
        self.notify(f"now on {host.name}", title="Host")

    async def resume(self, conversation_id: str) -> None:
        """Show a stored conversation and continue it with the next question."""
        state = self.state
        stored = state.session.store.get_conversation(conversation_id)
        if stored is None:
            self.notify(f"conversation {conversation_id} is gone", severity="error")
            return
        if stored.get("host") and stored["host"] != state.host.name:
            await self.switch_host(str(stored["host"]))
            if stored["host"] != state.host.name:
                return
        state.conversation_id = conversation_id
        state.usage = Usage(**{k: v for k, v in stored.get("usage", {}).items() if k in _USAGE})
        await self.query_one(Conversation).show_transcript(stored)
        self.show_status()
        self.query_one(PromptInput).focus()
        cost = money(state.usage.cost_usd)
        self.notify(f"resumed: {stored.get('title') or conversation_id} ({cost} so far)")

    def palette_actions(self) -> list[PaletteAction]:
        """Command palette entries (:mod:`sfai.tui.commands`) for every action here."""
        entries: list[PaletteAction] = [
            (
                "New conversation",
                "Start afresh; this one stays in history (Ctrl+N)",
                self.action_new_conversation,
            ),
            (
                "History",
                "Search, open, resume or delete past conversations (Ctrl+R)",
                self.action_history,
            ),
            ("Switch host", "Talk about another host (Ctrl+O)", self.action_hosts),
        ]
        entries += [
            (f"Mode: {mode}", MODE_NOTES[mode], partial(self.set_mode, mode))
            for mode in MODES
            if mode != self.state.mode
        ]
        entries += [
            (
                "Export as Markdown",
                "Write this conversation to sfai-ID.md here (Ctrl+S)",
                self.action_export,
            ),
            (
                "Export as JSON",
                "Write this conversation to sfai-ID.json here",
                partial(self.action_export, "json"),
            ),
            ("Clear the screen", "The conversation goes on (Ctrl+L)", self.action_clear),
            (
                "Toggle metrics",
                "Show or hide the live metrics sidebar (Ctrl+B)",
                self.action_toggle_metrics,
            ),
            ("Help", "Keys and slash commands (F1)", self.action_help),
        ]
        if self.busy:
            entries.insert(
                0, ("Stop the answer", "Stop what sfai is writing (Esc)", self.action_stop)
            )
        return entries


_USAGE = frozenset(Usage.__dataclass_fields__)
