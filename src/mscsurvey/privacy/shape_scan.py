"""The shape scan: search outputs for anything that looks like an identifier, not only the raw values.

:mod:`mscsurvey.privacy.leaks` finds the raw file's own identifier values (the roster). An identifier a
respondent typed in a comment is in no roster column, so this scan runs the free-text detectors
(:mod:`mscsurvey.privacy.scrub`: patterns for e-mails, phones, SSNs, dates, addresses, ... and named
entities) over the text of every output a person can read:

* Parquet and CSV files: each distinct text value of each column (the pseudonym columns excepted:
  keyed pseudonyms look like record numbers by design);
* JSON files: every string;
* HTML and SVG: the text a reader sees (tags, styles, scripts and embedded images left out, ``alt``
  and ``title`` texts included); PDF: the text of each page; other text files: their lines.

What is not searched for shapes, and why (each is still searched for the raw values):

* the run's own metadata: ``manifest.json``, ``provenance.json``, Snakemake benchmark files and logs
  of timings (hashes, commit ids and run times are identifier-shaped by nature);
* images (PNG): their SVG twins are searched;
* placeholders (``[NAME]``) and words that the codebook or the project itself writes: a NAME or
  ORGANIZATION found by the entity model whose every word is such a word ("Wilson" intervals,
  "McDonald's" omega, a construct's label) says nothing about a respondent;
* dates equal to the run's own dates (the brief states when it was made);
* what the run itself writes that has an identifier's shape: the values its metadata records
  (digests, the commit, package versions; the brief shows their first 16 digits), the names of the
  files under the results folder ("likert_trust.png" looks like a web address), the project's own
  words and dotted names ("HMAC-SHA256", "scales.thresholds.ok", "mscsurvey.synthesize"); never an
  e-mail, phone, SSN or IP address), and the absolute path of a file on this machine (a library's
  source named by a warning in a log). A cell holding JSON is searched in its strings, not its
  numbers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pandas as pd

from mscsurvey.privacy.leaks import Finding, mask

__all__ = ["SKIPPED_FILES", "visible_text", "scan_shapes"]

#: Files whose text is the run's own metadata (searched for raw values, not for shapes).
SKIPPED_FILES = ("manifest.json", "provenance.json")
_SKIPPED_DIRS = ("benchmarks",)
_TEXT_SUFFIXES = {".txt", ".md", ".csv", ".tsv", ".log", ".rst", ".yaml", ".yml"}
_NAMED_KINDS = {"NAME", "ORGANIZATION", "LOCATION"}
_PLACEHOLDER = re.compile(r"\[[A-Z][A-Z_]*\]")
_WORD = re.compile(r"[^\W\d_]+")
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
# A cell longer than this is cut (a comment is never this long; a blob is not text to a reader).
_MAX_CELL = 5000

Detect = Callable[[list[str]], list[list[Any]]]


class _Visible(HTMLParser):
    """The text of an HTML or SVG document that a reader sees, with alt and title attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"style", "script"}:
            self._skip += 1
        for name, value in attrs:
            if name in {"alt", "title", "aria-label"} and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in {"style", "script"} and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.parts.append(data)

    def handle_comment(self, data: str) -> None:
        # matplotlib writes each text of an SVG drawn as paths in a comment beside it
        if data.strip():
            self.parts.append(data)


def visible_text(markup: str) -> list[str]:
    """The pieces of text of an HTML or SVG document a reader sees (see :class:`_Visible`)."""
    parser = _Visible()
    parser.feed(markup)
    parser.close()
    return [" ".join(p.split()) for p in parser.parts if p.strip()]


def _json_leaves(value: str) -> list[str]:
    """A cell holding JSON (an object or a list) as its strings (keys included; numbers are data,
    not text); any other cell as itself."""
    if value[:1] in "[{":
        try:
            node = json.loads(value)
        except ValueError:
            return [value]
        out: list[str] = []

        def walk(n: Any) -> None:
            if isinstance(n, dict):
                for k, v in n.items():
                    out.append(str(k))
                    walk(v)
            elif isinstance(n, list):
                for v in n:
                    walk(v)
            elif isinstance(n, str):
                out.append(n)

        walk(node)
        return out
    return [value]


def _frame_texts(df: pd.DataFrame, skip_columns: set[str]) -> Iterable[tuple[str, str]]:
    for col in df.columns:
        if str(col) in skip_columns:
            continue
        s = df[col]
        if not (
            pd.api.types.is_string_dtype(s)
            or pd.api.types.is_object_dtype(s)
            or isinstance(s.dtype, pd.CategoricalDtype)
        ):
            continue
        for value in pd.unique(s.dropna().astype(str)):
            for text in _json_leaves(value):
                yield f"column {col}", text


def _json_texts(node: Any, path: str = "$") -> Iterable[tuple[str, str]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _json_texts(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _json_texts(v, f"{path}[{i}]")
    elif isinstance(node, str):
        yield path, node


def _texts(path: Path, skip_columns: set[str]) -> Iterable[tuple[str, str]]:
    """(where, text) pairs of one file, as :func:`scan_shapes` reads them."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        yield from _frame_texts(pd.read_parquet(path), skip_columns)
    elif suffix in {".csv", ".tsv"}:
        sep = "\t" if suffix == ".tsv" else ","
        yield from _frame_texts(pd.read_csv(path, dtype=str, sep=sep), skip_columns)
    elif suffix == ".xlsx":
        for sheet, frame in pd.read_excel(path, sheet_name=None).items():
            for where, text in _frame_texts(frame, skip_columns):
                yield f"sheet {sheet}, {where}", text
    elif suffix == ".json":
        try:
            yield from _json_texts(json.loads(path.read_bytes()))
        except ValueError:
            yield "text", path.read_text(encoding="utf-8", errors="replace")
    elif suffix in {".html", ".htm", ".svg"}:
        for i, piece in enumerate(visible_text(path.read_text(encoding="utf-8", errors="replace"))):
            yield f"text {i}", piece
    elif suffix == ".pdf":
        from mscsurvey.privacy.leaks import _pdf_pages

        for i, page in enumerate(_pdf_pages(path.read_bytes()), start=1):
            for j, line in enumerate(page.splitlines()):
                if line.strip():
                    yield f"page {i}, line {j + 1}", line
    elif suffix in _TEXT_SUFFIXES:
        for j, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines()):
            if line.strip():
                yield f"line {j + 1}", line


def _skipped(path: Path) -> bool:
    return path.name in SKIPPED_FILES or any(part in _SKIPPED_DIRS for part in path.parts)


def _own_words(kind: str, text: str, vocabulary: set[str]) -> bool:
    """Whether a named entity found in ``text`` is made only of words the project or codebook write."""
    if kind not in _NAMED_KINDS:
        return False
    words = [w.casefold() for w in _WORD.findall(_PLACEHOLDER.sub(" ", text))]
    return bool(words) and all(w in vocabulary for w in words)


_TOKEN = re.compile(r"[\w][\w.@/+\-]*[\w]|\w")
_PROJECT_FILES = (".py", ".css", ".typ", ".lua", ".yaml", ".md", ".smk")


def own_tokens(paths: Iterable[Path | str]) -> set[str]:
    """Every word and dotted or hyphenated name (case-folded) in the given files and folders: the
    project's sources, its schemas and config (an identifier's shape there is the project's own)."""
    out: set[str] = set()
    from mscsurvey.privacy.leaks import _files

    for f in _files(paths):
        if f.suffix in _PROJECT_FILES or f.name == "Snakefile":
            out.update(t.casefold() for t in _TOKEN.findall(f.read_text("utf-8", errors="replace")))
    return out


def metadata_tokens(results: Path) -> set[str]:
    """The values the run's own metadata records (``provenance.json``, ``manifest.json``) and the
    names of the files under ``results``, case-folded."""
    out: set[str] = set()
    for name in SKIPPED_FILES:
        for f in Path(results).rglob(name):
            out.update(t.casefold() for t in _TOKEN.findall(f.read_text("utf-8", errors="replace")))
    for f in Path(results).rglob("*"):
        out.add(f.name.casefold())
    return out


# Kinds whose shape the project's own dotted names and digests can take; an e-mail, phone, SSN or IP
# address is never excused as "the project's own".
_OWN_KINDS = frozenset({"URL", "ID_NUMBER", "DATE", "HANDLE", "ZIP", "IDENTIFIER"})
_PART = re.compile(r"[^\W_]+")
_DECIMAL_CELL = re.compile(r"^\s*[−-]?\d*\.\d+(?:[eE][+-]?\d+)?\s*$")


def _word_around(cell: str, start: int, end: int) -> str:
    """The whitespace-delimited word of ``cell`` holding ``cell[start:end]``, bare of quotes and
    brackets ("likert_trust.png" around a span "trust.png")."""
    while start > 0 and not cell[start - 1].isspace():
        start -= 1
    while end < len(cell) and not cell[end].isspace():
        end += 1
    return cell[start:end].strip("\"'()[]{}<>,;:")


def _local_file(word: str) -> bool:
    """Whether ``word`` is the absolute path of a file on this machine, with an optional ":line"
    (a Python warning in a log names its library's source: "/.../linear_model.py:2257")."""
    path = re.sub(r"(?::\d+)+:?$", "", word)
    return path.startswith("/") and Path(path).is_file()


def _own_shape(kind: str, found: str, word: str, own: set[str]) -> bool:
    """Whether a span is something the run or the project writes (see the module's docstring)."""
    if kind not in _OWN_KINDS:
        return False
    tokens = [t.casefold() for t in _TOKEN.findall(found)]
    if not tokens:
        return False
    if found.strip().casefold() in own or word.casefold() in own or _local_file(word):
        return True
    # every part of a dotted, hyphenated or underscored name is a word the project writes
    parts = [p.casefold() for p in _PART.findall(word)]
    if parts and all(p in own for p in parts):
        return True
    # a digest shown by its first 16 (or more) hex digits
    return all(
        len(t) >= 12 and any(o.startswith(t) for o in own if len(o) > len(t)) for t in tokens
    )


def scan_shapes(
    paths: Iterable[Path | str],
    detect: Detect,
    *,
    vocabulary: set[str] = frozenset(),  # type: ignore[assignment]
    skip_columns: Iterable[str] = (),
    allowed_dates: Iterable[str] = (),
    own: set[str] = frozenset(),  # type: ignore[assignment]
) -> tuple[list[Finding], int]:
    """Search the readable text of every file under ``paths`` for identifier shapes.

    Parameters
    ----------
    paths
        files and folders (searched recursively, in sorted order).
    detect
        texts -> the spans found in each (:func:`mscsurvey.privacy.scrub.detect_many`, or a scrubber's).
    vocabulary
        case-folded words the codebook and the project write (a named entity made only of them is
        not reported).
    skip_columns
        columns of Parquet/CSV files not searched (the keyed pseudonym columns).
    allowed_dates
        ISO dates (YYYY-MM-DD) the outputs legitimately state (the run's own dates).
    own
        case-folded tokens the run and the project write (:func:`own_tokens`,
        :func:`metadata_tokens`): a span made of them is not reported.

    Returns
    -------
    (list of Finding, int)
        every span found, its type as ``shape:<KIND>`` and its text masked; and the number of texts
        searched.
    """
    skip = set(skip_columns)
    allowed = set(allowed_dates)
    from mscsurvey.privacy.leaks import _files

    findings: list[Finding] = []
    searched = 0
    for path in _files(paths):
        if _skipped(path):
            continue
        pieces = [(w, t[:_MAX_CELL]) for w, t in _texts(path, skip) if t.strip()]
        pieces = [(w, t) for w, t in pieces if _PLACEHOLDER.sub("", t).strip()]
        # a decimal number standing alone in a cell is a statistic ("85.8123456789"), not text
        pieces = [(w, t) for w, t in pieces if not _DECIMAL_CELL.match(t)]
        if not pieces:
            continue
        searched += len(pieces)
        for (where, text), spans in zip(pieces, detect([t for _, t in pieces]), strict=True):
            for span in spans:
                found = text[span.start : span.end]
                if _PLACEHOLDER.fullmatch(found.strip()):
                    continue
                if _own_words(span.kind, found, vocabulary):
                    continue
                if span.kind == "DATE" and any(d in found for d in allowed):
                    continue
                word = _word_around(text, span.start, span.end)
                if _own_shape(span.kind, found, word, own):
                    continue
                findings.append(Finding(str(path), f"shape:{span.kind}", mask(found), where))
    return findings, searched


def run_dates(provenance: Path) -> list[str]:
    """The ISO dates a provenance file records (the run's own dates, stated in the brief)."""
    if not provenance.is_file():
        return []
    return sorted(set(_ISO_DAY.findall(provenance.read_text(encoding="utf-8", errors="replace"))))
