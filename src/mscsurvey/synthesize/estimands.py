"""Population values of the pipeline's statistics, computed on a large Monte Carlo draw.

Regression on observed scale scores and alpha on ordinal items differ from the latent model's
parameters (items are coarse, scores carry measurement error). The later stages are checked against
these estimands: the values their statistics converge to on data from this model.

The conventions follow the pipeline's: items coded as numbers, reverse-keyed items flipped
(``min + max - code``), a construct score is the mean of its answered keyed items when at least the
construct's minimum number is answered, ordered groups enter regressions as scores 1..k, unordered groups
as dummies against the codebook's reference level.
"""

from __future__ import annotations

from itertools import combinations
from math import factorial

import numpy as np

from mscsurvey.codebook.spec import Codebook

__all__ = [
    "keyed_codes",
    "construct_scores",
    "cronbach_alpha",
    "item_correlations",
    "design",
    "standardised_ols",
    "shapley_r2",
    "group_means",
    "agree_pct",
]


def keyed_codes(codes: np.ndarray, codebook: Codebook) -> np.ndarray:
    """Flip reverse-keyed items: ``min + max - code`` (NaN stays NaN)."""
    out = np.array(codes, dtype=float, copy=True)
    for j, item in enumerate(codebook.items.values()):
        if item.reverse:
            sc = codebook.scales[item.scale]
            out[:, j] = sc.min + sc.max - out[:, j]
    return out


def construct_scores(keyed: np.ndarray, codebook: Codebook) -> dict[str, np.ndarray]:
    """Per construct the mean of its answered keyed items, NaN when fewer than ``min_items()``."""
    items = list(codebook.items)
    out = {}
    for cid, con in codebook.constructs.items():
        m = keyed[:, [items.index(i) for i in con.items]]
        n = np.sum(~np.isnan(m), axis=1)
        total = np.nansum(m, axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = total / n
        out[cid] = np.where(n >= con.min_items(), mean, np.nan)
    return out


def cronbach_alpha(m: np.ndarray) -> tuple[float, int]:
    """Cronbach's alpha on the listwise-complete rows of ``m`` (respondents x items), and their n."""
    m = m[~np.isnan(m).any(axis=1)]
    k = m.shape[1]
    if m.shape[0] < 3 or k < 2:
        return float("nan"), int(m.shape[0])
    item_var = m.var(axis=0, ddof=1).sum()
    total_var = m.sum(axis=1).var(ddof=1)
    return float(k / (k - 1) * (1 - item_var / total_var)), int(m.shape[0])


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    ok = ~(np.isnan(a) | np.isnan(b))
    if ok.sum() < 3:
        return float("nan")
    a, b = a[ok], b[ok]  # each selected once (the Monte Carlo vectors have 200,000 rows)
    x, y = a - a.mean(), b - b.mean()
    return float(x @ y / np.sqrt((x @ x) * (y @ y)))


def item_correlations(
    keyed: np.ndarray, scores: dict[str, np.ndarray], eta: np.ndarray, codebook: Codebook
) -> dict[str, dict[str, float]]:
    """Per item: ``item_total`` (keyed code with its construct's score, where both exist),
    ``item_rest`` (with the sum of the construct's other items, on listwise-complete rows: psych's
    ``r.drop``) and ``item_latent`` (with the latent construct, where the item is answered)."""
    items = list(codebook.items)
    constructs = list(codebook.constructs)
    total, rest, latent = {}, {}, {}
    for cid, con in codebook.constructs.items():
        cols = [items.index(i) for i in con.items]
        m = keyed[:, cols]
        mc = m[~np.isnan(m).any(axis=1)]  # the listwise-complete rows, selected once per construct
        for k, iid in enumerate(con.items):
            x = keyed[:, cols[k]]
            total[iid] = _corr(x, scores[cid])
            others = np.delete(mc, k, axis=1).sum(axis=1)
            rest[iid] = _corr(mc[:, k], others)
            latent[iid] = _corr(x, eta[:, constructs.index(cid)])
    return {"item_total": total, "item_rest": rest, "item_latent": latent}


def design(
    outcome: str,
    predictors: tuple[str, ...] | list[str],
    scores: dict[str, np.ndarray],
    reported: dict[str, np.ndarray],
    codebook: Codebook,
) -> tuple[np.ndarray, np.ndarray, list[str], list[list[int]]]:
    """The complete-case regression data of ``outcome ~ predictors``.

    Returns
    -------
    y, x, terms, blocks
        outcome and predictor columns on the complete rows (numeric predictors z-scored, outcome
        z-scored, dummies 0/1), the term names (a construct's id, an ordered group's id, or
        ``group[category]`` for a dummy) and, per predictor, the indices of its columns.
    """
    cols: list[np.ndarray] = []
    terms: list[str] = []
    blocks: list[list[int]] = []
    ok = ~np.isnan(scores[outcome])
    for p in predictors:
        if p in codebook.constructs:
            v = scores[p]
            ok &= ~np.isnan(v)
            blocks.append([len(cols)])
            cols.append(v)
            terms.append(p)
            continue
        grp = codebook.groups[p]
        rep = reported[p]
        ok &= rep >= 0
        if grp.ordered:
            blocks.append([len(cols)])
            cols.append(rep + 1.0)
            terms.append(p)
        else:
            ref = grp.categories.index(grp.reference)
            block = []
            for k, cat in enumerate(grp.categories):
                if k == ref:
                    continue
                block.append(len(cols))
                cols.append((rep == k).astype(float))
                terms.append(f"{p}[{cat}]")
            blocks.append(block)
    y = scores[outcome][ok]
    x = np.column_stack([c[ok] for c in cols])
    numeric = [
        b[0]
        for b, p in zip(blocks, predictors, strict=True)
        if len(b) == 1 and (p in codebook.constructs or codebook.groups[p].ordered)
    ]
    for j in numeric:
        x[:, j] = (x[:, j] - x[:, j].mean()) / x[:, j].std()
    y = (y - y.mean()) / y.std()
    return y, x, terms, blocks


def standardised_ols(
    y: np.ndarray, x: np.ndarray, terms: list[str]
) -> tuple[dict[str, float], float]:
    """OLS with intercept of the (already standardised) ``y`` on ``x``: coefficients by term and R²."""
    xi = np.column_stack([np.ones(len(y)), x])
    beta, *_ = np.linalg.lstsq(xi, y, rcond=None)
    resid = y - xi @ beta
    r2 = 1 - float(resid @ resid) / float(((y - y.mean()) ** 2).sum())
    return dict(zip(terms, beta[1:].tolist(), strict=True)), r2


def shapley_r2(y: np.ndarray, x: np.ndarray, blocks: list[list[int]]) -> list[float]:
    """Shapley decomposition of R² over predictor blocks (dominance analysis' general dominance).

    Each block's share is the average, over all orders of entry, of the R² it adds; the shares sum to
    the full model's R².
    """
    data = np.column_stack([y, x])
    cov = np.cov(data, rowvar=False)
    vy = cov[0, 0]
    p = len(blocks)
    cache: dict[frozenset[int], float] = {frozenset(): 0.0}

    def r2(subset: frozenset[int]) -> float:
        if subset not in cache:
            idx = [c + 1 for b in sorted(subset) for c in blocks[b]]
            sxx = cov[np.ix_(idx, idx)]
            sxy = cov[idx, 0]
            cache[subset] = float(sxy @ np.linalg.solve(sxx, sxy) / vy)
        return cache[subset]

    shares = []
    for b in range(p):
        others = [o for o in range(p) if o != b]
        total = 0.0
        for size in range(p):
            weight = factorial(size) * factorial(p - size - 1) / factorial(p)
            for sub in combinations(others, size):
                s = frozenset(sub)
                total += weight * (r2(s | {b}) - r2(s))
        shares.append(total)
    return shares


def group_means(
    scores: dict[str, np.ndarray], reported: dict[str, np.ndarray], codebook: Codebook
) -> dict[str, dict[str, dict[str, float]]]:
    """Mean construct score per compared group (codebook ``compare: true``) and category, among
    respondents with a score who reported the category."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for cid, s in scores.items():
        out[cid] = {}
        ok = ~np.isnan(s)
        for g in codebook.compared_groups():
            rep = reported[g]
            cats = codebook.groups[g].categories
            sel = ok & (rep >= 0)
            sums = np.bincount(rep[sel], weights=s[sel], minlength=len(cats))
            ns = np.bincount(rep[sel], minlength=len(cats))
            out[cid][g] = {
                c: (float(sums[k] / ns[k]) if ns[k] else float("nan")) for k, c in enumerate(cats)
            }
    return out


def agree_pct(codes: np.ndarray, codebook: Codebook) -> dict[str, float]:
    """% of answerers in the scale's agree codes, per item (codes as answered)."""
    out = {}
    for j, (iid, item) in enumerate(codebook.items.items()):
        x = codes[:, j]
        ans = ~np.isnan(x)
        agree = np.isin(x[ans], codebook.scales[item.scale].agree)
        out[iid] = float(100 * agree.mean()) if ans.any() else float("nan")
    return out
