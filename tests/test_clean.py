"""Cleaning: label coding, validation errors (one line naming file, row, column, value, expectation),
exclusions and their flow, reverse keying."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from mscsurvey.codebook.spec import parse_codebook
from mscsurvey.errors import SurveyError
from mscsurvey.settings import CleanSettings
from mscsurvey.stages.clean import (
    REASONS,
    answer_problem,
    clean,
    code_items,
    exclusion_flow,
    normalise_answer,
    straightliners,
    validate_responses,
)

# the schema's defaults but for a short straight-lining run and a minimum of one analysed respondent
# (the test frames hold a handful)
SETTINGS = CleanSettings.parse({"straightline_min_items": 3, "min_analysed_n": 1})
SRC = "data/raw/survey.csv"


@pytest.fixture
def cb(mini_codebook_dict):
    return parse_codebook(mini_codebook_dict, source="tests/data/mini_codebook.yaml")


def frame(rows: list[dict]) -> pd.DataFrame:
    base = {
        "pid": None,
        "person_pid": None,
        "site": "S1",
        "colour": "Red",
        "size": "Small",
        "a1": "Agree",
        "a2": "Disagree",
        "a3": "Strongly agree",
        "b1": "Yes",
        "b2": "No",
        "duration_seconds": 900,
        "comment": None,
    }
    out = []
    for i, r in enumerate(rows):
        rec = dict(base, pid=f"p{i:03d}", person_pid=f"h{i:03d}", source_row=i + 2)
        rec.update(r)
        out.append(rec)
    df = pd.DataFrame(out)
    for c in df.columns:
        if c not in ("duration_seconds", "source_row"):
            df[c] = df[c].astype("str")
    return df


def test_labels_are_coded_case_and_whitespace_tolerant(cb):
    df = frame(
        [
            {"a1": "  strongly AGREE "},
            {"a1": "Don\u2019t know"},
            {"a1": None},
            {"a1": "4"},
            {"a1": "2.0"},
        ]
    )
    codes, counts = code_items(df, cb)
    assert codes["a1"].iloc[0] == 5
    assert pd.isna(codes["a1"].iloc[1]) and pd.isna(codes["a1"].iloc[2])
    assert codes["a1"].iloc[3] == 4 and codes["a1"].iloc[4] == 2
    row = counts.set_index("item").loc["a1"]
    assert (row.answered, row.dont_know, row.blank) == (3, 1, 1)


def test_reverse_keying_and_output(cb):
    res = clean(
        frame([{"a2": "Strongly disagree"}, {"a2": "Agree"}]), cb, settings=SETTINGS, source=SRC
    )
    out = res.responses
    assert out["a2"].tolist() == [5, 2]  # 6 - 1, 6 - 4
    assert out["a1"].tolist() == [4, 4]  # not reverse-keyed
    assert str(out["a1"].dtype) == "Int16"
    assert isinstance(out["colour"].dtype, pd.CategoricalDtype)
    assert out["size"].cat.ordered and list(out["size"].cat.categories) == ["Small", "Large"]
    assert "person_pid" not in out.columns
    assert res.validation["reverse_keyed"] == ["a2"]


def test_group_missing_label_becomes_missing(cb):
    res = clean(
        frame([{"colour": "prefer not to say"}, {"colour": " green"}]),
        cb,
        settings=SETTINGS,
        source=SRC,
    )
    assert pd.isna(res.responses["colour"].iloc[0])
    assert res.responses["colour"].iloc[1] == "Green"


@pytest.mark.parametrize(
    ("change", "pattern"),
    [
        (
            {"a1": "Agreee"},
            r"^data/raw/survey.csv row 3, column a1: 'Agreee' is not a label of scale "
            r"agree5 \(did you mean 'Agree'\? expected one of: Strongly disagree \(1\), .*Don't "
            r"know; fix the data or add it to scales.agree5.codes or scales.agree5.missing in "
            r".*\)$",
        ),
        (
            {"a3": "7"},
            r"^data/raw/survey.csv row 3, column a3: code 7 is out of range for scale agree5 "
            r"\(expected a code 1 to 5",
        ),
        ({"b1": "0.5"}, r"row 3, column b1: 0.5 is not a whole-number code of scale yesno"),
        (
            {"colour": "Purple"},
            r"row 3, column colour: a masked value \(\"AAAAAA\", 6 characters\) is not a "
            r"category of group colour "
            r"\(expected one of: Red, Green, Blue, Prefer not to say; fix the data or add it to "
            r"groups.colour.categories or groups.colour.missing in .*mini_codebook.yaml\)",
        ),
    ],
)
def test_bad_values_give_one_line(cb, change, pattern):
    df = frame([{}, change, {}])
    with pytest.raises(SurveyError, match=pattern) as exc:
        clean(df, cb, settings=SETTINGS, source=SRC)
    assert "\n" not in str(exc.value)
    # a value that is no slip of a codebook label could be anyone's words: never printed
    assert "Purple" not in str(exc.value)


def test_a_name_typed_as_an_answer_is_never_printed(cb):
    df = frame(
        [
            {},
            {"colour": "Priya Raghunathan"},
            {"a1": "ask jo.roe@example.org"},
            {"a2": "5551234567"},
        ]
    )
    with pytest.raises(SurveyError) as exc:
        clean(df, cb, settings=SETTINGS, source=SRC)
    msg = str(exc.value)
    assert "row 3, column colour: a masked value" in msg
    assert "Priya" not in msg and "Raghunathan" not in msg and "jo.roe" not in msg
    assert answer_problem("5551234567", cb.scales["agree5"]).startswith("a masked value")


def test_first_problem_reported_with_count_of_others(cb):
    df = frame([{}, {"a1": "nope"}, {"a2": "nah"}, {"colour": "Teal"}])
    with pytest.raises(
        SurveyError, match=r"row 3, column a1: a masked value.*\[2 more problem\(s\)"
    ):
        validate_responses(df, cb, source=SRC)


def test_missing_column(cb):
    df = frame([{}]).drop(columns=["a3"])
    with pytest.raises(
        SurveyError,
        match=r"^data/raw/survey.csv: column 'a3' \(item of construct "
        r"'alpha' in tests/data/mini_codebook.yaml\) is missing",
    ):
        clean(df, cb, settings=SETTINGS, source=SRC)


def test_duplicate_pseudonym_is_an_error(cb):
    df = frame([{}, {}])
    df.loc[1, "pid"] = df.loc[0, "pid"]
    with pytest.raises(SurveyError, match=r"row \d, column pid: value appears more than once"):
        clean(df, cb, settings=SETTINGS, source=SRC)


def test_empty_cluster_is_excluded_with_its_reason(cb):
    # empty, or suppressed by de-identification because the respondent typed an identifier there
    res = clean(frame([{}, {"site": None}, {"site": "  "}]), cb, settings=SETTINGS, source=SRC)
    assert res.validation["excluded"]["no_cluster"] == 2
    assert res.validation["analysed"] == 1
    assert res.exclusions["reason"].tolist() == ["no_cluster", "no_cluster"]


def test_exclusions_and_flow(cb):
    rows = [
        {},  # kept
        {"person_pid": "h000"},  # duplicate of row 0 -> excluded (keep_first)
        {"a1": None, "a2": None, "a3": None},  # 2 of 5 answered -> too little
        {"duration_seconds": 100},  # speeder
        {"a1": "Agree", "a2": "Agree", "a3": "Agree"},  # straight-liner on agree5 (3 items)
        {"duration_seconds": 100, "a1": None, "a2": None, "a3": None},  # too little AND speeder
        {"a1": "Don't know", "a2": "Don't know", "a3": "Agree"},  # DK counts as answered: kept
    ]
    res = clean(frame(rows), cb, settings=SETTINGS, source=SRC)
    ex = res.exclusions.set_index("source_row")
    assert ex["reason"].to_dict() == {
        3: "duplicate",
        4: "too_little_answered",
        5: "speeder",
        6: "straightliner",
        7: "too_little_answered",
    }
    assert bool(ex.loc[7, "speeder"]) and bool(ex.loc[7, "too_little_answered"])
    assert res.responses["source_row"].tolist() == [2, 8]
    v = res.validation
    assert v["received"] == 7 and v["analysed"] == 2
    assert v["excluded"] == {
        "no_cluster": 0,
        "duplicate": 1,
        "too_little_answered": 2,
        "speeder": 1,
        "straightliner": 1,
    }
    assert v["flagged"]["speeder"] == 2
    assert [s["step"] for s in v["flow"]] == ["received"] + [f"excluded: {r}" for r in REASONS] + [
        "analysed"
    ]
    assert v["flow"][-2]["remaining"] == v["flow"][-1]["n"] == 2


@pytest.mark.parametrize(
    ("keep", "kept_row"), [("keep_first", 2), ("keep_last", 3), ("keep_most_complete", 3)]
)
def test_duplicate_policies(cb, keep, kept_row):
    rows = [{"a3": "Don't know", "b2": None}, {"person_pid": "h000"}]
    res = clean(frame(rows), cb, settings=replace(SETTINGS, duplicates=keep), source=SRC)
    assert res.responses["source_row"].tolist() == [kept_row]


def test_missing_person_pseudonym_is_never_a_duplicate(cb):
    rows = [{"person_pid": None}, {"person_pid": None}]
    res = clean(frame(rows), cb, settings=SETTINGS, source=SRC)
    assert len(res.responses) == 2


def test_straightliners_need_min_items(cb):
    codes = pd.DataFrame(
        {"a1": [4, 4, 4], "a2": [4, pd.NA, 2], "a3": [4, 4, 4], "b1": [1, 1, 1], "b2": [1, 1, 1]},
        dtype="Int16",
    )
    # row 0: 3 identical -> flagged; row 1: only 2 answered (< 3) -> not; row 2: varies -> not.
    # yes/no has 2 items (< min 3): never checked.
    assert straightliners(codes, cb, 3).tolist() == [True, False, False]
    assert straightliners(codes, cb, 2).tolist() == [True, True, True]


def test_flow_sums():
    flags = pd.DataFrame({"reason": pd.array(["duplicate", None, "speeder", None], dtype="string")})
    flow = exclusion_flow(flags)
    assert flow[0] == {"step": "received", "n": 4}
    assert flow[-1] == {"step": "analysed", "n": 2}


@pytest.mark.parametrize(
    ("raw", "norm"),
    [
        ("4", "4"),
        ("4.0", "4"),
        (" 4 ", "4"),
        ("Agree ", "agree"),
        ("", None),
        (None, None),
        (np.nan, None),
    ],
)
def test_normalise_answer(raw, norm):
    assert normalise_answer(raw) == norm


@pytest.mark.parametrize(
    ("value", "expected"),
    [(-30, "is negative"), ("12 min", "'99 AAA' is not a number")],
)
def test_an_impossible_duration_is_named_not_read_as_missing(cb, value, expected):
    """Read as missing, a negative or non-numeric duration would switch the speeder rule off for that
    respondent: one line with row and column (and the value's masked shape)."""
    df = frame([{}, {"duration_seconds": value}, {}])
    df["duration_seconds"] = df["duration_seconds"].astype("object")
    with pytest.raises(SurveyError) as err:
        clean(df, cb, settings=SETTINGS, source=SRC)
    assert str(err.value).startswith(f"{SRC} row 3, column duration_seconds: {expected}")


def test_nobody_left_after_the_exclusions_stops(cb):
    """Everyone excluded: the counts per reason and the setting to look at, instead of an empty run."""
    df = frame([{"duration_seconds": 10}, {"duration_seconds": 20}])
    with pytest.raises(SurveyError) as err:
        clean(df, cb, settings=SETTINGS, source=SRC)
    assert str(err.value) == (
        f"{SRC}: 0 of 2 respondents remain after the exclusions (no_cluster 0, duplicate 0, "
        "too_little_answered 0, "
        "speeder 2, straightliner 0); expected at least clean.min_analysed_n = 1: check the clean "
        "settings in the config (e.g. clean.speeder_min_seconds) and the data, or lower "
        "clean.min_analysed_n"
    )
    assert clean(frame([{}, {}]), cb, settings=replace(SETTINGS, min_analysed_n=2), source=SRC)
