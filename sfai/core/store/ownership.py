"""Which process a running conversation belongs to, so a killed one is not "running" forever.

A conversation records its owner as ``BOOT_ID:PID:START_TICKS`` (Linux's boot id, the
process id and its start time in clock ticks from ``/proc/PID/stat``). The pid alone is
not enough: pids are reused, and after a reboot every old pid is meaningless. When the
history is opened, a ``running`` conversation whose owner is gone is settled as
``interrupted``; one owned by a live process (another terminal's TUI) is left alone.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


@cache
def boot_id() -> str:
    try:
        return _BOOT_ID.read_text(encoding="ascii").strip()
    except OSError:
        return ""


def start_ticks(pid: int) -> str:
    """Field 22 of /proc/PID/stat (after the parenthesised name, which may hold spaces)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return ""
    fields = text.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else ""


def this_process() -> str:
    pid = os.getpid()
    return f"{boot_id()}:{pid}:{start_ticks(pid)}"


def is_alive(owner: str) -> bool:
    """Unknown owners (rows written before owners were recorded, other systems) count as
    alive: settling them would be a guess."""
    parts = owner.split(":")
    if len(parts) != 3 or not parts[0] or not parts[1].isdigit():
        return True
    boot, pid, ticks = parts
    if boot_id() and boot != boot_id():
        return False
    current = start_ticks(int(pid))
    return bool(current) and (not ticks or current == ticks)
