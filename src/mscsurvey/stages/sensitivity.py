"""Sensitivity analyses: multiple imputation of item answers and optional survey weights.

**Multiple imputation** (:func:`imputed_table`). The keyed item codes are imputed m times by chained
predictive mean matching (:func:`mscsurvey.stats.imputation.impute_pmm`, as R's ``mice``) with every other
item, the respondent-level groups (a missing group answer is its own category) and the cluster as
dummies as predictors (cluster-level groups are constant within a cluster, so the cluster dummies
already carry them). Each completed data set is scored (:func:`mscsurvey.stages.scales.score`, every item
answered) and analysed as the main analysis does; the m results are pooled by Rubin's rules with
Barnard–Rubin df (:func:`mscsurvey.stats.pooling.pool`). Complete-data df: G − 1 clusters for a driver
model's cluster-robust SE (n − k with HC3), n − 1 for a construct mean (SE = SD/√n). Rows with
``method = complete_case`` are the main analysis's values (available items, complete cases).

**Weights** (:func:`respondent_design`, :func:`weighted_table`). Base weights (1, or the config's
weight column) are raked to the config's population margins (post-stratified when there is one),
capped at ``trim`` × the median weight and re-raked until no weight exceeds the cap; respondents
without an answer to a margin's variable get weight 0 (counted). Estimates are design-based with the
clusters as PSUs (Taylor linearisation, :mod:`mscsurvey.stats.weights`), beside the same estimators with
equal weights (``method = unweighted``), so the two differ only by the weights.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from mscsurvey import contracts
from mscsurvey.codebook.spec import Codebook
from mscsurvey.errors import SurveyError
from mscsurvey.settings import SensitivitySettings, WeightsSettings
from mscsurvey.stages.agreement import as_answered
from mscsurvey.stages.regressions import model_design, standardised_ols
from mscsurvey.stages.scales import keyed_items, score
from mscsurvey.stats.imputation import design_with_dummies, impute_pmm
from mscsurvey.stats.pooling import pool
from mscsurvey.stats.weights import (
    SurveyDesign,
    kish_deff,
    rake_design,
    svy_mean,
    svy_ols,
    svy_proportion,
    trim_and_rake,
)

__all__ = [
    "IMPUTED_COLUMNS",
    "WEIGHTED_COLUMNS",
    "imputation_frame",
    "impute_responses",
    "imputed_table",
    "respondent_design",
    "weighted_table",
]

log = logging.getLogger(__name__)

IMPUTED_COLUMNS = contracts.IMPUTED.columns
WEIGHTED_COLUMNS = contracts.WEIGHTED.columns
NOT_REPORTED = "(not reported)"


def _items(codebook: Codebook) -> list[str]:
    return [i for c in codebook.constructs for i in codebook.constructs[c].items]


def imputation_frame(responses: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Keyed item codes (NaN = missing) plus dummies of the respondent-level groups and the cluster."""
    items = pd.concat([keyed_items(responses, codebook, c) for c in codebook.constructs], axis=1)
    cats = [g for g, grp in codebook.groups.items() if grp.level != "cluster"]
    if codebook.cluster:
        cats.append(codebook.cluster)
    preds = pd.DataFrame(
        {g: responses[g].astype(object).where(responses[g].notna(), NOT_REPORTED) for g in cats},
        index=responses.index,
    ).astype(str)
    return design_with_dummies(pd.concat([items, preds], axis=1), cats)


def impute_responses(
    responses: pd.DataFrame, codebook: Codebook, *, m: int, seed: int
) -> list[pd.DataFrame]:
    """The m completed copies of ``responses`` (item columns imputed, everything else unchanged).

    Raises
    ------
    SurveyError
        An item nobody answered (nothing to impute it from).
    """
    frame = imputation_frame(responses, codebook)
    items = _items(codebook)
    empty = [i for i in items if frame[i].isna().all()]
    if empty:
        raise SurveyError(
            f"item '{empty[0]}' has no answer in the clean responses: it cannot be imputed",
            column=empty[0],
        )
    out = []
    for done in impute_pmm(frame, m=m, seed=seed):
        r = responses.copy()
        for i in items:
            r[i] = done[i].to_numpy()
        out.append(r)
    return out


def _driver_fit(scores: pd.DataFrame, codebook: Codebook, name: str, spec: Mapping[str, Any]):
    terms = [*spec["predictors"], *spec.get("controls", [])]
    design = model_design(scores, codebook, outcome=spec["outcome"], predictors=terms, model=name)
    t = standardised_ols(design)
    clustered = bool(np.isfinite(t["se_cluster"]).all())
    se = t["se_cluster"] if clustered else t["se_hc3"]
    n, k = int(t["n"].iloc[0]), len(t)
    dfcom = float(design.n_clusters - 1) if clustered else float(n - k)
    return t.assign(se=se.to_numpy(), dfcom=dfcom)[
        ["term", "estimate", "se", "ci_low", "ci_high", "dfcom", "n"]
    ]


def _pooled_rows(fits: list[pd.DataFrame], analysis: str, name: str) -> pd.DataFrame:
    common = set.intersection(*(set(f["term"]) for f in fits))
    order = [t for t in fits[0]["term"] if t in common]
    q = np.array([f.set_index("term").loc[order, "estimate"].to_numpy(float) for f in fits])
    u = np.array([f.set_index("term").loc[order, "se"].to_numpy(float) ** 2 for f in fits])
    p = pool(q, u, dfcom=float(fits[0]["dfcom"].iloc[0]), terms=order)
    n = int(fits[0]["n"].iloc[0])
    return p.assign(analysis=analysis, name=name, method="multiple_imputation", n=n)


def _complete_rows(fit: pd.DataFrame, analysis: str, name: str) -> pd.DataFrame:
    return fit.rename(columns={"dfcom": "df"}).assign(
        analysis=analysis, name=name, method="complete_case", fmi=np.nan, riv=np.nan, m=0
    )


def _mean_fit(values: pd.Series, construct: str) -> pd.DataFrame:
    x = values.dropna().to_numpy(float)
    n = len(x)
    mean, se = float(x.mean()), float(x.std(ddof=1) / np.sqrt(n))
    half = float(stats.t.ppf(0.975, n - 1)) * se
    return pd.DataFrame(
        [
            {
                "term": "mean",
                "estimate": mean,
                "se": se,
                "ci_low": mean - half,
                "ci_high": mean + half,
                "dfcom": float(n - 1),
                "n": n,
            }
        ]
    )


def imputed_table(
    responses: pd.DataFrame,
    codebook: Codebook,
    models: Mapping[str, Mapping[str, Any]],
    settings: SensitivitySettings,
    *,
    seed: int,
) -> pd.DataFrame:
    """Driver coefficients and construct means: complete-case beside pooled over m imputations.

    ``settings`` is the ``sensitivity:`` block (:class:`~mscsurvey.settings.SensitivitySettings`:
    ``imputations`` m, ``max_n``, ``seed``); ``seed`` the run's seed, used when it has none.

    With more than ``max_n`` respondents both columns are computed on one seeded random sample of
    ``max_n`` (``n`` says so): m chained imputations of every respondent of a 10^6 survey would take
    hours, and the sensitivity comparison needs the two methods on the same rows, not every row.

    Returns
    -------
    pandas.DataFrame
        :data:`IMPUTED_COLUMNS`; ``analysis`` is ``driver`` (``name`` the model, ``term`` its term)
        or ``construct_mean`` (``name`` the construct, ``term`` = ``mean``); ``method`` is
        ``complete_case`` or ``multiple_imputation``.
    """
    m, max_n, seed = settings.imputations, settings.max_n, settings.seed_or(seed)
    if max_n is not None and len(responses) > max_n:
        rows = np.sort(np.random.default_rng(seed).choice(len(responses), max_n, replace=False))
        responses = responses.iloc[rows]
    observed = score(responses, codebook)
    completed = [score(r, codebook) for r in impute_responses(responses, codebook, m=m, seed=seed)]
    parts = []
    for name, spec in models.items():
        parts.append(_complete_rows(_driver_fit(observed, codebook, name, spec), "driver", name))
        fits = [_driver_fit(s, codebook, name, spec) for s in completed]
        parts.append(_pooled_rows(fits, "driver", name))
    for c in codebook.constructs:
        parts.append(_complete_rows(_mean_fit(observed[c], c), "construct_mean", c))
        parts.append(_pooled_rows([_mean_fit(s[c], c) for s in completed], "construct_mean", c))
    out = pd.concat(parts, ignore_index=True)[IMPUTED_COLUMNS]
    return out.astype({"m": "int64", "n": "int64"})


def _margin_labels(responses: pd.DataFrame, codebook: Codebook, var: str, source: str):
    if var not in codebook.groups and var != codebook.cluster:
        raise SurveyError(
            f"weights.margins names '{var}', which is neither a grouping variable nor the cluster "
            f"column of {codebook.path}",
            file=source,
            key=f"weights.margins.{var}",
        )
    return responses[var].astype(object).to_numpy()


def respondent_design(
    responses: pd.DataFrame,
    codebook: Codebook,
    settings: WeightsSettings,
    *,
    source: str = "config/config.yaml",
) -> tuple[SurveyDesign, dict[str, float]]:
    """Calibrated weights and the design (clusters as PSUs) from the ``weights:`` settings
    (:class:`~mscsurvey.settings.WeightsSettings`).

    Returns the design and counts: ``n_weighted``, ``n_unweightable`` (weight 0: a margin variable
    unanswered), ``n_trimmed`` (capped in the first round), ``kish_deff`` and ``trim_cap``.

    Raises
    ------
    SurveyError
        A margin names an unknown variable or misses a category present among the respondents, a
        population category has no respondent, or the weight column is absent or not positive.
    """
    col = settings.column
    if col:
        if col not in responses.columns:
            raise SurveyError(
                f"weights.column '{col}' is not a column of the clean responses",
                file=source,
                key="weights.column",
            )
        base = pd.to_numeric(responses[col], errors="coerce").to_numpy(float)
        if not (np.isfinite(base) & (base > 0)).all():
            raise SurveyError(
                f"weights.column '{col}' has missing or non-positive weights (expected > 0)",
                file=source,
                key="weights.column",
            )
    else:
        base = np.ones(len(responses))
    margins_cfg = settings.margins or {}
    labels = {v: _margin_labels(responses, codebook, v, source) for v in margins_cfg}
    known = np.ones(len(responses), bool)
    for lab in labels.values():
        known &= pd.notna(lab)
    margins = {
        v: (np.asarray(labels[v][known], dtype=str), {str(k): float(t) for k, t in tot.items()})
        for v, tot in margins_cfg.items()
    }
    psu = responses[codebook.cluster].astype(str).to_numpy() if codebook.cluster else None
    try:
        w, n_trim = trim_and_rake(base[known], margins, cap=settings.trim or np.inf)
        sub = rake_design(w, margins, epsilon=1e-9, max_iter=1000) if margins else None
    except ValueError as exc:
        raise SurveyError(f"weights.margins: {exc}", file=source, key="weights.margins") from exc
    full = np.zeros(len(responses))
    full[known] = w
    cal = ()
    if sub is not None:
        cal = tuple(
            tuple((_expand(lab, known, "(unweighted)"), _expand(a, known, 0.0)) for lab, a in c)
            for c in sub.calibration
        )
    design = SurveyDesign(full, psu=psu, calibration=cal)
    counts = {
        "n_weighted": int(known.sum()),
        "n_unweightable": int((~known).sum()),
        "n_trimmed": int(n_trim),
        "kish_deff": kish_deff(w),
        "trim_cap": float(settings.trim) if settings.trim else float("nan"),
    }
    return design, counts


def _expand(values: np.ndarray, known: np.ndarray, fill: object) -> np.ndarray:
    # rows outside the calibration (a margin variable unanswered) form their own post-stratum with
    # weight 0, so they add nothing to any estimate or variance
    out = np.full(len(known), fill, dtype=object if isinstance(fill, str) else float)
    out[known] = values
    return out


def _both(design: SurveyDesign) -> dict[str, SurveyDesign]:
    # the same estimators with every respondent weighted equally: the difference is the weights'
    flat = SurveyDesign(np.ones(len(design.weights)), psu=design.psu)
    return {"weighted": design, "unweighted": flat}


def weighted_table(
    responses: pd.DataFrame,
    codebook: Codebook,
    models: Mapping[str, Mapping[str, Any]],
    design: SurveyDesign,
    counts: Mapping[str, float],
    *,
    ci_level: float = 0.95,
) -> pd.DataFrame:
    """Weighted beside unweighted: % agreed per item, construct means, driver models, design effect.

    Returns
    -------
    pandas.DataFrame
        :data:`WEIGHTED_COLUMNS`; ``analysis`` is ``agreement`` (``name`` the item; a proportion with
        a logit interval), ``construct_mean``, ``driver`` (``name`` the model) or ``design``
        (``term`` ``kish_deff``, ``n_trimmed``, ``n_unweightable``, ``trim_cap``; ``estimate`` the
        value).
    """
    scores = score(responses, codebook)
    rows: list[dict[str, Any]] = []
    for method, d in _both(design).items():
        for item in _items(codebook):
            codes = as_answered(responses[item], codebook, item)
            y = codes.isin(codebook.scale_of(item).agree).astype(float).where(codes.notna())
            e = svy_proportion(y.to_numpy(float), d, level=ci_level)
            rows.append(_row("agreement", item, "agree", method, e, int(codes.notna().sum())))
        for c in codebook.constructs:
            e = svy_mean(scores[c].to_numpy(float), d, level=ci_level)
            rows.append(_row("construct_mean", c, "mean", method, e, int(scores[c].notna().sum())))
        for name, spec in models.items():
            rows += _weighted_driver(scores, codebook, name, spec, d, method, ci_level)
    for term in ("kish_deff", "n_trimmed", "n_unweightable", "trim_cap"):
        rows.append(
            {
                "analysis": "design",
                "name": "weights",
                "term": term,
                "method": "weighted",
                "estimate": float(counts[term]),
                "n": int(counts["n_weighted"]),
            }
        )
    out = pd.DataFrame(rows, columns=WEIGHTED_COLUMNS)
    out["deff"] = float(counts["kish_deff"])
    return out.astype({"n": "int64"})


def _row(analysis, name, term, method, e, n) -> dict[str, Any]:
    return {
        "analysis": analysis,
        "name": name,
        "term": term,
        "method": method,
        "estimate": e.estimate,
        "se": e.se,
        "df": e.df,
        "ci_low": e.ci_low,
        "ci_high": e.ci_high,
        "n": n,
    }


def _weighted_driver(scores, codebook, name, spec, d: SurveyDesign, method, ci_level):
    terms = [*spec["predictors"], *spec.get("controls", [])]
    des = model_design(scores, codebook, outcome=spec["outcome"], predictors=terms, model=name)
    # the complete cases are a domain of the full design (rows outside it keep their PSU, weight 0)
    x = des.x.reindex(scores.index)
    x.insert(0, "Intercept", np.where(x.notna().all(axis=1), 1.0, np.nan))
    y = des.y.reindex(scores.index).to_numpy(float)
    fit = svy_ols(x.to_numpy(float), y, d, level=ci_level)
    return [
        {
            "analysis": "driver",
            "name": name,
            "term": t,
            "method": method,
            "estimate": r.estimate,
            "se": r.se,
            "df": r.df,
            "ci_low": r.ci_low,
            "ci_high": r.ci_high,
            "n": len(des.y),
        }
        for t, r in zip(x.columns, fit.itertuples(index=False), strict=True)
    ]
