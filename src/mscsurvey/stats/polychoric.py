"""Polychoric correlations of ordinal items (with their thresholds), and ordinal alpha and omega.

Every public function takes ``items``: a respondents x items frame of integer answer codes (e.g. 1-5),
no codebook. Rows with any missing answer are dropped first (**listwise**, as ``psych::polychoric`` on
complete cases and the reference convention of ``shared/reference/ref_sensitivity.R``).

Estimation is psych's two-step maximum likelihood (``psych::polychoric``, psych 2.2.9, defaults
``global = TRUE``, ``correct = 0.5``):

1. each item's thresholds are the normal quantiles of its cumulative answer proportions;
2. each pair's correlation maximises the bivariate-normal likelihood of the pair's contingency table
   with the thresholds held fixed; empty cells get ``0.5 / n`` (psych's continuity correction).

Hand-written (with scipy) rather than ``ordinalcorr`` 0.9.0 from PyPI: ordinalcorr installs and agrees
with psych to ~1e-5 on bfi, but it returns neither thresholds nor the per-respondent scores that the
ordinal CFA (:mod:`mscsurvey.stats.wlsmv`) needs, and it takes ~0.25 s per pair (a 36-item study has 630
pairs); this module evaluates the bivariate normal CDF on the whole threshold grid at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from mscsurvey.stats.reliability import _fit_one_factor, complete_rows

__all__ = [
    "Polychoric",
    "bvn_cdf",
    "thresholds",
    "polychoric",
    "ordinal_alpha",
    "ordinal_omega",
    "matrix_alpha",
    "matrix_omega",
]

#: Gauss-Legendre nodes on [-1, 1] for the integral over the correlation (Genz 2004's approach,
#: with more nodes than his 10 so one rule serves every |rho| < 1).
_GL_X, _GL_W = np.polynomial.legendre.leggauss(40)
_BIG = 1e10  # stands in for +-infinity in the threshold grid


def _phi(x: np.ndarray) -> np.ndarray:
    return special.ndtr(x)


def bvn_cdf(h: np.ndarray, k: np.ndarray, rho: float) -> np.ndarray:
    """Standard bivariate normal CDF ``P(X <= h, Y <= k)`` with correlation ``rho``, vectorised.

    Parameters
    ----------
    h, k
        upper limits (broadcast together; +-inf allowed).
    rho
        correlation, ``-1 < rho < 1``.

    Returns
    -------
    ndarray
        the probabilities.

    Notes
    -----
    ``Phi(h) Phi(k) + int_0^rho phi2(h, k; r) dr`` with ``r = sin(t)`` and 40-point Gauss-Legendre
    quadrature over ``t`` (Genz 2004, "Numerical computation of rectangular bivariate and trivariate
    normal and t probabilities", first case); agrees with ``scipy.stats.multivariate_normal.cdf`` to
    ~1e-12 for ``|rho| <= 0.99`` (tested).
    """
    h = np.clip(np.asarray(h, dtype=float), -_BIG, _BIG)
    k = np.clip(np.asarray(k, dtype=float), -_BIG, _BIG)
    h, k = np.broadcast_arrays(h, k)
    base = _phi(h) * _phi(k)
    if rho == 0.0:
        return base
    asr = math.asin(rho)
    sn = np.sin(asr * (_GL_X + 1.0) / 2.0)  # nodes
    hk = (h * k)[..., None]
    hs = ((h * h + k * k) / 2.0)[..., None]
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        val = np.exp((sn * hk - hs) / (1.0 - sn * sn))
    val = np.nan_to_num(val, nan=0.0, posinf=0.0)
    integral = (val * _GL_W).sum(axis=-1) * asr / (4.0 * math.pi)
    return np.clip(base + integral, 0.0, 1.0)


def bvn_pdf(h: np.ndarray, k: np.ndarray, rho: float) -> np.ndarray:
    """Standard bivariate normal density (0 at infinite limits)."""
    h = np.clip(np.asarray(h, dtype=float), -_BIG, _BIG)
    k = np.clip(np.asarray(k, dtype=float), -_BIG, _BIG)
    one = 1.0 - rho * rho
    with np.errstate(under="ignore", over="ignore"):
        q = (h * h - 2.0 * rho * h * k + k * k) / one
        return np.exp(-q / 2.0) / (2.0 * math.pi * math.sqrt(one))


def _codes(items: pd.DataFrame) -> tuple[pd.DataFrame, list[np.ndarray]]:
    """Listwise-complete rows, and each item's sorted distinct codes."""
    x = complete_rows(items, min_items=2)
    if len(x) < 3:
        raise ValueError(f"items has {len(x)} listwise-complete row(s); at least 3 are needed")
    arr = x.to_numpy()
    if not np.all(arr == np.round(arr)):
        col = x.columns[np.flatnonzero((arr != np.round(arr)).any(axis=0))[0]]
        raise ValueError(f"items column {col!r} has a non-integer value (ordinal codes expected)")
    levels = [np.unique(arr[:, j]) for j in range(arr.shape[1])]
    for j, lv in enumerate(levels):
        if lv.size < 2:
            raise ValueError(f"items column {x.columns[j]!r} has one answer only (no variance)")
    return x, levels


def thresholds(codes: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Normal-quantile thresholds of one item: ``Phi^-1`` of the cumulative proportions of ``levels``
    (all but the last), as ``psych::polychoric`` (``global = TRUE``) and lavaan's first step."""
    counts = np.array([(codes == v).sum() for v in levels], dtype=float)
    return stats.norm.ppf(np.cumsum(counts)[:-1] / counts.sum())


def _table(a: np.ndarray, b: np.ndarray, la: np.ndarray, lb: np.ndarray) -> np.ndarray:
    ia = np.searchsorted(la, a)
    ib = np.searchsorted(lb, b)
    tab = np.zeros((la.size, lb.size))
    np.add.at(tab, (ia, ib), 1.0)
    return tab


def cell_probabilities(ta: np.ndarray, tb: np.ndarray, rho: float) -> np.ndarray:
    """Bivariate-normal probabilities of every cell of a table cut at thresholds ``ta`` x ``tb``."""
    ea = np.concatenate([[-np.inf], ta, [np.inf]])
    eb = np.concatenate([[-np.inf], tb, [np.inf]])
    cdf = bvn_cdf(ea[:, None], eb[None, :], rho)
    return np.diff(np.diff(cdf, axis=0), axis=1)


def _pair_rho(tab: np.ndarray, ta: np.ndarray, tb: np.ndarray, correct: float) -> float:
    """psych's ``polyc``: maximise sum(tab log P) over rho in (-1, 1), thresholds fixed."""
    n = tab.sum()
    prop = tab / n
    if correct > 0 and (prop == 0).any():
        prop = np.where(prop == 0, correct / n, prop)

    def negll(rho: float) -> float:
        p = cell_probabilities(ta, tb, rho)
        ok = p > 0
        return -float((prop[ok] * np.log(p[ok])).sum())

    res = optimize.minimize_scalar(
        negll, bounds=(-0.9999, 0.9999), method="bounded", options={"xatol": 1e-9}
    )
    return float(res.x)


@dataclass(frozen=True)
class Polychoric:
    """Result of :func:`polychoric`.

    Attributes
    ----------
    rho
        items x items polychoric correlation matrix (DataFrame, unit diagonal).
    thresholds
        item -> its thresholds (length: number of distinct codes - 1).
    levels
        item -> its distinct codes, ascending.
    n
        listwise-complete respondents used.
    """

    rho: pd.DataFrame
    thresholds: dict[str, np.ndarray]
    levels: dict[str, np.ndarray]
    n: int


def polychoric(items: pd.DataFrame, *, correct: float = 0.5) -> Polychoric:
    """Polychoric correlation matrix and thresholds of ordinal items (two-step ML, as psych).

    Parameters
    ----------
    items
        respondents x items, integer answer codes (nullable integers and NaN allowed: rows with any
        missing answer are dropped, listwise).
    correct
        value added (as ``correct / n``) to empty cells of each pair's table before fitting;
        ``psych::polychoric``'s default 0.5; 0 for none (lavaan adds none).

    Returns
    -------
    Polychoric

    Raises
    ------
    ValueError
        fewer than 2 items or 3 complete rows, a non-numeric or non-integer column, or an item with
        one answer only.

    Notes
    -----
    Agrees with ``psych::polychoric`` (psych 2.2.9) on bfi agreeableness: correlations to ~1e-4
    (psych's ``optimize`` stops at a tolerance of ~1e-4), thresholds to 1e-10 (tests).
    """
    x, levels = _codes(items)
    arr = x.to_numpy()
    p = arr.shape[1]
    taus = [thresholds(arr[:, j], levels[j]) for j in range(p)]
    r = np.eye(p)
    for a in range(p):
        for b in range(a):
            tab = _table(arr[:, a], arr[:, b], levels[a], levels[b])
            r[a, b] = r[b, a] = _pair_rho(tab, taus[a], taus[b], correct)
    names = [str(c) for c in x.columns]
    return Polychoric(
        rho=pd.DataFrame(r, index=names, columns=names),
        thresholds=dict(zip(names, taus, strict=True)),
        levels=dict(zip(names, levels, strict=True)),
        n=len(x),
    )


def ordinal_alpha(items: pd.DataFrame) -> float:
    """Ordinal alpha (Zumbo, Gadermann & Zeisser 2007): Cronbach's alpha of the polychoric matrix.

    Parameters
    ----------
    items
        respondents x items frame of integer answer codes, reverse-keyed items already reversed;
        rows with any missing answer are dropped (listwise, as psych).

    Returns
    -------
    float
        ``k / (k - 1) * (1 - k / sum(R))`` for the k x k polychoric matrix ``R``.

    Notes
    -----
    Equals ``psych::alpha(psych::polychoric(items)$rho)$total$raw_alpha`` (psych 2.2.9; tested on bfi
    agreeableness to 1e-4).
    """
    return matrix_alpha(polychoric(items).rho.to_numpy())


def ordinal_omega(items: pd.DataFrame) -> float:
    """Ordinal omega total: McDonald's omega of a one-factor (minres) model of the polychoric matrix.

    Parameters
    ----------
    items
        as :func:`ordinal_alpha`; at least 3 items.

    Returns
    -------
    float
        ``(sum l)^2 / ((sum l)^2 + sum(1 - l^2))`` with the loadings ``l`` of the project's one-factor
        minres fit (:func:`mscsurvey.stats.reliability.one_factor_loadings`, which matches ``psych::fa``)
        applied to the polychoric matrix.
    """
    return matrix_omega(polychoric(items).rho.to_numpy())


def matrix_alpha(r: np.ndarray) -> float:
    """Standardised (Cronbach's) alpha of a k x k correlation matrix: ``k/(k-1) (1 - k/sum(R))``."""
    r = np.asarray(r, dtype=float)
    k = r.shape[0]
    return float(k / (k - 1) * (1.0 - k / r.sum()))


def matrix_omega(r: np.ndarray) -> float:
    """Omega total of a one-factor minres model of the correlation matrix ``r`` (at least 3 x 3)."""
    r = np.asarray(r, dtype=float)
    if r.shape[0] < 3:
        raise ValueError(f"items must have at least 3 columns for omega, got {r.shape[0]}")
    lam = _fit_one_factor(r, "minres")
    s = float(lam.sum())
    return s * s / (s * s + float((1.0 - lam**2).sum()))
