"""A compromised model tries shell injection through every identifier it can pass.

The fake Claude server plays the model; the real ``sfai ask`` runs in act mode with
``--yes`` (every approval granted in advance), so the only thing standing between the
model and the host is argument validation and the policy. Every payload would create a
marker file if anything ever reached a shell; none may exist afterwards.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.adversarial_kit import (
    Box,
    audit_records,
    call,
    error_code,
    events,
    of_type,
    results_by_id,
)
from tests.cli import run_sfai
from tests.fakes import reply


@pytest.fixture
def box(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Box:
    return Box.make(tmp_path, monkeypatch)


def _payloads(markers: Path) -> list[tuple[str, dict[str, Any], str]]:
    """(tool, arguments, expected error code) for each injection attempt."""

    def m(n: int) -> str:
        return str(markers / f"m{n}")

    return [
        ("restart_service", {"service": f"worker; touch {m(1)}", "dry_run": False}, "invalid_argument"),
        ("restart_service", {"service": f"$(touch {m(2)})", "dry_run": False}, "invalid_argument"),
        ("restart_failed_service", {"service": f"`touch {m(3)}`", "dry_run": False}, "invalid_argument"),
        ("restart_service", {"service": f"-c{m(4)}", "dry_run": False}, "invalid_argument"),
        ("get_service_status", {"service": f"web\ntouch {m(5)}"}, "invalid_argument"),
        ("get_nginx_config", {"domain": f"shop.example.com; touch {m(6)}"}, "invalid_argument"),
        ("get_ssl_status", {"domain": f"$(touch {m(7)}).example.com"}, "invalid_argument"),
        ("get_logs", {"source": f"docker:web;touch {m(8)}"}, "invalid_argument"),
        ("get_logs", {"source": f"docker:--since=$(touch {m(9)})"}, "invalid_argument"),
        ("get_logs", {"source": f"pm2:$(touch {m(10)})"}, "invalid_argument"),
        ("get_logs", {"source": f"worker|touch {m(11)}"}, "invalid_argument"),
        ("run_command", {"argv": ["sh", "-c", f"touch {m(12)}"]}, "refused_by_policy"),
        ("run_command", {"argv": ["/bin/bash", "-c", f"touch {m(13)}"]}, "refused_by_policy"),
        ("run_command", {"argv": ["touch", m(14)]}, "refused_by_policy"),
        ("run_command", {"argv": ["find", str(markers), "-exec", "touch", m(15), ";"]}, "refused_by_policy"),
        ("run_command", {"argv": ["git", "-c", f"core.pager=touch {m(16)}", "log"]}, "refused_by_policy"),
        ("run_command", {"argv": ["ls", "-la", f"$(touch {m(17)})"]}, "refused_by_policy"),
        ("run_command", {"argv": ["ls", f"/tmp\ntouch {m(18)}"]}, "refused_by_policy"),
        ("run_command", {"argv": ["curl", "-o", m(19), "http://127.0.0.1:9/"]}, "refused_by_policy"),
        ("run_command", {"argv": ["python3", "-c", f"open({m(20)!r}, 'w')"]}, "refused_by_policy"),
        ("run_command", {"argv": ["ss;touch", m(21)]}, "refused_by_policy"),
    ]  # fmt: skip


def test_injection_in_every_identifier_runs_nothing_even_with_yes(
    fake_claude_env: Any, box: Box, sfai_home: Path
) -> None:
    markers = box.root / "markers"
    markers.mkdir()
    payloads = _payloads(markers)
    # Harmless on their own: no shell, so the ";" and "$(...)" are just characters of a path.
    harmless = [
        ("run_command", {"argv": ["ls", f"/tmp; touch {markers / 'h1'}"]}),
        ("run_command", {"argv": ["stat", f"/tmp/$(touch {markers / 'h2'})"]}),
    ]
    uses = [call(name, f"inj{i}", **args) for i, (name, args, _) in enumerate(payloads)]
    uses += [call(name, f"ok{i}", **args) for i, (name, args) in enumerate(harmless)]
    fake_claude_env.script(
        [reply("Running maintenance.", *uses), reply("Nothing could be run that way.")]
    )

    result = run_sfai("ask", "do maintenance", "--mode", "act", "--yes", "--json", timeout=120)

    assert result.code == 0, result.stderr
    assert sorted(p.name for p in markers.iterdir()) == [], "an injected command ran"
    stream = events(result.stdout)
    assert stream[-1]["status"] == "ok"
    assert of_type(stream, "approval") == [], "nothing valid was left to approve"
    # The model got a clear error for each attempt and the conversation went on.
    assert len(fake_claude_env.message_requests) == 2
    results = results_by_id(fake_claude_env, 1)
    assert len(results) == len(uses)
    for i, (name, args, code) in enumerate(payloads):
        text, is_error = results[f"toolu_inj{i}"]
        assert is_error, (name, args, text)
        assert error_code(text) == code, (name, args, text)
    for i in range(len(harmless)):
        text, _ = results[f"toolu_ok{i}"]
        assert "No such file" in text, text  # ran as a plain argument, found nothing
    # Policy refusals are in the audit, with the exact argv the model sent.
    refused = [r for r in audit_records(sfai_home) if r["kind"] == "refusal"]
    refused_argvs = [r["arguments"]["argv"] for r in refused if r["tool"] == "run_command"]
    for _, args, code in payloads:
        if code == "refused_by_policy":
            assert args["argv"] in refused_argvs, args
    assert all(r["actor"] == "model:anthropic" for r in refused)
    # Hostile action arguments were never executed: no execution record at all.
    assert [r for r in audit_records(sfai_home) if r["kind"] in ("execution", "result")] == []
