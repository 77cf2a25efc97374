"""The hash-chained audit log on real SQLite files, tampered with by plain ``sqlite3``."""

from __future__ import annotations

import hashlib
import itertools
import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sfai.core.audit import AUDIT_FILE, AuditTrail, audit_path, local_actor, open_audit, outcome
from sfai_agent.audit import (
    GENESIS_HASH,
    MAX_FIELD_CHARS,
    AuditError,
    AuditLog,
    AuditRecord,
    Kind,
    canonical_json,
    record_hash,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "audit.db"


@pytest.fixture
def log(log_path: Path) -> Iterator[AuditLog]:
    audit = AuditLog(log_path)
    yield audit
    audit.close()


def fill(log: AuditLog, count: int = 5) -> list[AuditRecord]:
    """A realistic sequence: proposal, approval, execution, result, then more proposals."""
    kinds = ["proposal", "approval", "execution", "result"]
    return [
        log.append(
            kinds[index] if index < len(kinds) else "proposal",
            actor="model:claude" if index == 0 else "user:alice",
            host="web1",
            tool="restart_service",
            arguments={"service": f"nginx{index}"},
            detail={"ok": True, "summary": f"step {index}"},
            conversation_id="0123456789ab",
        )
        for index in range(count)
    ]


def tamper(path: Path, sql: str, params: tuple[Any, ...] = ()) -> None:
    """Change the file the way an intruder would: plain sqlite3, no AuditLog."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute(sql, params)
    finally:
        connection.close()


def row(path: Path, seq: int) -> dict[str, Any]:
    connection = sqlite3.connect(path)
    connection.row_factory = sqlite3.Row
    try:
        return dict(connection.execute("SELECT * FROM audit WHERE seq = ?", (seq,)).fetchone())
    finally:
        connection.close()


def forged_hash(fields: dict[str, Any]) -> str:
    """What an intruder who read the module docstring would compute."""
    values = {**fields, "arguments": json.loads(fields["arguments"])}
    values["detail"] = json.loads(fields["detail"])
    return record_hash(values)


# -- the chain ------------------------------------------------------------------
def test_append_chains_each_record_to_the_previous_one(log: AuditLog) -> None:
    records = fill(log)
    assert [r.seq for r in records] == [1, 2, 3, 4, 5]
    assert records[0].prev_hash == GENESIS_HASH
    for before, after in itertools.pairwise(records):
        assert after.prev_hash == before.hash
    assert records[0].at.endswith("Z") and "T" in records[0].at
    assert log.records(10) == records  # what append returned is what was stored


def test_hash_is_sha256_of_the_documented_canonical_json(log: AuditLog) -> None:
    record = log.append(
        "refusal",
        actor="policy",
        host="web1",
        tool="get_logs",
        arguments={"source": "/etc/shadow", "lines": 10},
        detail={"reason": "credential file: écrit nulle part"},
    )
    payload = {
        "seq": 1,
        "at": record.at,
        "kind": "refusal",
        "actor": "policy",
        "host": "web1",
        "tool": "get_logs",
        "arguments": {"source": "/etc/shadow", "lines": 10},
        "detail": {"reason": "credential file: écrit nulle part"},
        "conversation_id": None,
        "prev_hash": "0" * 64,
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert "écrit" in text
    assert record.hash == hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_round_trip_verifies_intact(log: AuditLog) -> None:
    fill(log, 7)
    result = log.verify()
    assert result.ok and result.checked == 7
    assert result.first_bad_seq is None and result.problem == ""


def test_an_empty_log_verifies(log: AuditLog) -> None:
    assert log.verify().ok and log.verify().checked == 0
    assert log.records() == []


def test_records_filters_by_kind_and_time_and_keeps_the_last_n_oldest_first(
    log: AuditLog,
) -> None:
    records = fill(log, 8)
    assert [r.seq for r in log.records(3)] == [6, 7, 8]
    assert [r.seq for r in log.records(10, kind="approval")] == [2]
    assert [r.seq for r in log.records(2, kind=Kind.PROPOSAL)] == [7, 8]
    assert [r.seq for r in log.records(10, since=records[5].at)] == [6, 7, 8]
    with pytest.raises(ValueError, match="nonsense"):
        log.records(kind="nonsense")


def test_unknown_kind_is_a_programming_error(log: AuditLog) -> None:
    with pytest.raises(ValueError, match="'deletion' is not a valid Kind"):
        log.append("deletion", actor="x", host="h")
    assert log.count() == 0


def test_values_that_are_not_json_are_stored_as_text_and_still_verify(log: AuditLog) -> None:
    record = log.append(
        "execution",
        actor="user:alice",
        host="web1",
        tool="clean_disk",
        arguments={"paths": (Path("/var/log/a.gz"),), "odd": "\ud800 lone surrogate"},
    )
    assert record.arguments["paths"] == ["/var/log/a.gz"]
    assert log.records(1) == [record]
    assert log.verify().ok


def test_huge_fields_are_stored_as_head_size_and_digest(log: AuditLog) -> None:
    big = {"content": "x" * (MAX_FIELD_CHARS * 2)}
    record = log.append("result", actor="sfai", host="web1", tool="get_logs", detail=big)
    assert record.detail["truncated"] is True
    assert record.detail["chars"] == len(canonical_json(big))
    assert record.detail["sha256"] == hashlib.sha256(canonical_json(big).encode()).hexdigest()
    assert len(canonical_json(record.detail)) < 5000
    assert log.verify().ok


def test_audit_file_is_created_private(log_path: Path, log: AuditLog) -> None:
    assert log_path.stat().st_mode & 0o777 == 0o600


# -- tampering, with plain sqlite3 on the real file ------------------------------
@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("at", "2020-01-01T00:00:00.000000Z"),
        ("kind", "denial"),
        ("actor", "user:mallory"),
        ("host", "db1"),
        ("tool", "clean_disk"),
        ("arguments", '{"service":"sshd"}'),
        ("detail", '{"ok":false}'),
        ("conversation_id", None),
    ],
)
def test_verify_detects_an_edited_field(
    log_path: Path, log: AuditLog, column: str, value: Any
) -> None:
    fill(log)
    tamper(log_path, f"UPDATE audit SET {column} = ? WHERE seq = 3", (value,))
    result = log.verify()
    assert not result.ok
    assert result.first_bad_seq == 3
    assert result.checked == 2
    assert "edited" in result.problem


def test_verify_detects_an_edited_row_whose_hash_was_recomputed(
    log_path: Path, log: AuditLog
) -> None:
    """Recomputing the edited row's hash only moves the break to the next record."""
    fill(log)
    fields = row(log_path, 3)
    fields["arguments"] = '{"service":"sshd"}'
    tamper(log_path, "UPDATE audit SET arguments = ?, hash = ? WHERE seq = 3",
           (fields["arguments"], forged_hash(fields)))  # fmt: skip
    result = log.verify()
    assert (result.ok, result.first_bad_seq) == (False, 4)
    assert "prev_hash mismatch" in result.problem


def test_verify_detects_invalid_json_in_a_field(log_path: Path, log: AuditLog) -> None:
    fill(log)
    tamper(log_path, "UPDATE audit SET detail = '{broken' WHERE seq = 2")
    result = log.verify()
    assert (result.ok, result.first_bad_seq) == (False, 2)
    assert "not valid JSON" in result.problem


def test_verify_detects_a_deleted_middle_row(log_path: Path, log: AuditLog) -> None:
    fill(log)
    tamper(log_path, "DELETE FROM audit WHERE seq = 3")
    result = log.verify()
    assert (result.ok, result.first_bad_seq) == (False, 3)
    assert result.problem == "record #3 is missing (deleted)"


def test_verify_detects_deleted_rows_even_when_the_rest_are_renumbered(
    log_path: Path, log: AuditLog
) -> None:
    fill(log)
    tamper(log_path, "DELETE FROM audit WHERE seq IN (2, 3)")
    tamper(log_path, "UPDATE audit SET seq = seq - 2 WHERE seq > 3")
    tamper(log_path, "UPDATE anchor SET seq = 3")
    result = log.verify()
    assert (result.ok, result.first_bad_seq) == (False, 2)


def test_verify_detects_a_deleted_last_row(log_path: Path, log: AuditLog) -> None:
    fill(log)
    tamper(log_path, "DELETE FROM audit WHERE seq = 5")
    result = log.verify()
    assert (result.ok, result.first_bad_seq, result.checked) == (False, 5, 4)
    assert "end of the log was deleted" in result.problem


def test_a_deleted_tail_stays_visible_after_new_appends(log_path: Path, log: AuditLog) -> None:
    """New records chain on the anchor, not on the truncated tail, so the gap remains."""
    fill(log)
    tamper(log_path, "DELETE FROM audit WHERE seq >= 4")
    record = log.append("proposal", actor="model:claude", host="web1", tool="restart_service")
    assert record.seq == 6
    result = log.verify()
    assert (result.ok, result.first_bad_seq) == (False, 4)
    assert result.problem == "records #4 to #5 are missing (deleted)"


def test_verify_detects_all_rows_deleted(log_path: Path, log: AuditLog) -> None:
    fill(log)
    tamper(log_path, "DELETE FROM audit")
    result = log.verify()
    assert (result.ok, result.first_bad_seq) == (False, 1)
    assert "records #1 to #5 are missing" in result.problem


def test_verify_detects_two_rows_swapped(log_path: Path, log: AuditLog) -> None:
    fill(log)
    two, three = row(log_path, 2), row(log_path, 3)
    columns = [name for name in two if name != "seq"]
    assignments = ", ".join(f"{name} = ?" for name in columns)
    tamper(log_path, f"UPDATE audit SET {assignments} WHERE seq = 2", tuple(three[c] for c in columns))  # fmt: skip
    tamper(log_path, f"UPDATE audit SET {assignments} WHERE seq = 3", tuple(two[c] for c in columns))  # fmt: skip
    result = log.verify()
    assert (result.ok, result.first_bad_seq) == (False, 2)


def test_verify_detects_a_forged_row_with_a_valid_hash_but_wrong_prev_hash(
    log_path: Path, log: AuditLog
) -> None:
    fill(log)
    forged = {
        "seq": 6,
        "at": "2026-01-01T00:00:00.000000Z",
        "kind": "approval",
        "actor": "user:alice",
        "host": "web1",
        "tool": "clean_disk",
        "arguments": '{"paths":["/"]}',
        "detail": '{"by":"user"}',
        "conversation_id": None,
        "prev_hash": "f" * 64,
    }
    forged["hash"] = forged_hash(forged)
    tamper(log_path, f"INSERT INTO audit ({', '.join(forged)}) VALUES ({', '.join('?' * len(forged))})",
           tuple(forged.values()))  # fmt: skip
    tamper(log_path, "UPDATE anchor SET seq = 6, hash = ?", (forged["hash"],))
    result = log.verify()
    assert (result.ok, result.first_bad_seq) == (False, 6)
    assert "does not follow record #5" in result.problem


def test_verify_detects_a_well_forged_row_appended_without_the_anchor(
    log_path: Path, log: AuditLog
) -> None:
    records = fill(log)
    forged = {
        "seq": 6,
        "at": "2026-01-01T00:00:00.000000Z",
        "kind": "approval",
        "actor": "user:alice",
        "host": "web1",
        "tool": "clean_disk",
        "arguments": '{"paths":["/"]}',
        "detail": "null",
        "conversation_id": None,
        "prev_hash": records[-1].hash,
    }
    forged["hash"] = forged_hash(forged)
    tamper(log_path, f"INSERT INTO audit ({', '.join(forged)}) VALUES ({', '.join('?' * len(forged))})",
           tuple(forged.values()))  # fmt: skip
    result = log.verify()
    assert (result.ok, result.first_bad_seq) == (False, 6)
    assert "without updating the anchor" in result.problem


def test_verify_detects_a_row_inserted_in_the_middle(log_path: Path, log: AuditLog) -> None:
    records = fill(log)
    tamper(log_path, "UPDATE audit SET seq = seq + 10 WHERE seq >= 3")
    tamper(log_path, "UPDATE audit SET seq = seq - 9 WHERE seq >= 13")
    forged = {
        "seq": 3,
        "at": records[2].at,
        "kind": "approval",
        "actor": "user:alice",
        "host": "web1",
        "tool": "restart_service",
        "arguments": '{"service":"sshd"}',
        "detail": "null",
        "conversation_id": None,
        "prev_hash": records[1].hash,
    }
    forged["hash"] = forged_hash(forged)
    tamper(log_path, f"INSERT INTO audit ({', '.join(forged)}) VALUES ({', '.join('?' * len(forged))})",
           tuple(forged.values()))  # fmt: skip
    result = log.verify()
    assert (result.ok, result.first_bad_seq) == (False, 4)  # the old #3, renumbered
    assert "edited" in result.problem


def test_verify_detects_a_deleted_anchor(log_path: Path, log: AuditLog) -> None:
    fill(log)
    tamper(log_path, "DELETE FROM anchor")
    result = log.verify()
    assert not result.ok and "anchor is missing" in result.problem


def test_verify_detects_a_replaced_last_row_when_the_anchor_was_not_rewritten(
    log_path: Path, log: AuditLog
) -> None:
    fill(log)
    fields = row(log_path, 5)
    fields["detail"] = '{"ok":false}'
    tamper(log_path, "UPDATE audit SET detail = ?, hash = ? WHERE seq = 5",
           (fields["detail"], forged_hash(fields)))  # fmt: skip
    result = log.verify()
    assert (result.ok, result.first_bad_seq) == (False, 5)
    assert "does not match the anchor" in result.problem


def test_limit_someone_who_rewrites_every_hash_and_the_anchor_is_not_detected(
    log_path: Path, log: AuditLog
) -> None:
    """The documented limit: local write access to the file defeats a local chain."""
    fill(log)
    tamper(log_path, "DELETE FROM audit WHERE seq = 5")
    tamper(log_path, 'UPDATE audit SET arguments = \'{"service":"sshd"}\' WHERE seq = 2')
    prev = row(log_path, 1)["hash"]
    for seq in (2, 3, 4):
        fields = {**row(log_path, seq), "prev_hash": prev}
        prev = forged_hash(fields)
        tamper(log_path, "UPDATE audit SET prev_hash = ?, hash = ? WHERE seq = ?",
               (fields["prev_hash"], prev, seq))  # fmt: skip
    tamper(log_path, "UPDATE anchor SET seq = 4, hash = ?", (prev,))
    assert log.verify().ok


def test_tampering_shows_in_a_fresh_process_too(log_path: Path, log: AuditLog) -> None:
    fill(log)
    tamper(log_path, "UPDATE audit SET actor = 'user:mallory' WHERE seq = 2")
    code = (
        "import json, sys; from sfai_agent.audit import AuditLog;"
        "print(json.dumps(AuditLog(sys.argv[1]).verify().as_dict()))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(log_path)], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out)["first_bad_seq"] == 2


# -- concurrency ------------------------------------------------------------------
APPENDER = """
import sys
from sfai_agent.audit import AuditLog
log = AuditLog(sys.argv[1])
for index in range(int(sys.argv[3])):
    log.append("execution", actor=f"worker:{sys.argv[2]}", host="web1", tool="restart_service",
               arguments={"n": index})
log.close()
"""


def test_concurrent_appends_from_four_processes_keep_an_intact_chain(log_path: Path) -> None:
    per_process = 40
    workers = [
        subprocess.Popen([sys.executable, "-c", APPENDER, str(log_path), str(n), str(per_process)])
        for n in range(4)
    ]
    assert [worker.wait(timeout=90) for worker in workers] == [0, 0, 0, 0]
    with AuditLog(log_path) as log:
        result = log.verify()
        records = log.records(1000)
    assert result.ok, result.problem
    assert result.checked == 4 * per_process
    assert [r.seq for r in records] == list(range(1, 4 * per_process + 1))
    for n in range(4):
        mine = [r.arguments["n"] for r in records if r.actor == f"worker:{n}"]
        assert mine == list(range(per_process))  # each process's records, in its order


# -- when the audit cannot be written ---------------------------------------------
def test_a_path_under_a_regular_file_cannot_be_opened(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    with pytest.raises(AuditError, match="cannot open the audit log"):
        AuditLog(tmp_path / "file" / "audit.db")


def test_a_directory_in_place_of_the_file_cannot_be_opened(tmp_path: Path) -> None:
    (tmp_path / "audit.db").mkdir()
    with pytest.raises(AuditError, match="cannot open the audit log"):
        AuditLog(tmp_path / "audit.db")


def test_a_path_in_proc_cannot_be_opened() -> None:
    with pytest.raises(AuditError, match="cannot open the audit log"):
        AuditLog(Path("/proc/sfai-test/audit.db"))


def _chattr(flag: str, path: Path) -> None:
    done = subprocess.run(["chattr", flag, str(path)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"chattr {flag} is not supported here: {done.stderr.strip()}")


@pytest.fixture
def immutable(log_path: Path) -> Iterator[Path]:
    """An audit file that even root cannot write: the immutable attribute (ext4, xfs)."""
    with AuditLog(log_path) as log:
        fill(log, 3)
    _chattr("+i", log_path)
    try:
        yield log_path
    finally:
        subprocess.run(["chattr", "-i", str(log_path.parent)], check=False)
        subprocess.run(["chattr", "-i", str(log_path)], check=False)


def test_an_immutable_audit_file_refuses_the_append_even_for_root(immutable: Path) -> None:
    with AuditLog(immutable) as log:
        with pytest.raises(AuditError, match=r"cannot write to the audit log.*readonly"):
            log.append("execution", actor="user:root", host="web1", tool="restart_service")
        assert log.verify().ok and log.count() == 3  # readable, unchanged


@pytest.mark.parametrize("name", ["audit.db", "new.db"])
def test_an_audit_file_in_an_immutable_directory_cannot_be_opened(
    immutable: Path, name: str
) -> None:
    """With the directory immutable too, SQLite cannot even make its WAL index."""
    _chattr("+i", immutable.parent)
    with pytest.raises(AuditError, match="cannot open the audit log"):
        AuditLog(immutable.parent / name)


DISK_FULL = """
import os, resource, signal, sys
from sfai_agent.audit import AuditError, AuditLog
log = AuditLog(sys.argv[1])
# The file may not grow any more: what a full disk looks like to SQLite, even for root.
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (os.path.getsize(sys.argv[1]), resource.RLIM_INFINITY))
try:
    for index in range(50):
        log.append("result", actor="sfai", host="web1", detail={"pad": "x" * 4000, "n": index})
except AuditError as exc:
    print(f"refused after {index}: {exc}")
"""


def test_a_full_disk_is_an_audit_error(log_path: Path) -> None:
    with AuditLog(log_path) as log:
        fill(log, 3)
    out = subprocess.run(
        [sys.executable, "-c", DISK_FULL, str(log_path)], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("refused after 0: cannot write to the audit log"), out.stdout
    with AuditLog(log_path) as log:
        assert log.verify().ok and log.count() == 3


def test_a_log_locked_too_long_by_another_process_is_an_audit_error(log_path: Path) -> None:
    with AuditLog(log_path) as log:
        fill(log, 2)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1], isolation_level=None);"
            "c.execute('BEGIN IMMEDIATE'); print('locked', flush=True); time.sleep(30)",
            str(log_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        with AuditLog(log_path, timeout=0.3) as log, pytest.raises(AuditError, match="locked"):
            log.append("execution", actor="user:root", host="web1", tool="restart_service")
    finally:
        holder.kill()
        holder.wait()
    with AuditLog(log_path) as log:
        assert log.verify().ok and log.count() == 2


# -- the operator's side: sfai.core.audit ------------------------------------------
class MaskPasswords:
    """A stand-in for sfai_agent.redact's Redactor: masks one known secret everywhere."""

    def redact(self, value: Any) -> Any:
        if isinstance(value, str):
            return value.replace("hunter2", "[SECRET:password:1]")
        if isinstance(value, dict):
            return {key: self.redact(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.redact(item) for item in value]
        return value


def _file_bytes(path: Path) -> bytes:
    return b"".join(
        candidate.read_bytes() for candidate in (path, Path(f"{path}-wal")) if candidate.exists()
    )


def test_open_audit_writes_audit_db_under_sfai_home(sfai_home: Path) -> None:
    assert audit_path() == sfai_home / AUDIT_FILE
    with open_audit() as trail:
        trail.append("proposal", actor="model:claude", host="local", tool="restart_service")
    assert (sfai_home / "audit.db").exists()


def test_secrets_are_masked_before_they_are_written(log_path: Path) -> None:
    with open_audit(log_path, redactor=MaskPasswords()) as trail:
        record = trail.append(
            "execution",
            actor=local_actor(),
            host="web1",
            tool="run_command",
            arguments={"argv": ["mysql", "--password=hunter2"]},
            detail={"output": "login with hunter2 ok"},
        )
        assert record.arguments == {"argv": ["mysql", "--password=[SECRET:password:1]"]}
        assert trail.log.verify().ok
    assert b"hunter2" not in _file_bytes(log_path)
    assert b"[SECRET:password:1]" in _file_bytes(log_path)


def test_a_redactor_that_fails_means_nothing_is_written(log_path: Path) -> None:
    class Broken:
        def redact(self, value: Any) -> Any:
            raise RuntimeError("pattern table missing")

    with open_audit(log_path, redactor=Broken()) as trail:
        with pytest.raises(AuditError, match="cannot mask the audit record"):
            trail.append("execution", actor="user:root", host="web1", arguments={"a": "hunter2"})
        assert trail.log.count() == 0


def test_local_actor_names_the_user() -> None:
    assert local_actor().startswith("user:") and len(local_actor()) > 5


def test_audit_trail_without_redactor_writes_as_given(log: AuditLog) -> None:
    record = AuditTrail(log).append("denial", actor="user:root", host="web1", detail={"x": 1})
    assert record.detail == {"x": 1}


@pytest.mark.parametrize(
    ("detail", "expected"),
    [
        (None, ""),
        ({"ok": True, "summary": "nginx restarted, running"}, "ok · nginx restarted, running"),
        ({"ok": False, "error": {"code": "timeout", "message": "no\nanswer"}}, "failed · timeout: no answer"),
        ({"choice": "once", "by": "user"}, "by user"),
        ({"reason": "not now,\n the backup runs", "by": "user"}, "not now, the backup runs · by user"),
        ({"outcome": "refused", "reason": "ignored"}, "refused"),
        ("plain text", "plain text"),
    ],
)  # fmt: skip
def test_outcome_is_one_line_from_the_detail(detail: Any, expected: str, log: AuditLog) -> None:
    record = log.append("result", actor="sfai", host="web1", detail=detail)
    assert outcome(record) == expected


def test_the_cli_kind_choices_are_the_audit_kinds() -> None:
    from sfai.cli.audit_cmd import KindChoice

    assert [k.value for k in KindChoice] == [k.value for k in Kind]


def test_sfai_agent_audit_imports_nothing_from_sfai() -> None:
    code = (
        "import sys, sfai_agent.audit; print(any(m.split('.')[0] == 'sfai' for m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "False"


def test_the_operator_audit_module_imports_neither_textual_nor_rich() -> None:
    from tests.test_layering import modules_after_import, top_level

    loaded = top_level(modules_after_import("sfai.core.audit", "sfai.core.limits"))
    assert not loaded & {"textual", "rich"}


def test_a_log_from_a_newer_version_is_refused(log_path: Path, log: AuditLog) -> None:
    fill(log, 1)
    tamper(log_path, "PRAGMA user_version = 99")
    with pytest.raises(AuditError, match="newer sfai"):
        AuditLog(log_path)
