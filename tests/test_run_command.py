"""run_command: the allowlist judge (a labelled table), and the tool on this machine.

The table (``tests/data/run_command_cases.py``) says for each argv whether it runs
without asking (safe), needs the person's approval (ask) or never runs (refused), and why.
The tool tests run real commands, and show that refused and unapproved ones never execute.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sfai_agent.exec import LocalExecutor
from sfai_agent.policy import commands
from sfai_agent.policy.commands import analyse_command, judge_command
from sfai_agent.policy.rules import Decision
from sfai_agent.tools.catalog import load_catalog
from sfai_agent.tools.command import render_command
from sfai_agent.tools.runner import call_tool, default_policy
from tests.data.run_command_cases import ASK, CASES, REFUSED, SAFE

EXPECTED = {SAFE: Decision.ALLOW, ASK: Decision.ASK, REFUSED: Decision.DENY}


def _case_id(case: tuple[str, list[str], str]) -> str:
    label, argv, _ = case
    shown = " ".join(argv)[:60].encode("unicode_escape").decode()
    return f"{label}:{shown}"


# --- The labelled table --------------------------------------------------------------


def test_the_table_is_large_and_labelled() -> None:
    labels = Counter(label for label, _, _ in CASES)
    assert len(CASES) >= 150
    assert labels[SAFE] >= 50 and labels[ASK] >= 20 and labels[REFUSED] >= 50
    assert set(labels) == {SAFE, ASK, REFUSED}
    assert all(why.strip() for _, _, why in CASES), "every case says why"
    argvs = [tuple(argv) for _, argv, _ in CASES]
    assert len(argvs) == len(set(argvs)), "no duplicate argv"


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_labelled_case(case: tuple[str, list[str], str]) -> None:
    label, argv, why = case
    verdict = judge_command({"argv": argv})
    assert verdict.decision is EXPECTED[label], (
        f"{argv}: expected {label} ({why}); judge: {verdict.reason}"
    )
    assert verdict.rule == "run_command"
    assert verdict.reason


def test_the_runner_policy_uses_the_judge() -> None:
    spec = load_catalog()["run_command"].spec
    policy = default_policy()
    for label, argv, _ in CASES:
        assert policy.evaluate(spec, {"argv": argv}).decision is EXPECTED[label], argv


def test_no_user_rule_lifts_a_refusal() -> None:
    spec = load_catalog()["run_command"].spec
    policy = default_policy([{"decision": "allow", "tool": "run_command"}])
    assert policy.evaluate(spec, {"argv": ["rm", "-rf", "/"]}).decision is Decision.DENY
    assert policy.evaluate(spec, {"argv": ["ss", "-K"]}).decision is Decision.DENY
    # An allow rule is how an organisation pre-approves what the judge would ask about.
    assert policy.evaluate(spec, {"argv": ["echo", "hi"]}).decision is Decision.ALLOW


def test_an_agent_without_actions_refuses_what_would_need_approval() -> None:
    spec = load_catalog()["run_command"].spec
    policy = default_policy(actions_allowed=False)
    assert policy.evaluate(spec, {"argv": ["echo", "hi"]}).decision is Decision.DENY
    assert policy.evaluate(spec, {"argv": ["ss", "-tln"]}).decision is Decision.ALLOW


@pytest.mark.parametrize(
    "arguments",
    [{}, {"argv": "ss -tln"}, {"argv": []}, {"argv": [1, 2]}, {"argv": None}, {"argv": ["ss", 3]}],
)
def test_malformed_arguments_are_refused(arguments: dict[str, Any]) -> None:
    assert judge_command(arguments).decision is Decision.DENY


def test_a_system_path_to_a_program_is_judged_like_its_name() -> None:
    for label, argv, _ in CASES:
        if label == SAFE and "/" not in argv[0]:
            absolute = [f"/usr/bin/{argv[0]}", *argv[1:]]
            assert judge_command({"argv": absolute}).decision is Decision.ALLOW, absolute


ABBREVIATION_PROGRAMS = [
    ("ss", commands.SS, []),
    ("journalctl", commands.JOURNALCTL, []),
    ("tail", commands.TAIL, ["/var/log/syslog"]),
    ("dmesg", commands.DMESG, []),
    ("du", commands.DU, ["/var"]),
    ("wc", commands.WC, ["/var/log/syslog"]),
    ("date", commands.DATE, []),
    ("free", commands.FREE, []),
    ("netstat", commands.NETSTAT, []),
    ("ls", commands.LS, ["/var"]),
    ("grep", commands.GREP, ["x", "/var/log/syslog"]),
    ("systemctl", commands.SYSTEMCTL, ["status"]),
    ("docker", commands.DOCKER_GLOBAL, ["ps"]),
    ("curl", commands.CURL, ["http://localhost/"]),
]


@pytest.mark.parametrize(("program", "spec", "rest"), ABBREVIATION_PROGRAMS)
def test_every_abbreviation_of_a_refused_long_option_is_refused(
    program: str, spec: commands.Getopt, rest: list[str]
) -> None:
    """GNU getopt_long accepts unambiguous prefixes: --vacuum-s is --vacuum-size."""
    assert spec.refused_long, program
    for name, _ in spec.refused_long:
        for end in range(1, len(name) + 1):
            prefix = name[:end]
            if prefix in spec.long and not spec.long[prefix].deny:
                continue  # an exact safe option wins, as in getopt
            for item in (f"--{prefix}", f"--{prefix}=1"):
                verdict = judge_command({"argv": [program, item, *rest]})
                assert verdict.decision is Decision.DENY, (program, item, verdict.reason)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(["ss", "cat", "find", "git", "docker", "-K", "--", "-exec", "/etc"]),
            st.text(max_size=12),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_the_judge_never_crashes(argv: list[str]) -> None:
    verdict = judge_command({"argv": argv})
    assert verdict.decision in (Decision.ALLOW, Decision.ASK, Decision.DENY)


def test_paths_are_reported_for_the_tools_recheck() -> None:
    judged = analyse_command(["grep", "-i", "x", "/var/log/syslog", "/var//log/auth.log/"])
    assert judged.paths == [("/var/log/syslog", "read"), ("/var/log/auth.log", "read")]
    assert analyse_command(["find", "/srv", "-name", "x"]).filter_credential_lines


# --- The tool on this machine --------------------------------------------------------


def test_the_tool_spec() -> None:
    from sfai_agent.tools import command

    assert (command.MAX_ARGS, command.MAX_ARG_CHARS) == (
        commands.MAX_ARGS,
        commands.MAX_ARG_CHARS,
    )
    spec = load_catalog()["run_command"].spec
    assert spec.family == "command" and spec.risk.value == "read_only"
    argv = spec.input_schema["properties"]["argv"]
    assert (argv["minItems"], argv["maxItems"], argv["items"]["maxLength"]) == (1, 64, 4096)
    assert spec.input_schema["required"] == ["argv"]


@pytest.mark.parametrize(
    "argv",
    [
        ["ps", "-ef"],
        ["df", "-h"],
        ["uname", "-a"],
        ["free", "-b"],
        ["uptime"],
        ["id"],
        ["ss", "-tln"],
    ],
)
async def test_allowed_commands_run(run_tool: Any, argv: list[str]) -> None:
    if shutil.which(argv[0]) is None:
        pytest.skip(f"{argv[0]} is not installed here")
    result = await run_tool("run_command", {"argv": argv})
    assert result["ok"], result
    assert result["exit_code"] == 0
    assert result["argv"] == argv
    assert result["stdout"].strip()
    assert result["summary"].startswith(f"`{' '.join(argv)}` exited 0, ")
    assert result["summary"].endswith(("line", "lines"))
    assert isinstance(result["duration_s"], float)
    assert result["truncated"] is False


async def test_a_file_reader_reads_an_allowed_file(run_tool: Any, tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text("".join(f"line {n}\n" for n in range(1, 11)))
    result = await run_tool("run_command", {"argv": ["tail", "-n", "3", str(log)]})
    assert result["ok"] and result["stdout"] == "line 8\nline 9\nline 10\n"
    assert result["summary"].endswith("exited 0, 3 lines")


async def test_a_non_zero_exit_is_a_result_with_stderr(run_tool: Any, tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    result = await run_tool("run_command", {"argv": ["ls", str(missing)]})
    assert result["ok"] and result["exit_code"] != 0
    assert "No such file" in result["stderr"]
    assert f"exited {result['exit_code']}, 0 lines: " in result["summary"]


async def test_huge_output_keeps_the_end(run_tool: Any, tmp_path: Path) -> None:
    big = tmp_path / "big.log"
    big.write_text("".join(f"entry {n:06d} " + "x" * 40 + "\n" for n in range(50_000)))
    result = await run_tool("run_command", {"argv": ["cat", str(big)]})
    assert result["ok"] and result["truncated"] is True
    assert result["stdout"].endswith("entry 049999 " + "x" * 40 + "\n")
    assert result["stdout"].startswith("entry ")  # cut at a line start
    assert len(result["stdout"]) <= 32_000
    assert result["summary"].endswith("exited 0, 50000 lines")
    assert "were cut; the end is kept" in result["note"]


async def test_output_beyond_the_capture_cap_says_so(run_tool: Any, tmp_path: Path) -> None:
    big = tmp_path / "huge.log"
    big.write_text(("y" * 99 + "\n") * 60_000)  # 6 MB, more than the 4 MiB captured
    result = await run_tool("run_command", {"argv": ["cat", str(big)]})
    assert result["ok"] and result["truncated"] is True
    assert "+ lines" in result["summary"]
    assert "only the first 4 MiB" in result["note"]


async def test_refused_commands_never_execute(
    run_tool: Any, make_context: Any, tmp_path: Path
) -> None:
    marker = tmp_path / "MARKER"
    for argv in (
        ["find", str(tmp_path), "-name", "x", "-exec", "touch", str(marker), ";"],
        ["find", str(tmp_path), "-maxdepth", "0", "-fprint", str(marker)],
        ["touch", str(marker)],
        ["sh", "-c", f"touch {marker}"],
        ["ss;touch", str(marker)],
        ["/tmp/touch", str(marker)],
        ["sort", "-o", str(marker), "/etc/hostname"],
    ):
        result = await run_tool("run_command", {"argv": argv})
        assert not result["ok"] and result["error"]["code"] == "refused_by_policy", argv
        # Approval cannot lift a refusal either.
        approved = await call_tool("run_command", {"argv": argv}, make_context(), approved=True)
        assert approved["error"]["code"] == "refused_by_policy", argv
        assert not marker.exists(), argv


async def test_a_command_off_the_allowlist_needs_approval(
    run_tool: Any, make_context: Any, tmp_path: Path
) -> None:
    argv = ["mktemp", "-p", str(tmp_path), "approved.XXXXXX"]
    result = await run_tool("run_command", {"argv": argv})
    assert result["error"]["code"] == "approval_required"
    assert "not on the read-only allowlist" in result["error"]["message"]
    assert list(tmp_path.iterdir()) == [], "nothing ran without approval"

    approved = await call_tool("run_command", {"argv": argv}, make_context(), approved=True)
    assert approved["ok"] and approved["exit_code"] == 0, approved
    created = Path(approved["stdout"].strip())
    assert created.parent == tmp_path and created.exists()


async def test_an_approved_command_still_has_the_timeout(make_context: Any) -> None:
    context = make_context(command_timeout_s=0.3)
    result = await call_tool("run_command", {"argv": ["sleep", "5"]}, context, approved=True)
    assert result["error"]["code"] == "timeout"


async def test_a_symlink_into_a_credential_file_is_refused_on_the_host(
    run_tool: Any, tmp_path: Path
) -> None:
    secret_dir = tmp_path / "home" / ".ssh"
    secret_dir.mkdir(parents=True)
    (secret_dir / "id_test").write_text("SECRET-KEY-MATERIAL\n")
    innocent = tmp_path / "notes.txt"
    innocent.symlink_to(secret_dir / "id_test")
    assert judge_command({"argv": ["cat", str(innocent)]}).decision is Decision.ALLOW
    result = await run_tool("run_command", {"argv": ["cat", str(innocent)]})
    assert result["error"]["code"] == "refused_by_policy"
    assert "resolves to" in result["error"]["message"]
    assert "SECRET-KEY-MATERIAL" not in str(result)

    shadow_link = tmp_path / "shadow-copy"
    shadow_link.symlink_to("/etc/shadow")
    result = await run_tool("run_command", {"argv": ["head", "-n", "1", str(shadow_link)]})
    assert result["error"]["code"] == "refused_by_policy"


async def test_sfai_home_is_never_read(run_tool: Any, sfai_home: Path) -> None:
    (sfai_home / "config.toml").write_text('api_key = "sk-ant-test"\n')
    result = await run_tool("run_command", {"argv": ["cat", str(sfai_home / "config.toml")]})
    assert result["error"]["code"] == "refused_by_policy"
    assert "credential location" in result["error"]["message"]


async def test_a_directory_symlink_into_ssh_is_refused(run_tool: Any, tmp_path: Path) -> None:
    (tmp_path / ".ssh").mkdir()
    (tmp_path / "keys").symlink_to(tmp_path / ".ssh")
    result = await run_tool("run_command", {"argv": ["ls", "-la", str(tmp_path / "keys")]})
    assert result["error"]["code"] == "refused_by_policy"


async def test_recursive_listers_hide_credential_paths(run_tool: Any, tmp_path: Path) -> None:
    (tmp_path / "app" / ".ssh").mkdir(parents=True)
    (tmp_path / "app" / ".ssh" / "id_ed25519").write_text("k")
    (tmp_path / "app" / "config.yml").write_text("c")
    (tmp_path / "app" / ".env").write_text("DB_PASSWORD=x")
    result = await run_tool("run_command", {"argv": ["find", str(tmp_path / "app")]})
    assert result["ok"], result
    assert "config.yml" in result["stdout"]
    assert ".ssh" not in result["stdout"] and ".env" not in result["stdout"]
    assert result["hidden_credential_lines"] == 3
    du = await run_tool("run_command", {"argv": ["du", "-a", str(tmp_path / "app")]})
    assert du["ok"] and ".ssh" not in du["stdout"] and "config.yml" in du["stdout"]


class _RedirectingExecutor(LocalExecutor):
    """realpath as a host with /etc/nginx/site.conf -> /tmp/evil.conf would answer."""

    async def realpath(self, path: str) -> str:
        if path == "/etc/nginx/site.conf":
            return "/tmp/evil.conf"
        return await super().realpath(path)


async def test_nginx_config_symlinked_out_of_etc_nginx_is_refused(make_context: Any) -> None:
    context = make_context()
    context.executor = _RedirectingExecutor()
    argv = ["nginx", "-t", "-c", "/etc/nginx/site.conf"]
    assert judge_command({"argv": argv}).decision is Decision.ALLOW
    result = await call_tool("run_command", {"argv": argv}, context)
    assert result["error"]["code"] == "refused_by_policy"
    assert "/tmp/evil.conf" in result["error"]["message"]


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        ({"argv": []}, "should be non-empty"),
        ({"argv": ["ss"] * 65}, "is too long"),
        ({"argv": ["ss", "x" * 4097]}, "is too long"),
        ({"argv": ["ss", 7]}, "is not of type 'string'"),
        ({"argv": "ss -tln"}, "is not of type 'array'"),
        ({"argv": ["ss"], "shell": True}, "unknown argument"),
    ],
)
async def test_schema_violations(run_tool: Any, arguments: dict[str, Any], fragment: str) -> None:
    result = await run_tool("run_command", arguments)
    assert result["error"]["code"] == "invalid_argument"
    assert fragment in result["error"]["message"]


async def test_a_missing_allowed_program_is_not_found(run_tool: Any) -> None:
    absent = next(
        (p for p in ("certbot", "sar", "iostat", "pm2", "nft") if not shutil.which(p)), None
    )
    if absent is None:
        pytest.skip("every candidate is installed here")
    argv = {"certbot": ["certbot", "certificates"], "pm2": ["pm2", "jlist"]}.get(
        absent, [absent, "list", "ruleset"] if absent == "nft" else [absent]
    )
    result = await run_tool("run_command", {"argv": argv})
    assert result["error"]["code"] == "not_found", result


def test_the_renderer_shows_every_output_line() -> None:
    stdout = "".join(f"LISTEN 0 511 0.0.0.0:{port} users:((nginx))\n" for port in range(80, 120))
    text = render_command(
        {"ok": True, "summary": "`ss -tlnp` exited 0, 40 lines", "stdout": stdout, "stderr": ""}
    )
    assert text.splitlines()[0] == "`ss -tlnp` exited 0, 40 lines"
    assert all(f"0.0.0.0:{port}" in text for port in range(80, 120))


async def test_commands_run_in_the_c_locale_without_a_shell(run_tool: Any, tmp_path: Path) -> None:
    weird = tmp_path / "a;b $(id) `id`"
    weird.write_text("literal\n")
    result = await run_tool("run_command", {"argv": ["cat", str(weird)]})
    assert result["ok"] and result["stdout"] == "literal\n"
    assert os.path.exists(weird)
