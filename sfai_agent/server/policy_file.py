"""The agent's own policy file, ``SFAI_AGENT_HOME/policy.toml``: what this host serves.

The agent is the enforcement point: whatever a client sends (``approved: true``
included), only the tools this file offers run, actions run only when it says
``actions_allowed = true``, and the ``[[policy.rules]]`` here judge every call. Tables:

- ``[agent]``: ``offer`` (tool-name globs offered, default ``["*"]``), ``exclude``
  (globs never offered), ``actions_allowed`` (default **false**: a fresh agent is
  read-only until its owner says otherwise).
- ``[limits]``: see :class:`Limits`.
- ``[tools]``: the same keys as ``[tools]`` in sfai's config (``AgentSettings``).
- ``[[policy.rules]]``: the same rules as sfai's config (deny, then ask, then allow).
- ``[apps.NAME]``: apps ``deploy_app`` may deploy (``AgentSettings.apps``).

Unlike sfai's config, an unknown key is an error here: a typo in a security file must
stop the daemon at start, not be ignored.
"""

from __future__ import annotations

import fnmatch
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sfai_agent.server.protocol import MAX_FRAME_BYTES
from sfai_agent.settings import AgentSettings

if TYPE_CHECKING:
    from sfai_agent.policy.rules import Policy
    from sfai_agent.tools.base import ToolSpec


class PolicyFileError(Exception):
    """The policy file cannot be read or holds a mistake; the message names the key."""


@dataclass(frozen=True)
class Limits:
    max_frame_bytes: int = MAX_FRAME_BYTES
    """Largest WebSocket message accepted; above it the connection closes with 1009."""
    max_concurrent_calls: int = 4
    """Calls running at once per connection; one more is answered ``BUSY``."""
    max_connections: int = 64
    """Open connections at once; one more is closed with 1013 (try again later)."""
    hello_timeout_s: float = 10.0
    """A connection that has not said a good ``hello`` by then is closed."""
    timeout_grace_s: float = 5.0
    """The outer guard: a call still running ``tool_timeout_s`` + this later is cancelled
    (the runner's own timeout should have ended it; this catches a tool that ignores it)."""
    max_unauthenticated_messages: int = 8
    """Messages a connection may send before a good ``hello``; then it is closed."""
    max_unauthenticated_per_address: int = 8
    """Connections from one address still waiting to authenticate; one more is closed
    with 1013, so one address without the token cannot take every connection."""

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class AgentPolicy:
    offer: tuple[str, ...] = ("*",)
    exclude: tuple[str, ...] = ()
    actions_allowed: bool = False
    rules: tuple[dict[str, Any], ...] = ()
    settings: AgentSettings = field(default_factory=AgentSettings)
    limits: Limits = field(default_factory=Limits)
    source: Path | None = None

    def offers(self, spec: ToolSpec) -> bool:
        """Whether a client may call this tool at all (and sees it in ``hello``)."""
        name = spec.name
        if any(fnmatch.fnmatchcase(name, g) for g in self.exclude):
            return False
        if not any(fnmatch.fnmatchcase(name, g) for g in self.offer):
            return False
        return self.actions_allowed or spec.risk.value == "read_only"

    def catalog(self) -> list[ToolSpec]:
        from sfai_agent.tools.catalog import load_catalog

        return [tool.spec for tool in load_catalog().values() if self.offers(tool.spec)]

    def make_policy(self) -> Policy:
        from sfai_agent.tools.runner import default_policy

        return default_policy(list(self.rules), actions_allowed=self.actions_allowed)


_SETTINGS_FIELDS = {f.name: f for f in fields(AgentSettings)}
_TOP_LEVEL = ("agent", "limits", "tools", "policy", "apps")


def _check_value(where: str, value: Any, default: Any) -> Any:
    """Type-check one value against the type of its default."""
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise PolicyFileError(f"{where}: expected true or false, got {value!r}")
        return value
    if isinstance(default, (int, float)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise PolicyFileError(f"{where}: expected a number, got {value!r}")
        if value <= 0 and not where.endswith("timeout_grace_s"):
            raise PolicyFileError(f"{where}: expected a number above 0, got {value!r}")
        return type(default)(value) if isinstance(default, float) else value
    if isinstance(default, str):
        if not isinstance(value, str):
            raise PolicyFileError(f"{where}: expected a string, got {value!r}")
        return value
    if isinstance(default, tuple):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise PolicyFileError(f'{where}: expected a list of strings, like ["a", "b"]')
        return tuple(value)
    return value


def _table(data: dict[str, Any], name: str) -> dict[str, Any]:
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise PolicyFileError(f"{name}: expected a [{name}] table")
    return table


def _agent_table(table: dict[str, Any]) -> dict[str, Any]:
    defaults = {"offer": ("*",), "exclude": (), "actions_allowed": False}
    out: dict[str, Any] = {}
    for key, value in table.items():
        if key not in defaults:
            raise PolicyFileError(f"agent.{key}: unknown key (known: {', '.join(defaults)})")
        out[key] = _check_value(f"agent.{key}", value, defaults[key])
    return out


def _limits_table(table: dict[str, Any]) -> Limits:
    known = {f.name: f.default for f in fields(Limits)}
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in known:
            raise PolicyFileError(f"limits.{key}: unknown key (known: {', '.join(known)})")
        values[key] = _check_value(f"limits.{key}", value, known[key])
    return Limits(**values)


def _settings(tools: dict[str, Any], apps: dict[str, Any]) -> AgentSettings:
    values: dict[str, Any] = {}
    for key, value in tools.items():
        if key not in _SETTINGS_FIELDS or key in ("apps", "extra"):
            raise PolicyFileError(
                f"tools.{key}: unknown key (see docs/agent.md; the same keys as [tools] "
                "in sfai's config)"
            )
        default = _SETTINGS_FIELDS[key].default
        values[key] = _check_value(f"tools.{key}", value, default)
    for name, app in apps.items():
        if not isinstance(app, dict):
            raise PolicyFileError(f"apps.{name}: expected an [apps.{name}] table")
    return AgentSettings.from_mapping({**values, "apps": dict(apps)})


def _rules(section: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    from sfai_agent.policy.rules import Rule

    extra = set(section) - {"rules"}
    if extra:
        raise PolicyFileError(f"policy.{sorted(extra)[0]}: unknown key (only [[policy.rules]])")
    rules = section.get("rules", [])
    if not isinstance(rules, list):
        raise PolicyFileError("policy.rules: expected [[policy.rules]] tables")
    for number, rule in enumerate(rules, start=1):
        if not isinstance(rule, dict):
            raise PolicyFileError(f"policy.rules #{number}: expected a table")
        try:
            Rule.from_mapping(rule)
        except ValueError as exc:
            raise PolicyFileError(f"policy.rules #{number}: {exc}") from exc
    return tuple(rules)


def parse_policy(data: dict[str, Any], source: Path | None = None) -> AgentPolicy:
    for key in data:
        if key not in _TOP_LEVEL:
            raise PolicyFileError(
                f"{key}: unknown table (known: {', '.join('[' + t + ']' for t in _TOP_LEVEL)})"
            )
    agent = _agent_table(_table(data, "agent"))
    return AgentPolicy(
        **agent,
        rules=_rules(_table(data, "policy")),
        settings=_settings(_table(data, "tools"), _table(data, "apps")),
        limits=_limits_table(_table(data, "limits")),
        source=source,
    )


def load_policy(path: Path) -> AgentPolicy:
    """Read and check the policy file; a missing file means the defaults (read-only)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return AgentPolicy()
    except OSError as exc:
        raise PolicyFileError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyFileError(f"{path}: {exc}") from exc
    try:
        return parse_policy(data, path)
    except PolicyFileError as exc:
        raise PolicyFileError(f"{path}: {exc}") from exc


POLICY_TEMPLATE = """\
# sfai-agent policy: what this host serves, whatever a client asks.
# Reference: docs/agent.md. Restart the agent after a change (systemctl restart sfai-agent).

[agent]
# tools offered to clients (globs); everything else is refused
offer = ["*"]
# tools never offered (globs), e.g. ["run_command", "deploy_app"]
exclude = []
# false: read-only tools only; actions (restart_service, clean_disk...) are refused even
# when the client says the person approved them
actions_allowed = false

[limits]
# largest request in bytes (bigger: the connection is closed with 1009)
max_frame_bytes = 1048576
# calls running at once per connection (more: BUSY)
max_concurrent_calls = 4
# open connections at once (more: closed with 1013)
max_connections = 64
# seconds a new connection has to authenticate
hello_timeout_s = 10.0
# connections from one address still waiting to authenticate (more: closed with 1013)
max_unauthenticated_per_address = 8

[tools]
# same keys as [tools] in sfai's config, e.g.
# log_roots = ["/var/log"]
# tool_timeout_s = 30.0
# cleanup_cache_dirs = []

# Rules: deny, then ask, then allow; first match wins. Example:
# [[policy.rules]]
# decision = "deny"
# tool = "restart_service"
# service = "ssh*"
# reason = "never restart sshd remotely"

# Apps deploy_app may deploy:
# [apps.shop]
# path = "/srv/shop"
"""
