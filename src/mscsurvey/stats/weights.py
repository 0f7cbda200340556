"""Survey weights and design-based estimation (Taylor linearisation), as R's ``survey`` package.

Weights: post-stratification and raking (iterative proportional fitting) of base weights to population
margins, trimming by a stated rule (cap at ``cap`` × the median weight, then re-rake, repeated until no
weight exceeds the cap or ``max_rounds`` is reached), and Kish's design effect due to unequal weights,
``n Σw² / (Σw)²``.

Estimation: weighted means and proportions, a proportion's logit interval and linear regression, each
with a variance by Taylor linearisation for a stratified, clustered (one-stage) design with optional
finite-population correction, as ``survey::svymean``, ``svyciprop(method = "logit")`` and ``svyglm``
(survey 4.1). Calibrated designs (post-stratified or raked) have their influence values replaced by
their residuals within the post-strata (``survey:::svyrecvar``), which is what makes the SE of a
post-stratified mean smaller than the unweighted-design one when the strata explain the outcome.

Conventions (R's): a confidence interval uses a t quantile on the design's degrees of freedom,
``degf`` = number of PSUs − number of strata (``svyciprop``, ``confint.svyglm``); the fpc is the
population number of PSUs per stratum (``fpc=~fpc`` in ``svydesign``); the variance within a stratum of
n PSUs is ``(1 − n/N) n/(n−1) Σ (z_j − z̄)²`` over its PSU totals ``z_j``; a stratum with one PSU
contributes 0 (R's ``survey.lonely.psu = "fail"`` would stop; we stay defined and say so in Methods).

Why written here rather than imported: ``samplics`` 0.6 is archived (its import warns it is no longer
maintained) and its fpc arguments would not take R's per-stratum population counts; ``svy`` brings a
Rust extension, polars and msgspec into the lock file for what is, here, a few lines of linear algebra.
Every estimator below is checked against ``survey`` on its own example data in ``tests/test_weights.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "SurveyDesign",
    "Estimate",
    "design_df",
    "design_variance",
    "svy_mean",
    "svy_proportion",
    "svy_ols",
    "poststratify",
    "rake",
    "rake_design",
    "poststratify_design",
    "trim_weights",
    "trim_and_rake",
    "kish_deff",
]


@dataclass(frozen=True)
class SurveyDesign:
    """A one-stage (stratified, clustered) design with weights.

    Parameters
    ----------
    weights : numpy.ndarray
        Analysis weights (after any calibration), one per row.
    strata : numpy.ndarray, optional
        Stratum label per row (one stratum when None).
    psu : numpy.ndarray, optional
        Primary sampling unit (cluster) per row (each row its own PSU when None).
    fpc : numpy.ndarray, optional
        Population number of PSUs in the row's stratum (no finite-population correction when None).
    calibration : tuple of tuple of (labels, weights) pairs
        The post-strata the weights were calibrated to: one tuple per calibration, holding one
        ``(labels, weights after it)`` pair (post-stratification, see :func:`poststratify_design`)
        or one per margin (raking, see :func:`rake_design`).
    """

    weights: np.ndarray
    strata: np.ndarray | None = None
    psu: np.ndarray | None = None
    fpc: np.ndarray | None = None
    calibration: tuple[tuple[tuple[np.ndarray, np.ndarray], ...], ...] = field(default=())

    def __post_init__(self) -> None:
        n = len(self.weights)
        for name in ("strata", "psu", "fpc"):
            v = getattr(self, name)
            if v is not None and len(v) != n:
                raise ValueError(f"{name} has {len(v)} rows, weights {n}")


@dataclass(frozen=True)
class Estimate:
    """A design-based estimate with its SE, design df and 95% (or ``level``) interval."""

    estimate: float
    se: float
    df: float
    ci_low: float
    ci_high: float


def _codes(labels: np.ndarray) -> np.ndarray:
    return pd.factorize(pd.Series(labels), sort=True)[0]


def design_df(design: SurveyDesign) -> float:
    """Design degrees of freedom as ``survey::degf``: number of PSUs − number of strata."""
    n = len(design.weights)
    psu = _codes(design.psu) if design.psu is not None else np.arange(n)
    strata = _codes(design.strata) if design.strata is not None else np.zeros(n, int)
    n_psu = len(set(zip(strata.tolist(), psu.tolist(), strict=True)))
    return float(n_psu - len(np.unique(strata)))


def _calibration_residuals(z: np.ndarray, design: SurveyDesign) -> np.ndarray:
    # survey:::svyrecvar (4.1): a post-stratification replaces x by x - psw * (mean of x / psw within
    # the post-stratum, weighted by the weights before it); raking cycles 10 times over its margins,
    # each with the weights it left, subtracting psw * (unweighted mean of x / psw within the margin).
    for margins in design.calibration:
        if len(margins) == 1:
            labels, psw = margins[0]
            c, psw = _codes(labels), np.asarray(psw, float)[:, None]
            num = np.zeros((c.max() + 1, z.shape[1]))
            np.add.at(num, c, z)  # (x / psw) weighted by psw; oldw is proportional to psw in a cell
            den = np.bincount(c, weights=psw[:, 0])[:, None]
            # a cell of zero-weight rows (outside the calibration) has nothing to remove
            means = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
            z = z - means[c] * psw
            continue
        coded = [(_codes(lab), np.asarray(psw, float)[:, None]) for lab, psw in margins]
        for _ in range(10):
            for c, psw in coded:
                sums = np.zeros((c.max() + 1, z.shape[1]))
                np.add.at(sums, c, np.divide(z, psw, out=np.zeros_like(z), where=psw > 0))
                z = z - (sums / np.bincount(c)[:, None])[c] * psw
    return z


def design_variance(scores: np.ndarray, design: SurveyDesign) -> np.ndarray:
    """Linearisation variance of the total of ``scores`` (rows' weighted influence values).

    Parameters
    ----------
    scores : numpy.ndarray, shape (n,) or (n, k)
        Each row's contribution to the estimating equation, weights included.
    design : SurveyDesign
        The design.

    Returns
    -------
    numpy.ndarray, shape (k, k)
        The variance–covariance matrix.
    """
    z = np.asarray(scores, float).reshape(len(design.weights), -1)
    z = _calibration_residuals(z, design)
    n = z.shape[0]
    strata = _codes(design.strata) if design.strata is not None else np.zeros(n, int)
    psu = _codes(design.psu) if design.psu is not None else np.arange(n)
    fpc = np.asarray(design.fpc, float) if design.fpc is not None else None
    v = np.zeros((z.shape[1], z.shape[1]))
    for h in np.unique(strata):
        rows = strata == h
        ids, inv = np.unique(psu[rows], return_inverse=True)
        totals = np.zeros((len(ids), z.shape[1]))
        np.add.at(totals, inv, z[rows])
        n_h = len(ids)
        if n_h < 2:
            continue
        f = 1.0 - n_h / fpc[rows][0] if fpc is not None else 1.0
        dev = totals - totals.mean(axis=0)
        v += f * n_h / (n_h - 1) * dev.T @ dev
    return v


def _interval(est: float, se: float, df: float, level: float) -> tuple[float, float]:
    q = stats.t.ppf(0.5 + level / 2, df) if np.isfinite(df) and df > 0 else np.nan
    return est - q * se, est + q * se


def svy_mean(y: np.ndarray, design: SurveyDesign, *, level: float = 0.95) -> Estimate:
    """Weighted mean with its linearisation SE, as ``svymean(~y, design, na.rm = TRUE)``.

    Missing values are a domain: their rows keep their place in the design but contribute nothing.
    """
    y = np.asarray(y, float)
    ok = ~np.isnan(y)
    w = np.where(ok, np.asarray(design.weights, float), 0.0)
    total = w.sum()
    mean = float(np.sum(w[ok] * y[ok]) / total)
    z = np.where(ok, w * (np.nan_to_num(y) - mean) / total, 0.0)
    se = float(np.sqrt(design_variance(z, design)[0, 0]))
    df = design_df(design)
    return Estimate(mean, se, df, *_interval(mean, se, df, level))


def svy_proportion(y: np.ndarray, design: SurveyDesign, *, level: float = 0.95) -> Estimate:
    """Weighted proportion of ``y == 1`` with a logit interval, as ``svyciprop(method = "logit")``.

    The interval is ``expit(logit(p) ± t_{degf} se_logit)``, where ``se_logit = se(p) / (p (1 − p))``
    is the SE of the intercept of the design-based quasi-binomial fit (the same sandwich).
    """
    est = svy_mean(y, design, level=level)
    p, se = est.estimate, est.se
    if not 0 < p < 1:
        return Estimate(p, se, est.df, np.nan, np.nan)
    lo, hi = _interval(np.log(p / (1 - p)), se / (p * (1 - p)), est.df, level)
    return Estimate(p, se, est.df, float(1 / (1 + np.exp(-lo))), float(1 / (1 + np.exp(-hi))))


def svy_ols(
    x: np.ndarray, y: np.ndarray, design: SurveyDesign, *, level: float = 0.95
) -> pd.DataFrame:
    """Design-based linear regression, as ``svyglm(y ~ x, design)`` (gaussian).

    Parameters
    ----------
    x : numpy.ndarray, shape (n, p)
        Design matrix (include the intercept column yourself). Rows with any missing ``x`` or ``y``
        are a domain (kept in the design with zero weight), as ``svyglm`` on a subset.
    y : numpy.ndarray
        Outcome.
    design : SurveyDesign
        The design.

    Returns
    -------
    pandas.DataFrame
        ``estimate``, ``se``, ``df`` (design df), ``ci_low``, ``ci_high`` per column of ``x``.
    """
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    ok = ~(np.isnan(y) | np.isnan(x).any(axis=1))
    w = np.where(ok, np.asarray(design.weights, float), 0.0)
    xo, yo = np.nan_to_num(x), np.nan_to_num(y)
    xtwx = xo.T @ (w[:, None] * xo)
    beta = np.linalg.solve(xtwx, xo.T @ (w * yo))
    resid = np.where(ok, yo - xo @ beta, 0.0)
    inv = np.linalg.inv(xtwx)
    v = inv @ design_variance(xo * (w * resid)[:, None], design) @ inv
    se = np.sqrt(np.diag(v))
    df = design_df(design)
    lo, hi = _interval(beta, se, df, level)
    return pd.DataFrame({"estimate": beta, "se": se, "df": df, "ci_low": lo, "ci_high": hi})


def poststratify(
    weights: np.ndarray, cells: np.ndarray, totals: Mapping[object, float]
) -> np.ndarray:
    """Scale weights so each cell's weighted count equals its population total.

    Raises
    ------
    ValueError
        If a sample cell has no population total, or a population cell has no respondent.
    """
    w = np.asarray(weights, float)
    cells = pd.Series(np.asarray(cells, dtype=object))
    sums = pd.Series(w).groupby(cells).sum()
    missing = sorted(set(sums.index) - set(totals), key=str)
    if missing:
        raise ValueError(f"no population total for cell(s) {missing}")
    empty = sorted((k for k in totals if k not in sums.index or sums[k] <= 0), key=str)
    if empty:
        raise ValueError(f"no respondent in population cell(s) {empty}")
    factor = cells.map({k: totals[k] / sums[k] for k in sums.index}).to_numpy(float)
    return w * factor


Margins = Mapping[str, tuple[np.ndarray, Mapping[object, float]]]


def _rake(weights: np.ndarray, margins: Margins, epsilon: float, max_iter: int):
    w = np.asarray(weights, float).copy()
    labels = [pd.Series(np.asarray(lab, dtype=object)) for lab, _ in margins.values()]
    after: list[np.ndarray] = []
    old = pd.Series(w).groupby(labels).sum().to_numpy()
    for _ in range(max_iter):
        after = []
        for lab, totals in margins.values():
            w = poststratify(w, lab, totals)
            after.append(w)
        new = pd.Series(w).groupby(labels).sum().to_numpy()
        if np.max(np.abs(new - old)) < epsilon:
            break
        old = new
    return w, after


def rake(
    weights: np.ndarray, margins: Margins, *, epsilon: float = 1.0, max_iter: int = 10
) -> np.ndarray:
    """Rake weights to several population margins by iterative proportional fitting (``survey::rake``).

    Parameters
    ----------
    weights : numpy.ndarray
        Base weights.
    margins : mapping
        ``name -> (labels per row, {label: population total})``; totals of all margins should agree.
    epsilon, max_iter : float, int
        R's rule and defaults: one cycle post-stratifies on each margin in turn; stop when no cell of
        the cross-classification of the margins changes its weighted count by ``epsilon`` or more
        (R: ``control = list(epsilon = 1, maxit = 10)``), or after ``max_iter`` cycles. The last margin
        then holds exactly, the others within about ``epsilon``; pass a small ``epsilon`` to converge.

    Returns
    -------
    numpy.ndarray
        The raked weights.
    """
    return _rake(weights, margins, epsilon, max_iter)[0]


def rake_design(
    weights: np.ndarray,
    margins: Margins,
    *,
    strata: np.ndarray | None = None,
    psu: np.ndarray | None = None,
    fpc: np.ndarray | None = None,
    epsilon: float = 1.0,
    max_iter: int = 10,
) -> SurveyDesign:
    """Rake (:func:`rake`) and return the design whose variances account for the raking."""
    w, after = _rake(weights, margins, epsilon, max_iter)
    cal = tuple((np.asarray(lab), a) for (lab, _), a in zip(margins.values(), after, strict=True))
    return SurveyDesign(w, strata=strata, psu=psu, fpc=fpc, calibration=(cal,))


def poststratify_design(
    weights: np.ndarray,
    cells: np.ndarray,
    totals: Mapping[object, float],
    *,
    strata: np.ndarray | None = None,
    psu: np.ndarray | None = None,
    fpc: np.ndarray | None = None,
) -> SurveyDesign:
    """Post-stratify (:func:`poststratify`) and return the design that accounts for it."""
    w = poststratify(weights, cells, totals)
    cal = ((np.asarray(cells), w),)
    return SurveyDesign(w, strata=strata, psu=psu, fpc=fpc, calibration=(cal,))


def trim_weights(weights: np.ndarray, cap: float = 5.0) -> tuple[np.ndarray, int]:
    """Cap weights at ``cap`` × their median; return the capped weights and how many were capped."""
    w = np.asarray(weights, float)
    limit = cap * float(np.median(w))
    return np.minimum(w, limit), int(np.sum(w > limit * (1 + 1e-12)))


def trim_and_rake(
    weights: np.ndarray,
    margins: Margins,
    *,
    cap: float = 5.0,
    epsilon: float = 1e-6,
    max_rounds: int = 20,
) -> tuple[np.ndarray, int]:
    """Rake, cap at ``cap`` × median, re-rake; repeat until no weight exceeds the cap.

    Returns the final weights and the number of weights capped in the first round. After
    ``max_rounds`` the margins hold exactly and a few weights may stay above the cap.
    """
    w = (
        rake(weights, margins, epsilon=epsilon, max_iter=1000)
        if margins
        else np.asarray(weights, float)
    )
    first = None
    for _ in range(max_rounds):
        w, n_capped = trim_weights(w, cap)
        first = n_capped if first is None else first
        if n_capped == 0:
            break
        w = rake(w, margins, epsilon=epsilon, max_iter=1000) if margins else w
    return w, int(first or 0)


def kish_deff(weights: Sequence[float] | np.ndarray) -> float:
    """Kish's design effect due to unequal weighting: ``n Σw² / (Σw)²`` (1 for equal weights)."""
    w = np.asarray(weights, float)
    return float(len(w) * np.sum(w**2) / np.sum(w) ** 2)
