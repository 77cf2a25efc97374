"""The prefix-anchored rules: provider keys and tokens, and a few command-line and code forms
that have a distinctive literal (``IDENTIFIED BY``, ``docker login -u U -p P``).

Every rule is a literal prefix plus bounded patterns, so matching is linear. ``tokens.py``
compiles the table into combined scanners; see there for how each prefix is found.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class TokenRule:
    kind: str
    prefixes: tuple[str, ...]
    body: str
    """Token mode: the token after the prefix. Value mode: the context before the value."""
    value: str = ""
    """Value mode: the secret itself, masked alone (``IDENTIFIED BY '<value>'``)."""
    before: str = ""
    """Fixed-width pattern that must precede the prefix (``[0-9a-f]{32}`` before ``-us``)."""
    before_width: int = 0
    """Token mode: the token starts this far before the prefix."""
    extend: str = ""
    """Characters the start may also extend over, up to ``extend_max`` further back."""
    extend_max: int = 0
    check: Callable[[str], bool] | None = None
    keep_prefix: bool = False
    """Token mode: mask the body only (``/api/v1/[SECRET:thingsboard-token:1]/telemetry``)."""
    by_literal: bool = False
    """Always scan for the literal itself (for prefixes another scanner would find badly)."""
    priority: int = 2
    """Which kind names a secret two rules find: provider formats (2) beat context (1)."""
    hint: str = ""
    """Separator scanner: a look-ahead narrowing where the finder stops (``-u`` followed by
    a blank, not ``-p``: the copy shows ``p c u k b`` alike)."""


def mixed_case(token: str) -> bool:
    """Random keys mix cases and digits; words and slugs do not."""
    body = token.split("-")[-1] if token.count("-") > 1 else token
    return (
        any(c.isupper() for c in body)
        and any(c.islower() for c in body)
        and any(c.isdigit() for c in body)
    )


def private_pem_base64(token: str) -> bool:
    """``LS0tLS1CRUdJTi...`` decodes to ``-----BEGIN ... PRIVATE KEY-----`` (not a certificate)."""
    head = token[:64]
    try:
        decoded = base64.b64decode(head[: len(head) - len(head) % 4], validate=False)
    except (binascii.Error, ValueError):
        return False
    return b"PRIVATE KEY" in decoded


URL_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@./:%_-"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
AFTER = r"(?![A-Za-z0-9])"
_QUOTED_VALUE = r"'[^'\r\n]{1,512}'|\"[^\"\r\n]{1,512}\""
R = TokenRule

RULES: tuple[TokenRule, ...] = (
    # -- cloud providers --------------------------------------------------------------------
    R(
        "aws-key",
        ("AKIA", "ASIA", "AGPA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA", "ABIA", "ACCA"),
        r"[A-Z0-9]{16}" + AFTER,
    ),
    R("aws-key", ("A3T",), r"[A-Z0-9]{17}" + AFTER),
    R("aws-mws-token", ("amzn.mws.",), UUID),
    R("google-api-key", ("AIza",), r"[A-Za-z0-9_-]{35}"),
    R("google-oauth", ("GOCSPX-",), r"[A-Za-z0-9_-]{24,32}"),
    R("google-oauth", ("ya29.",), r"[A-Za-z0-9_-]{20,2048}"),
    R("digitalocean-token", ("dop_v1_", "doo_v1_", "dor_v1_"), r"[a-f0-9]{64}"),
    R("heroku-key", ("HRKU-",), r"[A-Za-z0-9_-]{20,80}"),
    R("databricks-token", ("dapi",), r"[a-f0-9]{32}(?:-[0-9])?" + AFTER),
    R(
        "azure-devops-pat",
        ("AZDO",),
        r"[A-Za-z0-9]{4}" + AFTER,
        before=r"[A-Za-z0-9]{76}",
        before_width=76,
    ),
    R("azure-key", ("Id=",), "", value=r"[^;\s\"']{4,200}(?=;Secret=)", before=";"),
    # -- code hosting, CI, registries -------------------------------------------------------
    R("github-token", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"), r"[A-Za-z0-9]{36,255}"),
    R("github-token", ("github_pat_",), r"[A-Za-z0-9_]{22,255}"),
    R(
        "gitlab-token",
        ("glpat-", "glptt-", "glrt-", "gldt-", "glft-", "glsoat-", "glcbt-"),
        r"[A-Za-z0-9_-]{20,255}",
    ),
    R("gitlab-token", ("GR1348941",), r"[A-Za-z0-9_-]{20,40}"),
    R("bitbucket-token", ("ATBB",), r"[A-Za-z0-9_=.-]{28,64}"),
    R("atlassian-token", ("ATATT3",), r"[A-Za-z0-9_=-]{150,300}"),
    R("artifactory-key", ("AKCp",), r"[A-Za-z0-9]{60,80}"),
    R("npm-token", ("npm_",), r"[A-Za-z0-9]{36}" + AFTER),
    R("pypi-token", ("pypi-",), r"[A-Za-z0-9_-]{50,1000}"),
    R("rubygems-key", ("rubygems_",), r"[a-f0-9]{48}"),
    R("nuget-key", ("oy2",), r"[a-z0-9]{43}" + AFTER),
    R("docker-token", ("dckr_pat_", "dckr_oat_"), r"[A-Za-z0-9_-]{20,100}"),
    R("dtrack-key", ("odt_",), r"[A-Za-z0-9]{32,40}"),
    R("sourcegraph-token", ("sgp_",), r"[A-Za-z0-9_]{40,80}"),
    R("vault-token", ("hvs.", "hvb.", "hvr."), r"[A-Za-z0-9_-]{24,500}"),
    R(
        "terraform-token",
        (".atlasv1.",),
        r"[A-Za-z0-9_=-]{60,100}",
        before=r"[A-Za-z0-9]{14}",
        before_width=14,
    ),
    R(
        "doppler-token",
        (".ct.", ".pt.", ".st.", ".sa.", ".scim.", ".audit."),
        r"(?:[a-z0-9_-]{2,35}\.)?[A-Za-z0-9]{40,44}",
        before="dp",
        before_width=2,
    ),
    R(
        "planetscale-token",
        ("pscale_tkn_", "pscale_pw_", "pscale_oauth_"),
        r"[A-Za-z0-9_=.-]{32,64}",
    ),
    R("sentry-token", ("sntrys_", "sntryu_"), r"[A-Za-z0-9+/=_]{40,200}"),
    R("linear-key", ("lin_api_",), r"[A-Za-z0-9]{40}"),
    # -- messaging, payments, SaaS ----------------------------------------------------------
    R(
        "slack-token",
        ("xoxb-", "xoxp-", "xoxa-", "xoxo-", "xoxs-", "xoxr-", "xoxe-"),
        r"[A-Za-z0-9-]{10,250}",
    ),
    R("slack-token", ("xapp-",), r"[A-Za-z0-9/_-]{10,250}"),
    R(
        "slack-webhook",
        (".slack.com/services/",),
        "",
        value=r"T[A-Za-z0-9_]{6,12}/B[A-Za-z0-9_]{6,12}/[A-Za-z0-9]{20,40}",
        before="hooks",
    ),
    R(
        "discord-webhook",
        (".com/api/webhooks/",),
        "",
        value=r"[0-9]{10,20}/[A-Za-z0-9_-]{60,80}",
        before="discord",
    ),
    R(
        "discord-webhook",
        (".com/api/webhooks/",),
        "",
        value=r"[0-9]{10,20}/[A-Za-z0-9_-]{60,80}",
        before="discordapp",
    ),
    R(
        "teams-webhook",
        ("IncomingWebhook/",),
        r"[A-Za-z0-9]{32}/" + UUID,
        before=r"[A-Za-z0-9@.%-]{40}/",
        before_width=41,
        extend=URL_CHARS,
        extend_max=260,
    ),
    R(
        "thingsboard-token",
        ("/api/v1/",),
        r"[A-Za-z0-9]{20}(?=/(?:telemetry|attributes|rpc|claim|provision)\b)",
        keep_prefix=True,
    ),
    R(
        "stripe-key",
        ("sk_live_", "rk_live_", "sk_test_", "rk_test_", "whsec_"),
        r"[A-Za-z0-9]{10,255}",
    ),
    R("square-token", ("sq0atp-", "sq0csp-"), r"[A-Za-z0-9_-]{22,60}"),
    R("shopify-token", ("shpat_", "shpss_", "shpca_", "shppa_"), r"[a-fA-F0-9]{32}"),
    R("sendgrid-key", ("SG.",), r"[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}"),
    R("twilio-key", ("SK",), r"[0-9a-f]{32}" + AFTER),
    R("mailgun-key", ("key-",), r"[a-f0-9]{32}" + AFTER),
    R("mailchimp-key", ("-us",), r"[0-9]{1,2}" + AFTER, before=r"[0-9a-f]{32}", before_width=32),
    R("postman-key", ("PMAK-",), r"[a-f0-9]{24}-[a-f0-9]{34}"),
    R(
        "newrelic-key",
        ("NRAK-", "NRII-", "NRAA-", "NRIQ-", "NRRA-", "NRJS-"),
        r"[A-Za-z0-9_-]{20,50}",
    ),
    R("newrelic-key", ("NRAL",), AFTER, before=r"[a-z0-9]{36}", before_width=36),
    R("newrelic-key", ("px-api-", "px-dep-"), UUID),
    R("facebook-token", ("EAA",), r"[A-Z][A-Za-z0-9]{80,500}"),
    R(
        "telegram-bot-token",
        ("AA",),
        r"[A-Za-z0-9_-]{30,35}" + AFTER,
        before=r"[0-9]{8}:",
        before_width=9,
        extend="0123456789",
        extend_max=2,
    ),
    R(
        "salesforce-token",
        ("!",),
        r"[A-Za-z0-9_.]{60,200}",
        before=r"00[A-Za-z0-9]{13}",
        before_width=15,
    ),
    R("mapbox-token", ("pk.", "sk.", "tk."), r"eyJ[A-Za-z0-9_-]{10,500}\.[A-Za-z0-9_-]{10,100}"),
    R("stackhawk-key", ("hawk.",), r"[A-Za-z0-9_-]{20}\.[A-Za-z0-9_-]{20}"),
    R("twitch-key", ("live_",), r"[0-9]{6,12}_[A-Za-z0-9]{20,40}"),
    R("dropbox-token", ("sl.",), r"[A-Za-z0-9_=-]{100,1500}"),
    R("dynatrace-token", ("dt0c01.",), r"[A-Z0-9]{24}\.[A-Z0-9]{64}"),
    R("figma-token", ("figd_",), r"[A-Za-z0-9_-]{40}"),
    R("grafana-token", ("glc_",), r"[A-Za-z0-9+/]{32,400}={0,2}"),
    R("grafana-token", ("glsa_",), r"[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}"),
    R("grafana-key", ("eyJrIjoi",), r"[A-Za-z0-9+/=_-]{30,400}"),
    # -- AI providers and other APIs --------------------------------------------------------
    R(
        "anthropic-key",
        ("sk-ant-api03-", "sk-ant-admin01-", "sk-ant-sid01-"),
        r"[A-Za-z0-9_-]{20,255}",
    ),
    R(
        "openai-key",
        ("sk-",),
        r"(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,255}",
        check=mixed_case,
    ),
    R("groq-key", ("gsk_",), r"[A-Za-z0-9]{48,56}"),
    R("huggingface-token", ("hf_",), r"[A-Za-z0-9]{30,40}" + AFTER),
    R("jina-key", ("jina_",), r"[A-Za-z0-9_-]{40,80}"),
    R("tavily-key", ("tvly-", "tvly-dev-", "tvly-prod-"), r"[A-Za-z0-9]{32}"),
    R("firecrawl-key", ("fc-",), r"[a-f0-9]{32}" + AFTER),
    R("adafruit-key", ("aio_",), r"[A-Za-z0-9]{28}" + AFTER),
    R("age-secret-key", ("AGE-SECRET-KEY-1",), r"[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}"),
    # -- structured secrets ------------------------------------------------------------------
    R("jwt", ("eyJ",), r"[A-Za-z0-9_-]{8,4096}\.[A-Za-z0-9_-]{2,16384}\.[A-Za-z0-9_-]{0,4096}"),
    R("docker-auth", ("eyJhdXRocyI6",), r"[A-Za-z0-9+/=]{20,20000}"),
    R("private-key", ("LS0tLS1CRUdJTi",), r"[A-Za-z0-9+/=]{20,200000}", check=private_pem_base64),
    R(
        "password-hash",
        (
            "$1$",
            "$2$",
            "$2a$",
            "$2b$",
            "$2x$",
            "$2y$",
            "$5$",
            "$6$",
            "$7$",
            "$8$",
            "$9$",
            "$y$",
            "$gy$",
            "$md5",
            "$apr1$",
            "$sha1$",
            "$scrypt$",
        ),
        r"[./A-Za-z0-9$=,+]{8,1024}",
    ),
    R(
        "password-hash",
        ("$argon2id$", "$argon2i$", "$argon2d$", "$pbkdf2"),
        r"[A-Za-z0-9$=,+/.-]{20,1024}",
    ),
    R("password-hash", ("$krb5asrep$", "$krb5tgs$", "$krb5pa$"), r"[A-Za-z0-9$@.:/_*-]{20,16384}"),
    R(
        "password-hash",
        (
            "{SSHA}",
            "{SHA}",
            "{SSHA256}",
            "{SSHA512}",
            "{SHA256}",
            "{SHA512}",
            "{SMD5}",
            "{MD5}",
            "{CRYPT}",
            "{PBKDF2}",
            "{PBKDF2-SHA256}",
            "{PBKDF2-SHA512}",
            "{ARGON2}",
        ),
        r"[A-Za-z0-9+/=.$]{8,1024}",
    ),
    # -- command lines and code with a distinctive literal ---------------------------------
    R(
        "password",
        ("-u",),  # docker login -u U -p P, psexec -u U -p P
        r"[ \t]{1,4}[^\s-][^\s]{0,127}[ \t]{1,4}-p[ \t]{1,4}",
        value=r"[^\s-][^\s]{0,255}",
        before="[ \t]",
        priority=1,
        hint=r"(?=[ \t])",
    ),
    R(
        "password",
        ("-cli",),
        r"\b[^\n]{0,300}?[ \t]-a[ \t]{1,4}",
        value=r"[^\s'\"]{1,512}",
        before="redis",
        priority=1,
    ),
    R(
        "password",
        ("IDENTIFIED",),
        r"[ \t]{1,8}(?:WITH[ \t]{1,8}[\w'\"]{1,64}[ \t]{1,8})?(?:BY|AS)[ \t]{1,8}"
        r"(?:PASSWORD[ \t]{1,8})?",
        value=_QUOTED_VALUE,
        priority=1,
    ),
    R(  # SonarQube: sonar.login=<token>
        "token",
        (".login", "_login", "Login"),
        r"[\"']?[ \t]{0,8}[=:,][ \t]{0,8}[\"']?",
        value=r"[0-9a-f]{40}\b",
        before="sonar",
        priority=1,
    ),
    R(  # TrueNAS JSON-RPC: "method": "auth.login_with_api_key", "params": ["<key>"]
        "api-key",
        ("_with_api_key",),
        r"\"[^\[\]]{0,40}\[\s{0,40}\"",
        value=r"[^\"]{8,200}(?=\")",
        before="login",
        priority=1,
    ),
    R(
        "password",
        ("DirectoryEntry(",),
        r"[^()]{0,300}?,\s{0,40}\"",
        value=r"[^\"\r\n]{1,256}(?=\"\s{0,8}\))",
        priority=1,
    ),
)
