"""Fuzzed JSON-RPC frames never crash the agent (hypothesis against a real agent process).

Each example opens a fresh TLS connection (authenticated or not), sends a few generated
frames (random text, random JSON values, requests with random methods and params, binary
frames), then a probe request. Every answer must be a well-formed JSON-RPC message, the
probe must be answered unless the agent closed the connection with one of its own close
codes, and after the run the agent still says hello on a new connection.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed

from sfai_agent.server import protocol as rpc
from tests.fixtures.agent import AgentServer, agent_connection

TOOLS = ["get_memory_status", "get_service_status", "restart_service", "clean_disk", "nope"]
"""What the fuzzed tools.call names: offered, refused by policy, not offered, unknown."""

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
ids = (
    st.none()
    | st.integers()
    | st.text(max_size=10)
    | st.booleans()
    | st.lists(st.integers(), max_size=2)
)
tool_params = st.fixed_dictionaries(
    {"name": st.sampled_from(TOOLS) | st.text(max_size=12)},
    optional={
        "arguments": st.dictionaries(
            st.sampled_from(["service", "paths", "dry_run", "x"]), json_values, max_size=3
        )
        | json_values,
        "approved": st.booleans() | json_values,
    },
)
params = (
    tool_params
    | st.fixed_dictionaries({"interval_s": json_values | st.floats(0, 5)})
    | st.fixed_dictionaries({"token": st.text(max_size=10), "protocol": json_values})
    | json_values
)
requests = st.fixed_dictionaries(
    {"method": st.sampled_from([*rpc.METHODS, "tools.list", ""]) | st.text(max_size=12)},
    optional={
        "jsonrpc": st.sampled_from(["2.0", "2.0", "1.0"]) | json_values,
        "id": ids,
        "params": params,
    },
).map(json.dumps)
frames = st.lists(
    st.text(max_size=200)
    | json_values.map(json.dumps)
    | requests
    | requests  # weighted: most frames are request-shaped
    | st.binary(max_size=100),
    min_size=1,
    max_size=5,
)


def well_formed(message: Any) -> bool:
    if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
        return False
    if "method" in message:  # a notification (metrics.sample)
        return message["method"] == "metrics.sample" and "id" not in message
    if ("result" in message) == ("error" in message) or "id" not in message:
        return False
    if "error" in message:
        error = message["error"]
        return isinstance(error.get("code"), int) and isinstance(error.get("message"), str)
    return True


async def exchange(agent: AgentServer, authenticate: bool, batch: list[str | bytes]) -> None:
    async with agent_connection(agent) as conn:
        if authenticate:
            await conn.hello()
        try:
            for frame in batch:
                await conn.send_raw(frame)
            await conn.send_raw(rpc.request(424242, "metrics.unsubscribe", {}))
            while True:
                raw = await asyncio.wait_for(conn.ws.recv(), 30)
                message = json.loads(raw)
                assert well_formed(message), message
                if message.get("id") == 424242:
                    break
        except ConnectionClosed:
            # only the agent's own reasons: a wrong token in a fuzzed hello, too much
            # noise before hello
            assert conn.ws.close_code in (rpc.CLOSE_UNAUTHENTICATED, rpc.CLOSE_PROTOCOL), (
                conn.ws.close_code
            )


def test_fuzzed_frames_never_crash_the_agent(start_agent) -> None:  # type: ignore[no-untyped-def]
    agent: AgentServer = start_agent(
        agent={"offer": ["get_memory_status", "get_service_status", "restart_service"]},
        tools={"tool_timeout_s": 5.0},
        limits={"max_unauthenticated_messages": 4},
    )

    @settings(
        max_examples=200,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(authenticate=st.booleans(), batch=frames)
    def run(authenticate: bool, batch: list[str | bytes]) -> None:
        asyncio.run(exchange(agent, authenticate, batch))
        assert agent.alive(), agent.log()

    run()

    async def still_serves() -> dict[str, Any]:
        async with agent_connection(agent) as conn:
            await conn.hello()
            result: dict[str, Any] = await conn.tool("get_memory_status")
            return result

    assert asyncio.run(still_serves())["ok"] is True
    assert "Traceback" not in agent.log()
