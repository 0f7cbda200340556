"""Comparing two waves of a survey: construct means and item agreement, later minus earlier.

The waves are **independent samples**: different respondents answer each wave, so differences are
tested with Welch's two-sample t-test and intervals for two independent proportions. A panel (the same
people answering twice) would need a paired design (differences within respondents, linked by a
pseudonym made with the same key), which this module does not do; on a panel its intervals are too
wide (they ignore the within-person correlation) and its tests too conservative.

A construct is compared only when both codebooks define it with the same items (the same ids and
reverse keying) on the same response-scale codes; otherwise its row says why and holds no statistics.
A construct the reliability gate flagged or excluded in either wave is still compared, with the flag
in its ``note``: the reader decides.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep

from mscsurvey import contracts
from mscsurvey.codebook.spec import Codebook
from mscsurvey.stages.agreement import item_agreement
from mscsurvey.stats import comparisons
from mscsurvey.stats.comparisons import check_level

__all__ = [
    "CONSTRUCT_COLUMNS",
    "ITEM_COLUMNS",
    "construct_comparability",
    "welch_difference",
    "hedges_g",
    "compare_construct_means",
    "compare_item_agreement",
]

CONSTRUCT_COLUMNS = contracts.CONSTRUCT_MEANS.columns
ITEM_COLUMNS = contracts.ITEM_AGREEMENT.columns

_NAN = float("nan")


def _codes(codes: Sequence[int]) -> str:
    """Scale codes as "1-5" when consecutive, "5" alone, else listed."""
    c = sorted(codes)
    if len(c) > 1 and c == list(range(c[0], c[-1] + 1)):
        return f"{c[0]}-{c[-1]}"
    return ",".join(map(str, c))


def _union(first: Sequence[str], second: Sequence[str]) -> list[str]:
    """``first`` in its order, then what only ``second`` has, in its order."""
    return list(dict.fromkeys([*first, *second]))


def construct_comparability(
    earlier: Codebook, later: Codebook, *, names: tuple[str, str] = ("earlier", "later")
) -> dict[str, str]:
    """Which constructs two codebooks define alike.

    Parameters
    ----------
    earlier, later : Codebook
        The two waves' codebooks.
    names : (str, str), keyword-only
        The waves' names, used in the notes.

    Returns
    -------
    dict
        construct id -> ``""`` when comparable, else why not, e.g. ``"only in wave2"``,
        ``"items differ: wave2 lacks tr4"``, ``"scales differ: 1-5 vs 1-7"``. Ordered as the earlier
        codebook lists its constructs, then the constructs only the later one has.
    """
    out: dict[str, str] = {}
    for cid in _union(list(earlier.constructs), list(later.constructs)):
        if cid not in later.constructs:
            out[cid] = f"only in {names[0]}"
            continue
        if cid not in earlier.constructs:
            out[cid] = f"only in {names[1]}"
            continue
        why = []
        items_e, items_l = earlier.constructs[cid].items, later.constructs[cid].items
        lacks = [i for i in items_e if i not in items_l]
        adds = [i for i in items_l if i not in items_e]
        if lacks or adds:
            parts = []
            if lacks:
                parts.append(f"{names[1]} lacks {', '.join(lacks)}")
            if adds:
                parts.append(f"{names[1]} adds {', '.join(adds)}")
            why.append("items differ: " + "; ".join(parts))
        keyed = [
            i
            for i in items_e
            if i in items_l and earlier.items[i].reverse != later.items[i].reverse
        ]
        if keyed:
            why.append(f"reverse keying differs: {', '.join(keyed)}")
        # Constructs' items share one scale (checked when a codebook is loaded).
        codes_e = sorted(earlier.scale_of(items_e[0]).codes)
        codes_l = sorted(later.scale_of(items_l[0]).codes)
        if codes_e != codes_l:
            why.append(f"scales differ: {_codes(codes_e)} vs {_codes(codes_l)}")
        out[cid] = "; ".join(why)
    return out


def welch_difference(
    earlier: np.ndarray, later: np.ndarray, *, ci_level: float = 0.95
) -> dict[str, float]:
    """Difference of two independent means (later - earlier) with Welch's t-test and interval.

    Parameters
    ----------
    earlier, later : numpy.ndarray
        Scores of the two samples (no missing values).
    ci_level : float, keyword-only
        Confidence level of the interval.

    Returns
    -------
    dict
        ``difference``, ``ci_low``, ``ci_high``, ``t``, ``df`` (Welch-Satterthwaite), ``p``
        (two-sided); all NaN when either sample has fewer than 2 values.

    Notes
    -----
    :math:`t = (\\bar y - \\bar x) / \\sqrt{s_x^2/n_x + s_y^2/n_y}` on the Welch-Satterthwaite
    degrees of freedom, from ``scipy.stats.ttest_ind(later, earlier, equal_var=False)`` and its
    ``confidence_interval`` (as R's ``t.test(y, x)``).
    """
    check_level(ci_level)
    keys = ("difference", "ci_low", "ci_high", "t", "df", "p")
    if len(earlier) < 2 or len(later) < 2:
        return dict.fromkeys(keys, _NAN)
    res = stats.ttest_ind(later, earlier, equal_var=False)
    ci = res.confidence_interval(confidence_level=ci_level)
    return {
        "difference": float(np.mean(later) - np.mean(earlier)),
        "ci_low": float(ci.low),
        "ci_high": float(ci.high),
        "t": float(res.statistic),
        "df": float(res.df),
        "p": float(res.pvalue),
    }


def hedges_g(
    earlier: np.ndarray, later: np.ndarray, *, ci_level: float = 0.95
) -> tuple[float, float, float]:
    """Hedges' g of later versus earlier with its confidence interval: the subgroup comparisons'
    :func:`mscsurvey.stats.comparisons.hedges_g` (pingouin's formulas, unrounded) with the waves in order.

    Returns
    -------
    (float, float, float)
        g, lower and upper bound; NaN when either sample has fewer than 2 values or the pooled SD is 0.
    """
    r = comparisons.hedges_g(later, earlier, ci_level=ci_level)
    return float(r["estimate"]), float(r["ci_low"]), float(r["ci_high"])


def _reliability_note(rel: pd.DataFrame, cid: str, name: str) -> tuple[str, bool | None, str]:
    """(status, included, note) of a construct's reliability in one wave."""
    if cid not in rel.index:
        return "", None, f"no reliability row in {name}"
    rec = rel.loc[cid]
    status, included = str(rec["status"]), bool(rec["included"])
    if not included:
        return status, included, f"excluded by the reliability gate in {name} (status {status})"
    if status != "ok":
        return status, included, f"reliability {status} in {name}"
    return status, included, ""


def compare_construct_means(
    scores: tuple[pd.DataFrame, pd.DataFrame],
    reliability: tuple[pd.DataFrame, pd.DataFrame],
    codebooks: tuple[Codebook, Codebook],
    *,
    names: tuple[str, str] = ("earlier", "later"),
    ci_level: float = 0.95,
) -> pd.DataFrame:
    """Construct means of two waves side by side, with their difference (later - earlier).

    Parameters
    ----------
    scores : (DataFrame, DataFrame)
        Each wave's ``scales/scores.parquet`` (one column per construct, NaN when unscored), earlier
        first.
    reliability : (DataFrame, DataFrame)
        Each wave's ``scales/reliability.parquet`` (``construct``, ``status``, ``included``).
    codebooks : (Codebook, Codebook)
        Each wave's codebook.
    names : (str, str), keyword-only
        The waves' dataset names (written in ``earlier``/``later`` and the notes).
    ci_level : float, keyword-only
        Confidence level of both intervals.

    Returns
    -------
    pandas.DataFrame
        One row per construct of either codebook (earlier codebook's order first): ``construct``,
        ``label``, ``earlier``, ``later`` (dataset names), ``comparable``; per wave ``n_*`` (scored
        respondents), ``mean_*``, ``sd_*``; ``difference`` (later - earlier) with its Welch
        ``ci_low``/``ci_high`` at ``ci_level``, ``t``, ``df``, ``p`` and ``p_holm`` (Holm-adjusted
        across the compared constructs); ``hedges_g`` with ``g_ci_low``/``g_ci_high``;
        ``status_*``/``included_*`` (reliability in each wave) and ``note`` (why a construct is not
        comparable, or reliability flags). A construct that is not comparable has no statistics.

    Notes
    -----
    Independent samples (see the module docstring): a panel would need a paired design.
    """
    check_level(ci_level)
    cb_e, cb_l = codebooks
    rel = [r.set_index("construct") for r in reliability]
    rows = []
    for cid, why in construct_comparability(cb_e, cb_l, names=names).items():
        cb = cb_e if cid in cb_e.constructs else cb_l
        row: dict[str, object] = {
            "construct": cid,
            "label": cb.constructs[cid].label,
            "earlier": names[0],
            "later": names[1],
            "comparable": not why,
            "ci_level": float(ci_level),
        }
        notes = [why] if why else []
        samples = []
        for suffix, frame, r, name in zip(("earlier", "later"), scores, rel, names, strict=True):
            x = frame[cid].dropna().to_numpy(dtype=float) if cid in frame.columns else np.empty(0)
            samples.append(x)
            row[f"n_{suffix}"] = len(x)
            row[f"mean_{suffix}"] = float(np.mean(x)) if len(x) else _NAN
            row[f"sd_{suffix}"] = float(np.std(x, ddof=1)) if len(x) > 1 else _NAN
            status, included, flag = _reliability_note(r, cid, name)
            row[f"status_{suffix}"] = status
            row[f"included_{suffix}"] = included
            if flag and not why:
                notes.append(flag)
        if not why:
            if min(len(s) for s in samples) < 2:
                notes.append("fewer than 2 scored respondents in a wave: no test")
            row.update(welch_difference(*samples, ci_level=ci_level))
            row["hedges_g"], row["g_ci_low"], row["g_ci_high"] = hedges_g(
                *samples, ci_level=ci_level
            )
        row["note"] = "; ".join(notes)
        rows.append(row)
    out = pd.DataFrame(rows).reindex(columns=CONSTRUCT_COLUMNS)
    p = out["p"].to_numpy(dtype=float)
    finite = np.isfinite(p)
    holm = np.full(len(p), _NAN)
    if finite.any():
        holm[finite] = multipletests(p[finite], method="holm")[1]
    out["p_holm"] = holm
    ints = ["n_earlier", "n_later"]
    text = ["construct", "label", "earlier", "later", "status_earlier", "status_later", "note"]
    dtypes = {c: "float64" for c in CONSTRUCT_COLUMNS if c not in [*ints, *text]}
    dtypes.update({c: "int64" for c in ints} | {c: "str" for c in text})
    dtypes.update(comparable="bool", included_earlier="boolean", included_later="boolean")
    return out.astype(dtypes)


def compare_item_agreement(
    responses: tuple[pd.DataFrame, pd.DataFrame],
    codebooks: tuple[Codebook, Codebook],
    *,
    names: tuple[str, str] = ("earlier", "later"),
    ci_level: float = 0.95,
) -> pd.DataFrame:
    """ "% agreed" per item in two waves and its difference in percentage points (later - earlier).

    Parameters
    ----------
    responses : (DataFrame, DataFrame)
        Each wave's clean responses (items reverse-keyed, as the clean stage writes them).
    codebooks : (Codebook, Codebook)
        Each wave's codebook.
    names, ci_level : keyword-only
        As in :func:`compare_construct_means`.

    Returns
    -------
    pandas.DataFrame
        One row per item of either codebook: ``item``, ``construct``, ``short``, ``agree_label``,
        ``earlier``, ``later``, ``comparable`` (same scale codes and agree codes in both), per wave
        ``n_*`` (answering), ``n_agree_*`` and ``pct_*``; ``difference_pp`` with its Newcombe
        interval ``ci_low``/``ci_high`` (percentage points), ``ci_level`` and ``note``.

    Notes
    -----
    "% agreed" is :func:`mscsurvey.stages.agreement.item_agreement`'s (reverse-keyed items as answered). The
    interval is Newcombe's hybrid score interval (method 10, from two Wilson intervals) from
    ``statsmodels.stats.proportion.confint_proportions_2indep(method="newcomb")``.
    """
    check_level(ci_level)
    agree = [
        item_agreement(r, cb, ci_level=ci_level).set_index("item")
        for r, cb in zip(responses, codebooks, strict=True)
    ]
    cb_e, cb_l = codebooks
    rows = []
    for iid in _union(list(cb_e.items), list(cb_l.items)):
        cb = cb_e if iid in cb_e.items else cb_l
        item, scale = cb.items[iid], cb.scale_of(iid)
        row: dict[str, object] = {
            "item": iid,
            "construct": item.construct,
            "short": item.short,
            "agree_label": scale.agree_label,
            "earlier": names[0],
            "later": names[1],
            "ci_level": float(ci_level),
        }
        why = ""
        if iid not in cb_l.items:
            why = f"only in {names[0]}"
        elif iid not in cb_e.items:
            why = f"only in {names[1]}"
        else:
            se, sl = cb_e.scale_of(iid), cb_l.scale_of(iid)
            if sorted(se.codes) != sorted(sl.codes):
                why = f"scales differ: {_codes(list(se.codes))} vs {_codes(list(sl.codes))}"
            elif se.agree != sl.agree:
                why = f"agree codes differ: {_codes(se.agree)} vs {_codes(sl.agree)}"
        row["comparable"] = not why
        counts = []
        for suffix, a in zip(("earlier", "later"), agree, strict=True):
            n, k = (int(a.at[iid, "n"]), int(a.at[iid, "n_agree"])) if iid in a.index else (0, 0)
            counts.append((k, n))
            row[f"n_{suffix}"], row[f"n_agree_{suffix}"] = n, k
            row[f"pct_{suffix}"] = 100.0 * k / n if n else _NAN
        note = why
        if not why:
            (k_e, n_e), (k_l, n_l) = counts
            if n_e == 0 or n_l == 0:
                note = "nobody answered in a wave: no difference"
            else:
                low, high = confint_proportions_2indep(
                    k_l, n_l, k_e, n_e, method="newcomb", compare="diff", alpha=1 - ci_level
                )
                row["difference_pp"] = 100.0 * (k_l / n_l - k_e / n_e)
                row["ci_low"], row["ci_high"] = 100.0 * float(low), 100.0 * float(high)
        row["note"] = note
        rows.append(row)
    out = pd.DataFrame(rows).reindex(columns=ITEM_COLUMNS)
    ints = ["n_earlier", "n_agree_earlier", "n_later", "n_agree_later"]
    floats = ["pct_earlier", "pct_later", "difference_pp", "ci_low", "ci_high", "ci_level"]
    return out.astype(
        {c: "int64" for c in ints} | {c: "float64" for c in floats} | {"comparable": "bool"}
    )
