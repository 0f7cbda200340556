"""Subgroup comparisons of construct scores: group means, omnibus tests, pairwise and one-vs-rest
contrasts, a mixed-model check for the clustering of respondents in collaboratives, and
multiplicity-adjusted p-values.

Every statistic is one function taking the data first and options keyword-only, returning a tidy frame;
:func:`subgroup_analysis` runs them for every construct × compared group (codebook ``compare: true``)
and assembles the three tables the workflow writes.

Small cells. A category with fewer than ``min_group_n`` respondents with a score is *suppressed*: its
row carries no mean, interval or n (``n`` is missing, ``note`` says "n < 10"), and its respondents
enter no statistic of that construct × group (not the omnibus tests, not the pairwise tests, not the
"rest" of a one-vs-rest contrast). Otherwise a two-category comparison would reveal the suppressed
mean through the difference.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats
from statsmodels.stats.multitest import multipletests

from mscsurvey import contracts
from mscsurvey.codebook.spec import Codebook
from mscsurvey.errors import SurveyError

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


def _check_level(ci_level: float) -> None:
    if not 0 < ci_level < 1:
        raise ValueError(f"ci_level must be strictly between 0 and 1, got {ci_level!r}")


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
    _check_level(ci_level)
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


def _codes(col: pd.Series, cats: list[str]) -> np.ndarray:
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
class _GroupStats:
    """Per category: count, mean and variance (ddof 1; NaN below 2), from one pass of bincounts."""

    n: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    ss: np.ndarray  # sum of squared deviations from the category's mean


def _group_stats(y: np.ndarray, g: np.ndarray, k: int) -> _GroupStats:
    """``y`` split by ``g`` (codes 0..k-1, every row in a category): no Python loop over rows."""
    n = np.bincount(g, minlength=k)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.bincount(g, weights=y, minlength=k) / n
        dev = y - mean[g]
        ss = np.bincount(g, weights=dev * dev, minlength=k)
        var = np.where(n >= 2, ss / np.maximum(n - 1, 1), np.nan)
    return _GroupStats(n=n, mean=mean, var=var, ss=ss)


def _means_frame(st: _GroupStats, cats: list[str], *, min_n: int, ci_level: float) -> pd.DataFrame:
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
    _check_level(ci_level)
    d = _frame(data, dv, between)
    cats = _categories(data, between, categories)
    g = _codes(d[between], cats)
    y = d[dv].to_numpy(dtype=float)
    st = _group_stats(y[g >= 0], g[g >= 0], len(cats))
    return _means_frame(st, cats, min_n=min_n, ci_level=ci_level)


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
    _check_level(ci_level)
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
    g = _codes(d[between], labels)
    st = _group_stats(d[dv].to_numpy(dtype=float), g, len(labels))
    return _vs_rest(st, cats, ci_level=ci_level)


def _vs_rest(st: _GroupStats, cats: list[str], *, ci_level: float) -> pd.DataFrame:
    """One-vs-rest contrasts of the first ``len(cats)`` categories of ``st`` against all the others,
    from the category statistics (the rest's variance from the deviations about the grand mean)."""
    _check_level(ci_level)
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
    g = _codes(d[between], cats)
    return _omnibus(d[dv].to_numpy(dtype=float), g, len(cats), between=between)


def _omnibus(
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
    st = _group_stats(y, g, k)
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
    g = _codes(d[between], cats)
    present = np.bincount(g[g >= 0], minlength=len(cats)) > 0
    remap = np.cumsum(present) - 1
    keep = g >= 0
    g = np.where(keep, remap[np.maximum(g, 0)], -1)[keep]
    cats = [c for c, p in zip(cats, present, strict=True) if p]
    y = d[dv].to_numpy(dtype=float)[keep]
    return _games_howell(_group_stats(y, g, len(cats)), cats)


_GH_COLUMNS = ["a", "b", "mean_a", "mean_b", "n_a", "n_b", "diff", "se", "t", "df", "p", "hedges_g"]


def _games_howell(st: _GroupStats, cats: list[str]) -> pd.DataFrame:
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


@dataclass(frozen=True)
class RandomInterceptFit:
    """A fitted ``y ~ x + (1 | cluster)`` model (see :func:`fit_random_intercept`).

    Attribute names follow statsmodels' ``MixedLMResults`` where they mean the same thing:
    ``fe_params`` (fixed effects, GLS at the estimate), ``cov_re`` (1 x 1: the cluster intercept
    variance tau^2), ``scale`` (residual variance sigma^2), ``llf`` (the log-likelihood: restricted
    for REML), ``converged``. ``fe_cov`` is the fixed effects' covariance as statsmodels reports it
    (the fixed-effects block of the inverse negative Hessian of the profile log-likelihood in the
    fixed effects and the relative variance).
    """

    fe_params: np.ndarray
    fe_cov: np.ndarray
    tau2: float
    scale: float
    llf: float
    reml: bool
    n: int
    n_clusters: int
    converged: bool = True

    @property
    def cov_re(self) -> np.ndarray:
        return np.array([[self.tau2]])

    @property
    def icc(self) -> float:
        """Intraclass correlation ``tau^2 / (tau^2 + sigma^2)``."""
        return self.tau2 / (self.tau2 + self.scale)

    def conf_int(self, alpha: float = 0.05) -> np.ndarray:
        """Wald intervals of the fixed effects (normal reference), one row per column of ``x``."""
        z = float(stats.norm.ppf(1 - alpha / 2))
        se = np.sqrt(np.diag(self.fe_cov))
        return np.column_stack([self.fe_params - z * se, self.fe_params + z * se])


@dataclass(frozen=True)
class _ClusterSums:
    """Everything the random-intercept likelihood needs, summed once over the rows: O(n k^2)."""

    n: int
    ng: np.ndarray  # rows per cluster
    sx: np.ndarray  # clusters x k: column sums of x per cluster
    sy: np.ndarray  # clusters: sums of y per cluster
    xtx: np.ndarray
    xty: np.ndarray
    yty: float


def _cluster_sums(y: np.ndarray, x: np.ndarray, clusters: np.ndarray) -> _ClusterSums:
    codes, uniques = pd.factorize(np.asarray(clusters), sort=True)
    if (codes < 0).any():
        raise ValueError("cluster labels must not be missing")
    g = len(uniques)
    ng = np.bincount(codes, minlength=g).astype(float)
    sx = np.column_stack(
        [np.bincount(codes, weights=x[:, j], minlength=g) for j in range(x.shape[1])]
    )
    return _ClusterSums(
        n=int(y.size),
        ng=ng,
        sx=sx,
        sy=np.bincount(codes, weights=y, minlength=g),
        xtx=x.T @ x,
        xty=x.T @ y,
        yty=float(y @ y),
    )


def _gls(s: _ClusterSums, gamma: float) -> tuple[np.ndarray, np.ndarray, float]:
    """GLS at relative variance ``gamma = tau^2 / sigma^2``: (beta, X'H^-1 X, r'H^-1 r) with
    ``H = I + gamma Z Z'`` (block-diagonal, inverted per cluster by Sherman-Morrison)."""
    c = gamma / (1.0 + s.ng * gamma)
    xwx = s.xtx - (s.sx * c[:, None]).T @ s.sx
    xwy = s.xty - s.sx.T @ (c * s.sy)
    ywy = s.yty - float(c @ (s.sy * s.sy))
    beta = np.linalg.solve(xwx, xwy)
    return beta, xwx, ywy - float(beta @ xwy)


def _profile_llf(s: _ClusterSums, gamma: np.ndarray | float, reml: bool) -> np.ndarray:
    """The log-likelihood profiled over the fixed effects and sigma^2 (statsmodels' ``loglike``) at
    each relative variance of ``gamma`` (vectorised: one batched solve for all of them)."""
    g = np.atleast_1d(np.asarray(gamma, dtype=float))
    c = g[:, None] / (1.0 + s.ng[None, :] * g[:, None])  # gammas x clusters
    xwx = s.xtx[None] - np.einsum("ag,gi,gj->aij", c, s.sx, s.sx)
    xwy = s.xty[None] - (c * s.sy[None, :]) @ s.sx
    ywy = s.yty - c @ (s.sy * s.sy)
    beta = np.linalg.solve(xwx, xwy[:, :, None])[:, :, 0]
    rss = ywy - np.einsum("ai,ai->a", beta, xwy)
    logdet_h = np.log1p(s.ng[None, :] * g[:, None]).sum(axis=1)
    dof = s.n - s.sx.shape[1] if reml else s.n
    with np.errstate(divide="ignore", invalid="ignore"):
        llf = -0.5 * (dof * np.log(2 * math.pi * rss / dof) + logdet_h + dof)
    if reml:
        llf = llf - 0.5 * np.linalg.slogdet(xwx)[1]
    return np.where(rss > 0, llf, -np.inf)


def _fe_cov(s: _ClusterSums, beta: np.ndarray, gamma: float, reml: bool) -> np.ndarray:
    """statsmodels ``MixedLM.hessian`` for one random intercept, in closed form from the cluster
    sums, inverted as ``MixedLM.fit`` does; returns the fixed-effects block."""
    k = beta.size
    a = 1.0 / (1.0 + s.ng * gamma)
    c = gamma * a
    xwx = s.xtx - (s.sx * c[:, None]).T @ s.sx
    sr = s.sy - s.sx @ beta  # residual sums per cluster
    rr = s.yty - 2.0 * float(beta @ s.xty) + float(beta @ s.xtx @ beta)
    rvir = rr - float(c @ (sr * sr))
    fac = s.n - k if reml else s.n
    ax = s.sx * a[:, None]  # X_g' V_g^-1 1
    ar = sr * a  # 1' V_g^-1 r_g
    one = s.ng * a  # 1' V_g^-1 1
    hess_fe = -fac * xwx / rvir
    hess_fere = -fac * (ax.T @ ar) / rvir
    b = float(ar @ ar)
    d = float(2.0 * one @ (ar * ar))
    hess_re = float(0.5 * one @ one) - 0.5 * fac * (d / rvir - b * b / rvir**2)
    if reml:
        xtax = ax.T @ ax
        f = (ax * (2.0 * one)[:, None]).T @ ax
        ql = np.linalg.solve(xwx, xtax)
        hess_re += 0.5 * (float(np.sum(ql.T * ql)) - float(np.trace(np.linalg.solve(xwx, f))))
    hess = np.empty((k + 1, k + 1))
    hess[:k, :k] = hess_fe
    hess[:k, k] = hess[k, :k] = hess_fere
    hess[k, k] = hess_re
    return np.linalg.inv(-hess)[:k, :k]


#: Grid of log(tau^2 / sigma^2) searched before the one-dimensional optimiser refines the best point.
_LOG_GAMMA_GRID = np.arange(-20.0, 12.0001, 0.25)


def fit_random_intercept(
    y: np.ndarray,
    x: np.ndarray,
    clusters: np.ndarray,
    *,
    reml: bool,
) -> tuple[RandomInterceptFit, list[str]]:
    """Fit the linear mixed model ``y ~ x + (1 | clusters)`` by (restricted) maximum likelihood.

    Parameters
    ----------
    y : numpy.ndarray
        Outcome (n,).
    x : numpy.ndarray
        Fixed-effects design (n, k), including the intercept column.
    clusters : numpy.ndarray
        Cluster label per row (n,).
    reml : bool, keyword-only
        REML (for variance components and coefficients) or ML (for likelihood-ratio tests).

    Returns
    -------
    (RandomInterceptFit, list of str)
        The fit and its problems (empty when none).

    Raises
    ------
    ValueError
        Fewer than two clusters, no more rows than columns of ``x``, or a singular design.

    Notes
    -----
    With one variance component the likelihood, profiled over the fixed effects and the residual
    variance, is a function of :math:`\\gamma = \\tau^2/\\sigma^2` alone; every term of it is a sum
    over clusters of :math:`n_g`, :math:`\\sum_g x`, :math:`\\sum_g y` and the totals
    :math:`X'X, X'y, y'y` (Sherman-Morrison: :math:`(I + \\gamma 11')^{-1} = I - \\frac{\\gamma}{1 +
    n_g\\gamma} 11'`), so each evaluation costs O(clusters x k^2) after one O(n k^2) pass over the
    rows. :math:`\\log\\gamma` is searched on a grid (-20 to 12, step 0.25), the best point refined by
    bounded Brent to 1e-10, and :math:`\\gamma = 0` (no cluster variance) taken when it is at least
    as likely. The log-likelihood is statsmodels ``MixedLM.loglike``'s; ``fe_cov`` is computed as
    ``MixedLM.fit`` computes it (the inverse of the negative Hessian in the fixed effects and the
    relative variance, in closed form here). Earlier versions called ``MixedLM.fit`` with Powell,
    Nelder-Mead and BFGS in turn: same estimates to the optimisers' tolerance, at 100-1000 times
    the cost (one pass over the rows per likelihood evaluation).

    References
    ----------
    Harville, D. A. (1977). Maximum likelihood approaches to variance component estimation and to
    related problems. *JASA*, 72(358), 320-338.
    """
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[0] != y.size:
        raise ValueError(f"x must have one row per value of y ({y.size}), got shape {x.shape}")
    return _fit_sums(_cluster_sums(y, x, clusters), reml=reml)


def _fit_sums(s: _ClusterSums, *, reml: bool) -> tuple[RandomInterceptFit, list[str]]:
    """:func:`fit_random_intercept` from the cluster sums."""
    k = s.sx.shape[1]
    if s.ng.size < 2:
        raise ValueError("fewer than two clusters")
    if s.n <= k:
        raise ValueError(f"{s.n} rows for {k} fixed effects")
    try:
        values = _profile_llf(s, np.exp(_LOG_GAMMA_GRID), reml)
    except np.linalg.LinAlgError:
        raise ValueError("the fixed-effects design is singular") from None
    best = int(np.nanargmax(values)) if np.isfinite(values).any() else -1
    if best < 0:
        raise ValueError("no finite likelihood")
    lo = _LOG_GAMMA_GRID[max(best - 1, 0)]
    hi = _LOG_GAMMA_GRID[min(best + 1, _LOG_GAMMA_GRID.size - 1)]
    opt = optimize.minimize_scalar(
        lambda t: -float(_profile_llf(s, math.exp(t), reml)[0]),
        bounds=(lo, hi),
        method="bounded",
        options={"xatol": 1e-10},
    )
    gamma, llf = math.exp(opt.x), -float(opt.fun)
    if values[best] > llf:
        gamma, llf = math.exp(_LOG_GAMMA_GRID[best]), float(values[best])
    at_zero = float(_profile_llf(s, 0.0, reml)[0])
    if at_zero >= llf:
        gamma, llf = 0.0, at_zero
    beta, _, rss = _gls(s, gamma)
    scale = rss / (s.n - k if reml else s.n)
    issues: list[str] = []
    if best == _LOG_GAMMA_GRID.size - 1:
        issues.append("the cluster variance is at the search's upper bound")
    fit = RandomInterceptFit(
        fe_params=beta,
        fe_cov=_fe_cov(s, beta, gamma, reml),
        tau2=gamma * scale,
        scale=scale,
        llf=llf,
        reml=reml,
        n=s.n,
        n_clusters=int(s.ng.size),
        converged=not issues,
    )
    return fit, issues


def _dummy_sums(y: np.ndarray, g: np.ndarray, k: int, clusters: np.ndarray) -> _ClusterSums:
    """Cluster sums of the design ``[1, dummies of categories 1..k-1]`` straight from the codes (one
    bincount of cluster x category cells instead of one pass per column)."""
    n_cl = int(clusters.max()) + 1
    cells = np.bincount(clusters * k + g, minlength=n_cl * k).reshape(n_cl, k).astype(float)
    ng = cells.sum(axis=1)
    used = ng > 0
    cells, ng = cells[used], ng[used]
    sx = np.column_stack([ng, cells[:, 1:]])
    n_k = np.bincount(g, minlength=k).astype(float)
    xtx = np.diag(np.concatenate([[float(y.size)], n_k[1:]]))
    xtx[0, 1:] = xtx[1:, 0] = n_k[1:]
    sum_k = np.bincount(g, weights=y, minlength=k)
    return _ClusterSums(
        n=int(y.size),
        ng=ng,
        sx=sx,
        sy=np.bincount(clusters, weights=y, minlength=n_cl)[used],
        xtx=xtx,
        xty=np.concatenate([[float(y.sum())], sum_k[1:]]),
        yty=float(y @ y),
    )


def mixed_group_test(
    data: pd.DataFrame,
    *,
    dv: str,
    between: str,
    cluster: str,
) -> dict[str, float | str]:
    """Group differences with a random intercept per cluster: ``dv ~ C(between) + (1 | cluster)``.

    Parameters
    ----------
    data : pandas.DataFrame
        Respondents to compare.
    dv, between, cluster : str
        Outcome, grouping and cluster columns.

    Returns
    -------
    dict
        ``mixed_lr`` (likelihood-ratio statistic of the group against the intercept-only model,
        both fitted by maximum likelihood), ``mixed_df`` (categories - 1), ``mixed_p`` (chi-square),
        ``icc`` (intraclass correlation of the intercept-only model fitted by REML:
        :math:`\\tau^2/(\\tau^2+\\sigma^2)`), ``n_clusters``, ``mixed_note`` (convergence warnings,
        empty when none).

    Notes
    -----
    :func:`fit_random_intercept` (statsmodels ``MixedLM``'s likelihood). The LR test compares ML fits (REML likelihoods of models with different
    fixed effects are not comparable). With few clusters the chi-square reference is liberal; for a
    group constant within clusters it is still far more honest than a respondent-level test, whose
    effective sample size is the number of clusters.

    References
    ----------
    Snijders, T. A. B., & Bosker, R. J. (2012). *Multilevel analysis* (2nd ed.). Sage.
    """
    for col in (dv, between, cluster):
        if col not in data.columns:
            raise KeyError(f"column '{col}' is not in the data")
    d = data[[dv, between, cluster]].dropna()
    # integer codes (no strings per row): the LR test does not depend on the reference category
    group, cats = pd.factorize(d[between], sort=True)
    clusters, _ = pd.factorize(d[cluster], sort=True)
    return _mixed_test(d[dv].to_numpy(dtype=float), group, len(cats), clusters)


def _mixed_test(
    y: np.ndarray, g: np.ndarray, k: int, clusters: np.ndarray
) -> dict[str, float | str]:
    """:func:`mixed_group_test` on codes: ``g`` categories 0..k-1, ``clusters`` codes 0..G-1."""
    n_clusters = int(np.count_nonzero(np.bincount(clusters))) if clusters.size else 0
    out: dict[str, float | str] = {
        "mixed_lr": np.nan,
        "mixed_df": float(k - 1),
        "mixed_p": np.nan,
        "icc": np.nan,
        "n_clusters": n_clusters,
        "mixed_note": "",
    }
    if n_clusters < 2 or k < 2:
        out["mixed_note"] = "fewer than two clusters or categories: no mixed model"
        return out
    full = _dummy_sums(y, g, k, clusters)
    null = _ClusterSums(
        n=full.n,
        ng=full.ng,
        sx=full.sx[:, :1],
        sy=full.sy,
        xtx=full.xtx[:1, :1],
        xty=full.xty[:1],
        yty=full.yty,
    )
    notes: list[str] = []
    try:
        null_reml, w1 = _fit_sums(null, reml=True)
        tau2 = float(null_reml.tau2)
        out["icc"] = null_reml.icc
        null_ml, w2 = _fit_sums(null, reml=False)
        full_ml, w3 = _fit_sums(full, reml=False)
        lr = max(0.0, 2 * (float(full_ml.llf) - float(null_ml.llf)))
        out["mixed_lr"] = lr
        out["mixed_p"] = float(stats.chi2.sf(lr, k - 1))
        notes = sorted(set(w1 + w2 + w3))
        if tau2 <= 1e-8:
            notes.append("the cluster intercept variance is estimated at 0 (ICC 0)")
    except (np.linalg.LinAlgError, ValueError) as exc:
        notes = [f"mixed model failed: {exc}"]
    out["mixed_note"] = "; ".join(notes)
    return out


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

    Why one function: one pass per construct x group fills four tables that share its loop
    state; issue 16 (the layout redesign, next) splits it at its numbered steps.

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
    _check_level(ci_level)
    if min_group_n < 1:
        raise ValueError(f"min_group_n must be at least 1, got {min_group_n!r}")
    excluded = excluded_constructs(reliability)
    constructs = [c for c in codebook.constructs if c not in excluded]
    _check_scores(scores, codebook, constructs)
    cluster = codebook.cluster
    # Codes once per column (categories, clusters) and each score's rank among its distinct values
    # once per construct: every comparison below is bincounts on integer codes, never text per row.
    group_codes = {
        gid: _codes(scores[gid], list(codebook.groups[gid].categories))
        for gid in codebook.compared_groups()
    }
    cluster_codes = pd.factorize(scores[cluster], sort=True)[0] if cluster else None
    outcome: dict[str, tuple[np.ndarray, tuple[np.ndarray, int]]] = {}
    for cid in constructs:
        y = scores[cid].to_numpy(dtype=float, na_value=np.nan)
        finite = np.isfinite(y)
        values, inv = np.unique(y[finite], return_inverse=True)
        index = np.full(y.size, -1, dtype=np.int64)
        index[finite] = inv.ravel()
        outcome[cid] = (y, (index, int(values.size)))
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
            cats = list(grp.categories)
            y, (value_index, n_values) = outcome[cid]
            g_all = group_codes[gid]
            has = np.isfinite(y) & (g_all >= 0)
            st = _group_stats(y[has], g_all[has], len(cats))
            gm = _means_frame(st, cats, min_n=min_group_n, ci_level=ci_level)
            shown = ~gm["suppressed"].to_numpy()
            reported = [c for c, s in zip(cats, shown, strict=True) if s]
            # respondents of reported categories, their codes renumbered 0..len(reported)-1
            remap = np.where(shown, np.cumsum(shown) - 1, -1)
            g_rep = np.where(has, remap[np.maximum(g_all, 0)], -1)
            kept = g_rep >= 0
            n_kept = int(kept.sum())
            if cluster:
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
            if len(reported) >= 2:
                yk, gk = y[kept], g_rep[kept]
                st_k = _group_stats(yk, gk, len(reported))
                vr = _vs_rest(st_k, reported, ci_level=ci_level)
                gm = gm.merge(vr, on="category", how="left")
                om = _omnibus(
                    yk, gk, len(reported), between=gid, ranks=(value_index[kept], n_values)
                )
                row.update({k: v for k, v in om.items() if k not in ("n", "k")})
                gh = _games_howell(st_k, reported)
                gh.insert(0, "level", grp.level)
                gh.insert(0, "group", gid)
                gh.insert(0, "construct", cid)
                pairs.append(gh)
                if cluster:
                    with_cl = cl_kept >= 0
                    mx = _mixed_test(yk[with_cl], gk[with_cl], len(reported), cl_kept[with_cl])
                    if mx["mixed_note"]:
                        notes.append(str(mx["mixed_note"]))
                        log.warning(
                            "subgroups: %s × %s mixed model: %s", cid, gid, mx["mixed_note"]
                        )
                    row.update({k: mx[k] for k in ("mixed_lr", "mixed_df", "mixed_p", "icc")})
            else:
                notes.append("fewer than two reportable categories: no test")
            row["note"] = "; ".join(notes)
            tests.append(row)
            gm.insert(0, "level", grp.level)
            gm.insert(0, "group", gid)
            gm.insert(0, "construct", cid)
            gm["ci_level"] = float(ci_level)
            means.append(gm)

    m = pd.concat(means, ignore_index=True) if means else pd.DataFrame(columns=MEANS_COLUMNS)
    m = m.reindex(columns=MEANS_COLUMNS)
    m["p_holm"] = adjust_pvalues(m["p_vs_rest"], method="holm")
    m["p_fdr_bh"] = adjust_pvalues(m["p_vs_rest"], method="fdr_bh")
    m = m.astype({"n": "Int64", "n_rest": "Int64", "suppressed": bool, "category_order": "int64"})
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
    p = pd.concat(pairs, ignore_index=True) if pairs else pd.DataFrame(columns=PAIRWISE_COLUMNS)
    p = p.reindex(columns=PAIRWISE_COLUMNS)
    p["p_holm"] = adjust_pvalues(p["p"], method="holm")
    p["p_fdr_bh"] = adjust_pvalues(p["p"], method="fdr_bh")
    p = p.astype({"n_a": "int64", "n_b": "int64"})
    return SubgroupResult(means=m, tests=t, pairwise=p)
