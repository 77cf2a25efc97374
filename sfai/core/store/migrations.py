"""Numbered schema migrations, applied in order; ``PRAGMA user_version`` records the last.

Never edit a released migration: append a new one.
"""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: disk usage samples, for `sfai check`'s fill-rate estimate.
    """
    CREATE TABLE disk_samples (
        id INTEGER PRIMARY KEY,
        host TEXT NOT NULL,
        mountpoint TEXT NOT NULL,
        taken_at REAL NOT NULL,
        used_bytes INTEGER NOT NULL,
        size_bytes INTEGER NOT NULL
    );
    CREATE INDEX disk_samples_lookup ON disk_samples (host, mountpoint, taken_at);
    """,
]
