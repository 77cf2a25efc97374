"""Rules for processes, memory, disks and mounts, the kernel, the journal and systemd.

ss, ps, df, du, uptime, free, dmesg, journalctl, systemctl, lsblk, lscpu, vmstat, iostat,
mpstat, sar, top, sysctl, findmnt, mount, pgrep, nproc.
"""

from __future__ import annotations

import re

from sfai_agent.policy.commands.judgement import FOLLOW, REMOTE, REPEATS, Judgement
from sfai_agent.policy.commands.parsing import (
    DIGITS,
    digits,
    getopt,
    no_operands,
    one_of,
    parse,
    words,
)
from sfai_agent.policy.commands.paths import list_path_value, list_paths

SS = getopt(
    flags="hVnraloempTisbZz460tMSudwxHO",
    values="NfA",
    longs="help version numeric resolve all listening options extended memory processes "
    "threads info tipcinfo summary tos cgroup bpf context contexts ipv4 ipv6 packet tcp "
    "mptcp sctp udp dccp raw unix tipc vsock xdp no-header oneline inet-sockopt",
    long_values="net family query socket",
    refuse={
        "-K": "closes (kills) sockets",
        "--kill": "closes (kills) sockets",
        "-D": "dumps raw socket information into a file (writes)",
        "--diag": "dumps raw socket information into a file (writes)",
        "-F": "reads the filter from a file the policy cannot check",
        "--filter": "reads the filter from a file the policy cannot check",
        "-E": "waits for socket events forever and never returns",
        "--events": "waits for socket events forever and never returns",
    },
)


_PS = getopt(
    flags="AeadNFfHjlMPyLmTcVw",
    values="CGgpqstuUOo",
    longs="deselect forest context headers no-headers cumulative version info",
    long_values="Group group pid ppid quick-pid sid tty user User format sort cols "
    "columns width rows lines help",
)
_PS_BSD_FLAGS = frozenset("aTrxfjlsuvXHmcLnSwZV")
_PS_BSD_VALUES = frozenset("pqtUOok")
_PID_LIST = re.compile(r"[\d, ]+")


def ps_command(j: Judgement, args: list[str]) -> None:
    operands = parse(j, _PS, args).operands
    skip = False
    for operand in operands:
        if skip:
            skip = False
            continue
        if _PID_LIST.fullmatch(operand):
            continue
        for index, letter in enumerate(operand):
            if letter == "e":
                j.refuse(
                    "ps e prints every process's environment, where passwords and tokens "
                    "live; ps -e (with a dash) lists all processes"
                )
            if letter in _PS_BSD_VALUES:
                skip = index == len(operand) - 1
                break
            if letter not in _PS_BSD_FLAGS:
                j.ask(f"ps: {operand!r} is not a BSD option the judge knows")
                break


DF = getopt(
    flags="ahHiklPTv",
    values="Btx",
    longs="all human-readable si inodes local no-sync portability total print-type help version",
    long_values="block-size type exclude-type",
    long_optional="output",
    ask={"--sync": "flushes every filesystem's buffers before measuring"},
)

DU = getopt(
    flags="0abcDHhkLlmPSsx",
    values="Bdt",
    longs="null all apparent-size bytes total dereference-args human-readable inodes "
    "dereference count-links no-dereference separate-dirs si summarize one-file-system "
    "help version",
    long_values="block-size max-depth threshold exclude time-style",
    long_optional="time",
    refuse={
        "--files0-from": "reads the names to measure from a file, past the path checks",
    },
    ask_values={
        "-X": "reads exclusion patterns from a file",
        "--exclude-from": "reads exclusion patterns from a file",
    },
)


def du_command(j: Judgement, args: list[str]) -> None:
    list_paths(j, parse(j, DU, args).operands)
    j.filter_credential_lines = True


UPTIME = getopt(flags="psVh", longs="pretty since version help")

FREE = getopt(
    flags="bkmghltvwV",
    values="c",
    longs="bytes kilo mega giga tera peta kibi mebi gibi tebi pebi human si lohi total "
    "committed wide help version",
    long_values="count",
    refuse={"-s": REPEATS, "--seconds": REPEATS},
    checks={"-c": digits("count"), "--count": digits("count")},
)

DMESG = getopt(
    flags="HJkPprSuxdeTthV",
    values="fls",
    optional="L",
    longs="human json kernel nopager force-prefix raw noescape syslog userspace decode "
    "show-delta reltime ctime notime help version",
    long_values="facility level buffer-size time-format since until",
    long_optional="color",
    refuse={
        "-C": "clears the kernel ring buffer",
        "--clear": "clears the kernel ring buffer",
        "-c": "clears the kernel ring buffer after reading it",
        "--read-clear": "clears the kernel ring buffer after reading it",
        "-D": "turns off kernel messages on the console",
        "--console-off": "turns off kernel messages on the console",
        "-E": "turns on kernel messages on the console",
        "--console-on": "turns on kernel messages on the console",
        "-n": "sets the console log level",
        "--console-level": "sets the console log level",
        "-F": "reads an arbitrary file; read files with cat or get_logs (checked paths)",
        "--file": "reads an arbitrary file; read files with cat or get_logs (checked paths)",
        "-w": FOLLOW,
        "--follow": FOLLOW,
        "-W": FOLLOW,
        "--follow-new": FOLLOW,
    },
)


JOURNAL_FORMATS = words(
    "short short-precise short-iso short-iso-precise short-full short-monotonic "
    "short-unix short-delta verbose export json json-pretty json-sse json-seq cat with-unit"
)
_JOURNAL_ELSEWHERE = "reads journals from another directory, file or image; a person decides"
JOURNALCTL = getopt(
    flags="mkrxaqeNhl",
    values="SUctupgoF",
    optional="bn",
    longs="system user merge reverse show-cursor utc catalog no-hostname no-full full all "
    "no-tail quiet no-pager pager-end help version fields list-boots disk-usage verify "
    "header list-catalog dump-catalog dmesg",
    long_values="since until cursor after-cursor unit user-unit identifier priority "
    "facility grep output output-fields namespace field interval verify-key",
    long_optional="boot lines case-sensitive",
    lookahead={
        "b": r"-?\d+|[0-9a-f]{32}([+-]\d+)?|all",
        "boot": r"-?\d+|[0-9a-f]{32}([+-]\d+)?|all",
        "n": r"\+?\d+|all",
        "lines": r"\+?\d+|all",
    },
    refuse={
        "-f": FOLLOW,
        "--follow": FOLLOW,
        "--vacuum-size": "deletes journal files",
        "--vacuum-files": "deletes journal files",
        "--vacuum-time": "deletes journal files",
        "--rotate": "rotates the journal files (changes journald's state)",
        "--flush": "moves the journal from /run to /var (changes journald's state)",
        "--sync": "makes journald write to disk (changes journald's state)",
        "--relinquish-var": "makes journald stop writing to /var",
        "--smart-relinquish-var": "makes journald stop writing to /var",
        "--setup-keys": "generates sealing keys (writes key files)",
        "--force": "overrides the sealing keys with --setup-keys",
        "--update-catalog": "rewrites the message catalog database",
        "--cursor-file": "writes the cursor into a file",
    },
    ask_values={
        "-D": _JOURNAL_ELSEWHERE,
        "--directory": _JOURNAL_ELSEWHERE,
        "--file": _JOURNAL_ELSEWHERE,
        "-i": _JOURNAL_ELSEWHERE,
        "--root": _JOURNAL_ELSEWHERE,
        "--image": _JOURNAL_ELSEWHERE,
        "-M": "reads a container's journal; a person decides",
        "--machine": "reads a container's journal; a person decides",
    },
    checks={
        "-o": one_of(JOURNAL_FORMATS, "output format"),
        "--output": one_of(JOURNAL_FORMATS, "output format"),
    },
)


SYSTEMCTL_READ_VERBS = frozenset(
    words(
        "status show cat list-units list-unit-files list-sockets list-timers list-jobs "
        "list-dependencies list-automounts list-paths list-machines is-active is-enabled "
        "is-failed is-system-running get-default show-environment"
    )
)
SYSTEMCTL = getopt(
    flags="halrq",
    values="tpnoP",
    longs="help version system user all full recursive reverse with-dependencies "
    "show-types value quiet no-legend no-pager no-ask-password plain failed",
    long_values="type state property lines output legend timestamp",
    refuse={"-H": REMOTE, "--host": REMOTE, "-M": REMOTE, "--machine": REMOTE},
    ask_values={
        "--root": "works on unit files under another root; a person decides",
        "--image": "works on unit files in a disk image; a person decides",
    },
    checks={
        "-o": one_of(JOURNAL_FORMATS, "output format"),
        "--output": one_of(JOURNAL_FORMATS, "output format"),
    },
)


def systemctl_command(j: Judgement, args: list[str]) -> None:
    operands = parse(j, SYSTEMCTL, args).operands
    verb = operands[0] if operands else "list-units"
    if verb not in SYSTEMCTL_READ_VERBS:
        j.refuse(
            f"systemctl {verb} is not a read verb (allowed: "
            f"{', '.join(sorted(SYSTEMCTL_READ_VERBS))}); restart a service with "
            "restart_service, which asks first"
        )


LSBLK = getopt(
    flags="ADJMOPSabdfilmnprstyzhV",
    values="EIeowx",
    optional="T",
    longs="noempty discard json merge output-all pairs scsi all bytes nodeps fs ascii list "
    "perms noheadings paths raw inverse topology shell zoned help version",
    long_values="dedup include exclude output width sort",
    long_optional="tree",
    ask_values={"--sysroot": "reads device information under another root"},
)


LSCPU = getopt(
    flags="abBcJxyhV",
    optional="Cep",
    longs="all online bytes offline json hex physical output-all help version",
    long_optional="caches extended parse",
    ask_values={"-s": "reads CPU information under another root", "--sysroot": "another root"},
)


VMSTAT = getopt(
    flags="afmnsdDwtyhV",
    values="pS",
    longs="active forks slabs one-header stats disk disk-sum wide timestamp no-first help version",
    long_values="partition unit",
)


def interval_count(j: Judgement, operands: list[str]) -> None:
    """``[interval [count]]``: an interval without a count repeats forever."""
    if not all(DIGITS.fullmatch(o) for o in operands) or len(operands) > 2:
        j.ask(f"{j.program}: expected [interval [count]], got {' '.join(operands)!r}")
    elif len(operands) == 1 and operands[0] != "0":
        j.refuse(
            f"{j.program} {operands[0]} repeats until stopped and never returns: add a count "
            f"({j.program} {operands[0]} 5)"
        )


_JSON_ONLY = one_of(["JSON"], "output format")
IOSTAT = getopt(
    flags="cdhkmNstVxyzH",
    values="gjo",
    optional="p",
    lookahead={"p": r"ALL|[A-Za-z][\w,-]*"},
    longs="compact human pretty help",
    long_values="dec",
    checks={"-o": _JSON_ONLY},
)
MPSTAT = getopt(
    flags="AHnTuV",
    values="INPo",
    longs="help",
    long_values="dec",
    checks={"-o": _JSON_ONLY},
)
SAR = getopt(
    flags="ABbCdHhpqStvWwyzx",
    values="IiPnmsejf",
    optional="Fru",
    lookahead={"F": r"MOUNT", "r": r"ALL", "u": r"ALL"},
    longs="help human pretty",
    long_values="dec",
    refuse={"-o": "writes the samples into a data file"},
    checks={"-f": list_path_value},
)


TOP = getopt(
    flags="bcHiOSs1hV",
    values="dEenopUu",
    optional="w",
    longs="batch-mode cmdline-toggle threads-show idle-toggle list-fields "
    "accum-time-toggle secure-mode single-cpu-toggle help version",
    long_values="delay scale-summary-mem scale-task-mem iterations sort-override pid "
    "filter-any-user filter-only-euser",
    long_optional="width",
    checks={"-n": digits("iterations"), "--iterations": digits("iterations")},
)


def top_command(j: Judgement, args: list[str]) -> None:
    parsed = parse(j, TOP, args)
    no_operands(j, parsed.operands)
    if parsed.has("-h", "--help", "-V", "--version", "-O", "--list-fields"):
        return
    if not parsed.has("-b", "--batch-mode"):
        j.refuse("top without -b is interactive and never returns; use top -b -n 1")
    if not parsed.has("-n", "--iterations"):
        j.refuse(f"top -b without -n {REPEATS}; use top -b -n 1")


SYSCTL = getopt(
    flags="aAXbeNnqoxdhV",
    values="r",
    longs="all deprecated binary ignore names values quiet help version",
    long_values="pattern",
    refuse={
        "-w": "writes kernel parameters",
        "--write": "writes kernel parameters",
        "-p": "loads (writes) kernel parameters from a file",
        "-f": "loads (writes) kernel parameters from a file",
        "--load": "loads (writes) kernel parameters from a file",
        "--system": "loads (writes) kernel parameters from the system files",
    },
)


def sysctl_command(j: Judgement, args: list[str]) -> None:
    for operand in parse(j, SYSCTL, args).operands:
        if "=" in operand:
            j.refuse(f"sysctl {operand} sets a kernel parameter")


FINDMNT = getopt(
    flags="smkAabCcDefiJlnPRrUuvxyhV",
    values="dNOoSTMtw",
    permissive=True,
    refuse={"-p": REPEATS, "--poll": REPEATS},
    ask_values={"-F": "parses another file as a mount table", "--tab-file": "another file"},
)
_MOUNTS = "mounts a filesystem"
MOUNT = getopt(
    flags="lvh",
    values="t",
    longs="show-labels verbose help version",
    long_values="types",
    refuse={"-a": "mounts every filesystem in fstab", "--all": "mounts every filesystem"},
)


def mount_command(j: Judgement, args: list[str]) -> None:
    if parse(j, MOUNT, args).operands:
        j.refuse(f"mount with a device or directory {_MOUNTS}; list mounts with findmnt")


PGREP = getopt(permissive=True, refuse={"--signal": "pkill's option: sends signals"})
NPROC = getopt(longs="all help version", long_values="ignore")
