"""Provider keys and tokens recognised by their literal prefix (``AKIA``, ``ghp_``, ``eyJ``...).

Every rule is a literal prefix and a bounded body. They are compiled into two combined
patterns, each scanned once over the text:

- prefixes made of lowercase letters and digits that end with ``_``, ``-`` or ``.``
  (``ghp_``, ``xoxb-``, ``hvs.``) are found from their separator, the rarest character,
  and checked backwards with fixed-width look-behinds;
- the others (``AKIA``, ``eyJ``, ``$6$``...) form one alternation in trie order, so the
  regex engine can skip every position whose character starts no prefix.

A few rules are anchored on a suffix (``NRAL``, ``AZDO``, ``:AA``, ``!``): their start is found
backwards, the ``lookback`` characters before the match.

Bodies use bounded repetitions only: matching is linear in the text.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sfai_agent.redact.spans import Span

_URL_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@./:%_-"
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_AFTER = r"(?![A-Za-z0-9])"


@dataclass(frozen=True)
class TokenRule:
    kind: str
    prefixes: tuple[str, ...]
    body: str
    before: str = ""
    """Fixed-width pattern that must precede the prefix (suffix-anchored rules such as
    ``NRAL``); the token starts there."""
    before_width: int = 0
    extend: str = ""
    """Characters the start may extend over, further back than ``before`` (up to
    ``extend_max``), e.g. the 9th and 10th digit of a Telegram bot id."""
    extend_max: int = 0
    check: Callable[[str], bool] | None = None
    keep_prefix: bool = False
    """Mask the body only: ``hooks.slack.com/services/[SECRET:slack-webhook:1]``."""
    by_literal: bool = False
    """Scan for the literal prefix (only when it occurs) instead of from its separator: for
    bodies that do not start with eight key characters."""


def _mixed(token: str) -> bool:
    """Random keys mix cases and digits; words and slugs do not."""
    body = token.split("-")[-1] if token.count("-") > 1 else token
    return (
        any(c.isupper() for c in body)
        and any(c.islower() for c in body)
        and any(c.isdigit() for c in body)
    )


def _is_private_pem_b64(token: str) -> bool:
    head = token[:64]
    try:
        decoded = base64.b64decode(head[: len(head) - len(head) % 4] or "====", validate=False)
    except (binascii.Error, ValueError):
        return False
    return b"PRIVATE KEY" in decoded


RULES: tuple[TokenRule, ...] = (
    # -- cloud providers --------------------------------------------------------------------
    TokenRule(
        "aws-key",
        ("AKIA", "ASIA", "AGPA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA", "ABIA", "ACCA"),
        r"[A-Z0-9]{16}" + _AFTER,
    ),
    TokenRule("aws-key", ("A3T",), r"[A-Z0-9]{17}" + _AFTER),
    TokenRule("aws-mws-token", ("amzn.mws.",), _UUID),
    TokenRule("google-api-key", ("AIza",), r"[A-Za-z0-9_-]{35}"),
    TokenRule("google-oauth", ("GOCSPX-",), r"[A-Za-z0-9_-]{24,32}"),
    TokenRule("google-oauth", ("ya29.",), r"[A-Za-z0-9_-]{20,2048}"),
    TokenRule("digitalocean-token", ("dop_v1_", "doo_v1_", "dor_v1_"), r"[a-f0-9]{64}"),
    TokenRule("heroku-key", ("HRKU-",), r"[A-Za-z0-9_-]{20,80}"),
    TokenRule("databricks-token", ("dapi",), r"[a-f0-9]{32}(?:-[0-9])?" + _AFTER),
    TokenRule(
        "azure-devops-pat", ("AZDO",), r"[A-Za-z0-9]{4}" + _AFTER, r"[A-Za-z0-9]{76}", 76
    ),
    # -- code hosting, CI, registries -------------------------------------------------------
    TokenRule("github-token", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"), r"[A-Za-z0-9]{36,255}"),
    TokenRule("github-token", ("github_pat_",), r"[A-Za-z0-9_]{22,255}"),
    TokenRule(
        "gitlab-token",
        ("glpat-", "glptt-", "glrt-", "gldt-", "glft-", "glsoat-", "glcbt-", "glimt-"),
        r"[A-Za-z0-9_-]{20,255}",
    ),
    TokenRule("gitlab-token", ("GR1348941",), r"[A-Za-z0-9_-]{20,40}"),
    TokenRule("bitbucket-token", ("ATBB",), r"[A-Za-z0-9_=.-]{28,64}"),
    TokenRule("atlassian-token", ("ATATT3",), r"[A-Za-z0-9_=-]{150,300}"),
    TokenRule("artifactory-key", ("AKCp",), r"[A-Za-z0-9]{60,80}"),
    TokenRule("npm-token", ("npm_",), r"[A-Za-z0-9]{36}" + _AFTER),
    TokenRule("pypi-token", ("pypi-",), r"[A-Za-z0-9_-]{50,1000}"),
    TokenRule("rubygems-key", ("rubygems_",), r"[a-f0-9]{48}"),
    TokenRule("nuget-key", ("oy2",), r"[a-z0-9]{43}" + _AFTER),
    TokenRule("docker-token", ("dckr_pat_", "dckr_oat_"), r"[A-Za-z0-9_-]{20,100}"),
    TokenRule("dtrack-key", ("odt_",), r"[A-Za-z0-9]{32,40}"),
    TokenRule("sourcegraph-token", ("sgp_",), r"[A-Za-z0-9_]{40,80}"),
    TokenRule("vault-token", ("hvs.", "hvb.", "hvr."), r"[A-Za-z0-9_-]{24,500}"),
    TokenRule("terraform-token", (".atlasv1.",), r"[A-Za-z0-9_=-]{60,100}", r"[A-Za-z0-9]{14}", 14),
    TokenRule("doppler-token", ("dp.ct.", "dp.pt.", "dp.st.", "dp.sa.", "dp.scim.", "dp.audit."),
              r"(?:[a-z0-9_-]{2,35}\.)?[A-Za-z0-9]{40,44}", by_literal=True),
    TokenRule("planetscale-token", ("pscale_tkn_", "pscale_pw_", "pscale_oauth_"),
              r"[A-Za-z0-9_=.-]{32,64}"),
    TokenRule("sentry-token", ("sntrys_", "sntryu_"), r"[A-Za-z0-9+/=_]{40,200}"),
    TokenRule("linear-key", ("lin_api_",), r"[A-Za-z0-9]{40}"),
    # -- messaging, payments, SaaS ----------------------------------------------------------
    TokenRule("slack-token", ("xoxb-", "xoxp-", "xoxa-", "xoxo-", "xoxs-", "xoxr-", "xoxe-"),
              r"[A-Za-z0-9-]{10,250}"),
    TokenRule("slack-token", ("xapp-",), r"[A-Za-z0-9/_-]{10,250}", by_literal=True),
    TokenRule("slack-webhook", ("hooks.slack.com/services/",),
              r"T[A-Za-z0-9_]{6,12}/B[A-Za-z0-9_]{6,12}/[A-Za-z0-9]{20,40}", keep_prefix=True),
    TokenRule("discord-webhook", ("discord.com/api/webhooks/", "discordapp.com/api/webhooks/"),
              r"[0-9]{10,20}/[A-Za-z0-9_-]{60,80}", keep_prefix=True),
    TokenRule("thingsboard-token", ("/api/v1/",),
              r"[A-Za-z0-9]{20}(?=/(?:telemetry|attributes|rpc|claim|provision)\b)",
              keep_prefix=True),
    TokenRule("teams-webhook", ("/IncomingWebhook/",), r"[A-Za-z0-9]{32}/" + _UUID,
              r"[A-Za-z0-9@.%-]{40}", 40, _URL_CHARS, 260),
    TokenRule("stripe-key", ("sk_live_", "rk_live_", "sk_test_", "rk_test_", "whsec_"),
              r"[A-Za-z0-9]{10,255}"),
    TokenRule("square-token", ("sq0atp-", "sq0csp-"), r"[A-Za-z0-9_-]{22,60}"),
    TokenRule("shopify-token", ("shpat_", "shpss_", "shpca_", "shppa_"), r"[a-fA-F0-9]{32}"),
    TokenRule("sendgrid-key", ("SG.",), r"[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}"),
    TokenRule("twilio-key", ("SK",), r"[0-9a-f]{32}" + _AFTER),
    TokenRule("mailgun-key", ("key-",), r"[a-f0-9]{32}" + _AFTER),
    TokenRule("mailchimp-key", ("-us",), r"[0-9]{1,2}" + _AFTER, r"[0-9a-f]{32}", 32),
    TokenRule("postman-key", ("PMAK-",), r"[a-f0-9]{24}-[a-f0-9]{34}"),
    TokenRule("newrelic-key", ("NRAK-", "NRII-", "NRAA-", "NRIQ-", "NRRA-", "NRJS-"),
              r"[A-Za-z0-9_-]{20,50}"),
    TokenRule("newrelic-key", ("NRAL",), _AFTER, r"[a-z0-9]{36}", 36),
    TokenRule("newrelic-key", ("px-api-", "px-dep-"), _UUID),
    TokenRule("facebook-token", ("EAA",), r"[A-Z][A-Za-z0-9]{80,500}"),
    TokenRule("telegram-bot-token", (":AA",), r"[A-Za-z0-9_-]{30,35}" + _AFTER,
              r"[0-9]{8}", 8, "0123456789", 2),
    TokenRule("salesforce-token", ("!",), r"[A-Za-z0-9_.]{60,200}", r"00[A-Za-z0-9]{13}", 15),
    TokenRule("mapbox-token", ("pk.", "sk.", "tk."), r"eyJ[A-Za-z0-9_-]{10,500}\.[A-Za-z0-9_-]{10,100}"),
    TokenRule("stackhawk-key", ("hawk.",), r"[A-Za-z0-9_-]{20}\.[A-Za-z0-9_-]{20}"),
    TokenRule("twitch-key", ("live_",), r"[0-9]{6,12}_[A-Za-z0-9]{20,40}"),
    TokenRule("dropbox-token", ("sl.",), r"[A-Za-z0-9_=-]{100,1500}"),
    TokenRule("dynatrace-token", ("dt0c01.",), r"[A-Z0-9]{24}\.[A-Z0-9]{64}"),
    TokenRule("figma-token", ("figd_",), r"[A-Za-z0-9_-]{40}"),
    TokenRule("grafana-token", ("glc_",), r"[A-Za-z0-9+/]{32,400}={0,2}"),
    TokenRule("grafana-token", ("glsa_",), r"[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}"),
    TokenRule("grafana-key", ("eyJrIjoi",), r"[A-Za-z0-9+/=_-]{30,400}"),
    # -- AI providers and other APIs --------------------------------------------------------
    TokenRule("anthropic-key", ("sk-ant-api03-", "sk-ant-admin01-", "sk-ant-sid01-"),
              r"[A-Za-z0-9_-]{20,255}"),
    TokenRule("openai-key", ("sk-",), r"(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,255}",
              check=_mixed),
    TokenRule("groq-key", ("gsk_",), r"[A-Za-z0-9]{48,56}"),
    TokenRule("huggingface-token", ("hf_",), r"[A-Za-z0-9]{30,40}" + _AFTER),
    TokenRule("jina-key", ("jina_",), r"[A-Za-z0-9_-]{40,80}"),
    TokenRule("tavily-key", ("tvly-", "tvly-dev-", "tvly-prod-"), r"[A-Za-z0-9]{32}"),
    TokenRule("firecrawl-key", ("fc-",), r"[a-f0-9]{32}" + _AFTER),
    TokenRule("adafruit-key", ("aio_",), r"[A-Za-z0-9]{28}" + _AFTER),
    TokenRule("age-secret-key", ("AGE-SECRET-KEY-1",), r"[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}"),
    # -- structured secrets ------------------------------------------------------------------
    TokenRule("jwt", ("eyJ",), r"[A-Za-z0-9_-]{8,4096}\.[A-Za-z0-9_-]{2,16384}\.[A-Za-z0-9_-]{0,4096}"),
    TokenRule("docker-auth", ("eyJhdXRocyI6",), r"[A-Za-z0-9+/=]{20,20000}"),
    TokenRule("private-key", ("LS0tLS1CRUdJTi",), r"[A-Za-z0-9+/=]{20,200000}",
              check=_is_private_pem_b64),
    TokenRule(
        "password-hash",
        ("$1$", "$2$", "$2a$", "$2b$", "$2x$", "$2y$", "$5$", "$6$", "$7$", "$8$", "$9$",
         "$y$", "$gy$", "$md5", "$apr1$", "$sha1$", "$scrypt$"),
        r"[./A-Za-z0-9$=,+]{8,1024}",
    ),
    TokenRule("password-hash", ("$argon2id$", "$argon2i$", "$argon2d$", "$pbkdf2"),
              r"[A-Za-z0-9$=,+/.-]{20,1024}"),
    TokenRule("password-hash", ("$krb5asrep$", "$krb5tgs$", "$krb5pa$"),
              r"[A-Za-z0-9$@.:/_*-]{20,16384}"),
    TokenRule(
        "password-hash",
        ("{SSHA}", "{SHA}", "{SSHA256}", "{SSHA512}", "{SHA256}", "{SHA512}", "{SMD5}",
         "{MD5}", "{CRYPT}", "{PBKDF2}", "{PBKDF2-SHA256}", "{PBKDF2-SHA512}", "{ARGON2}"),
        r"[A-Za-z0-9+/=.$]{8,1024}",
    ),
)

_SEPARATORS = "_-."
_SEP_GATE = r"(?=[A-Za-z0-9_-]{8})"
# First characters rare enough in logs for one combined alternation; rules starting with
# anything else are scanned one literal at a time, and only when the literal occurs.
_TRIE_FIRST = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ${!")


def _sep_anchored(prefix: str) -> bool:
    """``ghp_``, ``xoxb-``, ``dp.st.``: lowercase and digits ending with a separator."""
    return (
        prefix[-1] in _SEPARATORS
        and prefix[0].islower()
        and all(c.islower() or c.isdigit() or c in _SEPARATORS for c in prefix)
    )


@dataclass(frozen=True)
class _Leaf:
    rule: TokenRule
    back: int
    """How far before the match the token starts."""


def trie_pattern(entries: list[tuple[str, str]]) -> str:
    """An alternation of ``literal + tail`` in trie order: every branch starts with a literal,
    so the engine skips the positions whose character starts no literal."""
    tree: dict[str, Any] = {}
    for literal, tail in entries:
        node = tree
        for char in literal:
            node = node.setdefault(char, {})
        node.setdefault("", []).append(tail)

    def emit(node: dict[str, Any]) -> str:
        alternatives = [re.escape(char) + emit(child) for char, child in node.items() if char]
        alternatives.extend(node.get("", []))
        return alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"

    return emit(tree)


class _Compiled:
    """The rules as three scanners: separator-anchored, trie, and gated literals."""

    def __init__(self, rules: tuple[TokenRule, ...]) -> None:
        self.leaves: dict[str, _Leaf] = {}
        trie: list[tuple[str, str]] = []
        by_sep: dict[str, list[str]] = {sep: [] for sep in _SEPARATORS}
        literal: dict[str, list[str]] = {}
        for rule in rules:
            for prefix in rule.prefixes:
                name = f"t{len(self.leaves)}"
                tail = f"(?P<{name}>{rule.body})"
                if rule.before:
                    tail = f"(?<={rule.before}{re.escape(prefix)})" + tail
                if not rule.before and not rule.by_literal and _sep_anchored(prefix):
                    head = re.escape(prefix[:-1])
                    by_sep[prefix[-1]].append(f"(?<={head}{re.escape(prefix[-1])}){tail}")
                    self.leaves[name] = _Leaf(rule, len(prefix) - 1)
                elif prefix[0] in _TRIE_FIRST and not rule.by_literal:
                    trie.append((prefix, tail))
                    self.leaves[name] = _Leaf(rule, rule.before_width)
                else:
                    literal.setdefault(prefix, []).append(tail)
                    self.leaves[name] = _Leaf(rule, rule.before_width)
        self.trie = re.compile(trie_pattern(trie))
        self.sep = re.compile(
            "|".join(
                re.escape(sep) + _SEP_GATE + "(?:" + "|".join(alts) + ")"
                for sep, alts in by_sep.items()
                if alts
            )
        )
        # Literals sharing their first three characters share one scan (eyJ: JWT, Grafana...).
        groups: dict[str, list[tuple[str, str]]] = {}
        for prefix, tails in literal.items():
            for tail in tails:
                groups.setdefault(prefix[:3], []).append((prefix, tail))
        self.literal = [
            (gate, re.compile(trie_pattern(entries))) for gate, entries in groups.items()
        ]


_COMPILED = _Compiled(RULES)


def find_tokens(text: str, out: list[Span]) -> None:
    """Append a span for every provider token in ``text``."""
    compiled = _COMPILED
    _collect(text, compiled.sep.finditer(text), out)
    _collect(text, compiled.trie.finditer(text), out)
    for prefix, pattern in compiled.literal:
        if prefix in text:
            _collect(text, pattern.finditer(text), out)


def _collect(text: str, matches: Iterator[re.Match[str]], out: list[Span]) -> None:
    leaves = _COMPILED.leaves
    for match in matches:
        name = match.lastgroup
        if name is None:
            continue
        leaf = leaves[name]
        rule = leaf.rule
        start = match.start() - leaf.back
        if rule.extend:
            limit = max(0, start - rule.extend_max)
            while start > limit and text[start - 1] in rule.extend:
                start -= 1
        if start and text[start].isalnum() and text[start - 1].isalnum():
            continue  # "xghp_...", "DISK0123...": inside a longer word
        if rule.check is not None and not rule.check(text[start : match.end()]):
            continue
        if rule.keep_prefix:
            start = match.start(name)
        out.append((start, match.end(), rule.kind, 2))
