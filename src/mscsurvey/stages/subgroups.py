"""Subgroup comparisons of construct scores: group means, omnibus tests, pairwise and one-vs-rest
contrasts, a mixed-model check for the clustering of respondents in collaboratives, and
multiplicity-adjusted p-values.

The statistics are engines in :mod:`mscsurvey.stats.comparisons` (means, Hedges' g, one-vs-rest,
omnibus tests, Games–Howell, p adjustment) and :mod:`mscsurvey.stats.mixed` (the random-intercept
model); :func:`subgroup_analysis` runs them for every construct × compared group (codebook
``compare: true``) and assembles the three tables the workflow writes.

Small cells. A category with fewer than ``min_group_n`` respondents with a score is *suppressed*: its
row carries no mean, interval or n (``n`` is missing, ``note`` says "n < 10"), and its respondents
enter no statistic of that construct × group (not the omnibus tests, not the pairwise tests, not the
"rest" of a one-vs-rest contrast). Otherwise a two-category comparison would reveal the suppressed
mean through the difference.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mscsurvey import contracts
from mscsurvey.codebook.spec import Codebook, Group
from mscsurvey.errors import SurveyError

# The engines live in stats/ (they know nothing of codebooks); re-exported here because this
# module's public names were the API before issue 16.
from mscsurvey.stats.comparisons import (
    adjust_pvalues,
    category_codes,
    check_level,
    games_howell,
    games_howell_stats,
    group_means,
    group_stats,
    hedges_g,
    mean_ci,
    means_frame,
    omnibus_codes,
    omnibus_tests,
    vs_rest,
    vs_rest_stats,
)
from mscsurvey.stats.mixed import (
    RandomInterceptFit,
    fit_random_intercept,
    mixed_group_test,
    mixed_test_codes,
)

__all__ = [
    "MEANS_COLUMNS",
    "TESTS_COLUMNS",
    "PAIRWISE_COLUMNS",
    "SubgroupResult",
    "input_columns",
    "excluded_constructs",
    "mean_ci",
    "group_means",
    "hedges_g",
    "vs_rest",
    "omnibus_tests",
    "games_howell",
    "RandomInterceptFit",
    "fit_random_intercept",
    "mixed_group_test",
    "adjust_pvalues",
    "subgroup_analysis",
]

log = logging.getLogger(__name__)

MEANS_COLUMNS = contracts.SUBGROUPS.columns
TESTS_COLUMNS = contracts.SUBGROUP_TESTS.columns
PAIRWISE_COLUMNS = contracts.PAIRWISE.columns

CLUSTER_NOTE = (
    "cluster-level group: the effective sample size is the number of clusters ({n_clusters}); "
    "respondent-level tests overstate precision, the mixed-model p is the honest test"
)


@dataclass(frozen=True)
class SubgroupResult:
    """The three subgroup tables (see :func:`subgroup_analysis`)."""

    means: pd.DataFrame
    tests: pd.DataFrame
    pairwise: pd.DataFrame


def excluded_constructs(reliability: pd.DataFrame | None) -> dict[str, str]:
    """Constructs the reliability gate left out of the analyses, with the reason.

    Parameters
    ----------
    reliability : pandas.DataFrame or None
        The scales stage's ``reliability.parquet``: one row per construct with ``construct``,
        ``status``, ``included`` (bool) and ``reason``. ``None`` excludes nothing.

    Returns
    -------
    dict
        construct -> reason (``"excluded by the reliability gate (status <s>): <reason>"``).

    Raises
    ------
    SurveyError
        When a required column is missing.
    """
    if reliability is None:
        return {}
    lacking = [c for c in ("construct", "included") if c not in reliability.columns]
    if lacking:
        raise SurveyError(
            f"the reliability table lacks column(s) {', '.join(lacking)} "
            "(expected construct, status, included, reason)"
        )
    out = {}
    for rec in reliability.to_dict("records"):
        if not bool(rec["included"]):
            status = rec.get("status", "unknown")
            reason = rec.get("reason")
            reason = (
                "" if reason is None or (isinstance(reason, float) and np.isnan(reason)) else reason
            )
            out[str(rec["construct"])] = f"excluded by the reliability gate (status {status})" + (
                f": {reason}" if reason else ""
            )
    return out


def input_columns(codebook: Codebook) -> list[str]:
    """The scores' columns :func:`subgroup_analysis` reads (for column projection of the Parquet
    file): every construct, every compared group and the cluster."""
    return (
        list(codebook.constructs)
        + codebook.compared_groups()
        + ([codebook.cluster] if codebook.cluster else [])
    )


def _check_scores(scores: pd.DataFrame, codebook: Codebook, constructs: list[str]) -> None:
    need = list(constructs) + codebook.compared_groups()
    if codebook.cluster:
        need.append(codebook.cluster)
    lacking = [c for c in need if c not in scores.columns]
    if lacking:
        raise SurveyError(
            f"the scores table lacks column(s) {', '.join(lacking)} (expected the scales stage's "
            "scores.parquet: one column per construct, group and the cluster)"
        )


def subgroup_analysis(
    scores: pd.DataFrame,
    codebook: Codebook,
    *,
    reliability: pd.DataFrame | None = None,
    min_group_n: int = 10,
    ci_level: float = 0.95,
) -> SubgroupResult:
    """Every construct × compared group: means, contrasts, tests and the mixed-model check.

    Parameters
    ----------
    scores : pandas.DataFrame
        One row per respondent: a column per construct (score, NaN when not scored), per group
        (categorical, missing = not reported) and the codebook's cluster column.
    codebook : Codebook
        Constructs, groups (``compare``, ``level``, categories) and the cluster column.
    reliability : pandas.DataFrame, optional, keyword-only
        The scales stage's reliability table; constructs with ``included == False`` are left out (and
        recorded in ``tests`` with ``included = False`` and the reason in ``note``).
    min_group_n : int, keyword-only
        Categories with fewer respondents are suppressed (no mean, no n) and enter no test.
    ci_level : float, keyword-only
        Confidence level of every interval.

    Returns
    -------
    SubgroupResult
        ``means`` (:data:`MEANS_COLUMNS`: construct × group × category; ``p_holm``/``p_fdr_bh`` adjust
        ``p_vs_rest`` over the whole table), ``tests`` (:data:`TESTS_COLUMNS`: construct × group;
        each p column adjusted over the whole table in its ``_holm``/``_fdr_bh`` columns) and
        ``pairwise`` (:data:`PAIRWISE_COLUMNS`; ``p`` is Games–Howell, ``p_holm``/``p_fdr_bh``
        additionally adjust it over the whole table).

    Notes
    -----
    Only respondents with a score and a reported category of the group enter a comparison, and only
    in categories that are not suppressed. For a group with ``level: cluster`` (constant within
    clusters) ``effective_n`` is the number of clusters and ``note`` says the mixed-model p is the
    test to read.
    """
    check_level(ci_level)
    if min_group_n < 1:
        raise ValueError(f"min_group_n must be at least 1, got {min_group_n!r}")
    excluded = excluded_constructs(reliability)
    constructs = [c for c in codebook.constructs if c not in excluded]
    _check_scores(scores, codebook, constructs)
    # Codes once per column (categories, clusters) and each score's rank among its distinct values
    # once per construct: every comparison below is bincounts on integer codes, never text per row.
    group_codes = {
        gid: category_codes(scores[gid], list(codebook.groups[gid].categories))
        for gid in codebook.compared_groups()
    }
    cluster = codebook.cluster
    cluster_codes = pd.factorize(scores[cluster], sort=True)[0] if cluster else None
    outcome = {cid: _outcome_ranks(scores[cid]) for cid in constructs}
    means, tests, pairs = [], [], []
    for cid in codebook.constructs:
        for gid in codebook.compared_groups():
            grp = codebook.groups[gid]
            if cid in excluded:
                log.warning("subgroups: %s left out (%s)", cid, excluded[cid])
                tests.append(
                    {
                        "construct": cid,
                        "group": gid,
                        "level": grp.level,
                        "included": False,
                        "note": excluded[cid],
                    }
                )
                continue
            gm, row, gh = _compare(
                cid,
                gid,
                grp,
                outcome[cid],
                group_codes[gid],
                cluster_codes,
                min_group_n=min_group_n,
                ci_level=ci_level,
            )
            tests.append(row)
            means.append(gm)
            if gh is not None:
                pairs.append(gh)
    return SubgroupResult(
        means=_means_table(means), tests=_tests_table(tests), pairwise=_pairwise_table(pairs)
    )


def _outcome_ranks(col: pd.Series) -> tuple[np.ndarray, tuple[np.ndarray, int]]:
    """A construct's scores and each score's index among its sorted distinct values (-1 when
    missing) with their number: sorted once per construct, reused by every group's ranks."""
    y = col.to_numpy(dtype=float, na_value=np.nan)
    finite = np.isfinite(y)
    values, inv = np.unique(y[finite], return_inverse=True)
    index = np.full(y.size, -1, dtype=np.int64)
    index[finite] = inv.ravel()
    return y, (index, int(values.size))


def _compare(
    cid: str,
    gid: str,
    grp: Group,
    outcome: tuple[np.ndarray, tuple[np.ndarray, int]],
    g_all: np.ndarray,
    cluster_codes: np.ndarray | None,
    *,
    min_group_n: int,
    ci_level: float,
) -> tuple[pd.DataFrame, dict[str, object], pd.DataFrame | None]:
    """One construct × group: its means rows, its tests row and its Games–Howell pairs (``None``
    with fewer than two reportable categories)."""
    cats = list(grp.categories)
    y, (value_index, n_values) = outcome
    has = np.isfinite(y) & (g_all >= 0)
    st = group_stats(y[has], g_all[has], len(cats))
    gm = means_frame(st, cats, min_n=min_group_n, ci_level=ci_level)
    shown = ~gm["suppressed"].to_numpy()
    reported = [c for c, s in zip(cats, shown, strict=True) if s]
    # respondents of reported categories, their codes renumbered 0..len(reported)-1
    remap = np.where(shown, np.cumsum(shown) - 1, -1)
    g_rep = np.where(has, remap[np.maximum(g_all, 0)], -1)
    kept = g_rep >= 0
    n_kept = int(kept.sum())
    if cluster_codes is not None:
        cl_kept = cluster_codes[kept]
        n_clusters = int(np.count_nonzero(np.bincount(cl_kept[cl_kept >= 0])))
    else:
        n_clusters = np.nan
    notes = []
    if grp.level == "cluster":
        notes.append(CLUSTER_NOTE.format(n_clusters=n_clusters))
    row: dict[str, object] = {
        "construct": cid,
        "group": gid,
        "level": grp.level,
        "included": True,
        "n": n_kept,
        "n_clusters": n_clusters,
        "effective_n": n_clusters if grp.level == "cluster" else n_kept,
        "n_groups_reported": len(reported),
        "n_groups_suppressed": len(cats) - len(reported),
    }
    gh = None
    if len(reported) >= 2:
        yk, gk = y[kept], g_rep[kept]
        st_k = group_stats(yk, gk, len(reported))
        gm = gm.merge(vs_rest_stats(st_k, reported, ci_level=ci_level), on="category", how="left")
        om = omnibus_codes(yk, gk, len(reported), between=gid, ranks=(value_index[kept], n_values))
        row.update({k: v for k, v in om.items() if k not in ("n", "k")})
        gh = games_howell_stats(st_k, reported)
        gh.insert(0, "level", grp.level)
        gh.insert(0, "group", gid)
        gh.insert(0, "construct", cid)
        if cluster_codes is not None:
            with_cl = cl_kept >= 0
            mx = mixed_test_codes(yk[with_cl], gk[with_cl], len(reported), cl_kept[with_cl])
            if mx["mixed_note"]:
                notes.append(str(mx["mixed_note"]))
                log.warning("subgroups: %s × %s mixed model: %s", cid, gid, mx["mixed_note"])
            row.update({k: mx[k] for k in ("mixed_lr", "mixed_df", "mixed_p", "icc")})
    else:
        notes.append("fewer than two reportable categories: no test")
    row["note"] = "; ".join(notes)
    gm.insert(0, "level", grp.level)
    gm.insert(0, "group", gid)
    gm.insert(0, "construct", cid)
    gm["ci_level"] = float(ci_level)
    return gm, row, gh


def _means_table(means: list[pd.DataFrame]) -> pd.DataFrame:
    """The means rows in :data:`MEANS_COLUMNS`, ``p_vs_rest`` adjusted over the whole table."""
    m = pd.concat(means, ignore_index=True) if means else pd.DataFrame(columns=MEANS_COLUMNS)
    m = m.reindex(columns=MEANS_COLUMNS)
    m["p_holm"] = adjust_pvalues(m["p_vs_rest"], method="holm")
    m["p_fdr_bh"] = adjust_pvalues(m["p_vs_rest"], method="fdr_bh")
    return m.astype(
        {"n": "Int64", "n_rest": "Int64", "suppressed": bool, "category_order": "int64"}
    )


def _tests_table(tests: list[dict[str, object]]) -> pd.DataFrame:
    """The tests rows in :data:`TESTS_COLUMNS`, each p column adjusted over the whole table."""
    t = pd.DataFrame(tests).reindex(columns=TESTS_COLUMNS)
    for col in ("welch_p", "kruskal_p", "mixed_p"):
        t[f"{col}_holm"] = adjust_pvalues(t[col], method="holm")
        t[f"{col}_fdr_bh"] = adjust_pvalues(t[col], method="fdr_bh")
    t = t.astype(
        {
            "included": bool,
            "n": "Int64",
            "n_clusters": "Int64",
            "effective_n": "Int64",
            "n_groups_reported": "Int64",
            "n_groups_suppressed": "Int64",
            "note": "str",
        }
    )
    float_cols = [
        c
        for c in TESTS_COLUMNS
        if c.startswith(("welch", "kruskal", "mixed", "omega", "eta", "icc"))
    ]
    t[float_cols] = t[float_cols].astype("float64")
    return t


def _pairwise_table(pairs: list[pd.DataFrame]) -> pd.DataFrame:
    """The Games–Howell pairs in :data:`PAIRWISE_COLUMNS`, ``p`` adjusted over the whole table."""
    p = pd.concat(pairs, ignore_index=True) if pairs else pd.DataFrame(columns=PAIRWISE_COLUMNS)
    p = p.reindex(columns=PAIRWISE_COLUMNS)
    p["p_holm"] = adjust_pvalues(p["p"], method="holm")
    p["p_fdr_bh"] = adjust_pvalues(p["p"], method="fdr_bh")
    return p.astype({"n_a": "int64", "n_b": "int64"})
