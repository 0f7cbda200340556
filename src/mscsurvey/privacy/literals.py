"""Find any of many literal strings in a text: the roster of an export's identifier values.

The roster holds several values per respondent (full name, name tokens, e-mail, phone, street, id),
so at 10^5-10^6 respondents it has 10^5-10^7 entries. One ``re`` pattern of them all (a trie) took
minutes to hours to compile (``re.compile`` is superlinear in the pattern's size); an Aho-Corasick
automaton (pyahocorasick, a C extension) is built in time linear in the entries' characters and
scans a text in time linear in its length. It holds only each entry's first :data:`PREFIX`
characters (the entries themselves are in a set): a trie of whole entries cost ~670 bytes per entry.

:class:`LiteralMatcher` keeps the semantics of the regular expression it replaces,
``anywhere_trie | (?<!\\w)whole_word_trie(?!\\w)`` compiled with ``re.IGNORECASE``:

- case-insensitive (both sides case-folded character by character, length-preserving, with the
  few case equivalences ``re`` knows beyond that, such as dotless ``ı`` = ``i``);
- a space in an entry matches any run of whitespace in the text;
- scanning left to right, a match is the longest *anywhere* entry starting at the leftmost possible
  position, else the longest *whole-word* entry starting there whose ends are word boundaries;
  matches do not overlap, and the scan resumes where a match ends.

``tests/test_literals.py`` checks the equality with the regular expression on random texts and on
the planted-identifier corpora.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache

import ahocorasick

__all__ = ["PREFIX", "LiteralMatcher", "fold_case", "is_word_char"]

# Case equivalences ``re.IGNORECASE`` applies beyond lower-casing (sre_compile's _equivalences) that
# str.casefold does not: dotless i, long s, ... Each maps to one representative.
_EQUIVALENT = str.maketrans(
    {
        "ı": "i",
        "ſ": "s",
        "µ": "μ",
        "ͅ": "ι",
        "ι": "ι",
        "ΐ": "ΐ",
        "ΰ": "ΰ",
        "ϐ": "β",
        "ϵ": "ε",
        "ϑ": "θ",
        "ϰ": "κ",
        "ϖ": "π",
        "ϱ": "ρ",
        "ς": "σ",
        "ϕ": "φ",
        "ẛ": "ṡ",
        "ﬅ": "ﬆ",
    }
)


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    for candidate in (ch.casefold(), ch.lower()):
        if len(candidate) == 1:
            return candidate
    return ch


def fold_case(text: str) -> str:
    """``text`` case-folded character by character, so that index ``i`` of the result is index
    ``i`` of ``text`` (``str.casefold`` turns ``ß`` into ``ss``; ``re.IGNORECASE`` does not either)."""
    if text.isascii():
        return text.lower()
    folded = text.casefold()
    if len(folded) != len(text):
        folded = "".join(map(_fold_char, text))
    return folded.translate(_EQUIVALENT)


_SPACE_RUN = re.compile(r"\s+")
# whitespace other than a single space: only then do the offsets need a map
_COLLAPSIBLE = re.compile(r"[^\S ]| {2}")


def _normalise(text: str) -> tuple[str, list[int] | None, list[int] | None]:
    """The text case-folded with every whitespace run turned into one space, and (when runs were
    collapsed) for each character of the result where it starts and ends in ``text``."""
    folded = fold_case(text)
    if _COLLAPSIBLE.search(folded) is None:
        return folded, None, None
    starts: list[int] = []
    ends: list[int] = []
    pieces: list[str] = []
    pos = 0
    for m in _SPACE_RUN.finditer(folded):
        pieces.append(folded[pos : m.start()])
        starts.extend(range(pos, m.start()))
        ends.extend(range(pos + 1, m.start() + 1))
        pieces.append(" ")
        starts.append(m.start())
        ends.append(m.end())
        pos = m.end()
    pieces.append(folded[pos:])
    starts.extend(range(pos, len(folded)))
    ends.extend(range(pos + 1, len(folded) + 1))
    return "".join(pieces), starts, ends


def is_word_char(ch: str) -> bool:
    """What ``\\w`` matches in a ``str`` pattern: a letter, digit or underscore of any script."""
    return ch.isalnum() or ch == "_"


#: Characters of each entry the automaton holds (see :class:`LiteralMatcher`): a trie of whole
#: entries costs ~14 nodes (~670 bytes) per 20-character entry, ~2.5 GB for the ~6 million entries
#: of 10^6 respondents; their 8-character prefixes share most nodes (~1.5 per entry measured).
PREFIX = 8
# an automaton value, a Python int (STORE_INTS keeps 32 bits only): bit b set if an entry of
# len(word) + b characters starts with the word, shifted left by _LEN_BITS and or'ed with len(word)
_LEN_BITS = 6


@lru_cache(maxsize=1 << 16)
def _bits(mask: int) -> tuple[int, ...]:
    """The set bits of ``mask``, lowest first."""
    return tuple(b for b in range(mask.bit_length()) if mask >> b & 1)


class LiteralMatcher:
    """Literals found anywhere (also inside words) and literals found only as whole words.

    Parameters
    ----------
    anywhere, whole_words
        the literals (any case; a space stands for any whitespace run; so does any other whitespace
        in an entry, where the regex matched it literally, a case the roster never has because
        its entries are whitespace-collapsed). An entry in both lists is found anywhere.
    prefix
        characters of each entry the Aho-Corasick automaton holds. The automaton finds where an
        entry's first ``prefix`` characters (a shorter entry: all of it) occur, and the lengths of
        the entries starting with them; a set lookup of the text's slice of each length confirms
        the entry. Every entry's occurrences are found, as with an automaton of whole entries, in
        a fraction of its memory (tests/test_literals.py compares both on random texts with
        prefixes down to one character).

    Examples
    --------
    >>> m = LiteralMatcher(["lovelace"], ["ada"])
    >>> [(a, b, e) for a, b, e in m.finditer("Ask ADA  Lovelace, not Adam; LovelaceFan")]
    [(4, 7, 'ada'), (9, 17, 'lovelace'), (29, 37, 'lovelace')]
    """

    def __init__(
        self, anywhere: Iterable[str], whole_words: Iterable[str], *, prefix: int = PREFIX
    ) -> None:
        if not 1 <= prefix < 1 << _LEN_BITS:
            raise ValueError(f"prefix must be 1-{(1 << _LEN_BITS) - 1} characters, not {prefix}")
        automaton = ahocorasick.Automaton()
        # normalised entries; an entry as given only where it differs (the first one, anywhere first)
        self._anywhere: set[str] = set()
        self._whole: set[str] = set()
        self._given: dict[str, str] = {}
        for whole, entries in ((False, anywhere), (True, whole_words)):
            keys = self._whole if whole else self._anywhere
            for entry in entries:
                key = entry.lower() if entry.isascii() else ""
                if not key or _COLLAPSIBLE.search(key) is not None:
                    key = _normalise(entry)[0]  # (the ASCII case above is _normalise's fast path)
                if not key or key in self._anywhere or key in self._whole:
                    continue
                if key == entry:
                    key = entry  # one string object for both
                else:
                    self._given[key] = entry
                keys.add(key)
                word = key[:prefix]
                mask = automaton.get(word, 0) >> _LEN_BITS | 1 << (len(key) - len(word))
                automaton.add_word(word, mask << _LEN_BITS | len(word))
        self._empty = len(automaton) == 0
        if not self._empty:
            automaton.make_automaton()
        self._automaton = automaton

    def __len__(self) -> int:
        return len(self._anywhere) + len(self._whole)

    def _occurrences(self, norm: str) -> Iterator[tuple[int, int, bool, str]]:
        """Every entry occurring in the normalised text: (start, length, whole words only, entry)."""
        anywhere, whole, given = self._anywhere, self._whole, self._given
        last = len(norm)
        for end_index, value in self._automaton.iter(norm):
            wlen = value & ((1 << _LEN_BITS) - 1)
            mask = value >> _LEN_BITS
            start = end_index - wlen + 1
            for extra in _bits(mask):
                length = wlen + extra
                if start + length > last:
                    break
                key = norm[start : start + length]
                if key in anywhere:
                    yield start, length, False, given.get(key, key)
                elif key in whole:
                    yield start, length, True, given.get(key, key)

    def finditer(self, text: str) -> Iterator[tuple[int, int, str]]:
        """Yield ``(start, end, entry)`` for each match in ``text``, left to right: ``text[start:end]``
        is the matched text, ``entry`` the literal it matched, as it was given."""
        if self._empty or not text:
            return
        norm, starts, ends = _normalise(text)
        best_any: dict[int, tuple[int, str]] = {}
        best_whole: dict[int, tuple[int, str]] = {}
        last = len(norm)
        for start, length, whole, entry in self._occurrences(norm):
            end = start + length
            if whole:
                if (start > 0 and is_word_char(norm[start - 1])) or (
                    end < last and is_word_char(norm[end])
                ):
                    continue
                table = best_whole
            else:
                table = best_any
            if start not in table or table[start][0] < length:
                table[start] = (length, entry)
        pos = 0
        for start in sorted(best_any.keys() | best_whole.keys()):
            if start < pos:
                continue
            length, entry = best_any.get(start) or best_whole[start]
            pos = start + length
            if starts is None or ends is None:
                yield start, pos, entry
            else:
                yield starts[start], ends[pos - 1], entry
