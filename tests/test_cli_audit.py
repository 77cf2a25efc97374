"""`sfai audit` through the real console script, over a real audit.db in SFAI_HOME."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest

from sfai.core.audit import open_audit
from tests.cli import SFAI, run_sfai


@pytest.fixture
def audit_db(sfai_home: Path) -> Path:
    """A short, realistic trail: proposal, approval, execution, result, then a refusal."""
    steps: list[tuple[str, str, dict[str, Any] | None]] = [
        ("proposal", "model:claude", {"risk": "medium"}),
        ("approval", "user:alice", {"choice": "once", "by": "user"}),
        ("execution", "user:alice", None),
        ("result", "sfai", {"ok": True, "summary": "nginx is running"}),
    ]
    with open_audit() as trail:
        for kind, actor, detail in steps:
            trail.append(
                kind,
                actor=actor,
                host="web1",
                tool="restart_service",
                arguments={"service": "nginx"},
                detail=detail,
            )
        trail.append(
            "refusal",
            actor="policy",
            host="web1",
            tool="get_logs",
            arguments={"source": "/etc/shadow"},
            detail={"reason": "credential file\nnever read"},
        )
    return sfai_home / "audit.db"


def test_audit_is_listed_in_the_help() -> None:
    result = run_sfai("--help")
    assert result.code == 0 and "audit" in result.stdout
    result = run_sfai("audit", "--help")
    for option in ("--verify", "--json", "--limit", "--kind"):
        assert option in result.stdout


def test_audit_without_a_log_says_so_and_creates_nothing(sfai_home: Path) -> None:
    result = run_sfai("audit")
    assert (result.code, result.stdout) == (0, "")
    assert "no audit records yet" in result.stderr
    verified = run_sfai("audit", "--verify")
    assert (verified.code, verified.stdout) == (0, "audit chain intact: 0 records\n")
    assert not (sfai_home / "audit.db").exists()


def test_audit_piped_is_one_tab_separated_line_per_record(audit_db: Path) -> None:
    result = run_sfai("audit")
    assert result.code == 0, result.stderr
    assert "\x1b[" not in result.stdout
    lines = [line.split("\t") for line in result.stdout.splitlines()]
    assert [fields[0] for fields in lines] == ["1", "2", "3", "4", "5"]
    assert lines[0][1].endswith("Z")
    assert lines[1][2:] == [
        "approval",
        "user:alice",
        "web1",
        "restart_service",
        "service=nginx",
        "by user",
    ]
    assert lines[3][7] == "ok · nginx is running"
    assert lines[4][2:] == [
        "refusal",
        "policy",
        "web1",
        "get_logs",
        "source=/etc/shadow",
        "credential file never read",
    ]


def test_audit_limit_and_kind(audit_db: Path) -> None:
    last_two = run_sfai("audit", "--limit", "2").stdout.splitlines()
    assert [line.split("\t")[0] for line in last_two] == ["4", "5"]
    approvals = run_sfai("audit", "--kind", "approval").stdout.splitlines()
    assert [line.split("\t")[2] for line in approvals] == ["approval"]
    none = run_sfai("audit", "--kind", "denial")
    assert none.stdout == "" and "no denial records yet" in none.stderr


def test_audit_unknown_kind_is_a_usage_error(audit_db: Path) -> None:
    result = run_sfai("audit", "--kind", "deletion")
    assert result.code == 2
    assert "proposal" in result.stderr


def test_audit_json_lines_hold_every_field(audit_db: Path) -> None:
    result = run_sfai("audit", "--json")
    assert result.code == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["seq"] for r in records] == [1, 2, 3, 4, 5]
    assert records[0]["prev_hash"] == "0" * 64
    assert records[1]["prev_hash"] == records[0]["hash"]
    assert records[4]["arguments"] == {"source": "/etc/shadow"}
    assert set(records[0]) == {
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
        "hash",
    }


def test_audit_verify_intact_exits_0(audit_db: Path) -> None:
    result = run_sfai("audit", "--verify")
    assert (result.code, result.stdout) == (0, "audit chain intact: 5 records\n")


def test_audit_verify_detects_an_edited_record_and_exits_1(audit_db: Path) -> None:
    connection = sqlite3.connect(audit_db, isolation_level=None)
    connection.execute("UPDATE audit SET actor = 'user:mallory' WHERE seq = 2")
    connection.close()
    result = run_sfai("audit", "--verify")
    assert result.code == 1
    assert result.stdout == (
        "audit chain BROKEN at record #2: its content does not match its hash: "
        "the record was edited\n"
    )


def test_audit_verify_detects_a_deleted_record_and_exits_1(audit_db: Path) -> None:
    connection = sqlite3.connect(audit_db, isolation_level=None)
    connection.execute("DELETE FROM audit WHERE seq = 5")
    connection.close()
    result = run_sfai("audit", "--verify")
    assert result.code == 1
    assert result.stdout.startswith("audit chain BROKEN at record #5: ")
    as_json = run_sfai("audit", "--verify", "--json")
    assert as_json.code == 1
    assert json.loads(as_json.stdout) == {
        "ok": False,
        "checked": 4,
        "first_bad_seq": 5,
        "problem": "record #5 is missing: the end of the log was deleted",
    }


def test_audit_verify_json_when_intact(audit_db: Path) -> None:
    result = run_sfai("audit", "--verify", "--json")
    assert result.code == 0
    assert json.loads(result.stdout) == {
        "ok": True,
        "checked": 5,
        "first_bad_seq": None,
        "problem": "",
    }


def test_audit_an_unreadable_log_is_an_error(sfai_home: Path) -> None:
    (sfai_home / "audit.db").mkdir()
    result = run_sfai("audit", "--verify")
    assert result.code == 1
    assert "cannot open the audit log" in result.stderr
    assert result.stdout == ""


def test_audit_with_a_corrupted_record_points_to_verify(audit_db: Path) -> None:
    connection = sqlite3.connect(audit_db, isolation_level=None)
    connection.execute("UPDATE audit SET detail = '{broken' WHERE seq = 5")
    connection.close()
    result = run_sfai("audit")
    assert result.code == 1
    assert "record #5 is unreadable" in result.stderr
    assert "sfai audit --verify" in result.stderr


def _run_on_terminal(*args: str, columns: int = 120) -> str:
    controller, terminal = pty.openpty()
    env = {**os.environ, "COLUMNS": str(columns), "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    try:
        child = subprocess.Popen(
            [SFAI, *args],
            stdout=terminal,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            env=env,
        )
        os.close(terminal)
        chunks: list[bytes] = []
        while True:
            ready, _, _ = select.select([controller], [], [], 30)
            if not ready:
                break
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        child.wait(timeout=30)
    finally:
        os.close(controller)
    return b"".join(chunks).decode()


def test_audit_on_a_terminal_is_a_table(audit_db: Path) -> None:
    screen = _run_on_terminal("audit")
    assert "\x1b[" in screen  # styled
    plain = re.sub(r"\x1b\[[0-9;]*m", "", screen)
    header = plain.splitlines()[0].split()
    assert header == ["#", "when", "(UTC)", "kind", "actor", "host", "tool", "arguments", "outcome"]
    assert "restart_service" in plain and "source=/etc/shadow" in plain
    assert "credential file never read" in plain
