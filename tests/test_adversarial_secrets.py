"""Secrets on the server, in the question and in piped input never leave the machine.

Planted where they really turn up: an application log (AWS keys, a PostgreSQL DSN with its
password, a JWT, an Authorization header, a PEM private key), a comment in an nginx server
block, the command line of a real running process, piped stdin and the question itself.
The model reads all of it through the real tools; every request body the fake server
recorded, the history DB, the audit DB and the output are searched for each value.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.adversarial_kit import (
    Box,
    assert_nowhere,
    call,
    events,
    of_type,
    results_by_id,
    system_text,
)
from tests.cli import run_sfai
from tests.fakes import reply
from tests.fixtures.nginx import NginxConfigCopy
from tests.fixtures.processes import stop_process, wait_until

AWS_ID = "AKIAQX4BZLPN7WT2M3EX"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq9Lk2Tp8e"
PG_PASSWORD = "Pg-S3cret-9xQ2"
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJzZmFpLWFkdmVyc2FyeSIsImFkbWluIjp0cnVlfQ."
    "m0Xq8VtZ3cYwq1bN5rTgH7uJ2kLp9sDf4aE6vQxRz0s"
)
BEARER = "9f8e7d6c5b4a39281706f5e4d3c2b1a0ffeeddcc"
PEM_LINES = [
    "MIIEpAIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTL",
    "w7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxKLxoS2tF",
    "czGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo9z+40RQzuVa",
]
NGINX_BASIC = "c2hvcDpOZ2lueFBhc3M5OUJhc2ljQXV0aA=="
PROC_PASSWORD = "Hunter2-Proc-Secret-77"
PROC_DSN_PASSWORD = "ProcDsnPass77x"
PIPED_PASSWORD = "PipedPass-4471-zz"
QUESTION_PASSWORD = "QuestionPass-0093-kk"
GITHUB_TOKEN = "ghp_" + "R8d2LwQz5XcV7bN1mK4pJ6hT9sY3fA0uE2gD"

SECRETS = [  # the PEM key lines have tests of their own, below
    AWS_ID,
    AWS_SECRET,
    PG_PASSWORD,
    JWT,
    JWT.rsplit(".", 1)[1],
    BEARER,
    NGINX_BASIC,
    PROC_PASSWORD,
    PROC_DSN_PASSWORD,
    PIPED_PASSWORD,
    QUESTION_PASSWORD,
    GITHUB_TOKEN,
]
PLACEHOLDER = r"\[SECRET:[a-z0-9-]+:\d+\]"
DOMAIN = "secrets.sfai.test"


def _log_text() -> str:
    pem = "\n".join(
        ["-----BEGIN RSA PRIVATE KEY-----", *PEM_LINES, "-----END RSA PRIVATE KEY-----"]
    )
    return (
        "2026-11-24T10:00:01Z app: booting with AWS_ACCESS_KEY_ID=" + AWS_ID + "\n"
        f"2026-11-24T10:00:01Z app: aws_secret_access_key={AWS_SECRET}\n"
        f"2026-11-24T10:00:02Z app: connecting to postgres://shop:{PG_PASSWORD}@db.internal:5432/shop\n"
        f"2026-11-24T10:00:03Z app: session token {JWT} rejected\n"
        f"2026-11-24T10:00:04Z app: upstream call GET /api Authorization: Bearer {BEARER}\n"
        f"2026-11-24T10:00:05Z app: loaded deploy key:\n{pem}\n"
        "2026-11-24T10:00:06Z app: connect() failed (111: Connection refused)\n"
    )


@pytest.fixture
def leaky_process() -> Iterator[subprocess.Popen[bytes]]:
    """A real process whose command line holds a password and a DSN, big enough in memory
    (300 MB) to rank among get_system_overview's top processes."""
    code = "import time; b = b'x' * (300 << 20); time.sleep(600)"
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            code,
            f"--password={PROC_PASSWORD}",
            f"--db=postgres://app:{PROC_DSN_PASSWORD}@db/app",
        ]
    )

    def resident_mib() -> int:
        status = Path(f"/proc/{process.pid}/status").read_text()
        match = re.search(r"VmRSS:\s+(\d+) kB", status)
        return int(match.group(1)) // 1024 if match else 0

    assert wait_until(lambda: resident_mib() > 250, timeout=20)
    yield process
    stop_process(process)


@pytest.mark.nginx
def test_secrets_from_every_source_are_masked_everywhere_and_stable(
    fake_claude_env: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    nginx_config_copy: NginxConfigCopy,
    leaky_process: subprocess.Popen[bytes],
    sfai_home: Path,
) -> None:
    box = Box.make(tmp_path, monkeypatch)
    log = box.logs / "app.log"
    log.write_text(_log_text())
    nginx_config_copy.add_conf(
        "secrets.conf",
        "server {\n"
        f"    listen 127.0.0.1:{nginx_config_copy.source.http_port};\n"
        f"    server_name {DOMAIN};\n"
        f"    # ops note: the app uses AWS_ACCESS_KEY_ID={AWS_ID}\n"
        f'    proxy_set_header Authorization "Basic {NGINX_BASIC}";\n'
        "    location / { proxy_pass http://127.0.0.1:9; }\n"
        "}\n",
    )
    monkeypatch.setenv("SFAI_TOOLS__NGINX_CONF", str(nginx_config_copy.conf))
    fake_claude_env.script(
        [
            reply(
                "Looking around.",
                call("get_logs", "log", source=str(log), lines=200),
                call("get_nginx_config", "nginx", domain=DOMAIN),
                call("get_system_overview", "overview"),
                call("run_command", "ps", argv=["ps", "-ww", "-eo", "pid,args"]),
            ),
            reply(
                call("run_command", "grep", argv=["grep", "-h", "Authorization", str(log)]),
                call("get_logs", "again", source=str(log), grep="postgres"),
            ),
            reply("The database refuses connections."),
        ]
    )
    piped = (
        "Nov 24 10:00:00 web app[812]: retrying with password=" + PIPED_PASSWORD + "\n"
        "Nov 24 10:00:01 web app[812]: connect() failed (111: Connection refused)\n"
    )
    question = (
        f"why does login fail? my db password={QUESTION_PASSWORD} and my token is {GITHUB_TOKEN}"
    )

    result = run_sfai("ask", question, "--json", stdin=piped, timeout=120)

    assert result.code == 0, result.stderr
    assert events(result.stdout)[-1]["status"] == "ok"
    assert_nowhere(
        SECRETS, fake=fake_claude_env, home=sfai_home, outputs=[result.stdout, result.stderr]
    )
    # Placeholders stand in for them, where the secrets were.
    first = fake_claude_env.message_requests[0].body
    question_sent, piped_sent = (b["text"] for b in first["messages"][0]["content"])
    assert re.search(rf"password={PLACEHOLDER}", question_sent), question_sent
    assert re.search(rf"token is {PLACEHOLDER}", question_sent), question_sent
    assert re.search(rf"password={PLACEHOLDER}", piped_sent), piped_sent
    assert re.search(r'<untrusted-data id="[0-9a-f]+" source="stdin">', piped_sent), piped_sent
    assert "[SECRET:aws-key:1]" in system_text(first), "the model is told placeholders are masks"
    results = {k: v[0] for k, v in results_by_id(fake_claude_env, 1).items()}
    results |= {k: v[0] for k, v in results_by_id(fake_claude_env, 2).items()}
    assert all(not error for error in (v[1] for v in results_by_id(fake_claude_env, 1).values()))
    for key in ("toolu_log", "toolu_nginx", "toolu_overview", "toolu_ps", "toolu_grep"):
        assert re.search(PLACEHOLDER, results[key]), (key, results[key][:2000])
    assert "Connection refused" in results["toolu_log"], "the diagnosis text is kept"
    assert "--password=" in results["toolu_overview"], "the leaky process is listed"
    # The same secret gets the same placeholder in every result of the conversation.
    aws = {
        key: re.findall(rf"AWS_ACCESS_KEY_ID=({PLACEHOLDER})", results[key])
        for key in ("toolu_log", "toolu_nginx")
    }
    assert aws["toolu_log"] and aws["toolu_log"] == aws["toolu_nginx"], aws
    bearer = {
        key: re.findall(rf"Bearer ({PLACEHOLDER})", results[key])
        for key in ("toolu_log", "toolu_grep")
    }
    assert bearer["toolu_log"] and bearer["toolu_log"] == bearer["toolu_grep"], bearer
    dsn = {
        key: re.findall(rf"postgres://shop:({PLACEHOLDER})@", results[key])
        for key in ("toolu_log", "toolu_again")
    }
    assert dsn["toolu_log"] and dsn["toolu_log"] == dsn["toolu_again"], dsn
    proc = {
        key: re.findall(rf"--password=({PLACEHOLDER})", results[key])
        for key in ("toolu_overview", "toolu_ps")
    }
    assert proc["toolu_overview"] and set(proc["toolu_overview"]) == set(proc["toolu_ps"]), proc
    shown = "".join(e["content"] for e in of_type(events(result.stdout), "tool_result"))
    assert re.search(PLACEHOLDER, shown), "the person sees the placeholders too"


def test_a_private_key_logged_by_an_app_is_masked_in_get_logs(
    fake_claude_env: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sfai_home: Path
) -> None:
    box = Box.make(tmp_path, monkeypatch)
    log = box.logs / "app.log"
    log.write_text(_log_text())
    fake_claude_env.script(
        [
            reply(
                call("get_logs", "log", source=str(log)),
                call("run_command", "cat", argv=["cat", str(log)]),
            ),
            reply("Done."),
        ]
    )
    result = run_sfai("ask", "what did the app log?", "--json")
    assert result.code == 0, result.stderr
    results = results_by_id(fake_claude_env, 1)
    for key in ("toolu_log", "toolu_cat"):
        assert "[SECRET:private-key:" in results[key][0], results[key][0]
    assert_nowhere(
        PEM_LINES, fake=fake_claude_env, home=sfai_home, outputs=[result.stdout, result.stderr]
    )


def test_a_private_key_cut_by_the_tail_window_is_still_masked(
    fake_claude_env: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sfai_home: Path
) -> None:
    box = Box.make(tmp_path, monkeypatch)
    log = box.logs / "app.log"
    log.write_text(_log_text())
    fake_claude_env.script(
        [
            # The last 4 lines: two lines of key body, the END line and one more line.
            reply(call("get_logs", "tail", source=str(log), lines=4)),
            reply("Done."),
        ]
    )
    result = run_sfai("ask", "what did the app log last?", "--json")
    assert result.code == 0, result.stderr
    text, _ = results_by_id(fake_claude_env, 1)["toolu_tail"]
    assert "[SECRET:private-key:" in text, "the window holds the key's tail, masked"
    assert_nowhere(PEM_LINES, fake=fake_claude_env, home=sfai_home, outputs=[result.stdout])


def test_placeholders_stay_distinct_across_continue(
    fake_claude_env: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    box = Box.make(tmp_path, monkeypatch)
    first, second = box.logs / "first.log", box.logs / "second.log"
    first.write_text(f"app: AWS_ACCESS_KEY_ID={AWS_ID}\n")
    second.write_text("app: AWS_ACCESS_KEY_ID=AKIAZZ7QWERTY3UIOP9L\n")
    fake_claude_env.script(
        [
            reply(call("get_logs", "one", source=str(first))),
            reply("Noted."),
            reply(call("get_logs", "two", source=str(second))),
            reply("Noted."),
        ]
    )
    assert run_sfai("ask", "read the first log").code == 0
    assert run_sfai("ask", "now the second", "--continue").code == 0
    one, _ = results_by_id(fake_claude_env, 1)["toolu_one"]
    two, _ = results_by_id(fake_claude_env, 3)["toolu_two"]
    placeholder_one = re.findall(PLACEHOLDER, one)
    placeholder_two = re.findall(PLACEHOLDER, two)
    assert placeholder_one and placeholder_two
    assert placeholder_one != placeholder_two, "two different keys, one placeholder"


def test_a_committed_env_file_read_through_git_history_is_masked(
    fake_claude_env: Any, tmp_path: Path, sfai_home: Path
) -> None:
    """`git show HEAD:.env` is refused by the policy, but `git show HEAD` prints the same
    file as a diff: masking is what stands between it and the model."""
    repo = tmp_path / "shop"
    repo.mkdir()
    password, stripe = "GitLeak-Pass-7741", "sk_live_" + "51HxYzAbCdEfGhIjKlMnOpQrSt"
    (repo / ".env").write_text(f"DB_PASSWORD={password}\nSTRIPE_SECRET_KEY={stripe}\n")
    git = ["git", "-C", str(repo), "-c", "user.name=dev", "-c", "user.email=dev@shop.test"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "oops"], check=True)
    fake_claude_env.script(
        [
            reply(
                call("run_command", "file", argv=["git", "-C", str(repo), "show", "HEAD:.env"]),
                call("run_command", "diff", argv=["git", "-C", str(repo), "show", "HEAD"]),
                call("run_command", "log", argv=["git", "-C", str(repo), "log", "-p"]),
            ),
            reply("Done."),
        ]
    )
    result = run_sfai("ask", "what changed in the shop repo?", "--json")
    assert result.code == 0, result.stderr
    results = results_by_id(fake_claude_env, 1)
    assert "refused_by_policy" in results["toolu_file"][0]
    for key in ("toolu_diff", "toolu_log"):
        text = results[key][0]
        assert "+DB_PASSWORD=[SECRET:" in text and "+STRIPE_SECRET_KEY=[SECRET:" in text, text
    assert_nowhere(
        [password, stripe], fake=fake_claude_env, home=sfai_home, outputs=[result.stdout]
    )
