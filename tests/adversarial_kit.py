"""What the adversarial tests share: reading what `sfai ask` produced, everywhere it went.

A compromised model is played by the fake Claude server (``fake_claude_env``); the real
``sfai`` console script runs against it. These helpers read the evidence afterwards:

- ``events(stdout)``: the ``--json`` event stream; ``of_type(stream, "tool_result")``.
- ``tool_results(body)`` / ``result_text(block)``: the tool_result blocks a request carried.
- ``everything_sent(fake)``: every string of every request the fake server received (parsed
  bodies and raw bytes), to search for what must never leave the machine.
- ``db_text(path)``: a SQLite file's whole content (raw bytes of the file and its WAL, plus
  an ``iterdump``), to search the same way; ``audit_records(home)`` for the audit rows.
- ``assert_nowhere(needles, ...)``: none of the needles in any request, either database,
  stdout or stderr.
- ``run_measured(...)``: ``run_sfai`` that also reports the child's peak RSS.
- ``Box``: a log root, temp dir and outside dir for one test, wired into the environment.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.cli import SFAI, Run

NONCE = re.compile(r'<untrusted-data id="([0-9a-f]+)" source="([^"]*)">')


def events(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def of_type(stream: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [event for event in stream if event["type"] == kind]


def tool_results(body: dict[str, Any], *, last_only: bool = True) -> list[dict[str, Any]]:
    """The tool_result blocks of the request's last message (or of all its messages)."""
    messages = body["messages"][-1:] if last_only else body["messages"]
    return [
        block
        for message in messages
        if isinstance(message.get("content"), list)
        for block in message["content"]
        if isinstance(block, dict) and block.get("type") == "tool_result"
    ]


def result_text(block: dict[str, Any]) -> str:
    content = block.get("content")
    if isinstance(content, str):
        return content
    return "\n".join(str(part.get("text", "")) for part in content or [] if isinstance(part, dict))


def system_text(body: dict[str, Any]) -> str:
    system = body.get("system")
    if isinstance(system, str):
        return system
    return "\n".join(str(block.get("text", "")) for block in system or [])


def strings(value: Any) -> Iterator[str]:
    """Every string in a JSON value: keys and values, recursively."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def everything_sent(fake: Any) -> str:
    """All that left the machine towards the model: parsed strings and raw bytes."""
    parts: list[str] = []
    for request in fake.requests:
        parts.extend(strings(request.body))
        parts.append(request.raw.decode("utf-8", "replace"))
    return "\n".join(parts)


def db_text(path: Path) -> str:
    """The file and its WAL as bytes (latin-1, so nothing is lost), then a full dump."""
    parts: list[str] = []
    for candidate in (path, path.with_name(path.name + "-wal")):
        if candidate.exists():
            parts.append(candidate.read_bytes().decode("latin-1"))
    if path.exists():
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            parts.extend(connection.iterdump())
        finally:
            connection.close()
    return "\n".join(parts)


def audit_records(home: Path) -> list[dict[str, Any]]:
    path = home / "audit.db"
    if not path.exists():
        return []
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    connection.row_factory = sqlite3.Row
    try:
        rows = connection.execute("SELECT * FROM audit ORDER BY seq").fetchall()
    finally:
        connection.close()
    records = []
    for row in rows:
        record = dict(row)
        record["arguments"] = json.loads(record["arguments"])
        record["detail"] = json.loads(record["detail"])
        records.append(record)
    return records


def kinds(records: list[dict[str, Any]], tool: str | None = None) -> list[str]:
    return [r["kind"] for r in records if tool is None or r["tool"] == tool]


def assert_nowhere(
    needles: Iterable[str], *, fake: Any, home: Path, outputs: Iterable[str] = ()
) -> None:
    """None of ``needles`` in a request to the model, sfai.db, audit.db, stdout or stderr."""
    places = {
        "a request to the model": everything_sent(fake),
        "sfai.db (history)": db_text(home / "sfai.db"),
        "audit.db": db_text(home / "audit.db"),
        "stdout/stderr": "\n".join(outputs),
    }
    leaks = [
        f"{needle!r} found in {where}"
        for needle in needles
        for where, text in places.items()
        if needle in text
    ]
    shown = leaks[:12] + ([f"... and {len(leaks) - 12} more"] if len(leaks) > 12 else [])
    assert not leaks, "secret leaked:\n" + "\n".join(shown)


@dataclass
class MeasuredRun(Run):
    max_rss_kib: int = 0


def run_measured(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None, timeout: float = 120
) -> MeasuredRun:
    """Like ``tests.cli.run_sfai``, and the child's peak resident memory (``wait4``)."""
    process = subprocess.Popen(
        [SFAI, *args],
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    chunks: dict[str, bytes] = {}

    def drain(name: str, stream: Any) -> None:
        chunks[name] = stream.read()

    readers = [
        threading.Thread(target=drain, args=(name, stream), daemon=True)
        for name, stream in (("out", process.stdout), ("err", process.stderr))
    ]
    for reader in readers:
        reader.start()
    if stdin is not None:
        assert process.stdin is not None
        process.stdin.write(stdin.encode())
        process.stdin.close()
    timer = threading.Timer(timeout, process.kill)
    timer.start()
    try:
        _, status, usage = os.wait4(process.pid, 0)
    finally:
        timer.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)
    for reader in readers:
        reader.join(10)
    return MeasuredRun(
        process.returncode,
        chunks.get("out", b"").decode("utf-8", "replace"),
        chunks.get("err", b"").decode("utf-8", "replace"),
        usage.ru_maxrss,
    )


@dataclass
class Box:
    """One test's piece of the host: a log root, a temp dir, and a directory outside both."""

    root: Path
    logs: Path
    tmp: Path
    outside: Path

    @classmethod
    def make(cls, root: Path, monkeypatch: Any) -> Box:
        box = cls(root, root / "logs", root / "tmp", root / "outside")
        for directory in (box.logs, box.tmp, box.outside):
            directory.mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv("SFAI_TOOLS__LOG_ROOTS", json.dumps([str(box.logs)]))
        monkeypatch.setenv("SFAI_TOOLS__TEMP_DIRS", json.dumps([str(box.tmp)]))
        return box


def supervisor_env(monkeypatch: Any, instance: Any) -> None:
    """Point sfai's tools at a test's own supervisord (and only at it)."""
    monkeypatch.setenv("SFAI_TOOLS__SUPERVISOR_CONFIG", str(instance.config))
    monkeypatch.setenv("SFAI_TOOLS__SERVICE_MANAGERS", '["supervisor"]')


def call(name: str, key: str, **arguments: Any) -> dict[str, Any]:
    """A tool_use block with a readable id (``toolu_KEY``)."""
    from tests.fakes import tool_use

    return tool_use(name, arguments, id=f"toolu_{key}")


def results_by_id(fake: Any, request: int) -> dict[str, tuple[str, bool]]:
    """``{tool_use_id: (framed text, is_error)}`` from the tool results of request #request."""
    body = fake.message_requests[request].body
    return {
        block["tool_use_id"]: (result_text(block), bool(block.get("is_error")))
        for block in tool_results(body)
    }


def error_code(text: str) -> str:
    """The error code a rendered error result names: ``error (refused_by_policy): ...``."""
    match = re.search(r"error \(([a-z_]+)\)", text)
    return match.group(1) if match else ""
