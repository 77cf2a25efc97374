"""Apps ``deploy_app`` may deploy: the ``[apps.NAME]`` tables, checked into frozen specs.

An app is declared by the person who runs the server, never by the model: the model picks
an app by name and, at most, a git ref. Everything that becomes a command (the work tree,
the remote, the branch, the build argv lists, the service to restart, the health URL) comes
from here, so it is checked strictly once, at config load (``sfai.core.config`` turns a
mistake into a ``ConfigError``), and again where the tool runs (the agent's own file may
hold the tables too). Unknown keys are errors: a typo such as ``heath_url`` must not turn
a verified deploy into an unverified one silently.

Keys of ``[apps.NAME]`` (only ``path`` is required)::

    path = "/srv/shop"              # the git work tree (absolute)
    branch = "main"                 # the branch a deploy without ref fast-forwards to
    remote = "origin"               # the remote fetched from
    build = [["npm", "ci"], ["npm", "run", "build"]]   # argv lists, run in path, in order
    build_timeout_s = 300           # each build step's time limit
    service = "supervisor:shop"     # restarted through its manager ("" : no restart)
    health_url = "http://127.0.0.1:8001/health"        # must answer 2xx/3xx after restart
    health_timeout_s = 30           # how long to retry the health URL
    env = { NODE_ENV = "production" }                  # extra variables for build steps
    user = "deploy"                 # run git and the build as this user (runuser; root only)
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Any

from sfai_agent.policy.identifiers import APP_PATTERN, SERVICE_PATTERN
from sfai_agent.tools.base import ToolError
from sfai_agent.tools.http_check import check_url_argument

REMOTE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
USER_PATTERN = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
ENV_NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
REF_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/+-]{0,199}")
SHA_PATTERN = re.compile(r"[0-9a-f]{7,64}")
MAX_BUILD_STEPS = 20
MAX_ARGV_ITEMS = 64
MAX_TIMEOUT_S = 3_600.0

KEYS = (
    "path",
    "branch",
    "remote",
    "build",
    "build_timeout_s",
    "service",
    "health_url",
    "health_timeout_s",
    "env",
    "user",
)


class AppSpecError(ValueError):
    """An ``[apps.NAME]`` table is wrong; the message names the key and what is expected."""


def ref_problem(ref: str) -> str | None:
    """Why ``ref`` is not a ref sfai passes to git, or None when it is acceptable.

    A subset of ``git check-ref-format``'s rules, stricter on purpose: letters, digits and
    ``. _ / + -`` only (no spaces, ``~^:?*[\\``, ``@{`` or control characters), no leading
    ``-`` (an option), no ``..``, ``//``, component starting with ``.`` or ending with
    ``.lock``, no trailing ``/`` or ``.``."""
    if not REF_PATTERN.fullmatch(ref):
        return "use letters, digits and . _ / + - only, starting with a letter or a digit"
    if ".." in ref or "//" in ref or ref.endswith(("/", ".")):
        return "no '..', '//', and no trailing '/' or '.'"
    for part in ref.split("/"):
        if part.startswith(".") or part.endswith(".lock"):
            return "no path component starting with '.' or ending with '.lock'"
    return None


@dataclass(frozen=True)
class AppSpec:
    name: str
    path: str
    branch: str = "main"
    remote: str = "origin"
    build: tuple[tuple[str, ...], ...] = ()
    build_timeout_s: float = 300.0
    service: str = ""
    health_url: str = ""
    health_timeout_s: float = 30.0
    env: tuple[tuple[str, str], ...] = ()
    user: str = ""

    def as_config(self) -> dict[str, Any]:
        """The table again, normalised (what ``AgentSettings.apps`` holds: plain JSON)."""
        return {
            "path": self.path,
            "branch": self.branch,
            "remote": self.remote,
            "build": [list(step) for step in self.build],
            "build_timeout_s": self.build_timeout_s,
            "service": self.service,
            "health_url": self.health_url,
            "health_timeout_s": self.health_timeout_s,
            "env": dict(self.env),
            "user": self.user,
        }


def _string(where: str, value: Any, default: str) -> str:
    if value is None:
        return default
    if not isinstance(value, str):
        raise AppSpecError(f"{where}: expected a string, got {value!r}")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise AppSpecError(f"{where}: control characters are not allowed")
    return value


def _seconds(where: str, value: Any, default: float) -> float:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise AppSpecError(f"{where}: expected a number of seconds, got {value!r}")
    if not 0 < value <= MAX_TIMEOUT_S:
        raise AppSpecError(f"{where}: expected more than 0 and at most {MAX_TIMEOUT_S:g}")
    return float(value)


def _path(where: str, value: Any) -> str:
    path = _string(where, value, "")
    if not path:
        raise AppSpecError(f'{where}: required: the app\'s git work tree, e.g. "/srv/shop"')
    if not path.startswith("/") or posixpath.normpath(path) != path or path == "/":
        raise AppSpecError(
            f"{where}: expected a normalised absolute path (no '..', no trailing '/'), got {path!r}"
        )
    return path


def _build(where: str, value: Any) -> tuple[tuple[str, ...], ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_BUILD_STEPS:
        raise AppSpecError(
            f"{where}: expected a list of argv lists (at most {MAX_BUILD_STEPS}), "
            'e.g. [["npm", "ci"], ["npm", "run", "build"]]'
        )
    steps: list[tuple[str, ...]] = []
    for number, step in enumerate(value, start=1):
        here = f"{where} #{number}"
        if (
            not isinstance(step, list)
            or not step
            or len(step) > MAX_ARGV_ITEMS
            or not all(isinstance(part, str) for part in step)
        ):
            raise AppSpecError(
                f"{here}: expected a non-empty list of strings (an argv, never a shell "
                f'string), e.g. ["npm", "ci"], got {step!r}'
            )
        if not step[0] or step[0].startswith("-") or "=" in step[0]:
            raise AppSpecError(f"{here}: {step[0]!r} is not a program name")
        if any("\x00" in part for part in step):
            raise AppSpecError(f"{here}: NUL bytes are not allowed")
        steps.append(tuple(step))
    return tuple(steps)


def _env(where: str, value: Any) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise AppSpecError(f'{where}: expected a table, e.g. {{ NODE_ENV = "production" }}')
    pairs: list[tuple[str, str]] = []
    for key, item in value.items():
        if not ENV_NAME_PATTERN.fullmatch(str(key)):
            raise AppSpecError(f"{where}: {key!r} is not a variable name")
        if not isinstance(item, str) or "\x00" in item:
            raise AppSpecError(f"{where}.{key}: expected a string")
        pairs.append((str(key), item))
    return tuple(pairs)


def _pattern(where: str, value: Any, default: str, pattern: re.Pattern[str], what: str) -> str:
    text = _string(where, value, default)
    if text and (not pattern.fullmatch(text) or ".." in text):
        raise AppSpecError(f"{where}: {text!r} is not a valid {what}")
    return text


def parse_app(name: object, table: object) -> AppSpec:
    """One ``[apps.NAME]`` table as an ``AppSpec``, or ``AppSpecError`` naming the key."""
    if not isinstance(name, str) or not APP_PATTERN.fullmatch(name) or ".." in name:
        raise AppSpecError(
            f"apps.{name}: app names are letters, digits and . _ - (at most 64), "
            "starting with a letter or a digit"
        )
    where = f"apps.{name}"
    if not isinstance(table, dict):
        raise AppSpecError(f'{where}: expected a table ([apps.{name}] with path = "...")')
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise AppSpecError(
            f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(KEYS)}"
        )
    branch = _string(f"{where}.branch", table.get("branch"), "main")
    problem = ref_problem(branch)
    if problem:
        raise AppSpecError(f"{where}.branch: {branch!r} is not a branch name: {problem}")
    health_url = _string(f"{where}.health_url", table.get("health_url"), "")
    if health_url:
        try:
            check_url_argument(health_url)
        except ToolError as exc:
            raise AppSpecError(f"{where}.health_url: {exc.message}") from None
    return AppSpec(
        name=name,
        path=_path(f"{where}.path", table.get("path")),
        branch=branch,
        remote=_pattern(
            f"{where}.remote", table.get("remote"), "origin", REMOTE_PATTERN, "remote name"
        )
        or "origin",
        build=_build(f"{where}.build", table.get("build")),
        build_timeout_s=_seconds(f"{where}.build_timeout_s", table.get("build_timeout_s"), 300.0),
        service=_pattern(
            f"{where}.service", table.get("service"), "", SERVICE_PATTERN, "service name"
        ),
        health_url=health_url,
        health_timeout_s=_seconds(f"{where}.health_timeout_s", table.get("health_timeout_s"), 30.0),
        env=_env(f"{where}.env", table.get("env")),
        user=_pattern(f"{where}.user", table.get("user"), "", USER_PATTERN, "user name"),
    )


def parse_apps(tables: object) -> dict[str, AppSpec]:
    """Every ``[apps.NAME]`` table; ``AppSpecError`` on the first mistake."""
    if tables is None:
        return {}
    if not isinstance(tables, dict):
        raise AppSpecError('apps: expected [apps.NAME] tables, e.g. [apps.shop] path = "/srv/shop"')
    return {spec.name: spec for spec in (parse_app(k, v) for k, v in tables.items())}


def declared_apps(tables: object) -> dict[str, AppSpec]:
    """``parse_apps`` where a tool runs: a broken table is an ``unavailable`` result (the
    agent's own file is read without sfai's config check)."""
    try:
        return parse_apps(tables)
    except AppSpecError as exc:
        raise ToolError(
            "unavailable",
            f"the declared apps are invalid: {exc}",
            "fix the [apps.NAME] tables of the config (sfai config show prints them)",
        ) from None
