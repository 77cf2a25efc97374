"""clean_disk's command targets: space their owner frees with its own command.

- ``apt-cache``: ``apt-get clean``. The preview asks apt itself what it would delete
  (``apt-get -s clean`` prints the directories and cache files) and lists those files with
  their sizes. The real run refuses to run when files appeared since the preview (apt may be
  downloading), so it removes what was listed; apt takes its own lock, and a busy apt makes
  it fail (reported). Freed bytes: the listed files that are gone afterwards.
- ``journal``: ``journalctl --vacuum-time=Ns`` (N = older_than_days, default 7 days).
  journald removes archived journal files whose entries are all older; the preview shows
  ``journalctl --disk-usage`` and the archived files older than N days by modification
  time (an estimate), and the command is not run when there is none.
- ``docker``: ``docker image prune -f`` and ``docker builder prune -f`` (dangling images and
  build cache, ``--filter until=Nh`` with older_than_days). The preview lists the dangling
  images and ``docker system df``'s reclaimable build cache (an estimate: docker decides).
"""

from __future__ import annotations

import json
import posixpath
import re
import time
from dataclasses import dataclass, field
from typing import Any

from sfai_agent.exec.base import CommandResult, ExecutorError
from sfai_agent.policy.credentials import is_credential_path
from sfai_agent.tools import managers
from sfai_agent.tools.base import JSON, ToolContext

JOURNAL_DEFAULT_DAYS = 7.0
JOURNAL_DIRS = ("/var/log/journal", "/run/log/journal")
APT_KEEP = frozenset({"lock", "partial", "auxfiles", "lost+found"})
"""Entries ``apt-get clean`` leaves in a cache directory (apt's pkgAcquire::Clean)."""
_SIZE = re.compile(r"(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>[kKMGTPE]?)(?P<i>i?)(?P<b>B?)")


def parse_size(text: str) -> int | None:
    """``1.2GB``/``500kB`` (docker: decimal), ``16.0M`` (journalctl: binary), ``2MiB``."""
    match = _SIZE.search(text)
    if match is None:
        return None
    power = " KMGTPE".index(match["unit"].upper() or " ")
    decimal = bool(match["b"]) and not match["i"] and power > 0
    return int(float(match["n"]) * (1000 if decimal else 1024) ** power)


@dataclass
class CommandTarget:
    """What a command target would do, and (after a run) what it did."""

    rule: str
    available: bool = True
    reason: str = ""
    commands: list[list[str]] = field(default_factory=list)
    estimate_bytes: int = 0
    items: list[dict[str, Any]] = field(default_factory=list)
    """Listed files (``path``, ``size_bytes``) or images (``id``, ``size_bytes``)."""
    measure: list[str] = field(default_factory=list)
    """Directories on the filesystems this target frees space on."""
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"target": self.rule, "rule": self.rule}
        if not self.available:
            return {**entry, "available": False, "reason": self.reason}
        entry.update(
            {"files": len(self.items), "bytes": self.estimate_bytes, "commands": self.commands}
        )
        if self.note:
            entry["note"] = self.note
        return entry


def _gist(result: CommandResult) -> str:
    return managers.first_line(result.stderr, result.stdout) or f"exit {result.returncode}"


# --- apt -------------------------------------------------------------------------------


def parse_apt_simulation(output: str) -> tuple[list[str], list[str]]:
    """``apt-get -s clean`` lines (``Del /var/cache/apt/archives/* .../partial/*``, then the
    package caches) → (directories whose files go, single files that go)."""
    dirs: list[str] = []
    files: list[str] = []
    for line in output.splitlines():
        if not line.startswith("Del "):
            continue
        for token in line[4:].split():
            if token.endswith("/*") and token.startswith("/"):
                dirs.append(token[:-2])
            elif token.startswith("/"):
                files.append(token)
    return dirs, files


async def preview_apt(ctx: ToolContext) -> CommandTarget:
    target = CommandTarget("apt-cache", commands=[["apt-get", "clean"]])
    if await ctx.executor.which("apt-get") is None:
        return CommandTarget("apt-cache", False, "apt-get is not installed on this host")
    simulated = await managers.run(ctx, ["apt-get", "-s", "clean"])
    dirs, files = parse_apt_simulation(simulated.stdout)
    if not simulated.ok or not dirs:
        return CommandTarget("apt-cache", False, f"apt-get -s clean: {_gist(simulated)}")
    for directory in dirs:
        try:
            entries = await ctx.executor.list_dir(directory)
        except ExecutorError:
            continue  # apt creates partial/ directories on demand
        for entry in entries:
            if entry.kind == "file" and entry.name not in APT_KEEP:
                target.items.append({"path": entry.path, "size_bytes": entry.size_bytes})
    for path in files:
        try:
            info = await ctx.executor.stat(path)
        except ExecutorError:
            continue
        if info.kind == "file":
            target.items.append({"path": path, "size_bytes": info.size_bytes})
    target.items = sorted(
        (i for i in target.items if not is_credential_path(i["path"])),
        key=lambda i: -int(i["size_bytes"]),
    )
    target.estimate_bytes = sum(int(item["size_bytes"]) for item in target.items)
    target.measure = dirs[:1]
    return target


async def run_apt(ctx: ToolContext, planned: CommandTarget | None) -> JSON:
    """Run ``apt-get clean`` if the cache holds nothing the preview did not list; ``removed``:
    the listed files gone afterwards."""
    current = await preview_apt(ctx)
    if not current.available:
        return {"target": "apt-cache", "ran": False, "reason": current.reason}
    if planned is not None:
        listed = {str(item["path"]) for item in planned.items}
        new = [str(i["path"]) for i in current.items if str(i["path"]) not in listed]
        if new:
            return {
                "target": "apt-cache",
                "ran": False,
                "reason": f"changed since the dry-run: {len(new)} new file(s) in apt's cache "
                "(is apt downloading?); preview again",
            }
    ran = await ctx.executor.run(["apt-get", "clean"], timeout=ctx.settings.command_timeout_s * 3)
    gone: list[dict[str, Any]] = []
    for item in current.items:
        try:
            await ctx.executor.stat(str(item["path"]))
        except ExecutorError as exc:
            if exc.code == "not_found":
                gone.append(item)
    freed = sum(int(item["size_bytes"]) for item in gone)
    outcome: JSON = {"target": "apt-cache", "ran": True, "files": len(gone), "bytes": freed}
    if not ran.ok:
        outcome["reason"] = f"apt-get clean failed: {_gist(ran)}"
    outcome["removed"] = gone
    return outcome


# --- journal ---------------------------------------------------------------------------


def _journal_days(older_than_days: float | None) -> float:
    return JOURNAL_DEFAULT_DAYS if older_than_days is None else older_than_days


def _archived(name: str) -> bool:
    return (name.endswith(".journal") and "@" in name) or name.endswith(".journal~")


async def preview_journal(ctx: ToolContext, older_than_days: float | None) -> CommandTarget:
    if await ctx.executor.which("journalctl") is None:
        return CommandTarget("journal", False, "journalctl is not installed (no journald)")
    days = _journal_days(older_than_days)
    target = CommandTarget(
        "journal", commands=[["journalctl", f"--vacuum-time={round(days * 86_400)}s"]]
    )
    usage = await managers.run(ctx, ["journalctl", "--disk-usage"])
    total = parse_size(usage.stdout.split("take up", 1)[-1]) if "take up" in usage.stdout else None
    cutoff = time.time() - days * 86_400
    for root in JOURNAL_DIRS:
        try:
            machines = await ctx.executor.list_dir(root)
        except ExecutorError:
            continue
        target.measure.append(root)
        for machine in (m for m in machines if m.kind == "dir"):
            try:
                entries = await ctx.executor.list_dir(machine.path)
            except ExecutorError:
                continue
            target.items += [
                {"path": e.path, "size_bytes": e.size_bytes}
                for e in entries
                if e.kind == "file" and _archived(e.name) and e.mtime < cutoff
            ]
    target.estimate_bytes = sum(int(item["size_bytes"]) for item in target.items)
    target.note = (
        f"journals take {total if total is not None else 'an unknown number of'} bytes in all; "
        f"journald removes archived files whose entries are all older than {days:g} days "
        "(estimated here from modification times)"
    )
    return target


async def run_journal(ctx: ToolContext, older_than_days: float | None) -> JSON:
    current = await preview_journal(ctx, older_than_days)
    if not current.available:
        return {"target": "journal", "ran": False, "reason": current.reason}
    if not current.items:
        return {
            "target": "journal",
            "ran": False,
            "reason": "no archived journal file is old enough",
        }
    ran = await ctx.executor.run(current.commands[0], timeout=ctx.settings.command_timeout_s * 3)
    text = ran.stdout + "\n" + ran.stderr
    freed = sum(parse_size(m) or 0 for m in re.findall(r"freed (\S+)", text))
    outcome: JSON = {"target": "journal", "ran": True, "bytes": freed}
    if not ran.ok:
        outcome["reason"] = f"journalctl failed: {_gist(ran)}"
    return outcome


# --- docker ----------------------------------------------------------------------------


def _until(older_than_days: float | None) -> list[str]:
    if older_than_days is None:
        return []
    return ["--filter", f"until={round(older_than_days * 24)}h"]


def _json_lines(text: str) -> list[dict[str, Any]]:
    rows = []
    for line in text.splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict):
            rows.append(row)
    return rows


async def preview_docker(ctx: ToolContext, older_than_days: float | None) -> CommandTarget:
    if await ctx.executor.which("docker") is None:
        return CommandTarget("docker", False, "docker is not installed on this host")
    usage = await managers.run(ctx, ["docker", "system", "df", "--format", "{{json .}}"])
    if not usage.ok:
        return CommandTarget("docker", False, f"the docker daemon is not answering: {_gist(usage)}")
    until = _until(older_than_days)
    target = CommandTarget(
        "docker",
        commands=[
            ["docker", "image", "prune", "-f", *until],
            ["docker", "builder", "prune", "-f", *until],
        ],
    )
    build_cache = 0
    for row in _json_lines(usage.stdout):
        if str(row.get("Type", "")).lower() == "build cache":
            build_cache = parse_size(str(row.get("Reclaimable", ""))) or 0
    dangling = await managers.run(
        ctx, ["docker", "image", "ls", "--filter", "dangling=true", "--format", "{{json .}}"]
    )
    for row in _json_lines(dangling.stdout):
        size = parse_size(str(row.get("Size", ""))) or 0
        target.items.append({"id": str(row.get("ID", "")), "size_bytes": size})
    target.estimate_bytes = sum(int(i["size_bytes"]) for i in target.items) + build_cache
    target.note = (
        f"dangling images plus {build_cache} bytes of reclaimable build cache (docker's estimate)"
    )
    root = await managers.run(ctx, ["docker", "info", "--format", "{{.DockerRootDir}}"])
    if root.ok and root.stdout.strip().startswith("/"):
        target.measure.append(posixpath.normpath(root.stdout.strip()))
    return target


async def run_docker(ctx: ToolContext, older_than_days: float | None) -> JSON:
    current = await preview_docker(ctx, older_than_days)
    if not current.available:
        return {"target": "docker", "ran": False, "reason": current.reason}
    freed = 0
    failures: list[str] = []
    for argv in current.commands:
        ran = await ctx.executor.run(argv, timeout=ctx.settings.command_timeout_s * 6)
        for match in re.findall(r"(?:Total reclaimed space|Total):\s*(\S+)", ran.stdout):
            freed += parse_size(match) or 0
        if not ran.ok:
            failures.append(f"{' '.join(argv[:3])}: {_gist(ran)}")
    outcome: JSON = {"target": "docker", "ran": True, "bytes": freed}
    if failures:
        outcome["reason"] = "; ".join(failures)
    return outcome
