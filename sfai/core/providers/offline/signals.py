"""What log lines say: problem counts, known failure signatures, the most recent lines.

Used on text piped into ``sfai ask`` and on the lines the log tools return. Every pattern
is linear (no nested quantifiers) and lines are cut before matching, so hostile input
costs what its length costs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sfai.core.providers.offline.intents import Intent

MAX_LINES = 20_000
LINE_CHARS = 2_000
QUOTE_LINES = 5
QUOTE_CHARS = 240

LEVELS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        ("error", r"\b(?:error|errors|err|crit|critical|alert|emerg|severe|failed|failure)\b"),
        ("warning", r"\b(?:warn|warning)\b"),
        ("fatal", r"\b(?:fatal|panic)\b"),
        ("exception", r"\b(?:exception|traceback)\b"),
        ("refused", r"\brefused\b"),
        ("timeout", r"\b(?:timeout|timed out)\b"),
    )
)


@dataclass(frozen=True)
class Signature:
    key: str
    pattern: re.Pattern[str]
    intent: Intent | None
    """The topic whose tools can confirm it on the server."""
    english: str
    french: str
    title: str
    """Short English phrase for the finding's title."""
    severity: str = "warning"


def _sig(
    key: str,
    pattern: str,
    intent: Intent | None,
    title: str,
    english: str,
    french: str,
    severity: str = "warning",
) -> Signature:
    return Signature(
        key, re.compile(pattern, re.IGNORECASE), intent, english, french, title, severity
    )


SIGNATURES: tuple[Signature, ...] = (
    _sig(
        "upstream_refused",
        r"\(111: Connection refused\) while connecting to upstream",
        Intent.WEB,
        "nginx's backend refuses connections",
        "nginx cannot reach the backend it forwards to{at}: \"connection refused\" means "
        "nothing listens there, so the app behind the site is down (or listens on another "
        "port). That is what makes nginx answer 502 Bad Gateway.",
        "nginx n'arrive pas à joindre le backend vers lequel il transfère{at} : « connection "
        "refused » signifie que rien n'écoute à cette adresse, donc l'application derrière le "
        "site est arrêtée (ou écoute sur un autre port). C'est ce qui fait répondre 502 Bad "
        "Gateway à nginx.",
        "critical",
    ),
    _sig(
        "upstream_timeout",
        r"upstream timed out|\(110: Connection timed out\) while (?:connecting to|reading)",
        Intent.WEB,
        "nginx's backend does not answer in time",
        "the backend{at} is too slow to answer, or hangs: nginx gives up and answers 504.",
        "le backend{at} met trop de temps à répondre, ou est bloqué : nginx abandonne et "
        "répond 504.",
    ),
    _sig(
        "no_live_upstreams",
        r"no live upstreams",
        Intent.WEB,
        "no backend of the upstream group is available",
        "nginx has marked every server of the upstream group{at} as down after failures.",
        "nginx a marqué tous les serveurs du groupe upstream{at} comme indisponibles.",
        "critical",
    ),
    _sig(
        "upstream_closed",
        r"upstream prematurely closed connection",
        Intent.WEB,
        "the backend closes connections mid-answer",
        "the backend{at} closed the connection in the middle of an answer: it probably "
        "crashed or restarted while handling the request.",
        "le backend{at} a fermé la connexion au milieu d'une réponse : il a probablement "
        "planté ou redémarré pendant la requête.",
    ),
    _sig(
        "no_space",
        r"no space left on device|\bENOSPC\b|disk quota exceeded",
        Intent.DISK,
        "a filesystem is full",
        "a filesystem is full: writes fail until space is freed.",
        "un système de fichiers est plein : les écritures échouent tant que de la place "
        "n'est pas libérée.",
        "critical",
    ),
    _sig(
        "oom",
        r"out of memory|oom-kill|oom_reaper|killed process \d+|cannot allocate memory|"
        r"\bMemoryError\b|OutOfMemoryError|allowed memory size of \d+ bytes exhausted",
        Intent.MEMORY,
        "memory ran out",
        "memory ran out: the kernel killed a process (OOM killer) or a program could not "
        "allocate memory.",
        "la mémoire a manqué : le noyau a tué un processus (OOM killer) ou un programme n'a "
        "pas pu allouer de mémoire.",
        "critical",
    ),
    _sig(
        "tls",
        r"SSL_do_handshake|certificate (?:has )?expired|certificate verify failed|"
        r"SSL routines|cannot load certificate|PEM_read_bio|self[- ]signed certificate|"
        r"tls handshake",
        Intent.CERT,
        "TLS/certificate errors",
        "TLS handshakes fail: an expired, unreadable or wrong certificate, or clients that "
        "do not trust it.",
        "les négociations TLS échouent : certificat expiré, illisible ou incorrect, ou des "
        "clients qui ne lui font pas confiance.",
    ),
    _sig(
        "nginx_emerg",
        r"\[emerg\]",
        Intent.WEB,
        "nginx rejects its configuration",
        "nginx rejected its configuration: it will not start or reload until the line it "
        "names is fixed.",
        "nginx a refusé sa configuration : il ne démarrera ni ne se rechargera tant que la "
        "ligne indiquée n'est pas corrigée.",
        "critical",
    ),
    _sig(
        "permission",
        r"permission denied|\bEACCES\b|operation not permitted|\(13: ",
        None,
        "permission denied",
        "a process lacks the rights on a file, directory or socket: compare the owner and "
        "mode of the path in the line with the user the process runs as.",
        "un processus n'a pas les droits sur un fichier, un répertoire ou une socket : "
        "comparez le propriétaire et les droits du chemin cité avec l'utilisateur du "
        "processus.",
    ),
    _sig(
        "address_in_use",
        r"address already in use|\(98: ",
        None,
        "a port is already taken",
        "another process already listens on that port: two services want the same port, or "
        "an old instance still runs.",
        "un autre processus écoute déjà sur ce port : deux services veulent le même port, ou "
        "une ancienne instance tourne encore.",
    ),
    _sig(
        "too_many_files",
        r"too many open files|\bEMFILE\b|worker_connections are not enough",
        None,
        "open-file limit reached",
        "the process hit its open-file limit (ulimit -n, LimitNOFILE).",
        "le processus a atteint sa limite de fichiers ouverts (ulimit -n, LimitNOFILE).",
    ),
    _sig(
        "segfault",
        r"segfault|segmentation fault|core dumped|SIGSEGV",
        None,
        "a program crashed",
        "a program crashed (segmentation fault).",
        "un programme a planté (erreur de segmentation).",
    ),
    _sig(
        "dns",
        r"could not be resolved|name or service not known|temporary failure in name "
        r"resolution|host not found|no such host|NXDOMAIN",
        None,
        "name resolution fails",
        "a host name could not be resolved (DNS).",
        "un nom d'hôte n'a pas pu être résolu (DNS).",
    ),
    _sig(
        "refused",
        r"connection refused|ECONNREFUSED|errno 111",
        None,
        "connections are refused",
        "a program could not reach a service it connects to{at}: nothing listens there.",
        "un programme n'arrive pas à joindre un service{at} : rien n'écoute à cette adresse.",
    ),
    _sig(
        "cannot_connect",
        r"can(?:not|'t) connect|could not connect|unable to connect|failed to connect",
        None,
        "a dependency cannot be reached",
        "a program cannot reach something it depends on (a database, an API, a socket)"
        "{at}: check that it runs and listens where expected.",
        "un programme n'arrive pas à joindre une dépendance (base de données, API, "
        "socket){at} : vérifiez qu'elle tourne et écoute là où il faut.",
    ),
    _sig(
        "reset",
        r"connection reset by peer",
        None,
        "connections are reset",
        "the other side closed connections abruptly.",
        "l'autre côté a coupé les connexions brutalement.",
    ),
    _sig(
        "http_5xx",
        r"\" 50[234] \d+",
        Intent.WEB,
        "HTTP 502/503/504 answers",
        "nginx answered with 502/503/504: its backend failed or could not be reached.",
        "nginx a répondu 502/503/504 : son backend a échoué ou était injoignable.",
    ),
    _sig(
        "auth",
        r"authentication failure|failed password|invalid user",
        None,
        "failed logins",
        "failed logins: many from few addresses usually mean a brute-force attempt.",
        "des connexions refusées : beaucoup depuis peu d'adresses indiquent souvent une "
        "attaque par force brute.",
    ),
    _sig(
        "timeout",
        r"\btimed? ?out\b",
        None,
        "operations time out",
        "something takes too long to answer{at}.",
        "quelque chose met trop de temps à répondre{at}.",
    ),
)

_UPSTREAM = re.compile(r'upstream: "([^"]{1,200})"')
_ADDRESS = re.compile(r"\b(\d{1,3}(?:\.\d{1,3}){3}:\d{1,5}|localhost:\d{1,5}|\[[0-9a-f:]+\]:\d{1,5})")


@dataclass
class Hit:
    signature: Signature
    count: int = 0
    last_line: str = ""
    targets: list[str] = field(default_factory=list)
    """Upstreams or addresses named in the matching lines, most frequent first."""

    def explain(self, lang: str) -> str:
        text = self.signature.french if lang == "fr" else self.signature.english
        at = f" ({', '.join(self.targets[:3])})" if self.targets else ""
        return text.replace("{at}", at)


@dataclass
class Digest:
    total: int = 0
    problems: int = 0
    levels: dict[str, int] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    recent: list[str] = field(default_factory=list)
    """The last few problem lines (or last lines when none), oldest first, cut short."""

    @property
    def intents(self) -> set[Intent]:
        return {hit.signature.intent for hit in self.hits if hit.signature.intent}


def quote(line: str) -> str:
    line = " ".join(line.split())
    return line if len(line) <= QUOTE_CHARS else line[: QUOTE_CHARS - 1] + "…"


def digest(lines: list[str]) -> Digest:
    lines = [line[:LINE_CHARS] for line in lines[-MAX_LINES:] if line.strip()]
    result = Digest(total=len(lines))
    hits: dict[str, Hit] = {}
    targets: dict[str, dict[str, int]] = {}
    problem_lines: list[str] = []
    for line in lines:
        levels = [name for name, pattern in LEVELS if pattern.search(line)]
        for name in levels:
            result.levels[name] = result.levels.get(name, 0) + 1
        signature = next((s for s in SIGNATURES if s.pattern.search(line)), None)
        if signature is not None:
            hit = hits.setdefault(signature.key, Hit(signature))
            hit.count += 1
            hit.last_line = line
            found = _UPSTREAM.search(line) or _ADDRESS.search(line)
            if found:
                seen = targets.setdefault(signature.key, {})
                seen[found.group(1)] = seen.get(found.group(1), 0) + 1
        if levels or signature is not None:
            problem_lines.append(line)
    result.problems = len(problem_lines)
    for key, hit in hits.items():
        seen = targets.get(key, {})
        hit.targets = sorted(seen, key=lambda t: -seen[t])
    rank = {"critical": 0, "warning": 1}
    result.hits = sorted(hits.values(), key=lambda h: (rank[h.signature.severity], -h.count))
    result.recent = [quote(line) for line in (problem_lines or lines)[-QUOTE_LINES:]]
    return result


def port_of(target: str) -> int | None:
    """The port of ``http://127.0.0.1:8000/`` or ``127.0.0.1:8000``."""
    match = re.search(r":(\d{1,5})(?:/|$)", target.split("://", 1)[-1])
    return int(match.group(1)) if match else None
