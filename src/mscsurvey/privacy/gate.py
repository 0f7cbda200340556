"""A cheap gate in front of the named-entity model: texts made only of frequent lower-case English
words (and sentence-initial stop words) skip it.

The spaCy model is ~85% of the free-text scrubber's time (``benchmarks/RESULTS.md``, section 7).
What its output is used for (:func:`mscsurvey.privacy.entities.tag_many` and the scrubber):

1. **entities**, kept only if they pass the layer's filters: a one-word PERSON is dropped when the
   model also tags it as a verb, modal or interjection, or when it is an ordinary English word that
   no name list holds ("Drop by the office"); a place or organisation is dropped when it is a US
   state or a country, an acronym ("MSC"), or made only of generic words ("the Steering Committee");
2. **proper-noun and verb tags**, read only by the roster layer to decide whether a roster name
   that is also an ordinary word ("Rose", "Mark") is used as a name here.

The name dictionary (:func:`mscsurvey.privacy.entities.dictionary_name_spans`), the patterns and the
roster run on every text whatever the gate says.

A text may skip the model (:func:`needs_model` is False) only when it has

* no digit (numbers make names of ordinary words: "Route 9", "Local 503", "Building 4");
* no lower-case word outside :func:`gate_lexicon`: frequent English words (Faker's ``en_US`` lorem
  list of 971 common words, spaCy's stop words, the layer's generic organisation words) and the
  codebook's own vocabulary, with their regular inflections, less first and last names that are
  not themselves on the list and titles ("dr", "mr"). Names, surnames, rare words, typos, foreign
  words, run-together handles and words in other scripts all send a text to the model;
* no capital letter except the pronoun "I" and, starting a sentence, a stop word ("The", "We",
  "Some") or a sentence adverb of :data:`OPENERS` ("Honestly,"), names among them excepted
  ("Will", "May"). A capital inside a sentence, a capitalised noun, verb or adjective starting a
  sentence, a word in capitals ("MSC", "MARK HALL") or in mixed case ("McKenzie") sends the text
  to the model.

Why not a bigger lexicon: the model does tag rare lower-case words in sentences that invite a name
or a place ("the meeting in kilowatt was useful" -> a place; WordNet's index, the largest word list
offline, holds 77,000 words with "yakima", "seattle" and "zhou" among them: in such sentences the
model kept an entity on ~4% of its nouns), and capitalised ordinary words at a sentence start
("Time helped a lot this year" -> an organisation). Why this lexicon is enough: a one-word PERSON
on an ordinary word that no name list holds is dropped by filter 1; the model kept no entity on
any word of the lexicon in lower case, nor on the openers, in sentences that invite one
(``tests/test_gate.py`` checks every word); the rest, that the model tags no run of such words in
other sentences, is empirical: the gated and ungated scrubbers' outputs are compared text for
text on the planted-identifier corpora, the clean comments and the synthetic generator's comments
(``tests/test_gate.py``, ``benchmarks/RESULTS.md``). When the roster layer needs the tags of point
2 for a text that skipped the model, :class:`DeferredTags` runs the model on that one text then,
so the roster's decisions are the model's exactly.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable

from mscsurvey.privacy.entities import (
    COMMON_WORD_NAMES,
    GENERIC_WORDS,
    TaggedText,
    _faker_names,
    _lookups,
    _sentence_start,
    is_ordinary,
)

__all__ = [
    "OPENERS",
    "common_words",
    "gate_lexicon",
    "needs_model",
    "skippable",
    "DeferredTags",
    "GateLexicon",
]


def _split(text: str) -> list[str]:
    return text.split()


# Titles and honorifics (the name dictionary's, plus "st" for Saint): a title precedes a name.
_TITLES = frozenset(
    _split(
        "mr mrs ms miss mx dr prof professor nurse doctor coach pastor rev reverend sister father"
    )
    + _split("st sr jr mt ft")
)
# Pieces of contractions after an apostrophe ("I'm", "don't", "we'll", "organisation's").
_CONTRACTIONS = frozenset(_split("s t m d ll re ve"))

# Negated auxiliaries before "'t" ("don't", "Didn't"): some are names on their own ("Don").
_NEGATED = frozenset(
    _split("don doesn didn isn wasn aren weren won wouldn couldn shouldn haven hasn hadn ain can")
)
_NOT = re.compile(r"['’]t(?![\w])")
_LETTERS = re.compile(r"[^\W\d_]+")
_DIGIT = re.compile(r"\d")


class GateLexicon:
    """The words a text may hold and still skip the model (see the module docstring).

    ``lower`` holds the words allowed in lower case and ``initial`` those allowed capitalised at
    the start of a sentence; their regular inflections are judged by
    :func:`mscsurvey.privacy.entities.is_ordinary`. A word in ``lower_excluded`` or
    ``initial_excluded`` (names, places, titles) is never allowed there, inflected or not.
    """

    def __init__(
        self,
        lower: frozenset[str],
        lower_excluded: frozenset[str],
        initial: frozenset[str],
        initial_excluded: frozenset[str],
    ) -> None:
        self._sets = {False: (lower, lower_excluded), True: (initial, initial_excluded)}

    @functools.lru_cache(maxsize=1 << 16)  # noqa: B019 - a few lexicons per process, words repeat
    def allows(self, word: str, initial: bool) -> bool:
        """Whether the lower-case ``word`` is allowed (capitalised at a sentence start if
        ``initial``)."""
        allowed, excluded = self._sets[initial]
        if word in excluded:
            return False
        if initial:
            return word in allowed  # closed-class words only: no inflections
        return word in _CONTRACTIONS or is_ordinary(word, allowed)


@functools.lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Frequent English words: the lower-case words of Faker's ``en_US`` lorem list (971 of the most
    common words; its capitalised entries, "American", "Congress", "Mr", are left out), spaCy's
    stop words and the generic words of organisation names
    (:data:`~mscsurvey.privacy.entities.GENERIC_WORDS`), with WordNet's irregular forms of the verbs and adjectives
    among them ("got", "met", "better")."""
    from faker.providers.lorem.en_US import Provider
    from spacy.lang.en.stop_words import STOP_WORDS

    words = {w for w in Provider.word_list if w.isalpha() and w.islower()}
    words |= {w for w in STOP_WORDS if w.isalpha()}
    words |= {w for w in GENERIC_WORDS if w.isalpha()}
    exc = _lookups().get_table("lemma_exc")
    irregular = {
        form
        for pos in ("verb", "adj")  # nouns' irregular plurals include "fora", "reales"
        for form, lemmas in exc[pos].items()
        if form.isalpha() and set(lemmas) & words
    }
    return frozenset(words | irregular)


#: Sentence adverbs that open a comment ("Honestly, ..."), allowed capitalised at a sentence start:
#: hand-written (no offline list tells them apart), each checked against the model in
#: tests/test_gate.py (never tagged in entity-inviting sentences).
OPENERS = frozenset(
    _split("""
    overall honestly really also finally basically generally personally frankly truthfully
    unfortunately fortunately sadly luckily hopefully clearly obviously definitely certainly
    ultimately initially originally currently recently lately sometimes often usually still
    yes yeah absolutely agreed
    """)
)


@functools.lru_cache(maxsize=8)
def gate_lexicon(known_words: frozenset[str] = frozenset()) -> GateLexicon:
    """The gate's lexicon.

    * in lower case: :func:`common_words`, the ordinary English words of ``known_words`` (the
      codebook's vocabulary: the topics the comments answer) and their regular inflections ("partners", "decisions"), less titles
      and less names that are not themselves in the list ("bill" and "hope" stay, "parker" is not
      let in as an inflection of "park", a codebook's "washington" is left out);
    * capitalised at the start of a sentence: spaCy's stop words ("The", "We", "It", "Some",
      "Nobody") and :data:`OPENERS`, less the names among them ("Will", "May", "Well").
    """
    from spacy.lang.en.stop_words import STOP_WORDS

    # codebook words that are ordinary English words: as a one-word entity the layer's filters drop
    # them (an ordinary word no name list holds; a place or organisation of known words)
    known = {w for w in known_words if w.isalpha() and w.islower() and is_ordinary(w)}
    common = common_words() | known
    names = _faker_names() | COMMON_WORD_NAMES
    initial = frozenset(w for w in STOP_WORDS if w.isalpha()) | OPENERS
    return GateLexicon(
        common,
        frozenset((names - common_words()) | _TITLES),
        initial,
        frozenset((names & initial) | COMMON_WORD_NAMES | _TITLES),
    )


def needs_model(text: str, lexicon: GateLexicon | None = None) -> bool:
    """Whether the named-entity model must read ``text``: True unless the text has no digit, no
    word outside the lexicon and no capital but "I" and sentence-initial words of the stricter
    lexicon (see the module docstring for why).

    Examples
    --------
    >>> needs_model("It is hard to say what will change, but we are all in this together.")
    False
    >>> needs_model("talked to marcus yesterday"), needs_model("Seattle was great.")
    (True, True)
    """
    lexicon = lexicon or gate_lexicon()
    if _DIGIT.search(text):
        return True
    for m in _LETTERS.finditer(text):
        word = m.group()
        lower = word.lower()
        if lower in _NEGATED and _NOT.match(text, m.end()) and word[1:] == lower[1:]:
            continue
        if word == lower:
            if not lexicon.allows(lower, False):
                return True
        elif word == "I":
            continue
        elif not (
            word[1:] == lower[1:]
            and _sentence_start(text, m.start())
            and lexicon.allows(lower, True)
        ):
            return True
    return False


def skippable(texts: Iterable[str]) -> list[bool]:
    """:func:`needs_model` negated, for many texts (helper for benchmarks and tests)."""
    lexicon = gate_lexicon()
    return [not needs_model(t, lexicon) for t in texts]


class DeferredTags(TaggedText):
    """The model's reading of a text the gate let skip it: no entities; the proper-noun and verb
    tags (read only by the roster layer, for roster names that are also ordinary words) come from
    running the model on this one text the first time they are asked for."""

    entities: tuple = ()

    def __init__(self, text: str, tag: Callable[[str], TaggedText]) -> None:  # noqa: D107
        object.__setattr__(self, "_text", text)
        object.__setattr__(self, "_tag", tag)
        object.__setattr__(self, "_tags", None)

    def _model(self) -> TaggedText:
        if self._tags is None:
            object.__setattr__(self, "_tags", self._tag(self._text))
        return self._tags

    @property  # type: ignore[override]
    def proper(self) -> frozenset[int]:
        return self._model().proper

    @property  # type: ignore[override]
    def verbal(self) -> frozenset[int]:
        return self._model().verbal
