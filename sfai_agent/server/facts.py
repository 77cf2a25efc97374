"""Host facts for ``hello``: read once at start (they do not change while the agent runs)."""

from __future__ import annotations

import os
import platform
import socket
from datetime import UTC, datetime
from pathlib import Path

from sfai_agent.server.protocol import HostFacts


def _os_name(os_release: Path = Path("/etc/os-release")) -> str:
    try:
        text = os_release.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return platform.system()
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "PRETTY_NAME":
            return value.strip().strip('"').strip("'") or platform.system()
    return platform.system()


def _boot_time() -> str:
    try:
        import psutil

        booted = datetime.fromtimestamp(psutil.boot_time(), UTC)
    except (ImportError, OSError):  # pragma: no cover - psutil is a dependency
        return ""
    return booted.isoformat(timespec="seconds").replace("+00:00", "Z")


def host_facts() -> HostFacts:
    return HostFacts(
        hostname=socket.gethostname(),
        os=_os_name(),
        kernel=platform.release(),
        arch=platform.machine(),
        cpus=os.cpu_count() or 1,
        boot_time=_boot_time(),
    )
