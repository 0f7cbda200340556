"""The leak scan: search files (and frames) for any identifier value of the raw file.

The needles are every value of the codebook's direct-identifier, roster and person columns, the
respondent ids, and the tokens of people's names. A file is read as bytes (decoded as UTF-8, invalid
bytes replaced); Parquet files are also decoded column by column and JSON files string by string, since
compression and escaping hide text from a byte search. Findings show a masked value ("J*** S****") so
that the scan's own output leaks nothing.

How values are matched:

* full values (e-mails, addresses, full names, organisations, cities, IP addresses, respondent ids):
  case-insensitive substring, any run of whitespace matching a space;
* phone numbers (values made of digits and phone punctuation, with at least 7 digits): by their digits,
  against runs of digits in the text in any phone layout, so ``(555) 123-4567`` is found as
  ``555.123.4567`` or ``+1 555 123 4567``;
* name tokens, and other values shorter than 4 characters: as whole words;
* purely numeric values of fewer than 7 digits (small respondent ids) are not searched: they cannot be
  told apart from any other number.

Why name tokens are whole words here but matched inside words by the scrubber: the two make opposite
errors safe. The scrubber removes; removing a name token inside a word ("[NAME]sfriend") costs a little
readability and catches names written together ("JohnSmith", "mariasfriend"), so it errs on the side of
removing. The scan reports; short tokens are very often pieces of ordinary words ("Ann" in "annual",
"Lee" in "sleep", "Rich" in "enriching"), so a substring scan would report leaks in every file and drown
the real ones. A token left standing as a word is what a reader would recognise as a name, and that is
what the scan looks for. Tokens that are words of the codebook itself (its labels, categories and item
texts, e.g. a surname "White" beside the category "White") are left out of the scan, since those words
legitimately fill the outputs; the scrubber still removes them from free text. Likewise the words the
project itself writes (its library's and the brief's own text: "Wilson" intervals, "McDonald's" omega,
"Key takeaways") and the text of embedded ``data:...;base64`` images (noise to a word search; each image
is scanned in ``figures/`` as its SVG twin and index) are left out. Full names stay needles throughout.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mscsurvey.codebook.spec import Codebook
from mscsurvey.privacy.literals import LiteralMatcher
from mscsurvey.privacy.scrub import NAME_TYPE, PHONE_SHAPE, PLACEHOLDERS, name_tokens, value_kind

__all__ = [
    "NAME_TOKEN",
    "Finding",
    "Needles",
    "mask",
    "codebook_vocabulary",
    "project_vocabulary",
    "roster_values",
    "scan",
    "scan_text",
    "scan_frame",
]

#: Needle type of the tokens of people's names (matched as whole words).
NAME_TOKEN = "name_token"

_DIGIT_RUN = re.compile(r"\d(?:[\s().+\-/]{0,2}\d){6,}")
# A token of 12+ hexadecimal characters with a letter among them is a machine-made hash (our
# pseudonyms: 12-64 hex characters): its digit runs are chance, not a phone number someone typed.
# At 10^6 respondents with 10^6 phone numbers, 18 of the 16-character pseudonyms held one's ten
# digits by chance, and the leak check refused the run.
_HEX_TOKEN = re.compile(r"(?<![0-9A-Za-z])(?=[0-9]*[a-fA-F])[0-9a-fA-F]{12,}(?![0-9A-Za-z])")
_MIN_PHONE_DIGITS = 7
_MIN_SUBSTRING = 4
_DATA_URI = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=\s]+")
# Joins many short texts into one for a single regex pass: not whitespace (needles match any run of
# whitespace as a space, so "role\nincome" would hold "le inc") and not a word character.
_SEP = "\x00"
_WORD = re.compile(r"[^\W\d_]+")
# The project's own texts: the library (strings of its modules) with its package data, which holds the
# brief's notebook and assets.
_PROJECT_TEXTS = (Path(__file__).resolve().parents[1],)


@dataclass(frozen=True)
class Finding:
    """One identifier found: where, of which type, and the value masked."""

    file: str
    needle_type: str
    value_masked: str
    position: str


def mask(value: str) -> str:
    """Keep the first character of each word, star the rest: ``John Smith`` -> ``J*** S****``."""
    return re.sub(r"(?<=\w)\w", "*", str(value))


def _norm(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def _phone_core(value: str) -> str | None:
    """The digits that identify a phone number (country code 1/001 and extension dropped)."""
    text = str(value).strip()
    # a phone number has the phone shape: most needles (names, e-mails, streets) fail this one test
    # before value_kind's three
    if not PHONE_SHAPE.match(text) or value_kind(text) != "PHONE":
        return None
    main = re.split(r"(?i)x|ext|#", text)[0]
    digits = re.sub(r"\D", "", main)
    if len(digits) == 13 and digits.startswith("001"):
        digits = digits[3:]
    elif len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits if len(digits) >= _MIN_PHONE_DIGITS else None


class Needles:
    """Compiled needles: one Aho-Corasick matcher for substrings and whole words, a digit table.

    Parameters
    ----------
    needles
        needle type -> values. Values of type :data:`NAME_TOKEN` are matched as whole words; others
        by their shape (see the module's docstring).
    """

    def __init__(self, needles: Mapping[str, Iterable[str]]) -> None:
        # normalised -> type, and -> the value as given where it differs: at 10^6 respondents
        # (~6 million needles) a (type, value) tuple per needle and a normalised copy of values that
        # are already normalised (e-mails) cost ~0.5 GB at the stage's peak
        self._kinds: dict[str, str] = {}
        self._originals: dict[str, str] = {}
        self.phones: dict[str, tuple[str, str]] = {}  # core digits -> (type, original)
        substrings, words = set(), set()
        for kind, values in needles.items():
            for value in values:
                if value is None or not str(value).strip():
                    continue
                value = str(value).strip()
                norm = _norm(value)
                if norm == value:
                    norm = value
                if kind == NAME_TOKEN:
                    words.add(norm)
                    self._add(norm, kind, value)
                    continue
                core = _phone_core(value)
                if core is not None:
                    self.phones.setdefault(core, (kind, value))
                    continue
                if norm.isdigit():
                    continue  # short numbers: indistinguishable from any other number
                (substrings if len(norm) >= _MIN_SUBSTRING else words).add(norm)
                self._add(norm, kind, value)
        # binary files (images, PDF streams): whole-word needles would match random byte runs.
        # Built on first use: a frame or text scan never needs it.
        self._substrings = sorted(substrings)
        del substrings
        self._matcher = LiteralMatcher(self._substrings, sorted(words))
        self._binary_matcher: LiteralMatcher | None = None
        self._phone_lengths = sorted({len(c) for c in self.phones})

    def _add(self, norm: str, kind: str, value: str) -> None:
        """Record a needle's type and value (the first of equal normalised needles wins)."""
        if norm not in self._kinds:
            self._kinds[norm] = kind
            if value != norm:
                self._originals[norm] = value

    def __len__(self) -> int:
        return len(self._kinds) + len(self.phones)

    def find(self, text: str, *, binary: bool = False) -> Iterator[tuple[str, str, int]]:
        """Yield ``(needle_type, value, offset)`` for every needle found in ``text``: the literal
        needles in offset order, then the phone numbers in offset order.

        ``binary``: the text is decoded bytes of a binary file; only needles of at least four
        characters (and phone numbers) are searched, not short values or name tokens as words.
        """
        for _, kind, value, offset in self.find_by_pass(text, binary=binary):
            yield kind, value, offset

    def find_by_pass(
        self, text: str, *, binary: bool = False
    ) -> Iterator[tuple[int, str, str, int]]:
        """:meth:`find`'s findings with the pass that found each: 0 literals, 1 phone numbers."""
        if binary and self._binary_matcher is None:
            self._binary_matcher = LiteralMatcher(self._substrings, ())
        matcher = self._binary_matcher if binary else self._matcher
        for start, end, entry in matcher.finditer(text):
            kind_ = self._kinds.get(entry)
            if kind_ is None:
                kind, value = "unknown", text[start:end]
            else:
                kind, value = kind_, self._originals.get(entry, entry)
            yield 0, kind, value, start
        if self.phones:
            hashes: tuple[list[int], list[int]] | None = None  # starts, ends (in order)
            for run in _DIGIT_RUN.finditer(text):
                if hashes is None:
                    spans = [m.span() for m in _HEX_TOKEN.finditer(text)]
                    hashes = ([a for a, _ in spans], [b for _, b in spans])
                i = bisect.bisect_right(hashes[0], run.start()) - 1
                if i >= 0 and run.end() <= hashes[1][i]:
                    continue  # inside a hash
                digits = re.sub(r"\D", "", run.group())
                for length in self._phone_lengths:
                    for i in range(len(digits) - length + 1):
                        hit = self.phones.get(digits[i : i + length])
                        if hit is not None:
                            yield 1, hit[0], hit[1], run.start()


def _as_needles(needles: Needles | Mapping[str, Iterable[str]]) -> Needles:
    return needles if isinstance(needles, Needles) else Needles(needles)


def codebook_vocabulary(codebook: Codebook) -> set[str]:
    """Every word (case-folded) and every whole text of the codebook, plus the placeholder types:
    words that legitimately appear in de-identified outputs."""
    texts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                texts.append(str(k))
                walk(v)
        elif isinstance(node, (list, tuple)):
            for v in node:
                walk(v)
        elif node is not None:
            texts.append(str(node))

    walk(codebook.raw)
    texts += list(PLACEHOLDERS.values()) + list(codebook.identifiers.roster.values())
    vocab = {_norm(t) for t in texts}
    for t in texts:
        vocab.update(w.casefold() for w in re.findall(r"[^\W\d_]+", t))
    return vocab


def project_vocabulary() -> set[str]:
    """Every word (case-folded) of the project's own source texts: the library and the notebook.

    A name token that is also such a word ("Wilson", "Key") is written by the code itself, so finding
    it in an output says nothing about a respondent.
    """
    vocab: set[str] = set()
    for folder in _PROJECT_TEXTS:
        if not folder.is_dir():
            continue
        for f in sorted(folder.rglob("*")):
            if f.suffix in {".py", ".css", ".typ", ".lua"} and f.is_file():
                text = f.read_text(encoding="utf-8", errors="replace")
                vocab.update(w.casefold() for w in _WORD.findall(text))
    return vocab


def roster_values(raw: pd.DataFrame, codebook: Codebook) -> dict[str, list[str]]:
    """The needles of a raw file: identifier values by column, name tokens, respondent ids.

    Parameters
    ----------
    raw
        the raw (identified) responses.
    codebook
        gives the direct-identifier, roster, person and respondent-id columns.

    Returns
    -------
    dict
        column name -> sorted distinct non-empty values, for every direct-identifier, roster and
        person column and the respondent-id column present in ``raw``; and :data:`NAME_TOKEN` -> the
        tokens of the values of roster columns of type ``NAME``. Values and tokens that are words or
        texts of the codebook itself are left out (they fill outputs legitimately), and so are name
        tokens that are words of the project's own texts (:func:`project_vocabulary`).
    """
    ids = codebook.identifiers
    vocab = codebook_vocabulary(codebook)
    own_words = project_vocabulary()
    rid = [ids.respondent_id] if ids.respondent_id else []
    cols = list(dict.fromkeys([*ids.direct, *ids.roster, *ids.person, *rid]))
    out: dict[str, list[str]] = {}
    tokens: set[str] = set()
    for col in cols:
        if col not in raw.columns:
            continue
        # each distinct value once (tolist: an Arrow-backed column is slow to iterate)
        values = {str(v).strip() for v in raw[col].dropna().unique().tolist()}
        values = {v for v in values if v and _norm(v) not in vocab}
        if ids.roster.get(col) == NAME_TYPE:
            for v in values:
                tokens.update(
                    t for t in name_tokens(v) if _norm(t) not in vocab and _norm(t) not in own_words
                )
            # A one-word value (a first- or last-name column) is a name token, found as a whole
            # word: as a substring it would be found inside ordinary words of any report.
            values = {v for v in values if len(v.split()) > 1}
        out[col] = sorted(values)
    out[NAME_TOKEN] = sorted(tokens)
    return out


def scan_text(
    text: str,
    needles: Needles | Mapping[str, Iterable[str]],
    *,
    name: str,
    where: str = "offset",
    binary: bool = False,
) -> list[Finding]:
    """Findings in one text; positions are ``"<where> <offset>"`` (see :meth:`Needles.find`)."""
    nd = _as_needles(needles)
    # blank embedded images, keeping offsets
    text = _DATA_URI.sub(lambda m: " " * len(m.group()), text)
    return [
        Finding(name, kind, mask(value), f"{where} {pos}")
        for kind, value, pos in nd.find(text, binary=binary)
    ]


def _pdf_pages(data: bytes) -> list[str]:
    """The text of each page of a PDF (its streams are compressed: a byte search sees nothing)."""
    import io

    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages]


def _findings_by_value(values: list[str], nd: Needles) -> list[list[tuple[int, str, str]]]:
    """For each value, its needles found as ``(pass, type, needle)``, in the order
    :meth:`Needles.find` yields them (pass 0: the literal matcher's, pass 1: the phone table's).
    The values are searched at once, joined by a separator no needle holds."""
    out: list[list[tuple[int, str, str]]] = [[] for _ in values]
    # in slices of values: a column of 10^6 distinct values (pseudonyms) joined at once held ~0.35 GB
    # of offsets and hash spans at the stage's peak; no needle holds the separator, so a slice finds
    # exactly what the whole column would
    for first in range(0, len(values), _VALUES_AT_ONCE):
        part = values[first : first + _VALUES_AT_ONCE]
        starts, pos = [], 0
        for v in part:
            starts.append(pos)
            pos += len(v) + 1
        for search_pass, kind, value, offset in nd.find_by_pass(_SEP.join(part)):
            i = first + bisect.bisect_right(starts, offset) - 1
            out[i].append((search_pass, kind, value))
    return out


_VALUES_AT_ONCE = 1 << 16


_HEX_VALUE = re.compile(r"[0-9a-fA-F]{12,64}")


def _is_hash_column(values: list[str]) -> bool:
    """Every value 12-64 hexadecimal characters, some with a letter: keyed hashes (pseudonyms), not
    numbers someone typed."""
    return (
        bool(values)
        and all(_HEX_VALUE.fullmatch(v) for v in values)
        and any(not v.isdigit() for v in values)
    )


def _scan_column(s: pd.Series, nd: Needles, *, name: str, row_ids: list[Any]) -> list[Finding]:
    """Findings in one column, each distinct value searched once (an answer column of 10^6 rows
    holds a handful of values), reported for every row holding it, in row order."""
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    values = [str(u) for u in uniques]
    found = _findings_by_value(values, nd)
    if _is_hash_column(values):
        # a column of keyed hashes: the rare all-digit one is still a hash (at 10^6 rows two
        # pseudonyms were 16 digits holding a respondent's phone digits by chance)
        found = [[f for f in fs if f[0] != 1] for fs in found]
    hit = [i for i, f in enumerate(found) if f]
    if not hit:
        return []
    rows = np.flatnonzero(np.isin(codes, hit))
    out = []
    for search_pass in (0, 1):
        for r in rows:
            for p, kind, value in found[codes[r]]:
                if p == search_pass:
                    where = f"column {s.name}, row {row_ids[r]}"
                    out.append(Finding(name, kind, mask(value), where))
    return out


def scan_frame(
    df: pd.DataFrame,
    needles: Needles | Mapping[str, Iterable[str]],
    *,
    name: str,
    row_column: str = "source_row",
) -> list[Finding]:
    """Findings in a frame's column names and in its text (and categorical) columns.

    Rows are named by the values of ``row_column`` if the frame has it, else by position (0-based).
    """
    nd = _as_needles(needles)
    findings = scan_text(
        _SEP.join(map(str, df.columns)), nd, name=name, where="column names, offset"
    )
    row_ids = df[row_column].tolist() if row_column in df.columns else list(range(len(df)))
    for col in df.columns:
        s = df[col]
        if not (
            pd.api.types.is_string_dtype(s)
            or pd.api.types.is_object_dtype(s)
            or isinstance(s.dtype, pd.CategoricalDtype)
        ):
            continue
        findings += _scan_column(s.rename(str(col)), nd, name=name, row_ids=row_ids)
    return findings


def _json_strings(node: Any, path: str = "$") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield f"{path} (key)", str(k)
            yield from _json_strings(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _json_strings(v, f"{path}[{i}]")
    elif isinstance(node, str):
        yield path, node


def _files(paths: Iterable[Path | str]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.is_file())
        elif p.is_file():
            out.append(p)
    return out


def scan(
    paths: Iterable[Path | str], needles: Needles | Mapping[str, Iterable[str]]
) -> list[Finding]:
    """Search every file under ``paths`` for the needles.

    Parameters
    ----------
    paths
        files and folders (folders are searched recursively, in sorted order).
    needles
        needle type -> values (e.g. from :func:`roster_values`), or compiled :class:`Needles`.

    Returns
    -------
    list of Finding
        every occurrence: in the bytes of each file (``offset N``; in binary files only values of at
        least four characters and phone numbers), in the decoded string columns of Parquet files
        (``column C, row R``), in the strings of JSON files (a JSON path) and in the text of each
        page of a PDF. Values are masked. An empty list means nothing was found.
    """
    nd = _as_needles(needles)
    findings: list[Finding] = []
    for f in _files(paths):
        name = str(f)
        data = f.read_bytes()
        try:
            text, binary = data.decode("utf-8"), False
        except UnicodeDecodeError:
            text, binary = data.decode("utf-8", errors="replace"), True
        findings += scan_text(text, nd, name=name, binary=binary)
        suffix = f.suffix.lower()
        if suffix == ".pdf":
            for i, page in enumerate(_pdf_pages(data), start=1):
                findings += scan_text(page, nd, name=name, where=f"page {i}, offset")
        elif suffix == ".parquet":
            findings += scan_frame(pd.read_parquet(f), nd, name=name)
        elif suffix == ".xlsx":  # compressed: the byte search above cannot see into a workbook
            for sheet, frame in pd.read_excel(f, sheet_name=None).items():
                findings += scan_frame(frame, nd, name=f"{name} sheet {sheet}")
        elif suffix == ".json":
            try:
                doc = json.loads(data)
            except ValueError:
                continue
            for path, text in _json_strings(doc):
                findings += scan_text(text, nd, name=name, where=f"{path}, offset")
    return findings
