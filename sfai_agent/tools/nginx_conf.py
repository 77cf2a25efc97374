"""A small nginx configuration lexer, parser and include-following loader.

Why our own parser: crossplane, the usual library, reads files only from the local disk with
``open()`` and has been unmaintained since 2022. sfai reads configs through an Executor (local,
inside ``sfai-agent``, or over SSH), so every read here goes through one. The parser knows
nginx's *token* syntax (words, quoted strings with escapes, ``{`` ``}`` ``;``, ``#`` comments),
not its directives: ``nginx -t`` stays the authority on whether a config is valid.

``include`` directives are followed the way nginx does it: relative patterns are resolved
against the main config's directory, globs (``conf.d/*.conf``) are expanded with ``list_dir``
and ``fnmatch`` in sorted order, and the included directives are spliced in place of the
``include``. Loading is bounded (files, nesting depth, bytes per file) and include cycles are
reported as errors with the ``file:line`` of the offending ``include``.

It also holds the few directive meanings every nginx-reading tool shares, as pure functions:
``listen`` arguments (:func:`parse_listen`), server_name matching (:func:`name_rank`) and
upstream targets (:func:`split_target`).
"""

from __future__ import annotations

import fnmatch
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass, field

from sfai_agent.exec.base import Executor, ExecutorError
from sfai_agent.policy.credentials import is_credential_path

MAX_FILES = 256
MAX_INCLUDE_DEPTH = 16
MAX_BLOCK_DEPTH = 64
MAX_FILE_BYTES = 1_048_576
_GLOB_CHARS = frozenset("*?[")
_SPACE = " \t\r\n\f\v"
_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "t": "\t", "r": "\r", "n": "\n"}


class NginxConfigError(Exception):
    """The config cannot be read as nginx syntax; carries where, so the user can go and fix it."""

    def __init__(self, message: str, file: str, line: int) -> None:
        super().__init__(f"{file}:{line}: {message}")
        self.message = message
        self.file = file
        self.line = line


@dataclass(frozen=True)
class Token:
    value: str
    line: int
    quoted: bool
    """A quoted ``"{"`` is a word, not a block opener."""


@dataclass
class Directive:
    """One directive; ``block`` is None for ``name args;`` and a list for ``name args { }``."""

    name: str
    args: list[str]
    file: str
    line: int
    end_line: int
    block: list[Directive] | None = None

    def children(self, name: str) -> list[Directive]:
        return [d for d in self.block or [] if d.name == name]

    def first(self, name: str) -> Directive | None:
        found = self.children(name)
        return found[0] if found else None

    def walk(self) -> Iterator[Directive]:
        """This directive's descendants, depth first, in source order."""
        for child in self.block or []:
            yield child
            yield from child.walk()


@dataclass
class NginxConfig:
    main_file: str
    directives: list[Directive]
    files: list[str] = field(default_factory=list)
    """Every file read, in the order nginx would read them."""
    sources: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def conf_dir(self) -> str:
        """nginx's conf prefix: relative includes and certificate paths start here."""
        return posixpath.dirname(self.main_file) or "/"

    def source_lines(self, file: str, first: int, last: int) -> list[str]:
        return self.sources.get(file, "").splitlines()[first - 1 : last]


# -- what some directives mean (shared by the nginx, tls and apps tools) --


@dataclass(frozen=True)
class Listen:
    raw: str
    """The directive's arguments as written: ``127.0.0.1:443 ssl http2``."""
    address: str
    """``*``, an IP (IPv6 without brackets), a host name, or ``unix:/path``."""
    port: int | None
    ssl: bool
    default_server: bool


def parse_listen(args: list[str]) -> Listen:
    spec = args[0] if args else "80"
    flags = set(args[1:])
    address, port_text = "*", "80"
    if spec.startswith("unix:"):
        address, port_text = spec, ""
    elif spec.startswith("["):
        host, _, rest = spec[1:].partition("]")
        address, port_text = host, rest[1:] if rest.startswith(":") else "80"
    elif spec.isdigit():
        port_text = spec
    elif ":" in spec:
        address, _, port_text = spec.rpartition(":")
    else:
        address = spec
    return Listen(
        raw=" ".join(args) or "80",
        address=address,
        port=int(port_text) if port_text.isdigit() else None,
        ssl="ssl" in flags,
        default_server=bool(flags & {"default_server", "default"}),
    )


def name_rank(name: str, domain: str) -> tuple[int, int] | None:
    """How well a server_name matches ``domain``, nginx's order: exact, then the longest
    leading wildcard (``*.x``, ``.x``), then the longest trailing one (``www.*``).

    Regex names (``~...``) are never evaluated: a user's regex is not ours to run.
    """
    if not name or name.startswith("~"):
        return None
    if name == domain:
        return (3, 0)
    if name.startswith("*.") and domain.endswith(name[1:]):
        return (2, len(name))
    if name.startswith(".") and (domain == name[1:] or domain.endswith(name)):
        return (2, len(name))
    if name.endswith(".*") and domain.startswith(name[:-1]):
        return (1, len(name))
    return None


def split_target(target: str, groups: dict[str, list[str]]) -> list[tuple[str, int | None]]:
    """Where an upstream points: ``http://127.0.0.1:8001/x`` -> ``[("127.0.0.1", 8001)]``.

    Named ``upstream`` groups expand to their servers; ``unix:`` sockets give
    ``("unix:/path", None)``; a target built from variables cannot be resolved (port None).
    """
    scheme, sep, rest = target.partition("://")
    if not sep:
        scheme, rest = "", target
    if rest.startswith("unix:"):
        path = rest[5:].split(":", 1)[0] if sep else rest[5:]
        return [("unix:" + path, None)]
    hostport = rest.split("/", 1)[0]
    if hostport in groups:
        prefix = f"{scheme}://" if scheme else ""
        return [e for server in groups[hostport] for e in split_target(prefix + server, {})]
    if hostport.startswith("["):
        host, _, tail = hostport[1:].partition("]")
        port_text = tail[1:]
    elif hostport.count(":") == 1:
        host, port_text = hostport.split(":")
    else:
        host, port_text = hostport, ""
    default = {"http": 80, "https": 443, "grpc": 80, "grpcs": 443}.get(scheme)
    if "$" in hostport:
        default = None
    return [(host, int(port_text) if port_text.isdigit() else default)]


# -- lexer, parser, loader --


def _unescape(raw: str) -> str:
    """Apply nginx's escapes (quote, backslash, t, r, n); any other backslash is kept."""
    out: list[str] = []
    i = 0
    while i < len(raw):
        if raw[i] == "\\" and i + 1 < len(raw) and raw[i + 1] in _ESCAPES:
            out.append(_ESCAPES[raw[i + 1]])
            i += 2
        else:
            out.append(raw[i])
            i += 1
    return "".join(out)


def tokenize(text: str, file: str) -> Iterator[Token]:
    """Split config text into tokens the way ``ngx_conf_read_token`` does."""
    i, n, line = 0, len(text), 1
    while i < n:
        ch = text[i]
        if ch in _SPACE:
            line += ch == "\n"
            i += 1
        elif ch == "#":
            while i < n and text[i] != "\n":
                i += 1
        elif ch in "{};":
            yield Token(ch, line, quoted=False)
            i += 1
        elif ch in "\"'":
            start_line, i, raw = line, i + 1, []
            while True:
                if i >= n:
                    raise NginxConfigError(f"unterminated {ch}-quoted string", file, start_line)
                c = text[i]
                if c == "\\" and i + 1 < n:
                    raw.append(text[i : i + 2])
                    line += text[i + 1] == "\n"
                    i += 2
                    continue
                i += 1
                if c == ch:
                    break
                line += c == "\n"
                raw.append(c)
            yield Token(_unescape("".join(raw)), start_line, quoted=True)
        else:
            start, after_dollar = i, False
            while i < n:
                c = text[i]
                if c == "\\" and i + 1 < n:
                    i += 2
                    after_dollar = False
                    continue
                # "${var}" keeps its braces; "}" never ends a word in nginx.
                if c in _SPACE or c == ";" or (c == "{" and not after_dollar):
                    break
                after_dollar = c == "$"
                i += 1
            yield Token(_unescape(text[start:i]), line, quoted=False)


class _Parser:
    def __init__(self, text: str, file: str) -> None:
        self.tokens = list(tokenize(text, file))
        self.file = file
        self.pos = 0

    def block(self, opener: Directive | None, depth: int) -> list[Directive]:
        if depth > MAX_BLOCK_DEPTH:
            where = opener.line if opener else 1
            raise NginxConfigError(f"blocks nested deeper than {MAX_BLOCK_DEPTH}", self.file, where)
        items: list[Directive] = []
        words: list[Token] = []
        while self.pos < len(self.tokens):
            token = self.tokens[self.pos]
            self.pos += 1
            if token.quoted or token.value not in "{};":
                words.append(token)
                continue
            if token.value == "}":
                if words or opener is None:
                    missing = f' (missing ";" after "{words[0].value}"?)' if words else ""
                    raise NginxConfigError(f'unexpected "}}"{missing}', self.file, token.line)
                opener.end_line = token.line
                return items
            if not words:
                raise NginxConfigError(f'unexpected "{token.value}"', self.file, token.line)
            directive = Directive(
                name=words[0].value,
                args=[w.value for w in words[1:]],
                file=self.file,
                line=words[0].line,
                end_line=token.line,
            )
            if token.value == "{":
                directive.block = []
                directive.block = self.block(directive, depth + 1)
            items.append(directive)
            words = []
        if words:
            raise NginxConfigError(
                f'unexpected end of file: "{words[0].value}" is not terminated by ";"',
                self.file,
                words[0].line,
            )
        if opener is not None:
            raise NginxConfigError(
                f'unexpected end of file: "{opener.name}" block opened here is never closed',
                self.file,
                opener.line,
            )
        return items


def parse(text: str, file: str = "nginx.conf") -> list[Directive]:
    """Parse one file's text (includes are not followed here; see :func:`load_config`)."""
    return _Parser(text, file).block(None, 0)


class _Loader:
    def __init__(self, executor: Executor, main_file: str, max_files: int, max_depth: int) -> None:
        self.executor = executor
        self.config = NginxConfig(main_file=main_file, directives=[])
        self.max_files = max_files
        self.max_depth = max_depth
        self.reads = 0

    async def load(
        self, path: str, stack: tuple[str, ...], origin: Directive | None
    ) -> list[Directive]:
        # Errors about an include point at the include directive; the main file has none.
        file, line = (origin.file, origin.line) if origin else (path, 1)
        real = await self.executor.realpath(path)
        if real in stack:
            chain = " -> ".join([*stack[stack.index(real) :], real])
            raise NginxConfigError(f"include cycle: {chain}", file, line)
        if len(stack) > self.max_depth:
            raise NginxConfigError(f"includes nested deeper than {self.max_depth}", file, line)
        self.reads += 1
        if self.reads > self.max_files:
            raise NginxConfigError(f"more than {self.max_files} config files included", file, line)
        data = await self.executor.read_file(path, max_bytes=MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise NginxConfigError(f"file larger than {MAX_FILE_BYTES} bytes", path, 1)
        text = data.decode("utf-8", errors="replace")
        if path not in self.config.sources:
            self.config.files.append(path)
            self.config.sources[path] = text
        return await self.expand(parse(text, path), (*stack, real))

    async def expand(self, items: list[Directive], stack: tuple[str, ...]) -> list[Directive]:
        out: list[Directive] = []
        for directive in items:
            if directive.name == "include" and directive.block is None:
                out.extend(await self.include(directive, stack))
                continue
            if directive.block is not None:
                directive.block = await self.expand(directive.block, stack)
            out.append(directive)
        return out

    async def include(self, directive: Directive, stack: tuple[str, ...]) -> list[Directive]:
        where = f"{directive.file}:{directive.line}"
        if len(directive.args) != 1:
            self.config.warnings.append(f"{where}: include takes exactly one argument")
            return []
        pattern = directive.args[0]
        if not posixpath.isabs(pattern):
            pattern = posixpath.join(self.config.conf_dir, pattern)
        pattern = posixpath.normpath(pattern)
        if _GLOB_CHARS.isdisjoint(pattern):
            paths = [pattern]
        else:
            paths = await self.glob(pattern)
        spliced: list[Directive] = []
        for path in paths:
            if is_credential_path(await self.executor.realpath(path)):
                self.config.warnings.append(f"{where}: {path} not read (credential location)")
                continue
            try:
                spliced.extend(await self.load(path, stack, directive))
            except ExecutorError as exc:
                self.config.warnings.append(f"{where}: include {path}: {exc.message}")
        return spliced

    async def glob(self, pattern: str) -> list[str]:
        """Expand a glob like glob(3): any component may hold wildcards; dotfiles need a dot."""
        candidates = ["/"]
        parts = [p for p in pattern.split("/") if p]
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            if _GLOB_CHARS.isdisjoint(part):
                candidates = [posixpath.join(c, part) for c in candidates]
                continue
            matched: list[str] = []
            for base in candidates:
                try:
                    entries = await self.executor.list_dir(base, limit=self.max_files * 4)
                except ExecutorError:
                    continue
                wanted = ("file", "symlink") if last else ("dir", "symlink")
                for entry in sorted(entries, key=lambda e: e.name):
                    if entry.name.startswith(".") and not part.startswith("."):
                        continue
                    if entry.kind in wanted and fnmatch.fnmatchcase(entry.name, part):
                        matched.append(posixpath.join(base, entry.name))
            candidates = matched[: self.max_files]
        return sorted(candidates)


async def load_config(
    executor: Executor,
    main_file: str,
    *,
    max_files: int = MAX_FILES,
    max_depth: int = MAX_INCLUDE_DEPTH,
) -> NginxConfig:
    """Read and parse ``main_file`` and everything it includes, through ``executor``.

    Raises ``ExecutorError`` when the main file cannot be read and ``NginxConfigError`` on a
    syntax error, an include cycle or a bound exceeded; unreadable included files become
    ``warnings`` (``nginx -t`` reports them authoritatively).
    """
    loader = _Loader(executor, posixpath.normpath(main_file), max_files, max_depth)
    loader.config.directives = await loader.load(loader.config.main_file, (), None)
    return loader.config
