"""Secrets recognised by their context: ``password=...``, ``"apiKey": "..."``, ``--token X``,
``Authorization: Bearer ...``, ``Cookie: ...``, ``postgres://user:PASS@host``, ``mysql -pX``.

One combined pattern finds the *name words* (``pass``, ``secret``, ``token``, ``key``...) in
lower, Capitalised and UPPER case, each followed by the rest of the name, a separator and a
value. What the name means and whether the value is worth masking is decided in Python,
on the (rare) matches only. All repetitions are bounded: matching is linear.
"""

from __future__ import annotations

import re

from sfai_agent.redact.names import (
    AUTHORIZATION,
    BEARER,
    COOKIE,
    PASSWORD,
    NameClass,
    classify_name,
    is_public_qualifier,
    is_masked_already,
    looks_like_credential,
    value_is_secret,
)
from sfai_agent.redact.spans import Span
from sfai_agent.redact.tokens import trie_pattern

# Name words, each only where it ends a word: "key" but not "keyring", "auth" but not
# "Author", "sig" but not "signal". Lower and Capitalised variants end before a lowercase
# letter, UPPER ones before an uppercase letter ("keyStore" and "KEY_ID" still match).
_ANCHORS = (
    "pass", "password", "passwd", "passphrase", "pwd", "secret", "secrets", "token", "key",
    "cred", "creds", "credential", "credentials", "auth", "authorization", "session",
    "sessionid", "sessid", "sig", "signature", "crumb", "cookie", "bearer", "unseal", "pat",
)


def _anchor_entries() -> list[tuple[str, str]]:
    entries = []
    for word in _ANCHORS:
        entries.append((word, "(?![a-z])"))
        entries.append((word.capitalize(), "(?![a-z])"))
        entries.append((word.upper(), "(?![A-Z])"))
    entries += [("sonar.login", ""), ("sonarLogin", "")]
    return entries


_VALUE = (
    r"(?P<v>"
    r'\\"(?:[^"\\\r\n]){1,2048}'  # \"value\" inside an escaped JSON string
    r"|\\'(?:[^'\\\r\n]){1,2048}"
    r'|"(?:[^"\\\r\n]|\\.){1,2048}'
    r"|'(?:[^'\\\r\n]|\\.){1,2048}"
    r"|`[^`\r\n]{1,2048}"
    r"|[^\s\"'`;,&<>\\{\[(|][^\s\"'`;,&<>\\]{0,2047}"
    r")"
)
_ASSIGNMENT = re.compile(
    "(?P<a>" + trie_pattern(_anchor_entries()) + ")"
    r"(?P<n>[A-Za-z0-9_.-]{0,48}+(?:[ ][A-Za-z0-9][A-Za-z0-9_.-]{0,24}+){0,2})"
    r"(?P<q>\\?[\"'])?"
    r"[ \t]{0,16}"
    r"(?:(?P<s>=>|:=|[!=]==?|[:=,(>])[ \t]{0,16}|(?<=[ \t]))" + _VALUE
)
_NAME_BACK = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
_FLAG_VALUE_COMMANDS = ("requirepass", "masterauth", "unseal", "bearer")

_AUTH_VALUE = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9-]{1,30}[ \t]+)?(?P<cred>[^\s\"'`,;\\]{1,4096})"
)
_AUTH_LIST_SCHEMES = ("digest", "aws4-hmac-sha256", "hoba", "mutual", "oauth")
_COOKIE_PAIR = re.compile(r"[ \t]*(?P<name>[^=;\s\"']{1,128})=(?P<value>[^;\r\n\"'\\]{0,4096})")
_COOKIE_ATTRIBUTES = frozenset(
    "path domain expires max-age samesite secure httponly priority partitioned version comment".split()
)
_URL_CREDENTIALS = re.compile(
    r"://(?P<user>[^\s:/?#@\"'<>\[\]{}|\\^`]{0,256}):(?P<pw>[^\s/?#\"'<>\\]{1,512})@"
)
_MYSQL_TAIL = (
    r"[a-z-]{0,12}(?=[ \t])[^\n]{0,300}?[ \t]-p"
    r"(?P<v>'[^'\r\n]{1,512}'|\"[^\"\r\n]{1,512}\"|[^\s'\"-][^\s'\"]{0,511})"
)
_CURL_TAIL = (
    r"\b[\s\S]{0,400}?\s(?:-u|--user)[ \t=]{1,3}[\"']?"
    r"(?P<v>[^\s:'\"]{1,256}:[^\s'\"]{1,512})"
)
_USER_THEN_PASSWORD = re.compile(  # docker login -u U -p P, psexec -u U -p P
    r"-u[ \t]{1,4}[^\s-][^\s]{0,127}[ \t]{1,4}-p[ \t]{1,4}(?P<v>[^\s-][^\s]{0,255})"
)
_SSHPASS = re.compile(r"sshpass[ \t]{1,4}-p[ \t]{0,4}(?P<v>[^\s-][^\s]{0,255})")
_DIRECTORY_ENTRY = re.compile(  # DirectoryEntry("LDAP://...", "user", "password")
    r"DirectoryEntry\([^()]{0,300}?,\s{0,40}\"(?P<v>[^\"\r\n]{1,256})\"\s{0,8}\)"
)
_PASSWORD_FOR_USER = re.compile(  # the password for (the) user "x" is "y"
    r"assword for (?:the )?user [\"']?[^\s\"']{1,64}[\"']? is (?P<v>\"[^\"\r\n]{1,256}\"|'[^'\r\n]{1,256}')"
)
_IDENTIFIED_TAIL = (
    r"[ \t]{1,8}(?:(?:WITH|with)[ \t]{1,8}[\w'\"]{1,64}[ \t]{1,8})?"
    r"(?:BY|by|AS|as)[ \t]{1,8}(?:(?:PASSWORD|password)[ \t]{1,8})?"
    r"(?P<v>'[^'\r\n]{1,512}'|\"[^\"\r\n]{1,512}\")"
)
_REDIS_CLI = re.compile(r"redis-cli\b[^\n]{0,300}?[ \t]-a[ \t]+(?P<v>[^\s'\"]{1,512})")
_JENKINS = re.compile(r"password to proceed to installation:\s{1,8}(?P<v>[0-9a-f]{32})")
_AZURE_ID = re.compile(r";Id=(?P<v>[^;\s\"']{4,200});Secret=")
_SAS_SIG = re.compile(r"sig=(?<=[?&]sig=)(?P<v>[A-Za-z0-9%+/=]{20,200})")
_TRUENAS = re.compile(r"login_with_api_key\"[^\[\]]{0,40}\[\s{0,8}\"(?P<v>[^\"]{8,200})\"")
_QUOTED = re.compile(r"\"((?:[^\"\\\r\n]|\\.){0,2048})\"|'((?:[^'\\\r\n]|\\.){0,2048})'")


def find_in_context(text: str, out: list[Span]) -> None:
    """Append spans for secrets recognised by the name or header in front of them."""
    search = _ASSIGNMENT.search
    position = 0
    while (match := search(text, position)) is not None:
        # A rejected match gives its value back: "params => 'user=a password=b'" holds one.
        position = match.end() if _on_assignment(text, match, out) else match.start("v")
    if "://" in text:
        for match in _URL_CREDENTIALS.finditer(text):
            password = match.group("pw")
            if not password.startswith("[SECRET:") and not is_masked_already(password):
                out.append((match.start("pw"), match.end("pw"), "password", 1))
    for gates, pattern, kind in _SPECIALS:
        if any(gate in text for gate in gates):
            for match in pattern.finditer(text):
                group = match.lastgroup or "v"
                _emit_value(match.start(group), match.end(group), text, kind, out)


_SPECIALS = (
    (("mysql",), re.compile("mysql" + _MYSQL_TAIL), "password"),
    (("mariadb",), re.compile("mariadb" + _MYSQL_TAIL), "password"),
    (("IDENTIFIED",), re.compile("IDENTIFIED" + _IDENTIFIED_TAIL), "password"),
    (("identified",), re.compile("identified" + _IDENTIFIED_TAIL), "password"),
    (("curl",), re.compile("curl" + _CURL_TAIL), "basic-auth"),
    (("wget",), re.compile("wget" + _CURL_TAIL), "basic-auth"),
    (("-p",), _USER_THEN_PASSWORD, "password"),
    (("sshpass",), _SSHPASS, "password"),
    (("DirectoryEntry",), _DIRECTORY_ENTRY, "password"),
    (("assword for",), _PASSWORD_FOR_USER, "password"),
    (("redis-cli",), _REDIS_CLI, "password"),
    (("password to proceed",), _JENKINS, "password"),
    ((";Id=",), _AZURE_ID, "azure-key"),
    (("sig=",), _SAS_SIG, "signature"),
    (("login_with_api_key",), _TRUENAS, "api-key"),
)


def _emit_value(start: int, end: int, text: str, kind: str, out: list[Span]) -> None:
    if end - start >= 2 and text[start] in "'\"" and text[end - 1] == text[start]:
        start, end = start + 1, end - 1
    if end > start and not text.startswith("[SECRET:", start):
        out.append((start, end, kind, 1))


def _name_start(text: str, anchor: int) -> int:
    start = anchor
    limit = max(0, anchor - 64)
    while start > limit and text[start - 1] in _NAME_BACK:
        start -= 1
    return start


def _on_assignment(text: str, match: re.Match[str], out: list[Span]) -> bool:
    """Append the value's span if this name=value holds a secret; whether it did."""
    start = _name_start(text, match.start())
    name = text[start : match.end("n")]
    separator = match.group("s")
    value_start, value_end = match.span("v")
    quote = text[value_start] if text[value_start] in "\"'`\\" else ""
    if quote == "\\":
        value_start += 2
    elif quote:
        value_start += 1
    words = name.lower().split()
    if len(words) > 1 and words[-1] == "is":  # "the password is 'x'"
        name_class = classify_name(" ".join(words[:-1]))
        if name_class is None or not quote:
            return False
    else:
        name_class = classify_name(name)
    if name_class is None or _vetoed_by_previous_word(text, start, name):
        return False
    if name_class is AUTHORIZATION:
        return (separator in (":", "=", "=>") or bool(quote)) and _authorization(
            text, value_start, out
        )
    if name_class is COOKIE:
        return separator in (":", "=") and _cookies(text, value_start, out)
    if separator is None and match.group("q") and text.startswith("value=", value_start):
        # <add key="SmtpPassword" value="x" />
        quoted = _QUOTED.match(text, value_start + 6)
        if quoted is None:
            return False
        group = 1 if quoted.group(1) is not None else 2
        value_start, value_end = quoted.span(group)
        separator, quote = "=", '"'
    if not _separator_ok(text, start, name, name_class, separator, quote, match):
        return False
    if not quote:
        value_end = _trim_unbalanced(text, value_start, value_end)
    if separator == "(":
        return _call_arguments(text, value_start - (1 if quote else 0), name_class, out)
    value = text[value_start:value_end]
    if not value_is_secret(value, name_class):
        return False
    if name_class is BEARER and not looks_like_credential(value):
        return False
    out.append((value_start, value_end, name_class.kind, 1))
    return True


def _vetoed_by_previous_word(text: str, start: int, name: str) -> bool:
    """``public key: ...``, ``host key: ...``: the word before the name says it is public."""
    if start < 2 or text[start - 1] != " ":
        return False
    word_start = _name_start(text, start - 1)
    return is_public_qualifier(text[word_start : start - 1])


def _separator_ok(
    text: str,
    start: int,
    name: str,
    name_class: NameClass,
    separator: str | None,
    quote: str,
    match: re.Match[str],
) -> bool:
    if separator in ("=", ":", "=>", ":=", "==", "===", "!=", "!=="):
        if separator == ":" and name.lower() == "passwd":
            return False  # the program: "passwd:amd64", "(passwd:chauthtok)", nsswitch.conf
        return not (start and text[start - 1] in "/<")
    if separator == ",":  # define('DB_PASSWORD', 'x'), env('API_TOKEN', 'x')
        before = text[max(0, start - 3) : start].rstrip(" \"'")
        return bool(quote and match.group("q") and before[-1:] in ("(", ","))
    if separator == ">":  # <password>x</password>
        return start > 0 and text[start - 1] == "<"
    if separator == "(":  # NetworkCredential("user", "pass")
        return name_class.kind in ("credential", "password") and quote == '"'
    # whitespace only: `password 'x'` (Gradle, SQL), but not prose like "in secret 'x'"
    if quote:
        return name_class is PASSWORD or name.startswith("-")
    lowered = name.lower()
    if name.startswith("-") or lowered.endswith(_FLAG_VALUE_COMMANDS):
        return not text.startswith("-", match.start("v"))
    if name_class is PASSWORD and lowered in ("password", "passwd"):
        return "login" in text[max(0, start - 200) : start]  # .netrc: login U password P
    return name_class is BEARER


def _trim_unbalanced(text: str, start: int, end: int) -> int:
    """``(using password: YES)``: the closing bracket belongs to the text around the value."""
    while end > start and text[end - 1] in ")]}":
        opening = "([{"[")]}".index(text[end - 1])]
        if text.count(opening, start, end) >= text.count(text[end - 1], start, end):
            break
        end -= 1
    return end


def _authorization(text: str, start: int, out: list[Span]) -> bool:
    match = _AUTH_VALUE.match(text, start)
    if match is None:
        return False
    scheme = (match.group("scheme") or "").strip().lower()
    cred_start, cred_end = match.span("cred")
    if scheme in _AUTH_LIST_SCHEMES or "=" in text[cred_start:cred_end].rstrip("="):
        stop = cred_start
        while stop < len(text) and text[stop] not in "\r\n\"'`\\":
            stop += 1
        cred_end = stop
    kind = {"basic": "basic-auth", "bearer": "bearer-token"}.get(scheme, "auth-token")
    if not text.startswith("[SECRET:", cred_start):
        out.append((cred_start, cred_end, kind, 1))
    return True


def _cookies(text: str, start: int, out: list[Span]) -> bool:
    position = start
    end = len(text)
    for _ in range(64):
        match = _COOKIE_PAIR.match(text, position, end)
        if match is None:
            break
        name = match.group("name").lower()
        value_start, value_end = match.span("value")
        value = match.group("value").strip()
        if name not in _COOKIE_ATTRIBUTES and value and not value.startswith("[SECRET:"):
            out.append((value_start, value_end, "cookie", 1))
        position = match.end()
        if position >= end or text[position] != ";":
            break
        position += 1
    return position > start


def _call_arguments(text: str, start: int, name_class: NameClass, out: list[Span]) -> bool:
    """``NetworkCredential("user", "password")``: mask the last quoted argument."""
    close = text.find(")", start, start + 1024)
    if close == -1:
        return False
    last = None
    for quoted in _QUOTED.finditer(text, start, close):
        last = quoted
    if last is not None:
        group = 1 if last.group(1) is not None else 2
        if last.group(group):
            out.append((last.start(group), last.end(group), name_class.kind, 1))
            return True
    return False
