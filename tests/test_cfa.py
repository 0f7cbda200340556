"""CFA against lavaan 0.6-14 (Holzinger-Swineford, bfi five factors), semopy 2.3.11 (ML and FIML), the
fit-index formulas, the <3-item rule and standardised loadings on data with known loadings.

Reference values: ``tests/data/reference/psych_lavaan_reference.json`` from ``tests/data/reference/ref.R``
(R 4.2.2, lavaan 0.6-14: ``cfa(model, data, estimator = "ML")``, listwise, marker identification;
``fitMeasures(fit, c("chisq", "df", "cfi", "tli", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper",
"srmr", "ntotal"))``). Required: 2 decimals; the tests also hold chi-square to 1e-6 relative.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mscsurvey.stats import cfa

REF_DIR = Path(__file__).resolve().parent / "data" / "reference"
# lavaan's fit indices, printed to 8 decimals, agree to the rounding (measured ≤ 4.5e-9); its
# chi-square to 1.1e-10 relative (4.4e-7 on 4165).
FIT_TOL = 1e-8
CHI2_REL = 1e-8
HS_MODEL = {
    "visual": ["x1", "x2", "x3"],
    "textual": ["x4", "x5", "x6"],
    "speed": ["x7", "x8", "x9"],
}
BFI_MODEL = {
    c: [f"{c[0].upper()}{i}" for i in range(1, 6)]
    for c in ["agreeableness", "conscientiousness", "extraversion", "neuroticism", "openness"]
}
FIT_KEYS = [
    ("chisq", "chi2"),
    ("df", "df"),
    ("cfi", "cfi"),
    ("tli", "tli"),
    ("rmsea", "rmsea"),
    ("rmsea.ci.lower", "rmsea_ci_low"),
    ("rmsea.ci.upper", "rmsea_ci_high"),
    ("srmr", "srmr"),
    ("ntotal", "n"),
]


@pytest.fixture(scope="module")
def ref() -> dict:
    return json.loads((REF_DIR / "psych_lavaan_reference.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def hs() -> pd.DataFrame:
    return pd.read_csv(REF_DIR / "holzinger_swineford_1939.csv")


@pytest.fixture(scope="module")
def bfi() -> pd.DataFrame:
    df = pd.read_csv(REF_DIR / "bfi.csv")
    for v in ["A1", "C4", "C5", "E1", "E2", "O2", "O5"]:
        df[v] = 7 - df[v]
    return df


def check_fit(fit: pd.Series, expected: dict, *, srmr: bool = True) -> None:
    for rkey, key in FIT_KEYS:
        if key == "srmr" and not srmr:
            continue
        if key == "chi2":
            assert float(fit[key]) == pytest.approx(expected[rkey], rel=CHI2_REL)
        else:
            assert abs(float(fit[key]) - float(expected[rkey])) < FIT_TOL, key


# --------------------------------------------------------------------------------------------------
# lavaan 0.6-14
# --------------------------------------------------------------------------------------------------


def test_holzinger_swineford_listwise_matches_lavaan(hs, ref):
    """lavaan 0.6-14 cfa(HS.model, HolzingerSwineford1939) fit measures."""
    res = cfa.fit_cfa(hs, HS_MODEL, method="listwise")
    fit = res.fit.iloc[0]
    check_fit(fit, ref["holzinger_swineford_cfa_fit"])
    assert fit["method"] == "listwise" and fit["information"] == "expected"
    assert bool(fit["converged"]) and fit["note"] == ""


def test_bfi_five_factor_listwise_matches_lavaan(bfi, ref):
    """lavaan 0.6-14 cfa(five-factor bfi, missing = "listwise") fit measures (2436 complete rows)."""
    res = cfa.fit_cfa(bfi, BFI_MODEL, method="listwise")
    check_fit(res.fit.iloc[0], ref["bfi_cfa_fit"])
    assert res.fit.iloc[0]["n_complete"] == 2436


@pytest.mark.parametrize("data", ["hs", "bfi"])
def test_fiml_on_complete_rows_is_ml(data, hs, bfi, ref):
    """On complete data FIML is ML: the same chi-square, df, CFI, TLI, RMSEA as lavaan 0.6-14. SRMR
    then includes the (zero) mean residuals, as lavaan's srmr does with a mean structure:
    srmr_fiml = srmr_listwise * sqrt(p(p+1)/2 / (p(p+1)/2 + p))."""
    df, model, expected = (
        (hs, HS_MODEL, ref["holzinger_swineford_cfa_fit"])
        if data == "hs"
        else (bfi, BFI_MODEL, ref["bfi_cfa_fit"])
    )
    items = [i for its in model.values() for i in its]
    res = cfa.fit_cfa(df[items].dropna(), model, method="fiml")
    fit = res.fit.iloc[0]
    check_fit(fit, expected, srmr=False)
    p = len(items)
    nv = p * (p + 1) / 2
    assert fit["srmr"] == pytest.approx(expected["srmr"] * math.sqrt(nv / (nv + p)), abs=FIT_TOL)
    assert fit["information"] == "observed"


def test_listwise_and_fiml_estimates_agree_on_complete_data(hs):
    a = cfa.fit_cfa(hs, HS_MODEL, method="listwise").loadings
    b = cfa.fit_cfa(hs, HS_MODEL, method="fiml").loadings
    np.testing.assert_allclose(a["estimate"], b["estimate"], atol=1e-5)
    np.testing.assert_allclose(a["std_loading"], b["std_loading"], atol=1e-5)


def test_fiml_standard_errors_are_observed_information_ones(hs):
    """On complete data FIML's SEs come from the observed information, listwise ones from the
    expected information (as lavaan's defaults). They differ most where the model misfits (speed:
    x9 has a known cross-loading), up to ~30%. Reference: semopy 2.3.11 on the same data,
    ``Model(HS).fit(data).inspect(information="observed" | "expected")``, free loadings x2 x3 x5 x6
    x8 x9."""
    free = ["x2", "x3", "x5", "x6", "x8", "x9"]
    observed = [0.109348, 0.117414, 0.064981, 0.056189, 0.150274, 0.195550]
    expected = [0.099727, 0.109180, 0.065392, 0.055425, 0.165045, 0.151354]
    fiml = cfa.fit_cfa(hs, HS_MODEL, method="fiml").loadings.set_index("item").loc[free, "se"]
    listwise = cfa.fit_cfa(hs, HS_MODEL, method="listwise").loadings.set_index("item")
    # semopy's optimum differs from ours in the 4th digit (0.5544 vs 0.5535): SEs to 1%
    np.testing.assert_allclose(fiml, observed, rtol=0.01)
    np.testing.assert_allclose(listwise.loc[free, "se"], expected, rtol=0.01)


def test_holzinger_swineford_z_values_match_lavaan_output(hs):
    """Wald z of the free loadings in lavaan 0.6-14's summary(cfa(HS.model, HolzingerSwineford1939))
    (expected information), as printed in lavaan's tutorial: 5.554 6.685 17.014 16.703 7.152 7.155."""
    lo = cfa.fit_cfa(hs, HS_MODEL, method="listwise").loadings.set_index("item")
    z = lo.loc[["x2", "x3", "x5", "x6", "x8", "x9"], "z"].to_numpy()
    # printed to 3 decimals: agree to half a unit of the last (measured 4.8e-4)
    np.testing.assert_allclose(z, [5.554, 6.685, 17.014, 16.703, 7.152, 7.155], atol=5e-4)
    assert lo.loc["x1", "marker"] and np.isnan(lo.loc["x1", "se"])


def test_bfi_fiml_with_missing_versus_listwise(bfi, ref):
    """All 2800 rows by FIML vs the 2436 complete rows: the measured agreement (recorded in the
    report). Loadings within 0.03, fit indices within 0.02; FIML runs in well under 10 s."""
    t0 = time.perf_counter()
    full = cfa.fit_cfa(bfi, BFI_MODEL, method="fiml")
    seconds = time.perf_counter() - t0
    lw = cfa.fit_cfa(bfi, BFI_MODEL, method="listwise")
    f, g = full.fit.iloc[0], lw.fit.iloc[0]
    assert f["n"] == 2800 and f["n_complete"] == 2436 and f["method"] == "fiml"
    for key in ("cfi", "tli", "rmsea"):
        assert abs(f[key] - g[key]) < 0.02, key
    diff = (full.loadings["std_loading"] - lw.loadings["std_loading"]).abs()
    assert diff.max() < 0.03
    assert seconds < 10


# --------------------------------------------------------------------------------------------------
# semopy 2.3.11 FIML on data with missing values
# --------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_fiml_matches_semopy_fiml_with_missing_values(hs):
    """semopy 2.3.11 ModelMeans(...).fit(obj="ML") (FIML) on Holzinger-Swineford with 15% of values
    missing completely at random: same -2 log-likelihood and loadings (semopy takes ~8 s, ours ~0.2 s;
    on the 36-item study semopy's FIML took 56 minutes and degenerated, hence our own engine)."""
    import semopy

    x = hs[[i for its in HS_MODEL.values() for i in its]].copy()
    x = x.mask(np.random.default_rng(5).random(x.shape) < 0.15)
    ours = cfa.fit_cfa(x, HS_MODEL, method="fiml")
    sm = semopy.ModelMeans(cfa.cfa_model(HS_MODEL).description())
    res = sm.fit(x, obj="ML")
    est = sm.inspect()
    sem = est[(est["op"] == "~") & est["rval"].isin(HS_MODEL)].set_index("lval")["Estimate"]
    lo = ours.loadings.set_index("item")["estimate"]
    np.testing.assert_allclose(lo[sem.index].to_numpy(), sem.to_numpy(dtype=float), atol=1e-3)
    lay = cfa._layout(ours.model)
    groups = cfa._patterns(x.to_numpy(dtype=float))
    p = ours.params
    v = lay.pack(p["lambda"], p["phi"], p["theta"], p["mu"])
    assert cfa._objective(v, lay, groups, grad=False) == pytest.approx(res.fun, abs=1e-3)


# --------------------------------------------------------------------------------------------------
# Formulas and helpers
# --------------------------------------------------------------------------------------------------


def test_fit_index_formulas():
    assert cfa.rmsea(85.30552177, 24, 301) == pytest.approx(0.09212148, abs=1e-8)
    assert cfa.rmsea(10.0, 24, 301) == 0.0
    low, high = cfa.rmsea_ci(10.0, 24, 301)
    assert low == 0.0 and high == 0.0  # chi2 far below df: both bounds at 0
    low, high = cfa.rmsea_ci(30.0, 24, 301)
    assert low == 0.0 < high
    assert cfa.cfi(20.0, 24, 900.0, 36) == 1.0
    assert cfa.cfi(85.0, 24, 919.0, 36) == pytest.approx(1 - 61 / 883)
    assert cfa.tli(85.0, 24, 919.0, 36) == pytest.approx((919 / 36 - 85 / 24) / (919 / 36 - 1))
    s = np.array([[1.0, 0.5], [0.5, 1.0]])
    assert cfa.srmr(s, s) == 0.0
    assert cfa.srmr(s, np.array([[1.0, 0.2], [0.2, 1.0]])) == pytest.approx(math.sqrt(0.09 / 3))


def test_saturated_moments_complete_and_missing():
    rng = np.random.default_rng(1)
    x = rng.multivariate_normal([0, 1, 2], [[1, 0.5, 0.3], [0.5, 1, 0.4], [0.3, 0.4, 1]], 4000)
    mu, sig, it = cfa.saturated_moments(x)
    np.testing.assert_allclose(mu, x.mean(axis=0))
    np.testing.assert_allclose(sig, np.cov(x, rowvar=False, ddof=0), atol=1e-12)
    xm = x.copy()
    xm[rng.random(4000) < 0.4, 2] = np.nan  # MCAR
    mu2, sig2, _ = cfa.saturated_moments(xm)
    np.testing.assert_allclose(mu2, mu, atol=0.05)
    np.testing.assert_allclose(sig2, sig, atol=0.05)


# --------------------------------------------------------------------------------------------------
# Standardised loadings on data with known loadings
# --------------------------------------------------------------------------------------------------


def simulate(n: int, loadings: dict[str, list[float]], phi: float = 0.4, seed: int = 0):
    rng = np.random.default_rng(seed)
    m = len(loadings)
    cov = np.full((m, m), phi) + np.eye(m) * (1 - phi)
    f = rng.multivariate_normal(np.zeros(m), cov, n)
    cols = {}
    for k, (name, lams) in enumerate(loadings.items()):
        for j, lam in enumerate(lams):
            cols[f"{name}{j + 1}"] = 2 + 1.5 * (
                lam * f[:, k] + math.sqrt(1 - lam**2) * rng.standard_normal(n)
            )
    model = {name: [f"{name}{j + 1}" for j in range(len(lams))] for name, lams in loadings.items()}
    return pd.DataFrame(cols), model


LOADINGS = {"a": [0.8, 0.7, 0.6, 0.5], "b": [0.75, 0.65, 0.55], "c": [0.7, 0.6]}


def test_standardised_loadings_recovered_with_missing_values():
    df, model = simulate(3000, LOADINGS, seed=2)
    rng = np.random.default_rng(3)
    df = df.mask(rng.random(df.shape) < 0.2)
    res = cfa.fit_cfa(df, model)
    lo = res.loadings.set_index("item")
    truth = pd.Series(
        {f"{k}{j + 1}": v for k, lams in LOADINGS.items() for j, v in enumerate(lams)}
    )
    err = (lo["std_loading"] - truth).abs()
    assert (err < 4 * lo["std_se"]).all()
    covered = ((lo["std_ci_low"] <= truth) & (truth <= lo["std_ci_high"])).mean()
    assert covered >= 0.75
    assert lo.loc["c1", "note"].startswith("2-item factor")
    assert res.fit.iloc[0]["p_value"] > 0.001  # the model is true


def test_standardised_se_calibrated_over_replications():
    """Across 40 replications (n = 400, 20% MCAR) the delta-method SE of a standardised loading is
    close to the estimates' spread (within 25%), and 95% intervals cover about 95%."""
    est, ses, cover = [], [], []
    for r in range(40):
        df, model = simulate(400, {"a": [0.8, 0.7, 0.6], "b": [0.7, 0.6, 0.5]}, seed=100 + r)
        df = df.mask(np.random.default_rng(r).random(df.shape) < 0.2)
        lo = cfa.fit_cfa(df, model).loadings.set_index("item")
        est.append(lo.loc["a2", "std_loading"])
        ses.append(lo.loc["a2", "std_se"])
        cover.append(lo.loc["a2", "std_ci_low"] <= 0.7 <= lo.loc["a2", "std_ci_high"])
    assert np.mean(ses) == pytest.approx(np.std(est, ddof=1), rel=0.25)
    assert np.mean(cover) >= 0.85


# --------------------------------------------------------------------------------------------------
# The <3-item rule, left-out items, errors
# --------------------------------------------------------------------------------------------------


def test_two_item_factor_kept_with_others_and_single_item_left_out():
    df, _ = simulate(500, {"a": [0.8, 0.7, 0.6], "c": [0.7, 0.6], "s": [0.7]}, seed=4)
    model = {"a": ["a1", "a2", "a3"], "c": ["c1", "c2"], "s": ["s1"]}
    res = cfa.fit_cfa(df, model)
    lo = res.loadings.set_index("item")
    assert list(lo.index) == ["a1", "a2", "a3", "c1", "c2", "s1"]
    assert np.isfinite(lo.loc["c2", "std_loading"])
    assert "two-indicator rule" in lo.loc["c1", "note"]
    assert np.isnan(lo.loc["s1", "std_loading"])
    assert lo.loc["s1", "note"] == "left out: single-item construct (no measurement model)"
    fit = res.fit.iloc[0]
    assert fit["n_factors"] == 2 and fit["n_items"] == 5
    assert "left out: s1" in fit["note"]


def test_two_item_factor_alone_is_not_identified():
    df, _ = simulate(200, {"c": [0.7, 0.6]}, seed=5)
    m = cfa.cfa_model({"c": ["c1", "c2"]}, df)
    assert m.factors == {}
    assert "not identified" in m.notes["c1"]
    with pytest.raises(ValueError, match="no construct has enough usable items"):
        cfa.fit_cfa(df, {"c": ["c1", "c2"]})


def test_constant_and_empty_items_are_left_out():
    df, model = simulate(300, {"a": [0.8, 0.7, 0.6, 0.5], "b": [0.7, 0.6, 0.5]}, seed=6)
    df["a4"] = 3.0
    df["b3"] = np.nan
    res = cfa.fit_cfa(df, model)
    lo = res.loadings.set_index("item")
    assert lo.loc["a4", "note"].startswith("left out: no variance")
    assert lo.loc["b3", "note"] == "left out: 0 answer(s) (need 3)"
    assert "two-indicator" in lo.loc["b1", "note"]  # b lost an item: now a 2-item factor
    assert bool(res.fit.iloc[0]["converged"])


def test_forgotten_reverse_item_loads_negatively():
    df, model = simulate(800, {"a": [0.8, 0.7, 0.6, 0.6], "b": [0.7, 0.6, 0.5]}, seed=7)
    df["a4"] = 10 - df["a4"]
    lo = cfa.fit_cfa(df, model).loadings.set_index("item")
    assert lo.loc["a4", "std_loading"] < -0.4
    assert lo.loc["a4", "std_ci_high"] < 0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"method": "pairwise"}, "method must be 'fiml' or 'listwise'"),
        ({"information": "sandwich"}, "information must be"),
        ({"ci": 95}, "ci must be strictly between 0 and 1"),
    ],
)
def test_bad_arguments(kwargs, match):
    df, model = simulate(100, {"a": [0.8, 0.7, 0.6]})
    with pytest.raises(ValueError, match=match):
        cfa.fit_cfa(df, model, **kwargs)


def test_bad_inputs():
    df, model = simulate(100, {"a": [0.8, 0.7, 0.6]})
    with pytest.raises(ValueError, match="item 'zz', which is not a column"):
        cfa.fit_cfa(df, {"a": ["a1", "a2", "zz"]})
    with pytest.raises(ValueError, match="lists item 'a1' twice"):
        cfa.fit_cfa(df, {"a": ["a1", "a2", "a3"], "b": ["a1"]})
    with pytest.raises(ValueError, match="constructs must name"):
        cfa.fit_cfa(df, {})
    df2 = df.astype({"a1": str})
    with pytest.raises(ValueError, match="column 'a1' is not numeric"):
        cfa.fit_cfa(df2, model)
    with pytest.raises(ValueError, match="too few"):
        cfa.fit_cfa(df.iloc[:3], model, method="listwise")
