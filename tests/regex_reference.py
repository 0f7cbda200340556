"""The roster matcher the Aho-Corasick one replaced: a trie of the literals as one ``re`` pattern.

Kept here as the reference that :class:`mscsurvey.privacy.literals.LiteralMatcher` must equal
(``tests/test_literals.py``); it is too slow to compile at 10^5+ entries for the pipeline itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable


def trie_pattern(entries: Iterable[str]) -> str:
    """A regular expression matching any of ``entries`` (lower-case literals), longest first: the
    entries merged into a trie; an entry that is a prefix of another becomes an optional (greedy)
    tail; a space matches any run of whitespace. Compile with ``re.IGNORECASE``."""
    trie: dict[str, dict] = {}
    for entry in entries:
        if not entry:
            continue
        node = trie
        for ch in entry:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, dict]) -> str:
        terminal = "" in node
        branches = []
        for ch in sorted(c for c in node if c):
            head = r"\s+" if ch == " " else re.escape(ch)
            branches.append(head + emit(node[ch]))
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if terminal else body

    return emit(trie)


def literal_regex(anywhere: Iterable[str], whole_words: Iterable[str]) -> re.Pattern[str] | None:
    """One case-insensitive regex for literals found anywhere and literals found as whole words."""
    anywhere, whole_words = list(anywhere), list(whole_words)
    parts = []
    if anywhere:
        parts.append(trie_pattern(anywhere))
    if whole_words:
        parts.append(rf"(?<!\w)(?:{trie_pattern(whole_words)})(?!\w)")
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None
