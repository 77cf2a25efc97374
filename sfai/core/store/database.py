"""Opening the database: WAL, foreign keys, migrations. No connection at import time."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import sqlite_utils

from sfai.core.store.conversations import ConversationStore
from sfai.core.store.migrations import MIGRATIONS


def _migrate(connection: sqlite3.Connection) -> None:
    current = connection.execute("PRAGMA user_version").fetchone()[0]
    if current > len(MIGRATIONS):
        raise RuntimeError(
            f"this database was written by a newer sfai (schema {current}, we know {len(MIGRATIONS)}); "
            "upgrade sfai"
        )
    for number, script in enumerate(MIGRATIONS[current:], start=current + 1):
        with connection:
            connection.executescript(f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;")


class Store(ConversationStore):
    """Thin, typed access to sfai.db. Each feature adds its own methods in its own module
    (conversation history: :class:`ConversationStore`)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(str(path), timeout=10, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: a commit survives the process being killed (kill -9 loses nothing
        # already shown), only a power cut can take the last ones back; and a streamed
        # chunk costs ~0.04 ms instead of an fsync (~0.25 ms, several ms on a busy disk),
        # which at 500 tokens/s was most of the event loop's time (bench/tui_streaming.py).
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("PRAGMA foreign_keys=ON")
        connection.execute("PRAGMA busy_timeout=10000")
        _migrate(connection)
        self.path = path
        self.db = sqlite_utils.Database(connection)
        self.settle_abandoned()

    @property
    def schema_version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def close(self) -> None:
        self.db.conn.close()

    # -- disk samples -------------------------------------------------------
    def record_disk_sample(
        self,
        host: str,
        mountpoint: str,
        used_bytes: int,
        size_bytes: int,
        taken_at: float | None = None,
    ) -> None:
        self.db.table("disk_samples").insert(
            {
                "host": host,
                "mountpoint": mountpoint,
                "taken_at": time.time() if taken_at is None else taken_at,
                "used_bytes": used_bytes,
                "size_bytes": size_bytes,
            }
        )

    def disk_samples(self, host: str, mountpoint: str, since: float) -> list[tuple[float, int]]:
        rows = self.db.execute(
            "SELECT taken_at, used_bytes FROM disk_samples "
            "WHERE host = ? AND mountpoint = ? AND taken_at >= ? ORDER BY taken_at",
            [host, mountpoint, since],
        ).fetchall()
        return [(float(t), int(u)) for t, u in rows]

    def prune_disk_samples(self, older_than: float) -> None:
        self.db.execute("DELETE FROM disk_samples WHERE taken_at < ?", [older_than])


def open_store(path: Path | None = None) -> Store:
    if path is None:
        from sfai.core.paths import sfai_paths

        path = sfai_paths().database
    return Store(path)
