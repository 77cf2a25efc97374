"""The tamper-evident audit log: one SQLite file, one hash-chained row per event.

Shared by the operator's side (``sfai``, ``SFAI_HOME/audit.db``) and, later, the
``sfai-agent`` daemon for its own log, so it uses the standard library only.

What is recorded: every ``proposal`` (the model asked for an action), ``approval``,
``denial``, ``execution`` (the action started), ``result``, ``refusal`` (the policy said
no) and ``error``, with who (``actor``), where (``host``), what (``tool``, ``arguments``,
``detail``) and when (``at``, ISO 8601 UTC).

**If :meth:`AuditLog.append` raises :class:`AuditError`, the caller must refuse the
action**: nothing may run that the audit could not record. The write is durable
(``synchronous=FULL``) before ``append`` returns.

Chain format (version 1). Each row's ``hash`` is::

    sha256(canonical({"seq", "at", "kind", "actor", "host", "tool", "arguments",
                      "detail", "conversation_id", "prev_hash"})).hexdigest()

where ``canonical`` is ``json.dumps(..., sort_keys=True, separators=(",", ":"),
ensure_ascii=False)`` encoded as UTF-8 (a lone surrogate, which UTF-8 cannot hold, is
written as its ``\\udXXX`` JSON escape); ``arguments`` and ``detail`` enter as the JSON
values stored in their columns. The first row's ``prev_hash`` is 64 zeros; every other
row's is the previous row's ``hash``; ``seq`` counts from 1 without gaps. The ``anchor``
table holds the last ``seq`` and ``hash``, updated in the same transaction as the row.

What :meth:`AuditLog.verify` detects: an edited field (the row's hash no longer
matches), a deleted row (a ``seq`` gap, and the next row's ``prev_hash`` no longer
matches), rows swapped or reordered, a row inserted with a forged hash (its
``prev_hash`` does not match its predecessor), a deleted tail (the anchor names a later
record) and a row appended without the anchor (the anchor names an earlier one).

What it cannot detect: someone who can write the file can recompute every hash and the
anchor, or delete the whole file (an empty log verifies). The chain proves the log was
not changed *by accident or by someone who did not rewrite it all*; to prove more, the
anchor must leave the machine (a remote witness or a periodic signed checkpoint: future
work). Pruning old records is not supported: the first record must be #1.
"""

from __future__ import annotations

import enum
import hashlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

GENESIS_HASH = "0" * 64
SCHEMA_VERSION = 1
MAX_FIELD_CHARS = 32_000
"""An ``arguments`` or ``detail`` value larger than this (as JSON) is stored as its head,
size and SHA-256, so one huge result cannot bloat the log."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    host TEXT NOT NULL,
    tool TEXT NOT NULL,
    arguments TEXT NOT NULL,
    detail TEXT NOT NULL,
    conversation_id TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_kind ON audit (kind, seq);
CREATE TABLE IF NOT EXISTS anchor (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);
"""
_COLUMNS = "seq, at, kind, actor, host, tool, arguments, detail, conversation_id, prev_hash, hash"


class Kind(enum.StrEnum):
    PROPOSAL = "proposal"
    """The model asked for an action (tool, arguments, risk, dry-run preview)."""
    APPROVAL = "approval"
    DENIAL = "denial"
    EXECUTION = "execution"
    """The action is about to run."""
    RESULT = "result"
    REFUSAL = "refusal"
    """The policy refused the call (credential file, path outside the roots...)."""
    ERROR = "error"


class AuditError(Exception):
    """The audit log cannot be written (read-only, disk full, locked too long) or read.
    The caller must refuse the action it was about to record."""


@dataclass(frozen=True)
class AuditRecord:
    seq: int
    at: str
    kind: str
    actor: str
    host: str
    tool: str
    arguments: Any
    detail: Any
    conversation_id: str | None
    prev_hash: str
    hash: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    """Records read (all of them when ``ok``)."""
    first_bad_seq: int | None = None
    problem: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 text; lone surrogates as JSON escapes."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def record_hash(fields: dict[str, Any]) -> str:
    """The chain hash of one record's fields (see the module docstring)."""
    payload = {
        key: fields[key]
        for key in (
            "seq",
            "at",
            "kind",
            "actor",
            "host",
            "tool",
            "arguments",
            "detail",
            "conversation_id",
            "prev_hash",
        )
    }
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


def _bounded_json(value: Any) -> str:
    text = canonical_json(value)
    if len(text) <= MAX_FIELD_CHARS:
        return text
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return canonical_json(
        {"truncated": True, "chars": len(text), "sha256": digest, "head": text[:4000]}
    )


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _since_text(since: str | datetime | float | None) -> str | None:
    if since is None or isinstance(since, str):
        return since
    if isinstance(since, datetime):
        moment = since if since.tzinfo else since.replace(tzinfo=UTC)
    else:
        moment = datetime.fromtimestamp(since, UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _record(row: tuple[Any, ...]) -> AuditRecord:
    seq, at, kind, actor, host, tool, arguments, detail, conversation_id, prev, digest = row
    return AuditRecord(
        seq=seq,
        at=at,
        kind=kind,
        actor=actor,
        host=host,
        tool=tool,
        arguments=json.loads(arguments),
        detail=json.loads(detail),
        conversation_id=conversation_id,
        prev_hash=prev,
        hash=digest,
    )


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if "locked" in text or "busy" in text:
        return f"{text} (another process held the log too long)"
    return text


class AuditLog:
    """One audit file. Safe to share between threads; appends are serialised across
    processes by SQLite's write lock (``BEGIN IMMEDIATE``), waiting up to ``timeout``."""

    def __init__(self, path: Path | str, *, timeout: float = 10.0) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if not self.path.exists():
                # Created private: the log names hosts, commands and paths.
                os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
            self._db = sqlite3.connect(
                str(self.path), timeout=timeout, isolation_level=None, check_same_thread=False
            )
        except (OSError, sqlite3.Error) as exc:
            raise AuditError(f"cannot open the audit log {self.path}: {_describe(exc)}") from exc
        try:
            self._db.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            if self._db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                self._switch_to_wal(timeout)
                self._db.execute("BEGIN IMMEDIATE")
                version = self._db.execute("PRAGMA user_version").fetchone()[0]
                if version > SCHEMA_VERSION:
                    self._db.execute("ROLLBACK")
                    self._db.close()
                    raise AuditError(
                        f"{self.path} was written by a newer sfai (audit schema {version}): "
                        "upgrade sfai"
                    )
                for statement in _SCHEMA.split(";"):
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                self._db.execute("COMMIT")
            self._db.execute("PRAGMA synchronous = FULL")
        except sqlite3.Error as exc:
            self._db.close()
            raise AuditError(f"cannot open the audit log {self.path}: {_describe(exc)}") from exc

    def _switch_to_wal(self, timeout: float) -> None:
        """Changing the journal mode needs the database to itself, and SQLite answers
        "locked" at once instead of waiting (its busy handler is not used for that): when
        several processes open a new log together, retry until one has switched it."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._db.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.02)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ------------------------------------------------------------
    def append(
        self,
        kind: str,
        *,
        actor: str,
        host: str,
        tool: str = "",
        arguments: Any = None,
        detail: Any = None,
        conversation_id: str | None = None,
    ) -> AuditRecord:
        """Write one record at the end of the chain; raises :class:`AuditError` when it
        cannot (the caller then refuses the action)."""
        kind = Kind(kind).value  # ValueError on an unknown kind: a programming error
        fields: dict[str, Any] = {
            "at": "",
            "kind": kind,
            "actor": actor,
            "host": host,
            "tool": tool,
            "arguments": json.loads(_bounded_json(arguments)),
            "detail": json.loads(_bounded_json(detail)),
            "conversation_id": conversation_id,
        }
        with self._lock:
            db = self._db
            try:
                db.execute("BEGIN IMMEDIATE")
                try:
                    last_seq, prev_hash = self._tip(db)
                    fields.update(seq=last_seq + 1, at=_now(), prev_hash=prev_hash)
                    fields["hash"] = record_hash(fields)
                    db.execute(
                        f"INSERT INTO audit ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608 (fixed names)
                        (
                            fields["seq"],
                            fields["at"],
                            kind,
                            actor,
                            host,
                            tool,
                            canonical_json(fields["arguments"]),
                            canonical_json(fields["detail"]),
                            conversation_id,
                            prev_hash,
                            fields["hash"],
                        ),
                    )
                    db.execute(
                        "INSERT INTO anchor (id, seq, hash) VALUES (1, ?, ?) "
                        "ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
                        (fields["seq"], fields["hash"]),
                    )
                    db.execute("COMMIT")
                except BaseException:
                    if db.in_transaction:
                        db.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise AuditError(
                    f"cannot write to the audit log {self.path}: {_describe(exc)}"
                ) from exc
        return AuditRecord(**fields)

    @staticmethod
    def _tip(db: sqlite3.Connection) -> tuple[int, str]:
        """Where the next record chains on: the anchor, which survives a deleted tail (so
        the gap stays visible), else the last row, else the genesis."""
        anchor = db.execute("SELECT seq, hash FROM anchor WHERE id = 1").fetchone()
        if anchor is not None:
            return int(anchor[0]), str(anchor[1])
        last = db.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        if last is not None:
            return int(last[0]), str(last[1])
        return 0, GENESIS_HASH

    # -- reading ------------------------------------------------------------
    def records(
        self,
        limit: int = 20,
        since: str | datetime | float | None = None,
        kind: str | None = None,
    ) -> list[AuditRecord]:
        """The last ``limit`` records (optionally of one kind, at or after ``since``:
        ISO 8601 UTC text, a datetime or an epoch time), oldest first."""
        clauses: list[str] = []
        params: list[Any] = []
        if kind is not None:
            clauses.append("kind = ?")
            params.append(Kind(kind).value)
        since_text = _since_text(since)
        if since_text is not None:
            clauses.append("at >= ?")
            params.append(since_text)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._lock:
            try:
                rows = self._db.execute(
                    f"SELECT {_COLUMNS} FROM audit {where} ORDER BY seq DESC LIMIT ?",  # noqa: S608 (fixed clauses)
                    [*params, limit],
                ).fetchall()
            except sqlite3.Error as exc:
                raise AuditError(f"cannot read the audit log {self.path}: {exc}") from exc
        records: list[AuditRecord] = []
        for row in reversed(rows):
            try:
                records.append(_record(row))
            except ValueError as exc:  # unparsable JSON: tampered; verify() says where
                raise AuditError(
                    f"record #{row[0]} is unreadable ({exc}): run `sfai audit --verify`"
                ) from exc
        return records

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM audit").fetchone()[0])

    def verify(self) -> VerifyResult:
        """Recompute the whole chain; the first problem found stops the walk."""
        with self._lock:
            try:
                # One read transaction: a consistent snapshot while others append.
                self._db.execute("BEGIN")
                try:
                    return self._verify(self._db)
                finally:
                    self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                raise AuditError(f"cannot read the audit log {self.path}: {exc}") from exc

    @staticmethod
    def _verify(db: sqlite3.Connection) -> VerifyResult:
        checked = 0
        expected_seq, prev_hash = 1, GENESIS_HASH

        def broken(seq: int, problem: str) -> VerifyResult:
            return VerifyResult(False, checked, seq, problem)

        query = f"SELECT {_COLUMNS} FROM audit ORDER BY seq"  # noqa: S608 (fixed names)
        rows: Iterator[tuple[Any, ...]] = db.execute(query)
        for row in rows:
            seq = row[0]
            if seq != expected_seq:
                missing = (
                    f"record #{expected_seq} is missing"
                    if seq == expected_seq + 1
                    else f"records #{expected_seq} to #{seq - 1} are missing"
                )
                return broken(expected_seq, f"{missing} (deleted)")
            try:
                record = _record(row)
            except (ValueError, TypeError) as exc:
                return broken(seq, f"its arguments or detail are not valid JSON ({exc}): edited")
            if record_hash(record.as_dict()) != record.hash:
                return broken(seq, "its content does not match its hash: the record was edited")
            if record.prev_hash != prev_hash:
                before = f"record #{seq - 1}" if seq > 1 else "the start of the chain"
                return broken(
                    seq,
                    f"it does not follow {before} (prev_hash mismatch): "
                    "a record was inserted, replaced or reordered",
                )
            checked += 1
            expected_seq, prev_hash = seq + 1, record.hash
        anchor = db.execute("SELECT seq, hash FROM anchor WHERE id = 1").fetchone()
        last_seq = expected_seq - 1
        if anchor is None:
            if checked:
                return broken(last_seq, "the anchor is missing: the log was tampered with")
            return VerifyResult(True, 0)
        anchor_seq, anchor_hash = int(anchor[0]), str(anchor[1])
        if anchor_seq > last_seq:
            span = (
                f"record #{anchor_seq} is"
                if anchor_seq == last_seq + 1
                else f"records #{last_seq + 1} to #{anchor_seq} are"
            )
            return broken(last_seq + 1, f"{span} missing: the end of the log was deleted")
        if anchor_seq < last_seq:
            return broken(
                anchor_seq + 1,
                f"records after #{anchor_seq} were added without updating the anchor: forged",
            )
        if anchor_hash != prev_hash:
            return broken(last_seq, "the last record does not match the anchor: it was replaced")
        return VerifyResult(True, checked)
