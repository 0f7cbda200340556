"""The public-use release: what may leave the team, and the disclosure checks it passed.

Modelled on the split data archives make (ICPSR's public-use versus restricted-use files; sdcMicro's
key variables, local suppression and individual risk):

- **key variables** are what an insider knows about a respondent (age band, gender, role, sector, state,
  the cluster...): the codebook's ``identifiers.key_variables``, by default its quasi-identifiers, every
  group and the cluster column (:attr:`mscsurvey.codebook.spec.Codebook.key_variables`);
- the optional **public-use microdata** holds the items and the key variables of the analysed
  respondents only (no free text, pseudonym, person pseudonym or source row), under a fresh sequential
  record id in a seeded random order, and is k-anonymous on *all* key variables together by local
  suppression (:func:`mscsurvey.privacy.kanonymity.enforce_k_anonymity`);
- **individual re-identification risk** is sdcMicro's no-weights estimate: a record's risk is
  ``1 / f_k``, ``f_k`` being the number of records of the file sharing its key combination; the global
  risk is the expected number of re-identifications (the sum of the risks);
- **aggregate tables** leave only with every statistic resting on at least ``analyses.min_group_n``
  respondents (:func:`suppress_small_cells`).

Everything here is a pure function of frames and mappings; the rule's adapter reads and writes files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from mscsurvey.codebook.spec import Codebook
from mscsurvey.errors import SurveyError
from mscsurvey.privacy.kanonymity import enforce_k_anonymity, equivalence_class_sizes, k_achieved

__all__ = [
    "RECORD_ID",
    "PUBLIC_TABLES",
    "microdata_columns",
    "public_microdata",
    "individual_risk",
    "risk_summary",
    "disclosure_report",
    "suppress_small_cells",
    "attribution_cell_sizes",
    "readme_text",
]

#: The public microdata's record id: 1..n in a seeded random order (no link to any other file).
RECORD_ID = "record_id"

#: Aggregate tables copied to ``public/tables/<name>.csv``: name -> (path under the results folder,
#: the count columns whose value must reach ``min_group_n`` for the row's statistics to be shown).
PUBLIC_TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "agreement": ("analyses/agreement.parquet", ("n",)),
    "agreement_distribution": ("analyses/agreement_distribution.parquet", ("n_answering",)),
    "published_vs_reproduced": ("analyses/published_vs_reproduced.parquet", ("reproduced_n",)),
    "subgroups": ("analyses/subgroups.parquet", ("n",)),
    "subgroup_tests": ("analyses/subgroup_tests.parquet", ("n",)),
    "pairwise": ("analyses/pairwise.parquet", ("n_a", "n_b")),
    "regressions": ("analyses/regressions.parquet", ("n",)),
    "importance": ("analyses/importance.parquet", ("n",)),
    "drivers": ("analyses/drivers.parquet", ()),
    "reliability": ("scales/reliability.parquet", ("n_complete", "n_scored")),
}

# Columns never blanked by the small-cell rule: what a row is about, not a statistic of it.
_LABEL_COLUMNS = frozenset(
    [
        "model",
        "outcome",
        "term",
        "predictor",
        "role",
        "coding",
        "reference",
        "construct",
        "group",
        "category",
        "category_order",
        "level",
        "item",
        "scale",
        "agree_label",
        "short",
        "text",
        "reverse",
        "code",
        "label",
        "agree",
        "statement",
        "label",
        "a",
        "b",
        "status",
        "note",
        "reason",
        "ci_level",
        "alpha_ci_method",
        "n_items",
        "included",
        "suppressed",
        "published_pct",
        "published_n",
        "sentence",
        "detail",
        "direction",
        "rank",
        "rank_all",
    ]
)


def microdata_columns(
    responses: pd.DataFrame, codebook: Codebook, keys: Sequence[str]
) -> list[str]:
    """The public microdata's columns: the key variables, then the items in codebook order.

    Raises
    ------
    SurveyError
        A key variable that is not a column of the analysed responses.
    """
    lacking = [k for k in keys if k not in responses.columns]
    if lacking:
        raise SurveyError(
            f"key variable '{lacking[0]}' is not a column of the clean responses "
            f"(expected some of: {', '.join(c for c in responses.columns if c in codebook.groups)})",
            file=codebook.path,
            key="identifiers.key_variables",
        )
    return [*keys, *[i for i in codebook.items if i in responses.columns and i not in keys]]


def public_microdata(
    responses: pd.DataFrame,
    codebook: Codebook,
    *,
    keys: Sequence[str],
    k: int,
    seed: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The public-use microdata file and the values it suppressed.

    Parameters
    ----------
    responses : pandas.DataFrame
        The analysed (clean) responses.
    codebook : Codebook
        Items and groups.
    keys : sequence of str
        Key variables (:attr:`Codebook.key_variables`).
    k : int
        Every combination of the key variables present in the file is shared by at least ``k``
        records (a record whose every key is suppressed carries none and is kept).
    seed : int
        Orders the records (the same data and seed give the same file).

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        The microdata (``record_id`` 1..n, the key variables as text, the items as nullable integers)
        and one row per suppressed value: ``record_id`` and ``column`` (never the value).
    """
    keys = list(keys)
    cols = microdata_columns(responses, codebook, keys)
    data = responses[cols].reset_index(drop=True).copy()
    for c in keys:
        data[c] = data[c].astype("string")
    for c in cols[len(keys) :]:
        data[c] = pd.to_numeric(data[c], errors="coerce").astype("Int64")
    safe, sup = enforce_k_anonymity(data, keys, k)
    order = np.random.default_rng(seed).permutation(len(safe))
    out = safe.iloc[order].reset_index(drop=True)
    # position in the analysed table -> the fresh record id (1-based position in the shuffled file)
    new_id = np.empty(len(order), dtype=np.int64)
    new_id[order] = np.arange(1, len(order) + 1)
    out.insert(0, RECORD_ID, pd.array(np.arange(1, len(out) + 1), dtype="int64"))
    suppressions = pd.DataFrame(
        {
            RECORD_ID: new_id[sup["row"].to_numpy(dtype=np.int64)] if len(sup) else [],
            "column": sup["column"].astype(str).to_numpy() if len(sup) else [],
        }
    ).astype({RECORD_ID: "int64", "column": "string"})
    return out, suppressions.sort_values([RECORD_ID, "column"], ignore_index=True)


def individual_risk(df: pd.DataFrame, keys: Sequence[str]) -> pd.Series:
    """sdcMicro's individual re-identification risk without sampling weights: ``1 / f_k``.

    ``f_k`` is the number of records of ``df`` sharing the record's combination of ``keys`` (its
    sample frequency). A missing value is a category of its own (as in :mod:`mscsurvey.privacy.kanonymity`:
    ``f_k`` can only be smaller than sdcMicro's, which lets a missing value match anything, so the risk
    is an upper bound), except that a record whose every key is missing matches every record
    (risk ``1 / n``). With weights, sdcMicro estimates the population frequency ``F_k`` instead; a
    survey of a closed population with no weights is judged on the sample frequency.
    """
    keys = list(keys)
    n = len(df)
    if n == 0:
        return pd.Series([], dtype="float64", index=df.index)
    if not keys:
        return pd.Series(1.0 / n, index=df.index)
    sizes = equivalence_class_sizes(df, keys).astype("float64")
    none = df[keys].isna().all(axis=1)
    sizes = sizes.mask(none, float(n))
    return 1.0 / sizes


def risk_summary(df: pd.DataFrame, keys: Sequence[str], *, threshold: float) -> dict[str, Any]:
    """Individual risk over ``keys`` summed up: records, expected re-identifications, the largest
    risk and the records whose risk is above ``threshold``."""
    risk = individual_risk(df, keys)
    n = len(df)
    return {
        "records": n,
        "expected_reidentifications": round(float(risk.sum()), 6),
        "global_risk_share": round(float(risk.sum()) / n, 6) if n else None,
        "max_individual_risk": round(float(risk.max()), 6) if n else None,
        "threshold": float(threshold),
        "records_above_threshold": int((risk > threshold).sum()),
        "records_unique": int((risk >= 1.0).sum()),
    }


def disclosure_report(
    analysed: pd.DataFrame,
    microdata: pd.DataFrame,
    suppressions: pd.DataFrame,
    *,
    keys: Sequence[str],
    key_source: str,
    k: int,
    risk_threshold: float,
    microdata_released: bool,
    min_group_n: int,
) -> dict[str, Any]:
    """``disclosure.json``: k requested and achieved on the key variables, suppressions per column,
    records fully suppressed, and the individual risk before (the analysed table) and after (the
    public microdata) suppression."""
    keys = list(keys)
    per_col = {c: int((suppressions["column"] == c).sum()) for c in keys}
    had = analysed[keys].notna().any(axis=1).to_numpy() if keys else np.zeros(len(analysed), bool)
    fully = int(microdata[keys].isna().all(axis=1).sum() - (~had).sum()) if keys else 0
    return {
        "key_variables": keys,
        "key_variables_source": key_source,
        "k_requested": int(k),
        "k_before": k_achieved(analysed, keys),
        "k_achieved": k_achieved(microdata, keys),
        "records": len(microdata),
        "suppressions_total": int(len(suppressions)),
        "suppressions_per_column": per_col,
        "records_fully_suppressed": max(fully, 0),
        "risk_estimate": (
            "individual risk 1/f_k, f_k = sample frequency of the record's key combination "
            "(no sampling weights; a missing value is its own category, so an upper bound)"
        ),
        "risk_before": risk_summary(analysed, keys, threshold=risk_threshold),
        "risk_after": risk_summary(microdata, keys, threshold=risk_threshold),
        "microdata_released": bool(microdata_released),
        "min_group_n": int(min_group_n),
    }


def suppress_small_cells(
    table: pd.DataFrame, count_columns: Sequence[str], *, min_n: int
) -> tuple[pd.DataFrame, int]:
    """Blank every statistic of the rows resting on fewer than ``min_n`` respondents.

    A row is small when one of ``count_columns`` it has is below ``min_n`` (a missing count is taken
    as already suppressed upstream). Its statistics (every column not naming what the row is about)
    and its counts become missing, and ``suppressed`` is set; a ``note`` column says why.

    Returns
    -------
    (pandas.DataFrame, int)
        The table and the number of rows suppressed here (rows suppressed upstream not counted).
    """
    out = table.copy()
    counts = [c for c in count_columns if c in out.columns]
    if not counts or out.empty:
        return out, 0
    small = np.zeros(len(out), dtype=bool)
    for c in counts:
        v = pd.to_numeric(out[c], errors="coerce")
        small |= (v < min_n).fillna(False).to_numpy(dtype=bool)
    already = (
        out["suppressed"].fillna(False).astype(bool).to_numpy()
        if "suppressed" in out
        else np.zeros(len(out), dtype=bool)
    )
    fresh = small & ~already
    if not small.any():
        return out, 0
    mask = pd.Series(small, index=out.index)
    for c in out.columns:
        if c in _LABEL_COLUMNS:
            continue
        if pd.api.types.is_numeric_dtype(out[c]) and not pd.api.types.is_bool_dtype(out[c]):
            out[c] = out[c].mask(mask)
    out["suppressed"] = pd.Series(already | small, index=out.index)
    note = f"n < {min_n}: suppressed"
    out["note"] = (
        out["note"].astype("string").where(~mask, note)
        if "note" in out
        else np.where(small, note, "")
    )
    return out, int(fresh.sum())


def attribution_cell_sizes(
    frame: pd.DataFrame, attribution: Sequence[str], cells: pd.DataFrame
) -> pd.Series:
    """For each row of ``cells`` (values of the ``attribution`` columns), how many records of the
    released ``frame`` a reader who knows those values could not tell apart from its author.

    A record is compatible when, on every attribution column ``frame`` has, its value equals the cell's
    or is missing there (suppressed or not reported: a reader must allow for it, as sdcMicro lets a
    missing key match anything). A quote whose attribution is compatible with fewer than k released
    records could be matched to one of a handful of them. A cell with a missing value gives 0 (its
    author is never quoted). Columns ``frame`` lacks cannot be matched on and are ignored.
    """
    cols = [c for c in attribution if c in frame.columns]
    values = cells[list(attribution)].astype("string")
    f = frame[cols].astype("string")
    out = []
    cache: dict[tuple[Any, ...], int] = {}
    for rec in values.itertuples(index=False):
        key = tuple(rec)
        if any(pd.isna(v) for v in key):
            out.append(0)
            continue
        if key not in cache:
            ok = np.ones(len(f), dtype=bool)
            for c in cols:
                v = key[list(attribution).index(c)]
                ok &= ((f[c] == v) | f[c].isna()).fillna(True).to_numpy(dtype=bool)
            cache[key] = int(ok.sum())
        out.append(cache[key])
    return pd.Series(out, index=cells.index, dtype="int64")


def readme_text(
    *,
    dataset: str,
    disclosure: Mapping[str, Any],
    files: Sequence[str],
    tables: Mapping[str, int],
    synthetic: bool,
) -> str:
    """``public/README.txt``: what is public, what is restricted and which checks were applied."""
    keys = ", ".join(disclosure["key_variables"])
    k, min_n = disclosure["k_requested"], disclosure["min_group_n"]
    before, after = disclosure["risk_before"], disclosure["risk_after"]
    lines = [
        f"Public-use release of dataset '{dataset}'" + (" (SYNTHETIC data)" if synthetic else ""),
        "",
        "PUBLIC (this folder: may leave the team)",
    ]
    lines += [f"  {f}" for f in files]
    lines += [
        "",
        "RESTRICTED (never leaves the team; kept beside this folder in the results folder)",
        "  deidentified/, clean/ (one row per respondent, with scrubbed free text and pseudonyms),",
        "  scales/scores.parquet (one row per respondent), brief/numbers.json, logs/, benchmarks/,",
        "  the pseudonym key and the raw export (outside results/).",
        "",
        "DISCLOSURE CHECKS APPLIED",
        f"  Key variables (what an insider may know): {keys} ({disclosure['key_variables_source']}).",
    ]
    if disclosure["microdata_released"]:
        per_col = ", ".join(f"{c} {n}" for c, n in disclosure["suppressions_per_column"].items())
        lines += [
            "  microdata: items and key variables only; no free text, no pseudonym; record_id is a",
            f"  fresh number in a random order. k-anonymity on all key variables together: k = {k}",
            f"  requested, k = {disclosure['k_achieved']} achieved (analysed table before "
            f"suppression: k = {disclosure['k_before']}),",
            f"  by suppressing {disclosure['suppressions_total']} values ({per_col}); "
            f"{disclosure['records_fully_suppressed']} records had every key suppressed.",
            "  Item codes are the clean stage's: reverse-keyed items are flipped (higher = more of",
            "  the construct); a blank key value was suppressed or not reported.",
        ]
    else:
        lines.append("  No public microdata is released (config release.microdata: false).")
    lines += [
        "  Individual re-identification risk 1/f_k (f_k: records sharing the key combination, no",
        "  sampling weights): expected re-identifications "
        f"{before['expected_reidentifications']:.1f} before, {after['expected_reidentifications']:.1f} "
        f"after; records above risk {after['threshold']}: {before['records_above_threshold']} "
        f"before, {after['records_above_threshold']} after.",
        f"  Minimum cell size: no published number rests on fewer than {min_n} respondents "
        "(analyses.min_group_n);",
        "  smaller cells are blank with suppressed = true in the tables.",
    ]
    if tables:
        lines.append(
            "  Rows suppressed here for small cells: "
            + ", ".join(f"{t} {n}" for t, n in tables.items())
            + "."
        )
    where = (
        "among the analysed and compatible records in the public microdata"
        if disclosure["microdata_released"]
        else "among the analysed respondents"
    )
    lines += [
        "  Quotes in the brief: scrubbed comments in which the detectors find nothing, attributed",
        f"  only by a cell with at least {k} respondents {where};",
        "  for real data only comments approved in the reviewed-quotes file.",
        "",
    ]
    return "\n".join(lines)
