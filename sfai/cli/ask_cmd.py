"""``sfai ask``: one question, answered with the host's tools, streamed."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sfai.cli import output
from sfai.cli.common import config_or_exit, fail
from sfai.core.exit_codes import ExitCode

if TYPE_CHECKING:
    from sfai.core.approval import Approver
    from sfai.core.config import Config
    from sfai.core.context import Snapshot
    from sfai.core.host import Host
    from sfai.core.session import Session
    from sfai.core.store import Store
    from sfai.hosts.inventory import HostEntry
    from sfai_agent.tools.base import Masker

STATUS_EXIT = {
    "ok": ExitCode.OK,
    "max_steps": ExitCode.ERROR,
    "error": ExitCode.ERROR,
    "rate_limited": ExitCode.RATE_LIMITED,
    "approval_needed": ExitCode.APPROVAL_NEEDED,
    "interrupted": ExitCode.INTERRUPTED,
}
MAX_STDIN_BYTES = 4 * 1024 * 1024


def read_piped_stdin() -> str | None:
    """Piped input (``journalctl -u app | sfai ask ...``), or None on a terminal or no input."""
    stream = sys.stdin
    if stream is None or stream.closed or stream.isatty():
        return None
    try:
        data = stream.buffer.read(MAX_STDIN_BYTES)
    except (OSError, ValueError):
        return None
    text = data.decode("utf-8", errors="replace").strip()
    return text or None


def _notice_once(config_dir: Path, notice: str) -> None:
    """The offline notice is said once per SFAI_HOME, not on every question."""
    marker = config_dir / ".offline-notice-shown"
    if notice and not marker.exists():
        output.info(f"sfai: {notice}")
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
        except OSError:
            pass


def choose_approver(yes: bool) -> Approver:
    """``--yes`` approves; a terminal asks; otherwise nothing runs and the command exits 3."""
    from sfai.core.approval import AutoApprover, NoTerminalApprover

    if yes:
        from sfai.core.audit import local_actor

        return AutoApprover(by=f"{local_actor()} (--yes)")
    if sys.stdin is not None and not sys.stdin.closed and sys.stdin.isatty():
        from sfai.cli.approve_prompt import TerminalApprover

        return TerminalApprover()
    return NoTerminalApprover()


def _conversation(store: Store, continue_last: bool, conversation: str | None) -> str | None:
    if continue_last and conversation:
        fail(ExitCode.USAGE, "--continue and --conversation cannot be used together")
    if continue_last:
        latest = store.latest_conversation_id()
        if latest is None:
            fail(
                ExitCode.USAGE,
                "there is no conversation to continue",
                "ask a first question without --continue",
            )
        return latest
    if conversation:
        resolved = store.resolve_conversation_id(conversation)
        if resolved is None:
            fail(
                ExitCode.USAGE,
                f"no conversation matches {conversation!r}",
                "see `sfai history list`",
            )
        return resolved
    return None


def ask(
    question: Annotated[
        str, typer.Argument(help="What you want to know, in plain English or French.")
    ],
    host: Annotated[
        list[str] | None,
        typer.Option(
            "--host", "-H", help="Host from the inventory, or @tag; repeat for several hosts."
        ),
    ] = None,
    all_hosts: Annotated[
        bool, typer.Option("--all-hosts", help="Ask about every host in the inventory.")
    ] = False,
    mode: Annotated[
        str | None, typer.Option("--mode", "-m", help="diagnose | suggest | act.")
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Approve actions without asking.")
    ] = False,
    output_format: Annotated[
        str, typer.Option("--format", "-f", help="text | markdown | json.")
    ] = "text",
    as_json: Annotated[
        bool, typer.Option("--json", help="JSON Lines events (same as --format json).")
    ] = False,
    provider: Annotated[
        str | None, typer.Option("--provider", "-p", help="anthropic | offline | openai.")
    ] = None,
    model: Annotated[
        str | None, typer.Option("--model", help="Model name for the provider.")
    ] = None,
    continue_last: Annotated[
        bool, typer.Option("--continue", "-c", help="Continue the last conversation.")
    ] = False,
    conversation: Annotated[
        str | None, typer.Option("--conversation", help="Continue conversation ID.")
    ] = None,
    max_steps: Annotated[
        int | None, typer.Option("--max-steps", min=1, max=100, help="Model turns at most.")
    ] = None,
    max_budget_usd: Annotated[
        float | None,
        typer.Option(
            "--max-budget-usd", min=0, help="Stop this conversation once it costs this much."
        ),
    ] = None,
) -> None:
    """Ask a question about a server; sfai looks with read-only tools and explains.

    Piped input is added as context: journalctl -u app | sfai ask "why does it fail?"
    With several hosts (--host a --host b, --host @tag, --all-hosts) the model sees each
    host and says on which host each tool runs.
    """
    if as_json:
        output_format = "json"
    if output_format not in ("text", "markdown", "json"):
        fail(ExitCode.USAGE, f"--format {output_format!r}: choose text, markdown or json")
    config = config_or_exit()
    chosen_mode = mode or config.mode
    if chosen_mode not in ("diagnose", "suggest", "act"):
        fail(ExitCode.USAGE, f"--mode {chosen_mode!r}: choose diagnose, suggest or act")
    from sfai.cli import targets

    run_question(
        config,
        question,
        hosts=targets.select(config, host, all_hosts),
        mode=chosen_mode,
        output_format=output_format,
        provider_name=provider,
        model=model,
        continue_last=continue_last,
        conversation=conversation,
        max_steps=max_steps or config.max_steps,
        yes=yes,
        max_budget_usd=max_budget_usd,
    )


def run_question(
    config: Config,
    question: str,
    *,
    hosts: list[HostEntry],
    mode: str,
    output_format: str,
    provider_name: str | None,
    model: str | None,
    continue_last: bool,
    conversation: str | None,
    max_steps: int,
    yes: bool = False,
    max_budget_usd: float | None = None,
) -> None:
    import asyncio

    from sfai.cli.ask_render import EventWriter, JsonLinesWriter
    from sfai.core.context import system_prompt
    from sfai.core.engine import ConversationEngine
    from sfai.core.events import DoneEvent, ErrorEvent, Usage
    from sfai.core.paths import sfai_paths
    from sfai.core.providers.base import ProviderError
    from sfai.core.providers.factory import choose_provider_name, make_provider
    from sfai.core.session import Session
    from sfai.core.store import open_store

    piped = read_piped_stdin()
    try:
        name, notice = choose_provider_name(config, provider_name)
        chosen = make_provider(config, name, model)
        rules = system_prompt(config.prompt_file)
    except ProviderError as exc:
        fail(ExitCode.USAGE, exc.message, exc.hint)
    except ValueError as exc:
        fail(ExitCode.USAGE, str(exc), "fix prompt_file in the config")
    if len(hosts) > 1 and chosen.name == "offline":
        # Its diagnosis is a fixed plan over one host's tools; it cannot say where to go.
        fail(
            ExitCode.USAGE,
            "the offline diagnostician answers about one host at a time",
            "set ANTHROPIC_API_KEY (or --provider openai) to ask across hosts; "
            "meanwhile `sfai check --all-hosts`, or `sfai ask ... --host NAME` per host",
        )
    from sfai_agent.redact import Redactor

    redactor = Redactor()
    target = open_target(hosts, config, redactor)
    paths = sfai_paths()
    _notice_once(paths.config_dir, notice)
    store = open_store()
    resume = _conversation(store, continue_last, conversation)
    writer = (
        JsonLinesWriter()
        if output_format == "json"
        else EventWriter(
            markdown=output_format == "markdown", provider=chosen.name, model=chosen.model
        )
    )
    session = Session(config, chosen, target, store, redactor=redactor, rules=rules)
    engines: list[ConversationEngine] = []
    status = "error"

    async def main() -> str:
        try:
            snapshot = await take_snapshot(session, mode)
            # Built once the hosts are reached: a remote host's catalog is its own.
            engine = session.engine(
                mode=mode,
                approver=choose_approver(yes),
                max_steps=max_steps,
                max_budget_usd=max_budget_usd,
            )
            engines.append(engine)
            engine.seed(snapshot.results)
            final = "error"
            async for event in engine.ask(
                question, context=snapshot.text, conversation_id=resume, piped=piped
            ):
                writer.handle(event)
                if isinstance(event, DoneEvent):
                    final = event.status
            return final
        finally:
            await chosen.close()
            await target.close()

    try:
        status = asyncio.run(main())
    except KeyboardInterrupt:
        status = "interrupted"
        writer.handle(
            ErrorEvent(
                "interrupted", "what was said is kept: continue with `sfai ask --continue ...`"
            )
        )
        for engine in engines:
            if engine.conversation_id:
                writer.handle(
                    DoneEvent(
                        conversation_id=engine.conversation_id,
                        status=status,
                        usage=engine.usage or Usage(),
                    )
                )
    finally:
        store.close()
    raise typer.Exit(int(STATUS_EXIT.get(status, ExitCode.ERROR)))


def open_target(hosts: list[HostEntry], config: Config, redactor: Masker) -> Host:
    """One host as itself; several behind a MultiHost, whose tools take a ``host`` argument."""
    from sfai.cli import targets

    opened = targets.open_all(hosts, config, redactor=redactor)
    if len(opened) == 1:
        return opened[0]
    from sfai.core.multihost import MultiHost

    return MultiHost(opened, settings=config.tools)


async def take_snapshot(session: Session, mode: str) -> Snapshot:
    """Reach the host(s) and take the snapshot the model starts from, while the provider
    prepares (the Claude SDK's import, over a second) in a thread.

    One host that cannot be reached ends the command (exit 1, saying why). Among several,
    an unreachable host is a warning and a line of the snapshot; none reachable ends it."""
    import asyncio

    from sfai.cli import targets
    from sfai.core.context import host_context
    from sfai.core.multihost import MultiHost

    target = session.host

    async def single() -> Snapshot:
        await targets.connect_or_exit(target)
        return await host_context(target, mode)

    multi = target if isinstance(target, MultiHost) else None
    jobs: list[Any] = [multi.context(mode) if multi is not None else single()]
    prepare = getattr(session.provider, "prepare", None)
    if prepare is not None:
        jobs.append(asyncio.to_thread(prepare))
    snapshot: Snapshot = (await asyncio.gather(*jobs))[0]
    if multi is not None:
        for name, error in multi.unreachable().items():
            output.info(f"sfai: warning: host {name}: {error.message}")
        if not multi.reachable():
            fail(
                ExitCode.ERROR,
                f"none of the hosts answered ({', '.join(multi.hosts)})",
                "check them with `sfai hosts list`",
            )
    return snapshot
