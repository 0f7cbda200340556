"""The sensitivity analyses on the synthetic generator's nonresponse and MAR skips (ground truth).

The generator's optional ``sensitivity`` block (off by default) makes respondents of some roles respond
less often (role has effects on shared purpose, so the respondents' unweighted mean is biased) and makes
respondents with a low answer to a shared-purpose item skip trust and equity items (MAR given that
observed answer, so complete-case trust is biased). The truth saved in ``truth.json`` holds the
construct means before either departure and the population counts per role. Raking to those counts
must recover shared purpose's population mean, and multiple imputation trust's pre-skip mean, where the
unweighted complete-case estimates miss them. One seeded realisation (deterministic); the rates are
strong enough that the biases are over 1.5 standard errors there.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mscsurvey.codebook.spec import load_codebook, normalise_label
from mscsurvey.contracts import validate
from mscsurvey.schema import load_yaml
from mscsurvey.settings import SensitivitySettings as S
from mscsurvey.settings import WeightsSettings as W
from mscsurvey.stages.scales import score
from mscsurvey.stages.sensitivity import imputed_table, respondent_design, weighted_table
from mscsurvey.stats.weights import SurveyDesign, svy_mean
from mscsurvey.synthesize import generate
from mscsurvey.synthesize.model import load_published

ROOT = Path(__file__).resolve().parents[1]

SENSITIVITY = {
    "nonresponse": {
        "group": "role",
        "response_rate": {
            "MSC staff": 1.0,
            "Leadership or steering committee": 0.9,
            "Committee member": 0.6,
            "Community resident": 0.6,
            "Informal participant": 0.15,
            "Contracted partner": 0.15,
        },
    },
    "missing_at_random": {
        "driver": "sp1",
        "constructs": ["trust", "equity"],
        "base": 0.02,
        "slope": 0.25,
    },
}


@pytest.fixture(scope="module")
def cb():
    return load_codebook(ROOT / "data" / "codebook.yaml")


@pytest.fixture(scope="module")
def generated(cb):
    model = copy.deepcopy(load_yaml(ROOT / "data" / "synthetic" / "model.yaml"))
    model["sensitivity"] = SENSITIVITY
    published = load_published(str(ROOT / "data" / "published_findings.csv"), cb)
    return generate(cb, model, published, seed=20200601)


@pytest.fixture(scope="module")
def responses(cb, generated):
    """The responding genuine respondents as the clean stage codes them (keyed codes, groups)."""
    ids = set(generated.truth["sensitivity"]["respondent_ids"])
    raw = generated.survey
    a = raw[raw[cb.identifiers.respondent_id].isin(ids)].reset_index(drop=True)
    out = {}
    for iid, item in cb.items.items():
        sc = cb.scales[item.scale]
        code = a[iid].map(lambda v, sc=sc: sc.lookup().get(normalise_label(v)) if v else None)
        code = code.astype(float)
        out[iid] = sc.min + sc.max - code if item.reverse else code
    for g, grp in cb.groups.items():
        out[g] = a[g].map(lambda v, grp=grp: grp.lookup().get(normalise_label(v)) if v else None)
    out[cb.cluster] = a[cb.cluster]
    out[cb.identifiers.pseudonym] = np.arange(len(a)).astype(str)
    return pd.DataFrame(out)


@pytest.mark.slow
def test_weights_recover_population_mean_under_group_nonresponse(cb, generated, responses):
    truth = generated.truth["sensitivity"]
    assert truth["n_responded"] == len(responses) < sum(truth["population_counts"].values())
    y = score(responses, cb)["shared_purpose"].to_numpy(float)
    design, counts = respondent_design(
        responses, cb, W.parse({"margins": {"role": truth["population_counts"]}, "trim": None})
    )
    flat = SurveyDesign(np.ones(len(y)), psu=design.psu)
    unweighted, weighted = svy_mean(y, flat), svy_mean(y, design)
    target = truth["population_mean"]["shared_purpose"]
    assert abs(unweighted.estimate - target) > 1.5 * unweighted.se
    assert abs(weighted.estimate - target) < weighted.se
    assert abs(weighted.estimate - target) < abs(unweighted.estimate - target) / 2


@pytest.mark.slow
def test_imputation_recovers_mean_under_mar_skips(cb, generated, responses):
    truth = generated.truth["sensitivity"]
    assert truth["cells_skipped"] > 100
    table = imputed_table(responses, cb, {}, S.parse({"imputations": 10}), seed=1)
    validate(table, "imputed")  # the table meets its contract
    t = table[table["name"] == "trust"].set_index("method")
    target = truth["respondent_mean"]["trust"]
    cc, mi = t.loc["complete_case"], t.loc["multiple_imputation"]
    assert abs(cc["estimate"] - target) > 2 * cc["se"]
    assert abs(mi["estimate"] - target) < mi["se"]
    assert mi["fmi"] > 0.05


def test_sensitivity_block_is_checked(cb):
    from mscsurvey.errors import SurveyError
    from mscsurvey.synthesize.missingness import parse_sensitivity

    assert parse_sensitivity(None, cb, "m.yaml") is None
    with pytest.raises(SurveyError, match="nonresponse.group"):
        parse_sensitivity({"nonresponse": {"group": "nope"}}, cb, "m.yaml")
    with pytest.raises(SurveyError, match="driver"):
        bad = {"missing_at_random": {"driver": "sp1", "constructs": ["shared_purpose"]}}
        parse_sensitivity(bad, cb, "m.yaml")


# --- unit tests of the stage on a small random frame ------------------------------------------------


@pytest.fixture(scope="module")
def small(cb):
    """300 respondents with random codes (15% missing), groups and 6 clusters."""
    rng = np.random.default_rng(3)
    n = 300
    out = {cb.identifiers.pseudonym: [f"p{i}" for i in range(n)]}
    out[cb.cluster] = rng.choice([f"m{k}" for k in range(6)], n)
    for g, grp in cb.groups.items():
        out[g] = pd.Categorical(
            rng.choice(list(grp.categories), n), categories=list(grp.categories)
        )
    for iid in cb.items:
        codes = sorted(cb.scale_of(iid).codes)
        x = rng.choice(codes, n).astype(float)
        x[rng.random(n) < 0.15] = np.nan
        out[iid] = x
    return pd.DataFrame(out)


def test_raking_to_proportional_margins_changes_nothing(cb, small):
    counts = small["role"].value_counts()
    margins = {"role": {str(k): 2.0 * v for k, v in counts.items()}}
    design, info = respondent_design(small, cb, W.parse({"margins": margins, "trim": 5}))
    assert info["kish_deff"] == pytest.approx(1.0)
    assert info["n_trimmed"] == 0
    table = weighted_table(small, cb, {}, design, info)
    validate(table, "weighted")  # the table meets its contract
    t = table[table["analysis"].isin(["agreement", "construct_mean"])]
    w = t[t["method"] == "weighted"].set_index(["analysis", "name"])["estimate"]
    u = t[t["method"] == "unweighted"].set_index(["analysis", "name"])["estimate"]
    pd.testing.assert_series_equal(w, u, check_names=False)


def test_weights_config_errors_name_the_key(cb, small):
    from mscsurvey.errors import SurveyError

    with pytest.raises(SurveyError, match="weights.margins.nope"):
        respondent_design(small, cb, W.parse({"margins": {"nope": {"a": 1}}}))
    with pytest.raises(SurveyError, match="no population total"):
        respondent_design(small, cb, W.parse({"margins": {"role": {"MSC staff": 10.0}}}))
    with pytest.raises(SurveyError, match="weights.column"):
        respondent_design(small, cb, W.parse({"column": "w"}))


def test_unanswered_margin_variable_gets_weight_zero(cb, small):
    s = small.copy()
    s.loc[:9, "role"] = np.nan
    counts = s["role"].value_counts()
    design, info = respondent_design(
        s, cb, W.parse({"margins": {"role": counts.to_dict()}, "trim": None})
    )
    assert info["n_unweightable"] == 10
    assert (design.weights[:10] == 0).all() and (design.weights[10:] > 0).all()
    y = score(s, cb)["trust"].to_numpy(float)
    est = svy_mean(y, design)
    assert np.isfinite(est.estimate) and np.isfinite(est.se) and est.se > 0
    assert est.estimate == pytest.approx(np.nanmean(y[10:]))  # margins proportional to the sample
    # two margins (raking) with the same unanswered rows
    margins = {"role": counts.to_dict(), "gender": s.loc[10:, "gender"].value_counts().to_dict()}
    design2, _ = respondent_design(s, cb, W.parse({"margins": margins, "trim": None}))
    assert np.isfinite(svy_mean(y, design2).se)


def test_brief_takeaway_only_when_a_conclusion_changes(cb):
    from mscsurvey.report.sensitivity_text import brief_sentences

    def table(mi_estimate: float) -> pd.DataFrame:
        base = {"analysis": "construct_mean", "name": "trust", "term": "mean", "se": 0.05}
        return pd.DataFrame(
            [
                {
                    **base,
                    "method": "complete_case",
                    "estimate": 4.0,
                    "ci_low": 3.9,
                    "ci_high": 4.1,
                    "fmi": np.nan,
                    "m": 0,
                },
                {
                    **base,
                    "method": "multiple_imputation",
                    "estimate": mi_estimate,
                    "ci_low": mi_estimate - 0.1,
                    "ci_high": mi_estimate + 0.1,
                    "fmi": 0.2,
                    "m": 20,
                },
            ]
        )

    same = brief_sentences(cb, {}, imputed=table(4.05))
    assert len(same["methods"]) == 1 and same["takeaways"] == []
    changed = brief_sentences(cb, {}, imputed=table(3.7))
    assert len(changed["takeaways"]) == 1 and "3.70 rather than 4.00" in changed["takeaways"][0]


def test_imputed_table_keeps_codes_and_reports_both_methods(cb, small):
    models = {"m1": {"outcome": "shared_purpose", "predictors": ["trust", "equity"]}}
    table = imputed_table(small, cb, models, S.parse({"imputations": 3}), seed=5)
    assert set(table["method"]) == {"complete_case", "multiple_imputation"}
    drv = table[(table["analysis"] == "driver") & (table["method"] == "multiple_imputation")]
    assert set(drv["term"]) == {"Intercept", "trust", "equity"}
    assert (drv["df"] > 0).all() and drv["fmi"].between(0, 1).all()
    again = imputed_table(small, cb, models, S.parse({"imputations": 3}), seed=5)
    pd.testing.assert_frame_equal(table, again)
