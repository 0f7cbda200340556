"""The Aho-Corasick roster matcher (mscsurvey.privacy.literals) finds exactly what the regular
expression it replaced found (tests/regex_reference.py): the same spans, in the same order, on random
texts over a tricky alphabet and on the planted-identifier corpora."""

from __future__ import annotations

import random
import re

import pytest
from planted import planted_corpus, roster
from regex_reference import literal_regex, trie_pattern

from mscsurvey.privacy.literals import PREFIX, LiteralMatcher, fold_case
from mscsurvey.privacy.scrub import _INSIDE_WORD_MIN, _fold_entry, fold_with_offsets

# letters that share prefixes, case pairs, whitespace of several kinds, word and non-word marks, and
# the characters whose case rules differ between str.casefold and re.IGNORECASE
ALPHABET = list("aabnnNAB  \t\n._-@1") + ["é", "ß", "ı", "I", "ς", "σ", "K", "\u00a0", "ǅ"]


def _regex_spans(anywhere, whole, text):
    rx = literal_regex(anywhere, whole)
    return [] if rx is None else [(m.start(), m.end()) for m in rx.finditer(text)]


def _matcher_spans(anywhere, whole, text, prefix=PREFIX):
    return [(a, b) for a, b, _ in LiteralMatcher(anywhere, whole, prefix=prefix).finditer(text)]


def _word(rng: random.Random, low: int, high: int) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(low, high))).strip()


# the automaton holds each entry's first ``prefix`` characters: tiny prefixes make almost every entry
# longer than its automaton word, so the lengths and the set lookup find it
@pytest.mark.parametrize("prefix", [PREFIX, 1, 2, 3])
@pytest.mark.parametrize("seed", range(40))
def test_random_texts_match_the_regex(seed, prefix):
    rng = random.Random(seed)
    # entries as the roster holds them: whitespace runs already collapsed to one space (scrub._norm)
    entries = {" ".join(fold_case(_word(rng, 1, 6)).split()) for _ in range(rng.randint(1, 25))}
    entries = sorted(e for e in entries if e)
    anywhere = [e for e in entries if len(e) >= 3 and rng.random() < 0.6]
    whole = [e for e in entries if e not in anywhere]
    for _ in range(60):
        text = _word(rng, 0, 40)
        # plant entries in random case, joined by random whitespace
        for entry in rng.sample(entries, k=min(3, len(entries))):
            cased = "".join(c.upper() if rng.random() < 0.5 else c for c in entry)
            cased = cased.replace(" ", rng.choice([" ", "  ", "\t", "\n "]))
            cut = rng.randint(0, len(text))
            text = text[:cut] + rng.choice(["", " ", "x"]) + cased + text[cut:]
        assert _matcher_spans(anywhere, whole, text, prefix) == _regex_spans(
            anywhere, whole, text
        ), (seed, text)


def test_entries_far_longer_than_the_prefix_are_found():
    # lengths far beyond the automaton word (its value is a Python int, not 32 bits)
    long_ = "a" * 70 + "b"
    entries = [long_, "a" * 60, "a" * 3, "aab"]
    text = f"x {'A' * 70}B {'a' * 61} aaab"
    for prefix in (1, 2, PREFIX):
        assert _matcher_spans(entries, [], text, prefix) == _regex_spans(entries, [], text)
    assert _matcher_spans(entries, [], text, 1)[0] == (2, 73)


def test_prefix_out_of_range_is_refused():
    with pytest.raises(ValueError, match="prefix"):
        LiteralMatcher(["abc"], [], prefix=0)


def test_the_matched_entry_is_returned_as_given():
    m = LiteralMatcher(["Anne Marie"], ["li"])
    assert list(m.finditer("ANNE \t Marie and Li")) == [(0, 12, "Anne Marie"), (17, 19, "li")]


def test_longest_anywhere_entry_wins_over_a_whole_word_at_the_same_start():
    # like the regex, an anywhere entry at a position is taken before any whole-word entry there
    anywhere, whole = ["anne"], ["anne marie"]
    text = "anne marie"
    assert _matcher_spans(anywhere, whole, text) == _regex_spans(anywhere, whole, text) == [(0, 4)]


def test_longest_entry_wins_as_in_the_trie_regex():
    entries = ["ann", "anne", "anne marie", "bo"]
    text = "Anne  Marie, ANNE, ann, bob"
    rx = re.compile(trie_pattern(entries), re.IGNORECASE)
    expected = ["Anne  Marie", "ANNE", "ann", "bo"]
    assert [m.group() for m in rx.finditer(text)] == expected
    assert [text[a:b] for a, b, _ in LiteralMatcher(entries, []).finditer(text)] == expected
    assert trie_pattern([]) == ""


def test_empty_matcher_finds_nothing():
    assert list(LiteralMatcher([], []).finditer("anything")) == []
    assert len(LiteralMatcher([""], [])) == 0


def test_planted_corpus_matches_the_regex_as_the_scrubber_uses_it():
    entries = [_fold_entry(k) for k in roster()]
    anywhere = [e for e in entries if len(e) >= _INSIDE_WORD_MIN]
    whole = [e for e in entries if len(e) < _INSIDE_WORD_MIN]
    rx = literal_regex(anywhere, whole)
    matchers = [LiteralMatcher(anywhere, whole, prefix=p) for p in (PREFIX, 2)]
    found = 0
    for planted in planted_corpus(seed=7, per_kind=80):
        folded, _ = fold_with_offsets(planted.text)
        expected = [(m.start(), m.end()) for m in rx.finditer(folded)]
        for matcher in matchers:
            assert [(a, b) for a, b, _ in matcher.finditer(folded)] == expected, planted.form
        found += len(expected)
    assert found > 120  # the corpus does exercise the roster
