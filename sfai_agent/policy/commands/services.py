"""Rules for the services sfai looks after, and the packages behind them.

nginx, docker, certbot, crontab, apt, apt-cache, dpkg, dpkg-query, supervisorctl, pm2.
"""

from __future__ import annotations

from collections.abc import Callable

from sfai_agent.policy.commands.judgement import FOLLOW, Judgement
from sfai_agent.policy.commands.parsing import (
    DIGITS,
    Getopt,
    Handler,
    Parsed,
    digits,
    getopt,
    no_operands,
    parse,
    words,
)
from sfai_agent.policy.commands.paths import NGINX_CONF, check_path, read_path_value

NGINX = getopt(
    flags="?hvVtTq",
    values="c",
    permute=False,
    refuse={
        "-s": "sends a signal to the running nginx (stop, reload...); use restart_service",
        "-g": "sets directives outside the config file (load_module would run code)",
        "-p": "changes the prefix relative paths resolve against (modules, includes)",
        "-e": "opens an error log file for writing",
    },
    checks={"-c": lambda j, value: check_path(j, value, NGINX_CONF)},
)


def nginx_command(j: Judgement, args: list[str]) -> None:
    parsed = parse(j, NGINX, args)
    if parsed.operands:
        j.ask(f"nginx: unexpected argument {parsed.operands[0]!r}")
    if not parsed.has("-t", "-T", "-v", "-V", "-h", "-?"):
        j.refuse("nginx without -t, -T, -v or -V starts a server; test with nginx -t")


# docker: pflag — no abbreviations, interspersed flags in subcommands.
DOCKER_GLOBAL = getopt(
    flags="Dv",
    values="l",
    longs="debug version help tls tlsverify",
    long_values="log-level tlscacert tlscert tlskey",
    permute=False,
    refuse={
        "-H": "talks to another docker daemon",
        "--host": "talks to another docker daemon",
        "-c": "switches to another docker context (another daemon)",
        "--context": "switches to another docker context (another daemon)",
        "--config": "reads another client configuration, with its registry credentials",
    },
)
_DOCKER_PS = getopt(
    flags="alqs",
    values="fn",
    longs="all latest no-trunc quiet size",
    long_values="filter format last",
)
_DOCKER_IMAGES = getopt(
    flags="aq", values="f", longs="all digests no-trunc quiet tree", long_values="filter format"
)
_DOCKER_LOGS = getopt(
    flags="t",
    values="n",
    longs="details timestamps",
    long_values="since tail until",
    refuse={"-f": FOLLOW, "--follow": FOLLOW},
)
_DOCKER_INSPECT = getopt(flags="s", values="f", longs="size", long_values="format type")
_DOCKER_STATS = getopt(flags="a", longs="all no-stream no-trunc", long_values="format")
_DOCKER_FORMAT_ONLY = getopt(values="f", long_values="format")
_DOCKER_HISTORY = getopt(flags="Hq", longs="human no-trunc quiet", long_values="format")
_DOCKER_NAMES = getopt()
_DOCKER_DF = getopt(flags="v", longs="verbose", long_values="format")
_DOCKER_LS = getopt(flags="q", values="f", longs="no-trunc quiet", long_values="filter format")
_DOCKER_INSPECT_NET = getopt(flags="v", values="f", longs="verbose", long_values="format")


def _docker_stats(j: Judgement, parsed: Parsed) -> None:
    if not parsed.has("--no-stream"):
        j.refuse("docker stats streams forever without --no-stream")


def _docker_one(j: Judgement, parsed: Parsed) -> None:
    if len(parsed.operands) != 1:
        j.ask(f"docker: expected one container name, got {len(parsed.operands)}")


def _docker_any(j: Judgement, parsed: Parsed) -> None:
    return None


def _docker_none(j: Judgement, parsed: Parsed) -> None:
    no_operands(j, parsed.operands)


DockerRule = tuple[Getopt, Callable[[Judgement, Parsed], None]]
DOCKER_SUBCOMMANDS: dict[str, DockerRule] = {
    "ps": (_DOCKER_PS, _docker_none),
    "container ls": (_DOCKER_PS, _docker_none),
    "container list": (_DOCKER_PS, _docker_none),
    "container ps": (_DOCKER_PS, _docker_none),
    "images": (_DOCKER_IMAGES, _docker_any),
    "image ls": (_DOCKER_IMAGES, _docker_any),
    "image list": (_DOCKER_IMAGES, _docker_any),
    "logs": (_DOCKER_LOGS, _docker_one),
    "container logs": (_DOCKER_LOGS, _docker_one),
    "inspect": (_DOCKER_INSPECT, _docker_any),
    "container inspect": (_DOCKER_INSPECT, _docker_any),
    "image inspect": (_DOCKER_FORMAT_ONLY, _docker_any),
    "network inspect": (_DOCKER_INSPECT_NET, _docker_any),
    "volume inspect": (_DOCKER_FORMAT_ONLY, _docker_any),
    "stats": (_DOCKER_STATS, _docker_stats),
    "container stats": (_DOCKER_STATS, _docker_stats),
    "version": (_DOCKER_FORMAT_ONLY, _docker_none),
    "info": (_DOCKER_FORMAT_ONLY, _docker_none),
    "system info": (_DOCKER_FORMAT_ONLY, _docker_none),
    "system df": (_DOCKER_DF, _docker_none),
    "top": (_DOCKER_NAMES, _docker_one),
    "container top": (_DOCKER_NAMES, _docker_one),
    "port": (_DOCKER_NAMES, _docker_any),
    "container port": (_DOCKER_NAMES, _docker_any),
    "diff": (_DOCKER_NAMES, _docker_one),
    "container diff": (_DOCKER_NAMES, _docker_one),
    "history": (_DOCKER_HISTORY, _docker_one),
    "image history": (_DOCKER_HISTORY, _docker_one),
    "network ls": (_DOCKER_LS, _docker_none),
    "volume ls": (_DOCKER_LS, _docker_none),
}
_DOCKER_GROUPS = frozenset(words("container image system network volume"))


def docker_command(j: Judgement, args: list[str]) -> None:
    operands = parse(j, DOCKER_GLOBAL, args).operands
    if not operands:
        return
    key, rest = operands[0], operands[1:]
    if key in _DOCKER_GROUPS and rest:
        key, rest = f"{key} {rest[0]}", rest[1:]
    rule = DOCKER_SUBCOMMANDS.get(key)
    if rule is None:
        j.refuse(
            f"docker {key} is not a read subcommand (allowed: ps, logs, inspect, images, "
            "stats --no-stream, version, info, top, port, history, system df, "
            "network/volume ls); containers are restarted with restart_service"
        )
        return
    spec, check = rule
    check(j, parse(j, spec, rest))


CERTBOT = getopt(
    flags="qvnh",
    values="d",
    longs="quiet verbose non-interactive help",
    long_values="cert-name domains domain",
    ask_values={
        "--config-dir": "reads certbot state from another directory",
        "--work-dir": "another directory",
        "--logs-dir": "writes logs into another directory",
    },
)


def certbot_command(j: Judgement, args: list[str]) -> None:
    operands = parse(j, CERTBOT, args).operands
    if operands != ["certificates"]:
        verb = operands[0] if operands else "(none: certbot run)"
        j.refuse(
            f"certbot {verb}: only 'certbot certificates' reads; renew with "
            "renew_certificate (dry run first)"
        )


_CRONTAB_WRITES = "edits, removes or installs a crontab"
CRONTAB = getopt(
    flags="l",
    values="u",
    refuse={"-e": _CRONTAB_WRITES, "-r": _CRONTAB_WRITES, "-i": _CRONTAB_WRITES},
    ask={"-n": "cronie's -n sets the host that runs the jobs"},
)


def crontab_command(j: Judgement, args: list[str]) -> None:
    parsed = parse(j, CRONTAB, args)
    if parsed.operands:
        j.refuse("crontab FILE installs FILE as the crontab (replaces it)")
    if not parsed.has("-l"):
        j.refuse("crontab without -l installs a crontab read from stdin (wipes it)")


_APT_CONFIG = "sets APT configuration, including hooks that run commands"
APT = getopt(
    flags="aqh",
    values="t",
    longs="installed upgradable all-versions manual-installed names-only full quiet help version",
    long_values="target-release",
    refuse={
        "-o": _APT_CONFIG,
        "--option": _APT_CONFIG,
        "-c": _APT_CONFIG,
        "--config-file": _APT_CONFIG,
    },
)
_APT_READ = frozenset(words("list show policy search depends rdepends madison"))
_APT_CACHE_READ = frozenset(
    words("policy show showpkg showsrc search depends rdepends madison stats pkgnames")
)


def _apt(reads: frozenset[str]) -> Handler:
    def handle(j: Judgement, args: list[str]) -> None:
        operands = parse(j, APT, args).operands
        if operands and operands[0] not in reads:
            j.refuse(
                f"{j.program} {operands[0]} installs, removes or updates packages; only "
                f"{', '.join(sorted(reads))} read"
            )

    return handle


apt_command = _apt(_APT_READ)
apt_cache_command = _apt(_APT_CACHE_READ)


_DPKG_CHANGES = "installs, removes, unpacks or configures packages"
_DPKG_ELSEWHERE = "works on another dpkg database or root; a person decides"
DPKG = getopt(
    flags="lLsSpCVW",
    values="f",
    longs="list listfiles status search print-avail audit verify get-selections "
    "print-architecture print-foreign-architectures version help show no-pager",
    long_values="showformat verify-format",
    refuse=dict.fromkeys(
        words(
            "-i -r -P -A -b -x -X -e -R -c -I --install --remove --purge --unpack "
            "--configure --triggers-only --record-avail --set-selections "
            "--clear-selections --clear-avail --forget-old-unavail --update-avail "
            "--merge-avail --add-architecture --remove-architecture --build --extract "
            "--vextract --control --recursive --fsys-tarfile --ctrl-tarfile"
        ),
        _DPKG_CHANGES,
    ),
    ask_values={
        "--root": _DPKG_ELSEWHERE,
        "--admindir": _DPKG_ELSEWHERE,
        "--instdir": _DPKG_ELSEWHERE,
    },
)
_DPKG_READ_MODES = words(
    "-l -L -s -S -p -C -V -W --list --listfiles --status --search --print-avail --audit "
    "--verify --show --get-selections --print-architecture --print-foreign-architectures "
    "--version --help"
)


def dpkg_command(j: Judgement, args: list[str]) -> None:
    if not parse(j, DPKG, args).has(*_DPKG_READ_MODES):
        j.ask(f"{j.program}: no query mode (-l, -L, -s, -S...) the judge knows")


_SUPERVISOR_READ = frozenset(words("status tail pid avail version maintail help"))
SUPERVISORCTL = getopt(
    flags="hv",
    values="c",
    longs="help version",
    long_values="configuration",
    permute=False,
    refuse={
        "-i": "opens the interactive shell",
        "--interactive": "opens the interactive shell",
        "-r": "writes a history file",
        "--history-file": "writes a history file",
    },
    ask_values={
        "-s": "talks to another supervisord",
        "--serverurl": "talks to another supervisord",
        "-u": "logs in as another user",
        "--username": "logs in as another user",
        "-p": "passes a password on the command line",
        "--password": "passes a password on the command line",
    },
    checks={"-c": read_path_value, "--configuration": read_path_value},
)


def supervisorctl_command(j: Judgement, args: list[str]) -> None:
    operands = parse(j, SUPERVISORCTL, args).operands
    if not operands:
        j.refuse("supervisorctl without an action opens its interactive shell")
    action, rest = operands[0], operands[1:]
    if action not in _SUPERVISOR_READ:
        j.refuse(
            f"supervisorctl {action} changes programs; only status, tail, pid, avail read "
            "(restart with restart_service)"
        )
    if action in ("tail", "maintail"):
        for item in rest:
            if item.startswith("-") and not DIGITS.fullmatch(item[1:]):
                if item == "-f":
                    j.refuse(f"supervisorctl {action} -f: {FOLLOW}")
                j.ask(f"supervisorctl {action}: option {item} is not on the allowlist")


PM2 = getopt(
    flags="sv",
    longs="nostream raw err out json timestamp silent mini-list sort version help",
    long_values="lines format",
    checks={"--lines": digits("lines")},
)
_PM2_READ = frozenset(
    words("jlist list ls l status prettylist describe show info desc logs version ping")
)


def pm2_command(j: Judgement, args: list[str]) -> None:
    parsed = parse(j, PM2, args)
    if not parsed.operands:
        if not parsed.has("-v", "--version", "--help"):
            j.ask("pm2 without a command")
        return
    verb = parsed.operands[0]
    if verb == "env":
        j.ask("pm2 env prints an app's whole environment")
    elif verb not in _PM2_READ:
        j.refuse(
            f"pm2 {verb} changes apps or opens an interactive view; only jlist, list, "
            "describe and logs --nostream read"
        )
    elif verb == "logs" and not parsed.has("--nostream"):
        j.refuse(f"pm2 logs without --nostream {FOLLOW}")
