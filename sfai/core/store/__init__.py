"""sfai's SQLite store: one file under SFAI_HOME, WAL mode, numbered migrations."""

from sfai.core.store.database import Store, open_store

__all__ = ["Store", "open_store"]
