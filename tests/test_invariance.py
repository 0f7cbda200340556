"""Measurement invariance against lavaan 0.6-14 (Holzinger-Swineford three-factor model by school:
configural, metric, scalar, strict fits and Grant-White's latent means under scalar;
``tests/data/reference/sensitivity_reference.json`` from ``ref_sensitivity.R``), and recovery of a
planted non-invariant intercept in simulated data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mscsurvey.stats import invariance as inv

REF_DIR = Path(__file__).resolve().parent / "data" / "reference"
HS_MODEL = {
    "visual": ["x1", "x2", "x3"],
    "textual": ["x4", "x5", "x6"],
    "speed": ["x7", "x8", "x9"],
}
FIT_KEYS = [
    ("chisq", "chi2"),
    ("df", "df"),
    ("pvalue", "p_value"),
    ("cfi", "cfi"),
    ("tli", "tli"),
    ("rmsea", "rmsea"),
    ("rmsea.ci.lower", "rmsea_ci_low"),
    ("rmsea.ci.upper", "rmsea_ci_high"),
    ("srmr", "srmr"),
]


@pytest.fixture(scope="module")
def ref() -> list[dict]:
    data = json.loads((REF_DIR / "sensitivity_reference.json").read_text(encoding="utf-8"))
    return data["invariance_hs1939_school"]


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    hs = pd.read_csv(REF_DIR / "holzinger_swineford_1939.csv")
    return inv.measurement_invariance(hs, HS_MODEL, "school", name="HS")


def test_every_level_matches_lavaan(table, ref):
    for r in ref:
        row = table.set_index("level").loc[r["level"]]
        for lav, ours in FIT_KEYS:
            # both fits iterative: every index and chi-square agree to 2.0e-7 (measured)
            assert float(row[ours]) == pytest.approx(r[lav], abs=1e-6), (r["level"], lav)
        assert bool(row["converged"])


def test_latent_means_under_scalar_match_lavaan(table, ref):
    scalar = next(r for r in ref if r["level"] == "scalar")
    row = table.set_index("level").loc["scalar"]
    means = json.loads(row["latent_means"])
    assert list(means) == [
        scalar["group_labels"][1]
    ]  # Pasteur (first in the data) is the reference
    for f, est in scalar["latent_mean_group2"].items():
        e, se = means["Grant-White"][f]
        # measured: estimates 1.3e-6 (the optimisers' stopping points), SEs 8.9e-8
        assert e == pytest.approx(est, abs=3e-6)
        assert se == pytest.approx(scalar["latent_mean_group2_se"][f], abs=3e-7)


def test_differences_and_chen_decisions(table):
    t = table.set_index("level")
    assert t.loc["metric", "compared_to"] == "configural"
    assert t.loc["metric", "delta_df"] == 6
    assert t.loc["metric", "delta_chi2"] == pytest.approx(124.04354418 - 115.8513438756, abs=1e-7)
    assert t.loc["metric", "delta_cfi"] == pytest.approx(0.92092346858 - 0.92339838041, abs=1e-9)
    assert bool(t.loc["metric", "holds"])  # dCFI -.002, dRMSEA -.004

    def fit(cfi_, rmsea_, srmr_):
        return inv.MultigroupFit(
            "x", [], [], 0, 1, cfi_, 0, rmsea_, (0, 0), srmr_, {}, [], True, None
        )

    # Chen: a CFI drop alone, or an RMSEA/SRMR rise alone, is not non-invariance; both together are
    base = fit(0.95, 0.05, 0.05)
    assert inv._holds(fit(0.93, 0.06, 0.055), base, "scalar")
    assert inv._holds(fit(0.945, 0.09, 0.09), base, "scalar")
    assert not inv._holds(fit(0.93, 0.07, 0.05), base, "scalar")
    assert not inv._holds(fit(0.93, 0.05, 0.065), base, "scalar")
    assert inv._holds(fit(0.93, 0.05, 0.065), base, "metric")  # SRMR cut-off .030 for loadings
    # scalar: CFI falls .038 (> .01), supplemented by SRMR rising .0108 (> .010; RMSEA rises .0145,
    # just under .015): non-invariant by Chen's rule
    assert t.loc["scalar", "delta_srmr"] == pytest.approx(0.082447058579 - 0.07165158379, abs=1e-7)
    assert not bool(t.loc["scalar", "holds"])
    assert pd.isna(t.loc["configural", "holds"])
    # scalar fails, so intercepts were freed until the partial model holds against metric
    part = t.loc["partial_scalar"]
    assert part["compared_to"] == "metric"
    assert bool(part["holds"])
    freed = part["freed_intercepts"].split(", ")
    assert freed[0] == "x3"  # the largest single drop in chi-square (lavTestScore also flags x3)
    assert part["df"] == 60 - len(freed)
    assert t.loc["strict", "compared_to"] == "scalar"


def test_small_groups_left_out_with_reason():
    hs = pd.read_csv(REF_DIR / "holzinger_swineford_1939.csv")
    hs["g"] = np.where(np.arange(len(hs)) < 12, "tiny", hs["school"])
    out = inv.measurement_invariance(hs, HS_MODEL, "g", min_group_n=30, strict=False)
    assert out["n_groups"].eq(2).all()
    assert out["left_out"].iloc[0] == "tiny: 12 complete respondents (fewer than 30)"
    with pytest.raises(ValueError, match="invariance needs two"):
        inv.measurement_invariance(hs, HS_MODEL, "school", min_group_n=200)


def _simulate(n_per: int, shift: float, seed: int) -> pd.DataFrame:
    """Two factors of 4 items in three groups with equal loadings and intercepts, except item b3's
    intercept, higher by ``shift`` in group 'C'; an unrelated grouping variable 'other'."""
    rng = np.random.default_rng(seed)
    lam = np.array([1.0, 0.9, 0.8, 0.7])
    rows = []
    for g, mean in [("A", 0.0), ("B", 0.3), ("C", -0.2)]:
        f = rng.multivariate_normal([mean, 0.0], [[1.0, 0.4], [0.4, 1.0]], n_per)
        x = np.hstack([f[:, [0]] * lam, f[:, [1]] * lam]) + rng.normal(0, 0.6, (n_per, 8)) + 3.0
        if g == "C":
            x[:, 6] += shift
        d = pd.DataFrame(x, columns=[f"a{i}" for i in range(1, 5)] + [f"b{i}" for i in range(1, 5)])
        d["grp"] = g
        rows.append(d)
    out = pd.concat(rows, ignore_index=True)
    out["other"] = np.where(rng.random(len(out)) < 0.5, "x", "y")
    return out


def test_planted_intercept_is_recovered():
    data = _simulate(400, 0.8, seed=11)
    model = {"A": ["a1", "a2", "a3", "a4"], "B": ["b1", "b2", "b3", "b4"]}
    t = inv.measurement_invariance(data, model, "grp").set_index("level")
    assert bool(t.loc["metric", "holds"])
    assert not bool(t.loc["scalar", "holds"])
    assert t.loc["partial_scalar", "freed_intercepts"] == "b3"
    means = json.loads(t.loc["partial_scalar", "latent_means"])
    assert means["B"]["A"][0] == pytest.approx(0.3, abs=0.12)  # recovered despite the bias
    other = inv.measurement_invariance(data, model, "other").set_index("level")
    assert bool(other.loc["scalar", "holds"])
    assert "partial_scalar" not in other.index


def test_brief_marks_comparisons_without_scalar_invariance():
    from mscsurvey.stages.brief_numbers import invariance_marks, mark_subgroup_sentences

    def rows(cid, gid, levels):
        return [
            {
                "construct_set": cid,
                "group_variable": gid,
                "level": lv,
                "holds": h,
                "freed_intercepts": f,
            }
            for lv, h, f in levels
        ]

    table = pd.DataFrame(
        rows(
            "trust", "role", [("configural", pd.NA, ""), ("metric", True, ""), ("scalar", True, "")]
        )
        + rows(
            "trust",
            "sector",
            [("metric", True, ""), ("scalar", False, ""), ("partial_scalar", True, "tr3")],
        )
        + rows(
            "equity",
            "role",
            [("metric", True, ""), ("scalar", False, ""), ("partial_scalar", False, "eq2")],
        )
        + rows("equity", "sector", [("not_tested", pd.NA, "")])
    )
    table["holds"] = table["holds"].astype("boolean")
    marks = invariance_marks(table, codebook=None)
    st = marks["status"]
    assert st["trust"]["role"] == {"status": "scalar", "freed": [], "mark": False}
    assert st["trust"]["sector"] == {"status": "partial", "freed": ["tr3"], "mark": True}
    assert st["equity"]["role"]["status"] == "not_scalar"
    assert st["equity"]["sector"]["status"] == "not_tested"
    assert "Chen 2007" in marks["methods"] and marks["note"].startswith("†")
    sents = {
        "trust": [{"group": "role", "text": "A."}, {"group": "sector", "text": "B."}],
        "equity": [{"group": "role", "text": "C."}],
    }
    mark_subgroup_sentences(sents, marks)
    assert [s["text"] for s in sents["trust"]] == ["A.", "B. †"]
    assert sents["equity"][0]["text"] == "C. †"
    assert invariance_marks(None, codebook=None)["note"] == ""


def test_synthetic_generator_plants_non_invariance_that_is_recovered():
    """The generator's ``items.intercept_shifts`` (off by default): tr3 answered 0.8 latent SD higher
    by committee members at the same trust. Scalar invariance of trust fails across role and the
    partial model frees tr3; across state (MSC-level, drawn independently of role) it holds."""
    import copy

    from mscsurvey.codebook.spec import load_codebook, normalise_label
    from mscsurvey.schema import load_yaml
    from mscsurvey.synthesize.core import generate
    from mscsurvey.synthesize.model import load_published

    root = Path(__file__).resolve().parents[1]
    cb = load_codebook(root / "data" / "codebook.yaml")
    model = copy.deepcopy(load_yaml(root / "data" / "synthetic" / "model.yaml"))
    assert "intercept_shifts" not in model["items"]  # off by default
    shift = {"item": "tr3", "group": "role", "category": "Committee member", "shift": 0.8}
    model["items"]["intercept_shifts"] = [shift]
    pub = load_published(str(root / "data" / "published_findings.csv"), cb)
    res = generate(cb, model, pub, seed=5, n_respondents=2000)
    assert res.truth["latent"]["intercept_shifts"] == [shift]
    ids = set(res.truth["planted"]["analysed_respondent_ids"])
    raw = res.survey[res.survey[cb.identifiers.respondent_id].isin(ids)].reset_index(drop=True)

    def code(col: pd.Series, lookup: dict) -> pd.Series:
        return col.map(lambda v: lookup.get(normalise_label(v)) if isinstance(v, str) else None)

    items = list(cb.constructs["trust"].items)
    data = pd.DataFrame(
        {i: code(raw[i], cb.scales[cb.items[i].scale].lookup()).astype(float) for i in items}
    )
    for g in ("role", "state"):
        data[g] = code(raw[g], cb.groups[g].lookup())
    role = inv.measurement_invariance(data, {"trust": items}, "role").set_index("level")
    assert not bool(role.loc["scalar", "holds"])
    assert role.loc["partial_scalar", "freed_intercepts"] == "tr3"
    assert bool(role.loc["partial_scalar", "holds"])
    state = inv.measurement_invariance(data, {"trust": items}, "state").set_index("level")
    assert bool(state.loc["scalar", "holds"])
    assert "partial_scalar" not in state.index
