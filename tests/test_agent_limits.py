"""The agent's limits and faults: BUSY, slow tools, clients that vanish, too many
connections, connections that never say hello. Real agent processes, real clients."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import textwrap

import psutil
import pytest
from websockets.exceptions import ConnectionClosed

from sfai_agent.server import protocol as rpc
from sfai_agent.server.protocol import RpcError
from tests.fixtures.agent import AgentServer, agent_connection, wait_for_log
from tests.fixtures.processes import wait_until

SLOW = {"argv": ["vmstat", "1", "30"]}
"""A real command that takes 29 s: long enough to be 'in flight' for any test."""


def vmstat_children(agent: AgentServer) -> list[psutil.Process]:
    try:
        children = psutil.Process(agent.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    found = []
    for child in children:
        try:
            if child.name() == "vmstat" and child.status() != psutil.STATUS_ZOMBIE:
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found


async def test_calls_beyond_the_concurrency_limit_are_busy(start_agent) -> None:  # type: ignore[no-untyped-def]
    agent = start_agent(limits={"max_concurrent_calls": 1})
    async with agent_connection(agent) as conn:
        await conn.hello()
        await conn.send_raw(
            rpc.request(100, "tools.call", {"name": "run_command", "arguments": SLOW})
        )
        # the slow call holds the only slot until vmstat runs
        assert wait_until(lambda: vmstat_children(agent), 10)
        with pytest.raises(RpcError) as busy:
            await conn.tool("get_memory_status")
        assert busy.value.code == rpc.BUSY
        assert "1 calls already running" in busy.value.message
    # closing the connection cancelled the slow call and its command
    assert wait_until(lambda: not vmstat_children(agent), 10)
    assert wait_for_log(agent, r"closed \(pytest 1, 1 call, ")


async def test_slow_tool_times_out(start_agent) -> None:  # type: ignore[no-untyped-def]
    agent = start_agent(tools={"tool_timeout_s": 0.5})
    async with agent_connection(agent) as conn:
        hello = await conn.hello()
        assert hello["limits"]["tool_timeout_s"] == 0.5
        result = await conn.tool("run_command", SLOW)
        assert result["ok"] is False
        assert result["error"]["code"] == "timeout"
        # the connection is fine afterwards, and the command did not outlive the call
        assert (await conn.tool("get_memory_status"))["ok"] is True
    assert wait_until(lambda: not vmstat_children(agent), 10)


CLIENT = textwrap.dedent(
    """
    import asyncio, json, ssl, sys
    from websockets.asyncio.client import connect

    async def main(url, token):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        async with connect(url, ssl=context) as ws:
            await ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "hello",
                                      "params": {"token": token, "protocol": 1}}))
            await ws.recv()
            await ws.send(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "tools.call",
                                      "params": {"name": "run_command",
                                                 "arguments": {"argv": ["vmstat", "1", "30"]}}}))
            print("sent", flush=True)
            await asyncio.sleep(60)

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
)


async def test_a_client_killed_mid_call_leaves_the_agent_healthy(agent_server: AgentServer) -> None:
    client = subprocess.Popen(
        [sys.executable, "-c", CLIENT, agent_server.url, agent_server.token],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert client.stdout is not None
        line = await asyncio.to_thread(client.stdout.readline)
        assert line.strip() == "sent"
        assert wait_until(lambda: vmstat_children(agent_server), 10)
        client.send_signal(signal.SIGKILL)
        client.wait(10)
    finally:
        if client.poll() is None:
            client.kill()
            client.wait(10)
    # the agent noticed, cancelled the call and killed its command
    assert wait_for_log(agent_server, r"closed \(pytest|closed \(client, 1 call")
    assert wait_until(lambda: not vmstat_children(agent_server), 10)
    assert agent_server.alive()
    async with agent_connection(agent_server) as conn:
        await conn.hello()
        assert (await conn.tool("get_memory_status"))["ok"] is True


async def test_too_many_connections_are_closed_1013(start_agent) -> None:  # type: ignore[no-untyped-def]
    agent = start_agent(limits={"max_connections": 1})
    async with agent_connection(agent) as first:
        await first.hello()
        async with agent_connection(agent) as second:
            with pytest.raises(ConnectionClosed):
                await second.recv_json()
            assert second.ws.close_code == 1013
        assert (await first.tool("get_memory_status"))["ok"] is True
    assert wait_for_log(agent, r"refused a connection from .*: 1 already open")


async def test_a_connection_without_hello_is_closed(start_agent) -> None:  # type: ignore[no-untyped-def]
    agent = start_agent(limits={"hello_timeout_s": 0.3})
    async with agent_connection(agent) as conn:
        with pytest.raises(ConnectionClosed):
            await conn.recv_json()
        assert conn.ws.close_code == rpc.CLOSE_UNAUTHENTICATED
    assert wait_for_log(agent, r"did not authenticate in time")


async def test_too_many_messages_before_hello_close_the_connection(
    agent_server: AgentServer,
) -> None:
    async with agent_connection(agent_server) as conn:
        with pytest.raises(ConnectionClosed):
            for _ in range(20):
                await conn.send_raw("garbage")
                await conn.recv_json()
        assert conn.ws.close_code == rpc.CLOSE_PROTOCOL


async def test_many_calls_in_flight_on_one_connection(agent_server: AgentServer) -> None:
    """Answers are matched by id, whatever order they finish in."""
    async with agent_connection(agent_server) as conn:
        await conn.hello()
        for request_id in range(1, 5):
            await conn.send_raw(
                rpc.request(
                    request_id, "tools.call", {"name": "get_memory_status", "arguments": {}}
                )
            )
        answers = [await conn.recv_json() for _ in range(4)]
    assert sorted(a["id"] for a in answers) == [1, 2, 3, 4]
    assert all(a["result"]["ok"] for a in answers)


async def test_sigterm_with_a_call_in_flight_exits_cleanly(agent_server: AgentServer) -> None:
    async with agent_connection(agent_server) as conn:
        await conn.hello()
        await conn.send_raw(
            rpc.request(7, "tools.call", {"name": "run_command", "arguments": SLOW})
        )
        assert wait_until(lambda: vmstat_children(agent_server), 10)
        children = vmstat_children(agent_server)
        code = await asyncio.to_thread(agent_server.stop)
        with pytest.raises(ConnectionClosed):
            await conn.recv_json()
    assert code == 0
    assert not any(
        child.is_running() and child.status() != psutil.STATUS_ZOMBIE for child in children
    )
    assert "stopped" in agent_server.log()
