"""Someone covers their tracks in the audit log, or the log cannot be written at all.

After a real, approved action (clean_disk with --yes on a test log root), the audit holds
proposal, approval, execution and result. Editing or deleting any of them with sqlite3 is
caught by ``sfai audit --verify`` (exit 1, naming the record). An audit log that cannot be
written (``chattr +i``) refuses the action: nothing is deleted.
"""

from __future__ import annotations

import getpass
import json
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest

from sfai_agent.audit import AuditLog
from tests.adversarial_kit import Box, audit_records, call, events, kinds, of_type, results_by_id
from tests.cli import run_sfai
from tests.fakes import reply


@pytest.fixture
def box(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Box:
    box = Box.make(tmp_path, monkeypatch)
    for name in ("app.log.1", "app.log.2.gz"):
        (box.logs / name).write_bytes(b"r" * 4096)
    return box


def _clean_with_yes(fake: Any) -> Any:
    fake.script(
        [reply(call("clean_disk", "c1", paths=["rotated-logs"], dry_run=False)), reply("Done.")]
    )
    return run_sfai("ask", "free some space", "--mode", "act", "--yes", "--json", timeout=120)


def _copy_home(home: Path, target: Path) -> Path:
    """A consistent copy of the audit log (sqlite backup) in a home of its own."""
    target.mkdir()
    source = sqlite3.connect(home / "audit.db")
    copy = sqlite3.connect(target / "audit.db")
    try:
        source.backup(copy)
    finally:
        source.close()
        copy.close()
    return target


def _tamper(home: Path, statement: str) -> None:
    connection = sqlite3.connect(home / "audit.db")
    try:
        connection.execute(statement)
        connection.commit()
    finally:
        connection.close()


def _verify(home: Path) -> tuple[int, dict[str, Any], str]:
    as_json = run_sfai("audit", "--verify", "--json", env={"SFAI_HOME": str(home)})
    text = run_sfai("audit", "--verify", env={"SFAI_HOME": str(home)})
    assert as_json.code == text.code
    return as_json.code, json.loads(as_json.stdout), text.stdout


TAMPERING = {
    "rewrite-the-result": (
        'UPDATE audit SET detail = \'{"ok":true,"summary":"nothing was deleted"}\' '
        "WHERE kind = 'result'",
        4,
        "edited",
    ),
    "hide-what-ran": (
        'UPDATE audit SET arguments = \'{"paths":["tmp"],"dry_run":true}\' '
        "WHERE kind = 'execution'",
        3,
        "edited",
    ),
    "change-who": ("UPDATE audit SET actor = 'user:nobody' WHERE kind = 'approval'", 2, "edited"),
    "delete-the-approval": ("DELETE FROM audit WHERE kind = 'approval'", 2, "missing"),
    "delete-the-last": ("DELETE FROM audit WHERE kind = 'result'", 4, "missing"),
}


def test_tampering_with_an_audited_action_is_detected(
    fake_claude_env: Any, box: Box, sfai_home: Path, tmp_path: Path
) -> None:
    result = _clean_with_yes(fake_claude_env)
    assert result.code == 0, result.stderr
    assert not (box.logs / "app.log.1").exists()
    assert kinds(audit_records(sfai_home)) == ["proposal", "approval", "execution", "result"]
    code, verdict, text = _verify(sfai_home)
    assert code == 0 and verdict == {"ok": True, "checked": 4, "first_bad_seq": None, "problem": ""}
    assert "audit chain intact: 4 records" in text
    for name, (statement, seq, word) in TAMPERING.items():
        copy = _copy_home(sfai_home, tmp_path / name)
        _tamper(copy, statement)
        code, verdict, text = _verify(copy)
        assert code == 1, name
        assert verdict["ok"] is False and verdict["first_bad_seq"] == seq, (name, verdict)
        assert word in verdict["problem"], (name, verdict)
        assert f"audit chain BROKEN at record #{seq}" in text, (name, text)


def _immutable_supported(path: Path) -> str | None:
    """None when ``chattr +i`` works on ``path``; else why not (the skip reason)."""
    if shutil.which("chattr") is None or shutil.which("lsattr") is None:
        return "chattr/lsattr are not installed (e2fsprogs)"
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
    if done.returncode != 0:
        return f"chattr +i is not supported here: {done.stderr.strip()}"
    return None


def test_an_audit_log_that_cannot_be_written_refuses_the_action(
    fake_claude_env: Any, box: Box, sfai_home: Path
) -> None:
    path = sfai_home / "audit.db"
    AuditLog(path).close()  # an existing, valid, empty log
    reason = _immutable_supported(path)
    if reason is not None:
        pytest.skip(reason)
    try:
        flags = subprocess.run(["lsattr", str(path)], capture_output=True, text=True).stdout
        assert "i" in flags.split()[0], flags
        before = path.read_bytes()
        result = _clean_with_yes(fake_claude_env)
        after = path.read_bytes()
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=False)
    assert result.code == 0, result.stderr
    text, is_error = results_by_id(fake_claude_env, 1)["toolu_c1"]
    assert is_error and "the audit log cannot be written" in text, text
    outcome = of_type(events(result.stdout), "tool_result")[0]
    assert outcome["ok"] is False
    assert (box.logs / "app.log.1").read_bytes() == b"r" * 4096, "deleted without an audit"
    assert (box.logs / "app.log.2.gz").exists()
    assert after == before
    assert audit_records(sfai_home) == []


def test_the_audit_names_the_person_who_approved(
    fake_claude_env: Any, box: Box, sfai_home: Path
) -> None:
    assert _clean_with_yes(fake_claude_env).code == 0
    approval = next(r for r in audit_records(sfai_home) if r["kind"] == "approval")
    assert getpass.getuser() in approval["actor"], approval["actor"]
