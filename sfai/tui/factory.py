"""``make_app``: the one way to build the TUI, for the ``sfai`` command and for the tests.

Everything the app talks to is passed in — the store, the host, the provider, and
optionally the approver and the clock — so a test builds the real app around a real
store, the real local host and a real provider (offline, or Claude through the fake
Messages server).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path

from sfai.core.action_flow import AuditSink
from sfai.core.approval import Approver
from sfai.core.config import MODES, Config
from sfai.core.context import system_prompt
from sfai.core.host import Host
from sfai.core.providers.base import Provider
from sfai.core.session import Session
from sfai.core.store import Store
from sfai.tui.app import SfaiApp
from sfai.tui.state import TuiOptions, TuiState
from sfai_agent.tools.base import Masker


def make_app(
    config: Config,
    *,
    store: Store,
    host: Host,
    provider: Provider,
    approver: Approver | None = None,
    clock: Callable[[], float] | None = None,
    hostname: str | None = None,
    options: TuiOptions | None = None,
    mode: str | None = None,
    redactor: Masker | None = None,
    audit: AuditSink | None = None,
    open_host: Callable[[str], Host] | None = None,
    config_dir: Path | None = None,
) -> SfaiApp:
    """The TUI over ``host`` with ``provider``; the app closes both when it exits.

    ``approver``: default, the approval modal. ``clock``: the epoch clock the rate limits
    count with (default ``time.time``). ``hostname``: the name shown next to the local
    host (default: this machine's; ``""``: none). ``mode``: default, the config's.
    ``redactor``: default, the host's own, so placeholders match. ``audit``: default, the
    audit log under SFAI_HOME, opened on the first question. ``open_host``: opens another
    host by name (default: :func:`sfai.hosts.open_host` with the same redactor).
    ``config_dir``: where user themes are (default: SFAI_HOME's config dir).

    Raises ``ValueError`` when the config's ``prompt_file`` cannot be read.
    """
    options = options or TuiOptions()
    chosen_mode = mode or config.mode
    if chosen_mode not in MODES:
        raise ValueError(f"unknown mode {chosen_mode!r}: choose {', '.join(MODES)}")
    if redactor is None:
        redactor = getattr(host, "redactor", None)
    session = Session(
        config,
        provider,
        host,
        store,
        redactor=redactor,
        rules=system_prompt(config.prompt_file),
        audit=audit,
        now=clock or time.time,
    )

    def open_by_name(name: str) -> Host:
        from sfai.hosts import open_host as open_configured

        return open_configured(name, config, redactor=redactor)

    state = TuiState(
        session=session,
        options=options,
        mode=chosen_mode,
        open_host=open_host or open_by_name,
        local_hostname=socket.gethostname() if hostname is None else hostname,
    )
    if config_dir is None:
        from sfai.core.paths import sfai_paths

        config_dir = sfai_paths().config_dir
    app = SfaiApp(state, config_dir=config_dir)
    if approver is None:
        from sfai.tui.approver import TuiApprover

        approver = TuiApprover(app)
    state.approver = approver
    return app
