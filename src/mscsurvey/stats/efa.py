"""Exploratory factor analysis for the codebook draft: how many constructs an item battery holds and
which items go together, when the items' names say nothing.

:func:`parallel_analysis` suggests the number of factors (Horn's method: keep the factors whose
eigenvalue beats the 95th percentile of the eigenvalues of random data of the same shape);
:func:`fit_efa` fits a maximum-likelihood factor model with a varimax rotation (scikit-learn's
``FactorAnalysis``; ``factor_analyzer`` is broken with scikit-learn >= 1.8, see STACK.md);
:func:`propose_constructs` assigns each item to the factor it loads on most, orients each factor to its
items' majority sign and reads reverse keys, cross-loadings and weak items from the loadings.

Everything here is a proposal for a person to review: the draft writes the evidence (loadings, share
of variance) beside each choice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Proposal", "correlations", "parallel_analysis", "fit_efa", "propose_constructs"]

#: |loading| below this: the item is weak (it barely measures any factor); flagged for review.
WEAK = 0.30
#: a primary loading below minus this is read as a reverse key (with thousands of respondents even a
#: weak loading's sign is clear; nearer 0 the sign says nothing).
REVERSE = 0.15
#: a second loading at least this large (in absolute value) is a cross-loading worth a look.
CROSS = 0.30


@dataclass
class Proposal:
    """Proposed constructs of one battery: ``groups`` holds column lists, one per factor, in factor
    order; ``loadings`` (items x factors, factors oriented so that most of their items load
    positively); ``share`` the share of the items' variance each factor explains."""

    columns: list[str]
    loadings: np.ndarray
    share: np.ndarray
    groups: list[list[str]]
    reverse: dict[str, float]  # item -> its (negative) primary loading
    weak: dict[str, float]  # item -> its primary loading
    cross: dict[str, tuple[int, float]]  # item -> (other factor index, loading there)
    suggested: int | None  # parallel analysis's number (None when not run)
    eigenvalues: np.ndarray


def correlations(x: np.ndarray) -> np.ndarray:
    """Pairwise-complete Pearson correlations of the columns of ``x`` (missing answers as NaN).

    Pairwise correlations keep every answer; they can be slightly non-positive-definite, which
    :func:`fit_efa` tolerates (it clips negative eigenvalues). A column with no variance correlates 0.
    """
    import pandas as pd

    c = pd.DataFrame(np.asarray(x, dtype="float64")).corr(min_periods=3).to_numpy(copy=True)
    c[~np.isfinite(c)] = 0.0
    np.fill_diagonal(c, 1.0)
    return c


def parallel_analysis(
    corr: np.ndarray, n: int, *, n_iter: int = 20, quantile: float = 0.95, seed: int = 0
) -> tuple[int, np.ndarray, np.ndarray]:
    """Horn's parallel analysis: the eigenvalues of ``corr`` (from ``n`` respondents) against those of
    random normal data of the same shape.

    Returns
    -------
    (number of factors, the data's eigenvalues, the random data's ``quantile`` eigenvalues)
        the number is at least 1. Random data: ``n_iter`` samples from a fixed seed (deterministic).
    """
    p = corr.shape[0]
    observed = np.linalg.eigvalsh(corr)[::-1]
    rng = np.random.default_rng(seed)
    sims = np.empty((n_iter, p))
    for i in range(n_iter):
        # single precision: twice as fast, and eigenvalues to 2 decimals are all this needs
        a = rng.standard_normal((n, p), dtype=np.float32)
        a -= a.mean(axis=0)
        gram = (a.T @ a).astype("float64")
        d = np.sqrt(np.diag(gram))
        sims[i] = np.linalg.eigvalsh(gram / np.outer(d, d))[::-1]
    threshold = np.quantile(sims, quantile, axis=0)
    above = observed > threshold
    # the count of leading eigenvalues above the random ones (stop at the first that is not)
    k = int(np.argmin(above)) if not above.all() else p
    return max(1, k), observed, threshold


def fit_efa(corr: np.ndarray, n_factors: int, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Maximum-likelihood factor analysis with varimax rotation of a correlation matrix.

    scikit-learn's ``FactorAnalysis`` takes data, but its fit depends on the data only through their
    covariance. So it is given 2p rows whose covariance is ``corr`` exactly (the rows of
    sqrt(p) * Lambda^1/2 V' and their negatives, from ``corr``'s eigen-decomposition; the negatives make
    the column means 0): the same solution as on thousands of respondents, about 30 times faster, and
    it works from pairwise correlations.

    Returns
    -------
    (loadings, share)
        loadings: items x factors, factors sorted by the variance they explain; share: that variance
        as a share of the items' total.
    """
    from sklearn.decomposition import FactorAnalysis

    p = corr.shape[0]
    w, v = np.linalg.eigh(corr)
    half = np.sqrt(p) * (v * np.sqrt(np.clip(w, 0.0, None))).T
    rows = np.vstack([half, -half])
    fa = FactorAnalysis(n_components=n_factors, rotation="varimax", random_state=seed)
    fa.fit(rows)
    loadings = fa.components_.T.copy()
    ss = (loadings**2).sum(axis=0)
    order = np.argsort(-ss, kind="stable")
    return loadings[:, order], ss[order] / p


def propose_constructs(
    x: np.ndarray,
    columns: list[str],
    *,
    n_factors: int | None = None,
    seed: int = 0,
) -> Proposal:
    """Group the columns of ``x`` (item codes, missing answers NaN) into proposed constructs.

    ``n_factors`` fixes the number of factors; otherwise parallel analysis suggests it. Each item goes
    to the factor it loads on most (in absolute value). A factor's sign is arbitrary: it is turned so
    that most of its items (ties: the larger sum of loadings) load positively, and an item loading
    against that majority (and not weakly) is proposed as reverse-keyed.
    """
    corr = correlations(x)
    suggested, eig, _ = parallel_analysis(corr, len(x), seed=seed)
    k = n_factors if n_factors is not None else suggested
    k = max(1, min(k, len(columns) - 1)) if len(columns) > 1 else 1
    loadings, share = fit_efa(corr, k, seed=seed)
    primary = np.argmax(np.abs(loadings), axis=1)
    for f in range(k):
        own = loadings[primary == f, f]
        if len(own) and ((own < 0).sum(), -own.sum()) > ((own > 0).sum(), own.sum()):
            loadings[:, f] = -loadings[:, f]
    groups: list[list[str]] = [[] for _ in range(k)]
    reverse: dict[str, float] = {}
    weak: dict[str, float] = {}
    cross: dict[str, tuple[int, float]] = {}
    for i, col in enumerate(columns):
        f = int(primary[i])
        groups[f].append(col)
        lam = float(loadings[i, f])
        if abs(lam) < WEAK:
            weak[col] = lam
        if lam < -REVERSE:
            reverse[col] = lam
        others = np.abs(loadings[i]).copy()
        others[f] = 0.0
        g = int(np.argmax(others))
        if k > 1 and others[g] >= CROSS:
            cross[col] = (g, float(loadings[i, g]))
    keep = [j for j in range(k) if groups[j]]
    return Proposal(
        columns=list(columns),
        loadings=loadings[:, keep],
        share=share[keep],
        groups=[groups[j] for j in keep],
        reverse=reverse,
        weak=weak,
        cross={c: (keep.index(g) if g in keep else g, v) for c, (g, v) in cross.items()},
        suggested=suggested,
        eigenvalues=eig,
    )
