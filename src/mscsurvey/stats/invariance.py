"""Measurement invariance across groups: multi-group confirmatory factor models at the configural,
metric (equal loadings), scalar (equal loadings and intercepts) and strict (also equal residual
variances) levels, with partial scalar invariance when scalar fails.

The public entry point is :func:`measurement_invariance` (a tidy table, one row per level);
:func:`fit_multigroup` fits one level and returns the estimates (latent means with standard errors).

Estimation is maximum likelihood on the **listwise-complete** respondents (every item of the model and
the group answered), with this module's own numpy/scipy code: semopy 2.3.11 has no multi-group models
with cross-group equality constraints. The fit function is lavaan's (0.6-14, ``likelihood = "normal"``):

``F = sum_g (N_g / N) [log|Sigma_g| + tr(S_g Sigma_g^-1) - log|S_g| - p + (m_g - mu_g)' Sigma_g^-1 (m_g - mu_g)]``

with ``S_g`` the covariance with denominator ``N_g`` (not ``N_g - 1``) and ``chi2 = N F``.
Identification as lavaan's defaults: each factor's first item is its marker (loading 1); latent means
are 0 in every group until intercepts are equal (scalar, strict), then 0 in the first group (the first
in order of appearance, or the first category of a categorical column) and free in the others.
Fit indices: CFI and TLI against the independence model (free means and variances in every group);
RMSEA ``sqrt(G) sqrt(max(chi2 - df, 0) / (df N))`` with its 90% CI, the multiple-group convention of
lavaan 0.6 (Steiger 1998); SRMR per group with the mean residuals (the model has a mean structure),
averaged with weights N_g / N, as lavaan. Agreement with lavaan on Holzinger-Swineford by school is
tested to 1e-5 at every level (chi-square, df, p, CFI, TLI, RMSEA and its CI, SRMR; latent means and
their SEs).

A level "holds" unless, against the level before it, it is non-invariant by Chen's (2007) rule: CFI
falls by more than .010, *supplemented* by RMSEA rising by more than .015 or SRMR by more than .030
(loadings) / .010 (intercepts, residual variances). The change in CFI is the primary criterion; the
supplement keeps a CFI drop in a small, well-fitting model from counting alone (and ΔRMSEA alone is
not used: with few df an RMSEA of 0 next to a chi-square barely above its df jumps by .02-.05 on
invariant data). The chi-square difference test is reported beside (it rejects trivial differences
in large samples, which is why the decision uses the changes in fit). When scalar fails, intercepts are
freed one at a time, each time the one whose release lowers the chi-square most (the largest
chi-square difference, which the score test approximates), until the partially scalar model holds
against metric or every factor is down to two equal intercepts (the fewest for a meaningful partial
invariance, Byrne, Shavelson & Muthen 1989; its ``holds`` is then False: scalar invariance is not
reached even partially). Identification only needs one: the marker's intercept may be freed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from mscsurvey.stats.cfa import FIT_INDEX_COLUMNS, CFAModel, cfa_model, cfi, rmsea, tli

__all__ = [
    "LEVELS",
    "INVARIANCE_COLUMNS",
    "CHEN_DELTA_CFI",
    "CHEN_DELTA_RMSEA",
    "CHEN_DELTA_SRMR",
    "MultigroupFit",
    "fit_multigroup",
    "measurement_invariance",
]

LEVELS = ("configural", "metric", "scalar", "strict")
#: Chen (2007): non-invariance when CFI falls by more than this ...
CHEN_DELTA_CFI = 0.01
#: ... supplemented by RMSEA rising by more than this ...
CHEN_DELTA_RMSEA = 0.015
#: ... or SRMR rising by more than this (by the level: loadings .030, intercepts and residuals .010).
CHEN_DELTA_SRMR = {"metric": 0.030, "scalar": 0.010, "partial_scalar": 0.010, "strict": 0.010}

INVARIANCE_COLUMNS = [
    "construct_set",
    "group_variable",
    "level",
    "groups",
    "n_groups",
    "n",
    *FIT_INDEX_COLUMNS,
    "compared_to",
    "delta_chi2",
    "delta_df",
    "delta_p",
    "delta_cfi",
    "delta_rmsea",
    "delta_srmr",
    "holds",
    "freed_intercepts",
    "latent_means",
    "left_out",
    "converged",
    "note",
]


# ----------------------------------------------------------------------------------------------------
# Parameter layout: which element of which group's matrix is which free parameter
# ----------------------------------------------------------------------------------------------------


@dataclass
class _Spec:
    """Index of the free parameter behind each matrix element, per group (-1: fixed)."""

    lam: np.ndarray  # G x p x m
    lam_fixed: np.ndarray  # p x m (1 for markers, 0 elsewhere)
    phi: np.ndarray  # G x m x m (symmetric)
    theta: np.ndarray  # G x p
    nu: np.ndarray  # G x p
    alpha: np.ndarray  # G x m
    n_params: int


def _spec(model: CFAModel, n_groups: int, level: str, free_nu: Sequence[int] = ()) -> _Spec:
    items = model.items
    p, m = len(items), len(model.factors)
    lam_fixed = np.zeros((p, m))
    pattern = np.zeros((p, m), dtype=bool)
    for f, its in enumerate(model.factors.values()):
        for pos, i in enumerate(its):
            if pos == 0:
                lam_fixed[items.index(i), f] = 1.0
            pattern[items.index(i), f] = pos > 0
    g_n = n_groups
    counter = [0]

    def new(shape: tuple[int, ...], shared: bool) -> np.ndarray:
        """Fresh indices for an array of parameters, the same in every group when shared."""
        size = int(np.prod(shape))
        if shared:
            idx = np.arange(counter[0], counter[0] + size).reshape(shape)
            counter[0] += size
            return np.broadcast_to(idx, (g_n, *shape)).copy()
        idx = np.arange(counter[0], counter[0] + g_n * size).reshape((g_n, *shape))
        counter[0] += g_n * size
        return idx

    eq_lam = level in ("metric", "scalar", "strict")
    eq_nu = level in ("scalar", "strict")
    lam = np.full((g_n, p, m), -1)
    free = new((int(pattern.sum()),), eq_lam)
    lam[:, pattern] = free
    tri = np.tril_indices(m)
    phi = np.full((g_n, m, m), -1)
    ph = new((len(tri[0]),), False)
    phi[:, tri[0], tri[1]] = ph
    phi[:, tri[1], tri[0]] = ph
    theta = new((p,), level == "strict")
    nu = np.full((g_n, p), -1)
    for j in range(p):  # shared across groups unless this intercept is freed (partial invariance)
        nu[:, j] = new((), eq_nu and j not in free_nu)
    alpha = np.full((g_n, m), -1)
    if eq_nu:
        alpha[1:] = np.arange(counter[0], counter[0] + (g_n - 1) * m).reshape(g_n - 1, m)
        counter[0] += (g_n - 1) * m
    return _Spec(lam, lam_fixed, phi, theta, nu, alpha, counter[0])


def _take(idx: np.ndarray, v: np.ndarray, fixed: np.ndarray | float) -> np.ndarray:
    return np.where(idx >= 0, v[np.maximum(idx, 0)], fixed)


def _unpack(spec: _Spec, v: np.ndarray):
    lam = _take(spec.lam, v, spec.lam_fixed)
    phi = _take(spec.phi, v, 0.0)
    theta = _take(spec.theta, v, 0.0)
    nu = _take(spec.nu, v, 0.0)
    alpha = _take(spec.alpha, v, 0.0)
    return lam, phi, theta, nu, alpha


def _pack(spec: _Spec, mats) -> np.ndarray:
    """Parameter vector from per-group matrices (a shared parameter takes their mean)."""
    tot = np.zeros(spec.n_params)
    cnt = np.zeros(spec.n_params)
    for idx, val in zip((spec.lam, spec.phi, spec.theta, spec.nu, spec.alpha), mats, strict=True):
        ok = idx >= 0
        np.add.at(tot, idx[ok], val[ok])
        np.add.at(cnt, idx[ok], 1.0)
    return tot / np.maximum(cnt, 1.0)


@dataclass
class _Data:
    n: np.ndarray  # G
    mean: np.ndarray  # G x p
    cov: np.ndarray  # G x p x p (denominator N_g)
    logdet: np.ndarray  # G


def _objective(v: np.ndarray, spec: _Spec, d: _Data) -> tuple[float, np.ndarray]:
    """lavaan's ML discrepancy ``sum_g N_g F_g / N`` and its gradient (all groups at once)."""
    lam, phi, theta, nu, alpha = _unpack(spec, v)
    p = lam.shape[1]
    sigma = lam @ phi @ np.swapaxes(lam, 1, 2) + theta[:, :, None] * np.eye(p)
    mu = nu + np.einsum("gpm,gm->gp", lam, alpha)
    try:
        chol = np.linalg.cholesky(sigma)
    except np.linalg.LinAlgError:
        return 1e10, np.zeros_like(v)
    s_inv = np.linalg.inv(sigma)
    r = d.mean - mu
    c = d.cov + r[:, :, None] * r[:, None, :]
    logdet = 2.0 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
    w = d.n / d.n.sum()
    f = float(w @ (logdet + np.einsum("gij,gij->g", s_inv, c) - d.logdet - p))
    gs = w[:, None, None] * (s_inv - s_inv @ c @ s_inv)
    gmu = -2.0 * w[:, None] * np.einsum("gij,gj->gi", s_inv, r)
    grads = (
        2.0 * gs @ lam @ phi + gmu[:, :, None] * alpha[:, None, :],
        np.swapaxes(lam, 1, 2) @ gs @ lam,
        np.diagonal(gs, axis1=1, axis2=2),
        gmu,
        np.einsum("gpm,gp->gm", lam, gmu),
    )
    out = np.zeros_like(v)
    for idx, gr in zip((spec.lam, spec.phi, spec.theta, spec.nu, spec.alpha), grads, strict=True):
        ok = idx >= 0
        out += np.bincount(idx[ok], weights=gr[ok], minlength=v.size)
    return f, out


def _implied(spec: _Spec, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lam, phi, theta, nu, alpha = _unpack(spec, v)
    sig = lam @ phi @ np.swapaxes(lam, 1, 2) + theta[:, :, None] * np.eye(lam.shape[1])
    mu = nu + np.einsum("gpm,gm->gp", lam, alpha)
    return sig, mu


def _start(model: CFAModel, spec: _Spec, d: _Data) -> np.ndarray:
    """Starting values per group from its covariances with the marker (as :mod:`mscsurvey.stats.cfa`)."""
    items = model.items
    g_n, p, m = spec.lam.shape
    lam = np.broadcast_to(spec.lam_fixed, (g_n, p, m)).copy()
    phi = np.zeros((g_n, m, m))
    for g in range(g_n):
        s = d.cov[g]
        for f, its in enumerate(model.factors.values()):
            idx = [items.index(i) for i in its]
            mk = idx[0]
            covs = [s[mk, j] for j in idx[1:]]
            vf = min(max(np.mean(np.abs(covs)), 0.05 * s[mk, mk]), 0.95 * s[mk, mk])
            phi[g, f, f] = vf
            for j in idx[1:]:
                lam[g, j, f] = s[j, mk] / vf
    theta = np.maximum(
        np.diagonal(d.cov, axis1=1, axis2=2) - np.einsum("gpm,gmm,gpm->gp", lam, phi, lam),
        0.1 * np.diagonal(d.cov, axis1=1, axis2=2),
    )
    return _pack(spec, (lam, phi, theta, d.mean.copy(), np.zeros((g_n, m))))


def _moment_jacobian(spec: _Spec, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Derivatives of every group's implied covariance (G x k x p x p) and mean (G x k x p) with
    respect to the k free parameters, in closed form."""
    lam, phi, _, _, alpha = _unpack(spec, v)
    g_n, p, m = lam.shape
    k = spec.n_params
    ds = np.zeros((g_n, k, p, p))
    dm = np.zeros((g_n, k, p))
    gi = np.arange(g_n)[:, None]
    b = lam @ phi  # G x p x m
    js, fs = np.nonzero(spec.lam[0] >= 0)  # the free-loading pattern is the same in every group
    if js.size:
        idx = spec.lam[:, js, fs]  # G x E
        ds[gi, idx, js[None, :], :] += np.swapaxes(b[:, :, fs], 1, 2)
        ds[gi, idx, :, js[None, :]] += np.swapaxes(b[:, :, fs], 1, 2)
        dm[gi, idx, js[None, :]] = alpha[:, fs]
    for a_, c_ in zip(*np.tril_indices(m), strict=True):
        d = lam[:, :, a_, None] * lam[:, None, :, c_]
        ds[np.arange(g_n), spec.phi[:, a_, c_]] = d if a_ == c_ else d + np.swapaxes(d, 1, 2)
    for j in range(p):
        ds[np.arange(g_n), spec.theta[:, j], j, j] = 1.0
        dm[np.arange(g_n), spec.nu[:, j], j] = 1.0
    for f in range(m):
        ok = spec.alpha[:, f] >= 0
        dm[np.flatnonzero(ok), spec.alpha[ok, f]] = lam[ok, :, f]
    return ds, dm


def _fisher(spec: _Spec, v: np.ndarray, d: _Data, weights: np.ndarray) -> np.ndarray:
    """sum_g weights_g [1/2 tr(S^-1 dS_k S^-1 dS_l) + dmu_k' S^-1 dmu_l] (S = implied covariance)."""
    sig, _ = _implied(spec, v)
    ds, dm = _moment_jacobian(spec, v)
    s_inv = np.linalg.inv(sig)
    a = np.einsum("gij,gkjl->gkil", s_inv, ds)
    cov_part = 0.5 * np.einsum("gkij,glji->gkl", a, a)
    mean_part = np.einsum("gki,gij,glj->gkl", dm, s_inv, dm)
    return np.einsum("g,gkl->kl", weights, cov_part + mean_part)


def _minimise(v0: np.ndarray, spec: _Spec, d: _Data) -> tuple[np.ndarray, float, bool]:
    """Three Fisher-scoring steps (Newton with the expected Hessian, halved until F decreases), then
    BFGS started from the inverse expected Hessian: ~15 iterations where plain BFGS needed ~90 (and
    scoring alone converges only linearly when the model misfits). No bounds, as lavaan's default: a
    residual variance may go negative (a Heywood case) while every Sigma_g stays positive definite.
    Returns the estimates, F and whether the gradient vanished."""
    w = d.n / d.n.sum()
    v = v0.copy()
    f, g = _objective(v, spec, d)
    h = None
    for _ in range(4):
        if f >= 1e10:
            break
        h = 2.0 * _fisher(spec, v, d, w)
        try:
            step = np.linalg.solve(h, g)
        except np.linalg.LinAlgError:
            h = None
            break
        t = 1.0
        while t > 1e-4:
            f_new, g_new = _objective(v - t * step, spec, d)
            if f_new <= f:
                v, f, g = v - t * step, f_new, g_new
                break
            t /= 2.0
    options: dict = {"gtol": 1e-8, "maxiter": 10_000}
    if h is not None:
        try:
            hi = np.linalg.inv(h)
            hi = (hi + hi.T) / 2.0
            np.linalg.cholesky(hi)
            options["hess_inv0"] = hi
        except np.linalg.LinAlgError:
            pass
    res = optimize.minimize(
        _objective, v if f < 1e10 else v0, args=(spec, d), jac=True, method="BFGS", options=options
    )
    return res.x, float(res.fun), bool(res.success) or float(np.abs(res.jac).max()) < 1e-6


# ----------------------------------------------------------------------------------------------------
# One level
# ----------------------------------------------------------------------------------------------------


@dataclass
class MultigroupFit:
    """One multi-group model fitted by :func:`fit_multigroup`.

    Attributes
    ----------
    level
        ``"configural"``, ``"metric"``, ``"scalar"`` or ``"strict"``.
    groups
        group labels, in the order used (the first is the reference for latent means).
    n
        complete respondents per group.
    chi2, df, cfi, tli, rmsea, rmsea_ci, srmr
        fit (lavaan conventions, see the module docstring).
    latent_means
        group -> factor -> (estimate, standard error); only when intercepts are equal.
    freed_intercepts
        items whose intercepts are free across groups (partial invariance).
    converged
        whether the optimiser reported convergence.
    improper
        negative variances (Heywood cases) at the solution, e.g. ``"residual variance of x3 in B"``.
    """

    level: str
    groups: list[str]
    n: list[int]
    chi2: float
    df: int
    cfi: float
    tli: float
    rmsea: float
    rmsea_ci: tuple[float, float]
    srmr: float
    latent_means: dict[str, dict[str, tuple[float, float]]]
    freed_intercepts: list[str]
    converged: bool
    params: np.ndarray
    improper: list[str] = field(default_factory=list)

    @property
    def p_value(self) -> float:
        return float(stats.chi2.sf(self.chi2, self.df)) if self.df > 0 else float("nan")


def _expected_information(spec: _Spec, v: np.ndarray, d: _Data) -> np.ndarray:
    """Expected information of the parameters (lavaan's default for complete-data ML SEs)."""
    return _fisher(spec, v, d, d.n)


def _rmsea_ci(chi2: float, df: int, n: int, level: float = 0.90) -> tuple[float, float]:
    """:func:`mscsurvey.stats.cfa.rmsea_ci` (lavaan's) by scipy's inverse of the noncentral chi-square CDF
    in its noncentrality (``chndtrinc``) instead of a root search: the same values (to 1e-15 on the
    tests' cases), 10x faster, which matters with ~250 fits per study."""
    out = []
    for p in ((1.0 + level) / 2.0, (1.0 - level) / 2.0):
        lam = 0.0 if special.chdtr(df, chi2) < p else float(special.chndtrinc(chi2, df, p))
        out.append(math.sqrt(lam / (df * n)))
    return out[0], out[1]


def _srmr(spec: _Spec, v: np.ndarray, d: _Data) -> float:
    sig, mu = _implied(spec, v)
    out = 0.0
    p = sig.shape[1]
    low = np.tril_indices(p)
    for g in range(d.n.size):
        sd = np.sqrt(np.diag(d.cov[g]))
        r = ((d.cov[g] - sig[g]) / np.outer(sd, sd))[low]
        rm = (d.mean[g] - mu[g]) / sd
        out += d.n[g] * math.sqrt((np.sum(r**2) + np.sum(rm**2)) / (r.size + rm.size))
    return out / d.n.sum()


def _moments(x: list[np.ndarray]) -> _Data:
    n = np.array([a.shape[0] for a in x], dtype=float)
    mean = np.stack([a.mean(axis=0) for a in x])
    cov = np.stack([np.cov(a, rowvar=False, bias=True) for a in x])
    logdet = np.array([np.linalg.slogdet(c)[1] for c in cov])
    return _Data(n, mean, cov, logdet)


def _fit_level(
    model: CFAModel,
    d: _Data,
    labels: list[str],
    level: str,
    *,
    free_nu: Sequence[int] = (),
    start: MultigroupFit | None = None,
    start_spec: _Spec | None = None,
    ses: bool = False,
) -> tuple[MultigroupFit, _Spec]:
    spec = _spec(model, len(labels), level, free_nu)
    if start is not None and start_spec is not None:
        v0 = _pack(spec, _unpack(start_spec, start.params))
    else:
        v0 = _start(model, spec, d)
    v, f_min, converged = _minimise(v0, spec, d)
    n_tot = float(d.n.sum())
    chi2 = max(f_min * n_tot, 0.0)
    p = len(model.items)
    g_n = len(labels)
    df = g_n * (p * (p + 1) // 2 + p) - spec.n_params
    base = float(sum(d.n[g] * (np.log(np.diag(d.cov[g])).sum() - d.logdet[g]) for g in range(g_n)))
    df_base = g_n * p * (p - 1) // 2
    if df == 0:  # a just-identified model fits perfectly: lavaan reports RMSEA 0 (and CFI, TLI 1)
        r, lo, hi = 0.0, 0.0, 0.0
    else:
        r = rmsea(chi2, df, int(n_tot)) * math.sqrt(g_n)
        lo, hi = _rmsea_ci(chi2, df, int(n_tot))
    means: dict[str, dict[str, tuple[float, float]]] = {}
    if level in ("scalar", "strict"):
        se = np.full(v.size, np.nan)
        if ses:
            info = _expected_information(spec, v, d)
            try:
                vcov = np.linalg.inv(info)
            except np.linalg.LinAlgError:
                vcov = np.linalg.pinv(info)
            se = np.sqrt(np.clip(np.diag(vcov), 0.0, None))
        for g in range(1, g_n):
            means[labels[g]] = {
                f: (float(v[spec.alpha[g, k]]), float(se[spec.alpha[g, k]]))
                for k, f in enumerate(model.factors)
            }
    lam, phi, theta, _, _ = _unpack(spec, v)
    improper = [
        f"factor variance of {f} in {labels[g]}"
        for g in range(g_n)
        for k, f in enumerate(model.factors)
        if phi[g, k, k] < 0
    ] + [
        f"residual variance of {i} in {labels[g]}"
        for g in range(g_n)
        for j, i in enumerate(model.items)
        if theta[g, j] < 0
    ]
    fit = MultigroupFit(
        level=level,
        groups=labels,
        n=[int(x) for x in d.n],
        chi2=chi2,
        df=int(df),
        cfi=cfi(chi2, df, base, df_base),
        tli=tli(chi2, df, base, df_base) if df > 0 else 1.0,
        rmsea=r,
        rmsea_ci=(lo * math.sqrt(g_n), hi * math.sqrt(g_n)),
        srmr=_srmr(spec, v, d),
        latent_means=means,
        freed_intercepts=[model.items[j] for j in free_nu],
        converged=converged,
        params=v,
        improper=improper,
    )
    return fit, spec


def _split(
    data: pd.DataFrame, items: list[str], group: str, min_group_n: int
) -> tuple[list[str], list[np.ndarray], dict[str, str]]:
    """Complete rows per group, in order of appearance (categories order for a categorical column);
    groups too small or with a constant item are left out, with the reason."""
    x = data[items].apply(pd.to_numeric, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    gcol = data[group]
    ok = np.isfinite(x).all(axis=1) & gcol.notna().to_numpy()
    if isinstance(gcol.dtype, pd.CategoricalDtype):
        order = [c for c in gcol.cat.categories if (gcol[ok] == c).any()]
    else:
        order = list(pd.unique(gcol[ok]))
    labels, blocks, left = [], [], {}
    gv = gcol.to_numpy()
    for lab in order:
        rows = x[ok & (gv == lab)]
        if rows.shape[0] < min_group_n:
            left[str(lab)] = f"{rows.shape[0]} complete respondents (fewer than {min_group_n})"
            continue
        flat = [items[j] for j in range(len(items)) if np.ptp(rows[:, j]) == 0]
        if flat:
            left[str(lab)] = f"no variance on {', '.join(flat)} in this group"
            continue
        labels.append(str(lab))
        blocks.append(rows)
    return labels, blocks, left


def fit_multigroup(
    data: pd.DataFrame,
    constructs: Mapping[str, Sequence[str]],
    group: str,
    *,
    level: str = "configural",
    free_intercepts: Sequence[str] = (),
    min_group_n: int = 30,
    standard_errors: bool = True,
) -> MultigroupFit:
    """Fit one multi-group CFA at one invariance level (ML, listwise-complete rows).

    Parameters
    ----------
    data
        respondents x columns: the items (numeric) and ``group``.
    constructs
        construct -> its items (the first included item is the marker; inclusion rules of
        :func:`mscsurvey.stats.cfa.cfa_model`).
    group
        the grouping column.
    level
        one of :data:`LEVELS`.
    free_intercepts
        items whose intercepts stay free across groups at the scalar/strict level (partial invariance).
    min_group_n
        groups with fewer complete respondents are left out.
    standard_errors
        compute the latent means' standard errors (expected information, as lavaan).

    Returns
    -------
    MultigroupFit

    Raises
    ------
    ValueError
        unknown level, a column missing, or fewer than two groups left.
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
    model, labels, d, _ = _prepare(data, constructs, group, min_group_n)
    free_nu = [model.items.index(i) for i in free_intercepts]
    fit, _ = _fit_level(model, d, labels, level, free_nu=free_nu, ses=standard_errors)
    return fit


def _prepare(data, constructs, group, min_group_n):
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    if group not in data.columns:
        raise ValueError(f"group column {group!r} is not a column of data")
    model = cfa_model(constructs, data)
    if not model.factors:
        raise ValueError(
            "no construct has enough usable items for a factor (see mscsurvey.stats.cfa)"
        )
    labels, blocks, left = _split(data, model.items, group, min_group_n)
    if len(labels) < 2:
        raise ValueError(
            f"group column {group!r} has {len(labels)} group(s) large enough (min_group_n = "
            f"{min_group_n}); invariance needs two"
        )
    return model, labels, _moments(blocks), left


# ----------------------------------------------------------------------------------------------------
# The table
# ----------------------------------------------------------------------------------------------------


def _row(fit: MultigroupFit, before: MultigroupFit | None, level: str) -> dict:
    row = {
        "level": level,
        "groups": "; ".join(fit.groups),
        "n_groups": len(fit.groups),
        "n": int(sum(fit.n)),
        "chi2": fit.chi2,
        "df": fit.df,
        "p_value": fit.p_value,
        "cfi": fit.cfi,
        "tli": fit.tli,
        "rmsea": fit.rmsea,
        "rmsea_ci_low": fit.rmsea_ci[0],
        "rmsea_ci_high": fit.rmsea_ci[1],
        "srmr": fit.srmr,
        "compared_to": "",
        "delta_chi2": float("nan"),
        "delta_df": pd.NA,
        "delta_p": float("nan"),
        "delta_cfi": float("nan"),
        "delta_rmsea": float("nan"),
        "delta_srmr": float("nan"),
        "holds": pd.NA,
        "freed_intercepts": ", ".join(fit.freed_intercepts),
        "latent_means": json.dumps(
            {
                g: {f: [round(e, 10), round(s, 10)] for f, (e, s) in m.items()}
                for g, m in fit.latent_means.items()
            },
            sort_keys=True,
        )
        if fit.latent_means
        else "",
        "converged": fit.converged,
        "note": "; ".join(
            (["did not converge"] if not fit.converged else [])
            + ([f"improper solution: negative {', '.join(fit.improper)}"] if fit.improper else [])
        ),
    }
    if before is not None:
        dchi = fit.chi2 - before.chi2
        ddf = fit.df - before.df
        row.update(
            compared_to=before.level,
            delta_chi2=dchi,
            delta_df=ddf,
            delta_p=float(stats.chi2.sf(max(dchi, 0.0), ddf)) if ddf > 0 else float("nan"),
            delta_cfi=fit.cfi - before.cfi,
            delta_rmsea=fit.rmsea - before.rmsea,
            delta_srmr=fit.srmr - before.srmr,
            holds=_holds(fit, before, level) if fit.converged and before.converged else pd.NA,
        )
    return row


def _holds(fit: MultigroupFit, before: MultigroupFit, level: str) -> bool:
    """Not non-invariant by Chen's (2007) rule: CFI falls by more than .010 *and* RMSEA rises by
    more than .015 or SRMR by more than the level's cut-off (1e-9 of slack for rounding). A model that
    did not converge does not hold (in the table: NA, not judged)."""
    eps = 1e-9
    cfi_drop = before.cfi - fit.cfi > CHEN_DELTA_CFI + eps
    rmsea_rise = fit.rmsea - before.rmsea > CHEN_DELTA_RMSEA + eps
    srmr_rise = fit.srmr - before.srmr > CHEN_DELTA_SRMR[level] + eps
    return bool(fit.converged and not (cfi_drop and (rmsea_rise or srmr_rise)))


def _partial_scalar(model, d, labels, metric, metric_spec, scalar, scalar_spec):
    """Free intercepts one at a time (largest chi-square drop first) until scalar holds against
    metric, keeping at least two equal intercepts per factor (Byrne, Shavelson & Muthen 1989).
    Returns the last fit, or (None, None) when no intercept can be freed."""
    items = model.items
    factor_of = {i: f for f, its in model.factors.items() for i in its}
    freed: list[int] = []
    best, best_spec = scalar, scalar_spec
    while not _holds(best, metric, "scalar"):
        left = {
            f: sum(items.index(i) not in freed for i in its) for f, its in model.factors.items()
        }
        cands = [j for j in range(len(items)) if j not in freed and left[factor_of[items[j]]] > 2]
        if not cands:
            break
        trials = []
        for j in cands:
            fit, spec = _fit_level(
                model, d, labels, "scalar", free_nu=[*freed, j], start=best, start_spec=best_spec
            )
            trials.append((fit.chi2, j, fit, spec))
        _, j, best, best_spec = min(trials, key=lambda t: (t[0], t[1]))
        freed.append(j)
    return (best, best_spec) if freed else (None, None)


def measurement_invariance(
    data: pd.DataFrame,
    constructs: Mapping[str, Sequence[str]],
    group: str,
    *,
    min_group_n: int = 30,
    name: str = "all constructs",
    strict: bool = True,
) -> pd.DataFrame:
    """Test measurement invariance of ``constructs`` across the groups of ``group``.

    Parameters
    ----------
    data
        respondents x columns: the items (numeric answer codes; NaN / NA = not answered) and the
        ``group`` column. Respondents missing any item of the model or the group are dropped
        (listwise), as lavaan's default.
    constructs
        construct -> its items, in order (the first is the factor's marker, loading fixed to 1);
        all constructs are fitted together as one model with correlated factors, items loading only on
        their own factor. Inclusion rules of :func:`mscsurvey.stats.cfa.cfa_model`.
    group
        the grouping column; groups in order of first appearance (categories order when
        categorical); the first is the reference group for latent means.
    min_group_n
        groups with fewer complete respondents (or with an item that does not vary within the group)
        are left out, the reason given in ``left_out``.
    name
        the ``construct_set`` column.
    strict
        also fit the strict level (equal residual variances).

    Returns
    -------
    DataFrame
        columns :data:`INVARIANCE_COLUMNS`, one row per level (configural, metric, scalar, strict)
        and, when scalar fails, a ``partial_scalar`` row (after scalar) with the intercepts freed
        (``freed_intercepts``). ``compared_to``/``delta_*`` compare each level with the one before
        (partial scalar with metric; strict, fully constrained as lavaan's, with scalar); ``holds``
        applies Chen's rule
        (:data:`CHEN_DELTA_CFI` supplemented by :data:`CHEN_DELTA_RMSEA` or :data:`CHEN_DELTA_SRMR`),
        NA for configural.
        ``latent_means`` (scalar rows): JSON ``{group: {factor: [estimate, se]}}``, the reference group
        at 0. ``left_out``: ``group: reason; ...``. ``note``: non-convergence or an improper solution
        (a negative variance, as lavaan reports it; e.g. a negative covariance between two items of a
        3-item factor in one group); ``holds`` is NA when either model did not converge.

    Raises
    ------
    ValueError
        ``data`` is not a DataFrame, ``group`` or an item is not a column, no factor can be formed, or
        fewer than two groups are large enough.

    Notes
    -----
    Fit statistics agree with lavaan 0.6-14 (``cfa(..., group = , group.equal = )``, ML) on
    Holzinger-Swineford by school to 1e-5 (the differences are ~1e-7), latent means and their SEs
    too (tests). The
    configural model of a single 3-item construct has 0 df (fit indices undefined); metric and scalar
    are still tested against it.
    """
    model, labels, d, left = _prepare(data, constructs, group, min_group_n)
    fits: dict[str, tuple[MultigroupFit, _Spec]] = {}
    prev = None
    for level in LEVELS if strict else LEVELS[:3]:
        start = fits[prev] if prev else (None, None)
        fits[level] = _fit_level(
            model, d, labels, level, start=start[0], start_spec=start[1], ses=level == "scalar"
        )
        prev = level
    metric, scalar = fits["metric"], fits["scalar"]
    if not _holds(scalar[0], metric[0], "scalar"):
        part, spec = _partial_scalar(model, d, labels, *metric, *scalar)
        if part is not None:
            freed = [model.items.index(i) for i in part.freed_intercepts]
            fits["partial_scalar"] = _fit_level(
                model, d, labels, "scalar", free_nu=freed, start=part, start_spec=spec, ses=True
            )
    compare = {"metric": "configural", "scalar": "metric", "strict": "scalar"}
    compare["partial_scalar"] = "metric"
    rows = []
    for level in [lv for lv in (*LEVELS[:3], "partial_scalar", "strict") if lv in fits]:
        fit = fits[level][0]
        before = fits[compare[level]][0] if level in compare else None
        rows.append(_row(fit, before, level))
    out = pd.DataFrame(rows)
    out.insert(0, "group_variable", group)
    out.insert(0, "construct_set", name)
    out["left_out"] = "; ".join(f"{g}: {why}" for g, why in left.items())
    if model.notes:
        left_items = f"left out: {', '.join(model.notes)}"
        out["note"] = [f"{n}; {left_items}" if n else left_items for n in out["note"]]
    out["delta_df"] = out["delta_df"].astype("Int64")
    out["holds"] = out["holds"].astype("boolean")
    return out[INVARIANCE_COLUMNS]
