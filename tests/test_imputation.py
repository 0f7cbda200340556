"""Chained-equation PMM against mice on its nhanes example, and closed-form properties.

mice's own imputations depend on R's random numbers, so the pooled result of ``lm(bmi ~ age + chl)``
over our 20 imputations is compared with mice's within Monte-Carlo error: each pooled estimate is a
mean of m = 20 draws whose spread is the between-imputation variance b, so two independent runs
differ by about sqrt(2 b / m); we allow 3 of those (b from mice's run), for each of several seeds.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mscsurvey.stats.imputation import design_with_dummies, impute_pmm
from mscsurvey.stats.pooling import pool

REF_DIR = Path(__file__).resolve().parent / "data" / "reference"
TERMS = ["(Intercept)", "age", "chl"]


@pytest.fixture(scope="module")
def nhanes() -> pd.DataFrame:
    return pd.read_csv(REF_DIR / "nhanes.csv").astype(float)


@pytest.fixture(scope="module")
def mice_pooled() -> pd.DataFrame:
    ref = json.loads((REF_DIR / "sensitivity_reference.json").read_text(encoding="utf-8"))
    return pd.DataFrame(ref["multiple_imputation_nhanes"]["pooled"]).set_index("term")


def _fit(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    x = np.column_stack([np.ones(len(frame)), frame["age"], frame["chl"]])
    y = frame["bmi"].to_numpy()
    beta = np.linalg.lstsq(x, y, rcond=None)[0]
    resid = y - x @ beta
    s2 = resid @ resid / (len(y) - x.shape[1])
    return beta, np.diag(np.linalg.inv(x.T @ x)) * s2


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_nhanes_pooled_within_monte_carlo_error_of_mice(nhanes, mice_pooled, seed):
    fits = [_fit(c) for c in impute_pmm(nhanes, m=20, seed=seed)]
    ours = pool([f[0] for f in fits], [f[1] for f in fits], dfcom=22, terms=TERMS).set_index("term")
    mc = np.sqrt(2 * mice_pooled["b"] / 20)
    assert (np.abs(ours["estimate"] - mice_pooled["estimate"]) < 3 * mc).all(), ours["estimate"]
    # the total variance's between part has relative MC error sqrt(2 / (m - 1)) ~ 0.32 per run
    assert (np.abs(ours["t"] / mice_pooled["t"] - 1) < 3 * np.sqrt(2 / 19)).all(), ours["t"]
    assert (ours["fmi"] > 0.05).all() and (ours["fmi"] < 0.9).all()


def test_complete_case_is_not_what_imputation_gives(nhanes, mice_pooled):
    # sanity check of the test's power: complete-case age slope (-5.35) lies outside the tolerance
    cc = nhanes.dropna()
    beta, _ = _fit(cc)
    mc = np.sqrt(2 * mice_pooled.loc["age", "b"] / 20)
    assert abs(beta[1] - mice_pooled.loc["age", "estimate"]) > 3 * mc


def test_imputed_values_are_observed_codes_and_observed_cells_kept(nhanes):
    out = impute_pmm(nhanes, m=3, seed=7)
    observed = nhanes.notna()
    for frame in out:
        assert not frame.isna().any().any()
        pd.testing.assert_frame_equal(frame[observed], nhanes[observed])
        for col in nhanes:
            assert set(frame[col]) <= set(nhanes[col].dropna())


def test_seeded_and_m_chains_differ(nhanes):
    a = impute_pmm(nhanes, m=2, seed=11)
    b = impute_pmm(nhanes, m=2, seed=11)
    for x, y in zip(a, b, strict=True):
        pd.testing.assert_frame_equal(x, y)
    assert not a[0].equals(a[1])


def test_all_missing_column_is_an_error(nhanes):
    bad = nhanes.assign(bmi=np.nan)
    with pytest.raises(ValueError, match="bmi"):
        impute_pmm(bad, m=2)


def test_design_with_dummies_drops_first_level():
    frame = pd.DataFrame({"q": [1.0, np.nan, 3.0], "msc": ["b", "a", "c"]})
    out = design_with_dummies(frame, ["msc"])
    assert list(out.columns) == ["q", "msc=b", "msc=c"]
    assert out["msc=b"].tolist() == [1.0, 0.0, 0.0]
