"""run_command's allowlist: which argv run at once, which need a person, which never run.

``judge_command({"argv": [...]})`` returns a ``Verdict``:

- **ALLOW** — a read-only diagnostic command on the built-in allowlist, every argument
  checked against that command's rules (``ss -tlnp``, ``journalctl -u nginx -n 50``,
  ``systemctl status nginx``, ``tail -n 100 /var/log/syslog``).
- **ASK** — a command the judge cannot vouch for: a program not on the allowlist, or an
  option of an allowed program that the judge does not know. The person approves it in
  ``act`` mode; every other mode refuses it.
- **DENY** — refused whatever anyone says (a judge's DENY is final, no rule lifts it):
  shells, interpreters and command wrappers; programs that write, delete, kill or change
  configuration; options of allowed programs that do (``ss -K``, ``journalctl
  --vacuum-size``, ``find -exec``, ``git -c``, ``systemctl restart``); commands that never
  return (``tail -f``, ``journalctl -f``, ``watch``, interactive programs); credential
  files; paths that are relative or contain ``..``; argv items with control characters.

How argv is read. There is no shell, so ``;``, ``|``, ``$(...)``, globs and ``~`` are plain
characters: ``ss;id`` is one (refused) program name, not two commands. Options are parsed
the way each program parses them: GNU ``getopt_long`` (combined short flags ``-tulpn``,
values attached ``-n50`` or separate ``-n 50``, ``--opt=value`` or ``--opt value``,
options after operands, ``--`` ending options, and *abbreviated long options*: an
abbreviation of a refused option is refused, ``journalctl --vacuum-s=1`` is
``--vacuum-size``), single-dash long options (``find``, ``openssl``, ``ip``), BSD
clusters (``ps aux``) and subcommands (``systemctl``, ``docker``, ``git``). A value
consumed from the next argv item that itself looks like a refused option is refused, so
a misread arity cannot smuggle one through.

The program is a plain name (``[A-Za-z0-9][A-Za-z0-9._+-]*``, ASCII only: no look-alike
letters) found on the host's PATH, or an absolute path in a system binary directory.
Hijacking PATH on the host is out of scope: whoever can do that already runs code there.

Paths given to commands that read or list files (``cat``, ``head``, ``tail``, ``grep``,
``wc``, ``ls``, ``stat``, ``find``, ``du``, ``git -C``, ``nginx -c``...) must be absolute,
contain no ``..``, and pass ``policy.credentials``; the judge is pure, so the tool
resolves each of them on the host (symlinks included) and checks the result again before
anything runs. Recursive listers' output lines naming credential files are dropped.

Layout: ``judge`` (argv and program checks, the entry points) looks a program up in
``refused`` (programs refused outright) and ``allowlist`` (program → rules). The rules are
built from ``parsing`` (options, operand rules) and ``paths`` (path arguments), and grouped
by family: ``system``, ``host``, ``files``, ``network``, ``openssl``, ``services``,
``git``. ``judgement`` holds what the judge found, and reasons several rules share.
"""

from __future__ import annotations

from sfai_agent.policy.commands.files import GREP, LS, TAIL, WC
from sfai_agent.policy.commands.host import DATE
from sfai_agent.policy.commands.judge import (
    MAX_ARG_CHARS,
    MAX_ARGS,
    TRUSTED_BIN_DIRS,
    analyse_command,
    judge_command,
)
from sfai_agent.policy.commands.judgement import Judgement
from sfai_agent.policy.commands.network import CURL, NETSTAT
from sfai_agent.policy.commands.parsing import Getopt
from sfai_agent.policy.commands.paths import (
    LIST,
    NGINX_CONF,
    NGINX_CONF_ROOT,
    READ,
    check_path,
    normalise_path,
    path_refusal,
)
from sfai_agent.policy.commands.services import DOCKER_GLOBAL
from sfai_agent.policy.commands.system import DF, DMESG, DU, FREE, JOURNALCTL, SS, SYSTEMCTL

__all__ = [
    "CURL",
    "DATE",
    "DF",
    "DMESG",
    "DOCKER_GLOBAL",
    "DU",
    "FREE",
    "GREP",
    "JOURNALCTL",
    "LIST",
    "LS",
    "MAX_ARGS",
    "MAX_ARG_CHARS",
    "NETSTAT",
    "NGINX_CONF",
    "NGINX_CONF_ROOT",
    "READ",
    "SS",
    "SYSTEMCTL",
    "TAIL",
    "TRUSTED_BIN_DIRS",
    "WC",
    "Getopt",
    "Judgement",
    "analyse_command",
    "check_path",
    "judge_command",
    "normalise_path",
    "path_refusal",
]
