"""Credential locations no tool ever reads, lists or changes.

The list is deliberately broad: a false refusal costs a sentence of explanation,
a leaked key costs a server.
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
import re

CREDENTIAL_DIRS: tuple[str, ...] = (
    "/etc/ssl/private",
    "/etc/letsencrypt/archive",
    "/etc/letsencrypt/keys",
    "/etc/letsencrypt/accounts",
    "/etc/sfai-agent",
    "/root/.ssh",
    "/root/.gnupg",
    "/root/.aws",
    "/root/.config/gcloud",
    "/root/.kube",
    "/root/.docker",
)
CREDENTIAL_FILES: tuple[str, ...] = (
    "/etc/shadow",
    "/etc/shadow-",
    "/etc/gshadow",
    "/etc/gshadow-",
    "/etc/sudoers",
    "/etc/ssh/ssh_host_*_key",
    "/etc/security/opasswd",
    "/etc/mysql/debian.cnf",
    "/etc/pam.d/*.secret",
)
CREDENTIAL_PATH_PARTS: tuple[str, ...] = (".ssh", ".gnupg", ".aws", ".kube", ".docker", ".azure")
CREDENTIAL_NAME_GLOBS: tuple[str, ...] = (
    "*.key",
    "*.pem",
    "*.p12",
    "*.pfx",
    "*.jks",
    "*.keystore",
    "id_rsa*",
    "id_ed25519*",
    "id_ecdsa*",
    "id_dsa*",
    ".env",
    ".env.*",
    "*.env",
    ".netrc",
    ".pgpass",
    ".my.cnf",
    ".git-credentials",
    "credentials",
    "credentials.json",
    "service-account*.json",
    "*.kdbx",
    "htpasswd",
    ".htpasswd",
    "privkey*",
    # Shell and client histories hold passwords typed on command lines.
    "*_history",
    ".histfile",
    ".viminfo",
    "debian.cnf",
)
_SFAI_STATE = re.compile(r".*/\.(config|local/share|local/state|cache)/sfai(-agent)?(/.*)?")
"""sfai's own config, database and keys in any user's platform directories."""


def _own_dirs() -> list[str]:
    """sfai's and the agent's own homes: keys, tokens, config with API keys, history."""
    dirs = [os.environ.get("SFAI_HOME", ""), os.environ.get("SFAI_AGENT_HOME", "")]
    return [posixpath.normpath(d) for d in dirs if d]


def is_credential_path(path: str) -> bool:
    """True when ``path`` (already resolved, absolute) names a credential or sits under one."""
    normalized = posixpath.normpath(path)
    for directory in (*CREDENTIAL_DIRS, *_own_dirs()):
        if normalized == directory or normalized.startswith(directory + "/"):
            return True
    if any(fnmatch.fnmatchcase(normalized, pattern) for pattern in CREDENTIAL_FILES):
        return True
    if _SFAI_STATE.fullmatch(normalized):
        return True
    parts = normalized.split("/")
    if any(part in CREDENTIAL_PATH_PARTS for part in parts):
        return True
    name = parts[-1]
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in CREDENTIAL_NAME_GLOBS)
