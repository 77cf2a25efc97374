"""Conversation history in a real SQLite file: schema, round trip, kill -9, search, export."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from sfai.core.events import Usage
from sfai.core.store import Store, open_store
from sfai.core.store.conversations import INTERRUPTED_RESULT, fts_query, repair_transcript
from sfai.core.store.export import to_json, to_markdown
from sfai.core.store.migrations import MIGRATIONS

QUESTION = "Why is the disk on web1 full?"
ANSWER = (
    "The disk is 97% full: /var/log/nginx holds 38 GB of access logs that logrotate "
    "never compressed. Clean them with clean_disk, then fix the logrotate configuration."
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(tmp_path / "sfai.db")
    yield opened
    opened.close()


def record_sample_conversation(store: Store, *, title: str = QUESTION) -> str:
    """One full exchange, as the engine writes it: question, a streamed turn that calls a
    tool, the tool's result, a streamed answer, usage, events."""
    cid = store.create_conversation(
        host="web1", provider="anthropic", model="claude-sonnet-5", mode="diagnose", title=title
    )
    store.record_event("ai.conversation.started", cid, {"mode": "diagnose"})
    store.add_message(cid, "user", [{"type": "text", "text": QUESTION}], text=QUESTION)
    first = store.start_assistant_message(cid)
    for chunk in ("Let me look ", "at the ", "filesystems."):
        store.append_text(first, chunk)
    tool_use = {
        "type": "tool_use",
        "id": "toolu_01",
        "name": "get_disk_usage",
        "input": {"path": "/"},
    }
    store.finish_message(
        first, [{"type": "text", "text": "Let me look at the filesystems."}, tool_use]
    )
    store.record_tool_call(cid, "toolu_01", "get_disk_usage", {"path": "/"}, "read_only")
    result = {"ok": True, "summary": "/ is 97% used", "filesystems": [{"used_percent": 97}]}
    store.record_tool_result(cid, "toolu_01", result, True, 0.25, False)
    store.add_message(
        cid,
        "user",
        [{"type": "tool_result", "tool_use_id": "toolu_01", "content": "/ is 97% used"}],
    )
    second = store.start_assistant_message(cid)
    chunks = [ANSWER[i : i + 7] for i in range(0, len(ANSWER), 7)]
    for chunk in chunks:
        store.append_text(second, chunk)
    store.finish_message(second, [{"type": "text", "text": ANSWER}])
    store.record_usage(cid, "anthropic", "claude-sonnet-5", Usage(1200, 300, 800, 0, 0.0079, 1))
    store.record_usage(cid, "anthropic", "claude-sonnet-5", Usage(1500, 120, 800, 100, 0.0061, 1))
    store.record_event("ai.diagnostic.completed", cid, {"findings": 1})
    store.set_conversation_status(cid, "ok")
    return cid


# -- schema -------------------------------------------------------------------
def test_migrations_build_every_table_on_an_empty_database(store: Store) -> None:
    assert store.schema_version == len(MIGRATIONS) >= 2
    tables = {row[0] for row in store.db.execute("SELECT name FROM sqlite_master")}
    expected = {"conversations", "messages", "tool_calls", "usage", "events", "messages_fts"}
    assert expected | {"conversations_fts", "disk_samples"} <= tables
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_database_at_version_1_is_migrated_and_keeps_its_disk_samples(tmp_path: Path) -> None:
    path = tmp_path / "sfai.db"
    old = sqlite3.connect(path)
    old.executescript(MIGRATIONS[0])
    old.execute("PRAGMA user_version = 1")
    old.executemany(
        "INSERT INTO disk_samples (host, mountpoint, taken_at, used_bytes, size_bytes) "
        "VALUES ('web1', '/', ?, ?, 1000)",
        [(100.0, 400), (200.0, 450)],
    )
    old.commit()
    old.close()

    store = open_store(path)
    try:
        assert store.schema_version == len(MIGRATIONS)
        assert store.disk_samples("web1", "/", 0) == [(100.0, 400), (200.0, 450)]
        cid = record_sample_conversation(store)
        assert store.get_conversation(cid) is not None
    finally:
        store.close()
    reopened = open_store(path)  # opening again applies nothing twice
    assert reopened.schema_version == len(MIGRATIONS)
    assert len(reopened.list_conversations()) == 1
    reopened.close()


# -- round trip ---------------------------------------------------------------
def test_get_conversation_returns_messages_tool_calls_usage_and_events(store: Store) -> None:
    cid = record_sample_conversation(store)
    assert len(cid) == 12 and int(cid, 16) >= 0

    data = store.get_conversation(cid)
    assert data is not None
    assert {k: data[k] for k in ("id", "title", "host", "provider", "model", "mode")} == {
        "id": cid,
        "title": QUESTION,
        "host": "web1",
        "provider": "anthropic",
        "model": "claude-sonnet-5",
        "mode": "diagnose",
    }
    assert data["status"] == "ok"
    assert data["created_at"].endswith("Z") and "T" in data["created_at"]
    assert [m["role"] for m in data["messages"]] == ["user", "assistant", "user", "assistant"]
    assert [m["seq"] for m in data["messages"]] == [1, 2, 3, 4]
    assert data["messages"][3]["text"] == ANSWER
    assert data["messages"][3]["status"] == "complete"
    assert data["messages"][1]["content"][1]["name"] == "get_disk_usage"
    [call] = data["tool_calls"]
    assert call["name"] == "get_disk_usage" and call["arguments"] == {"path": "/"}
    assert call["ok"] is True and call["duration_s"] == 0.25 and call["cached"] is False
    assert call["result"]["summary"] == "/ is 97% used" and call["risk"] == "read_only"
    assert data["usage"] == {
        "input_tokens": 2700,
        "output_tokens": 420,
        "cache_read_tokens": 1600,
        "cache_write_tokens": 100,
        "cost_usd": 0.014,
        "requests": 2,
    }
    assert [e["name"] for e in data["events"]] == [
        "ai.conversation.started",
        "ai.diagnostic.completed",
    ]
    assert store.get_conversation("0" * 12) is None


def test_list_conversations_most_recently_active_first_with_counts(store: Store) -> None:
    older = record_sample_conversation(store, title="first")
    newer = store.create_conversation(
        host="db1", provider="offline", model="offline", mode="suggest", title="  second\n one "
    )
    assert [c["id"] for c in store.list_conversations()] == [newer, older]
    assert store.latest_conversation_id() == newer

    store.add_message(older, "user", [{"type": "text", "text": "and the inodes?"}])
    listed = store.list_conversations()
    assert [c["id"] for c in listed] == [older, newer]
    assert store.latest_conversation_id() == older
    assert listed[0]["messages"] == 5 and listed[0]["usage"]["requests"] == 2
    assert listed[1]["title"] == "second one" and listed[1]["messages"] == 0
    assert listed[1]["usage"]["cost_usd"] == 0.0 and listed[1]["status"] == "running"
    assert len(store.list_conversations(limit=1)) == 1


def test_untitled_conversation_is_titled_by_its_first_question(store: Store) -> None:
    cid = store.create_conversation(host="h", provider="p", model="m", mode="diagnose", title="")
    store.add_message(cid, "user", [{"type": "text", "text": "nginx renvoie 502"}])
    assert store.list_conversations()[0]["title"] == "nginx renvoie 502"


def test_latest_conversation_id_is_none_on_an_empty_store(store: Store) -> None:
    assert store.latest_conversation_id() is None
    assert store.list_conversations() == []


def test_finish_message_keeps_streamed_text_when_content_has_no_text(store: Store) -> None:
    cid = store.create_conversation(host="h", provider="p", model="m", mode="act", title="t")
    mid = store.start_assistant_message(cid)
    store.append_text(mid, "The service is ")
    store.append_text(mid, "restarting")
    store.finish_message(mid, [], status="interrupted")
    [message] = store.get_conversation(cid)["messages"]  # type: ignore[index]
    assert message["text"] == "The service is restarting"
    assert message["status"] == "interrupted"
    assert store.load_messages(cid) == [
        {"role": "assistant", "content": [{"type": "text", "text": "The service is restarting"}]}
    ]


def test_a_tool_result_without_a_recorded_call_is_kept(store: Store) -> None:
    cid = store.create_conversation(host="h", provider="p", model="m", mode="diagnose", title="t")
    store.record_tool_result(cid, "toolu_x", {"ok": False}, False, 1.5, True)
    [call] = store.get_conversation(cid)["tool_calls"]  # type: ignore[index]
    assert call["tool_use_id"] == "toolu_x" and call["ok"] is False and call["cached"] is True


def test_unknown_conversation_status_and_malformed_event_names_are_refused(
    store: Store,
) -> None:
    cid = store.create_conversation(host="h", provider="p", model="m", mode="diagnose", title="t")
    for status in ("ok", "max_steps", "error", "interrupted", "approval_needed", "rate_limited"):
        store.set_conversation_status(cid, status)
    with pytest.raises(ValueError, match="status"):
        store.set_conversation_status(cid, "done")
    for name in ("ai.action.approved", "ai.conversation.escalated_to_support"):
        store.record_event(name, cid, {"tool": "restart_service"})
    store.record_event("ai.action.failed", None, {})
    with pytest.raises(ValueError, match="dotted"):
        store.record_event("Action Approved", cid, {})


# -- durability ---------------------------------------------------------------
def test_append_text_is_committed_before_it_returns(store: Store, tmp_path: Path) -> None:
    cid = store.create_conversation(host="h", provider="p", model="m", mode="diagnose", title="t")
    mid = store.start_assistant_message(cid)
    reader = sqlite3.connect(tmp_path / "sfai.db")
    for expected in ("a", "ab", "abc"):
        store.append_text(mid, expected[-1])
        row = reader.execute("SELECT text, status FROM messages WHERE id = ?", (mid,)).fetchone()
        assert row == (expected, "streaming")
    reader.close()


CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from sfai.core.store import open_store

    store = open_store(Path(sys.argv[1]))
    cid = store.create_conversation(
        host="web1", provider="anthropic", model="m", mode="diagnose", title="killed"
    )
    store.add_message(cid, "user", [{"type": "text", "text": "why?"}])
    mid = store.start_assistant_message(cid)
    print(cid, flush=True)
    n = 0
    while True:
        store.append_text(mid, f"chunk{n} ")
        print(n, flush=True)
        n += 1
    """
)


def test_kill_9_mid_stream_loses_no_chunk_already_streamed(tmp_path: Path) -> None:
    path = tmp_path / "sfai.db"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        cid = child.stdout.readline().strip()
        reported = [int(child.stdout.readline()) for _ in range(200)]
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL
    assert reported == list(range(200))

    store = open_store(path)
    try:
        data = store.get_conversation(cid)
        assert data is not None and data["status"] == "interrupted"  # its process is gone
        partial = data["messages"][-1]
        assert partial["status"] == "streaming"
        words = partial["text"].split()
        assert words[:200] == [f"chunk{n}" for n in range(200)]  # every reported chunk
        assert words == [f"chunk{n}" for n in range(len(words))]  # nothing torn or reordered
        assert store.load_messages(cid) == [
            {"role": "user", "content": [{"type": "text", "text": "why?"}]},
            {"role": "assistant", "content": [{"type": "text", "text": partial["text"]}]},
        ]
        assert store.search_conversations("chunk150")[0]["id"] == cid
    finally:
        store.close()


# -- transcript repair --------------------------------------------------------
def _use(tool_id: str) -> dict[str, object]:
    return {"type": "tool_use", "id": tool_id, "name": "get_memory_status", "input": {}}


def _result(tool_id: str, content: str = "ok") -> dict[str, object]:
    return {"type": "tool_result", "tool_use_id": tool_id, "content": content}


def _synthetic(tool_id: str) -> dict[str, object]:
    return {
        "type": "tool_result",
        "tool_use_id": tool_id,
        "content": INTERRUPTED_RESULT,
        "is_error": True,
    }


def test_load_messages_answers_a_trailing_tool_use_with_an_error_result(store: Store) -> None:
    cid = store.create_conversation(host="h", provider="p", model="m", mode="diagnose", title="t")
    store.add_message(cid, "user", [{"type": "text", "text": "memory?"}])
    mid = store.start_assistant_message(cid)
    store.append_text(mid, "Checking.")
    store.finish_message(mid, [{"type": "text", "text": "Checking."}, _use("t1"), _use("t2")])
    assert store.load_messages(cid)[-1] == {
        "role": "user",
        "content": [_synthetic("t1"), _synthetic("t2")],
    }


def test_load_messages_completes_partial_results_and_puts_them_first(store: Store) -> None:
    cid = store.create_conversation(host="h", provider="p", model="m", mode="diagnose", title="t")
    store.add_message(cid, "user", [{"type": "text", "text": "memory?"}])
    store.add_message(cid, "assistant", [_use("t1"), _use("t2")])
    store.add_message(cid, "user", [_result("t2", "swap 80%")])
    store.add_message(cid, "user", [{"type": "text", "text": "and now?"}])
    loaded = store.load_messages(cid)
    assert [m["role"] for m in loaded] == ["user", "assistant", "user"]
    assert loaded[2]["content"] == [
        _synthetic("t1"),
        _result("t2", "swap 80%"),
        {"type": "text", "text": "and now?"},
    ]


def test_repair_transcript_drops_orphan_results_and_empty_messages() -> None:
    repaired = repair_transcript(
        [
            {"role": "user", "content": [{"type": "text", "text": "q"}]},
            {"role": "assistant", "content": [{"type": "text", "text": "a"}]},
            {"role": "user", "content": [_result("ghost")]},
            {"role": "assistant", "content": [_use("t1")]},
            {"role": "assistant", "content": [{"type": "text", "text": "b"}]},
        ]
    )
    assert repaired == [
        {"role": "user", "content": [{"type": "text", "text": "q"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "a"}, _use("t1")]},
        {"role": "user", "content": [_synthetic("t1")]},
        {"role": "assistant", "content": [{"type": "text", "text": "b"}]},
    ]


def test_load_messages_skips_a_stream_killed_before_its_first_chunk(store: Store) -> None:
    cid = store.create_conversation(host="h", provider="p", model="m", mode="diagnose", title="t")
    store.add_message(cid, "user", [{"type": "text", "text": "first"}])
    store.start_assistant_message(cid)
    store.add_message(cid, "user", [{"type": "text", "text": "second"}])
    assert store.load_messages(cid) == [
        {
            "role": "user",
            "content": [{"type": "text", "text": "first"}, {"type": "text", "text": "second"}],
        }
    ]


# -- search -------------------------------------------------------------------
def test_search_finds_words_in_answers_with_a_snippet(store: Store) -> None:
    cid = record_sample_conversation(store)
    other = store.create_conversation(
        host="db1", provider="offline", model="offline", mode="diagnose", title="memory"
    )
    store.add_message(other, "user", [{"type": "text", "text": "Pourquoi la mémoire sature ?"}])

    [hit] = store.search_conversations("logrotate")
    assert hit["id"] == cid and hit["matched"] == "message"
    assert "**logrotate**" in hit["snippet"]
    assert [h["id"] for h in store.search_conversations("LOGROTATE compressed")] == [cid]
    assert store.search_conversations("logrotate postgres") == []  # every word must match
    assert [h["id"] for h in store.search_conversations("web1 logrotate")] == [cid]  # anywhere
    assert [h["id"] for h in store.search_conversations("memoire")] == [other]  # accents folded
    assert [h["id"] for h in store.search_conversations("logro*")] == [cid]  # prefix
    [marked] = store.search_conversations("nginx", mark=("<", ">"))
    assert "<nginx>" in marked["snippet"]


def test_search_matches_titles(store: Store) -> None:
    cid = store.create_conversation(
        host="h", provider="p", model="m", mode="diagnose", title="Certificate expiry on shop"
    )
    [hit] = store.search_conversations("certificate")
    assert hit["id"] == cid and hit["matched"] == "title"


def test_search_finds_text_still_streaming(store: Store) -> None:
    cid = store.create_conversation(host="h", provider="p", model="m", mode="diagnose", title="t")
    mid = store.start_assistant_message(cid)
    store.append_text(mid, "php-fpm ran out of workers at 03:12")
    [hit] = store.search_conversations("Workers")
    assert hit["id"] == cid and "**workers**" in hit["snippet"]
    store.add_message(cid, "user", [{"type": "text", "text": "shop is slow"}])
    [hit] = store.search_conversations("shop php-fpm")  # indexed and streaming words together
    assert hit["id"] == cid
    assert store.search_conversations("shop apache") == []


@pytest.mark.parametrize(
    "query",
    ['"', "*", "OR", "NEAR(", "'; DROP TABLE conversations; --", 'disk"', "a AND", "-x", "^", ":"],
)
def test_search_hostile_queries_do_not_raise(store: Store, query: str) -> None:
    record_sample_conversation(store)
    assert isinstance(store.search_conversations(query), list)
    assert len(store.list_conversations()) == 1


def test_search_quotes_operators_as_plain_words(store: Store) -> None:
    cid = store.create_conversation(host="h", provider="p", model="m", mode="diagnose", title="t")
    store.add_message(cid, "user", [{"type": "text", "text": "restart nginx OR apache NOT now"}])
    assert fts_query('NOT "x" y*') == '"NOT" """x""" "y"*'
    assert fts_query(" * \" ' ") is None
    assert [h["id"] for h in store.search_conversations("OR NOT")] == [cid]
    assert store.search_conversations("nginx NOT") != []


def test_search_index_follows_updates_and_deletes(store: Store) -> None:
    cid = record_sample_conversation(store)
    store.db.execute("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)")
    store.db.execute(
        "INSERT INTO conversations_fts (conversations_fts, rank) VALUES ('integrity-check', 1)"
    )
    assert store.delete_conversation(cid) is True
    assert store.search_conversations("logrotate") == []
    assert store.search_conversations("disk") == []
    store.db.execute("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)")


# -- delete and ids -----------------------------------------------------------
def test_delete_conversation_removes_its_rows_and_unlinks_its_events(store: Store) -> None:
    cid = record_sample_conversation(store)
    keep = record_sample_conversation(store, title="keep me")
    assert store.delete_conversation(cid) is True
    assert store.get_conversation(cid) is None
    for table in ("messages", "tool_calls", "usage"):
        count = store.db.execute(
            f"SELECT COUNT(*) FROM {table} WHERE conversation_id = ?", [cid]
        ).fetchone()[0]
        assert count == 0, table
    unlinked = store.db.execute(
        "SELECT COUNT(*) FROM events WHERE conversation_id IS NULL"
    ).fetchone()[0]
    assert unlinked == 2
    assert store.get_conversation(keep)["usage"]["requests"] == 2  # type: ignore[index]
    assert store.delete_conversation(cid) is False


def test_conversation_ids_resolve_from_unique_prefixes(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = iter(["abcd12340000", "abcd12340000", "abcd99990000", "ffff00001111"])
    monkeypatch.setattr("sfai.core.store.conversations.secrets.token_hex", lambda _n: next(ids))
    first = store.create_conversation(host="h", provider="p", model="m", mode="diagnose", title="")
    second = store.create_conversation(host="h", provider="p", model="m", mode="diagnose", title="")
    assert (first, second) == ("abcd12340000", "abcd99990000")  # the collision was retried

    assert store.resolve_conversation_id("abcd1") == first
    assert store.resolve_conversation_id("ABCD9") == second
    assert store.resolve_conversation_id(second) == second
    assert store.resolve_conversation_id("abcd") is None  # ambiguous
    assert store.conversation_ids_with_prefix("abcd") == [first, second]
    assert store.resolve_conversation_id("abc") is None  # too short
    assert store.resolve_conversation_id("abcd%") is None
    assert store.resolve_conversation_id("0000") is None


# -- export -------------------------------------------------------------------
def test_export_markdown_is_a_readable_transcript(store: Store) -> None:
    cid = record_sample_conversation(store)
    data = store.get_conversation(cid)
    assert data is not None
    markdown = to_markdown(data)
    lines = markdown.splitlines()

    assert lines[0] == f"# {QUESTION}"
    assert f"- Conversation: `{cid}`" in lines
    assert "- Model: anthropic / claude-sonnet-5" in lines
    assert lines.index("## Question 1") < lines.index("## Answer 1")
    assert QUESTION in lines and ANSWER in lines
    assert "<summary>Tool call <code>get_disk_usage</code> — ok · 0.25 s</summary>" in lines
    assert '```json\n{\n  "path": "/"\n}\n```' in markdown
    assert markdown.index("Let me look") < markdown.index("<details>") < markdown.index(ANSWER)
    assert lines[-1] == (
        "Usage: 2,700 input tokens · 420 output · 1,600 cache read · 100 cache write · "
        "2 requests · $0.0140"
    )
    assert markdown.count("<details>") == markdown.count("</details>") == 1


def test_export_markdown_marks_failed_tools_and_interrupted_answers(store: Store) -> None:
    cid = store.create_conversation(host="h", provider="p", model="m", mode="diagnose", title="t")
    store.add_message(cid, "user", [{"type": "text", "text": "logs?"}])
    store.add_message(
        cid,
        "assistant",
        [{"type": "tool_use", "id": "t1", "name": "get_logs", "input": {"source": "```"}}],
    )
    store.record_tool_call(cid, "t1", "get_logs", {"source": "```"}, "read_only")
    error = {"ok": False, "error": {"code": "not_found", "message": "no such log"}}
    store.record_tool_result(cid, "t1", error, False, 0.01, False)
    mid = store.start_assistant_message(cid)
    store.append_text(mid, "The log is")
    markdown = to_markdown(store.get_conversation(cid))  # type: ignore[arg-type]
    assert "— error: not_found: no such log" in markdown
    assert '````json\n{\n  "source": "```"\n}\n````' in markdown  # fence outgrows the content
    assert "The log is\n\n_(The answer stopped here: the run was interrupted.)_" in markdown


def test_export_json_is_the_full_conversation(store: Store) -> None:
    cid = record_sample_conversation(store)
    data = store.get_conversation(cid)
    assert data is not None
    assert json.loads(to_json(data)) == data


def test_export_markdown_shows_piped_input_apart_from_the_question(store: Store) -> None:
    cid = store.create_conversation(host="h", provider="p", model="m", mode="diagnose", title="t")
    piped = "Context piped on stdin:\nnginx: [emerg] bind() to 0.0.0.0:80 failed\nline two"
    content = [{"type": "text", "text": "why does it fail?"}, {"type": "text", "text": piped}]
    store.add_message(cid, "user", content, text="why does it fail?")
    markdown = to_markdown(store.get_conversation(cid))  # type: ignore[arg-type]
    assert "## Question 1\n\nwhy does it fail?\n\n<details>" in markdown
    assert "<summary>Context piped on stdin:</summary>" in markdown
    assert "```\nnginx: [emerg] bind() to 0.0.0.0:80 failed\nline two\n```" in markdown


def test_load_messages_after_any_interruption_is_a_request_the_api_accepts(store: Store) -> None:
    """Each way a run can stop, replayed with a new question, through the fake API's checks."""
    from tests.fakes.anthropic_replies import validate

    def question(cid: str, text: str) -> None:
        store.add_message(cid, "user", [{"type": "text", "text": text}])

    def new() -> str:
        cid = store.create_conversation(host="h", provider="p", model="m", mode="act", title="t")
        question(cid, "is nginx up?")
        return cid

    killed_before_first_chunk = new()
    store.start_assistant_message(killed_before_first_chunk)
    killed_mid_text = new()
    store.append_text(store.start_assistant_message(killed_mid_text), "Checking ")
    killed_before_results = new()
    store.add_message(killed_before_results, "assistant", [_use("t1"), _use("t2")])
    killed_between_results = new()
    store.add_message(killed_between_results, "assistant", [_use("t1"), _use("t2")])
    store.add_message(killed_between_results, "user", [_result("t2")])
    killed_after_results = new()
    store.add_message(killed_after_results, "assistant", [_use("t1")])
    store.add_message(killed_after_results, "user", [_result("t1")])
    store.start_assistant_message(killed_after_results)

    for cid in (
        killed_before_first_chunk,
        killed_mid_text,
        killed_before_results,
        killed_between_results,
        killed_after_results,
    ):
        question(cid, "and now?")
        messages = store.load_messages(cid)
        assert validate({"model": "m", "max_tokens": 100, "messages": messages}) is None, messages
        assert messages[-1]["content"][-1] == {"type": "text", "text": "and now?"}


def test_a_conversation_whose_process_was_killed_is_settled_as_interrupted(
    tmp_path: Path,
) -> None:
    """The owner is recorded at creation; a real child process owns one conversation and
    is SIGKILLed: reopening the history settles it, and leaves the live one running."""
    import signal
    import subprocess
    import sys

    database = tmp_path / "sfai.db"
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from sfai.core.store import open_store\n"
            "store = open_store(Path(sys.argv[1]))\n"
            "print(store.create_conversation(host='local', provider='offline', model='m', "
            "mode='suggest', title='killed mid-answer'), flush=True)\n"
            "time.sleep(60)",
            str(database),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    killed_id = child.stdout.readline().strip()
    store = open_store(database)
    alive_id = store.create_conversation(
        host="local", provider="offline", model="m", mode="suggest", title="still running"
    )
    assert store.settle_abandoned() == []  # the child still runs: nothing is guessed
    child.send_signal(signal.SIGKILL)
    child.wait()
    store.close()
    reopened = open_store(database)
    statuses = {c["id"]: c["status"] for c in reopened.list_conversations()}
    assert statuses == {killed_id: "interrupted", alive_id: "running"}
    reopened.close()
