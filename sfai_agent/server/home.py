"""The agent's home folder: key, certificate, token, policy file and audit log.

``SFAI_AGENT_HOME`` names it; without it, ``/etc/sfai-agent`` when running as root,
else the user's config dir (platformdirs: ``~/.config/sfai-agent`` on Linux). Every
secret file is created 0600 in a 0700 folder, written to a temporary name and renamed,
so a crash never leaves half a key and a reader never sees half a token.

The certificate is self-signed on purpose: clients pin its SHA-256 fingerprint (as SSH
pins host keys), so no CA is involved and the names in it matter only to tools that
look. ``cryptography`` is imported inside the functions that need it.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import secrets
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sfai_agent.server.protocol import fingerprint_of

HOME_ENV = "SFAI_AGENT_HOME"
SYSTEM_HOME = Path("/etc/sfai-agent")
TOKEN_BYTES = 32
"""256 bits from ``secrets``: ``secrets.token_urlsafe`` makes 43 URL-safe characters."""
CERT_VALID_DAYS = 3650


class HomeError(Exception):
    """The home folder is missing, incomplete or unreadable; the message says what to run."""


def default_home() -> Path:
    configured = os.environ.get(HOME_ENV, "").strip()
    if configured:
        return Path(configured).expanduser()
    if os.geteuid() == 0:
        return SYSTEM_HOME
    from platformdirs import user_config_dir

    return Path(user_config_dir("sfai-agent"))


@dataclass(frozen=True)
class AgentHome:
    root: Path

    @property
    def key_file(self) -> Path:
        return self.root / "key.pem"

    @property
    def cert_file(self) -> Path:
        return self.root / "cert.pem"

    @property
    def token_file(self) -> Path:
        return self.root / "token"

    @property
    def policy_file(self) -> Path:
        return self.root / "policy.toml"

    @property
    def audit_file(self) -> Path:
        return self.root / "audit.db"

    def exists(self) -> bool:
        return any(p.exists() for p in (self.key_file, self.cert_file, self.token_file))

    def require(self) -> None:
        """Raise :class:`HomeError` unless key, certificate and token are all there."""
        missing = [
            p.name for p in (self.key_file, self.cert_file, self.token_file) if not p.exists()
        ]
        if missing:
            raise HomeError(
                f"{self.root} has no {', '.join(missing)}: run `sfai-agent init` first "
                f"(or set {HOME_ENV} to the folder init created)"
            )

    def read_token(self) -> str:
        """The current token, read afresh each time so ``token rotate`` applies to a
        running agent without a restart."""
        try:
            token = self.token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise HomeError(
                f"cannot read the token file {self.token_file}: {exc.strerror}"
            ) from exc
        if not token:
            raise HomeError(f"{self.token_file} is empty: run `sfai-agent token rotate`")
        return token

    def fingerprint(self) -> str:
        """``SHA256:..`` of the certificate's DER bytes, as clients pin it. The standard
        library's PEM decoder is enough here: the daemon need not load ``cryptography``."""
        import ssl

        try:
            pem = self.cert_file.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not a PEM file"
            raise HomeError(
                f"cannot read the certificate {self.cert_file}: {reason}; "
                "run `sfai-agent init` first"
            ) from exc
        try:
            der = ssl.PEM_cert_to_DER_cert(pem)
        except ValueError as exc:
            raise HomeError(
                f"{self.cert_file} is not a PEM certificate: "
                "`sfai-agent init --force` makes a new one"
            ) from exc
        return fingerprint_of(der)


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` 0600, atomically (temporary file + rename)."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def rotate_token(home: AgentHome) -> str:
    """Replace the token; a running agent refuses the old one from its next ``hello``."""
    home.require()
    token = new_token()
    write_private(home.token_file, (token + "\n").encode())
    return token


def host_names() -> tuple[list[str], list[str]]:
    """DNS names and IP addresses for the certificate: this host's name(s) and addresses,
    plus localhost/127.0.0.1/::1 (tests and SSH tunnels connect there)."""
    names = ["localhost"]
    for name in (socket.gethostname(), socket.getfqdn()):
        if name and name not in names:
            names.append(name)
    addresses = ["127.0.0.1", "::1"]
    try:
        import psutil

        for entries in psutil.net_if_addrs().values():
            for entry in entries:
                if entry.family in (socket.AF_INET, socket.AF_INET6):
                    address = entry.address.split("%", 1)[0]
                    if address not in addresses:
                        addresses.append(address)
    except (ImportError, OSError):  # pragma: no cover - psutil is a dependency
        pass
    return names, addresses


def make_key_and_certificate() -> tuple[bytes, bytes]:
    """An EC P-256 key and a self-signed certificate for it, both PEM."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    names, addresses = host_names()
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, names[-1][:64]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sfai-agent"),
        ]
    )
    alt_names: list[x509.GeneralName] = [x509.DNSName(n) for n in names]
    for address in addresses:
        with contextlib.suppress(ValueError):
            alt_names.append(x509.IPAddress(ipaddress.ip_address(address)))
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=CERT_VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)


def init_home(home: AgentHome, *, force: bool = False) -> str:
    """Create key, certificate and token (and a commented policy file if there is none).
    Returns the token. An existing policy file and audit log are always kept."""
    from sfai_agent.server.policy_file import POLICY_TEMPLATE

    if home.exists() and not force:
        raise HomeError(
            f"{home.root} already holds an agent identity: clients pinned its fingerprint. "
            "Use `sfai-agent init --force` to replace key, certificate and token "
            "(every client must then be re-added)"
        )
    home.root.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(OSError):  # not ours to change (a shared dir): files stay 0600
        home.root.chmod(0o700)
    key_pem, cert_pem = make_key_and_certificate()
    token = new_token()
    write_private(home.key_file, key_pem)
    write_private(home.cert_file, cert_pem)
    write_private(home.token_file, (token + "\n").encode())
    if not home.policy_file.exists():
        write_private(home.policy_file, POLICY_TEMPLATE.encode())
    return token
