"""get_nginx_config against a real nginx (tests/fixtures/nginx.py), and how nginx is located."""

from __future__ import annotations

from typing import Any

import pytest

from sfai_agent.exec.base import CommandResult
from sfai_agent.settings import AgentSettings
from sfai_agent.tools.base import ToolContext
from sfai_agent.tools.catalog import load_catalog
from sfai_agent.tools.nginx import parse_master_line, running_masters
from sfai_agent.tools.runner import call_tool
from tests.fixtures.nginx import NginxConfigCopy, NginxServer
from tests.recording import RecordingExecutor

pytestmark = pytest.mark.nginx


class CannedPs(RecordingExecutor):
    """The real host, except that ``ps`` shows the given nginx master lines."""

    def __init__(self, ps_output: str) -> None:
        super().__init__()
        self.ps_output = ps_output

    async def run(self, argv: list[str], **kwargs: Any) -> CommandResult:
        if argv[0] == "ps":
            self.calls.append(("run", list(argv)))
            return CommandResult(tuple(argv), 0, self.ps_output, "", 0.0)
        return await super().run(argv, **kwargs)


def _nginx_t_runs(executor: RecordingExecutor) -> list[list[str]]:
    return [argv for kind, argv in executor.calls if kind == "run" and argv[1:2] == ["-t"]]


async def test_plain_site_block_with_its_upstream(nginx_server: NginxServer, run_tool: Any) -> None:
    result = await run_tool(
        "get_nginx_config", {"domain": "plain.sfai.test"}, **nginx_server.settings
    )
    assert result["ok"], result
    assert result["config_file"] == str(nginx_server.conf)
    (block,) = result["server_blocks"]
    assert block["file"] == str(nginx_server.sites_conf)
    assert block["line"] == nginx_server.block_lines["plain.sfai.test"]
    assert block["server_names"] == ["plain.sfai.test"]
    assert block["listen"] == [f"127.0.0.1:{nginx_server.http_port}"]
    assert block["ssl"] is False and block["ssl_certificate"] is None
    assert block["upstreams"] == [f"http://127.0.0.1:{nginx_server.backend_port}"]
    assert block["locations"] == [
        {"match": "/", "line": block["line"] + 3, "proxy_pass": block["upstreams"][0]}
    ]
    assert block["text"].startswith("server {\n    listen 127.0.0.1:")
    assert block["text"].rstrip().endswith("}") and "proxy_set_header Host $host;" in block["text"]
    assert block["match"] == "exact"
    assert result["test"]["ok"] is True
    assert "test is successful" in result["test"]["output"]
    assert result["summary"].startswith("plain.sfai.test: 1 server block(s) at ")
    assert result["summary"].endswith("nginx -t ok")


@pytest.mark.parametrize("role", ["valid", "expiring"])
async def test_tls_site_blocks_share_a_port_and_name_their_certificate(
    nginx_server: NginxServer, run_tool: Any, role: str
) -> None:
    domain = nginx_server.domains[role]
    result = await run_tool("get_nginx_config", {"domain": domain}, **nginx_server.settings)
    (block,) = result["server_blocks"]
    assert block["line"] == nginx_server.block_lines[domain]
    assert block["listen"] == [f"127.0.0.1:{nginx_server.tls_port} ssl"]
    assert block["ssl"] is True
    # the valid site's relative path is resolved against the main config's directory
    assert block["ssl_certificate"] == str(nginx_server.certificates[domain])
    assert block["upstreams"] == []
    assert result["test"]["ok"] is True


async def test_broken_config_reports_nginx_t_failure(
    broken_nginx_config: NginxConfigCopy, run_tool: Any
) -> None:
    result = await run_tool(
        "get_nginx_config", {"domain": "broken.sfai.test"}, **broken_nginx_config.settings
    )
    assert result["ok"], result
    assert result["test"]["ok"] is False
    assert 'unknown directive "sfai_unknown_directive"' in result["test"]["output"]
    assert (
        f"{broken_nginx_config.broken_file}:{broken_nginx_config.broken_line}"
        in result["test"]["output"]
    )
    assert result["summary"].endswith("nginx -t FAILED")
    assert result["server_blocks"][0]["file"] == str(broken_nginx_config.broken_file)


async def test_unknown_domain_is_not_found_and_lists_known_names(
    nginx_server: NginxServer, run_tool: Any
) -> None:
    result = await run_tool(
        "get_nginx_config", {"domain": "nope.sfai.test"}, **nginx_server.settings
    )
    assert result["ok"] is False
    error = result["error"]
    assert error["code"] == "not_found"
    assert "nope.sfai.test" in error["message"]
    # and who answers instead
    assert (
        f"{nginx_server.sites_conf}:{nginx_server.block_lines['default.sfai.test']}"
        in error["message"]
    )
    assert (
        error["hint"] == "known server names: expiring.sfai.test, plain.sfai.test, valid.sfai.test"
    )


@pytest.mark.parametrize(
    "domain",
    [
        "a.com; touch /tmp/X",
        "../../etc/passwd",
        "$(id)",
        "-t",
        "a.com\nb.com",
        "",
        "a..com",
        "x" * 300,
    ],
)
@pytest.mark.parametrize("tool", ["get_nginx_config", "get_ssl_status"])
async def test_hostile_domains_are_refused_before_anything_runs(
    nginx_server: NginxServer, domain: str, tool: str
) -> None:
    executor = RecordingExecutor()
    context = ToolContext(executor=executor, settings=AgentSettings(**nginx_server.settings))
    result = await call_tool(tool, {"domain": domain}, context)
    assert result["ok"] is False
    assert result["error"]["code"] == "invalid_argument"
    assert executor.calls == []


async def test_uppercase_and_trailing_dot_are_normalised(
    nginx_server: NginxServer, run_tool: Any
) -> None:
    result = await run_tool(
        "get_nginx_config", {"domain": "VALID.Sfai.Test."}, **nginx_server.settings
    )
    assert result["ok"], result
    assert result["domain"] == "valid.sfai.test"
    assert result["server_blocks"][0]["server_names"] == ["valid.sfai.test"]


async def test_wildcard_names_match_and_exact_names_win(
    nginx_config_copy: NginxConfigCopy, run_tool: Any
) -> None:
    port = nginx_config_copy.source.http_port
    nginx_config_copy.add_conf(
        "wild.conf",
        f"server {{ listen 127.0.0.1:{port}; server_name *.wild.sfai.test; return 200; }}\n"
        f"server {{ listen 127.0.0.1:{port}; server_name exact.wild.sfai.test; return 201; }}\n"
        f"server {{ listen 127.0.0.1:{port}; server_name ~^(?<x>.+)\\.wild\\.sfai\\.test$; }}\n",
    )
    wild = await run_tool(
        "get_nginx_config", {"domain": "shop.wild.sfai.test"}, **nginx_config_copy.settings
    )
    assert [b["match"] for b in wild["server_blocks"]] == ["wildcard *.wild.sfai.test"]
    exact = await run_tool(
        "get_nginx_config", {"domain": "exact.wild.sfai.test"}, **nginx_config_copy.settings
    )
    assert [b["server_names"] for b in exact["server_blocks"]] == [["exact.wild.sfai.test"]]


async def test_syntax_error_is_unavailable_with_file_line_and_nginx_output(
    nginx_config_copy: NginxConfigCopy, run_tool: Any
) -> None:
    path = nginx_config_copy.add_conf("zz-open.conf", "server {\n  server_name open.sfai.test;\n")
    result = await run_tool(
        "get_nginx_config", {"domain": "valid.sfai.test"}, **nginx_config_copy.settings
    )
    assert result["error"]["code"] == "unavailable"
    assert f"{path}:1:" in result["error"]["message"]
    assert "nginx -t says" in result["error"]["message"]
    assert "file:line" in result["error"]["hint"]


async def test_missing_nginx_is_unavailable_with_an_install_hint(run_tool: Any) -> None:
    result = await run_tool(
        "get_nginx_config", {"domain": "a.test"}, nginx_binary="/nonexistent/nginx"
    )
    assert result["error"]["code"] == "unavailable"
    assert "apt install nginx" in result["error"]["hint"]


async def test_missing_config_file_is_not_found(
    nginx_server: NginxServer, run_tool: Any, tmp_path: Any
) -> None:
    result = await run_tool(
        "get_nginx_config", {"domain": "a.test"}, nginx_conf=str(tmp_path / "none.conf")
    )
    assert result["error"]["code"] == "not_found"
    assert "tools.nginx_conf" in result["error"]["hint"]


async def test_the_running_master_is_found_with_its_conf_and_prefix(
    nginx_server: NginxServer,
) -> None:
    executor = RecordingExecutor()
    masters = await running_masters(ToolContext(executor=executor))
    ours = [m for m in masters if m.pid == nginx_server.master_pid]
    assert len(ours) == 1
    assert ours[0].conf == str(nginx_server.conf)
    assert ours[0].prefix == f"{nginx_server.root}/"
    assert ours[0].binary == nginx_server.binary


async def test_nginx_t_uses_the_running_masters_prefix(nginx_server: NginxServer) -> None:
    executor = RecordingExecutor()
    context = ToolContext(executor=executor, settings=AgentSettings(**nginx_server.settings))
    await call_tool("get_nginx_config", {"domain": "valid.sfai.test"}, context)
    assert _nginx_t_runs(executor) == [
        [nginx_server.binary, "-t", "-c", str(nginx_server.conf), "-p", f"{nginx_server.root}/"]
    ]


async def test_without_settings_the_running_masters_config_is_used(
    nginx_server: NginxServer,
) -> None:
    root = nginx_server.root
    executor = CannedPs(
        f"4242 nginx: master process /usr/sbin/nginx -c {root}/nginx.conf -p {root}/ -g daemon off;\n"
    )
    result = await call_tool(
        "get_nginx_config", {"domain": "valid.sfai.test"}, ToolContext(executor)
    )
    assert result["ok"], result
    assert result["config_source"] == "running master (pid 4242)"
    assert result["config_file"] == str(nginx_server.conf)
    assert _nginx_t_runs(executor)[0][2:] == ["-c", str(nginx_server.conf), "-p", f"{root}/"]


async def test_a_command_line_cut_short_by_ps_is_not_trusted(nginx_server: NginxServer) -> None:
    """nginx's title overwrites argv+environ: with a small environment ps cuts it."""
    cut = str(nginx_server.conf)[:-7]
    executor = CannedPs(f"4242 nginx: master process /usr/sbin/nginx -c {cut}\n")
    result = await call_tool(
        "get_nginx_config", {"domain": "valid.sfai.test"}, ToolContext(executor)
    )
    assert result["error"]["code"] == "not_found"
    assert "cut short" in result["error"]["message"] and cut in result["error"]["message"]
    assert "tools.nginx_conf" in result["error"]["hint"]
    # a cut -p is dropped rather than passed to nginx -t
    executor = CannedPs(
        f"4242 nginx: master process nginx -c {nginx_server.conf} -p /tmp/pytest-of\n"
    )
    result = await call_tool(
        "get_nginx_config", {"domain": "valid.sfai.test"}, ToolContext(executor)
    )
    assert result["ok"], result
    assert _nginx_t_runs(executor)[0][2:] == ["-c", str(nginx_server.conf)]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            " 4583 nginx: master process /usr/sbin/nginx -c /tmp/x/nginx.conf -g daemon off;",
            (4583, "/usr/sbin/nginx", "/tmp/x/nginx.conf", None),
        ),
        (
            "12 nginx: master process nginx -g daemon on; master_process on; -p /srv/ngx/ -c conf/n.conf",
            (12, "nginx", "/srv/ngx/conf/n.conf", "/srv/ngx/"),
        ),
        (
            "7 nginx: master process /usr/sbin/nginx -c/etc/alt.conf",
            (7, "/usr/sbin/nginx", "/etc/alt.conf", None),
        ),
        ("900 nginx: master process /usr/sbin/nginx", (900, "/usr/sbin/nginx", None, None)),
    ],
)
def test_master_process_lines(line: str, expected: tuple[Any, ...]) -> None:
    master = parse_master_line(line)
    assert master is not None
    assert (master.pid, master.binary, master.conf, master.prefix) == expected


@pytest.mark.parametrize(
    "line", ["5 nginx: worker process", "6 vim nginx.conf", "nginx: master process x"]
)
def test_other_process_lines_are_ignored(line: str) -> None:
    assert parse_master_line(line) is None


async def test_text_rendering_shows_blocks_and_test(
    nginx_server: NginxServer, run_tool: Any
) -> None:
    result = await run_tool(
        "get_nginx_config", {"domain": "plain.sfai.test"}, **nginx_server.settings
    )
    renderer = load_catalog()["get_nginx_config"].renderer
    assert renderer is not None
    text = renderer(result)
    assert text.splitlines()[0] == result["summary"]
    assert (
        f"server block {nginx_server.sites_conf}:{nginx_server.block_lines['plain.sfai.test']}"
        in text
    )
    assert "  | server {" in text and "nginx -t: ok" in text
