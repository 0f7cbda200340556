"""Comparisons of independent groups: means with t intervals, Hedges' g, one-vs-rest contrasts,
Welch's ANOVA with Kruskal–Wallis, Games–Howell pairs and multiplicity-adjusted p-values.

Engines that know nothing of codebooks (moved out of :mod:`mscsurvey.stages.subgroups`, which
orchestrates them per construct × group). Each public statistic takes the data first and options
keyword-only; the ``*_stats``/``*_codes`` variants work on per-category statistics and integer codes
so the stage sorts and counts each construct once for all its groups.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

__all__ = [
    "check_level",
    "category_codes",
    "GroupStats",
    "group_stats",
    "means_frame",
    "group_means",
    "mean_ci",
    "hedges_g",
    "vs_rest",
    "vs_rest_stats",
    "omnibus_tests",
    "omnibus_codes",
    "games_howell",
    "games_howell_stats",
    "adjust_pvalues",
]


def check_level(ci_level: float) -> None:
    if not 0 < ci_level < 1:
        raise ValueError(f"ci_level must be strictly between 0 and 1, got {ci_level!r}")


def mean_ci(x: np.ndarray | pd.Series, *, ci_level: float = 0.95) -> dict[str, float]:
    """Mean with a Student t confidence interval.

    Parameters
    ----------
    x : array-like
        Values (missing values are dropped).
    ci_level : float, keyword-only
        Confidence level.

    Returns
    -------
    dict
        ``mean``, ``sd`` (ddof 1), ``ci_low``, ``ci_high``, ``n``. The interval is missing when n < 2.

    Notes
    -----
    :math:`\\bar x \\pm t_{1-\\alpha/2,\\,n-1}\\, s/\\sqrt n` (as R's ``t.test(x)$conf.int``).
    """
    check_level(ci_level)
    v = np.asarray(pd.Series(x, dtype="float64").dropna(), dtype=float)
    n = v.size
    if n == 0:
        return {"mean": np.nan, "sd": np.nan, "ci_low": np.nan, "ci_high": np.nan, "n": 0}
    m = float(v.mean())
    if n < 2:
        return {"mean": m, "sd": np.nan, "ci_low": np.nan, "ci_high": np.nan, "n": 1}
    sd = float(v.std(ddof=1))
    half = float(stats.t.ppf(0.5 + ci_level / 2, n - 1)) * sd / math.sqrt(n)
    return {"mean": m, "sd": sd, "ci_low": m - half, "ci_high": m + half, "n": n}


def _frame(data: pd.DataFrame, dv: str, between: str) -> pd.DataFrame:
    for col in (dv, between):
        if col not in data.columns:
            raise KeyError(
                f"column '{col}' is not in the data (columns: {', '.join(map(str, data.columns))})"
            )
    d = data[[dv, between]].dropna()
    return d


def _categories(data: pd.DataFrame, between: str, categories: list[str] | None) -> list[str]:
    if categories is not None:
        return list(categories)
    col = data[between]
    if isinstance(col.dtype, pd.CategoricalDtype):
        return [str(c) for c in col.cat.categories]
    return sorted(str(c) for c in col.dropna().unique())


def category_codes(col: pd.Series, cats: list[str]) -> np.ndarray:
    """Each value's position in ``cats`` (compared as text), -1 for a missing value or another label.

    A categorical column is mapped through its categories (no text per row), so this is cheap for
    millions of rows.
    """
    pos = {c: i for i, c in enumerate(cats)}
    if isinstance(col.dtype, pd.CategoricalDtype):
        lookup = np.array([pos.get(str(c), -1) for c in col.cat.categories] + [-1], dtype=np.int64)
        return lookup[col.cat.codes.to_numpy()]  # code -1 (missing) takes the last entry
    out = np.full(len(col), -1, dtype=np.int64)
    present = col.notna().to_numpy()
    if present.any():
        out[present] = pd.Categorical(col[present].astype(str), categories=cats).codes
    return out


@dataclass(frozen=True)
class GroupStats:
    """Per category: count, mean and variance (ddof 1; NaN below 2), from one pass of bincounts."""

    n: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    ss: np.ndarray  # sum of squared deviations from the category's mean


def group_stats(y: np.ndarray, g: np.ndarray, k: int) -> GroupStats:
    """``y`` split by ``g`` (codes 0..k-1, every row in a category): no Python loop over rows."""
    n = np.bincount(g, minlength=k)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.bincount(g, weights=y, minlength=k) / n
        dev = y - mean[g]
        ss = np.bincount(g, weights=dev * dev, minlength=k)
        var = np.where(n >= 2, ss / np.maximum(n - 1, 1), np.nan)
    return GroupStats(n=n, mean=mean, var=var, ss=ss)


def means_frame(st: GroupStats, cats: list[str], *, min_n: int, ci_level: float) -> pd.DataFrame:
    n = st.n
    sd = np.sqrt(st.var)
    with np.errstate(invalid="ignore", divide="ignore"):
        half = stats.t.ppf(0.5 + ci_level / 2, np.where(n >= 2, n - 1, 1)) * sd / np.sqrt(n)
    suppressed = n < min_n
    keep = ~suppressed
    out = pd.DataFrame(
        {
            "category": list(cats),
            "category_order": np.arange(len(cats), dtype=np.int64),
            "mean": np.where(keep & (n > 0), st.mean, np.nan),
            "sd": np.where(keep & (n >= 2), sd, np.nan),
            "ci_low": np.where(keep & (n >= 2), st.mean - half, np.nan),
            "ci_high": np.where(keep & (n >= 2), st.mean + half, np.nan),
            "n": pd.array(np.where(keep, n, 0), dtype="Int64"),
            "suppressed": suppressed,
            "note": np.where(suppressed, f"n < {min_n}", ""),
        }
    )
    out.loc[suppressed, "n"] = pd.NA
    return out.astype({"n": "Int64", "suppressed": bool, "category_order": "int64"})


def group_means(
    data: pd.DataFrame,
    *,
    dv: str,
    between: str,
    categories: list[str] | None = None,
    min_n: int = 10,
    ci_level: float = 0.95,
) -> pd.DataFrame:
    """Mean of ``dv`` per category of ``between`` with a t interval; small categories suppressed.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent.
    dv : str
        The outcome column (a construct score).
    between : str
        The grouping column.
    categories : list of str, optional
        Categories in display order (default: the column's categories, or its sorted values). A
        category nobody reported appears with n = 0, suppressed.
    min_n : int, keyword-only
        Categories with fewer respondents (with a value of ``dv``) are suppressed.
    ci_level : float, keyword-only
        Confidence level.

    Returns
    -------
    pandas.DataFrame
        One row per category: ``category``, ``category_order`` (0-based), ``mean``, ``sd``,
        ``ci_low``, ``ci_high``, ``n`` (nullable: missing when suppressed), ``suppressed``, ``note``
        ("n < 10" when suppressed, else empty).
    """
    if min_n < 1:
        raise ValueError(f"min_n must be at least 1, got {min_n!r}")
    check_level(ci_level)
    d = _frame(data, dv, between)
    cats = _categories(data, between, categories)
    g = category_codes(d[between], cats)
    y = d[dv].to_numpy(dtype=float)
    st = group_stats(y[g >= 0], g[g >= 0], len(cats))
    return means_frame(st, cats, min_n=min_n, ci_level=ci_level)


def hedges_g(
    x: np.ndarray | pd.Series, y: np.ndarray | pd.Series, *, ci_level: float = 0.95
) -> dict[str, float]:
    """Hedges' g of two independent samples with a confidence interval.

    Parameters
    ----------
    x, y : array-like
        The two samples (missing values dropped).
    ci_level : float, keyword-only
        Confidence level.

    Returns
    -------
    dict
        ``estimate`` (g), ``ci_low``, ``ci_high``, ``n_x``, ``n_y``.

    Notes
    -----
    :math:`d = (\\bar x - \\bar y)/s_p` with the pooled SD, :math:`g = d\\,(1 - 3/(4(n_x+n_y)-9))`;
    :math:`SE = \\sqrt{(n_x+n_y)/(n_x n_y) + g^2/(2(n_x+n_y))}`, interval
    :math:`g \\pm t_{1-\\alpha/2,\\,n_x+n_y-2} SE` — the formulas of pingouin's ``compute_effsize`` and
    ``compute_esci`` (which agree with R's ``effsize::cohen.d(hedges.correction=TRUE)``), without
    their rounding.

    References
    ----------
    Hedges, L. V., & Olkin, I. (1985). *Statistical methods for meta-analysis*. Academic Press.
    """
    check_level(ci_level)
    a = np.asarray(pd.Series(x, dtype="float64").dropna(), dtype=float)
    b = np.asarray(pd.Series(y, dtype="float64").dropna(), dtype=float)
    nx, ny = a.size, b.size
    nan = {"estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan, "n_x": nx, "n_y": ny}
    if nx < 2 or ny < 2:
        return nan
    sp = math.sqrt(((nx - 1) * a.var(ddof=1) + (ny - 1) * b.var(ddof=1)) / (nx + ny - 2))
    if sp == 0:
        return nan
    g = (a.mean() - b.mean()) / sp * (1 - 3 / (4 * (nx + ny) - 9))
    se = math.sqrt((nx + ny) / (nx * ny) + g**2 / (2 * (nx + ny)))
    crit = float(stats.t.ppf(0.5 + ci_level / 2, nx + ny - 2))
    return {
        "estimate": float(g),
        "ci_low": g - crit * se,
        "ci_high": g + crit * se,
        "n_x": nx,
        "n_y": ny,
    }


def vs_rest(
    data: pd.DataFrame,
    *,
    dv: str,
    between: str,
    categories: list[str] | None = None,
    ci_level: float = 0.95,
) -> pd.DataFrame:
    """Each category against all other respondents of ``data`` (one-vs-rest contrasts).

    Parameters
    ----------
    data : pandas.DataFrame
        Respondents to compare (the caller leaves out suppressed categories).
    dv, between : str
        Outcome and grouping columns.
    categories : list of str, optional
        Categories to contrast (default: every category present).
    ci_level : float, keyword-only
        Confidence level of the Hedges' g interval.

    Returns
    -------
    pandas.DataFrame
        One row per category: ``category``, ``mean_rest``, ``n_rest``, ``diff_vs_rest`` (category
        mean - rest mean, in the score's units), ``hedges_g``, ``g_ci_low``, ``g_ci_high``,
        ``p_vs_rest`` (Welch's t-test, two-sided).

    Notes
    -----
    Welch's t-test is ``scipy.stats.ttest_ind(equal_var=False)`` (R's ``t.test`` default).
    """
    d = _frame(data, dv, between)
    cats = _categories(data, between, categories)
    labels = list(cats) + sorted(set(d[between].astype(str)) - set(cats))
    g = category_codes(d[between], labels)
    st = group_stats(d[dv].to_numpy(dtype=float), g, len(labels))
    return vs_rest_stats(st, cats, ci_level=ci_level)


def vs_rest_stats(st: GroupStats, cats: list[str], *, ci_level: float) -> pd.DataFrame:
    """One-vs-rest contrasts of the first ``len(cats)`` categories of ``st`` against all the others,
    from the category statistics (the rest's variance from the deviations about the grand mean)."""
    check_level(ci_level)
    k = len(cats)
    n_all = int(st.n.sum())
    has = st.n > 0
    grand = float((st.n[has] * st.mean[has]).sum() / n_all) if n_all else np.nan
    ss_all = float(st.ss[has].sum() + (st.n[has] * (st.mean[has] - grand) ** 2).sum())
    nx = st.n[:k].astype(float)
    nr = n_all - nx
    with np.errstate(divide="ignore", invalid="ignore"):
        mx = st.mean[:k]
        mr = (grand * n_all - np.where(nx > 0, nx * mx, 0.0)) / nr
        # rest's squared deviations about its mean: the total's about the grand mean, less the
        # category's, less the shift of the rest's mean from the grand mean
        ss_x = np.where(nx > 0, st.ss[:k] + nx * (mx - grand) ** 2, 0.0)
        ss_r = ss_all - ss_x - nr * (mr - grand) ** 2
        vx = st.var[:k]
        vr = np.where(nr >= 2, ss_r / (nr - 1), np.nan)
        ok = (nx >= 2) & (nr >= 2)
        sp = np.sqrt(((nx - 1) * vx + (nr - 1) * vr) / (nx + nr - 2))
        ok_g = ok & (sp > 0)
        g = (mx - mr) / sp * (1 - 3 / (4 * (nx + nr) - 9))
        se = np.sqrt((nx + nr) / (nx * nr) + g**2 / (2 * (nx + nr)))
        crit = stats.t.ppf(0.5 + ci_level / 2, np.where(ok, nx + nr - 2, 1))
        welch = stats.ttest_ind_from_stats(
            mx, np.sqrt(vx), nx, mr, np.sqrt(vr), nr, equal_var=False
        )
    return pd.DataFrame(
        {
            "category": list(cats),
            "mean_rest": np.where(nr > 0, mr, np.nan),
            "n_rest": nr.astype(np.int64),
            "diff_vs_rest": np.where((nx > 0) & (nr > 0), mx - mr, np.nan),
            "hedges_g": np.where(ok_g, g, np.nan),
            "g_ci_low": np.where(ok_g, g - crit * se, np.nan),
            "g_ci_high": np.where(ok_g, g + crit * se, np.nan),
            "p_vs_rest": np.where(ok, np.asarray(welch.pvalue, dtype=float), np.nan),
        }
    )


def omnibus_tests(data: pd.DataFrame, *, dv: str, between: str) -> dict[str, float]:
    """Welch's ANOVA, the Kruskal–Wallis test and the effect sizes omega² and eta².

    Parameters
    ----------
    data : pandas.DataFrame
        Respondents to compare (at least two categories with two or more values each).
    dv, between : str
        Outcome and grouping columns.

    Returns
    -------
    dict
        ``welch_f``, ``welch_df1``, ``welch_df2``, ``welch_p`` (pingouin ``welch_anova``),
        ``kruskal_h``, ``kruskal_df``, ``kruskal_p`` (``scipy.stats.kruskal``, tie-corrected),
        ``omega2``, ``eta2``, ``n``, ``k`` (categories).

    Raises
    ------
    ValueError
        Fewer than two categories.

    Notes
    -----
    From the classical one-way decomposition :math:`SS_T = SS_B + SS_W`:
    :math:`\\eta^2 = SS_B/SS_T` and
    :math:`\\omega^2 = (SS_B - (k-1) MS_W)/(SS_T + MS_W)` (less biased than eta²; can be negative,
    reported as computed). Welch's F does not assume equal variances; the effect sizes describe the
    size of the differences, not the test.

    References
    ----------
    Welch, B. L. (1951). On the comparison of several mean values. *Biometrika*, 38, 330-336.
    Olejnik, S., & Algina, J. (2003). Generalized eta and omega squared statistics.
    *Psychological Methods*, 8(4), 434-447.
    """
    d = _frame(data, dv, between)
    cats = sorted(set(d[between].astype(str)))
    g = category_codes(d[between], cats)
    return omnibus_codes(d[dv].to_numpy(dtype=float), g, len(cats), between=between)


def omnibus_codes(
    y: np.ndarray,
    g: np.ndarray,
    k: int,
    *,
    between: str,
    ranks: tuple[np.ndarray, int] | None = None,
) -> dict[str, float]:
    """Welch's ANOVA, Kruskal-Wallis and the effect sizes from the category statistics.

    ``ranks``: each row's index into the sorted distinct values of ``y`` and their number (computed
    here when not given; the caller passes them to sort a construct's scores once for all groups).
    Same formulas as pingouin ``welch_anova`` and ``scipy.stats.kruskal`` (midranks, tie-corrected).
    """
    if k < 2:
        raise ValueError(f"omnibus tests need at least two categories of '{between}', got {k}")
    st = group_stats(y, g, k)
    n = y.size
    grand = y.mean()
    ss_t = float(((y - grand) ** 2).sum())
    ss_b = float((st.n * (st.mean - grand) ** 2).sum())
    ms_w = (ss_t - ss_b) / (n - k) if n > k else np.nan
    if (st.n < 2).any() or (st.var == 0).any():
        raise ValueError(
            "Each group must have at least two observations and a non-zero variance. "
            "The Welch ANOVA weights are undefined otherwise."
        )
    w = st.n / st.var
    adj = float((w * st.mean).sum() / w.sum())
    ms_betadj = float((w * (st.mean - adj) ** 2).sum()) / (k - 1)
    lamb = 3 * float(((1 / (st.n - 1)) * (1 - w / w.sum()) ** 2).sum()) / (k**2 - 1)
    welch_f = ms_betadj / (1 + 2 * lamb * (k - 2) / 3)
    welch_df2 = 1 / lamb
    if ranks is None:
        _, inv = np.unique(y, return_inverse=True)
        ranks = (inv.ravel(), int(inv.max()) + 1 if inv.size else 0)
    inv, n_values = ranks
    ties = np.bincount(inv, minlength=n_values).astype(float)
    midrank = np.cumsum(ties) - (ties - 1) / 2.0
    rank_sums = np.bincount(g, weights=midrank[inv], minlength=k)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = 12.0 / (n * (n + 1)) * float((rank_sums**2 / st.n).sum()) - 3 * (n + 1)
        h /= 1 - float((ties**3 - ties).sum()) / (float(n) ** 3 - n)
    return {
        "welch_f": float(welch_f),
        "welch_df1": float(k - 1),
        "welch_df2": float(welch_df2),
        "welch_p": float(stats.f.sf(welch_f, k - 1, welch_df2)),
        "kruskal_h": float(h),
        "kruskal_df": float(k - 1),
        "kruskal_p": float(stats.chi2.sf(h, k - 1)),
        "omega2": (ss_b - (k - 1) * ms_w) / (ss_t + ms_w) if ss_t > 0 else np.nan,
        "eta2": ss_b / ss_t if ss_t > 0 else np.nan,
        "n": int(n),
        "k": int(k),
    }


def games_howell(
    data: pd.DataFrame, *, dv: str, between: str, categories: list[str] | None = None
) -> pd.DataFrame:
    """Games–Howell pairwise comparisons (pingouin ``pairwise_gameshowell``).

    Parameters
    ----------
    data : pandas.DataFrame
        Respondents to compare.
    dv, between : str
        Outcome and grouping columns.
    categories : list of str, optional
        Order of the categories (pairs are ``a`` before ``b`` in this order).

    Returns
    -------
    pandas.DataFrame
        One row per pair: ``a``, ``b``, ``mean_a``, ``mean_b``, ``n_a``, ``n_b``, ``diff``
        (mean_a - mean_b), ``se``, ``t``, ``df`` (Welch–Satterthwaite), ``p`` (Games–Howell:
        studentized range, controls the family-wise error within this comparison), ``hedges_g``.
    """
    d = _frame(data, dv, between)
    cats = _categories(data, between, categories)
    g = category_codes(d[between], cats)
    present = np.bincount(g[g >= 0], minlength=len(cats)) > 0
    remap = np.cumsum(present) - 1
    keep = g >= 0
    g = np.where(keep, remap[np.maximum(g, 0)], -1)[keep]
    cats = [c for c, p in zip(cats, present, strict=True) if p]
    y = d[dv].to_numpy(dtype=float)[keep]
    return games_howell_stats(group_stats(y, g, len(cats)), cats)


_GH_COLUMNS = ["a", "b", "mean_a", "mean_b", "n_a", "n_b", "diff", "se", "t", "df", "p", "hedges_g"]


def games_howell_stats(st: GroupStats, cats: list[str]) -> pd.DataFrame:
    """Games-Howell pairs from the category statistics (pingouin ``pairwise_gameshowell``'s
    formulas: Welch SE and df, studentized range p, Hedges' g with the pooled SD)."""
    k = len(cats)
    if k < 2:
        return pd.DataFrame(columns=_GH_COLUMNS)
    a, b = np.triu_indices(k, k=1)
    n = st.n.astype(float)
    v = st.var / n
    se = np.sqrt(v[a] + v[b])
    diff = st.mean[a] - st.mean[b]
    t = diff / se
    df = (v[a] + v[b]) ** 2 / (v[a] ** 2 / (n[a] - 1) + v[b] ** 2 / (n[b] - 1))
    p = np.clip(stats.studentized_range.sf(np.sqrt(2) * np.abs(t), k, df), 0, 1)
    pooled = np.sqrt(((n[a] - 1) * st.var[a] + (n[b] - 1) * st.var[b]) / (n[a] + n[b] - 2))
    hedges = diff / pooled * (1 - 3 / (4 * (n[a] + n[b]) - 9))
    labels = np.asarray(cats, dtype=object)
    return pd.DataFrame(
        {
            "a": labels[a].astype(str),
            "b": labels[b].astype(str),
            "mean_a": st.mean[a],
            "mean_b": st.mean[b],
            "n_a": st.n[a].astype(np.int64),
            "n_b": st.n[b].astype(np.int64),
            "diff": diff,
            "se": se,
            "t": t,
            "df": df,
            "p": np.asarray(p, dtype=float),
            "hedges_g": hedges,
        }
    )[_GH_COLUMNS]


def adjust_pvalues(p: pd.Series | np.ndarray, *, method: str) -> np.ndarray:
    """Multiplicity-adjusted p-values over one family, ignoring missing values.

    Parameters
    ----------
    p : array-like
        Unadjusted p-values (NaN = no test; left NaN).
    method : {"holm", "fdr_bh"}, keyword-only
        Holm's step-down (family-wise error) or Benjamini–Hochberg (false discovery rate).

    Returns
    -------
    numpy.ndarray
        Adjusted p-values, same shape.

    Notes
    -----
    ``statsmodels.stats.multitest.multipletests`` (as R's ``p.adjust(method = "holm" / "BH")``).

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test procedure. *Scand. J. Stat.*, 6,
    65-70. Benjamini, Y., & Hochberg, Y. (1995). Controlling the false discovery rate. *JRSS B*, 57,
    289-300.

    Examples
    --------
    >>> adjust_pvalues([0.01, 0.04, 0.03, 0.005], method="holm").round(3).tolist()
    [0.03, 0.06, 0.06, 0.02]
    """
    if method not in ("holm", "fdr_bh"):
        raise ValueError(f"method must be 'holm' or 'fdr_bh', got {method!r}")
    arr = np.asarray(p, dtype=float)
    out = np.full(arr.shape, np.nan)
    ok = ~np.isnan(arr)
    if ok.any():
        if ((arr[ok] < 0) | (arr[ok] > 1)).any():
            raise ValueError("p-values must lie between 0 and 1")
        out[ok] = multipletests(arr[ok], method=method)[1]
    return out
