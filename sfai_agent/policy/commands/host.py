"""Rules for who and what the host is: its names, users and logins, clock, name databases.

uname, hostname, hostnamectl, id, whoami, w, who, last, date, timedatectl, getent.
"""

from __future__ import annotations

from sfai_agent.policy.commands.judgement import REMOTE, Judgement
from sfai_agent.policy.commands.parsing import getopt, parse, words
from sfai_agent.policy.commands.paths import list_path_value, read_path_value, read_paths

UNAME = getopt(
    flags="asnrvmpio",
    longs="all kernel-name nodename kernel-release kernel-version machine processor "
    "hardware-platform operating-system help version",
)
_SETS_HOSTNAME = "sets the host name"
HOSTNAME = getopt(
    flags="aAdfiIsyvVh",
    longs="alias all-fqdns domain fqdn long ip-address all-ip-addresses short yp nis "
    "verbose help version",
    refuse={
        "-F": _SETS_HOSTNAME,
        "--file": _SETS_HOSTNAME,
        "-b": _SETS_HOSTNAME,
        "--boot": _SETS_HOSTNAME,
    },
)


def hostname_command(j: Judgement, args: list[str]) -> None:
    if parse(j, HOSTNAME, args).operands:
        j.refuse("hostname NAME sets the host name")


ID = getopt(flags="agGnruzZ", longs="context group groups name real user zero help version")
WHOAMI = getopt(longs="help version")
W = getopt(
    flags="husfoipV",
    longs="no-header no-current short from old-style ip-addr pids help version",
)
WHO = getopt(
    flags="abdHlmpqrstTuw",
    longs="all boot dead heading login lookup message mesg writable process count runlevel "
    "short time users ips help version",
)


def who_command(j: Judgement, args: list[str]) -> None:
    operands = parse(j, WHO, args).operands
    if [o.lower() for o in operands] == ["am", "i"]:
        return
    read_paths(j, operands)


LAST = getopt(
    flags="adFiRwx",
    values="nstp",
    longs="hostlast dns fulltimes ip nohostname fullnames system help version",
    long_values="limit since until present time-format",
    numeric=True,
    checks={"-f": read_path_value, "--file": read_path_value},
)

_SETS_CLOCK = "sets the system clock"
DATE = getopt(
    flags="uR",
    values="d",
    optional="I",
    longs="utc universal rfc-email debug help version",
    long_values="date rfc-3339 resolution",
    long_optional="iso-8601",
    refuse={
        "-s": _SETS_CLOCK,
        "--set": _SETS_CLOCK,
        "-f": "prints the lines of a file in its errors (reads any file)",
        "--file": "prints the lines of a file in its errors (reads any file)",
    },
    checks={"-r": list_path_value, "--reference": list_path_value},
)


def date_command(j: Judgement, args: list[str]) -> None:
    for operand in parse(j, DATE, args).operands:
        if not operand.startswith("+"):
            j.refuse(f"date {operand}: a date operand sets the system clock; use +FORMAT")


GETENT = getopt(
    flags="Ai?V",
    values="s",
    longs="no-addrconfig no-idn help usage version",
    long_values="service",
)
GETENT_DATABASES = frozenset(
    words(
        "passwd group hosts ahosts ahostsv4 ahostsv6 services protocols networks ethers rpc "
        "netgroup aliases initgroups"
    )
)


def getent_command(j: Judgement, args: list[str]) -> None:
    operands = parse(j, GETENT, args).operands
    if not operands:
        return
    database = operands[0]
    if database in ("shadow", "gshadow"):
        j.refuse(f"getent {database} prints password hashes")
    if database not in GETENT_DATABASES:
        j.ask(f"getent {database}: not a database the judge knows")


TIMEDATECTL = getopt(
    flags="ha",
    values="p",
    longs="no-pager no-ask-password all value help version",
    long_values="property",
    refuse={
        "-H": REMOTE,
        "--host": REMOTE,
        "-M": REMOTE,
        "--machine": REMOTE,
        "--monitor": "watches forever and never returns",
        "--adjust-system-clock": _SETS_CLOCK,
    },
)
TIMEDATECTL_READ = frozenset(words("status show list-timezones timesync-status show-timesync"))


def timedatectl_command(j: Judgement, args: list[str]) -> None:
    operands = parse(j, TIMEDATECTL, args).operands
    if operands and operands[0] not in TIMEDATECTL_READ:
        j.refuse(f"timedatectl {operands[0]} is not a read verb (status, show, ...)")


HOSTNAMECTL = getopt(
    flags="h",
    longs="no-ask-password static transient pretty help version",
    long_values="json",
    refuse={"-H": REMOTE, "--host": REMOTE, "-M": REMOTE, "--machine": REMOTE},
)
_HOSTNAMECTL_GETTERS = frozenset(words("hostname icon-name chassis deployment location"))


def hostnamectl_command(j: Judgement, args: list[str]) -> None:
    operands = parse(j, HOSTNAMECTL, args).operands
    if not operands or operands == ["status"]:
        return
    if operands[0] in _HOSTNAMECTL_GETTERS and len(operands) == 1:
        return
    j.refuse(f"hostnamectl {' '.join(operands[:2])} sets host metadata; only reads are allowed")
