"""Is this name a secret's name, and does this value look like one?

Used for ``NAME=value`` style text (config files, ``.env``, JSON, command lines) and for
dict keys. Decisions read the name's *last word*: ``DB_PASSWORD`` and ``clientSecret`` are
secrets, ``PASSWORD_FILE``, ``token_type`` and ``secretName`` are not.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple


def words(text: str) -> frozenset[str]:
    """The whitespace-separated words of ``text``, for the word lists below."""
    return frozenset(text.split())


class NameClass(NamedTuple):
    kind: str
    """Placeholder kind: ``password``, ``secret``, ``token``, ``api-key``..."""
    strong: bool
    """A strong name masks any non-empty value; a weak one (``key``, ``auth``, ``session``)
    only values that look like credentials."""


PASSWORD = NameClass("password", True)
SECRET = NameClass("secret", True)
TOKEN = NameClass("token", True)
API_KEY = NameClass("api-key", True)
CREDENTIAL = NameClass("credential", True)
WEAK_KEY = NameClass("api-key", False)
WEAK_AUTH = NameClass("auth", False)
SESSION = NameClass("session", False)
SIGNATURE = NameClass("signature", False)
COOKIE = NameClass("cookie", True)
AUTHORIZATION = NameClass("authorization", True)
BEARER = NameClass("bearer-token", False)

_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")

# A name ending with one of these words describes a secret, it is not one.
_NOT_SECRET_LAST = words(
    """file files path paths dir directory name names type types url uri urls endpoint host
    hostname port user username login email length len size min max count limit expiry expires
    expired expiration ttl age timeout policy rotation changed reset required enabled disabled
    set exists prompt hint label field mode method format version versions ref refs arn store
    manager provider mount volume header param location algorithm algo strength history rules
    command cmd authentication authorized status state error errors failed failure success ok
    invalid missing refreshed rotated created deleted updated revoked issued generated used
    usage scope scopes audience issuer kind prefix suffix index id ids fingerprint env var vars
    source sources backend backends class helper helpers plugin store stores server servers
    service template templates endpoint length number lifetime duration interval period
    authorization mechanism mechanisms provider providers config configuration settings option
    options store id_token_hint reader writer"""
)
_KEY_NOT_SECRET_PREV = words(
    """public pub primary foreign sort partition cache routing idempotency object s3 map hash
    lookup row message dedup dedupe group unique composite surrogate natural index hot host
    config feature i18n translation label metric event column field item entry record ssh
    gpg pgp sign verify verification id cluster range shard bucket file registry"""
)
_KEY_WORDS_NOT_SECRET = words(
    """publickey pubkey hotkey monkey turkey whiskey jockey hockey donkey keys hostkey
    keyspace keyserver keyring keyboard keychain keyword keywords keyid keyfile keystore"""
)
_KEY_COMPOUNDS = words(
    """api secret access private auth master license signing encryption client app account
    shared preshared session service storage deploy query insert admin user encrypt crypt
    hmac jwt sign"""
)
_PASS_NOT_SECRET = words(
    """bypass compass trespass overpass underpass surpass encompass passes passed passing
    passive passthrough passenger passport"""
)
_PASS_DIRECTIVES = words("proxy fastcgi uwsgi scgi grpc memcached")
_TOKEN_NOT_SECRET_PREV = words(
    "next page continuation pagination cancellation sync resume cursor max input output total"
)


def is_public_qualifier(word: str) -> bool:
    """``public``, ``host``, ``sort``...: a word that makes the key after it a non-secret."""
    return word.lower() in _KEY_NOT_SECRET_PREV


def words_of(name: str) -> list[str]:
    """``DB_PASSWORD`` → ``[db, password]``; ``clientSecret`` → ``[client, secret]``."""
    return [w.lower() for w in _WORD.findall(name)]


@lru_cache(maxsize=4096)
def classify_name(name: str) -> NameClass | None:
    """What kind of secret a value under this name would be, or None."""
    words = words_of(name)
    while words and words[-1].isdigit():  # "Unseal Key 2"
        words.pop()
    if len(words) > 1 and words[-1] == "is":  # "the password is 'x'"
        words.pop()
    if not words:
        return None
    last = words[-1]
    prev = words[-2] if len(words) > 1 else ""
    if last in ("authorization", "authorisation"):
        return AUTHORIZATION
    if last == "cookie" or last == "cookies":
        return COOKIE
    if last in _NOT_SECRET_LAST:
        if last == "id" and prev in ("session", "sess"):
            return SESSION
        if last == "id" and prev == "secret":  # Vault AppRole secret_id
            return SECRET
        return None
    if last == "hash":
        return PASSWORD if any(w.startswith(("pass", "pwd")) for w in words) else None
    if last == "pass" and prev in _PASS_DIRECTIVES:
        return None  # nginx: proxy_pass http://backend
    if last.endswith(("password", "passwd", "passphrase")) or last in ("pwd", "pw", "pass"):
        return PASSWORD
    if last.endswith("pass") and last not in _PASS_NOT_SECRET:  # requirepass, sshpass
        return PASSWORD
    if last.endswith("secret") or last == "secrets" or "secret" in words[:-1]:
        return SECRET
    if last.endswith("token"):
        return None if prev in _TOKEN_NOT_SECRET_PREV else TOKEN
    if last in ("crumb", "pat", "apikey"):
        return API_KEY if last == "apikey" else TOKEN
    if last.endswith("key"):
        if last in _KEY_WORDS_NOT_SECRET or prev in _KEY_NOT_SECRET_PREV:
            return None
        if last == "key":
            return API_KEY if prev else WEAK_KEY  # STRIPE_KEY, AccountKey; a bare "key"
        return API_KEY if last[:-3] in _KEY_COMPOUNDS else WEAK_KEY  # apikey; pkey
    if last in ("credential", "credentials", "creds", "cred"):
        return CREDENTIAL
    if last in ("auth", "masterauth"):
        return CREDENTIAL if prev in ("basic", "http", "proxy") or last != "auth" else WEAK_AUTH
    if last in ("sessionid", "sessid", "jsessionid", "phpsessid", "session"):
        return SESSION
    if last in ("signature", "sig"):
        return SIGNATURE
    if last == "bearer":
        return BEARER
    if last == "unseal":  # vault operator unseal KEY
        return WEAK_KEY
    if any(w.endswith(("password", "passwd")) for w in words[:-1]) and last in ("value", "val"):
        return PASSWORD
    return None


_BENIGN_VALUES = words(
    """true false null none nil undefined yes no on off required optional sufficient
    requisite include files compat systemd sss ldap nis db empty n/a na - -- * ** *** ? ...
    redacted [redacted] <redacted> (redacted) hidden masked [masked] [filtered] filtered
    <hidden> unset new"""
)
_CODE_REFERENCE = re.compile(
    r"(?:process\.env\b|os\.environ\b|os\.getenv\b|ENV\[|\$_(?:POST|GET|ENV|SERVER|REQUEST)\b"
    r"|[A-Za-z_][\w.]{0,60}\()"
)
_VARIABLE = re.compile(
    r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|%[A-Za-z_][A-Za-z0-9_]*%|\$\([^()]*\)|\{\{[^{}]*\}\}"
    r"|<%=?[^%]*%>"
)
"""``$DB_PASSWORD``, ``${TOKEN}``, ``%PASS%``, ``{{ vault_pass }}``: a reference, not a value."""
_PATH = re.compile(r"(?:~|\.{1,2})?/[\w.@%+=:,/-]*")
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{1,20}://")
_CREDENTIAL_CHARS = re.compile(r"[A-Za-z0-9+/=_.~:!@#$%^&*-]{8,}")


def is_masked_already(value: str) -> bool:
    """``****``, ``xxxxxx``, ``•••``: someone masked it before us."""
    stripped = value.strip()
    return len(stripped) >= 3 and not stripped.strip("*xX•·.").strip()


def is_reference(value: str) -> bool:
    """A variable, template or path: what the diagnosis needs to see, not a secret."""
    return bool(_VARIABLE.fullmatch(value) or _PATH.fullmatch(value))


def value_is_secret(value: str, name: NameClass) -> bool:
    """Whether ``value`` (already unquoted) under a name of class ``name`` should be masked."""
    stripped = value.strip()
    if not stripped or stripped.lower() in _BENIGN_VALUES or is_masked_already(stripped):
        return False
    if stripped.startswith("[SECRET:"):
        return False
    if is_reference(stripped) or _URL.match(stripped) or _CODE_REFERENCE.match(stripped):
        return False
    if name.strong:
        return True
    return looks_like_credential(stripped)


def looks_like_credential(value: str) -> bool:
    """Long and random-looking enough to be a key: ``0tZn+7QQ...``, 32 hex digits, a UUID;
    not a word, a number, or a namespaced name like ``user:1610:profile``."""
    if len(value) < 12 or not _CREDENTIAL_CHARS.fullmatch(value):
        return False
    classes = (
        any(c.islower() for c in value)
        + any(c.isupper() for c in value)
        + any(c.isdigit() for c in value)
    )
    if classes == 3:
        return True
    return classes == 2 and len(value) >= 20 and not any(c in value for c in ":@.!#$%^&*~")
