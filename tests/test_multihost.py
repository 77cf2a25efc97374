"""Questions across several hosts: MultiHost over the local host and real ``sfai-agent``
processes on loopback, a closed port and a silent listener as the unreachable hosts, and
``sfai ask --host a --host b`` end to end with the fake Messages server scripting a model
that calls a tool on two hosts."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sfai.core.action_flow import ToolCaller
from sfai.core.approval import Answer, ApprovalRequest, Choice
from sfai.core.config import Config
from sfai.core.fleet import UnavailableHost
from sfai.core.host import Host
from sfai.core.multihost import MultiHost
from sfai.core.paths import sfai_paths
from sfai.core.providers.base import ToolUse
from sfai.core.store import open_store
from sfai.hosts.agent import AgentHost
from sfai.hosts.inventory import HostEntry, Inventory, inventory_path, save_inventory
from sfai.hosts.local import LocalHost
from sfai_agent.settings import AgentSettings
from tests.cli import run_sfai
from tests.fakes import reply, tool_use
from tests.fixtures.agent import AgentServer
from tests.fixtures.processes import free_port

StartAgent = Callable[..., AgentServer]


def named_local(name: str, settings: AgentSettings | None = None) -> LocalHost:
    host = LocalHost(settings)
    host.name = name  # type: ignore[misc]  # a second "machine" made of this one
    return host


def agent_entry(name: str, agent: AgentServer, tags: tuple[str, ...] = ()) -> HostEntry:
    return HostEntry(
        name=name,
        transport="agent",
        address=agent.url,
        fingerprint=agent.fingerprint,
        token_file=str(agent.token_file),
        tags=tags,
    )


def dead_entry(name: str, agent: AgentServer, port: int) -> HostEntry:
    """An agent entry whose address answers nothing (closed port or silent listener)."""
    return HostEntry(
        name=name,
        transport="agent",
        address=f"wss://127.0.0.1:{port}",
        fingerprint=agent.fingerprint,
        token_file=str(agent.token_file),
    )


def write_inventory(*entries: HostEntry) -> None:
    save_inventory(Inventory(path=inventory_path(sfai_paths()), entries=entries))


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A listener that completes TCP handshakes and then never says a word: the TLS
    handshake waits forever, like a host behind a firewall that drops the traffic."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield int(listener.getsockname()[1])


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "agent-logs"
    folder.mkdir()
    (folder / "app.log").write_text("boot ok\npayment backend refused connection (marker-7f3a)\n")
    return folder


def events(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


# -- MultiHost in-process ---------------------------------------------------------------


async def test_catalog_gives_every_tool_a_required_host_enum(start_agent: StartAgent) -> None:
    agent = start_agent(agent={"exclude": ["run_command"]})
    remote = AgentHost(agent_entry("web", agent), Config())
    multi = MultiHost([named_local("alpha"), remote])
    try:
        await multi.connect()
        specs = {spec.name: spec.input_schema for spec in multi.catalog()}
    finally:
        await multi.close()
    for name, schema in specs.items():
        assert schema["required"][0] == "host", name
        assert schema["properties"]["host"]["type"] == "string"
    assert specs["get_disk_usage"]["properties"]["host"]["enum"] == ["alpha", "web"]
    # The agent's policy does not offer run_command: only the local host does.
    assert specs["run_command"]["properties"]["host"]["enum"] == ["alpha"]
    assert specs["get_logs"]["required"] == ["host", "source"]


async def test_calls_go_where_the_host_argument_says(
    start_agent: StartAgent, log_dir: Path
) -> None:
    # The agent may read log_dir; the local host may not: the answer proves the route.
    agent = start_agent(tools={"log_roots": [str(log_dir)]})
    multi = MultiHost([named_local("alpha"), AgentHost(agent_entry("web", agent), Config())])
    try:
        source = str(log_dir / "app.log")
        remote, local = await asyncio.gather(
            multi.call_tool("get_logs", {"host": "web", "source": source}),
            multi.call_tool("get_logs", {"host": "alpha", "source": source}),
        )
        assert remote["ok"] is True and remote["host"] == "web"
        assert "marker-7f3a" in json.dumps(remote)
        assert local["ok"] is False and local["host"] == "alpha"
        assert local["error"]["code"] in ("refused_by_policy", "invalid_argument")
        missing = await multi.call_tool("get_memory_status", {})
        assert missing["error"]["code"] == "invalid_argument"
        assert "alpha, web" in missing["error"]["message"]
        unknown = await multi.call_tool("get_memory_status", {"host": "db9"})
        assert (
            unknown["error"]["code"] == "invalid_argument" and "db9" in unknown["error"]["message"]
        )
    finally:
        await multi.close()


async def test_a_closed_port_is_an_error_result_naming_the_host(agent_server: AgentServer) -> None:
    down = AgentHost(dead_entry("down", agent_server, free_port()), Config())
    multi = MultiHost([named_local("alpha"), down], connect_timeout_s=5)
    try:
        facts = await multi.connect()
        assert "unreachable" in facts["hosts"]["down"]
        assert multi.reachable() == ["alpha"] and list(multi.unreachable()) == ["down"]
        result = await multi.call_tool("get_memory_status", {"host": "down"})
        assert result["ok"] is False and result["error"]["code"] == "unavailable"
        assert "down" in result["error"]["message"] and result["error"]["hint"]
        # The working host is not held up by the broken one.
        assert (await multi.call_tool("get_memory_status", {"host": "alpha"}))["ok"] is True
    finally:
        await multi.close()


async def test_a_silent_host_gives_up_within_its_timeout(
    agent_server: AgentServer, silent_port: int
) -> None:
    silent = AgentHost(dead_entry("blackhole", agent_server, silent_port), Config())
    multi = MultiHost([named_local("alpha"), silent], connect_timeout_s=1.5)
    try:
        result = await multi.call_tool("get_disk_usage", {"host": "blackhole"})
        assert result["error"]["code"] == "unavailable"
        assert "blackhole" in result["error"]["message"]
        snapshot = await multi.context("diagnose", timeout_s=1.5)
        assert "blackhole: UNREACHABLE" in snapshot.text or "blackhole: NO ANSWER" in snapshot.text
        assert "## alpha (" in snapshot.text
    finally:
        await multi.close()


async def test_a_frozen_agent_is_a_timeout_result_not_a_hang(start_agent: StartAgent) -> None:
    agent = start_agent()
    config = Config(tools=AgentSettings(tool_timeout_s=1.0))
    remote = AgentHost(agent_entry("web", agent), config)
    multi = MultiHost([remote, named_local("alpha")], settings=config.tools, call_grace_s=0.5)
    try:
        assert (await multi.call_tool("get_memory_status", {"host": "web"}))["ok"] is True
        os.kill(agent.pid, signal.SIGSTOP)  # connected, then silent mid-conversation
        try:
            result = await multi.call_tool("get_memory_status", {"host": "web"})
        finally:
            os.kill(agent.pid, signal.SIGCONT)
        assert result["ok"] is False and result["error"]["code"] in ("timeout", "unavailable")
        assert "web" in result["error"]["message"]
    finally:
        await multi.close()


async def test_snapshot_has_a_block_per_host_then_a_line_per_host() -> None:
    few = MultiHost([named_local("alpha"), named_local("beta")])
    text = (await few.context("suggest")).text
    assert "Hosts: alpha, beta." in text and "`host` argument" in text
    assert text.count("## ") == 2 and "Memory:" in text and "Disk:" in text
    many = MultiHost(
        [*(named_local(f"h{i}") for i in range(5)), UnavailableHost("gone", "no route to host")]
    )
    lines = (await many.context("suggest")).text.splitlines()
    rows = [line for line in lines if line.startswith("- ")]
    assert len(rows) == 6 and "## " not in "\n".join(lines)
    assert all("mem " in row and "disk " in row for row in rows[:5])
    assert rows[5].startswith("- gone: UNREACHABLE: no route to host")


@pytest.mark.supervisor
async def test_approval_and_audit_name_the_host_the_call_goes_to(supervisor: Any) -> None:
    asked: list[ApprovalRequest] = []
    audited: list[dict[str, Any]] = []

    class Recorder:
        async def approve(self, request: ApprovalRequest) -> Answer:
            asked.append(request)
            return Answer(Choice.NO, "user", "not today")

    class Sink:
        def append(self, kind: str, **record: Any) -> None:
            audited.append({"kind": kind, **record})

    managed = AgentSettings(**supervisor.settings)  # real services; declined, nothing restarts
    multi: Host = MultiHost([named_local("alpha", managed), named_local("beta", managed)])
    store = open_store()
    try:
        caller = ToolCaller(
            host=multi,
            store=store,
            mode="act",
            approver=Recorder(),
            audit=Sink(),
            specs={spec.name: spec for spec in multi.catalog()},
        )
        use = ToolUse(
            id="t1",
            name="restart_service",
            input={"host": "beta", "service": "web", "dry_run": False},
        )
        result = await caller.call(use)
    finally:
        store.close()
    assert result["ok"] is False
    assert asked[0].host == "beta" and asked[0].arguments["host"] == "beta"
    assert result["error"]["code"] == "denied_by_user"
    assert audited and {record["host"] for record in audited} == {"beta"}


@pytest.mark.supervisor
async def test_always_covers_one_tool_on_one_host_only(supervisor_private: Any) -> None:
    answers = [Answer(Choice.ALWAYS, "user"), Answer(Choice.NO, "user", "not on alpha")]
    asked: list[str] = []

    class Scripted:
        async def approve(self, request: ApprovalRequest) -> Answer:
            asked.append(request.host)
            return answers.pop(0)

    managed = AgentSettings(**supervisor_private.settings, restart_verify_s=1.0)
    multi: Host = MultiHost([named_local("alpha", managed), named_local("beta", managed)])
    store = open_store()
    try:
        caller = ToolCaller(
            host=multi,
            store=store,
            mode="act",
            approver=Scripted(),
            audit=None,
            specs={spec.name: spec for spec in multi.catalog()},
        )

        def restart(host: str, number: int) -> ToolUse:
            arguments = {"host": host, "service": "web", "dry_run": False}
            return ToolUse(id=f"t{number}", name="restart_service", input=arguments)

        first = await caller.call(restart("beta", 1))
        second = await caller.call(restart("beta", 2))  # "always" on beta: not asked again
        third = await caller.call(restart("alpha", 3))  # another host: asked again
    finally:
        store.close()
    assert asked == ["beta", "alpha"]
    assert first["ok"] is True and second["ok"] is True and first["host"] == "beta"
    assert third["error"]["code"] == "denied_by_user"


def test_tui_on_a_host_and_its_errors(agent_server: AgentServer) -> None:
    from tests.pty_run import PtyRun

    write_inventory(
        agent_entry("edge7", agent_server), dead_entry("down", agent_server, free_port())
    )
    env = {"TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"}
    for args, code, fragment in (
        (["--host", "nope"], 2, "local, edge7, down"),
        (["--host", "down"], 1, "down is unreachable"),
    ):
        session = PtyRun(*args, env=env, stdout_on_terminal=True)
        try:
            finished = session.finish(timeout=60)
        finally:
            session.kill()
        assert finished.code == code and fragment in finished.transcript, finished.transcript
    session = PtyRun("--host", "edge7", env=env, stdout_on_terminal=True)
    try:
        session.expect("edge7", timeout=60)
        os.write(session._master, b"\x11")  # Ctrl+Q
        finished = session.finish(timeout=30)
    finally:
        session.kill()
    assert finished.code == 0, finished.transcript


# -- sfai ask across hosts, end to end -------------------------------------------------


def test_ask_two_hosts_the_model_calls_a_tool_on_each(
    fake_claude_env: Any, start_agent: StartAgent, log_dir: Path
) -> None:
    agent = start_agent(tools={"log_roots": [str(log_dir)]})
    write_inventory(agent_entry("web", agent, tags=("prod",)))
    source = str(log_dir / "app.log")
    fake_claude_env.script(
        [
            reply(
                "Reading both.",
                tool_use("get_logs", {"host": "web", "source": source}, id="toolu_web"),
                tool_use("get_memory_status", {"host": "local"}, id="toolu_local"),
            ),
            reply("The payment backend on web refuses connections."),
        ]
    )
    result = run_sfai(
        "ask", "why do payments fail?", "--host", "local", "--host", "@prod", "--json"
    )
    assert result.code == 0, result.stderr
    stream = events(result.stdout)
    calls = {e["id"]: e for e in stream if e["type"] == "tool_call"}
    assert calls["toolu_web"]["input"] == {"host": "web", "source": source}
    assert calls["toolu_local"]["input"] == {"host": "local"}
    outcomes = {e["id"]: e for e in stream if e["type"] == "tool_result"}
    assert outcomes["toolu_web"]["ok"] is True and "marker-7f3a" in outcomes["toolu_web"]["content"]
    assert outcomes["toolu_local"]["ok"] is True
    assert stream[-1]["type"] == "done" and stream[-1]["status"] == "ok"
    first = fake_claude_env.message_requests[0].body
    tools = {tool["name"]: tool for tool in first["tools"]}
    assert tools["get_logs"]["input_schema"]["properties"]["host"]["enum"] == ["local", "web"]
    context = json.dumps(first["system"])
    assert "## local (" in context and "## web (" in context and "agent" in context
    # What the model got back for the remote call: the agent's file, framed.
    second = fake_claude_env.message_requests[1].body
    results = {
        block["tool_use_id"]: json.dumps(block["content"])
        for message in second["messages"]
        for block in message["content"]
        if isinstance(block, dict) and block.get("type") == "tool_result"
    }
    assert "marker-7f3a" in results["toolu_web"] and "marker-7f3a" not in results["toolu_local"]


def test_ask_all_hosts_reports_an_unreachable_host_and_goes_on(
    fake_claude_env: Any, agent_server: AgentServer
) -> None:
    write_inventory(agent_entry("web", agent_server), dead_entry("down", agent_server, free_port()))
    fake_claude_env.script(
        [
            reply(tool_use("get_disk_usage", {"host": "down"}, id="toolu_down")),
            reply("down cannot be reached; web and local look fine."),
        ]
    )
    result = run_sfai("ask", "how are my servers?", "--all-hosts", "--json")
    assert result.code == 0, result.stderr
    assert "host down" in result.stderr and "warning" in result.stderr
    stream = events(result.stdout)
    outcome = next(e for e in stream if e["type"] == "tool_result")
    assert outcome["ok"] is False and "down" in outcome["content"]
    context = json.dumps(fake_claude_env.message_requests[0].body["system"])
    assert "down: UNREACHABLE" in context
    assert "Hosts: local, web, down." in context


def test_unknown_host_or_tag_is_a_usage_error_listing_the_hosts(agent_server: AgentServer) -> None:
    write_inventory(agent_entry("web", agent_server, tags=("prod",)))
    for args in (
        ["ask", "hi", "--host", "nope"],
        ["check", "-H", "@staging"],
        ["tools", "run", "get_memory_status", "-H", "x"],
    ):
        result = run_sfai(*args)
        assert result.code == 2, (args, result.stderr)
        assert "local, web" in result.stderr, result.stderr
    assert "@prod" in run_sfai("check", "-H", "@staging").stderr
    # No API key: the offline diagnostician cannot route calls, and says what to do instead.
    offline = run_sfai("ask", "is everything ok?", "--all-hosts")
    assert offline.code == 2 and "one host at a time" in offline.stderr
    assert "sfai check --all-hosts" in offline.stderr


def test_tools_list_and_run_on_a_remote_host(
    start_agent: StartAgent, agent_server: AgentServer
) -> None:
    trimmed = start_agent(agent={"exclude": ["run_command", "get_logs"]})
    write_inventory(agent_entry("trimmed", trimmed), dead_entry("down", agent_server, free_port()))
    listed = run_sfai("tools", "list", "--host", "trimmed", "--json")
    assert listed.code == 0, listed.stderr
    names = {spec["name"] for spec in json.loads(listed.stdout)}
    assert "get_disk_usage" in names and not names & {"run_command", "get_logs"}
    assert "run_command" in {
        s["name"] for s in json.loads(run_sfai("tools", "list", "--json").stdout)
    }
    ran = run_sfai("tools", "run", "get_memory_status", "--host", "trimmed", "--json")
    assert ran.code == 0, ran.stderr
    assert json.loads(ran.stdout)["ok"] is True
    down = run_sfai("tools", "run", "get_memory_status", "--host", "down")
    assert down.code == 1 and "down is unreachable" in down.stderr
    two = run_sfai("tools", "list", "--host", "trimmed", "--host", "local")
    assert two.code == 2 and "one host at a time" in two.stderr
