"""``sfai hosts add|list|test|remove``: the inventory of servers sfai can reach.

An agent is pinned by its certificate's fingerprint, as SSH pins host keys: given with
``--fingerprint`` (compare it with ``sfai-agent fingerprint`` on the server), or shown and
confirmed on a terminal. A script that gives neither gets exit 2 and the exact command to
run once the fingerprint is checked; ``--yes`` trusts what was shown (trust on first use,
asked for explicitly). The token is copied to ``keys/NAME.token`` (0600); hosts.toml
never holds a secret. See docs/hosts.md.
"""

from __future__ import annotations

import shlex
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sfai.cli import output
from sfai.cli.common import config_or_exit, fail, run_async
from sfai.core.exit_codes import ExitCode

if TYPE_CHECKING:
    from sfai.core.config import Config
    from sfai.core.paths import SfaiPaths
    from sfai.hosts.inventory import HostEntry, Inventory

app = typer.Typer(
    help="The hosts sfai can reach: add, list, test, remove (docs/hosts.md).",
    no_args_is_help=True,
)

CHECK_TIMEOUT_S = 10.0
READ_ONLY_PROBES = ("get_system_overview", "get_memory_status", "list_services")
"""`sfai hosts test` runs the first of these the host offers: read-only, quick."""


def _inventory(paths: SfaiPaths) -> Inventory:
    from sfai.hosts.inventory import InventoryError, load_inventory

    try:
        return load_inventory(paths)
    except InventoryError as exc:
        fail(ExitCode.USAGE, str(exc))


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stderr.isatty()


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="A short name: web1, db.prod...")],
    agent: Annotated[
        str | None, typer.Option("--agent", help="The agent's address: wss://HOST:PORT.")
    ] = None,
    ssh: Annotated[
        str | None, typer.Option("--ssh", help="SSH instead of an agent: USER@HOST[:PORT].")
    ] = None,
    fingerprint: Annotated[
        str | None,
        typer.Option("--fingerprint", help="agent: the SHA256 fingerprint to pin."),
    ] = None,
    token_file: Annotated[
        str | None,
        typer.Option("--token-file", help="agent: file holding the token ('-': stdin)."),
    ] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", "-t", help="A tag (repeatable): prod, web...")
    ] = None,
    sudo: Annotated[bool, typer.Option("--sudo", help="ssh: run programs with sudo -n.")] = False,
    accept_new: Annotated[
        bool, typer.Option("--accept-new", help="ssh: trust an unknown host key once (TOFU).")
    ] = False,
    identity: Annotated[
        str | None, typer.Option("--identity", help="ssh: a private key file.")
    ] = None,
    known_hosts: Annotated[
        str | None, typer.Option("--known-hosts", help="ssh: a known_hosts file.")
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="agent: pin the fingerprint shown, unasked.")
    ] = False,
    no_check: Annotated[
        bool, typer.Option("--no-check", help="Store the host without connecting.")
    ] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to connect.")] = (
        CHECK_TIMEOUT_S
    ),
    as_json: Annotated[bool, typer.Option("--json", help="The stored entry as JSON.")] = False,
) -> None:
    """Add a host reached through sfai-agent (--agent) or plain SSH (--ssh)."""
    from sfai.core.paths import sfai_paths
    from sfai.hosts.inventory import InventoryError, check_name

    config = config_or_exit()
    paths = sfai_paths()
    try:
        check_name(name)
        inventory = _inventory(paths)
        inventory.with_entry(_placeholder(name))  # refuses a name in use, before any work
        tags = _tags(tag or [])
        if (agent is None) == (ssh is None):
            fail(ExitCode.USAGE, "give exactly one of --agent wss://HOST:PORT or --ssh USER@HOST")
        if agent is not None:
            ssh_only = {"--sudo": sudo, "--accept-new": accept_new, "--identity": identity}
            _refuse_options("--agent", {**ssh_only, "--known-hosts": known_hosts})
            entry = _agent_entry(
                config, paths, name, agent, fingerprint, token_file, tags, yes, no_check, timeout
            )
        else:
            assert ssh is not None
            _refuse_options("--ssh", {"--fingerprint": fingerprint, "--token-file": token_file})
            entry = _ssh_entry(
                config, name, ssh, tags, sudo, accept_new, identity, known_hosts, no_check, timeout
            )
        save = _inventory(paths).with_entry(entry)
    except InventoryError as exc:
        fail(ExitCode.USAGE, str(exc))
    from sfai.hosts.inventory import save_inventory

    save_inventory(save)
    if as_json:
        output.write_json({"name": entry.name, "transport": entry.transport, **entry.as_table()})
        return
    output.write(f"added {entry.name}: {entry.transport} {entry.address}")


def _placeholder(name: str) -> HostEntry:
    from sfai.hosts.inventory import HostEntry

    return HostEntry(name=name, transport="ssh", address="-")


def _tags(tags: list[str]) -> tuple[str, ...]:
    from sfai.hosts.inventory import TAG_PATTERN, InventoryError

    for item in tags:
        if not TAG_PATTERN.fullmatch(item):
            raise InventoryError(f"--tag {item!r}: a tag is one simple word (letters, digits, .-_)")
    return tuple(dict.fromkeys(tags))


def _refuse_options(kind: str, given: dict[str, Any]) -> None:
    wrong = [option for option, value in given.items() if value]
    if wrong:
        other = "--agent" if kind == "--ssh" else "--ssh"
        fail(ExitCode.USAGE, f"{', '.join(wrong)}: only for {other} hosts")


def _agent_entry(
    config: Config,
    paths: SfaiPaths,
    name: str,
    address: str,
    fingerprint: str | None,
    token_file: str | None,
    tags: tuple[str, ...],
    yes: bool,
    no_check: bool,
    timeout: float,
) -> HostEntry:
    from sfai.hosts.inventory import HostEntry, agent_url, token_path, write_token
    from sfai_agent.server.protocol import normalise_fingerprint

    url = agent_url(address)
    if token_file is None and not _interactive():
        fail(
            ExitCode.USAGE,
            "the agent's token is needed and there is no terminal to ask for it",
            "give --token-file FILE (or --token-file - to read it from stdin)",
        )
    if fingerprint is not None:
        try:
            pinned = normalise_fingerprint(fingerprint)
        except ValueError as exc:
            fail(
                ExitCode.USAGE, f"--fingerprint: {exc}", "copy what `sfai-agent fingerprint` prints"
            )
    else:
        pinned = _confirm_fingerprint(name, url, token_file, tags, yes, timeout)
    token = _read_token(token_file)
    existed = token_path(paths, name).exists()
    stored = write_token(paths, name, token)
    entry = HostEntry(
        name=name, transport="agent", address=url, fingerprint=pinned,
        token_file=str(stored), tags=tags,
    )  # fmt: skip
    if not no_check:
        facts = _check_or_exit(config, entry, timeout, forget=None if existed else stored)
        output.info(
            f"{name}: {facts.get('hostname', '?')}, sfai-agent {facts.get('agent_version', '?')}"
            f", {facts.get('tools', '?')} tools, actions "
            f"{'allowed' if facts.get('actions_allowed') else 'not allowed'} by its policy"
        )
    return entry


def _confirm_fingerprint(
    name: str, url: str, token_file: str | None, tags: tuple[str, ...], yes: bool, timeout: float
) -> str:
    """Fetch the certificate (a TLS handshake, nothing sent), show it, and have it
    confirmed: on a terminal by a question, in a script by --yes or exit 2."""
    from sfai.hosts.agent_client import fetch_fingerprint

    try:
        shown = run_async(fetch_fingerprint(url, timeout))
    except (OSError, TimeoutError) as exc:
        reason = "timed out" if isinstance(exc, TimeoutError) else (exc.strerror or str(exc))
        fail(
            ExitCode.ERROR,
            f"cannot reach the agent at {url}: {reason}",
            "is `sfai-agent serve` running and the port open? Or give --fingerprint and "
            "--no-check to add it now",
        )
    output.info(
        f"The agent at {url} presents the certificate\n    {shown}\n"
        "Compare it with what `sfai-agent fingerprint` prints on the server."
    )
    if yes:
        output.info("sfai: pinned as shown (--yes: trusted on first use)")
        return shown
    if _interactive():
        if not typer.confirm(f"Pin this certificate for {name}?", default=False, err=True):
            fail(ExitCode.ERROR, "not added: the fingerprint was not confirmed")
        return shown
    command = ["sfai", "hosts", "add", name, "--agent", url, "--fingerprint", shown]
    if token_file:
        command += ["--token-file", token_file]
    for item in tags:
        command += ["--tag", item]
    fail(
        ExitCode.USAGE,
        "the certificate fingerprint must be confirmed, and there is no terminal to ask",
        f"check it with `sfai-agent fingerprint` on the server, then run: {shlex.join(command)}",
    )


def _read_token(token_file: str | None) -> str:
    from pathlib import Path

    token: str
    if token_file is None:
        token = str(
            typer.prompt(
                "Token (printed by `sfai-agent init` or `sfai-agent token rotate`)",
                hide_input=True,
                err=True,
            )
        )
    elif token_file == "-":  # noqa: S105 (stdin, not a password)
        token = sys.stdin.readline()
    else:
        try:
            token = Path(token_file).expanduser().read_text(encoding="utf-8")
        except OSError as exc:
            fail(ExitCode.USAGE, f"--token-file {token_file}: {exc.strerror}")
    token = token.strip()
    if not token or len(token) > 4096 or any(c.isspace() for c in token):
        fail(
            ExitCode.USAGE,
            "the token must be one line without spaces, as `sfai-agent init` prints it",
        )
    return token


def _ssh_entry(
    config: Config,
    name: str,
    address: str,
    tags: tuple[str, ...],
    sudo: bool,
    accept_new: bool,
    identity: str | None,
    known_hosts: str | None,
    no_check: bool,
    timeout: float,
) -> HostEntry:
    from pathlib import Path

    from sfai.hosts.inventory import HostEntry, ssh_address

    files = {}
    for option, value in (("--identity", identity), ("--known-hosts", known_hosts)):
        if value:
            path = Path(value).expanduser().resolve()
            if option == "--identity" and not path.is_file():
                fail(ExitCode.USAGE, f"{option} {value}: no such file")
            files[option] = str(path)
    entry = HostEntry(
        name=name, transport="ssh", address=ssh_address(address), sudo=sudo,
        accept_new_host_key=accept_new, identity_file=files.get("--identity", ""),
        known_hosts=files.get("--known-hosts", ""), tags=tags,
    )  # fmt: skip
    if not no_check:
        facts = _check_or_exit(config, entry, timeout)
        output.info(f"{name}: {facts.get('hostname', '?')} over SSH")
    return entry


def _check_or_exit(
    config: Config, entry: HostEntry, timeout: float, forget: Any = None
) -> dict[str, Any]:
    """Connect once; on failure, undo what was written and exit 1 with the reason."""
    from sfai.cli.hosts_probe import probe

    result = run_async(probe(entry, config, timeout))
    if result["reachable"]:
        return result["facts"]  # type: ignore[no-any-return]
    if forget is not None:
        forget.unlink(missing_ok=True)
    hint = result.get("hint") or ""
    fail(
        ExitCode.ERROR,
        f"{entry.name} not added: {result['error']}",
        (hint + "; " if hint else "") + "add it anyway with --no-check",
    )


@app.command("list")
def list_hosts(
    tag: Annotated[
        list[str] | None, typer.Option("--tag", "-t", help="Only hosts with this tag.")
    ] = None,
    no_check: Annotated[
        bool, typer.Option("--no-check", help="Do not connect: the inventory only.")
    ] = False,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds each host has to answer.")
    ] = 5.0,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON list.")] = False,
) -> None:
    """Every host (the local one too), with reachability and latency, checked concurrently."""
    from sfai.cli.hosts_probe import probe_all
    from sfai.core.paths import sfai_paths
    from sfai.hosts.inventory import InventoryError

    config = config_or_exit()
    inventory = _inventory(sfai_paths())
    try:
        entries = inventory.select(["@" + t for t in tag]) if tag else inventory.all()
    except InventoryError as exc:
        fail(ExitCode.USAGE, str(exc))
    rows = run_async(probe_all(entries, config, timeout, check=not no_check))
    if as_json:
        output.write_json(rows)
        return
    from sfai.cli.hosts_render import print_hosts

    print_hosts(rows)


@app.command("test")
def test_host(
    name: Annotated[str, typer.Argument(help="A host of `sfai hosts list`.")],
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to connect.")] = (
        CHECK_TIMEOUT_S
    ),
    as_json: Annotated[bool, typer.Option("--json", help="The facts and timings as JSON.")] = False,
) -> None:
    """Connect, show the host's facts, and time one read-only tool round trip."""
    from sfai.cli.hosts_probe import probe
    from sfai.core.paths import sfai_paths
    from sfai.hosts.inventory import InventoryError

    config = config_or_exit()
    try:
        entry = _inventory(sfai_paths()).get(name)
    except InventoryError as exc:
        fail(ExitCode.USAGE, str(exc), "see `sfai hosts list`")
    result = run_async(probe(entry, config, timeout, tools=READ_ONLY_PROBES))
    if as_json:
        output.write_json(result)
    else:
        from sfai.cli.hosts_render import print_test

        print_test(result)
    if not result["reachable"]:
        fail(ExitCode.ERROR, f"{name}: {result['error']}", result.get("hint") or "")
    tool = result.get("tool") or {}
    if tool and not tool.get("ok"):
        fail(ExitCode.ERROR, f"{name}: {tool.get('name')} failed: {tool.get('error')}")


@app.command("remove")
def remove(
    name: Annotated[str, typer.Argument(help="A host of `sfai hosts list`.")],
) -> None:
    """Forget a host (and the token file sfai keeps for it)."""
    from sfai.core.paths import sfai_paths
    from sfai.hosts.inventory import InventoryError, owned_token_file, save_inventory

    paths = sfai_paths()
    inventory = _inventory(paths)
    try:
        entry = inventory.get(name)
        smaller = inventory.without(name)
    except InventoryError as exc:
        fail(ExitCode.USAGE, str(exc))
    save_inventory(smaller)
    token = owned_token_file(paths, entry)
    if token is not None:
        token.unlink(missing_ok=True)
    output.write(f"removed {entry.name}")
