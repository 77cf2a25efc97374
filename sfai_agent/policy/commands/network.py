"""Rules for the network: interfaces and routes, sockets, the firewall, URLs.

ip, lsof, netstat, iptables, ip6tables, iptables-save, nft; curl has rules too, but
always asks.
"""

from __future__ import annotations

from sfai_agent.policy.commands.judgement import REPEATS, WRITES_FILE, Judgement
from sfai_agent.policy.commands.parsing import DIGITS, getopt, parse, words
from sfai_agent.policy.commands.paths import LIST, check_path

_IP_FLAGS = frozenset(
    words(
        "-s -stats -statistics -d -details -4 -6 -0 -o -oneline -j -json -p -pretty -br -brief "
        "-c -color -h -human -human-readable -r -resolve -N -Numeric -a -all -t -timestamp -ts "
        "-V -Version"
    )
)
_IP_VALUES = frozenset(words("-f -family -n -netns -l -loops -rc -rcvbuf"))
_IP_OBJECTS = frozenset(
    words(
        "address addr a link l route r neighbour neighbor neigh n rule maddress maddr netconf netns"
    )
)
_IP_READ_VERBS = frozenset(words("show list lst get"))
_IP_NETNS_READ = frozenset(words("list list-id identify pids"))


def ip_command(j: Judgement, args: list[str]) -> None:
    i = 0
    while i < len(args) and args[i].startswith("-"):
        option = args[i]
        i += 1
        if option in _IP_FLAGS:
            continue
        if option in _IP_VALUES:
            i += 1
            continue
        name = option.lstrip("-")
        if name and ("batch".startswith(name) or "force".startswith(name)):
            j.refuse(f"ip {option} runs ip commands read from a file")
        j.ask(f"ip: option {option} is not on the allowlist")
    if i >= len(args):
        return
    obj = args[i]
    rest = args[i + 1 :]
    if obj not in _IP_OBJECTS:
        j.ask(f"ip {obj}: only address, link, route, neigh, rule, maddress, netconf, netns")
        return
    if obj == "netns":
        if rest and rest[0] not in _IP_NETNS_READ:
            j.refuse(f"ip netns {rest[0]}: only list and identify (exec runs a command)")
        return
    if rest and rest[0] not in _IP_READ_VERBS:
        j.refuse(
            f"ip {obj} {rest[0]}: only the read verbs show, list and get, spelled out "
            "(ip expands abbreviations: 's' is 'set' for links); ip does not add, delete, "
            "set or flush here"
        )


_LSOF_REFUSED = {
    "r": REPEATS,
    "D": "creates or updates lsof's device cache file",
    "k": "reads an alternative kernel name list file",
    "m": "reads an alternative kernel memory file",
}
LSOF = getopt(
    flags="anPtlwbRUhVXKZE",
    values="pucgd",
    optional="isTF",
    lookahead={"i": r"[^-+].*", "s": r"[A-Za-z]+:[A-Za-z,^]+", "F": r"[A-Za-z0-9]+"},
    refuse={"-" + letter: reason for letter, reason in _LSOF_REFUSED.items()},
)


def lsof_command(j: Judgement, args: list[str]) -> None:
    dashed: list[str] = []
    i = 0
    while i < len(args):
        item = args[i]
        i += 1
        if item.startswith("+") and len(item) > 1:
            letter = item[1]
            if letter == "r":
                j.refuse(f"lsof {item}: {REPEATS}")
            if letter == "L" and DIGITS.fullmatch(item[2:] or "0"):
                continue
            if letter in "Dd" and len(item) == 2:
                if i < len(args):
                    check_path(j, args[i], LIST)
                i += 1
                continue
            j.ask(f"lsof: option {item} is not on the allowlist")
            continue
        dashed.append(item)
    for operand in parse(j, LSOF, dashed).operands:
        check_path(j, operand, LIST)


NETSTAT = getopt(
    flags="rigsMvWnNepolaFCZtuUSwx46",
    values="A",
    longs="route interfaces groups statistics masquerade verbose wide numeric "
    "numeric-hosts numeric-ports numeric-users symbolic extend programs timers listening "
    "all fib cache context tcp udp udplite sctp raw unix inet inet6 help version",
    long_values="protocol",
    refuse={"-c": REPEATS, "--continuous": REPEATS},
)


_IPTABLES_WRITES = "changes the firewall"
IPTABLES = getopt(
    flags="LSnvxh46",
    values="t",
    optional="w",
    longs="list list-rules numeric verbose exact line-numbers help version",
    lookahead={"w": r"\d+", "wait": r"\d+"},
    long_optional="wait",
    refuse=dict.fromkeys(
        words(
            "-A -D -I -R -F -Z -N -X -P -E -C --append --delete --insert --replace "
            "--flush --zero --new-chain --delete-chain --policy --rename-chain --check"
        ),
        _IPTABLES_WRITES,
    )
    | {"-M": "runs a modprobe program", "--modprobe": "runs a modprobe program"},
)


def iptables_command(j: Judgement, args: list[str]) -> None:
    parsed = parse(j, IPTABLES, args)
    if not parsed.has("-L", "--list", "-S", "--list-rules", "-h", "--help", "--version"):
        j.ask(f"{j.program}: only -L/-S listings are known to be read-only")
    if len(parsed.operands) > 1:
        j.ask(f"{j.program}: unexpected arguments {parsed.operands[1:]}")


IPTABLES_SAVE = getopt(
    flags="cV",
    values="t",
    longs="counters version",
    long_values="table",
    refuse={
        "-f": WRITES_FILE,
        "--file": WRITES_FILE,
        "-M": "runs a modprobe program",
        "--modprobe": "runs a modprobe program",
    },
)


NFT = getopt(
    flags="ansjtceSNuyTvhV",
    longs="handle numeric stateless json terse check echo service reversedns guid "
    "numeric-priority numeric-time version help",
    refuse={
        "-f": "runs nft commands read from a file",
        "--file": "runs nft commands read from a file",
        "-i": "opens the interactive shell",
        "--interactive": "opens the interactive shell",
    },
    ask_values={"-I": "includes files from another directory", "--includepath": "includes"},
)


def nft_command(j: Judgement, args: list[str]) -> None:
    operands = parse(j, NFT, args).operands
    words = " ".join(operands).split()
    if any(ch in " ".join(operands) for ch in ";{}") or not words or words[0] != "list":
        j.refuse("nft: only one 'list ...' command (others change the firewall)")


def _curl_url(j: Judgement, value: str) -> None:
    lowered = value.lower()
    scheme, sep, rest = lowered.partition("://")
    if sep and scheme not in ("http", "https"):
        j.refuse(f"curl {value}: {scheme}:// reads local files or speaks raw protocols")
    host = (rest if sep else lowered).split("/", 1)[0].rsplit("@", 1)[-1]
    if host.startswith(
        ("169.254.", "[fd00:ec2::254]", "metadata.google.internal", "100.100.100.200")
    ):
        j.refuse(f"curl {value}: the cloud metadata endpoint hands out credentials")


def _curl_data(j: Judgement, value: str) -> None:
    if value.startswith("@") or "=@" in value or "=<" in value or value.startswith("<"):
        j.refuse(f"curl: {value!r} uploads a local file")


_CURL_WRITES = "writes a file"
CURL = getopt(
    flags="sSLIikvfg46qNZjlMpRBJ0123",
    values="HAXmerwzCyYuxUbtQP",
    longs="silent show-error location head include insecure verbose fail fail-with-body "
    "globoff compressed http1.1 http2 no-buffer no-keepalive ipv4 ipv6 version help "
    "location-trusted",
    long_values="header user-agent request max-time referer write-out time-cond "
    "continue-at speed-time speed-limit user proxy proxy-user cookie connect-timeout "
    "resolve connect-to retry cacert capath interface",
    refuse={
        "-o": _CURL_WRITES,
        "--output": _CURL_WRITES,
        "-O": _CURL_WRITES,
        "--remote-name": _CURL_WRITES,
        "--remote-name-all": _CURL_WRITES,
        "--output-dir": _CURL_WRITES,
        "--create-dirs": _CURL_WRITES,
        "-D": _CURL_WRITES,
        "--dump-header": _CURL_WRITES,
        "-c": _CURL_WRITES,
        "--cookie-jar": _CURL_WRITES,
        "--trace": _CURL_WRITES,
        "--trace-ascii": _CURL_WRITES,
        "--libcurl": _CURL_WRITES,
        "--stderr": _CURL_WRITES,
        "--etag-save": _CURL_WRITES,
        "--hsts": _CURL_WRITES,
        "--alt-svc": _CURL_WRITES,
        "-T": "uploads a local file",
        "--upload-file": "uploads a local file",
        "-K": "reads options from a file",
        "--config": "reads options from a file",
        "-n": "sends the credentials in ~/.netrc",
        "--netrc": "sends the credentials in ~/.netrc",
        "--netrc-file": "sends the credentials in a netrc file",
        "--netrc-optional": "sends the credentials in ~/.netrc",
        "-E": "reads a client certificate and private key",
        "--cert": "reads a client certificate and private key",
        "--key": "reads a private key",
        "--unix-socket": "talks to a local socket (the docker socket is root)",
        "--abstract-unix-socket": "talks to a local socket",
    },
    checks={
        "--url": _curl_url,
        **dict.fromkeys(
            (
                "-d",
                "--data",
                "--data-binary",
                "--data-urlencode",
                "--json",
                "-F",
                "--form",
                "--data-ascii",
            ),
            _curl_data,
        ),
    },
)


def curl_command(j: Judgement, args: list[str]) -> None:
    for operand in parse(j, CURL, args).operands:
        _curl_url(j, operand)
    j.ask("curl makes a network request; a person decides which")
