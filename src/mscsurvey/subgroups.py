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
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pingouin as pg
from scipy import stats
from statsmodels.regression.mixed_linear_model import MixedLM
from statsmodels.stats.multitest import multipletests

from mscsurvey.codebook import Codebook
from mscsurvey.errors import SurveyError

__all__ = [
    "MEANS_COLUMNS",
    "TESTS_COLUMNS",
    "PAIRWISE_COLUMNS",
    "SubgroupResult",
    "excluded_constructs",
    "mean_ci",
    "group_means",
    "hedges_g",
    "vs_rest",
    "omnibus_tests",
    "games_howell",
    "fit_random_intercept",
    "mixed_group_test",
    "adjust_pvalues",
    "subgroup_analysis",
]

log = logging.getLogger(__name__)

MEANS_COLUMNS = [
    "construct",
    "group",
    "category",
    "category_order",
    "level",
    "mean",
    "sd",
    "ci_low",
    "ci_high",
    "n",
    "suppressed",
    "note",
    "mean_rest",
    "n_rest",
    "diff_vs_rest",
    "hedges_g",
    "g_ci_low",
    "g_ci_high",
    "p_vs_rest",
    "p_holm",
    "p_fdr_bh",
    "ci_level",
]
TESTS_COLUMNS = [
    "construct",
    "group",
    "level",
    "included",
    "welch_f",
    "welch_df1",
    "welch_df2",
    "welch_p",
    "kruskal_h",
    "kruskal_df",
    "kruskal_p",
    "omega2",
    "eta2",
    "mixed_lr",
    "mixed_df",
    "mixed_p",
    "icc",
    "welch_p_holm",
    "welch_p_fdr_bh",
    "kruskal_p_holm",
    "kruskal_p_fdr_bh",
    "mixed_p_holm",
    "mixed_p_fdr_bh",
    "n",
    "n_clusters",
    "effective_n",
    "n_groups_reported",
    "n_groups_suppressed",
    "note",
]
PAIRWISE_COLUMNS = [
    "construct",
    "group",
    "level",
    "a",
    "b",
    "mean_a",
    "mean_b",
    "n_a",
    "n_b",
    "diff",
    "se",
    "t",
    "df",
    "p",
    "hedges_g",
    "p_holm",
    "p_fdr_bh",
]

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
    d = _frame(data, dv, between)
    cats = _categories(data, between, categories)
    labels = d[between].astype(str)
    rows = []
    for k, cat in enumerate(cats):
        v = d.loc[labels == cat, dv]
        if len(v) < min_n:
            rows.append(
                {
                    "category": cat,
                    "category_order": k,
                    "mean": np.nan,
                    "sd": np.nan,
                    "ci_low": np.nan,
                    "ci_high": np.nan,
                    "n": pd.NA,
                    "suppressed": True,
                    "note": f"n < {min_n}",
                }
            )
        else:
            rows.append(
                {
                    "category": cat,
                    "category_order": k,
                    **mean_ci(v, ci_level=ci_level),
                    "suppressed": False,
                    "note": "",
                }
            )
    out = pd.DataFrame(
        rows,
        columns=[
            "category",
            "category_order",
            "mean",
            "sd",
            "ci_low",
            "ci_high",
            "n",
            "suppressed",
            "note",
        ],
    )
    return out.astype({"n": "Int64", "suppressed": bool, "category_order": "int64"})


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
    labels = d[between].astype(str)
    cats = _categories(data, between, categories)
    rows = []
    for cat in cats:
        x = d.loc[labels == cat, dv].to_numpy(dtype=float)
        y = d.loc[labels != cat, dv].to_numpy(dtype=float)
        g = hedges_g(x, y, ci_level=ci_level)
        if x.size >= 2 and y.size >= 2:
            p = float(stats.ttest_ind(x, y, equal_var=False).pvalue)
        else:
            p = np.nan
        rows.append(
            {
                "category": cat,
                "mean_rest": float(y.mean()) if y.size else np.nan,
                "n_rest": int(y.size),
                "diff_vs_rest": float(x.mean() - y.mean()) if x.size and y.size else np.nan,
                "hedges_g": g["estimate"],
                "g_ci_low": g["ci_low"],
                "g_ci_high": g["ci_high"],
                "p_vs_rest": p,
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "category",
            "mean_rest",
            "n_rest",
            "diff_vs_rest",
            "hedges_g",
            "g_ci_low",
            "g_ci_high",
            "p_vs_rest",
        ],
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
    d = d.assign(**{between: d[between].astype(str)})
    groups = [g[dv].to_numpy(dtype=float) for _, g in d.groupby(between, sort=True)]
    k = len(groups)
    if k < 2:
        raise ValueError(f"omnibus tests need at least two categories of '{between}', got {k}")
    y = d[dv].to_numpy(dtype=float)
    n = y.size
    ss_t = float(((y - y.mean()) ** 2).sum())
    ss_b = float(sum(g.size * (g.mean() - y.mean()) ** 2 for g in groups))
    ms_w = (ss_t - ss_b) / (n - k) if n > k else np.nan
    w = pg.welch_anova(data=d, dv=dv, between=between)
    kw = stats.kruskal(*groups)
    return {
        "welch_f": float(w["F"].iloc[0]),
        "welch_df1": float(w["ddof1"].iloc[0]),
        "welch_df2": float(w["ddof2"].iloc[0]),
        "welch_p": float(w["p_unc"].iloc[0]),
        "kruskal_h": float(kw.statistic),
        "kruskal_df": float(k - 1),
        "kruskal_p": float(kw.pvalue),
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
    cats = [
        c for c in _categories(data, between, categories) if (d[between].astype(str) == c).any()
    ]
    d = d.assign(**{between: pd.Categorical(d[between].astype(str), categories=cats, ordered=True)})
    cols = ["a", "b", "mean_a", "mean_b", "n_a", "n_b", "diff", "se", "t", "df", "p", "hedges_g"]
    if len(cats) < 2:
        return pd.DataFrame(columns=cols)
    gh = pg.pairwise_gameshowell(data=d, dv=dv, between=between, effsize="hedges")
    counts = d[between].value_counts()
    out = pd.DataFrame(
        {
            "a": gh["A"].astype(str).to_numpy(),
            "b": gh["B"].astype(str).to_numpy(),
            "mean_a": gh["mean_A"].to_numpy(dtype=float),
            "mean_b": gh["mean_B"].to_numpy(dtype=float),
            "n_a": [int(counts[a]) for a in gh["A"]],
            "n_b": [int(counts[b]) for b in gh["B"]],
            "diff": gh["diff"].to_numpy(dtype=float),
            "se": gh["se"].to_numpy(dtype=float),
            "t": gh["T"].to_numpy(dtype=float),
            "df": gh["df"].to_numpy(dtype=float),
            "p": gh["pval"].to_numpy(dtype=float),
            "hedges_g": gh["hedges"].to_numpy(dtype=float),
        }
    )
    return out[cols]


#: Optimisers tried in turn until one converges. statsmodels 0.15's default gradient optimisers
#: (bfgs, lbfgs, cg) can stop short of the maximum -- sometimes reporting convergence -- or at the
#: boundary (variance 0) on well-behaved data; derivative-free Powell reached the maximum on every
#: construct × group of the synthetic study (checked against Nelder-Mead), so it goes first.
MIXED_OPTIMISERS: tuple[str | None, ...] = ("powell", "nm", None)


def fit_random_intercept(
    y: np.ndarray,
    x: np.ndarray,
    clusters: np.ndarray,
    *,
    reml: bool,
    cache: dict[tuple[bytes, ...], tuple[object, list[str]]] | None = None,
):
    """Fit the linear mixed model ``y ~ x + (1 | clusters)`` with statsmodels ``MixedLM``.

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
    cache : dict, optional, keyword-only
        Fits already made, keyed on the data's bytes (reused across groups of one construct).

    Returns
    -------
    (MixedLMResults, list of str)
        The fit with the highest finite log-likelihood among the optimisers of
        :data:`MIXED_OPTIMISERS` (the first that converges wins) and its problems (empty when none).

    Raises
    ------
    ValueError
        When no optimiser reaches a finite likelihood.
    """
    key = (y.tobytes(), x.tobytes(), clusters.astype(str).tobytes(), bytes([reml]))
    if cache is not None and key in cache:
        return cache[key]
    out = _fit_mixed_uncached(y, x, clusters, reml=reml)
    if cache is not None:
        cache[key] = out
    return out


def _fit_mixed_uncached(y: np.ndarray, x: np.ndarray, clusters: np.ndarray, *, reml: bool):
    best = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for method in MIXED_OPTIMISERS:
            kwargs = {} if method is None else {"method": method}
            try:
                res = MixedLM(y, x, groups=clusters).fit(reml=reml, **kwargs)
            except (np.linalg.LinAlgError, ValueError) as exc:
                log.debug("MixedLM (%s) failed: %s", method or "default", exc)
                continue
            if not np.isfinite(res.llf):
                continue
            if best is None or res.llf > best.llf:
                best = res
            if res.converged:
                break
    for w in caught:
        log.debug("MixedLM: %s", str(w.message).split("\n")[0])
    if best is None:
        raise ValueError("no optimiser reached a finite likelihood")
    return best, ([] if best.converged else ["the mixed model did not converge"])


def mixed_group_test(
    data: pd.DataFrame,
    *,
    dv: str,
    between: str,
    cluster: str,
    _cache: dict[tuple[bytes, ...], tuple[object, list[str]]] | None = None,
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
    statsmodels ``MixedLM``. The LR test compares ML fits (REML likelihoods of models with different
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
    labels = d[between].astype(str)
    cats = list(dict.fromkeys(sorted(labels.unique())))
    y = d[dv].to_numpy(dtype=float)
    clusters = d[cluster].astype(str).to_numpy()
    n_clusters = int(pd.unique(clusters).size)
    out: dict[str, float | str] = {
        "mixed_lr": np.nan,
        "mixed_df": float(len(cats) - 1),
        "mixed_p": np.nan,
        "icc": np.nan,
        "n_clusters": n_clusters,
        "mixed_note": "",
    }
    if n_clusters < 2 or len(cats) < 2:
        out["mixed_note"] = "fewer than two clusters or categories: no mixed model"
        return out
    ones = np.ones((y.size, 1))
    dummies = np.column_stack([(labels == c).to_numpy(dtype=float) for c in cats[1:]])
    x = np.column_stack([ones, dummies])
    notes: list[str] = []
    try:
        null_reml, w1 = fit_random_intercept(y, ones, clusters, reml=True, cache=_cache)
        tau2 = float(np.asarray(null_reml.cov_re)[0, 0])
        out["icc"] = tau2 / (tau2 + float(null_reml.scale))
        null_ml, w2 = fit_random_intercept(y, ones, clusters, reml=False, cache=_cache)
        full_ml, w3 = fit_random_intercept(y, x, clusters, reml=False)
        lr = max(0.0, 2 * (float(full_ml.llf) - float(null_ml.llf)))
        out["mixed_lr"] = lr
        out["mixed_p"] = float(stats.chi2.sf(lr, len(cats) - 1))
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
    _check_level(ci_level)
    if min_group_n < 1:
        raise ValueError(f"min_group_n must be at least 1, got {min_group_n!r}")
    excluded = excluded_constructs(reliability)
    constructs = [c for c in codebook.constructs if c not in excluded]
    _check_scores(scores, codebook, constructs)
    cluster = codebook.cluster
    means, tests, pairs = [], [], []
    null_fits: dict[tuple[bytes, ...], tuple[object, list[str]]] = {}
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
            cols = [cid, gid] + ([cluster] if cluster else [])
            d = scores[cols].dropna(subset=[cid, gid])
            d = d.assign(**{gid: d[gid].astype(str)})
            cats = list(grp.categories)
            gm = group_means(
                d, dv=cid, between=gid, categories=cats, min_n=min_group_n, ci_level=ci_level
            )
            reported = gm.loc[~gm["suppressed"], "category"].tolist()
            kept = d[d[gid].isin(reported)]
            n_clusters = int(kept[cluster].nunique()) if cluster else np.nan
            notes = []
            if grp.level == "cluster":
                notes.append(CLUSTER_NOTE.format(n_clusters=n_clusters))
            row: dict[str, object] = {
                "construct": cid,
                "group": gid,
                "level": grp.level,
                "included": True,
                "n": int(len(kept)),
                "n_clusters": n_clusters,
                "effective_n": n_clusters if grp.level == "cluster" else int(len(kept)),
                "n_groups_reported": len(reported),
                "n_groups_suppressed": len(cats) - len(reported),
            }
            if len(reported) >= 2:
                vr = vs_rest(kept, dv=cid, between=gid, categories=reported, ci_level=ci_level)
                gm = gm.merge(vr, on="category", how="left")
                om = omnibus_tests(kept, dv=cid, between=gid)
                row.update({k: v for k, v in om.items() if k not in ("n", "k")})
                gh = games_howell(kept, dv=cid, between=gid, categories=reported)
                gh.insert(0, "level", grp.level)
                gh.insert(0, "group", gid)
                gh.insert(0, "construct", cid)
                pairs.append(gh)
                if cluster:
                    mx = mixed_group_test(
                        kept, dv=cid, between=gid, cluster=cluster, _cache=null_fits
                    )
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
