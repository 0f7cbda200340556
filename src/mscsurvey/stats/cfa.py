"""Confirmatory factor analysis of several constructs at once: each item loads on its own construct's
factor, factors correlate freely, residuals are uncorrelated (an independent-clusters model).

Two ways to handle missing answers (the ``method`` column of both output tables):

``"fiml"`` (default)
    full-information maximum likelihood under multivariate normality: every respondent contributes the
    likelihood of the items they answered (the estimator of lavaan's ``missing = "ml"``). Consistent
    when answers are missing at random, uses every answer. Fitted with this module's own numpy/scipy
    code, because semopy 2.3.11's FIML (``ModelMeans``) took 56 minutes on the 575 x 36 synthetic study
    and returned a degenerate solution (standard errors of 1e9 on one factor; LAPACK ``DPOTRI``
    errors). On complete data this estimator is ordinary ML and agrees with semopy and lavaan.
``"listwise"``
    ML on the respondents who answered every item, fitted with semopy (``semopy.Model``, objective
    ``MLW``): lavaan's default ``missing = "listwise"``. Used for the reference data; on the survey it
    keeps only respondents shown every block.

Constructs with fewer than three items (the rule is applied in :func:`cfa_model`, and written in the
``note`` column):

* 3 or more usable items: a factor, its first item the marker (loading fixed to 1, lavaan's default).
* 2 items: a factor only when the model has at least one other factor; it is then identified through
  its covariance with the other factors (the two-indicator rule: Kenny 1979; Bollen 1989, p. 244), and
  its loadings are less stable than those of 3+ item factors. Alone, it is left out.
* 1 item: left out (a single indicator has no measurement model unless its reliability is assumed).

An item is left out before this rule when it has fewer than 3 answers or no variance.

Fit indices follow lavaan 0.6 from the chi-square, df and N: RMSEA ``sqrt(max(chi2 - df, 0) / (df N))``
with N (semopy divides by N - 1), its 90% CI from the noncentral chi-square, CFI and TLI against the
independence model with free means and variances, SRMR as lavaan's ``srmr`` (Bentler's, with the mean
residuals when the model has a mean structure, i.e. under FIML).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats

__all__ = [
    "CFAModel",
    "CFAResult",
    "cfa_model",
    "fit_cfa",
    "rmsea",
    "rmsea_ci",
    "cfi",
    "tli",
    "srmr",
    "saturated_moments",
]

Method = Literal["fiml", "listwise"]
Information = Literal["observed", "expected"]

_NOTE_TWO = (
    "2-item factor: identified through its covariances with the other factors "
    "(two-indicator rule); loadings less stable than with 3+ items"
)


# ----------------------------------------------------------------------------------------------------
# Fit indices from chi-square, df and N (lavaan 0.6 conventions)
# ----------------------------------------------------------------------------------------------------


def rmsea(chi2: float, df: int, n: int) -> float:
    """Root mean square error of approximation, ``sqrt(max(chi2 - df, 0) / (df * n))``.

    Notes
    -----
    Agrees with lavaan 0.6-14 ``fitMeasures(fit, "rmsea")``, which divides by N; semopy's
    ``calc_stats`` divides by N - 1 (0.092275 vs lavaan's 0.092121 on Holzinger-Swineford).
    """
    if df <= 0 or n <= 0:
        return float("nan")
    return math.sqrt(max(chi2 - df, 0.0) / (df * n))


def rmsea_ci(chi2: float, df: int, n: int, *, level: float = 0.90) -> tuple[float, float]:
    """Confidence interval of the RMSEA from the noncentral chi-square distribution.

    The bounds are ``sqrt(lambda / (df * n))`` where the noncentrality ``lambda`` puts ``chi2`` at the
    ``(1 + level)/2`` (lower bound) and ``(1 - level)/2`` (upper bound) quantile; 0 when no such
    ``lambda >= 0`` exists.

    Notes
    -----
    Agrees with lavaan 0.6-14 ``rmsea.ci.lower`` / ``rmsea.ci.upper`` (90% by default).
    """
    if df <= 0 or n <= 0 or not math.isfinite(chi2):
        return float("nan"), float("nan")

    def solve(p: float) -> float:
        def f(lam: float) -> float:
            return (
                float(stats.ncx2.cdf(chi2, df, lam)) - p
                if lam > 0
                else stats.chi2.cdf(chi2, df) - p
            )

        if f(0.0) < 0:  # even lambda = 0 puts chi2 below the quantile
            return 0.0
        hi = max(chi2, 1.0)
        while f(hi) > 0:
            hi *= 2.0
        return optimize.brentq(f, 0.0, hi, xtol=1e-12, rtol=1e-14, maxiter=500)

    low = solve((1.0 + level) / 2.0)
    high = solve((1.0 - level) / 2.0)
    return math.sqrt(low / (df * n)), math.sqrt(high / (df * n))


def cfi(chi2: float, df: int, chi2_base: float, df_base: int) -> float:
    """Comparative fit index, ``1 - max(chi2 - df, 0) / max(chi2 - df, chi2_base - df_base, 0)``.

    Notes
    -----
    Agrees with lavaan 0.6-14 ``cfi``.
    """
    t1 = max(chi2 - df, 0.0)
    t2 = max(chi2 - df, chi2_base - df_base, 0.0)
    return 1.0 if t2 == 0 else 1.0 - t1 / t2


def tli(chi2: float, df: int, chi2_base: float, df_base: int) -> float:
    """Tucker-Lewis index, ``(chi2_base/df_base - chi2/df) / (chi2_base/df_base - 1)``.

    Notes
    -----
    Agrees with lavaan 0.6-14 ``tli``.
    """
    if df <= 0 or df_base <= 0:
        return float("nan")
    return (chi2_base / df_base - chi2 / df) / (chi2_base / df_base - 1.0)


def srmr(
    sample_cov: np.ndarray,
    model_cov: np.ndarray,
    *,
    sample_mean: np.ndarray | None = None,
    model_mean: np.ndarray | None = None,
) -> float:
    """Standardised root mean square residual (Bentler's).

    ``sqrt(mean(r^2))`` over the lower triangle with the diagonal of
    ``r_ij = (s_ij - sigma_ij) / sqrt(s_ii s_jj)``, plus ``(m_i - mu_i) / sqrt(s_ii)`` per item when
    means are given.

    Notes
    -----
    Agrees with lavaan 0.6-14 ``srmr`` (= ``srmr_bentler``): without means for complete-data ML, with
    them when the model has a mean structure (``missing = "ml"``), where ``sample_*`` are the
    unrestricted (EM) estimates.
    """
    s = np.asarray(sample_cov, dtype=float)
    sd = np.sqrt(np.diag(s))
    r = (s - np.asarray(model_cov, dtype=float)) / np.outer(sd, sd)
    res = list(r[np.tril_indices_from(r)])
    if sample_mean is not None and model_mean is not None:
        res += list((np.asarray(sample_mean) - np.asarray(model_mean)) / sd)
    res_a = np.asarray(res)
    return float(np.sqrt(np.mean(res_a**2)))


# ----------------------------------------------------------------------------------------------------
# The model
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CFAModel:
    """Which factors and items enter the CFA, and why others do not.

    Attributes
    ----------
    factors
        factor name -> its items (the first is the marker), only those that enter.
    notes
        item -> why it is left out or what to know about its factor.
    construct_of
        every item asked for -> its construct.
    """

    factors: dict[str, tuple[str, ...]]
    notes: dict[str, str]
    construct_of: dict[str, str]

    @property
    def items(self) -> list[str]:
        return [i for its in self.factors.values() for i in its]

    def description(self) -> str:
        """The model in lavaan/semopy syntax."""
        return "\n".join(f"{f} =~ " + " + ".join(its) for f, its in self.factors.items())


def cfa_model(
    constructs: Mapping[str, Sequence[str]], data: pd.DataFrame | None = None
) -> CFAModel:
    """Apply the inclusion rules to ``constructs`` (name -> items).

    Parameters
    ----------
    constructs
        construct -> its items, in order (the first included item becomes the marker).
    data
        when given, items with fewer than 3 answers or no variance are left out first.

    Returns
    -------
    CFAModel

    Raises
    ------
    ValueError
        ``constructs`` is empty, an item is listed twice, or an item is not a column of ``data``.

    Notes
    -----
    A factor needs 3 items, or 2 when at least one other factor is in the model (two-indicator rule,
    Bollen 1989); a 1-item construct is left out. See the module docstring.
    """
    if not constructs:
        raise ValueError("constructs must name at least one construct with its items")
    owner: dict[str, str] = {}
    for c, its in constructs.items():
        for i in its:
            if i in owner:
                raise ValueError(f"constructs lists item {i!r} twice ({owner[i]!r} and {c!r})")
            owner[i] = c
            if data is not None and i not in data.columns:
                raise ValueError(f"constructs names item {i!r}, which is not a column of data")
    notes: dict[str, str] = {}
    usable: dict[str, list[str]] = {}
    for c, its in constructs.items():
        keep = []
        for i in its:
            if data is not None:
                v = pd.to_numeric(data[i], errors="coerce").astype("Float64")
                v = v.to_numpy(dtype="float64", na_value=np.nan)
                v = v[np.isfinite(v)]
                if v.size < 3:
                    notes[i] = f"left out: {v.size} answer(s) (need 3)"
                    continue
                if np.ptp(v) == 0:
                    notes[i] = "left out: no variance (every answer the same)"
                    continue
            keep.append(i)
        usable[c] = keep
    multi = [c for c, its in usable.items() if len(its) >= 3]
    factors: dict[str, tuple[str, ...]] = {}
    for c, its in usable.items():
        if len(its) >= 3:
            factors[c] = tuple(its)
        elif len(its) == 2:
            others = [o for o, oi in usable.items() if o != c and len(oi) >= 2]
            if multi or others:
                factors[c] = tuple(its)
                for i in its:
                    notes.setdefault(i, _NOTE_TWO)
            else:
                for i in its:
                    notes.setdefault(
                        i,
                        "left out: a 2-item factor alone is not identified (needs another factor)",
                    )
        elif len(its) == 1:
            notes.setdefault(its[0], "left out: single-item construct (no measurement model)")
    # a 2-item factor identified only by another 2-item factor is still identified (2 factors,
    # 4 indicators, one covariance) provided the covariance is not zero; keep it, the note says why.
    return CFAModel(factors=factors, notes=notes, construct_of=owner)


# ----------------------------------------------------------------------------------------------------
# Estimation engine (ML / FIML)
# ----------------------------------------------------------------------------------------------------


@dataclass
class _Group:
    """Missing-data patterns with the same number of observed items, stacked for batched algebra."""

    obs: np.ndarray  # patterns x k: indices of the observed items
    mis: np.ndarray  # patterns x (p - k): indices of the missing items
    n: np.ndarray  # patterns: respondents with the pattern
    mean: np.ndarray  # patterns x k: their mean on the observed items
    scatter: np.ndarray  # patterns x k x k: sum of (x - mean)(x - mean)'
    p: int = 0  # items in all

    @property
    def flat(self) -> np.ndarray:
        """patterns x k x k positions of the observed block in a flattened p x p matrix."""
        return self.obs[:, :, None] * self.p + self.obs[:, None, :]


def _patterns(x: np.ndarray) -> list[_Group]:
    """Group the rows of ``x`` by missing-data pattern; rows with nothing observed are dropped."""
    obs = np.isfinite(x)
    packed = np.packbits(obs, axis=1)  # one byte per 8 items: a compact, sortable pattern key
    packed = np.ascontiguousarray(packed).view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, first, inverse = np.unique(packed, return_index=True, return_inverse=True)
    keys = obs[first]
    inverse = np.asarray(inverse).ravel()
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(len(keys) + 1))
    by_k: dict[int, list[tuple]] = {}
    p = x.shape[1]
    for g, key in enumerate(keys):
        k = int(key.sum())
        if k == 0:
            continue
        rows = x[order[bounds[g] : bounds[g + 1]]][:, key]
        m = rows.mean(axis=0)
        d = rows - m
        by_k.setdefault(k, []).append(
            (
                np.flatnonzero(key),
                np.setdiff1d(np.arange(p), np.flatnonzero(key)),
                rows.shape[0],
                m,
                d.T @ d,
            )
        )
    out = []
    for k in sorted(by_k):
        o, mi, n, m, w = zip(*by_k[k], strict=True)
        out.append(
            _Group(
                np.stack(o),
                np.stack(mi).astype(int).reshape(len(o), p - k),
                np.asarray(n, dtype=float),
                np.stack(m),
                np.stack(w),
                p,
            )
        )
    return out


def _complete_group(n: int, mean: np.ndarray, cov_ml: np.ndarray) -> list[_Group]:
    """One complete-data pattern with the given mean and ML covariance (for two-stage starts)."""
    p = mean.size
    return [
        _Group(
            np.arange(p)[None, :],
            np.zeros((1, 0), dtype=int),
            np.array([float(n)]),
            mean[None, :],
            (cov_ml * n)[None, :, :],
            p,
        )
    ]


def _sub(mat: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Stack of sub-matrices ``mat[rows[g]][:, cols[g]]``."""
    return mat[rows[:, :, None], cols[:, None, :]]


def _fiml(
    sigma: np.ndarray, mu: np.ndarray, groups: list[_Group], *, grad: bool
) -> tuple[float, np.ndarray, np.ndarray]:
    """-2 log L (without the 2 pi constant) of (mu, sigma), and its gradient with respect to sigma
    (as a full symmetric matrix G with dF = tr(G dSigma)) and mu."""
    p = mu.size
    f = 0.0
    g_sig = np.zeros(p * p)
    g_mu = np.zeros(p)
    flat_sigma = sigma.ravel()
    for grp in groups:
        flat = grp.flat
        s = flat_sigma[flat]
        try:
            chol = np.linalg.cholesky(s)
        except np.linalg.LinAlgError:
            return np.inf, g_sig.reshape(p, p), g_mu
        s_inv = np.linalg.inv(s)
        d = grp.mean - mu[grp.obs]
        c = grp.scatter + grp.n[:, None, None] * d[:, :, None] * d[:, None, :]
        logdet = 2.0 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
        f += float(grp.n @ logdet) + float(np.sum(s_inv * c))
        if grad:
            gp = grp.n[:, None, None] * s_inv - s_inv @ c @ s_inv
            g_sig += np.bincount(flat.ravel(), weights=gp.ravel(), minlength=p * p)
            gm = -2.0 * grp.n[:, None] * np.einsum("gij,gj->gi", s_inv, d)
            g_mu += np.bincount(grp.obs.ravel(), weights=gm.ravel(), minlength=p)
    g = g_sig.reshape(p, p)
    return f, (g + g.T) / 2.0, g_mu


@dataclass
class _Layout:
    p: int
    m: int
    free_loadings: list[tuple[int, int]]  # (item, factor)
    markers: list[tuple[int, int]]
    phi_index: list[tuple[int, int]]  # lower triangle (a >= b)

    @property
    def n_loadings(self) -> int:
        return len(self.free_loadings)

    @property
    def n_cov_params(self) -> int:
        return self.n_loadings + len(self.phi_index) + self.p

    @property
    def n_params(self) -> int:
        return self.n_cov_params + self.p

    def unpack(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        lam = np.zeros((self.p, self.m))
        for j, f in self.markers:
            lam[j, f] = 1.0
        k = self.n_loadings
        for (j, f), val in zip(self.free_loadings, v[:k], strict=True):
            lam[j, f] = val
        phi = np.zeros((self.m, self.m))
        for (a, b), val in zip(self.phi_index, v[k : k + len(self.phi_index)], strict=True):
            phi[a, b] = phi[b, a] = val
        k += len(self.phi_index)
        theta = v[k : k + self.p]
        mu = v[k + self.p :]
        return lam, phi, theta, mu

    def pack(self, lam, phi, theta, mu) -> np.ndarray:
        return np.concatenate(
            [
                [lam[j, f] for j, f in self.free_loadings],
                [phi[a, b] for a, b in self.phi_index],
                theta,
                mu,
            ]
        )


def _layout(model: CFAModel) -> _Layout:
    items = model.items
    free, markers = [], []
    for f, its in enumerate(model.factors.values()):
        for pos, i in enumerate(its):
            (markers if pos == 0 else free).append((items.index(i), f))
    m = len(model.factors)
    phi_index = [(a, b) for a in range(m) for b in range(a + 1)]
    return _Layout(len(items), m, free, markers, phi_index)


def _sigma(lay: _Layout, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lam, phi, theta, mu = lay.unpack(v)
    return lam @ phi @ lam.T + np.diag(theta), mu


def _objective(
    v: np.ndarray, lay: _Layout, groups: list[_Group], *, grad: bool = True
) -> tuple[float, np.ndarray] | float:
    """-2 log-likelihood (without the 2 pi constant) of the model and its gradient."""
    lam, phi, theta, mu = lay.unpack(v)
    sigma = lam @ phi @ lam.T + np.diag(theta)
    f, g_sig, g_mu = _fiml(sigma, mu, groups, grad=grad)
    if not grad:
        return f
    if not np.isfinite(f):
        return f, np.zeros_like(v)
    b = g_sig @ lam @ phi  # dF/dLambda = 2 G Lambda Phi
    lgl = lam.T @ g_sig @ lam
    out = np.concatenate(
        [
            [2.0 * b[j, fi] for j, fi in lay.free_loadings],
            [lgl[a, c] * (1.0 if a == c else 2.0) for a, c in lay.phi_index],
            np.diag(g_sig),
            g_mu,
        ]
    )
    return f, out


def saturated_moments(
    x: np.ndarray, *, tol: float = 1e-8, max_iter: int = 10_000, _groups: list[_Group] | None = None
) -> tuple[np.ndarray, np.ndarray, int]:
    """ML mean and covariance of multivariate-normal data with missing values (EM algorithm).

    Parameters
    ----------
    x
        respondents x variables, NaN = missing; rows with nothing observed are ignored.

    Returns
    -------
    mean, cov, iterations
        ``cov`` has denominator N (maximum likelihood). With complete data: the sample mean and
        covariance after one step.

    Notes
    -----
    The unrestricted ("H1") model of lavaan's ``missing = "ml"``, against which the FIML chi-square is
    computed (Little & Rubin 2002, ch. 11).
    """
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x).any(axis=1)]
    n, p = x.shape
    groups = _patterns(x) if _groups is None else _groups
    mu = np.nanmean(x, axis=0)
    sig = np.diag(np.nanvar(x, axis=0))
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 (iterations are returned)
        t1 = np.zeros(p)
        t2 = np.zeros((p, p))
        for grp in groups:
            o, mi, nn = grp.obs, grp.mis, grp.n
            g, k = o.shape
            xhat = np.empty((g, p))
            np.put_along_axis(xhat, o, grp.mean, axis=1)
            # B W B': observed block W, missing rows through the regression coefficients
            bwb = np.zeros((g, p, p))
            bwb[np.arange(g)[:, None, None], o[:, :, None], o[:, None, :]] = grp.scatter
            if mi.shape[1]:
                coef = np.swapaxes(np.linalg.solve(_sub(sig, o, o), _sub(sig, o, mi)), 1, 2)
                xm = mu[mi] + np.einsum("gqk,gk->gq", coef, grp.mean - mu[o])
                np.put_along_axis(xhat, mi, xm, axis=1)
                cw = coef @ grp.scatter  # g x q x k
                gi = np.arange(g)[:, None, None]
                bwb[gi, mi[:, :, None], o[:, None, :]] = cw
                bwb[gi, o[:, :, None], mi[:, None, :]] = np.swapaxes(cw, 1, 2)
                cond = _sub(sig, mi, mi) - coef @ _sub(sig, o, mi)
                bwb[gi, mi[:, :, None], mi[:, None, :]] = cw @ np.swapaxes(coef, 1, 2) + (
                    nn[:, None, None] * cond
                )
            t1 += nn @ xhat
            t2 += bwb.sum(axis=0) + np.einsum("g,gi,gj->ij", nn, xhat, xhat)
        new_mu = t1 / n
        new_sig = t2 / n - np.outer(new_mu, new_mu)
        delta = max(np.abs(new_mu - mu).max(), np.abs(new_sig - sig).max())
        mu, sig = new_mu, (new_sig + new_sig.T) / 2.0
        if delta < tol * max(1.0, float(np.abs(sig).max())):
            break
    return mu, sig, it


def _saturated_f(groups: list[_Group], mu: np.ndarray, sig: np.ndarray) -> float:
    return _fiml(sig, mu, groups, grad=False)[0]


def _baseline_f(x: np.ndarray) -> float:
    """-2 log-likelihood of the independence model (free means and variances), per variable."""
    f = 0.0
    for j in range(x.shape[1]):
        v = x[np.isfinite(x[:, j]), j]
        f += v.size * (math.log(v.var()) + 1.0)
    return f


def _start_values(lay: _Layout, model: CFAModel, mu: np.ndarray, sig: np.ndarray) -> np.ndarray:
    """Simple starting values from a covariance matrix: each factor's variance from its marker's
    covariances with the other items of the factor, loadings by regression on the marker."""
    lam = np.zeros((lay.p, lay.m))
    phi = np.zeros((lay.m, lay.m))
    items = model.items
    for f, its in enumerate(model.factors.values()):
        idx = [items.index(i) for i in its]
        mk = idx[0]
        covs = [sig[mk, j] for j in idx[1:]]
        var_f = max(np.mean(np.abs(covs)) if covs else 0.5 * sig[mk, mk], 0.05 * sig[mk, mk])
        var_f = min(var_f, 0.95 * sig[mk, mk])
        phi[f, f] = var_f
        for j in idx:
            lam[j, f] = 1.0 if j == mk else sig[j, mk] / var_f
    theta = np.maximum(np.diag(sig) - np.diag(lam @ phi @ lam.T), 0.1 * np.diag(sig))
    return lay.pack(lam, phi, theta, mu)


def _bounds(lay: _Layout, var: np.ndarray) -> list[tuple[float | None, float | None]]:
    """Bounds in the optimiser's parametrisation (factor covariance as its Cholesky factor):
    residual variances at least 1e-6 of the item's variance; the rest free."""
    b: list[tuple[float | None, float | None]] = [(None, None)] * lay.n_loadings
    b += [(None, None)] * len(lay.phi_index)
    b += [(1e-6 * float(v), None) for v in var]
    b += [(None, None)] * lay.p
    return b


def _phi_slice(lay: _Layout) -> slice:
    return slice(lay.n_loadings, lay.n_loadings + len(lay.phi_index))


def _to_cholesky(lay: _Layout, v: np.ndarray) -> np.ndarray:
    """Replace the factor covariance elements of ``v`` by those of its Cholesky factor."""
    _, phi, _, _ = lay.unpack(v)
    vals, vecs = np.linalg.eigh(phi)
    phi = (vecs * np.maximum(vals, 1e-8)) @ vecs.T  # nearest PD matrix (a no-op for PD input)
    chol = np.linalg.cholesky(phi)
    w = v.copy()
    w[_phi_slice(lay)] = [chol[a, b] for a, b in lay.phi_index]
    return w


def _from_cholesky(lay: _Layout, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    chol = np.zeros((lay.m, lay.m))
    for (a, b), val in zip(lay.phi_index, w[_phi_slice(lay)], strict=True):
        chol[a, b] = val
    phi = chol @ chol.T
    v = w.copy()
    v[_phi_slice(lay)] = [phi[a, b] for a, b in lay.phi_index]
    return v, chol


def _minimise(
    v0: np.ndarray, lay: _Layout, groups: list[_Group], bounds, n: int
) -> tuple[np.ndarray, optimize.OptimizeResult]:
    """Minimise -2 log L over the parameters with Phi = L L' (so Sigma stays positive definite);
    returns the solution in the model's parametrisation and the optimiser's result."""
    sl = _phi_slice(lay)

    def fun(w: np.ndarray) -> tuple[float, np.ndarray]:
        v, chol = _from_cholesky(lay, w)
        f, g = _objective(v, lay, groups)
        if not np.isfinite(f):
            return 1e100, np.zeros_like(w)
        m = np.zeros((lay.m, lay.m))
        for (a, b), val in zip(lay.phi_index, g[sl], strict=True):
            m[a, b] = m[b, a] = val if a == b else val / 2.0
        dl = 2.0 * m @ chol
        g = g.copy()
        g[sl] = [dl[a, b] for a, b in lay.phi_index]
        return f / n, g / n

    res = optimize.minimize(
        fun,
        _to_cholesky(lay, v0),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": 20_000, "maxfun": 40_000, "ftol": 1e-15, "gtol": 1e-9, "maxcor": 30},
    )
    v, _ = _from_cholesky(lay, res.x)
    return v, res


def _observed_information(v: np.ndarray, lay: _Layout, groups: list[_Group]) -> np.ndarray:
    """Observed information (half the Hessian of -2 log L), by central differences of the gradient."""
    k = v.size
    h = np.empty((k, k))
    for i in range(k):  # one column per parameter (not a loop over respondents or resamples)
        step = 1e-5 * max(1.0, abs(v[i]))
        vp, vm = v.copy(), v.copy()
        vp[i] += step
        vm[i] -= step
        _, gp = _objective(vp, lay, groups)
        _, gm = _objective(vm, lay, groups)
        h[:, i] = (gp - gm) / (2 * step)
    return (h + h.T) / 4.0


def _expected_information(v: np.ndarray, lay: _Layout, groups: list[_Group]) -> np.ndarray:
    """Expected information, summed over missing-data patterns (exact for complete data)."""
    lam, phi, theta, mu = lay.unpack(v)
    sigma = lam @ phi @ lam.T + np.diag(theta)
    p = lay.p
    b = lam @ phi
    deltas = []
    for j, f in lay.free_loadings:
        d = np.zeros((p, p))
        d[j, :] += b[:, f]
        d[:, j] += b[:, f]
        deltas.append(d)
    for a, c in lay.phi_index:
        d = np.outer(lam[:, a], lam[:, c])
        deltas.append(d if a == c else d + d.T)
    for j in range(p):
        d = np.zeros((p, p))
        d[j, j] = 1.0
        deltas.append(d)
    dall = np.stack(deltas)  # params x p x p
    kc = lay.n_cov_params
    info = np.zeros((lay.n_params, lay.n_params))
    for grp in groups:
        for o, n in zip(grp.obs, grp.n, strict=True):  # per pattern: used for complete data
            s_inv = np.linalg.inv(sigma[np.ix_(o, o)])
            a = np.einsum("ij,qjk->qik", s_inv, dall[:, o][:, :, o])
            flat = a.reshape(kc, -1)
            flat_t = a.transpose(0, 2, 1).reshape(kc, -1)
            info[:kc, :kc] += 0.5 * n * flat @ flat_t.T
            info[np.ix_(kc + o, kc + o)] += n * s_inv
    return info


def _semopy_estimates(model: CFAModel, data: pd.DataFrame, lay: _Layout) -> np.ndarray:
    import semopy

    sm = semopy.Model(model.description())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sm.fit(data[model.items])
    est = sm.inspect()
    items = model.items
    factors = list(model.factors)
    lam = np.zeros((lay.p, lay.m))
    phi = np.zeros((lay.m, lay.m))
    theta = np.zeros(lay.p)
    for rec in est.itertuples(index=False):
        lval, op, rval, value = rec[0], rec[1], rec[2], float(rec[3])
        if op == "~" and lval in items and rval in factors:
            lam[items.index(lval), factors.index(rval)] = value
        elif op == "~~" and lval in factors and rval in factors:
            a, c = factors.index(lval), factors.index(rval)
            phi[a, c] = phi[c, a] = value
        elif op == "~~" and lval == rval and lval in items:
            theta[items.index(lval)] = value
    return lay.pack(lam, phi, theta, data[items].to_numpy(dtype=float).mean(axis=0))


# ----------------------------------------------------------------------------------------------------
# Public entry point
# ----------------------------------------------------------------------------------------------------


@dataclass
class CFAResult:
    """What :func:`fit_cfa` returns: ``fit`` (one row) and ``loadings`` (one row per item asked for)."""

    fit: pd.DataFrame
    loadings: pd.DataFrame
    model: CFAModel
    params: dict[str, np.ndarray] = field(default_factory=dict)


#: The fit indices of a CFA, in the order of every fit table (this module's and the invariance one's).
FIT_INDEX_COLUMNS = [
    "chi2",
    "df",
    "p_value",
    "cfi",
    "tli",
    "rmsea",
    "rmsea_ci_low",
    "rmsea_ci_high",
    "srmr",
]

FIT_COLUMNS = [
    "model",
    "method",
    "information",
    "n",
    "n_complete",
    "n_items",
    "n_factors",
    "n_parameters",
    *FIT_INDEX_COLUMNS,
    "converged",
    "note",
]

LOADING_COLUMNS = [
    "construct",
    "item",
    "n",
    "marker",
    "estimate",
    "se",
    "z",
    "p_value",
    "std_loading",
    "std_se",
    "std_ci_low",
    "std_ci_high",
    "method",
    "note",
]


def _prepare(data: pd.DataFrame, items: list[str]) -> np.ndarray:
    cols = {}
    for i in items:
        s = data[i]
        if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
            raise ValueError(f"data column {i!r} is not numeric (dtype {s.dtype})")
        cols[i] = s.to_numpy(dtype="float64", na_value=np.nan)
    return np.column_stack([cols[i] for i in items]) if items else np.empty((len(data), 0))


def fit_cfa(
    data: pd.DataFrame,
    constructs: Mapping[str, Sequence[str]],
    *,
    method: Method = "fiml",
    information: Information | None = None,
    ci: float = 0.95,
    name: str = "all constructs",
) -> CFAResult:
    """Fit a confirmatory factor model of all ``constructs`` together by maximum likelihood.

    Parameters
    ----------
    data
        respondents x items, numeric (nullable integers allowed; missing = not answered).
    constructs
        construct -> its items (the first item that enters is the marker).
    method
        ``"fiml"`` (every answer; this module's ML engine) or ``"listwise"`` (complete rows; semopy).
    information
        ``"observed"`` or ``"expected"`` information for standard errors; default as lavaan:
        observed for FIML, expected for listwise.
    ci
        level of the standardised loadings' Wald intervals.
    name
        the ``model`` column of the fit table.

    Returns
    -------
    CFAResult
        ``fit``: one row, columns :data:`FIT_COLUMNS` (``chi2``, ``df``, ``p_value``, ``cfi``, ``tli``,
        ``rmsea`` with its 90% CI, ``srmr``, ``n`` respondents used, ``n_complete`` answering every
        item, ``converged``, ``note``); ``loadings``: one row per item asked for, columns
        :data:`LOADING_COLUMNS` (unstandardised ``estimate`` with ``se``, ``z``, ``p_value`` - NaN for
        the marker, fixed to 1 - and ``std_loading`` with delta-method ``std_se`` and Wald CI;
        NaN with a ``note`` for items left out).

    Raises
    ------
    ValueError
        bad ``method``/``information``/``ci``, an item missing from ``data`` or not numeric, no factor
        left after the inclusion rules, or fewer respondents than needed.

    Notes
    -----
    On complete data agrees with lavaan 0.6-14 ``cfa(model, data, estimator = "ML")`` (chi-square, df,
    CFI, TLI, RMSEA and its CI, SRMR: see the tests on Holzinger-Swineford and bfi), and with
    ``lavaan::standardizedSolution`` for the standardised loadings (``std.all``; delta-method SEs).
    With ``method="fiml"`` the chi-square is ``-2 (log L_model - log L_H1)``, H1 being the EM estimate of
    the unrestricted mean and covariance (:func:`saturated_moments`), and N for RMSEA is the number of
    respondents with at least one answer, as lavaan's ``missing = "ml"``. Residual and factor variances
    are kept positive (lower bound 1e-6 of the item's variance); an estimate at that bound is a Heywood
    case and is noted. The standardised loading is ``lambda sqrt(phi) / sqrt(lambda^2 phi + theta)``.
    """
    information = _check_options(data, method, information, ci)
    model = cfa_model(constructs, data)
    if not model.factors:
        raise ValueError("no construct has enough usable items for a factor (see the rules in cfa)")
    items = model.items
    x_all = _prepare(data, items)
    complete = np.isfinite(x_all).all(axis=1)
    x = x_all[complete] if method == "listwise" else x_all[np.isfinite(x_all).any(axis=1)]
    n = x.shape[0]
    lay = _layout(model)
    if n <= 1 or (method == "listwise" and n < lay.p + 1):
        raise ValueError(
            f"data has {n} usable respondent(s) for {method} estimation of {lay.p} items; too few"
        )
    groups = _patterns(x)
    mu_h1, sig_h1, _ = saturated_moments(x, _groups=groups)
    v, converged, notes = _estimate(model, lay, x, groups, mu_h1, sig_h1, method=method)
    sigma, mu = _sigma(lay, v)
    indices = _fit_indices(v, lay, x, groups, (mu_h1, sig_h1), (mu, sigma), method=method)
    vcov = _vcov(v, lay, groups, information, notes)
    lam, phi, theta, _mu = lay.unpack(v)
    p = lay.p
    heywood = [items[j] for j in range(p) if theta[j] <= 1.001e-6 * sig_h1[j, j]]
    if heywood:
        notes.append(f"residual variance at its lower bound (Heywood case): {', '.join(heywood)}")
    n_answered = np.isfinite(x_all).sum(axis=0)
    n_item = [int(k) for k in n_answered] if method == "fiml" else [n] * p
    rows = _loading_rows(model, lay, v, vcov, n_item, method=method, ci=ci)
    rows += _left_out_rows(model, data, method=method)
    order = {i: k for k, i in enumerate(model.construct_of)}
    loadings = pd.DataFrame(rows, columns=LOADING_COLUMNS)
    loadings = loadings.sort_values("item", key=lambda s: s.map(order)).reset_index(drop=True)
    left_out = sorted(set(model.construct_of) - set(items), key=order.get)
    if left_out:
        notes.append(f"left out: {', '.join(left_out)}")
    fit = pd.DataFrame(
        [
            {
                "model": name,
                "method": method,
                "information": information,
                "n": n,
                "n_complete": int(complete.sum()),
                "n_items": p,
                "n_factors": lay.m,
                "n_parameters": lay.n_cov_params + (p if method == "fiml" else 0),
                **indices,
                "converged": converged,
                "note": "; ".join(notes),
            }
        ],
        columns=FIT_COLUMNS,
    )
    return CFAResult(
        fit=fit,
        loadings=loadings,
        model=model,
        params={"lambda": lam, "phi": phi, "theta": theta, "mu": mu, "vcov": vcov},
    )


def _check_options(
    data: pd.DataFrame, method: str, information: str | None, ci: float
) -> Information:
    """The information to use (lavaan's default when ``None``); ValueError for a bad option."""
    if method not in ("fiml", "listwise"):
        raise ValueError(f"method must be 'fiml' or 'listwise', got {method!r}")
    if information is None:
        information = "observed" if method == "fiml" else "expected"
    if information not in ("observed", "expected"):
        raise ValueError(f"information must be 'observed' or 'expected', got {information!r}")
    if not (isinstance(ci, (int, float)) and 0 < ci < 1):
        raise ValueError(f"ci must be strictly between 0 and 1, got {ci!r}")
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    return information


def _estimate(
    model: CFAModel,
    lay: _Layout,
    x: np.ndarray,
    groups: list[_Group],
    mu_h1: np.ndarray,
    sig_h1: np.ndarray,
    *,
    method: str,
) -> tuple[np.ndarray, bool, list[str]]:
    """The ML estimates, whether they converged, and notes: semopy polished for listwise; a
    two-stage start (ML on the EM moments, then full information) for FIML."""
    n = x.shape[0]
    notes = []
    if method == "listwise":
        v = _semopy_estimates(model, pd.DataFrame(x, columns=model.items), lay)
        converged = True
        # polish semopy's solution with the same likelihood (a no-op at its optimum, to ~1e-8)
        polished, res = _minimise(v, lay, groups, _bounds(lay, np.diag(sig_h1)), n)
        if res.fun * n <= _objective(v, lay, groups, grad=False):
            v = polished
    else:
        one = _complete_group(n, mu_h1, sig_h1)
        v0 = _start_values(lay, model, mu_h1, sig_h1)
        bounds = _bounds(lay, np.diag(sig_h1))
        v1, _ = _minimise(v0, lay, one, bounds, n)
        v, res = _minimise(v1, lay, groups, bounds, n)
        converged = bool(res.success) or float(np.abs(res.jac).max()) < 1e-6
        if not converged:
            notes.append(f"optimiser did not converge: {res.message}")
    return v, converged, notes


def _fit_indices(
    v: np.ndarray,
    lay: _Layout,
    x: np.ndarray,
    groups: list[_Group],
    h1: tuple[np.ndarray, np.ndarray],
    implied: tuple[np.ndarray, np.ndarray],
    *,
    method: str,
) -> dict[str, float]:
    """chi2 against the saturated (EM) model, df, p, CFI, TLI, RMSEA with its 90% CI, SRMR;
    ``h1`` the EM mean and covariance, ``implied`` the model's."""
    n = x.shape[0]
    mu_h1, sig_h1 = h1
    mu, sigma = implied
    f_model = float(_objective(v, lay, groups, grad=False))
    f_sat = _saturated_f(groups, mu_h1, sig_h1)
    chi2 = max(f_model - f_sat, 0.0)
    p = lay.p
    df = p * (p + 1) // 2 - lay.n_cov_params
    chi2_base = _baseline_f(x) - f_sat
    df_base = p * (p - 1) // 2
    srmr_v = (
        srmr(sig_h1, sigma)
        if method == "listwise"
        else srmr(sig_h1, sigma, sample_mean=mu_h1, model_mean=mu)
    )
    low, high = rmsea_ci(chi2, df, n)
    return {
        "chi2": chi2,
        "df": df,
        "p_value": float(stats.chi2.sf(chi2, df)) if df > 0 else float("nan"),
        "cfi": cfi(chi2, df, chi2_base, df_base),
        "tli": tli(chi2, df, chi2_base, df_base),
        "rmsea": rmsea(chi2, df, n),
        "rmsea_ci_low": low,
        "rmsea_ci_high": high,
        "srmr": srmr_v,
    }


def _vcov(
    v: np.ndarray, lay: _Layout, groups: list[_Group], information: str, notes: list[str]
) -> np.ndarray:
    """The parameters' covariance: the inverse information (a pseudo-inverse, noted, if singular)."""
    info = (
        _observed_information(v, lay, groups)
        if information == "observed"
        else _expected_information(v, lay, groups)
    )
    try:
        return np.linalg.inv(info)
    except np.linalg.LinAlgError:
        notes.append("information matrix singular: pseudo-inverse used for standard errors")
        return np.linalg.pinv(info)


def _loading_rows(
    model: CFAModel,
    lay: _Layout,
    v: np.ndarray,
    vcov: np.ndarray,
    n_item: list[int],
    *,
    method: str,
    ci: float,
) -> list[dict[str, object]]:
    """One row per item in the model: the loading with its Wald test (NaN for the marker) and the
    standardised loading with its delta-method SE and interval."""
    items = model.items
    lam, phi, theta, _mu = lay.unpack(v)
    z_crit = stats.norm.ppf(0.5 + ci / 2.0)
    free_pos = {jf: k for k, jf in enumerate(lay.free_loadings)}
    phi_pos = {ab: lay.n_loadings + k for k, ab in enumerate(lay.phi_index)}
    theta0 = lay.n_loadings + len(lay.phi_index)
    factor_names = list(model.factors)
    rows = []
    for f, its in model.factors.items():
        fi = factor_names.index(f)
        for pos, i in enumerate(its):
            j = items.index(i)
            lj, ph, th = lam[j, fi], phi[fi, fi], theta[j]
            s = lj * lj * ph + th
            std = lj * math.sqrt(ph) / math.sqrt(s)
            grad = np.zeros(lay.n_params)
            grad[phi_pos[(fi, fi)]] = lj * th / (2.0 * math.sqrt(ph) * s**1.5)
            grad[theta0 + j] = -lj * math.sqrt(ph) / (2.0 * s**1.5)
            if pos == 0:
                est_se = z = pv = float("nan")
            else:
                k = free_pos[(j, fi)]
                grad[k] = math.sqrt(ph) * th / s**1.5
                est_se = math.sqrt(max(vcov[k, k], 0.0))
                z = lj / est_se if est_se > 0 else float("nan")
                pv = 2.0 * stats.norm.sf(abs(z)) if math.isfinite(z) else float("nan")
            std_se = math.sqrt(max(float(grad @ vcov @ grad), 0.0))
            rows.append(
                {
                    "construct": f,
                    "item": i,
                    "n": n_item[j],
                    "marker": pos == 0,
                    "estimate": float(lj),
                    "se": est_se,
                    "z": z,
                    "p_value": pv,
                    "std_loading": float(std),
                    "std_se": std_se,
                    "std_ci_low": std - z_crit * std_se,
                    "std_ci_high": std + z_crit * std_se,
                    "method": method,
                    "note": model.notes.get(i, ""),
                }
            )
    return rows


# the estimate columns of a loadings row (NaN for an item left out)
_ESTIMATE_FIELDS = LOADING_COLUMNS[
    LOADING_COLUMNS.index("estimate") : LOADING_COLUMNS.index("method")
]


def _left_out_rows(model: CFAModel, data: pd.DataFrame, *, method: str) -> list[dict[str, object]]:
    """One row per item asked for but left out of the model: its n, no estimate, the reason."""
    included = set(model.items)
    rows = []
    for i, c in model.construct_of.items():
        if i not in included:
            col = data[i].to_numpy(dtype="float64", na_value=np.nan) if i in data else np.array([])
            rows.append(
                {
                    "construct": c,
                    "item": i,
                    "n": int(np.isfinite(col).sum()),
                    "marker": False,
                    **dict.fromkeys(_ESTIMATE_FIELDS, float("nan")),
                    "method": method,
                    "note": model.notes.get(i, "left out"),
                }
            )
    return rows
