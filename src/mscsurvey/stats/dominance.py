"""Dominance analysis: the general dominance (Shapley decomposition of R²) of blocks of predictors.

An engine that knows nothing of codebooks (moved out of :mod:`mscsurvey.stages.regressions`, which
codes a model's predictors into blocks and ranks the drivers).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["MAX_DOMINANCE_BLOCKS", "dominance_analysis"]

#: Above this many predictor blocks the all-subsets dominance analysis (2^p regressions) is refused.
MAX_DOMINANCE_BLOCKS = 18


def dominance_analysis(
    data: pd.DataFrame, *, y: str, blocks: Mapping[str, Sequence[str]]
) -> pd.DataFrame:
    """General dominance (Shapley decomposition of R²) of predictor blocks.

    Parameters
    ----------
    data : pandas.DataFrame
        Complete cases: the outcome column and every column named in ``blocks``.
    y : str, keyword-only
        The outcome column.
    blocks : mapping, keyword-only
        predictor -> its columns (one for a numeric predictor, the dummies of a categorical one).

    Returns
    -------
    pandas.DataFrame
        One row per block, in the given order: ``predictor``, ``n_terms``, ``general_dominance``
        (the block's average R² increment), ``share`` (of the full R²), ``rank`` (1 = largest),
        ``r2`` (full model).

    Raises
    ------
    ValueError
        No blocks, a column missing, or more than :data:`MAX_DOMINANCE_BLOCKS` blocks.

    Notes
    -----
    Written here rather than taken from pingouin: ``linear_regression(relimp=True)`` computes the
    Lindeman–Merenda–Gold decomposition **per column**, so a categorical predictor would be split
    into its dummies (each credited separately, depending on the reference level) instead of being
    one predictor; the block version is the dominance analysis of Budescu (1993) / Azen & Budescu
    (2003) with sets of predictors. For single-column blocks the two coincide (tested).

    For :math:`p` blocks, the R² of all :math:`2^p` subsets is computed once (cached, from the
    covariance matrix: :math:`R^2_S = s_{yS} S_{SS}^{-1} s_{Sy} / s_{yy}`, the OLS R² with
    intercept) and

    .. math::

        GD_b = \\sum_{S \\subseteq P\\setminus b} \\frac{|S|!\\,(p-|S|-1)!}{p!}
               \\left(R^2_{S\\cup b} - R^2_S\\right),

    which sums to the full R² exactly (checked; a ``RuntimeError`` otherwise).

    References
    ----------
    Budescu, D. V. (1993). Dominance analysis: a new approach to the problem of relative importance
    of predictors in multiple regression. *Psychological Bulletin*, 114(3), 542-551.
    Azen, R., & Budescu, D. V. (2003). The dominance analysis approach for comparing predictors in
    multiple regression. *Psychological Methods*, 8(2), 129-148.
    Grömping, U. (2006). Relative importance for linear regression in R: the package relaimpo.
    *Journal of Statistical Software*, 17(1).

    Examples
    --------
    >>> d = pd.DataFrame({"y": [1.0, 3, 2, 5, 4, 6], "a": [1.0, 2, 1, 3, 2, 3],
    ...                   "g1": [0.0, 0, 1, 1, 0, 1], "g2": [0.0, 1, 0, 0, 1, 0]})
    >>> da = dominance_analysis(d, y="y", blocks={"a": ["a"], "g": ["g1", "g2"]})
    >>> bool(np.isclose(da["general_dominance"].sum(), da["r2"].iloc[0]))
    True
    """
    names = list(blocks)
    p = len(names)
    if p == 0:
        raise ValueError("blocks is empty: nothing to decompose")
    if p > MAX_DOMINANCE_BLOCKS:
        raise ValueError(
            f"{p} predictor blocks need 2^{p} regressions; at most {MAX_DOMINANCE_BLOCKS} are allowed"
        )
    cols = [c for b in names for c in blocks[b]]
    lacking = [c for c in [y, *cols] if c not in data.columns]
    if lacking:
        raise ValueError(f"column(s) {', '.join(lacking)} not in data")
    m = data[[y, *cols]].to_numpy(dtype=float)
    if np.isnan(m).any():
        raise ValueError("data has missing values: pass complete cases")
    cov = np.cov(m, rowvar=False)
    syy = cov[0, 0]
    index: list[list[int]] = []
    pos = 1
    for b in names:
        index.append(list(range(pos, pos + len(blocks[b]))))
        pos += len(blocks[b])
    r2 = np.zeros(1 << p)
    for mask in range(1, 1 << p):
        idx = [c for j in range(p) if mask >> j & 1 for c in index[j]]
        sxx = cov[np.ix_(idx, idx)]
        sxy = cov[idx, 0]
        beta = np.linalg.lstsq(sxx, sxy, rcond=None)[0]
        r2[mask] = float(sxy @ beta) / syy
    weights = [math.factorial(s) * math.factorial(p - s - 1) / math.factorial(p) for s in range(p)]
    sizes = np.array([bin(mask).count("1") for mask in range(1 << p)])
    gd = np.zeros(p)
    for j in range(p):
        bit = 1 << j
        without = np.array([mask for mask in range(1 << p) if not mask & bit])
        w = np.array([weights[s] for s in sizes[without]])
        gd[j] = float(np.sum(w * (r2[without | bit] - r2[without])))
    full = float(r2[(1 << p) - 1])
    if not math.isclose(gd.sum(), full, rel_tol=1e-9, abs_tol=1e-12):
        raise RuntimeError(f"dominance weights sum to {gd.sum()!r}, not the full R² {full!r}")
    order = np.argsort(-gd, kind="stable")
    rank = np.empty(p, dtype=int)
    rank[order] = np.arange(1, p + 1)
    return pd.DataFrame(
        {
            "predictor": names,
            "n_terms": [len(blocks[b]) for b in names],
            "general_dominance": gd,
            "share": gd / full if full > 0 else np.nan,
            "rank": rank,
            "r2": full,
        }
    )
