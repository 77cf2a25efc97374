"""Known failure signatures in log lines: what each one means and what to do, in English
and French. The first signature that matches a line claims it, so the specific ones come
before the general ones ("connection refused while connecting to upstream" before
"connection refused")."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sfai.core.providers.offline.intents import Intent

Text = tuple[str, str]
"""(English, French)."""


@dataclass(frozen=True)
class Signature:
    key: str
    pattern: re.Pattern[str]
    intent: Intent | None
    """The topic whose tools can confirm it on the server."""
    title: Text
    means: Text
    """What it says about the server; ``{at}`` becomes the addresses the lines name."""
    todo: Text
    severity: str = "warning"

    def text(self, which: str, lang: str, targets: str = "") -> str:
        """``{at}`` becomes " (TARGETS)", ``{on}`` " on TARGETS" (nothing without targets)."""
        english, french = getattr(self, which)
        text = str(french if lang == "fr" else english)
        at = f" ({targets})" if targets else ""
        on = (" sur " if lang == "fr" else " on ") + targets if targets else ""
        return text.replace("{at}", at).replace("{on}", on)


def _sig(
    key: str,
    pattern: str,
    intent: Intent | None,
    title: Text,
    means: Text,
    todo: Text,
    severity: str = "warning",
) -> Signature:
    return Signature(key, re.compile(pattern, re.IGNORECASE), intent, title, means, todo, severity)


SIGNATURES: tuple[Signature, ...] = (
    _sig(
        "upstream_refused",
        r"\(111: Connection refused\) while connecting to upstream",
        Intent.WEB,
        ("nginx's backend refuses connections", "le backend de nginx refuse les connexions"),
        (
            'nginx cannot reach the backend it forwards to{at}: "connection refused" means '
            "nothing listens there, so the app behind the site is down (or listens on another "
            "port). That is what makes nginx answer 502 Bad Gateway.",
            "nginx n'arrive pas à joindre le backend vers lequel il transfère{at} : « connection "
            "refused » signifie que rien n'écoute à cette adresse, donc l'application derrière "
            "le site est arrêtée (ou écoute sur un autre port). C'est ce qui fait répondre "
            "502 Bad Gateway à nginx.",
        ),
        (
            "start the app that should listen{on} and find out why it stopped: "
            '`sfai ask "why is NAME down?"`',
            "démarrer l'application qui doit écouter{on} et comprendre pourquoi elle s'est "
            'arrêtée : `sfai ask "pourquoi NOM est arrêté ?"`',
        ),
        "critical",
    ),
    _sig(
        "upstream_timeout",
        r"upstream timed out|\(110: Connection timed out\) while (?:connecting to|reading)",
        Intent.WEB,
        ("nginx's backend does not answer in time", "le backend de nginx répond trop lentement"),
        (
            "the backend{at} is too slow to answer, or hangs: nginx gives up and answers 504.",
            "le backend{at} met trop de temps à répondre, ou est bloqué : nginx abandonne et "
            "répond 504.",
        ),
        (
            "see what slows the backend: its logs, and the server's load "
            '(`sfai ask "why is the server slow?"`)',
            "voir ce qui ralentit le backend : ses journaux, et la charge du serveur "
            '(`sfai ask "pourquoi le serveur est lent ?"`)',
        ),
    ),
    _sig(
        "no_live_upstreams",
        r"no live upstreams",
        Intent.WEB,
        (
            "no backend of the upstream group is up",
            "aucun backend du groupe upstream n'est disponible",
        ),
        (
            "nginx has marked every server of the upstream group{at} as down after failures.",
            "nginx a marqué tous les serveurs du groupe upstream{at} comme indisponibles.",
        ),
        (
            "start the backends and check they answer; nginx retries them on its own",
            "démarrer les backends et vérifier qu'ils répondent ; nginx les réessaie tout seul",
        ),
        "critical",
    ),
    _sig(
        "upstream_closed",
        r"upstream prematurely closed connection",
        Intent.WEB,
        (
            "the backend drops connections mid-answer",
            "le backend coupe les connexions en pleine réponse",
        ),
        (
            "the backend{at} closed the connection in the middle of an answer: it probably "
            "crashed or restarted while handling the request.",
            "le backend{at} a fermé la connexion au milieu d'une réponse : il a probablement "
            "planté ou redémarré pendant la requête.",
        ),
        (
            "read the backend's logs at those times for a crash or a restart",
            "lire les journaux du backend à ces heures-là pour y trouver un plantage ou un "
            "redémarrage",
        ),
    ),
    _sig(
        "no_space",
        r"no space left on device|\bENOSPC\b|disk quota exceeded",
        Intent.DISK,
        ("a filesystem is full", "un système de fichiers est plein"),
        (
            "a filesystem is full: writes fail until space is freed.",
            "un système de fichiers est plein : les écritures échouent tant que de la place "
            "n'est pas libérée.",
        ),
        (
            "free space on the full filesystem; `sfai tools run get_disk_usage --arg path=/` "
            "shows what takes it",
            "libérer de la place sur le système de fichiers plein ; `sfai tools run "
            "get_disk_usage --arg path=/` montre ce qui l'occupe",
        ),
        "critical",
    ),
    _sig(
        "oom",
        r"out of memory|oom-kill|oom_reaper|killed process \d+|cannot allocate memory|"
        r"\bMemoryError\b|OutOfMemoryError|allowed memory size of \d+ bytes exhausted",
        Intent.MEMORY,
        ("memory ran out", "la mémoire a manqué"),
        (
            "memory ran out: the kernel killed a process (OOM killer) or a program could not "
            "allocate memory.",
            "la mémoire a manqué : le noyau a tué un processus (OOM killer) ou un programme "
            "n'a pas pu allouer de mémoire.",
        ),
        (
            "find what grows (`sfai tools run get_memory_status`); set memory limits or add RAM",
            "trouver ce qui grossit (`sfai tools run get_memory_status`) ; fixer des limites "
            "mémoire ou ajouter de la RAM",
        ),
        "critical",
    ),
    _sig(
        "tls",
        r"SSL_do_handshake|certificate (?:has )?expired|certificate verify failed|"
        r"SSL routines|cannot load certificate|PEM_read_bio|self[- ]signed certificate|"
        r"tls handshake",
        Intent.CERT,
        ("TLS handshakes fail", "les négociations TLS échouent"),
        (
            "TLS handshakes fail: an expired, unreadable or wrong certificate, or clients that "
            "do not trust it.",
            "les négociations TLS échouent : certificat expiré, illisible ou incorrect, ou des "
            "clients qui ne lui font pas confiance.",
        ),
        (
            'check the certificates: `sfai ask "when do my certificates expire?"`',
            'vérifier les certificats : `sfai ask "quand expirent mes certificats ?"`',
        ),
    ),
    _sig(
        "nginx_emerg",
        r"\[emerg\]",
        Intent.WEB,
        ("nginx rejects its configuration", "nginx refuse sa configuration"),
        (
            "nginx rejected its configuration: it will not start or reload until the line it "
            "names is fixed.",
            "nginx a refusé sa configuration : il ne démarrera ni ne se rechargera tant que "
            "la ligne indiquée n'est pas corrigée.",
        ),
        (
            "fix the file and line nginx names, then check with `nginx -t`",
            "corriger le fichier et la ligne indiqués par nginx, puis vérifier avec `nginx -t`",
        ),
        "critical",
    ),
    _sig(
        "permission",
        r"permission denied|\bEACCES\b|operation not permitted|\(13: ",
        None,
        ("permission denied", "permission refusée"),
        (
            "a process lacks the rights on a file, directory or socket.",
            "un processus n'a pas les droits sur un fichier, un répertoire ou une socket.",
        ),
        (
            "compare the owner and mode of the path in the line with the user the process "
            "runs as, and fix one of them",
            "comparer le propriétaire et les droits du chemin cité avec l'utilisateur du "
            "processus, et corriger l'un ou l'autre",
        ),
    ),
    _sig(
        "address_in_use",
        r"address already in use|\(98: ",
        None,
        ("a port is already taken", "un port est déjà pris"),
        (
            "another process already listens on that port: two services want the same port, "
            "or an old instance still runs.",
            "un autre processus écoute déjà sur ce port : deux services veulent le même port, "
            "ou une ancienne instance tourne encore.",
        ),
        (
            "find what holds the port (`sfai tools run list_apps` lists listening ports) and "
            "stop the duplicate or move one of them",
            "trouver qui tient le port (`sfai tools run list_apps` liste les ports en écoute) "
            "et arrêter le doublon ou déplacer l'un des deux",
        ),
    ),
    _sig(
        "too_many_files",
        r"too many open files|\bEMFILE\b|worker_connections are not enough",
        None,
        ("the open-file limit is reached", "la limite de fichiers ouverts est atteinte"),
        (
            "the process hit its open-file limit.",
            "le processus a atteint sa limite de fichiers ouverts.",
        ),
        (
            "raise the limit (LimitNOFILE= in the unit, worker_rlimit_nofile for nginx) and "
            "look for a descriptor leak",
            "relever la limite (LimitNOFILE= dans l'unité, worker_rlimit_nofile pour nginx) "
            "et chercher une fuite de descripteurs",
        ),
    ),
    _sig(
        "segfault",
        r"segfault|segmentation fault|core dumped|SIGSEGV",
        None,
        ("a program crashed", "un programme a planté"),
        (
            "a program crashed (segmentation fault).",
            "un programme a planté (erreur de segmentation).",
        ),
        (
            "read the program's logs around the crash; update or roll back the program",
            "lire les journaux du programme autour du plantage ; le mettre à jour ou revenir "
            "à la version précédente",
        ),
    ),
    _sig(
        "dns",
        r"could not be resolved|name or service not known|temporary failure in name "
        r"resolution|host not found|no such host|NXDOMAIN",
        None,
        ("name resolution fails", "la résolution de noms échoue"),
        ("a host name could not be resolved (DNS).", "un nom d'hôte n'a pas pu être résolu (DNS)."),
        (
            "check /etc/resolv.conf and that the name exists",
            "vérifier /etc/resolv.conf et que le nom existe",
        ),
    ),
    _sig(
        "refused",
        r"connection refused|ECONNREFUSED|errno 111",
        None,
        ("connections are refused", "des connexions sont refusées"),
        (
            "a program could not reach a service it connects to{at}: nothing listens there.",
            "un programme n'arrive pas à joindre un service{at} : rien n'écoute à cette adresse.",
        ),
        (
            "start the service that should listen{on}, or fix the address in the program's "
            "configuration",
            "démarrer le service qui doit écouter{on}, ou corriger l'adresse dans la "
            "configuration du programme",
        ),
    ),
    _sig(
        "cannot_connect",
        r"can(?:not|'t) connect|could not connect|unable to connect|failed to connect",
        None,
        ("a dependency cannot be reached", "une dépendance est injoignable"),
        (
            "a program cannot reach something it depends on{at}, such as a database, an API "
            "or a socket.",
            "un programme n'arrive pas à joindre une dépendance{at}, par exemple une base de "
            "données, une API ou une socket.",
        ),
        (
            "check that the dependency{at} runs and listens where the program expects it",
            "vérifier que la dépendance{at} tourne et écoute là où le programme l'attend",
        ),
    ),
    _sig(
        "reset",
        r"connection reset by peer",
        None,
        ("connections are reset", "des connexions sont coupées"),
        (
            "the other side closed connections abruptly.",
            "l'autre côté a coupé les connexions brutalement.",
        ),
        (
            "read the other side's logs at those times",
            "lire les journaux de l'autre côté à ces heures-là",
        ),
    ),
    _sig(
        "http_5xx",
        r"\" 50[234] \d+",
        Intent.WEB,
        ("HTTP 502/503/504 answers", "des réponses HTTP 502/503/504"),
        (
            "nginx answered 502/503/504: its backend failed or could not be reached.",
            "nginx a répondu 502/503/504 : son backend a échoué ou était injoignable.",
        ),
        (
            'look at the backend behind the site: `sfai ask "why does my site answer 502?"`',
            'regarder le backend derrière le site : `sfai ask "pourquoi mon site répond 502 ?"`',
        ),
    ),
    _sig(
        "auth",
        r"authentication failure|failed password|invalid user",
        None,
        ("failed logins", "des connexions refusées"),
        (
            "failed logins: many from few addresses usually mean a brute-force attempt.",
            "des échecs de connexion : beaucoup depuis peu d'adresses indiquent souvent une "
            "attaque par force brute.",
        ),
        (
            "check the source addresses; consider fail2ban and key-only SSH",
            "vérifier les adresses d'origine ; envisager fail2ban et SSH par clé uniquement",
        ),
    ),
    _sig(
        "timeout",
        r"\btimed? ?out\b",
        None,
        ("operations time out", "des opérations expirent"),
        (
            "something takes too long to answer{at}.",
            "quelque chose met trop de temps à répondre{at}.",
        ),
        (
            "see what is slow on the other side{at}",
            "voir ce qui est lent de l'autre côté{at}",
        ),
    ),
)
