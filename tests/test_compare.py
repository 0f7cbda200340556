"""Comparing two waves: construct means (Welch, Hedges' g, Holm) and item agreement (Newcombe).

References: scipy.stats.ttest_ind(equal_var=False) and its confidence_interval (scipy 1.17, as R's
t.test); pingouin 0.7 compute_effsize / compute_esci for Hedges' g; the Holm step-down written out by
hand and statsmodels' multipletests; Newcombe's (1998) method 10 built from two Wilson intervals.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from mscsurvey.codebook.spec import parse_codebook
from mscsurvey.config import comparisons, validate_config
from mscsurvey.contracts import validate
from mscsurvey.errors import SurveyError
from mscsurvey.stages.compare import (
    CONSTRUCT_COLUMNS,
    ITEM_COLUMNS,
    compare_construct_means,
    compare_item_agreement,
    construct_comparability,
    hedges_g,
    welch_difference,
)

NAMES = ("wave1", "wave2")


@pytest.fixture
def mini(mini_codebook_dict):
    return parse_codebook(copy.deepcopy(mini_codebook_dict), source="mini.yaml")


def _reliability(constructs, *, status=None, included=None):
    status, included = status or {}, included or {}
    return pd.DataFrame(
        {
            "construct": list(constructs),
            "status": [status.get(c, "ok") for c in constructs],
            "included": [included.get(c, True) for c in constructs],
        }
    )


def _scores(rng, n, means, sd=0.8):
    return pd.DataFrame({c: rng.normal(m, sd, n) for c, m in means.items()})


# --- the statistics against their references -------------------------------------------------


@pytest.mark.parametrize("level", [0.95, 0.90])
def test_welch_equals_scipy_and_the_closed_form(level):
    rng = np.random.default_rng(3)
    x, y = rng.normal(3.0, 0.7, 40), rng.normal(3.4, 1.2, 65)
    got = welch_difference(x, y, ci_level=level)
    ref = stats.ttest_ind(y, x, equal_var=False)
    ci = ref.confidence_interval(confidence_level=level)
    assert got["t"] == pytest.approx(ref.statistic, rel=1e-12)
    assert got["p"] == pytest.approx(ref.pvalue, rel=1e-12)
    assert (got["ci_low"], got["ci_high"]) == pytest.approx((ci.low, ci.high), rel=1e-12)
    # Welch-Satterthwaite by hand
    vx, vy = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
    df = (vx + vy) ** 2 / (vx**2 / (len(x) - 1) + vy**2 / (len(y) - 1))
    diff = y.mean() - x.mean()
    half = stats.t.ppf(1 - (1 - level) / 2, df) * np.sqrt(vx + vy)
    assert got["df"] == pytest.approx(df, rel=1e-12)
    assert got["difference"] == pytest.approx(diff, rel=1e-12)
    assert got["t"] == pytest.approx(diff / np.sqrt(vx + vy), rel=1e-12)
    assert (got["ci_low"], got["ci_high"]) == pytest.approx((diff - half, diff + half), rel=1e-12)


def test_welch_needs_two_values_per_wave():
    got = welch_difference(np.array([1.0]), np.array([1.0, 2.0, 3.0]))
    assert all(np.isnan(v) for v in got.values())


@pytest.mark.parametrize("level", [0.95, 0.80])
def test_hedges_g_equals_pingouin(level):
    rng = np.random.default_rng(5)
    x, y = rng.normal(3.0, 0.9, 30), rng.normal(3.5, 0.8, 45)
    g, low, high = hedges_g(x, y, ci_level=level)
    ref = pg.compute_effsize(y, x, paired=False, eftype="hedges")
    ref_ci = pg.compute_esci(
        ref, nx=len(y), ny=len(x), eftype="hedges", confidence=level, decimals=14
    )
    assert g == pytest.approx(ref, rel=1e-12)
    assert (low, high) == pytest.approx(tuple(ref_ci), rel=1e-10)


def test_hedges_g_known_answer():
    # means 2 and 4, both SDs 1 (pooled 1): d = 2; J = 1 - 3 / (4 * 6 - 9) = 0.8
    x, y = np.array([1.0, 2.0, 3.0]), np.array([3.0, 4.0, 5.0])
    g, _, _ = hedges_g(x, y)
    assert g == pytest.approx(1.6, rel=1e-12)


def test_holm_across_constructs_equals_the_step_down_and_statsmodels(mini):
    rng = np.random.default_rng(11)
    cb_dict = copy.deepcopy(mini.raw)
    # four constructs so the adjustment has something to do
    cb_dict["constructs"]["gamma"] = {"items": ["c1"]}
    cb_dict["constructs"]["delta"] = {"items": ["d1"]}
    cb_dict["items"]["c1"] = {"scale": "agree5", "text": "c"}
    cb_dict["items"]["d1"] = {"scale": "agree5", "text": "d"}
    cb = parse_codebook(cb_dict)
    shifts = {"alpha": 0.0, "beta": 0.25, "gamma": 0.4, "delta": 0.1}
    e = _scores(rng, 80, dict.fromkeys(shifts, 3.0))
    lat = _scores(rng, 90, {c: 3.0 + s for c, s in shifts.items()})
    rel = _reliability(shifts)
    out = compare_construct_means((e, lat), (rel, rel), (cb, cb), names=NAMES)
    validate(out, "construct_means")  # the table meets its contract
    assert list(out.columns) == CONSTRUCT_COLUMNS
    p = out["p"].to_numpy()
    m = len(p)
    order = np.argsort(p)
    step = np.maximum.accumulate(np.minimum(1, p[order] * (m - np.arange(m))))
    holm = np.empty(m)
    holm[order] = step
    assert out["p_holm"].to_numpy() == pytest.approx(holm, rel=1e-12)
    assert out["p_holm"].to_numpy() == pytest.approx(multipletests(p, method="holm")[1], rel=1e-12)
    # each row's statistics are the two-sample ones of its construct
    ref = stats.ttest_ind(lat["gamma"], e["gamma"], equal_var=False)
    row = out.set_index("construct").loc["gamma"]
    assert row["p"] == pytest.approx(ref.pvalue, rel=1e-12)
    assert (row["n_earlier"], row["n_later"]) == (80, 90)
    assert row["sd_later"] == pytest.approx(lat["gamma"].std(ddof=1), rel=1e-12)


def test_planted_shift_is_recovered(mini):
    """Wave 2's alpha scores are wave 1's population shifted by +0.5 (SD 0.8): the interval holds 0.5
    and not 0, g holds 0.5 / 0.8; beta has no shift and its interval holds 0."""
    rng = np.random.default_rng(2024)
    e = _scores(rng, 600, {"alpha": 3.0, "beta": 0.5})
    lat = _scores(rng, 600, {"alpha": 3.5, "beta": 0.5})
    rel = _reliability(["alpha", "beta"])
    out = compare_construct_means((e, lat), (rel, rel), (mini, mini), names=NAMES)
    a, b = out.set_index("construct").loc["alpha"], out.set_index("construct").loc["beta"]
    assert a["ci_low"] < 0.5 < a["ci_high"] and a["ci_low"] > 0
    assert a["g_ci_low"] < 0.5 / 0.8 < a["g_ci_high"]
    assert a["p_holm"] < 0.001
    assert b["ci_low"] < 0 < b["ci_high"]


def test_missing_scores_are_left_out_of_n(mini):
    e = pd.DataFrame({"alpha": [1.0, 2.0, np.nan, 3.0], "beta": [0.0, 1.0, 1.0, np.nan]})
    lat = pd.DataFrame({"alpha": [2.0, 3.0, 4.0, np.nan], "beta": [np.nan, np.nan, 1.0, 0.0]})
    rel = _reliability(["alpha", "beta"])
    out = compare_construct_means((e, lat), (rel, rel), (mini, mini), names=NAMES)
    row = out.set_index("construct").loc["alpha"]
    assert (row["n_earlier"], row["n_later"]) == (3, 3)
    assert (row["mean_earlier"], row["mean_later"], row["difference"]) == (2.0, 3.0, 1.0)


# --- comparability --------------------------------------------------------------------------


def test_notes_name_what_differs(mini):
    later = copy.deepcopy(mini.raw)
    # alpha: one item fewer; beta: kept; new construct gamma only in wave2
    later["constructs"]["alpha"]["items"] = ["a1", "a2"]
    del later["items"]["a3"]
    later["constructs"]["gamma"] = {"items": ["c1"]}
    later["items"]["c1"] = {"scale": "agree5", "text": "c"}
    cb_l = parse_codebook(later)
    notes = construct_comparability(mini, cb_l, names=NAMES)
    assert notes == {"alpha": "items differ: wave2 lacks a3", "beta": "", "gamma": "only in wave2"}
    assert construct_comparability(cb_l, mini, names=NAMES)["gamma"] == "only in wave1"


def test_a_different_scale_or_keying_is_not_comparable(mini):
    later = copy.deepcopy(mini.raw)
    later["scales"]["agree7"] = {
        "codes": {i: f"level {i}" for i in range(1, 8)},
        "agree": [5, 6, 7],
    }
    for iid in ("a1", "a2", "a3"):
        later["items"][iid]["scale"] = "agree7"
    later["items"]["b1"]["reverse"] = True
    cb_l = parse_codebook(later)
    notes = construct_comparability(mini, cb_l, names=NAMES)
    assert notes["alpha"] == "scales differ: 1-5 vs 1-7"
    assert notes["beta"] == "reverse keying differs: b1"
    rng = np.random.default_rng(1)
    s = _scores(rng, 50, {"alpha": 3.0, "beta": 0.5})
    rel = _reliability(["alpha", "beta"])
    out = compare_construct_means((s, s), (rel, rel), (mini, cb_l), names=NAMES)
    assert not out["comparable"].any()
    stats_cols = ["difference", "ci_low", "ci_high", "t", "df", "p", "p_holm", "hedges_g"]
    assert out[stats_cols].isna().all().all()
    assert (out["n_earlier"] == 50).all()  # the descriptives are still shown


def test_reliability_gate_flags_but_still_compares(mini):
    rng = np.random.default_rng(4)
    e, lat = (
        _scores(rng, 60, {"alpha": 3, "beta": 0.5}),
        _scores(rng, 60, {"alpha": 3, "beta": 0.5}),
    )
    rel_e = _reliability(["alpha", "beta"], status={"beta": "weak"})
    rel_l = _reliability(["alpha", "beta"], status={"alpha": "failed"}, included={"alpha": False})
    out = compare_construct_means((e, lat), (rel_e, rel_l), (mini, mini), names=NAMES)
    out = out.set_index("construct")
    assert out.at["alpha", "note"] == "excluded by the reliability gate in wave2 (status failed)"
    assert out.at["beta", "note"] == "reliability weak in wave1"
    assert out["comparable"].all() and out["p"].notna().all()
    assert not out.at["alpha", "included_later"] and out.at["alpha", "included_earlier"]
    assert out.at["alpha", "status_later"] == "failed"


# --- item agreement -------------------------------------------------------------------------


def _responses(rng, n, p_agree):
    """Clean-stage responses for the mini codebook: a1 agrees (4/5) with probability p_agree."""
    agree5 = rng.choice([1, 2, 3, 4, 5], size=(n, 3))
    a1 = np.where(rng.random(n) < p_agree, rng.choice([4, 5], n), rng.choice([1, 2, 3], n))
    return pd.DataFrame(
        {
            "a1": pd.array(a1, dtype="Int16"),
            "a2": pd.array(agree5[:, 1], dtype="Int16"),
            "a3": pd.array(agree5[:, 2], dtype="Int16"),
            "b1": pd.array(rng.integers(0, 2, n), dtype="Int16"),
            "b2": pd.array([pd.NA] * n, dtype="Int16"),  # nobody answered
        }
    )


def test_item_agreement_difference_and_newcombe_interval(mini):
    rng = np.random.default_rng(8)
    e, lat = _responses(rng, 300, 0.5), _responses(rng, 320, 0.7)
    out = compare_item_agreement((e, lat), (mini, mini), names=NAMES, ci_level=0.9)
    validate(out, "item_agreement")  # the table meets its contract
    assert list(out.columns) == ITEM_COLUMNS
    row = out.set_index("item").loc["a1"]
    k_e = int(e["a1"].isin([4, 5]).sum())
    k_l = int(lat["a1"].isin([4, 5]).sum())
    assert (row["n_agree_earlier"], row["n_agree_later"]) == (k_e, k_l)
    p_e, p_l = k_e / 300, k_l / 320
    assert row["difference_pp"] == pytest.approx(100 * (p_l - p_e), rel=1e-12)
    # Newcombe (1998) method 10 from the two Wilson intervals
    le, ue = proportion_confint(k_e, 300, alpha=0.1, method="wilson")
    ll, ul = proportion_confint(k_l, 320, alpha=0.1, method="wilson")
    d = p_l - p_e
    low = d - np.sqrt((p_l - ll) ** 2 + (ue - p_e) ** 2)
    high = d + np.sqrt((ul - p_l) ** 2 + (p_e - le) ** 2)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((100 * low, 100 * high), rel=1e-9)
    assert row["ci_low"] > 0  # a planted 20-point rise is found
    # a reverse-keyed item counts agreement as answered: keyed 1 -> answered 5
    a2 = out.set_index("item").loc["a2"]
    assert a2["n_agree_earlier"] == int(e["a2"].isin([1, 2]).sum())
    b2 = out.set_index("item").loc["b2"]
    assert b2["n_earlier"] == 0 and np.isnan(b2["difference_pp"])
    assert b2["note"] == "nobody answered in a wave: no difference"


def test_item_with_other_agree_codes_is_not_compared(mini):
    later = copy.deepcopy(mini.raw)
    later["scales"]["agree5"]["agree"] = [5]
    cb_l = parse_codebook(later)
    rng = np.random.default_rng(9)
    r = _responses(rng, 50, 0.5)
    out = compare_item_agreement((r, r), (mini, cb_l), names=NAMES).set_index("item")
    assert out.at["a1", "note"] == "agree codes differ: 4-5 vs 5"
    assert not out.at["a1", "comparable"] and np.isnan(out.at["a1", "difference_pp"])
    assert out.at["b1", "comparable"]


# --- configuration --------------------------------------------------------------------------


@pytest.fixture
def waves_cfg(root):
    import yaml

    cfg = yaml.safe_load((root / "examples" / "waves" / "config.yaml").read_text(encoding="utf-8"))
    return cfg


def test_example_config_is_valid(waves_cfg):
    cfg = validate_config(waves_cfg, source="examples/waves/config.yaml")
    comp = comparisons(cfg)["waves"]
    assert (comp.earlier, comp.later, comp.results) == ("wave1", "wave2", "results/compare/waves")
    seeds = [cfg["datasets"][w]["synthetic"]["seed"] for w in ("wave1", "wave2")]
    assert seeds[0] != seeds[1]


@pytest.mark.parametrize(
    ("pair", "message"),
    [
        (
            ["wave1", "wave3"],
            "'wave3' is not a dataset of this config (its datasets: wave1, wave2)",
        ),
        (["wave1", "wave1"], "names dataset 'wave1' twice"),
        (["wave1"], "lists 1 dataset(s) (wave1); expected two, earlier first"),
        (["wave1", "wave2", "wave2"], "lists 3 dataset(s)"),
    ],
)
def test_bad_comparison_datasets_are_named(waves_cfg, pair, message):
    waves_cfg["comparisons"]["waves"]["datasets"] = pair
    with pytest.raises(SurveyError) as err:
        validate_config(waves_cfg, source="my.yaml")
    text = str(err.value)
    assert text.startswith("my.yaml: key 'comparisons.waves.datasets': ")
    assert message in text and "\n" not in text


def test_comparison_folder_inside_a_results_folder_is_refused(waves_cfg):
    waves_cfg["comparisons"]["waves"]["results"] = "results/wave1/compare"
    with pytest.raises(
        SurveyError, match=r"key 'comparisons.waves.results'.*overlaps .*results/wave1"
    ):
        validate_config(waves_cfg, source="my.yaml")


def test_unknown_comparison_key_is_named(waves_cfg):
    waves_cfg["comparisons"]["waves"]["paired"] = True
    with pytest.raises(SurveyError, match=r"key 'comparisons.waves.paired': unknown key"):
        validate_config(waves_cfg, source="my.yaml")


def test_default_config_has_no_comparison(root):
    from mscsurvey.config import load_config

    cfg = load_config(root / "config" / "config.yaml")
    assert cfg["comparisons"] == {}
    assert (
        "seed" not in cfg["datasets"]["msc"]["synthetic"]
    )  # the global seed: same bytes as before


# --- the workflow ---------------------------------------------------------------------------


def _waves_config(work, root, *, n=240, **comparison):
    """examples/waves/config.yaml with the repository's files and ``n`` raw rows per wave."""
    import yaml

    cfg = yaml.safe_load((root / "examples" / "waves" / "config.yaml").read_text(encoding="utf-8"))
    for ds in cfg["datasets"].values():
        ds["codebook"] = str(root / ds["codebook"])
        ds["published"] = str(root / ds["published"])
        ds["synthetic"]["model"] = str(root / ds["synthetic"]["model"])
        ds["synthetic"]["published"] = str(root / ds["synthetic"]["published"])
        ds["synthetic"]["n_respondents"] = n
    cfg["comparisons"]["waves"].update(comparison)
    path = work / "config" / "config.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return path


def test_workflow_refuses_a_bad_comparison_before_any_job(tmp_path, root):
    from workflow_helpers import snakemake

    _waves_config(tmp_path, root, datasets=["wave1", "wave9"])
    proc = snakemake(tmp_path, "--dry-run", check=False)
    assert proc.returncode != 0
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert lines == [
        "error: config/config.yaml: key 'comparisons.waves.datasets': 'wave9' is not a dataset of "
        "this config (its datasets: wave1, wave2); name two of them under datasets:, earlier first"
    ]
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_two_synthetic_waves_end_to_end(tmp_path, root):
    """Two waves of the default study drawn from the same model with different seeds.

    Truth: one population, so each construct's difference is 0. Under plain independent sampling a
    95% interval misses 0 for 10 x 0.05 = 0.5 constructs on average (2 or more misses: about 9%). But
    the generator calibrates every item's answers to the same published targets in both waves, so the
    waves differ only in how answers combine within respondents, far less than sampling would make
    them (all 10 p-values above 0.45 on the example): we expect all 10 to cover 0 and require at least
    9. This shows the wiring, not the intervals' coverage; the planted shift below and the unit tests
    against scipy and pingouin check the statistics.
    """
    import json

    from workflow_helpers import snakemake

    from mscsurvey.codebook.spec import load_codebook
    from mscsurvey.io import sha256_file

    _waves_config(tmp_path, root)
    snakemake(tmp_path)
    for wave in ("wave1", "wave2"):
        for rel in ("brief/brief.html", "brief/brief.pdf", "manifest.json"):
            assert (tmp_path / "results" / wave / rel).is_file(), (wave, rel)
    raw = [(tmp_path / "data" / "raw" / w / "survey.csv").read_bytes() for w in ("wave1", "wave2")]
    assert raw[0] != raw[1], "the two waves' seeds should give different respondents"
    truth = [
        json.loads((tmp_path / "data" / "raw" / w / "truth.json").read_text())
        for w in ("wave1", "wave2")
    ]
    assert [t["generator"]["seed"] for t in truth] == [20200601, 20210601]

    out_dir = tmp_path / "results" / "compare" / "waves"
    table = pd.read_parquet(out_dir / "construct_means.parquet")
    cb = load_codebook(root / "data" / "codebook.yaml")
    assert list(table["construct"]) == list(cb.constructs)
    assert table["comparable"].all()
    covers = int(((table["ci_low"] <= 0) & (table["ci_high"] >= 0)).sum())
    assert covers >= 9, table[["construct", "difference", "ci_low", "ci_high"]]
    for wave, suffix in (("wave1", "earlier"), ("wave2", "later")):
        rel = pd.read_parquet(tmp_path / "results" / wave / "scales" / "reliability.parquet")
        assert table[f"n_{suffix}"].tolist() == rel["n_scored"].tolist()
        assert table[f"status_{suffix}"].tolist() == rel["status"].tolist()
    csv = pd.read_csv(out_dir / "construct_means.csv")
    assert csv["difference"].to_numpy() == pytest.approx(table["difference"].to_numpy(), rel=1e-12)
    items = pd.read_parquet(out_dir / "item_agreement.parquet")
    assert len(items) == len(cb.items) and items["comparable"].all()
    assert "compare" in (out_dir / "logs" / "compare.log").read_text()
    # no respondent identifier or pseudonym leaves the waves' folders
    pids = set(pd.read_parquet(tmp_path / "results" / "wave2" / "scales" / "scores.parquet")["pid"])
    text = (out_dir / "construct_means.csv").read_text()
    assert not any(p in text for p in pids)

    # planted shift: +0.5 on every trust item of wave2 moves its trust scores by exactly 0.5
    scores = [
        pd.read_parquet(tmp_path / "results" / w / "scales" / "scores.parquet")
        for w in ("wave1", "wave2")
    ]
    rel = [
        pd.read_parquet(tmp_path / "results" / w / "scales" / "reliability.parquet")
        for w in ("wave1", "wave2")
    ]
    shifted = scores[1].assign(trust=scores[1]["trust"] + 0.5)
    planted = compare_construct_means(
        (scores[0], shifted), tuple(rel), (cb, cb), names=NAMES
    ).set_index("construct")
    before = table.set_index("construct")
    assert planted.at["trust", "difference"] == pytest.approx(
        before.at["trust", "difference"] + 0.5
    )
    assert planted.at["trust", "ci_low"] == pytest.approx(before.at["trust", "ci_low"] + 0.5)
    assert planted.at["trust", "ci_low"] < 0.5 < planted.at["trust", "ci_high"]
    assert planted.at["trust", "ci_low"] > 0 and planted.at["trust", "p_holm"] < 0.05

    # deterministic: the comparison made again gives the same bytes
    digests = {
        f: sha256_file(out_dir / f)
        for f in ("construct_means.parquet", "construct_means.csv", "item_agreement.parquet")
    }
    for f in digests:
        (out_dir / f).unlink()
    snakemake(tmp_path, "--forcerun", "compare")
    assert {f: sha256_file(out_dir / f) for f in digests} == digests
