"""clean_disk's targets: the vocabulary, the roots a cleanup may touch, the file listing.

A target is a symbolic name or an absolute path:

- ``rotated-logs``: rotated and compressed logs under the log roots (``syslog.1``,
  ``access.log.2.gz``, ``app.log-20261101``, ``x.gz``); a name ending in ``.log`` never is;
- ``tmp``: files in the temp dirs (``settings.temp_dirs``) older than ``older_than_days``,
  default ``settings.temp_max_age_days``; lock and pid files and per-service private temp
  dirs (``systemd-private-*``, ``.X11-unix``...) are left alone;
- ``cache`` / ``cache:DIR``: files in the cache directories the config declares
  (``settings.cleanup_cache_dirs``), any age unless ``older_than_days``;
- ``apt-cache``, ``journal``, ``docker``: done by the owner's own command
  (``cleanup_commands``);
- an absolute path under a log root, a temp dir or a cache dir: that rule, below that path.

Listing never follows a symlink (a symlinked file or directory is reported, not entered or
removed), stays on the filesystem of each root, skips credential locations (counted, never
named) and is bounded in entries, depth and time. Roots that are system directories (``/``,
``/usr``, ``/var``...) are refused whatever the configuration says.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
import time
from collections import deque
from dataclasses import dataclass, field

from sfai_agent.exec.base import DirEntry, ExecutorError
from sfai_agent.policy.credentials import is_credential_path
from sfai_agent.policy.paths import check_absolute
from sfai_agent.tools.base import ToolContext, ToolError
from sfai_agent.tools.disk import is_credential_location

FILE_RULES = ("rotated-logs", "tmp", "cache")
COMMAND_RULES = ("apt-cache", "journal", "docker")
NAMES = ("rotated-logs", "tmp", "cache", "cache:DIR", *COMMAND_RULES)
VOCABULARY = (
    "rotated-logs, tmp, cache, cache:DIR, apt-cache, journal, docker, or an absolute path "
    "under a log root, temp dir or cache dir"
)
MAX_DEPTH = 16
MAX_FILES = 20_000
"""Files one call lists at most; the rest are for the next call."""
DAY_S = 86_400.0

NEVER_CLEAN_EXACTLY = (
    "/", "/home", "/root", "/var", "/var/lib", "/var/cache", "/opt", "/srv", "/run",
    "/mnt", "/media",
)  # fmt: skip
NEVER_CLEAN_UNDER = (
    "/proc", "/sys", "/dev", "/boot", "/etc", "/usr", "/bin", "/sbin", "/lib", "/lib32",
    "/lib64", "/libx32", "/snap",
)  # fmt: skip

_COMPRESSED = r"\.(?:gz|xz|bz2|zst|lz4|lzma|Z)"
ROTATED_LOG = re.compile(
    rf"""(?:
        .*[^\d./]\.\d{{1,4}}(?:{_COMPRESSED})?            # syslog.1, mail.log.2.gz (not 10.0.0.1)
      | .+[-_.](?:19|20)\d{{6}}(?:\d{{2}})?(?:{_COMPRESSED})?  # access.log-20261101, -2026110112
      | .+[-_.](?:19|20)\d\d-\d\d-\d\d(?:{_COMPRESSED})?   # app.log.2026-11-01
      | .+\.old(?:{_COMPRESSED})?                         # Xorg.0.log.old
      | .+{_COMPRESSED}                                   # anything compressed
    )""",
    re.VERBOSE,
)
TEMP_KEEP_DIRS = (
    "systemd-private-*", "snap-private-tmp", ".X11-unix", ".ICE-unix", ".XIM-unix",
    ".font-unix", ".Test-unix",
)  # fmt: skip
"""Temp dirs that belong to running services or sessions: never entered."""
TEMP_KEEP_FILES = ("*.lock", "*.pid", ".X*-lock", "*.sock")
"""Temp files that mark something alive, whatever their age."""


def under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def is_rotated_log(name: str) -> bool:
    return not name.endswith(".log") and ROTATED_LOG.fullmatch(name) is not None


def system_directory(path: str) -> bool:
    """Directories no cleanup root may be, or be under, whatever the configuration says."""
    return path in NEVER_CLEAN_EXACTLY or any(under(path, top) for top in NEVER_CLEAN_UNDER)


@dataclass(frozen=True)
class Target:
    label: str
    """As the caller wrote it: ``tmp``, ``cache:/var/cache/app``, ``/var/log/nginx``."""
    rule: str
    """``rotated-logs``, ``tmp``, ``cache`` or one of ``COMMAND_RULES``."""
    roots: tuple[str, ...] = ()
    """Resolved directories (or single files) the listing walks, for file rules."""
    max_age_s: float | None = None
    """Only files modified longer ago than this; None: any age."""


@dataclass
class Roots:
    """The resolved roots each file rule may touch, and why configured ones were dropped."""

    by_rule: dict[str, list[str]] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)

    def describe(self) -> str:
        def shown(rule: str) -> str:
            return ", ".join(self.by_rule.get(rule, [])) or "none configured"

        return (
            f"rotated logs under the log roots ({shown('rotated-logs')}), old files in the "
            f"temp dirs ({shown('tmp')}), files in the cache dirs ({shown('cache')})"
        )


async def allowed_roots(ctx: ToolContext) -> Roots:
    settings = ctx.settings
    roots = Roots()
    configured = {
        "rotated-logs": settings.log_roots,
        "tmp": settings.temp_dirs,
        "cache": settings.cleanup_cache_dirs,
    }
    for rule, paths in configured.items():
        kept: list[str] = []
        for raw in paths:
            if not isinstance(raw, str) or not raw.startswith("/"):
                roots.refused.append(f"{raw!r} ({rule}): not an absolute path")
                continue
            resolved = await ctx.executor.realpath(raw)
            too_shallow = rule == "cache" and resolved.count("/") < 2
            if system_directory(resolved) or too_shallow or is_credential_path(resolved):
                roots.refused.append(f"{raw} ({rule}): a system directory, never cleaned")
            elif resolved not in kept:
                kept.append(resolved)
        roots.by_rule[rule] = kept
    return roots


def _max_age(ctx: ToolContext, rule: str, older_than_days: float | None) -> float | None:
    if older_than_days is not None:
        return older_than_days * DAY_S
    return ctx.settings.temp_max_age_days * DAY_S if rule == "tmp" else None


def _refuse(what: str, roots: Roots) -> ToolError:
    return ToolError(
        "refused_by_policy",
        f"{what}; clean_disk only touches {roots.describe()}",
        f"use one of: {VOCABULARY}",
    )


async def _path_target(
    ctx: ToolContext, raw: str, roots: Roots, older_than_days: float | None
) -> Target:
    check_absolute(raw, "clean_disk path")
    resolved = await ctx.executor.realpath(raw)
    if is_credential_path(resolved) or is_credential_path(posixpath.normpath(raw)):
        raise ToolError(
            "refused_by_policy",
            f"{raw} is a credential location; sfai never reads, lists or changes those",
        )
    best: tuple[str, str] | None = None
    for rule in FILE_RULES:
        for root in roots.by_rule.get(rule, []):
            if under(resolved, root) and (best is None or len(root) > len(best[1])):
                best = (rule, root)
    if best is None:
        shown = raw if resolved == posixpath.normpath(raw) else f"{raw} (resolves to {resolved})"
        raise _refuse(f"{shown} is outside every cleanup target", roots)
    rule = best[0]
    return Target(raw, rule, (resolved,), _max_age(ctx, rule, older_than_days))


async def _cache_target(
    ctx: ToolContext, label: str, roots: Roots, older_than_days: float | None
) -> Target:
    caches = roots.by_rule.get("cache", [])
    if label == "cache":
        if not caches:
            raise ToolError(
                "invalid_argument",
                "no cache directory is declared for clean_disk",
                "declare them in sfai's config: [tools] cleanup_cache_dirs",
            )
        return Target(label, "cache", tuple(caches), _max_age(ctx, "cache", older_than_days))
    raw = label.removeprefix("cache:")
    target = await _path_target(ctx, raw, roots, older_than_days)
    if target.rule != "cache":
        raise _refuse(f"{raw} is not one of the declared cache dirs", roots)
    return Target(label, "cache", target.roots, target.max_age_s)


async def parse_targets(
    ctx: ToolContext, items: list[str], older_than_days: float | None
) -> tuple[list[Target], Roots]:
    """Each item as a target; anything outside the vocabulary or the roots is refused
    (the whole call: a cleanup does what was asked, or nothing)."""
    roots = await allowed_roots(ctx)
    targets: list[Target] = []
    for item in dict.fromkeys(items):
        if not isinstance(item, str) or any(ord(ch) < 32 for ch in item):
            raise ToolError("invalid_argument", f"{item!r:.80} is not a cleanup target")
        if item in COMMAND_RULES:
            targets.append(Target(item, item))
        elif item in ("rotated-logs", "tmp"):
            paths = tuple(roots.by_rule.get(item, []))
            targets.append(Target(item, item, paths, _max_age(ctx, item, older_than_days)))
        elif item == "cache" or item.startswith("cache:"):
            targets.append(await _cache_target(ctx, item, roots, older_than_days))
        elif item.startswith("/"):
            targets.append(await _path_target(ctx, item, roots, older_than_days))
        else:
            raise ToolError(
                "invalid_argument",
                f"{item[:80]!r} is not a cleanup target",
                f"use one of: {VOCABULARY}",
            )
    return targets, roots


@dataclass(frozen=True)
class Candidate:
    """A file a cleanup would remove, with what identifies it at execution."""

    target: str
    path: str
    size_bytes: int
    mtime: float
    inode: int
    device: int


@dataclass
class Listing:
    files: list[Candidate] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    credentials: int = 0
    complete: bool = True
    seen: set[str] = field(default_factory=set)
    entries_left: int = 0
    deadline: float = 0.0

    def skip(self, path: str, reason: str) -> None:
        if path not in self.seen:
            self.seen.add(path)
            self.skipped.append({"path": path, "reason": reason})

    def stop(self, why: str) -> None:
        if self.complete:
            self.notes.append(f"the listing stopped at {why}; run clean_disk again for the rest")
        self.complete = False

    def exhausted(self) -> bool:
        if len(self.files) >= MAX_FILES:
            self.stop(f"{MAX_FILES} files")
        elif self.entries_left <= 0:
            self.stop("the entry limit (disk_scan_max_entries)")
        elif time.monotonic() > self.deadline:
            self.stop("the time limit (disk_scan_time_s)")
        return not self.complete


def _why_kept(target: Target, entry: DirEntry, now: float) -> str | None:
    """Why a regular file does not belong to the target (None: it does)."""
    if target.rule == "rotated-logs" and not is_rotated_log(entry.name):
        return "not a rotated log (live logs are never removed)"
    if target.rule == "tmp" and any(fnmatch.fnmatchcase(entry.name, p) for p in TEMP_KEEP_FILES):
        return "a lock, pid or socket file (kept whatever its age)"
    if target.max_age_s is not None and now - entry.mtime < target.max_age_s:
        return f"modified within the last {target.max_age_s / DAY_S:g} days"
    return None


async def _consider(
    ctx: ToolContext, target: Target, entry: DirEntry, now: float, listing: Listing, named: bool
) -> None:
    """One non-directory entry: listed, reported as skipped, or ignored (``named``: the caller
    gave this very path, so a reason to keep it is reported rather than ignored)."""
    if entry.path in listing.seen or entry.kind not in ("file", "symlink"):
        return
    if is_credential_path(entry.path):
        listing.credentials += 1
        listing.seen.add(entry.path)
        return
    if entry.kind == "symlink":
        # Whether it would qualify is judged on the link itself; it is never followed.
        name_ok = target.rule != "rotated-logs" or is_rotated_log(entry.name)
        if named or name_ok:
            listing.skip(entry.path, "symlink (never followed or removed)")
        return
    reason = _why_kept(target, entry, now)
    if reason is not None:
        if named:
            listing.skip(entry.path, reason)
        return
    try:
        info = await ctx.executor.stat(entry.path)
    except ExecutorError as exc:
        listing.skip(entry.path, f"cannot stat: {exc.message}")
        return
    if info.kind != "file":
        return
    listing.seen.add(entry.path)
    listing.files.append(
        Candidate(target.label, entry.path, info.size_bytes, info.mtime, info.inode, info.device)
    )


def _private_temp(path: str) -> bool:
    return any(fnmatch.fnmatchcase(part, p) for part in path.split("/") for p in TEMP_KEEP_DIRS)


async def _walk(ctx: ToolContext, target: Target, root: str, now: float, listing: Listing) -> None:
    if target.rule == "tmp" and _private_temp(root):
        listing.skip(root, "a service's or session's private temp dir (never cleaned)")
        return
    try:
        top = await ctx.executor.stat(root)
    except ExecutorError as exc:
        reason = "does not exist" if exc.code == "not_found" else exc.message
        if target.label.startswith("/") or target.label.startswith("cache:"):
            listing.skip(root, reason)
        else:
            listing.notes.append(f"{root} ({target.rule}): {reason}")
        return
    if top.kind != "dir":
        name = posixpath.basename(root)
        entry = DirEntry(name, root, top.kind, top.size_bytes, top.mtime)
        await _consider(ctx, target, entry, now, listing, named=True)
        return
    queue: deque[tuple[str, int]] = deque([(root, 0)])
    while queue and not listing.exhausted():
        directory, depth = queue.popleft()
        try:
            entries = await ctx.executor.list_dir(directory, limit=max(listing.entries_left, 1))
        except ExecutorError as exc:
            listing.notes.append(f"{directory}: {exc.message}")
            continue
        listing.entries_left -= len(entries)
        for entry in sorted(entries, key=lambda e: e.name):
            if entry.kind != "dir":
                await _consider(ctx, target, entry, now, listing, named=False)
            elif is_credential_location(entry.path, True):
                listing.credentials += 1
            elif target.rule == "tmp" and _private_temp(entry.name):
                continue
            elif depth + 1 > MAX_DEPTH:
                listing.stop(f"{MAX_DEPTH} directory levels ({entry.path})")
            else:
                try:
                    info = await ctx.executor.stat(entry.path)
                except ExecutorError:
                    continue
                if info.device != top.device:
                    listing.notes.append(f"{entry.path}: another filesystem, not cleaned")
                else:
                    queue.append((entry.path, depth + 1))


async def list_files(ctx: ToolContext, targets: list[Target]) -> Listing:
    """Every file the file targets would remove, in target order, each once."""
    settings = ctx.settings
    listing = Listing(
        entries_left=settings.disk_scan_max_entries,
        deadline=time.monotonic() + settings.disk_scan_time_s,
    )
    now = time.time()
    for target in targets:
        for root in target.roots:
            if listing.exhausted():
                return listing
            await _walk(ctx, target, root, now, listing)
    return listing
