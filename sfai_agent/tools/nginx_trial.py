"""``nginx -t`` on a temporary copy of the configuration with a change applied.

The dry-run of ``fix_nginx_config`` must say whether nginx accepts the change without
touching a live file. The copy is built on the host (through the executor, so it works over
SSH too) in a fresh ``mktemp -d`` directory, mirroring absolute paths: ``/etc/nginx/x.conf``
becomes ``TMP/etc/nginx/x.conf``.

- Every config file the parser read is written into the copy (the changed one with its new
  text), never anything else: certificates, keys and other files are *symlinked* from each
  mirrored directory to the live ones, so nothing secret is read or copied, and relative
  paths (``ssl_certificate certs/x.pem``, ``include snippets/a.conf``) resolve as before.
- nginx resolves relative includes against the directory of ``-c``, which is now the copy's;
  absolute includes into the mirrored tree (Debian's ``include /etc/nginx/sites-enabled/*``)
  are rewritten to the copy's path.
- ``-p`` stays nginx's own prefix, so modules, logs and pid paths mean what they mean live:
  the test has the side effects of a plain ``nginx -t`` on the live config, no more.

Paths of the copy in nginx's output are turned back into the live paths a person knows. The
temporary directory is removed whatever happens.
"""

from __future__ import annotations

import contextlib
import posixpath
import re

from sfai_agent.exec.base import ExecutorError
from sfai_agent.tools.base import JSON, ToolContext, ToolError
from sfai_agent.tools.nginx import NginxState, run_config_test
from sfai_agent.tools.nginx_conf import NginxConfig

_INCLUDE = re.compile(r"""(?P<lead>(?:^|[;{}])\s*include\s+["']?)(?P<path>/[^\s;"']+)""", re.M)
_TEMP_NAME = re.compile(r"/[^\n]*/sfai-nginx-[A-Za-z0-9]{6,}")
LINK_BATCH = 200


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _ancestors(path: str, stop: str) -> list[str]:
    """Directories from ``stop`` down to the one holding ``path`` (empty if outside)."""
    found: list[str] = []
    directory = posixpath.dirname(path)
    while _under(directory, stop):
        found.append(directory)
        if directory == stop:
            break
        directory = posixpath.dirname(directory)
    return found


def rewrite_includes(text: str, temp: str, mirrored: set[str], conf_dir: str) -> str:
    """Absolute ``include`` paths into the mirrored tree point into the copy instead."""

    def replace(match: re.Match[str]) -> str:
        path = posixpath.normpath(match["path"])
        fixed = re.split(r"[*?\[]", path, maxsplit=1)[0]
        directory = fixed if fixed.endswith("/") else posixpath.dirname(fixed)
        directory = posixpath.normpath(directory or "/")
        if _under(directory, conf_dir) or directory in mirrored:
            return match["lead"] + temp + path
        return match.group(0)

    return _INCLUDE.sub(replace, text)


async def _make_temp(ctx: ToolContext) -> str:
    result = await ctx.executor.run(
        ["mktemp", "-d", "-t", "sfai-nginx-XXXXXXXX"], timeout=ctx.settings.command_timeout_s
    )
    temp = result.stdout.strip()
    if result.ok and temp.startswith("/") and "\n" not in temp:
        temp = await ctx.executor.realpath(temp)  # write_file refuses symlinked components
    if not result.ok or not _TEMP_NAME.fullmatch(temp) or ".." in temp:
        raise ToolError(
            "unavailable",
            f"cannot make a temporary directory to test the change: {result.stderr.strip()[:200]}",
            "check that /tmp (or $TMPDIR) is writable on the host",
        )
    return temp


async def _run(ctx: ToolContext, argv: list[str]) -> None:
    result = await ctx.executor.run(argv, timeout=ctx.settings.command_timeout_s)
    if not result.ok:
        raise ToolError(
            "unavailable",
            f"preparing the test copy failed: {argv[0]}: {result.stderr.strip()[:300]}",
            "check free space and permissions in the host's temporary directory",
        )


async def _build(
    ctx: ToolContext, config: NginxConfig, temp: str, replaced: dict[str, str]
) -> None:
    conf_dir = posixpath.normpath(config.conf_dir)
    files = [posixpath.normpath(f) for f in config.files]
    filled: set[str] = set()
    for file in files:
        filled.add(posixpath.dirname(file))
        filled.update(_ancestors(file, conf_dir))
    await _run(ctx, ["mkdir", "-p", "--", *sorted(temp + d for d in filled)])
    for file, original in zip(files, config.files, strict=True):
        text = replaced.get(original, config.sources.get(original, ""))
        data = rewrite_includes(text, temp, filled, conf_dir).encode("utf-8")
        await ctx.executor.write_file(temp + file, data, mode=0o600)
    taken = set(files) | filled
    for directory in sorted(filled):
        try:
            entries = await ctx.executor.list_dir(directory, limit=2_000)
        except ExecutorError:
            continue
        links = sorted(e.path for e in entries if posixpath.normpath(e.path) not in taken)
        for start in range(0, len(links), LINK_BATCH):
            batch = links[start : start + LINK_BATCH]
            await _run(ctx, ["ln", "-s", "--", *batch, temp + directory + "/"])


def _readable(output: str, temp: str) -> str:
    return output.replace(temp, "")


async def check_on_copy(
    ctx: ToolContext, state: NginxState, config: NginxConfig, replaced: dict[str, str]
) -> JSON:
    """``{"ok", "output", "command"}`` of ``nginx -t`` on a copy where each file of
    ``replaced`` (as the parser named it) has its new text. Never changes a live file."""
    temp = await _make_temp(ctx)
    try:
        await _build(ctx, config, temp, replaced)
        conf = temp + posixpath.normpath(config.main_file)
        result = await run_config_test(ctx, state.binary, conf, state.prefix)
    finally:
        with contextlib.suppress(ExecutorError):
            await ctx.executor.run(
                ["rm", "-rf", "--one-file-system", "--", temp],
                timeout=ctx.settings.command_timeout_s,
            )
    command = [state.binary, "-t", "-c", "COPY" + posixpath.normpath(config.main_file)]
    if state.prefix:
        command += ["-p", state.prefix]
    return {"ok": result["ok"], "output": _readable(result["output"], temp), "command": command}
