"""A compromised model attacks the dry-runs of fix_nginx_config and deploy_app.

A dry-run needs no approval, so whatever it does, a model that has read an attacker's log
line can make it do: these tests call the tools through the real runner (policy, schema,
masking) against a real nginx (``nginx_site``), real git repositories and a real shared
library, and check that the attack neither runs code nor hands a secret to the model.

- a masked secret's placeholder in a diff's context line must neither copy a secret (or
  part of one) into a line where it is no longer masked, nor let repeated dry-runs confirm
  a guessed prefix of it;
- ``ssl_certificate_key engine:/path/lib.so:id`` makes OpenSSL dlopen the library during
  ``nginx -t`` (code execution as nginx's user, before anyone approved anything);
- a wildcard ``include`` reads files nobody named (a ``.key``), and ``nginx -t`` quotes the
  first word of a file it cannot parse;
- a git tree owned by another user: its ``.git/config`` (``core.fsmonitor``) runs a program
  during the dry-run's ``git status`` and list_apps, as root, unless git's ownership check
  stays on;
- a deploy's build steps run the repository's code: sfai's model API keys in its own
  environment must not reach them.
"""

from __future__ import annotations

import difflib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sfai_agent.exec import LocalExecutor
from sfai_agent.redact import Redactor
from sfai_agent.settings import AgentSettings
from sfai_agent.tools.base import ToolContext
from sfai_agent.tools.runner import call_tool
from tests.fixtures.git_app import git
from tests.fixtures.nginx_sites import SECURE, SHOP, NginxSite

NAMED_SECRET = "Zq9vLm2pRt7xWc4n"
"""Masked only because of the name in front of it (X-Upstream-Password)."""
TOKEN = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"
KEY_FILE_WORD = "Zk8LeakedKeyFileWord"


def nginx_context(site: NginxSite) -> ToolContext:
    return ToolContext(executor=LocalExecutor(), settings=AgentSettings(**site.settings))


async def fix(site: NginxSite, domain: str, text: str) -> Any:
    args = {"domain": domain, "fix": text, "dry_run": True}
    return await call_tool("fix_nginx_config", args, nginx_context(site))


def model_diff(path: Path, change: Any, seen: str | None = None) -> str:
    """The diff a model writes: against the file as it saw it (masked)."""
    seen = Redactor().redact_text(path.read_text()) if seen is None else seen
    return "".join(
        difflib.unified_diff(
            seen.splitlines(keepends=True),
            change(seen).splitlines(keepends=True),
            f"a{path}",
            f"b{path}",
        )
    )


def plant_secrets(site: NginxSite) -> Path:
    path = site.site_file("shop")
    path.write_text(
        path.read_text().replace(
            "        proxy_set_header Host $host;\n",
            "        proxy_set_header Host $host;\n"
            f'        proxy_set_header X-Upstream-Password "{NAMED_SECRET}";\n'
            f'        proxy_set_header X-Api-Key "{TOKEN}";\n',
        )
    )
    return path


# --- fix_nginx_config ----------------------------------------------------------------------


@pytest.mark.nginx
@pytest.mark.parametrize(
    ("context_line", "added_line", "leaked"),
    [
        (  # the whole secret, moved where no name announces it
            '        proxy_set_header X-Upstream-Password "[SECRET:password:1]";',
            "        # upstream [SECRET:password:1]",
            NAMED_SECRET,
        ),
        (  # two placeholders split one token: the tail alone has no recognisable shape
            '        proxy_set_header X-Api-Key "[SECRET:x:1][SECRET:x:2]";',
            "        # key [SECRET:x:2]",
            TOKEN[1:],
        ),
    ],
)
async def test_a_placeholder_cannot_copy_a_secret_where_it_is_no_longer_masked(
    nginx_site: NginxSite, context_line: str, added_line: str, leaked: str
) -> None:
    path = plant_secrets(nginx_site)
    seen = Redactor().redact_text(path.read_text())
    assert NAMED_SECRET not in seen and TOKEN not in seen
    before = path.read_bytes()

    # the line as the model quotes it (context), then the line it adds after it
    header = context_line.split('"')[0]
    lines = seen.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith(header))
    lines[at] = context_line + "\n"
    quoted = "".join(lines)
    change = quoted.replace(context_line + "\n", f"{context_line}\n{added_line}\n")
    result = await fix(nginx_site, SHOP, model_diff(path, lambda _: change, quoted))
    shown = json.dumps(result)
    assert leaked not in shown and NAMED_SECRET not in shown, shown
    assert result["ok"] is False and result["error"]["code"] == "invalid_argument", result
    # refused as a secret that would show, or (split placeholders) as a line that does not
    # match: a placeholder stands for a whole masked value
    assert any(why in result["error"]["message"] for why in ("masked secret", "does not apply"))
    assert path.read_bytes() == before


@pytest.mark.nginx
async def test_a_dry_run_is_no_oracle_for_guessing_a_secret(nginx_site: NginxSite) -> None:
    """A context line quoting ``"Z[SECRET:...]"`` must not apply when the secret starts with
    Z and fail otherwise: the answers for a right and a wrong guess must be the same."""
    path = plant_secrets(nginx_site)
    seen = Redactor().redact_text(path.read_text())
    masked = '"[SECRET:password:1]"'
    assert masked in seen
    answers = []
    for guess in (NAMED_SECRET[0], "A"):
        quoted = seen.replace(masked, f'"{guess}[SECRET:password:1]"')
        change = quoted.replace(
            "proxy_set_header Host $host;\n",
            "proxy_set_header Host $host;\n        add_header X-Probe 1;\n",
        )
        result = await fix(nginx_site, SHOP, model_diff(path, lambda _, c=change: c, quoted))
        answers.append((result["ok"], result.get("error", {}).get("code")))
    assert answers[0] == answers[1] == (False, "invalid_argument"), answers


@pytest.mark.nginx
async def test_a_secret_may_still_move_where_it_stays_masked(nginx_site: NginxSite) -> None:
    """The guard above must not break the point of placeholders: editing a line that holds
    a secret, which is written back (the dry-run shows it masked)."""
    path = plant_secrets(nginx_site)
    result = await fix(
        nginx_site,
        SHOP,
        model_diff(path, lambda t: t.replace('X-Api-Key "[SECRET', 'X-Token "[SECRET')),
    )
    assert result["ok"], result
    assert TOKEN not in json.dumps(result) and "X-Token" in result["diff"]


@pytest.mark.nginx
async def test_a_refusal_never_cuts_a_secret_in_half(nginx_site: NginxSite) -> None:
    """Error messages quote file lines and directives cut to a length: cut first, masked
    after (by the runner), the first half of a token has no recognisable shape any more."""
    path = nginx_site.site_file("shop")
    comment = "        # rotated by ops on 2024-01-01, the deploy one is "
    path.write_text(path.read_text() + f"{comment}{TOKEN}\n")
    number = len(path.read_text().splitlines())
    probe = (
        f"--- a{path}\n+++ b{path}\n@@ -{number},1 +{number},2 @@\n"
        " # not the line that is there\n+add_header X-Probe 1;\n"
    )
    result = await fix(nginx_site, SHOP, probe)
    assert result["ok"] is False and "does not apply" in result["error"]["message"], result
    assert TOKEN[:12] not in json.dumps(result), result


def _evil_library(tmp_path: Path) -> tuple[Path, Path]:
    """A shared library whose constructor creates a marker file: the proof that code ran."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("needs a C compiler to build the shared library")
    marker = tmp_path / "engine-constructor-ran"
    source = tmp_path / "evil.c"
    source.write_text(
        "#include <stdio.h>\n"
        "__attribute__((constructor)) static void ran(void) {\n"
        f'  FILE *f = fopen("{marker}", "w"); if (f) fclose(f);\n'
        "}\n"
    )
    library = tmp_path / "evil.so"
    subprocess.run(
        [compiler, "-shared", "-fPIC", "-o", str(library), str(source)],
        check=True,
        capture_output=True,
    )
    return library, marker


@pytest.mark.nginx
async def test_an_engine_key_is_refused_before_nginx_t_loads_its_library(
    nginx_site: NginxSite, tmp_path: Path
) -> None:
    library, marker = _evil_library(tmp_path)
    path = nginx_site.site_file("secure")
    change = model_diff(
        path,
        lambda t: t.replace(
            "ssl_certificate_key certs/secure.key;", f"ssl_certificate_key engine:{library}:k;"
        ),
    )
    result = await fix(nginx_site, SECURE, change)
    assert not marker.exists(), "nginx -t of the dry-run ran the attacker's library"
    assert result["ok"] is False and result["error"]["code"] == "refused_by_policy", result
    assert "engine" in result["error"]["message"]


@pytest.mark.nginx
async def test_a_wildcard_include_cannot_read_a_key_file_nobody_named(
    nginx_site: NginxSite,
) -> None:
    private = nginx_site.root / "private"
    private.mkdir()
    (private / "api.key").write_text(f"{KEY_FILE_WORD} x;\n")
    path = nginx_site.site_file("shop")
    change = model_diff(
        path,
        lambda t: t.replace(
            "proxy_set_header Host $host;\n",
            "proxy_set_header Host $host;\n        include private/*;\n",
        ),
    )
    result = await fix(nginx_site, SHOP, change)
    assert KEY_FILE_WORD not in json.dumps(result), result
    assert result["ok"] is False and result["error"]["code"] == "refused_by_policy", result
    assert "wildcard" in result["error"]["message"]


@pytest.mark.nginx
@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("ssl_certificate_key /dev/zero;", "device"),
        ("ssl_certificate_key store:file:/tmp/k.pem;", "engine:/store:"),
        ("ssl_certificate_key $http_x_key;", "variable"),
        ("ssl_certificate_key certs/secure.key;\n    ssl_key_log /var/log/nginx/k.log;", "keys"),
    ],
)
async def test_key_paths_nginx_t_would_act_on_are_refused(
    nginx_site: NginxSite, line: str, why: str
) -> None:
    path = nginx_site.site_file("secure")
    change = model_diff(path, lambda t: t.replace("ssl_certificate_key certs/secure.key;", line))
    result = await fix(nginx_site, SECURE, change)
    assert result["ok"] is False and result["error"]["code"] == "refused_by_policy", result
    assert why in result["error"]["message"]


# --- deploy_app and list_apps ----------------------------------------------------------------


def _hostile_tree(tmp_path: Path) -> tuple[Path, Path]:
    """A clone whose .git/config runs a program from ``git status`` (core.fsmonitor), owned
    by nobody (65534): a web app's user that an attacker controls."""
    origin, work = tmp_path / "origin.git", tmp_path / "work"
    git("init", "--quiet", "--bare", "--initial-branch=main", str(origin))
    git("clone", "--quiet", str(origin), str(work))
    git("checkout", "--quiet", "-b", "main", cwd=work)
    (work / "app.py").write_text("print('shop')\n")
    git("add", "app.py", cwd=work)
    git("commit", "--quiet", "-m", "First release", cwd=work)
    git("push", "--quiet", "origin", "main", cwd=work)
    marker = tmp_path / "fsmonitor-ran"
    hook = tmp_path / "fsmonitor.sh"
    hook.write_text(f"#!/bin/sh\nid > {marker}\n")
    hook.chmod(0o755)
    git("config", "core.fsmonitor", str(hook), cwd=work)
    for item in [origin, work, *origin.rglob("*"), *work.rglob("*")]:
        os.chown(item, 65534, 65534, follow_symlinks=False)
    return work, marker


def apps_context(work: Path) -> ToolContext:
    settings = AgentSettings(apps={"shop": {"path": str(work), "branch": "main"}})
    return ToolContext(executor=LocalExecutor(), settings=settings)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to hand the tree to another user")
async def test_a_tree_owned_by_another_user_runs_none_of_its_git_config(tmp_path: Path) -> None:
    work, marker = _hostile_tree(tmp_path)
    listed = await call_tool("list_apps", {}, apps_context(work))
    assert not marker.exists(), "list_apps ran the tree owner's core.fsmonitor as root"
    [shop] = listed["declared"]
    assert "belongs to another user" in shop["error"], shop
    result = await call_tool("deploy_app", {"app": "shop"}, apps_context(work))
    assert not marker.exists(), "the dry-run ran the tree owner's core.fsmonitor as root"
    assert result["ok"] is False and result["error"]["code"] == "refused_by_policy", result
    assert 'user = "OWNER"' in result["error"]["hint"]


def _clean_app(tmp_path: Path) -> tuple[Path, Path]:
    """origin.git and a deployed clone ``work`` one commit behind it (a dev clone pushed)."""
    origin, dev, work = tmp_path / "origin.git", tmp_path / "dev", tmp_path / "work"
    git("init", "--quiet", "--bare", "--initial-branch=main", str(origin))
    git("clone", "--quiet", str(origin), str(dev))
    git("checkout", "--quiet", "-b", "main", cwd=dev)
    for version in ("1", "2"):
        (dev / "app.py").write_text(f"VERSION = {version!r}\n")
        git("add", "app.py", cwd=dev)
        git("commit", "--quiet", "-m", f"Release {version}", cwd=dev)
        if version == "1":
            git("push", "--quiet", "origin", "main", cwd=dev)
            git("clone", "--quiet", "--branch", "main", str(origin), str(work))
    git("push", "--quiet", "origin", "main", cwd=dev)
    return work, dev


async def test_a_deploys_build_steps_never_see_the_model_api_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Build steps run the repository's code (npm scripts, a Makefile): the operator's model
    credentials in sfai's environment must not reach them."""
    api_key = "sk-ant-api03-" + "Q" * 60
    monkeypatch.setenv("ANTHROPIC_API_KEY", api_key)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-proj-" + "R" * 40)
    seen = tmp_path / "build-env.json"
    dump = f"import json, os; open({str(seen)!r}, 'w').write(json.dumps(dict(os.environ)))"
    work, dev = _clean_app(tmp_path)
    declared = {"path": str(work), "branch": "main", "build": [[sys.executable, "-c", dump]]}
    context = ToolContext(executor=LocalExecutor(), settings=AgentSettings(apps={"shop": declared}))
    result = await call_tool(
        "deploy_app", {"app": "shop", "dry_run": False}, context, approved=True
    )
    assert result["ok"] and result["verified"], result
    assert git("rev-parse", "HEAD", cwd=work) == git("rev-parse", "HEAD", cwd=dev)
    environment = json.loads(seen.read_text())
    assert "PATH" in environment  # the build still gets an ordinary environment
    leaked = [name for name in environment if name.startswith(("ANTHROPIC_", "OPENAI_"))]
    assert not leaked and api_key not in seen.read_text()
