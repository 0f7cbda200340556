"""scale_reliability (issue 20 part 4): alpha, Feldt CI and item statistics from one BLAS-made
covariance, equal to the two-pass functions (and so to psych) for listwise data, and to pingouin's
default pairwise alpha and pandas' pairwise covariance for pairwise data."""

from __future__ import annotations

import math

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


# --------------------------------------------------------------------------------------------------
# The block sums and the float32 products against independent computations (issue 20 part 4)
# --------------------------------------------------------------------------------------------------

B = rl._BLOCK_ROWS


def correlated(rng: np.random.Generator, n: int, k: int, *, codes: bool) -> np.ndarray:
    """n x k items sharing one factor: Likert codes 1-5 or continuous values."""
    x = rng.normal(size=(n, 1)) + rng.normal(size=(n, k))
    return np.clip(np.round(x + 3.0), 1, 5) if codes else x


def punch_holes(rng: np.random.Generator, x: np.ndarray, share: float) -> np.ndarray:
    x = x.copy()
    x[rng.random(x.shape) < share] = np.nan
    return x


def pairwise_reference(x: pd.DataFrame) -> tuple[float, pd.DataFrame]:
    """Alpha and item statistics from pandas' pairwise covariance (its own loop, per-pair means)."""
    cov = x.cov().to_numpy()
    k, var, row, total = cov.shape[0], np.diag(cov), cov.sum(axis=1), cov.sum()
    rest = total - 2 * row + var
    items = pd.DataFrame(
        {
            "n": x.notna().sum().to_numpy(),
            "mean": x.mean().to_numpy(),
            "sd": x.std().to_numpy(),
            "r_drop": (row - var) / np.sqrt(var * rest),
            "alpha_if_deleted": (k - 1) / (k - 2) * (1 - (var.sum() - var) / rest),
        }
    )
    return k / (k - 1) * (1 - var.sum() / total), items


@pytest.mark.parametrize("codes", [True, False], ids=["codes", "continuous"])
@pytest.mark.parametrize(
    "n, k, share",
    [(B - 1, 3, 0.05), (B, 7, 0.02), (B + 1, 12, 0.1), (2 * B + 7, 40, 0.01), (317, 5, 0.3)],
)
def test_random_shapes_and_missing_patterns(n, k, share, codes):
    rng = np.random.default_rng(n * 100 + k)
    x = pd.DataFrame(punch_holes(rng, correlated(rng, n, k, codes=codes), share))
    x.columns = [f"q{j}" for j in range(k)]
    before = x.copy()
    # listwise: equal to the two-pass functions (numpy's centred covariance per call)
    summary, items = rl.scale_reliability(x)
    two_pass = rl.cronbach_alpha(x)
    np.testing.assert_allclose(summary[SUMMARY].iloc[0], two_pass[SUMMARY].iloc[0], rtol=1e-12)
    np.testing.assert_allclose(items[ITEMS], rl.item_total(x)[ITEMS], rtol=1e-10, atol=1e-12)
    # pairwise: equal to pandas' pairwise covariance
    summary, items = rl.scale_reliability(x, missing="pairwise")
    alpha, expected = pairwise_reference(x)
    assert summary["alpha"].iloc[0] == pytest.approx(alpha, abs=1e-12)
    assert summary["n"].iloc[0] == n
    np.testing.assert_allclose(items[ITEMS], expected[ITEMS], rtol=1e-10, atol=1e-12)
    pd.testing.assert_frame_equal(x, before)  # the input is not modified


@pytest.mark.parametrize("where", [0, B - 1, B, 2 * B - 1])
def test_incomplete_rows_at_block_edges(where):
    rng = np.random.default_rng(where)
    x = correlated(rng, 2 * B + 3, 6, codes=True)
    x[where, 2] = np.nan
    x[where + 1, :] = np.inf  # an infinite value is missing, as in complete_rows
    summary, items = rl.scale_reliability(x)
    assert summary["n"].iloc[0] == len(x) - 2
    ref_x = np.delete(x, [where, where + 1], axis=0)
    np.testing.assert_allclose(items[ITEMS], rl.item_total(ref_x)[ITEMS], rtol=1e-12)


@pytest.mark.parametrize("offset", [1e7, -3e7])
@pytest.mark.parametrize("codes", [True, False], ids=["codes", "continuous"])
def test_offsets_listwise_and_pairwise(offset, codes):
    rng = np.random.default_rng(11)
    base = punch_holes(rng, correlated(rng, B + 500, 8, codes=codes), 0.05)
    base = pd.DataFrame(base)
    for missing in ("listwise", "pairwise"):
        s0, i0 = rl.scale_reliability(base, missing=missing)
        s1, i1 = rl.scale_reliability(base + offset, missing=missing)
        # 1e7 holds 16 - 7 = 9 significant digits of a value near 1 (float64 rounding of the input)
        assert s1["alpha"].iloc[0] == pytest.approx(s0["alpha"].iloc[0], abs=1e-8)
        cols = ["sd", "r_drop", "alpha_if_deleted"]
        np.testing.assert_allclose(i1[cols], i0[cols], rtol=1e-7)
        np.testing.assert_allclose(i1["mean"] - offset, i0["mean"], atol=1e-8)


def test_offset_of_an_item_missing_from_the_first_block():
    """The pairwise shift comes from the first block's means; an item unanswered there is shifted by
    0, its values near 1e7 would lose 14 digits, so the products are taken again about the means."""
    rng = np.random.default_rng(5)
    x = punch_holes(rng, correlated(rng, 3 * B, 4, codes=False), 0.1) + 1e7
    x[:B, 0] = np.nan
    alpha, expected = pairwise_reference(pd.DataFrame(x))
    summary, items = rl.scale_reliability(x, missing="pairwise")
    assert summary["alpha"].iloc[0] == pytest.approx(alpha, rel=1e-9)
    np.testing.assert_allclose(items[ITEMS], expected[ITEMS], rtol=1e-9)


@pytest.mark.parametrize("missing", ["listwise", "pairwise"])
def test_constant_item_gives_nan_r_drop(missing):
    rng = np.random.default_rng(2)
    x = punch_holes(rng, correlated(rng, B + 10, 4, codes=True), 0.05)
    x[:, 3] = 4.0  # answered by every row, always 4: variance exactly 0 on integer codes
    _, items = rl.scale_reliability(x, missing=missing)
    assert items["sd"].iloc[3] == 0.0
    assert np.isnan(items["r_drop"].iloc[3])
    assert np.isfinite(items["r_drop"].iloc[:3]).all()
    if missing == "listwise":
        np.testing.assert_allclose(items[ITEMS], rl.item_total(x)[ITEMS], rtol=1e-12, atol=1e-15)


def test_frame_layouts_and_dtypes_give_the_same_numbers():
    rng = np.random.default_rng(8)
    x = punch_holes(rng, correlated(rng, B + 99, 5, codes=True), 0.05)
    one_block = pd.DataFrame(x, columns=list("abcde"))
    per_column = pd.DataFrame({c: one_block[c].to_numpy().copy() for c in "abcde"})
    nullable = one_block.astype("Int16")  # NaN become NA
    complete = one_block.dropna()
    for missing in ("listwise", "pairwise"):
        expected = rl.scale_reliability(x, missing=missing)
        assert x.flags.c_contiguous  # row-major array: sliced (listwise) or copied (pairwise)
        for other in (one_block, per_column, nullable, np.asfortranarray(x)):
            got = rl.scale_reliability(other, missing=missing)
            pd.testing.assert_frame_equal(got[0], expected[0], check_exact=False, rtol=1e-14)
            pd.testing.assert_frame_equal(
                got[1].drop(columns="item"), expected[1].drop(columns="item"), rtol=1e-14
            )
    # int64 codes without missing values: read column by column, cast block by block
    ints = complete.astype("int64")
    np.testing.assert_allclose(
        rl.scale_reliability(ints)[1][ITEMS], rl.item_total(complete)[ITEMS], rtol=1e-12
    )
    bools = pd.DataFrame({"a": [True, False, True, True], "b": [True, False, False, True]})
    assert rl.scale_reliability(bools)[0]["n"].iloc[0] == 4


def float64_products(x: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """[Y0 W]'[Y0 W] in float64 in one product: exact for integers (sums far below 2^53)."""
    w = np.isfinite(x)
    y0 = np.where(w, x - shift, 0.0)
    z = np.hstack([y0, w.astype(float)])
    return z.T @ z


BOUND = math.isqrt(2**24 // B)  # 45 for blocks of 8192 rows


@pytest.mark.parametrize("top", [BOUND, BOUND + 1, 200])
def test_float32_products_are_exact_near_the_bound(top):
    """Integer codes up to 45 in blocks of 8192 rows: partial sums up to 8192 * 45^2 < 2^24, summed
    in float32 with no rounding; 46 would reach 8192 * 46^2 > 2^24 (the float64 route is taken)."""
    assert B * BOUND**2 <= 2**24 < B * (BOUND + 1) ** 2
    rng = np.random.default_rng(top)
    x = rng.integers(-top, top + 1, size=(3 * B + 5, 6)).astype(float)
    x[rng.random(x.shape) < 0.05] = np.nan
    # a complete first block whose sums near rows * top^2 (odd ones: past 2^24 float32 rounds them)
    x[:B] = rng.choice([top, top - 1], size=(B, 6))
    shift = np.zeros(6)
    got = rl._pairwise_products(rl._Rows(x), shift)
    np.testing.assert_array_equal(got, float64_products(x, shift))
    block = x[:B]
    assert rl._exact_in_float32(block, np.isfinite(block), shift) is (top <= BOUND)


def test_float32_would_round_past_the_bound(monkeypatch):
    """The bound matters: forcing float32 on codes of 200 changes the sums (so the exactness test
    above could fail), while the guarded products equal the float64 ones."""
    rng = np.random.default_rng(4)
    x = rng.integers(150, 201, size=(B, 3)).astype(float)
    shift = np.zeros(3)
    exact = float64_products(x, shift)
    monkeypatch.setattr(rl, "_exact_in_float32", lambda *args: True)
    forced = rl._pairwise_products(rl._Rows(x), shift)
    assert not np.array_equal(forced, exact)


def test_non_integer_blocks_are_not_multiplied_in_float32():
    def exact(y: np.ndarray, shift: float = 0.0) -> bool:
        return rl._exact_in_float32(y, np.isfinite(y), np.full(y.shape[1], shift))

    assert not exact(np.array([[1.0, 2.0], [3.0, 2.5]]))
    assert not exact(np.array([[1.0, 2.0], [3.0, np.inf]]))
    assert exact(np.array([[1.0, -2.0], [3.0, 0.0]]))
    assert exact(np.array([[1.0, np.nan], [np.nan, np.nan]]))  # a column with no value
    assert exact(np.array([[101.0, 99.0], [100.0, np.nan]]) / 1, shift=100.0)
    x = np.array([[1.0, 2.0, 1.0], [0.1, 2.5, 3.0], [np.nan, 1.0, 2.0], [2.0, 2.0, 2.0]])
    shift = np.array([1.0, 2.0, 2.0])
    np.testing.assert_array_equal(
        rl._pairwise_products(rl._Rows(x), shift), float64_products(x, shift)
    )


def test_huge_finite_values_are_present_not_missing():
    """A row of 40 values of 1e308 is complete: its total overflows float64, the scaled total that
    finds incomplete rows does not (the statistics themselves then overflow: not finite)."""
    rng = np.random.default_rng(6)
    x = correlated(rng, B + 5, 40, codes=False)
    x[3] = 1e308
    x[7, 5] = np.nan
    with np.errstate(over="ignore", invalid="ignore"):
        summary, items = rl.scale_reliability(x)
    assert summary["n"].iloc[0] == len(x) - 1
    assert not np.isfinite(items["sd"]).all()


def test_integer_codes_about_a_non_integer_shift_take_float64():
    """Codes 44-45 about a shift of 0.5 are half-integers: their float32 sums (quarter-integers near
    2^24) would round; the products must still equal the exact float64 ones."""
    rng = np.random.default_rng(12)
    x = rng.choice([BOUND, BOUND - 1], size=(B, 3)).astype(float)
    shift = np.full(3, 0.5)
    np.testing.assert_array_equal(
        rl._pairwise_products(rl._Rows(x), shift), float64_products(x, shift)
    )
