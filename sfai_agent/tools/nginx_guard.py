"""What a fix written by a model may add to an nginx config.

The fix is tested with ``nginx -t`` (on a temporary copy) without anyone's approval, and
nginx's master runs as root: a directive that loads code (``load_module``, perl, njs, lua),
reads a credential, writes a file somewhere, or serves a system directory must never get
that far. Only *added* directives are judged: lines the file already had (a certificate key,
a log path) were put there by a person and may stay, move or be removed.

Paths are judged as nginx would use them: relative ``include`` and certificate paths against
the config's directory, relative ``root`` and log paths against nginx's prefix, then
resolved on the host (a symlink does not hide where it points).
"""

from __future__ import annotations

import posixpath
from collections import Counter
from dataclasses import dataclass

from sfai_agent.exec.base import Executor
from sfai_agent.policy.credentials import CREDENTIAL_DIRS, is_credential_path
from sfai_agent.redact import mask_text
from sfai_agent.tools.base import ToolError
from sfai_agent.tools.nginx_conf import Directive

PROCESS_DIRECTIVES = frozenset(
    {
        "load_module",
        "perl",
        "perl_modules",
        "perl_require",
        "perl_set",
        "ssl_engine",
        "env",
        "user",
        "working_directory",
        "pid",
        "lock_file",
        "daemon",
        "master_process",
        "google_perftools_profiles",
        "worker_rlimit_core",
    }
)
"""Directives that load code into nginx or change how its processes run."""
CODE_PREFIXES = ("js_", "lua_", "njs_", "wasm_")
CODE_PARTS = ("by_lua", "_lua_")
WRITER_SUFFIXES = ("_temp_path", "_cache_path", "_store")
"""Directives that create directories or store files wherever they point."""
LOG_SUFFIX = "_log"
"""access_log, error_log, ssl_key_log...: nginx opens these for writing, as root."""
FILE_DIRECTIVES = frozenset(
    {"auth_basic_user_file", "xslt_stylesheet", "ssl_stapling_file", "ssl_session_ticket_key"}
)
FILE_SUFFIXES = ("_file", "_certificate", "_certificate_key", "_dhparam", "_crl")
SYSTEM_TREES = (
    "/etc",
    "/root",
    "/proc",
    "/sys",
    "/dev",
    "/boot",
    "/run",
    "/bin",
    "/sbin",
    "/lib",
    "/usr/bin",
    "/usr/sbin",
    "/usr/lib",
    "/var/lib",
    "/var/log",
    "/var/backups",
    "/var/spool",
    "/var/mail",
)
"""A document root at or under these would publish the system's own files."""
LOADER_PREFIXES = ("engine:", "store:")
"""``ssl_certificate_key engine:NAME:ID``: OpenSSL loads the engine NAME, and a NAME with a
``/`` is a shared library path, dlopen'ed (its constructor runs) during ``nginx -t``."""
DEVICE_TREES = ("/dev", "/proc", "/sys")
"""Not files nginx should read keys from (``/dev/zero`` would keep ``nginx -t`` reading)."""
_HINT = "a fix may not add this; if it is really needed, make that change by hand"


@dataclass(frozen=True)
class GuardPaths:
    conf_dir: str
    """nginx's config directory (resolved): includes must stay under it."""
    prefix: str
    """nginx's prefix: relative root and log paths start here."""
    log_roots: tuple[str, ...]
    backup_dir: str


def added_directives(old: list[Directive], new: list[Directive]) -> list[Directive]:
    """Directives (name and arguments, anywhere in the file) the fix adds."""

    def key(directive: Directive) -> tuple[str, tuple[str, ...]]:
        return directive.name, tuple(directive.args)

    def flat(items: list[Directive]) -> list[Directive]:
        out: list[Directive] = []
        for item in items:
            out.append(item)
            out.extend(item.walk())
        return out

    remaining = Counter(key(d) for d in flat(old))
    added: list[Directive] = []
    for directive in flat(new):
        if remaining[key(directive)] > 0:
            remaining[key(directive)] -= 1
        else:
            added.append(directive)
    return added


def _refuse(directive: Directive, why: str, hint: str = _HINT) -> ToolError:
    shown = mask_text(" ".join([directive.name, *directive.args]))[:120]  # mask, then cut
    return ToolError(
        "refused_by_policy", f"the fix adds `{shown}` (line {directive.line}): {why}", hint
    )


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _literal(value: str) -> str | None:
    """The part of a path before any nginx variable; None when it starts with one."""
    head = value.split("$", 1)[0]
    return head or None


async def _resolve(executor: Executor, base: str, value: str) -> tuple[str, str]:
    """(normalised, resolved) absolute forms of a path argument."""
    path = posixpath.normpath(posixpath.join(base, value))
    return path, await executor.realpath(path)


def _credential(*paths: str) -> bool:
    return any(is_credential_path(path) for path in paths)


async def check_added(executor: Executor, added: list[Directive], paths: GuardPaths) -> None:
    """Raise ``refused_by_policy`` for the first added directive a fix may not add."""
    roots = [await executor.realpath(root) for root in paths.log_roots]
    for directive in added:
        name = directive.name
        if (
            name in PROCESS_DIRECTIVES
            or name.startswith(CODE_PREFIXES)
            or any(part in name for part in CODE_PARTS)
        ):
            raise _refuse(directive, "it loads code into nginx or changes how nginx runs")
        if name.endswith("_key_log"):
            raise _refuse(directive, "it writes TLS session keys to a file (logs are read back)")
        if name.endswith(WRITER_SUFFIXES) and any("/" in arg for arg in directive.args):
            raise _refuse(directive, "it makes nginx create or store files at that path")
        if name == "include":
            await _check_include(executor, directive, paths)
        elif name in ("root", "alias"):
            await _check_root(executor, directive, paths)
        elif name.endswith(LOG_SUFFIX):
            await _check_log(executor, directive, paths, roots)
        elif name in FILE_DIRECTIVES or name.endswith(FILE_SUFFIXES):
            await _check_file(executor, directive, paths)


async def _check_include(executor: Executor, directive: Directive, paths: GuardPaths) -> None:
    for arg in directive.args:
        literal = _literal(arg)
        if literal is None or literal != arg:
            raise _refuse(directive, "an include built from variables cannot be checked")
        if any(ch in arg for ch in "*?["):
            raise _refuse(
                directive,
                "a wildcard include reads files nobody named (a key, a password file), and "
                "nginx -t quotes the first word of a file it cannot parse",
                "include the one file the fix needs, by its name",
            )
        path, real = await _resolve(executor, paths.conf_dir, arg)
        if _credential(path, real):
            raise _refuse(directive, "it points at a credential location")
        if not _under(path, paths.conf_dir) or not _under(real, paths.conf_dir):
            raise _refuse(
                directive,
                f"fixes include only files under nginx's config directory {paths.conf_dir}",
            )


def _system_root(path: str, paths: GuardPaths) -> str | None:
    """Why serving ``path`` would publish what must stay private, or None."""
    if path == "/":
        return "it would serve the whole filesystem"
    for tree in (*SYSTEM_TREES, paths.backup_dir):
        if _under(path, tree):
            return f"it would serve {tree}, a system directory"
    if _under(paths.conf_dir, path):
        return "it would serve nginx's own configuration"
    parts = path.strip("/").split("/")
    if len(parts) <= 1 or (parts[0] == "home" and len(parts) == 2):
        return "it would serve a top-level or home directory"
    if any(_under(directory, path) for directory in CREDENTIAL_DIRS):
        return "it would serve a directory that holds credentials"
    return None


async def _check_root(executor: Executor, directive: Directive, paths: GuardPaths) -> None:
    arg = directive.args[0] if directive.args else ""
    literal = _literal(arg)
    if literal is None:
        raise _refuse(directive, "a document root built from a variable cannot be checked")
    path, real = await _resolve(executor, paths.prefix, literal)
    if _credential(path, real):
        raise _refuse(directive, "it would serve a credential location")
    for candidate in (path, real):
        why = _system_root(candidate, paths)
        if why:
            raise _refuse(directive, why, "use the site's own directory, e.g. /var/www/SITE")


async def _check_log(
    executor: Executor, directive: Directive, paths: GuardPaths, roots: list[str]
) -> None:
    arg = directive.args[0] if directive.args else "off"
    if arg in ("on", "off", "stderr") or arg.startswith(("syslog:", "memory:")):
        return
    literal = _literal(arg)
    if literal is None:
        raise _refuse(directive, "a log path built from a variable cannot be checked")
    path, real = await _resolve(executor, paths.prefix, literal)
    allowed = [*roots, paths.prefix] if paths.prefix != "/" else roots
    if _credential(path, real) or not any(
        _under(path, root) and _under(real, root) for root in allowed
    ):
        raise _refuse(
            directive,
            f"nginx (as root) would write that file; fixes may log only under {', '.join(allowed)}",
            "log under /var/log/nginx/",
        )


async def _check_file(executor: Executor, directive: Directive, paths: GuardPaths) -> None:
    for arg in directive.args:
        literal = _literal(arg)
        if arg in ("on", "off") or (literal or "").startswith("data:"):
            continue
        if literal is None:
            raise _refuse(directive, "a file path built from a variable cannot be checked")
        if literal.startswith(LOADER_PREFIXES):
            raise _refuse(
                directive,
                "nginx hands an engine:/store: key to OpenSSL, which loads the library it names "
                "(code, run by nginx -t)",
                "name a key file; keys held by an engine or a store are set up by hand",
            )
        path, real = await _resolve(executor, paths.conf_dir, literal)
        if any(_under(candidate, tree) for candidate in (path, real) for tree in DEVICE_TREES):
            raise _refuse(directive, "it names a device or kernel file, not a key or certificate")
        if _credential(path, real):
            raise _refuse(
                directive,
                "it points at a credential (a private key or password file); sfai never adds those",
                "keep the existing line for that file unchanged, or edit it by hand",
            )
