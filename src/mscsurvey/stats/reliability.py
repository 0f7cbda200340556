"""Internal-consistency reliability of one scale: Cronbach's alpha (Feldt or bootstrap CI), standardised
alpha, average inter-item correlation, McDonald's omega total from a one-factor model, corrected
item-total correlations and alpha if an item is deleted.

Every function takes a respondents x items numeric frame (no codebook), works on its
**listwise-complete rows** (rows with any missing value are dropped first, as ``psych::alpha`` and
``psych::fa`` do on the reference data), and returns a float or a tidy DataFrame.
:func:`scale_reliability` gives alpha, its interval and the item statistics in one pass over the data
(listwise: O(n k) sums, no covariance matrix; or pairwise as ``pingouin.cronbach_alpha``'s default:
masked BLAS products): the route for 10^5-10^6 respondents. Nothing is rounded.
Bad input raises ``ValueError`` naming the argument and the value.
"""

from __future__ import annotations

import math
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd
from scipy import optimize, special

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
    _check_frame(df, min_items)
    out = {col: df[col].to_numpy(dtype="float64", na_value=np.nan) for col in df.columns}
    x = pd.DataFrame(out, index=df.index, columns=df.columns)
    return x[np.isfinite(x.to_numpy()).all(axis=1)]


def _check_frame(df: pd.DataFrame, min_items: int) -> None:
    """Raise ValueError unless ``df`` has ``min_items`` or more uniquely named numeric columns."""
    if df.shape[1] < min_items:
        raise ValueError(f"df must have at least {min_items} item columns, got {df.shape[1]}")
    if df.columns.duplicated().any():
        dup = df.columns[df.columns.duplicated()][0]
        raise ValueError(f"df has the column name {dup!r} twice (item names must be unique)")
    for col, dtype in df.dtypes.items():
        if not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)):
            raise ValueError(f"df column {col!r} is not numeric (dtype {dtype})")


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
    # special.fdtri is what stats.f.ppf calls (the same bits) without its ~50 us of argument handling
    low = 1.0 - (1.0 - alpha) * special.fdtri(df1, df2, 1.0 - p / 2.0)
    high = 1.0 - (1.0 - alpha) * special.fdtri(df1, df2, p / 2.0)
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
#: sums are taken again about the means (Likert items are near 10).
_MAX_CANCELLATION = 1e4

#: Rows per block of the one-pass sums: a block of 40 float64 items (2.6 MB) and what is made of it
#: stay in the CPU cache, so the data are read from memory once (8192 measured fastest of 2048-32768
#: rows at 10^5 and 10^6 x 40).
_BLOCK_ROWS = 8192

#: Float32 holds every integer of magnitude <= 2**24 exactly.
_F32_EXACT_INT = float(2**24)


class _Moments(NamedTuple):
    """What alpha, its interval and the item statistics need (sample moments, ddof 1)."""

    n_item: np.ndarray  # rows per item
    mean: np.ndarray
    var: np.ndarray  # each item's variance (the covariance matrix's diagonal)
    cov_total: np.ndarray  # each item's covariance with the total score (the matrix's row sums)
    var_total: float  # the total score's variance (the matrix's sum)


class _Rows:
    """The items of ``df`` as float64 blocks of rows, without a copy of the data.

    A float64 array is sliced (views; copied block by block to column-major order where the products
    need it). A DataFrame is read column by column (pandas keeps a frame
    made column by column, such as ``frame[items].astype("float64")``, as one block per column, and
    ``to_numpy`` would then copy all of it): each block of rows is gathered into a reused buffer that
    stays in cache, casting integer or boolean columns on the way; only nullable (extension) columns
    are converted whole, with NA as NaN.
    """

    def __init__(self, df: pd.DataFrame | np.ndarray) -> None:
        if isinstance(df, np.ndarray) and df.dtype == np.float64 and df.ndim == 2:
            self.matrix: np.ndarray | None = df
            self.columns: list[np.ndarray] = []
            self.names = [f"item{j + 1}" for j in range(df.shape[1])]
        elif isinstance(df, pd.DataFrame):
            _check_frame(df, 2)
            self.matrix = None
            self.columns = [_numpy_column(col) for _, col in df.items()]  # names are unique
            self.names = [str(c) for c in df.columns]
        else:
            complete_rows(df[:0] if isinstance(df, np.ndarray) else df)  # raises
            self.matrix = np.asarray(df, dtype="float64")
            self.columns = []
            self.names = [f"item{j + 1}" for j in range(self.matrix.shape[1])]
        self.k = len(self.names)
        if self.k < 2:
            raise ValueError(f"df must have at least 2 item columns, got {self.k}")
        self.n = len(df)
        self._buf = np.empty((min(_BLOCK_ROWS, self.n), self.k), order="F")

    def block(self, start: int, *, column_major: bool = False) -> np.ndarray:
        """Rows ``start`` to ``start + _BLOCK_ROWS`` (the buffer is reused by the next call),
        copied to column-major order if ``column_major`` and the array is row-major."""
        stop = min(start + _BLOCK_ROWS, self.n)
        out = self._buf[: stop - start]
        if self.matrix is not None:
            if column_major and not self.matrix.flags.f_contiguous:
                out[...] = self.matrix[start:stop]
                return out
            return self.matrix[start:stop]
        for j, col in enumerate(self.columns):
            out[:, j] = col[start:stop]
        return out

    def starts(self) -> range:
        return range(0, self.n, _BLOCK_ROWS)


def _numpy_column(s: pd.Series) -> np.ndarray:
    """A numeric column as a NumPy array: a view for NumPy dtypes, float64 with NaN otherwise."""
    if isinstance(s.dtype, np.dtype):
        return s.to_numpy()
    return s.to_numpy(dtype="float64", na_value=np.nan)


def _block_sums(
    src: _Rows, shift: np.ndarray | None, *, stop_at_missing: bool
) -> tuple[int, np.ndarray, np.ndarray, np.ndarray] | None:
    """Over the rows of ``src`` with every value finite: their count and, per item, the sums of y, y^2
    and y t, where y = m - shift and t is y's row total; None if ``stop_at_missing`` and a row has a
    missing value.

    O(n k) and one read of the data, block by block in cache: t is a matrix-vector product, the sums of
    y and y t one product with [1, t], the squares ``vecdot``. No k x k product: alpha and the item
    statistics need only the covariance matrix's diagonal, row sums and sum, which are var(y_j),
    cov(y_j, t) and var(t). Rows are kept or dropped inside the block (no copy of the data).
    """
    # The row totals are taken as (y @ 2^-e) * 2^e with k <= 2^e: scaling by a power of two is exact
    # (short of subnormals, below 1e-300), and the scaled total of finite values cannot overflow
    # (every partial sum is at most max|y|), so it is finite exactly when every value of the row is:
    # the total finds the incomplete rows, no scan of the values is needed.
    e = max(1, math.ceil(math.log2(src.k)))
    weights = np.full(src.k, 2.0**-e)
    rhs = np.ones((_BLOCK_ROWS, 2), order="F")  # columns: 1 and the row total
    sums = np.zeros((src.k, 2))  # sum of y, sum of y t
    squares = np.zeros(src.k)
    used = 0
    for start in src.starts():
        y = src.block(start)
        if shift is not None:
            y = y - shift
        scaled = y @ weights
        if not np.isfinite(scaled).all():
            if stop_at_missing:
                return None
            keep = np.isfinite(scaled)
            # the kept rows, column-major as the products want them (y[keep] is row-major, slower)
            y, scaled = np.compress(keep, y.T, axis=1).T, scaled[keep]
        rows = len(scaled)
        np.multiply(scaled, 2.0**e, out=rhs[:rows, 1])
        sums += y.T @ rhs[:rows]
        squares += np.vecdot(y.T, y.T) if y.flags.f_contiguous else np.einsum("ij,ij->j", y, y)
        used += rows
    return used, sums[:, 0], squares, sums[:, 1]


def _cancels(mean_y: np.ndarray, var: np.ndarray) -> bool:
    """True when a mean (about the shift) is so far from 0 that the one-pass moments lose digits."""
    return bool(np.any(mean_y**2 > _MAX_CANCELLATION * np.where(var > 0, var, np.inf)))


def _listwise_moments(src: _Rows, *, stop_at_missing: bool = False) -> _Moments | None:
    """Moments over the listwise-complete rows from :func:`_block_sums` (a second pass about the
    means when the first would lose more than 4 digits); None as :func:`_block_sums`."""
    shift = None
    for _ in range(2):
        sums = _block_sums(src, shift, stop_at_missing=stop_at_missing)
        if sums is None:
            return None
        n, s, sq, st = sums
        if n < 3:
            raise ValueError(f"df has {n} listwise-complete row(s); at least 3 are needed")
        mean_y, t_mean = s / n, s.sum() / n
        var = (sq - s * mean_y) / (n - 1)
        var_total = (st.sum() - s.sum() * t_mean) / (n - 1)  # sum_j y_j't = t't
        moments = _Moments(
            n_item=np.full(len(s), float(n)),
            mean=mean_y if shift is None else shift + mean_y,
            var=var,
            cov_total=(st - s * t_mean) / (n - 1),
            var_total=float(var_total),
        )
        if shift is not None or not (
            _cancels(mean_y, var) or _cancels(np.array([t_mean]), np.array([var_total]))
        ):
            return moments
        shift = moments.mean
    raise AssertionError("unreachable")  # pragma: no cover


def _exact_in_float32(block: np.ndarray, present: np.ndarray, shift: np.ndarray) -> bool:
    """True when float32 products of ``block - shift`` (missing values set to 0) are exact.

    That is when every present value minus its (integer) shift is an integer of magnitude
    <= sqrt(2^24 / rows). Then every product of two values, of a value and a 0/1 presence flag, and
    every partial sum over the block's rows (in whatever order and blocking sgemm adds them, with or
    without FMA) is an integer of magnitude <= rows * max|y|^2 <= 2^24, which float32 holds exactly;
    and the block's result, added up in float64 over blocks, stays an exact integer below 2^53 for
    any n below 2^29 * rows. So the float32 product equals the float64 one bit for bit, at twice the
    speed. Checked on the block as it is (NaN ignored by ``fmax``/``fmin``; ``rint(x) != x`` holds
    for exactly the NaN when every finite value is an integer; an infinite value fails the range).
    """
    limit = math.sqrt(_F32_EXACT_INT / len(block))
    hi = np.fmax.reduce(block, axis=0) - shift  # NaN for a column with no value: no constraint
    lo = np.fmin.reduce(block, axis=0) - shift
    if np.any(hi > limit) or np.any(lo < -limit):
        return False
    return int(np.count_nonzero(np.rint(block) != block)) == block.size - int(
        np.count_nonzero(present)
    )


def _pairwise_products(src: _Rows, shift: np.ndarray) -> np.ndarray:
    """Z'Z summed over row blocks, Z = [Y0, W]: Y0 = data - shift with missing values set to 0, W = 1
    where a value is present. Z'Z holds the cross-products Y0'Y0, the sums Y0'W (of item i over the
    rows where item j is present) and the pair counts W'W: every pair's own n and means, k^2 per row
    (inherent to pairwise deletion). One product of the 2k-wide Z is faster than the three products
    of its parts (measured). A block of small integer codes about an integer shift is multiplied in
    float32 (exact: :func:`_exact_in_float32`), any other block in float64."""
    k = src.k
    z32 = np.empty((_BLOCK_ROWS, 2 * k), dtype=np.float32, order="F")
    z64 = np.empty((_BLOCK_ROWS, 2 * k), order="F")
    w_buf = np.empty((_BLOCK_ROWS, k), dtype=bool, order="F")
    mask_buf = np.empty((_BLOCK_ROWS, k), dtype=np.int32, order="F")
    integral_shift = bool(np.array_equal(np.rint(shift), shift))
    zz = np.zeros((2 * k, 2 * k))
    for start in src.starts():
        block = src.block(start, column_major=True)
        rows = len(block)
        w = w_buf[:rows]
        np.isfinite(block, out=w)
        if integral_shift and _exact_in_float32(block, w, shift):
            z = z32[:rows]
            y = z[:, :k]
            np.subtract(block, shift, out=y, casting="unsafe")  # small integers: exact in float32
            # missing values (NaN) to 0 by their bits: AND with 0 where missing, all ones elsewhere
            # (boolean assignment or np.where would take longer than the product itself)
            mask = mask_buf[:rows]
            np.multiply(w, -1, out=mask, dtype=np.int32)
            bits = y.view(np.int32)
            np.bitwise_and(bits, mask, out=bits)
        else:
            z = z64[:rows]
            y = z[:, :k]
            np.subtract(block, shift, out=y)
            y[~w] = 0.0
        z[:, k:] = w
        zz += z.T @ z
    return zz


def _pairwise_moments(src: _Rows) -> _Moments:
    """Per-item n and mean and the pairwise-complete covariance's diagonal, row sums and sum (as
    ``DataFrame.cov``), from :func:`_pairwise_products` about a shift: the first block's item means
    (rounded when it holds integers, so that integer codes stay integers), again about the means when
    the shift is so far off that more than 4 digits would be lost."""
    k = src.k
    first = src.block(0, column_major=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        counts = np.isfinite(first).sum(axis=0)
        shift = np.where(np.isfinite(first), first, 0.0).sum(axis=0) / counts
    shift = np.where(counts > 0, shift, 0.0)
    finite = first[np.isfinite(first)]
    integral = bool(np.array_equal(np.rint(finite), finite))
    if integral:
        shift = np.rint(shift)
    for attempt in range(2):
        zz = _pairwise_products(src, shift)
        cross, s_pair, n_pair = zz[:k, :k], zz[:k, k:], zz[k:, k:]
        with np.errstate(invalid="ignore", divide="ignore"):
            cov = (cross - s_pair * s_pair.T / n_pair) / (n_pair - 1)
            n_item = np.diag(n_pair).copy()
            mean_y = np.diag(s_pair) / n_item
        var = np.diag(cov).copy()
        if attempt == 1 or not _cancels(np.nan_to_num(mean_y), var):
            break
        shift = shift + np.nan_to_num(mean_y)
        if integral:
            shift = np.rint(shift)
    return _Moments(
        n_item=n_item,
        mean=shift + mean_y,
        var=var,
        cov_total=cov.sum(axis=1),
        var_total=float(cov.sum()),
    )


def scale_reliability(
    df: pd.DataFrame | np.ndarray, *, missing: MissingPolicy = "listwise", ci: float = 0.95
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cronbach's alpha, its Feldt interval and the item statistics in one pass over the data.

    The fast route for large data (10^5-10^6 respondents): no copy of float64 data, and on listwise
    data O(n k) arithmetic (column sums and the products of the data with its row totals; no k x k
    product).

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

    Notes
    -----
    Listwise: alpha = k/(k-1) (1 - sum var(x_j) / var(t)), and the item statistics need only
    var(x_j), cov(x_j, t) and var(t) (t the total score): cov(x_j, rest) = cov(x_j, t) - var(x_j),
    var(rest) = var(t) - 2 cov(x_j, t) + var(x_j). Pairwise: every pair's own covariance (its own n
    and means) from masked products, the float32 product exact on integer answer codes.
    """
    _check_ci(ci)
    if missing not in ("listwise", "pairwise"):
        raise ValueError(f"missing must be 'listwise' or 'pairwise', got {missing!r}")
    src = _Rows(df)
    if missing == "listwise":
        moments = _listwise_moments(src)
        assert moments is not None
        n = int(moments.n_item[0])
    else:
        n = src.n
        if n < 3:
            raise ValueError(f"df has {n} row(s); at least 3 are needed")
        moments = _listwise_moments(src, stop_at_missing=True) or _pairwise_moments(src)
    return _summary(moments, n, ci), _items(moments, src.names)


def _summary(mom: _Moments, n: int, ci: float) -> pd.DataFrame:
    k = len(mom.var)
    total = mom.var_total
    alpha = float(k / (k - 1) * (1.0 - mom.var.sum() / total)) if total > 0 else math.nan
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


def _items(mom: _Moments, names: list[str]) -> pd.DataFrame:
    """Corrected item-total correlations and alpha if deleted from var(x_j), cov(x_j, t), var(t):
    cov(item, rest) = cov(item, t) - var, var(rest) = var(t) - 2 cov(item, t) + var."""
    k = len(mom.var)
    var, row, total = mom.var, mom.cov_total, mom.var_total
    var_rest = total - 2.0 * row + var
    with np.errstate(invalid="ignore", divide="ignore"):
        r_drop = (row - var) / np.sqrt(var * var_rest)
        r_drop = np.where((var > 0) & (var_rest > 0), r_drop, np.nan)
        if k > 2:
            a_del = (k - 1) / (k - 2) * (1.0 - (var.sum() - var) / var_rest)
            a_del = np.where(var_rest > 0, a_del, np.nan)
        else:
            a_del = np.full(k, np.nan)
        sd = np.sqrt(var)
    return pd.DataFrame(
        {
            "item": names,
            "n": mom.n_item.astype("int64"),
            "mean": mom.mean,
            "sd": sd,
            "r_drop": r_drop,
            "alpha_if_deleted": a_del,
        }
    )
