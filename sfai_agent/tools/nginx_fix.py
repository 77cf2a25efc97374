"""The plan of a ``fix_nginx_config`` call: which file, its text before and after, the diff.

Everything that can be refused is refused here, before anything runs on the host: the file
must hold the domain's server block, sit under nginx's config directory and be no credential;
a diff must name that file (or no file) and apply exactly; a replacement block must be one
``server`` block for the domain; the new text must still parse, still serve the domain, and
add nothing :mod:`sfai_agent.tools.nginx_guard` refuses.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from sfai_agent.policy.credentials import is_credential_path
from sfai_agent.tools import nginx_patch as patching
from sfai_agent.tools.base import ToolContext, ToolError
from sfai_agent.tools.nginx import NginxState, ServerBlock
from sfai_agent.tools.nginx_conf import (
    MAX_FILE_BYTES,
    Directive,
    NginxConfig,
    NginxConfigError,
    name_rank,
    parse,
    parse_listen,
)
from sfai_agent.tools.nginx_guard import GuardPaths, added_directives, check_added

DEFAULT_PREFIX = "/usr/share/nginx"
"""Debian's compiled-in nginx prefix, used when the running master shows no ``-p``."""


@dataclass
class Plan:
    domain: str
    kind: str
    """``diff`` or ``server_block``."""
    file: str
    """The resolved file that changes."""
    sources: list[str]
    """The names nginx includes that file by (parser's spelling): the copy replaces these."""
    block: ServerBlock
    before_bytes: bytes
    before: str
    after: str
    diff: str
    conf_dir: str

    @property
    def counts(self) -> tuple[int, int]:
        return patching.diff_counts(self.diff)


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


async def _files(ctx: ToolContext, blocks: list[ServerBlock]) -> dict[str, list[ServerBlock]]:
    by_file: dict[str, list[ServerBlock]] = {}
    for block in blocks:
        real = await ctx.executor.realpath(block.directive.file)
        by_file.setdefault(real, []).append(block)
    return by_file


async def _names_file(ctx: ToolContext, header: str, real: str, raws: list[str]) -> bool:
    for candidate in patching.header_candidates(header):
        if posixpath.isabs(candidate):
            if candidate in raws or await ctx.executor.realpath(candidate) == real:
                return True
        elif ".." not in candidate.split("/") and any(
            p.endswith("/" + candidate) for p in (real, *raws)
        ):
            return True
    return False


async def _diff_target(
    ctx: ToolContext, patch: patching.Patch, by_file: dict[str, list[ServerBlock]], domain: str
) -> str:
    files = list(by_file)
    if not patch.headers:
        if len(files) == 1:
            return files[0]
        raise ToolError(
            "invalid_argument",
            f"{domain} has server blocks in several files ({', '.join(files)}) and the diff "
            "names none",
            "add --- a/PATH and +++ b/PATH headers naming the file to change",
        )
    named = [path for pair in patch.headers for path in pair]
    for header in named:
        for candidate in patching.header_candidates(header):
            if is_credential_path(candidate) or is_credential_path("/" + candidate.lstrip("/")):
                raise ToolError(
                    "refused_by_policy",
                    f"the diff names {header!r}, a credential location; sfai never changes those",
                    f"fix_nginx_config changes only the file of {domain}'s server block",
                )
    for real in files:
        raws = [b.directive.file for b in by_file[real]]
        if all([await _names_file(ctx, header, real, raws) for header in named]):
            return real
    raise ToolError(
        "refused_by_policy",
        f"the diff is for {named[0]!r}, but {domain}'s server block is in "
        f"{' and '.join(files)}: fix_nginx_config changes only that file",
        f"send a diff against {files[0]}",
    )


def _endpoints(listens: list[Directive]) -> set[tuple[str, int | None]]:
    parsed = [parse_listen(d.args) for d in listens] or [parse_listen([])]
    return {(listen.address, listen.port) for listen in parsed}


def _replacement(fix: str, domain: str) -> Directive:
    try:
        items = parse(fix, "the replacement block")
    except NginxConfigError as exc:
        raise ToolError(
            "invalid_argument",
            f"the replacement server block does not parse: {exc}",
            "send one complete block: server { ... } with balanced braces and ; after "
            "each directive",
        ) from None
    if len(items) != 1 or items[0].name != "server" or items[0].block is None:
        raise ToolError(
            "invalid_argument",
            f"the fix holds {len(items)} top-level directives; a replacement is exactly one "
            "server { ... } block",
            "send just the block, or a unified diff",
        )
    names = [n.lower() for d in items[0].children("server_name") for n in d.args]
    if not any(name_rank(name, domain) for name in names):
        raise ToolError(
            "invalid_argument",
            f"the replacement block's server_name ({' '.join(names) or 'none'}) does not "
            f"include {domain}",
            f"keep server_name {domain} (and its other names) in the block",
        )
    return items[0]


def _choose_block(blocks: list[ServerBlock], new: Directive, domain: str) -> ServerBlock:
    if len(blocks) == 1:
        return blocks[0]
    wanted = _endpoints(new.children("listen"))
    for match in (
        [b for b in blocks if _endpoints(b.directive.children("listen")) == wanted],
        [b for b in blocks if _endpoints(b.directive.children("listen")) & wanted],
    ):
        if len(match) == 1:
            return match[0]
    shown = "; ".join(f"{b.where} (listen {', '.join(x.raw for x in b.listens)})" for b in blocks)
    raise ToolError(
        "invalid_argument",
        f"{domain} has {len(blocks)} server blocks ({shown}) and the replacement's listen "
        "lines do not say which one it replaces",
        "keep the listen lines of the block you replace, or send a unified diff",
    )


async def _read(ctx: ToolContext, file: str) -> tuple[bytes, str]:
    data = await ctx.executor.read_file(file, max_bytes=MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ToolError("invalid_argument", f"{file} is larger than {MAX_FILE_BYTES} bytes")
    try:
        return data, data.decode("utf-8")
    except UnicodeDecodeError:
        raise ToolError(
            "invalid_argument",
            f"{file} is not UTF-8 text; sfai edits only text it can show exactly",
            "make this change by hand",
        ) from None


def _serves(items: list[Directive], domain: str) -> bool:
    for directive in (d for item in items for d in (item, *item.walk())):
        if directive.name == "server" and directive.block is not None:
            names = [n.lower() for d in directive.children("server_name") for n in d.args]
            if any(name_rank(name, domain) for name in names):
                return True
    return False


async def make_plan(
    ctx: ToolContext,
    state: NginxState,
    config: NginxConfig,
    blocks: list[ServerBlock],
    domain: str,
    fix: str,
) -> Plan:
    """Validate ``fix`` and compute the change, or raise the refusal the person will read."""
    by_file = await _files(ctx, blocks)
    replacement = _replacement(fix, domain) if patching.is_server_block(fix) else None
    patch = None
    if replacement is not None:
        block = _choose_block(blocks, replacement, domain)
        file = await ctx.executor.realpath(block.directive.file)
    else:
        patch = patching.parse_diff(fix)
        patching.check_headers(patch)
        file = await _diff_target(ctx, patch, by_file, domain)
        block = by_file[file][0]
    conf_dir = await ctx.executor.realpath(config.conf_dir)
    if is_credential_path(file):
        raise ToolError("refused_by_policy", f"{file} is a credential location")
    if not _under(file, conf_dir):
        raise ToolError(
            "refused_by_policy",
            f"{domain}'s server block is in {file}, outside nginx's config directory "
            f"{conf_dir}; sfai changes only files there",
            "make this change by hand",
        )
    before_bytes, before = await _read(ctx, file)
    if replacement is not None:
        after = patching.replace_block(
            before, block.directive.line, block.directive.end_line, fix, block.where
        )
    else:
        assert patch is not None
        after = patching.apply_patch(before, patch, file)
    if after == before:
        raise ToolError("invalid_argument", f"the fix changes nothing in {file}")
    try:
        old_items, new_items = parse(before, file), parse(after, file)
    except NginxConfigError as exc:
        raise ToolError(
            "invalid_argument",
            f"after the fix, {exc} (nothing was changed)",
            "correct the fix so the file keeps balanced braces and a ; after each directive",
        ) from None
    if not _serves(new_items, domain):
        raise ToolError(
            "invalid_argument",
            f"the fix removes {domain}'s server block (or its server_name) from {file}",
            "change the block, do not remove it",
        )
    paths = GuardPaths(
        conf_dir=conf_dir,
        prefix=posixpath.normpath(state.prefix or DEFAULT_PREFIX),
        log_roots=ctx.settings.log_roots,
        backup_dir=posixpath.normpath(ctx.settings.backup_dir),
    )
    await check_added(ctx.executor, added_directives(old_items, new_items), paths)
    sources = [f for f in config.files if await ctx.executor.realpath(f) == file]
    return Plan(
        domain=domain,
        kind="server_block" if replacement is not None else "diff",
        file=file,
        sources=sources or [block.directive.file],
        block=block,
        before_bytes=before_bytes,
        before=before,
        after=after,
        diff=patching.unified_diff(before, after, file),
        conf_dir=conf_dir,
    )
