"""The agent daemon over a real TLS WebSocket: hello, auth, tools.call, policy, limits."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.exceptions import ConnectionClosed

from sfai_agent.server import protocol as rpc
from sfai_agent.server.protocol import HelloResult, RpcError
from sfai_agent.tools.catalog import load_catalog
from tests.fixtures.agent import AgentServer, agent_connection, wait_for_log


def shape(value: object) -> object:
    """Keys and types, recursively (the first item stands for a list): what a front end
    relies on, without the figures that change from one reading to the next."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return (
        "number"
        if isinstance(value, (int, float)) and not isinstance(value, bool)
        else type(value).__name__
    )


async def test_hello_returns_facts_catalog_and_limits(agent_server: AgentServer) -> None:
    async with agent_connection(agent_server) as conn:
        assert conn.ws.subprotocol == rpc.SUBPROTOCOL
        hello = HelloResult.from_dict(await conn.hello())
    assert hello.protocol == rpc.PROTOCOL_VERSION
    assert hello.host.cpus >= 1 and hello.host.kernel
    assert hello.actions_allowed is False
    names = {spec["name"] for spec in hello.catalog}
    assert "get_memory_status" in names
    # actions are not offered when the policy allows none
    assert "restart_service" not in names and "clean_disk" not in names
    read_only = {t.name for t in load_catalog().values() if t.spec.risk.value == "read_only"}
    assert names == read_only
    assert hello.limits["max_frame_bytes"] == rpc.MAX_FRAME_BYTES


async def test_wrong_token_is_refused_and_closed_4401(agent_server: AgentServer) -> None:
    async with agent_connection(agent_server) as conn:
        with pytest.raises(RpcError) as refused:
            await conn.hello(token="not-the-token")
        assert refused.value.code == rpc.UNAUTHENTICATED
        with pytest.raises(ConnectionClosed):
            await conn.recv_json()
        assert conn.ws.close_code == rpc.CLOSE_UNAUTHENTICATED
    assert wait_for_log(agent_server, r"refused hello from 127\.0\.0\.1:\d+: wrong token")
    assert agent_server.token not in agent_server.log()


async def test_methods_before_hello_are_refused(agent_server: AgentServer) -> None:
    async with agent_connection(agent_server) as conn:
        for method in ("tools.call", "metrics.sample", "metrics.subscribe", "nope"):
            with pytest.raises(RpcError) as refused:
                await conn.call(method, {"name": "get_memory_status"})
            assert refused.value.code == rpc.UNAUTHENTICATED
        # still usable: a good hello now works
        await conn.hello()
        result = await conn.tool("get_memory_status")
        assert result["ok"] is True


async def test_read_only_tool_result_has_the_local_shape(
    agent_server: AgentServer, run_tool
) -> None:  # type: ignore[no-untyped-def]
    local = await run_tool("get_memory_status")
    async with agent_connection(agent_server) as conn:
        await conn.hello()
        remote = await conn.tool("get_memory_status")
    assert remote["ok"] is True and local["ok"] is True
    assert shape(remote) == shape(local)


async def test_tool_errors_are_results_not_rpc_errors(agent_server: AgentServer) -> None:
    async with agent_connection(agent_server) as conn:
        await conn.hello()
        unknown = await conn.tool("get_memory_statuz")
        bad_args = await conn.tool("get_disk_usage", {"path": 42})
        not_object = await conn.tool("get_disk_usage", [1, 2])
    assert unknown["error"]["code"] == "unknown_tool"
    assert "get_memory_status" in unknown["error"]["hint"]
    assert bad_args["error"]["code"] == "invalid_argument"
    assert not_object["error"]["code"] == "invalid_argument"


async def test_actions_refused_when_the_agent_allows_none_even_if_approved(
    agent_server: AgentServer,
) -> None:
    async with agent_connection(agent_server) as conn:
        await conn.hello()
        result = await conn.tool("restart_service", {"service": "nginx"}, approved=True)
        dry = await conn.tool("clean_disk", {"paths": ["tmp"], "dry_run": True}, approved=True)
    assert result["ok"] is False
    assert result["error"]["code"] == "refused_by_policy"
    assert "allows no actions" in result["error"]["message"]
    assert "actions_allowed" in result["error"]["hint"]
    assert dry["error"]["code"] == "refused_by_policy"
    assert wait_for_log(agent_server, r"refused restart_service from 127\.0\.0\.1")


async def test_tool_not_offered_is_refused(start_agent) -> None:  # type: ignore[no-untyped-def]
    agent = start_agent(agent={"offer": ["get_*"], "exclude": ["get_logs"]})
    async with agent_connection(agent) as conn:
        hello = await conn.hello()
        names = {spec["name"] for spec in hello["catalog"]}
        assert "get_memory_status" in names
        assert "get_logs" not in names and "list_services" not in names
        excluded = await conn.tool("get_logs", {"source": "/var/log/syslog"})
        not_offered = await conn.tool("list_services")
        offered = await conn.tool("get_memory_status")
    assert excluded["error"]["code"] == "refused_by_policy"
    assert "not offered" in excluded["error"]["message"]
    assert not_offered["error"]["code"] == "refused_by_policy"
    assert offered["ok"] is True


async def test_agent_rules_apply_whatever_the_client_says(start_agent) -> None:  # type: ignore[no-untyped-def]
    agent = start_agent(
        policy={"rules": [{"decision": "deny", "tool": "get_disk_usage", "reason": "not here"}]}
    )
    async with agent_connection(agent) as conn:
        await conn.hello()
        result = await conn.tool("get_disk_usage", {}, approved=True)
    assert result["error"]["code"] == "refused_by_policy"
    assert "not here" in result["error"]["message"]


async def test_malformed_frames_get_errors_and_the_connection_stays_usable(
    agent_server: AgentServer,
) -> None:
    async with agent_connection(agent_server) as conn:
        await conn.hello()
        cases: list[tuple[str | bytes, int]] = [
            ("{not json", rpc.PARSE_ERROR),
            ("[]", rpc.INVALID_REQUEST),
            ('"text"', rpc.INVALID_REQUEST),
            ('{"jsonrpc": "1.0", "id": 1, "method": "hello"}', rpc.INVALID_REQUEST),
            ('{"jsonrpc": "2.0", "id": 1, "method": 5}', rpc.INVALID_REQUEST),
            ('{"jsonrpc": "2.0", "id": [1], "method": "hello"}', rpc.INVALID_REQUEST),
            (
                '{"jsonrpc": "2.0", "id": 2, "method": "tools.call", "params": [1]}',
                rpc.INVALID_PARAMS,
            ),
            (
                '{"jsonrpc": "2.0", "id": 3, "method": "tools.call", "params": {}}',
                rpc.INVALID_PARAMS,
            ),
            ('{"jsonrpc": "2.0", "id": 4, "method": "no.such"}', rpc.METHOD_NOT_FOUND),
            ("[" * 100_000 + "]" * 100_000, rpc.PARSE_ERROR),
            (b"\x00\x01binary", rpc.INVALID_REQUEST),
        ]
        for frame, code in cases:
            await conn.send_raw(frame)
            reply = await conn.recv_json()
            assert reply["error"]["code"] == code, frame[:60]
        result = await conn.tool("get_memory_status")
        assert result["ok"] is True


async def test_oversized_frame_closes_1009_and_the_agent_serves_on(start_agent) -> None:  # type: ignore[no-untyped-def]
    agent = start_agent(limits={"max_frame_bytes": 4096})
    async with agent_connection(agent) as conn:
        await conn.hello()
        big = rpc.request(
            9, "tools.call", {"name": "get_logs", "arguments": {"grep": "x" * 10_000}}
        )
        await conn.send_raw(big)
        with pytest.raises(ConnectionClosed):
            await conn.recv_json()
        assert conn.ws.close_code == 1009
    async with agent_connection(agent) as conn:
        await conn.hello()
        assert (await conn.tool("get_memory_status"))["ok"] is True
    assert agent.alive()


async def test_notifications_get_no_answer(agent_server: AgentServer) -> None:
    async with agent_connection(agent_server) as conn:
        await conn.hello()
        await conn.send_raw(json.dumps({"jsonrpc": "2.0", "method": "no.such", "params": {}}))
        # the next answer is the one to this request, not an error for the notification
        sample = await conn.call("metrics.sample")
        assert "cpu_percent" in sample


async def test_metrics_subscribe_streams_samples(agent_server: AgentServer) -> None:
    async with agent_connection(agent_server) as conn:
        await conn.hello()
        answer = await conn.call("metrics.subscribe", {"interval_s": 0.01})
        assert answer == {"interval_s": rpc.MIN_METRICS_INTERVAL_S}
        samples = []
        while len(samples) < 2:
            message = await conn.recv_json()
            assert message["method"] == "metrics.sample"
            assert "id" not in message
            samples.append(message["params"])
        assert {"cpu_percent", "memory", "disks", "alerts"} <= set(samples[0])
        assert await conn.call("metrics.unsubscribe") == {"subscribed": False}
        # after unsubscribe, nothing but answers: one request, one response
        assert (await conn.tool("get_memory_status"))["ok"] is True


async def test_metrics_subscribe_rejects_a_bad_interval(agent_server: AgentServer) -> None:
    async with agent_connection(agent_server) as conn:
        await conn.hello()
        with pytest.raises(RpcError) as refused:
            await conn.call("metrics.subscribe", {"interval_s": "soon"})
    assert refused.value.code == rpc.INVALID_PARAMS


async def test_unsupported_protocol_version(agent_server: AgentServer) -> None:
    async with agent_connection(agent_server) as conn:
        with pytest.raises(RpcError) as refused:
            await conn.call("hello", {"token": agent_server.token, "protocol": 99})
    assert refused.value.code == rpc.UNSUPPORTED_PROTOCOL
    assert refused.value.data == {"supported": [rpc.PROTOCOL_VERSION]}


async def test_sigterm_stops_gracefully(agent_server: AgentServer) -> None:
    async with agent_connection(agent_server) as conn:
        await conn.hello()
        code = await asyncio.to_thread(agent_server.stop)
        with pytest.raises(ConnectionClosed):
            await conn.recv_json()
        assert conn.ws.close_code == 1001
    assert code == 0
    assert "SIGTERM received" in agent_server.log()


async def test_secrets_are_masked_on_the_agent(start_agent, tmp_path) -> None:  # type: ignore[no-untyped-def]
    logs = tmp_path / "logs"
    logs.mkdir()
    secret = "AKIAIOSFODNN7EXAMPLE"
    (logs / "app.log").write_text(f"boot ok\nusing key {secret} for s3\nready\n")
    agent = start_agent(tools={"log_roots": [str(logs)]})
    async with agent_connection(agent) as conn:
        await conn.hello()
        result = await conn.tool("get_logs", {"source": str(logs / "app.log")})
        raw = await conn.request(
            "tools.call", {"name": "get_logs", "arguments": {"source": str(logs / "app.log")}}
        )
    assert result["ok"] is True, result
    assert "[SECRET:aws-key:1]" in json.dumps(result)
    assert secret not in json.dumps(raw)
    outside = tmp_path / "elsewhere.log"
    outside.write_text("x\n")
    async with agent_connection(agent) as conn:
        await conn.hello()
        refused = await conn.tool("get_logs", {"source": str(outside)})
    assert refused["ok"] is False
