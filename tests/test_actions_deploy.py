"""deploy_app against a real git repository (bare origin, a dev clone pushing commits, the
deployed work clone) and the app run by a supervisord of its own (``git_app``), through the
real runner and its policy (a real run needs ``approved=True``)."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from sfai_agent.exec import LocalExecutor
from sfai_agent.settings import AgentSettings
from sfai_agent.tools.app_specs import AppSpecError, parse_app, ref_problem
from sfai_agent.tools.base import ToolContext
from sfai_agent.tools.catalog import load_catalog
from sfai_agent.tools.git_ops import build_argv, git_argv
from sfai_agent.tools.render import render_result
from sfai_agent.tools.runner import call_tool
from tests.cli import run_sfai
from tests.fixtures.git_app import CRASH_LINE, GitApp, git


def context(app: GitApp, **overrides: Any) -> ToolContext:
    settings = AgentSettings(**app.settings)
    if overrides:
        settings = replace(settings, **overrides)
    return ToolContext(executor=LocalExecutor(), settings=settings)


async def deploy(git_app: GitApp, approved: bool = True, **args: Any) -> Any:
    arguments = {"app": "shop", "dry_run": False, **args}
    return await call_tool("deploy_app", arguments, context(git_app), approved=approved)


async def preview(git_app: GitApp, **args: Any) -> Any:
    return await call_tool("deploy_app", {"app": "shop", **args}, context(git_app))


# --- the spec and the declarations --------------------------------------------------------


def test_deploy_app_is_a_high_risk_action_bounded_by_deploy_timeout() -> None:
    spec = load_catalog()["deploy_app"].spec
    assert spec.risk.value == "high"
    assert spec.has_dry_run and spec.timeout_setting == "deploy_timeout_s"
    assert spec.input_schema["required"] == ["app"]
    assert set(spec.input_schema["properties"]) == {"app", "ref", "dry_run"}


def test_a_declaration_is_parsed_strictly() -> None:
    spec = parse_app("shop", {"path": "/srv/shop", "build": [["npm", "ci"]], "env": {"A": "1"}})
    assert spec.branch == "main" and spec.remote == "origin"
    assert spec.build == (("npm", "ci"),) and spec.env == (("A", "1"),)
    assert parse_app("shop", spec.as_config()) == spec
    for table, message in [
        ({}, "path: required"),
        ({"path": "srv/shop"}, "absolute path"),
        ({"path": "/srv/../etc"}, "absolute path"),
        ({"path": "/srv/shop", "heath_url": "x"}, "unknown key"),
        ({"path": "/srv/shop", "build": "npm ci && npm run build"}, "argv lists"),
        ({"path": "/srv/shop", "build": [["-rf"]]}, "not a program name"),
        ({"path": "/srv/shop", "health_url": "file:///etc/passwd"}, "not an http"),
        ({"path": "/srv/shop", "branch": "--upload-pack=x"}, "not a branch name"),
        ({"path": "/srv/shop", "service": "a b"}, "not a valid service"),
        ({"path": "/srv/shop", "health_timeout_s": 0}, "more than 0"),
    ]:
        with pytest.raises(AppSpecError, match=message):
            parse_app("shop", table)
    with pytest.raises(AppSpecError, match="app names"):
        parse_app("../shop", {"path": "/srv/shop"})


@pytest.mark.parametrize(
    "ref",
    [
        "--upload-pack=touch /tmp/x",
        "-b",
        "$(x)",
        "`x`",
        "../x",
        "a..b",
        "a\nb",
        "a b",
        "x.lock",
        "a//b",
        "a/",
        ".hidden",
        "main@{1}",
        "HEAD~1",
        "a:b",
        "*",
    ],
)
def test_hostile_ref_strings_are_refused_by_the_validator(ref: str) -> None:
    assert ref_problem(ref) is not None


@pytest.mark.parametrize("ref", ["main", "release/1.2", "v1.4.2", "1a2b3c4", "feature_x-2"])
def test_ordinary_refs_pass_the_validator(ref: str) -> None:
    assert ref_problem(ref) is None


# --- refusals (nothing changes) -----------------------------------------------------------


@pytest.mark.supervisor
async def test_refusals_unknown_app_hostile_refs_and_missing_ref(git_app: GitApp) -> None:
    head, (_, pid) = git_app.head(), git_app.state()
    unknown = await deploy(git_app, app="blog")
    assert unknown["error"]["code"] == "not_found", unknown
    assert "declared: shop" in unknown["error"]["message"]
    invalid = await deploy(git_app, app="../shop")
    assert invalid["error"]["code"] == "invalid_argument"
    for ref in ["--upload-pack=touch /tmp/sfai-pwned", "$(touch x)", "../main", "main\nx"]:
        for dry_run in (True, False):
            result = await deploy(git_app, ref=ref, dry_run=dry_run)
            assert result["error"]["code"] == "invalid_argument", (ref, result)
    missing = await deploy(git_app, ref="no-such-branch")
    assert missing["error"]["code"] == "not_found", missing
    assert "after git fetch" in missing["error"]["message"]
    missing_preview = await preview(git_app, ref="no-such-branch")
    assert missing_preview["error"]["code"] == "not_found", missing_preview
    missing_sha = await deploy(git_app, ref="0123456789abcdef0123456789abcdef01234567")
    assert missing_sha["error"]["code"] == "not_found", missing_sha
    assert git_app.head() == head and git_app.state() == ("RUNNING", pid)


@pytest.mark.supervisor
async def test_a_real_run_without_approval_is_refused_by_the_runner(git_app: GitApp) -> None:
    git_app.push("good-2")
    head = git_app.head()
    result = await deploy(git_app, approved=False)
    assert result["error"]["code"] == "approval_required", result
    assert git_app.head() == head


@pytest.mark.supervisor
async def test_a_dirty_tree_is_refused_and_the_dry_run_warns(git_app: GitApp) -> None:
    git_app.push("good-2")
    (git_app.work / "app.py").write_text((git_app.work / "app.py").read_text() + "# hotfix\n")
    head = git_app.head()
    dry = await preview(git_app)
    assert dry["ok"], dry
    assert any("REFUSE" in w and "app.py" in w for w in dry["warnings"])
    assert dry["summary"].startswith("dry-run: deploy shop would be refused")
    real = await deploy(git_app)
    assert real["error"]["code"] == "refused_by_policy", real
    assert (
        "uncommitted changes" in real["error"]["message"] and "app.py" in real["error"]["message"]
    )
    assert git_app.head() == head
    assert "# hotfix" in (git_app.work / "app.py").read_text()


@pytest.mark.supervisor
async def test_a_branch_that_cannot_fast_forward_is_refused(git_app: GitApp) -> None:
    git("commit", "--quiet", "--allow-empty", "-m", "Local only", cwd=git_app.work)
    git_app.push("good-2")
    local = git_app.head()
    result = await deploy(git_app)
    assert result["error"]["code"] == "refused_by_policy", result
    assert "cannot fast-forward" in result["error"]["message"]
    assert "ref" in result["error"]["hint"]
    assert git_app.head() == local


# --- dry-run ------------------------------------------------------------------------------


@pytest.mark.supervisor
async def test_dry_run_shows_commits_and_exact_steps_and_changes_nothing(git_app: GitApp) -> None:
    first = git_app.head()
    git_app.push("good-2", message="Add the cart")
    new = git_app.push("good-3", message="Fix the cart")
    tracking = git("rev-parse", "origin/main", cwd=git_app.work)
    result = await preview(git_app)
    assert result["ok"], result
    assert result["current"]["commit"] == first and result["current"]["branch"] == "main"
    assert result["current"]["subject"] == "First release"
    # not fetched: the target is known from ls-remote, its subject only after a fetch
    assert result["target"]["commit"] == new and result["target"]["source"] == "origin/main"
    steps = [step["step"] for step in result["steps"]]
    assert steps == ["fetch", "fast_forward", "build", "restart", "health_check"]
    build = result["steps"][2]["argv"]
    assert build[:4] == ["env", "-C", str(git_app.work), "--"]
    assert build[4:] == [sys.executable, "-m", "py_compile", "app.py"]
    assert result["steps"][3]["argv"][-2:] == ["restart", "shop"]
    assert result["steps"][0]["argv"][:3] == ["git", "-C", str(git_app.work)]
    assert "roll back to" in result["on_failure"]
    assert result["summary"].startswith(f"dry-run: deploy shop {first[:7]} → {new[:7]}")
    assert git_app.head() == first
    assert git("rev-parse", "origin/main", cwd=git_app.work) == tracking  # no fetch happened
    # once fetched (by someone), the dry-run lists the commits between
    git("fetch", "--quiet", "origin", cwd=git_app.work)
    fetched = await preview(git_app)
    assert fetched["target"]["ahead"] == 2
    assert [c["subject"] for c in fetched["target"]["commits"]] == ["Fix the cart", "Add the cart"]
    assert "(2 new commits)" in fetched["summary"]
    assert "+ " in render_result("deploy_app", fetched)


# --- real runs ----------------------------------------------------------------------------


@pytest.mark.supervisor
async def test_deploying_a_good_commit_is_verified_and_served(git_app: GitApp) -> None:
    old, (_, old_pid) = git_app.head(), git_app.state()
    new = git_app.push("good-2", message="Add the cart")
    result = await deploy(git_app)
    assert result["ok"], result
    assert result["verified"] is True and result["rolled_back"] is False, result
    assert result["before"]["commit"] == old and result["after"]["commit"] == new
    assert result["after"]["subject"] == "Add the cart" and result["after"]["branch"] == "main"
    assert [s["step"] for s in result["steps"]] == [
        "fetch",
        "fast_forward",
        "build",
        "restart",
        "health_check",
    ]
    assert all(s["ok"] for s in result["steps"])
    assert result["health"]["status"] == 200
    assert git_app.head() == new
    assert git_app.get("/version") == (200, "good-2")
    state, pid = git_app.state()
    assert state == "RUNNING" and pid != old_pid
    assert result["summary"].startswith(f'shop deployed: {old[:7]} → {new[:7]} "Add the cart"')
    assert "health HTTP 200" in result["summary"]
    text = render_result("deploy_app", result)
    assert "ok" in text and "health_check" in text


@pytest.mark.supervisor
async def test_a_commit_whose_health_check_fails_is_rolled_back(git_app: GitApp) -> None:
    old = git_app.head()
    bad = git_app.push("bad-2", broken="health", message="Break health")
    result = await deploy(git_app)
    assert result["ok"], result
    assert result["verified"] is False and result["rolled_back"] is True, result
    assert result["failed_step"] == "health_check"
    assert result["failure"]["status"] == 500
    assert result["target"]["commit"] == bad
    assert result["rollback"]["verified"] is True, result["rollback"]
    assert result["rollback"]["health"]["status"] == 200
    assert result["after"]["commit"] == old and result["after"]["branch"] == "main"
    assert git_app.head() == old
    assert git("rev-parse", "main", cwd=git_app.work) == old  # the branch went back too
    assert git_app.get("/version") == (200, "good-1")
    assert git_app.get("/health")[0] == 200
    assert "FAILED at health check (HTTP 500)" in result["summary"]
    assert f"rolled back to {old[:7]}, verified" in result["summary"]


@pytest.mark.supervisor
async def test_a_commit_that_crashes_at_start_is_rolled_back(git_app: GitApp) -> None:
    old = git_app.head()
    git_app.push("bad-2", broken="crash")
    result = await deploy(git_app)
    assert result["ok"] and result["rolled_back"] is True and not result["verified"], result
    assert result["failed_step"] == "restart"
    assert any(CRASH_LINE in line for line in result["failure"]["output_tail"]), result["failure"]
    assert result["rollback"]["verified"] is True, result["rollback"]
    assert git_app.head() == old and git_app.state()[0] == "RUNNING"
    assert git_app.get("/version") == (200, "good-1")


@pytest.mark.supervisor
async def test_a_build_failure_is_rolled_back_before_any_restart(git_app: GitApp) -> None:
    old, (_, pid) = git_app.head(), git_app.state()
    git_app.push("bad-2", broken="syntax")
    result = await deploy(git_app)
    assert result["ok"] and result["rolled_back"] is True and not result["verified"], result
    assert result["failed_step"] == "build"
    assert result["failure"]["exit_code"] == 1
    assert any("SyntaxError" in line for line in result["failure"]["output_tail"])
    assert [s["step"] for s in result["steps"]] == ["fetch", "fast_forward", "build"]
    assert result["rollback"]["verified"] is True
    assert git_app.head() == old and git_app.get("/version") == (200, "good-1")
    assert git_app.state()[1] != pid  # the rollback rebuilt and restarted the old commit


@pytest.mark.supervisor
async def test_deploying_a_ref_checks_it_out_detached_and_back(git_app: GitApp) -> None:
    first = git_app.head()
    git_app.push("good-2")
    git("tag", "v2", cwd=git_app.dev)
    git("push", "--quiet", "origin", "v2", cwd=git_app.dev)
    git_app.push("good-3")
    tagged = await deploy(git_app, ref="v2")
    assert tagged["verified"], tagged
    assert tagged["after"]["branch"] is None and git_app.get("/version") == (200, "good-2")
    back = await deploy(git_app, ref=first[:10])
    assert back["verified"], back
    assert back["target"]["behind"] == 1 and git_app.get("/version") == (200, "good-1")
    head = await deploy(git_app)  # no ref: back on main, fast-forwarded to the head
    assert head["verified"] and head["after"]["branch"] == "main", head
    assert git_app.get("/version") == (200, "good-3")
    again = await deploy(git_app)
    assert again["nothing_to_deploy"] and again["verified"], again
    assert again["summary"].startswith("shop is already at")


# --- list_apps ----------------------------------------------------------------------------


@pytest.mark.supervisor
async def test_list_apps_shows_the_declared_app_and_its_deployed_commit(git_app: GitApp) -> None:
    result = await call_tool("list_apps", {}, context(git_app))
    assert result["ok"], result
    [shop] = result["declared"]
    assert shop["name"] == "shop" and shop["path"] == str(git_app.work)
    assert shop["deployed"]["commit"] == git_app.head()
    assert shop["deployed"]["subject"] == "First release"
    assert shop["checked_out"] == "main" and shop["health_url"] == git_app.health_url
    assert "1 declared app" in result["summary"]


@pytest.mark.supervisor
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to hand the tree to another user")
async def test_root_refuses_a_tree_owned_by_another_user(git_app: GitApp) -> None:
    """git refuses a repository owned by someone else ("dubious ownership"), and sfai keeps
    that check: the owner's .git/config could make git run programs as root (see
    tests/test_adversarial_actions.py). The fix is to declare the owner as ``user``."""
    for path in [git_app.work, *git_app.work.rglob("*")]:
        os.chown(path, 65534, 65534, follow_symlinks=False)
    with pytest.raises(RuntimeError, match="dubious ownership"):
        git("status", cwd=git_app.work)
    listed = await call_tool("list_apps", {}, context(git_app))
    [shop] = listed["declared"]
    assert "belongs to another user" in shop["error"], shop
    git_app.push("good-2")
    result = await preview(git_app)
    assert result["ok"] is False and result["error"]["code"] == "refused_by_policy", result
    assert 'user = "OWNER"' in result["error"]["hint"]


def test_a_declared_user_runs_git_and_the_build_through_runuser() -> None:
    spec = parse_app("shop", {"path": "/srv/shop", "user": "deploy", "env": {"A": "1"}})
    assert git_argv(spec, "fetch")[:5] == ["runuser", "-u", "deploy", "--", "git"]
    assert build_argv(spec, ("npm", "ci")) == [
        "runuser",
        "-u",
        "deploy",
        "--",
        "env",
        "-C",
        "/srv/shop",
        "--",
        "A=1",
        "npm",
        "ci",
    ]


def _write_config(git_app: GitApp, home: Path) -> None:
    shop = git_app.settings["apps"]["shop"]
    build = ", ".join(json.dumps(step) for step in shop["build"])
    (home / "config.toml").write_text(
        f"[tools]\nsupervisor_config = {json.dumps(git_app.settings['supervisor_config'])}\n"
        'service_managers = ["supervisor"]\nrestart_verify_s = 15\n\n'
        f"[apps.shop]\npath = {json.dumps(shop['path'])}\nbuild = [{build}]\n"
        f'service = "shop"\nhealth_url = "{git_app.health_url}"\nhealth_timeout_s = 5\n'
    )


@pytest.mark.supervisor
def test_sfai_tools_run_deploys_an_app_declared_in_config_toml(
    git_app: GitApp, sfai_home: Path
) -> None:
    """End to end: config.toml → settings → the tool, with the CLI's approval and audit."""
    _write_config(git_app, sfai_home)
    old = git_app.head()
    new = git_app.push("good-2", message="Add the cart")
    refused = run_sfai("tools", "run", "deploy_app", "--arg", "app=shop", "--arg", "dry_run=false")
    assert refused.code == 3, (refused.stdout, refused.stderr)
    assert git_app.head() == old
    done = run_sfai(
        "tools", "run", "deploy_app", "--arg", "app=shop", "--arg", "dry_run=false", "--yes"
    )
    assert done.code == 0, (done.stdout, done.stderr)
    assert f"shop deployed: {old[:7]} → {new[:7]}" in done.stdout
    assert git_app.head() == new and git_app.get("/version") == (200, "good-2")
    audit = run_sfai("audit", "--verify")
    assert audit.code == 0, audit.stdout + audit.stderr
