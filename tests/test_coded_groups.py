"""Coded groups (issue 15, part 3): `categories` may map the codes in the data to labels; cleaning turns
codes (also Stata's "1.0") into the labels the brief shows; SPSS/Stata numbers read as integers."""

from __future__ import annotations

import copy

import pandas as pd
import pytest

from mscsurvey.codebook.spec import parse_codebook
from mscsurvey.errors import SurveyError
from mscsurvey.io import integral_codes, read_raw
from mscsurvey.stages.clean import code_groups, validate_responses


def _coded(d: dict, **size) -> dict:
    d = copy.deepcopy(d)  # the fixture is shared by the session
    d["groups"]["size"] = {"categories": {1: "Small", 2: "Large"}, "ordered": True, **size}
    return d


def _frame(values: list[str]) -> pd.DataFrame:
    n = len(values)
    return pd.DataFrame(
        {
            "pid": [f"p{i}" for i in range(n)],
            "site": ["S1"] * n,
            "colour": ["Red"] * n,
            "size": values,
            **{c: ["Agree"] * n for c in ("a1", "a2", "a3")},
            **{c: ["Yes"] * n for c in ("b1", "b2")},
            "source_row": range(2, n + 2),
        }
    )


def test_codes_and_labels_both_become_the_label(mini_codebook_dict):
    cb = parse_codebook(_coded(mini_codebook_dict), source="cb.yaml")
    grp = cb.groups["size"]
    assert grp.categories == ("Small", "Large") and grp.reference == "Small"
    df = _frame(["1", "2.0", "Large", " small ", None])
    validate_responses(df, cb, source="raw.csv")
    coded = code_groups(df, cb)["size"]
    assert list(coded.astype(object).where(coded.notna(), None)) == [
        "Small", "Large", "Large", "Small", None,
    ]  # fmt: skip
    assert list(coded.cat.categories) == ["Small", "Large"] and coded.cat.ordered


def test_an_unknown_code_is_refused_at_its_row(mini_codebook_dict):
    cb = parse_codebook(_coded(mini_codebook_dict), source="cb.yaml")
    with pytest.raises(SurveyError, match=r"row 3.*size: 3 is not a category of group size"):
        validate_responses(_frame(["1", "3"]), cb, source="raw.csv")


def test_reference_by_code_or_label_and_duplicate_labels(mini_codebook_dict):
    cb = parse_codebook(_coded(mini_codebook_dict, reference="2"), source="cb.yaml")
    assert cb.groups["size"].reference == "Large"
    with pytest.raises(SurveyError, match=r"key 'groups\.size\.reference'"):
        parse_codebook(_coded(mini_codebook_dict, reference="Medium"), source="cb.yaml")
    d = copy.deepcopy(mini_codebook_dict)
    d["groups"]["size"] = {"categories": {1: "Small", 2: "small"}}
    with pytest.raises(SurveyError, match=r"key 'groups\.size\.categories'.*same label"):
        parse_codebook(d, source="cb.yaml")
    d["groups"]["size"] = {"categories": {"one": "Small", 2: "Large"}}
    with pytest.raises(SurveyError, match=r"key 'groups\.size\.categories'"):
        parse_codebook(d, source="cb.yaml")


def test_integral_codes_normalise_floats_only():
    df = pd.DataFrame(
        {"a": ["1.0", "2.00", "1.5", None, "10"], "b": ["x1.0", "-3.0", "", "7", "0.0"]}
    )
    out = integral_codes(df)
    assert out["a"].tolist()[:3] == ["1", "2", "1.5"] and pd.isna(out["a"][3])
    assert out["b"].tolist() == ["x1.0", "-3", "", "7", "0"]


def test_a_stata_file_gives_integer_codes(tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    df = pd.DataFrame({"sex": [1.0, 2.0, 2.0, None], "score": [1.5, 2.0, 3.0, 4.0]})
    p = tmp_path / "s.dta"
    pyreadstat.write_dta(df, str(p))
    raw = read_raw(p)
    assert raw["sex"].tolist()[:3] == ["1", "2", "2"] and pd.isna(raw["sex"][3])
    assert raw["score"].tolist() == ["1.5", "2", "3", "4"]
