"""Free-text scrubbing, offline: identifiers in comments become typed placeholders.

Four layers of detectors (HIPAA Safe Harbor's identifiers that can appear in a comment are the
anchor), whose spans are merged before replacing; each layer can be run and tested on its own:

* **presidio's pattern recognizers** (no NLP model): e-mail addresses, US phone numbers, URLs, IP
  addresses, US ZIP codes and street addresses. presidio runs here with its ``NoOpNlpEngine`` and a
  registry we build ourselves; ``AnalyzerEngine()`` with no arguments would try to download a spaCy
  model. presidio's ``EmailRecognizer`` validates a match's domain with ``tldextract``, whose default
  extractor fetches the Public Suffix List from the internet on first use (and writes a cache under
  ``~/.cache``): :func:`offline_email_recognizer` uses an extractor built on the suffix list bundled with
  tldextract, with no URL and no cache. presidio's ``PhoneRecognizer`` (python-phonenumbers with
  leniency "valid") rejects numbers that are not assigned, such as ``(555) 123-4567``; a survey scrubber
  must remove them too, so US phone formats are a pattern here. presidio has no ZIP or street-address
  recognizer: both are written below.
* **the pattern layer** of :mod:`mscsurvey.privacy.patterns`: SSNs, dates with day and month, ages over 89,
  international phone numbers, obfuscated e-mails, URLs without a scheme, handles, addresses without
  a USPS suffix, PO boxes and rural routes, record/account/licence/plate/device numbers.
* **The roster**: every value of the codebook's roster columns in the raw file (people's names and each
  of their name tokens, organisations, cities, street addresses), matched case-insensitively on
  Unicode-folded text (NFKC, accents stripped, NFD input too; offsets map back to the original),
  inside words for entries of four characters or more ("JohnSmith", "mariasfriend") and as whole
  words for shorter ones, possessive and hyphenated forms included, and name tokens cut off at the
  end of a comment or before "..." ("Priya Raghu..."). Name tokens that are also ordinary English
  words ("Rose", "Mark", "Hall") are replaced only in name context ("trust rose" stays). The exact
  values of the other identifier columns (e-mail, phone, IP address, respondent id) join the roster,
  typed by their shape, to catch what a pattern misses. The roster is compiled into one regular
  expression shaped like a trie (shared prefixes factored out), so matching costs about the same for
  ten names or ten thousand.
* **named entities** (:mod:`mscsurvey.privacy.entities`): spaCy's small English model for people, places and
  organisations, and a first/last-name dictionary for names it misses, in name context. Texts made
  only of frequent lower-case words skip the model (:mod:`mscsurvey.privacy.gate`; same output).

Overlapping spans are merged into one, typed by the longest (an URL inside an e-mail address is part of
the e-mail address); ties go to the more specific type. :func:`detect` runs every layer but the roster.
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from mscsurvey.privacy.entities import (
    TaggedText,
    dictionary_name_spans,
    is_ordinary,
    load_model,
    ordinary_words,
    tag_many,
    word_like_names,
)
from mscsurvey.privacy.gate import DeferredTags, gate_lexicon, needs_model
from mscsurvey.privacy.literals import LiteralMatcher
from mscsurvey.privacy.literals import is_word_char as _is_word_char
from mscsurvey.privacy.patterns import pattern_spans
from mscsurvey.privacy.spans import PRIORITY, Span, merge

__all__ = [
    "PLACEHOLDERS",
    "NAME_TYPE",
    "OTHER_TYPE",
    "PHONE_SHAPE",
    "value_kind",
    "KINDS",
    "Span",
    "offline_email_recognizer",
    "zip_recognizer",
    "phone_recognizer",
    "address_recognizer",
    "analyzer",
    "name_tokens",
    "build_roster",
    "fold_with_offsets",
    "nfc_with_offsets",
    "Scrubber",
    "detect",
    "detect_many",
]

#: presidio entity -> placeholder type (the placeholder is the type in brackets).
_PRESIDIO: dict[str, str] = {
    "EMAIL_ADDRESS": "EMAIL",
    "URL": "URL",
    "IP_ADDRESS": "IP_ADDRESS",
    "PHONE_NUMBER": "PHONE",
    "STREET_ADDRESS": "ADDRESS",
    "US_ZIP_CODE": "ZIP",
}
_PRESIDIO_ENTITIES = list(_PRESIDIO)

#: Every placeholder type a detector can insert ("[SSN]", "[DATE]", ...).
KINDS: tuple[str, ...] = tuple(PRIORITY)

#: Detector entity -> placeholder type: presidio's entities, then every other kind as itself.
PLACEHOLDERS: dict[str, str] = {**_PRESIDIO, **{k: k for k in KINDS if k not in _PRESIDIO.values()}}

#: The roster type whose values are people's names: each name token is matched too.
NAME_TYPE = "NAME"

#: Placeholder type of an identifier value with no recognisable shape (e.g. a respondent id).
OTHER_TYPE = "IDENTIFIER"

_EMAIL_SHAPE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_IP_SHAPE = re.compile(r"^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*)$")
#: What a phone number may look like as a whole value: digits, separators, an extension.
PHONE_SHAPE = re.compile(r"^[\d\s().+\-#/]*(?:(?:x|ext\.?|extension)\s*\d+)?$", re.IGNORECASE)


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Titles and suffixes in people's name fields: not identifying, and common in ordinary text.
_NAME_AFFIXES = frozenset(
    _words(
        "mr mrs ms miss mx dr prof rev sr jr ii iii iv md phd dds dvm rn np pa esq mba mph msw lcsw"
    )
)

# Roster entries of this many characters or more are matched inside words too.
_INSIDE_WORD_MIN = 4

_LANG = "en"


# --------------------------------------------------------------------------------------------------
# presidio recognizers


def _presidio():
    """Import presidio lazily (it imports spaCy, ~1 s) and keep its INFO chatter out of the logs."""
    logging.getLogger("presidio-analyzer").setLevel(logging.WARNING)
    import presidio_analyzer

    return presidio_analyzer


@functools.lru_cache(maxsize=1)
def _offline_tld_extractor():
    import tldextract

    # No suffix-list URL, no cache directory: only the snapshot bundled with tldextract is used.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)


@functools.lru_cache(maxsize=1)
def _email_recognizer_class():
    from presidio_analyzer.predefined_recognizers import EmailRecognizer

    class OfflineEmailRecognizer(EmailRecognizer):
        """presidio's e-mail recognizer, validating domains against tldextract's bundled suffix
        list instead of one downloaded at run time."""

        def validate_result(self, pattern_text: str) -> bool:
            return _offline_tld_extractor()(pattern_text).fqdn != ""

    return OfflineEmailRecognizer


def offline_email_recognizer():
    """presidio's ``EmailRecognizer`` whose domain check uses tldextract's bundled suffix list."""
    return _email_recognizer_class()()


_PHONE_REGEX = (
    r"(?<![\w+])"
    r"(?:(?:\+|00)?1[\s.-]?|001[\s.-]?)?"  # country code: +1, 1, 001
    r"(?:\(\s*\d{3}\s*\)[\s.-]?|\d{3}[\s.-]?)"  # area code, bracketed or not
    r"\d{3}[\s.-]?\d{4}"
    r"(?:\s*(?:x|ext\.?|extension|\#)\s*\d{1,6})?"  # extension
    r"(?![\w])"
)
_PHONE7_REGEX = r"(?<![\w+.-])\d{3}[-.]\d{4}(?![\w]|[-.]\d)"


def phone_recognizer():
    """US phone numbers: ``(555) 123-4567``, ``555.123.4567``, ``+1 555 123 4567``, ``5551234567``,
    ``001-555-123-4567x89``, and 7-digit ``123-4567``; unassigned numbers included."""
    p = _presidio()
    return p.PatternRecognizer(
        supported_entity="PHONE_NUMBER",
        name="UsPhonePatternRecognizer",
        patterns=[
            p.Pattern("US phone", _PHONE_REGEX, 0.6),
            p.Pattern("US phone, 7 digits", _PHONE7_REGEX, 0.4),
        ],
        supported_language=_LANG,
    )


_ZIP_REGEX = r"(?<![\w$.,/-])\d{5}(?:-\d{4})?(?![\w/]|[.,]\d|-\d)"


def zip_recognizer():
    """US ZIP codes, 5 digits or ZIP+4 (``12345``, ``12345-6789``), not inside longer numbers."""
    p = _presidio()
    return p.PatternRecognizer(
        supported_entity="US_ZIP_CODE",
        name="UsZipCodeRecognizer",
        patterns=[p.Pattern("US ZIP code", _ZIP_REGEX, 0.3)],
        context=["zip", "zipcode", "postal"],
        supported_language=_LANG,
    )


# USPS Publication 28 street suffixes (names and standard abbreviations).
_SUFFIXES_STRONG = _words(
    "Street St Str Avenue Ave Av Road Rd Boulevard Blvd Drive Dr Lane Ln Court Ct Parkway "
    "Pkwy Highway Hwy Terrace Ter Place Pl Circle Cir Trail Trl Square Sq Expressway Expy "
    "Freeway Fwy Turnpike Tpke Alley Aly Crescent Cres Causeway Cswy Plaza Plz Way"
)
_SUFFIXES_OTHER = _words(
    "Annex Arcade Bayou Beach Bend Bluff Bluffs Bottom Branch Bridge Brook Brooks Burg "
    "Burgs Bypass Camp Canyon Cape Center Centers Cliff Cliffs Club Common Commons Corner "
    "Corners Course Courts Cove Coves Creek Crest Crossing Xing Crossroad Curve Dale Dam "
    "Divide Drives Estate Estates Extension Extensions Fall Falls Ferry Field Fields Flat "
    "Flats Ford Fords Forest Forge Forges Fork Forks Fort Garden Gardens Gateway Glen "
    "Glens Green Greens Grove Groves Harbor Harbors Haven Heights Hts Hill Hills Hollow "
    "Inlet Island Islands Isle Junction Junctions Key Keys Knoll Knolls Lake Lakes Land "
    "Landing Light Lights Loaf Lock Locks Lodge Loop Mall Manor Manors Meadow Meadows Mews "
    "Mill Mills Mission Motorway Mount Mountain Mountains Neck Orchard Oval Overpass Park "
    "Parks Parkways Pass Passage Path Pike Pine Pines Plain Plains Point Points Port Ports "
    "Prairie Radial Ramp Ranch Rapid Rapids Rest Ridge Ridges River Roads Route Row Rue "
    "Run Shoal Shoals Shore Shores Skyway Spring Springs Spur Spurs Squares Station "
    "Stravenue Stream Streets Summit Throughway Trace Track Trafficway Tunnel Underpass "
    "Union Unions Valley Valleys Via Viaduct View Views Village Villages Ville Vista Walk "
    "Walks Wall Ways Well Wells"
)


def _alt(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))


_DIRECTION = (
    r"(?i:northeast|northwest|southeast|southwest|north|south|east|west|[ns][ew]|[nsew])\.?"
)
_STOP = r"(?i:the|a|an|at|on|in|of|to|and|or|for|with|by|from|our|my|their|its|per|than|more|less)"
_UNIT = (
    r"(?:,?\s+(?:(?i:apartment|apt|suite|ste|unit|floor|fl|building|bldg|room|rm)\.?\s*\#?\s*"
    r"|\#\s*)[A-Za-z0-9-]{1,6}(?![\w]))?"
)
_NUMBER = r"(?<![\w#$.,/-])\d{1,6}(?:-\d{1,4})?[A-Za-z]?"
# Street names after a strong suffix ("Street", "Ave", ...) may be in any case; before the other
# suffixes, which are also ordinary words ("3 key points", "4 community centers"), they must start with
# a capital or a digit.
_ADDRESS_STRONG = (
    rf"{_NUMBER}\s+(?:{_DIRECTION}\s+)?(?:(?!{_STOP}\b)[A-Za-z0-9][\w'.-]*\s+){{1,4}}?"
    rf"(?i:{_alt(_SUFFIXES_STRONG)})\b\.?(?:\s+{_DIRECTION}(?![\w]))?{_UNIT}"
)
_ADDRESS_OTHER = (
    rf"{_NUMBER}\s+(?:{_DIRECTION}\s+)?(?:[A-Z0-9][\w'.-]*\s+){{1,4}}?"
    rf"(?:{_alt(_SUFFIXES_OTHER)}|{_alt(w.upper() for w in _SUFFIXES_OTHER)})\b\.?"
    rf"(?:\s+{_DIRECTION}(?![\w]))?{_UNIT}"
)


def address_recognizer():
    """US street addresses: a house number, an optional direction, one to four street-name words, a
    USPS street suffix, an optional direction and an optional unit (``123 Main St``,
    ``4567 W. Oak Avenue Apt 5``, ``88 Elm Ct NE, Suite 210``)."""
    p = _presidio()
    return p.PatternRecognizer(
        supported_entity="STREET_ADDRESS",
        name="UsStreetAddressRecognizer",
        patterns=[
            p.Pattern("US street address", _ADDRESS_STRONG, 0.5),
            p.Pattern("US street address, other suffix", _ADDRESS_OTHER, 0.4),
        ],
        context=["address", "street", "live"],
        supported_language=_LANG,
        # case is handled inside the patterns: street names before ambiguous suffixes are capitalised
        global_regex_flags=re.DOTALL | re.MULTILINE,
    )


@functools.lru_cache(maxsize=1)
def analyzer():
    """A presidio ``AnalyzerEngine`` that runs offline: no NLP model, only pattern recognizers.

    Returns
    -------
    presidio_analyzer.AnalyzerEngine
        recognizing EMAIL_ADDRESS, PHONE_NUMBER, URL, IP_ADDRESS, US_ZIP_CODE and STREET_ADDRESS.
    """
    p = _presidio()
    from presidio_analyzer.nlp_engine import NoOpNlpEngine
    from presidio_analyzer.predefined_recognizers import IpRecognizer, UrlRecognizer

    nlp = NoOpNlpEngine(models=[{"lang_code": _LANG, "model_name": "none"}])
    nlp.load()
    registry = p.RecognizerRegistry(supported_languages=[_LANG])
    for rec in (
        offline_email_recognizer(),
        UrlRecognizer(),
        IpRecognizer(),
        phone_recognizer(),
        zip_recognizer(),
        address_recognizer(),
    ):
        registry.add_recognizer(rec)
    return p.AnalyzerEngine(registry=registry, nlp_engine=nlp, supported_languages=[_LANG])


# Text without a digit, an '@', a colon or a dot inside a word holds nothing the patterns can find.
_MAY_HAVE_PATTERNS = re.compile(r"[\d@:]|\w\.\w")


# --------------------------------------------------------------------------------------------------
# The roster


def _norm(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def name_tokens(full_name: str) -> list[str]:
    """The tokens of a person's name worth matching: whitespace-separated words (``O'Neil``,
    ``Mary-Jane``) and their letter runs (``Neil``, ``Mary``, ``Jane``), with at least 2 letters,
    titles and suffixes (``Dr``, ``Jr``, ``PhD``) left out."""
    out: list[str] = []
    for word in str(full_name).split():
        out += _word_tokens(word)
    return list(dict.fromkeys(out))


_HYPHEN = re.compile(r"[-\u2010\u2013]")
_LETTER_RUN = re.compile(r"[^\W\d_]+")


# Cached per word: a roster of 10^6 names has far fewer distinct first and last names.
@functools.lru_cache(maxsize=1 << 16)
def _word_tokens(word: str) -> tuple[str, ...]:
    word = word.strip(".,;:()\"'")
    out = []
    for piece in (word, *_HYPHEN.split(word), *_LETTER_RUN.findall(word)):
        letters = sum(ch.isalpha() for ch in piece)
        if letters >= 2 and piece.casefold() not in _NAME_AFFIXES:
            out.append(piece)
    return tuple(out)


def value_kind(value: str) -> str:
    """Placeholder type of an identifier value judged by its shape: ``EMAIL``, ``IP_ADDRESS``,
    ``PHONE``, else :data:`OTHER_TYPE`."""
    text = str(value).strip()
    if _EMAIL_SHAPE.match(text):
        return "EMAIL"
    if _IP_SHAPE.match(text):
        return "IP_ADDRESS"
    if PHONE_SHAPE.match(text) and sum(ch.isdigit() for ch in text) >= 7:
        return "PHONE"
    return OTHER_TYPE


def build_roster(
    raw: pd.DataFrame,
    roster_columns: Mapping[str, str],
    *,
    other_columns: Iterable[str] = (),
) -> dict[str, str]:
    """The roster: normalised value -> placeholder type, from the identifier columns of a raw frame.

    Parameters
    ----------
    raw
        the raw (identified) responses.
    roster_columns
        column -> placeholder type (the codebook's ``identifiers.roster``). Columns of type ``NAME``
        contribute each full value and its :func:`name_tokens`; other columns their full values.
    other_columns
        further identifier columns (e-mail, phone, IP address, respondent id) whose exact values are
        scrubbed too, typed by their shape (:func:`value_kind`). The patterns find most of them
        already; the exact values catch what a pattern misses (an unusual domain, an id).

    Returns
    -------
    dict
        case-folded, whitespace-collapsed value -> type. A value found twice keeps the type of a
        full value over a name token, then of the earlier column (roster columns first).
    """
    columns = [(c, t) for c, t in roster_columns.items()]
    columns += [(c, "") for c in other_columns if c not in roster_columns]
    # entry -> its rank (is_token, order, type) packed into one int that sorts the same way, each
    # distinct rank one shared object: a tuple per entry cost ~0.4 GB at 10^6 respondents (~6 million
    # entries). The types: every one value_kind gives and the roster columns', in string order.
    kinds = sorted({"EMAIL", "IP_ADDRESS", "PHONE", OTHER_TYPE, *(k for _, k in columns if k)})
    kind_code = {k: i for i, k in enumerate(kinds)}
    ranks: dict[int, int] = {}
    roster: dict[str, int] = {}
    for order, (col, kind) in enumerate(columns):
        if col not in raw.columns:
            continue
        values = pd.unique(raw[col].dropna().astype(str))
        for value in values.tolist():  # an Arrow-backed array is slow to iterate
            full = _norm(value)
            if len(full) < 2:
                continue
            entries = [(full, 0, kind or value_kind(value))]
            if kind == NAME_TYPE:
                entries += [(_norm(t), 1, kind) for t in name_tokens(value)]
            for entry, is_token, entry_kind in entries:
                rank = (is_token * len(columns) + order) * len(kinds) + kind_code[entry_kind]
                rank = ranks.setdefault(rank, rank)
                if entry not in roster or rank < roster[entry]:
                    roster[entry] = rank
    return {entry: kinds[roster[entry] % len(kinds)] for entry in sorted(roster)}


def _merge(spans: list[Span]) -> list[Span]:
    """Merge overlapping spans into their union, typed by the longest member (ties: priority)."""
    return merge(spans)


_MAX_ENTRY = 200


# --------------------------------------------------------------------------------------------------
# Unicode folding with an offset map


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """``text`` NFKC/NFKD-normalised with combining marks removed (``José``, NFC or NFD, ->
    ``Jose``; ``ﬁ`` -> ``fi``), and for each character of the result the index of the character of
    ``text`` it came from, so a match in the folded text maps back to the original."""
    if text.isascii():
        return text, list(range(len(text)))
    chars: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(text):
        for piece in unicodedata.normalize("NFKD", ch):
            if not unicodedata.combining(piece):
                chars.append(piece)
                offsets.append(i)
    return "".join(chars), offsets


def nfc_with_offsets(text: str) -> tuple[str, list[int]]:
    """``text`` in Unicode NFC and, for each character of it, the index in ``text`` of the start
    of the character cluster (a base character and its combining marks) it came from; a final
    entry ``len(text)`` closes the map."""
    if text.isascii() or unicodedata.is_normalized("NFC", text):
        return text, [*range(len(text)), len(text)]
    chars: list[str] = []
    offsets: list[int] = []
    i = 0
    while i < len(text):
        j = i + 1
        while j < len(text) and unicodedata.combining(text[j]):
            j += 1
        piece = unicodedata.normalize("NFC", text[i:j])
        chars.append(piece)
        offsets += [i] * len(piece)
        i = j
    return "".join(chars), [*offsets, len(text)]


def _back(offsets: list[int], start: int, end: int) -> tuple[int, int]:
    """The span of the original text whose NFC form is ``start:end`` (see
    :func:`nfc_with_offsets`): it ends where the next character's cluster begins."""
    return offsets[start], offsets[end]


def _original_span(text: str, offsets: list[int], start: int, end: int) -> tuple[int, int]:
    """The span of ``text`` that folded characters ``start:end`` came from, with any combining
    marks that follow its last character."""
    if start >= len(offsets):
        return len(text), len(text)
    a = offsets[start]
    b = offsets[end - 1] + 1 if end > start else a
    while b < len(text) and unicodedata.combining(text[b]):
        b += 1
    return a, b


def _fold_entry(entry: str) -> str:
    if entry.isascii():
        # the entry itself when folding keeps it: the roster's 10^6 keys are not copied
        folded = entry.lower()
        return entry if folded == entry else folded
    return fold_with_offsets(entry)[0].casefold()


# --------------------------------------------------------------------------------------------------
# Name context for roster tokens that are also ordinary words ("Rose", "Mark", "Hope", "Hall")

_TITLES = re.compile(
    r"(?i:\b(?:mr|mrs|ms|miss|mx|dr|prof|professor|nurse|doctor|coach|pastor|rev|sister|father)\.?"
    r"\s*)$"
)
_TRUNCATION = re.compile(r"(?:\.\.\.|…|[-–—](?![^\W\d_])|\s*$)")


_ARTICLE = re.compile(r"(?i:\b(?:the|a|an)\s+)$")


def _sentence_start(text: str, pos: int) -> bool:
    before = text[:pos].rstrip()
    return before == "" or before[-1] in '.!?:;"“(\n-–—'


def _name_context(
    text: str, start: int, end: int, names: list[tuple[int, int]], tagged: TaggedText | None
) -> bool:
    """Whether the roster token ``text[start:end]``, an ordinary word, is used as a name here."""
    word = text[start:end]
    if re.match(r"[-‐][a-z]", text[end : end + 2]):
        return False  # the first half of a compound word: "Rose-colored", "Will-power"
    if len(word) >= 2 and word.isupper():
        return True
    # capitalised inside a sentence, not after an article ("the Mark of Excellence")
    if (
        word[:1].isupper()
        and not _sentence_start(text, start)
        and not _ARTICLE.search(text[:start])
    ):
        return True
    if text[end : end + 2] in ("'s", "’s") or _TITLES.search(text[max(0, start - 15) : start]):
        return True
    for a, b in names:  # next to another name token: "Rose Okafor", "Maria Hall"
        if (b <= start and text[b:start].strip(" ,") == "") or (
            a >= end and text[end:a].strip() == ""
        ):
            return True
    if tagged is not None:
        if any(s.kind == NAME_TYPE and s.start <= start and end <= s.end for s in tagged.entities):
            return True
        if start in tagged.proper:
            return not _ARTICLE.search(text[:start])
    # Capitalised at the start of a sentence: a name ("Heather here", "Blake has been great")
    # unless the model reads it as a verb, modal or interjection ("Will we", "Hope this helps");
    # without the model, a name (removing an ordinary word costs less than leaking a name).
    if word[:1].isupper() and _sentence_start(text, start):
        return tagged is None or start not in tagged.verbal
    return False


def _covered(text: str, span: Span, by: list[Span]) -> bool:
    """Whether every letter and digit of ``span`` lies inside one of ``by``."""
    inside = [False] * (span.end - span.start)
    for s in by:
        for i in range(max(s.start, span.start), min(s.end, span.end)):
            inside[i - span.start] = True
    return bool(by) and all(
        inside[i] or not text[span.start + i].isalnum() for i in range(len(inside))
    )


class Scrubber:
    """Replaces identifiers in free text with typed placeholders, from four layers of detectors.

    Parameters
    ----------
    roster
        normalised value -> placeholder type (see :func:`build_roster`); None or empty for no roster.
    patterns
        whether to run the pattern layer: presidio's recognizers (e-mail, US phone, URL, IP, ZIP,
        US street address) and :func:`mscsurvey.privacy.patterns.pattern_spans` (SSN, dates, ages over 89,
        international phones, obfuscated e-mails, handles, addresses without a suffix, ids).
    known_words
        ordinary words (e.g. the codebook's own vocabulary) inside which a roster entry is not
        replaced: "king" in "making", "ross" in "across", "gina" in "marginalised". A roster entry
        standing as a whole word is replaced, unless it is also an ordinary English word used as one
        (see below).
    batch_size
        texts per ``nlp.pipe`` batch of the named-entity model.
    ner
        whether to run the named-entity layer (:mod:`mscsurvey.privacy.entities`: the spaCy model, PERSON ->
        NAME, places -> LOCATION, organisations -> ORGANIZATION, and the name dictionary in name
        context). Roster name tokens that are ordinary English words ("Rose", "Mark", "Hall") are
        replaced only in name context: capitalised inside a sentence, in capitals, possessive, after
        a title, next to another name, or tagged as a person or proper noun by the model.

    Examples
    --------
    >>> s = Scrubber({"ada lovelace": "NAME", "ada": "NAME", "lovelace": "NAME"}, ner=False)
    >>> s.scrub("ask ADA or mail ada@example.org, LovelaceFan")
    ('ask [NAME] or mail [EMAIL], [NAME]Fan', Counter({'NAME': 2, 'EMAIL': 1}))
    """

    def __init__(
        self,
        roster: Mapping[str, str] | None = None,
        *,
        patterns: bool = True,
        known_words: Iterable[str] = (),
        ner: bool = True,
        batch_size: int = 256,
    ) -> None:
        self.known_words = frozenset(w.casefold() for w in known_words)
        self.roster = {
            _fold_entry(k): roster[k]
            for k in sorted(roster or {})  # (keys, not items: no tuple per entry)
            if 2 <= len(k) <= _MAX_ENTRY
        }
        self.patterns = patterns
        self.ner = ner
        self.batch_size = batch_size
        self._roster_matcher = LiteralMatcher(
            (e for e in self.roster if len(e) >= _INSIDE_WORD_MIN),
            (e for e in self.roster if len(e) < _INSIDE_WORD_MIN),
        )
        name_tokens_ = [e for e, t in self.roster.items() if t == NAME_TYPE and " " not in e]
        self._ordinary = ordinary_words() if (self.roster or ner) else frozenset()
        self._ambiguous = (
            frozenset(e for e in name_tokens_ if e in word_like_names())
            if (self.roster or ner)
            else frozenset()
        )
        self._prefixes = {e[:k]: e for e in name_tokens_ if len(e) >= 5 for k in range(4, len(e))}
        if patterns:
            analyzer()  # build it now, not in the middle of the first comment
        if ner:
            load_model()

    # -- layers -----------------------------------------------------------------------------------

    def _pattern_spans(self, text: str) -> list[Span]:
        found: list[Span] = []
        if _MAY_HAVE_PATTERNS.search(text):
            for r in analyzer().analyze(text=text, language=_LANG, entities=_PRESIDIO_ENTITIES):
                found.append(Span(r.start, r.end, PLACEHOLDERS[r.entity_type]))
        found += pattern_spans(text)
        return found

    def _roster_spans(self, text: str, tagged: TaggedText | None) -> list[Span]:
        if not self.roster:
            return []
        folded, offsets = fold_with_offsets(text)
        raw: list[tuple[int, int, str, bool]] = []
        for fa, fb, entry in self._roster_matcher.finditer(folded):
            a, b = _original_span(text, offsets, fa, fb)
            whole = (fa == 0 or not _is_word_char(folded[fa - 1])) and (
                fb == len(folded) or not _is_word_char(folded[fb])
            )
            if not whole and self._inside_known_word(folded, fa, fb):
                continue
            kind = self.roster.get(entry, NAME_TYPE)
            raw.append((a, b, kind, whole and entry in self._ambiguous))
        raw += self._truncated(text, folded, offsets)
        names = [(a, b) for a, b, kind, amb in raw if kind == NAME_TYPE and not amb]
        out = []
        for a, b, kind, ambiguous in raw:
            if ambiguous and not _name_context(text, a, b, names, tagged):
                continue
            out.append(Span(a, b, kind))
        return out

    def _truncated(
        self, text: str, folded: str, offsets: list[int]
    ) -> list[tuple[int, int, str, bool]]:
        """Words that break off inside a roster name token of 5+ letters ("Priya Raghu...")."""
        if not self._prefixes:
            return []
        out = []
        for m in re.finditer(r"[^\W\d_]{4,}", folded):
            key = m.group().casefold()
            if key not in self._prefixes or not _TRUNCATION.match(folded, m.end()):
                continue
            if key in self._ordinary and not m.group()[0].isupper():
                continue
            a, b = _original_span(text, offsets, m.start(), m.end())
            out.append((a, b, NAME_TYPE, False))
        return out

    def _ner_spans(self, text: str, tagged: TaggedText | None) -> list[Span]:
        if tagged is None:
            return []
        return list(tagged.entities) + dictionary_name_spans(text)

    def _inside_known_word(self, text: str, start: int, end: int) -> bool:
        """Whether text[start:end] lies inside (not as) a word that is a known word (the codebook's
        vocabulary) or an ordinary English word: "tran" in "transparent", "king" in "making"."""
        ws, we = start, end
        while ws > 0 and _is_word_char(text[ws - 1]):
            ws -= 1
        while we < len(text) and _is_word_char(text[we]):
            we += 1
        if (ws, we) == (start, end):
            return False  # a whole word: always replaced
        word = text[ws:we].casefold()
        if not all(_is_word_char(ch) for ch in word):
            return False
        return word in self.known_words or is_ordinary(word, self._ordinary)

    # -- public -----------------------------------------------------------------------------------

    def _spans_tagged(self, text: str, tagged: TaggedText | None) -> list[Span]:
        found: list[Span] = []
        if self.patterns:
            found += self._pattern_spans(text)
        roster = self._roster_spans(text, tagged)
        found += roster
        # the roster knows the type better than the model: an entity it covers keeps the roster's
        found += [s for s in self._ner_spans(text, tagged) if not _covered(text, s, roster)]
        return _merge(found)

    #: Whether texts the gate (:mod:`mscsurvey.privacy.gate`) clears skip the named-entity model;
    #: set to False on an instance to run the model on every text (tests/test_gate.py compares both).
    gate: bool = True

    def _tag(self, texts: Sequence[str]) -> list[TaggedText | None]:
        """The model's reading of each text: None for a text without letters; for a text the gate
        (:mod:`mscsurvey.privacy.gate`) clears (frequent lower-case words only), no entities and
        the model's tags deferred until the roster layer asks; else the model's, in batches."""
        if not self.ner:
            return [None] * len(texts)
        tagged: list[TaggedText | None] = [None] * len(texts)
        todo = []
        lexicon = gate_lexicon(self.known_words) if self.gate else None
        for i, t in enumerate(texts):
            if not re.search(r"[^\W\d_]", t):
                continue
            if lexicon is not None and not needs_model(t, lexicon):
                tagged[i] = DeferredTags(t, self._tag_one)
            else:
                todo.append(i)
        batch = tag_many(
            [texts[i] for i in todo], batch_size=self.batch_size, known_words=self.known_words
        )
        for i, tag in zip(todo, batch, strict=True):
            tagged[i] = tag
        return tagged

    def _tag_one(self, text: str) -> TaggedText:
        return tag_many([text], batch_size=1, known_words=self.known_words)[0]

    def spans(self, text: str) -> list[Span]:
        """Every identifier found in ``text``, overlaps merged, in text order."""
        return self.spans_many([text])[0]

    def spans_many(self, texts: Sequence[str]) -> list[list[Span]]:
        """:meth:`spans` of many texts, the model run over them in batches."""
        texts = [str(t) for t in texts]
        # each distinct text once (comments repeat: "N/A", "No", template answers)
        unique = list(dict.fromkeys(texts))
        # every layer reads composed (NFC) text: NFD "Trần" would split words at its combining
        # marks; spans are mapped back to the original text
        composed = [nfc_with_offsets(t) for t in unique]
        nfc = [c[0] for c in composed]
        found = {}
        for t, (c, offsets), tag in zip(unique, composed, self._tag(nfc), strict=True):
            spans = self._spans_tagged(c, tag)
            if c != t:
                spans = [Span(*_back(offsets, s.start, s.end), s.kind) for s in spans]
            found[t] = spans
        return [found[t] for t in texts]

    @staticmethod
    def _replace(text: str, spans: list[Span]) -> tuple[str, Counter[str]]:
        counts: Counter[str] = Counter()
        if not spans:
            return text, counts
        pieces, pos = [], 0
        for s in spans:
            pieces.append(text[pos : s.start])
            pieces.append(f"[{s.kind}]")
            counts[s.kind] += 1
            pos = s.end
        pieces.append(text[pos:])
        return "".join(pieces), counts

    def scrub(self, text: str) -> tuple[str, Counter[str]]:
        """Replace every identifier in ``text`` by ``[TYPE]``.

        Returns
        -------
        (str, collections.Counter)
            the scrubbed text and the number of placeholders inserted, by type.
        """
        return self._replace(text, self.spans(text))

    def scrub_many(self, texts: Sequence[str]) -> list[tuple[str, Counter[str]]]:
        """:meth:`scrub` of many texts (the model runs over them in batches): one (text, counts)
        per text, in order."""
        texts = [str(t) for t in texts]
        return [self._replace(t, s) for t, s in zip(texts, self.spans_many(texts), strict=True)]

    def scrub_series(self, values: pd.Series) -> tuple[pd.Series, Counter[str], int]:
        """Scrub every non-blank text of a column.

        Returns
        -------
        (pandas.Series, collections.Counter, int)
            the scrubbed column (missing stays missing), placeholders by type, and the number of
            texts that were changed.
        """
        out = values.copy()
        counts: Counter[str] = Counter()
        changed = 0
        present = values.notna()
        texts = values[present].astype(str).tolist()
        new = []
        for scrubbed, c in self.scrub_many(texts):
            new.append(scrubbed)
            if c:
                counts.update(c)
                changed += 1
        out.loc[present] = new
        return out, counts, changed


@functools.lru_cache(maxsize=1)
def _default_detector() -> Scrubber:
    return Scrubber(None, patterns=True, ner=True)


def detect(text: str) -> list[Span]:
    """Every identifier that the pattern and named-entity layers find in ``text`` (no roster),
    merged, in text order. For screening any respondent-typed value and for scanning outputs."""
    return _default_detector().spans(text)


def detect_many(texts: Iterable[str]) -> list[list[Span]]:
    """:func:`detect` of many texts, the model run over them in batches."""
    return _default_detector().spans_many(list(texts))
