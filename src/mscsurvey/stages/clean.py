"""Cleaning: validate de-identified responses against the codebook, code them, exclude what should not
be analysed, and say why.

The steps, in order:

1. :func:`validate_responses` checks the frame against a pandera schema built from the codebook (every
   item, group and cluster column present; every answer a label or code of its scale; every group value
   one of its categories). The first problem becomes one line naming file, row, column, value and what
   was expected; nothing is written.
2. :func:`code_items` maps labels to codes (case and whitespace tolerant); "don't know"-type labels
   become missing. :func:`code_groups` maps group labels to ordered categoricals.
3. :func:`exclusion_flags` flags duplicate submissions, respondents who answered too little, speeders and
   straight-liners; :func:`exclusion_flow` counts them in that order (received -> analysed).
4. :func:`reverse_key` flips reverse-keyed items so that a higher code always means more of the construct.
"""

from __future__ import annotations

import difflib
import logging
import re
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa

from mscsurvey.codebook.spec import Codebook, Group, Scale, normalise_label
from mscsurvey.errors import SurveyError
from mscsurvey.privacy.screen import display_value, masked, other_answer
from mscsurvey.settings import CleanSettings
from mscsurvey.stages.deidentify import value_shape

__all__ = [
    "REASONS",
    "CleanResult",
    "normalise_answer",
    "answer_problem",
    "category_problem",
    "validate_responses",
    "code_items",
    "code_groups",
    "answered_share",
    "straightliners",
    "exclusion_flags",
    "exclusion_flow",
    "reverse_key",
    "clean",
]

log = logging.getLogger(__name__)

#: Exclusion reasons in the order they are applied (each respondent is counted under the first).
#: ``no_cluster``: the cluster cell is empty, or de-identification suppressed it because the
#: respondent typed an identifier there (:mod:`mscsurvey.privacy.screen`); a study without a cluster column
#: never excludes for it.
REASONS = ("no_cluster", "duplicate", "too_little_answered", "speeder", "straightliner")

#: Internal columns the de-identification stage adds (not study-specific).
SOURCE_ROW = "source_row"
PERSON = "person_pid"
DURATION_DEFAULT = "duration_seconds"

_INTEGRAL = re.compile(r"^[+-]?\d+(?:\.0*)?$")
_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")


def normalise_answer(value: object) -> str | None:
    """Normal form of one answer: labels case/whitespace-folded, numbers as integer text ("4.0" -> "4")."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    text = str(value).strip()
    if text == "":
        return None
    if _INTEGRAL.match(text):
        return str(int(float(text)))
    return normalise_label(text)


def _normalised(s: pd.Series) -> pd.Series:
    """:func:`normalise_answer` of every cell (missing stays NaN), computed once per distinct
    value: a column of 10^6 answers holds a handful of labels (per cell it was 11 million calls)."""
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    table = np.array([normalise_answer(u) for u in uniques] + [np.nan], dtype=object)
    return pd.Series(table[codes], index=s.index, dtype="object")


def _did_you_mean(text: str, choices: list[str]) -> str:
    """' did you mean 'Agree'?' for a near miss among ``choices`` (compared as the clean stage
    matches labels: case- and whitespace-folded), else ''."""
    by_norm = {normalise_label(c): c for c in choices}
    close = difflib.get_close_matches(normalise_label(text), list(by_norm), n=1, cutoff=0.75)
    return f"did you mean '{by_norm[close[0]]}'? " if close else ""


def answer_problem(raw: object, scale: Scale, codebook_path: str | None = None) -> str:
    """Explain why ``raw`` is not an answer on ``scale``, and what to change in which file."""
    text = str(raw).strip()
    where = f" in {codebook_path}" if codebook_path else ""
    if _NUMBER.match(text) and sum(ch.isdigit() for ch in text) > 4:
        # a long number may be a phone, record or account number: never printed
        return (
            f"{masked(text)} is not a code of scale {scale.name} "
            f"(expected a code {scale.min} to {scale.max} or one of: {scale.expected()})"
        )
    if _INTEGRAL.match(text):
        code = int(float(text))
        hint = ""
        if code > scale.max:
            hint = f"; if the question had {code} or more points, change scales.{scale.name}{where}"
        return (
            f"code {code} is out of range for scale {scale.name} "
            f"(expected a code {scale.min} to {scale.max} or one of: {scale.expected()}){hint}"
        )
    if _NUMBER.match(text):
        return (
            f"{text} is not a whole-number code of scale {scale.name} "
            f"(expected a code {scale.min} to {scale.max} or one of: {scale.expected()})"
        )
    labels = list(scale.codes.values()) + list(scale.missing)
    shown, typed = display_value(text, labels)
    hint = _did_you_mean(text, labels) if typed else ""
    return (
        f"{shown} is not a label of scale {scale.name} ({hint}expected one "
        f"of: {scale.expected()}; fix the data or add it to scales.{scale.name}.codes or "
        f"scales.{scale.name}.missing{where})"
    )


def category_problem(raw: object, group: Group, codebook_path: str | None = None) -> str:
    """Explain why ``raw`` is not a category of ``group``, and what to change in which file."""
    text = str(raw).strip()
    where = f" in {codebook_path}" if codebook_path else ""
    choices = list(group.categories) + list(group.missing)
    shown, typed = display_value(text, choices)
    hint = _did_you_mean(text, choices) if typed else ""
    other = next((c for c in group.categories if other_answer(text, c)), None)
    if other and not group.other:
        hint = (
            f"it looks like an '{other}: ...' answer: set groups.{group.id}.other: {other}{where} "
            "to count such answers as that category; "
        )
    return (
        f"{shown} is not a category of group {group.id} ({hint}expected "
        f"one of: {', '.join(choices)}; fix the data or add it to groups.{group.id}.categories or "
        f"groups.{group.id}.missing{where})"
    )


@dataclass(frozen=True)
class _ColumnRule:
    """What a column must hold, and how to explain a value that breaks the rule."""

    column: str
    allowed: frozenset[str]
    explain: Any  # Callable[[object], str]
    nullable: bool = True


def _column_rules(codebook: Codebook) -> list[_ColumnRule]:
    rules = []
    for item in codebook.items.values():
        scale = codebook.scales[item.scale]
        allowed = frozenset(k for k in scale.lookup())
        rules.append(
            _ColumnRule(item.id, allowed, lambda v, s=scale: answer_problem(v, s, codebook.path))
        )
    for group in codebook.groups.values():
        allowed = frozenset(group.lookup())
        rules.append(
            _ColumnRule(group.id, allowed, lambda v, g=group: category_problem(v, g, codebook.path))
        )
    return rules


def _schema(codebook: Codebook, rules: list[_ColumnRule]) -> pa.DataFrameSchema:
    columns: dict[str, pa.Column] = {}
    for rule in rules:
        check = pa.Check(
            lambda s, a=rule.allowed: s.isna() | _normalised(s).isin(a),
            element_wise=False,
            name=f"answer_in_codebook:{rule.column}",
        )
        columns[rule.column] = pa.Column(nullable=rule.nullable, checks=check, required=True)
    if codebook.cluster:
        # an empty cluster is an exclusion (no_cluster), not an error: de-identification may have
        # suppressed an identifier typed there
        columns[codebook.cluster] = pa.Column(nullable=True, required=True)
    columns[codebook.identifiers.pseudonym] = pa.Column(nullable=False, unique=True, required=True)
    return pa.DataFrameSchema(columns, strict=False)


def _describe_column(codebook: Codebook, column: str) -> str:
    if column in codebook.items:
        return f"item of construct '{codebook.items[column].construct}'"
    if column in codebook.groups:
        return "grouping variable"
    if column == codebook.cluster:
        return "cluster column"
    return "required column"


def validate_responses(df: pd.DataFrame, codebook: Codebook, *, source: str) -> None:
    """Check ``df`` against the codebook with pandera; raise the first problem as one line.

    Raises
    ------
    SurveyError
        ``<source> row R, column C: <value> is not ... (expected ...)`` — R is the raw file's row
        number (``source_row``); the message ends with how many further problems were found.
    """
    rules = _column_rules(codebook)
    try:
        _schema(codebook, rules).validate(df, lazy=True)
    except pa.errors.SchemaErrors as err:
        fc = err.failure_cases
        by_column = {r.column: r for r in rules}
        missing = fc[fc["check"] == "column_in_dataframe"]
        if len(missing):
            col = str(missing["failure_case"].iloc[0])
            raise SurveyError(
                f"column '{col}' ({_describe_column(codebook, col)} in {codebook.path}) is missing "
                f"(expected a column named '{col}'; check the spelling in the data and the codebook)",
                file=source,
            ) from None
        problems = []
        for rec in fc.itertuples(index=False):
            col = rec.column
            idx = rec.index
            row = int(df.at[idx, SOURCE_ROW]) if SOURCE_ROW in df and idx in df.index else None
            if col in by_column and str(rec.check).startswith("answer_in_codebook"):
                msg = by_column[col].explain(rec.failure_case)
            elif rec.check == "field_uniqueness":
                msg = "value appears more than once (expected a unique id per response)"
            elif rec.check == "not_nullable":
                msg = f"is empty (expected a value: every response needs its {_describe_column(codebook, col)})"
            else:
                msg = f"{masked(rec.failure_case)} fails check {rec.check}"
            problems.append((row if row is not None else 0, str(col), msg, row))
        problems.sort(key=lambda p: (p[0], p[1]))
        first = problems[0]
        more = len(problems) - 1
        tail = f" [{more} more problem(s) of this kind; see the rule log]" if more else ""
        for _, col, msg, row in problems[1:50]:
            log.error("%s row %s, column %s: %s", source, row, col, msg)
        raise SurveyError(first[2] + tail, file=source, row=first[3], column=first[1]) from None


def code_items(df: pd.DataFrame, codebook: Codebook) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Map each item's labels to its scale's codes, as answered (before reverse keying).

    Returns
    -------
    codes : DataFrame
        one nullable ``Int16`` column per item; "don't know"-type answers and blanks are missing.
    counts : DataFrame
        per item: ``answered``, ``dont_know`` (a missing label of the scale), ``blank``.
    """
    codes = {}
    counts = []
    for item in codebook.items.values():
        lookup = codebook.scales[item.scale].lookup()
        norm = _normalised(df[item.id])
        mapped = norm.map(lookup)
        dont_know = norm.notna() & mapped.isna()
        codes[item.id] = pd.array(mapped.to_numpy(dtype=object), dtype="Int16")
        counts.append(
            {
                "item": item.id,
                "answered": int(mapped.notna().sum()),
                "dont_know": int(dont_know.sum()),
                "blank": int(norm.isna().sum()),
            }
        )
    return pd.DataFrame(codes, index=df.index), pd.DataFrame(counts)


def code_groups(df: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Map group labels (or codes, where `categories` maps codes to labels) to the codebook's categories
    (ordered categoricals of the labels; missing labels -> NA)."""
    out = {}
    for group in codebook.groups.values():
        mapped = _normalised(df[group.id]).map(group.lookup())
        out[group.id] = pd.Categorical(
            mapped.to_numpy(dtype=object), categories=list(group.categories), ordered=group.ordered
        )
    return pd.DataFrame(out, index=df.index)


def answered_share(df: pd.DataFrame, codebook: Codebook) -> pd.Series:
    """Share of the codebook's items each respondent answered (a "don't know" counts as an answer)."""
    items = list(codebook.items)
    answered = df[items].apply(lambda s: _normalised(s).notna()).sum(axis=1)
    return answered / len(items)


def straightliners(codes: pd.DataFrame, codebook: Codebook, min_items: int) -> pd.Series:
    """True where a respondent gave one identical answer to every item of some response scale,
    having answered at least ``min_items`` of that scale's items (codes as answered)."""
    flag = pd.Series(False, index=codes.index)
    for scale in codebook.scales:
        cols = [i for i, it in codebook.items.items() if it.scale == scale]
        if len(cols) < min_items:
            continue
        m = codes[cols].astype("float64").to_numpy()
        n = np.sum(~np.isnan(m), axis=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-missing rows: spread is NaN
            spread = np.nanmax(m, axis=1) - np.nanmin(m, axis=1)
        flag |= pd.Series((n >= min_items) & (spread == 0), index=codes.index)
    return flag


def _duplicates(df: pd.DataFrame, codes: pd.DataFrame, keep: str) -> pd.Series:
    if PERSON not in df.columns:
        return pd.Series(False, index=df.index)
    person = df[PERSON]
    has = person.notna()
    if keep == "keep_most_complete":
        order = pd.DataFrame(
            {"person": person, "answered": codes.notna().sum(axis=1), "pos": np.arange(len(df))},
            index=df.index,
        )
        order = order[has].sort_values(["person", "answered", "pos"], ascending=[True, False, True])
        kept = order.drop_duplicates("person", keep="first").index
        return has & ~df.index.isin(kept)
    dup = person[has].duplicated(keep="first" if keep == "keep_first" else "last")
    return pd.Series(False, index=df.index).mask(has, dup.reindex(df.index, fill_value=False))


def _durations(df: pd.DataFrame, column: str, source: str | None) -> pd.Series:
    """The duration column in seconds; a value that is no number, or a negative one, is an error
    (read as missing it would silently switch the speeder rule off for that respondent)."""
    raw = df[column]
    duration = pd.to_numeric(raw, errors="coerce")
    bad = (raw.notna() & duration.isna()) | (duration < 0)
    if bad.any():
        first = bad[bad].index[0]
        row = int(df.at[first, SOURCE_ROW]) if SOURCE_ROW in df.columns else None
        shape = value_shape(raw.at[first])
        what = "is negative" if pd.notna(duration.at[first]) else f"'{shape}' is not a number"
        more = f" [{int(bad.sum()) - 1} more row(s) like it]" if bad.sum() > 1 else ""
        raise SurveyError(
            f"{what} (expected the survey's duration in seconds, 0 or more: an impossible "
            f"duration would switch the speeder rule off){more}",
            file=source,
            row=row,
            column=column,
        )
    return duration


def _check_analysed_n(flags: pd.DataFrame, settings: CleanSettings, source: str) -> None:
    """Stop when fewer respondents than ``clean.min_analysed_n`` remain after the exclusions (a brief
    of "0 of 640 analysed" is no result)."""
    minimum = int(settings.min_analysed_n)
    analysed = int(flags["reason"].isna().sum())
    if analysed >= minimum:
        return
    excluded = ", ".join(f"{r} {int((flags['reason'] == r).sum())}" for r in REASONS)
    raise SurveyError(
        f"{analysed} of {len(flags)} respondents remain after the exclusions ({excluded}); "
        f"expected at least clean.min_analysed_n = {minimum}: check the clean settings in the "
        "config (e.g. clean.speeder_min_seconds) and the data, or lower clean.min_analysed_n",
        file=source,
    )


def exclusion_flags(
    df: pd.DataFrame,
    codes: pd.DataFrame,
    codebook: Codebook,
    settings: CleanSettings,
    *,
    source: str | None = None,
) -> pd.DataFrame:
    """One boolean column per reason in :data:`REASONS`, plus ``answered_share`` and ``reason``
    (the first reason that applies, or missing)."""
    duration_col = (
        codebook.identifiers.timestamps["duration"]
        if codebook.identifiers.timestamps
        else DURATION_DEFAULT
    )
    share = answered_share(df, codebook)
    flags = pd.DataFrame(index=df.index)
    cluster = codebook.cluster
    if cluster and cluster in df.columns:
        flags["no_cluster"] = df[cluster].astype("string").str.strip().fillna("").eq("")
    else:
        flags["no_cluster"] = False
    flags["duplicate"] = _duplicates(df, codes, settings.duplicates)
    flags["too_little_answered"] = share < settings.min_answered_share
    if duration_col in df.columns:
        duration = _durations(df, duration_col, source)
        flags["speeder"] = (duration < settings.speeder_min_seconds).fillna(False).astype(bool)
    else:
        flags["speeder"] = False
    flags["straightliner"] = straightliners(codes, codebook, settings.straightline_min_items)
    reason = pd.Series(pd.NA, index=df.index, dtype="object")
    for r in reversed(REASONS):
        reason = reason.mask(flags[r], r)
    flags["reason"] = reason.astype("string")
    flags["answered_share"] = share.round(4)
    return flags


def exclusion_flow(flags: pd.DataFrame) -> list[dict[str, Any]]:
    """Respondent flow: received, then each reason in order (counted once, under its first reason),
    then analysed."""
    remaining = len(flags)
    flow: list[dict[str, Any]] = [{"step": "received", "n": remaining}]
    for r in REASONS:
        n = int((flags["reason"] == r).sum())
        remaining -= n
        flow.append({"step": f"excluded: {r}", "n": n, "remaining": remaining})
    flow.append({"step": "analysed", "n": remaining})
    return flow


def reverse_key(codes: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Flip reverse-keyed items (code -> min + max - code) so higher always means more."""
    out = codes.copy()
    for item in codebook.items.values():
        if item.reverse:
            scale = codebook.scales[item.scale]
            out[item.id] = (scale.min + scale.max) - out[item.id]
    return out


@dataclass(frozen=True)
class CleanResult:
    responses: pd.DataFrame
    exclusions: pd.DataFrame
    validation: dict[str, Any]


def clean(
    deidentified: pd.DataFrame, codebook: Codebook, *, settings: CleanSettings, source: str
) -> CleanResult:
    """Validate, code, exclude and reverse-key de-identified responses.

    Parameters
    ----------
    deidentified
        output of the deidentify stage (labels as text; ``source_row``; ``person_pid`` if the codebook
        names person columns).
    settings
        the ``clean:`` settings (:class:`~mscsurvey.settings.CleanSettings`):
        ``speeder_min_seconds``, ``straightline_min_items``, ``min_answered_share``, ``duplicates``,
        ``min_analysed_n``.
    source
        the raw file's name, used in error messages (rows are the raw file's rows).

    Returns
    -------
    CleanResult
        ``responses``: analysed respondents with keyed item codes (``Int16``; higher = more of the
        construct), group categoricals and the other de-identified columns; ``exclusions``: one row per
        excluded respondent with its reason and every flag; ``validation``: the flow and per-item counts.
    """
    df = deidentified.reset_index(drop=True)
    validate_responses(df, codebook, source=source)
    codes, counts = code_items(df, codebook)
    groups = code_groups(df, codebook)
    flags = exclusion_flags(df, codes, codebook, settings, source=source)
    keyed = reverse_key(codes, codebook)

    pid = codebook.identifiers.pseudonym
    passthrough = [
        c
        for c in df.columns
        if c not in codebook.items and c not in codebook.groups and c != PERSON
    ]
    full = pd.concat([df[passthrough], groups, keyed], axis=1)
    order = [pid, SOURCE_ROW] if SOURCE_ROW in full else [pid]
    if codebook.cluster:
        order.append(codebook.cluster)
    order += [g for g in codebook.groups] + [c for c in passthrough if c not in order]
    order += list(codebook.items)
    full = full[order]
    if codebook.cluster:
        full[codebook.cluster] = full[codebook.cluster].astype("string").str.strip()

    kept = flags["reason"].isna()
    _check_analysed_n(flags, settings, source)
    responses = full[kept].reset_index(drop=True)

    ex_cols = [pid] + ([SOURCE_ROW] if SOURCE_ROW in df else [])
    exclusions = pd.concat([df.loc[~kept, ex_cols], flags.loc[~kept]], axis=1)
    exclusions = exclusions[ex_cols + ["reason", *REASONS, "answered_share"]].reset_index(drop=True)

    per_item = counts.set_index("item")
    per_item["answered_analysed"] = codes[kept].notna().sum().astype(int)
    validation = {
        "source": source,
        "codebook": codebook.path,
        "settings": settings.as_dict(),
        "received": len(df),
        "excluded": {r: int((flags["reason"] == r).sum()) for r in REASONS},
        "flagged": {r: int(flags[r].sum()) for r in REASONS},
        "analysed": int(kept.sum()),
        "flow": exclusion_flow(flags),
        "reverse_keyed": [i.id for i in codebook.items.values() if i.reverse],
        "items": per_item.reset_index().to_dict(orient="records"),
    }
    return CleanResult(responses=responses, exclusions=exclusions, validation=validation)
