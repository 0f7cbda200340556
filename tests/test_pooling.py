"""Rubin's rules against mice::pool on mice's nhanes (20 imputations' estimates and variances).

The reference (``tests/data/reference/sensitivity_reference.json``, key ``multiple_imputation_nhanes``)
holds every imputation's estimates and variances of ``lm(bmi ~ age + chl)``; pooling them must give
mice's pooled values exactly (to the JSON's 10 significant digits). Complete-data df = 25 − 3 = 22.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mscsurvey.stats.pooling import barnard_rubin_df, pool

REF = Path(__file__).resolve().parent / "data" / "reference" / "sensitivity_reference.json"
TERMS = ["(Intercept)", "age", "chl"]


@pytest.fixture(scope="module")
def nhanes_ref() -> dict:
    return json.loads(REF.read_text(encoding="utf-8"))["multiple_imputation_nhanes"]


def _pooled(ref: dict) -> pd.DataFrame:
    q = [[p["estimate"][t] for t in TERMS] for p in ref["per_imputation"]]
    u = [[p["variance"][t] for t in TERMS] for p in ref["per_imputation"]]
    return pool(q, u, dfcom=22, terms=TERMS).set_index("term")


@pytest.mark.parametrize(
    "key", ["estimate", "ubar", "b", "t", "df", "riv", "lambda", "fmi", "se", "ci_low", "ci_high"]
)
def test_pool_equals_mice(nhanes_ref, key):
    ours = _pooled(nhanes_ref)
    for row in nhanes_ref["pooled"]:
        assert ours.loc[row["term"], key] == pytest.approx(row[key], rel=1e-8), (row["term"], key)


def test_equal_estimates_have_no_between_variance():
    q = np.array([[1.0, 2.0]] * 5)
    u = np.array([[0.5, 0.1]] * 5)
    out = pool(q, u, dfcom=math.inf)
    assert out["b"].tolist() == [0.0, 0.0]
    assert out["t"].tolist() == pytest.approx([0.5, 0.1])
    # lambda floored at 1e-4 gives Rubin's df (m - 1) / 1e-8; fmi tends to 0
    assert out["df"].tolist() == pytest.approx([4 / 1e-8] * 2)
    assert out["fmi"].max() < 1e-6


def test_barnard_rubin_df_below_complete_data_df():
    df = barnard_rubin_df(20, np.array([1.0]), np.array([3.0]), dfcom=30)
    assert 0 < df[0] < 30
    # large-sample (Rubin 1987) df when dfcom is infinite
    lam = 1.05 / 3
    assert barnard_rubin_df(20, np.array([1.0]), np.array([3.0]), math.inf)[0] == pytest.approx(
        19 / lam**2
    )


def test_pool_rejects_one_imputation():
    with pytest.raises(ValueError, match="at least 2"):
        pool([[1.0]], [[1.0]], dfcom=10)
