"""Every sentence the offline diagnostician writes, in English and French.

``say(lang, key, **values)`` fills a template. ``translate(lang, text)`` renders the
English titles and next steps of ``sfai check``'s analyzers in French (unknown shapes are
left in English rather than guessed).
"""

from __future__ import annotations

import re

Lang = str
"""``en`` or ``fr``."""

STRINGS: dict[str, tuple[str, str]] = {
    # turn 1 and follow-up rounds
    "plan": ("I'll look at {what}.", "Je regarde {what}."),
    "plan_next": ("{why}: next, {what}.", "{why} : je regarde maintenant {what}."),
    "and": (" and ", " et "),
    "why_failed": ("{name} has failed", "{name} est en échec"),
    "why_full": ("{mount} is filling up", "{mount} se remplit"),
    "why_tls": ("{count} TLS site(s) found", "{count} site(s) TLS trouvé(s)"),
    "why_nginx": ("nginx is here", "nginx est présent"),
    "look_stdin": ("the text you piped in", "le texte reçu sur stdin"),
    "look_disk": ("disk usage", "l'occupation des disques"),
    "look_disk_path": ("what takes the space under {path}", "ce qui occupe {path}"),
    "look_memory": ("memory, swap and OOM kills", "la mémoire, le swap et les OOM kills"),
    "look_overview": ("load and CPU", "la charge et le CPU"),
    "look_services": ("the services", "les services"),
    "look_status": ("the status of {name}", "l'état de {name}"),
    "look_logs": ("the logs of {name}", "les journaux de {name}"),
    "look_apps": (
        "what runs here (nginx sites, apps, ports)",
        "ce qui tourne ici (sites nginx, applications, ports)",
    ),
    "look_nginx": ("nginx's configuration for {domain}", "la configuration nginx de {domain}"),
    "look_ssl": ("the certificate of {domain}", "le certificat de {domain}"),
    "look_status_many": ("the status of {names}", "l'état de {names}"),
    "look_logs_many": ("the logs of {names}", "les journaux de {names}"),
    "look_nginx_many": ("nginx's configuration for {names}", "la configuration nginx de {names}"),
    "look_ssl_many": ("the certificates of {names}", "les certificats de {names}"),
    "look_disk_path_many": ("what takes the space under {names}", "ce qui occupe {names}"),
    # answer headings
    "h_findings": ("**Findings**", "**Constats**"),
    "h_checked": ("**What I looked at**", "**Ce que j'ai regardé**"),
    "h_suggest": ("**What I suggest**", "**Ce que je propose**"),
    "h_stdin": ("**The piped text**", "**Le texte reçu sur stdin**"),
    "critical": ("critical", "critique"),
    "warning": ("warning", "attention"),
    "info": ("info", "info"),
    # verdicts
    "verdict_problems": (
        "**{count} problem(s) found**, the most serious: {title}.",
        "**{count} problème(s) trouvé(s)**, le plus sérieux : {title}.",
    ),
    "verdict_ok": (
        "**No problem found** in what I looked at ({what}).",
        "**Aucun problème trouvé** dans ce que j'ai regardé ({what}).",
    ),
    "verdict_failed": (
        "**I could not check it**: every tool I tried failed (details below).",
        "**Je n'ai pas pu vérifier** : tous les outils essayés ont échoué (détails ci-dessous).",
    ),
    "verdict_stdin_only": (
        "I can only read the text you piped in; no server tool was needed.",
        "Je ne peux lire que le texte reçu sur stdin ; aucun outil serveur n'était utile.",
    ),
    # tool outcomes
    "tool_failed": ("could not run: {message}", "n'a pas pu s'exécuter : {message}"),
    "tool_missing": (
        "{name} is not available in this session, so I did not use it",
        "{name} n'est pas disponible dans cette session, je ne l'ai pas utilisé",
    ),
    "largest": ("largest under {path}: {items}", "les plus gros sous {path} : {items}"),
    "sites": ("nginx sites: {items}", "sites nginx : {items}"),
    "services_list": ("services: {items}", "services : {items}"),
    "ports": ("listening TCP ports: {items}", "ports TCP en écoute : {items}"),
    "log_counts": (
        "{problems} of {total} line(s) look like problems{levels}",
        "{problems} ligne(s) sur {total} signalent un problème{levels}",
    ),
    "log_clean": (
        "{total} line(s), none with an error, warning or failure",
        "{total} ligne(s), aucune erreur, alerte ou échec",
    ),
    "recent_lines": ("most recent:", "les plus récentes :"),
    "log_line": ("log: {line}", "journal : {line}"),
    # suggestions
    "proposal": (
        "`{call}` — sfai can run this after your approval (in act mode).",
        "`{call}` — sfai peut le lancer après votre accord (en mode act).",
    ),
    "proposal_bare": (
        "sfai's `{tool}` action can apply a fix after your approval (in act mode).",
        "l'action `{tool}` de sfai peut appliquer une correction après votre accord (en mode act).",
    ),
    "suggest_none": (
        "Nothing needs fixing here. If the symptom persists, pipe the relevant log into sfai: "
        '`journalctl -u NAME -n 200 | sfai ask "why does it fail?"`.',
        "Rien à corriger ici. Si le symptôme persiste, envoyez le journal concerné à sfai : "
        '`journalctl -u NOM -n 200 | sfai ask "pourquoi ça échoue ?"`.',
    ),
    "suggest_logs_source": (
        "Name the log to read: a service (`logs of crashy`), `nginx`, or a file under "
        "/var/log (`errors in /var/log/syslog`).",
        "Indiquez quel journal lire : un service (`journaux de crashy`), `nginx`, ou un "
        "fichier sous /var/log (`erreurs dans /var/log/syslog`).",
    ),
    "asked_action": (
        "You asked for it: `{call}` — sfai can run this after your approval (in act mode).",
        "Vous l'avez demandé : `{call}` — sfai peut le lancer après votre accord (en mode act).",
    ),
    "past_note": (
        "Note: I see the current state and the most recent log lines only; events further "
        "back may not be in them.",
        "Remarque : je ne vois que l'état actuel et les lignes de journal les plus récentes ; "
        "des événements plus anciens peuvent ne pas y figurer.",
    ),
    "upstream_now_free": (
        "right now nothing listens on port {port} on this host: the backend is still down",
        "en ce moment rien n'écoute sur le port {port} de cette machine : le backend est "
        "toujours arrêté",
    ),
    "upstream_now_busy": (
        "right now {process} listens on port {port}: it may have come back since those lines",
        "en ce moment {process} écoute sur le port {port} : il a pu redémarrer depuis ces lignes",
    ),
    "hit_stdin": (
        "{title} ({count} line(s) of the piped text)",
        "{title} ({count} ligne(s) du texte reçu)",
    ),
    "hit_log": (
        "{title} ({count} line(s) of the {source} log)",
        "{title} ({count} ligne(s) du journal {source})",
    ),
    "verdict_one": ("**1 problem found**: {title}.", "**1 problème trouvé** : {title}."),
    "verdict_partial": (
        "**No problem found** in what I could check ({what}); {failed} check(s) could not run "
        "(below).",
        "**Aucun problème trouvé** dans ce que j'ai pu vérifier ({what}) ; {failed} "
        "vérification(s) n'ont pas pu s'exécuter (ci-dessous).",
    ),
    "suggests": ("what it suggests: {text}", "ce que cela indique : {text}"),
    # out of scope
    "oos_intro": (
        "I can't answer that offline. Without an API key, sfai uses its offline "
        "diagnostician, which only covers common server checks, read with sfai's "
        "read-only tools:",
        "Je ne peux pas répondre à cela hors ligne. Sans clé d'API, sfai utilise son "
        "diagnosticien hors ligne, qui ne couvre que les vérifications courantes d'un "
        "serveur, faites avec les outils en lecture seule de sfai :",
    ),
    "oos_script": (
        "It does not write scripts, code or configuration.",
        "Il n'écrit ni scripts, ni code, ni configuration.",
    ),
    "oos_deploy": (
        "It cannot see deployments or their history: it reads the server's current state "
        "and its most recent logs.",
        "Il ne voit pas les déploiements ni leur historique : il lit l'état actuel du "
        "serveur et ses journaux les plus récents.",
    ),
    "oos_definition": (
        "It does not explain concepts or tools in general; it looks at this server.",
        "Il n'explique pas de notions ou d'outils en général ; il regarde ce serveur.",
    ),
    "oos_partial": (
        "Part of your question is outside what the offline diagnostician covers; here "
        "is what it could check.",
        "Une partie de votre question dépasse ce que couvre le diagnosticien hors ligne ; "
        "voici ce qu'il a pu vérifier.",
    ),
    "oos_claude": (
        "For open questions like this one, enable Claude: set `ANTHROPIC_API_KEY` (or "
        "pass `--provider anthropic`), or use a local model with `--provider openai` "
        "(base URL and model in the config).",
        "Pour des questions ouvertes comme celle-ci, activez Claude : définissez "
        "`ANTHROPIC_API_KEY` (ou passez `--provider anthropic`), ou utilisez un modèle "
        "local avec `--provider openai` (URL et modèle dans la config).",
    ),
    "no_tools": (
        "No server tool is available to me in this session, so I could not look.",
        "Aucun outil serveur ne m'est disponible dans cette session, je n'ai donc pas pu regarder.",
    ),
}

CAPABILITIES: tuple[tuple[str, str], ...] = (
    (
        'disk space and inodes ("is the disk full?")',
        "l'espace disque et les inodes (« le disque est plein ? »)",
    ),
    ("memory, swap and OOM kills", "la mémoire, le swap et les OOM kills"),
    (
        'a service that is down ("why is nginx down?")',
        "un service arrêté (« pourquoi nginx est arrêté ? »)",
    ),
    (
        "nginx sites, 502 errors and their backends",
        "les sites nginx, les erreurs 502 et leurs backends",
    ),
    ("TLS certificates and their expiry", "les certificats TLS et leur expiration"),
    (
        "the logs of a service, of nginx or of a file under /var/log",
        "les journaux d'un service, de nginx ou d'un fichier sous /var/log",
    ),
    ("a slow server (load, CPU, memory, disk)", "un serveur lent (charge, CPU, mémoire, disque)"),
    (
        'what runs on this server ("what runs here?")',
        "ce qui tourne sur ce serveur (« qu'est-ce qui tourne ? »)",
    ),
    (
        'an overall health check ("is everything ok?")',
        "un bilan de santé (« est-ce que tout va bien ? »)",
    ),
    (
        'log text piped on stdin (`journalctl -u nginx | sfai ask "why does it fail?"`)',
        'un journal envoyé sur stdin (`journalctl -u nginx | sfai ask "pourquoi ça échoue ?"`)',
    ),
)


def say(lang: Lang, key: str, **values: object) -> str:
    english, french = STRINGS[key]
    template = french if lang == "fr" else english
    return template.format(**values) if values else template


def capabilities(lang: Lang) -> list[str]:
    return [fr if lang == "fr" else en for en, fr in CAPABILITIES]


def join(lang: Lang, items: list[str]) -> str:
    """``a, b and c`` / ``a, b et c``."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + say(lang, "and") + items[-1]


# The analyzers' sentences (sfai/core/checks/analyzers.py) and ours, in French.
_FRENCH: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), template)
    for pattern, template in (
        (r"service (?P<n>\S+) has failed", "le service {n} est en échec"),
        (
            r"certificate for (?P<d>\S+) expires in (?P<k>-?\d+) days",
            "le certificat de {d} expire dans {k} jours",
        ),
        (
            r"certificate for (?P<d>\S+) expired (?P<k>\d+) days ago",
            "le certificat de {d} a expiré il y a {k} jours",
        ),
        (
            r"nginx serves a different certificate for (?P<d>\S+) than the file on disk",
            "nginx sert pour {d} un autre certificat que le fichier sur disque",
        ),
        (r"(?P<m>\S+) is (?P<p>\d+)% full", "{m} est plein à {p} %"),
        (
            r"(?P<m>\S+) will be full in about (?P<k>[\d.]+) days at the current rate",
            "{m} sera plein dans environ {k} jours au rythme actuel",
        ),
        (r"(?P<m>\S+) has used (?P<p>\d+)% of its inodes", "{m} a utilisé {p} % de ses inodes"),
        (r"memory is (?P<p>\d+)% used", "la mémoire est utilisée à {p} %"),
        (r"swap is (?P<p>\d+)% used", "le swap est utilisé à {p} %"),
        (r"the kernel's OOM killer killed (?P<x>.+)", "l'OOM killer du noyau a tué {x}"),
        (
            r"nginx configuration test fails \(`nginx -t`\)",
            "le test de configuration nginx échoue (`nginx -t`)",
        ),
        (
            r"load is high: (?P<l>\S+) over 5 minutes on (?P<c>\d+) CPUs",
            "charge élevée : {l} sur 5 minutes pour {c} CPU",
        ),
        (
            r"(?P<s>\S+): nothing listens on (?P<a>\S+) \(proxy_pass (?P<u>\S+)\)",
            "{s} : rien n'écoute sur {a} (proxy_pass {u})",
        ),
        (r"read why: (?P<c>.+)", "voir pourquoi : {c}"),
        (r"find what takes the space: (?P<c>.+)", "trouver ce qui prend la place : {c}"),
        (r"find what grows: (?P<c>.+)", "trouver ce qui grossit : {c}"),
        (
            r"look for directories with many small files under (?P<m>\S+) \(session files, mail queues, caches\)",
            "chercher sous {m} les répertoires pleins de petits fichiers (sessions, files de mails, caches)",
        ),
        (r"see which processes grow: (?P<c>.+)", "voir quels processus grossissent : {c}"),
        (
            r"the host is short of RAM: find the largest consumers \((?P<c>.+)\) or add memory",
            "la machine manque de RAM : repérer les plus gros consommateurs ({c}) ou ajouter de la mémoire",
        ),
        (
            r"find why memory ran out before (?P<t>.+?): (?P<c>.+?); consider limits or more RAM",
            "comprendre pourquoi la mémoire a manqué avant {t} : {c} ; envisager des limites ou plus de RAM",
        ),
        (
            r"the next reload or restart of nginx will fail: fix the line nginx names above",
            "le prochain reload ou redémarrage de nginx échouera : corriger la ligne indiquée ci-dessus",
        ),
        (
            r"renew it \(certbot renew --cert-name (?P<d>\S+)\) and reload nginx",
            "le renouveler (certbot renew --cert-name {d}) puis recharger nginx",
        ),
        (
            r"reload nginx so it serves the renewed certificate \(nginx -s reload\)",
            "recharger nginx pour qu'il serve le certificat renouvelé (nginx -s reload)",
        ),
        (r"see what is busy: (?P<c>.+)", "voir ce qui occupe la machine : {c}"),
        (
            r"start the app that should listen on (?P<a>\S+), or fix proxy_pass in (?P<f>\S+)",
            "démarrer l'application qui doit écouter sur {a}, ou corriger proxy_pass dans {f}",
        ),
    )
)


def translate(lang: Lang, text: str) -> str:
    """``text`` (an analyzer's title or next step) in ``lang``; English when unknown."""
    if lang != "fr":
        return text
    for pattern, template in _FRENCH:
        match = pattern.fullmatch(text)
        if match:
            return template.format(**match.groupdict())
    return text
