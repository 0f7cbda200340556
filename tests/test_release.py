"""The public-use release (issue 13): k on every key combination of the public microdata, no free text
or pseudonyms in it, sdcMicro-style risk on a hand-made frame with known frequencies, the disclosure
report, small cells blanked in the public tables, the key variables' default, the attribution cell
counts quotes rely on, and the manifest's access labels."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from mscsurvey.audit.manifest import access_of
from mscsurvey.codebook.spec import parse_codebook
from mscsurvey.errors import SurveyError
from mscsurvey.privacy.kanonymity import equivalence_class_sizes, k_achieved
from mscsurvey.stages.release import (
    RECORD_ID,
    attribution_cell_sizes,
    disclosure_report,
    individual_risk,
    public_microdata,
    readme_text,
    risk_summary,
    suppress_small_cells,
)

KEYS = ["colour", "size", "site"]


@pytest.fixture(scope="module")
def cb(mini_codebook_dict):
    d = copy.deepcopy(mini_codebook_dict)
    d["identifiers"]["pseudonym"] = "pid"
    d["identifiers"]["free_text"] = ["comment"]
    return parse_codebook(d, source="mini")


def responses(n: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "pid": [f"p{i:04d}" for i in range(n)],
            "source_row": np.arange(2, n + 2),
            "person_pid": [f"q{i:04d}" for i in range(n)],
            "colour": rng.choice(["Red", "Green", "Blue"], n, p=[0.6, 0.3, 0.1]),
            "size": rng.choice(["Small", "Large"], n),
            "site": rng.choice([f"s{i}" for i in range(12)], n),
            "comment": [f"comment number {i}" for i in range(n)],
        }
    )
    for item in ("a1", "a2", "a3", "b1", "b2"):
        hi = 1 if item.startswith("b") else 5
        lo = 0 if item.startswith("b") else 1
        df[item] = pd.array(rng.integers(lo, hi + 1, n), dtype="Int64")
    return df


# -- key variables ----------------------------------------------------------------------------------


def test_key_variables_default_to_quasi_identifiers_groups_and_cluster(mini_codebook_dict):
    d = copy.deepcopy(mini_codebook_dict)
    assert parse_codebook(d, source="x").key_variables == ["colour", "size", "site"]
    d["identifiers"]["key_variables"] = ["size", "site"]
    assert parse_codebook(d, source="x").key_variables == ["size", "site"]


def test_a_key_variable_that_is_not_a_group_is_refused(mini_codebook_dict):
    d = copy.deepcopy(mini_codebook_dict)
    d["identifiers"]["key_variables"] = ["colour", "a1"]
    with pytest.raises(SurveyError, match=r"identifiers.key_variables.*'a1'"):
        parse_codebook(d, source="x")


def test_the_shipped_codebooks_declare_their_key_variables():
    from mscsurvey.codebook.spec import load_codebook

    cb = load_codebook("data/codebook.yaml")
    assert cb.identifiers.key_variables
    assert {"age_band", "gender", "role", "sector", "state", "msc"} <= set(cb.key_variables)
    wb = load_codebook("examples/wellbeing/codebook.yaml")
    assert {"age_band", "gender", "profession", "clinic"} <= set(wb.key_variables)


# -- public microdata -------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [2, 5, 10])
def test_public_microdata_is_k_anonymous_on_every_key_combination(cb, k):
    df = responses()
    assert k_achieved(df, KEYS) < k  # the test is not vacuous: the analysed table is not
    md, sup = public_microdata(df, cb, keys=KEYS, k=k, seed=3)
    assert len(md) == len(df)
    sizes = equivalence_class_sizes(md, KEYS)
    informative = md[KEYS].notna().any(axis=1)
    assert (sizes[informative] >= k).all()
    assert k_achieved(md, KEYS) >= k
    # every suppressed value is blank in the file, and only those were blanked
    blank_now = int(md[KEYS].isna().sum().sum())
    assert blank_now == len(sup) + int(df[KEYS].isna().sum().sum())


def test_public_microdata_has_no_free_text_pseudonym_or_row_and_a_fresh_shuffled_id(cb):
    df = responses()
    md, _ = public_microdata(df, cb, keys=KEYS, k=5, seed=3)
    assert list(md.columns) == [RECORD_ID, *KEYS, "a1", "a2", "a3", "b1", "b2"]
    for col in ("pid", "person_pid", "source_row", "comment"):
        assert col not in md.columns
    assert md[RECORD_ID].tolist() == list(range(1, len(df) + 1))
    # rows are shuffled: the items no longer line up with the analysed order
    assert not md["a1"].reset_index(drop=True).equals(df["a1"].reset_index(drop=True))
    # the multiset of answers is unchanged
    assert sorted(md["a1"].tolist()) == sorted(df["a1"].tolist())
    # same data and seed: same file; another seed: another order
    again, _ = public_microdata(df, cb, keys=KEYS, k=5, seed=3)
    pd.testing.assert_frame_equal(md, again)
    other, _ = public_microdata(df, cb, keys=KEYS, k=5, seed=4)
    assert not other["a1"].equals(md["a1"])


def test_suppressions_point_at_the_record_ids_of_the_public_file(cb):
    df = responses()
    md, sup = public_microdata(df, cb, keys=KEYS, k=5, seed=3)
    assert len(sup) > 0
    assert set(sup.columns) == {RECORD_ID, "column"}  # never the value
    by_id = md.set_index(RECORD_ID)
    for rid, col in zip(sup[RECORD_ID], sup["column"], strict=True):
        assert pd.isna(by_id.at[rid, col])


def test_a_missing_key_variable_is_one_line_naming_the_codebook_key(cb):
    with pytest.raises(SurveyError, match=r"mini: key 'identifiers.key_variables'.*'shoe'"):
        public_microdata(responses(), cb, keys=["colour", "shoe"], k=5, seed=1)


# -- risk -------------------------------------------------------------------------------------------


def risk_frame() -> pd.DataFrame:
    # combination frequencies: (A, x) 4, (A, y) 2, (B, x) 1, (B, <NA>) 1, (<NA>, <NA>) 2
    return pd.DataFrame(
        {
            "u": ["A"] * 6 + ["B", "B", None, None],
            "v": ["x"] * 4 + ["y"] * 2 + ["x", None, None, None],
        }
    )


def test_individual_risk_is_one_over_the_sample_frequency():
    risk = individual_risk(risk_frame(), ["u", "v"])
    expected = [1 / 4] * 4 + [1 / 2] * 2 + [1.0, 1.0] + [1 / 10, 1 / 10]
    np.testing.assert_allclose(risk.to_numpy(), expected)


def test_risk_summary_sums_the_risks_and_counts_records_above_the_threshold():
    s = risk_summary(risk_frame(), ["u", "v"], threshold=0.3)
    assert s["records"] == 10
    assert s["expected_reidentifications"] == pytest.approx(1 + 1 + 1 + 1 + 0.2)
    assert s["global_risk_share"] == pytest.approx(4.2 / 10)
    assert s["max_individual_risk"] == 1.0
    assert s["records_above_threshold"] == 4  # the two at 1/2 and the two uniques
    assert s["records_unique"] == 2


def test_disclosure_report_before_and_after(cb):
    df = responses()
    md, sup = public_microdata(df, cb, keys=KEYS, k=5, seed=3)
    rep = disclosure_report(
        df,
        md,
        sup,
        keys=KEYS,
        key_source="codebook",
        k=5,
        risk_threshold=0.2,
        microdata_released=True,
        min_group_n=10,
    )
    assert rep["k_requested"] == 5 and rep["k_achieved"] >= 5 and rep["k_before"] < 5
    assert sum(rep["suppressions_per_column"].values()) == rep["suppressions_total"] == len(sup)
    assert rep["risk_after"]["records_above_threshold"] == 0  # k = 5: every risk <= 1/5
    assert rep["risk_after"]["max_individual_risk"] <= 0.2
    assert (
        rep["risk_before"]["expected_reidentifications"]
        > rep["risk_after"]["expected_reidentifications"]
    )
    assert rep["records_fully_suppressed"] == int(md[KEYS].isna().all(axis=1).sum())
    text = readme_text(dataset="d", disclosure=rep, files=["a.csv"], tables={}, synthetic=True)
    assert "k = 5" in text and "colour, size, site" in text and "RESTRICTED" in text


# -- small cells ------------------------------------------------------------------------------------


def test_small_cells_are_blank_in_public_tables():
    table = pd.DataFrame(
        {
            "item": ["a1", "a2", "a3"],
            "n": [120, 4, 0],
            "pct_agree": [55.0, 75.0, np.nan],
            "ci_low": [46.0, 30.0, np.nan],
        }
    )
    out, n = suppress_small_cells(table, ["n"], min_n=10)
    assert n == 2
    assert out["suppressed"].tolist() == [False, True, True]
    assert out.loc[0, "pct_agree"] == 55.0
    assert out.loc[1, ["pct_agree", "ci_low", "n"]].isna().all()
    assert out.loc[1, "item"] == "a2" and out.loc[1, "note"] == "n < 10: suppressed"


# -- attribution cells ------------------------------------------------------------------------------


def test_attribution_cells_count_compatible_released_records():
    released = pd.DataFrame(
        {"role": ["staff", "staff", None, "lead", None], "state": ["CA", "WA", "CA", "CA", None]}
    )
    cells = pd.DataFrame(
        {"role": ["staff", "lead", "staff", None], "state": ["CA", "WA", "WA", "CA"]}
    )
    sizes = attribution_cell_sizes(released, ["role", "state"], cells)
    # (staff, CA): rows 0, 2 (role blank), 4 (both blank); (lead, WA): row 4 only;
    # (staff, WA): rows 1, 4; a missing attribution: never
    assert sizes.tolist() == [3, 1, 2, 0]


# -- manifest ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "access"),
    [
        ("results/public/microdata.parquet", "public"),
        ("results/public/figures/likert_trust.png", "public"),
        ("results/public/tables/agreement.csv", "public"),
        ("results/clean/responses.parquet", "restricted"),
        ("results/deidentified/responses.parquet", "restricted"),
        ("results/scales/scores.parquet", "restricted"),
        ("results/logs/release.log", "restricted"),
        ("results/analyses/agreement.parquet", "restricted"),
        ("results/publications.txt", "restricted"),
    ],
)
def test_manifest_access_labels(path, access):
    assert access_of(path, "results") == access


def test_manifest_entries_carry_their_access(tmp_path, monkeypatch):
    from mscsurvey.audit.manifest import build_manifest

    monkeypatch.chdir(tmp_path)
    for rel in ("res/public/brief.pdf", "res/clean/responses.parquet", "res/logs/clean.log"):
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("x", encoding="utf-8")
    m = build_manifest("res", metadata_dir=tmp_path / "none")
    access = {e["path"]: e["access"] for e in m["files"]}
    assert access == {
        "res/clean/responses.parquet": "restricted",
        "res/logs/clean.log": "restricted",
        "res/public/brief.pdf": "public",
    }


def test_release_summary_sentence_for_the_brief(cb):
    from mscsurvey.stages.brief_numbers import release_summary

    df = responses()
    md, sup = public_microdata(df, cb, keys=KEYS, k=5, seed=3)
    rep = disclosure_report(
        df,
        md,
        sup,
        keys=KEYS,
        key_source="codebook",
        k=5,
        risk_threshold=0.2,
        microdata_released=True,
        min_group_n=10,
    )
    text = release_summary(rep, cb)["text"]
    assert f"after suppressing {len(sup)} values" in text
    assert f"k = {rep['k_achieved']} (k = 5 requested" in text
    assert "colour, size and site" in text
    assert release_summary(None, cb)["text"] == ""
    off = release_summary({**rep, "microdata_released": False}, cb)["text"]
    assert off.startswith("No respondent-level file is released")
