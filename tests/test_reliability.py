"""Reliability statistics against R (psych 2.2.9 on psychTools::bfi), closed forms and edge cases.

The reference values are in ``tests/data/reference/psych_lavaan_reference.json``, produced by
``tests/data/reference/ref.R`` (R 4.2.2, psych 2.2.9): per bfi construct, after reverse keying (7 - x for A1
C4 C5 E1 E2 O2 O5), on the listwise-complete rows of its five items. Agreement is required to 3
decimals (``abs(ours - R) < 5e-4``); in practice it is ~1e-8 for alpha and ~1e-5 for the loadings.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pingouin as pg
import pytest

from mscsurvey.stats import reliability as rl

REF_DIR = Path(__file__).resolve().parent / "data" / "reference"
# The reference prints 8 decimals; closed forms (alpha, its Feldt CI, r_drop, means) agree to the
# rounding (measured ≤ 5e-9).
TOL = 1e-8
# psych::fa's one-factor fits are iterative and stop early: loadings agree to 5.8e-6 (measured),
# omega (built from them) to 3.2e-7.
LOADING_TOL = 1e-5
OMEGA_TOL = 1e-6
REVERSED = ["A1", "C4", "C5", "E1", "E2", "O2", "O5"]
CONSTRUCTS = ["agreeableness", "conscientiousness", "extraversion", "neuroticism", "openness"]


def items_of(construct: str) -> list[str]:
    return [f"{construct[0].upper()}{i}" for i in range(1, 6)]


@pytest.fixture(scope="module")
def ref() -> dict:
    return json.loads((REF_DIR / "psych_lavaan_reference.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def bfi() -> pd.DataFrame:
    df = pd.read_csv(REF_DIR / "bfi.csv")
    for v in REVERSED:
        df[v] = 7 - df[v]
    return df


def ref_construct(ref: dict, construct: str) -> dict:
    return next(r for r in ref["bfi_reliability"] if r["construct"] == construct)


# --------------------------------------------------------------------------------------------------
# psych 2.2.9 on bfi
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("construct", CONSTRUCTS)
def test_alpha_and_feldt_ci_match_psych_alpha(bfi, ref, construct):
    """psych::alpha(x)$total$raw_alpha and psych::alpha.ci(..., p.val = .05) (psych 2.2.9)."""
    r = ref_construct(ref, construct)
    out = rl.cronbach_alpha(bfi[items_of(construct)]).iloc[0]
    assert out["n"] == r["n_complete"]
    assert out["n_items"] == 5
    assert abs(out["alpha"] - r["alpha"]) < TOL
    assert abs(out["ci_low"] - r["alpha_ci_feldt_low"]) < TOL
    assert abs(out["ci_high"] - r["alpha_ci_feldt_high"]) < TOL
    assert out["ci_method"] == "feldt" and out["ci_level"] == 0.95


@pytest.mark.parametrize("construct", CONSTRUCTS)
def test_standardised_alpha_and_average_r_match_psych(bfi, ref, construct):
    """psych::alpha(x)$total$std.alpha and $average_r (psych 2.2.9)."""
    r = ref_construct(ref, construct)
    x = bfi[items_of(construct)]
    assert abs(rl.standardised_alpha(x) - r["alpha_std"]) < TOL
    assert abs(rl.average_interitem_r(x) - r["average_r"]) < TOL


@pytest.mark.parametrize("construct", CONSTRUCTS)
@pytest.mark.parametrize("method", ["minres", "ml"])
def test_omega_total_matches_psych_fa(bfi, ref, construct, method):
    """omega = (sum l)^2 / ((sum l)^2 + sum u) from psych::fa(x, 1, fm = method) (psych 2.2.9)."""
    r = ref_construct(ref, construct)
    assert (
        abs(rl.omega_total(bfi[items_of(construct)], method=method) - r[f"omega_total_{method}"])
        < OMEGA_TOL
    )


@pytest.mark.parametrize("construct", CONSTRUCTS)
def test_item_statistics_match_psych_alpha(bfi, ref, construct):
    """psych::alpha item.stats r.drop, mean, sd and alpha.drop raw_alpha; psych::fa loadings
    (minres and ml) (psych 2.2.9)."""
    x = bfi[items_of(construct)]
    it = rl.item_total(x).set_index("item")
    minres = rl.one_factor_loadings(x, method="minres").set_index("item")
    ml = rl.one_factor_loadings(x, method="ml").set_index("item")
    for r in (r for r in ref["bfi_items"] if r["construct"] == construct):
        i = r["item"]
        assert abs(it.loc[i, "r_drop"] - r["r_drop"]) < TOL, i
        assert abs(it.loc[i, "alpha_if_deleted"] - r["alpha_if_deleted"]) < TOL, i
        assert abs(it.loc[i, "mean"] - r["mean"]) < TOL, i
        assert abs(it.loc[i, "sd"] - r["sd"]) < TOL, i
        assert abs(minres.loc[i, "loading"] - r["loading_minres"]) < LOADING_TOL, i
        assert abs(ml.loc[i, "loading"] - r["loading_ml"]) < LOADING_TOL, i
        assert abs(minres.loc[i, "uniqueness"] - (1 - r["loading_minres"] ** 2)) < 2 * LOADING_TOL


@pytest.mark.parametrize("construct", CONSTRUCTS)
def test_scale_mean_and_sd_of_row_means_match_psych(bfi, ref, construct):
    """mean(rowMeans(x)) and sd(rowMeans(x)) on the complete rows (psych 2.2.9 convention)."""
    r = ref_construct(ref, construct)
    rows = rl.complete_rows(bfi[items_of(construct)]).mean(axis=1)
    assert abs(rows.mean() - r["mean"]) < TOL
    assert abs(rows.std(ddof=1) - r["sd"]) < TOL


def test_alpha_agrees_with_pingouin_on_complete_rows(bfi):
    """pingouin 0.7.0 cronbach_alpha on the complete rows (its default nan_policy is pairwise)."""
    x = bfi[items_of("agreeableness")]
    ours = rl.cronbach_alpha(x).iloc[0]
    alpha, ci = pg.cronbach_alpha(data=x.dropna())
    assert ours["alpha"] == pytest.approx(alpha, abs=1e-12)
    # pingouin rounds its CI to 3 decimals; ours is at full precision
    assert ours["ci_low"] == pytest.approx(ci[0], abs=5e-4)
    assert ours["ci_high"] == pytest.approx(ci[1], abs=5e-4)
    assert ours["ci_low"] != round(ours["ci_low"], 3)
    # pairwise deletion (pingouin's default) gives a different value: we drop incomplete rows
    pairwise, _ = pg.cronbach_alpha(data=x)
    assert abs(pairwise - ours["alpha"]) > 1e-4


# --------------------------------------------------------------------------------------------------
# Closed forms
# --------------------------------------------------------------------------------------------------


def data_with_covariance(cov: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """n rows whose sample covariance (ddof 1) is exactly ``cov``."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, cov.shape[0]))
    z -= z.mean(axis=0)
    w = np.linalg.cholesky(np.cov(z, rowvar=False))
    z = z @ np.linalg.inv(w).T  # sample covariance exactly I
    return z @ np.linalg.cholesky(cov).T + 3.0


@pytest.mark.parametrize(("k", "var", "cov"), [(3, 1.0, 0.3), (5, 2.0, 0.8), (8, 1.5, 0.2)])
def test_alpha_of_parallel_items_is_spearman_brown(k, var, cov):
    """k parallel items (equal variances and covariances): alpha = k c / (v + (k - 1) c)."""
    sigma = np.full((k, k), cov) + np.eye(k) * (var - cov)
    x = data_with_covariance(sigma, 200)
    expected = k * cov / (var + (k - 1) * cov)
    assert rl.cronbach_alpha(x).iloc[0]["alpha"] == pytest.approx(expected, abs=1e-10)
    assert rl.standardised_alpha(x) == pytest.approx(expected, abs=1e-10)
    assert rl.average_interitem_r(x) == pytest.approx(cov / var, abs=1e-10)


def test_alpha_with_known_unequal_covariance():
    sigma = np.array([[1.0, 0.4, 0.3], [0.4, 2.0, 0.5], [0.3, 0.5, 1.5]])
    x = data_with_covariance(sigma, 150, seed=3)
    expected = 3 / 2 * (1 - np.trace(sigma) / sigma.sum())
    assert rl.cronbach_alpha(x).iloc[0]["alpha"] == pytest.approx(expected, abs=1e-10)


@pytest.mark.parametrize("r", [0.2, 0.5, 0.9])
def test_two_items_standardised_alpha_is_2r_over_1_plus_r(r):
    x = data_with_covariance(np.array([[1.0, r], [r, 1.0]]), 100, seed=1)
    assert rl.standardised_alpha(x) == pytest.approx(2 * r / (1 + r), abs=1e-10)
    it = rl.item_total(x)
    assert it["r_drop"].to_numpy() == pytest.approx([r, r], abs=1e-10)
    assert it["alpha_if_deleted"].isna().all()  # one item left: undefined


def test_feldt_interval_formula():
    """1 - (1 - alpha) F quantiles with df (n - 1, (n - 1)(k - 1)), as psych::alpha.ci."""
    from scipy import stats

    low, high = rl.feldt_ci(0.8, 100, 4, ci=0.9)
    assert low == pytest.approx(1 - 0.2 * stats.f.ppf(0.95, 99, 297))
    assert high == pytest.approx(1 - 0.2 * stats.f.ppf(0.05, 99, 297))
    assert low < 0.8 < high


# --------------------------------------------------------------------------------------------------
# Bootstrap
# --------------------------------------------------------------------------------------------------


def likert(n: int, k: int = 5, seed: int = 0, loading: float = 0.7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    f = rng.standard_normal(n)
    x = loading * f[:, None] + np.sqrt(1 - loading**2) * rng.standard_normal((n, k))
    return np.clip(np.round(1.2 * x + 3), 1, 5)


def test_bootstrap_is_deterministic_for_a_seed_and_varies_with_it():
    x = likert(300)
    a = rl.cronbach_alpha(x, method="bootstrap", n_boot=500, seed=7)
    b = rl.cronbach_alpha(x, method="bootstrap", n_boot=500, seed=7)
    c = rl.cronbach_alpha(x, method="bootstrap", n_boot=500, seed=8)
    pd.testing.assert_frame_equal(a, b)
    assert a["ci_low"].iloc[0] != c["ci_low"].iloc[0]
    assert a["ci_method"].iloc[0] == "bootstrap"


def test_bootstrap_does_not_depend_on_row_order():
    x = likert(400, seed=2)
    perm = np.random.default_rng(0).permutation(len(x))
    a = rl.bootstrap_alpha(x, n_boot=200, seed=1)
    b = rl.bootstrap_alpha(x[perm], n_boot=200, seed=1)
    np.testing.assert_allclose(a, b, atol=1e-12)


def test_bootstrap_close_to_feldt_on_a_large_sample():
    x = likert(20_000, seed=4)
    feldt = rl.cronbach_alpha(x).iloc[0]
    boot = rl.cronbach_alpha(x, method="bootstrap", n_boot=1000, seed=5).iloc[0]
    assert boot["alpha"] == feldt["alpha"]
    assert abs(boot["ci_low"] - feldt["ci_low"]) < 0.003
    assert abs(boot["ci_high"] - feldt["ci_high"]) < 0.003


def test_bootstrap_continuous_and_discrete_paths_agree():
    """Continuous data (every row distinct: index resampling) and the same data rounded to few
    distinct rows (multinomial over distinct rows) both centre on the sample alpha."""
    rng = np.random.default_rng(9)
    f = rng.standard_normal(3000)
    x = 0.7 * f[:, None] + 0.7 * rng.standard_normal((3000, 4))
    a = rl.bootstrap_alpha(x, n_boot=400, seed=1)
    alpha = rl.cronbach_alpha(x).iloc[0]["alpha"]
    assert abs(np.mean(a) - alpha) < 0.003
    xd = np.round(x)
    ad = rl.bootstrap_alpha(xd, n_boot=400, seed=1)
    assert abs(np.mean(ad) - rl.cronbach_alpha(xd).iloc[0]["alpha"]) < 0.003
    # small chunks (several chunks per call) give the same draws as one chunk
    np.testing.assert_allclose(
        rl.bootstrap_alpha(xd, n_boot=50, seed=3, chunk_cells=1_000),
        rl.bootstrap_alpha(xd, n_boot=50, seed=3),
    )


def test_bootstrap_resample_alphas_equal_direct_computation():
    """The moment trick reproduces alpha of explicitly resampled rows (index path, small data)."""
    x = np.random.default_rng(2).standard_normal((40, 3)) + np.arange(3)
    x[:, 1] += x[:, 0]
    seed = 11
    boots = rl.bootstrap_alpha(x, n_boot=5, seed=seed)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, 40, size=(5, 40))
    rows = x[np.lexsort(x.T[::-1])]  # the bootstrap draws from the rows in sorted order
    direct = [rl.cronbach_alpha(rows[i]).iloc[0]["alpha"] for i in idx]
    np.testing.assert_allclose(boots, direct, atol=1e-10)


# --------------------------------------------------------------------------------------------------
# Edge cases and errors
# --------------------------------------------------------------------------------------------------


def test_constant_item():
    x = pd.DataFrame(likert(100, k=3), columns=["a", "b", "c"])
    x["c"] = 3.0
    a = rl.cronbach_alpha(x).iloc[0]["alpha"]  # defined: a constant adds no variance
    assert np.isfinite(a)
    with pytest.raises(ValueError, match="column 'c' has no variance"):
        rl.standardised_alpha(x)
    with pytest.raises(ValueError, match="column 'c'"):
        rl.omega_total(x)
    it = rl.item_total(x).set_index("item")
    assert np.isnan(it.loc["c", "r_drop"])
    assert np.isfinite(it.loc["a", "r_drop"])


def test_all_missing_item_leaves_no_complete_rows():
    x = pd.DataFrame(likert(50, k=3), columns=["a", "b", "c"])
    x["c"] = np.nan
    with pytest.raises(ValueError, match="0 listwise-complete row"):
        rl.cronbach_alpha(x)


def test_nullable_integer_columns_are_accepted():
    x = pd.DataFrame(likert(60, k=3), columns=["a", "b", "c"]).astype("Int16")
    x.loc[0, "a"] = pd.NA
    out = rl.cronbach_alpha(x).iloc[0]
    assert out["n"] == 59


def test_single_respondent():
    with pytest.raises(ValueError, match="1 listwise-complete row"):
        rl.cronbach_alpha(np.array([[1.0, 2.0, 3.0]]))


def test_total_without_variance_gives_nan_alpha():
    x = np.array([[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]])
    out = rl.cronbach_alpha(x).iloc[0]
    assert np.isnan(out["alpha"]) and np.isnan(out["ci_low"])


def test_one_factor_needs_three_items():
    with pytest.raises(ValueError, match="at least 3 item columns"):
        rl.one_factor_loadings(likert(50, k=2))


def test_forgotten_reverse_key_gives_negative_r_drop():
    x = pd.DataFrame(likert(500, k=4, seed=3), columns=["a", "b", "c", "d"])
    x["d"] = 6 - x["d"]  # reverse-worded item left unreversed
    it = rl.item_total(x).set_index("item")
    assert it.loc["d", "r_drop"] < 0
    assert (it.drop(index="d")["r_drop"] > 0).all()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"ci": 1.5}, "ci must be"),
        ({"ci": 0}, "ci must be"),
        ({"method": "exact"}, "method must be 'feldt' or 'bootstrap'"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        rl.cronbach_alpha(likert(20), **kwargs)


def test_bad_inputs():
    with pytest.raises(ValueError, match="at least 2 item columns"):
        rl.cronbach_alpha(pd.DataFrame({"a": [1, 2, 3]}))
    with pytest.raises(ValueError, match="column 'b' is not numeric"):
        rl.cronbach_alpha(pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]}))
    with pytest.raises(ValueError, match="must be 2-D"):
        rl.cronbach_alpha(np.arange(5.0))
    with pytest.raises(ValueError, match="n_boot must be a positive integer"):
        rl.bootstrap_alpha(likert(20), n_boot=0)
    with pytest.raises(ValueError, match="method must be 'minres' or 'ml'"):
        rl.omega_total(likert(50), method="pa")
