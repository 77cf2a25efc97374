"""Path rules: resolve first (symlinks, ``..``), then require the result under an allowed root."""

from __future__ import annotations

import posixpath

from sfai_agent.exec.base import Executor, ExecutorError
from sfai_agent.policy.credentials import is_credential_path
from sfai_agent.tools.base import ToolError


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def check_absolute(path: object, what: str = "path") -> str:
    if not isinstance(path, str) or not path:
        raise ToolError("invalid_argument", f"{what} must be a non-empty string")
    if "\x00" in path or any(ord(ch) < 32 for ch in path):
        raise ToolError("invalid_argument", f"{what} contains control characters")
    if not path.startswith("/"):
        raise ToolError(
            "invalid_argument",
            f"{what} {path!r} is not absolute",
            "give a full path such as /var/log/syslog",
        )
    return path


async def resolve_under_roots(
    executor: Executor, path: object, roots: tuple[str, ...], *, what: str = "path"
) -> str:
    """The resolved path, if it stays under one of ``roots`` and is no credential file."""
    raw = check_absolute(path, what)
    resolved = await executor.realpath(raw)
    resolved_roots = [await executor.realpath(root) for root in roots]
    if is_credential_path(resolved) or is_credential_path(posixpath.normpath(raw)):
        raise ToolError(
            "refused_by_policy",
            f"{raw} is a credential location; sfai never reads, lists or changes those",
        )
    if not any(_under(resolved, root) for root in resolved_roots):
        shown = raw if resolved == posixpath.normpath(raw) else f"{raw} (resolves to {resolved})"
        raise ToolError(
            "refused_by_policy",
            f"{shown} is outside the allowed roots: {', '.join(roots)}",
            "add the directory to [tools] log_roots in sfai's config if it should be readable",
        )
    await refuse_hard_links(executor, resolved, raw)
    return resolved


async def refuse_hard_links(executor: Executor, resolved: str, shown: str) -> None:
    """Credential rules judge names; a second name for the same inode (``ln /etc/shadow
    /var/log/auth.log``) would slip past them. Logs and configs are not hard-linked in
    practice, so a regular file with several links is refused rather than compared with
    every credential file there is."""
    try:
        info = await executor.stat(resolved, follow_symlinks=True)
    except ExecutorError:
        return  # the read itself reports a missing file the usual way
    if info.kind == "file" and info.links > 1:
        raise ToolError(
            "refused_by_policy",
            f"{shown} has {info.links} hard links; sfai does not read hard-linked files, "
            "since another name for the same file may be a credential file",
            "read the file by a path that is its only name, or remove the extra link",
        )
