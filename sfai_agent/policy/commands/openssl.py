"""openssl's rules: single-dash options, ``-opt=value`` accepted, no abbreviations.

Certificates are read (``x509``) and local TLS endpoints checked (``s_client``); keys are
never read, made or used, and nothing is written.
"""

from __future__ import annotations

import re

from sfai_agent.policy.commands.judgement import WRITES_FILE, Judgement
from sfai_agent.policy.commands.parsing import words
from sfai_agent.policy.commands.paths import READ, check_path

_OPENSSL_LOADS_CODE = "loads a shared library into openssl (runs code)"
_OPENSSL_GLOBAL_REFUSED = {
    "engine": _OPENSSL_LOADS_CODE,
    "provider": _OPENSSL_LOADS_CODE,
    "provider-path": _OPENSSL_LOADS_CODE,
}
_X509_FLAGS = frozenset(
    words(
        "noout text subject issuer dates startdate enddate fingerprint serial hash subject_hash "
        "issuer_hash subject_hash_old issuer_hash_old email ocsp_uri ocspid pubkey modulus "
        "purpose sha1 sha256 sha384 sha512 md5 nocert alias trustout help"
    )
)
_X509_VALUES = frozenset(words("nameopt certopt ext checkend inform outform dateopt"))
_X509_REFUSED = {
    "out": WRITES_FILE,
    "signkey": "signs with a private key",
    "key": "reads a private key",
    "CA": "signs a certificate",
    "CAkey": "reads a CA private key",
    "CAserial": "writes a serial file",
    "CAcreateserial": "writes a serial file",
    "req": "signs a request",
    "x509toreq": "makes a request with a private key",
    "new": "creates a certificate",
    "set_serial": "changes the certificate",
    "extfile": "reads an extension file to sign with",
    "force_pubkey": "changes the certificate",
    "passin": "reads a password",
    "clrtrust": "changes trust settings",
    "addtrust": "changes trust settings",
    "setalias": "changes the certificate",
}
_S_CLIENT_FLAGS = frozenset(
    words(
        "showcerts brief status verify_return_error tls1_2 tls1_3 no_tls1_3 no_tls1_2 crlf "
        "quiet prexit state debug msg nbio ign_eof no_ign_eof no_ticket help ct noct"
    )
)
_S_CLIENT_VALUES = frozenset(
    words(
        "connect servername alpn verify verify_hostname cipher ciphersuites sigalgs groups "
        "curves host port name"
    )
)
_S_CLIENT_REFUSED = {
    "cert": "reads a private key or client certificate",
    "key": "reads a private key",
    "pass": "reads a password",
    "keylogfile": "writes TLS secrets into a file",
    "sess_out": WRITES_FILE,
    "msgfile": WRITES_FILE,
    "sess_in": "reads a session file",
    "psk": "uses a pre-shared key",
    "psk_identity": "uses a pre-shared key",
    "psk_session": "reads a session file",
}
_LOCALHOST = re.compile(r"(localhost|127(\.\d{1,3}){3}|\[::1\]|::1)(:\d+)?")
_OPENSSL_REFUSED_SUBCOMMANDS = frozenset(
    words(
        "genrsa genpkey gendsa rsa pkey pkeyutl ec ecparam dsa req ca enc pkcs12 pkcs8 rsautl "
        "smime cms engine s_server srp ts spkac storeutl kdf mac"
    )
)


def _openssl_options(
    j: Judgement,
    args: list[str],
    flags: frozenset[str],
    values: frozenset[str],
    refused: dict[str, str],
    paths: frozenset[str] = frozenset(),
) -> dict[str, str]:
    seen: dict[str, str] = {}
    i = 0
    while i < len(args):
        item = args[i]
        i += 1
        if not item.startswith("-") or item in ("-", "--"):
            j.ask(f"openssl: unexpected argument {item!r}")
            continue
        name, eq, value = item.lstrip("-").partition("=")
        if name in _OPENSSL_GLOBAL_REFUSED:
            j.refuse(f"openssl -{name}: {_OPENSSL_GLOBAL_REFUSED[name]}")
        if name in refused:
            j.refuse(f"openssl -{name}: {refused[name]}")
        if name in flags:
            seen[name] = ""
            continue
        if name in values or name in paths:
            if not eq:
                if i >= len(args):
                    j.ask(f"openssl -{name} needs a value")
                    continue
                value = args[i]
                i += 1
            if name in paths:
                check_path(j, value, READ)
            seen[name] = value
            continue
        j.ask(f"openssl: option -{name} is not on the allowlist")
    return seen


def openssl_command(j: Judgement, args: list[str]) -> None:
    for item in args:
        name = item.lstrip("-").partition("=")[0]
        if item.startswith("-") and name in _OPENSSL_GLOBAL_REFUSED:
            j.refuse(f"openssl -{name}: {_OPENSSL_GLOBAL_REFUSED[name]}")
    if not args:
        j.refuse("openssl without a command is an interactive prompt")
    sub, rest = args[0], args[1:]
    if sub in ("version", "ciphers", "help", "list"):
        for item in rest:
            if not item.startswith("-"):
                j.ask(f"openssl {sub}: unexpected argument {item!r}")
        return
    if sub == "x509":
        _openssl_options(j, rest, _X509_FLAGS, _X509_VALUES, _X509_REFUSED, frozenset(("in",)))
        return
    if sub == "s_client":
        seen = _openssl_options(
            j,
            rest,
            _S_CLIENT_FLAGS,
            _S_CLIENT_VALUES,
            _S_CLIENT_REFUSED,
            frozenset(("CAfile", "CApath")),
        )
        target = seen.get("connect", "")
        if not _LOCALHOST.fullmatch(target):
            j.ask(
                f"openssl s_client connects to {target or 'localhost:443'}: a connection "
                "to another host needs a person's approval (get_ssl_status checks a domain)"
            )
        return
    if sub in _OPENSSL_REFUSED_SUBCOMMANDS:
        j.refuse(f"openssl {sub} creates, converts or uses keys, or writes files")
    j.ask(f"openssl {sub} is not on the allowlist")
