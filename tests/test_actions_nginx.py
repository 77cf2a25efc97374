"""fix_nginx_config against a real nginx of its own per test (``nginx_site``: Debian-like
layout, sites-enabled symlinks, absolute includes, a TLS site with relative certificate
paths), through the real runner and its policy (a real run needs ``approved=True``)."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import pytest

from sfai_agent.exec import LocalExecutor
from sfai_agent.settings import AgentSettings
from sfai_agent.tools.base import ToolContext
from sfai_agent.tools.catalog import load_catalog
from sfai_agent.tools.render import render_result
from sfai_agent.tools.runner import call_tool
from tests.fixtures.nginx_sites import BLOG, OTHER, SECURE, SHOP, NginxSite
from tests.fixtures.processes import free_port

pytestmark = pytest.mark.nginx


def context(site: NginxSite, **overrides: Any) -> ToolContext:
    return ToolContext(
        executor=LocalExecutor(), settings=AgentSettings(**{**site.settings, **overrides})
    )


async def fix(
    site: NginxSite, domain: str, text: str, *, dry_run: bool = True, **overrides: Any
) -> Any:
    args = {"domain": domain, "fix": text, "dry_run": dry_run}
    return await call_tool("fix_nginx_config", args, context(site, **overrides), approved=True)


def diff_of(site: NginxSite, name: str, change: Any, label: str | None = None) -> str:
    """A unified diff against ``sites-available/NAME.conf``, as a model would write it."""
    path = site.site_file(name)
    before = path.read_text()
    after = change(before)
    shown = label or str(path)
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            f"a{shown}",
            f"b{shown}",
        )
    )


def dead_port_diff(site: NginxSite) -> str:
    dead = free_port()
    return diff_of(site, "shop", lambda t: t.replace(f":{site.backend_port};", f":{dead};"))


def add_header_diff(site: NginxSite) -> str:
    return diff_of(
        site,
        "shop",
        lambda t: t.replace(
            "        proxy_set_header Host $host;\n",
            "        proxy_set_header Host $host;\n        add_header X-Sfai-Fix applied;\n",
        ),
    )


def backups(site: NginxSite) -> list[Path]:
    folder = site.backup_dir / "nginx"
    return sorted(folder.iterdir()) if folder.exists() else []


# --- the spec ----------------------------------------------------------------------------


def test_fix_nginx_config_is_a_high_risk_action_previewed_by_default() -> None:
    spec = load_catalog()["fix_nginx_config"].spec
    assert spec.risk.value == "high"
    assert spec.has_dry_run
    assert spec.input_schema["required"] == ["domain", "fix"]
    assert spec.input_schema["properties"]["dry_run"]["default"] is True
    assert "approval" in spec.description and "nginx -t" in spec.description


# --- dry-runs ------------------------------------------------------------------------------


async def test_dry_run_shows_the_diff_and_nginx_t_on_a_copy_and_changes_nothing(
    nginx_site: NginxSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    temp = tmp_path / "host-tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    files = nginx_site.files()
    result = await fix(nginx_site, SHOP, add_header_diff(nginx_site))
    assert result["ok"], result
    assert result["dry_run"] is True
    assert result["file"] == str(nginx_site.site_file("shop"))
    assert "+        add_header X-Sfai-Fix applied;" in result["diff"]
    assert result["lines_added"] == 1 and result["lines_removed"] == 0
    assert result["test"]["ok"] is True
    assert "syntax is ok" in result["test"]["output"]
    assert str(nginx_site.conf) in result["test"]["output"]  # the copy's path shown as live
    assert [c["status"] for c in result["site_now"]] == [200]
    assert result["summary"].startswith("dry-run: would change")
    assert "verified" not in result and "backup" not in result
    assert nginx_site.files() == files
    assert list(temp.iterdir()) == []  # the temporary copy is gone
    assert "x-sfai-fix" not in nginx_site.get(SHOP)[1]
    text = render_result("fix_nginx_config", result)
    assert "nginx -t: ok" in text and "+        add_header X-Sfai-Fix applied;" in text


async def test_dry_run_of_a_fix_that_fails_nginx_t_is_refused_with_nginx_output(
    nginx_site: NginxSite,
) -> None:
    files = nginx_site.files()
    broken = diff_of(
        nginx_site,
        "shop",
        lambda t: t.replace(
            "    server_name shop", "    sfai_unknown_directive on;\n    server_name shop"
        ),
    )
    result = await fix(nginx_site, SHOP, broken)
    assert result["ok"] is False
    assert result["error"]["code"] == "invalid_argument"
    assert 'unknown directive "sfai_unknown_directive"' in result["error"]["message"]
    assert "nothing changed" in result["error"]["message"]
    assert result["test"]["ok"] is False
    assert str(nginx_site.site_file("shop")) in result["test"]["output"] or (
        "sites-enabled/shop.conf" in result["test"]["output"]
    )
    assert "+    sfai_unknown_directive on;" in result["diff"]
    assert nginx_site.files() == files


async def test_the_copy_resolves_relative_certificates_and_includes_of_a_tls_site(
    nginx_site: NginxSite,
) -> None:
    change = diff_of(
        nginx_site, "secure", lambda t: t.replace('return 200 "secure\\n";', 'return 200 "ok\\n";')
    )
    result = await fix(nginx_site, SECURE, change)
    assert result["ok"], result
    assert result["test"]["ok"], result["test"]
    assert result["site_now"][0]["url"] == f"https://{SECURE}:{nginx_site.tls_port}/"
    assert result["site_now"][0]["status"] == 200


# --- real runs -----------------------------------------------------------------------------


async def test_a_good_fix_is_applied_reloaded_verified_and_backed_up(
    nginx_site: NginxSite,
) -> None:
    path = nginx_site.site_file("shop")
    before = path.read_bytes()
    result = await fix(nginx_site, SHOP, add_header_diff(nginx_site), dry_run=False)
    assert result["ok"], result
    assert result["verified"] is True and result["rolled_back"] is False, result
    assert result["test"]["ok"] and result["reload"]["ok"]
    assert [c["status"] for c in result["site_before"]] == [200]
    assert [c["status"] for c in result["site_after"]] == [200]
    assert b"add_header X-Sfai-Fix applied;" in path.read_bytes()
    assert (nginx_site.root / "sites-enabled" / "shop.conf").is_symlink()  # link kept
    status, headers, _ = nginx_site.get(SHOP)
    assert status == 200 and headers.get("x-sfai-fix") == "applied"
    [backup] = backups(nginx_site)
    assert result["backup"] == str(backup)
    assert backup.read_bytes() == before
    assert f"{SHOP} fixed" in result["summary"] and "answers 200" in result["summary"]


async def test_a_fix_that_fails_nginx_t_is_rolled_back_byte_for_byte(
    nginx_site: NginxSite,
) -> None:
    path = nginx_site.site_file("shop")
    before = path.read_bytes()
    broken = diff_of(
        nginx_site,
        "shop",
        lambda t: t.replace(
            "    server_name shop", "    sfai_unknown_directive on;\n    server_name shop"
        ),
    )
    result = await fix(nginx_site, SHOP, broken, dry_run=False)
    assert result["ok"], result
    assert result["verified"] is False and result["rolled_back"] is True
    assert result["test"]["ok"] is False
    assert "nginx -t failed" in result["rollback"]["reason"]
    assert result["rollback"]["file_restored"] is True
    assert result["rollback"]["verified"] is True
    assert path.read_bytes() == before
    assert nginx_site.status(SHOP) == 200
    assert result["summary"].startswith("rolled back: nginx -t failed")


async def test_a_fix_that_passes_nginx_t_but_breaks_the_site_is_rolled_back(
    nginx_site: NginxSite,
) -> None:
    path = nginx_site.site_file("shop")
    before = path.read_bytes()
    result = await fix(nginx_site, SHOP, dead_port_diff(nginx_site), dry_run=False)
    assert result["ok"], result
    assert result["test"]["ok"] is True and result["reload"]["ok"] is True
    assert [c["status"] for c in result["site_after"]] == [502]
    assert result["verified"] is False and result["rolled_back"] is True
    assert result["rollback"]["verified"] is True
    assert "answered 502 (was 200)" in result["summary"]
    assert path.read_bytes() == before
    assert nginx_site.status(SHOP) == 200
    assert nginx_site.get(SHOP)[2] == "backend\n"


async def test_a_broken_site_is_made_working_by_its_fix(nginx_site: NginxSite) -> None:
    path = nginx_site.site_file("shop")
    working = path.read_text()
    dead = free_port()
    path.write_text(working.replace(f":{nginx_site.backend_port};", f":{dead};"))
    assert nginx_site.reload_and_wait(lambda: nginx_site.status(SHOP) == 502)
    repair = diff_of(
        nginx_site, "shop", lambda t: t.replace(f":{dead};", f":{nginx_site.backend_port};")
    )
    preview = await fix(nginx_site, SHOP, repair)
    assert preview["ok"] and [c["status"] for c in preview["site_now"]] == [502]
    result = await fix(nginx_site, SHOP, repair, dry_run=False)
    assert result["ok"] and result["verified"] is True, result
    assert "answers 200 (was 502)" in result["summary"]
    assert path.read_text() == working
    assert nginx_site.get(SHOP)[2] == "backend\n"


async def test_a_replacement_server_block_replaces_only_that_block(nginx_site: NginxSite) -> None:
    path = nginx_site.site_file("shop")
    before = path.read_text()
    block = (
        "server {\n"
        f"    listen 127.0.0.1:{nginx_site.http_port};\n"
        "    server_name other.sfai.test;\n"
        '    return 200 "replaced\\n";\n'
        "}\n"
    )
    result = await fix(nginx_site, OTHER, block, dry_run=False)
    assert result["ok"] and result["verified"] is True, result
    assert result["fix_kind"] == "server_block"
    assert nginx_site.get(OTHER)[2] == "replaced\n"
    assert nginx_site.get(SHOP)[2] == "backend\n"
    after = path.read_text()
    assert after == before.replace('return 200 "other\\n";', 'return 200 "replaced\\n";')


async def test_a_replacement_block_that_returns_500_is_rolled_back(nginx_site: NginxSite) -> None:
    before = nginx_site.files()
    block = (
        "server {\n"
        f"  listen 127.0.0.1:{nginx_site.http_port};\n"
        "  server_name shop.sfai.test www.shop.sfai.test;\n"
        "  return 500;\n"
        "}"
    )
    result = await fix(nginx_site, SHOP, block, dry_run=False)
    assert result["ok"], result
    assert [c["status"] for c in result["site_after"]] == [500]
    assert result["rolled_back"] is True and result["rollback"]["verified"] is True
    assert nginx_site.files() == before
    assert nginx_site.status(SHOP) == 200


async def test_a_reload_nginx_rejects_at_runtime_is_rolled_back(nginx_site: NginxSite) -> None:
    """nginx -t does not bind ports: a listen on a port in use passes it, then the master
    refuses the new config at reload and keeps its old workers."""
    import socket

    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    try:
        port = busy.getsockname()[1]
        before = nginx_site.files()
        change = diff_of(
            nginx_site,
            "blog",
            lambda t: t.replace(
                f"    listen 127.0.0.1:{nginx_site.http_port};\n",
                f"    listen 127.0.0.1:{nginx_site.http_port};\n    listen 127.0.0.1:{port};\n",
            ),
        )
        result = await fix(nginx_site, BLOG, change, dry_run=False)
    finally:
        busy.close()
    assert result["ok"], result
    assert result["test"]["ok"] is True
    assert result["reload"]["ok"] is False
    assert any("Address already in use" in line for line in result["reload"]["error_log"])
    assert result["rolled_back"] is True and result["rollback"]["verified"] is True
    assert result["summary"].startswith("rolled back: the reload failed")
    assert nginx_site.files() == before
    assert nginx_site.get(BLOG)[2] == "blog\n"


async def test_without_a_running_master_the_fix_stays_unverified(nginx_site: NginxSite) -> None:
    import os
    import signal

    from tests.fixtures.processes import pid_alive, wait_until

    os.kill(nginx_site.master_pid, signal.SIGTERM)
    assert wait_until(lambda: not pid_alive(nginx_site.master_pid), 10)
    result = await fix(nginx_site, SHOP, add_header_diff(nginx_site), dry_run=False)
    assert result["ok"], result
    assert result["verified"] is False and result["rolled_back"] is False
    assert "no nginx master runs this config" in result["summary"]
    assert b"X-Sfai-Fix" in nginx_site.site_file("shop").read_bytes()
    assert "reload" not in result


async def test_masked_secrets_in_a_fix_keep_the_real_secret(nginx_site: NginxSite) -> None:
    from sfai_agent.redact import Redactor

    secret = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"
    path = nginx_site.site_file("shop")
    path.write_text(
        path.read_text().replace(
            "proxy_set_header Host $host;",
            f'proxy_set_header Host $host;\n        proxy_set_header X-Api-Key "{secret}";',
        )
    )
    assert nginx_site.reload_and_wait(lambda: nginx_site.status(SHOP) == 200)
    masked = Redactor().redact_text(path.read_text())
    assert secret not in masked and "[SECRET:" in masked
    # the model saw the masked text: its diff quotes the placeholder in context and + lines
    after = masked.replace(
        "proxy_set_header Host $host;", "proxy_set_header Host $host;\n        add_header X-Seen 1;"
    ).replace('X-Api-Key "[SECRET', 'X-API-Key "[SECRET')
    change = "".join(
        difflib.unified_diff(
            masked.splitlines(keepends=True),
            after.splitlines(keepends=True),
            "a/shop.conf",
            "b/shop.conf",
        )
    )
    result = await fix(nginx_site, SHOP, change, dry_run=False)
    assert result["ok"] and result["verified"] is True, result
    text = path.read_text()
    assert f'proxy_set_header X-API-Key "{secret}";' in text
    assert "[SECRET" not in text and "add_header X-Seen 1;" in text
    assert secret not in result["diff"]  # masked again on the way out


async def test_a_real_run_without_approval_is_refused_and_changes_nothing(
    nginx_site: NginxSite,
) -> None:
    before = nginx_site.files()
    args = {"domain": SHOP, "fix": add_header_diff(nginx_site), "dry_run": False}
    result = await call_tool("fix_nginx_config", args, context(nginx_site))
    assert result["ok"] is False
    assert result["error"]["code"] == "approval_required"
    assert nginx_site.files() == before and backups(nginx_site) == []
    preview = await call_tool("fix_nginx_config", {**args, "dry_run": True}, context(nginx_site))
    assert preview["ok"] and preview["dry_run"] is True  # a dry-run needs no approval
    assert nginx_site.files() == before


async def test_a_tls_site_is_changed_and_checked_over_https(nginx_site: NginxSite) -> None:
    change = diff_of(
        nginx_site, "secure", lambda t: t.replace('return 200 "secure\\n";', 'return 200 "v2\\n";')
    )
    result = await fix(nginx_site, SECURE, change, dry_run=False)
    assert result["ok"] and result["verified"] is True, result
    assert [c["url"] for c in result["site_after"]] == [f"https://{SECURE}:{nginx_site.tls_port}/"]
    status, headers, body = nginx_site.get(SECURE)
    assert (status, body, headers.get("x-secure")) == (200, "v2\n", "yes")


async def test_a_diff_of_an_included_snippet_is_not_the_domains_file(
    nginx_site: NginxSite,
) -> None:
    snippet = nginx_site.root / "snippets" / "secure-headers.conf"
    text = snippet.read_text()
    change = "".join(
        difflib.unified_diff(
            text.splitlines(keepends=True),
            [text.replace('"yes"', '"no"')],
            f"a{snippet}",
            f"b{snippet}",
        )
    )
    result = await fix(nginx_site, SECURE, change)
    assert result["ok"] is False and result["error"]["code"] == "refused_by_policy"
    assert str(nginx_site.site_file("secure")) in result["error"]["message"]


# --- refusals ------------------------------------------------------------------------------


def _shop_change(old: str, new: str) -> Any:
    return lambda site: diff_of(site, "shop", lambda t: t.replace(old, new, 1))


def _add_to_shop(line: str) -> Any:
    return _shop_change("    server_name shop", f"    {line}\n    server_name shop")


REFUSALS = [
    # (id, domain, fix builder, code, words in the message)
    ("unknown domain", "nowhere.sfai.test", add_header_diff, "not_found", "no nginx server block"),
    (
        "diff for another site's file",
        SHOP,
        lambda s: diff_of(s, "blog", lambda t: t.replace("blog\\n", "pwned\\n")),
        "refused_by_policy",
        "changes only that file",
    ),
    (
        "diff naming a credential file",
        SHOP,
        lambda s: diff_of(s, "shop", lambda t: t + "# x\n", label="/etc/ssl/private/site.key"),
        "refused_by_policy",
        "credential",
    ),
    (
        "two files in one diff",
        SHOP,
        lambda s: add_header_diff(s) + add_header_diff(s),
        "invalid_argument",
        "2 file diffs",
    ),
    (
        "new file",
        SHOP,
        lambda s: "--- /dev/null\n+++ b/shop.conf\n@@ -0,0 +1 @@\n+server {}\n",
        "refused_by_policy",
        "/dev/null",
    ),
    (
        "binary patch",
        SHOP,
        lambda s: "diff --git a/x b/x\nGIT binary patch\nliteral 0\n",
        "invalid_argument",
        "binary",
    ),
    (
        "hunk that does not apply",
        SHOP,
        lambda s: (
            "--- a/shop.conf\n+++ b/shop.conf\n@@ -3,2 +3,2 @@\n-    listen 80;\n+    listen 81;\n"
        ),
        "invalid_argument",
        "does not apply",
    ),
    (
        "prose, not a diff",
        SHOP,
        lambda s: "please fix the proxy port",
        "invalid_argument",
        "not part of a unified diff",
    ),
    (
        "include /etc/shadow",
        SHOP,
        _add_to_shop("include /etc/shadow;"),
        "refused_by_policy",
        "credential",
    ),
    (
        "include outside the config",
        SHOP,
        _add_to_shop("include /etc/passwd;"),
        "refused_by_policy",
        "config directory",
    ),
    (
        "key from /etc/ssl/private",
        SHOP,
        _add_to_shop("ssl_certificate_key /etc/ssl/private/other.key;"),
        "refused_by_policy",
        "credential",
    ),
    ("root /", SHOP, _add_to_shop("root /;"), "refused_by_policy", "whole filesystem"),
    (
        "alias /etc/",
        SHOP,
        _add_to_shop("location /x/ { alias /etc/; }"),
        "refused_by_policy",
        "system directory",
    ),
    (
        "load_module",
        SHOP,
        _add_to_shop("load_module /tmp/evil.so;"),
        "refused_by_policy",
        "loads code",
    ),
    ("perl", SHOP, _add_to_shop("perl_require /tmp/evil.pm;"), "refused_by_policy", "loads code"),
    (
        "log into cron",
        SHOP,
        _add_to_shop("access_log /etc/cron.d/sfai;"),
        "refused_by_policy",
        "write that file",
    ),
    (
        "a secret placeholder with no original",
        SHOP,
        _add_to_shop('proxy_set_header X-Key "[SECRET:github-token:7]";'),
        "invalid_argument",
        "masked secret",
    ),
    (
        "fix that removes the domain",
        SHOP,
        _shop_change(
            "server_name shop.sfai.test www.shop.sfai.test;", "server_name shop2.sfai.test;"
        ),
        "invalid_argument",
        "removes shop.sfai.test",
    ),
    (
        "fix that breaks the syntax",
        SHOP,
        _shop_change("proxy_set_header Host $host;", "proxy_set_header Host $host"),
        "invalid_argument",
        "after the fix",
    ),
    (
        "replacement for another domain",
        SHOP,
        lambda s: "server {\n    listen 80;\n    server_name evil.sfai.test;\n}\n",
        "invalid_argument",
        "does not include shop.sfai.test",
    ),
    (
        "unbalanced replacement",
        SHOP,
        lambda s: "server {\n    server_name shop.sfai.test;\n    location / {\n}\n",
        "invalid_argument",
        "does not parse",
    ),
    (
        "control characters",
        SHOP,
        lambda s: "server {\x00}\n",
        "invalid_argument",
        "control characters",
    ),
    ("too large", SHOP, lambda s: "#" * 70_000, "invalid_argument", "too long"),
]


@pytest.mark.parametrize(
    ("domain", "builder", "code", "words"),
    [pytest.param(*case[1:], id=case[0]) for case in REFUSALS],
)
@pytest.mark.parametrize("dry_run", [True, False])
async def test_refusals_change_nothing_and_say_why(
    nginx_site: NginxSite, domain: str, builder: Any, code: str, words: str, dry_run: bool
) -> None:
    before = nginx_site.files()
    result = await fix(nginx_site, domain, builder(nginx_site), dry_run=dry_run)
    assert result["ok"] is False, result
    assert result["error"]["code"] == code, result["error"]
    assert words in result["error"]["message"], result["error"]
    assert result["error"]["hint"] or code == "not_found"
    assert nginx_site.files() == before
    assert backups(nginx_site) == []


@pytest.mark.parametrize(
    "domain",
    [
        "shop.sfai.test; rm -rf /",
        "../../etc/passwd",
        "-c/etc/shadow",
        "shop.sfai.test\nHost: x",
        "shop..sfai.test",
        "",
        "a" * 300,
    ],
)
async def test_hostile_domains_are_refused_before_anything_runs(
    nginx_site: NginxSite, domain: str
) -> None:
    result = await fix(nginx_site, domain, add_header_diff(nginx_site), dry_run=False)
    assert result["ok"] is False
    assert result["error"]["code"] == "invalid_argument"
    assert backups(nginx_site) == []


# --- the applier and the copy, on their own --------------------------------------------------

BLOCK = "server {\n    listen 80;\n    server_name a.test;\n    return 200;\n}\n"


def test_a_hunk_with_miscounted_lines_and_a_wrong_line_number_applies_when_unique() -> None:
    from sfai_agent.tools.nginx_patch import apply_patch, parse_diff

    text = "# head\n" * 5 + BLOCK
    diff = "@@ -1,9 +1,9 @@\n     server_name a.test;\n-    return 200;\n+    return 204;\n"
    assert apply_patch(text, parse_diff(diff), "f") == text.replace("200", "204")


def test_a_hunk_matching_several_places_must_be_at_its_line() -> None:
    from sfai_agent.tools.base import ToolError
    from sfai_agent.tools.nginx_patch import apply_patch, parse_diff

    text = BLOCK + BLOCK
    moved = "@@ -40,1 +40,1 @@\n-    return 200;\n+    return 204;\n"
    with pytest.raises(ToolError, match="does not apply"):
        apply_patch(text, parse_diff(moved), "f")
    second = "@@ -9,1 +9,1 @@\n-    return 200;\n+    return 204;\n"
    assert apply_patch(text, parse_diff(second), "f") == BLOCK + BLOCK.replace("200", "204")


def test_crlf_files_and_a_missing_final_newline_are_kept() -> None:
    from sfai_agent.tools.nginx_patch import apply_patch, parse_diff, unified_diff

    text = BLOCK.replace("\n", "\r\n").removesuffix("\r\n")
    diff = "@@ -3,1 +3,2 @@\n     server_name a.test;\n+    add_header X 1;\n"
    after = apply_patch(text, parse_diff(diff), "f")
    assert after == text.replace("a.test;\r\n", "a.test;\r\n    add_header X 1;\r\n")
    assert not after.endswith("\n")
    shown = unified_diff(BLOCK, BLOCK.removesuffix("\n") + "\n# end", "/f")
    assert shown.endswith("+# end\n\\ No newline at end of file\n")


def test_a_replacement_block_is_indented_like_the_old_one() -> None:
    from sfai_agent.tools.nginx_patch import replace_block

    text = "http {\n    server {\n        return 200;\n    }\n}\n"
    new = "server {\n  return 204;\n}"
    assert replace_block(text, 2, 4, new, "f:2") == (
        "http {\n    server {\n      return 204;\n    }\n}\n"
    )


def test_absolute_includes_into_the_config_tree_point_into_the_copy() -> None:
    from sfai_agent.tools.nginx_trial import rewrite_includes

    text = (
        "include /etc/nginx/mime.types;\nhttp { include /etc/nginx/sites-enabled/*;\n"
        "  include /usr/share/nginx/modules/*.conf; include conf.d/*.conf; }\n"
        'return 200 "see /etc/nginx/x";\n'
    )
    out = rewrite_includes(text, "/tmp/sfai-nginx-abc", set(), "/etc/nginx")
    assert "include /tmp/sfai-nginx-abc/etc/nginx/mime.types;" in out
    assert "include /tmp/sfai-nginx-abc/etc/nginx/sites-enabled/*;" in out
    assert "include /usr/share/nginx/modules/*.conf;" in out  # outside: read live
    assert "include conf.d/*.conf;" in out  # relative: resolved against the copy's -c
    assert '"see /etc/nginx/x"' in out


def test_only_added_directives_are_judged() -> None:
    from sfai_agent.tools.nginx_conf import parse
    from sfai_agent.tools.nginx_guard import added_directives

    old = parse("server { ssl_certificate_key /etc/ssl/private/a.key; return 200; }")
    new = parse(
        "server { return 204; ssl_certificate_key /etc/ssl/private/a.key; add_header X 1; }"
    )
    assert [(d.name, d.args) for d in added_directives(old, new)] == [
        ("return", ["204"]),
        ("add_header", ["X", "1"]),
    ]


def test_a_fix_wrapped_in_a_markdown_fence_is_read_without_it() -> None:
    from sfai_agent.tools.nginx_patch import check_fix_text, parse_diff

    fix = "```diff\n--- a/x.conf\n+++ b/x.conf\n@@ -1 +1 @@\n-a\n+b\n```"
    assert check_fix_text(fix) == "--- a/x.conf\n+++ b/x.conf\n@@ -1 +1 @@\n-a\n+b\n"
    assert len(parse_diff(check_fix_text(fix)).hunks) == 1
