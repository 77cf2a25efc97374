"""Tools of the disk family: how full each filesystem is, and what fills a directory.

Filesystems come from /proc/mounts and statvfs (``executor.fs_usage``); the directory
walk is breadth-first over ``executor.list_dir`` so a bound (depth, entries, time) cuts
the deepest, least informative part first, and it never follows a symlink.
"""

from __future__ import annotations

import contextlib
import heapq
import posixpath
import re
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from sfai_agent.exec.base import ExecutorError
from sfai_agent.policy.credentials import is_credential_path
from sfai_agent.policy.paths import check_absolute
from sfai_agent.tools.base import JSON, ToolContext, ToolError, object_schema, register
from sfai_agent.tools.render import human_bytes
from sfai_agent.tools.system import percent, read_text

LARGEST = 20
FULL_PERCENT = 90.0
PSEUDO_FS = frozenset(
    {
        "proc", "sysfs", "devtmpfs", "devpts", "tmpfs", "ramfs", "securityfs", "debugfs",
        "tracefs", "pstore", "bpf", "mqueue", "hugetlbfs", "configfs", "fusectl", "autofs",
        "binfmt_misc", "rpc_pipefs", "nsfs", "efivarfs", "selinuxfs", "squashfs", "nfsd",
        "overlay", "fuse.lxcfs", "fuse.gvfsd-fuse", "fuse.portal", "fuse.snapfuse",
        "cgroup", "cgroup2", "devfs", "sockfs", "pipefs", "none",
    }
)  # fmt: skip
"""Not disk space: kernel views, memory-backed mounts, read-only snap images."""
KEPT_MEMORY_MOUNTS = ("/", "/tmp", "/var/tmp")  # noqa: S108 (mountpoints, not temp files)
"""A tmpfs (or overlay, in a container) here is where files land, so it can fill up."""
VIRTUAL_FS = frozenset(
    {
        "proc", "sysfs", "devtmpfs", "devpts", "securityfs", "debugfs", "tracefs", "pstore",
        "bpf", "mqueue", "configfs", "fusectl", "binfmt_misc", "rpc_pipefs", "nsfs",
        "efivarfs", "selinuxfs", "cgroup", "cgroup2", "hugetlbfs",
    }
)  # fmt: skip
"""Kernel views: walking them measures nothing on disk (/proc/kcore alone claims 128 TiB)."""
_OCTAL = re.compile(r"\\([0-7]{3})")


@dataclass(frozen=True)
class Mount:
    device: str
    mountpoint: str
    fstype: str
    read_only: bool


def parse_mounts(text: str) -> list[Mount]:
    """/proc/mounts lines; the kernel escapes space, tab, newline and ``\\`` as octal."""
    mounts = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 4:
            device, point = (_OCTAL.sub(lambda m: chr(int(m[1], 8)), f) for f in fields[:2])
            mounts.append(Mount(device, point, fields[2], "ro" in fields[3].split(",")))
    return mounts


def is_credential_location(path: str, is_dir: bool) -> bool:
    """``is_credential_path``, plus directories whose every entry would be one (``~/.ssh``):
    listing those would list key names."""
    return is_credential_path(path) or (is_dir and is_credential_path(posixpath.join(path, "_")))


def is_real_filesystem(mount: Mount) -> bool:
    if mount.fstype in ("tmpfs", "overlay"):
        return mount.mountpoint in KEPT_MEMORY_MOUNTS
    return mount.fstype not in PSEUDO_FS and not mount.fstype.startswith("cgroup")


def real_filesystems(mounts: list[Mount]) -> list[Mount]:
    """The mounts worth measuring, shortest mountpoint first so that the first mount met
    of each device is the one a bind mount repeats. A later mount at the same point hides
    an earlier one. Shared with the live metrics (``sfai_agent/metrics.py``)."""
    visible = {m.mountpoint: m for m in mounts}.values()
    return sorted(filter(is_real_filesystem, visible), key=lambda m: len(m.mountpoint))


def mount_of(path: str, mounts: list[Mount]) -> Mount | None:
    """The mount holding ``path``: the longest mountpoint that is a prefix of it."""
    best: Mount | None = None
    for mount in mounts:
        point = mount.mountpoint
        inside = path == point or path.startswith(point.rstrip("/") + "/")
        if inside and (best is None or len(point) >= len(best.mountpoint)):
            best = mount
    return best


async def _usage(ctx: ToolContext, mount: Mount) -> dict[str, Any]:
    usage = await ctx.executor.fs_usage(mount.mountpoint)
    inodes = percent(usage.inodes_used, usage.inodes_total) if usage.inodes_total else None
    return {
        "device": mount.device,
        "mountpoint": mount.mountpoint,
        "fstype": mount.fstype,
        "size_bytes": usage.size_bytes,
        "used_bytes": usage.used_bytes,
        "free_bytes": usage.free_bytes,
        # as df: what is used over what users could use (root's reserve left out)
        "used_percent": percent(usage.used_bytes, usage.used_bytes + usage.free_bytes),
        "inodes_used_percent": inodes,
        "read_only": mount.read_only,
    }


async def _filesystems(ctx: ToolContext, mounts: list[Mount]) -> list[dict[str, Any]]:
    """One row per real filesystem. Bind mounts share a device number with the mount they
    repeat, so the shortest mountpoint of each device is kept; mounted files (a
    container's /etc/hosts) are no filesystem of their own and are left out."""
    rows: list[dict[str, Any]] = []
    seen: set[int | str] = set()
    for mount in real_filesystems(mounts):
        try:
            info = await ctx.executor.stat(mount.mountpoint, follow_symlinks=True)
            if info.kind != "dir":
                continue
            key: int | str = info.device or mount.device
            if key in seen:
                continue
            seen.add(key)
            rows.append(await _usage(ctx, mount))
        except ExecutorError:
            continue  # gone, or not ours to look at (another user's FUSE mount)
    return sorted(rows, key=lambda r: r["mountpoint"])


@dataclass
class _Walk:
    """State of a breadth-first size scan."""

    root: str
    own: dict[str, int] = field(default_factory=dict)
    parent: dict[str, str] = field(default_factory=dict)
    depth: dict[str, int] = field(default_factory=dict)
    files: list[tuple[int, str]] = field(default_factory=list)
    scanned: int = 0
    deeper: int = 0
    unreadable: int = 0
    credentials: int = 0
    mounts_skipped: list[str] = field(default_factory=list)
    stopped: str = ""

    def add_file(self, size: int, path: str) -> None:
        if len(self.files) < LARGEST:
            heapq.heappush(self.files, (size, path))
        elif size > self.files[0][0]:
            heapq.heapreplace(self.files, (size, path))

    def totals(self) -> dict[str, int]:
        """Directory sizes: each one's files plus its scanned subdirectories'."""
        total = dict(self.own)
        for path in sorted(total, key=lambda p: self.depth[p], reverse=True):
            if path in self.parent:
                total[self.parent[path]] += total[path]
        return total


async def _walk(ctx: ToolContext, root: str, mount_points: dict[str, Mount]) -> _Walk:
    settings = ctx.settings
    deadline = time.monotonic() + settings.disk_scan_time_s
    walk = _Walk(root, own={root: 0}, depth={root: 0})
    queue: deque[str] = deque([root])
    while queue:
        if time.monotonic() > deadline:
            walk.stopped = f"the {settings.disk_scan_time_s:g} s time limit (disk_scan_time_s)"
            break
        directory = queue.popleft()
        room = settings.disk_scan_max_entries - walk.scanned
        try:
            entries = await ctx.executor.list_dir(directory, limit=room)
        except ExecutorError:
            walk.unreadable += 1
            continue
        child_depth = walk.depth[directory] + 1
        for entry in entries:
            walk.scanned += 1
            if is_credential_location(entry.path, entry.kind == "dir"):
                walk.credentials += 1
            elif entry.kind == "file":
                walk.own[directory] += entry.size_bytes
                walk.add_file(entry.size_bytes, entry.path)
            elif entry.kind != "dir":
                continue  # symlinks are never followed; sockets and devices hold no data
            elif entry.path in mount_points:
                if is_real_filesystem(mount_points[entry.path]):
                    walk.mounts_skipped.append(entry.path)
            elif child_depth > settings.disk_scan_max_depth:
                walk.deeper += 1
            else:
                walk.own[entry.path], walk.depth[entry.path] = 0, child_depth
                walk.parent[entry.path] = directory
                queue.append(entry.path)
        if len(entries) >= room:
            walk.stopped = f"the limit of {settings.disk_scan_max_entries} entries"
            walk.stopped += " (disk_scan_max_entries)"
            break
    return walk


def _walk_result(walk: _Walk, max_depth: int) -> JSON:
    totals = walk.totals()
    dirs = [(size, path) for path, size in totals.items() if path != walk.root]
    candidates = [(s, p, "dir") for s, p in dirs] + [(s, p, "file") for s, p in walk.files]
    # biggest first; on a tie the directory before the file it holds, then by path
    ranked = heapq.nsmallest(LARGEST, candidates, key=lambda c: (-c[0], c[2] != "dir", c[1]))
    notes: list[str] = []
    if walk.stopped:
        notes.append(f"the scan stopped at {walk.stopped}")
    if walk.deeper:
        notes.append(f"{walk.deeper} directories deeper than {max_depth} levels were not listed")
        notes[-1] += " (disk_scan_max_depth); give a deeper path to look inside them"
    if walk.unreadable:
        notes.append(f"{walk.unreadable} directories could not be read")
    if walk.mounts_skipped:
        skipped = ", ".join(walk.mounts_skipped[:5])
        notes.append(f"other filesystems mounted below were not scanned: {skipped}")
    if walk.credentials:
        notes.append(f"{walk.credentials} credential locations were skipped")
    result: JSON = {
        "total_bytes": totals[walk.root],
        "largest": [{"path": p, "kind": k, "size_bytes": s} for s, p, k in ranked],
        "scanned_entries": walk.scanned,
        "complete": not (walk.stopped or walk.deeper or walk.unreadable),
    }
    if notes:
        result["note"] = "; ".join(notes)
    return result


async def _scan_path(ctx: ToolContext, raw: str, mounts: list[Mount]) -> JSON:
    check_absolute(raw)
    resolved = await ctx.executor.realpath(raw)
    try:
        info = await ctx.executor.stat(resolved)
    except ExecutorError as exc:
        info = None
        if exc.code != "not_found":
            raise ToolError.from_executor(exc) from None
    is_dir = info is not None and info.kind == "dir"
    if is_credential_location(resolved, is_dir) or is_credential_path(posixpath.normpath(raw)):
        raise ToolError(
            "refused_by_policy",
            f"{raw} is a credential location; sfai never reads, lists or changes those",
            "ask about the directory that holds it instead",
        )
    if info is None:
        raise ToolError(
            "not_found",
            f"{raw} does not exist",
            "check the path; get_disk_usage without a path lists the filesystems",
        )
    mount = mount_of(resolved, mounts)
    if mount is not None and mount.fstype in VIRTUAL_FS:
        raise ToolError(
            "invalid_argument",
            f"{resolved} is on a virtual filesystem ({mount.fstype}): its sizes are not disk use",
            "give a directory on a disk, such as /var or /home",
        )
    result: JSON = {"path": resolved, "kind": info.kind}
    if mount is not None:
        with contextlib.suppress(ExecutorError):  # the walk is still worth having
            result["filesystem"] = await _usage(ctx, mount)
    if info.kind != "dir":
        entry = {"path": resolved, "kind": info.kind, "size_bytes": info.size_bytes}
        return {**result, "total_bytes": info.size_bytes, "largest": [entry],
                "scanned_entries": 1, "complete": True}  # fmt: skip
    points = {m.mountpoint: m for m in mounts if m.mountpoint != resolved}
    walk = await _walk(ctx, resolved, points)
    return {**result, **_walk_result(walk, ctx.settings.disk_scan_max_depth)}


@register(
    name="get_disk_usage",
    family="disk",
    description="""
    Without path: every real filesystem (pseudo and memory filesystems left out, except a
    tmpfs or overlay at /, /tmp or /var/tmp), each with device, mountpoint, fstype,
    size_bytes, used_bytes, free_bytes, used_percent (as df: used over used + available),
    inodes_used_percent and read_only. Use it first when a disk is full or writes fail.
    With path (absolute): what takes the space under it: the filesystem holding it,
    total_bytes, and largest, the 20 biggest files and directories (path, kind,
    size_bytes, apparent sizes; a directory counts everything scanned below it). The
    walk is breadth-first, stays on one filesystem, never follows symlinks, skips
    credential locations and is bounded in depth, entries and time: complete is false,
    with a note saying which bound stopped it, when the figures are partial. Read-only.
    """,
    schema=object_schema({"path": {"type": "string", "minLength": 1, "maxLength": 4096}}),
)
async def get_disk_usage(ctx: ToolContext, args: JSON) -> JSON:
    mounts_text = await read_text(ctx, "/proc/mounts")
    mounts = parse_mounts(mounts_text or "")
    if "path" in args:
        result = await _scan_path(ctx, args["path"], mounts)
        where = result["path"]
        summary = f"{where}: {human_bytes(result['total_bytes'])}"
        if result["largest"] and result["largest"][0]["path"] != where:
            top = result["largest"][0]
            summary += f", largest {top['path']} ({human_bytes(top['size_bytes'])})"
        if not result["complete"]:
            summary += " (partial scan)"
        return {"summary": summary, **result}
    if not mounts:
        raise ToolError("unavailable", "cannot read /proc/mounts", "check that /proc is mounted")
    rows = await _filesystems(ctx, mounts)
    if not rows:
        return {"summary": "no disk filesystems found", "filesystems": []}
    fullest = max(rows, key=lambda r: r["used_percent"])
    summary = (
        f"{len(rows)} filesystem(s); fullest {fullest['mountpoint']} at "
        f"{fullest['used_percent']:.0f}% ({human_bytes(fullest['free_bytes'])} free)"
    )
    full = [r["mountpoint"] for r in rows if r["used_percent"] >= FULL_PERCENT]
    if full:
        summary += f"; at or above {FULL_PERCENT:.0f}%: {', '.join(full)}"
    read_only = [r["mountpoint"] for r in rows if r["read_only"]]
    if read_only:
        summary += f"; read-only: {', '.join(read_only)}"
    return {"summary": summary, "filesystems": rows}
