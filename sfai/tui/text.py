"""Text helpers shared by the widgets (safe display of untrusted text, call signatures,
figures) and the fixed texts of the UI."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sfai.tui.state import TuiState

MODE_NOTES = {
    "diagnose": "diagnose: read-only tools only, no action is offered",
    "suggest": "suggest: actions run as dry-runs only",
    "act": "act: actions run after your approval, each one",
}

# C0 controls but tab and newline, DEL, C1 controls: what a terminal would act on.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(text: str) -> str:
    """``text`` without terminal control characters (escape sequences lose their ESC).

    Model replies and tool results are untrusted: they are shown as text, never passed
    to the terminal as controls (retitling it, moving the cursor, hiding what follows)."""
    return _CONTROLS.sub("", text.replace("\r\n", "\n"))


def signature(name: str, arguments: dict[str, Any], limit: int = 0) -> str:
    """``get_logs(source="nginx", lines=50)``; cut to ``limit`` characters when given."""
    inside = ", ".join(
        f"{key}={json.dumps(value, ensure_ascii=False, default=str)}"
        for key, value in arguments.items()
    )
    text = clean(f"{name}({inside})")
    if limit and len(text) > limit:
        return text[: limit - 1] + "…"
    return text


def first_line(text: str) -> str:
    """The first non-empty line of ``text``, cleaned."""
    for line in clean(text).splitlines():
        if line.strip():
            return line.strip()
    return ""


def duration(seconds: float) -> str:
    """``0.12 s``, ``3.4 s``, ``1 min 5 s``."""
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


def tokens(count: int) -> str:
    """``950``, ``12.3k``, ``1.2M``."""
    if count < 1000:
        return str(count)
    if count < 1_000_000:
        return f"{count / 1000:.1f}k"
    return f"{count / 1_000_000:.1f}M"


def money(cost_usd: float) -> str:
    if not cost_usd:
        return "$0"
    return f"${cost_usd:.4f}" if cost_usd < 1 else f"${cost_usd:.2f}"


def provider_label(provider: str, model: str) -> str:
    """``offline``, ``anthropic claude-sonnet-5``, ``openai qwen2.5:14b``."""
    if provider == "offline" or not model:
        return provider
    return f"{provider} {model}"


def welcome(state: TuiState) -> str:
    """The empty conversation: what this is, what to ask, where help is."""
    session = state.session
    version = f" {state.options.version}" if state.options.version else ""
    host = state.host.name + (f" ({state.hostname})" if state.hostname else "")
    provider = provider_label(session.provider.name, session.provider.model)
    if session.provider.name == "offline":
        provider = "the offline diagnostician (set ANTHROPIC_API_KEY to use Claude)"
    return "\n".join(
        [
            f"sfai{version} — ServerFlow's AI sysadmin",
            "",
            f"Ask about {host} in plain English or French, for example:",
            "why is nginx down?  ·  what fills the disk?  ·  is my certificate expiring?",
            "",
            f"Answers come from {provider}.",
            f"Mode {MODE_NOTES[state.mode]} (/mode or Ctrl+T to change).",
            "/help or F1: keys and commands  ·  Ctrl+P: every action",
        ]
    )
