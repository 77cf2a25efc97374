"""Find the prefix-anchored rules of ``rules.py`` in a text.

Python's ``re`` pays a fixed cost at every position where a pattern could start, and scans
for a one-character literal almost for free (see ``scan.py``). So the rules are found from
the markers of the translated copy, window by window (``find_tokens_in_window``):

- prefixes of lowercase letters and digits ending in a separator (``ghp_``, ``xoxb-``,
  ``hvs.``) are found from that separator in the copy read *backwards* (``_phg``), so the
  prefix is a forward literal match; prefixes that *start* with a separator (``-us``,
  ``.atlasv1.``) are found forwards;
- prefixes starting with a capital or a sign (``AKIA``, ``SG.``, ``$6$``) are found from the
  capital marker, gated on the start of their body.

The copy confuses ``sk-`` with ``sk.`` and ``AKIA`` with ``ASIA``, so every hit is checked
with the exact pattern on the text itself. The rest (``eyJ``, ``dapi``, ``PMAK-``) are
literal scans of the whole text, run only when the literal occurs (``find_tokens``).

Every body is bounded, and every scanner moves forward: matching is linear in the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sfai_agent.redact.rules import RULES, TokenRule
from sfai_agent.redact.scan import CAPITAL, CAPITALS, SEPARATOR, SEPARATORS, Window, literal, wider
from sfai_agent.redact.spans import Span

_SEPARATORS = SEPARATORS
_TRIE_FIRST = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ${!")
_BODY_START = re.compile(r"\[((?:\\.|[^\]\\])+)\](?:\{([0-9]+)(?:,[0-9]*)?\})?")


def trie_pattern(entries: list[tuple[str, str]]) -> str:
    """An alternation of ``literal + tail`` in trie order: every branch starts with a literal,
    so the engine can skip the positions whose character starts no literal. Literals are
    taken as they are (escape them first)."""
    tree: dict[str, Any] = {}
    for literal_text, tail in entries:
        node = tree
        for char in _split_escaped(literal_text):
            node = node.setdefault(char, {})
        node.setdefault("", []).append(tail)

    def emit(node: dict[str, Any]) -> str:
        alternatives = [char + emit(child) for char, child in node.items() if char]
        alternatives.extend(node.get("", []))
        return alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"

    return emit(tree)


def _split_escaped(pattern: str) -> list[str]:
    """``a\\.b`` → ``[a, \\., b]``: the characters of an escaped literal."""
    chars = []
    index = 0
    while index < len(pattern):
        step = 2 if pattern[index] == "\\" else 1
        chars.append(pattern[index : index + step])
        index += step
    return chars


def _sep_anchored(prefix: str) -> bool:
    """``ghp_``, ``xoxb-``, ``sk-ant-api03-``: lowercase and digits ending with a separator."""
    return (
        prefix[-1] in _SEPARATORS
        and prefix[0].islower()
        and all(c.islower() or c.isdigit() or c in _SEPARATORS for c in prefix)
    )


@dataclass(frozen=True)
class _Leaf:
    rule: TokenRule
    back: int
    """Token mode: how far before the match the token starts."""
    verify: re.Pattern[str] | None = None
    """Separator finders: the rule's full pattern, matched at the prefix in the text."""
    offset: int = 0
    """Separator finders: where the prefix starts, relative to the separator found."""


def _tail(rule: TokenRule, prefix: str, name: str) -> str:
    captured = rule.value or rule.body
    tail = f"{rule.body if rule.value else ''}(?P<{name}>{captured})"
    if rule.before:
        tail = f"(?<={rule.before}{re.escape(prefix)})" + tail
    return tail


class _Compiled:
    def __init__(self, rules: tuple[TokenRule, ...]) -> None:
        self.leaves: dict[str, _Leaf] = {}
        self.found: dict[str, list[str]] = {}
        """Separator finders: finder group → the leaves it may be (``sk-`` and ``sk.`` read
        the same in the translated copy)."""
        trie: list[tuple[str, str]] = []
        finders: dict[tuple[bool, str, str], list[str]] = {}
        shapes: set[tuple[str, str]] = set()
        capital_trie: list[tuple[str, str]] = []
        literal_groups: dict[str, list[tuple[str, str]]] = {}
        for rule in rules:
            for prefix in rule.prefixes:
                name = f"t{len(self.leaves)}"
                tail = _tail(rule, prefix, name)
                if rule.by_literal:
                    literal_groups.setdefault(prefix[:3], []).append((re.escape(prefix), tail))
                    self.leaves[name] = _Leaf(rule, rule.before_width)
                elif prefix[0] in _SEPARATORS or (_sep_anchored(prefix) and not rule.before):
                    # found in the translated copy; checked in the text with the full pattern
                    verify = re.compile(re.escape(prefix) + tail)
                    if prefix[0] in _SEPARATORS:
                        behind = (
                            f"(?<={wider(rule.before)}{literal(prefix)})" if rule.before else ""
                        )
                        key = (False, literal(prefix[1:]), rule.hint + behind)
                        self.leaves[name] = _Leaf(rule, rule.before_width, verify, 0)
                    else:
                        # read backwards from the separator: "_phg" for "ghp_"
                        key = (True, literal(prefix[:-1][::-1]), "(?![A-Za-z0-9])")
                        self.leaves[name] = _Leaf(rule, 0, verify, -(len(prefix) - 1))
                    finders.setdefault(key, []).append(name)
                elif prefix[0] in CAPITALS:
                    # found from its first character, a capital in the copy; checked with
                    # the trie of all such rules on the text itself
                    shapes.add((literal(prefix[1:]), _capital_condition(rule, prefix)))
                    capital_trie.append((re.escape(prefix), tail))
                    self.leaves[name] = _Leaf(rule, rule.before_width)
                elif prefix[0] in _TRIE_FIRST:
                    trie.append((re.escape(prefix), tail))
                    self.leaves[name] = _Leaf(rule, rule.before_width)
                else:
                    literal_groups.setdefault(prefix[:3], []).append((re.escape(prefix), tail))
                    self.leaves[name] = _Leaf(rule, rule.before_width)
        forward: list[tuple[str, str]] = []
        backward: list[tuple[str, str]] = []
        for index, ((backwards, found, condition), names) in enumerate(finders.items()):
            group = f"f{index}"
            self.found[group] = names
            (backward if backwards else forward).append((found, f"{condition}(?P<{group}>)"))
        # Finders consume their marker only, the rest is looked at: a hit never hides the
        # start of another token from the scan.
        marker = re.escape(SEPARATOR)
        self.forward = re.compile(f"{marker}(?={trie_pattern(forward)})".encode("latin-1"))
        self.backward = re.compile(f"{marker}(?={trie_pattern(backward)})".encode("latin-1"))
        self.capital = re.compile(
            f"{re.escape(CAPITAL)}(?={trie_pattern(sorted(shapes))})".encode("latin-1")
        )
        self.capital_rules = re.compile(trie_pattern(capital_trie))
        self.trie = re.compile(trie_pattern(trie)) if trie else None
        """Prefixes starting with another capital (``PMAK-``): one scan of the text."""
        self.literal = [
            (gate, re.compile(trie_pattern(entries))) for gate, entries in literal_groups.items()
        ]


def find_tokens(text: str, out: list[Span]) -> None:
    """Append a span for every rule of ``rules.py`` found by the trie and literal scanners
    (the whole text at once: no token is cut at a window edge)."""
    compiled = _COMPILED
    leaves = compiled.leaves
    for match in compiled.trie.finditer(text) if compiled.trie else ():
        if match.lastgroup is not None:
            _add(text, match, match.lastgroup, leaves[match.lastgroup], out)
    for gate, pattern in compiled.literal:
        if gate in text:
            for match in pattern.finditer(text):
                if match.lastgroup is not None:
                    _add(text, match, match.lastgroup, leaves[match.lastgroup], out)


def find_tokens_in_window(window: Window, out: list[Span]) -> None:
    """Append a span for every rule found from a marker of ``window``'s copy: a separator
    (``ghp_``, ``-us``) or a capital (``AKIA``, ``$6$``)."""
    compiled = _COMPILED
    last = window.end - 1
    copy = window.copy()
    for backwards, found_in in (
        (False, compiled.forward.finditer(copy)),
        (True, compiled.backward.finditer(window.reversed_copy())),
    ):
        for found in found_in:
            group = found.lastgroup
            if group is None:
                continue
            marker = last - found.start() if backwards else window.start + found.start()
            if window.owns(marker):
                _verify(window.text, marker, compiled.found[group], out)
    text = window.text
    covered = 0  # hits inside a token just matched are part of it, as with finditer
    for found in compiled.capital.finditer(copy):
        start = window.start + found.start()
        if start < covered or not window.owns(start):
            continue
        match = compiled.capital_rules.match(text, start)
        if match is not None and match.lastgroup is not None:
            covered = match.end()
            _add(text, match, match.lastgroup, compiled.leaves[match.lastgroup], out)


def _verify(text: str, marker: int, names: list[str], out: list[Span]) -> None:
    """Check the rules a finder hit may be with their full pattern, on the text itself."""
    for name in names:
        leaf = _COMPILED.leaves[name]
        assert leaf.verify is not None
        match = leaf.verify.match(text, marker + leaf.offset)
        if match is not None:
            _add(text, match, name, leaf, out)
            return


def _capital_condition(rule: TokenRule, prefix: str) -> str:
    """What must hold after a capital-first prefix in the copy for the hit to be worth
    checking: what comes before it (``NRAL``), or the start of its body (``SK`` before 32
    hex digits, ``EAA`` before a capital and 80 letters or digits)."""
    if rule.before:
        return f"(?<={wider(rule.before)}{literal(prefix)})"
    if rule.value:
        return ""
    gate = []
    position = width = 0
    while width < 8 and (start := _BODY_START.match(rule.body, position)) is not None:
        count = min(int(start.group(2) or 1), 8 - width)
        gate.append(f"{wider('[' + start.group(1) + ']')}{{{count}}}")
        width += count
        position = start.end()
        if start.group(2) is None or int(start.group(2)) == count:
            continue
        break  # a variable count: what follows may start anywhere
    return f"(?={''.join(gate)})" if gate else ""


def _add(text: str, match: re.Match[str], name: str, leaf: _Leaf, out: list[Span]) -> None:
    rule = leaf.rule
    if rule.value:
        start, end = match.span(name)
        if text[start] in "'\"" and text[end - 1] == text[start] and end - start > 2:
            start, end = start + 1, end - 1
        if not text.startswith("[SECRET:", start):
            out.append((start, end, rule.kind, rule.priority))
        return
    start = match.start() - leaf.back
    if rule.extend:
        limit = max(0, start - rule.extend_max)
        while start > limit and text[start - 1] in rule.extend:
            start -= 1
    if start and text[start].isalnum() and text[start - 1].isalnum():
        return  # "xghp_...", "DISK0123...": inside a longer word
    if rule.check is not None and not rule.check(text[start : match.end()]):
        return
    if rule.keep_prefix:
        start = match.start(name)
    out.append((start, match.end(), rule.kind, rule.priority))


_COMPILED = _Compiled(RULES)
