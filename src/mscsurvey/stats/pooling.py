"""Rubin's rules: pool estimates from m multiply imputed data sets.

Written by hand because neither statsmodels nor scikit-learn exposes the pooling arithmetic on its own
(statsmodels' ``MICEResults`` pools inside its own model loop and uses Rubin's large-sample df, not the
Barnard–Rubin small-sample df that R's ``mice::pool`` reports). The formulas are those of
``mice::pool`` (van Buuren, *Flexible Imputation of Missing Data*, 2nd ed., §2.3.5–2.3.6):

- ``estimate`` = mean of the m estimates; ``ubar`` = mean of the m variances (within);
- ``b`` = variance of the m estimates (between, ddof = 1); ``t = ubar + (1 + 1/m) b``;
- ``riv = (1 + 1/m) b / ubar``; ``lambda = (1 + 1/m) b / t``;
- ``df``: Barnard & Rubin (1999) with the complete-data df ``dfcom`` (``lambda`` floored at 1e-4);
- ``fmi = (riv + 2 / (df + 3)) / (1 + riv)``;
- a t-interval ``estimate ± t_{df, 1-alpha/2} sqrt(t)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["POOLED_COLUMNS", "barnard_rubin_df", "pool"]

POOLED_COLUMNS = [
    "term",
    "estimate",
    "ubar",
    "b",
    "t",
    "se",
    "df",
    "riv",
    "lambda",
    "fmi",
    "ci_low",
    "ci_high",
    "m",
]


def barnard_rubin_df(m: int, b: np.ndarray, t: np.ndarray, dfcom: float) -> np.ndarray:
    """Barnard–Rubin degrees of freedom, as ``mice:::barnard.rubin``.

    Parameters
    ----------
    m : int
        Number of imputations.
    b, t : numpy.ndarray
        Between-imputation and total variances per term.
    dfcom : float
        Complete-data degrees of freedom (n − number of coefficients for a linear model); ``inf``
        gives Rubin's (1987) large-sample df.

    Returns
    -------
    numpy.ndarray
        The degrees of freedom per term.
    """
    lam = np.maximum((1 + 1 / m) * np.asarray(b, float) / np.asarray(t, float), 1e-4)
    dfold = (m - 1) / lam**2
    if math.isinf(dfcom):
        return dfold
    dfobs = (dfcom + 1) / (dfcom + 3) * dfcom * (1 - lam)
    return dfold * dfobs / (dfold + dfobs)


def pool(
    estimates: np.ndarray | Sequence[Sequence[float]],
    variances: np.ndarray | Sequence[Sequence[float]],
    dfcom: float,
    *,
    terms: Sequence[str] | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Pool m sets of estimates and their squared standard errors by Rubin's rules.

    Parameters
    ----------
    estimates, variances : array-like, shape (m, k)
        Each imputation's estimates and sampling variances (squared SEs), one row per imputation.
    dfcom : float
        Complete-data degrees of freedom (``inf`` for large-sample pooling).
    terms : sequence of str, optional
        Names of the k terms (default ``0..k-1``).
    alpha : float
        1 − confidence level of the interval.

    Returns
    -------
    pandas.DataFrame
        One row per term with :data:`POOLED_COLUMNS`.
    """
    q = np.atleast_2d(np.asarray(estimates, dtype=float))
    u = np.atleast_2d(np.asarray(variances, dtype=float))
    if q.shape != u.shape:
        raise ValueError(f"estimates {q.shape} and variances {u.shape} differ in shape")
    m = q.shape[0]
    if m < 2:
        raise ValueError("Rubin's rules need at least 2 imputations")
    qbar = q.mean(axis=0)
    ubar = u.mean(axis=0)
    b = q.var(axis=0, ddof=1)
    t = ubar + (1 + 1 / m) * b
    with np.errstate(divide="ignore", invalid="ignore"):
        riv = (1 + 1 / m) * b / ubar
        lam = (1 + 1 / m) * b / t
    df = barnard_rubin_df(m, b, t, dfcom)
    fmi = (riv + 2 / (df + 3)) / (1 + riv)
    half = stats.t.ppf(1 - alpha / 2, df) * np.sqrt(t)
    names = list(terms) if terms is not None else [str(i) for i in range(q.shape[1])]
    return pd.DataFrame(
        {
            "term": names,
            "estimate": qbar,
            "ubar": ubar,
            "b": b,
            "t": t,
            "se": np.sqrt(t),
            "df": df,
            "riv": riv,
            "lambda": lam,
            "fmi": fmi,
            "ci_low": qbar - half,
            "ci_high": qbar + half,
            "m": m,
        },
        columns=POOLED_COLUMNS,
    )
