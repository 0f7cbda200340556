"""Screening of the cells respondents type that are not declared free text, and safe messages.

Free-text columns are scrubbed by :mod:`mscsurvey.privacy.scrub`. Every other cell a respondent can type into
is screened here before it leaves de-identification: the cluster column, the grouping variables
(whose "Other: please specify ..." answers hold whatever was typed) and the items (an answer such as
"Agree, call me on 555 0142"). A cell is screened only when its value is not already a label of the
codebook (labels are the codebook's words, never a respondent's):

* a grouping variable with ``other: <category>`` in the codebook maps "Other: ...", "Other - ...",
  "Other (please specify) ..." answers to that category; the typed specification is dropped and
  counted, never kept;
* any other value in which a detector of :class:`~mscsurvey.privacy.scrub.Scrubber` (patterns, the roster of
  the raw file's identifiers, named entities) finds an identifier is suppressed (set missing) and
  counted by column and kind; its row and column are reported, never the value;
* in the cluster column, whose values are collaboratives' own names, a value is suppressed when a
  pattern finds an e-mail, phone, number or the like, or when a person's name is found in a value
  shared by fewer than ``k`` respondents (a name typed by one person is theirs; a collaborative named
  after a place or a person is shared by its members); likewise a code shaped like a record number
  ("CL-C01") is kept when ``k`` or more respondents share it.

Values that are neither labels nor flagged pass on unchanged: the clean stage then stops on them with
a message that shows the value only when :func:`display_value` judges it safe.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any, Protocol

import pandas as pd

from mscsurvey.codebook.spec import Codebook, normalise_label

__all__ = [
    "SpanFinder",
    "display_value",
    "masked",
    "other_answer",
    "screen_cells",
]

# Kinds a pattern finds by shape: never a collaborative's legitimate name.
_SHAPE_KINDS = frozenset(
    [
        "EMAIL",
        "URL",
        "IP_ADDRESS",
        "PHONE",
        "ADDRESS",
        "ZIP",
        "SSN",
        "DATE",
        "AGE",
        "HANDLE",
        "ID_NUMBER",
        "IDENTIFIER",
    ]
)
# Kinds a collaborative's own code can take ("CL-C01", "WA-12"): kept when shared by k or more.
_CODE_KINDS = frozenset({"ID_NUMBER", "IDENTIFIER", "ZIP"})
# A quoted value in a message is at most this long (longer values are masked: a label is short).
_MAX_SHOWN = 40
_INTEGRAL = re.compile(r"^[+-]?\d+(?:\.0*)?$")
_OTHER_SEP = re.compile(r"^\s*(?:[:\-–—,;/]|\(?\s*(?:please\s+)?specify\s*\)?\s*[:\-–—]?)")


class SpanFinder(Protocol):
    """Anything with :meth:`mscsurvey.privacy.scrub.Scrubber.spans`."""

    def spans(self, text: str) -> list[Any]: ...


def masked(value: object) -> str:
    """A value as a message may show it: its shape (letters A, digits 9) and length, nothing else."""
    text = str(value).strip()
    shape = re.sub(r"[^\W\d_]", "A", re.sub(r"\d", "9", text))
    if len(shape) > 24:
        shape = shape[:24] + "..."
    return f'a masked value ("{shape}", {len(text)} characters)'


def display_value(
    value: object, choices: Sequence[str], finder: SpanFinder | None = None
) -> tuple[str, bool]:
    """How a raw value may appear in a message, and whether it is shown as typed.

    A value is shown as typed (quoted) only when it is evidently a slip of one of the codebook's own
    ``choices`` (a close match, as difflib judges it at 0.75), is short, and no detector of
    ``finder`` flags it; a whole number of at most three digits (a scale code) is shown too. Anything
    else could be a respondent's own words, so it is masked (:func:`masked`).
    """
    text = " ".join(str(value).split())
    if re.fullmatch(r"[+-]?\d{1,3}(?:\.0*)?", text):
        return text, True
    if re.fullmatch(r"user-missing \.?[\w-]{1,6}", text):  # the SPSS/Stata reader's own marker
        return f"'{text}'", True
    by_norm = [normalise_label(c) for c in choices]
    close = difflib.get_close_matches(normalise_label(text), by_norm, n=1, cutoff=0.75)
    if close and len(text) <= _MAX_SHOWN and not (finder and finder.spans(text)):
        return f"'{text}'", True
    return masked(text), False


def other_answer(value: str, other_label: str) -> bool:
    """Whether ``value`` is an "Other, please specify" answer of the category ``other_label``:
    the label itself followed by a separator and typed text ("Other: a church", "Other - ...",
    "Other (please specify) ..."), case-insensitively."""
    text = str(value).strip()
    head = other_label.strip()
    if len(text) <= len(head) or text[: len(head)].casefold() != head.casefold():
        return False
    return _OTHER_SEP.match(text[len(head) :]) is not None


def _normal(text: str) -> str:
    """As the clean stage matches an answer: "4.0" -> "4", labels case/whitespace-folded."""
    return str(int(float(text))) if _INTEGRAL.match(text) else normalise_label(text)


def _spans_many(finder: SpanFinder, texts: list[str]) -> list[list[Any]]:
    """Spans of many texts: in one batch (the scrubber runs its model over them together) when the
    finder can, else one by one."""
    many = getattr(finder, "spans_many", None)
    return many(texts) if many is not None else [finder.spans(t) for t in texts]


def _screen_column(
    values: pd.Series,
    *,
    allowed: frozenset[str],
    finder: SpanFinder,
    cluster: bool,
    k: int,
) -> tuple[pd.Series, Counter[str]]:
    """Cells to suppress (True) in one column, and the kinds found, judging each distinct value once
    (the values not allowed go through the detectors in one batch)."""
    present = values.notna()
    text = values[present].astype(str).str.strip()
    sizes = text[text != ""].value_counts(sort=False)
    candidates = [(str(v), int(n)) for v, n in sizes.items() if _normal(str(v)) not in allowed]
    suppress = pd.Series(False, index=values.index)
    kinds: Counter[str] = Counter()
    bad = []
    for (value, n), spans in zip(
        candidates, _spans_many(finder, [v for v, _ in candidates]), strict=True
    ):
        found = [s.kind for s in spans]
        if cluster and n >= k:
            # shared by k or more: a collaborative's name or code ("CL-C01"), not a person's
            found = [f for f in found if f in _SHAPE_KINDS and f not in _CODE_KINDS]
        if found:
            bad.append(value)
            kinds.update(dict.fromkeys(found, n))
    if bad:
        suppress.loc[text.index[text.isin(bad)]] = True
    return suppress, kinds


def _other_answers(values: pd.Series, other_label: str) -> pd.Series:
    """Whether each cell is an "Other: ..." answer, judging each distinct value once."""
    others = [
        v for v in pd.unique(values.dropna()) if isinstance(v, str) and other_answer(v, other_label)
    ]
    return values.isin(others) if others else pd.Series(False, index=values.index)


def screen_cells(
    raw: pd.DataFrame,
    codebook: Codebook,
    finder: SpanFinder,
    *,
    k: int,
    rows: pd.Series,
) -> tuple[dict[str, pd.Series], dict[str, Any]]:
    """Screen the cluster, group and item columns of a raw export for typed identifiers.

    Parameters
    ----------
    raw
        the raw export (text columns).
    codebook
        the study's codebook: the labels of scales and groups, each group's ``other`` category.
    finder
        the de-identification's scrubber (its roster holds the raw file's identifier values).
    k
        the k of k-anonymity: a person's name in a cluster value shared by ``k`` or more respondents
        is a collaborative's name, not an identifier.
    rows
        the raw file's row numbers, aligned with ``raw``.

    Returns
    -------
    (dict, dict)
        column -> the screened values (identifiers suppressed as missing, "Other: ..." answers mapped
        to their category), for the columns that changed; and the report: columns screened, values
        suppressed by column and by kind, "other" specifications dropped by column, and the
        suppressed cells as ``{"source_row", "column"}`` (never a value).
    """
    columns: list[tuple[str, frozenset[str], bool]] = []
    if codebook.cluster:
        columns.append((codebook.cluster, frozenset(), True))
    for gid, group in codebook.groups.items():
        columns.append((gid, frozenset(group.lookup()), False))
    for iid in codebook.items:
        scale = codebook.scale_of(iid)
        columns.append((iid, frozenset(scale.lookup()) | frozenset(map(str, scale.codes)), False))
    changed: dict[str, pd.Series] = {}
    suppressed: dict[str, int] = {}
    other: dict[str, int] = {}
    kinds: Counter[str] = Counter()
    cells: list[dict[str, Any]] = []
    for col, allowed, is_cluster in columns:
        if col not in raw.columns:
            continue
        values = raw[col]
        group = codebook.groups.get(col)
        if group is not None and group.other:
            is_other = _other_answers(values, group.other).astype(bool)
            if is_other.any():
                values = values.mask(is_other, group.other)
                other[col] = int(is_other.sum())
        suppress, found = _screen_column(
            values, allowed=allowed, finder=finder, cluster=is_cluster, k=k
        )
        if suppress.any():
            values = values.mask(suppress)
            suppressed[col] = int(suppress.sum())
            kinds.update(found)
            cells += [{"source_row": int(r), "column": col} for r in rows[suppress]]
        if col in other or col in suppressed:
            changed[col] = values
    report = {
        "columns_screened": sum(c in raw.columns for c, _, _ in columns),
        "values_suppressed": suppressed,
        "values_suppressed_total": int(sum(suppressed.values())),
        "kinds_found": dict(sorted(kinds.items())),
        "other_specified_dropped": other,
        "suppressed_cells": sorted(cells, key=lambda c: (c["source_row"], c["column"])),
    }
    return changed, report
