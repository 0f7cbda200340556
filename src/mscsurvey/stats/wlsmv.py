"""Ordinal confirmatory factor analysis: diagonally weighted least squares on polychoric correlations with
lavaan's mean- and variance-adjusted ("scaled-shifted") test statistic, i.e. lavaan's
``cfa(..., ordered = TRUE, estimator = "WLSMV")``.

Steps (Muthen 1984; Muthen, du Toit & Spisic 1997; lavaan 0.6-14 conventions):

1. thresholds per item and polychoric correlations per pair, two-step ML without psych's continuity
   correction (lavaan adds none), on the listwise-complete respondents;
2. their asymptotic covariance ``Gamma`` from each respondent's scores: the thresholds' influence
   functions, and each correlation's with the first step's uncertainty propagated (outer-product
   estimates of the Hessians, as lavaan's ``muthen1984``);
3. the model (each item on its own factor, markers at 1, correlated factors, delta parametrisation with
   unit scale factors) minimises ``(s - sigma(theta))' W (s - sigma(theta))`` with
   ``W = diag(Gamma)^-1``; thresholds are saturated, so they fit exactly;
4. ``T = (N - 1) F`` (lavaan 0.6-14's convention here, not ``N F``); the scaled-shifted statistic is ``a T + b`` with ``a = sqrt(df / tr((U Gamma)^2))`` and
   ``b = df - a tr(U Gamma)``, ``U = W - W Delta (Delta' W Delta)^-1 Delta' W`` (Asparouhov & Muthen
   2010); the same for the independence baseline (thresholds only) gives CFI and TLI (scaled).

Hand-written because no maintained Python package fits ordinal CFA by WLSMV (semopy fits ML/ULS/GLS/
DWLS on covariances only, with no polychoric input or robust statistic).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from mscsurvey.stats.cfa import CFAModel, cfa_model
from mscsurvey.stats.polychoric import _codes, _pair_rho, _table, bvn_cdf, bvn_pdf, thresholds

__all__ = ["WLSMVResult", "fit_wlsmv", "WLSMV_FIT_COLUMNS"]

WLSMV_FIT_COLUMNS = [
    "model",
    "method",
    "n",
    "n_items",
    "n_factors",
    "chi2",
    "df",
    "p_value",
    "cfi",
    "tli",
    "rmsea",
    "srmr",
    "chi2_unscaled",
    "converged",
    "note",
]


def _edges(t: np.ndarray) -> np.ndarray:
    return np.concatenate([[-np.inf], t, [np.inf]])


def _threshold_scores(codes: np.ndarray, t: np.ndarray) -> np.ndarray:
    """n x (K-1): derivative of each respondent's log P(category) with respect to each threshold."""
    e = _edges(t)
    pdf = np.concatenate([[0.0], stats.norm.pdf(t), [0.0]])
    prob = special.ndtr(e[1:]) - special.ndtr(e[:-1])
    k = t.size
    per_cat = np.zeros((k + 1, k))
    for c in range(k + 1):
        if c < k:
            per_cat[c, c] += pdf[c + 1] / prob[c]
        if c > 0:
            per_cat[c, c - 1] -= pdf[c] / prob[c]
    return per_cat[codes]


def _dcdf_dh(h: np.ndarray, k: np.ndarray, rho: float) -> np.ndarray:
    """d Phi2(h, k; rho) / dh = phi(h) Phi((k - rho h) / sqrt(1 - rho^2)) (0 at infinite h)."""
    hh = np.clip(h, -1e10, 1e10)
    with np.errstate(invalid="ignore"):
        val = stats.norm.pdf(hh) * special.ndtr((k - rho * hh) / math.sqrt(1 - rho * rho))
    return np.nan_to_num(val)


def _pair_scores(
    ca: np.ndarray, cb: np.ndarray, ta: np.ndarray, tb: np.ndarray, rho: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per respondent: the pair's log-likelihood score for rho, and for the thresholds of a then b."""
    ea, eb = _edges(ta), _edges(tb)
    cdf = bvn_cdf(ea[:, None], eb[None, :], rho)
    prob = np.diff(np.diff(cdf, axis=0), axis=1)
    dens = bvn_pdf(ea[:, None], eb[None, :], rho)
    dens[~np.isfinite(ea), :] = 0.0
    dens[:, ~np.isfinite(eb)] = 0.0
    d_rho = np.diff(np.diff(dens, axis=0), axis=1) / prob
    # d/d tau_a[k] of every cell: tau_a[k] is the upper edge of row k, the lower edge of row k + 1
    dh = _dcdf_dh(ea[:, None], eb[None, :], rho)  # d cdf / d (row edge)
    row_diff = np.diff(dh, axis=1)  # (Ka+1) x Kb: per row edge, per column
    dk = _dcdf_dh(eb[:, None], ea[None, :], rho).T  # d cdf / d (column edge)
    col_diff = np.diff(dk, axis=0)
    ka, kb = ta.size, tb.size
    d_ta = np.zeros((ka + 1, kb + 1, ka))
    for k in range(ka):
        d_ta[k, :, k] += row_diff[k + 1]
        d_ta[k + 1, :, k] -= row_diff[k + 1]
    d_tb = np.zeros((ka + 1, kb + 1, kb))
    for k in range(kb):
        d_tb[:, k, k] += col_diff[:, k + 1]
        d_tb[:, k + 1, k] -= col_diff[:, k + 1]
    d_t = np.concatenate([d_ta, d_tb], axis=2) / prob[:, :, None]
    return d_rho[ca, cb], d_t[ca, cb]


@dataclass
class _Sample:
    n: int
    items: list[str]
    tau: list[np.ndarray]
    rho: np.ndarray
    gamma: np.ndarray  # NACOV of (all thresholds, correlations in lower-triangle order)
    pairs: list[tuple[int, int]]


def _sample_stats(x: pd.DataFrame, levels: list[np.ndarray]) -> _Sample:
    arr = x.to_numpy()
    n, p = arr.shape
    codes = [np.searchsorted(levels[j], arr[:, j]) for j in range(p)]
    tau = [thresholds(arr[:, j], levels[j]) for j in range(p)]
    offs = np.concatenate([[0], np.cumsum([t.size for t in tau])])
    psi_tau = np.zeros((n, offs[-1]))
    for j in range(p):
        s = _threshold_scores(codes[j], tau[j])
        psi_tau[:, offs[j] : offs[j + 1]] = s @ np.linalg.inv(s.T @ s / n)
    pairs = [(a, b) for a in range(p) for b in range(a)]
    rho = np.eye(p)
    psi_rho = np.zeros((n, len(pairs)))
    for k, (a, b) in enumerate(pairs):
        tab = _table(arr[:, a], arr[:, b], levels[a], levels[b])
        r = _pair_rho(tab, tau[a], tau[b], 0.0)
        rho[a, b] = rho[b, a] = r
        s_r, s_t = _pair_scores(codes[a], codes[b], tau[a], tau[b], r)
        cols = np.r_[offs[a] : offs[a + 1], offs[b] : offs[b + 1]]
        a21 = s_r @ s_t / n
        psi_rho[:, k] = (s_r - psi_tau[:, cols] @ a21) / (s_r @ s_r / n)
    psi = np.hstack([psi_tau, psi_rho])
    return _Sample(n, [str(c) for c in x.columns], tau, rho, psi.T @ psi / n, pairs)


@dataclass
class _Model:
    m: int
    free: list[tuple[int, int]]  # (item, factor) of free loadings
    markers: list[tuple[int, int]]
    phi_index: list[tuple[int, int]]

    def implied(self, theta: np.ndarray, p: int) -> np.ndarray:
        lam = np.zeros((p, self.m))
        for j, f in self.markers:
            lam[j, f] = 1.0
        k = len(self.free)
        for (j, f), v in zip(self.free, theta[:k], strict=True):
            lam[j, f] = v
        phi = np.zeros((self.m, self.m))
        for (a, b), v in zip(self.phi_index, theta[k:], strict=True):
            phi[a, b] = phi[b, a] = v
        return lam @ phi @ lam.T

    def unpack(self, theta: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray]:
        lam = np.zeros((p, self.m))
        for j, f in self.markers:
            lam[j, f] = 1.0
        for (j, f), v in zip(self.free, theta[: len(self.free)], strict=True):
            lam[j, f] = v
        phi = np.zeros((self.m, self.m))
        for (a, b), v in zip(self.phi_index, theta[len(self.free) :], strict=True):
            phi[a, b] = phi[b, a] = v
        return lam, phi


def _jacobian(model: _Model, theta: np.ndarray, p: int, pairs) -> np.ndarray:
    rows, cols = zip(*pairs, strict=True)
    out = np.empty((len(pairs), theta.size))
    for k in range(theta.size):
        h = 1e-6 * max(1.0, abs(theta[k]))
        tp, tm = theta.copy(), theta.copy()
        tp[k] += h
        tm[k] -= h
        out[:, k] = (model.implied(tp, p) - model.implied(tm, p))[rows, cols] / (2 * h)
    return out


def _scaled_shifted(
    t: float, df: int, w: np.ndarray, delta: np.ndarray, gamma: np.ndarray
) -> float:
    wd = w[:, None] * delta
    u = np.diag(w) - wd @ np.linalg.solve(delta.T @ wd, wd.T)
    ug = u @ gamma
    tr1, tr2 = float(np.trace(ug)), float(np.sum(ug * ug.T))
    a = math.sqrt(df / tr2)
    return a * t + (df - a * tr1)


@dataclass
class WLSMVResult:
    """What :func:`fit_wlsmv` returns: ``fit`` (one row, :data:`WLSMV_FIT_COLUMNS`) and ``loadings``
    (``construct``, ``item``, ``estimate``, ``std_loading``, ``method``)."""

    fit: pd.DataFrame
    loadings: pd.DataFrame
    polychoric: pd.DataFrame


def fit_wlsmv(
    items: pd.DataFrame, constructs: Mapping[str, Sequence[str]], *, name: str = "all constructs"
) -> WLSMVResult:
    """Fit an ordinal CFA of ``constructs`` by WLSMV (DWLS on polychorics, scaled-shifted test).

    Parameters
    ----------
    items
        respondents x items, integer answer codes (reverse-keyed items already reversed); rows with
        any missing answer among the model's items are dropped (listwise, as lavaan's default).
    constructs
        construct -> its items (first = marker; inclusion rules of :func:`mscsurvey.stats.cfa.cfa_model`).
    name
        the ``model`` column.

    Returns
    -------
    WLSMVResult
        ``fit``: ``chi2`` is the scaled-shifted statistic with its ``df`` and ``p_value``; ``cfi``,
        ``tli``, ``rmsea`` are lavaan's ``*.scaled`` indices; ``srmr`` is of the correlations;
        ``chi2_unscaled`` is ``(N - 1) F``. ``loadings``: standardised loadings (``std.all``).

    Notes
    -----
    Checked against lavaan 0.6-14 ``cfa(..., ordered = , estimator = "WLSMV")`` on the two-factor bfi
    model of ``shared/reference/ref_sensitivity.R`` (tests; tolerances there). RMSEA (scaled) is
    ``sqrt(max(T - df, 0) / (df (N - 1)))``: lavaan 0.6-14 uses N - 1 with categorical data.
    """
    model = cfa_model(constructs, items)
    cols = model.items
    x, levels = _codes(items[cols])
    samp = _sample_stats(x, levels)
    p = len(cols)
    free, markers = [], []
    for f, its in enumerate(model.factors.values()):
        for pos, i in enumerate(its):
            (markers if pos == 0 else free).append((cols.index(i), f))
    m = len(model.factors)
    mod = _Model(m, free, markers, [(a, b) for a in range(m) for b in range(a + 1)])
    n_tau = sum(t.size for t in samp.tau)
    w_all = 1.0 / np.diag(samp.gamma)
    w = w_all[n_tau:]
    rows, cols_ = zip(*samp.pairs, strict=True)
    r_obs = samp.rho[rows, cols_]
    sw = np.sqrt(w)
    theta0 = np.r_[np.full(len(free), 1.0), [0.3 if a == b else 0.1 for a, b in mod.phi_index]]

    def resid(th):
        return sw * (r_obs - mod.implied(th, p)[rows, cols_])

    def jac(th):
        return -sw[:, None] * _jacobian(mod, th, p, samp.pairs)

    res = optimize.least_squares(resid, theta0, jac=jac, method="lm", xtol=1e-12, ftol=1e-12)
    theta = res.x
    f_min = float(np.sum(res.fun**2))
    t_un = (samp.n - 1) * f_min  # lavaan 0.6-14's DWLS statistic uses N - 1 (matches to 1e-7)
    df = len(samp.pairs) - theta.size
    delta = np.zeros((n_tau + len(samp.pairs), n_tau + theta.size))
    delta[:n_tau, :n_tau] = np.eye(n_tau)
    delta[n_tau:, n_tau:] = _jacobian(mod, theta, p, samp.pairs)
    t_ss = _scaled_shifted(t_un, df, w_all, delta, samp.gamma)
    df_b = len(samp.pairs)
    tb_un = (samp.n - 1) * float(np.sum(w * r_obs**2))
    tb_ss = _scaled_shifted(tb_un, df_b, w_all, delta[:, :n_tau], samp.gamma)
    sigma = mod.implied(theta, p)
    resid_r = (samp.rho - sigma)[np.tril_indices(p, -1)]
    srmr = math.sqrt(np.sum(resid_r**2) / (p * (p + 1) / 2))
    lam, phi = mod.unpack(theta, p)
    fit = pd.DataFrame(
        [
            {
                "model": name,
                "method": "wlsmv",
                "n": samp.n,
                "n_items": p,
                "n_factors": m,
                "chi2": t_ss,
                "df": df,
                "p_value": float(stats.chi2.sf(t_ss, df)),
                "cfi": _cfi(t_ss, df, tb_ss, df_b),
                "tli": (tb_ss / df_b - t_ss / df) / (tb_ss / df_b - 1.0),
                "rmsea": math.sqrt(max(t_ss - df, 0.0) / (df * (samp.n - 1))),
                "srmr": srmr,
                "chi2_unscaled": t_un,
                "converged": bool(res.success),
                "note": "",
            }
        ],
        columns=WLSMV_FIT_COLUMNS,
    )
    poly = pd.DataFrame(samp.rho, index=samp.items, columns=samp.items)
    return WLSMVResult(fit=fit, loadings=_loadings(model, lam, phi), polychoric=poly)


def _loadings(model: CFAModel, lam: np.ndarray, phi: np.ndarray) -> pd.DataFrame:
    """One row per item: its loading and standardised loading (the latent responses have unit
    variance, so ``lambda sqrt(phi)``)."""
    cols = model.items
    load = []
    for f, (c, its) in enumerate(model.factors.items()):
        for i in its:
            j = cols.index(i)
            load.append(
                {
                    "construct": c,
                    "item": i,
                    "estimate": float(lam[j, f]),
                    "std_loading": float(lam[j, f] * math.sqrt(phi[f, f])),
                    "method": "wlsmv",
                }
            )
    return pd.DataFrame(load)


def _cfi(t: float, df: int, tb: float, dfb: int) -> float:
    num = max(t - df, 0.0)
    den = max(t - df, tb - dfb, 0.0)
    return 1.0 if den == 0 else 1.0 - num / den
