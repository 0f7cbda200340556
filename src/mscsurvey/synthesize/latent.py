"""The latent model: respondents' groups, latent construct scores, continuous item responses, their
thresholds and who answers "don't know".

Everything here is vectorised over respondents (numpy arrays with one row per respondent); the same
functions draw the survey's sample and the large Monte Carlo population behind the estimands.

Notation (see ``data/synthetic/README.md``)::

    eta[c]  = sum_p beta[c, p] * eta[p] + beta[c, g] * z(score_g) + sum_g delta[c, g, category]
              + u[msc, c] + sqrt(psi[c]) * zeta[c]
    x*[j]   = lambda[j] * eta[c(j)] + sqrt(1 - lambda[j]^2) * e[j]
    code[j] = k  when tau[j, k-1] <= x*[j] < tau[j, k]
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mscsurvey.codebook.spec import Codebook
from mscsurvey.errors import SurveyError
from mscsurvey.synthesize.model import Model

__all__ = [
    "People",
    "LatentParams",
    "largest_remainder",
    "draw_people",
    "msc_effects",
    "latent_scores",
    "item_responses",
    "item_offsets",
    "dont_know_scores",
    "category_counts",
    "calibrate_thresholds",
    "apply_thresholds",
]


@dataclass
class People:
    """Covariates of ``n`` respondents.

    Attributes
    ----------
    msc
        index into ``Model.clusters`` per respondent.
    true
        group -> category index (into the codebook's categories) per respondent; for groups with
        missing labels this is the respondent's true category, reported or not.
    missing
        group -> index into the group's missing labels when the respondent did not report the
        category ("Prefer not to say"), else -1.
    """

    msc: np.ndarray
    true: dict[str, np.ndarray] = field(default_factory=dict)
    missing: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return int(self.msc.shape[0])

    def reported(self, group: str) -> np.ndarray:
        """Category index as reported (-1 where a missing label was given)."""
        return np.where(self.missing[group] >= 0, -1, self.true[group])

    def take(self, idx: np.ndarray) -> People:
        return People(
            self.msc[idx],
            {g: v[idx] for g, v in self.true.items()},
            {g: v[idx] for g, v in self.missing.items()},
        )


@dataclass
class LatentParams:
    """What the Monte Carlo population fixes for every later draw: residual variances ``psi``,
    centring means ``mean`` (population mean of each latent before centring) and the population mean
    and SD of each ordered group score entering a path."""

    psi: dict[str, float]
    mean: dict[str, float]
    score_mean: dict[str, float]
    score_sd: dict[str, float]


def largest_remainder(shares: np.ndarray, n: int) -> np.ndarray:
    """Integer counts summing to ``n`` proportional to ``shares`` (Hamilton's largest remainder)."""
    p = np.asarray(shares, dtype=float)
    p = p / p.sum()
    raw = p * n
    counts = np.floor(raw).astype(int)
    short = n - int(counts.sum())
    if short:
        order = np.argsort(-(raw - counts), kind="stable")
        counts[order[:short]] += 1
    return counts


def _quota(shares: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    counts = largest_remainder(shares, n)
    values = np.repeat(np.arange(len(counts)), counts)
    return rng.permutation(values)


def _draw(shares: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    p = np.asarray(shares, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


def draw_people(
    model: Model,
    codebook: Codebook,
    n: int,
    rng: np.random.Generator,
    *,
    quota: bool,
    msc_counts: np.ndarray | None = None,
) -> People:
    """Draw ``n`` respondents' MSC and groups.

    Parameters
    ----------
    quota
        when True, the MSCs (``msc_counts``, or largest-remainder counts of the weights) and the
        groups marked ``quota: true`` get exact counts, shuffled; missing labels of quota groups too.
        When False every value is an independent draw.
    """
    weights = np.array([c.weight for c in model.clusters])
    if quota:
        counts = msc_counts if msc_counts is not None else largest_remainder(weights, n)
        msc = rng.permutation(np.repeat(np.arange(len(weights)), counts))
    else:
        msc = _draw(weights, n, rng)
    people = People(msc)
    for g, grp in codebook.groups.items():
        if grp.level == "cluster":
            idx = np.array([grp.categories.index(c.values[g]) for c in model.clusters])
            people.true[g] = idx[msc]
            people.missing[g] = np.full(n, -1)
    for g, gm in model.groups.items():
        grp = codebook.groups[g]
        cats = np.array([gm.shares[c] for c in grp.categories])
        exact = quota and gm.quota
        true = _quota(cats, n, rng) if exact else _draw(cats, n, rng)
        miss_total = np.full(n, sum(gm.missing.values()))
        for other, by_cat in gm.given.items():
            for cat, (sh, miss) in by_cat.items():
                sel = np.flatnonzero(
                    people.true[other] == codebook.groups[other].categories.index(cat)
                )
                if sel.size:
                    true[sel] = _draw(np.array([sh[c] for c in grp.categories]), sel.size, rng)
                    miss_total[sel] = sum(miss.values())
        missing = np.full(n, -1)
        if grp.missing and miss_total.max() > 0:
            if exact:
                k = int(np.floor(miss_total[0] * n + 0.5))
                hidden = np.zeros(n, dtype=bool)
                hidden[rng.choice(n, size=k, replace=False)] = True
            else:
                hidden = rng.random(n) < miss_total
            label_shares = np.array([gm.missing.get(lab, 0.0) for lab in grp.missing])
            if label_shares.sum() <= 0:
                label_shares = np.ones(len(grp.missing))
            labels = _draw(label_shares, int(hidden.sum()), rng)
            missing[hidden] = labels
        people.true[g] = true
        people.missing[g] = missing
    return people


def msc_effects(
    model: Model,
    codebook: Codebook,
    counts: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """MSC random intercepts, one row per MSC and one column per construct (codebook order).

    ``u[m, c] = sd[c] * (sqrt(rho) * a[m] + sqrt(1 - rho) * b[m, c])``. With ``centred``, each column
    is replaced by its residual from a weighted least-squares fit (weights ``counts``) on the
    MSC-level groups' dummies and rescaled to weighted SD ``sd[c]``: the realised intercepts then
    carry no MSC-level group contrast.
    """
    constructs = list(codebook.constructs)
    m = len(model.clusters)
    rho = model.msc_correlation
    a = rng.standard_normal(m)
    b = rng.standard_normal((m, len(constructs)))
    z = np.sqrt(rho) * a[:, None] + np.sqrt(1 - rho) * b
    sd = np.array([model.msc_sd[c] for c in constructs])
    w = np.asarray(counts, dtype=float)
    if model.msc_centred:
        cols = [np.ones(m)]
        for g, grp in codebook.groups.items():
            if grp.level != "cluster":
                continue
            vals = [c.values[g] for c in model.clusters]
            for cat in grp.categories[1:]:
                cols.append(np.array([v == cat for v in vals], dtype=float))
        x = np.column_stack(cols)
        sw = np.sqrt(w)[:, None]
        beta, *_ = np.linalg.lstsq(x * sw, z * sw, rcond=None)
        z = z - x @ beta
        spread = np.sqrt((w[:, None] * z**2).sum(axis=0) / w.sum())
        z = z / np.where(spread > 0, spread, 1.0)
    return z * sd


def _effect_vector(model: Model, codebook: Codebook, people: People, construct: str) -> np.ndarray:
    out = np.zeros(people.n)
    for g, by_cat in model.group_effects.get(construct, {}).items():
        table = np.array([by_cat.get(c, 0.0) for c in codebook.groups[g].categories])
        out += table[people.true[g]]
    return out


def latent_scores(
    model: Model,
    codebook: Codebook,
    people: People,
    u: np.ndarray,
    rng: np.random.Generator,
    params: LatentParams | None = None,
    *,
    balance: bool = False,
) -> tuple[np.ndarray, LatentParams]:
    """Latent construct scores of ``people`` (one column per construct, codebook order).

    Parameters
    ----------
    u
        MSC intercepts from :func:`msc_effects`.
    params
        None for the Monte Carlo population: residual variances are then set so that every latent
        has variance 1 in this draw, ordered group scores are standardised on it and every latent is
        centred on its mean; the returned :class:`LatentParams` fix these for later draws.
    balance
        when True (the survey's sample), each construct's standard-normal residual is replaced by its
        least-squares residual on the dummies of the codebook's compared groups and on the
        construct's own predictors (latents and ordered group scores), rescaled to SD 1: in the
        realised sample the residuals are then exactly uncorrelated with what the model says they are
        independent of, so realised subgroup contrasts and latent regressions equal the model's.

    Raises
    ------
    SurveyError
        when paths and effects leave a construct less residual variance than the model's minimum.
    """
    constructs = list(codebook.constructs)
    col = {c: i for i, c in enumerate(constructs)}
    n = people.n
    z = rng.standard_normal((n, len(constructs)))
    exo = list(model.exogenous)
    if exo:
        chol = np.linalg.cholesky(model.residual_correlation)
        idx = [col[c] for c in exo]
        z[:, idx] = z[:, idx] @ chol.T
    eta = np.zeros((n, len(constructs)))
    dummies = [np.ones(n)]
    if balance:
        for g in codebook.compared_groups():
            for k in range(1, len(codebook.groups[g].categories)):
                d = (people.true[g] == k).astype(float)
                if d.any() and not d.all():
                    dummies.append(d)
    fit = params is None
    if params is None:
        params = LatentParams({}, {}, {}, {})
    for c in model.order:
        sys = _effect_vector(model, codebook, people, c) + u[people.msc, col[c]]
        regressors = list(dummies)
        for p, beta in model.paths.get(c, {}).items():
            if p in col:
                sys = sys + beta * eta[:, col[p]]
                regressors.append(eta[:, col[p]])
            else:  # an ordered group's score 1..k, standardised in the population
                score = people.true[p] + 1.0
                if fit and p not in params.score_mean:
                    params.score_mean[p] = float(score.mean())
                    params.score_sd[p] = float(score.std())
                sys = sys + beta * (score - params.score_mean[p]) / params.score_sd[p]
                regressors.append(score)
        if balance:
            x = np.column_stack(regressors)
            coef, *_ = np.linalg.lstsq(x, z[:, col[c]], rcond=None)
            resid = z[:, col[c]] - x @ coef
            z[:, col[c]] = resid / resid.std()
        if fit:
            psi = 1.0 - float(sys.var())
            if psi < model.min_residual_variance:
                raise SurveyError(
                    f"paths and group effects of construct '{c}' explain {1 - psi:.2f} of its "
                    f"variance, leaving less than the minimum residual variance "
                    f"{model.min_residual_variance} (weaken them)",
                    key=f"latent.paths.{c}",
                )
            params.psi[c] = psi
        value = sys + np.sqrt(params.psi[c]) * z[:, col[c]]
        if fit:
            params.mean[c] = float(value.mean())
        eta[:, col[c]] = value - params.mean[c]
    return eta, params


def item_responses(
    eta: np.ndarray,
    codebook: Codebook,
    loadings: dict[str, float],
    rng: np.random.Generator,
    offsets: np.ndarray | None = None,
) -> np.ndarray:
    """Continuous responses ``x* = lambda * eta + sqrt(1 - lambda^2) * e`` (one column per item),
    plus ``offsets`` (respondents x items, :func:`item_offsets`) when given."""
    constructs = list(codebook.constructs)
    items = list(codebook.items)
    lam = np.array([loadings[i] for i in items])
    which = np.array([constructs.index(codebook.items[i].construct) for i in items])
    e = rng.standard_normal((eta.shape[0], len(items)))
    xs = eta[:, which] * lam + np.sqrt(1 - lam**2) * e
    return xs if offsets is None else xs + offsets


def item_offsets(model: Model, codebook: Codebook, people: People) -> np.ndarray | None:
    """Planted non-invariance: each respondent's shift of each item's x* (the model's
    ``items.intercept_shifts``: an item's intercept differs in one category of a group, the same
    construct level giving higher or lower answers there). None when the model plants none."""
    if not model.intercept_shifts:
        return None
    items = list(codebook.items)
    out = np.zeros((people.n, len(items)))
    for item, group, cat, shift in model.intercept_shifts:
        out[:, items.index(item)] += np.where(people.true[group] == cat, shift, 0.0)
    return out


def dont_know_scores(
    model: Model, codebook: Codebook, people: People, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Non-answer scores ``s = w * theta + logistic noise`` (one column per item) and ``theta``.

    ``theta`` is a respondent's "don't know" propensity: N(0, 1) plus the model's group shifts.
    """
    dk = model.dont_know
    theta = rng.standard_normal(people.n)
    for g, by_cat in (dk.get("shifts") or {}).items():
        table = np.array([by_cat.get(c, 0.0) for c in codebook.groups[g].categories])
        theta = theta + table[people.true[g]]
    noise = rng.logistic(size=(people.n, len(codebook.items)))
    return float(dk["person_weight"]) * theta[:, None] + noise, theta


def category_counts(
    n: int, agree_count: int, split: dict[str, dict[int, float]], codes: list[int]
) -> np.ndarray:
    """How many of ``n`` answerers give each code: ``agree_count`` in the agree codes, the rest in the
    others, each part split by its shares with largest-remainder rounding."""
    out = np.zeros(len(codes), dtype=int)
    for part, count in (("agree", agree_count), ("rest", n - agree_count)):
        shares = split[part]
        part_codes = sorted(shares)
        alloc = largest_remainder(np.array([shares[c] for c in part_codes]), count)
        for c, k in zip(part_codes, alloc, strict=True):
            out[codes.index(c)] = k
    return out


def calibrate_thresholds(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Thresholds that cut ``values`` into categories of exactly ``counts`` (low to high).

    Each threshold is the midpoint between the last value of one category and the first of the next
    in sorted order (0.5 beyond the extreme value when a category at an end is empty).
    """
    x = np.sort(np.asarray(values, dtype=float))
    n = x.size
    if int(counts.sum()) != n:
        raise ValueError(f"counts sum to {int(counts.sum())}, expected {n}")
    cuts = np.cumsum(counts)[:-1]
    thr = np.empty(cuts.size)
    for k, pos in enumerate(cuts):
        if n == 0:
            thr[k] = 0.0
        elif pos <= 0:
            thr[k] = x[0] - 0.5
        elif pos >= n:
            thr[k] = x[-1] + 0.5
        else:
            thr[k] = 0.5 * (x[pos - 1] + x[pos])
    return thr


def apply_thresholds(x: np.ndarray, thresholds: np.ndarray, codes: list[int]) -> np.ndarray:
    """Codes of continuous responses ``x`` cut at ``thresholds`` (one fewer than ``codes``)."""
    return np.asarray(codes)[np.searchsorted(thresholds, x, side="right")]
