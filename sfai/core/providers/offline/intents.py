"""Reading a question: its language, what it is about, and the names it mentions.

Matching works on a normalised copy (lower case, accents removed, one kind of apostrophe),
word by word, so "Mémoire", "memoire" and "MEMOIRE" are the same word; a word of five
letters or more that is one edit (or one swap) away from a known word counts as it
("memroy", "nignx"). Names (services, domains, paths) are taken only where the sentence
says what they are, and must pass the same identifier patterns the tools enforce.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from sfai.core.providers.offline.vocabulary import (
    ACTIONS,
    DEFINITION,
    DEPLOY,
    DOMAIN,
    ENGLISH,
    ERRORS,
    FILE_SUFFIXES,
    FRENCH,
    FULL,
    HOWTO,
    LOG_PATTERNS,
    NO_FUZZ,
    PAST,
    PATH,
    PHRASES,
    REJECT,
    SCRIPT_THINGS,
    SCRIPT_VERBS,
    SERVICE_PATTERNS,
    SERVICE_WORDS,
    SINCE,
    TROUBLE,
    VOCABULARY,
    WORDS,
    Intent,
)
from sfai_agent.policy.identifiers import DOMAIN_PATTERN, SERVICE_PATTERN


@dataclass(frozen=True)
class Understanding:
    """What a question asks, as far as the offline diagnostician can tell."""

    question: str
    lang: str
    intents: frozenset[Intent] = frozenset()
    services: tuple[str, ...] = ()
    log_sources: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    wants_errors: bool = False
    since: str | None = None
    out_of_scope: tuple[str, ...] = ()
    """Why (part of) it cannot be answered here: ``script``, ``deploy``, ``definition``."""
    actions: tuple[str, ...] = ()
    """Actions asked for by name: ``restart``, ``renew``, ``clean``."""
    past: bool = False
    vague: bool = False
    """Only trouble words ("why does it fail?"): a general look, or none when text is piped."""
    access_log: bool = False
    words: frozenset[str] = field(default_factory=frozenset)


def normalize(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u00a0", " ").lower()
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain.replace("\u0153", "oe").replace("\u00e6", "ae")


def _close(a: str, b: str) -> bool:
    """One edit or one swap of neighbours apart (optimal string alignment distance <= 1)."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return a == b
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def _correct(word: str) -> str:
    if word in VOCABULARY or len(word) < 5 or word in NO_FUZZ or word.isdigit():
        return word
    for known in sorted(VOCABULARY):
        if len(known) >= 5 and _close(word, known):
            return known
    return word


def detect_language(question: str) -> str:
    words = re.findall(r"[a-z0-9]+", normalize(question))
    french = sum(1 for w in words if w in FRENCH)
    english = sum(1 for w in words if w in ENGLISH)
    if re.search(r"[àâçéèêëîïôùûœ]", question.lower()):
        french += 2
    return "fr" if french > english else "en"


def _clean_name(raw: str) -> str | None:
    name = raw.strip(".:,;!?'\"")
    name = name.removesuffix(".service")
    if (
        len(name) < 2
        or name in REJECT
        or (name in VOCABULARY and name not in SERVICE_WORDS)
        or name.isdigit()
        or "__" in name
        or ".." in name
        or not SERVICE_PATTERN.fullmatch(name)
    ):
        return None
    return name


def _names(patterns: tuple[re.Pattern[str], ...], text: str) -> list[str]:
    """Names the patterns capture; a rejected candidate ("the logs" in "errors in the logs
    of worker") does not hide a later match that overlaps it."""
    found: list[str] = []
    for pattern in patterns:
        position = 0
        while match := pattern.search(text, position):
            name = _clean_name(match.group(1))
            if name and name not in found:
                found.append(name)
            position = match.start() + 1
    return found


def _since(text: str) -> str | None:
    match = SINCE.search(text)
    if match:
        unit = {"j": "d"}.get(match.group(2)[0], match.group(2)[0])
        return f"{match.group(1)}{unit}"
    if re.search(r"\b(?:last hour|derniere heure)\b", text):
        return "1h"
    if re.search(r"\b(?:yesterday|hier)\b", text):
        return "1d"
    return None


def _extract(question: str) -> tuple[str, list[str], list[str]]:
    """(normalised text with paths and domains replaced, paths, domains).

    Paths are read from the question as written (they are case-sensitive), domains from
    the lower-cased text."""
    paths: list[str] = []
    for match in PATH.finditer(question):
        path = match.group(1).rstrip(".,;:!?)")
        if ".." not in path and path not in paths and (path == "/" or len(path) > 1):
            paths.append(path)
    text = normalize(PATH.sub(" __path__ ", question))
    domains: list[str] = []
    for match in DOMAIN.finditer(text):
        domain = match.group(1)
        if domain.rsplit(".", 1)[1] in FILE_SUFFIXES or not DOMAIN_PATTERN.fullmatch(domain):
            continue
        if domain not in domains:
            domains.append(domain)
    return DOMAIN.sub(" __domain__ ", text), paths, domains


def _topics(words: list[str], joined: str) -> tuple[set[Intent], set[Intent]]:
    """(topics named, topics named by a phrase such as "is everything ok")."""
    wordset = set(words)
    by_phrase = {i for i in Intent if any(f" {p} " in joined for p in PHRASES.get(i, ()))}
    by_word = {i for i in Intent if wordset & WORDS[i]}
    return by_phrase | by_word, by_phrase


def _scope(words: list[str], joined: str) -> tuple[list[str], list[str]]:
    """(reasons the question is out of scope, reasons part of it is)."""
    wordset = set(words)
    blocking: list[str] = []
    if wordset & SCRIPT_THINGS and wordset & (SCRIPT_VERBS | {"bash", "python", "shell"}):
        blocking.append("script")
    if wordset & DEPLOY:
        blocking.append("deploy")
    if DEFINITION.match(joined):
        blocking.append("definition")
    partial = ["howto"] if HOWTO.match(joined) else []
    return blocking, partial


def understand(question: str) -> Understanding:
    rest, paths, domains = _extract(question)
    rest = rest.replace("'", " ").replace("-", " ")
    raw = re.findall(r"[a-z0-9_]+", rest)
    words = [_correct(w) for w in raw]
    joined = " " + " ".join(words) + " "
    wordset = frozenset(words)
    intents, by_phrase = _topics(words, joined)
    # Names are read from the words as typed: "crashy" must not become "crash".
    as_typed = " " + " ".join(raw) + " "
    services = _names(SERVICE_PATTERNS, as_typed)
    log_sources = _names(LOG_PATTERNS, as_typed)
    if services:
        intents.add(Intent.SERVICE)
    if log_sources:
        intents.add(Intent.LOGS)
    if wordset & FULL and not intents & {Intent.MEMORY, Intent.LOGS}:
        intents.add(Intent.DISK)
    if any(p.startswith("/var/log/") for p in paths):
        intents.add(Intent.LOGS)
    wants_errors = bool(wordset & ERRORS)
    if wants_errors and (services or paths or "nginx" in wordset):
        intents.add(Intent.LOGS)  # "errors of nginx", "erreurs dans /var/log/x"
    if domains and not intents & {Intent.CERT, Intent.WEB}:
        intents.add(Intent.WEB)
    vague = not intents and bool(wordset & TROUBLE or wants_errors)
    if vague:
        intents.add(Intent.HEALTH)
    if Intent.WEB in intents and "nginx" in services:
        intents.add(Intent.SERVICE)
    if (
        Intent.LOGS in intents
        and Intent.WEB not in by_phrase
        and wordset & WORDS[Intent.WEB] <= {"nginx"}
    ):
        intents.discard(Intent.WEB)  # "nginx error log": nginx names the log
    if Intent.HEALTH not in by_phrase and len(intents) > 1:
        intents.discard(Intent.HEALTH)  # "status of crashy" is about crashy, not everything
    blocking, partial = _scope(words, joined)
    if blocking:
        intents = set()
        services, log_sources, domains, paths = [], [], [], []
    return Understanding(
        question=question,
        lang=detect_language(question),
        intents=frozenset(intents),
        services=tuple(services[:3]),
        log_sources=tuple(log_sources[:3]),
        domains=tuple(domains[:3]),
        paths=tuple(paths[:3]),
        wants_errors=wants_errors,
        since=_since(joined),
        out_of_scope=tuple(blocking + partial),
        actions=tuple(name for name, verbs in ACTIONS.items() if wordset & verbs),
        past=bool(PAST.search(joined)),
        vague=vague,
        access_log="access" in wordset,
        words=wordset,
    )


__all__ = ["Intent", "Understanding", "detect_language", "normalize", "understand"]
