"""The command family: one read-only diagnostic command from the built-in allowlist.

The policy judge (``sfai_agent.policy.commands``) decides before the call: allowed,
needs the person's approval, or refused. The tool judges again (defence in depth: it may
be reached by a path that skipped the runner's check), resolves on the host every path
the command will read or list and checks the resolved path against the credential rules
(a symlink into ``/root/.ssh`` is refused here, where it can be seen), then runs the argv
through the Executor: no shell, a timeout, a capture cap, the C locale.
"""

from __future__ import annotations

import os
import shlex
from typing import TYPE_CHECKING

from sfai_agent.policy.credentials import is_credential_path
from sfai_agent.policy.paths import refuse_hard_links
from sfai_agent.tools.base import JSON, Risk, ToolContext, ToolError, object_schema, register

if TYPE_CHECKING:
    from sfai_agent.policy.commands import Judgement

# The judge (``sfai_agent.policy.commands``, ~15 ms to import: its option tables) is
# imported on the first call, so listing the catalog stays fast.
MAX_ARGS = 64
MAX_ARG_CHARS = 4096
"""The schema's bounds; the judge enforces the same (a test keeps them equal)."""
CAPTURE_BYTES = 4 * 1_048_576
"""What the executor keeps of each stream; beyond it the command still runs to the end."""
STDOUT_CHARS = 32_000
STDERR_CHARS = 4_000
"""What the result keeps: the *end* of the output (the last lines matter most)."""
_REFUSED_HINT = "run_command only runs read-only diagnostic commands; see its description"


def _tail(text: str, limit: int) -> tuple[str, int]:
    """The end of ``text`` within ``limit`` chars, from a line start; and the lines cut."""
    if len(text) <= limit:
        return text, 0
    kept = text[-limit:]
    newline = kept.find("\n")
    if 0 <= newline < len(kept) - 1:
        kept = kept[newline + 1 :]
    return kept, text[: len(text) - len(kept)].count("\n")


def _count_lines(text: str) -> int:
    return text.count("\n") + (1 if text and not text.endswith("\n") else 0)


def _drop_credential_lines(text: str) -> tuple[str, int]:
    """find/du output: lines naming a credential path (``/root/.ssh/id_rsa``) go."""
    kept: list[str] = []
    dropped = 0
    for line in text.splitlines(keepends=True):
        if any(word.startswith("/") and is_credential_path(word) for word in line.split()):
            dropped += 1
        else:
            kept.append(line)
    return "".join(kept), dropped


async def _recheck_paths(ctx: ToolContext, judgement: Judgement) -> None:
    """Resolve each path on the host (symlinks, bind mounts) and apply the rules again."""
    from sfai_agent.policy.commands import NGINX_CONF, NGINX_CONF_ROOT, READ, path_refusal

    nginx_root: str | None = None
    sfai_home = os.environ.get("SFAI_HOME", "")
    home = os.path.realpath(sfai_home) if ctx.executor.name == "local" and sfai_home else ""
    for path, kind in judgement.paths:
        resolved = await ctx.executor.realpath(path)
        reason = path_refusal(resolved, READ if kind == NGINX_CONF else kind)
        if reason is None and home and (resolved == home or resolved.startswith(home + "/")):
            reason = "it is sfai's own home (SFAI_HOME: configuration, keys, history)"
        if reason is None and kind == NGINX_CONF:
            if nginx_root is None:
                nginx_root = await ctx.executor.realpath(NGINX_CONF_ROOT)
            if not (resolved == nginx_root or resolved.startswith(nginx_root.rstrip("/") + "/")):
                reason = f"nginx -c: {resolved} is not under {NGINX_CONF_ROOT}"
        if reason is not None:
            shown = path if resolved == path else f"{path} (resolves to {resolved})"
            raise ToolError(
                "refused_by_policy",
                f"run_command: {shown}: {reason}",
                "credential files, devices and process secrets are never read",
            )
        if kind in (READ, NGINX_CONF):
            await refuse_hard_links(ctx.executor, resolved, f"run_command: {path}")


def _shown(argv: list[str], limit: int = 80) -> str:
    text = shlex.join(argv)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_command(result: JSON) -> str:
    """Summary, then stdout and stderr verbatim (line by line), for models and pipes."""
    if not result.get("ok", True):
        error = result.get("error", {})
        text = f"error ({error.get('code', 'internal')}): {error.get('message', '')}"
        return text + (f"\nhint: {error['hint']}" if error.get("hint") else "")
    lines = [str(result.get("summary", ""))]
    for key in ("stdout", "stderr"):
        value = str(result.get(key) or "")
        if value:
            lines.append(f"{key}:")
            lines += ["  " + line for line in value.splitlines()]
    for key in ("note", "hidden_credential_lines"):
        if result.get(key):
            lines.append(f"{key}: {result[key]}")
    if result.get("truncated"):
        lines.append("truncated: yes (the end of the output is kept)")
    return "\n".join(lines)


@register(
    name="run_command",
    family="command",
    risk=Risk.READ_ONLY,
    schema=object_schema(
        {
            "argv": {
                "type": "array",
                "items": {"type": "string", "maxLength": MAX_ARG_CHARS},
                "minItems": 1,
                "maxItems": MAX_ARGS,
                "description": 'the program and its arguments, one per item: ["ss", "-tlnp"]',
            }
        },
        ["argv"],
    ),
    description="""Run one read-only diagnostic command and get its exit code, stdout (the
    end is kept when long) and stderr. `argv` is the program and each argument as separate
    strings; there is no shell, so pipes, redirections, `;`, `&&`, `$(...)`, globs and `~`
    do not work. Runs without approval: ss, ps, df, du, free, uptime, dmesg, journalctl,
    systemctl (status, show, cat, list-units, list-unit-files, list-timers, is-active,
    is-enabled, is-failed...), nginx -t/-T/-V, ip (addr, link, route, neigh: show/get
    only), lsblk, findmnt, mount (list), docker (ps, logs, inspect, images, stats
    --no-stream, version, info, top), git (log, status, show, diff, rev-parse, branch
    --list...), uname, hostname, id, whoami, w, who, last, date, cat, head, tail, wc, grep,
    stat, ls, find (absolute paths only), getent (not shadow), timedatectl, hostnamectl,
    lscpu, lsof, netstat, vmstat/iostat/mpstat/sar (with a count), top -b -n 1, openssl
    x509 and s_client to localhost, certbot certificates, crontab -l, apt list, apt-cache,
    dpkg -l, supervisorctl status/tail, pm2 jlist/describe/logs --nostream, sysctl (read),
    iptables -L/-S, nft list, pgrep, nproc. Refused: shells, interpreters and wrappers
    (sh, python, awk, sed, env, xargs, sudo); anything that writes, deletes, kills,
    restarts or reconfigures (use the action tools, which preview and ask); options that
    write files or run commands (find -exec, --output, git -c, ss -K); commands that never
    return (tail -f, journalctl -f, watch, top without -b -n, interactive programs);
    credential files (/etc/shadow, private keys, ~/.ssh, .env, shell history) even through
    symlinks; relative paths and '..'. Other programs need the person's approval: they run
    only in act mode once approved.""",
    renderer=render_command,
)
async def run_command(ctx: ToolContext, args: JSON) -> JSON:
    from sfai_agent.policy.commands import analyse_command
    from sfai_agent.policy.rules import Decision

    argv = args.get("argv")
    judgement = analyse_command(argv)
    if judgement.decision is Decision.DENY:
        raise ToolError("refused_by_policy", f"run_command: {judgement.reason}", _REFUSED_HINT)
    assert isinstance(argv, list)  # the judge refuses anything else
    await _recheck_paths(ctx, judgement)
    run = await ctx.executor.run(
        list(argv), timeout=ctx.settings.command_timeout_s, max_output=CAPTURE_BYTES
    )
    stdout, hidden = (
        _drop_credential_lines(run.stdout) if judgement.filter_credential_lines else (run.stdout, 0)
    )
    limit = max(1_000, min(STDOUT_CHARS, ctx.settings.max_result_chars // 2))
    kept_out, cut_out = _tail(stdout, limit)
    kept_err, cut_err = _tail(run.stderr, max(500, min(STDERR_CHARS, limit // 8)))
    lines = _count_lines(stdout)
    counted = f"{lines}+ lines" if run.truncated else f"{lines} line{'s' if lines != 1 else ''}"
    summary = f"`{_shown(list(argv))}` exited {run.returncode}, {counted}"
    last_error = next((line for line in reversed(run.stderr.splitlines()) if line.strip()), "")
    if run.returncode != 0 and last_error:
        summary += f": {last_error.strip()[:160]}"
    result: JSON = {
        "summary": summary,
        "argv": list(argv),
        "exit_code": run.returncode,
        "stdout": kept_out,
        "stderr": kept_err,
        "duration_s": round(run.duration_s, 3),
        "truncated": bool(cut_out or cut_err or run.truncated),
    }
    notes = []
    if cut_out:
        notes.append(f"the first {cut_out} of {lines} stdout lines were cut; the end is kept")
    if run.truncated:
        notes.append(
            f"only the first {CAPTURE_BYTES // 1_048_576} MiB of output were captured, so the "
            "kept end is the end of that part: narrow the command (tail -n, -n, --since)"
        )
    if notes:
        result["note"] = "; ".join(notes)
    if hidden:
        result["hidden_credential_lines"] = hidden
    return result
