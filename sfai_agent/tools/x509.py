"""Certificate helpers: split PEM data, describe an X.509 certificate as a result dict.

Pure functions (no host access), shared by ``get_ssl_status`` and future checks.
:func:`split_pem` is the safety valve for reading certificate files: it keeps only
``CERTIFICATE`` blocks and merely *notes* that a private key was present, so key material
never travels further than the bytes buffer it was read into. ``cryptography`` is imported
lazily: the tool catalog must stay cheap to import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cryptography.x509 import Certificate

_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]{1,64})-----\r?\n(.*?)-----END \1-----", re.DOTALL)
_PRIVATE_KEY_MARK = re.compile(rb"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")
MAX_CERTIFICATES = 16


@dataclass(frozen=True)
class PemBundle:
    certificates: tuple[bytes, ...]
    """Each a complete ``-----BEGIN CERTIFICATE-----`` block, in file order."""
    has_private_key: bool
    other_blocks: tuple[str, ...]
    """Labels of other blocks (``DH PARAMETERS``...); their content is dropped."""


def split_pem(data: bytes | str) -> PemBundle:
    """Keep the certificate blocks of PEM data; drop everything else, keys included."""
    raw = data.encode("latin-1", errors="replace") if isinstance(data, str) else data
    certificates: list[bytes] = []
    others: list[str] = []
    for match in _PEM_BLOCK.finditer(raw):
        label = match.group(1).decode("ascii")
        if label == "CERTIFICATE":
            if len(certificates) < MAX_CERTIFICATES:
                certificates.append(match.group(0))
        elif "PRIVATE KEY" not in label:
            others.append(label)
    # A BEGIN line alone (a truncated key) counts too.
    has_key = _PRIVATE_KEY_MARK.search(raw) is not None
    return PemBundle(tuple(certificates), has_key, tuple(others))


def load_certificates(bundle: PemBundle) -> list[Certificate]:
    """Parse the bundle's certificates; a malformed one raises ValueError (without its data)."""
    from cryptography import x509

    loaded: list[Certificate] = []
    for index, block in enumerate(bundle.certificates):
        try:
            loaded.append(x509.load_pem_x509_certificate(block))
        except ValueError:
            raise ValueError(f"certificate #{index + 1} is not valid PEM/X.509") from None
    return loaded


def iso(moment: datetime) -> str:
    """ISO 8601 UTC with a ``Z``, seconds precision: ``2026-11-27T10:00:00Z``."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def hostname_matches(domain: str, pattern: str) -> bool:
    """RFC 6125 matching: ``*.example.com`` covers exactly one label (not example.com itself,
    not a.b.example.com). Unlike nginx's server_name wildcards."""
    domain, pattern = domain.lower().rstrip("."), pattern.lower().rstrip(".")
    if pattern == domain:
        return True
    if not pattern.startswith("*."):
        return False
    head, _, rest = domain.partition(".")
    return bool(head) and rest == pattern[2:] and "." in rest


def _cn(name: Any) -> str | None:
    from cryptography.x509.oid import NameOID

    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else None


def _sans(cert: Certificate) -> tuple[list[str], list[str]]:
    """(DNS names, IP addresses) of the subjectAltName extension."""
    from cryptography import x509

    try:
        extension = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return [], []
    dns = [str(n) for n in extension.value.get_values_for_type(x509.DNSName)]
    ips = [str(ip) for ip in extension.value.get_values_for_type(x509.IPAddress)]
    return dns, ips


def _key_description(cert: Certificate) -> str:
    from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return f"RSA {key.key_size}"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC {key.curve.name}"
    if isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        return type(key).__name__.removesuffix("PublicKey")
    return type(key).__name__


def _self_signed(cert: Certificate) -> bool:
    if cert.issuer != cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except Exception:  # wrong signature, unsupported key type...: not provably self-signed
        return False
    return True


def fingerprint_sha256(cert: Certificate) -> str:
    """Colon-separated upper-case hex, the way ``openssl x509 -fingerprint`` prints it."""
    from cryptography.hazmat.primitives import hashes

    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


def describe_certificate(
    cert: Certificate, *, domain: str | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """The facts an admin checks: names, issuer, validity window, identity, fitness for
    ``domain``. ``days_left`` is fractional (negative once expired)."""
    moment = now or datetime.now(UTC)
    not_after = cert.not_valid_after_utc
    dns_names, ips = _sans(cert)
    sans = dns_names + ips
    subject_cn = _cn(cert.subject)
    described: dict[str, Any] = {
        "subject": cert.subject.rfc4514_string(),
        "subject_cn": subject_cn,
        "sans": sans,
        "issuer": cert.issuer.rfc4514_string(),
        "issuer_cn": _cn(cert.issuer),
        "not_before": iso(cert.not_valid_before_utc),
        "not_after": iso(not_after),
        "days_left": round((not_after - moment).total_seconds() / 86_400, 2),
        "expired": not_after <= moment,
        "not_yet_valid": cert.not_valid_before_utc > moment,
        "serial": format(cert.serial_number, "x"),
        "fingerprint_sha256": fingerprint_sha256(cert),
        "self_signed": _self_signed(cert),
        "key": _key_description(cert),
        "signature_algorithm": getattr(cert.signature_hash_algorithm, "name", None),
    }
    if domain is not None:
        # Clients ignore the CN when a SAN extension is present (RFC 6125).
        names = dns_names if sans else [subject_cn or ""]
        described["matches_domain"] = domain in ips or any(
            hostname_matches(domain, n) for n in names if n
        )
    return described


def describe_chain(certs: list[Certificate]) -> list[dict[str, Any]]:
    """Short lines for the certificates after the leaf (intermediates)."""
    return [
        {
            "subject_cn": _cn(c.subject),
            "issuer_cn": _cn(c.issuer),
            "not_after": iso(c.not_valid_after_utc),
        }
        for c in certs[1:]
    ]


def expiry_phrase(days_left: float, not_after: str) -> str:
    """``expires in 3 days (2026-11-27)`` / ``expired 2 days ago (...)``, for summaries."""
    day = not_after[:10]
    if days_left < 0:
        ago = -days_left
        return f"EXPIRED {round(ago)} day(s) ago ({day})" if ago >= 1 else f"EXPIRED ({day})"
    if days_left < 1:
        return f"expires in {max(1, round(days_left * 24))} hour(s) ({day})"
    return f"expires in {int(days_left + 0.5)} days ({day})"
