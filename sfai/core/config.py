"""sfai's configuration: TOML file under SFAI_HOME, overridable by ``SFAI_*`` variables.

One table of defaults below is the single source of truth: it gives the types the
loader checks, the template ``sfai config init`` writes, and the docs.
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from sfai.core.paths import SfaiPaths, sfai_paths
from sfai_agent.settings import AgentSettings

_LIMITS_COMMENTS = {
    "requests_per_minute": "model requests in any 60 seconds at most (0: no limit; offline is free)",
    "requests_per_day": "model requests per UTC day at most (0: no limit)",
    "max_budget_usd": "cost of one conversation at most, in USD (0: no budget; --max-budget-usd)",
}
_TOOLS_COMMENTS = {
    "log_roots": "directories whose files get_logs may read by path",
    "nginx_conf": "nginx main config; empty: the running master's -c, else /etc/nginx/nginx.conf",
    "nginx_binary": "nginx executable used for `nginx -t`",
    "supervisor_config": "supervisord config for supervisorctl; empty: its own search",
    "service_managers": "service managers to look for, in order",
    "command_timeout_s": "a single command's time limit",
    "tool_timeout_s": "a whole tool call's time limit",
    "max_result_chars": "tool results are cut (and marked truncated) above this size",
    "disk_scan_max_depth": "get_disk_usage(path): how deep to walk",
    "disk_scan_max_entries": "get_disk_usage(path): entries visited at most",
    "disk_scan_time_s": "get_disk_usage(path): time budget of the walk",
    "temp_dirs": "where clean_disk's `tmp` target removes old files",
    "temp_max_age_days": "clean_disk `tmp` removes files untouched for this many days (unless older_than_days)",
    "cleanup_cache_dirs": "cache directories clean_disk may empty, files only (`cache`, `cache:DIR`)",
    "restart_verify_s": "how long the restart tools watch a service before judging that it runs",
    "certbot_binary": "certbot executable used by renew_certificate",
    "certbot_args": "arguments before certbot's subcommand (--config-dir, --work-dir, --logs-dir)",
    "site_check_timeout_s": "how long an action waits for a site or health check to answer",
    "deploy_timeout_s": "a whole deploy_app call's time limit (fetch, build, restart, check)",
    "backup_dir": "where actions keep the files they replace (outside nginx's include globs)",
    "renew_timeout_s": "a whole renew_certificate call's time limit (certbot waits on the CA)",
}
_CHECK_COMMENTS = {
    "disk_warning_percent": "filesystem use that is a warning",
    "disk_critical_percent": "filesystem use that is critical",
    "inode_warning_percent": "inode use that is a warning",
    "inode_critical_percent": "inode use that is critical",
    "disk_full_warning_days": "warn when the fill rate says a filesystem is full within N days",
    "memory_warning_percent": "RAM use (excluding cache) that is a warning",
    "memory_critical_percent": "RAM use that is critical",
    "swap_warning_percent": "swap use that is a warning",
    "swap_critical_percent": "swap use that is critical",
    "load_warning_per_cpu": "5-minute load per CPU that is a warning",
    "load_critical_per_cpu": "5-minute load per CPU that is critical",
    "cert_warning_days": "certificate expiry within N days is a warning",
    "cert_critical_days": "certificate expiry within N days (or expired) is critical",
}


@dataclass(frozen=True)
class CheckThresholds:
    """Limits ``sfai check`` compares against; the ``[check]`` table of the config."""

    disk_warning_percent: float = 85.0
    disk_critical_percent: float = 95.0
    inode_warning_percent: float = 85.0
    inode_critical_percent: float = 95.0
    disk_full_warning_days: float = 7.0
    memory_warning_percent: float = 90.0
    memory_critical_percent: float = 97.0
    swap_warning_percent: float = 50.0
    swap_critical_percent: float = 90.0
    load_warning_per_cpu: float = 1.5
    load_critical_per_cpu: float = 3.0
    cert_warning_days: float = 14.0
    cert_critical_days: float = 3.0


@dataclass(frozen=True)
class OpenAISettings:
    """An OpenAI-compatible endpoint for local models (Ollama, llama.cpp server, vLLM)."""

    base_url: str = "http://127.0.0.1:11434/v1"
    api_key: str = ""
    model: str = ""


_OPENAI_COMMENTS = {
    "base_url": "OpenAI-compatible API root (Ollama: http://127.0.0.1:11434/v1)",
    "api_key": "API key, if the endpoint wants one (or SFAI_OPENAI__API_KEY)",
    "model": "model name, e.g. qwen2.5:14b or llama3.1:8b (must support tool calling)",
}


@dataclass(frozen=True)
class LimitSettings:
    """Guards against runaway loops and bills; the ``[limits]`` table (see sfai.core.limits)."""

    requests_per_minute: int = 10
    requests_per_day: int = 500
    max_budget_usd: float = 0.0
    """0: no budget."""


def _table(cls: type, comments: dict[str, str]) -> dict[str, Any]:
    """(default, comment) per key, defaults taken from the dataclass itself."""
    table: dict[str, Any] = {}
    for item in fields(cls):
        if item.name in comments:
            default = item.default
            table[item.name] = (
                list(default) if isinstance(default, tuple) else default,
                comments[item.name],
            )
    return table


# key -> (default, comment); tables are nested dicts. The loader's types, the
# template of `sfai config init` and the docs all come from here.
DEFAULTS: dict[str, Any] = {
    "provider": (
        "auto",
        "auto | anthropic | offline | openai (auto: anthropic with a key, else offline)",
    ),
    "model": ("", "model name; empty: the provider's default"),
    "default_host": ("local", "host used when --host is not given"),
    "mode": ("suggest", "diagnose | suggest | act: what `sfai ask` may do by default"),
    "max_steps": (12, "model turns per question at most"),
    "max_tokens": (4096, "output tokens per model turn at most"),
    "prompt_file": ("", "a file of your own rules added to the system prompt"),
    "theme": (
        "serverflow-dark",
        "TUI theme (or sfai --theme): serverflow-dark | serverflow-light | "
        "serverflow-high-contrast | one of yours (docs/themes.md)",
    ),
    "tools": _table(AgentSettings, _TOOLS_COMMENTS),
    "check": _table(CheckThresholds, _CHECK_COMMENTS),
    "openai": _table(OpenAISettings, _OPENAI_COMMENTS),
    "limits": _table(LimitSettings, _LIMITS_COMMENTS),
}


MODES = ("diagnose", "suggest", "act")


class ConfigError(Exception):
    """The config file or an SFAI_* variable is wrong; the message says where and how."""


@dataclass(frozen=True)
class Config:
    provider: str = "auto"
    model: str = ""
    default_host: str = "local"
    mode: str = "suggest"
    max_steps: int = 12
    max_tokens: int = 4096
    prompt_file: str = ""
    theme: str = "serverflow-dark"
    tools: AgentSettings = field(default_factory=AgentSettings)
    check: CheckThresholds = field(default_factory=CheckThresholds)
    openai: OpenAISettings = field(default_factory=OpenAISettings)
    limits: LimitSettings = field(default_factory=LimitSettings)
    policy_rules: tuple[dict[str, Any], ...] = ()
    """``[[policy.rules]]`` tables: deny, then ask, then allow; first match wins."""
    source: Path | None = None
    warnings: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The effective values, in the same shape as the TOML file."""
        tools = {k: getattr(self.tools, k) for k in DEFAULTS["tools"]}
        check = {f.name: getattr(self.check, f.name) for f in fields(self.check)}
        return {
            "provider": self.provider,
            "model": self.model,
            "default_host": self.default_host,
            "mode": self.mode,
            "max_steps": self.max_steps,
            "max_tokens": self.max_tokens,
            "prompt_file": self.prompt_file,
            "theme": self.theme,
            "tools": {k: list(v) if isinstance(v, tuple) else v for k, v in tools.items()},
            "check": check,
            "openai": {f.name: getattr(self.openai, f.name) for f in fields(self.openai)},
            "limits": {f.name: getattr(self.limits, f.name) for f in fields(self.limits)},
            **({"apps": self.tools.apps} if self.tools.apps else {}),
        }


def _coerce(where: str, default: Any, value: Any) -> Any:
    """Check ``value`` against the default's type; ints are accepted for floats."""
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, list):
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    else:
        ok = isinstance(value, str)
    if not ok:
        expected = type(default).__name__ if not isinstance(default, list) else "list of strings"
        raise ConfigError(f"{where}: expected {expected}, got {value!r}")
    return value


def _merge(
    where: str, defaults: dict[str, Any], data: dict[str, Any], warnings: list[str]
) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for key, spec in defaults.items():
        if isinstance(spec, dict):
            section = data.get(key, {})
            if not isinstance(section, dict):
                raise ConfigError(f"{where}{key}: expected a [{key}] table")
            merged[key] = _merge(f"{where}{key}.", spec, section, warnings)
        else:
            merged[key] = _coerce(f"{where}{key}", spec[0], data[key]) if key in data else spec[0]
    for key in data:
        if key not in defaults:
            warnings.append(f"unknown config key {where}{key} (ignored)")
    return merged


def _env_overrides(environ: dict[str, str]) -> dict[str, Any]:
    """``SFAI_MODEL=x`` sets ``model``; ``SFAI_CHECK__DISK_WARNING_PERCENT=80`` sets check.disk_warning_percent."""
    overrides: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith("SFAI_") or name == "SFAI_HOME" or name.startswith("SFAI_AGENT_"):
            # SFAI_AGENT_*: the agent's own variables (SFAI_AGENT_HOME), not sfai's config
            continue
        parts = name[5:].lower().split("__")
        try:
            value: Any = json.loads(raw)
        except ValueError:
            value = raw
        if (
            isinstance(value, (int, float))
            and not isinstance(value, bool)
            and parts[-1] in ("model", "provider")
        ):
            value = raw
        target = overrides
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    return overrides


def _deep_update(base: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _deep_update(base[key], value)
        else:
            base[key] = value


def _policy_rules(section: Any) -> tuple[dict[str, Any], ...]:
    """Validate ``[[policy.rules]]`` now, so a typo is an error at start, not a surprise later."""
    from sfai_agent.policy.rules import Rule

    if not isinstance(section, dict) or not isinstance(section.get("rules", []), list):
        raise ConfigError("policy: expected [[policy.rules]] tables")
    rules = section.get("rules", [])
    for number, rule in enumerate(rules, start=1):
        if not isinstance(rule, dict):
            raise ConfigError(f"policy.rules #{number}: expected a table")
        try:
            Rule.from_mapping(rule)
        except ValueError as exc:
            raise ConfigError(f"policy.rules #{number}: {exc}") from exc
    return tuple(rules)


def _apps(section: Any) -> dict[str, Any]:
    """Validate the ``[apps.NAME]`` tables deploy_app may deploy: a typo in a path or a
    build step is an error at start, not a failed deploy later. Normalised, plain JSON."""
    from sfai_agent.tools.app_specs import AppSpecError, parse_apps

    try:
        specs = parse_apps(section)
    except AppSpecError as exc:
        raise ConfigError(f"{exc} (see the [apps.NAME] example in docs/configuration.md)") from exc
    return {name: spec.as_config() for name, spec in specs.items()}


def load_config(paths: SfaiPaths | None = None, environ: dict[str, str] | None = None) -> Config:
    """Defaults, then the file (if any), then ``SFAI_*`` variables."""
    paths = paths or sfai_paths()
    environ = dict(os.environ) if environ is None else environ
    data: dict[str, Any] = {}
    source: Path | None = None
    if paths.config_file.exists():
        source = paths.config_file
        try:
            data = tomllib.loads(paths.config_file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{paths.config_file}: {exc}. Fix the file or move it away.") from exc
        except OSError as exc:
            raise ConfigError(f"cannot read {paths.config_file}: {exc.strerror}") from exc
    _deep_update(data, _env_overrides(environ))
    policy_rules = _policy_rules(data.pop("policy", {}))
    apps = _apps(data.pop("apps", {}))
    warnings: list[str] = []
    merged = _merge("", DEFAULTS, data, warnings)
    if merged["provider"] not in ("auto", "anthropic", "offline", "openai"):
        raise ConfigError(
            f"provider: expected auto, anthropic, offline or openai, got {merged['provider']!r}"
        )
    if merged["mode"] not in MODES:
        raise ConfigError(f"mode: expected one of {', '.join(MODES)}, got {merged['mode']!r}")
    if not 1 <= merged["max_steps"] <= 100:
        raise ConfigError(f"max_steps: expected 1 to 100, got {merged['max_steps']}")
    for key, value in merged["limits"].items():
        if value < 0:
            raise ConfigError(f"limits.{key}: expected 0 (no limit) or more, got {value}")
    return Config(
        provider=merged["provider"],
        model=merged["model"],
        default_host=merged["default_host"],
        mode=merged["mode"],
        max_steps=merged["max_steps"],
        max_tokens=merged["max_tokens"],
        prompt_file=merged["prompt_file"],
        theme=merged["theme"],
        openai=OpenAISettings(**merged["openai"]),
        policy_rules=policy_rules,
        tools=AgentSettings.from_mapping({**merged["tools"], "apps": apps}),
        check=CheckThresholds(**merged["check"]),
        limits=LimitSettings(**merged["limits"]),
        source=source,
        warnings=tuple(warnings),
    )


def _toml_value(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(json.dumps(v) for v in value) + "]"
    return repr(value)


def config_template() -> str:
    """A commented config file holding every key at its default."""
    lines = [
        "# sfai configuration (every key is optional; shown at its default).",
        "# Any key can also be set in the environment: SFAI_MODEL=..., or for a table",
        "# SFAI_<TABLE>__<KEY>, e.g. SFAI_CHECK__DISK_WARNING_PERCENT=80.",
        "",
    ]
    sections: list[tuple[str, dict[str, Any]]] = []
    for key, spec in DEFAULTS.items():
        if isinstance(spec, dict):
            sections.append((key, spec))
        else:
            lines += [f"# {spec[1]}", f"{key} = {_toml_value(spec[0])}"]
    for name, spec in sections:
        lines += ["", f"[{name}]"]
        for key, (default, comment) in spec.items():
            lines += [f"# {comment}", f"{key} = {_toml_value(default)}"]
    lines += [
        "",
        "# Policy rules, checked where the tool runs: deny rules first, then ask, then allow;",
        "# the first match wins. Without rules: read-only tools run, actions ask for approval.",
        "# [[policy.rules]]",
        '# decision = "allow"          # allow | ask | deny',
        '# tool = "restart_service"    # a tool name or a glob such as "clean_*"',
        '# service = "worker*"         # optional: every other key is an argument glob to match',
        '# reason = "workers may be restarted without asking"',
        "",
        "# Apps deploy_app may deploy (the model picks only the app and a git ref; every",
        "# command comes from here). Only path is required; the others show their default.",
        "# [apps.shop]",
        '# path = "/srv/shop"                  # the git work tree (a clone)',
        '# branch = "main"                     # deploying without ref fast-forwards it',
        '# remote = "origin"                   # fetched before each deploy',
        '# build = [["npm", "ci"], ["npm", "run", "build"]]  # argv lists, run in path, in order',
        "# build_timeout_s = 300               # each build step's time limit",
        '# service = "supervisor:shop"         # restarted through its manager ("": none)',
        '# health_url = "http://127.0.0.1:8001/health"  # must answer 2xx/3xx after the restart',
        "# health_timeout_s = 30               # how long to retry it before rolling back",
        '# env = { NODE_ENV = "production" }   # variables for the build steps',
        '# user = "deploy"                     # run git and the build as this user (runuser)',
    ]
    return "\n".join(lines) + "\n"
