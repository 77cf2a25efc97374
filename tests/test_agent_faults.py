"""Faults between sfai and a real sfai-agent: the agent killed mid-call, a network drop
(a TCP proxy that is cut or goes silent), a stopped agent, a wrong token, a changed
certificate, a full disk on the agent, and reconnecting once it is back. Each ends in a
clear error, never a hang, and nothing said in a conversation is lost."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import psutil
import pytest

from sfai.core.paths import sfai_paths
from sfai.hosts.agent import AgentHost
from sfai.hosts.inventory import HostEntry, load_inventory, save_inventory
from tests.cli import SFAI, run_sfai
from tests.fixtures.agent import AgentServer, create_agent
from tests.fixtures.agent_hosts import assert_no_session, entry_for
from tests.fixtures.processes import kill_pids

SLOW_COMMAND = {"argv": ["vmstat", "1", "30"]}
"""A read-only call that runs for a while on the agent (its own process: ``vmstat``)."""


async def children_named(agent: AgentServer, name: str, timeout: float = 30.0) -> list[int]:
    """Wait (without blocking the loop) until the agent runs a child called ``name``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(psutil.Error):
            found = [
                p.pid
                for p in psutil.Process(agent.pid).children(recursive=True)
                if p.name() == name
            ]
            if found:
                return found
        await asyncio.sleep(0.05)
    return []


@pytest.fixture
def leftovers() -> Iterator[list[int]]:
    """Pids to SIGKILL after the test (a killed agent's children live on)."""
    pids: list[int] = []
    yield pids
    kill_pids(pids)


def add_to_inventory(entry: HostEntry) -> None:
    paths = sfai_paths()
    save_inventory(load_inventory(paths).with_entry(entry))


# -- the agent killed ------------------------------------------------------------------
async def test_agent_killed_mid_call_is_an_error_result_then_reconnects(
    start_agent: Callable[..., AgentServer],
    open_host: Callable[..., AgentHost],
    leftovers: list[int],
) -> None:
    agent = start_agent(tools={"command_timeout_s": 60, "tool_timeout_s": 60})
    host = open_host(entry_for(agent))
    call = asyncio.create_task(host.call_tool("run_command", SLOW_COMMAND))
    leftovers += await children_named(agent, "vmstat")
    assert leftovers, "the slow call never started on the agent"
    agent.kill()
    result = await asyncio.wait_for(call, 15)  # not the 60 s the tool could take
    assert result["ok"] is False and result["error"]["code"] == "unavailable"
    assert "dropped while run_command was running" in result["error"]["message"]
    assert "may or may not have completed" in result["error"]["message"]
    down = await asyncio.wait_for(host.call_tool("get_memory_status", {}), 30)
    assert down["ok"] is False and "connection refused" in down["error"]["message"]
    assert host.link.backoff.failures >= 1
    agent.restart()
    back = await asyncio.wait_for(host.call_tool("get_memory_status", {}), 30)
    assert back["ok"] is True, back
    assert host.link.connections == 2 and host.link.backoff.failures == 0


async def test_a_read_caught_by_an_agent_restart_is_retried_but_an_action_is_not(
    start_agent: Callable[..., AgentServer], open_host: Callable[..., AgentHost]
) -> None:
    agent = start_agent(actions_allowed=True)
    host = open_host(entry_for(agent))
    await host.connect()
    # SIGTERM: the agent says "going away" (1001) to every client. The event loop is
    # blocked meanwhile, so the close is only read when the next call is sent.
    agent.restart()
    read = await asyncio.wait_for(host.call_tool("get_memory_status", {}), 30)
    assert read["ok"] is True and host.link.connections == 2
    agent.restart()
    action = await host.call_tool("restart_service", {"service": "nginx", "dry_run": True})
    assert action["ok"] is False and "shutting down" in action["error"]["message"]
    assert "may or may not have completed" in action["error"]["message"]


def test_conversation_keeps_its_history_when_the_agent_dies_mid_call(
    start_agent: Callable[..., AgentServer],
    fake_claude_env,  # type: ignore[no-untyped-def]
    leftovers: list[int],
) -> None:
    agent = start_agent(tools={"command_timeout_s": 60, "tool_timeout_s": 60})
    add_to_inventory(entry_for(agent))
    fake_claude_env.script(
        [
            {"content": [{"type": "text", "text": "Watching vmstat."}, tool_use_block()]},
            {"content": [{"type": "text", "text": "The agent went away; I could not finish."}]},
        ]
    )
    process = subprocess.Popen(
        [SFAI, "ask", "--host", "web1", "is the CPU busy?", "--json"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        leftovers += asyncio.run(children_named(agent, "vmstat", 60))
        assert leftovers, "the model's slow call never reached the agent"
        agent.kill()
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr
    stream = [json.loads(line) for line in stdout.splitlines()]
    outcome = next(e for e in stream if e["type"] == "tool_result" and e["name"] == "run_command")
    assert outcome["ok"] is False and "dropped" in json.dumps(outcome)
    assert stream[-1]["type"] == "done" and stream[-1]["status"] == "ok"
    # what Claude got back: the error, as a tool result
    second = fake_claude_env.message_requests[1].body
    assert "may or may not have completed" in json.dumps(second["messages"][-1])
    listed = run_sfai("history", "list", "--json")
    assert listed.code == 0, listed.stderr
    conversation = stream[-1]["conversation_id"]
    assert conversation in listed.stdout and "is the CPU busy?" in listed.stdout
    shown = run_sfai("history", "show", conversation, "--json")
    assert shown.code == 0 and "The agent went away" in shown.stdout
    assert "dropped while run_command was running" in shown.stdout


def tool_use_block() -> dict[str, object]:
    return {"type": "tool_use", "name": "run_command", "input": SLOW_COMMAND}


# -- the network -----------------------------------------------------------------------
class Proxy:
    """A TCP proxy on loopback between sfai and an agent, to cut or silence the link."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.silent = False
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    async def start(self) -> Proxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            writer.transport.abort()
            return
        self._writers += [writer, up_writer]
        await asyncio.gather(
            self._pump(reader, up_writer), self._pump(up_reader, writer), return_exceptions=True
        )

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            if not self.silent:  # a silent link swallows everything, in both directions
                writer.write(data)
                await writer.drain()
        writer.transport.abort()

    def cut(self) -> None:
        """Every proxied connection ends at once (a reset, as when a route goes away)."""
        for writer in self._writers:
            writer.transport.abort()
        self._writers.clear()

    async def close(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


@pytest.fixture
async def proxy_to() -> AsyncIterator[Callable[..., object]]:
    proxies: list[Proxy] = []

    async def factory(agent: AgentServer) -> Proxy:
        proxy = await Proxy(agent.port).start()
        proxies.append(proxy)
        return proxy

    yield factory
    for proxy in proxies:
        await proxy.close()


async def test_a_cut_link_fails_the_call_in_flight_at_once(
    start_agent: Callable[..., AgentServer],
    open_host: Callable[..., AgentHost],
    proxy_to,  # type: ignore[no-untyped-def]
    leftovers: list[int],
) -> None:
    agent = start_agent(tools={"command_timeout_s": 60, "tool_timeout_s": 60})
    proxy = await proxy_to(agent)
    host = open_host(entry_for(agent, address=f"wss://127.0.0.1:{proxy.port}"))
    call = asyncio.create_task(host.call_tool("run_command", SLOW_COMMAND))
    leftovers += await children_named(agent, "vmstat")
    assert leftovers
    proxy.cut()
    result = await asyncio.wait_for(call, 15)
    assert result["ok"] is False and result["error"]["code"] == "unavailable"
    assert "dropped" in result["error"]["message"]
    back = await asyncio.wait_for(host.call_tool("get_memory_status", {}), 30)
    assert back["ok"] is True and host.link.connections == 2


async def test_a_silent_link_times_out_then_reconnects(
    start_agent: Callable[..., AgentServer],
    open_host: Callable[..., AgentHost],
    proxy_to,  # type: ignore[no-untyped-def]
    leftovers: list[int],
) -> None:
    # the agent gives up on the tool after 1 s; its answer never crosses the silent link
    agent = start_agent(
        tools={"command_timeout_s": 1, "tool_timeout_s": 1}, limits={"timeout_grace_s": 0.5}
    )
    proxy = await proxy_to(agent)
    host = open_host(entry_for(agent, address=f"wss://127.0.0.1:{proxy.port}"))
    assert (await host.call_tool("get_memory_status", {}))["ok"] is True
    proxy.silent = True
    result = await asyncio.wait_for(host.call_tool("run_command", SLOW_COMMAND), 30)
    assert result["ok"] is False and result["error"]["code"] == "timeout"
    assert "no answer from the agent to run_command" in result["error"]["message"]
    assert host.link.current() is None  # the unanswered ping dropped the dead connection
    proxy.silent = False
    back = await asyncio.wait_for(host.call_tool("get_memory_status", {}), 30)
    assert back["ok"] is True and host.link.connections == 2


async def test_a_stopped_agent_times_out_and_is_used_again_once_it_continues(
    start_agent: Callable[..., AgentServer],
    open_host: Callable[..., AgentHost],
    leftovers: list[int],
) -> None:
    agent = start_agent(
        tools={"command_timeout_s": 1, "tool_timeout_s": 1}, limits={"timeout_grace_s": 0.5}
    )
    host = open_host(entry_for(agent))
    assert (await host.call_tool("get_memory_status", {}))["ok"] is True
    os.kill(agent.pid, signal.SIGSTOP)
    try:
        result = await asyncio.wait_for(host.call_tool("get_system_overview", {}), 30)
    finally:
        os.kill(agent.pid, signal.SIGCONT)
    assert result["ok"] is False and result["error"]["code"] == "timeout"
    back = await asyncio.wait_for(host.call_tool("get_memory_status", {}), 30)
    assert back["ok"] is True and host.link.connections == 2


# -- who is at the other end -----------------------------------------------------------
async def test_a_rotated_token_is_refused_until_the_token_file_is_updated(
    agent_server: AgentServer, open_host: Callable[..., AgentHost], tmp_path: Path
) -> None:
    token_file = tmp_path / "web1.token"
    token_file.write_text(agent_server.token, encoding="utf-8")
    add_to_inventory(entry_for(agent_server, token_file=str(token_file)))
    host = open_host(entry_for(agent_server, token_file=str(token_file)))
    assert (await host.call_tool("get_memory_status", {}))["ok"] is True
    assert agent_server.cli("token", "rotate").returncode == 0
    await host.close()  # the next connection says hello with the old token
    refused = await host.call_tool("get_memory_status", {})
    assert refused["ok"] is False and "rejected the token" in refused["error"]["message"]
    assert "sfai-agent token rotate" in refused["error"]["hint"]
    assert "refused hello" in agent_server.log()
    tested = run_sfai("hosts", "test", "web1")
    assert tested.code == 1 and "rejected the token" in tested.stderr
    token_file.write_text(agent_server.token, encoding="utf-8")
    back = await asyncio.wait_for(host.call_tool("get_memory_status", {}), 30)
    assert back["ok"] is True


async def test_a_changed_certificate_is_refused_loudly_and_nothing_is_sent(
    agent_server: AgentServer, open_host: Callable[..., AgentHost]
) -> None:
    pinned = agent_server.fingerprint
    add_to_inventory(entry_for(agent_server))
    host = open_host(entry_for(agent_server))
    assert (await host.call_tool("get_memory_status", {}))["ok"] is True
    await asyncio.to_thread(agent_server.stop)  # the loop runs: the client sees it go
    assert agent_server.cli("init", "--force").returncode == 0
    agent_server.log_file.unlink()
    agent_server.restart()  # same port, new key and certificate
    assert agent_server.fingerprint != pinned
    result = await asyncio.wait_for(host.call_tool("get_memory_status", {}), 30)
    assert result["ok"] is False and "CERTIFICATE HAS CHANGED" in result["error"]["message"]
    tested = run_sfai("hosts", "test", "web1")
    assert tested.code == 1
    assert "WARNING: AGENT CERTIFICATE HAS CHANGED!" in tested.stderr
    assert pinned in tested.stderr and agent_server.fingerprint in tested.stderr
    assert "sfai hosts remove web1" in tested.stderr
    run = run_sfai("tools", "run", "get_memory_status", "--host", "web1")
    assert run.code == 1 and "CHANGED" in run.stderr
    assert_no_session(agent_server)


# -- the agent's disk ------------------------------------------------------------------
@pytest.fixture
def agent_on_a_full_disk(tmp_path: Path) -> Iterator[AgentServer]:
    """An agent whose home (and so its audit log) is on a small tmpfs, then filled."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", str(disk)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    agent: AgentServer | None = None
    try:
        agent = create_agent(disk / "home", actions_allowed=True)
        with contextlib.suppress(OSError), open(disk / "filler", "wb") as filler:
            while True:
                filler.write(b"\0" * 65536)
                filler.flush()
        yield agent
    finally:
        if agent is not None:
            agent.stop()
        subprocess.run(["umount", "-l", str(disk)], check=False)


async def test_a_full_disk_on_the_agent_refuses_actions_and_still_answers_reads(
    agent_on_a_full_disk: AgentServer, open_host: Callable[..., AgentHost]
) -> None:
    host = open_host(entry_for(agent_on_a_full_disk))
    action = await host.call_tool("restart_service", {"service": "nginx", "dry_run": True})
    assert action["ok"] is False and action["error"]["code"] == "unavailable"
    assert "cannot write its audit log" in action["error"]["message"]
    assert "free disk space" in action["error"]["hint"]
    read = await host.call_tool("get_memory_status", {})
    assert read["ok"] is True
