"""Conversation history: conversations, messages, tool calls, usage, events, search.

Mixed into :class:`sfai.core.store.Store`. Times are stored as UTC epoch seconds and
returned as ISO 8601 UTC. Deleting a conversation deletes its messages, tool calls and
usage; its instrumentation events are kept (counts stay right) but lose the link.

``append_text`` is the hot path (one call per streamed chunk): a single UPDATE in
autocommit, so a process killed mid-answer loses nothing it had already streamed.
"""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sfai.core.store.ownership import is_alive, this_process

if TYPE_CHECKING:
    import sqlite_utils

    from sfai.core.events import Usage

CONVERSATION_STATUSES = frozenset(
    {"running", "ok", "max_steps", "error", "interrupted", "approval_needed", "rate_limited"}
)
EVENT_NAMES = frozenset(
    {
        "ai.conversation.started",
        "ai.diagnostic.completed",
        "ai.action.suggested",
        "ai.action.approved",
        "ai.action.executed",
        "ai.action.success",
        "ai.action.failed",
        "ai.conversation.escalated_to_support",
    }
)
"""The instrumentation events the engine records; other dotted names are accepted too."""
INTERRUPTED_RESULT = "interrupted before a result"
MIN_PREFIX = 4
TITLE_MAX = 200
USAGE_FIELDS = (
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "cost_usd",
    "requests",
)
_EVENT_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
_HEX = re.compile(r"^[0-9a-f]+$")


def iso(timestamp: float | None) -> str | None:
    """``2026-11-24T10:00:00Z`` for an epoch time."""
    if timestamp is None:
        return None
    moment = datetime.fromtimestamp(timestamp, UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def fts_terms(text: str) -> list[tuple[str, str]]:
    """User text as FTS5 terms that cannot be a syntax error: ``(term, word)`` pairs, each
    word a quoted phrase, a trailing ``*`` kept as a prefix search; no-word tokens dropped."""
    terms = []
    for raw in text.split():
        word = raw.rstrip("*")
        if not any(char.isalnum() for char in word):
            continue
        term = '"' + word.replace('"', '""') + '"'
        terms.append((term + "*" if raw.endswith("*") else term, word))
    return terms


def fts_query(text: str) -> str | None:
    """Every word of ``text`` (see :func:`fts_terms`) as one FTS5 query; None if no word."""
    return " ".join(term for term, _word in fts_terms(text)) or None


def repair_transcript(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Make a stored transcript valid for the Anthropic Messages API.

    Every ``tool_use`` gets a ``tool_result`` first thing in the next user message (a
    synthetic error result when the process died before the real one); results that
    answer no pending call and empty messages are dropped; consecutive messages of one
    role are merged.
    """
    out: list[dict[str, Any]] = []
    pending: list[str] = []
    for message in messages:
        role, blocks = message["role"], list(message["content"])
        if role == "user":
            answered: dict[str, dict[str, Any]] = {}
            for block in blocks:
                if block.get("type") == "tool_result" and block.get("tool_use_id") in pending:
                    answered.setdefault(block["tool_use_id"], block)
            results = [answered.get(use_id) or _interrupted(use_id) for use_id in pending]
            blocks = results + [b for b in blocks if b.get("type") != "tool_result"]
            pending = []
        else:
            if pending:  # calls never answered, then the model spoke again
                out.append({"role": "user", "content": [_interrupted(i) for i in pending]})
            pending = [b["id"] for b in blocks if b.get("type") == "tool_use" and "id" in b]
        if not blocks:
            continue
        if out and out[-1]["role"] == role:
            out[-1]["content"].extend(blocks)
        else:
            out.append({"role": role, "content": blocks})
    if pending:
        out.append({"role": "user", "content": [_interrupted(use_id) for use_id in pending]})
    return out


def _interrupted(tool_use_id: str) -> dict[str, Any]:
    return {
        "type": "tool_result",
        "tool_use_id": tool_use_id,
        "content": INTERRUPTED_RESULT,
        "is_error": True,
    }


def _plain_text(content: list[dict[str, Any]]) -> str:
    return "\n\n".join(
        str(block.get("text", "")) for block in content if block.get("type") == "text"
    ).strip()


def _title(title: str) -> str:
    title = " ".join(title.split())
    return title if len(title) <= TITLE_MAX else title[: TITLE_MAX - 1].rstrip() + "…"


def _usage_totals(row: dict[str, Any] | None) -> dict[str, Any]:
    row = row or {}
    totals: dict[str, Any] = {name: int(row.get(name) or 0) for name in USAGE_FIELDS}
    totals["cost_usd"] = round(float(row.get("cost_usd") or 0.0), 6)
    return totals


_SUMMARY = (
    "SELECT c.id, c.title, c.host, c.provider, c.model, c.mode, c.status, c.created_at, "
    "c.updated_at, (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id) AS messages, "
    "(SELECT text FROM messages m WHERE m.conversation_id = c.id AND m.role = 'user' "
    "AND m.text != '' ORDER BY seq LIMIT 1) AS first_question FROM conversations c "
)


def _mentions(body: str, word: str) -> bool:
    """Substring search for text not indexed yet: roughly what the FTS tokenizer does."""
    folded = body.casefold()
    return all(part in folded for part in re.findall(r"\w+", word.casefold()))


def _snippet(body: str, word: str, mark: tuple[str, str]) -> str:
    parts = re.findall(r"\w+", word.casefold()) or [""]
    at = max(0, body.casefold().find(parts[0]))
    begin, stop = max(0, at - 60), at + len(parts[0])
    snippet = f"{body[begin:at]}{mark[0]}{body[at:stop]}{mark[1]}{body[stop : stop + 80]}"
    return ("…" if begin else "") + " ".join(snippet.split())


class ConversationStore:
    """The history half of :class:`Store`; needs ``self.db`` (a sqlite-utils Database
    over a connection in autocommit mode)."""

    db: sqlite_utils.Database

    @property
    def _conn(self) -> sqlite3.Connection:
        return self.db.conn

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        connection = self._conn
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield connection
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    def _touch(self, connection: sqlite3.Connection, conversation_id: str, now: float) -> None:
        connection.execute(
            "UPDATE conversations SET updated_at = ? WHERE id = ?", (now, conversation_id)
        )

    # -- writing ------------------------------------------------------------
    def create_conversation(
        self, *, host: str, provider: str, model: str, mode: str, title: str
    ) -> str:
        """A new conversation in status ``running``; returns its id (12 hex characters)."""
        now = time.time()
        for _attempt in range(8):
            conversation_id = secrets.token_hex(6)
            try:
                self._conn.execute(
                    "INSERT INTO conversations (id, title, host, provider, model, mode, status, "
                    "created_at, updated_at, owner) VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?, ?)",
                    (
                        conversation_id,
                        _title(title),
                        host,
                        provider,
                        model,
                        mode,
                        now,
                        now,
                        this_process(),
                    ),
                )
            except sqlite3.IntegrityError:
                continue
            return conversation_id
        raise RuntimeError("could not allocate a conversation id")

    def settle_abandoned(self) -> list[str]:
        """Mark ``interrupted`` the running conversations whose process is gone (killed,
        crashed, rebooted); their streaming messages keep what was received. Returns
        their ids."""
        rows = self._conn.execute(
            "SELECT id, owner FROM conversations WHERE status = 'running'"
        ).fetchall()
        gone = [conversation_id for conversation_id, owner in rows if not is_alive(owner)]
        for conversation_id in gone:
            self._conn.execute(
                "UPDATE conversations SET status = 'interrupted' "
                "WHERE id = ? AND status = 'running'",
                (conversation_id,),
            )
        return gone

    def claim(self, conversation_id: str) -> None:
        """This process now drives the conversation (``--continue`` of an older one)."""
        self._conn.execute(
            "UPDATE conversations SET owner = ? WHERE id = ?", (this_process(), conversation_id)
        )

    def set_conversation_status(self, conversation_id: str, status: str) -> None:
        if status not in CONVERSATION_STATUSES:
            raise ValueError(f"unknown conversation status {status!r}")
        self._conn.execute(
            "UPDATE conversations SET status = ?, updated_at = ? WHERE id = ?",
            (status, time.time(), conversation_id),
        )

    def add_message(
        self,
        conversation_id: str,
        role: str,
        content: list[dict[str, Any]],
        *,
        text: str = "",
        status: str = "complete",
    ) -> int:
        """Append a message; ``text`` is what search sees (default: the text blocks)."""
        now = time.time()
        with self._transaction() as connection:
            cursor = connection.execute(
                "INSERT INTO messages (conversation_id, seq, role, content, text, status, "
                "created_at) SELECT ?, COALESCE(MAX(seq), 0) + 1, ?, ?, ?, ?, ? "
                "FROM messages WHERE conversation_id = ?",
                (
                    conversation_id,
                    role,
                    json.dumps(content, ensure_ascii=False),
                    text or _plain_text(content),
                    status,
                    now,
                    conversation_id,
                ),
            )
            self._touch(connection, conversation_id, now)
        return int(cursor.lastrowid or 0)

    def start_assistant_message(self, conversation_id: str) -> int:
        """An empty assistant message in status ``streaming``, for append_text."""
        return self.add_message(conversation_id, "assistant", [], status="streaming")

    def append_text(self, message_id: int, delta: str) -> None:
        """Append streamed text; committed before returning (one UPDATE, autocommit)."""
        self._conn.execute("UPDATE messages SET text = text || ? WHERE id = ?", (delta, message_id))

    def finish_message(
        self, message_id: int, content: list[dict[str, Any]], status: str = "complete"
    ) -> None:
        """Settle a streamed message: its final content blocks, and it becomes searchable.

        The searchable text becomes the content's text blocks; with no text block (a
        turn that only called tools, or an interruption recorded with ``[]``) the
        streamed text is kept.
        """
        text = _plain_text(content)
        now = time.time()
        with self._transaction() as connection:
            connection.execute(
                "UPDATE messages SET content = ?, status = ?, "
                "text = CASE WHEN ? != '' THEN ? ELSE text END WHERE id = ?",
                (json.dumps(content, ensure_ascii=False), status, text, text, message_id),
            )
            connection.execute(
                "UPDATE conversations SET updated_at = ? "
                "WHERE id = (SELECT conversation_id FROM messages WHERE id = ?)",
                (now, message_id),
            )

    def record_tool_call(
        self,
        conversation_id: str,
        tool_use_id: str,
        name: str,
        arguments: dict[str, Any],
        risk: str,
    ) -> None:
        now = time.time()
        with self._transaction() as connection:
            connection.execute(
                "INSERT INTO tool_calls (conversation_id, tool_use_id, name, arguments, risk, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (conversation_id, tool_use_id) DO UPDATE SET "
                "name = excluded.name, arguments = excluded.arguments, risk = excluded.risk",
                (
                    conversation_id,
                    tool_use_id,
                    name,
                    json.dumps(arguments, ensure_ascii=False),
                    risk,
                    now,
                ),
            )
            self._touch(connection, conversation_id, now)

    def record_tool_result(
        self,
        conversation_id: str,
        tool_use_id: str,
        result: dict[str, Any],
        ok: bool,
        duration_s: float,
        cached: bool,
    ) -> None:
        """The result of a recorded call (a result with no recorded call is kept too)."""
        now = time.time()
        values = (json.dumps(result, ensure_ascii=False, default=str), ok, duration_s, cached, now)
        with self._transaction() as connection:
            cursor = connection.execute(
                "UPDATE tool_calls SET result = ?, ok = ?, duration_s = ?, cached = ?, "
                "finished_at = ? WHERE conversation_id = ? AND tool_use_id = ?",
                (*values, conversation_id, tool_use_id),
            )
            if cursor.rowcount == 0:
                connection.execute(
                    "INSERT INTO tool_calls (result, ok, duration_s, cached, finished_at, "
                    "conversation_id, tool_use_id, name, arguments, risk, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, '', '{}', '', ?)",
                    (*values, conversation_id, tool_use_id, now),
                )
            self._touch(connection, conversation_id, now)

    def record_usage(self, conversation_id: str, provider: str, model: str, usage: Usage) -> None:
        now = time.time()
        counts = [getattr(usage, name) for name in USAGE_FIELDS]
        with self._transaction() as connection:
            connection.execute(
                "INSERT INTO usage (conversation_id, provider, model, input_tokens, output_tokens, "
                "cache_read_tokens, cache_write_tokens, cost_usd, requests, recorded_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (conversation_id, provider, model, *counts, now),
            )
            self._touch(connection, conversation_id, now)

    def record_event(self, name: str, conversation_id: str | None, data: dict[str, Any]) -> None:
        """An instrumentation event (see EVENT_NAMES); ``name`` must be dotted lowercase."""
        if not _EVENT_NAME.match(name):
            raise ValueError(f"event names are dotted lowercase (ai.action.approved): {name!r}")
        self._conn.execute(
            "INSERT INTO events (name, conversation_id, data, created_at) VALUES (?, ?, ?, ?)",
            (name, conversation_id, json.dumps(data, ensure_ascii=False, default=str), time.time()),
        )

    def delete_conversation(self, conversation_id: str) -> bool:
        """Delete a conversation with its messages and tool calls. Its usage rows and events
        stay, unlinked: money spent stays spent for `sfai usage` and the daily quota.
        False if there was no such conversation."""
        with self._transaction() as connection:
            for table in ("messages", "tool_calls"):
                connection.execute(
                    f"DELETE FROM {table} WHERE conversation_id = ?",  # noqa: S608 (fixed names)
                    (conversation_id,),
                )
            for table in ("events", "usage"):
                connection.execute(
                    f"UPDATE {table} SET conversation_id = NULL WHERE conversation_id = ?",  # noqa: S608
                    (conversation_id,),
                )
            cursor = connection.execute(
                "DELETE FROM conversations WHERE id = ?", (conversation_id,)
            )
        return cursor.rowcount > 0

    # -- reading ------------------------------------------------------------
    def load_messages(self, conversation_id: str) -> list[dict[str, Any]]:
        """``[{"role", "content"}]`` in order, ready to send again (``--continue``).

        A message cut off mid-stream comes back as the text streamed so far; see
        :func:`repair_transcript` for what else is made valid.
        """
        messages = []
        for row in self.db.query(
            "SELECT role, content, text FROM messages WHERE conversation_id = ? "
            "AND role IN ('user', 'assistant') ORDER BY seq",
            [conversation_id],
        ):
            blocks = [
                block
                for block in json.loads(row["content"])
                if block.get("type") != "text" or str(block.get("text", "")).strip()
            ]
            if not blocks and row["text"].strip():
                blocks = [{"type": "text", "text": row["text"]}]
            messages.append({"role": row["role"], "content": blocks})
        return repair_transcript(messages)

    def latest_conversation_id(self) -> str | None:
        """The conversation most recently written to."""
        row = self._conn.execute(
            "SELECT id FROM conversations ORDER BY updated_at DESC, num DESC LIMIT 1"
        ).fetchone()
        return str(row[0]) if row else None

    def resolve_conversation_id(self, prefix: str) -> str | None:
        """The one conversation whose id starts with ``prefix`` (at least 4 characters)."""
        matches = self.conversation_ids_with_prefix(prefix, limit=2)
        return matches[0] if len(matches) == 1 else None

    def conversation_ids_with_prefix(self, prefix: str, limit: int = 10) -> list[str]:
        """Ids starting with ``prefix`` (case-insensitive, >= 4 characters), sorted."""
        prefix = prefix.strip().lower()
        if len(prefix) < MIN_PREFIX or not _HEX.match(prefix):
            return []
        rows = self._conn.execute(
            "SELECT id FROM conversations WHERE id >= ? AND id < ? ORDER BY id LIMIT ?",
            (prefix, prefix + "g", limit),
        ).fetchall()
        return [str(row[0]) for row in rows]

    def get_conversation(self, conversation_id: str) -> dict[str, Any] | None:
        """Everything about one conversation: summary, messages, tool calls, usage, events."""
        summaries = self._summaries("WHERE c.id = ?", [conversation_id])
        if not summaries:
            return None
        conversation = summaries[0]
        conversation["messages"] = [
            {
                "id": row["id"],
                "seq": row["seq"],
                "role": row["role"],
                "status": row["status"],
                "text": row["text"],
                "content": json.loads(row["content"]),
                "created_at": iso(row["created_at"]),
            }
            for row in self.db.query(
                "SELECT * FROM messages WHERE conversation_id = ? ORDER BY seq", [conversation_id]
            )
        ]
        conversation["tool_calls"] = [
            {
                "tool_use_id": row["tool_use_id"],
                "name": row["name"],
                "arguments": json.loads(row["arguments"]),
                "risk": row["risk"],
                "result": None if row["result"] is None else json.loads(row["result"]),
                "ok": None if row["ok"] is None else bool(row["ok"]),
                "duration_s": row["duration_s"],
                "cached": bool(row["cached"]),
                "created_at": iso(row["created_at"]),
            }
            for row in self.db.query(
                "SELECT * FROM tool_calls WHERE conversation_id = ? ORDER BY id", [conversation_id]
            )
        ]
        conversation["events"] = [
            {"name": row["name"], "data": json.loads(row["data"]), "at": iso(row["created_at"])}
            for row in self.db.query(
                "SELECT * FROM events WHERE conversation_id = ? ORDER BY id", [conversation_id]
            )
        ]
        return conversation

    def list_conversations(self, limit: int = 20) -> list[dict[str, Any]]:
        """Most recently active first, with message count and usage totals."""
        return self._summaries("ORDER BY c.updated_at DESC, c.num DESC LIMIT ?", [limit])

    def search_conversations(
        self, text: str, limit: int = 20, *, mark: tuple[str, str] = ("**", "**")
    ) -> list[dict[str, Any]]:
        """Conversations that mention every word of ``text`` somewhere (a question, an
        answer, the title), most recently active first, each with ``snippet`` (the best
        matching message or title, matches between ``mark``) and ``matched`` (``message``
        or ``title``). Any text is safe: words are quoted; ``word*`` searches a prefix.
        Messages still streaming (or cut off by a killed process) are not indexed yet:
        they are matched by substring."""
        terms = fts_terms(text)
        if not terms:
            return []
        streaming: dict[str, str] = {}
        for conversation_id, body in self._conn.execute(
            "SELECT conversation_id, text FROM messages WHERE status = 'streaming'"
        ):
            streaming[conversation_id] = streaming.get(conversation_id, "") + "\n" + body
        matching: set[str] | None = None
        for term, word in terms:
            ids = {
                str(row[0])
                for row in self._conn.execute(
                    "SELECT m.conversation_id FROM messages_fts JOIN messages m "
                    "ON m.id = messages_fts.rowid WHERE messages_fts MATCH ? UNION "
                    "SELECT c.id FROM conversations_fts JOIN conversations c "
                    "ON c.num = conversations_fts.rowid WHERE conversations_fts MATCH ?",
                    (term, term),
                )
            }
            ids |= {cid for cid, body in streaming.items() if _mentions(body, word)}
            matching = ids if matching is None else matching & ids
            if not matching:
                return []
        results = self._summaries(
            "WHERE c.id IN (SELECT value FROM json_each(?)) "
            "ORDER BY c.updated_at DESC, c.num DESC LIMIT ?",
            [json.dumps(sorted(matching or ())), limit],
        )
        # Snippets only for the conversations shown: the best-ranked match in each.
        best: dict[str, tuple[float, str, str]] = {}
        shown = {
            "query": " OR ".join(term for term, _word in terms),
            "ids": json.dumps([result["id"] for result in results]),
        }
        for conversation_id, rank, snippet, matched in self._conn.execute(
            "SELECT m.conversation_id, bm25(messages_fts), "
            "snippet(messages_fts, 0, :start, :end, '…', 16), 'message' FROM messages_fts "
            "JOIN messages m ON m.id = messages_fts.rowid WHERE messages_fts MATCH :query "
            "AND m.conversation_id IN (SELECT value FROM json_each(:ids)) "
            "UNION ALL SELECT c.id, bm25(conversations_fts), "
            "snippet(conversations_fts, 0, :start, :end, '…', 16), 'title' "
            "FROM conversations_fts JOIN conversations c ON c.num = conversations_fts.rowid "
            "WHERE conversations_fts MATCH :query AND c.id IN (SELECT value FROM json_each(:ids))",
            {**shown, "start": mark[0], "end": mark[1]},
        ):
            if conversation_id not in best or rank < best[conversation_id][0]:
                best[conversation_id] = (rank, snippet, matched)
        for result in results:
            if result["id"] in best:
                _rank, result["snippet"], result["matched"] = best[result["id"]]
            else:
                body = streaming[result["id"]]
                result["snippet"], result["matched"] = _snippet(body, terms[0][1], mark), "message"
        return results

    # -- helpers ------------------------------------------------------------
    def _summaries(self, clause: str, params: list[Any]) -> list[dict[str, Any]]:
        rows = list(self.db.query(_SUMMARY + clause, params))
        if not rows:
            return []
        ids = [row["id"] for row in rows]
        usage = {
            row["conversation_id"]: row
            for row in self.db.query(
                "SELECT conversation_id, SUM(input_tokens) AS input_tokens, "
                "SUM(output_tokens) AS output_tokens, SUM(cache_read_tokens) AS cache_read_tokens, "
                "SUM(cache_write_tokens) AS cache_write_tokens, SUM(cost_usd) AS cost_usd, "
                "SUM(requests) AS requests FROM usage "
                "WHERE conversation_id IN (SELECT value FROM json_each(?)) "
                "GROUP BY conversation_id",
                [json.dumps(ids)],
            )
        }
        summaries = []
        for row in rows:
            first_question = row.pop("first_question")
            summary: dict[str, Any] = dict(row)
            summary["title"] = row["title"] or _title(first_question or "")
            summary["created_at"] = iso(row["created_at"])
            summary["updated_at"] = iso(row["updated_at"])
            summary["usage"] = _usage_totals(usage.get(row["id"]))
            summaries.append(summary)
        return summaries
