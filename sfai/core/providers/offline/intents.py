"""Reading a question: its language, what it is about, and the names it mentions.

Matching works on a normalised copy (lower case, accents removed, one kind of apostrophe),
word by word, so "Mémoire", "memoire" and "MEMOIRE" are the same word; a word of five
letters or more that is one edit (or one swap) away from a known word counts as it
("memroy", "nignx"). Names (services, domains, paths) are taken only where the sentence
says what they are, and must pass the same identifier patterns the tools enforce.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass, field

from sfai_agent.policy.identifiers import DOMAIN_PATTERN, SERVICE_PATTERN


def words(text: str) -> frozenset[str]:
    """A set of words written as one string: easier to read and extend than a list."""
    return frozenset(text.split())


class Intent(enum.StrEnum):
    DISK = "disk"
    MEMORY = "memory"
    SERVICE = "service"
    WEB = "web"
    CERT = "cert"
    LOGS = "logs"
    SLOW = "slow"
    INVENTORY = "inventory"
    HEALTH = "health"


# Words (normalised) that name a topic outright.
WORDS: dict[Intent, frozenset[str]] = {
    Intent.DISK: words(
        "disk disks disque disques inode inodes storage stockage filesystem filesystems "
        "partition partitions df space espace volume"
    ),
    Intent.MEMORY: words("memory memoire ram swap swapping oom oomkiller mem leak fuite"),
    Intent.SERVICE: words(
        "service services daemon daemons unit units supervisor supervisord systemd systemctl "
        "pm2 docker container containers conteneur conteneurs"
    ),
    Intent.WEB: words(
        "nginx site sites website websites web vhost vhosts 502 503 504 gateway upstream "
        "upstreams proxy unreachable inaccessible injoignable"
    ),
    Intent.CERT: words(
        "certificate certificates certificat certificats cert certs ssl tls https letsencrypt "
        "certbot expire expires expiring expiry expiration expired handshake"
    ),
    Intent.LOGS: words("log logs journal journaux journalctl syslog dmesg"),
    Intent.SLOW: words(
        "slow slowly lent lente lents lentes lag lags laggy load charge cpu cpus processeur "
        "rame ramer ralenti ralentit performance performances perf sluggish freeze freezes"
    ),
    Intent.INVENTORY: words("inventory inventaire apps applications ports listening"),
    Intent.HEALTH: words(
        "health healthy sante status statut checkup bilan diagnostic overview apercu etat"
    ),
}
# Phrases (normalised words joined by one space).
PHRASES: dict[Intent, tuple[str, ...]] = {
    Intent.DISK: ("no space", "out of space", "plus de place", "disk full", "espace disque"),
    Intent.MEMORY: ("out of memory", "oom killer", "killed process", "manque de memoire"),
    Intent.WEB: (
        "bad gateway",
        "not responding",
        "ne repond plus",
        "ne repond pas",
        "site down",
        "site web",
        "web server",
        "serveur web",
    ),
    Intent.CERT: ("not secure", "non securise", "let s encrypt"),
    Intent.LOGS: ("error log", "access log"),
    Intent.SLOW: ("high load", "ca rame", "takes forever"),
    Intent.INVENTORY: (
        "what runs",
        "what is running",
        "what s running",
        "whats running",
        "what is on",
        "what s on",
        "what is installed",
        "qu est ce qui tourne",
        "ce qui tourne",
        "qui tourne",
        "quelles applications",
        "quels services",
        "what apps",
        "which apps",
    ),
    Intent.HEALTH: (
        "everything ok",
        "everything okay",
        "everything fine",
        "all good",
        "anything wrong",
        "any problems",
        "any issues",
        "how is the server",
        "how s the server",
        "tout va bien",
        "tout est ok",
        "tout roule",
        "ca va",
        "etat du serveur",
        "comment va",
        "des problemes",
        "un probleme",
        "quelque chose ne va pas",
    ),
}
FULL = words("full plein pleine pleins remplit rempli remplie fills filling")
TROUBLE = words(
    "down broken wrong problem problems issue issues fail fails failing failed crash crashed "
    "crashing crashes dead stopped panne probleme problemes souci soucis plante arrete arretes "
    "arretee tombe hs ko bug echec marche fonctionne"
)
ERRORS = words("error errors erreur erreurs err fatal exception exceptions")
_SCRIPT_VERBS = words(
    "write ecris ecrire ecrivez generate genere generer create creer cree give donne"
)
_SCRIPT_THINGS = words(
    "script scripts code program programme function fonction dockerfile playbook regex "
    "crontab snippet terraform ansible"
)
_DEPLOY = words(
    "deploy deploys deployed deploying deployment deployments deploiement deploiements "
    "deployer deploye rollback pipeline"
)
_DEFINITION = re.compile(
    r"^ ?(?:what is an? |what s an? |qu est ce qu une? |c est quoi une? |explain |explique |"
    r"how does |comment fonctionne )"
)
_HOWTO = re.compile(r"^ ?(?:how do i |how to |how can i |comment faire |comment puis je )")
_PAST = re.compile(
    r"\blast (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|week|month)\b|"
    r"\b(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|mois) dernier\b|"
    r"\bla semaine derniere\b"
)
_ACTIONS = {
    "restart": words("restart redemarre redemarrer relance relancer reboot"),
    "renew": words("renew renouvelle renouveler"),
    "clean": words("clean cleanup nettoie nettoyer purge purger free liberer"),
}
FRENCH = words(
    "pourquoi est sont le la les mon ma mes du des une qui quoi que qu serveur disque plein "
    "pleine memoire journaux tourne arrete panne repond lent lente etat certificat ca il elle "
    "ne pas plus sur dans avec quel quelle quels quelles comment tout va bien erreur erreurs "
    "espace charge redemarre marche fonctionne demarre probleme problemes je vous nous peux "
    "faire ecris hier dernier ce cette ces mais ou aussi tres trop depuis encore toujours "
    "montre affiche donne regarde verifie quand"
)
ENGLISH = words(
    "why is are the my what whats how does do it this that server everything ok of on in "
    "for with and show me check any errors full memory down running here slow logs there "
    "when will did can could please which who get give see look"
)
_NO_FUZZ = words("plain loaded logged serves stats state stated charged")
_REJECT = words(
    "my the our your it its this that these everything anything something nothing server "
    "serveur machine host box app application system systeme le la les l un une mon ma mes "
    "ce ca cela il elle tout what which who why where when there here is are was a an to of "
    "for process processus web down up running pourquoi est qui quoi sa son notre votre "
    "show see check read tail get give lis montre voir affiche last latest recent derniers "
    "any all some their new old main and or not no keeps keep has had went seems seem does "
    "did won isn doesn can cannot still again always never just now then also returns gives "
    "stopped starting started restarting running s n ne pas plus encore toujours"
)
_FILE_SUFFIXES = words(
    "log conf txt py sh json yml yaml toml ini pem crt key gz service socket timer pid sock "
    "php js html css cfg err out csv xml md tar zip bak old tmp lock db sql rb go rs java "
    "jar war exe bin so img iso d"
)
_VOCABULARY: frozenset[str] = frozenset().union(
    *WORDS.values(), FULL, TROUBLE, ERRORS, *(_ACTIONS.values())
)
_SERVICE_WORDS = words("nginx docker supervisor supervisord pm2")
"""Topic words that are also the names of services one asks about."""

NAME = r"([a-z0-9][a-z0-9@._:+-]{0,127})"
_SERVICE_PATTERNS = tuple(
    re.compile(p)
    for p in (
        rf"\bwhy (?:is|does|did|isn t|doesn t|won t|can t|was|has)\s+(?:my |the |our )?{NAME}"
        r"(?: service| daemon| process| container)?\s+(?:keep |keeps |still )?(?:down|dead|"
        r"stopped|failing|failed|fail|crashing|crashed|crash|restarting|not running|not "
        r"working|not starting|not responding|broken|start|run|work|exit|exiting|die|died|"
        r"flapping|unhealthy)\b",
        rf"\b{NAME}(?: service| daemon| process| container)? (?:is|keeps|has|went|seems|was) "
        r"(?:still )?(?:down|dead|stopped|failing|failed|crashing|crashed|restarting|not "
        r"running|not working|not starting|broken|gone|unhealthy|flapping)\b",
        rf"\b{NAME} (?:crashed|died|crashes|won t start|doesn t start|does not start)\b",
        rf"\b(?:service|daemon|unit|container|program)\s+{NAME}",
        rf"\b(?:the |my |our )?{NAME}\s+(?:service|daemon|unit|container)\b",
        rf"\bis\s+(?:the\s+)?{NAME}\s+(?:running|up|alive|healthy|working|started|active)\b",
        rf"\b(?:restart|status of|state of)\s+(?:the\s+)?(?:service\s+)?{NAME}",
        rf"\bpourquoi\s+(?:le service |mon |le |la |l )?{NAME}\s+(?:est|s est|a|ne|n est|plante"
        r"|redemarre|tombe)\b",
        rf"\b{NAME}\s+(?:est|semble|reste)\s+(?:encore\s+|toujours\s+)?(?:arrete|arretee|en "
        r"panne|plante|plantee|tombe|tombee|down|mort|morte|hs|ko|stoppe|coupe|en echec|en "
        r"erreur|inactif|failed)\b",
        rf"\b{NAME}\s+(?:ne|n)\s*(?:demarre|repond|tourne|marche|fonctionne|redemarre|se "
        r"lance|veut)\s*(?:plus|pas)\b",
        rf"\b(?:redemarre|redemarrer|relance|relancer|etat de|statut de)\s+(?:le\s+|la\s+|l\s+"
        rf")?(?:service\s+)?{NAME}",
        rf"\b{NAME}\s+(?:a plante|a crashe|plante|crashe)\b",
        r"\b(?:problem|problems|issue|issues|wrong|trouble|probleme|problemes|souci|soucis)\s+"
        rf"(?:with|avec)\s+(?:the |le |la |l |my |mon )?(?:service )?{NAME}",
    )
)
_LOG_PATTERNS = tuple(
    re.compile(p)
    for p in (
        rf"\b(?:logs?|journal|journaux|errors?|erreurs?)\s+(?:of|for|from|in|de|du|des|d|dans)\s+"
        rf"(?:the\s+|la\s+|le\s+|l\s+)?(?:service\s+)?{NAME}",
        rf"\b{NAME}(?: s)?\s+(?:error\s+|access\s+)?(?:logs?|journal|journaux)\b",
    )
)
_PATH = re.compile(r"(?:(?<=[\s(\"'`])|^)(/[\w.@+:-]*(?:/[\w.@+:-]+)*/?)")
_DOMAIN = re.compile(
    r"(?<![\w@/.-])((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63})(?![\w-]|\.[a-z0-9])"
)
_SINCE = re.compile(
    r"\b(?:last|past|since|depuis|dernieres?|derniers?)\s+(\d{1,4})\s*"
    r"(min|mins|minutes?|h|hours?|heures?|d|days?|jours?)\b"
)


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
    if word in _VOCABULARY or len(word) < 5 or word in _NO_FUZZ or word.isdigit():
        return word
    for known in sorted(_VOCABULARY):
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
        or name in _REJECT
        or (name in _VOCABULARY and name not in _SERVICE_WORDS)
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
    match = _SINCE.search(text)
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
    for match in _PATH.finditer(question):
        path = match.group(1).rstrip(".,;:!?)")
        if ".." not in path and path not in paths and (path == "/" or len(path) > 1):
            paths.append(path)
    text = normalize(_PATH.sub(" __path__ ", question))
    domains: list[str] = []
    for match in _DOMAIN.finditer(text):
        domain = match.group(1)
        if domain.rsplit(".", 1)[1] in _FILE_SUFFIXES or not DOMAIN_PATTERN.fullmatch(domain):
            continue
        if domain not in domains:
            domains.append(domain)
    return _DOMAIN.sub(" __domain__ ", text), paths, domains


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
    if wordset & _SCRIPT_THINGS and wordset & (_SCRIPT_VERBS | {"bash", "python", "shell"}):
        blocking.append("script")
    if wordset & _DEPLOY:
        blocking.append("deploy")
    if _DEFINITION.match(joined):
        blocking.append("definition")
    partial = ["howto"] if _HOWTO.match(joined) else []
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
    services = _names(_SERVICE_PATTERNS, as_typed)
    log_sources = _names(_LOG_PATTERNS, as_typed)
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
        actions=tuple(name for name, verbs in _ACTIONS.items() if wordset & verbs),
        past=bool(_PAST.search(joined)),
        vague=vague,
        access_log="access" in wordset,
        words=wordset,
    )
