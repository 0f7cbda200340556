"""Polychoric correlations, thresholds and ordinal alpha/omega against psych 2.2.9 on bfi agreeableness
(``tests/data/reference/sensitivity_reference.json``, made by ``ref_sensitivity.R``: A1 reversed as
7 - x, complete rows, ``psych::polychoric`` defaults), the bivariate normal CDF against scipy, and recovery
of a known latent correlation from simulated ordinal data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mscsurvey.stats import polychoric as pc
from mscsurvey.stats.reliability import cronbach_alpha

REF_DIR = Path(__file__).resolve().parent / "data" / "reference"


@pytest.fixture(scope="module")
def ref() -> dict:
    data = json.loads((REF_DIR / "sensitivity_reference.json").read_text(encoding="utf-8"))
    return data["ordinal_bfi"]["agreeableness"]


@pytest.fixture(scope="module")
def agree() -> pd.DataFrame:
    df = pd.read_csv(REF_DIR / "bfi.csv")[["A1", "A2", "A3", "A4", "A5"]]
    df["A1"] = 7 - df["A1"]
    return df  # with its missing values: the functions drop them listwise


def test_polychoric_matches_psych(agree, ref):
    res = pc.polychoric(agree)
    assert res.n == ref["n"]
    # psych optimises each pair's rho numerically: agreement 1.8e-5 (measured); thresholds are closed form
    np.testing.assert_allclose(res.rho.to_numpy(), np.array(ref["polychoric_rho"]), atol=3e-5)
    for j, item in enumerate(ref["items"]):
        np.testing.assert_allclose(res.thresholds[item], ref["thresholds"][j], atol=1e-8)


def test_ordinal_alpha_matches_psych(agree, ref):
    # from the polychoric matrix above: agreement 3.4e-6 (measured)
    assert pc.ordinal_alpha(agree) == pytest.approx(ref["ordinal_alpha"], abs=1e-5)
    # and the Pearson alpha of the same rows is psych's raw alpha, lower than the ordinal one
    assert float(cronbach_alpha(agree)["alpha"].iloc[0]) == pytest.approx(
        ref["pearson_alpha"], abs=1e-10
    )


def test_ordinal_omega_closed_form_on_one_factor_data():
    # ordinal data from an exact one-factor model with standardised loadings l: the polychoric matrix
    # estimates l l' off the diagonal, so ordinal omega estimates (sum l)^2 / ((sum l)^2 + sum(1 - l^2))
    lam = np.array([0.8, 0.7, 0.6, 0.5])
    rng = np.random.default_rng(3)
    f = rng.standard_normal(30_000)
    z = f[:, None] * lam + rng.standard_normal((30_000, 4)) * np.sqrt(1 - lam**2)
    codes = pd.DataFrame(np.searchsorted([-1.0, -0.2, 0.6, 1.4], z) + 1, columns=list("abcd"))
    want = lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam**2).sum())
    assert pc.ordinal_omega(codes) == pytest.approx(want, abs=0.01)
    k = 4
    mean_r = (np.outer(lam, lam).sum() - (lam**2).sum()) / (k * (k - 1))
    assert pc.ordinal_alpha(codes) == pytest.approx(k * mean_r / (1 + (k - 1) * mean_r), abs=0.01)


def test_ordinal_omega_on_bfi(agree):
    assert pc.ordinal_alpha(agree) < pc.ordinal_omega(agree) < 1


@pytest.mark.parametrize("rho", [-0.7, 0.0, 0.3, 0.8, 0.95, 0.99])
def test_bvn_cdf_agrees_with_scipy(rho):
    h = np.array([-2.1, -0.4, 0.0, 0.7, 1.9, np.inf, -np.inf])
    k = np.array([0.5, -1.3, 0.0, 0.6, 2.2, 0.3, 1.0])
    ours = pc.bvn_cdf(h, k, rho)
    mvn = stats.multivariate_normal(mean=[0, 0], cov=[[1, rho], [rho, 1]])
    want = [
        stats.norm.cdf(kk) if hh == np.inf else 0.0 if hh == -np.inf else mvn.cdf([hh, kk])
        for hh, kk in zip(h, k, strict=True)
    ]
    np.testing.assert_allclose(ours, want, atol=1e-7)


def test_recovers_latent_correlation():
    rng = np.random.default_rng(7)
    z = rng.multivariate_normal([0, 0, 0], [[1, 0.6, 0.3], [0.6, 1, 0.45], [0.3, 0.45, 1]], 20_000)
    cuts = np.array([-1.5, -0.5, 0.4, 1.2])
    codes = pd.DataFrame(np.searchsorted(cuts, z) + 1, columns=["a", "b", "c"])
    res = pc.polychoric(codes)
    assert res.rho.loc["a", "b"] == pytest.approx(0.6, abs=0.02)
    assert res.rho.loc["a", "c"] == pytest.approx(0.3, abs=0.02)
    assert res.rho.loc["b", "c"] == pytest.approx(0.45, abs=0.02)
    np.testing.assert_allclose(res.thresholds["a"], cuts, atol=0.03)
    # Pearson on the codes is attenuated; the polychoric is not
    assert codes.corr().loc["a", "b"] < res.rho.loc["a", "b"]


def test_bad_input_names_the_column():
    df = pd.DataFrame({"a": [1, 2, 3, 4], "b": [1.5, 2, 3, 4]})
    with pytest.raises(ValueError, match="'b'.*non-integer"):
        pc.polychoric(df)
    with pytest.raises(ValueError, match="'a'.*one answer"):
        pc.polychoric(pd.DataFrame({"a": [2, 2, 2, 2], "b": [1, 2, 3, 4]}))


def test_wlsmv_matches_lavaan():
    from mscsurvey.stats.wlsmv import fit_wlsmv

    ref = json.loads((REF_DIR / "sensitivity_reference.json").read_text(encoding="utf-8"))
    ref = ref["ordinal_bfi"]["wlsmv_cfa"]
    df = pd.read_csv(REF_DIR / "bfi.csv")
    for v in ["A1", "C4", "C5"]:
        df[v] = 7 - df[v]
    model = {"agree": [f"A{i}" for i in range(1, 6)], "consc": [f"C{i}" for i in range(1, 6)]}
    res = fit_wlsmv(df, model)
    row = res.fit.iloc[0]
    assert row["n"] == ref["n"]
    assert row["df"] == ref["df.scaled"]
    # both fits iterative; measured agreement: chi2 3.3e-8 relative, indices 2.9e-9, SRMR 2.5e-9,
    # standardised loadings 2.5e-7
    assert row["chi2"] == pytest.approx(ref["chisq.scaled"], rel=1e-7)
    for ours, lav in [("cfi", "cfi.scaled"), ("tli", "tli.scaled"), ("rmsea", "rmsea.scaled")]:
        assert row[ours] == pytest.approx(ref[lav], abs=1e-8), lav
    assert row["srmr"] == pytest.approx(ref["srmr"], abs=1e-8)
    std = res.loadings.set_index("item")["std_loading"]
    for item, want in ref["std_loadings"].items():
        assert std[item] == pytest.approx(want, abs=1e-6), item
    # the unscaled DWLS statistic is smaller: the adjustment matters here
    assert row["chi2_unscaled"] < row["chi2"]
