"""De-identification: raw export -> responses that carry no identifier, and a report of what was done.

Everything is driven by the codebook's ``identifiers:`` section; no column name of a study is written
here. In order:

1. check that every column the codebook needs is in the raw file, that respondent ids are present and
   unique, and that dates, timestamps and ZIP codes parse (errors name file, row and column, and never
   print an identifier's value: only its shape, digits as 9 and letters as A);
2. replace the respondent id by a keyed pseudonym (HMAC-SHA256), and the person columns (e.g. e-mail)
   by a keyed person pseudonym (``person_pid``) that lets cleaning find duplicate submissions;
3. generalise quasi-identifiers: birth date -> age band at the survey start date, ZIP -> its first three
   digits (HIPAA's restricted ZIP3s -> ``000``), start/end timestamps -> survey month and duration;
4. screen every other cell a respondent typed (cluster, groups, items: :mod:`mscsurvey.privacy.screen`):
   "Other: ..." answers become their category, values holding an identifier are suppressed; scrub
   free-text answers (patterns plus the roster of names, organisations, places and addresses found
   in the raw file);
5. enforce k-anonymity on the quasi-identifiers by local suppression;
6. drop every other identifier column, and every column the codebook does not know;
7. check the result: the output and the report are scanned for every identifier value of the raw file
   (:mod:`mscsurvey.privacy.leaks`); a hit stops the run before anything is written.
"""

from __future__ import annotations

import difflib
import json
import re
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from mscsurvey.codebook.spec import Codebook, normalise_label
from mscsurvey.errors import SurveyError
from mscsurvey.privacy.kanonymity import enforce_k_anonymity, k_achieved, violating
from mscsurvey.privacy.leaks import (
    Needles,
    codebook_vocabulary,
    roster_values,
    scan_frame,
    scan_text,
)
from mscsurvey.privacy.pseudonym import method_label, person_keys, pseudonymise
from mscsurvey.privacy.screen import screen_cells
from mscsurvey.privacy.scrub import Scrubber, build_roster

__all__ = [
    "PERSON_COLUMN",
    "SOURCE_ROW",
    "RESTRICTED_ZIP3",
    "required_columns",
    "check_columns",
    "value_shape",
    "parse_dates",
    "age_band_labels",
    "age_bands",
    "zip3",
    "output_columns",
    "scrubber_for",
    "POSITION",
    "chunk_positions",
    "scrub_free_text",
    "gather_free_text",
    "deidentify",
]

#: Output column holding the keyed pseudonym of the person columns.
PERSON_COLUMN = "person_pid"
#: Output column holding the raw file's row number (as a spreadsheet shows it).
SOURCE_ROW = "source_row"
_RAW_ROW = "_source_row"

#: Three-digit ZIP prefixes covering 20,000 people or fewer (HIPAA Safe Harbor, 2000 Census): -> "000".
RESTRICTED_ZIP3 = frozenset(
    ("036", "059", "063", "102", "203", "556", "692", "790", "821")
    + ("823", "830", "831", "878", "879", "884", "890", "893")
)

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[ T]00:00(?::00(?:\.0+)?)?)?$")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$")
_ZIP5 = re.compile(r"^(\d{5})(?:-?\d{4})?$")
_ZIP_LOST_ZERO = re.compile(r"^(\d{4})(?:-\d{4})?$")


# --------------------------------------------------------------------------------------------------
# Checks


def required_columns(codebook: Codebook) -> dict[str, str]:
    """Every raw column the codebook needs -> what it is, in the codebook's words."""
    ids = codebook.identifiers
    need: dict[str, str] = {}

    def add(col: str, what: str) -> None:
        need.setdefault(col, what)

    if ids.respondent_id:
        add(ids.respondent_id, "the respondent id, identifiers.respondent_id")
    for c in ids.person:
        add(c, "a person identifier, identifiers.person")
    for c in ids.direct:
        add(c, "a direct identifier, identifiers.direct")
    for c in ids.roster:
        add(c, "a roster column, identifiers.roster")
    if ids.birth_date:
        add(ids.birth_date["column"], "the birth date, identifiers.birth_date")
    if ids.zip:
        add(ids.zip["column"], "the ZIP code, identifiers.zip")
    if ids.timestamps:
        add(ids.timestamps["start"], "the survey start time, identifiers.timestamps")
        add(ids.timestamps["end"], "the survey end time, identifiers.timestamps")
    for c in ids.free_text:
        add(c, "a free-text answer, identifiers.free_text")
    if codebook.cluster:
        add(codebook.cluster, "the cluster column, cluster.column")
    for gid in codebook.groups:
        add(gid, "a grouping variable under groups")
    for iid, item in codebook.items.items():
        add(iid, f"item of construct '{item.construct}'")
    return need


def check_columns(raw: pd.DataFrame, codebook: Codebook, *, source: str) -> None:
    """Raise a one-line :class:`SurveyError` if a column the codebook needs is not in ``raw``."""
    need = required_columns(codebook)
    missing = [c for c in need if c not in raw.columns]
    if not missing:
        return
    col = missing[0]
    hint = ""
    by_fold = {str(c).casefold(): c for c in raw.columns}
    if col.casefold() in by_fold:
        hint = f"; the file has '{by_fold[col.casefold()]}' (column names are case-sensitive)"
    else:
        close = difflib.get_close_matches(col, [str(c) for c in raw.columns], n=1, cutoff=0.8)
        if close:
            hint = f"; did you mean '{close[0]}'?"
    more = ""
    if len(missing) > 1:
        shown = ", ".join(f"'{c}'" for c in missing[1:6])
        extra = f" and {len(missing) - 6} more" if len(missing) > 6 else ""
        more = f" ({len(missing) - 1} other codebook column(s) are missing too: {shown}{extra})"
    if len(missing) == len(need):
        # a title row read as the header, or the wrong delimiter or encoding
        more += (
            "; none of the codebook's columns is in the header (expected the column names in the "
            "first row read: a title row above them needs datasets.<name>.skip_rows; check also "
            "datasets.<name>.delimiter and encoding)"
        )
    raise SurveyError(
        f"column '{col}' ({need[col]} in the codebook) is missing{hint}{more}; rename the "
        f"column in the data file or change '{col}' in {codebook.path}",
        file=source,
    )


def value_shape(value: object) -> str:
    """An identifier's value with digits shown as 9 and letters as A: enough to see a format error,
    nothing to identify anyone."""
    text = re.sub(r"\d", "9", str(value))
    return re.sub(r"[^\W\d_]", "A", text)


def _rows(raw: pd.DataFrame) -> pd.Series:
    if _RAW_ROW in raw.columns:
        return pd.Series(raw[_RAW_ROW].to_numpy(), index=raw.index)
    return pd.Series(np.arange(2, 2 + len(raw)), index=raw.index)


def _strip(values: pd.Series) -> pd.Series:
    s = values.astype("str").str.strip()
    return s.where(s.notna() & (s != ""))


def parse_dates(
    values: pd.Series, *, rows: pd.Series, column: str, source: str, with_time: bool
) -> pd.Series:
    """Parse ISO dates (``YYYY-MM-DD``) or timestamps (``YYYY-MM-DD HH:MM:SS``); blank -> NaT.

    Raises
    ------
    SurveyError
        naming the first row that does not parse, the column and the expected form.
    """
    s = _strip(values)
    pattern = _TIMESTAMP if with_time else _DATE
    shaped = s.str.fullmatch(pattern.pattern).fillna(False).astype(bool)
    parsed = pd.to_datetime(s.where(shaped), format="ISO8601", errors="coerce")
    bad = s.notna() & parsed.isna()
    if bad.any():
        i = bad[bad].index[0]
        form = "a timestamp YYYY-MM-DD HH:MM:SS" if with_time else "a date YYYY-MM-DD"
        raise SurveyError(
            f"value shaped '{value_shape(s[i])}' is not {form} (identifier values are not printed;"
            " digits are shown as 9, letters as A)",
            file=source,
            row=int(rows[i]),
            column=column,
        )
    return parsed


def age_band_labels(bands: list[int] | tuple[int, ...]) -> list[str]:
    """Labels of the age bands with these lower bounds: [18, 30, 70] -> 18-29, 30-69, 70+."""
    labels = [f"{lo}-{hi - 1}" for lo, hi in zip(bands[:-1], bands[1:], strict=True)]
    return labels + [f"{bands[-1]}+"]


def age_bands(birth: pd.Series, at: pd.Series, bands: list[int] | tuple[int, ...]) -> pd.Series:
    """Age in completed years at the dates ``at``, as band labels; younger than the first band or
    unknown -> missing.

    Parameters
    ----------
    birth, at
        datetime Series on the same index.
    bands
        increasing lower bounds of the bands, in years.
    """
    years = at.dt.year - birth.dt.year
    before_birthday = (at.dt.month < birth.dt.month) | (
        (at.dt.month == birth.dt.month) & (at.dt.day < birth.dt.day)
    )
    age = (years - before_birthday.astype(float)).astype(float)
    edges = [*bands, np.inf]
    banded = pd.cut(age, bins=edges, right=False, labels=age_band_labels(bands))
    return banded.astype("object").where(banded.notna()).astype("str")


def zip3(values: pd.Series, *, rows: pd.Series, column: str, source: str) -> tuple[pd.Series, int]:
    """First three digits of 5-digit ZIPs (or ZIP+4), restricted ZIP3s -> ``000``; blank -> missing.

    A 4-digit value is a ZIP whose leading zero a spreadsheet dropped (``2139`` -> ``021``).

    Returns
    -------
    (pandas.Series, int)
        the ZIP3s (text) and how many were restricted (set to ``000``).

    Raises
    ------
    SurveyError
        naming the first row whose value is not a ZIP code.
    """
    s = _strip(values)
    five = s.str.extract(_ZIP5.pattern)[0]
    four = s.str.extract(_ZIP_LOST_ZERO.pattern)[0]
    digits = five.fillna("0" + four)
    bad = s.notna() & digits.isna()
    if bad.any():
        i = bad[bad].index[0]
        raise SurveyError(
            f"value shaped '{value_shape(s[i])}' is not a US ZIP code (expected 5 digits or ZIP+4;"
            " identifier values are not printed)",
            file=source,
            row=int(rows[i]),
            column=column,
        )
    prefix = digits.str[:3]
    restricted = prefix.isin(RESTRICTED_ZIP3)
    return prefix.mask(restricted, "000").astype("str"), int(restricted.sum())


def _row_keys(raw: pd.DataFrame, rows: pd.Series) -> pd.Series:
    """What a row's pseudonym is keyed on when the export has no respondent id: its position (the
    spreadsheet row number) and its content (every raw value, in column order), as one JSON text.

    Why both: content alone gives two identical responses (a double submission, two blank rows) one
    pseudonym, and pseudonyms must be unique; position alone would give row 5 of every export the
    same pseudonym under one key, linking unrelated people across files and waves. Together they are
    unique within the file and the same on every run of the same file (deterministic, keyed by HMAC,
    so nobody without the key can recompute them). What it means: re-ordering the rows, or editing
    any answer, gives the moved or edited rows new pseudonyms; they cannot link a respondent across
    exports or waves (an id column can), and results of two versions of an export are not joined.
    """
    values = raw.drop(columns=[_RAW_ROW], errors="ignore").astype(object)
    values = values.where(values.notna(), None)
    texts = [
        json.dumps([int(r), list(v)], ensure_ascii=False, separators=(",", ":"))
        for r, v in zip(rows, values.itertuples(index=False, name=None), strict=True)
    ]
    return pd.Series(texts, index=raw.index, dtype="str")


def _respondent_ids(
    raw: pd.DataFrame, column: str | None, rows: pd.Series, source: str
) -> pd.Series:
    if column is None:
        return _row_keys(raw, rows)
    ids = _strip(raw[column])
    if ids.isna().any():
        i = ids[ids.isna()].index[0]
        raise SurveyError(
            "is empty (expected a respondent id in every row)",
            file=source,
            row=int(rows[i]),
            column=column,
        )
    dup = ids.duplicated(keep=False)
    if dup.any():
        second = ids[ids.duplicated(keep="first")].index[0]
        first = ids[(ids == ids[second]) & dup].index[0]
        raise SurveyError(
            f"repeats the respondent id of row {int(rows[first])} (expected one row per response; "
            "ids are not printed)",
            file=source,
            row=int(rows[second]),
            column=column,
        )
    return ids


def _qi_view(df: pd.DataFrame, qis: list[str]) -> pd.DataFrame:
    """QI values as the analysis will see them: labels case- and whitespace-folded, blank missing."""
    view = pd.DataFrame(index=df.index)
    for c in qis:
        s = df[c].map(normalise_label, na_action="ignore")
        view[c] = s.where(s.notna() & (s != ""))
    return view


# --------------------------------------------------------------------------------------------------
# The stage, in steps; each step adds its columns to ``out`` and returns its part of the report


def output_columns(codebook: Codebook) -> list[str]:
    """The de-identified frame's columns, in order.

    Raises
    ------
    SurveyError
        if two of them would share a name (a pseudonym or generalised column named like another).
    """
    ids = codebook.identifiers
    order = [ids.pseudonym] + ([PERSON_COLUMN] if ids.person else []) + [SOURCE_ROW]
    order += [codebook.cluster] if codebook.cluster else []
    order += list(codebook.groups) + ids.generalised_columns()
    order += list(codebook.items) + list(ids.free_text)
    dupes = [c for c, m in Counter(order).items() if m > 1]
    if dupes:
        raise SurveyError(
            f"output column '{dupes[0]}' would be written twice (a pseudonym, generalised or "
            "free-text column shares its name with another column); rename one",
            file=codebook.path,
            key="identifiers",
        )
    return order


def _pseudonyms(
    raw: pd.DataFrame,
    codebook: Codebook,
    out: pd.DataFrame,
    *,
    key: bytes,
    length: int,
    rows: pd.Series,
    source: str,
) -> dict[str, Any]:
    ids = codebook.identifiers
    resp_ids = _respondent_ids(raw, ids.respondent_id, rows, source)
    out[ids.pseudonym] = pseudonymise(resp_ids, key, length)
    section: dict[str, Any] = {
        "column": ids.pseudonym,
        "from": ids.respondent_id or "row position and content",
        "method": method_label(length),
        "key_source": getattr(key, "source", "argument"),
    }
    if ids.respondent_id is None:
        section["note"] = (
            "the export has no respondent id column: each row's pseudonym is keyed on its row number "
            "and all its values; stable for this file, new for a row that moves or changes, so it "
            "cannot link respondents across exports or waves"
        )
    if ids.person:
        out[PERSON_COLUMN] = pseudonymise(person_keys(raw, ids.person), key, length)
        section["person_column"] = PERSON_COLUMN
        section["person_from"] = list(ids.person)
        section["person_normalisation"] = "trimmed, whitespace collapsed, case-folded"
        section["persons_missing"] = int(out[PERSON_COLUMN].isna().sum())
    return section


def _generalise(
    raw: pd.DataFrame, codebook: Codebook, out: pd.DataFrame, *, rows: pd.Series, source: str
) -> dict[str, Any]:
    """Birth date -> age band, ZIP -> ZIP3, timestamps -> month and duration."""
    ids = codebook.identifiers
    section: dict[str, Any] = {}
    generalised: dict[str, str] = {}
    starts = ends = None
    if ids.timestamps:
        ts = ids.timestamps
        starts, ends = (
            parse_dates(raw[ts[x]], rows=rows, column=ts[x], source=source, with_time=True)
            for x in ("start", "end")
        )
    if ids.birth_date:
        bd = ids.birth_date
        bands = [int(b) for b in bd["bands"]]
        if any(b2 <= b1 for b1, b2 in zip(bands, bands[1:], strict=False)):
            raise SurveyError(
                "age band bounds must increase (e.g. [18, 30, 40, 50, 60, 70])",
                file=codebook.path,
                key="identifiers.birth_date.bands",
            )
        if starts is None:
            raise SurveyError(
                "needs identifiers.timestamps: ages are taken at the survey start date",
                file=codebook.path,
                key="identifiers.birth_date",
            )
        births = parse_dates(
            raw[bd["column"]], rows=rows, column=bd["column"], source=source, with_time=False
        )
        at = starts.dt.normalize()
        at = at.fillna(at.min())  # a row without a start time: the survey's first start date
        out[bd["output"]] = age_bands(births, at, bands)
        below = births.notna() & at.notna() & out[bd["output"]].isna()
        labels = age_band_labels(bands)
        generalised[bd["column"]] = (
            f"age band '{bd['output']}' ({', '.join(labels)}), age in completed years at the "
            f"survey start date; under {bands[0]} -> missing"
        )
        section["age"] = {
            "bands": labels,
            "birth_date_missing": int(births.isna().sum()),
            "below_first_band": int(below.sum()),
            "below_first_band_rows": [int(r) for r in rows[below]],
        }
    if ids.zip:
        z = ids.zip
        if z["method"] == "drop":
            generalised[z["column"]] = "dropped"
        else:
            out[z["output"]], restricted = zip3(
                raw[z["column"]], rows=rows, column=z["column"], source=source
            )
            generalised[z["column"]] = (
                f"ZIP3 '{z['output']}' (first 3 digits; HIPAA restricted ZIP3s -> 000)"
            )
            section["zip"] = {"restricted_to_000": restricted}
    if ids.timestamps:
        ts = ids.timestamps
        out[ts["month"]] = starts.dt.strftime("%Y-%m").astype("str")
        seconds = (ends - starts).dt.total_seconds()
        negative = seconds < 0
        if negative.any():
            _end_before_start(negative, int(seconds.notna().sum()), rows, ts, codebook.path, source)
        out[ts["duration"]] = seconds.round().astype("Int64")
        generalised[ts["start"]] = f"survey month '{ts['month']}' (YYYY-MM)"
        generalised[ts["end"]] = f"duration '{ts['duration']}' (seconds from start to end)"
        section["timestamps"] = {
            "missing": int((starts.isna() | ends.isna()).sum()),
        }
    section["generalised"] = generalised
    return section


def _end_before_start(
    negative: pd.Series,
    total: int,
    rows: pd.Series,
    ts: dict[str, Any],
    codebook_path: str,
    source: str,
) -> None:
    """An end time before its start time is impossible: stop (set missing, it would silently switch
    the speeder rule off; most of them negative suggests the two columns were swapped)."""
    n = int(negative.sum())
    first = int(rows[negative].iloc[0])
    if 2 * n > total:
        hint = (
            f"most rows end before they start: are identifiers.timestamps.start and .end swapped "
            f"in {codebook_path}?"
        )
    else:
        hint = "fix the export's timestamps (a clock or time-zone error?)"
    raise SurveyError(
        f"ends before its start in column {ts['start']} in {n} of {total} timed row(s) (expected an end "
        f"time at or after the start time; {hint})",
        file=source,
        row=first,
        column=ts["end"],
    )


def scrubber_for(raw: pd.DataFrame, codebook: Codebook) -> tuple[Scrubber, dict[str, str]]:
    """The scrubber of this export: every detector, with the raw file's identifiers as roster."""
    ids = codebook.identifiers
    roster = build_roster(
        raw,
        ids.roster,
        other_columns=[
            *ids.person,
            *ids.direct,
            *([ids.respondent_id] if ids.respondent_id else []),
        ],
    )
    return Scrubber(roster, known_words=codebook_vocabulary(codebook)), roster


#: Column of a free-text chunk (:func:`scrub_free_text`) holding each row's position in the raw file.
POSITION = "position"


def chunk_positions(n_rows: int, part: int, parts: int) -> np.ndarray:
    """Row positions of chunk ``part`` (1-based) of ``parts`` contiguous, near-equal chunks."""
    if not 1 <= part <= parts:
        raise ValueError(f"chunk {part} of {parts} does not exist")
    return np.array_split(np.arange(n_rows, dtype=np.int64), parts)[part - 1]


def scrub_free_text(
    raw: pd.DataFrame, codebook: Codebook, scrubber: Scrubber, *, part: int = 1, parts: int = 1
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Scrub the codebook's free-text columns of one chunk of rows (all rows by default).

    The roster of ``scrubber`` must come from the whole raw file (:func:`scrubber_for`), so that a
    name found in any row is replaced in every chunk: each text is scrubbed exactly as in one job.

    Returns
    -------
    (pandas.DataFrame, dict)
        the chunk's :data:`POSITION` (row positions in ``raw``) and scrubbed free-text columns
        (missing stays missing); and its counts: non-blank comments, comments changed, placeholders
        by type (JSON-ready, no text).
    """
    positions = chunk_positions(len(raw), part, parts)
    chunk = raw.iloc[positions]
    frame = pd.DataFrame({POSITION: positions}, index=chunk.index)
    placeholders: Counter[str] = Counter()
    comments = scrubbed = 0
    for c in codebook.identifiers.free_text:
        text, counts, changed = scrubber.scrub_series(_strip(chunk[c]))
        frame[c] = text.astype("str")
        placeholders.update(counts)
        comments += int(text.notna().sum())
        scrubbed += changed
    counts_ = {
        "comments": comments,
        "comments_scrubbed": scrubbed,
        "placeholders": dict(sorted(placeholders.items())),
    }
    return frame.reset_index(drop=True), counts_


def gather_free_text(
    chunks: list[tuple[pd.DataFrame, dict[str, Any]]], n_rows: int, *, source: str
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Join the chunks of :func:`scrub_free_text` (in chunk order) into one, as one job gives it.

    Raises
    ------
    SurveyError
        the chunks do not cover the raw file's rows exactly once, in order (chunks of another
        version of the raw file).
    """
    frame = pd.concat([f for f, _ in chunks], ignore_index=True)
    if not np.array_equal(frame[POSITION].to_numpy(), np.arange(n_rows)):
        raise SurveyError(
            f"the scrubbed free-text chunks cover {len(frame)} row(s), not the raw file's {n_rows} "
            "in order (expected chunks of this raw file: rerun de-identification)",
            file=source,
        )
    placeholders: Counter[str] = Counter()
    for _, c in chunks:
        placeholders.update(c["placeholders"])
    counts = {
        "comments": sum(c["comments"] for _, c in chunks),
        "comments_scrubbed": sum(c["comments_scrubbed"] for _, c in chunks),
        "placeholders": dict(sorted(placeholders.items())),
    }
    return frame, counts


def _scrub_free_text(
    raw: pd.DataFrame,
    codebook: Codebook,
    out: pd.DataFrame,
    scrubber: Scrubber,
    roster_summary: dict[str, Any],
    scrubbed: tuple[pd.DataFrame, dict[str, Any]] | None,
) -> dict[str, Any]:
    """Scrub (or take the scrubbed chunks of) the free-text columns; the report's part with
    :func:`_roster_summary`."""
    ids = codebook.identifiers
    frame, counts = scrubbed if scrubbed is not None else scrub_free_text(raw, codebook, scrubber)
    for c in ids.free_text:
        out[c] = pd.Series(frame[c].to_numpy(), index=out.index).astype("str")
    return {
        "columns": list(ids.free_text),
        **counts,
        **roster_summary,
    }


def _roster_summary(roster: dict[str, str]) -> dict[str, Any]:
    """What the report says of the roster: its size and types (no entry)."""
    return {
        "roster_entries": len(roster),
        "roster_types": dict(sorted(Counter(roster.values()).items())),
    }


def _k_anonymise(
    out: pd.DataFrame,
    codebook: Codebook,
    *,
    k: int,
    quasi_identifiers: list[str] | None,
    rows: pd.Series,
) -> dict[str, Any]:
    """Suppress QI values in ``out`` until it is k-anonymous; classes are formed on the values as
    the analysis will read them (labels case- and whitespace-folded)."""
    ids = codebook.identifiers
    qi_source = "codebook" if quasi_identifiers is None else "config"
    qis = list(ids.quasi_identifiers if quasi_identifiers is None else quasi_identifiers)
    internal = (ids.pseudonym, PERSON_COLUMN, SOURCE_ROW)
    for q in qis:
        if q not in out.columns or q in internal:
            allowed = [c for c in out.columns if c not in internal]
            where = (
                {"file": codebook.path, "key": "identifiers.quasi_identifiers"}
                if qi_source == "codebook"
                else {"key": "deidentify.quasi_identifiers"}
            )
            raise SurveyError(
                f"quasi-identifier '{q}' is not a column of the de-identified data "
                f"(expected some of: {', '.join(allowed)})",
                **where,
            )
    view = _qi_view(out, qis)
    before = int(violating(view, qis, k).sum())
    view_after, sup = enforce_k_anonymity(view, qis, k)
    # Row and column only: the suppressed value itself would undo the suppression.
    suppressions = [
        {SOURCE_ROW: int(rows[r]), "column": c}
        for r, c in zip(sup["row"], sup["column"], strict=True)
    ]
    for c in qis:
        out[c] = out[c].mask(out.index.isin(sup.loc[sup["column"] == c, "row"]))
    fully = view_after.isna().all(axis=1) & ~view.isna().all(axis=1)
    if not qis:
        fully = pd.Series(False, index=out.index)
    return {
        "k_requested": int(k),
        "k_achieved": k_achieved(view_after, qis),
        "quasi_identifiers": qis,
        "quasi_identifiers_from": qi_source,
        "missing_convention": "a missing or suppressed value is a category of its own",
        "records_in_violating_classes_before": before,
        "suppressions_total": len(sup),
        "suppressions_by_column": {c: int((sup["column"] == c).sum()) for c in qis},
        "records_fully_suppressed": int(fully.sum()),
        "records_fully_suppressed_rows": [int(r) for r in rows[fully]],
        "suppressions": suppressions,
    }


def _check_no_leak(
    raw: pd.DataFrame, codebook: Codebook, out: pd.DataFrame, report: dict, source: str
) -> None:
    """Scan the output and the report for every identifier value of the raw file."""
    needles = Needles(roster_values(raw, codebook))
    findings = scan_frame(out, needles, name="output")
    findings += scan_text(json.dumps(report, default=str), needles, name="report")
    if findings:
        f = findings[0]
        raise SurveyError(
            f"the de-identified {f.file} would still hold an identifier ({f.needle_type} "
            f"'{f.value_masked}' at {f.position}; {len(findings)} finding(s) in all); nothing was "
            "written: remove it from the raw file or add its column to the codebook's identifiers",
            file=source,
        )


def deidentify(
    raw: pd.DataFrame,
    codebook: Codebook,
    *,
    key: bytes,
    k: int,
    quasi_identifiers: list[str] | None,
    pseudonym_length: int,
    source: str,
    scrubbed: tuple[pd.DataFrame, dict[str, Any]] | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """De-identify a raw export as the codebook's ``identifiers:`` section says.

    Parameters
    ----------
    raw
        the raw export as text columns plus ``_source_row`` (see :func:`mscsurvey.io.read_raw`).
    codebook
        the study's codebook.
    key
        pseudonym key (:func:`mscsurvey.privacy.pseudonym.load_key`); its ``source`` attribute, if any, is
        reported ("env" or "file"), never the key.
    k
        the k of k-anonymity to reach on the quasi-identifiers.
    quasi_identifiers
        overrides the codebook's ``identifiers.quasi_identifiers`` (None: the codebook's).
    pseudonym_length
        hex characters kept of each HMAC.
    source
        the raw file's name, for error messages and the report.
    scrubbed
        the free-text columns already scrubbed in chunks (:func:`gather_free_text`, e.g. by
        Snakemake jobs over row chunks); None scrubs them here. Either way the output is the same.

    Returns
    -------
    (pandas.DataFrame, dict)
        The de-identified responses, one row per raw row in the raw order, columns as
        :func:`output_columns` lists them: the pseudonym, ``person_pid`` (if the codebook names person
        columns), ``source_row``, the cluster column, group columns, generalised columns (age band,
        ZIP3, survey month, duration in seconds), items, scrubbed free-text columns. Columns the
        codebook does not know are dropped. And the report (JSON-ready; holds no identifier value):
        rows in and out, columns dropped, generalisations, pseudonym method and key source,
        k-anonymity (k requested and achieved, QI set, records violating before, every suppression
        with its source row and generalised value), placeholders by type.

    Raises
    ------
    SurveyError
        a missing column, a missing or repeated respondent id, a date, timestamp or ZIP that does
        not parse, a quasi-identifier that is not an output column, or an identifier value still
        found in the output.
    """
    check_columns(raw, codebook, source=source)
    order = output_columns(codebook)
    rows = _rows(raw)
    report: dict[str, Any] = {"source": source, "rows_in": len(raw)}
    out = pd.DataFrame(index=raw.index)
    report["pseudonyms"] = _pseudonyms(
        raw, codebook, out, key=key, length=pseudonym_length, rows=rows, source=source
    )
    out[SOURCE_ROW] = rows.astype("int64")
    scrubber, roster = scrubber_for(raw, codebook)
    roster_summary = _roster_summary(roster)
    del roster  # the scrubber holds its own folded copy; at 10^6 respondents ~6 million entries
    screened, report["screening"] = screen_cells(raw, codebook, scrubber, k=k, rows=rows)
    for c in [*([codebook.cluster] if codebook.cluster else []), *codebook.groups, *codebook.items]:
        # analysis columns pass through (cleaning codes them) unless screening changed them
        out[c] = screened.get(c, raw[c])
    report.update(_generalise(raw, codebook, out, rows=rows, source=source))
    report["free_text"] = _scrub_free_text(raw, codebook, out, scrubber, roster_summary, scrubbed)
    del scrubber  # the leak check builds its own matcher: never hold both (~GBs at 10^6)
    report["k_anonymity"] = _k_anonymise(
        out, codebook, k=k, quasi_identifiers=quasi_identifiers, rows=rows
    )
    out = out[order].reset_index(drop=True)
    raw_cols = [c for c in raw.columns if c != _RAW_ROW]
    needed = required_columns(codebook)
    report["rows_out"] = len(out)
    report["columns_out"] = list(out.columns)
    report["columns_dropped"] = [c for c in raw_cols if c not in out.columns]
    report["columns_not_in_codebook"] = [c for c in raw_cols if c not in needed]
    _check_no_leak(raw, codebook, out, report, source)
    return out, report
