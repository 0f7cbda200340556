"""Minimum cell size everywhere (issue 13): an item answered by fewer than analyses.min_group_n
respondents shows no percentage, interval or distribution, in the table, the figure and the brief; a
driver model with fewer complete cases is not fitted; a construct mean or reliability resting on too
few is not shown; and a tiny analysed sample gives a brief with no number about individuals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mscsurvey.codebook.spec import parse_codebook
from mscsurvey.report.figures import likert_title
from mscsurvey.stages.agreement import agreement_distribution, item_agreement
from mscsurvey.stages.brief_numbers import (
    construct_findings,
    reliability_summary,
    suppression_summary,
)
from mscsurvey.stages.figures import _alt_likert
from mscsurvey.stages.regressions import run_models


@pytest.fixture(scope="module")
def mini(mini_codebook_dict):
    return parse_codebook(mini_codebook_dict, source="mini")


def responses(n: int = 40, tiny_item: str = "a3", answered: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(2)
    df = pd.DataFrame(
        {item: pd.array(rng.integers(1, 6, n), dtype="Int64") for item in ("a1", "a2", "a3")}
    )
    for item in ("b1", "b2"):
        df[item] = pd.array(rng.integers(0, 2, n), dtype="Int64")
    df.loc[answered:, tiny_item] = pd.NA  # only `answered` respondents answered it
    return df


def test_an_item_under_the_minimum_has_no_percentage_interval_or_distribution(mini):
    ag = item_agreement(responses(), mini, min_n=10).set_index("item")
    assert ag.loc["a3", "n"] == 4  # kept for the record
    assert bool(ag.loc["a3", "suppressed"]) and ag.loc["a3", "note"] == "n < 10"
    assert ag.loc["a3", ["pct_agree", "ci_low", "ci_high", "n_agree"]].isna().all()
    assert not ag.loc["a1", "suppressed"] and np.isfinite(ag.loc["a1", "pct_agree"])
    # the default (min_n = 1) still publishes it: the suppression is the minimum's doing
    assert np.isfinite(item_agreement(responses(), mini).set_index("item").loc["a3", "pct_agree"])
    dist = agreement_distribution(responses(), mini, min_n=10)
    a3 = dist[dist["item"] == "a3"]
    assert a3["suppressed"].all() and a3["n"].isna().all() and a3["pct"].isna().all()
    assert dist.loc[dist["item"] == "a1", "n"].sum() == 40


def test_the_brief_and_the_figure_show_no_number_for_a_suppressed_item(mini):
    ag = item_agreement(responses(), mini, min_n=10)
    [alpha, _beta] = construct_findings(ag, mini, min_n=10)
    a3 = next(i for i in alpha["items"] if i["item"] == "a3")
    assert a3["pct"] == "–" and a3["n"] == "–" and a3["ci"] == "–"
    assert "not shown" in a3["sentence"] and "%" not in a3["sentence"]
    alt = _alt_likert(ag[ag["construct"] == "alpha"], "alpha")
    assert "suppressed (n < 10)" in alt
    # every item suppressed: the title says so instead of a range
    all_small = item_agreement(responses(n=8, answered=8), mini, min_n=10)
    assert likert_title(all_small[all_small["construct"] == "alpha"], label="Alpha") == (
        "Alpha: suppressed (too few answers)"
    )
    [alpha, _] = construct_findings(all_small, mini, min_n=10)
    assert "too few respondents" in alpha["summary"]
    assert all(i["pct"] == "–" for i in alpha["items"])


def test_a_construct_mean_resting_on_too_few_is_not_shown(mini):
    ag = item_agreement(responses(), mini, min_n=10)
    scores = pd.DataFrame({"alpha": [3.0] * 5 + [np.nan] * 35, "beta": np.linspace(0, 1, 40)})
    alpha, beta = construct_findings(ag, mini, scores=scores, min_n=10)
    assert alpha["n_scored"] == 5 and alpha["mean"] == "–"
    assert beta["mean"] == "0.50"


def test_reliability_resting_on_too_few_is_not_shown(mini):
    rel = pd.DataFrame(
        {
            "construct": ["alpha", "beta"],
            "n_items": [3, 2],
            "n_complete": [6, 300],
            "alpha": [0.91, 0.8],
            "alpha_ci_low": [0.7, 0.75],
            "alpha_ci_high": [0.97, 0.85],
            "omega_total": [0.92, 0.81],
            "status": ["ok", "ok"],
        }
    )
    rows = reliability_summary(rel, mini, thresholds={"ok": 0.7, "weak": 0.6}, min_n=10)["rows"]
    assert rows[0]["alpha"] == rows[0]["ci"] == rows[0]["omega"] == "–"
    assert rows[1]["alpha"] == "0.80"


def test_a_driver_model_under_the_minimum_is_not_fitted(mini):
    rng = np.random.default_rng(1)
    n = 8
    scores = pd.DataFrame(
        {
            "site": [f"s{i % 4}" for i in range(n)],
            "alpha": rng.normal(size=n),
            "beta": rng.normal(size=n),
        }
    )
    models = {"m": {"outcome": "alpha", "predictors": ["beta"]}}
    fitted = run_models(scores, mini, models, min_n=1)
    assert (fitted.regressions["status"] == "estimated").any()  # n = 8 is enough to fit
    res = run_models(scores, mini, models, min_n=10)
    assert res.regressions["status"].tolist() == ["skipped"]
    assert "min_group_n = 10" in res.regressions["note"].iloc[0]
    assert res.regressions["estimate"].isna().all() and res.importance.empty
    assert "not modelled" in res.drivers["sentence"].iloc[0]


def test_suppression_summary_says_what_was_withheld(mini):
    ag = item_agreement(responses(), mini, min_n=10)
    sub = pd.DataFrame({"suppressed": [True, False, True]})
    reg = pd.DataFrame(
        {"status": ["skipped"], "note": ["skipped: fewer than analyses.min_group_n = 10 ..."]}
    )
    rel = pd.DataFrame({"n_complete": [6, 300]})
    s = suppression_summary(ag, sub, reg, rel, min_n=10)
    assert (s["items"], s["subgroup_cells"], s["models"], s["reliability"]) == (1, 2, 1, 1)
    assert "fewer than 10 respondents" in s["text"] and "1 item percentage" in s["text"]


def _brief(mini_codebook_dict, min_n, **kw):
    from brief_helpers import (
        agreement_table,
        deid_report,
        drivers_table,
        group_tests,
        importance_table,
        published_table,
        quote_codebook,
        quote_responses,
        regression_table,
        reliability_table,
        scores_table,
        subgroup_table,
        validation_report,
    )

    from mscsurvey.settings import NumbersSettings
    from mscsurvey.stages.brief_numbers import brief_numbers

    cb = parse_codebook(quote_codebook(mini_codebook_dict), source="mini")
    return brief_numbers(
        codebook=cb,
        settings=NumbersSettings.parse(
            {
                "seed": 1,
                "deidentify": {"k": 3},
                "analyses": {
                    "models": {"m": {"outcome": "alpha", "predictors": ["beta"]}},
                    "min_group_n": min_n,
                },
                "brief": {"quote_attribution": ["colour", "size"], "quotes_per_construct": 2},
            }
        ),
        responses=quote_responses(),
        validation=validation_report(),
        deid_report=deid_report(),
        scores=scores_table(),
        reliability=reliability_table(),
        agreement=agreement_table(),
        published=published_table(),
        subgroups=subgroup_table(),
        subgroup_tests=group_tests(),
        regressions=regression_table(),
        importance=importance_table(),
        drivers=drivers_table(),
        **kw,
    )


def test_no_quote_from_a_sample_under_the_minimum(mini_codebook_dict):
    # 12 analysed respondents: quotes with a minimum of 10, none with 20
    synthetic = {
        "synthetic": {"model": "model.yaml"}
    }  # no review needed (real data: reviewed only)
    shown = _brief(mini_codebook_dict, 10, **synthetic)
    assert shown["quotes"]["status"] == "shown" and shown["quotes"]["n"] > 0
    none = _brief(mini_codebook_dict, 20, **synthetic)
    assert none["quotes"]["status"] == "too_few" and "fewer than 20" in none["quotes"]["text"]
    assert all(c["quotes"] == [] for c in none["constructs"])
    assert all(c["mean"] == "–" for c in none["constructs"])  # 12 scored < 20


def test_real_data_brief_says_quotes_were_withheld(mini_codebook_dict):
    n = _brief(mini_codebook_dict, 10, synthetic=False)
    assert n["quotes"]["status"] == "withheld_review"
    assert all(c["quotes"] == [] for c in n["constructs"])


def test_a_dummy_of_a_small_category_keeps_its_place_but_not_its_estimate(mini):
    rng = np.random.default_rng(4)
    n = 200
    colour = np.array(["Red"] * 120 + ["Green"] * 74 + ["Blue"] * 6)
    scores = pd.DataFrame(
        {
            "site": [f"s{i % 10}" for i in range(n)],
            "colour": pd.Categorical(colour, categories=["Red", "Green", "Blue"]),
            "alpha": rng.normal(size=n),
            "beta": rng.normal(size=n),
        }
    )
    models = {"m": {"outcome": "alpha", "predictors": ["beta", "colour"]}}
    full = run_models(scores, mini, models, min_n=1).regressions.set_index("term")
    res = run_models(scores, mini, models, min_n=10)
    reg = res.regressions.set_index("term")
    assert np.isfinite(full.loc["colour[Blue]", "estimate"])  # 6 respondents: estimable
    assert reg.loc["colour[Blue]", ["estimate", "ci_low", "p", "mixed_estimate"]].isna().all()
    assert "fewer than 10" in reg.loc["colour[Blue]", "note"]
    assert reg.loc["colour[Green]", "estimate"] == pytest.approx(
        full.loc["colour[Green]", "estimate"]
    )
    assert reg["r2"].dropna().iloc[0] == pytest.approx(full["r2"].dropna().iloc[0])  # same model
    detail = res.drivers.set_index("predictor").loc["colour", "detail"]
    assert "Blue" not in detail
