"""Survey weights and design-based estimates against R's survey package (4.1-1) on its API samples.

Reference: ``tests/data/reference/sensitivity_reference.json``, key ``survey_weights_api``, with
``apistrat.csv`` (stratified by school type, fpc) and ``apiclus1.csv`` (one-stage cluster sample of
15 districts, fpc 757). The JSON keeps 10-11 significant digits, so values must agree to 1e-9 relative.
Intervals use R's t quantile on the design df (PSUs − strata: 14 for apiclus1).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mscsurvey.stats.weights import (
    SurveyDesign,
    design_df,
    kish_deff,
    poststratify,
    poststratify_design,
    rake,
    rake_design,
    svy_mean,
    svy_ols,
    svy_proportion,
    trim_and_rake,
    trim_weights,
)

REF_DIR = Path(__file__).resolve().parent / "data" / "reference"
REL = 1e-9


@pytest.fixture(scope="module")
def ref() -> dict:
    data = json.loads((REF_DIR / "sensitivity_reference.json").read_text(encoding="utf-8"))
    return data["survey_weights_api"]


@pytest.fixture(scope="module")
def strat() -> pd.DataFrame:
    return pd.read_csv(REF_DIR / "apistrat.csv")


@pytest.fixture(scope="module")
def clus1() -> pd.DataFrame:
    return pd.read_csv(REF_DIR / "apiclus1.csv")


def _clus_design(c: pd.DataFrame) -> SurveyDesign:
    return SurveyDesign(c["pw"].to_numpy(), psu=c["dnum"].to_numpy(), fpc=c["fpc"].to_numpy())


def _margins(c: pd.DataFrame, ref: dict) -> dict:
    m = ref["margins"]
    return {
        "stype": (c["stype"].to_numpy(), m["stype"]),
        "sch.wide": (c["sch.wide"].to_numpy(), m["sch.wide"]),
    }


def test_stratified_mean(strat, ref):
    d = SurveyDesign(strat["pw"].to_numpy(), strata=strat["stype"].to_numpy(), fpc=strat["fpc"])
    est = svy_mean(strat["api00"], d)
    assert est.estimate == pytest.approx(ref["strat_mean_api00"]["estimate"], rel=REL)
    assert est.se == pytest.approx(ref["strat_mean_api00"]["se"], rel=REL)
    assert design_df(d) == 200 - 3


def test_cluster_mean(clus1, ref):
    est = svy_mean(clus1["api00"], _clus_design(clus1))
    assert est.estimate == pytest.approx(ref["clus1_mean_api00"]["estimate"], rel=REL)
    assert est.se == pytest.approx(ref["clus1_mean_api00"]["se"], rel=REL)
    assert est.df == 14


def test_cluster_proportion_logit_ci(clus1, ref):
    est = svy_proportion((clus1["sch.wide"] == "Yes").to_numpy(float), _clus_design(clus1))
    r = ref["clus1_prop_schwide_yes"]
    assert est.estimate == pytest.approx(r["estimate"], rel=REL)
    assert [est.ci_low, est.ci_high] == pytest.approx(r["ci_logit"], rel=REL)


def test_poststratified_mean(clus1, ref):
    d = poststratify_design(
        clus1["pw"],
        clus1["stype"].to_numpy(),
        ref["margins"]["stype"],
        psu=clus1["dnum"].to_numpy(),
        fpc=clus1["fpc"].to_numpy(),
    )
    est = svy_mean(clus1["api00"], d)
    r = ref["clus1_poststrat_stype_mean_api00"]
    assert est.estimate == pytest.approx(r["estimate"], rel=REL)
    assert est.se == pytest.approx(r["se"], rel=REL)
    # without the calibration residuals the SE differs: the test can tell
    plain = svy_mean(clus1["api00"], SurveyDesign(d.weights, psu=d.psu, fpc=d.fpc))
    assert abs(plain.se - r["se"]) > 1e-3


def test_raked_mean(clus1, ref):
    d = rake_design(
        clus1["pw"], _margins(clus1, ref), psu=clus1["dnum"].to_numpy(), fpc=clus1["fpc"].to_numpy()
    )
    est = svy_mean(clus1["api00"], d)
    r = ref["clus1_rake_stype_schwide_mean_api00"]
    assert est.estimate == pytest.approx(r["estimate"], rel=REL)
    assert est.se == pytest.approx(r["se"], rel=REL)


def test_svyglm(clus1, ref):
    x = np.column_stack([np.ones(len(clus1)), clus1[["ell", "meals", "mobility"]].to_numpy()])
    out = svy_ols(x, clus1["api00"].to_numpy(), _clus_design(clus1))
    r = ref["clus1_svyglm"]
    names = ["(Intercept)", "ell", "meals", "mobility"]
    assert out["estimate"].tolist() == pytest.approx([r["coef"][n] for n in names], rel=REL)
    assert out["se"].tolist() == pytest.approx([r["se"][n] for n in names], rel=REL)


def test_equal_weights_give_unweighted_mean_and_srs_se():
    y = np.array([1.0, 2.0, 4.0, 7.0, 11.0])
    est = svy_mean(y, SurveyDesign(np.full(5, 3.0)))
    assert est.estimate == pytest.approx(y.mean())
    # with replacement, no fpc: SE = sd / sqrt(n)
    assert est.se == pytest.approx(y.std(ddof=1) / np.sqrt(5))
    out = svy_ols(np.column_stack([np.ones(5), np.arange(5.0)]), y, SurveyDesign(np.ones(5)))
    assert out["estimate"].tolist() == pytest.approx(np.polyfit(np.arange(5.0), y, 1)[::-1])


def test_raking_to_own_margins_leaves_weights_unchanged(clus1):
    w = clus1["pw"].to_numpy()
    labels = {c: clus1[c].to_numpy() for c in ("stype", "sch.wide")}
    own = {c: (lab, pd.Series(w).groupby(lab).sum().to_dict()) for c, lab in labels.items()}
    assert rake(w, own, epsilon=1e-9, max_iter=100) == pytest.approx(w, rel=1e-12)
    assert poststratify(w, labels["stype"], own["stype"][1]) == pytest.approx(w, rel=1e-12)


def test_rake_hits_margins_when_converged(clus1, ref):
    w = rake(clus1["pw"], _margins(clus1, ref), epsilon=1e-8, max_iter=1000)
    for col, totals in ref["margins"].items():
        got = pd.Series(w).groupby(clus1[col].to_numpy()).sum().to_dict()
        assert got == pytest.approx(totals, rel=1e-9)


def test_poststratify_names_a_cell_without_total():
    with pytest.raises(ValueError, match="no population total"):
        poststratify(np.ones(3), np.array(["a", "b", "c"]), {"a": 1.0, "b": 2.0})
    with pytest.raises(ValueError, match="no respondent"):
        poststratify(np.ones(2), np.array(["a", "a"]), {"a": 1.0, "z": 2.0})


def test_trimming_caps_at_five_medians_and_re_rakes():
    w = np.array([1.0] * 9 + [20.0])
    capped, n = trim_weights(w, cap=5.0)
    assert n == 1 and capped.max() == 5.0
    labels = np.array(["x"] * 5 + ["y"] * 5)
    margins = {"g": (labels, {"x": 5.0, "y": 24.0})}
    out, first = trim_and_rake(w, margins, cap=5.0)
    assert pd.Series(out).groupby(labels).sum().to_dict() == pytest.approx({"x": 5.0, "y": 24.0})
    assert first == 1
    # converged: no weight above 5 medians (median 2.154: 5 ones and four 3.31; max 10.77)
    assert out.max() / np.median(out) == pytest.approx(5.0)
    assert out[-1] < 20.0


def test_kish_design_effect():
    assert kish_deff(np.ones(10)) == pytest.approx(1.0)
    assert kish_deff([1.0, 3.0]) == pytest.approx(2 * 10 / 16)
