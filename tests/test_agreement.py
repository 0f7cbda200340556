"""Item agreement: Wilson intervals (closed form), counting on the statement as worded, the response
distribution, the published comparison and its errors; on the synthetic default, every published
percentage inside its interval with the published n."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from analyses_helpers import default_study
from scipy.stats import norm

from mscsurvey.codebook.spec import load_codebook, parse_codebook
from mscsurvey.errors import SurveyError
from mscsurvey.stages.agreement import (
    AGREEMENT_COLUMNS,
    COMPARISON_COLUMNS,
    DISTRIBUTION_COLUMNS,
    agreement_distribution,
    as_answered,
    compare_published,
    empty_comparison,
    item_agreement,
    read_published,
    wilson_ci,
)


@pytest.fixture(scope="module")
def mini(mini_codebook_dict):
    return parse_codebook(mini_codebook_dict, source="tests/data/mini_codebook.yaml")


@pytest.fixture
def responses():
    """Six respondents; items hold the clean stage's reverse-keyed codes."""
    na = pd.NA
    return pd.DataFrame(
        {
            "a1": pd.array([5, 4, 3, na, 1, 4], dtype="Int16"),
            # a2 is reverse-keyed: keyed 1 = answered 5 (agree), keyed 2 = answered 4.
            "a2": pd.array([1, 2, 3, 4, 5, na], dtype="Int16"),
            "a3": pd.array([na, na, na, na, na, na], dtype="Int16"),
            "b1": pd.array([0, 1, 1, 1, 0, na], dtype="Int16"),
            "b2": pd.array([1, 1, 1, 1, 1, 1], dtype="Int16"),
        }
    )


def _wilson_by_hand(k: int, n: int, level: float) -> tuple[float, float]:
    z = norm.ppf(0.5 + level / 2)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return 100 * (centre - half), 100 * (centre + half)


@pytest.mark.parametrize(
    ("k", "n", "level"),
    [(0, 10, 0.95), (3, 10, 0.95), (10, 10, 0.95), (457, 471, 0.95), (58, 120, 0.90), (1, 2, 0.99)],
)
def test_wilson_matches_the_closed_form(k, n, level):
    low, high = wilson_ci(k, n, ci_level=level)
    exp_low, exp_high = _wilson_by_hand(k, n, level)
    assert low == pytest.approx(exp_low, abs=1e-10)
    assert high == pytest.approx(exp_high, abs=1e-10)


def test_wilson_rejects_impossible_counts_and_levels():
    with pytest.raises(ValueError, match="count <= n"):
        wilson_ci(5, 3)
    with pytest.raises(ValueError, match="ci_level"):
        wilson_ci(1, 3, ci_level=95)
    assert all(math.isnan(v) for v in wilson_ci(0, 0))


def test_reverse_keyed_items_are_counted_as_worded(mini, responses):
    assert as_answered(responses["a2"], mini, "a2").tolist()[:5] == [5, 4, 3, 2, 1]
    a = item_agreement(responses, mini).set_index("item")
    assert list(a.reset_index().columns) == AGREEMENT_COLUMNS
    # a1: answers 5,4,3,1,4 -> 3 of 5 agree; one missing
    assert (a.loc["a1", "n"], a.loc["a1", "n_agree"], a.loc["a1", "n_missing"]) == (5, 3, 1)
    assert a.loc["a1", "pct_agree"] == pytest.approx(60.0)
    # a2 as answered: 5,4,3,2,1 -> 2 of 5 agree (not the keyed 4 and 5)
    assert (a.loc["a2", "n"], a.loc["a2", "n_agree"]) == (5, 2)
    assert bool(a.loc["a2", "reverse"])
    # nobody answered a3: n = 0, no percentage, no interval
    assert a.loc["a3", "n"] == 0 and np.isnan(a.loc["a3", "pct_agree"])
    assert np.isnan(a.loc["a3", "ci_low"])
    # the yes/no scale counts code 1
    assert (a.loc["b1", "n"], a.loc["b1", "n_agree"]) == (5, 3)
    low, high = wilson_ci(3, 5)
    assert (a.loc["b1", "ci_low"], a.loc["b1", "ci_high"]) == (low, high)
    assert a.loc["a1", "agree_label"] == "agreed"


def test_distribution_has_every_code_as_worded(mini, responses):
    d = agreement_distribution(responses, mini)
    assert list(d.columns) == DISTRIBUTION_COLUMNS
    a2 = d[d["item"] == "a2"].set_index("code")
    assert a2["n"].to_dict() == {1: 1, 2: 1, 3: 1, 4: 1, 5: 1}
    a1 = d[d["item"] == "a1"].set_index("code")
    assert a1.loc[2, "n"] == 0  # a code nobody chose is still a row
    assert a1["pct"].sum() == pytest.approx(100.0)
    assert a1.loc[5, "label"] == "Strongly agree" and a1.loc[5, "agree"]
    assert (d.groupby("item")["n"].sum() == d.groupby("item")["n_answering"].first()).all()


def test_missing_item_column_is_an_error(mini, responses):
    with pytest.raises(SurveyError, match="lack item column"):
        item_agreement(responses.drop(columns="b2"), mini)


def _published(rows):
    return pd.DataFrame(
        rows, columns=["item", "construct", "published_pct", "published_n", "statement"]
    )


def test_compare_published_sets_values_side_by_side(mini, responses):
    a = item_agreement(responses, mini)
    pub = _published([["a1", "alpha", 60, 5, "first"], ["b1", "beta", 95, 7, "yes"]])
    c = compare_published(a, pub)
    assert list(c.columns) == COMPARISON_COLUMNS
    row = c.set_index("item")
    assert row.loc["a1", "reproduced_pct"] == pytest.approx(60.0)
    assert row.loc["a1", "n_difference"] == 0 and bool(row.loc["a1", "ci_contains_published"])
    assert row.loc["b1", "n_difference"] == -2
    assert not bool(row.loc["b1", "ci_contains_published"])  # 95 is outside [23, 88]
    with pytest.raises(KeyError, match="zz"):
        compare_published(a, _published([["zz", "alpha", 1, 1, "?"]]))


def test_no_published_findings_gives_an_empty_table_with_the_columns(mini, responses):
    e = empty_comparison()
    assert list(e.columns) == COMPARISON_COLUMNS and len(e) == 0
    c = compare_published(item_agreement(responses, mini), _published([]))
    assert list(c.columns) == COMPARISON_COLUMNS and len(c) == 0


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (["zz", "alpha", 50, 10, "?"], r"row 2, column item: item 'zz' is not in the codebook"),
        (["a1", "beta", 50, 10, "?"], r"column construct: construct 'beta' is not item a1's"),
        (["a1", "alpha", 150, 10, "?"], r"column published_pct: '150' is not a percentage"),
        (["a1", "alpha", 50, 10.5, "?"], r"column published_n: '10.5' is not a whole number"),
    ],
)
def test_read_published_names_the_bad_cell(mini, tmp_path, row, message):
    path = tmp_path / "pub.csv"
    _published([row]).to_csv(path, index=False)
    with pytest.raises(SurveyError, match=message):
        read_published(path, mini)


def test_read_published_needs_its_columns(mini, tmp_path):
    path = tmp_path / "pub.csv"
    pd.DataFrame({"item": ["a1"], "pct": [3]}).to_csv(path, index=False)
    with pytest.raises(SurveyError, match="lacks column"):
        read_published(path, mini)
    with pytest.raises(SurveyError, match="does not exist"):
        read_published(tmp_path / "none.csv", mini)


def test_study_published_file_reads(root):
    cb = load_codebook(root / "data" / "codebook.yaml")
    pub = read_published(root / "data" / "published_findings.csv", cb)
    assert len(pub) == 18 and pub["published_n"].dtype == "int64"


# --- the synthetic default, end to end ------------------------------------------------------------


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    return default_study(tmp_path_factory)


@pytest.mark.slow
def test_every_published_percentage_is_reproduced(study, root):
    c = pd.read_parquet(study / "results/analyses/published_vs_reproduced.parquet")
    published = pd.read_csv(root / "data" / "published_findings.csv")
    assert c["item"].tolist() == published["item"].tolist()
    assert c["ci_contains_published"].all(), c.loc[~c["ci_contains_published"], "item"].tolist()
    assert (c["n_difference"] == 0).all(), c.loc[c["n_difference"] != 0, ["item", "n_difference"]]
    # calibrated to the realised sample: each reproduced % rounds to the published one
    assert (c["reproduced_pct"].round() == c["published_pct"]).all()


@pytest.mark.slow
def test_agreement_tables_cover_every_item(study, root):
    cb = load_codebook(root / "data" / "codebook.yaml")
    a = pd.read_parquet(study / "results/analyses/agreement.parquet")
    d = pd.read_parquet(study / "results/analyses/agreement_distribution.parquet")
    assert a["item"].tolist() == list(cb.items)
    assert len(d) == sum(len(cb.scale_of(i).codes) for i in cb.items)
    assert (a["n"] + a["n_missing"] == 575).all()


@pytest.mark.slow
def test_without_published_findings_the_table_is_empty(study):
    import yaml
    from workflow_helpers import planned_jobs, snakemake

    cfg = study / "config" / "config.yaml"
    original = cfg.read_text(encoding="utf-8")
    out = study / "results/analyses/published_vs_reproduced.parquet"
    try:
        c = yaml.safe_load(original)
        del c["datasets"]["msc"]["published"]
        cfg.write_text(yaml.safe_dump(c, sort_keys=False), encoding="utf-8")
        # the comparison table changes, so its figure and the brief follow; nothing upstream
        assert planned_jobs(study) - {"all"} == {
            "agreement",
            "figure_part",  # the overview part draws the comparison (issue 20)
            "figures",
            "brief_numbers",
            "brief",
            "walk",
            "release",  # the public copies of the brief, figures and tables (issue 13)
            "tables",  # the CSV, workbook and HTML renditions of the tables (issue 17)
            "manifest",
        }
        snakemake(study)
        empty = pd.read_parquet(out)
        assert len(empty) == 0 and list(empty.columns) == COMPARISON_COLUMNS
    finally:
        cfg.write_text(original, encoding="utf-8")
        snakemake(study)
    assert len(pd.read_parquet(out)) == 18
