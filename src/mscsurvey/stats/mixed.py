"""The linear mixed model ``y ~ x + (1 | cluster)`` with one random intercept, fitted from per-cluster
sums (statsmodels ``MixedLM``'s likelihood and covariance), and the likelihood-ratio test of group
differences it gives.

An engine that knows nothing of codebooks (moved out of :mod:`mscsurvey.stages.subgroups`); the
subgroups stage and the regressions stage's :func:`mscsurvey.stages.regressions.mixed_model` use it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

__all__ = ["RandomInterceptFit", "fit_random_intercept", "mixed_group_test", "mixed_test_codes"]


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
    return mixed_test_codes(d[dv].to_numpy(dtype=float), group, len(cats), clusters)


def mixed_test_codes(
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
