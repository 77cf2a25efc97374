"""Identifiers, paths and credential locations: refused before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from sfai_agent.exec import LocalExecutor
from sfai_agent.policy.credentials import is_credential_path
from sfai_agent.policy.identifiers import app_name, domain_name, service_name
from sfai_agent.policy.paths import resolve_under_roots
from sfai_agent.tools.base import ToolError

HOSTILE_NAMES = [
    "nginx; rm -rf /",
    "$(reboot)",
    "`id`",
    "a b",
    "-h",
    "--help",
    "../etc/passwd",
    "nginx\nrm",
    "nginx|cat",
    "nginx&",
    "nginx>x",
    "",
    "x" * 200,
    "ngïnx",
]


@pytest.mark.parametrize("value", HOSTILE_NAMES)
def test_hostile_service_names_are_refused(value: str) -> None:
    with pytest.raises(ToolError) as caught:
        service_name(value)
    assert caught.value.code == "invalid_argument"


@pytest.mark.parametrize(
    "value", ["nginx", "php8.2-fpm", "getty@tty1", "web:worker_0", "docker.service"]
)
def test_real_service_names_are_accepted(value: str) -> None:
    assert service_name(value) == value


@pytest.mark.parametrize(
    "value", [*HOSTILE_NAMES, "exa_mple.com", "-example.com", "a..b.com", "x" * 260]
)
def test_hostile_domains_are_refused(value: str) -> None:
    with pytest.raises(ToolError):
        domain_name(value)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [("Example.COM.", "example.com"), ("*.shop.example.com", "*.shop.example.com")],
)
def test_domains_are_normalised(raw: str, clean: str) -> None:
    assert domain_name(raw) == clean


def test_app_names_follow_the_strict_pattern() -> None:
    assert app_name("shop-api") == "shop-api"
    with pytest.raises(ToolError):
        app_name("shop api")
    with pytest.raises(ToolError):
        app_name(7)


@pytest.mark.parametrize(
    "path",
    [
        "/etc/shadow",
        "/etc/ssl/private/site.key",
        "/root/.ssh/id_ed25519",
        "/home/deploy/.ssh/authorized_keys",
        "/home/bob/.ssh",
        "/srv/app/.env",
        "/srv/app/.env.production",
        "/home/u/.netrc",
        "/home/u/.aws/credentials",
        "/etc/letsencrypt/archive/x/privkey1.pem",
        "/etc/ssh/ssh_host_ed25519_key",
        "/var/www/.git-credentials",
    ],
)
def test_credential_locations_are_recognised(path: str) -> None:
    assert is_credential_path(path)


@pytest.mark.parametrize(
    "path",
    ["/var/log/syslog", "/var/log/nginx/error.log", "/etc/nginx/nginx.conf", "/srv/app/env.log"],
)
def test_ordinary_files_are_not_credentials(path: str) -> None:
    assert not is_credential_path(path)


async def test_paths_escaping_the_roots_are_refused(tmp_path: Path) -> None:
    root = tmp_path / "logs"
    root.mkdir()
    (root / "app.log").write_text("ok\n")
    (root / "escape").symlink_to("/etc/passwd")
    executor = LocalExecutor()
    roots = (str(root),)
    assert await resolve_under_roots(executor, str(root / "app.log"), roots) == str(
        root / "app.log"
    )
    for bad in [
        str(root / ".." / "x"),
        str(root / "escape"),
        "/etc/passwd",
        f"{root}/../../etc/passwd",
    ]:
        with pytest.raises(ToolError) as caught:
            await resolve_under_roots(executor, bad, roots)
        assert caught.value.code == "refused_by_policy", bad
    with pytest.raises(ToolError) as caught:
        await resolve_under_roots(executor, "relative.log", roots)
    assert caught.value.code == "invalid_argument"


async def test_a_credential_inside_an_allowed_root_is_still_refused(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DB_PASSWORD=hunter2\n")
    with pytest.raises(ToolError) as caught:
        await resolve_under_roots(LocalExecutor(), str(tmp_path / ".env"), (str(tmp_path),))
    assert caught.value.code == "refused_by_policy"
    assert "credential" in caught.value.message


@pytest.mark.parametrize("name", [".bash_history", ".mysql_history", ".psql_history"])
def test_shell_histories_are_credentials(name: str) -> None:
    assert is_credential_path(f"/home/deploy/{name}")


def test_sfai_own_home_is_a_credential_location(sfai_home: Path) -> None:
    assert is_credential_path(str(sfai_home / "config.toml"))
    assert is_credential_path(str(sfai_home / "sfai.db"))
