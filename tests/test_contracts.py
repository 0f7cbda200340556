"""Table contracts (mscsurvey.contracts), the data dictionary and the reviewers' tables
(mscsurvey.stages.tables): a wrong table is refused with one line naming table, row, column and what was
expected (never the value); the dictionary lists every column; CSV and workbook read back equal to the
table; the workbook's bytes do not depend on when it was written."""

from __future__ import annotations

import io
import time

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from mscsurvey import contracts
from mscsurvey.contracts import CONTRACTS, TABLES, dictionary, validate
from mscsurvey.errors import SurveyError
from mscsurvey.io import read_parquet, write_table
from mscsurvey.stages.tables import csv_text, html_page, workbook_bytes
from mscsurvey.stats import cfa, invariance


def reliability() -> pd.DataFrame:
    """A valid two-construct reliability table."""
    rows = []
    for cid, status in [("trust", "ok"), ("equity", "weak")]:
        rows.append(
            {
                "construct": cid,
                "label": cid.title(),
                "n_items": 4,
                "n_complete": 100,
                "n_scored": 120,
                **dict.fromkeys(
                    ["alpha", "alpha_ci_low", "alpha_ci_high", "alpha_std", "omega_total"], 0.8
                ),
                "alpha_ci_method": "feldt",
                **dict.fromkeys(["ordinal_alpha", "ordinal_omega", "average_r"], 0.5),
                "mean": 3.9,
                "sd": 0.7,
                "status": status,
                "included": True,
                "reason": "",
            }
        )
    return pd.DataFrame(rows, columns=CONTRACTS["reliability"].columns)


def test_a_valid_table_passes_unchanged():
    df = reliability()
    assert validate(df, "reliability") is df


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d.assign(status=["ok", "great"]),
            r"^x\.parquet \(table reliability\) row 1, column status: expected text passing isin",
        ),
        (
            lambda d: d.assign(n_complete=[100, -3]),
            r"^x\.parquet \(table reliability\) row 1, column n_complete: expected integer passing "
            r"greater_than_or_equal_to\(0\)",
        ),
        (
            lambda d: d.assign(n_items=[4.0, 4.5]),
            r"column n_items: expected integer .*found dtype float64",
        ),
        (
            lambda d: d.assign(status=["ok", None]),
            r"row 1, column status: expected text with no missing value",
        ),
        (
            lambda d: d.drop(columns="omega_total"),
            r"\(table reliability\): expected the columns construct, .* missing: omega_total; "
            r"unexpected: none",
        ),
        (
            lambda d: d[[*d.columns[1:], d.columns[0]]],
            r"expected the columns construct, label, .* in this order",
        ),
    ],
)
def test_a_wrong_table_is_refused_in_one_line(change, expected):
    with pytest.raises(SurveyError, match=expected) as err:
        validate(change(reliability()), "reliability", file="x.parquet")
    assert "\n" not in str(err.value)


def test_the_message_never_shows_the_value():
    df = reliability()
    df["label"] = ["Trust", 7]  # text column holding a number
    with pytest.raises(SurveyError, match=r"row 1, column label: expected text passing text"):
        validate(df, "reliability")
    bad = reliability().assign(status=["ok", "Jane Q. Public"])
    with pytest.raises(SurveyError) as err:
        validate(bad, "reliability")
    assert "Jane" not in str(err.value)
    assert "a text of 14 characters" in str(err.value)


def test_write_table_refuses_before_writing(tmp_path):
    path = tmp_path / "reliability.parquet"
    with pytest.raises(SurveyError, match="table reliability"):
        write_table(reliability().assign(sd=[0.7, -1.0]), path, "reliability")
    assert not path.exists()
    write_table(reliability(), path, "reliability")
    pd.testing.assert_frame_equal(read_parquet(path), reliability())


def test_an_empty_table_needs_only_its_columns():
    empty = pd.DataFrame(columns=CONTRACTS["pairwise"].columns)
    assert validate(empty, "pairwise") is empty
    with pytest.raises(SurveyError, match="missing: p_fdr_bh"):
        validate(empty.drop(columns="p_fdr_bh"), "pairwise")


def test_engines_write_the_columns_of_their_contracts():
    # the stats engines know nothing of contracts; their column lists must still agree
    assert CONTRACTS["cfa_fit"].columns == cfa.FIT_COLUMNS
    assert CONTRACTS["cfa_loadings"].columns == cfa.LOADING_COLUMNS
    assert CONTRACTS["invariance"].columns == invariance.INVARIANCE_COLUMNS


def test_every_column_has_a_one_line_description_and_a_known_type():
    for con in CONTRACTS.values():
        assert con.row and "\n" not in con.row
        for col in con.cols:
            assert col.description.strip(), (con.name, col.name)
            assert "\n" not in col.description
            assert contracts.kind_name(col)


def test_the_dictionary_lists_every_column_of_every_table():
    d = dictionary()
    listed = set(zip(d["table"], d["column"], strict=True))
    expected = {(c.name, col) for c in CONTRACTS.values() for col in c.columns}
    assert listed == expected
    assert len(d) == len(expected)
    row = d[(d["table"] == "reliability") & (d["column"] == "status")].iloc[0]
    assert row["allowed"] == "ok, weak, failed"
    assert row["missing"] == "no"
    assert set(TABLES) <= set(CONTRACTS)


def test_csv_reads_back_equal_to_the_table():
    df = reliability()
    df.loc[1, "alpha"] = np.nan
    df.loc[0, "mean"] = 1 / 3  # full precision survives
    # only the number column's empty cell is missing; the text column's "" stays ""
    back = pd.read_csv(io.StringIO(csv_text(df)), keep_default_na=False, na_values={"alpha": [""]})
    pd.testing.assert_frame_equal(back, df, check_dtype=False)


def _tables() -> dict[str, pd.DataFrame]:
    rel = reliability()
    rel.loc[1, "alpha"] = np.nan
    return {"reliability": rel, "cfa_fit": pd.DataFrame(columns=CONTRACTS["cfa_fit"].columns)}


def test_the_workbook_has_the_dictionary_and_a_sheet_per_table():
    tables = _tables()
    wb = load_workbook(io.BytesIO(workbook_bytes(tables, dictionary(tables))), read_only=True)
    assert wb.sheetnames == ["dictionary", "reliability", "cfa_fit"]
    rows = list(wb["reliability"].iter_rows(values_only=True))
    assert list(rows[0]) == CONTRACTS["reliability"].columns
    back = pd.DataFrame(rows[1:], columns=rows[0])
    assert back["alpha"].isna().tolist() == [False, True]  # missing -> empty cell
    assert back["n_items"].tolist() == [4, 4]
    assert back["status"].tolist() == ["ok", "weak"]
    assert back["included"].tolist() == [True, True]
    d = list(wb["dictionary"].iter_rows(values_only=True))
    assert len(d) == 1 + len(CONTRACTS["reliability"].cols) + len(CONTRACTS["cfa_fit"].cols)
    assert wb.properties.created == wb.properties.modified


def test_the_workbook_bytes_do_not_depend_on_the_time():
    tables = _tables()
    first = workbook_bytes(tables, dictionary(tables))
    time.sleep(1.1)  # openpyxl stamps the time of saving to the second
    assert workbook_bytes(tables, dictionary(tables)) == first


def test_the_html_page_shows_the_table_and_its_columns():
    page = html_page("reliability", reliability())
    assert page.count("<tr>") == 3  # header + 2 rows
    assert "<td>0.8<td>" in page  # numbers rounded for reading
    assert "Cronbach&#x27;s alpha" in page or "Cronbach's alpha" in page
    assert "Allowed: ok, weak, failed" in page


def test_the_leak_scan_sees_into_the_workbook(tmp_path):
    """An .xlsx is a zip: a byte search cannot see its cells, so scan-leaks reads its sheets."""
    from mscsurvey.privacy.leaks import scan

    rel = reliability()
    rel.loc[1, "reason"] = "ask o.vasquerra@quillfeather.org"
    (tmp_path / "tables.xlsx").write_bytes(workbook_bytes({"reliability": rel}, dictionary()))
    assert b"quillfeather" not in (tmp_path / "tables.xlsx").read_bytes()  # compressed
    found = scan([tmp_path], {"email": ["o.vasquerra@quillfeather.org"]})
    assert [f.needle_type for f in found] == ["email"]
    assert "sheet reliability" in found[0].file


def test_the_public_flag_matches_what_the_release_copies():
    from mscsurvey.stages.release import PUBLIC_TABLES

    assert {n for n, c in CONTRACTS.items() if c.public} == set(PUBLIC_TABLES)
    for name, (path, counts) in PUBLIC_TABLES.items():
        assert CONTRACTS[name].path == path
        assert set(counts) <= set(CONTRACTS[name].columns)


def test_json_cells_are_shown_rounded_on_the_page():
    inv = pd.DataFrame(columns=CONTRACTS["invariance"].columns)
    page = html_page("invariance", inv)
    assert "0 rows" in page
    from mscsurvey.stages.tables import _rounded_json

    assert _rounded_json('{"WA": {"trust": [0.000877123, NaN]}}') == (
        '{"WA": {"trust": [0.0009, NaN]}}'
    )
    assert _rounded_json("[not json") == "[not json"
    assert _rounded_json("plain 0.123456789") == "plain 0.123456789"


def test_cfa_fit_with_an_ordinal_row_keeps_its_object_count_column():
    """The WLSMV row has no parameter count: the column is then object (ints and <NA>), as written
    today; the contract checks it by value."""
    row = {c: 1.0 for c in CONTRACTS["cfa_fit"].columns}
    row.update(model="all", method="fiml", information="observed", converged=True, note="")
    row.update({c: 10 for c in ["n", "n_complete", "n_items", "n_factors", "df"]})
    fit = pd.DataFrame([row, {**row, "method": "wlsmv"}], columns=CONTRACTS["cfa_fit"].columns)
    fit["n_parameters"] = pd.Series([75, pd.NA], dtype=object)
    assert validate(fit, "cfa_fit") is fit
    read_back = fit.assign(n_parameters=pd.to_numeric(fit["n_parameters"]).astype("float64"))
    assert validate(read_back, "cfa_fit") is read_back
    fit["n_parameters"] = pd.Series([75, 7.5], dtype=object)
    with pytest.raises(SurveyError, match="row 1, column n_parameters: expected integer"):
        validate(fit, "cfa_fit")
