"""list_apps with a real nginx, a real python backend behind it, and real listen sockets."""

from __future__ import annotations

from typing import Any

import pytest

from sfai_agent.settings import AgentSettings
from sfai_agent.tools.apps import listener_for, parse_proc_net, parse_ss
from sfai_agent.tools.base import ToolContext
from sfai_agent.tools.runner import call_tool
from tests.fixtures.nginx import NginxConfigCopy, NginxServer
from tests.fixtures.processes import free_port
from tests.recording import RecordingExecutor

pytestmark = pytest.mark.nginx


def _site(result: dict[str, Any], name: str) -> dict[str, Any]:
    (site,) = [s for s in result["nginx"]["sites"] if name in s["server_names"]]
    return site


def _port(result: dict[str, Any], port: int) -> dict[str, Any]:
    (row,) = [r for r in result["listening"] if r["port"] == port]
    return row


async def test_sites_with_upstreams_mapped_to_the_listening_process(
    nginx_server: NginxServer, run_tool: Any
) -> None:
    result = await run_tool("list_apps", {}, **nginx_server.settings)
    assert result["ok"], result
    nginx = result["nginx"]
    assert nginx["config_file"] == str(nginx_server.conf)
    assert nginx["test_ok"] is True and "test is successful" in nginx["test_output"]
    assert [s["server_names"] for s in nginx["sites"]] == [
        ["_"],
        ["plain.sfai.test"],
        ["valid.sfai.test"],
        ["expiring.sfai.test"],
    ]
    plain = _site(result, "plain.sfai.test")
    upstream = f"http://127.0.0.1:{nginx_server.backend_port}"
    assert plain["upstreams"] == [upstream]
    assert plain["ssl"] is False and plain["file"] == str(nginx_server.sites_conf)
    (backend,) = plain["backends"]
    assert backend["upstream"] == upstream and backend["listening"] is True
    assert backend["pid"] == nginx_server.backend_pid
    assert backend["process"].startswith("python")
    valid = _site(result, "valid.sfai.test")
    assert valid["ssl"] is True
    assert valid["ssl_certificate"] == str(nginx_server.certificates["valid.sfai.test"])
    assert valid["listen"] == [f"127.0.0.1:{nginx_server.tls_port} ssl"]


async def test_listening_sockets_name_their_process(
    nginx_server: NginxServer, run_tool: Any
) -> None:
    result = await run_tool("list_apps", {}, **nginx_server.settings)
    backend = _port(result, nginx_server.backend_port)
    assert backend == {
        "address": "127.0.0.1",
        "port": nginx_server.backend_port,
        "process": backend["process"],
        "pid": nginx_server.backend_pid,
    }
    assert backend["process"].startswith("python")
    for port in (nginx_server.http_port, nginx_server.tls_port):
        row = _port(result, port)
        assert row["process"] == "nginx" and row["pid"] == nginx_server.master_pid
    assert result["summary"].startswith("nginx: 4 site(s), config ok;")


async def test_without_ss_sockets_come_from_proc(nginx_server: NginxServer) -> None:
    executor = RecordingExecutor(missing={"ss"})
    context = ToolContext(executor=executor, settings=AgentSettings(**nginx_server.settings))
    result = await call_tool("list_apps", {}, context)
    assert "/proc/net/tcp" in result["notes"]["listening"]
    backend = _port(result, nginx_server.backend_port)
    assert backend["pid"] == nginx_server.backend_pid and backend["process"].startswith("python")
    assert _site(result, "plain.sfai.test")["backends"][0]["pid"] == nginx_server.backend_pid


async def test_a_dead_upstream_is_not_listening(
    nginx_config_copy: NginxConfigCopy, run_tool: Any
) -> None:
    dead = free_port()
    port = nginx_config_copy.source.http_port
    nginx_config_copy.add_conf(
        "dead.conf",
        f"upstream dead_app {{ server 127.0.0.1:{dead}; server unix:/nonexistent/app.sock; }}\n"
        f"server {{ listen 127.0.0.1:{port}; server_name dead.sfai.test;\n"
        "  location / { proxy_pass http://dead_app; }\n"
        "  location /remote { proxy_pass https://api.example.com/; }\n}\n",
    )
    result = await run_tool("list_apps", {}, **nginx_config_copy.settings)
    site = _site(result, "dead.sfai.test")
    assert site["upstreams"] == ["http://dead_app", "https://api.example.com/"]
    assert [(b["address"], b["port"], b["listening"]) for b in site["backends"]] == [
        ("127.0.0.1", dead, False),
        ("unix:/nonexistent/app.sock", None, False),
        ("api.example.com", 443, None),
    ]


async def test_a_failing_config_test_is_reported_for_sfai_check(
    broken_nginx_config: NginxConfigCopy, run_tool: Any
) -> None:
    result = await run_tool("list_apps", {}, **broken_nginx_config.settings)
    assert result["nginx"]["test_ok"] is False
    assert 'unknown directive "sfai_unknown_directive"' in result["nginx"]["test_output"]
    assert "config test FAILED" in result["summary"]
    assert any("broken.sfai.test" in s["server_names"] for s in result["nginx"]["sites"])


async def test_an_unparsable_config_still_reports_the_test(
    nginx_config_copy: NginxConfigCopy, run_tool: Any
) -> None:
    nginx_config_copy.add_conf("zz-open.conf", "server {\n  listen 80;\n")
    result = await run_tool("list_apps", {}, **nginx_config_copy.settings)
    assert result["nginx"]["test_ok"] is False
    assert "zz-open.conf:1" in result["nginx"]["parse_error"]
    assert result["nginx"]["sites"] == []


async def test_without_nginx_the_section_is_absent_with_a_note(run_tool: Any) -> None:
    result = await run_tool("list_apps", {}, nginx_binary="/nonexistent/nginx")
    assert result["ok"], result
    assert "nginx" not in result
    assert "apt install nginx" in result["notes"]["nginx"]
    assert isinstance(result["listening"], list)


async def test_services_come_from_every_manager(nginx_server: NginxServer, run_tool: Any) -> None:
    result = await run_tool("list_apps", {}, **nginx_server.settings)
    assert isinstance(result["services"], list)
    assert {m["name"] for m in result["service_managers"]} >= {"systemd", "supervisor"}
    for service in result["services"]:
        assert {"name", "manager", "state", "pid"} <= set(service)


def test_parse_ss_lines() -> None:
    output = (
        'LISTEN 0 511 127.0.0.1:8080 0.0.0.0:* users:(("nginx",pid=4585,fd=5),("nginx",pid=4583,fd=5))\n'
        'LISTEN 0 128 [::]:22 [::]:* users:(("sshd",pid=77,fd=4))\n'
        "LISTEN 0 4096 127.0.0.53%lo:53 0.0.0.0:*\n"
        "LISTEN 0 128 *:9000 *:*\n"
    )
    assert parse_ss(output) == [
        {"address": "127.0.0.1", "port": 8080, "process": "nginx", "pid": 4583},
        {"address": "::", "port": 22, "process": "sshd", "pid": 77},
        {"address": "127.0.0.53", "port": 53, "process": None, "pid": None},
        {"address": "*", "port": 9000, "process": None, "pid": None},
    ]


def test_parse_proc_net_addresses() -> None:
    tcp = (
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
        "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  0 0 12345 1 0\n"
        "   1: 0100007F:C350 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  0 0 999 1 0\n"
    )
    assert parse_proc_net(tcp, ipv6=False) == [("127.0.0.1", 8080, "12345")]
    tcp6 = (
        "  sl  local_address                         remote_address                        st\n"
        "   0: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A "
        "00000000:00000000 00:00000000 00000000 0 0 777 1 0\n"
    )
    assert parse_proc_net(tcp6, ipv6=True) == [("::1", 22, "777")]


def test_upstream_to_listener_matching() -> None:
    listening = [
        {"address": "0.0.0.0", "port": 8000, "process": "gunicorn", "pid": 10},
        {"address": "127.0.0.1", "port": 9000, "process": "php-fpm", "pid": 11},
        {"address": "10.0.0.5", "port": 5432, "process": "postgres", "pid": 12},
    ]
    assert listener_for("127.0.0.1", 8000, listening)["pid"] == 10  # type: ignore[index]
    assert listener_for("localhost", 9000, listening)["pid"] == 11  # type: ignore[index]
    assert listener_for("10.0.0.5", 5432, listening)["pid"] == 12  # type: ignore[index]
    assert listener_for("10.0.0.9", 8000, listening) is None
    assert listener_for("127.0.0.1", 8001, listening) is None
