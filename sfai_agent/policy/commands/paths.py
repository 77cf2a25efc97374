"""Path arguments: absolute, without ``..``, and never a place sfai keeps out of.

Credential locations, other processes' views of the filesystem, sfai's own state; for
reads also devices, process memory and shell histories. The judge is pure: it checks a
path as given and records it in ``Judgement.paths``; the tool resolves each on the host
(symlinks included) and checks the result again with ``path_refusal``.
"""

from __future__ import annotations

import posixpath
import re

from sfai_agent.policy.commands.judgement import Judgement
from sfai_agent.policy.credentials import is_credential_path

NGINX_CONF_ROOT = "/etc/nginx"

READ = "read"
"""Path kind: the command prints the file's content (cat, head, grep...)."""
LIST = "list"
"""Path kind: the command lists or measures it (ls, stat, find, du, git -C...)."""
NGINX_CONF = "nginx_conf"
"""Path kind: a config nginx -t parses; must stay under /etc/nginx."""

_PROC_ESCAPE = re.compile(r"/proc/[^/]+(/task/[^/]+)?/(root|cwd|fd|fdinfo|map_files)(/|$)")
_PROC_SECRET = re.compile(r"/proc/[^/]+(/task/[^/]+)?/(environ|mem|pagemap)$|/proc/kcore$")


def normalise_path(raw: str) -> str:
    """``//etc//shadow/`` → ``/etc/shadow`` (POSIX keeps a double leading slash; we don't)."""
    return posixpath.normpath("/" + raw.lstrip("/"))


def path_refusal(path: str, kind: str) -> str | None:
    """Why ``path`` (absolute, normalised or resolved) may not be read/listed, or None."""
    if is_credential_path(path):
        return f"{path} is a credential location; sfai never reads, lists or changes those"
    if _PROC_ESCAPE.match(path):
        return f"{path} leads into another process's view of the filesystem"
    if kind in (READ, NGINX_CONF):
        if path == "/dev" or path.startswith("/dev/"):
            return f"{path} is a device: raw disks and endless streams are not read"
        if _PROC_SECRET.match(path):
            return f"{path} holds process memory or environment (secrets)"
    if kind == NGINX_CONF and not (
        path == NGINX_CONF_ROOT or path.startswith(NGINX_CONF_ROOT + "/")
    ):
        return (
            f"nginx -c {path}: only configs under {NGINX_CONF_ROOT} are tested "
            "(a config from elsewhere could load modules, which runs code)"
        )
    return None


def check_path(j: Judgement, raw: str, kind: str) -> None:
    """The judge's half of the path rules; the tool re-checks the resolved path."""
    if raw == "":
        j.refuse("an empty path")
    if not raw.startswith("/"):
        j.refuse(
            f"{raw!r} is not an absolute path: the working directory on the host is unknown, "
            "so give a full path such as /var/log/syslog"
        )
    if ".." in raw.split("/"):
        j.refuse(f"{raw}: '..' is not allowed in paths; give the path it leads to")
    path = normalise_path(raw)
    reason = path_refusal(path, kind)
    if reason is not None:
        j.refuse(reason)
    j.paths.append((path, kind))


def read_paths(j: Judgement, operands: list[str]) -> None:
    for operand in operands:
        if operand != "-":  # stdin: empty, the tool gives none
            check_path(j, operand, READ)


def list_paths(j: Judgement, operands: list[str]) -> None:
    if not operands:
        j.refuse(
            f"{j.program} without a path works on the host's working directory, which is "
            "unknown: give an absolute path"
        )
    for operand in operands:
        check_path(j, operand, LIST)


def read_path_value(j: Judgement, value: str) -> None:
    check_path(j, value, READ)


def list_path_value(j: Judgement, value: str) -> None:
    check_path(j, value, LIST)
