"""The scales stage: construct scores, reliability table, item flags, the gate, edge cases, recovery.

Expected values are computed independently of :mod:`mscsurvey.stages.scales`:

* scores by hand on small frames built from the mini codebook (``tests/data/mini_codebook.yaml``);
* reliability statistics in closed form from a covariance matrix, on data built to have *exactly* that
  sample covariance (:func:`exact_sample`), so that alpha, standardised alpha, average r, corrected
  item-total r, alpha if deleted and (for a one-factor matrix) the loadings and omega are known without
  running any estimator;
* the end-to-end part (``@pytest.mark.slow``) runs the workflow on a small synthetic study up to the
  scales stage and checks the estimates against the generator's ground truth (``truth.json``).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import shutil
import statistics
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from workflow_helpers import ROOT, planned_jobs, snakemake, write_config

from mscsurvey.codebook.spec import Codebook, load_codebook, parse_codebook
from mscsurvey.errors import SurveyError
from mscsurvey.settings import ScalesSettings
from mscsurvey.stages.clean import reverse_key
from mscsurvey.stages.scales import (
    ITEM_COLUMNS,
    RELIABILITY_COLUMNS,
    apply_gate,
    invariance_table,
    item_table,
    reliability_table,
    run_cfa,
    run_scales,
    run_scores,
    score,
)
from mscsurvey.stages.subgroups import excluded_constructs

NAN = float("nan")


# --------------------------------------------------------------------------------------------------
# Helpers: codebooks, frames, exact-moment data and closed forms
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mini(mini_codebook_dict) -> Codebook:
    return parse_codebook(mini_codebook_dict, source="tests/data/mini_codebook.yaml")


def make_codebook(
    mini_dict: dict,
    constructs: dict[str, int],
    *,
    min_answered: float | None = None,
    reverse: tuple[str, ...] = (),
) -> Codebook:
    """The mini codebook with its constructs replaced: ``{construct: number of items}``; items are
    named ``<construct>_<j>`` (agree5), ``reverse`` marks items reverse-keyed."""
    d = copy.deepcopy(mini_dict)
    d["constructs"], d["items"] = {}, {}
    for cid, k in constructs.items():
        items = [f"{cid}_{j}" for j in range(1, k + 1)]
        d["constructs"][cid] = {"items": items}
        if min_answered is not None:
            d["constructs"][cid]["min_answered"] = min_answered
        for iid in items:
            d["items"][iid] = {"scale": "agree5", "text": f"Item {iid}."}
            if iid in reverse:
                d["items"][iid]["reverse"] = True
    return parse_codebook(d, source="test codebook")


def frame(codebook: Codebook, items: dict[str, object]) -> pd.DataFrame:
    """A clean-stage-like frame: pseudonym, cluster and group columns, then the item columns."""
    n = len(next(iter(items.values())))
    carried = {
        codebook.identifiers.pseudonym: [f"p{i:03d}" for i in range(n)],
        codebook.cluster: [f"S{i % 3}" for i in range(n)],
        **{
            g: [grp.categories[i % len(grp.categories)] for i in range(n)]
            for g, grp in codebook.groups.items()
        },
    }
    return pd.DataFrame({**carried, **{k: np.asarray(v, dtype=float) for k, v in items.items()}})


def one_factor(loadings) -> np.ndarray:
    """Correlation matrix of a one-factor model: l l' off the diagonal, 1 on it."""
    lam = np.asarray(loadings, dtype=float)
    r = np.outer(lam, lam)
    np.fill_diagonal(r, 1.0)
    return r


def exact_sample(sigma: np.ndarray, n: int, *, seed: int = 0, mean: float = 3.0) -> np.ndarray:
    """``n`` rows whose sample covariance (ddof 1) is exactly ``sigma`` (to rounding)."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, sigma.shape[0]))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False))).T
    return mean + z @ np.linalg.cholesky(sigma).T


def block_diag(*blocks: np.ndarray) -> np.ndarray:
    k = sum(b.shape[0] for b in blocks)
    out = np.zeros((k, k))
    i = 0
    for b in blocks:
        out[i : i + b.shape[0], i : i + b.shape[0]] = b
        i += b.shape[0]
    return out


def alpha_of(s: np.ndarray) -> float:
    """Cronbach's alpha from a covariance matrix: k/(k-1) (1 - tr S / 1'S1)."""
    k = s.shape[0]
    return k / (k - 1) * (1 - np.trace(s) / s.sum())


def mean_offdiag_r(s: np.ndarray) -> float:
    d = np.sqrt(np.diag(s))
    r = s / np.outer(d, d)
    k = len(d)
    return float((r.sum() - k) / (k * (k - 1)))


def r_drop_of(s: np.ndarray, j: int) -> float:
    """Correlation of item j with the sum of the other items, from the covariance matrix."""
    rest = [i for i in range(s.shape[0]) if i != j]
    return float(s[j, rest].sum() / math.sqrt(s[j, j] * s[np.ix_(rest, rest)].sum()))


def feldt(alpha: float, n: int, k: int, level: float = 0.95) -> tuple[float, float]:
    """Feldt, Woodruff & Salih (1987): 1 - (1 - alpha) F quantiles with (n-1, (n-1)(k-1)) df."""
    q = (1 - level) / 2
    f = stats.f(n - 1, (n - 1) * (k - 1))
    return 1 - (1 - alpha) * f.ppf(1 - q), 1 - (1 - alpha) * f.ppf(q)


# Four constructs with known population = sample covariance (block diagonal across constructs):
#   strong: 3 items loading 0.8 (alpha 0.842); mixed: 4 items, the last loading only 0.2 (alpha 0.688,
#   deleting the last item raises it to 0.794); pair: 2 items correlating 0.5 (alpha 0.667);
#   noise: 3 items loading 0.3 (alpha 0.229).
LOADINGS = {
    "strong": [0.8, 0.8, 0.8],
    "mixed": [0.8, 0.7, 0.75, 0.2],
    "pair": [math.sqrt(0.5), math.sqrt(0.5)],
    "noise": [0.3, 0.3, 0.3],
}
SDS = {"strong": 1.0, "mixed": 0.9, "pair": 1.2, "noise": 1.0}  # raw (not unit) variances
N_EXACT = 200


@pytest.fixture(scope="module")
def known(mini_codebook_dict):
    """(codebook, responses, per-construct covariance) with exact sample covariances."""
    cb = make_codebook(mini_codebook_dict, {c: len(v) for c, v in LOADINGS.items()})
    sig = {c: SDS[c] ** 2 * one_factor(v) for c, v in LOADINGS.items()}
    x = exact_sample(block_diag(*sig.values()), N_EXACT, seed=11)
    cols = [i for c in LOADINGS for i in cb.constructs[c].items]
    return cb, frame(cb, {c: x[:, j] for j, c in enumerate(cols)}), sig


def expected_status(a: float, ok: float, weak: float) -> str:
    return "ok" if a >= ok else "weak" if a >= weak else "failed"


# --------------------------------------------------------------------------------------------------
# 1. Scores
# --------------------------------------------------------------------------------------------------


def test_scores_are_means_of_reverse_keyed_items_when_enough_are_answered(mini):
    """Raw codes -> the clean stage's reverse keying (a2 is reverse: 6 - code) -> scores, by hand.

    alpha has 3 items and min_answered 0.66 (2 needed); beta has 2 items and min_answered 0.5 (1).
    """
    raw = frame(
        mini,
        {
            "a1": [5, 2, NAN, NAN, 1],
            "a2": [1, NAN, NAN, 2, 5],
            "a3": [4, 3, 4, NAN, 1],
            "b1": [1, NAN, NAN, 0, 1],
            "b2": [0, 1, NAN, NAN, 1],
        },
    )
    for c in ("a1", "a2", "a3", "b1", "b2"):
        raw[c] = raw[c].astype("Int64")
    out = score(reverse_key(raw, mini), mini)
    # row 0: keyed (5, 6-1, 4); row 1: (2, -, 3); row 2: one item; row 3: one item; row 4: (1, 6-5, 1)
    expected_alpha = [(5 + 5 + 4) / 3, (2 + 3) / 2, NAN, NAN, (1 + 1 + 1) / 3]
    np.testing.assert_allclose(out["alpha"].to_numpy(), expected_alpha, rtol=0, atol=1e-12)
    assert out["alpha__n_items"].tolist() == [3, 2, 1, 1, 3]
    np.testing.assert_allclose(out["beta"].to_numpy(), [0.5, 1.0, NAN, 0.0, 1.0], atol=1e-12)
    assert out["beta__n_items"].tolist() == [2, 1, 0, 1, 2]
    assert str(out["alpha__n_items"].dtype) == "int64"
    # identifiers, cluster and groups carried unchanged, in input order; no z-scores unless asked
    carried = ["pid", "site", "colour", "size"]
    assert list(out.columns) == [*carried, "alpha", "alpha__n_items", "beta", "beta__n_items"]
    pd.testing.assert_frame_equal(out[carried], raw[carried])


def test_scores_take_already_keyed_codes_as_they_are(mini):
    """The scales stage does not flip again: its input is the clean stage's keyed codes."""
    keyed = frame(mini, {"a1": [4], "a2": [2], "a3": [3], "b1": [1], "b2": [1]})
    assert score(keyed, mini)["alpha"].iloc[0] == pytest.approx(3.0)


@pytest.mark.parametrize(
    ("n_items", "share"),
    [(3, 0.66), (4, 0.66), (5, 0.66), (2, 0.5), (5, 0.6), (6, 0.3), (3, 1.0), (4, 0.1), (25, 0.28)],
)
def test_score_needs_ceil_share_times_items_answered(mini_codebook_dict, n_items, share):
    """Respondent j answers the first j items (coded 1..j, mean (j+1)/2). The minimum is
    ceil(share x n) computed exactly on the decimal share (0.28 x 25 is 7.000000000000001 in floats,
    yet 7 items are enough), and at least 1."""
    cb = make_codebook(mini_codebook_dict, {"c": n_items}, min_answered=share)
    need = max(1, math.ceil(Fraction(str(share)) * n_items))
    m = np.full((n_items + 1, n_items), NAN)
    for j in range(n_items + 1):
        m[j, :j] = np.arange(1, j + 1)
    out = score(frame(cb, {f"c_{i + 1}": m[:, i] for i in range(n_items)}), cb)
    assert out["c__n_items"].tolist() == list(range(n_items + 1))
    for j in range(n_items + 1):
        if j < need:
            assert math.isnan(out["c"].iloc[j]), (j, need)
        else:
            assert out["c"].iloc[j] == pytest.approx((j + 1) / 2), (j, need)


def test_standardised_scores_by_hand(mini):
    df = frame(
        mini,
        {
            "a1": [1, 2, 4, 5, NAN],
            "a2": [1, 2, 4, 5, NAN],
            "a3": [1, 5, 4, 2, 3],
            "b1": [1, 1, 1, 1, 1],
            "b2": [1, 1, 1, NAN, NAN],
        },
    )
    out = score(df, mini, standardise=True)
    raw = [1.0, 3.0, 4.0, 4.0]  # the scored rows of alpha (row 4 answered one item)
    mu, sd = statistics.mean(raw), statistics.stdev(raw)
    np.testing.assert_allclose(
        out["alpha__z"].to_numpy(), [(v - mu) / sd for v in raw] + [NAN], atol=1e-12
    )
    # beta's scores are all 1: no spread, so its z-scores are missing rather than 0/0
    assert out["beta"].tolist() == [1.0] * 5
    assert out["beta__z"].isna().all()


def test_standardise_setting_adds_z_columns(known):
    cb, df, _ = known
    off = run_scales(df, cb).scores
    on = run_scales(df, cb, settings=ScalesSettings.parse({"standardise": True})).scores
    assert not [c for c in off.columns if c.endswith("__z")]
    assert [c for c in on.columns if c.endswith("__z")] == [f"{c}__z" for c in LOADINGS]
    for c in LOADINGS:
        z = on[f"{c}__z"]
        assert z.mean() == pytest.approx(0, abs=1e-12)
        assert z.std(ddof=1) == pytest.approx(1, abs=1e-12)
        # z is an increasing linear function of the raw score
        assert np.corrcoef(z, on[c])[0, 1] == pytest.approx(1, abs=1e-12)


# --------------------------------------------------------------------------------------------------
# 2. Reliability table and item table
# --------------------------------------------------------------------------------------------------


def test_reliability_table_matches_closed_forms(known):
    cb, df, sig = known
    tab = reliability_table(df, cb).set_index("construct")
    assert list(tab.reset_index().columns) == RELIABILITY_COLUMNS
    assert list(tab.index) == list(LOADINGS)  # one row per construct, codebook order
    for c, s in sig.items():
        row = tab.loc[c]
        k = s.shape[0]
        a = alpha_of(s)
        rbar = mean_offdiag_r(s)
        assert row["n_items"] == k
        assert row["n_complete"] == N_EXACT and row["n_scored"] == N_EXACT
        assert row["alpha"] == pytest.approx(a, abs=1e-9)
        lo, hi = feldt(a, N_EXACT, k)
        assert row["alpha_ci_method"] == "feldt"
        assert (row["alpha_ci_low"], row["alpha_ci_high"]) == pytest.approx((lo, hi), abs=1e-9)
        assert row["average_r"] == pytest.approx(rbar, abs=1e-9)
        assert row["alpha_std"] == pytest.approx(k * rbar / (1 + (k - 1) * rbar), abs=1e-9)
        if k >= 3:
            lam = np.asarray(LOADINGS[c])
            omega = lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam**2).sum())
            assert row["omega_total"] == pytest.approx(omega, abs=1e-4)
        else:
            assert math.isnan(row["omega_total"])  # one factor on 2 items is not identified
        # the score is the item mean: its mean is the items' mean (3), its SD sqrt(1'S1)/k
        assert row["mean"] == pytest.approx(3.0, abs=1e-9)
        assert row["sd"] == pytest.approx(math.sqrt(s.sum()) / k, abs=1e-9)


@pytest.mark.parametrize(("ok", "weak"), [(0.70, 0.60), (0.65, 0.20), (0.90, 0.85), (0.30, 0.10)])
def test_status_follows_configurable_thresholds(known, ok, weak):
    cb, df, sig = known
    tab = reliability_table(
        df, cb, settings=ScalesSettings.parse({"thresholds": {"ok": ok, "weak": weak}})
    )
    got = dict(zip(tab["construct"], tab["status"], strict=True))
    assert got == {c: expected_status(alpha_of(s), ok, weak) for c, s in sig.items()}
    for rec in tab.itertuples(index=False):
        if rec.status == "weak":
            assert f"below the ok threshold {ok}" in rec.reason
        elif rec.status == "failed":
            assert f"below the weak threshold {weak}" in rec.reason
        else:
            assert rec.reason == ""


def test_bootstrap_ci_is_stated_seeded_and_order_free(known, mini_codebook_dict):
    cb, df, _ = known
    settings = ScalesSettings.parse({"alpha_ci": "bootstrap", "bootstrap_resamples": 200})
    a = reliability_table(df, cb, settings=settings, seed=7).set_index("construct")
    b = reliability_table(df, cb, settings=settings, seed=7).set_index("construct")
    f = reliability_table(df, cb).set_index("construct")
    assert (a["alpha_ci_method"] == "bootstrap").all()
    assert (a["alpha_ci_low"] < a["alpha"]).all() and (a["alpha"] < a["alpha_ci_high"]).all()
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["alpha_ci_low"], f["alpha_ci_low"])
    # each construct's resamples depend on the seed and its id, not its place in the codebook
    rev = make_codebook(mini_codebook_dict, {c: len(v) for c, v in reversed(LOADINGS.items())})
    r = reliability_table(df, rev, settings=settings, seed=7).set_index("construct")
    pd.testing.assert_frame_equal(
        r.loc[a.index, ["alpha_ci_low", "alpha_ci_high"]], a[["alpha_ci_low", "alpha_ci_high"]]
    )


def test_item_table_matches_closed_forms(known):
    cb, df, sig = known
    items = item_table(df, cb).set_index("item")
    assert list(items.reset_index().columns) == ITEM_COLUMNS
    assert list(items.index) == [i for c in LOADINGS for i in cb.constructs[c].items]
    for c, s in sig.items():
        k = s.shape[0]
        for j, iid in enumerate(cb.constructs[c].items):
            row = items.loc[iid]
            assert row["construct"] == c and row["n"] == N_EXACT and row["pct_missing"] == 0
            assert row["sd"] == pytest.approx(math.sqrt(s[j, j]), abs=1e-9)
            assert row["r_drop"] == pytest.approx(r_drop_of(s, j), abs=1e-9)
            if k > 2:
                rest = [i for i in range(k) if i != j]
                aid = alpha_of(s[np.ix_(rest, rest)])
                assert row["alpha_if_deleted"] == pytest.approx(aid, abs=1e-9)
                assert row["loading"] == pytest.approx(LOADINGS[c][j], abs=1e-4)
            else:
                assert math.isnan(row["alpha_if_deleted"]) and math.isnan(row["loading"])


@pytest.mark.parametrize("margin", [0.02, 0.10, 0.11, 0.5])
def test_alpha_if_deleted_flag_uses_the_margin(known, margin):
    """mixed_4 (loading 0.2) raises alpha by 0.105 when deleted: flagged at margins 0.02 and 0.10,
    not at 0.11 or 0.5; no other item raises alpha at all."""
    cb, df, sig = known
    items = item_table(
        df, cb, settings=ScalesSettings.parse({"alpha_if_deleted_margin": margin})
    ).set_index("item")
    s = sig["mixed"]
    gain = alpha_of(s[:3, :3]) - alpha_of(s)
    assert 0.10 < gain < 0.11
    expected = {i: False for i in items.index}
    expected["mixed_4"] = gain > margin
    assert items["flag_alpha_if_deleted"].to_dict() == expected
    note = items.loc["mixed_4", "note"]
    assert ("deleting it raises alpha" in note) == expected["mixed_4"]
    assert not items["flag_negative_r_drop"].any()


def reversed_trio(n: int = 300, seed: int = 3) -> pd.DataFrame:
    """Raw 1..5 codes of the mini codebook's alpha items (a2 worded the other way) with some missing
    answers, and 0/1 answers for beta."""
    rng = np.random.default_rng(seed)
    f = rng.standard_normal(n)
    keyed = {
        i: np.clip(np.round(3 + 1.1 * (0.8 * f + 0.6 * rng.standard_normal(n))), 1, 5)
        for i in ("a1", "a2", "a3")
    }
    raw = {"a1": keyed["a1"], "a2": 6 - keyed["a2"], "a3": keyed["a3"]}
    for i, share in (("a1", 0.05), ("a2", 0.10), ("a3", 0.08)):
        raw[i][rng.random(n) < share] = NAN
    g = 0.8 * f + 0.6 * rng.standard_normal(n)
    raw["b1"] = (g + 0.3 * rng.standard_normal(n) > 0).astype(float)
    raw["b2"] = (g + 0.3 * rng.standard_normal(n) > 0.2).astype(float)
    return pd.DataFrame(raw)


def test_forgotten_reverse_key_is_flagged(mini_codebook_dict):
    """c_2 is worded the other way; the codebook forgets ``reverse: true``: the clean stage does not flip
    it and the scales stage flags it (negative corrected item-total r, a note naming the codebook key).
    With 4 items only the forgotten item turns negative (with 3, the others' r_drop nears 0 too)."""
    right = make_codebook(mini_codebook_dict, {"c": 4}, reverse=("c_2",))
    forgot = make_codebook(mini_codebook_dict, {"c": 4})
    rng = np.random.default_rng(5)
    n = 300
    f = rng.standard_normal(n)
    raw = {}
    for j in range(1, 5):
        code = np.clip(np.round(3 + 1.1 * (0.8 * f + 0.6 * rng.standard_normal(n))), 1, 5)
        code[rng.random(n) < 0.06] = NAN
        raw[f"c_{j}"] = 6 - code if j == 2 else code
    df = frame(right, raw)

    good = run_scales(reverse_key(df, right), right)
    bad = run_scales(reverse_key(df, forgot), forgot)

    assert not good.items["flag_negative_r_drop"].any()
    items = bad.items.set_index("item")
    cc = df[[f"c_{j}" for j in range(1, 5)]].dropna()
    r = {i: np.corrcoef(cc[i], cc.drop(columns=i).sum(axis=1))[0, 1] for i in cc.columns}
    assert {i for i, v in r.items() if v < 0} == {"c_2"}
    assert items["flag_negative_r_drop"].to_dict() == {i: v < 0 for i, v in r.items()}
    assert items["r_drop"].to_dict() == pytest.approx(r, abs=1e-12)
    assert not items.loc["c_2", "reverse"]
    assert "items.c_2.reverse" in items.loc["c_2", "note"]
    rel_good = good.reliability.iloc[0]
    rel_bad = bad.reliability.iloc[0]
    assert rel_bad["n_complete"] == rel_good["n_complete"] == len(cc)
    assert rel_good["status"] == "ok" and rel_bad["status"] == "failed"


# --------------------------------------------------------------------------------------------------
# 3. The gate
# --------------------------------------------------------------------------------------------------


def test_gate_warn_keeps_failed_constructs_with_their_reason(known):
    cb, df, sig = known
    tab = reliability_table(df, cb, settings=ScalesSettings.parse({"gate": "warn"})).set_index(
        "construct"
    )
    assert tab["included"].all()
    assert tab.loc["noise", "status"] == "failed"
    assert tab.loc["noise", "reason"].endswith("kept with a warning (scales.gate = warn)")
    assert f"alpha {alpha_of(sig['noise']):.3f}" in tab.loc["noise", "reason"]
    assert excluded_constructs(tab.reset_index()) == {}


def test_gate_exclude_leaves_failed_constructs_out_downstream(known):
    cb, df, _ = known
    tab = reliability_table(df, cb, settings=ScalesSettings.parse({"gate": "exclude"}))
    t = tab.set_index("construct")
    assert t["included"].to_dict() == {c: c != "noise" for c in LOADINGS}
    reason = t.loc["noise", "reason"]
    assert "below the weak threshold 0.6" in reason and reason.endswith(
        "excluded (scales.gate = exclude)"
    )
    assert not t.drop(index="noise")["reason"].str.contains("excluded").any()
    # the analyses read the table: the failed construct is left out, with the reason
    out = excluded_constructs(tab)
    assert list(out) == ["noise"] and reason in out["noise"]


def test_gate_exclude_also_applies_to_constructs_that_cannot_be_judged(mini):
    df = frame(mini, reversed_trio().to_dict("list"))
    df = reverse_key(df, mini)
    df["b2"] = NAN  # nobody answered b2
    tab = reliability_table(
        df, mini, settings=ScalesSettings.parse({"gate": "exclude", "min_complete": 3})
    )
    t = tab.set_index("construct")
    assert t["included"].to_dict() == {"alpha": True, "beta": False}
    assert t.loc["beta", "reason"].startswith("item b2 has no answers")


def test_gate_error_stops_with_one_line_naming_the_construct(known):
    cb, df, sig = known
    with pytest.raises(SurveyError) as exc:
        run_scales(df, cb, settings=ScalesSettings.parse({"gate": "error"}))
    msg = str(exc.value)
    assert "\n" not in msg
    assert "construct 'noise' failed the reliability check" in msg
    assert f"alpha {alpha_of(sig['noise']):.3f} is below the weak threshold 0.6" in msg
    assert "scales.thresholds.weak" in msg and "scales.gate" in msg
    # several failed constructs: the first (codebook order) is named, the others counted
    failed = [c for c, s in sig.items() if alpha_of(s) < 0.7]
    assert len(failed) == 3
    with pytest.raises(SurveyError) as e2:
        run_scales(
            df,
            cb,
            settings=ScalesSettings.parse(
                {"gate": "error", "thresholds": {"ok": 0.8, "weak": 0.7}}
            ),
        )
    msg = str(e2.value)
    assert "\n" not in msg
    assert f"construct '{failed[0]}' failed" in msg and "(2 more failed construct(s)" in msg
    # nothing fails: the error gate lets the stage through
    ok = run_scales(
        df,
        cb,
        settings=ScalesSettings.parse({"gate": "error", "thresholds": {"ok": 0.2, "weak": 0.1}}),
    )
    assert ok.reliability["included"].all() and (ok.reliability["status"] == "ok").all()


def test_gate_and_settings_are_validated():
    tab = pd.DataFrame({"construct": ["x"], "status": ["ok"], "reason": [""], "included": [True]})
    with pytest.raises(ValueError, match="gate must be"):
        apply_gate(tab, gate="stop")
    with pytest.raises(SurveyError, match="scales"):
        ScalesSettings.parse({"gate": "stop"})
    with pytest.raises(SurveyError, match="weak must be the lower bound"):
        ScalesSettings.parse({"thresholds": {"ok": 0.5, "weak": 0.6}})
    s = ScalesSettings.parse({"thresholds": {"ok": 0.8}})
    assert (s.thresholds.ok, s.thresholds.weak, s.gate) == (0.8, 0.6, "warn")


# --------------------------------------------------------------------------------------------------
# 4. Edge cases through the stage function
# --------------------------------------------------------------------------------------------------


def trio(mini: Codebook, **override) -> pd.DataFrame:
    df = reverse_key(frame(mini, reversed_trio().to_dict("list")), mini)
    for c, v in override.items():
        df[c] = v
    return df


def test_constant_item(mini):
    df = trio(mini, a3=4.0)
    res = run_scales(df, mini, settings=ScalesSettings.parse({"min_complete": 3}))
    row = res.reliability.set_index("construct").loc["alpha"]
    assert row["status"] == "failed" and math.isnan(row["alpha"])
    assert row["reason"].startswith("item a3 has no variance")
    note = res.items.set_index("item").loc["a3", "note"]
    assert "no variance" in note
    # the scores are still the item means
    keyed = df[["a1", "a2", "a3"]]
    n = keyed.notna().sum(axis=1)
    expected = keyed.mean(axis=1).where(n >= 2)
    np.testing.assert_allclose(res.scores["alpha"], expected, atol=1e-12)
    assert res.reliability.set_index("construct").loc["beta", "status"] != "failed"


def test_all_missing_item(mini):
    df = trio(mini, a2=NAN)
    res = run_scales(df, mini, settings=ScalesSettings.parse({"min_complete": 3}))
    row = res.reliability.set_index("construct").loc["alpha"]
    assert row["status"] == "failed" and row["n_complete"] == 0
    assert row["reason"].startswith("item a2 has no answers")
    it = res.items.set_index("item").loc["a2"]
    assert it["n"] == 0 and it["pct_missing"] == 100.0 and "no answers" in it["note"]
    # a respondent needs 2 of 3 items: only those who answered both a1 and a3 are scored
    both = df["a1"].notna() & df["a3"].notna()
    assert res.scores["alpha"].notna().tolist() == both.tolist()
    np.testing.assert_allclose(
        res.scores.loc[both, "alpha"], (df.loc[both, "a1"] + df.loc[both, "a3"]) / 2, atol=1e-12
    )
    assert row["n_scored"] == int(both.sum())


def test_two_item_construct(mini):
    """beta (0/1 items): alpha = 4 cov / (v1 + v2 + 2 cov); no omega, loading or alpha if deleted."""
    df = trio(mini)
    res = run_scales(df, mini, settings=ScalesSettings.parse({"min_complete": 3}))
    b = df[["b1", "b2"]].dropna().to_numpy()
    c = np.cov(b, rowvar=False)
    a = 4 * c[0, 1] / (c[0, 0] + c[1, 1] + 2 * c[0, 1])
    r = np.corrcoef(b, rowvar=False)[0, 1]
    row = res.reliability.set_index("construct").loc["beta"]
    assert row["n_items"] == 2 and row["n_complete"] == len(b)
    assert row["alpha"] == pytest.approx(a, abs=1e-12)
    assert row["alpha_std"] == pytest.approx(2 * r / (1 + r), abs=1e-12)
    assert row["average_r"] == pytest.approx(r, abs=1e-12)
    assert math.isnan(row["omega_total"])
    items = res.items.set_index("item").loc[["b1", "b2"]]
    assert items["r_drop"].tolist() == pytest.approx([r, r], abs=1e-12)
    assert items["alpha_if_deleted"].isna().all() and items["loading"].isna().all()
    assert items["note"].str.contains("2-item construct").all()
    assert not items["flag_alpha_if_deleted"].any()


def test_single_respondent(mini):
    df = trio(mini).iloc[[0]]
    res = run_scales(df, mini)  # must not raise
    assert len(res.scores) == 1
    keyed = df[["a1", "a2", "a3"]].iloc[0]
    assert res.scores["alpha"].iloc[0] == pytest.approx(keyed.mean())
    rel = res.reliability.set_index("construct")
    assert (rel["status"] == "failed").all() and rel["included"].all()
    assert rel["reason"].str.contains(r"only [01] respondent\(s\) answered every item").all()
    assert rel["alpha"].isna().all() and rel["sd"].isna().all()
    assert res.items["sd"].isna().all() and res.items["r_drop"].isna().all()
    fit = res.cfa_fit.iloc[0]
    assert not fit["converged"] and fit["note"].startswith("not fitted")
    assert res.cfa_loadings["std_loading"].isna().all()
    assert res.counts() == {"ok": 0, "weak": 0, "failed": 2, "excluded": 0, "respondents": 1}
    # with the error gate, a single respondent stops the run with the reason
    with pytest.raises(SurveyError, match=r"construct 'alpha' failed .* scales.min_complete = 30"):
        run_scales(df, mini, settings=ScalesSettings.parse({"gate": "error"}))


def test_missing_item_column_is_a_one_line_error(mini):
    df = trio(mini).drop(columns=["a3"])
    with pytest.raises(SurveyError, match=r"column 'a3' \(item of construct 'alpha'") as exc:
        run_scales(df, mini)
    assert "\n" not in str(exc.value)


# --------------------------------------------------------------------------------------------------
# 5-6. End to end on a small synthetic study: ground-truth recovery, reruns, the gate in the workflow
# --------------------------------------------------------------------------------------------------

N_STUDY = 320  # raw rows of the small study (as in test_workflow.py); ~287 analysed
TARGETS = (
    "results/scales/reliability.parquet",
    "results/scales/cfa_loadings.parquet",  # rule cfa (issue 20: its own job)
    "results/scales/invariance.parquet",  # rule invariance
    "results/analyses/regressions.parquet",  # reads the scales outputs
    "results/analyses/agreement.parquet",  # reads only the clean responses
    "data/raw/truth.json",  # rule synthetic_truth (the generator's estimands, its own job)
)


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """One run of the workflow on the small synthetic study, up to scales and two analyses."""
    work = tmp_path_factory.mktemp("scales_study")
    write_config(work, n_respondents=N_STUDY)
    snakemake(work, *TARGETS)
    return work


@pytest.fixture(scope="module")
def truth(study) -> dict:
    return json.loads((study / "data/raw/truth.json").read_text(encoding="utf-8"))


@pytest.mark.slow
def test_stage_outputs_are_complete(study):
    cb = load_codebook(ROOT / "data" / "codebook.yaml")
    rel = pd.read_parquet(study / "results/scales/reliability.parquet")
    items = pd.read_parquet(study / "results/scales/item_stats.parquet")
    scores = pd.read_parquet(study / "results/scales/scores.parquet")
    clean = pd.read_parquet(study / "results/clean/responses.parquet")
    assert rel["construct"].tolist() == list(cb.constructs)
    assert items["item"].tolist() == [i for c in cb.constructs.values() for i in c.items]
    assert len(scores) == len(clean)
    for cid, con in cb.constructs.items():
        n = clean[list(con.items)].notna().sum(axis=1).to_numpy()
        assert scores[f"{cid}__n_items"].tolist() == n.tolist()
        assert scores[cid].notna().tolist() == (n >= con.min_items()).tolist()
        assert rel.set_index("construct").loc[cid, "n_scored"] == int((n >= con.min_items()).sum())
    log = (study / "results/logs/scales.log").read_text(encoding="utf-8")
    assert "constructs:" in log
    assert "CFA (fiml)" in (study / "results/logs/cfa.log").read_text(encoding="utf-8")
    # ordinal reliability beside the Pearson one: polychorics are higher for coarse items
    ok = rel.dropna(subset=["alpha", "ordinal_alpha"])
    assert len(ok) and (ok["ordinal_alpha"] >= ok["alpha"] - 0.01).all()
    # invariance: every construct x compared group, its levels in order or a reason
    inv = pd.read_parquet(study / "results/scales/invariance.parquet")
    pairs = inv.groupby(["construct_set", "group_variable"], sort=False)
    assert pairs.ngroups == len(cb.constructs) * len(cb.compared_groups())
    for (_, _), t in pairs:
        levels = t["level"].tolist()
        assert levels in (
            ["not_tested"],
            ["configural", "metric", "scalar", "strict"],
            ["configural", "metric", "scalar", "partial_scalar", "strict"],
        )
    assert "invariance:" in (study / "results/logs/invariance.log").read_text(encoding="utf-8")


@pytest.mark.slow
def test_alpha_recovers_the_population_reliability(study, truth):
    """``truth.json`` ``estimands.alpha``: alpha on the listwise-complete rows of a 200,000-respondent
    Monte Carlo draw of the generator, the value the sample alpha estimates (the latent loadings alone
    would ignore the coarse 4-5 point coding).

    Measured by running the same stage functions on seeds 1-40 at this size (38 seeds; seeds 13 and
    38 stop in deidentify, see the commit message): the 95% Feldt interval covered the population
    alpha in 363 of 380 construct x seed cases (95.5%, as nominal); all ten constructs were covered
    for 25 of 38 seeds (0.95^10 = 0.60 expected), at least nine for 34, at least eight for all 38;
    the 99.9% interval covered all 140 cases of the 14 seeds where it was computed. At the configured
    seed nine of ten are covered: community_voice (about 55 complete respondents: its "how much"
    items are shown to a third of the sample) has alpha 0.658 for a population 0.796, above its upper
    limit 0.787. Hence: at least 8 of 10 inside their 95% interval (1.2% chance to fail at nominal
    coverage) and every one inside its 99.9% interval (a wrong item or key falls far outside).
    """
    rel = pd.read_parquet(study / "results/scales/reliability.parquet").set_index("construct")
    pop = pd.Series(truth["estimands"]["alpha"])
    assert set(pop.index) == set(rel.index)
    pop = pop[rel.index]
    assert rel["alpha"].notna().all() and (rel["n_complete"] >= 30).all()
    assert (rel["alpha_ci_method"] == "feldt").all()
    covered = (rel["alpha_ci_low"] <= pop) & (pop <= rel["alpha_ci_high"])
    table = rel.assign(population=pop)[["alpha", "alpha_ci_low", "alpha_ci_high", "population"]]
    assert covered.sum() >= 8, table
    for cid, row in rel.iterrows():
        lo, hi = feldt(row["alpha"], int(row["n_complete"]), int(row["n_items"]), level=0.999)
        assert lo <= pop[cid] <= hi, (cid, row["alpha"], pop[cid], lo, hi)


@pytest.mark.slow
def test_cfa_loadings_recover_the_population_loadings(study, truth):
    """Population standardised loadings: the same CFA (FIML) fitted to 200,000 respondents drawn
    from the generator with this run's realised thresholds and MSC effects
    (``tests/synthetic_population.py``; the latent item loadings are 0.00-0.06 lower than what a CFA
    of coarse codes converges to).

    Measured (seeds 1-40 at this size, 38 runs): the nominal 95% delta-method intervals of the 36
    loadings covered the population value in 1228 of 1368 cases (89.8%, below nominal); per seed
    from 26 to 36 of 36, at least 90% (33) for only 19 of 38 seeds, at least 80% (29) for 37. On 14
    of those seeds (504 loadings) (estimate - population) / se has mean 0.10 and SD 1.16: the
    shortfall is the normal-theory standard errors (coarse, skewed items; respondents clustered in
    MSCs), not bias, and |z| reached 4.6. At the configured seed 34 of 36 are covered (tr1 and cv4
    are not), max |z| 2.3. Hence: every loading positive (reverse-worded items keyed) and at least 80%
    of them covered.
    """
    from synthetic_population import population_cfa_loadings

    cb = load_codebook(ROOT / "data" / "codebook.yaml")
    pop = population_cfa_loadings(truth, cb, str(ROOT / "data" / "synthetic" / "model.yaml"))
    lo = pd.read_parquet(study / "results/scales/cfa_loadings.parquet").set_index("item")
    assert set(pop.index) == set(lo.index)
    pop = pop[lo.index]
    fit = pd.read_parquet(study / "results/scales/cfa_fit.parquet").iloc[0]
    assert fit["converged"] and fit["method"] == "fiml"
    assert list(lo.index) == list(cb.items) and lo["std_loading"].notna().all()
    assert (lo["std_loading"] > 0).all()  # reverse-worded items were keyed by the clean stage
    covered = (lo["std_ci_low"] <= pop) & (pop <= lo["std_ci_high"])
    table = lo.assign(population=pop)[["std_loading", "std_ci_low", "std_ci_high", "population"]]
    assert covered.mean() >= 0.80, table


@pytest.mark.slow
def test_threshold_change_reruns_scales_and_its_dependants_only(study):
    cfg = study / "config" / "config.yaml"
    original = cfg.read_text(encoding="utf-8")
    assert planned_jobs(study, *TARGETS) == set()
    try:
        write_config(study, n_respondents=N_STUDY, scales__thresholds={"ok": 0.8, "weak": 0.65})
        assert planned_jobs(study, *TARGETS) == {"scales", "regressions"}
    finally:
        cfg.write_text(original, encoding="utf-8")
    assert planned_jobs(study, *TARGETS) == set()


@pytest.mark.slow
def test_error_gate_stops_the_workflow_with_one_line(study, tmp_path):
    """In a copy of the study (times preserved, so only scales reruns): every construct fails an
    impossible threshold; the rule stops with one ``error:`` line naming the first construct."""
    work = tmp_path / "copy"
    shutil.copytree(study, work, symlinks=True)
    write_config(
        work,
        n_respondents=N_STUDY,
        scales__gate="error",
        scales__thresholds={"ok": 0.99, "weak": 0.99},
    )
    first = load_codebook(ROOT / "data" / "codebook.yaml").constructs
    first = next(iter(first))
    proc = snakemake(work, TARGETS[0], check=False)
    assert proc.returncode != 0
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1, proc.stderr[-3000:]
    assert f"construct '{first}' failed the reliability check" in errors[0]
    assert "below the weak threshold 0.99" in errors[0] and "scales.gate" in errors[0]
    assert "Traceback" not in proc.stderr
    assert not (work / "results/scales/reliability.parquet").exists()  # no stale or partial table


def test_each_scales_job_reads_only_its_own_settings(mini_codebook_dict):
    """The three jobs (issue 20: rules scales, cfa, invariance) give the same tables when every key
    outside their ``ScalesSettings.JOB_KEYS`` changes, and the keys together are all of the block;
    so a rule that passes only its own keys as params computes what one ``run_scales`` call does."""
    assert set().union(*ScalesSettings.JOB_KEYS.values()) == {
        f.name for f in dataclasses.fields(ScalesSettings)
    }
    cb = make_codebook(mini_codebook_dict, {"x": 4, "y": 3})
    rng = np.random.default_rng(7)
    n = 240
    f = rng.multivariate_normal([0, 0], [[1, 0.4], [0.4, 1]], n)
    items = {
        f"{cid}_{j}": np.searchsorted(
            [-1.5, -0.6, 0.3, 1.1], 0.7 * f[:, k] + 0.7 * rng.standard_normal(n)
        )
        + 1.0
        for k, (cid, m) in enumerate({"x": 4, "y": 3}.items())
        for j in range(1, m + 1)
    }
    df = frame(cb, items)
    df.iloc[::7, 3] = np.nan  # a few missing answers, so FIML and listwise differ
    every = {  # a non-default value of every key
        "standardise": True,
        "alpha_ci": "bootstrap",
        "bootstrap_resamples": 200,
        "thresholds": {"ok": 0.9, "weak": 0.8},
        "alpha_if_deleted_margin": 0.05,
        "gate": "exclude",
        "min_complete": 50,
        "omega": "ml",
        "cfa_missing": "listwise",
        "cfa_max_n": 200,
        "invariance_min_group_n": 40,
    }
    full = ScalesSettings.parse(every)
    whole = run_scales(df, cb, settings=full, seed=3)
    for job, keys in ScalesSettings.JOB_KEYS.items():
        own = ScalesSettings.parse(full.for_job(job))
        assert set(full.for_job(job)) == set(keys)
        if job == "scales":
            part = run_scores(df, cb, settings=own, seed=3)
            pd.testing.assert_frame_equal(part.scores, whole.scores)
            pd.testing.assert_frame_equal(part.reliability, whole.reliability)
            pd.testing.assert_frame_equal(part.items, whole.items)
        elif job == "cfa":
            fit, loadings = run_cfa(df, cb, settings=own, seed=3)
            pd.testing.assert_frame_equal(fit, whole.cfa_fit)
            pd.testing.assert_frame_equal(loadings, whole.cfa_loadings)
        else:
            inv = invariance_table(df, cb, settings=own, seed=3)
            pd.testing.assert_frame_equal(inv, whole.invariance)
    # and the keys matter: the defaults give other tables than ``every`` for each job
    default = run_scales(df, cb, seed=3)
    assert not default.reliability.equals(whole.reliability)
    assert not default.cfa_fit.equals(whole.cfa_fit)
    assert not default.invariance.equals(whole.invariance)


def test_invariance_ordinal_and_wlsmv_tables(mini_codebook_dict):
    """run_scales adds invariance.parquet (each construct x compared group), ordinal alpha/omega and,
    with >= 200 complete respondents, a WLSMV row in cfa_fit; a 2-item construct is not tested."""
    cb = make_codebook(mini_codebook_dict, {"x": 4, "y": 3, "z": 2})
    rng = np.random.default_rng(4)
    n = 600
    f = rng.multivariate_normal([0, 0, 0], [[1, 0.4, 0.3], [0.4, 1, 0.3], [0.3, 0.3, 1]], n)
    cuts = [-1.5, -0.6, 0.3, 1.1]
    items = {}
    for k, (cid, m) in enumerate({"x": 4, "y": 3, "z": 2}.items()):
        for j in range(1, m + 1):
            xs = 0.75 * f[:, k] + np.sqrt(1 - 0.75**2) * rng.standard_normal(n)
            items[f"{cid}_{j}"] = np.searchsorted(cuts, xs) + 1
    res = run_scales(frame(cb, items), cb, settings=ScalesSettings.parse({"gate": "warn"}), seed=1)
    rel = res.reliability.set_index("construct")
    assert (rel.loc[["x", "y", "z"], "ordinal_alpha"] > rel.loc[["x", "y", "z"], "alpha"]).all()
    assert rel.loc[["x", "y"], "ordinal_omega"].notna().all() and pd.isna(
        rel.loc["z", "ordinal_omega"]
    )
    inv = res.invariance
    assert inv.groupby(["construct_set", "group_variable"]).ngroups == 3  # colour only is compared
    z = inv[inv["construct_set"] == "z"]
    assert z["level"].tolist() == ["not_tested"] and "needs 3" in z["note"].iloc[0]
    x = inv[inv["construct_set"] == "x"].set_index("level")
    assert x.loc["scalar", "n_groups"] == 3 and bool(
        x.loc["scalar", "holds"]
    )  # invariant by design
    fit = res.cfa_fit.set_index("method")
    assert list(fit.index) == ["fiml", "wlsmv"]
    assert fit.loc["wlsmv", "n"] == n and fit.loc["wlsmv", "df"] == 9 * 8 // 2 - (6 + 6)
    assert 0.9 < fit.loc["wlsmv", "cfi"] <= 1.0
