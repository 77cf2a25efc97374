"""Secrets recognised by their context: ``password=...``, ``"apiKey": "..."``, ``--token X``,
``Authorization: Bearer ...``, ``Cookie: ...``, ``postgres://user:PASS@host``, ``mysql -pX``.

One combined pattern finds the *name words* (``pass``, ``secret``, ``token``, ``key``...) in
lower, Capitalised and UPPER case, each followed by the rest of the name, a separator and a
value. Each word is found from its rarest letters (``cret`` for secret, ``h`` for auth), so
the regex engine stops at few positions. What the name means and whether the value is worth
masking is decided in Python, on the matches only. All repetitions are bounded: linear time.
"""

from __future__ import annotations

import re

from sfai_agent.redact.headers import (
    QUOTED,
    authorization,
    call_arguments,
    cookies,
    trim_unbalanced,
)
from sfai_agent.redact.names import (
    AUTHORIZATION,
    BEARER,
    COOKIE,
    PASSWORD,
    NameClass,
    classify_name,
    is_masked_already,
    is_public_qualifier,
    is_reference,
    looks_like_credential,
    value_is_secret,
)
from sfai_agent.redact.scan import CAPITAL, LETTER, LETTERS, SEPARATOR, Window, literal
from sfai_agent.redact.spans import Span
from sfai_agent.redact.tokens import trie_pattern

# Name words. Each is searched from its first letter in "pcukb" (the trigger letters, rare
# enough in logs): "secret" from "cret", "auth" from "uth". Each only where the word ends:
# "key" but not "keyring", "auth" but not "Author". The first group may be followed by a
# bare word after whitespace (.netrc "password P", "requirepass P", "Bearer T", curl).
_WORD_VALUE_ANCHORS = ("pass", "password", "passwd", "auth", "bearer", "curl", "unseal")
_ANCHORS = (
    "passphrase",
    "pwd",
    "pat",
    "secret",
    "secrets",
    "token",
    "key",
    "cred",
    "creds",
    "credential",
    "credentials",
    "authorization",
    "signature",
    "crumb",
    "cookie",
)
_NAME_CLASS = f"[A-Za-z0-9{SEPARATOR}{LETTER}{CAPITAL}]"


def _anchor_trie(words: tuple[str, ...]) -> str:
    entries = []
    for word in words:
        upper = f"A-Z{LETTER}{CAPITAL}"  # a capital may read as a marker in the copy
        variants = [
            (word, f"a-z{LETTER}"),
            (word.capitalize(), f"a-z{LETTER}"),
            (word.upper(), upper),
        ]
        for variant, case in variants[:1] if word == "curl" else variants:
            first = next(i for i, char in enumerate(variant) if char in LETTERS)
            behind = f"(?<={literal(variant)})" if first else ""
            searched = literal(variant[first + 1 :])
            entries.append((searched, f"{behind}(?![{case}])"))
    return trie_pattern(entries)


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
    (
        re.escape(LETTER)
        + f"(?:(?P<w>{_anchor_trie(_WORD_VALUE_ANCHORS)})|{_anchor_trie(_ANCHORS)})"
        + f"(?P<n>{_NAME_CLASS}{{0,48}}+(?:[ ][A-Za-z0-9{LETTER}{CAPITAL}]{_NAME_CLASS}{{0,24}}+){{0,2}})"
        + r"(?P<q>\\?[\"'])?"
        + r"[ \t]{0,16}"
        + r"(?:(?P<s>=>|:=|[!=]==?|[:=,(>])[ \t]{0,16}|(?<=[ \t])(?=[\"'`\\])|(?(w)(?<=[ \t])|(?!)))"
        + _VALUE
    ).encode("latin-1")
)
_NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-"
_WORD_VALUE_COMMANDS = ("requirepass", "masterauth", "bearer", "unseal")
_CLEAR_SEPARATORS = ("=", ":", "=>", ":=", "==", "===", "!=", "!==")

_URL_CREDENTIALS = re.compile(
    r"://(?P<user>[^\s:/?#@\"'<>\[\]{}|\\^`]{0,256}):(?P<pw>[^\s/?#\"'<>\\]{1,512})@"
)
_MYSQL_TAIL = (
    r"[a-z-]{0,12}(?=[ \t])[^\n]{0,300}?[ \t]-p"
    r"(?P<v>'[^'\r\n]{1,512}'|\"[^\"\r\n]{1,512}\"|[^\s'\"-][^\s'\"]{0,511})"
)
_LITERAL_SPECIALS = (
    ("mysql", re.compile("mysql" + _MYSQL_TAIL)),
    ("mariadb", re.compile("mariadb" + _MYSQL_TAIL)),
    (
        "identified",
        re.compile(  # lowercase SQL; IDENTIFIED BY is a token rule
            r"identified[ \t]{1,8}(?:with[ \t]{1,8}[\w'\"]{1,64}[ \t]{1,8})?(?:by|as)[ \t]{1,8}"
            r"(?:password[ \t]{1,8})?(?P<v>'[^'\r\n]{1,512}'|\"[^\"\r\n]{1,512}\")"
        ),
    ),
    ("sig=", re.compile(r"sig=(?<=[?&]sig=)(?P<v>[A-Za-z0-9%+/=]{20,200})")),
)
_FLAG = re.compile(  # --token X, --api-key X: the value follows a space
    r"--(?P<n>[A-Za-z][A-Za-z0-9_.-]{0,40}+)[ \t]{1,8}"
    r"(?P<v>'[^'\r\n]{1,512}'|\"[^\"\r\n]{1,512}\"|[^\s'\"-][^\s'\"]{0,511})"
)
# Forms starting at a name word, tried when the name says so.
_CURL_USER = re.compile(
    r"curl\b[\s\S]{0,400}?\s(?:-u|--user)[ \t=]{1,3}[\"']?(?P<v>[^\s:'\"]{1,256}:[^\s'\"]{1,512})"
)
_SSHPASS = re.compile(r"sshpass[ \t]{1,4}-p[ \t]{0,4}(?P<v>[^\s-][^\s]{0,255})")
_JENKINS = re.compile(r"password to proceed to installation:\s{1,8}(?P<v>[0-9a-f]{32})")
_PASSWORD_FOR_USER = re.compile(
    r"password for (?:the )?user [\"']?[^\s\"']{1,64}[\"']? is "
    r"(?P<v>\"[^\"\r\n]{1,256}\"|'[^'\r\n]{1,256}')",
    re.IGNORECASE,
)
_NAME_SPECIALS = {
    "curl": (_CURL_USER, "basic-auth"),
    "sshpass": (_SSHPASS, "password"),
    "password to proceed": (_JENKINS, "password"),
    "password for ": (_PASSWORD_FOR_USER, "password"),
}
_NAME_SPECIAL_TRIGGER = re.compile("|".join(_NAME_SPECIALS), re.IGNORECASE)


def find_in_context(text: str, out: list[Span]) -> None:
    """Append spans for the forms found in the whole text: ``--flag X``, URL passwords,
    ``mysql -pX``, lowercase ``identified by``, ``sig=``."""
    if "--" in text:
        for flag in _FLAG.finditer(text):
            name_class = classify_name(flag.group("n"))
            value = flag.group("v").strip("'\"")
            if name_class is not None and value_is_secret(value, name_class):
                _emit_value(flag.start("v"), flag.end("v"), text, name_class.kind, out)
    if "://" in text:
        for url in _URL_CREDENTIALS.finditer(text):
            password = url.group("pw")
            if not (
                password.startswith("[SECRET:")
                or is_masked_already(password)
                or is_reference(password)
            ):
                out.append((url.start("pw"), url.end("pw"), "password", 1))
    for gate, pattern in _LITERAL_SPECIALS:
        if gate in text:
            for special in pattern.finditer(text):
                _emit_value(special.start("v"), special.end("v"), text, "password", out)


def find_assignments(window: Window, out: list[Span]) -> None:
    """Append spans for ``name = value`` forms whose name starts in ``window``."""
    text = window.text
    copy = window.copy()
    search = _ASSIGNMENT.search
    position = window.own_start - window.start  # earlier name words: the previous window's
    limit = window.own_end - window.start
    while (assignment := search(copy, position)) is not None and assignment.start() < limit:
        # A rejected match gives its value back: "params => 'user=a password=b'" holds one.
        accepted = _on_assignment(text, window.start, assignment, out)
        position = assignment.end() if accepted else assignment.start("v")


def _emit_value(start: int, end: int, text: str, kind: str, out: list[Span]) -> bool:
    if end - start >= 2 and text[start] in "'\"" and text[end - 1] == text[start]:
        start, end = start + 1, end - 1
    if end <= start or text.startswith("[SECRET:", start):
        return False
    out.append((start, end, kind, 1))
    return True


def _name_start(text: str, anchor: int) -> int:
    window = text[max(0, anchor - 64) : anchor]
    return anchor - (len(window) - len(window.rstrip(_NAME_CHARS)))


def _on_assignment(text: str, offset: int, match: re.Match[bytes], out: list[Span]) -> bool:
    """Append the value's span if this name=value holds a secret; whether it did. ``match``
    is in a window's copy, ``offset`` characters into ``text``."""
    start = _name_start(text, offset + match.start())
    name = text[start : offset + match.end("n")]
    name_class = classify_name(name)  # cached: most names met are not secrets
    if name_class is None:
        return _name_special(text, start, name, out)
    separator = (
        text[offset + match.start("s") : offset + match.end("s")] if match.start("s") >= 0 else None
    )
    value_start, value_end = offset + match.start("v"), offset + match.end("v")
    quote = text[value_start] if text[value_start] in "\"'`\\" else ""
    if quote == "\\":
        value_start += 2
    elif quote:
        value_start += 1
    closed = match.start("q") >= 0
    if separator is None and closed and text.startswith("value=", value_start):
        quoted = QUOTED.match(text, value_start + 6)  # <add key="SmtpPassword" value="x" />
        if quoted is None:
            return False
        group = 1 if quoted.group(1) is not None else 2
        value_start, value_end = quoted.span(group)
        separator, quote = "=", '"'
    elif (
        separator is None
        and not quote
        and not name.startswith("-")
        and not _word_value_allowed(text, start, name)
    ):
        # Whitespace and a bare word: only flags, netrc and a few commands take that form.
        return _name_special(text, start, name, out)
    if name.endswith((" is", " IS", " Is")) and not quote:
        return False  # "the password is 'x'" needs its quotes
    if _vetoed_by_previous_word(text, start):
        return False
    if name_class is AUTHORIZATION:
        return (separator in (":", "=", "=>") or bool(quote)) and authorization(
            text, value_start, out
        )
    if name_class is COOKIE:
        return separator in (":", "=") and cookies(text, value_start, out)
    if not _separator_ok(text, start, name, name_class, separator, quote, closed):
        return _name_special(text, start, name, out)
    if separator == "(":
        return call_arguments(text, value_start - (1 if quote else 0), name_class, out)
    if not quote:
        value_end = trim_unbalanced(text, value_start, value_end)
    value = text[value_start:value_end]
    if not value_is_secret(value, name_class):
        return False
    if name_class is BEARER and not looks_like_credential(value):
        return False
    out.append((value_start, value_end, name_class.kind, 1))
    return True


def _word_value_allowed(text: str, start: int, name: str) -> bool:
    lowered = name.lower()
    if lowered.endswith(_WORD_VALUE_COMMANDS):
        return True
    # .netrc: "machine H login U password P"
    return lowered in ("password", "passwd") and "login" in text[max(0, start - 200) : start]


def _name_special(text: str, start: int, name: str, out: list[Span]) -> bool:
    """Forms that start at the name word but do not read ``name = value``."""
    trigger = _NAME_SPECIAL_TRIGGER.search(name)
    if trigger is None:
        return False
    pattern, kind = _NAME_SPECIALS[trigger.group().lower()]
    found = pattern.match(text, start + trigger.start())
    return found is not None and _emit_value(found.start("v"), found.end("v"), text, kind, out)


def _vetoed_by_previous_word(text: str, start: int) -> bool:
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
    closed: bool,
) -> bool:
    if separator in _CLEAR_SEPARATORS:
        if separator == ":" and name.lower() == "passwd" and not quote:
            # the program, not a setting: "passwd:amd64", "(passwd:chauthtok)"
            end = start + len(name) + 1
            return end < len(text) and text[end] in " \t"
        return not (start and text[start - 1] in "/<")  # "</password>" closes a tag
    if separator == ",":  # define('DB_PASSWORD', 'x'), env('API_TOKEN', 'x')
        before = text[max(0, start - 3) : start].rstrip(" \"'")
        return bool(quote and closed and before[-1:] in ("(", ","))
    if separator == ">":  # <password>x</password>
        return start > 0 and text[start - 1] == "<"
    if separator == "(":  # NetworkCredential("user", "pass")
        return name_class.kind in ("credential", "password") and quote == '"'
    # whitespace: `password 'x'` (Gradle, SQL), `--token X`; not prose like "in secret 'x'"
    if name.startswith("-"):
        return True
    if quote:
        return name_class is PASSWORD
    return True  # checked by _word_value_allowed
