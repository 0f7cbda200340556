"""The brief's sentences on the sensitivity analyses: a Methods paragraph per analysis, and a takeaway
only where a conclusion changes (a construct mean outside the main analysis's interval, a driver that
changes sign or a new strongest driver).

Text from the tables that :mod:`mscsurvey.stages.sensitivity` writes. A module of its own so that
``brief_numbers`` does not import the analyses (statsmodels, scipy: about a second of every job's
start-up).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from mscsurvey.codebook.spec import Codebook
from mscsurvey.report import phrasing

__all__ = ["brief_sentences"]


def _changed_means(table: pd.DataFrame, base: str, alt: str, analysis: str) -> list[tuple]:
    # rows whose alternative estimate lies outside the base estimate's confidence interval
    t = table[table["analysis"] == analysis].set_index(["name", "method"])
    out = []
    for name in dict.fromkeys(t.index.get_level_values(0)):
        if (name, base) not in t.index or (name, alt) not in t.index:
            continue
        b, a = t.loc[(name, base)], t.loc[(name, alt)]
        if not b["ci_low"] <= a["estimate"] <= b["ci_high"]:
            out.append((name, float(b["estimate"]), float(a["estimate"])))
    return out


def _changed_drivers(table, models, base: str, alt: str) -> list[tuple[str, str, str]]:
    # per model: a predictor whose coefficient changes sign with a CI excluding 0 under either
    # method, or a different strongest predictor (largest |standardised coefficient|)
    out = []
    d = table[table["analysis"] == "driver"]
    for name, spec in models.items():
        rows = d[(d["name"] == name) & d["term"].isin(spec["predictors"])]
        b = rows[rows["method"] == base].set_index("term")
        a = rows[rows["method"] == alt].set_index("term")
        common = [t for t in b.index if t in a.index]
        if not common:
            continue
        for t in common:
            sig = (b.loc[t, "ci_low"] > 0 or b.loc[t, "ci_high"] < 0) or (
                a.loc[t, "ci_low"] > 0 or a.loc[t, "ci_high"] < 0
            )
            if np.sign(b.loc[t, "estimate"]) != np.sign(a.loc[t, "estimate"]) and sig:
                out.append((name, "sign", t))
        top_b = b.loc[common, "estimate"].abs().idxmax()
        top_a = a.loc[common, "estimate"].abs().idxmax()
        if top_b != top_a:
            out.append((name, "top", f"{top_b}|{top_a}"))
    return out


def _driver_sentences(changes, codebook, models, how: str) -> list[str]:
    out = []
    for name, kind, term in changes:
        outcome = codebook.label_of(models[name]["outcome"]).lower()
        if kind == "sign":
            out.append(
                f"{how}, {codebook.label_of(term).lower()} changes the sign of its association with "
                f"{outcome}."
            )
        else:
            b, a = term.split("|")
            out.append(
                f"{how}, the strongest predictor of {outcome} (largest standardised coefficient) is "
                f"{codebook.label_of(a).lower()} rather than {codebook.label_of(b).lower()}."
            )
    return out


def brief_sentences(
    codebook: Codebook,
    models: Mapping[str, Mapping[str, Any]],
    *,
    imputed: pd.DataFrame | None = None,
    weighted: pd.DataFrame | None = None,
) -> dict[str, list[str]]:
    """The brief's Methods paragraphs and its takeaways where a conclusion changes.

    Returns
    -------
    dict
        ``methods``: one paragraph per analysis present; ``takeaways``: sentences naming a construct
        mean outside the main analysis's CI, a driver's sign change (with a CI excluding 0) or a new
        strongest driver, under multiple imputation or weighting (none when nothing changes).
    """
    methods: list[str] = []
    take: list[str] = []
    if imputed is not None and len(imputed):
        mi = imputed[imputed["method"] == "multiple_imputation"]
        m = int(mi["m"].max()) if len(mi) else 0
        fmi = mi.loc[mi["analysis"] == "construct_mean", "fmi"]
        unit = codebook.cluster_noun if codebook.cluster else None
        methods.append(phrasing.imputation_method(m, fmi.min(), fmi.max(), unit))
        take += _changed_sentences(
            imputed,
            codebook,
            models,
            ("complete_case", "multiple_imputation"),
            how="With missing answers imputed",
            base_ci="the main analysis's",
        )
    if weighted is not None and len(weighted):
        take += _weighted_sentences(weighted, codebook, models, methods)
    return {"methods": methods, "takeaways": take}


def _weighted_sentences(weighted, codebook, models, methods: list[str]) -> list[str]:
    design = weighted[weighted["analysis"] == "design"].set_index("term")["estimate"]
    unit = codebook.cluster_noun if codebook.cluster else None
    kish = float(design.get("kish_deff", float("nan")))
    methods.append(phrasing.weighting_method(_trim_phrase(design), kish, unit))
    return _changed_sentences(
        weighted,
        codebook,
        models,
        ("unweighted", "weighted"),
        how="Weighted to the population",
        base_ci="the unweighted",
    )


def _changed_sentences(
    table: pd.DataFrame,
    codebook: Codebook,
    models: Mapping[str, Mapping[str, Any]],
    methods: tuple[str, str],
    *,
    how: str,
    base_ci: str,
) -> list[str]:
    """Takeaways of one sensitivity analysis: a construct mean outside the base method's interval,
    then the drivers that change (``methods``: base and alternative ``method`` of ``table``)."""
    base, alt = methods
    take = [
        f"{how}, the mean of {codebook.label_of(name).lower()} is {a:.2f} rather than {b:.2f}, "
        f"outside {base_ci} confidence interval."
        for name, b, a in _changed_means(table, base, alt, "construct_mean")
    ]
    changes = _changed_drivers(table, models, base, alt)
    return take + _driver_sentences(changes, codebook, models, how)


def _trim_phrase(design: pd.Series) -> str:
    cap = float(design.get("trim_cap", float("nan")))
    if not np.isfinite(cap):
        return "weights not trimmed"
    return (
        f"weights above {cap:g} times the median capped and re-raked, "
        f"{int(design.get('n_trimmed', 0))} capped"
    )
