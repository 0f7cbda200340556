"""Driver models: coding and standardisation, OLS estimates and cluster-robust SEs against a direct
statsmodels fit, dominance weights (sum to R², equal each r² for uncorrelated predictors, equal
pingouin's LMG for single columns), validation and the reliability gate, controls (in the model and
its dominance analysis, never ranked); on the synthetic default, recovery of the generator's
standardised coefficients and the published drivers among the predictors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
import statsmodels.api as sm
from analyses_helpers import default_study, reliability_table
from statsmodels.regression.mixed_linear_model import MixedLM
from statsmodels.stats.outliers_influence import variance_inflation_factor

from mscsurvey.codebook.spec import parse_codebook
from mscsurvey.errors import SurveyError
from mscsurvey.stages.regressions import (
    DRIVER_COLUMNS,
    IMPORTANCE_COLUMNS,
    REGRESSION_COLUMNS,
    model_design,
    run_models,
    standardised_ols,
    validate_models,
)
from mscsurvey.stats.dominance import dominance_analysis

MODELS = {"m": {"outcome": "alpha", "predictors": ["beta", "size", "colour"]}}
CONTROLLED = {"m": {"outcome": "alpha", "predictors": ["beta", "size"], "controls": ["colour"]}}


@pytest.fixture(scope="module")
def mini(mini_codebook_dict):
    return parse_codebook(mini_codebook_dict, source="tests/data/mini_codebook.yaml")


def _scores(n: int = 240, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    site = rng.choice([f"s{k}" for k in range(15)], n)
    u = {f"s{k}": rng.normal(scale=0.5) for k in range(15)}
    colour = rng.choice(["Red", "Green", "Blue"], n, p=[0.5, 0.3, 0.2])
    size = rng.choice(["Small", "Large"], n)
    beta = rng.normal(size=n)
    alpha = (
        0.5 * beta
        + 0.3 * (size == "Large")
        + 0.4 * (colour == "Green")
        - 0.6 * (colour == "Blue")
        + np.array([u[s] for s in site])
        + rng.normal(size=n)
    )
    d = pd.DataFrame(
        {
            "site": site,
            "colour": pd.Categorical(colour, categories=["Red", "Green", "Blue"]),
            "size": pd.Categorical(size, categories=["Small", "Large"], ordered=True),
            "alpha": alpha,
            "beta": beta,
        }
    )
    d.loc[[3, 10, 50], "beta"] = np.nan  # missing values: cluster labels must follow the rows kept
    d.loc[[7, 11], "colour"] = np.nan
    return d


def _by_hand(d: pd.DataFrame):
    """The standardised design built independently: complete cases, z-scores (ddof 1), dummies."""
    c = d.dropna(subset=["alpha", "beta", "size", "colour", "site"])

    def z(s):
        return (s - s.mean()) / s.std(ddof=1)

    x = pd.DataFrame(
        {
            "beta": z(c["beta"]),
            "size": z((c["size"] == "Large").astype(float) + 1.0),
            "colour[Green]": (c["colour"] == "Green").astype(float),
            "colour[Blue]": (c["colour"] == "Blue").astype(float),
        }
    )
    return z(c["alpha"]), sm.add_constant(x), c["site"]


def test_design_codes_and_standardises(mini):
    d = _scores()
    des = model_design(d, mini, outcome="alpha", predictors=["beta", "size", "colour"])
    y, x, site = _by_hand(d)
    assert des.n == len(y) == 240 - 5
    assert des.y.to_numpy() == pytest.approx(y.to_numpy())
    assert des.x.to_numpy() == pytest.approx(x.drop(columns="const").to_numpy())
    assert des.clusters.tolist() == site.tolist()
    assert des.terms["coding"].tolist() == [
        "standardised score",
        "linear score 1..k, z-scored",
        "dummy vs reference",
        "dummy vs reference",
    ]
    assert des.terms["reference"].tolist()[2:] == ["Red", "Red"]
    assert des.blocks == {
        "beta": ["beta"],
        "size": ["size"],
        "colour": ["colour[Green]", "colour[Blue]"],
    }


def test_ols_and_cluster_se_match_a_direct_statsmodels_fit(mini):
    d = _scores()
    des = model_design(d, mini, outcome="alpha", predictors=["beta", "size", "colour"])
    got = standardised_ols(des, ci_level=0.95).set_index("term")
    y, x, site = _by_hand(d)
    ref = sm.OLS(y, x).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(site)[0]}, use_t=True
    )
    hc3 = sm.OLS(y, x).fit(cov_type="HC3")
    names = ["Intercept", "beta", "size", "colour[Green]", "colour[Blue]"]
    assert got.loc[names, "estimate"].to_numpy() == pytest.approx(ref.params.to_numpy())
    assert got.loc[names, "se_cluster"].to_numpy() == pytest.approx(ref.bse.to_numpy())
    assert got.loc[names, "ci_low"].to_numpy() == pytest.approx(ref.conf_int()[0].to_numpy())
    assert got.loc[names, "p"].to_numpy() == pytest.approx(ref.pvalues.to_numpy())
    assert got.loc[names, "se_hc3"].to_numpy() == pytest.approx(hc3.bse.to_numpy())
    # t reference with G - 1 degrees of freedom (15 clusters)
    half = got.loc["beta", "ci_high"] - got.loc["beta", "estimate"]
    from scipy.stats import t

    assert half == pytest.approx(t.ppf(0.975, 14) * got.loc["beta", "se_cluster"])
    vif = variance_inflation_factor(x.to_numpy(), 1)
    assert got.loc["beta", "vif"] == pytest.approx(vif)
    assert got["r2"].iloc[0] == pytest.approx(ref.rsquared) and got["n"].iloc[0] == 235
    assert got["n_clusters"].iloc[0] == 15


def test_mixed_model_matches_a_direct_fit(mini):
    d = _scores()
    r = run_models(d, mini, MODELS).regressions
    est = r[r["status"] == "estimated"].set_index("term")
    y, x, site = _by_hand(d)
    ref = MixedLM(y.to_numpy(), x.to_numpy(), groups=site.to_numpy()).fit(
        reml=True, method="powell"
    )
    assert est["mixed_estimate"].to_numpy() == pytest.approx(ref.fe_params, abs=1e-4)
    assert est["mixed_ci_low"].to_numpy() == pytest.approx(ref.conf_int()[:5, 0], abs=1e-4)


def test_dominance_for_uncorrelated_predictors_is_each_r2():
    # x1 and x2 are exactly orthogonal and centred: each one's share is its own r².
    rng = np.random.default_rng(11)
    x1 = np.tile([1.0, -1.0, 1.0, -1.0], 50)
    x2 = np.tile([1.0, 1.0, -1.0, -1.0], 50)
    y = 0.6 * x1 + 0.3 * x2 + rng.normal(size=200)
    d = pd.DataFrame({"y": y, "x1": x1, "x2": x2})
    da = dominance_analysis(d, y="y", blocks={"x1": ["x1"], "x2": ["x2"]}).set_index("predictor")
    full = sm.OLS(y, sm.add_constant(d[["x1", "x2"]])).fit().rsquared
    assert da["general_dominance"].sum() == pytest.approx(full)
    assert da.loc["x1", "general_dominance"] == pytest.approx(np.corrcoef(y, x1)[0, 1] ** 2)
    assert da.loc["x2", "general_dominance"] == pytest.approx(np.corrcoef(y, x2)[0, 1] ** 2)
    assert da["rank"].tolist() == [1, 2] and da["share"].sum() == pytest.approx(1.0)


def test_dominance_equals_pingouin_lmg_for_single_columns_and_sums_with_blocks(mini):
    d = _scores()
    des = model_design(d, mini, outcome="alpha", predictors=["beta", "size", "colour"])
    data = pd.concat([des.y.rename("y"), des.x], axis=1)
    singles = {c: [c] for c in des.x.columns}
    da = dominance_analysis(data, y="y", blocks=singles)
    lmg = pg.linear_regression(des.x, des.y, relimp=True)
    assert da["general_dominance"].to_numpy() == pytest.approx(lmg["relimp"].iloc[1:].to_numpy())
    blocks = dominance_analysis(data, y="y", blocks=des.blocks).set_index("predictor")
    full = sm.OLS(des.y, sm.add_constant(des.x)).fit().rsquared
    assert blocks["general_dominance"].sum() == pytest.approx(full)
    # a block is not the sum of its columns' LMG shares (they are credited jointly)
    per_column = lmg.set_index("names")["relimp"][["colour[Green]", "colour[Blue]"]].sum()
    assert blocks.loc["colour", "general_dominance"] != pytest.approx(per_column, rel=1e-6)


def test_dominance_errors():
    d = pd.DataFrame({"y": [1.0, 2, 3], "x": [1.0, 0, 1]})
    with pytest.raises(ValueError, match="empty"):
        dominance_analysis(d, y="y", blocks={})
    with pytest.raises(ValueError, match="not in data"):
        dominance_analysis(d, y="y", blocks={"z": ["z"]})


def test_unknown_predictor_names_the_key_and_lists_valid_names(mini):
    with pytest.raises(SurveyError) as exc:
        validate_models({"m": {"outcome": "alpha", "predictors": ["beta", "colur"]}}, mini)
    msg = str(exc.value)
    assert "key 'analyses.models.m.predictors'" in msg and "'colur'" in msg
    assert "valid: alpha, beta, colour, size" in msg
    with pytest.raises(SurveyError, match=r"analyses.models.m.outcome.*constructs: alpha, beta"):
        validate_models({"m": {"outcome": "gamma", "predictors": ["beta"]}}, mini)
    with pytest.raises(SurveyError, match="also a predictor"):
        validate_models({"m": {"outcome": "alpha", "predictors": ["alpha"]}}, mini)


@pytest.mark.parametrize(
    ("model", "match"),
    [
        ({"controls": ["colur"]}, r"key 'analyses.models.m.controls'.*control 'colur' is neither"),
        ({"controls": ["alpha"]}, r"key 'analyses.models.m.controls'.*outcome 'alpha' is also a"),
        ({"controls": ["size", "size"]}, r"analyses.models.m.controls'.*'size' is listed twice"),
        ({"controls": ["beta"]}, r"analyses.models.m.controls'.*'beta' is both a predictor and a"),
        ({"controls": "colour"}, r"analyses.models.m.controls'.*must be a list of names"),
    ],
)
def test_invalid_controls_name_the_key(mini, model, match):
    with pytest.raises(SurveyError, match=match) as exc:
        validate_models({"m": {"outcome": "alpha", "predictors": ["beta"], **model}}, mini)
    assert "\n" not in str(exc.value)  # one line


def test_controls_are_optional_and_kept_apart(mini):
    (spec,) = validate_models(CONTROLLED, mini)
    assert spec.predictors == ("beta", "size") and spec.controls == ("colour",)
    assert spec.terms == ("beta", "size", "colour") and spec.role("colour") == "control"
    (plain,) = validate_models({"m": {**CONTROLLED["m"], "controls": None}}, mini)
    assert plain.controls == () and validate_models(MODELS, mini)[0].controls == ()


def test_controls_are_in_the_model_but_not_ranked(mini):
    """A control enters the OLS, the mixed model and the dominance analysis exactly as if it were a
    predictor (same estimates, same general dominance), but the ranking, the driver rows and the
    sentence count only the predictors; the control is named after "controlling for"."""
    d = _scores()
    everything = run_models(d, mini, MODELS)
    r = run_models(d, mini, CONTROLLED, top=3)
    est = r.regressions[r.regressions["status"] == "estimated"].set_index("term")
    ref = everything.regressions[everything.regressions["status"] == "estimated"].set_index("term")
    assert est.index.tolist() == ["Intercept", "beta", "size", "colour[Green]", "colour[Blue]"]
    for col in ("estimate", "se_cluster", "mixed_estimate", "r2"):
        assert est[col].to_numpy() == pytest.approx(ref[col].to_numpy(), nan_ok=True)
    assert pd.isna(est["role"].iloc[0])  # the intercept
    assert est["role"].tolist()[1:] == ["predictor", "predictor", "control", "control"]
    imp = r.importance.set_index("predictor")
    gd = everything.importance.set_index("predictor")["general_dominance"]
    assert imp["general_dominance"].to_numpy() == pytest.approx(gd[imp.index].to_numpy())
    assert imp["general_dominance"].sum() == pytest.approx(imp["r2"].iloc[0])
    assert imp["role"].to_dict() == {"beta": "predictor", "size": "predictor", "colour": "control"}
    # colour explains more than size, yet only the predictors are ranked: beta 1, size 2
    assert imp.loc["colour", "general_dominance"] > imp.loc["size", "general_dominance"]
    assert imp["rank"].tolist()[:2] == [1, 2] and pd.isna(imp.loc["colour", "rank"])
    assert imp["rank_all"].to_dict() == {"beta": 1, "colour": 2, "size": 3}
    drv = r.drivers
    assert drv["predictor"].tolist() == ["beta", "size", "colour"]
    assert drv["role"].tolist() == ["predictor", "predictor", "control"]
    assert drv["rank"].tolist()[:2] == [1, 2] and pd.isna(drv["rank"].iloc[2])
    assert "highest Green" in drv.set_index("predictor").loc["colour", "detail"]
    assert drv["sentence"].iloc[0] == (
        "alpha is most strongly associated with beta (+) and size (+), controlling for colour."
    )


def test_gate_skips_a_model_left_with_controls_only(mini):
    d = _scores()
    models = {"m": {"outcome": "alpha", "predictors": ["beta"], "controls": ["colour"]}}
    r = run_models(d, mini, models, reliability=reliability_table(mini, {"beta": "alpha .4"}))
    assert r.regressions["status"].tolist() == ["skipped"] and r.importance.empty
    assert "every predictor was excluded" in r.regressions["note"].iloc[0]
    # a control construct excluded by the gate is dropped like a predictor, the model still runs
    models = {"m": {"outcome": "alpha", "predictors": ["colour"], "controls": ["beta"]}}
    r2 = run_models(d, mini, models, reliability=reliability_table(mini, {"beta": "alpha .4"}))
    beta = r2.regressions.set_index("term").loc["beta"]
    assert beta["status"] == "dropped" and beta["role"] == "control"
    assert r2.importance["predictor"].tolist() == ["colour"]
    assert "controlling for" not in r2.drivers["sentence"].iloc[0]


def test_empty_category_and_missing_reference_are_dropped_and_recorded(mini):
    d = _scores()
    d = d[d["colour"] != "Blue"]  # Blue: no respondents
    r = run_models(d, mini, MODELS).regressions
    blue = r[r["term"] == "colour[Blue]"].iloc[0]
    assert (
        blue["status"] == "dropped"
        and "no respondents" in blue["note"]
        and np.isnan(blue["estimate"])
    )
    d2 = _scores()
    d2 = d2[d2["colour"] != "Red"]  # the reference has none: the largest category takes over
    r2 = run_models(d2, mini, MODELS).regressions
    est = r2[(r2["status"] == "estimated") & (r2["predictor"] == "colour")]
    assert est["reference"].unique().tolist() == ["Green"] and est["term"].tolist() == [
        "colour[Blue]"
    ]
    assert r2.loc[r2["term"] == "colour[Red]", "note"].str.contains("reference").all()


def test_gate_drops_predictors_and_skips_outcomes(mini):
    d = _scores()
    r = run_models(d, mini, MODELS, reliability=reliability_table(mini, {"beta": "alpha .4"}))
    row = r.regressions.set_index("term").loc["beta"]
    assert row["status"] == "dropped" and "reliability gate" in row["note"]
    assert "beta" not in set(r.importance["predictor"])
    r2 = run_models(d, mini, MODELS, reliability=reliability_table(mini, {"alpha": "alpha .4"}))
    assert r2.regressions["status"].tolist() == ["skipped"]
    assert "reliability gate" in r2.regressions["note"].iloc[0]
    assert r2.importance.empty and "not modelled" in r2.drivers["sentence"].iloc[0]


def test_tables_and_driver_sentence(mini):
    r = run_models(_scores(), mini, MODELS, top=2)
    assert list(r.regressions.columns) == REGRESSION_COLUMNS
    assert list(r.importance.columns) == IMPORTANCE_COLUMNS
    assert list(r.drivers.columns) == DRIVER_COLUMNS
    drv = r.drivers.sort_values("rank")
    assert drv["predictor"].tolist()[0] == "beta" and drv["direction"].iloc[0] == "+"
    sentence = drv["sentence"].iloc[0]
    assert sentence.startswith("alpha is most strongly associated with beta (+)")
    colour = drv.set_index("predictor").loc["colour"]
    assert colour["direction"] == "categorical" and "highest Green" in colour["detail"]
    assert "lowest Blue" in colour["detail"] and colour["detail"].endswith("vs Red")


# --- the synthetic default, end to end ------------------------------------------------------------


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    return default_study(tmp_path_factory)


@pytest.fixture(scope="module")
def regressions(study):
    return pd.read_parquet(study / "results/analyses/regressions.parquet")


@pytest.fixture(scope="module")
def importance(study):
    return pd.read_parquet(study / "results/analyses/importance.parquet")


@pytest.mark.slow
def test_truth_coefficients_inside_cluster_robust_intervals(study, regressions):
    """Parameter recovery: the generator's population standardised coefficients (truth.json,
    Monte Carlo on 200,000 respondents) inside the 95% cluster-robust intervals.

    Expected coverage, honestly: nominal 95% per term. CR1 intervals with 22 clusters can undercover
    for dummies of rare categories concentrated in few MSCs (the tribal sector has 5 respondents in
    the shared purpose model), and the 38 terms share one sample, so misses come together. Measured
    (tests/analyses_coverage_study.py, seeds 1-30): mean coverage 95.1%, range 86.8-100%; numeric
    terms 96.3%, dummies 94.6%. At the default seed 34 of 38 (89.5%). The test asks for 80%.
    """
    truth = json.loads((study / "data/raw/truth.json").read_text(encoding="utf-8"))
    est = regressions[(regressions["status"] == "estimated") & (regressions["term"] != "Intercept")]
    reg = truth["estimands"]["regression"]
    value = [reg[o].get(t) for o, t in zip(est["outcome"], est["term"], strict=True)]
    assert all(v is not None for v in value), "every estimated term has an estimand"
    assert len(est) == 38
    # dummies of categories under analyses.min_group_n stay in the model, their estimates blank
    # (issue 13): coverage is judged on the published intervals
    small = est["estimate"].isna()
    assert est.loc[small, "note"].str.contains("fewer than 10 respondents").all()
    assert (est.loc[small, "coding"] == "dummy vs reference").all()
    est, value = est[~small], [v for v, s in zip(value, small, strict=True) if not s]
    covered = (est["ci_low"] <= value) & (est["ci_high"] >= value)
    assert len(est) >= 30
    assert covered.mean() >= 0.80, est.loc[
        ~covered, ["model", "term", "estimate", "ci_low", "ci_high"]
    ]


@pytest.mark.slow
def test_model_sizes(regressions):
    est = regressions[regressions["status"] == "estimated"].groupby("model")
    assert est["n_clusters"].first().tolist() == [22, 22]
    n = est["n"].first()
    assert 90 <= n["shared_purpose"] <= 130  # the how-much subset only
    assert n["systems_change"] > 300


@pytest.mark.slow
def test_dominance_sums_to_r2(importance):
    for _, g in importance.groupby("model"):
        assert g["general_dominance"].sum() == pytest.approx(g["r2"].iloc[0])


def _ranked(importance, model):
    """The model's predictors in rank order (controls are never ranked)."""
    g = importance[(importance["model"] == model) & (importance["role"] == "predictor")]
    return g.sort_values("rank")["predictor"].tolist()


@pytest.mark.slow
def test_controls_are_in_the_dominance_analysis_but_unranked(importance):
    """Role and sector (and income for systems change) are controls: their blocks take part in the
    dominance analysis (the shares of all blocks sum to R²) but carry no rank among the drivers."""
    controls = {
        "shared_purpose": {"role", "sector"},
        "systems_change": {"income", "role", "sector"},
    }
    for model, g in importance.groupby("model"):
        ctrl = g[g["role"] == "control"]
        assert set(ctrl["predictor"]) == controls[model]
        assert ctrl["rank"].isna().all() and ctrl["rank_all"].notna().all()
        pred = g[g["role"] == "predictor"].sort_values("general_dominance", ascending=False)
        assert pred["rank"].tolist() == list(range(1, len(pred) + 1))
        assert g["share"].sum() == pytest.approx(1.0)


@pytest.mark.slow
def test_shared_purpose_drivers_trust_equity_income(study, importance, regressions):
    """Published: shared purpose is most strongly influenced by trust, equity and income. With role
    and sector as controls (in the model, not ranked), trust, equity and income are the three
    largest general dominance weights among the predictors (trust, equity, power dynamics,
    community voice, income), each with a positive coefficient, and the driver sentence names them.

    Expected rate, honestly (tests/analyses_coverage_study.py, ``sp_top3_predictors``, measured with
    role and sector as controls): 89 of seeds 1-100 (27 of 1-30); misses on seeds 1, 7, 29, 44, 57,
    61, 69, 86, 93, 95, 100, mostly income falling to fourth behind power dynamics or community voice
    on the ~110 respondents of the how-much subset. It holds at the default seed, which this test
    runs. Among all blocks, controls counted, it held on 7 of seeds 1-100 (3 of 1-30; the role block
    ranks first at the default seed, n = 112): that was the strict xfail this test replaces, and why
    role and sector are controls, as in the study's model ("... + income + role + sector").
    """
    assert set(_ranked(importance, "shared_purpose")[:3]) == {"trust", "equity", "income"}
    est = regressions[(regressions["model"] == "shared_purpose")].set_index("term")
    assert (est.loc[["trust", "equity", "income"], "estimate"] > 0).all()
    drv = pd.read_parquet(study / "results/analyses/drivers.parquet")
    sentence = drv.loc[drv["model"] == "shared_purpose", "sentence"].iloc[0]
    assert sentence.startswith("Shared purpose is most strongly associated with ")
    assert sentence.endswith(", controlling for role in the MSC and sector.")
    for phrase in ("trust (+)", "equitable processes (+)", "household income (+)"):
        assert phrase in sentence.split("controlling for")[0]


@pytest.mark.slow
def test_systems_change_drivers_power_equity_shared_purpose(importance, regressions):
    assert set(_ranked(importance, "systems_change")[:3]) == {
        "power_dynamics",
        "equity",
        "shared_purpose",
    }
    est = regressions[(regressions["model"] == "systems_change")].set_index("term")
    assert (est.loc[["power_dynamics", "equity", "shared_purpose"], "estimate"] > 0).all()


@pytest.mark.slow
def test_driver_sentences(study):
    drv = pd.read_parquet(study / "results/analyses/drivers.parquet")
    sc = drv[drv["model"] == "systems_change"]["sentence"].iloc[0]
    assert sc.startswith("Systems change and aligning is most strongly associated with ")
    assert sc.endswith(", controlling for household income, role in the MSC and sector.")
    for label in ("shared purpose (+)", "equitable processes (+)", "power dynamics (+)"):
        assert label in sc.split("controlling for")[0]
    assert drv.groupby("model")["role"].apply(lambda r: (r == "control").sum()).to_dict() == {
        "shared_purpose": 2,
        "systems_change": 3,
    }


@pytest.mark.slow
def test_changing_a_model_reruns_only_regressions_and_its_readers(study):
    """A driver model reruns ``regressions`` and what reads the models (``figures``, the brief:
    they take ``analyses.models`` as a parameter, as the README says); nothing upstream."""
    from workflow_helpers import planned_jobs, write_config

    cfg = study / "config" / "config.yaml"
    original = cfg.read_text(encoding="utf-8")
    try:
        models = {"sp": {"outcome": "shared_purpose", "predictors": ["trust", "equity", "income"]}}
        write_config(study, n_respondents=None, analyses__models=models)
        assert planned_jobs(study) - {"all"} == {
            "regressions",
            "figure_part",  # the overview part draws the driver charts (issue 20)
            "figures",
            "tables",  # the CSV, workbook and HTML renditions of the tables (issue 17)
            "brief_numbers",
            "brief",
            "walk",
            "release",  # the public copies of the brief, figures and tables (issue 13)
            "sensitivity",  # the driver models pooled over imputations (issue 19)
            "manifest",
        }
    finally:
        cfg.write_text(original, encoding="utf-8")
    assert planned_jobs(study) == set()


@pytest.mark.slow
def test_unknown_predictor_stops_before_any_job(study):
    from workflow_helpers import snakemake, write_config

    cfg = study / "config" / "config.yaml"
    original = cfg.read_text(encoding="utf-8")
    try:
        models = {"sp": {"outcome": "shared_purpose", "predictors": ["trust", "equty"]}}
        write_config(study, n_respondents=None, analyses__models=models)
        proc = snakemake(study, "--dry-run", check=False)
    finally:
        cfg.write_text(original, encoding="utf-8")
    assert proc.returncode != 0
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "key 'analyses.models.sp.predictors'" in errors[0]
    assert "predictor 'equty'" in errors[0] and "valid: trust, power_dynamics" in errors[0]


@pytest.mark.slow
def test_a_control_that_is_also_a_predictor_stops_before_any_job(study):
    from workflow_helpers import snakemake, write_config

    cfg = study / "config" / "config.yaml"
    original = cfg.read_text(encoding="utf-8")
    try:
        models = {
            "sp": {
                "outcome": "shared_purpose",
                "predictors": ["trust", "equity"],
                "controls": ["role", "trust"],
            }
        }
        write_config(study, n_respondents=None, analyses__models=models)
        proc = snakemake(study, "--dry-run", check=False)
    finally:
        cfg.write_text(original, encoding="utf-8")
    assert proc.returncode != 0
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "key 'analyses.models.sp.controls'" in errors[0]
    assert "'trust' is both a predictor and a control" in errors[0]
