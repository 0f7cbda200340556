"""The pattern layer: HIPAA Safe Harbor identifiers that have a shape, found by regular expressions.

presidio's recognizers (e-mail with an offline domain check, URL, IP address, US phone, ZIP, US street
address: :func:`mscsurvey.privacy.scrub.analyzer`) run beside these. The patterns here cover what presidio
has no recognizer for, or misses (measured on ``tests/planted.py``):

* ``SSN``: US Social Security numbers with dashes, spaces, dots or none (bare 9 digits after a cue).
* ``DATE``: full dates with a day and a month (``9/20/1972``, ``2020-04-12``, ``March 3, 1962``,
  ``3rd of March 1962``, ``Mar. 3``). A bare year, or a month and year, is not a Safe Harbor
  identifier and is left alone.
* ``AGE``: ages over 89 (``I am 92``, ``aged 93``, ``a 95-year-old``, ``ninety-one years old``).
* ``PHONE``: international numbers by python-phonenumbers (leniency ``POSSIBLE``, several default
  regions) and a ``+CC`` shape pattern; presidio's US patterns stay.
* ``EMAIL``: obfuscated forms (``jroe [at] yvmh [dot] org``, ``name at domain dot org``, ``(at)``).
* ``URL`` without a scheme (``example.org/x``), ``HANDLE`` (``@name``, not an e-mail address),
  ``IP_ADDRESS`` (v4 and v6, validated by :mod:`ipaddress`).
* ``ADDRESS`` without a USPS suffix: a house number before capitalised words, Spanish and
  Portuguese street words (``Calle``, ``Avenida``, ``Rua``), PO boxes, rural routes, ``Box N``.
* ``ID_NUMBER``: record, account, licence, plate, device numbers: tokens of six or more characters
  mixing digits and letters, seven or more digits, or any number after a cue word (``MRN``,
  ``account``, ``licence``, ``plate``, ``VIN``, ``#``). Money, percentages, years and counts are not.

Written by hand because no offline library covers these shapes in free text (presidio's own
date and SSN recognizers miss the spelled-out and unvalidated forms a comment holds; planted
SSNs such as ``123-45-6789`` are refused by its validator).
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Callable

from mscsurvey.privacy.spans import Span


def _split(text: str) -> list[str]:
    return text.split()


__all__ = ["PATTERN_KINDS", "pattern_spans", "phone_spans", "may_have_patterns"]

#: The kinds this layer can return.
PATTERN_KINDS = (
    "SSN",
    "DATE",
    "AGE",
    "PHONE",
    "EMAIL",
    "URL",
    "HANDLE",
    "IP_ADDRESS",
    "ADDRESS",
    "ID_NUMBER",
)

_I = re.IGNORECASE

# ---------------------------------------------------------------------------------------------
# SSN

_SSN = re.compile(
    r"(?<![\w$.,/-])(?!000|666)\d{3}([- .])(?!00)\d{2}\1(?!0000)\d{4}(?![\w]|[-.,/]\d)"
    r"|(?i:ssn|social\s+security(?:\s+(?:number|no\.?|#))?|ss\s*#)\s*(?:is|was|:|#)?\s*"
    r"(?P<bare>\d{9}|\d{3}[- .]?\d{2}[- .]?\d{4})(?!\d)"
)

# ---------------------------------------------------------------------------------------------
# DATE: day and month (a year alone is allowed by Safe Harbor)

_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?"
)
# "May" is also a verb: spelled-out dates with it are matched only when it is capitalised.
_MONTH_CI = rf"(?:(?i:{_MONTH.replace('|May', '')})|May\.?)"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:1[89]\d\d|20\d\d|'\d\d|\d\d)"
_WEEKDAY = r"(?:(?i:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?i:day)?\.?,?\s+)?"
_DATE_WORDS = re.compile(
    rf"{_WEEKDAY}(?:"
    rf"(?<![\w]){_MONTH_CI}\s+{_DAY}(?:,?\s+{_YEAR})?(?![\w])"  # March 3, 1962 / Mar 3
    rf"|(?<![\w\d]){_DAY}(?:\s+(?i:of))?\s+{_MONTH_CI}(?:,?\s+{_YEAR})?(?![\w])"  # 3 March 1962
    rf"|(?<![\w]){_MONTH_CI}\s+(?i:the)\s+{_DAY}(?:,?\s+{_YEAR})?(?![\w])"  # March the 3rd
    rf"|(?<![\w])(?i:may)\s+{_DAY},?\s+(?:1[89]\d\d|20\d\d)(?![\w])"  # may 1, 1985
    rf"|(?<![\w\d]){_DAY}[-/.]{_MONTH_CI}[-/.]{_YEAR}(?![\w])"  # 03-Mar-1962
    rf"|(?<![\w]){_MONTH_CI}[-/.]{_DAY}[-/.]{_YEAR}(?![\w])"  # Mar-03-1962
    r")"
)
_DATE_NUMERIC = re.compile(
    r"(?<![\w$.,/:-])(?:"
    r"(?P<a>\d{1,2})(?P<s>[/.-])(?P<b>\d{1,2})(?P=s)(?P<y>\d{4}|\d{2})"  # 9/20/1972, 20.09.72
    r"|(?P<y2>1[89]\d\d|20\d\d)(?P<s2>[/.-])(?P<m2>\d{1,2})(?P=s2)(?P<d2>\d{1,2})"  # 2020-04-12
    r"|(?P<y3>1[89]\d\d|20\d\d)(?P<m3>0[1-9]|1[0-2])(?P<d3>0[1-9]|[12]\d|3[01])"  # 19720920
    r")(?![\w]|[/.-]\d)"
)
# "born 9/20" or "DOB: 9/20" (month and day with a cue, no year)
_DATE_SHORT = re.compile(
    r"(?i:born|birthday|birth\s*date|date\s+of\s+birth|dob|d\.o\.b\.)\s*(?:on|is|was|:)?\s*"
    r"(?P<d>(?P<a>\d{1,2})[/.-](?P<b>\d{1,2}))(?![\w]|[/.-]\d)"
)


def _month_day_ok(a: int, b: int) -> bool:
    return (1 <= a <= 12 and 1 <= b <= 31) or (1 <= b <= 12 and 1 <= a <= 31)


def _date_numeric_ok(m: re.Match[str]) -> bool:
    if m.group("a"):
        a, b, sep, y = int(m.group("a")), int(m.group("b")), m.group("s"), m.group("y")
        if sep == "." and len(y) == 2 and b > 12 and a > 12:
            return False
        # "1-2-3"-like counts and ranges: a 2-digit year with "-" needs a plausible month/day
        return _month_day_ok(a, b)
    if m.group("y2"):
        return 1 <= int(m.group("m2")) <= 12 and 1 <= int(m.group("d2")) <= 31
    return True


# ---------------------------------------------------------------------------------------------
# AGE over 89

_OLD = r"(?:9\d|1[01]\d)"
_NINETY = r"(?i:(?:one\s+hundred(?:\s+and)?(?:[\s-]+\w+)?)|ninety(?:[\s-](?:one|two|three|four|five|six|seven|eight|nine))?)"
_AGE = re.compile(
    rf"(?<![\w$.,])(?:{_OLD}|{_NINETY})(?:\s*|-)(?i:years?|yrs?|y\.?o\.?)(?:[\s-]*(?i:old|of\s+age))?(?![\w])"
    rf"|(?i:\b(?:aged?|age:|i\s*am|i'm|im|he\s+is|she\s+is|he's|she's|who\s+is|who's|they\s+are|turned|turning|turns)\s+)"
    rf"(?:{_OLD}|{_NINETY})(?:(?:\s*|-)(?i:years?|yrs?)(?:[\s-]*(?i:old|of\s+age))?)?(?![\w]|[.,]\d|\s*%)"
    rf"|(?<![\w$.,]){_OLD}(?i:\s*-?\s*(?:year|yr)s?[\s-]old)"
    rf"|(?i:\bin\s+(?:(?:his|her|their|my)\s+)?)(?:(?:early|mid|late)[\s-])?(?i:nineties|90s)(?![\w])"
)

# ---------------------------------------------------------------------------------------------
# PHONE: "+CC" shapes (python-phonenumbers runs in phone_spans)

_PHONE_INTL = re.compile(
    r"(?<![\w+])(?:\+|00(?=[1-9]\d{0,2}[\s.-]))[1-9]\d{0,2}[\s.-]?(?:\(\d{1,4}\)[\s.-]?)?\d{1,5}(?:[\s.-]?\d{2,5}){1,4}(?![\w]|[.-]\d)"
)

# ---------------------------------------------------------------------------------------------
# EMAIL, obfuscated

_TLD = (
    r"(?:com|org|net|edu|gov|mil|int|info|biz|io|co|us|uk|ca|au|de|fr|es|mx|in|ng|ph|br|health"
    r"|care|app|me|ly|us|cc|tv|nz|ie|za|ke|gh|jp|cn|ru|nl|se|no|eu|online|site|xyz)"
)
_AT = (
    r"(?:\s*(?:\[\s*at\s*\]|\(\s*at\s*\)|\{\s*at\s*\}|<\s*at\s*>|\s@\s)\s*|\s+(?:at|AT)\s+|\s*@\s*)"
)
_DOT = r"(?:\s*(?:\[\s*dot\s*\]|\(\s*dot\s*\)|\{\s*dot\s*\}|<\s*dot\s*>)\s*|\s+(?:dot|DOT)\s+|\s+\.\s*|\.)"
_EMAIL_OBF = re.compile(
    rf"(?<![\w.+-])[\w.+-]*\w{_AT}[\w-]+(?:{_DOT}[\w-]+)*{_DOT}(?i:{_TLD})(?![\w])", _I
)
_OBFUSCATION = re.compile(
    r"\[\s*at\s*\]|\(\s*at\s*\)|\{\s*at\s*\}|<\s*at\s*>|\s@\s|\s@|@\s|\bdot\b", _I
)

# ---------------------------------------------------------------------------------------------
# URL, HANDLE, IP

_URL = re.compile(
    rf"(?<![\w@.-])(?:(?:https?|ftp)://[^\s<>\"']+|www\.[^\s<>\"']+"
    rf"|(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?i:{_TLD})(?:/[^\s<>\"']*)?(?![\w@-]))",
    _I,
)
_HANDLE = re.compile(
    r"(?<![\w@.+-])@[A-Za-z0-9_](?:[A-Za-z0-9_.]*[A-Za-z0-9_])?(?![\w@]|\.[A-Za-z])"
)
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
_IPV6 = re.compile(r"(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:%\w+)?(?![\w:])")

# ---------------------------------------------------------------------------------------------
# ADDRESS without a USPS suffix

_CAP = r"[A-ZÀ-ÖØ-Þ][\w'À-ÿ.-]*"
_STREET_WORD = (
    r"(?:Calle|Avenida|Avda\.?|Av\.|Camino|Carrera|Calzada|Callej[oó]n|Carretera|Paseo|Privada"
    r"|Cerrada|Plaza|Rua|Rue|Via|Boulevard|Travessa|Estrada|Strasse|Straße|Chemin)"
)
# An apartment, suite or unit after a street: "1200 Calle Verde, Apt 3B".
_UNIT = (
    r"(?:,?\s+(?i:apartment|apt|suite|ste|unit|floor|fl|room|rm|depto|dpto|int|interior)\.?\s*\#?\s*"
    r"[A-Za-z0-9-]{1,6}(?![\w])|,?\s+\#\s*[A-Za-z0-9-]{1,6}(?![\w]))?"
)
_ADDRESS = re.compile(
    # PO Box 44, P.O. Box 44, Post Office Box 44
    r"(?i:\b(?:p\.?\s*o\.?\s*box|post\s+office\s+box|postal\s+box))\s*\#?\s*\d+[A-Za-z]?(?![\w])"
    # Rural Route 2 Box 15, RR 2, R.R. 3, HC 1 Box 9
    r"|(?:(?i:\brural\s+route)|\bRR|\bR\.R\.|\bHC|(?i:\bhighway\s+contract))\s*\#?\s*\d+"
    r"(?:\s*,?\s*(?i:box)\s*\#?\s*\d+)?(?![\w])"
    # Box 15 (a box number on its own)
    r"|(?<![\w])(?i:box)\s*\#?\s*\d+(?![\w]|[.,]\d)"
    # 1200 Calle Verde; Calle Verde 1200 / Rua das Flores, 45
    rf"|(?<![\w$.,/-])\d{{1,6}}[A-Za-z]?\s+{_STREET_WORD}(?:\s+(?:de|del|la|las|los|da|das|do|dos|des|du|di)\b)*(?:\s+{_CAP}){{1,4}}{_UNIT}"
    rf"|\b{_STREET_WORD}(?:\s+(?:de|del|la|las|los|da|das|do|dos|des|du|di)\b)*(?:\s+{_CAP}){{1,4}},?\s+(?:\#\s*|No\.?\s*|n[º°]\s*)?\d{{1,6}}(?![\w]|[.,]\d)"
)
# A house number before two to four capitalised words (no suffix): "1200 Verde Vista Loop" is found
# by presidio; "4410 Maple Hollow" and "77 Ocean Ridge" here. Years (19xx, 20xx) and small counts
# ("4 Community Centers") are house numbers only after an address cue.
_ADDRESS_BARE = re.compile(
    rf"(?<![\w$.,/#-])(?P<num>\d{{1,6}}[A-Za-z]?)\s+(?:(?:N|S|E|W|NE|NW|SE|SW)\.?\s+)?"
    rf"(?P<words>{_CAP}(?:\s+{_CAP}){{0,3}}){_UNIT}"
)
_ADDRESS_CUE = re.compile(
    r"(?i:\b(?:at|on|live|lives|living|lived|address|located|moved\s+to|house|home|is)\s*:?\s*)$"
)
_NOT_STREET = frozenset(
    _split(
        "the a an and or of in on at to for with by from our my their its i we they he she it this "
        "that these those percent people years year months weeks days hours times partners members "
        "staff sites meetings"
    )
)
_MONTHS_WORDS = frozenset(
    _split("january february march april may june july august september october november december")
)

# ---------------------------------------------------------------------------------------------
# ID_NUMBER

_ID_CUE = (
    r"(?:mrn|medical\s+record|record|chart|patient|account|acct|member|policy|claim|case|"
    r"licen[cs]e|driver'?s?\s+licen[cs]e|dl|plate|tag|vin|serial|device|imei|badge|employee|"
    r"passport|permit|certificate|ticket|invoice|order|confirmation|reference|ref|id|no|number)"
)
_ID_AFTER_CUE = re.compile(
    rf"\b{_ID_CUE}\.?(?:\s+(?i:number|no\.?|num|id|#))?\s*(?:is|was|:|=|-)?\s*\#?\s*"
    r"(?P<id>(?=[A-Z0-9-]*\d)[A-Z0-9][A-Z0-9-]{3,}[A-Z0-9])(?![\w]|[.,]\d)",
    _I,
)
_ID_HASH = re.compile(
    r"(?<![\w&])\#\s?(?P<id>(?=[A-Z0-9-]*\d)[A-Z0-9][A-Z0-9-]{3,}[A-Z0-9])(?![\w])", _I
)
_ID_MIXED = re.compile(
    r"(?<![\w$.,/@-])(?=[A-Za-z0-9-]*\d)(?=[A-Za-z0-9-]*[A-Za-z])[A-Za-z0-9](?:[A-Za-z0-9-]){4,}[A-Za-z0-9]"
    r"(?![\w@]|[.,/-]\w)"
)
_ID_DIGITS = re.compile(
    r"(?<![\w$.,/-])\d{7,}(?![\w%]|[.,]\d)|(?<![\w$.,/-])\d{4}(?:[ -]\d{4}){2,3}(?![\w])"
)
# Letters+digits tokens that are ordinary in survey text: COVID-19, FY2021, Q3, 1990s, 21st, 30min,
# 401k, K-12, H1N1, 2x, 3D, Title-V ...
_ID_ORDINARY = re.compile(
    r"^(?:covid-?19|sars-?cov-?2|h\dn\d|fy-?\d{2,4}|cy-?\d{2,4}|sfy-?\d{2,4}|q[1-4]-?\d{2,4}|\d{2,4}s"
    r"|\d+(?:st|nd|rd|th|k|m|mg|ml|kg|km|mi|ft|hr|hrs|min|mins|am|pm|yo|x|d)"
    r"|k-?12|\d{4}-\d{2,4}|[a-z]+-\d{1,2}|\d{1,3}-[a-z]+)$",
    _I,
)


def _id_mixed_ok(token: str) -> bool:
    digits = sum(ch.isdigit() for ch in token)
    letters = sum(ch.isalpha() for ch in token)
    if _ID_ORDINARY.match(token) or digits < 2:
        return False
    # a word with a number tail ("covid19", "section508") needs three digits to be an id
    return not (letters >= 5 and digits < 3)


def _spans(rx: re.Pattern[str], text: str, kind: str, ok: Callable | None = None, group=0):
    out = []
    for m in rx.finditer(text):
        if ok is not None and not ok(m):
            continue
        g = group if (group == 0 or m.group(group) is not None) else 0
        out.append(Span(m.start(g), m.end(g), kind))
    return out


def _ip_ok(m: re.Match[str]) -> bool:
    text = m.group().split("%")[0]
    if text.count(":") < 2 and "." not in text:
        return False
    if ":" in text and sum(ch.isalnum() for ch in text) < 3:
        return False  # "::" in prose
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


@functools.lru_cache(maxsize=1)
def _ordinary() -> frozenset[str]:
    from mscsurvey.privacy.entities import ordinary_words

    return ordinary_words()


def _address_bare(text: str) -> list[Span]:
    out = []
    for m in _ADDRESS_BARE.finditer(text):
        num = m.group("num")
        words = m.group("words").split()
        first = words[0].rstrip(".,").casefold()
        if first in _NOT_STREET or first in _MONTHS_WORDS:
            continue
        cue = bool(_ADDRESS_CUE.search(text[max(0, m.start() - 20) : m.start()]))
        digits = int(re.sub(r"\D", "", num) or 0)
        year_like = len(num) == 4 and num.isdigit() and 1900 <= digits <= 2099
        if (year_like or digits < 10) and not cue:
            continue
        if len(words) == 1 and not (cue or (len(num) >= 3 and first not in _ordinary())):
            continue  # "Rooms 12 Kingfisher"? one word needs a cue or an unusual word
        out.append(Span(m.start(), m.end(), "ADDRESS"))
    return out


def _email_obfuscated(text: str) -> list[Span]:
    out = []
    for m in _EMAIL_OBF.finditer(text):
        s = m.group()
        # a plain "x@y.org" is presidio's; here only forms with a spelled or spaced at/dot
        if "@" in s and not _OBFUSCATION.search(s):
            continue
        if re.search(r"\s(?:at|AT)\s", s) and not re.search(r"\bdot\b|\.", s, _I):
            continue
        out.append(Span(m.start(), m.end(), "EMAIL"))
    return out


def _ids(text: str) -> list[Span]:
    out = _spans(_ID_AFTER_CUE, text, "ID_NUMBER", group="id")
    out += _spans(_ID_HASH, text, "ID_NUMBER", group="id")
    for m in _ID_MIXED.finditer(text):
        if _id_mixed_ok(m.group()):
            out.append(Span(m.start(), m.end(), "ID_NUMBER"))
    out += _spans(_ID_DIGITS, text, "ID_NUMBER")
    return out


def _id_cue_ok(span: Span, text: str) -> bool:
    tok = text[span.start : span.end]
    if tok.isdigit() and len(tok) == 4 and 1900 <= int(tok) <= 2099:
        return False  # "case 2019" is a year
    return not _ID_ORDINARY.match(tok)


# Money and percentages never start an identifier: "$75,000", "40%".
_MONEY = re.compile(r"[$€£]\s?\d[\d,.]*(?:\s?(?:k|m|million|billion))?|\d[\d,.]*\s?%", _I)


@functools.lru_cache(maxsize=1)
def _phone_regions() -> tuple[str, ...]:
    return ("US", "GB", "IN")


# Dates, ZIP+4 and year ranges that phonenumbers' permissive leniency would take for numbers.
_NOT_PHONE = re.compile(
    r"\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}|\d{5}-\d{4}|(?:19|20)\d\d\s*[-–]\s*(?:19|20)\d\d"
)


# A decimal number standing on its own ("0.81", "−0.4") among the digits: statistics, not a phone.
_DECIMAL_TOKEN = re.compile(r"(?:^|\s)[−-]?\d\.\d+(?=\s|$)")


def phone_spans(text: str) -> list[Span]:
    """International phone numbers: python-phonenumbers' ``PhoneNumberMatcher`` at leniency
    ``POSSIBLE`` with US, GB and IN as default regions (``+CC`` numbers of any country are found from
    any region), keeping matches of 8 or more digits that are not dates, plus the ``+CC`` shape."""
    if sum(ch.isdigit() for ch in text) < 8:
        return []
    import phonenumbers

    out = _spans(_PHONE_INTL, text, "PHONE")
    for region in _phone_regions():
        for m in phonenumbers.PhoneNumberMatcher(
            text, region, leniency=phonenumbers.Leniency.POSSIBLE
        ):
            raw = m.raw_string
            if sum(ch.isdigit() for ch in raw) < 8 or _NOT_PHONE.fullmatch(raw):
                continue
            if not (raw.startswith(("+", "(")) or re.search(r"\d[\s.-]\d", raw)):
                continue  # a bare run of digits is left to ID_NUMBER
            if _DECIMAL_TOKEN.search(raw):
                continue  # a row of a table of numbers ("4 395 0.81 0.77"), not a phone
            out.append(Span(m.start, m.end, "PHONE"))
    return out


# Text without a digit, an '@' or a dot/at/dot-word holds nothing these patterns find (fast path).
_MAY_HAVE = re.compile(r"[\d@]|\w\.\w|\bat\b|\bdot\b|ninet|hundred", _I)


def may_have_patterns(text: str) -> bool:
    """Whether ``text`` can hold anything the pattern layer finds (a cheap pre-check)."""
    return bool(_MAY_HAVE.search(text))


def pattern_spans(text: str) -> list[Span]:
    """Every identifier the hand-written patterns find in ``text`` (unmerged, in no set order).

    Examples
    --------
    >>> [(text[s.start:s.end], s.kind) for text in ["born 9/20/1972, SSN 123-45-6789"]
    ...  for s in sorted(pattern_spans(text))]
    [('9/20/1972', 'DATE'), ('123-45-6789', 'SSN')]
    """
    if not may_have_patterns(text):
        return []
    found: list[Span] = []
    found += _spans(_SSN, text, "SSN", group="bare")
    found += _spans(_DATE_WORDS, text, "DATE")
    found += _spans(_DATE_NUMERIC, text, "DATE", _date_numeric_ok)
    found += _spans(
        _DATE_SHORT, text, "DATE", lambda m: _month_day_ok(int(m["a"]), int(m["b"])), group="d"
    )
    found += _spans(_AGE, text, "AGE")
    found += phone_spans(text)
    found += _email_obfuscated(text)
    found += _spans(_URL, text, "URL", lambda m: not _looks_like_abbreviation(m.group()))
    found += _spans(_HANDLE, text, "HANDLE")
    found += _spans(_IPV4, text, "IP_ADDRESS", _ip_ok)
    found += _spans(_IPV6, text, "IP_ADDRESS", _ip_ok)
    found += _spans(_ADDRESS, text, "ADDRESS")
    found += _address_bare(text)
    found += [s for s in _ids(text) if _id_cue_ok(s, text)]
    money = [(m.start(), m.end()) for m in _MONEY.finditer(text)]
    return [s for s in found if not _inside(s, money)]


def _inside(span: Span, ranges: list[tuple[int, int]]) -> bool:
    return any(a <= span.start and span.end <= b for a, b in ranges)


def _looks_like_abbreviation(text: str) -> bool:
    """ "e.g." and "i.e." are not domains; a sentence end without a space ("it.Org") rarely is."""
    return text.casefold() in {"e.g", "i.e"} or bool(re.fullmatch(r"[a-z]\.[a-z]{2}", text, _I))
