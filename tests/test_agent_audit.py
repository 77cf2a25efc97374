"""The agent's own audit log: actions and refusals recorded with the peer, chained, masked;
and no action runs when the log cannot be written."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import time
from pathlib import Path

from sfai_agent.audit import AuditLog
from tests.fixtures.agent import agent_connection, wait_for_log

SECRET = "AKIAIOSFODNN7EXAMPLE"


def old_file(directory: Path, name: str) -> Path:
    path = directory / name
    path.write_text("x" * 100)
    past = time.time() - 30 * 86400
    os.utime(path, (past, past))
    return path


async def test_actions_and_refusals_are_recorded_and_chained(start_agent, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    temp = tmp_path / "temp"
    temp.mkdir()
    victim = old_file(temp, "stale.bin")
    agent = start_agent(actions_allowed=True, tools={"temp_dirs": [str(temp)]})
    args = {"paths": ["tmp"], "older_than_days": 1}
    async with agent_connection(agent) as conn:
        await conn.hello()
        assert (await conn.tool("get_memory_status"))["ok"] is True  # reads are not recorded
        dry = await conn.tool("clean_disk", {**args, "dry_run": True})
        assert dry["ok"] is True and dry["total_bytes"] == 100
        unapproved = await conn.tool("clean_disk", {**args, "dry_run": False})
        assert unapproved["error"]["code"] == "approval_required"
        assert victim.exists()
        done = await conn.tool("clean_disk", {**args, "dry_run": False}, approved=True)
        assert done["ok"] is True
        assert not victim.exists()
        outside = await conn.tool("clean_disk", {"paths": [f"/etc/{SECRET}"]}, approved=True)
        assert outside["ok"] is False
    async with agent_connection(agent) as conn:
        await conn.send_raw(
            '{"jsonrpc": "2.0", "id": 1, "method": "hello", "params": {"token": "bad", "protocol": 1}}'
        )
        await conn.recv_json()
    assert wait_for_log(agent, r"refused hello from")

    with AuditLog(agent.audit_file) as audit:
        assert audit.verify().ok
        records = audit.records(limit=50)
    kinds = [(r.kind, r.tool) for r in records]
    assert kinds == [
        ("execution", "clean_disk"),
        ("result", "clean_disk"),
        ("refusal", "clean_disk"),
        ("execution", "clean_disk"),
        ("result", "clean_disk"),
        ("execution", "clean_disk"),
        ("result", "clean_disk"),
        ("refusal", "hello"),
    ]
    first, refusal, approved_run = records[0], records[2], records[3]
    assert first.actor.startswith("pytest 1@127.0.0.1:")
    assert first.detail["peer"].startswith("127.0.0.1:")
    assert first.detail["dry_run"] is True and first.detail["approved"] is False
    assert refusal.detail["error"]["code"] == "approval_required"
    assert approved_run.detail == {**approved_run.detail, "dry_run": False, "approved": True}
    assert records[4].detail["ok"] is True
    # masked before it was written
    assert records[6].detail["ok"] is False  # refused inside the tool: still a result
    assert "[SECRET:aws-key:1]" in str(records[5].arguments)
    assert SECRET.encode() not in agent.audit_file.read_bytes()
    assert SECRET not in agent.log()
    assert records[7].actor.startswith("unauthenticated@127.0.0.1:")

    # the owner's view: `sfai-agent audit` and `--verify`, which sees tampering
    shown = agent.cli("audit")
    assert shown.returncode == 0
    assert "#1 " in shown.stdout and "execution clean_disk by pytest 1@127.0.0.1:" in shown.stdout
    verified = agent.cli("audit", "--verify")
    assert (verified.returncode, verified.stdout.strip()) == (
        0,
        "ok: 8 records, the chain is intact",
    )
    with sqlite3.connect(agent.audit_file) as db:
        db.execute("UPDATE audit SET tool = 'get_memory_status' WHERE seq = 4")
    tampered = agent.cli("audit", "--verify")
    assert tampered.returncode == 1
    assert tampered.stdout.startswith("BROKEN at record #4")


async def test_actions_are_refused_when_the_audit_log_cannot_be_opened(
    start_agent, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    agent = start_agent(actions_allowed=True, tools={"temp_dirs": [str(tmp_path)]})
    agent.stop()
    agent.audit_file.unlink()
    for extra in agent.home.glob("audit.db-*"):
        extra.unlink()
    agent.audit_file.mkdir()  # a directory where the database should be
    agent.start()
    assert "actions will be refused" in agent.log()
    async with agent_connection(agent) as conn:
        await conn.hello()
        refused = await conn.tool("clean_disk", {"paths": ["tmp"], "dry_run": True})
        read = await conn.tool("get_memory_status")
    assert refused["error"]["code"] == "unavailable"
    assert "audit log" in refused["error"]["message"]
    assert read["ok"] is True  # reads do not need the audit log


async def test_actions_are_refused_while_the_disk_refuses_writes(
    start_agent, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """A full disk, as the agent sees it: every write that grows a file fails (EFBIG
    under RLIMIT_FSIZE, set on the running agent with prlimit)."""
    agent = start_agent(actions_allowed=True, tools={"temp_dirs": [str(tmp_path)]})
    args = {"paths": ["tmp"], "dry_run": True}
    async with agent_connection(agent) as conn:
        await conn.hello()
        assert (await conn.tool("clean_disk", args))["ok"] is True
        subprocess.run(["prlimit", f"--pid={agent.pid}", "--fsize=1:"], check=True)
        try:
            refused = await conn.tool("clean_disk", args)
        finally:
            subprocess.run(["prlimit", f"--pid={agent.pid}", "--fsize=unlimited:"], check=True)
        assert refused["error"]["code"] == "unavailable"
        again = await conn.tool("clean_disk", args)
        assert again["ok"] is True
    with AuditLog(agent.audit_file) as audit:
        assert audit.verify().ok
        assert [r.kind for r in audit.records(limit=10)] == [
            "execution", "result", "execution", "result",
        ]  # fmt: skip


async def test_a_command_that_needs_approval_is_recorded_like_an_action(start_agent) -> None:  # type: ignore[no-untyped-def]
    """run_command is read-only as a tool, but a command its judge cannot vouch for needs
    approval: when approved, it is recorded before it runs; when actions are not allowed,
    it is refused."""
    unclear = {"argv": ["vmstat", "a"]}
    agent = start_agent(actions_allowed=True)
    async with agent_connection(agent) as conn:
        await conn.hello()
        assert (await conn.tool("run_command", {"argv": ["df", "-h"]}))["ok"] is True
        asked = await conn.tool("run_command", unclear)
        assert asked["error"]["code"] == "approval_required"
        await conn.tool("run_command", unclear, approved=True)
    with AuditLog(agent.audit_file) as audit:
        assert [(r.kind, r.tool) for r in audit.records()] == [
            ("refusal", "run_command"),
            ("execution", "run_command"),
            ("result", "run_command"),
        ]
    read_only = start_agent()
    async with agent_connection(read_only) as conn:
        await conn.hello()
        refused = await conn.tool("run_command", unclear, approved=True)
    assert refused["error"]["code"] == "refused_by_policy"
    assert "allows no actions" in refused["error"]["message"]
