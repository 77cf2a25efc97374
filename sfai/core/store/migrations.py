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
    # 2: conversation history (issue 3): conversations, messages, tool calls, usage,
    # instrumentation events, and full-text search over message text and titles.
    #
    # Times are UTC epoch seconds (REAL). JSON columns hold JSON text.
    # ``conversations.num`` is the stable integer rowid the title index points at; ``id``
    # (12 hex characters) is what people and other tables use.
    # The message index is external-content FTS5 kept in sync by triggers, which skip
    # messages while they are ``streaming``: append_text (one UPDATE per streamed chunk)
    # costs no index work, and the text is indexed once, when the message is settled.
    """
    CREATE TABLE conversations (
        num INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        title TEXT NOT NULL,
        host TEXT NOT NULL,
        provider TEXT NOT NULL,
        model TEXT NOT NULL,
        mode TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE INDEX conversations_recent ON conversations (updated_at);

    CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        role TEXT NOT NULL,
        content TEXT NOT NULL DEFAULT '[]',
        text TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL,
        created_at REAL NOT NULL,
        UNIQUE (conversation_id, seq)
    );
    CREATE INDEX messages_streaming ON messages (conversation_id) WHERE status = 'streaming';

    CREATE TABLE tool_calls (
        id INTEGER PRIMARY KEY,
        conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        tool_use_id TEXT NOT NULL,
        name TEXT NOT NULL,
        arguments TEXT NOT NULL,
        risk TEXT NOT NULL,
        result TEXT,
        ok INTEGER,
        duration_s REAL,
        cached INTEGER NOT NULL DEFAULT 0,
        created_at REAL NOT NULL,
        finished_at REAL,
        UNIQUE (conversation_id, tool_use_id)
    );

    CREATE TABLE usage (
        id INTEGER PRIMARY KEY,
        conversation_id TEXT REFERENCES conversations (id) ON DELETE SET NULL,
        provider TEXT NOT NULL,
        model TEXT NOT NULL,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        cache_read_tokens INTEGER NOT NULL,
        cache_write_tokens INTEGER NOT NULL,
        cost_usd REAL NOT NULL,
        requests INTEGER NOT NULL,
        recorded_at REAL NOT NULL
    );
    CREATE INDEX usage_conversation ON usage (conversation_id);
    CREATE INDEX usage_recorded ON usage (recorded_at);

    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        conversation_id TEXT REFERENCES conversations (id) ON DELETE SET NULL,
        data TEXT NOT NULL DEFAULT '{}',
        created_at REAL NOT NULL
    );
    CREATE INDEX events_name ON events (name, created_at);
    CREATE INDEX events_conversation ON events (conversation_id);

    CREATE VIRTUAL TABLE messages_fts USING fts5 (
        text, content = 'messages', content_rowid = 'id',
        tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages
    WHEN new.status != 'streaming' BEGIN
        INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
    END;
    CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
    WHEN old.status != 'streaming' BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
    END;
    CREATE TRIGGER messages_fts_update AFTER UPDATE OF text, status ON messages
    WHEN old.status != 'streaming' OR new.status != 'streaming' BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, text)
            SELECT 'delete', old.id, old.text WHERE old.status != 'streaming';
        INSERT INTO messages_fts (rowid, text)
            SELECT new.id, new.text WHERE new.status != 'streaming';
    END;

    CREATE VIRTUAL TABLE conversations_fts USING fts5 (
        title, content = 'conversations', content_rowid = 'num',
        tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER conversations_fts_insert AFTER INSERT ON conversations BEGIN
        INSERT INTO conversations_fts (rowid, title) VALUES (new.num, new.title);
    END;
    CREATE TRIGGER conversations_fts_delete AFTER DELETE ON conversations BEGIN
        INSERT INTO conversations_fts (conversations_fts, rowid, title)
            VALUES ('delete', old.num, old.title);
    END;
    CREATE TRIGGER conversations_fts_update AFTER UPDATE OF title ON conversations BEGIN
        INSERT INTO conversations_fts (conversations_fts, rowid, title)
            VALUES ('delete', old.num, old.title);
        INSERT INTO conversations_fts (rowid, title) VALUES (new.num, new.title);
    END;
    """,
    # 3: the process that owns a running conversation (sfai.core.store.ownership), so one
    # whose process was killed is settled as interrupted instead of staying "running".
    """
    ALTER TABLE conversations ADD COLUMN owner TEXT NOT NULL DEFAULT '';
    """,
]
