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

from mscsurvey.codebook import load_codebook, normalise_label
from mscsurvey.scales import score
from mscsurvey.schema import load_yaml
from mscsurvey.sensitivity import imputed_table, respondent_design
from mscsurvey.synthesize import generate
from mscsurvey.synthesize.model import load_published
from mscsurvey.weights import SurveyDesign, svy_mean

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
        responses, cb, {"margins": {"role": truth["population_counts"]}}
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
    table = imputed_table(responses, cb, {}, m=10, seed=1)
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
