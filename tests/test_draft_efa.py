"""`mscsurvey codebook draft` when item names say nothing: background columns become groups or
covariates, the item battery is split into constructs by factor analysis, reverse keys come from
loading signs. Checked on the real bfi data with its item letters stripped (known five scales and
reverse keys) and on a simulated wide inventory (known factors)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from inventory import inventory
from sklearn.metrics import adjusted_rand_score

from mscsurvey.cli import main
from mscsurvey.codebook.draft import draft_codebook, render_draft
from mscsurvey.io import read_raw
from mscsurvey.stats.efa import fit_efa, parallel_analysis

BFI = "/work/shared/reference/bfi.csv"
#: the bfi's reverse-keyed items (psychTools' bfi.keys)
BFI_REVERSED = {"A1", "C4", "C5", "E1", "E2", "O2", "O5"}


@pytest.fixture(scope="module")
def bfi_numbered(tmp_path_factory) -> tuple[str, dict[str, str]]:
    """bfi.csv with its id dropped and items renamed q1..q25 in a shuffled order (so neither names nor
    column order give the scales away)."""
    df = pd.read_csv(BFI).drop(columns="id")
    letters = [c for c in df.columns if c[0] in "ACENO" and c[1:].isdigit()]
    order = np.random.default_rng(2026).permutation(len(letters))
    rename = {letters[j]: f"q{i + 1}" for i, j in enumerate(order)}
    df = df.rename(columns=rename)[
        [*(f"q{i + 1}" for i in range(25)), "gender", "education", "age"]
    ]
    p = tmp_path_factory.mktemp("bfi") / "bfi.csv"
    df.to_csv(p, index=False)
    return str(p), {q: c for c, q in rename.items()}


def _score(d: dict, truth_scale: dict[str, object]) -> float:
    label = {i: c for c, v in d["constructs"].items() for i in v["items"]}
    items = sorted(truth_scale)
    return adjusted_rand_score([truth_scale[i] for i in items], [label[i] for i in items])


def test_bfi_five_scales_and_reverse_keys_are_recovered(bfi_numbered, tmp_path):
    path, letter = bfi_numbered
    out = tmp_path / "cb.yaml"
    assert main(["codebook", "draft", path, "--constructs", "5", "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    d = yaml.safe_load(text)
    assert len(d["constructs"]) == 5
    assert _score(d, {q: c[0] for q, c in letter.items()}) >= 0.85
    found = {letter[q] for q, it in d["items"].items() if it["reverse"]}
    assert len(found & BFI_REVERSED) == 7 and len(found - BFI_REVERSED) <= 1, found
    # background columns: groups or a covariate, never items; no cluster is set
    assert set(d["items"]) == set(letter)
    assert set(d["groups"]) == {"gender", "education"}
    # bare codes (not "1.0": the column has blanks, so pandas wrote floats), to be labelled
    assert d["groups"]["education"]["categories"] == {i: str(i) for i in range(1, 6)}
    assert d["groups"]["gender"]["ordered"] is False
    assert "cluster" not in d and "#   age: " in text
    # the evidence is in comments: parallel analysis, the share of variance, each item's loading
    assert "parallel analysis suggests" in text and "% of the items' variance" in text
    for q in letter:
        assert f" {q} +0." in text or f" {q} -0." in text, q


def test_a_wide_simulated_inventory_is_split_by_its_factors(tmp_path):
    df, factor, rev = inventory(n=1500, n_items=100, seed=3)
    p = tmp_path / "inv.csv"
    df.to_csv(p, index=False)
    for n_constructs in (5, None):  # fixed, and parallel analysis's own number
        draft = draft_codebook(read_raw(p), source=str(p), n_constructs=n_constructs)
        d = yaml.safe_load(render_draft(draft))
        assert len(d["constructs"]) == 5
        assert _score(d, factor) >= 0.95
        found = {i for i, it in d["items"].items() if it["reverse"]}
        true = {i for i, r in rev.items() if r}
        assert len(true) >= 15 and len(found & true) >= len(true) - 1 and len(found - true) <= 1
        assert set(d["items"]) == set(factor)  # ER, health, exercise ... are not items
        assert set(d["groups"]) == {"sex", "health", "p1edu", "p2edu", "education", "wellness",
                                    "exercise", "smoke", "ER"}  # fmt: skip
        assert draft.covariates == {"age": 67} and draft.cluster is None


def test_a_lone_coded_column_beside_a_numbered_battery_is_background(tmp_path):
    """Shape, not name: 'visits' (codes 0..6) is not one of the battery's q_<n> items."""
    df, factor, _ = inventory(n=600, n_items=30, seed=5)
    df["visits"] = np.random.default_rng(1).integers(0, 7, len(df))
    p = tmp_path / "inv.csv"
    df.to_csv(p, index=False)
    d = yaml.safe_load(render_draft(draft_codebook(read_raw(p), source=str(p))))
    assert set(d["items"]) == set(factor) and "visits" in d["groups"]


def test_parallel_analysis_and_efa_against_a_known_structure():
    """Three factors of four items with loadings 0.7: parallel analysis says 3; the ML varimax
    loadings come back near 0.7 on the right factor (the population solution)."""
    rng = np.random.default_rng(0)
    lam = np.zeros((12, 3))
    lam[np.arange(12), np.arange(12) // 4] = 0.7
    x = rng.standard_normal((5000, 3)) @ lam.T + rng.standard_normal((5000, 12)) * np.sqrt(0.51)
    corr = np.corrcoef(x, rowvar=False)
    k, eig, threshold = parallel_analysis(corr, 5000)
    assert k == 3 and eig[2] > threshold[2] and eig[3] < threshold[3]
    loadings, share = fit_efa(corr, 3)
    primary = np.abs(loadings).argmax(axis=1)
    assert [len(set(primary[i * 4 : i * 4 + 4])) for i in range(3)] == [1, 1, 1]
    assert np.allclose(np.abs(loadings).max(axis=1), 0.7, atol=0.04)
    assert np.allclose(share, 4 * 0.49 / 12, atol=0.02)


def test_names_still_win_when_they_carry_constructs(tmp_path):
    """Two prefixes (att_, sat_): constructs by name, no factor analysis."""
    rng = np.random.default_rng(4)
    df = pd.DataFrame(
        {f"{p}_{i}": rng.integers(1, 6, 200) for p in ("att", "sat") for i in (1, 2, 3)}
    )
    df["id"] = range(200)
    p = tmp_path / "s.csv"
    df.to_csv(p, index=False)
    d = yaml.safe_load(render_draft(draft_codebook(read_raw(p), source=str(p))))
    assert {c: v["items"] for c, v in d["constructs"].items()} == {
        "att": ["att_1", "att_2", "att_3"],
        "sat": ["sat_1", "sat_2", "sat_3"],
    }
