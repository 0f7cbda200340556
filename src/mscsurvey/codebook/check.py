"""Check a raw export against its codebook without running anything (``mscsurvey check``).

The mistakes a student makes with a new survey, each as one line naming the file to change:

errors (the workflow would stop on them)
    a codebook column missing from the data; an answer that is not a label of its scale (with a
    "did you mean"); numeric codes beyond the scale's range (a 7-point question on a 5-point scale);
    a group value that is not one of the codebook's categories; an empty cluster cell.
warnings (the workflow runs, but the result is probably not what the student wants)
    a compared group (``compare: true``) with a category below ``analyses.min_group_n`` respondents
    (it is suppressed in comparisons), or with fewer than two categories present (nothing to compare);
    a cell (cluster, group, item) in which a respondent typed an identifier (de-identification will
    suppress it: :mod:`mscsurvey.privacy.screen`).
notes
    data columns the codebook does not name (the pipeline leaves them out).

No message shows a value of the raw file unless it is evidently a slip of one of the codebook's own
labels (:func:`mscsurvey.privacy.screen.display_value`): row and column say where to look.
:func:`placeholders` finds the draft's leftover ``TODO`` text in a codebook's values (``mscsurvey
check`` refuses it once ``draft: false``).

Label matching is the clean stage's own (:func:`mscsurvey.stages.clean.normalise_answer`, ``Scale.lookup``,
``Group.lookup``) and so are its messages (:func:`mscsurvey.stages.clean.answer_problem`,
:func:`mscsurvey.stages.clean.category_problem`). Counts are of raw rows, before exclusions.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import pandas as pd

from mscsurvey.codebook.spec import Codebook, Group, Scale
from mscsurvey.errors import where
from mscsurvey.privacy.screen import screen_cells
from mscsurvey.stages.clean import answer_problem, category_problem, normalise_answer
from mscsurvey.stages.deidentify import required_columns, scrubber_for

__all__ = ["Finding", "check_data", "placeholders", "ignored_columns"]

_ROW = "_source_row"


@dataclass(frozen=True)
class Finding:
    level: str  # "error", "warning" or "note"
    message: str


def placeholders(data: object, key: str = "") -> list[str]:
    """The keys (dotted, as error messages name them) whose value still holds the draft's "TODO"
    placeholder text; keys themselves and YAML comments do not count."""
    if isinstance(data, dict):
        return [
            k
            for name, v in data.items()
            for k in placeholders(v, f"{key}.{name}" if key else str(name))
        ]
    if isinstance(data, list):
        return [k for i, v in enumerate(data) for k in placeholders(v, f"{key}[{i}]")]
    return [key] if isinstance(data, str) and "TODO" in data else []


def ignored_columns(raw: pd.DataFrame, codebook: Codebook) -> list[str]:
    """Data columns the codebook does not name (the de-identification stage drops them)."""
    need = required_columns(codebook)
    return [str(c) for c in raw.columns if c != _ROW and c not in need]


def _row(raw: pd.DataFrame, idx: object) -> int | None:
    return int(raw.at[idx, _ROW]) if _ROW in raw.columns else None


def _more(n: int) -> str:
    return f" [{n} more row(s) like it]" if n else ""


def _screened(
    raw: pd.DataFrame, codebook: Codebook, *, source: str, k: int
) -> tuple[pd.DataFrame, list[str]]:
    """``raw`` as de-identification will pass it on (typed identifiers suppressed, "Other: ..."
    answers mapped to their category) and a warning per column holding typed identifiers."""
    rows = raw[_ROW] if _ROW in raw.columns else pd.Series(range(2, 2 + len(raw)), index=raw.index)
    scrubber, _ = scrubber_for(raw, codebook)
    changed, report = screen_cells(raw, codebook, scrubber, k=k, rows=rows)
    warnings = []
    for col, n in report["values_suppressed"].items():
        first = next(c["source_row"] for c in report["suppressed_cells"] if c["column"] == col)
        warnings.append(
            f"{where(source, row=first, column=col)}: holds what looks like an identifier "
            f"(a value typed by a respondent); de-identification will suppress it (set it "
            f"missing){_more(n - 1)}"
        )
    if not changed:
        return raw, warnings
    raw = raw.copy()
    for col, values in changed.items():
        raw[col] = values
    return raw, warnings


def _end_before_start(raw: pd.DataFrame, codebook: Codebook, source: str) -> list[str]:
    """Rows whose end time is before their start time (the deidentify stage stops on them); no
    timestamp is shown, only rows and columns."""
    ts = codebook.identifiers.timestamps
    if not ts or ts["start"] not in raw.columns or ts["end"] not in raw.columns:
        return []
    start, end = (
        pd.to_datetime(raw[ts[k]], errors="coerce", format="mixed") for k in ("start", "end")
    )
    negative = (end - start).dt.total_seconds() < 0
    if not negative.any():
        return []
    first = negative[negative].index[0]
    n, timed = int(negative.sum()), int((start.notna() & end.notna()).sum())
    hint = (
        f"are identifiers.timestamps.start and .end swapped in {codebook.path}?"
        if 2 * n > timed
        else "fix the export's timestamps"
    )
    return [
        f"{where(source, row=_row(raw, first), column=ts['end'])}: ends before its start in column "
        f"{ts['start']} in {n} of {timed} timed row(s); {hint}"
    ]


def check_data(
    raw: pd.DataFrame,
    codebook: Codebook,
    *,
    source: str,
    min_group_n: int,
    k: int = 5,
    config: str = "config/config.yaml",
) -> list[Finding]:
    """Every mismatch between ``raw`` (read by :func:`mscsurvey.io.read_raw`) and ``codebook``.

    Returns
    -------
    list of Finding
        errors first, in codebook order; each message is one line naming the data file (and row and
        column) and what to change in which file.
    """
    cb = codebook.path
    original = raw
    raw, warnings = _screened(raw, codebook, source=source, k=k)
    errors = _missing_columns(raw, codebook, source)
    for item in codebook.items.values():
        if item.id in raw.columns:
            errors += _item_errors(raw, item.id, codebook.scales[item.scale], source, cb)
    errors += _end_before_start(raw, codebook, source)
    if codebook.cluster and codebook.cluster in raw.columns:
        empty = original[codebook.cluster].map(normalise_answer).isna()
        if empty.any():
            first = empty[empty].index[0]
            errors.append(
                f"{where(source, row=_row(raw, first), column=codebook.cluster)}: is empty "
                f"(expected the cluster every respondent belongs to, cluster.column in {cb})"
                f"{_more(int(empty.sum()) - 1)}"
            )
    for group in codebook.groups.values():
        if group.id in raw.columns:
            errs, warns = _group_findings(raw, group, source, cb, min_group_n, config)
            errors += errs
            warnings += warns
    notes = []
    ignored = ignored_columns(raw, codebook)
    if ignored:
        notes.append(
            f"{source}: {len(ignored)} column(s) the codebook {cb} does not name are left out: "
            f"{', '.join(ignored)} (add one to the codebook to analyse it)"
        )
    return (
        [Finding("error", m) for m in errors]
        + [Finding("warning", m) for m in warnings]
        + [Finding("note", m) for m in notes]
    )


def _missing_columns(raw: pd.DataFrame, codebook: Codebook, source: str) -> list[str]:
    """A column the codebook needs and the data lack, with the closest name as a hint."""
    errors = []
    need = required_columns(codebook)
    have = [str(c) for c in raw.columns if c != _ROW]
    for col, what in need.items():
        if col not in raw.columns:
            close = difflib.get_close_matches(col, have, n=1, cutoff=0.75)
            folded = [c for c in have if c.casefold() == col.casefold()]
            hint = f" (did you mean '{(folded or close)[0]}'?)" if folded or close else ""
            errors.append(
                f"{source}: column '{col}' ({what} in the codebook) is missing{hint}; rename the "
                f"column in the data file or change '{col}' in {codebook.path}"
            )
    return errors


def _item_errors(raw: pd.DataFrame, item: str, scale: Scale, source: str, cb: str) -> list[str]:
    """An item's answers outside its scale: codes beyond its range (one line), unknown labels (one
    line per distinct label)."""
    errors = []
    lookup = scale.lookup()
    norm = raw[item].map(normalise_answer)
    bad = norm.notna() & ~norm.isin(list(lookup))
    if not bad.any():
        return errors
    is_code = norm[bad].str.fullmatch(r"-?\d+")
    codes = norm[bad][is_code].astype(int)
    if len(codes):
        all_codes = pd.concat([codes, norm[norm.isin([str(c) for c in scale.codes])].astype(int)])
        first = codes.index[0]
        errors.append(
            f"{where(source, row=_row(raw, first), column=item)}: column {item} has codes "
            f"{all_codes.min()}-{all_codes.max()} but scale {scale.name} has codes "
            f"{scale.min}-{scale.max}: is it a {all_codes.max()}-point scale? change "
            f"scales.{scale.name} (or items.{item}.scale) in {cb}{_more(len(codes) - 1)}"
        )
    labels = norm[bad][~is_code]
    for _value, rows in labels.groupby(labels, sort=False):
        first = rows.index[0]
        errors.append(
            f"{where(source, row=_row(raw, first), column=item)}: "
            f"{answer_problem(raw.at[first, item], scale, cb)}{_more(len(rows) - 1)}"
        )
    return errors


def _group_findings(
    raw: pd.DataFrame, group: Group, source: str, cb: str, min_group_n: int, config: str
) -> tuple[list[str], list[str]]:
    """A group's unknown categories (errors) and, when compared, too few categories or small ones
    (warnings)."""
    errors: list[str] = []
    warnings: list[str] = []
    lookup = group.lookup()
    norm = raw[group.id].map(normalise_answer)
    bad = norm.notna() & ~norm.isin(list(lookup))
    for _value, rows in norm[bad].groupby(norm[bad], sort=False):
        first = rows.index[0]
        errors.append(
            f"{where(source, row=_row(raw, first), column=group.id)}: "
            f"{category_problem(raw.at[first, group.id], group, cb)}{_more(len(rows) - 1)}"
        )
    if not group.compare:
        return errors, warnings
    counts = norm[~bad].map(lookup).value_counts()
    present = [c for c in group.categories if counts.get(c, 0) > 0]
    if len(present) < 2:
        warnings.append(
            f"{source}: group '{group.id}' has compare: true but only "
            f"{len(present)} of its categories in the data ({', '.join(present) or 'none'}): "
            f"nothing to compare; set compare: false in groups.{group.id} of {cb} "
            "or check the column"
        )
        return errors, warnings
    for cat in group.categories:
        n = int(counts.get(cat, 0))
        if n < min_group_n:
            who = "respondent" if n == 1 else "respondents"
            warnings.append(
                f"{source}: group '{group.id}': category '{cat}' has {n} {who} (fewer than "
                f"analyses.min_group_n = {min_group_n} in {config}; raw rows, before "
                "exclusions): it will be suppressed in comparisons; merge it with another "
                f"category in groups.{group.id}.categories of {cb} (and in the data), "
                "or leave it"
            )
    return errors, warnings
