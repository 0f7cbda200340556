"""scale_reliability (issue 20 part 4): alpha, Feldt CI and item statistics from one BLAS-made
covariance, equal to the two-pass functions (and so to psych) for listwise data, and to pingouin's
default pairwise alpha and pandas' pairwise covariance for pairwise data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from test_reliability import CONSTRUCTS, TOL, bfi, items_of, ref, ref_construct  # noqa: F401

from mscsurvey.stats import reliability as rl

SUMMARY = ["n", "n_items", "alpha", "ci_low", "ci_high"]
ITEMS = ["n", "mean", "sd", "r_drop", "alpha_if_deleted"]


@pytest.mark.parametrize("construct", CONSTRUCTS)
def test_listwise_equals_cronbach_alpha_and_item_total(bfi, ref, construct):  # noqa: F811
    x = bfi[items_of(construct)]  # int64 with missing answers: converted, incomplete rows dropped
    summary, items = rl.scale_reliability(x)
    two_pass = rl.cronbach_alpha(x)
    np.testing.assert_allclose(summary[SUMMARY].iloc[0], two_pass[SUMMARY].iloc[0], rtol=1e-12)
    np.testing.assert_allclose(items[ITEMS], rl.item_total(x)[ITEMS], rtol=1e-10, atol=1e-12)
    assert list(items["item"]) == items_of(construct)
    r = ref_construct(ref, construct)
    assert abs(summary["alpha"].iloc[0] - r["alpha"]) < TOL
    assert summary["n"].iloc[0] == r["n_complete"]


def test_complete_float_data_and_arrays(bfi):  # noqa: F811
    x = bfi[items_of("openness")].dropna().astype("float64")
    summary, items = rl.scale_reliability(x)
    assert summary["alpha"].iloc[0] == pytest.approx(
        float(rl.cronbach_alpha(x)["alpha"].iloc[0]), abs=1e-13
    )
    s2, i2 = rl.scale_reliability(x.to_numpy())
    assert s2["alpha"].iloc[0] == pytest.approx(summary["alpha"].iloc[0], abs=1e-14)
    assert list(i2["item"]) == [f"item{j}" for j in range(1, 6)]


@pytest.mark.parametrize("construct", CONSTRUCTS)
def test_pairwise_equals_pingouin_default_and_pandas_cov(bfi, construct):  # noqa: F811
    x = bfi[items_of(construct)].astype("float64")
    assert x.isna().any().any()
    summary, items = rl.scale_reliability(x, missing="pairwise")
    alpha, ci = pg.cronbach_alpha(data=x)  # nan_policy="pairwise", n = every row
    assert summary["alpha"].iloc[0] == pytest.approx(alpha, abs=1e-12)
    assert summary["n"].iloc[0] == len(x)
    assert summary["ci_low"].iloc[0] == pytest.approx(ci[0], abs=5e-4)
    assert summary["ci_high"].iloc[0] == pytest.approx(ci[1], abs=5e-4)
    cov = x.cov().to_numpy()  # pairwise-complete, per-pair means
    row, var = cov.sum(axis=1), np.diag(cov)
    r_drop = (row - var) / np.sqrt(var * (cov.sum() - 2 * row + var))
    np.testing.assert_allclose(items["r_drop"], r_drop, rtol=1e-10)
    np.testing.assert_allclose(items["sd"], x.std().to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(items["mean"], x.mean().to_numpy(), rtol=1e-12)
    assert list(items["n"]) == list(x.notna().sum())
    # listwise and pairwise differ on these data
    assert abs(summary["alpha"].iloc[0] - rl.scale_reliability(x)[0]["alpha"].iloc[0]) > 1e-5


def test_large_offsets_keep_precision():
    rng = np.random.default_rng(3)
    base = rng.normal(size=(500, 1))
    x = base + rng.normal(size=(500, 6))
    a = rl.scale_reliability(x)[0]["alpha"].iloc[0]
    shifted = rl.scale_reliability(x + 1e7)[0]["alpha"].iloc[0]
    assert a == pytest.approx(float(rl.cronbach_alpha(x)["alpha"].iloc[0]), abs=1e-12)
    assert shifted == pytest.approx(a, abs=1e-9)


def test_two_items_and_bad_arguments():
    x = np.array([[1.0, 2.0], [2.0, 2.5], [3.0, 3.5], [4.0, 3.0]])
    _, items = rl.scale_reliability(x)
    assert items["alpha_if_deleted"].isna().all()
    with pytest.raises(ValueError, match="missing must be"):
        rl.scale_reliability(x, missing="all")
    with pytest.raises(ValueError, match="at least 2 item columns"):
        rl.scale_reliability(pd.DataFrame({"a": [1.0, 2.0, 3.0]}))
    with pytest.raises(ValueError, match="listwise-complete row"):
        rl.scale_reliability(x[:2])
