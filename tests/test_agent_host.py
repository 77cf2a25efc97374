"""AgentHost, sfai's side of the agent protocol, against real ``sfai-agent serve`` processes
(tests/fixtures/agent.py): facts, the agent's catalog, tool calls, metrics, concurrency,
masking, pinning and tokens, and the backoff that spaces reconnects."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from sfai.core.host import HostUnreachable
from sfai.hosts.agent import AgentHost, call_timeout
from sfai.hosts.agent_client import fetch_fingerprint
from sfai.hosts.agent_link import MAX_WAIT_S, AgentRefused, Backoff
from sfai.hosts.inventory import HostEntry
from sfai_agent.redact import Redactor
from sfai_agent.tools.catalog import load_catalog
from tests.fixtures.agent import AgentServer, wait_for_log
from tests.fixtures.agent_hosts import assert_no_session, entry_for
from tests.fixtures.processes import free_port

OTHER_FINGERPRINT = "SHA256:" + ":".join(["AB"] * 32)


async def test_connect_returns_the_agents_facts_and_catalog(
    agent_server: AgentServer, open_host: Callable[..., AgentHost]
) -> None:
    host = open_host(entry_for(agent_server))
    local_names = {tool.name for tool in load_catalog().values()}
    assert {spec.name for spec in host.catalog()} == local_names  # before connecting
    facts = await host.connect()
    assert facts["transport"] == "agent" and facts["hostname"]
    assert facts["agent_version"] and facts["protocol"] == 1
    assert facts["fingerprint"] == agent_server.fingerprint
    assert facts["latency_ms"] >= 0 and facts["actions_allowed"] is False
    offered = {spec.name for spec in host.catalog()}
    # a fresh agent offers read-only tools only: its catalog, not ours
    assert offered and offered < local_names
    assert all(spec.risk.value == "read_only" for spec in host.catalog())
    assert facts["tools"] == len(offered)
    again = await host.connect()  # idempotent: the same connection, a ping for latency
    assert again["hostname"] == facts["hostname"] and host.link.connections == 1


async def test_catalog_follows_the_agents_policy(
    start_agent: Callable[..., AgentServer], open_host: Callable[..., AgentHost]
) -> None:
    agent = start_agent(actions_allowed=True, agent={"exclude": ["run_command"]})
    host = open_host(entry_for(agent))
    facts = await host.connect()
    names = {spec.name for spec in host.catalog()}
    assert "run_command" not in names and "restart_service" in names
    assert facts["actions_allowed"] is True
    restart = next(spec for spec in host.catalog() if spec.name == "restart_service")
    assert restart.has_dry_run and restart.risk.value != "read_only"


async def test_tool_call_round_trip_and_refusals_are_results(
    agent_server: AgentServer, open_host: Callable[..., AgentHost]
) -> None:
    host = open_host(entry_for(agent_server))
    result = await host.call_tool("get_memory_status", {})  # connects lazily
    assert result["ok"] is True and result["ram"]["total_bytes"] > 0
    refused = await host.call_tool(
        "restart_service", {"service": "nginx", "dry_run": False}, approved=True
    )
    assert refused["ok"] is False and refused["error"]["code"] == "refused_by_policy"
    assert "allows no actions" in refused["error"]["message"]
    invalid = await host.call_tool("get_logs", {"lines": "many"})
    assert invalid["ok"] is False and invalid["error"]["code"] == "invalid_argument"
    unknown = await host.call_tool("format_disk", {})
    assert unknown["ok"] is False and unknown["error"]["code"] == "unknown_tool"
    assert host.link.connections == 1


async def test_more_calls_than_the_agent_runs_at_once_wait_their_turn(
    start_agent: Callable[..., AgentServer], open_host: Callable[..., AgentHost]
) -> None:
    agent = start_agent(limits={"max_concurrent_calls": 2})
    host = open_host(entry_for(agent))
    results = await asyncio.gather(*(host.call_tool("get_memory_status", {}) for _ in range(8)))
    assert [r["ok"] for r in results] == [True] * 8, [r.get("error") for r in results]


async def test_secrets_come_back_masked_with_stable_placeholders(
    start_agent: Callable[..., AgentServer],
    open_host: Callable[..., AgentHost],
    tmp_path: Path,
) -> None:
    log = tmp_path / "app.log"
    log.write_text(
        "app: connecting with password=Sup3rS3cretValue!\n"
        "app: aws key AKIAIOSFODNN7EXAMPLE in use\n",
        encoding="utf-8",
    )
    agent = start_agent(tools={"log_roots": [str(tmp_path)]})
    redactor = Redactor()
    host = open_host(entry_for(agent), redactor=redactor)
    first = await host.call_tool("get_logs", {"source": str(log)})
    second = await host.call_tool("get_logs", {"source": str(log)})
    text = repr(first)
    assert first["ok"] is True and "[SECRET:" in text
    assert "Sup3rS3cretValue" not in text and "AKIAIOSFODNN7EXAMPLE" not in text
    assert repr(second) == text  # same placeholders on the next call
    # what came back is already masked: the conversation's redactor leaves it as it is
    assert redactor.redact(first) == first


async def test_metrics_subscribe_and_return_the_latest_sample(
    agent_server: AgentServer, open_host: Callable[..., AgentHost]
) -> None:
    host = open_host(entry_for(agent_server))
    first = await host.metrics()
    assert {"cpu_percent", "memory", "load", "disks"} <= set(first)
    # the agent now pushes samples; a later one is a different reading
    later = first
    deadline = time.monotonic() + 15
    while later["time"] == first["time"] and time.monotonic() < deadline:
        await asyncio.sleep(0.3)
        later = await host.metrics()
    assert later["time"] != first["time"]
    assert "_received" not in later


async def test_close_ends_the_connection_cleanly(
    agent_server: AgentServer, open_host: Callable[..., AgentHost]
) -> None:
    host = open_host(entry_for(agent_server))
    await host.connect()
    connection = host.link.current()
    assert connection is not None
    await host.close()
    assert connection.closed and host.link.current() is None
    assert wait_for_log(agent_server, r"closed \(sfai [^,]+, 0 calls.*close code 1000\)")
    # a closed host connects again when used again
    assert (await host.call_tool("get_memory_status", {}))["ok"] is True
    assert host.link.connections == 2


async def test_a_wrong_pin_is_refused_before_anything_is_sent(
    agent_server: AgentServer, open_host: Callable[..., AgentHost]
) -> None:
    host = open_host(entry_for(agent_server, fingerprint=OTHER_FINGERPRINT))
    with pytest.raises(AgentRefused) as caught:
        await host.connect()
    message = caught.value.message
    assert "CERTIFICATE HAS CHANGED" in message
    assert OTHER_FINGERPRINT in message and agent_server.fingerprint in message
    assert "Nothing was sent" in message
    assert "sfai-agent fingerprint" in caught.value.hint
    assert f"sfai hosts remove {host.name}" in caught.value.hint
    result = await host.call_tool("get_memory_status", {})
    assert result["ok"] is False and result["error"]["code"] == "unavailable"
    assert "CHANGED" in result["error"]["message"]
    assert_no_session(agent_server)


async def test_a_wrong_token_is_refused_with_how_to_fix_it(
    agent_server: AgentServer, open_host: Callable[..., AgentHost], tmp_path: Path
) -> None:
    wrong = tmp_path / "wrong.token"
    wrong.write_text("not-the-token\n", encoding="utf-8")
    host = open_host(entry_for(agent_server, token_file=str(wrong)))
    with pytest.raises(AgentRefused) as caught:
        await host.connect()
    assert "rejected the token" in caught.value.message
    assert "sfai-agent token rotate" in caught.value.hint and str(wrong) in caught.value.hint


async def test_a_missing_token_file_or_pin_is_refused(
    agent_server: AgentServer, open_host: Callable[..., AgentHost], tmp_path: Path
) -> None:
    missing = open_host(entry_for(agent_server, token_file=str(tmp_path / "nope")))
    with pytest.raises(AgentRefused, match="cannot read the token file"):
        await missing.connect()
    unpinned = open_host(entry_for(agent_server, fingerprint=""))
    with pytest.raises(AgentRefused, match="no certificate fingerprint is pinned"):
        await unpinned.connect()


async def test_an_unreachable_agent_is_an_error_result_never_a_hang(
    open_host: Callable[..., AgentHost], tmp_path: Path
) -> None:
    token = tmp_path / "token"
    token.write_text("x" * 43, encoding="utf-8")
    entry = HostEntry(
        name="gone",
        transport="agent",
        address=f"wss://127.0.0.1:{free_port()}",
        fingerprint=OTHER_FINGERPRINT,
        token_file=str(token),
    )
    host = open_host(entry)
    result = await asyncio.wait_for(host.call_tool("get_memory_status", {}), 30)
    assert result["ok"] is False and result["error"]["code"] == "unavailable"
    assert "connection refused" in result["error"]["message"]
    assert "sfai-agent" in result["error"]["hint"]
    with pytest.raises(HostUnreachable):
        await asyncio.wait_for(host.metrics(), 30)


async def test_calls_during_a_long_backoff_fail_at_once_with_the_last_reason(
    open_host: Callable[..., AgentHost], tmp_path: Path
) -> None:
    token = tmp_path / "token"
    token.write_text("x" * 43, encoding="utf-8")
    port = free_port()
    host = open_host(
        HostEntry(
            name="gone",
            transport="agent",
            address=f"wss://127.0.0.1:{port}",
            fingerprint=OTHER_FINGERPRINT,
            token_file=str(token),
        )
    )
    first = await host.call_tool("get_memory_status", {})
    assert first["ok"] is False
    failures = host.link.backoff.failures
    assert failures >= 1
    host.link.backoff.retry_at = time.monotonic() + MAX_WAIT_S + 60  # a host down for long
    second = await asyncio.wait_for(host.call_tool("get_memory_status", {}), MAX_WAIT_S)
    assert second["ok"] is False and "next attempt in" in second["error"]["message"]
    assert host.link.backoff.failures == failures  # no attempt was made meanwhile


async def test_fetch_fingerprint_reads_the_certificate_only(agent_server: AgentServer) -> None:
    assert await fetch_fingerprint(agent_server.url, 10) == agent_server.fingerprint
    assert_no_session(agent_server)


def test_backoff_grows_exponentially_with_jitter_up_to_a_cap() -> None:
    now = [100.0]
    backoff = Backoff(base=0.5, cap=8.0, clock=lambda: now[0])
    pauses = [backoff.failed() for _ in range(8)]
    steps = [min(8.0, 0.5 * 2**i) for i in range(8)]
    assert all(step / 2 <= pause <= step for pause, step in zip(pauses, steps, strict=True))
    assert backoff.wait() == pytest.approx(pauses[-1])
    backoff.succeeded()
    assert backoff.failures == 0 and backoff.wait() == 0


def test_call_timeout_is_above_the_agents_own_limits() -> None:
    assert call_timeout(30.0, 5.0) > 35.0
    assert call_timeout(0.5, 0.0) > 0.5
