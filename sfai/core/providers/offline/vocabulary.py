"""The words the offline diagnostician knows, normalised (lower case, no accents): topics,
phrases, the shapes of sentences that name a service or a log, and the markers of
questions it cannot answer. Extend the tables here; ``intents`` applies them."""

from __future__ import annotations

import enum
import re


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
SCRIPT_VERBS = words(
    "write ecris ecrire ecrivez generate genere generer create creer cree give donne"
)
SCRIPT_THINGS = words(
    "script scripts code program programme function fonction dockerfile playbook regex "
    "crontab snippet terraform ansible"
)
DEPLOY = words(
    "deploy deploys deployed deploying deployment deployments deploiement deploiements "
    "deployer deploye rollback pipeline"
)
DEFINITION = re.compile(
    r"^ ?(?:what is an? |what s an? |qu est ce qu une? |c est quoi une? |explain |explique |"
    r"how does |comment fonctionne )"
)
HOWTO = re.compile(r"^ ?(?:how do i |how to |how can i |comment faire |comment puis je )")
PAST = re.compile(
    r"\blast (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|week|month)\b|"
    r"\b(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|mois) dernier\b|"
    r"\bla semaine derniere\b"
)
ACTIONS = {
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
NO_FUZZ = words("plain loaded logged serves stats state stated charged")
REJECT = words(
    "my the our your it its this that these everything anything something nothing server "
    "serveur machine host box app application system systeme le la les l un une mon ma mes "
    "ce ca cela il elle tout what which who why where when there here is are was a an to of "
    "for process processus web down up running pourquoi est qui quoi sa son notre votre "
    "show see check read tail get give lis montre voir affiche last latest recent derniers "
    "any all some their new old main and or not no keeps keep has had went seems seem does "
    "did won isn doesn can cannot still again always never just now then also returns gives "
    "stopped starting started restarting running s n ne pas plus encore toujours"
)
FILE_SUFFIXES = words(
    "log conf txt py sh json yml yaml toml ini pem crt key gz service socket timer pid sock "
    "php js html css cfg err out csv xml md tar zip bak old tmp lock db sql rb go rs java "
    "jar war exe bin so img iso d"
)
VOCABULARY: frozenset[str] = frozenset().union(
    *WORDS.values(), FULL, TROUBLE, ERRORS, *(ACTIONS.values())
)
SERVICE_WORDS = words("nginx docker supervisor supervisord pm2")
"""Topic words that are also the names of services one asks about."""

NAME = r"([a-z0-9][a-z0-9@._:+-]{0,127})"
SERVICE_PATTERNS = tuple(
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
LOG_PATTERNS = tuple(
    re.compile(p)
    for p in (
        rf"\b(?:logs?|journal|journaux|errors?|erreurs?)\s+(?:of|for|from|in|de|du|des|d|dans)\s+"
        rf"(?:the\s+|la\s+|le\s+|l\s+)?(?:service\s+)?{NAME}",
        rf"\b{NAME}(?: s)?\s+(?:error\s+|access\s+)?(?:logs?|journal|journaux)\b",
    )
)
PATH = re.compile(r"(?:(?<=[\s(\"'`])|^)(/[\w.@+:-]*(?:/[\w.@+:-]+)*/?)")
DOMAIN = re.compile(
    r"(?<![\w@/.-])((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63})(?![\w-]|\.[a-z0-9])"
)
SINCE = re.compile(
    r"\b(?:last|past|since|depuis|dernieres?|derniers?)\s+(\d{1,4})\s*"
    r"(min|mins|minutes?|h|hours?|heures?|d|days?|jours?)\b"
)
