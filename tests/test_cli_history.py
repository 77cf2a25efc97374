"""`sfai history` through the real console script, over a real sfai.db in SFAI_HOME."""

from __future__ import annotations

import json
import os
import pty
import subprocess
from pathlib import Path

import pytest

from sfai.core.store import open_store
from tests.cli import SFAI, run_sfai
from tests.test_store_conversations import ANSWER, QUESTION, record_sample_conversation


@pytest.fixture
def conversation_id() -> str:
    store = open_store()  # SFAI_HOME/sfai.db, the file the CLI opens
    try:
        return record_sample_conversation(store)
    finally:
        store.close()


def _exists(conversation_id: str) -> bool:
    store = open_store()
    try:
        return store.get_conversation(conversation_id) is not None
    finally:
        store.close()


def test_history_is_listed_in_the_help() -> None:
    result = run_sfai("history", "--help")
    assert result.code == 0
    for command in ("list", "show", "search", "export", "rm"):
        assert command in result.stdout


def test_history_list_piped_is_one_tab_separated_line_per_conversation(
    conversation_id: str,
) -> None:
    result = run_sfai("history", "list")
    assert result.code == 0, result.stderr
    assert "\x1b[" not in result.stdout
    [line] = result.stdout.splitlines()
    fields = line.split("\t")
    assert fields[0] == conversation_id
    assert fields[1].endswith("Z")
    assert fields[2:] == [
        "web1",
        "anthropic/claude-sonnet-5",
        "ok",
        QUESTION,
        "4",
        "$0.0140",
    ]


def test_history_list_json(conversation_id: str) -> None:
    result = run_sfai("history", "list", "--json", "--limit", "5")
    assert result.code == 0, result.stderr
    [summary] = json.loads(result.stdout)
    assert summary["id"] == conversation_id
    assert summary["messages"] == 4 and summary["usage"]["requests"] == 2


def test_history_list_when_empty_says_so_on_stderr_only() -> None:
    result = run_sfai("history", "list")
    assert result.code == 0
    assert result.stdout == ""
    assert "no conversations yet" in result.stderr
    assert json.loads(run_sfai("history", "list", "--json").stdout) == []


def test_history_show_by_prefix_shows_question_answer_tool_call_and_usage(
    conversation_id: str,
) -> None:
    result = run_sfai("history", "show", conversation_id[:6])
    assert result.code == 0, result.stderr
    out = result.stdout
    assert "\x1b[" not in out
    assert f"? {QUESTION}" in out
    assert ANSWER in out
    assert '→ get_disk_usage(path="/")  [ok · 0.25 s]' in out
    assert "usage: 2,700 input tokens · 420 output" in out
    assert out.index(QUESTION) < out.index("get_disk_usage") < out.index(ANSWER)


def test_history_show_json_is_the_full_record(conversation_id: str) -> None:
    result = run_sfai("history", "show", conversation_id, "--json")
    assert result.code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["id"] == conversation_id
    assert [call["name"] for call in data["tool_calls"]] == ["get_disk_usage"]
    assert len(data["messages"]) == 4


def test_history_search_prints_matches_with_snippets(conversation_id: str) -> None:
    result = run_sfai("history", "search", "logrotate")
    assert result.code == 0, result.stderr
    [line] = result.stdout.splitlines()
    assert line.startswith(conversation_id + "\t")
    assert "**logrotate**" in line.split("\t")[-1]

    found = json.loads(run_sfai("history", "search", "logrotate", "--json").stdout)
    assert [hit["id"] for hit in found] == [conversation_id]


@pytest.mark.parametrize("query", ["postgres", '"', "NEAR(", "'; DROP TABLE messages; --"])
def test_history_search_without_match_is_not_an_error(conversation_id: str, query: str) -> None:
    result = run_sfai("history", "search", query)
    assert result.code == 0, result.stderr
    assert result.stdout == ""
    assert "no conversation mentions" in result.stderr
    assert _exists(conversation_id)


def test_history_export_markdown_to_stdout(conversation_id: str) -> None:
    result = run_sfai("history", "export", conversation_id[:8], "--format", "markdown")
    assert result.code == 0, result.stderr
    assert result.stdout.startswith(f"# {QUESTION}\n")
    assert "## Question 1" in result.stdout and "## Answer 1" in result.stdout
    assert "<summary>Tool call <code>get_disk_usage</code>" in result.stdout
    assert result.stdout.rstrip().endswith("2 requests · $0.0140")


def test_history_export_json_to_a_file(conversation_id: str, tmp_path: Path) -> None:
    target = tmp_path / "incident.json"
    result = run_sfai(
        "history", "export", conversation_id, "--format", "json", "--output", str(target)
    )
    assert result.code == 0, result.stderr
    assert result.stdout == ""
    assert f"wrote {target}" in result.stderr
    data = json.loads(target.read_text())
    assert data["id"] == conversation_id and data["messages"][-1]["text"] == ANSWER


def test_history_export_rejects_an_unknown_format(conversation_id: str) -> None:
    result = run_sfai("history", "export", conversation_id, "--format", "yaml")
    assert result.code == 2


def test_history_rm_without_yes_and_without_a_terminal_refuses(conversation_id: str) -> None:
    result = run_sfai("history", "rm", conversation_id)
    assert result.code == 2
    assert "--yes" in result.stderr
    assert _exists(conversation_id)


def test_history_rm_with_yes_deletes(conversation_id: str) -> None:
    result = run_sfai("history", "rm", conversation_id[:5], "--yes")
    assert result.code == 0, result.stderr
    assert f"deleted {conversation_id}" in result.stderr
    assert not _exists(conversation_id)
    assert run_sfai("history", "show", conversation_id).code == 2


@pytest.mark.parametrize(("answer", "kept"), [("n\n", True), ("y\n", False)])
def test_history_rm_on_a_terminal_asks_first(conversation_id: str, answer: str, kept: bool) -> None:
    controller, terminal = pty.openpty()
    try:
        child = subprocess.Popen(
            [SFAI, "history", "rm", conversation_id],
            stdin=terminal,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        os.write(controller, answer.encode())
        _out, err = child.communicate(timeout=60)
    finally:
        os.close(terminal)
        os.close(controller)
    assert child.returncode == 0, err
    assert "Delete conversation?" in err
    assert _exists(conversation_id) is kept


@pytest.mark.parametrize(
    "command",
    [["show"], ["show", "--json"], ["export"], ["rm", "--yes"], ["rm"]],
)
def test_history_unknown_conversation_exits_2(conversation_id: str, command: list[str]) -> None:
    result = run_sfai("history", command[0], "0000000000ff", *command[1:])
    assert result.code == 2
    assert "no conversation '0000000000ff'" in result.stderr
    assert result.stdout == ""


def test_history_too_short_prefix_exits_2_with_a_hint(conversation_id: str) -> None:
    result = run_sfai("history", "show", conversation_id[:3])
    assert result.code == 2
    assert "at least 4 characters" in result.stderr


def test_history_ambiguous_prefix_exits_2_and_lists_the_candidates() -> None:
    store = open_store()
    try:
        store.db.execute(
            "INSERT INTO conversations (id, title, host, provider, model, mode, status, "
            "created_at, updated_at) VALUES "
            "('abcd00000001', 'a', 'h', 'p', 'm', 'diagnose', 'ok', 0, 0), "
            "('abcd00000002', 'b', 'h', 'p', 'm', 'diagnose', 'ok', 0, 0)"
        )
    finally:
        store.close()
    result = run_sfai("history", "show", "abcd")
    assert result.code == 2
    assert "abcd00000001, abcd00000002" in result.stderr
    assert run_sfai("history", "show", "abcd00000002").code == 0


def test_history_show_summarises_piped_input_instead_of_printing_it() -> None:
    store = open_store()
    try:
        cid = store.create_conversation(
            host="h", provider="offline", model="offline", mode="diagnose", title="t"
        )
        log = "\n".join(f"Nov 24 10:00:{n:02d} app[1]: error {n}" for n in range(30))
        content = [
            {"type": "text", "text": "why does it fail?"},
            {"type": "text", "text": "Context piped on stdin:\n" + log},
        ]
        store.add_message(cid, "user", content, text="why does it fail?")
    finally:
        store.close()
    result = run_sfai("history", "show", cid)
    assert result.code == 0, result.stderr
    assert "? why does it fail?" in result.stdout
    assert "+ Context piped on stdin (30 lines)" in result.stdout
    assert "error 29" not in result.stdout
