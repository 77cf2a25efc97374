"""What ``sfai`` with no command shows until the TUI lands: this host's health and a tour."""

from __future__ import annotations

import typer

from sfai.cli import output
from sfai.core.exit_codes import ExitCode

TOUR = """
sfai — what you can do now (offline, no API key needed):
  sfai ask "why is nginx down?"      a diagnosis in plain English or French
  journalctl -u app | sfai ask "why does it crash?"
  sfai check                         health of this host (exit 5 when problems are found)
  sfai tools list                    the read-only tools sfai's assistant uses
  sfai tools run get_disk_usage --arg path=/var
  sfai tools run get_logs --arg source=/var/log/syslog --arg grep=error
  sfai tools run get_ssl_status --arg domain=example.com
  sfai config init                   a commented config file to adjust thresholds and roots
"""


def welcome() -> None:
    from sfai.cli.check_cmd import check

    output.info(TOUR.strip("\n"))
    output.info("")
    try:
        check(host=None, as_json=False)
    except typer.Exit as exc:
        if exc.exit_code not in (ExitCode.OK, ExitCode.PROBLEMS_FOUND):
            raise
