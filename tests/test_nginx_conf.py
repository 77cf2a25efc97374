"""The nginx config lexer/parser/loader (sfai_agent.tools.nginx_conf) on real-looking configs,
read from real files through the LocalExecutor."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sfai_agent.exec import LocalExecutor
from sfai_agent.tools.nginx_conf import (
    Directive,
    NginxConfigError,
    load_config,
    name_rank,
    parse,
    parse_listen,
    split_target,
)

SITE = """\
# /etc/nginx/sites-available/shop: the kind of file people really write
upstream shop_backend {
    server 127.0.0.1:8001 max_fails=3;
    server unix:/run/shop/gunicorn.sock;
}

map $http_upgrade $connection_upgrade { default upgrade; '' close; }

server {
    listen 443 ssl http2;   # trailing comment { ; }
    listen [::]:443 ssl http2;
    server_name shop.example.com www.shop.example.com;
    ssl_certificate     /etc/letsencrypt/live/shop.example.com/fullchain.pem;
    ssl_certificate_key /etc/letsencrypt/live/shop.example.com/privkey.pem;

    add_header Content-Security-Policy "default-src 'self'; img-src * data:" always;
    return_header_test 'it\\'s "fine"';
    set $tag ${host}-v1;
    error_page 404 /404.html#frag;

    location / {
        proxy_pass http://shop_backend;
        proxy_set_header Upgrade $http_upgrade;
    }

    location ~* \\.(png|jpe?g)$ {
        expires 30d;
        if ($args ~ "nocache") {
            add_header Cache-Control "no-store";
        }
    }
}
"""


def _names(directives: list[Directive]) -> list[str]:
    return [d.name for d in directives]


def test_nested_blocks_keep_names_args_and_line_numbers() -> None:
    top = parse(SITE, "shop")
    assert _names(top) == ["upstream", "map", "server"]
    upstream, mapping, server = top
    assert upstream.args == ["shop_backend"] and (upstream.line, upstream.end_line) == (2, 5)
    assert [s.args for s in upstream.children("server")] == [
        ["127.0.0.1:8001", "max_fails=3"],
        ["unix:/run/shop/gunicorn.sock"],
    ]
    assert mapping.line == mapping.end_line == 7
    assert server.line == 9 and server.end_line == 32
    regex_location = server.children("location")[1]
    assert regex_location.args == ["~*", "\\.(png|jpe?g)$"]
    (if_block,) = regex_location.children("if")
    # like nginx: a ")" right after a quoted string is a token of its own
    assert if_block.args == ["($args", "~", "nocache", ")"] and if_block.line == 28
    assert if_block.first("add_header") is not None


def test_quotes_escapes_variables_and_comments_are_read_like_nginx() -> None:
    server = parse(SITE, "shop")[2]
    assert server.first("add_header").args == [  # type: ignore[union-attr]
        "Content-Security-Policy",
        "default-src 'self'; img-src * data:",
        "always",
    ]
    assert server.first("return_header_test").args == ['it\'s "fine"']  # type: ignore[union-attr]
    assert server.first("set").args == ["$tag", "${host}-v1"]  # type: ignore[union-attr]
    # '#' starts a comment only at the start of a token
    assert server.first("error_page").args == ["404", "/404.html#frag"]  # type: ignore[union-attr]
    assert server.children("listen")[0].args == ["443", "ssl", "http2"]
    mapping = parse(SITE, "shop")[1]
    assert [d.args for d in mapping.block or []] == [["upgrade"], ["close"]]
    assert [d.name for d in mapping.block or []] == ["default", ""]


def test_multiline_quoted_strings_keep_later_line_numbers_right() -> None:
    text = 'log_format main "$remote_addr\n  $status\n  $request";\nworker_processes 2;\n'
    first, second = parse(text, "f")
    assert first.args[1] == "$remote_addr\n  $status\n  $request"
    assert second.line == 4 and second.args == ["2"]


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        (
            "http {\n  server {\n    listen 80;\n  }\n",
            1,
            '"http" block opened here is never closed',
        ),
        ("events {}\nhttp {\n  server {\n    listen 80;\n", 3, '"server" block opened here'),
        ("server {\n  listen 80\n}\n", 3, 'unexpected "}" (missing ";" after "listen"?)'),
        ("worker_processes 1;\n}\n", 2, 'unexpected "}"'),
        ("user www-data;\nworker_processes 1", 2, '"worker_processes" is not terminated by ";"'),
        ('server {\n  return 200 "oops;\n}\n', 2, "unterminated"),
        ("server {\n  ;\n}\n", 2, 'unexpected ";"'),
    ],
)
def test_syntax_errors_name_the_file_and_line(text: str, line: int, fragment: str) -> None:
    with pytest.raises(NginxConfigError) as caught:
        parse(text, "/etc/nginx/sites-enabled/shop")
    assert caught.value.line == line
    assert fragment in caught.value.message
    assert str(caught.value).startswith(f"/etc/nginx/sites-enabled/shop:{line}: ")


def _tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


async def test_includes_follow_globs_relative_to_the_main_config(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            "nginx.conf": "events {}\nhttp {\n  include mime.types;\n  include conf.d/*.conf;\n"
            "  include sites-enabled/*;\n}\n",
            "mime.types": "types { text/html html; }\n",
            "conf.d/b.conf": "server { server_name b.test; }\n",
            "conf.d/a.conf": "\n\nserver { server_name a.test; }\n",
            "conf.d/a.conf.bak": "server { server_name backup.test; }\n",
            "conf.d/.hidden.conf": "server { server_name hidden.test; }\n",
            "sites-available/shop": "server {\n  server_name shop.test;\n}\n",
        },
    )
    (tmp_path / "sites-enabled").mkdir()
    os.symlink(tmp_path / "sites-available" / "shop", tmp_path / "sites-enabled" / "shop")
    config = await load_config(LocalExecutor(), str(tmp_path / "nginx.conf"))
    http = config.directives[1]
    assert _names(http.block or []) == ["types", "server", "server", "server"]
    servers = http.children("server")
    assert [s.first("server_name").args[0] for s in servers] == ["a.test", "b.test", "shop.test"]  # type: ignore[union-attr]
    assert [(s.file, s.line) for s in servers] == [
        (str(tmp_path / "conf.d/a.conf"), 3),
        (str(tmp_path / "conf.d/b.conf"), 1),
        (str(tmp_path / "sites-enabled/shop"), 1),
    ]
    assert config.files[0] == str(tmp_path / "nginx.conf")
    assert len(config.files) == 5 and not config.warnings
    assert config.source_lines(servers[2].file, 1, 3)[1] == "  server_name shop.test;"


async def test_globs_in_directory_components_and_missing_files(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            "nginx.conf": f"include {tmp_path}/vhosts/*/site.conf;\ninclude nothing/*.conf;\n"
            "include missing.conf;\n",
            "vhosts/one/site.conf": "server { server_name one.test; }\n",
            "vhosts/two/site.conf": "server { server_name two.test; }\n",
            "vhosts/two/other.conf": "server { server_name other.test; }\n",
        },
    )
    config = await load_config(LocalExecutor(), str(tmp_path / "nginx.conf"))
    assert [d.file.split("/")[-2] for d in config.directives] == ["one", "two"]
    # a glob without matches is fine for nginx; a missing plain file is reported
    assert len(config.warnings) == 1
    assert "nginx.conf:3" in config.warnings[0] and "missing.conf" in config.warnings[0]


async def test_an_include_cycle_is_an_error_at_the_offending_include(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            "nginx.conf": "http {\n  include a.conf;\n}\n",
            "a.conf": "include snippets/*.conf;\n",
            # relative includes start at the main config's directory, wherever they are
            "snippets/b.conf": "gzip on;\n\ninclude a.conf;\n",
        },
    )
    with pytest.raises(NginxConfigError) as caught:
        await load_config(LocalExecutor(), str(tmp_path / "nginx.conf"))
    assert caught.value.file == str(tmp_path / "snippets/b.conf") and caught.value.line == 3
    assert "include cycle" in caught.value.message
    assert caught.value.message.endswith(f"{tmp_path}/a.conf")


async def test_the_same_snippet_twice_is_not_a_cycle(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            "nginx.conf": "http {\n server { include ssl.conf; }\n server { include ssl.conf; }\n}\n",
            "ssl.conf": "ssl_protocols TLSv1.3;\n",
        },
    )
    config = await load_config(LocalExecutor(), str(tmp_path / "nginx.conf"))
    servers = config.directives[0].children("server")
    assert [s.first("ssl_protocols") is not None for s in servers] == [True, True]


async def test_loading_is_bounded_in_files(tmp_path: Path) -> None:
    files = {f"conf.d/{i:02}.conf": f"# {i}\n" for i in range(10)}
    _tree(tmp_path, {"nginx.conf": "include conf.d/*.conf;\n", **files})
    with pytest.raises(NginxConfigError, match="more than 5 config files"):
        await load_config(LocalExecutor(), str(tmp_path / "nginx.conf"), max_files=5)


async def test_credential_files_are_never_read_as_includes(tmp_path: Path) -> None:
    _tree(tmp_path, {"nginx.conf": "include site.key;\n", "site.key": "SECRET;\n"})
    config = await load_config(LocalExecutor(), str(tmp_path / "nginx.conf"))
    assert config.directives == []
    assert "credential" in config.warnings[0]
    assert all("SECRET" not in text for text in config.sources.values())


async def test_the_system_config_of_this_machine_parses() -> None:
    if not Path("/etc/nginx/nginx.conf").exists():
        pytest.skip("no /etc/nginx/nginx.conf here")
    config = await load_config(LocalExecutor(), "/etc/nginx/nginx.conf")
    assert any(d.name == "http" for d in config.directives)


@pytest.mark.parametrize(
    ("args", "address", "port", "ssl", "default"),
    [
        ([], "*", 80, False, False),
        (["443", "ssl", "http2"], "*", 443, True, False),
        (["[::]:443", "ssl", "default_server"], "::", 443, True, True),
        (["127.0.0.1:8443", "ssl"], "127.0.0.1", 8443, True, False),
        (["localhost"], "localhost", 80, False, False),
        (["*:80", "default"], "*", 80, False, True),
        (["unix:/run/nginx.sock"], "unix:/run/nginx.sock", None, False, False),
    ],
)
def test_listen_directives(
    args: list[str], address: str, port: int | None, ssl: bool, default: bool
) -> None:
    listen = parse_listen(args)
    assert (listen.address, listen.port, listen.ssl, listen.default_server) == (
        address,
        port,
        ssl,
        default,
    )


@pytest.mark.parametrize(
    ("name", "domain", "matches"),
    [
        ("shop.example.com", "shop.example.com", True),
        ("*.example.com", "shop.example.com", True),
        ("*.example.com", "a.b.example.com", True),
        ("*.example.com", "example.com", False),
        (".example.com", "example.com", True),
        (".example.com", "x.example.com", True),
        ("www.example.*", "www.example.org", True),
        ("~^(?<sub>.+)\\.example\\.com$", "shop.example.com", False),
        ("_", "shop.example.com", False),
        ("", "shop.example.com", False),
    ],
)
def test_server_name_matching(name: str, domain: str, matches: bool) -> None:
    assert (name_rank(name, domain) is not None) is matches


def test_exact_names_beat_wildcards_and_longer_wildcards_win() -> None:
    exact = name_rank("shop.example.com", "shop.example.com")
    long_wild = name_rank("*.shop.example.com", "a.shop.example.com")
    short_wild = name_rank("*.example.com", "a.shop.example.com")
    trailing = name_rank("a.shop.*", "a.shop.example.com")
    assert exact and long_wild and short_wild and trailing
    assert exact > long_wild > short_wild > trailing


def test_upstream_targets() -> None:
    groups = {"shop_backend": ["127.0.0.1:8001", "unix:/run/shop.sock"]}
    assert split_target("http://127.0.0.1:8001/api/", {}) == [("127.0.0.1", 8001)]
    assert split_target("https://localhost", {}) == [("localhost", 443)]
    assert split_target("http://[::1]:9000", {}) == [("::1", 9000)]
    assert split_target("127.0.0.1:9000", {}) == [("127.0.0.1", 9000)]
    assert split_target("unix:/run/php/php8.2-fpm.sock", {}) == [
        ("unix:/run/php/php8.2-fpm.sock", None)
    ]
    assert split_target("http://unix:/tmp/app.sock:/uri", {}) == [("unix:/tmp/app.sock", None)]
    assert split_target("http://shop_backend", groups) == [
        ("127.0.0.1", 8001),
        ("unix:/run/shop.sock", None),
    ]
    assert split_target("http://$backend", {}) == [("$backend", None)]
