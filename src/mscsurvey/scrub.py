"""Free-text scrubbing, offline: identifiers in comments become typed placeholders.

Two detectors, whose spans are merged before replacing:

* **Patterns** (presidio-analyzer, no NLP model): e-mail addresses, US phone numbers, URLs, IP
  addresses, US ZIP codes and street addresses. presidio runs here with its ``NoOpNlpEngine`` and a
  registry we build ourselves; ``AnalyzerEngine()`` with no arguments would try to download a spaCy
  model. presidio's ``EmailRecognizer`` validates a match's domain with ``tldextract``, whose default
  extractor fetches the Public Suffix List from the internet on first use (and writes a cache under
  ``~/.cache``): :func:`offline_email_recognizer` uses an extractor built on the suffix list bundled with
  tldextract, with no URL and no cache. presidio's ``PhoneRecognizer`` (python-phonenumbers with
  leniency "valid") rejects numbers that are not assigned, such as ``(555) 123-4567``; a survey scrubber
  must remove them too, so US phone formats are a pattern here. presidio has no ZIP or street-address
  recognizer: both are written below.
* **The roster**: every value of the codebook's roster columns in the raw file (people's names and each
  of their name tokens, organisations, cities, street addresses), matched case-insensitively, inside
  words for entries of four characters or more ("JohnSmith", "mariasfriend") and as whole words for
  shorter ones. The exact values of the other identifier columns (e-mail, phone, IP address,
  respondent id) join the roster, typed by their shape, to catch what a pattern misses. The roster
  is compiled into one regular expression shaped like a trie (shared prefixes factored out), so
  matching costs about the same for ten names or ten thousand.

Overlapping spans are merged into one, typed by the longest (an URL inside an e-mail address is part of
the e-mail address); ties go to the more specific type.
"""

from __future__ import annotations

import functools
import logging
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

__all__ = [
    "PLACEHOLDERS",
    "NAME_TYPE",
    "OTHER_TYPE",
    "value_kind",
    "Span",
    "offline_email_recognizer",
    "zip_recognizer",
    "phone_recognizer",
    "address_recognizer",
    "analyzer",
    "name_tokens",
    "build_roster",
    "trie_pattern",
    "literal_regex",
    "Scrubber",
]

#: presidio entity -> placeholder type (the placeholder is the type in brackets).
PLACEHOLDERS: dict[str, str] = {
    "EMAIL_ADDRESS": "EMAIL",
    "URL": "URL",
    "IP_ADDRESS": "IP_ADDRESS",
    "PHONE_NUMBER": "PHONE",
    "STREET_ADDRESS": "ADDRESS",
    "US_ZIP_CODE": "ZIP",
}

#: The roster type whose values are people's names: each name token is matched too.
NAME_TYPE = "NAME"

#: Placeholder type of an identifier value with no recognisable shape (e.g. a respondent id).
OTHER_TYPE = "IDENTIFIER"

_EMAIL_SHAPE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_IP_SHAPE = re.compile(r"^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*)$")
_PHONE_SHAPE = re.compile(r"^[\d\s().+\-#/]*(?:(?:x|ext\.?|extension)\s*\d+)?$", re.IGNORECASE)


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Equal-length overlapping spans: the earlier type in this order wins.
_PRIORITY = [
    "EMAIL",
    "URL",
    "IP_ADDRESS",
    "PHONE",
    "ADDRESS",
    "ORGANIZATION",
    "LOCATION",
    "ZIP",
    OTHER_TYPE,
]

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
        word = word.strip(".,;:()\"'")
        pieces = [word, *re.split(r"[-\u2010\u2013]", word), *re.findall(r"[^\W\d_]+", word)]
        for piece in pieces:
            letters = sum(ch.isalpha() for ch in piece)
            if letters >= 2 and piece.casefold() not in _NAME_AFFIXES:
                out.append(piece)
    return list(dict.fromkeys(out))


def value_kind(value: str) -> str:
    """Placeholder type of an identifier value judged by its shape: ``EMAIL``, ``IP_ADDRESS``,
    ``PHONE``, else :data:`OTHER_TYPE`."""
    text = str(value).strip()
    if _EMAIL_SHAPE.match(text):
        return "EMAIL"
    if _IP_SHAPE.match(text):
        return "IP_ADDRESS"
    if _PHONE_SHAPE.match(text) and sum(ch.isdigit() for ch in text) >= 7:
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
    roster: dict[str, tuple[int, int, str]] = {}
    columns = [(c, t) for c, t in roster_columns.items()]
    columns += [(c, "") for c in other_columns if c not in roster_columns]
    for order, (col, kind) in enumerate(columns):
        if col not in raw.columns:
            continue
        values = pd.unique(raw[col].dropna().astype(str))
        for value in values:
            full = _norm(value)
            if len(full) < 2:
                continue
            entries = [(full, 0, kind or value_kind(value))]
            if kind == NAME_TYPE:
                entries += [(_norm(t), 1, kind) for t in name_tokens(value)]
            for entry, is_token, entry_kind in entries:
                rank = (is_token, order, entry_kind)
                if entry not in roster or rank < roster[entry]:
                    roster[entry] = rank
    return {entry: rank[2] for entry, rank in sorted(roster.items())}


def trie_pattern(entries: Iterable[str]) -> str:
    """A regular expression matching any of ``entries`` (lower-case literals), longest first.

    The entries are merged into a trie so that shared prefixes are tested once; an entry that is a
    prefix of another becomes an optional (greedy) tail, so the longest entry wins at any position.
    A space in an entry matches any run of whitespace. Compile the result with ``re.IGNORECASE``.
    """
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

    # Recursion depth is the longest entry; entries are capped at 200 characters by the caller.
    return emit(trie)


def literal_regex(anywhere: Iterable[str], whole_words: Iterable[str]) -> re.Pattern[str] | None:
    """One case-insensitive regex for literals found anywhere (also inside words) and literals found
    only as whole words; ``None`` when both are empty."""
    anywhere, whole_words = list(anywhere), list(whole_words)
    parts = []
    if anywhere:
        parts.append(trie_pattern(anywhere))
    if whole_words:
        parts.append(rf"(?<!\w)(?:{trie_pattern(whole_words)})(?!\w)")
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None


@dataclass(frozen=True)
class Span:
    """A found identifier: ``text[start:end]`` is replaced by ``[kind]``."""

    start: int
    end: int
    kind: str

    @property
    def length(self) -> int:
        return self.end - self.start


def _rank(span: Span) -> tuple[int, int]:
    prio = _PRIORITY.index(span.kind) if span.kind in _PRIORITY else len(_PRIORITY)
    return (-span.length, prio)


def _merge(spans: list[Span]) -> list[Span]:
    """Merge overlapping spans into their union, typed by the longest member (ties: priority)."""
    if not spans:
        return []
    spans = sorted(spans, key=lambda s: (s.start, -s.end))
    merged: list[Span] = []
    group = [spans[0]]
    end = spans[0].end
    for s in spans[1:]:
        if s.start < end:
            group.append(s)
            end = max(end, s.end)
        else:
            merged.append(Span(group[0].start, end, min(group, key=_rank).kind))
            group, end = [s], s.end
    merged.append(Span(group[0].start, end, min(group, key=_rank).kind))
    return merged


_MAX_ENTRY = 200


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


class Scrubber:
    """Replaces identifiers in free text with typed placeholders.

    Parameters
    ----------
    roster
        normalised value -> placeholder type (see :func:`build_roster`); None or empty for patterns
        only.
    patterns
        whether to run the presidio pattern recognizers (e-mail, phone, URL, IP, ZIP, address).
    known_words
        ordinary words (e.g. the codebook's own vocabulary) inside which a roster entry is not
        replaced: "king" in "making", "ross" in "across", "gina" in "marginalised". A roster entry
        standing as a whole word is always replaced, known word or not.

    Examples
    --------
    >>> s = Scrubber({"ada lovelace": "NAME", "ada": "NAME", "lovelace": "NAME"})
    >>> s.scrub("ask ADA or mail ada@example.org, LovelaceFan")
    ('ask [NAME] or mail [EMAIL], [NAME]Fan', Counter({'NAME': 2, 'EMAIL': 1}))
    """

    def __init__(
        self,
        roster: Mapping[str, str] | None = None,
        *,
        patterns: bool = True,
        known_words: Iterable[str] = (),
    ) -> None:
        self.known_words = frozenset(w.casefold() for w in known_words)
        self.roster = {k: v for k, v in (roster or {}).items() if 2 <= len(k) <= _MAX_ENTRY}
        self.patterns = patterns
        self._entities = list(PLACEHOLDERS)
        self._roster_re = literal_regex(
            (e for e in self.roster if len(e) >= _INSIDE_WORD_MIN),
            (e for e in self.roster if len(e) < _INSIDE_WORD_MIN),
        )
        if patterns:
            analyzer()  # build it now, not in the middle of the first comment

    def spans(self, text: str) -> list[Span]:
        """Every identifier found in ``text``, overlaps merged, in text order."""
        found: list[Span] = []
        if self.patterns and _MAY_HAVE_PATTERNS.search(text):
            for r in analyzer().analyze(text=text, language=_LANG, entities=self._entities):
                found.append(Span(r.start, r.end, PLACEHOLDERS[r.entity_type]))
        if self._roster_re is not None:
            for m in self._roster_re.finditer(text):
                if self.known_words and self._inside_known_word(text, m.start(), m.end()):
                    continue
                kind = self.roster.get(_norm(m.group()), NAME_TYPE)
                found.append(Span(m.start(), m.end(), kind))
        return _merge(found)

    def _inside_known_word(self, text: str, start: int, end: int) -> bool:
        """Whether text[start:end] lies inside (not as) a word that is a known ordinary word."""
        ws, we = start, end
        while ws > 0 and _is_word_char(text[ws - 1]):
            ws -= 1
        while we < len(text) and _is_word_char(text[we]):
            we += 1
        if (ws, we) == (start, end):
            return False  # a whole word: always replaced
        word = text[ws:we]
        return all(_is_word_char(ch) for ch in word) and word.casefold() in self.known_words

    def scrub(self, text: str) -> tuple[str, Counter[str]]:
        """Replace every identifier in ``text`` by ``[TYPE]``.

        Returns
        -------
        (str, collections.Counter)
            the scrubbed text and the number of placeholders inserted, by type.
        """
        counts: Counter[str] = Counter()
        spans = self.spans(text)
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
        texts = values[present].astype(str)
        new = []
        for text in texts:
            scrubbed, c = self.scrub(text)
            new.append(scrubbed)
            if c:
                counts.update(c)
                changed += 1
        out.loc[present] = new
        return out, counts, changed


# Interim: the detectors without a roster, as the shape scan and the screening call them.
@functools.lru_cache(maxsize=1)
def _default_scrubber() -> Scrubber:
    return Scrubber(None)


def detect(text: str) -> list[Span]:
    """Every identifier the roster-free detectors find in ``text``."""
    return _default_scrubber().spans(text)


def detect_many(texts: list[str]) -> list[list[Span]]:
    """:func:`detect` over many texts."""
    return [detect(t) for t in texts]
