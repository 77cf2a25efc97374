"""``sfai-agent``: init | serve | token rotate | fingerprint | audit.

argparse rather than Typer (which sfai's own CLI uses): the agent runs on every managed
server, where what matters is a small footprint and a quick start (Typer pulls in Rich
and Click), and its four commands need no rich help. Heavy imports (websockets,
cryptography, psutil) happen inside the command that needs them, so ``--help`` is
instant.

Exit codes: 0 ok, 1 error (the message says what to do), 2 usage.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
from pathlib import Path

from sfai_agent import __version__
from sfai_agent.server.home import HOME_ENV, AgentHome, HomeError, default_home
from sfai_agent.server.protocol import DEFAULT_PORT


def _home(args: argparse.Namespace) -> AgentHome:
    return AgentHome(Path(args.home) if args.home else default_home())


def _err(message: str) -> int:
    print(f"sfai-agent: error: {message}", file=sys.stderr)
    return 1


def hosts_add_line(home: AgentHome, fingerprint: str) -> str:
    """The exact command to run on the operator's machine."""
    name = socket.gethostname().split(".")[0] or "server"
    host = socket.getfqdn() or socket.gethostname()
    return (
        f"sfai hosts add {name} --agent wss://{host}:{DEFAULT_PORT} "
        f"--fingerprint {fingerprint} --token-file {home.token_file}"
    )


def cmd_init(args: argparse.Namespace) -> int:
    from sfai_agent.server.home import init_home

    home = _home(args)
    try:
        token = init_home(home, force=args.force)
        fingerprint = home.fingerprint()
    except HomeError as exc:
        return _err(str(exc))
    except OSError as exc:
        return _err(
            f"cannot write to {home.root}: {exc.strerror}. Run as root for {home.root}, "
            f"or set {HOME_ENV} to a folder you own"
        )
    print(f"Agent identity created in {home.root}")
    print(f"  certificate fingerprint: {fingerprint}")
    print(f"  token:                   {token}")
    print(f"  token file:              {home.token_file} (0600)")
    print(
        f"  policy file:             {home.policy_file} (read-only tools until you allow actions)"
    )
    print()
    print("On the operator's machine, save the token in a file only you can read")
    print("(chmod 600), then add this host (give that file's path to --token-file):")
    print()
    print(f"  {hosts_add_line(home, fingerprint)}")
    print()
    print(f"Then start the agent: sfai-agent serve   (listens on 0.0.0.0:{DEFAULT_PORT})")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import ssl

    from sfai_agent.server.daemon import serve, setup_logging
    from sfai_agent.server.policy_file import PolicyFileError

    setup_logging()
    home = _home(args)
    try:
        asyncio.run(serve(home, args.listen))
    except (HomeError, PolicyFileError, ValueError) as exc:
        return _err(str(exc))
    except ssl.SSLError as exc:
        return _err(
            f"cannot load {home.cert_file} / {home.key_file}: {exc}; `sfai-agent init --force` makes new ones"
        )
    except OSError as exc:
        return _err(f"cannot listen on {args.listen}: {exc.strerror or exc}")
    except KeyboardInterrupt:  # pragma: no cover - the loop handles SIGINT itself
        return 130
    return 0


def cmd_token_rotate(args: argparse.Namespace) -> int:
    from sfai_agent.server.home import rotate_token

    home = _home(args)
    try:
        token = rotate_token(home)
    except HomeError as exc:
        return _err(str(exc))
    except OSError as exc:
        return _err(f"cannot write {home.token_file}: {exc.strerror}")
    print(token)
    print(
        f"New token written to {home.token_file}. The running agent refuses the old one "
        "from the next connection; update the token file on every client.",
        file=sys.stderr,
    )
    return 0


def cmd_fingerprint(args: argparse.Namespace) -> int:
    home = _home(args)
    try:
        print(home.fingerprint())
    except HomeError as exc:
        return _err(str(exc))
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    """The agent's own audit log: the last records, or ``--verify`` the chain."""
    from sfai_agent.audit import AuditError, AuditLog

    home = _home(args)
    if not home.audit_file.exists():
        return _err(f"{home.audit_file} does not exist yet: no action or refusal was recorded")
    try:
        with AuditLog(home.audit_file) as audit:
            if args.verify:
                verdict = audit.verify()
                if verdict.ok:
                    print(f"ok: {verdict.checked} records, the chain is intact")
                    return 0
                print(f"BROKEN at record #{verdict.first_bad_seq}: {verdict.problem}")
                return 1
            for record in audit.records(limit=args.limit):
                detail = record.detail if isinstance(record.detail, dict) else {}
                outcome = detail.get("summary") or (detail.get("error") or {}).get("message", "")
                print(
                    f"#{record.seq} {record.at} {record.kind} {record.tool} by {record.actor} {outcome}".rstrip()
                )
    except AuditError as exc:
        return _err(str(exc))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sfai-agent",
        description="The ServerFlow agent: serves sfai's tools on this host over TLS, "
        "under its own policy file.",
        epilog=f"Files live in ${HOME_ENV} (default /etc/sfai-agent as root, else "
        "~/.config/sfai-agent). See docs/agent.md.",
    )
    parser.add_argument("--version", action="version", version=f"sfai-agent {__version__}")
    parser.add_argument("--home", help=f"the agent's folder (overrides ${HOME_ENV})")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    init = commands.add_parser("init", help="create key, certificate, token and policy file")
    init.add_argument(
        "--force", action="store_true", help="replace an existing key, certificate and token"
    )
    init.set_defaults(func=cmd_init)

    serve = commands.add_parser("serve", help="run the agent (TLS WebSocket JSON-RPC)")
    serve.add_argument(
        "--listen", default=f"0.0.0.0:{DEFAULT_PORT}", metavar="HOST:PORT",
        help=f"address to listen on (default 0.0.0.0:{DEFAULT_PORT})",
    )  # fmt: skip
    serve.set_defaults(func=cmd_serve)

    token = commands.add_parser("token", help="manage the client token")
    token_commands = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    rotate = token_commands.add_parser("rotate", help="replace the token (prints the new one)")
    rotate.set_defaults(func=cmd_token_rotate)

    fingerprint = commands.add_parser(
        "fingerprint", help="print the certificate's SHA-256 fingerprint"
    )
    fingerprint.set_defaults(func=cmd_fingerprint)

    audit = commands.add_parser("audit", help="show the agent's audit log, or --verify it")
    audit.add_argument(
        "--verify", action="store_true", help="check the hash chain (exit 1 if broken)"
    )
    audit.add_argument(
        "--limit", type=int, default=20, help="how many records to show (default 20)"
    )
    audit.set_defaults(func=cmd_audit)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
