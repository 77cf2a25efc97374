"""certbot as ``renew_certificate`` drives it: its argv, its certificate list, a lineage's
renewal config, and what a ``renew`` run said.

Why parse ``certbot certificates`` rather than read /etc/letsencrypt ourselves: certbot is the
authority on which lineages it manages (a renewal config it cannot parse is not renewed) and
the listing carries the domains, the expiry and the live paths in one call. The format has
been stable since certbot 0.x (``Certificate Name:``, ``Domains:``, ``Expiry Date:``,
``Certificate Path:``); newer lines (``Serial Number:``, ``Key Type:``) are read when present.

The renewal config (``CONFIG/renewal/NAME.conf``) is read only for the few plain settings the
result shows (the ACME server, the authenticator, ``renew_before_expiry``): it holds no key
material, and the lineage's private key is never read.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sfai_agent.exec.base import CommandResult, ExecutorError
from sfai_agent.tools.base import JSON, ToolContext, ToolError

LE_PRODUCTION = "https://acme-v02.api.letsencrypt.org/directory"
DEFAULT_RENEW_BEFORE_DAYS = 30
"""certbot's default: a lineage is due 30 days before it expires."""
MAX_RENEWAL_CONF_BYTES = 65_536
OUTPUT_LINES = 20
CERT_NAME = re.compile(r"[A-Za-z0-9*][A-Za-z0-9*._-]{0,252}")
"""certbot names lineages after their first domain (``example.com-0001`` for a second one)."""
_FIELD = re.compile(r"^\s{2,}([A-Za-z ]+):\s*(.*?)\s*$")
_EXPIRY = re.compile(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})([+-]\d{2}:\d{2})?\s*(?:\((.*)\))?$")
_CONF_LINE = re.compile(r"^\s*([A-Za-z_]+)\s*=\s*(.*?)\s*$")
_DURATION = re.compile(r"^\s*(\d+)\s*(d|day|days|w|week|weeks)?\s*$", re.IGNORECASE)
_NOISE = ("Saving debug log to", "- - - -")
INSTALL_HINT = "install it (apt install certbot), or set tools.certbot_binary to its path"


@dataclass(frozen=True)
class Lineage:
    """One certificate certbot manages, as ``certbot certificates`` lists it."""

    name: str
    domains: tuple[str, ...]
    certificate_path: str
    expiry: str | None
    """ISO 8601 UTC (``2031-11-24T18:04:31Z``), None when certbot printed something else."""
    validity: str
    """certbot's own verdict: ``VALID: 29 days``, ``INVALID: EXPIRED``, ``INVALID: TEST_CERT``."""
    serial: str | None

    @property
    def live_dir(self) -> str:
        return posixpath.dirname(self.certificate_path)

    @property
    def config_dir(self) -> str:
        """``CONFIG`` of ``CONFIG/live/NAME/fullchain.pem``: where renewal/NAME.conf lives."""
        return posixpath.dirname(posixpath.dirname(self.live_dir))

    def as_json(self) -> JSON:
        return {
            "name": self.name,
            "domains": list(self.domains),
            "certificate_path": self.certificate_path,
            "expiry": self.expiry,
            "validity": self.validity,
            "serial": self.serial,
        }


@dataclass(frozen=True)
class RenewalConf:
    server: str | None
    authenticator: str | None
    renew_before_expiry: str | None
    """As written in the file (``30 days``); None: certbot's default."""
    webroot_path: str | None

    def renew_before_days(self) -> int:
        match = _DURATION.match(self.renew_before_expiry or "")
        if match is None:
            return DEFAULT_RENEW_BEFORE_DAYS
        unit = (match.group(2) or "d").lower()
        return int(match.group(1)) * (7 if unit.startswith("w") else 1)


def base_argv(ctx: ToolContext, binary: str | None = None) -> list[str]:
    """certbot plus the configured global arguments (``--config-dir``...), before a subcommand."""
    return [binary or ctx.settings.certbot_binary, *ctx.settings.certbot_args]


def shown(argv: list[str]) -> str:
    """An argv as a person would type it (quoted where needed), for summaries and hints."""
    return shlex.join(argv)


def _iso_expiry(text: str) -> tuple[str | None, str]:
    match = _EXPIRY.match(text)
    if match is None:
        return None, text
    moment = datetime.fromisoformat(match.group(1) + (match.group(2) or "+00:00"))
    iso = moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return iso, match.group(3) or ""


def parse_certificates(text: str) -> list[Lineage]:
    """The lineages of ``certbot certificates`` output (empty for ``No certificates found``)."""
    found: list[Lineage] = []
    current: dict[str, str] = {}

    def flush() -> None:
        name, path = current.get("certificate name"), current.get("certificate path")
        if name and path:
            expiry, validity = _iso_expiry(current.get("expiry date", ""))
            found.append(
                Lineage(
                    name=name,
                    domains=tuple(current.get("domains", "").split()),
                    certificate_path=path,
                    expiry=expiry,
                    validity=validity,
                    serial=current.get("serial number"),
                )
            )
        current.clear()

    for line in text.splitlines():
        match = _FIELD.match(line)
        if match is None:
            continue
        key, value = match.group(1).strip().lower(), match.group(2)
        if key == "certificate name":
            flush()
        current[key] = value
    flush()
    return found


def parse_renewal_conf(text: str) -> RenewalConf:
    """The top-level and ``[renewalparams]`` keys we show; sections below are ignored."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        if line.lstrip().startswith("[["):
            break  # [[webroot_map]] and other sub-sections: not needed
        match = _CONF_LINE.match(line)
        if match and not line.lstrip().startswith("#"):
            values.setdefault(match.group(1), match.group(2).strip("'\""))
    webroot = values.get("webroot_path", "").strip(", ") or None
    return RenewalConf(
        server=values.get("server"),
        authenticator=values.get("authenticator"),
        renew_before_expiry=values.get("renew_before_expiry"),
        webroot_path=webroot,
    )


async def renewal_conf(ctx: ToolContext, lineage: Lineage) -> tuple[RenewalConf | None, str]:
    """The lineage's renewal config, or None and why it could not be read."""
    path = posixpath.join(lineage.config_dir, "renewal", f"{lineage.name}.conf")
    try:
        data = await ctx.executor.read_file(path, max_bytes=MAX_RENEWAL_CONF_BYTES)
    except ExecutorError as exc:
        return None, f"{path}: {exc.message}"
    return parse_renewal_conf(data.decode("utf-8", errors="replace")), path


def due_from(expiry: str | None, conf: RenewalConf | None) -> str | None:
    """When ``certbot renew`` starts renewing: expiry minus ``renew_before_expiry``."""
    if expiry is None:
        return None
    days = conf.renew_before_days() if conf else DEFAULT_RENEW_BEFORE_DAYS
    moment = datetime.fromisoformat(expiry.replace("Z", "+00:00")) - timedelta(days=days)
    return moment.isoformat().replace("+00:00", "Z")


def dry_run_server_argv(conf: RenewalConf | None, ctx: ToolContext) -> list[str]:
    """``--server URL`` for a dry-run against the CA the renewal config names.

    certbot's ``--dry-run`` switches to Let's Encrypt's staging server unless ``--server`` is
    given on the command line, even when the lineage was issued by another CA. So: Let's
    Encrypt production (or no server) -> nothing (certbot picks staging); any other ACME
    server -> that server, so the rehearsal talks to the CA that will really renew it.
    """
    if conf is None or not conf.server or conf.server == LE_PRODUCTION:
        return []
    if any(a == "--server" or a.startswith("--server=") for a in ctx.settings.certbot_args):
        return []
    server = conf.server
    if not server.startswith("https://") or any(c.isspace() or ord(c) < 32 for c in server):
        return []  # not something we pass on; certbot uses its own default
    return [f"--server={server}"]


async def list_lineages(ctx: ToolContext, binary: str) -> list[Lineage]:
    """``certbot [args] certificates``, parsed; ``unavailable`` when certbot cannot answer."""
    argv = [*base_argv(ctx, binary), "certificates"]
    try:
        result = await ctx.executor.run(argv, timeout=max(ctx.settings.command_timeout_s, 20.0))
    except ExecutorError as exc:
        raise ToolError(
            "unavailable", f"`{shown(argv)}` could not run: {exc.message}", exc.hint
        ) from None
    if not result.ok:
        raise ToolError(
            "unavailable",
            f"`{shown(argv)}` failed (exit {result.returncode}): {gist(result, 3)}",
            "certbot usually needs root; with another layout set tools.certbot_args "
            "(--config-dir, --work-dir, --logs-dir)",
        )
    return parse_certificates(result.stdout) or parse_certificates(result.stderr)


def output_lines(result: CommandResult, limit: int = OUTPUT_LINES) -> list[str]:
    """certbot's messages without its separators and log-file chatter, the last ``limit``."""
    lines = [line.rstrip() for line in (result.stdout + "\n" + result.stderr).splitlines()]
    kept: list[str] = []
    for line in lines:
        bare = line.strip()
        if kept and kept[-1] == "Processing" and bare.startswith("/"):
            kept[-1] = f"Processing {bare}"  # certbot wraps long paths onto their own line
        elif bare and not bare.startswith(_NOISE):
            kept.append(line)
    return kept[-limit:]


def gist(result: CommandResult, lines: int = 2) -> str:
    return "; ".join(line.strip() for line in output_lines(result, lines))[:400]


def renew_outcome(result: CommandResult) -> str:
    """``renewed`` / ``not_due`` / ``failed``, from certbot's exit code and its own words."""
    text = result.stdout + "\n" + result.stderr
    if not result.ok or "renew failure" in text or "Failed to renew" in text:
        return "failed"
    if "not yet due for renewal" in text or "No renewals were attempted" in text:
        return "not_due"
    return "renewed"


def failure_reason(result: CommandResult) -> str:
    """What went wrong, in certbot's words: the CA's first problem (``DOMAIN: TYPE: DETAIL``,
    e.g. the challenge URL that returned 404) when it reported one, else certbot's
    ``Failed to renew certificate X with error: ...`` or error line."""
    lines = [line.strip() for line in output_lines(result, 60)]
    problem: dict[str, str] = {}
    for line in lines:
        key, _, value = line.partition(":")
        if key in ("Domain", "Type", "Detail") and key not in problem:
            problem[key] = value.strip()
    if "Detail" in problem:
        parts = [problem.get("Domain", ""), problem.get("Type", ""), problem["Detail"]]
        return ": ".join(p for p in parts if p)[:400]
    for line in lines:
        if "with error:" in line or line.startswith(("Error", "An unexpected error")):
            return line[:400]
    return gist(result, 2)
