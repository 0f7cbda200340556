"""k-anonymity by local suppression (mscsurvey.privacy.kanonymity), on tables small enough to solve by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mscsurvey.privacy.kanonymity import (
    enforce_k_anonymity,
    equivalence_class_sizes,
    k_achieved,
    violating,
)

QIS = ["age", "sex", "zip"]


def hand_table() -> pd.DataFrame:
    """12 records, k = 2.

    rows 0-1, 2-3, 4-5: three safe pairs.
    rows 6, 7: (30s, F) with distinct ZIPs; rows 8, 9: (40s, M) with distinct ZIPs. Suppressing the ZIP
        pairs them: (30s, F, -) x2 and (40s, M, -) x2, one suppression each.
    rows 10, 11: (60s, M, 950) and (70s, F, 951) share no value with anyone on two QIs, so they can only
        be k-anonymous by suppressing all three values (pairing with anyone costs at least 4).

    Minimum by hand: every record of a class smaller than k must lose at least one value (4 for rows
    6-9), and rows 10 and 11 need 3 each: 4 + 3 + 3 = 10 suppressions, k = 2 on the rest.
    """
    rows = [
        ("30s", "F", "941"),
        ("30s", "F", "941"),
        ("40s", "M", "941"),
        ("40s", "M", "941"),
        ("50s", "F", "945"),
        ("50s", "F", "945"),
        ("30s", "F", "946"),
        ("30s", "F", "947"),
        ("40s", "M", "948"),
        ("40s", "M", "949"),
        ("60s", "M", "950"),
        ("70s", "F", "951"),
    ]
    df = pd.DataFrame(rows, columns=QIS)
    df["other"] = [f"x{i}" for i in range(len(df))]
    return df


def test_class_sizes_and_k_before():
    df = hand_table()
    sizes = equivalence_class_sizes(df, QIS)
    assert sizes.tolist() == [2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1]
    assert k_achieved(df, QIS) == 1
    assert violating(df, QIS, 2).tolist() == [False] * 6 + [True] * 6
    assert k_achieved(df, ["sex"]) == 5  # F: 7 records, M: 5


def test_minimal_suppressions_worked_out_by_hand():
    df = hand_table()
    out, sup = enforce_k_anonymity(df, QIS, 2)
    expected = [
        (6, "zip", "946"),
        (7, "zip", "947"),
        (8, "zip", "948"),
        (9, "zip", "949"),
        (10, "age", "60s"),
        (10, "sex", "M"),
        (10, "zip", "950"),
        (11, "age", "70s"),
        (11, "sex", "F"),
        (11, "zip", "951"),
    ]
    assert list(sup.itertuples(index=False, name=None)) == expected
    assert list(sup.columns) == ["row", "column", "original_value"]
    # exactly those cells are missing now; nothing else changed
    changed = out[QIS].isna()
    for r, c, _ in expected:
        assert changed.at[r, c]
    assert int(changed.to_numpy().sum()) == len(expected)
    pd.testing.assert_series_equal(out["other"], df["other"])
    # k = 2 on every record that keeps a quasi-identifier; rows 10 and 11 are fully suppressed
    assert k_achieved(out, QIS) == 2
    assert out[QIS].isna().all(axis=1).tolist() == [False] * 10 + [True] * 2
    assert not violating(out, QIS, 2).any()


def test_tie_goes_to_the_column_with_more_distinct_values():
    """Suppressing p pairs rows 4-5 but leaves 6-7 alone; suppressing q pairs 6-7 but leaves 4-5:
    both leave 2 violating records. p has 5 distinct values, q 4: p goes first, then q in 6-7."""
    df = pd.DataFrame(
        [
            ("p1", "q1"),
            ("p1", "q1"),
            ("p2", "q1"),
            ("p2", "q1"),
            ("p3", "qA"),
            ("p4", "qA"),
            ("pB", "q3"),
            ("pB", "q4"),
        ],
        columns=["p", "q"],
    )
    out, sup = enforce_k_anonymity(df, ["p", "q"], 2)
    assert list(zip(sup["row"], sup["column"], strict=True)) == [
        (4, "p"),
        (5, "p"),
        (6, "p"),
        (6, "q"),
        (7, "p"),
        (7, "q"),
    ]
    assert k_achieved(out, ["p", "q"]) == 2


def test_k_already_met_suppresses_nothing():
    df = hand_table().iloc[:6]
    out, sup = enforce_k_anonymity(df, QIS, 2)
    assert sup.empty and list(sup.columns) == ["row", "column", "original_value"]
    pd.testing.assert_frame_equal(out, df)
    out1, sup1 = enforce_k_anonymity(hand_table(), QIS, 1)
    assert sup1.empty
    pd.testing.assert_frame_equal(out1, hand_table())


def test_k_larger_than_n_suppresses_everything():
    df = hand_table().iloc[:4]
    out, sup = enforce_k_anonymity(df, QIS, 10)
    assert out[QIS].isna().all().all()
    assert len(sup) == 12  # every quasi-identifier value of the 4 records
    assert k_achieved(out, QIS) == 4  # only fully suppressed records remain


def test_missing_values_are_a_category_and_not_counted_as_suppressions():
    df = pd.DataFrame(
        {"a": ["x", "x", None, None, "y"], "b": ["1", "1", "2", "2", None]},
        index=[100, 101, 102, 103, 104],
    )
    assert equivalence_class_sizes(df, ["a", "b"]).tolist() == [2, 2, 2, 2, 1]
    out, sup = enforce_k_anonymity(df, ["a", "b"], 2)
    # record 104 (y, -) is alone: its one present value goes, and it is then fully suppressed
    assert list(sup.itertuples(index=False, name=None)) == [(104, "a", "y")]
    assert out.loc[104].isna().all()
    assert k_achieved(out, ["a", "b"]) == 2


def test_records_already_all_missing_are_accepted():
    df = pd.DataFrame({"a": ["x", "x", None], "b": ["1", "1", None]})
    assert not violating(df, ["a", "b"], 2).any()
    out, sup = enforce_k_anonymity(df, ["a", "b"], 2)
    assert sup.empty
    assert k_achieved(df, ["a", "b"]) == 2


def test_bad_input():
    with pytest.raises(KeyError, match="nope"):
        enforce_k_anonymity(hand_table(), ["age", "nope"], 2)
    out, sup = enforce_k_anonymity(hand_table(), [], 5)
    assert sup.empty
    assert k_achieved(hand_table(), []) == 12
    assert k_achieved(hand_table().iloc[:0], QIS) == 0


def test_many_records_every_violation_resolved():
    rng = np.random.default_rng(3)
    n = 5000
    df = pd.DataFrame(
        {
            "a": rng.choice(list("abcdef"), n),
            "b": rng.choice(["m", "f", "x"], n, p=[0.5, 0.47, 0.03]),
            "c": rng.integers(0, 300, n).astype(str),
        }
    )
    out, sup = enforce_k_anonymity(df, ["a", "b", "c"], 5)
    assert not violating(out, ["a", "b", "c"], 5).any()
    assert k_achieved(out, ["a", "b", "c"]) >= 5
    # only records that were violating lost values
    touched = set(sup["row"])
    assert touched <= set(df.index[violating(df, ["a", "b", "c"], 5)])
