"""Internal-consistency reliability of one scale: Cronbach's alpha (Feldt or bootstrap CI), standardised
alpha, average inter-item correlation, McDonald's omega total from a one-factor model, corrected
item-total correlations and alpha if an item is deleted.

Every function takes a respondents x items numeric frame (no codebook), works on its
**listwise-complete rows** (rows with any missing value are dropped first, as ``psych::alpha`` and
``psych::fa`` do on the reference data), and returns a float or a tidy DataFrame.
:func:`scale_reliability` gives alpha, its interval and the item statistics from one covariance
matrix made by BLAS products (listwise, or pairwise as ``pingouin.cronbach_alpha``'s default): the
route for 10^5-10^6 respondents. Nothing is rounded.
Bad input raises ``ValueError`` naming the argument and the value.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats

__all__ = [
    "complete_rows",
    "cronbach_alpha",
    "feldt_ci",
    "bootstrap_alpha",
    "standardised_alpha",
    "average_interitem_r",
    "one_factor_loadings",
    "omega_total",
    "item_total",
    "scale_reliability",
]

CiMethod = Literal["feldt", "bootstrap"]
FactorMethod = Literal["minres", "ml"]

#: psych::fa bounds the uniquenesses of its one-factor fits to [0.005, 1].
_PSI_LOWER, _PSI_UPPER = 0.005, 1.0


# ----------------------------------------------------------------------------------------------------
# Input handling
# ----------------------------------------------------------------------------------------------------


def complete_rows(df: pd.DataFrame | np.ndarray, *, min_items: int = 2) -> pd.DataFrame:
    """The listwise-complete rows of ``df`` as float64 (nullable integers and NA become NaN first).

    Parameters
    ----------
    df
        respondents x items; a DataFrame or a 2-D array (columns are then named ``item1``...).
    min_items
        fewest columns accepted.

    Returns
    -------
    DataFrame
        the rows with no missing value, float64, original column names and index.

    Raises
    ------
    ValueError
        ``df`` is not 2-D, has fewer than ``min_items`` columns, duplicate column names or a column
        that is not numeric.
    """
    if isinstance(df, np.ndarray):
        if df.ndim != 2:
            raise ValueError(
                f"df must be 2-D (respondents x items), got an array of shape {df.shape}"
            )
        df = pd.DataFrame(df, columns=[f"item{j + 1}" for j in range(df.shape[1])])
    if not isinstance(df, pd.DataFrame):
        raise ValueError(
            f"df must be a pandas DataFrame or 2-D numpy array, got {type(df).__name__}"
        )
    if df.shape[1] < min_items:
        raise ValueError(f"df must have at least {min_items} item columns, got {df.shape[1]}")
    if df.columns.duplicated().any():
        dup = df.columns[df.columns.duplicated()][0]
        raise ValueError(f"df has the column name {dup!r} twice (item names must be unique)")
    out = {}
    for col in df.columns:
        s = df[col]
        if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
            raise ValueError(f"df column {col!r} is not numeric (dtype {s.dtype})")
        out[col] = s.to_numpy(dtype="float64", na_value=np.nan)
    x = pd.DataFrame(out, index=df.index, columns=df.columns)
    return x[np.isfinite(x.to_numpy()).all(axis=1)]


def _matrix(
    df: pd.DataFrame | np.ndarray, *, min_items: int = 2, min_rows: int = 2
) -> pd.DataFrame:
    x = complete_rows(df, min_items=min_items)
    if len(x) < min_rows:
        raise ValueError(
            f"df has {len(x)} listwise-complete row(s); at least {min_rows} are needed"
        )
    return x


def _check_constant(x: pd.DataFrame) -> None:
    sd = x.std(ddof=1)
    flat = sd.index[~(sd > 0)]
    if len(flat):
        raise ValueError(
            f"df column {flat[0]!r} has no variance on the listwise-complete rows (constant item); "
            "correlations with it are undefined"
        )


def _check_ci(ci: float) -> None:
    if not (isinstance(ci, (int, float)) and 0 < ci < 1):
        raise ValueError(f"ci must be a confidence level strictly between 0 and 1, got {ci!r}")


def _alpha_from_cov(cov: np.ndarray) -> float:
    k = cov.shape[0]
    total = cov.sum()
    if not total > 0:
        return float("nan")
    return float(k / (k - 1) * (1.0 - np.trace(cov) / total))


# ----------------------------------------------------------------------------------------------------
# Alpha and its confidence interval
# ----------------------------------------------------------------------------------------------------


def feldt_ci(alpha: float, n: int, k: int, *, ci: float = 0.95) -> tuple[float, float]:
    """Feldt's confidence interval for Cronbach's alpha.

    Parameters
    ----------
    alpha
        the sample alpha.
    n, k
        respondents (listwise complete) and items.
    ci
        confidence level.

    Returns
    -------
    (low, high)

    Notes
    -----
    ``1 - (1 - alpha) * F_q(n - 1, (n - 1)(k - 1))`` at ``q = 1 - (1 - ci)/2`` (low) and
    ``q = (1 - ci)/2`` (high): the formula of ``psych::alpha.ci`` (psych 2.2.9), at full precision.

    References
    ----------
    Feldt, L. S., Woodruff, D. J., & Salih, F. A. (1987). Statistical inference for coefficient alpha.
    Applied Psychological Measurement, 11(1), 93-103.
    """
    _check_ci(ci)
    if n < 2 or k < 2:
        raise ValueError(f"n must be >= 2 and k >= 2 for Feldt's interval, got n={n}, k={k}")
    p = 1.0 - ci
    df1, df2 = n - 1, (n - 1) * (k - 1)
    low = 1.0 - (1.0 - alpha) * stats.f.ppf(1.0 - p / 2.0, df1, df2)
    high = 1.0 - (1.0 - alpha) * stats.f.ppf(p / 2.0, df1, df2)
    return float(low), float(high)


def _moment_features(x: np.ndarray) -> np.ndarray:
    """Per row: the items, their squares, the total and its square (centred for precision)."""
    x = x - x.mean(axis=0)
    t = x.sum(axis=1, keepdims=True)
    return np.hstack([x, x * x, t, t * t])


def _alphas_from_weights(w: np.ndarray, feats: np.ndarray, n: int, k: int) -> np.ndarray:
    """Alpha of each resample, given its row weights (counts summing to ``n``): one matrix product."""
    m = (w @ feats) / n  # resamples x (2k + 2) weighted first and second moments
    item_var = (m[:, k : 2 * k] - m[:, :k] ** 2).sum(axis=1)
    total_var = m[:, 2 * k + 1] - m[:, 2 * k] ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        a = k / (k - 1) * (1.0 - item_var / total_var)
    return np.where(total_var > 0, a, np.nan)


def bootstrap_alpha(
    df: pd.DataFrame | np.ndarray,
    *,
    n_boot: int = 1000,
    seed: int | None = None,
    chunk_cells: int = 8_000_000,
) -> np.ndarray:
    """Cronbach's alpha of ``n_boot`` nonparametric bootstrap resamples of the listwise-complete rows.

    Parameters
    ----------
    df
        respondents x items.
    n_boot
        number of resamples.
    seed
        seed of ``numpy.random.default_rng``; the same seed and data give the same resamples.
    chunk_cells
        upper bound on resamples x rows (or distinct rows) held in memory at once.

    Returns
    -------
    ndarray
        ``n_boot`` alphas (NaN for a resample whose total score has no variance).

    Raises
    ------
    ValueError
        ``n_boot`` is not a positive integer; ``df`` as :func:`complete_rows` (and fewer than 2
        complete rows).

    Notes
    -----
    Vectorised: no Python loop over resamples (only over chunks of them). Each resample is a vector of
    row counts ``w`` (summing to n); its alpha needs only the weighted moments ``w @ F`` of the per-row
    features ``F = [x, x^2, total, total^2]``. Identical rows are merged first when the items hold
    integer codes (survey answers have few distinct patterns): when the distinct rows are at most a
    quarter of n, the counts are drawn directly as ``multinomial(n, counts / n)`` over them (exactly the
    bootstrap distribution, at a cost independent of n); otherwise the rows are sorted, row indices are
    drawn uniformly and counted with one ``bincount`` per chunk of resamples (about 25 ms per resample
    of 10^6 rows on one core). Either way the result does not depend on the order of the rows.
    """
    if not isinstance(n_boot, (int, np.integer)) or isinstance(n_boot, bool) or n_boot < 1:
        raise ValueError(f"n_boot must be a positive integer, got {n_boot!r}")
    if not isinstance(chunk_cells, (int, np.integer)) or chunk_cells < 1:
        raise ValueError(f"chunk_cells must be a positive integer, got {chunk_cells!r}")
    x = _matrix(df).to_numpy()
    n, k = x.shape
    rng = np.random.default_rng(seed)
    out = np.empty(n_boot)
    distinct = _distinct_rows(x)
    if distinct is not None and len(distinct[0]) * 4 <= n:
        uniq, counts = distinct
        feats = _moment_features_weighted(uniq, counts)
        p = counts / n
        step = max(1, chunk_cells // len(uniq))
        for start in range(0, n_boot, step):
            b = min(step, n_boot - start)
            w = rng.multinomial(n, p, size=b).astype(np.float64)
            out[start : start + b] = _alphas_from_weights(w, feats, n, k)
    else:
        # rows in sorted order, so that the draws do not depend on the order of the input rows
        feats = _moment_features(x[np.lexsort(x.T[::-1])])
        step = max(1, min(n_boot, chunk_cells // n))
        offsets = (np.arange(step, dtype=np.int64) * n)[:, None]
        buf = np.empty((step, n))  # reused: converting the counts into fresh memory is slower
        for start in range(0, n_boot, step):
            b = min(step, n_boot - start)
            idx = rng.integers(0, n, size=(b, n)) + offsets[:b]
            w = buf[:b]
            np.copyto(w, np.bincount(idx.ravel(), minlength=b * n).reshape(b, n))
            out[start : start + b] = _alphas_from_weights(w, feats, n, k)
    return out


def _distinct_rows(x: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Distinct rows of ``x`` and their counts when every value is an integer code (else None).

    Rows are packed into one int64 key per row (mixed radix over each column's range), so this costs a
    1-D sort rather than ``np.unique(axis=0)``'s row-wise one.
    """
    if not np.array_equal(x, np.round(x)):
        return None
    lo = x.min(axis=0)
    span = (x.max(axis=0) - lo + 1).astype(np.int64)
    if math.prod(int(s) for s in span) >= 2**62:
        return None
    radix = np.concatenate([[1], np.cumprod(span[:-1])]).astype(np.int64)
    key = (x - lo).astype(np.int64) @ radix
    _, first, counts = np.unique(key, return_index=True, return_counts=True)
    return x[first], counts


def _moment_features_weighted(uniq: np.ndarray, counts: np.ndarray) -> np.ndarray:
    centre = (uniq * counts[:, None]).sum(axis=0) / counts.sum()
    x = uniq - centre
    t = x.sum(axis=1, keepdims=True)
    return np.hstack([x, x * x, t, t * t])


def cronbach_alpha(
    df: pd.DataFrame | np.ndarray,
    *,
    ci: float = 0.95,
    method: CiMethod = "feldt",
    n_boot: int = 1000,
    seed: int | None = None,
) -> pd.DataFrame:
    """Cronbach's alpha with a confidence interval, on the listwise-complete rows of ``df``.

    Parameters
    ----------
    df
        respondents x items (numeric; missing values allowed: rows with any are dropped).
    ci
        confidence level of the interval.
    method
        ``"feldt"`` (closed form, :func:`feldt_ci`) or ``"bootstrap"`` (percentile interval of
        :func:`bootstrap_alpha`).
    n_boot, seed
        resamples and seed of the bootstrap (ignored by ``"feldt"``).

    Returns
    -------
    DataFrame
        one row: ``n`` (listwise-complete respondents), ``n_items``, ``alpha``, ``ci_low``, ``ci_high``,
        ``ci_level``, ``ci_method``.

    Raises
    ------
    ValueError
        fewer than 2 items or 2 complete rows, a non-numeric column, a bad ``ci``/``method``/``n_boot``.

    Notes
    -----
    ``alpha = k / (k - 1) * (1 - sum(var_j) / var(total))`` with sample variances; agrees with
    ``psych::alpha`` (psych 2.2.9) ``raw_alpha`` and with ``pingouin.cronbach_alpha`` when pingouin is
    given the complete rows (its default ``nan_policy="pairwise"`` differs; pingouin also rounds its CI
    to 3 decimals, this does not). Alpha is NaN when the total score has no variance.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 3, 5, 5], "c": [1, 3, 3, 4, 4]})
    >>> round(float(cronbach_alpha(df)["alpha"].iloc[0]), 4)
    0.9538
    """
    _check_ci(ci)
    if method not in ("feldt", "bootstrap"):
        raise ValueError(f"method must be 'feldt' or 'bootstrap', got {method!r}")
    x = _matrix(df)
    n, k = x.shape
    alpha = _alpha_from_cov(np.cov(x.to_numpy(), rowvar=False))
    if not math.isfinite(alpha):
        low = high = float("nan")
    elif method == "feldt":
        low, high = feldt_ci(alpha, n, k, ci=ci)
    else:
        boots = bootstrap_alpha(x, n_boot=n_boot, seed=seed)
        q = (1.0 - ci) / 2.0
        if np.isfinite(boots).sum() < 2:
            low = high = float("nan")
        else:
            low, high = (float(v) for v in np.nanquantile(boots, [q, 1.0 - q]))
    return pd.DataFrame(
        {
            "n": [n],
            "n_items": [k],
            "alpha": [alpha],
            "ci_low": [low],
            "ci_high": [high],
            "ci_level": [float(ci)],
            "ci_method": [method],
        }
    )


# ----------------------------------------------------------------------------------------------------
# Correlation-based statistics
# ----------------------------------------------------------------------------------------------------


def _corr(df: pd.DataFrame | np.ndarray, *, min_items: int = 2) -> tuple[np.ndarray, pd.DataFrame]:
    x = _matrix(df, min_items=min_items, min_rows=3)
    _check_constant(x)
    return np.corrcoef(x.to_numpy(), rowvar=False), x


def average_interitem_r(df: pd.DataFrame | np.ndarray) -> float:
    """Mean of the off-diagonal inter-item correlations (listwise-complete rows).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        fewer than 2 items or 3 complete rows, or a constant item.

    Notes
    -----
    Agrees with ``psych::alpha`` (psych 2.2.9) ``average_r``.
    """
    r, _ = _corr(df)
    k = r.shape[0]
    return float((r.sum() - k) / (k * (k - 1)))


def standardised_alpha(df: pd.DataFrame | np.ndarray) -> float:
    """Alpha of the standardised items: ``k * r / (1 + (k - 1) * r)`` with ``r`` the average
    inter-item correlation (listwise-complete rows).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        fewer than 2 items or 3 complete rows, or a constant item.

    Notes
    -----
    Agrees with ``psych::alpha`` (psych 2.2.9) ``std.alpha``. For two items it is the Spearman-Brown
    value ``2r / (1 + r)``.
    """
    r, _ = _corr(df)
    k = r.shape[0]
    rbar = (r.sum() - k) / (k * (k - 1))
    return float(k * rbar / (1.0 + (k - 1) * rbar))


def _top_eigen(m: np.ndarray) -> tuple[float, np.ndarray]:
    vals, vecs = np.linalg.eigh(m)
    v = vecs[:, -1]
    if v.sum() < 0:  # sign convention: loadings mostly positive
        v = -v
    return float(vals[-1]), v


def _minres_loadings(psi: np.ndarray, r: np.ndarray) -> np.ndarray:
    s = r.copy()
    np.fill_diagonal(s, 1.0 - psi)
    val, vec = _top_eigen(s)
    return vec * math.sqrt(max(val, 100 * np.finfo(float).eps))


def _minres_objective(psi: np.ndarray, r: np.ndarray) -> float:
    lam = _minres_loadings(psi, r)
    res = r - np.outer(lam, lam)
    low = res[np.tril_indices_from(res, -1)]
    return float(low @ low)


def _ml_loadings(psi: np.ndarray, r: np.ndarray) -> np.ndarray:
    sc = 1.0 / np.sqrt(psi)
    val, vec = _top_eigen(r * np.outer(sc, sc))
    return np.sqrt(psi) * vec * math.sqrt(max(val - 1.0, 0.0))


def _ml_objective(psi: np.ndarray, r: np.ndarray) -> float:
    sc = 1.0 / np.sqrt(psi)
    e = np.linalg.eigvalsh(r * np.outer(sc, sc))[:-1]  # all but the largest
    return float(-(np.sum(np.log(e) - e) - 1 + r.shape[0]))


def _ml_gradient(psi: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Exact gradient of :func:`_ml_objective`: ``diag(L L' + Psi - R) / Psi^2`` (Joreskog 1967; the
    gradient ``psych::fa`` and ``stats::factanal`` use)."""
    lam = _ml_loadings(psi, r)
    return (lam * lam + psi - np.diag(r)) / (psi * psi)


def _minres_direct(r: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Loadings minimising the off-diagonal residuals directly (analytic gradient).

    Any uniquenesses give loadings, and the optimal loadings ``l`` are reproduced by the uniquenesses
    ``1 - l^2`` (``l`` is then the leading eigenvector of R with ``l^2`` on its diagonal), so this is
    ``psych::fa``'s minres optimum whenever those uniquenesses lie within its bounds.
    """
    off = ~np.eye(r.shape[0], dtype=bool)

    def fun(lam: np.ndarray) -> tuple[float, np.ndarray]:
        res = np.where(off, r - np.outer(lam, lam), 0.0)
        return 0.5 * float(np.sum(res * res)), -2.0 * (res @ lam)

    out = optimize.minimize(
        fun, start, jac=True, method="BFGS", options={"gtol": 1e-12, "maxiter": 10_000}
    ).x
    return -out if out.sum() < 0 else out


def _fit_one_factor(r: np.ndarray, method: FactorMethod) -> np.ndarray:
    k = r.shape[0]
    if method not in ("minres", "ml"):
        raise ValueError(f"method must be 'minres' or 'ml', got {method!r}")
    # psych::fa starts from the squared multiple correlations (SMC) as communalities
    try:
        smc = 1.0 - 1.0 / np.diag(np.linalg.inv(r))
    except np.linalg.LinAlgError:
        smc = np.full(k, 0.5)
    start = np.clip(1.0 - smc, _PSI_LOWER, _PSI_UPPER)
    if method == "minres":
        lam = _minres_direct(r, _minres_loadings(start, r))
        if np.all(lam * lam <= 1.0 - _PSI_LOWER):
            return lam
        fun, jac = _minres_objective, None  # a Heywood case: psych's bounded parametrisation
    else:
        fun, jac = _ml_objective, _ml_gradient
    bounds = [(_PSI_LOWER, _PSI_UPPER)] * k
    best = None
    for x0 in (start, np.full(k, 0.5)):
        res = optimize.minimize(
            fun,
            x0,
            args=(r,),
            jac=jac,
            method="L-BFGS-B",
            bounds=bounds,
            options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 5000},
        )
        if best is None or res.fun < best.fun:
            best = res
    psi = best.x
    if jac is None and np.all((psi > _PSI_LOWER + 1e-6) & (psi < _PSI_UPPER - 1e-6)):
        # polish: Nelder-Mead on the interior removes the finite-difference gradient's last error
        pol = optimize.minimize(
            fun,
            psi,
            args=(r,),
            method="Nelder-Mead",
            options={"xatol": 1e-10, "fatol": 1e-16, "maxiter": 20000, "maxfev": 40000},
        )
        if pol.fun <= best.fun and np.all((pol.x >= _PSI_LOWER) & (pol.x <= _PSI_UPPER)):
            psi = pol.x
    return _minres_loadings(psi, r) if method == "minres" else _ml_loadings(psi, r)


def one_factor_loadings(
    df: pd.DataFrame | np.ndarray, *, method: FactorMethod = "minres"
) -> pd.DataFrame:
    """Standardised loadings of a one-factor model fitted to the items' correlation matrix.

    Parameters
    ----------
    df
        respondents x items (listwise-complete rows are used).
    method
        ``"minres"`` (minimum residual: least squares on the off-diagonal correlations) or ``"ml"``
        (maximum likelihood).

    Returns
    -------
    DataFrame
        one row per item: ``item``, ``loading``, ``uniqueness`` (``1 - loading^2``), ``method``.

    Raises
    ------
    ValueError
        fewer than 3 items (a one-factor model of 2 items is not identified), fewer than 3 complete
        rows, a constant item, or an unknown ``method``.

    Notes
    -----
    The uniquenesses are optimised within [0.005, 1] with scipy (L-BFGS-B, then a Nelder-Mead polish),
    loadings following from them as in ``psych::fa`` (psych 2.2.9) with ``nfactors = 1`` and
    ``fm = "minres"`` (leading eigenvector of R with communalities on the diagonal) or ``fm = "ml"``
    (Joreskog's concentrated likelihood). The sign is chosen so that the loadings sum to a positive
    number.
    """
    r, x = _corr(df, min_items=3)
    lam = _fit_one_factor(r, method)
    return pd.DataFrame(
        {
            "item": [str(c) for c in x.columns],
            "loading": lam,
            "uniqueness": 1.0 - lam**2,
            "method": method,
        }
    )


def omega_total(df: pd.DataFrame | np.ndarray, *, method: FactorMethod = "minres") -> float:
    """McDonald's omega total from a one-factor model of the items' correlations.

    Parameters
    ----------
    df
        respondents x items (listwise-complete rows).
    method
        ``"minres"`` or ``"ml"`` (see :func:`one_factor_loadings`).

    Returns
    -------
    float
        ``(sum l)^2 / ((sum l)^2 + sum(1 - l^2))``.

    Raises
    ------
    ValueError
        as :func:`one_factor_loadings`.

    Notes
    -----
    Agrees with the omega computed from ``psych::fa(x, nfactors = 1, fm = "minres" | "ml")`` loadings and
    uniquenesses (psych 2.2.9), the convention of ``shared/reference/ref.R``. This is omega of the
    standardised items; with one factor it is not ``psych::omega``'s hierarchical omega.
    """
    lf = one_factor_loadings(df, method=method)
    s = float(lf["loading"].sum())
    return s * s / (s * s + float(lf["uniqueness"].sum()))


# ----------------------------------------------------------------------------------------------------
# Item statistics
# ----------------------------------------------------------------------------------------------------


def item_total(df: pd.DataFrame | np.ndarray) -> pd.DataFrame:
    """Per item: corrected item-total correlation and alpha if the item is deleted (listwise rows).

    Parameters
    ----------
    df
        respondents x items (at least 2 items, 3 listwise-complete rows).

    Returns
    -------
    DataFrame
        one row per item: ``item``, ``n`` (listwise-complete rows), ``mean``, ``sd``, ``r_drop``
        (correlation of the item with the sum of the other items; NaN for a constant item),
        ``alpha_if_deleted`` (alpha of the other items; NaN when only one would remain).

    Raises
    ------
    ValueError
        fewer than 2 items or 3 complete rows, a non-numeric column.

    Notes
    -----
    Agrees with ``psych::alpha`` (psych 2.2.9) ``item.stats$r.drop`` and ``alpha.drop$raw_alpha``. A
    negative ``r_drop`` usually means a reverse-keyed item was not reversed.
    """
    x = _matrix(df, min_rows=3)
    m = x.to_numpy()
    n, k = m.shape
    cov = np.cov(m, rowvar=False)
    total = m.sum(axis=1)
    r_drop = np.empty(k)
    a_del = np.empty(k)
    for j in range(k):  # k is the number of items (small), not resamples or rows
        rest = total - m[:, j]
        sd_j, sd_rest = m[:, j].std(ddof=1), rest.std(ddof=1)
        if sd_j > 0 and sd_rest > 0:
            r_drop[j] = np.cov(m[:, j], rest)[0, 1] / (sd_j * sd_rest)
        else:
            r_drop[j] = np.nan
        keep = [i for i in range(k) if i != j]
        a_del[j] = _alpha_from_cov(cov[np.ix_(keep, keep)]) if k > 2 else np.nan
    return pd.DataFrame(
        {
            "item": [str(c) for c in x.columns],
            "n": n,
            "mean": m.mean(axis=0),
            "sd": m.std(axis=0, ddof=1),
            "r_drop": r_drop,
            "alpha_if_deleted": a_del,
        }
    )


# ----------------------------------------------------------------------------------------------------
# Alpha, its interval and the item statistics from one pass (large data)
# ----------------------------------------------------------------------------------------------------

MissingPolicy = Literal["listwise", "pairwise"]

#: The one-pass moments lose about log10(mean^2 / variance) digits; beyond this ratio (4 digits) the
#: centred two-pass covariance is used instead (Likert items are near 10).
_MAX_CANCELLATION = 1e4


def _float_matrix(df: pd.DataFrame | np.ndarray) -> np.ndarray:
    """``df`` as a float64 (n, k) array, without a copy when it already is one (pandas keeps a
    float64 frame as one block: ``to_numpy`` is then a view)."""
    if isinstance(df, pd.DataFrame) and all(dt == np.float64 for dt in df.dtypes):
        if df.columns.duplicated().any():
            complete_rows(df)  # raises the duplicate-name error
        if df.shape[1] < 2:
            raise ValueError(f"df must have at least 2 item columns, got {df.shape[1]}")
        return df.to_numpy()
    if isinstance(df, np.ndarray) and df.dtype == np.float64 and df.ndim == 2 and df.shape[1] >= 2:
        return df
    # anything else (integers, nullable, booleans) is checked and converted by complete_rows' rules
    x = complete_rows(df.iloc[:0] if isinstance(df, pd.DataFrame) else df[:0])
    if isinstance(df, pd.DataFrame):
        return np.column_stack(
            [df[c].to_numpy(dtype="float64", na_value=np.nan) for c in x.columns]
        )
    return np.asarray(df, dtype="float64")


def _complete_moments(m: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Means and covariance of complete data from the column sums and X'X (one BLAS call); None when
    ``m`` holds a missing or infinite value (it propagates into the sums: no separate pass)."""
    n = m.shape[0]
    sums = m.sum(axis=0)
    if not np.isfinite(sums).all():
        return None
    mean = sums / n
    cov = (m.T @ m - np.outer(sums, mean)) / (n - 1)
    var = np.diag(cov)
    if np.any(mean**2 > _MAX_CANCELLATION * np.where(var > 0, var, np.inf)):
        cov = np.cov(m, rowvar=False)  # large offsets: the centred two-pass formula keeps precision
    return mean, cov


def _pairwise_moments(m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-item n and mean, and the pairwise-complete covariance (as ``DataFrame.cov``), from one
    masked BLAS product: Z'Z with Z = [X0, W] (X0: data with missing set to 0, W: 1 where present)
    holds the cross-products X0'X0, the sums X0'W and the pair counts W'W."""
    n, k = m.shape
    present = np.isfinite(m)
    z = np.zeros((n, 2 * k), order="F")
    np.copyto(z[:, :k], m, where=present)
    z[:, k:] = present
    zz = z.T @ z
    cross, s_pair, n_pair = zz[:k, :k], zz[:k, k:], zz[k:, k:]
    # s_pair[i, j]: sum of item i over the rows where item j is present too
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = (cross - s_pair * s_pair.T / n_pair) / (n_pair - 1)
    n_item = np.diag(n_pair).copy()
    return n_item, np.diag(s_pair) / n_item, cov


def scale_reliability(
    df: pd.DataFrame | np.ndarray, *, missing: MissingPolicy = "listwise", ci: float = 0.95
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cronbach's alpha, its Feldt interval and the item statistics from one covariance matrix.

    The fast route for large data (10^5-10^6 respondents): the covariance comes from BLAS products
    of the data with itself, with no copy of complete float64 data.

    Parameters
    ----------
    df
        respondents x items (numeric; missing values allowed).
    missing
        ``"listwise"``: only rows with every item answered (as :func:`cronbach_alpha` and
        :func:`item_total`, and ``psych::alpha(use="complete.obs")``); ``"pairwise"``: each
        covariance from the rows answering both items (as ``pingouin.cronbach_alpha``'s default and
        ``DataFrame.cov``).
    ci
        confidence level of the Feldt interval.

    Returns
    -------
    (DataFrame, DataFrame)
        the columns of :func:`cronbach_alpha` (``ci_method`` ``"feldt"``; for pairwise data ``n`` is
        every row, as pingouin counts it) and of :func:`item_total` (for pairwise data each item's
        ``n``, ``mean`` and ``sd`` are over the rows answering it).

    Raises
    ------
    ValueError
        fewer than 2 items or 3 usable rows, a non-numeric column, a bad ``missing`` or ``ci``.
    """
    _check_ci(ci)
    if missing not in ("listwise", "pairwise"):
        raise ValueError(f"missing must be 'listwise' or 'pairwise', got {missing!r}")
    m = _float_matrix(df)
    names = (
        [str(c) for c in df.columns]
        if isinstance(df, pd.DataFrame)
        else [f"item{j + 1}" for j in range(m.shape[1])]
    )
    moments = _complete_moments(m) if len(m) >= 3 else None
    n_rows = len(m)
    if moments is not None:
        mean, cov = moments
        n_item = np.full(m.shape[1], n_rows, dtype="float64")
    elif missing == "listwise":
        m = m[np.isfinite(m).all(axis=1)]
        n_rows = len(m)
        if n_rows < 3:
            raise ValueError(f"df has {n_rows} listwise-complete row(s); at least 3 are needed")
        mean, cov = _complete_moments(m)
        n_item = np.full(m.shape[1], n_rows, dtype="float64")
    else:
        if len(m) < 3:
            raise ValueError(f"df has {len(m)} row(s); at least 3 are needed")
        n_item, mean, cov = _pairwise_moments(m)
    return _summary_from_cov(cov, n_rows, ci), _items_from_cov(cov, mean, n_item, names)


def _summary_from_cov(cov: np.ndarray, n: int, ci: float) -> pd.DataFrame:
    k = cov.shape[0]
    alpha = _alpha_from_cov(cov)
    low, high = feldt_ci(alpha, n, k, ci=ci) if math.isfinite(alpha) else (math.nan, math.nan)
    return pd.DataFrame(
        {
            "n": [n],
            "n_items": [k],
            "alpha": [alpha],
            "ci_low": [low],
            "ci_high": [high],
            "ci_level": [float(ci)],
            "ci_method": ["feldt"],
        }
    )


def _items_from_cov(
    cov: np.ndarray, mean: np.ndarray, n_item: np.ndarray, names: list[str]
) -> pd.DataFrame:
    """Corrected item-total correlations and alpha if deleted, from the covariance alone:
    cov(item, rest) = row sum - variance, var(rest) = total - 2 row sum + variance."""
    k = cov.shape[0]
    var = np.diag(cov)
    row = cov.sum(axis=1)
    total, trace = cov.sum(), np.trace(cov)
    var_rest = total - 2.0 * row + var
    with np.errstate(invalid="ignore", divide="ignore"):
        r_drop = (row - var) / np.sqrt(var * var_rest)
        r_drop = np.where((var > 0) & (var_rest > 0), r_drop, np.nan)
        if k > 2:
            a_del = (k - 1) / (k - 2) * (1.0 - (trace - var) / var_rest)
            a_del = np.where(var_rest > 0, a_del, np.nan)
        else:
            a_del = np.full(k, np.nan)
    return pd.DataFrame(
        {
            "item": names,
            "n": n_item.astype("int64"),
            "mean": mean,
            "sd": np.sqrt(var),
            "r_drop": r_drop,
            "alpha_if_deleted": a_del,
        }
    )
