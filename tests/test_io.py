"""Reading raw exports (CSV dialects, encodings, Excel, SPSS, Stata) and atomic, deterministic writes."""

from __future__ import annotations

import pandas as pd
import pytest

from mscsurvey.errors import SurveyError
from mscsurvey.io import atomic_open, read_raw, sha256_file, write_json, write_parquet

HEADER = "rid,name,a1,colour\n"
ROWS = "r1,Zoë Ávila,Agree,Red\nr2,Bo,Strongly agree,Blue\n"


def write(tmp_path, name, data: bytes):
    p = tmp_path / name
    p.write_bytes(data)
    return p


def test_plain_csv_with_source_rows(tmp_path):
    df = read_raw(write(tmp_path, "s.csv", (HEADER + ROWS).encode()))
    assert list(df.columns) == ["_source_row", "rid", "name", "a1", "colour"]
    assert df["_source_row"].tolist() == [2, 3]
    assert df.loc[0, "name"] == "Zoë Ávila"


@pytest.mark.parametrize("delim", [";", "\t", "|"])
def test_delimiter_is_detected(tmp_path, delim):
    text = (HEADER + ROWS).replace(",", delim)
    df = read_raw(write(tmp_path, "s.csv", text.encode()))
    assert df["a1"].tolist() == ["Agree", "Strongly agree"]


def test_declared_delimiter_wins(tmp_path):
    text = "rid;a1\nr1;Agree, mostly\n"
    df = read_raw(write(tmp_path, "s.csv", text.encode()), delimiter=";")
    assert df.loc[0, "a1"] == "Agree, mostly"


def test_utf8_bom(tmp_path):
    df = read_raw(write(tmp_path, "s.csv", b"\xef\xbb\xbf" + (HEADER + ROWS).encode()))
    assert df.columns[1] == "rid"  # not '\ufeffrid'


def test_cp1252_bytes(tmp_path):
    df = read_raw(write(tmp_path, "s.csv", (HEADER + ROWS).encode("cp1252")))
    assert df.loc[0, "name"] == "Zoë Ávila"


def test_declared_encoding_that_does_not_fit(tmp_path):
    p = write(tmp_path, "s.csv", (HEADER + ROWS).encode("cp1252"))
    with pytest.raises(SurveyError, match=r"s.csv: cannot be read as utf-8"):
        read_raw(p, encoding="utf-8")


def test_empty_values_are_missing_but_na_text_is_kept(tmp_path):
    df = read_raw(write(tmp_path, "s.csv", b"rid,a1\nr1,\nr2,N/A\nr3,NA\n"))
    assert pd.isna(df.loc[0, "a1"])
    assert df["a1"].tolist()[1:] == ["N/A", "NA"]  # labels such as "N/A" are answers, mapped later


@pytest.mark.parametrize(
    ("data", "pattern"),
    [
        (b"", r"s.csv: is empty"),
        (b"   \n\n", r"s.csv: is empty"),
        (HEADER.encode(), r"s.csv: has a header but no responses"),
        (b"rid,a1,a1\nr1,Agree,Agree\n", r"column name 'a1' appears twice \(columns 2 and 3\)"),
        (b"rid,,a1\nr1,x,Agree\n", r"header column 2 has no name"),
    ],
)
def test_malformed_csv(tmp_path, data, pattern):
    p = write(tmp_path, "s.csv", data)
    before = sha256_file(p)
    with pytest.raises(SurveyError, match=pattern) as exc:
        read_raw(p)
    assert "\n" not in str(exc.value)
    assert sha256_file(p) == before  # the raw file is never modified


def test_missing_file(tmp_path):
    with pytest.raises(SurveyError, match=r"nope.csv: does not exist"):
        read_raw(tmp_path / "nope.csv")


def test_unknown_format(tmp_path):
    with pytest.raises(SurveyError, match=r"has format 'json', which cannot be read"):
        read_raw(write(tmp_path, "s.json", b"{}"))


def test_excel_with_title_row(tmp_path):
    p = tmp_path / "s.xlsx"
    body = pd.DataFrame({"rid": ["r1", "r2"], "a1": ["Agree", "Disagree"]})
    with pd.ExcelWriter(p) as xw:
        pd.DataFrame([["MSC survey export, June 2021"]]).to_excel(
            xw, sheet_name="export", header=False, index=False
        )
        body.to_excel(xw, sheet_name="export", startrow=1, index=False)
    df = read_raw(p, sheet="export", skip_rows=1)
    assert df["a1"].tolist() == ["Agree", "Disagree"]
    assert df["_source_row"].tolist() == [3, 4]  # the spreadsheet's own row numbers


def test_spss_value_labels_are_used(tmp_path):
    import pyreadstat

    p = tmp_path / "s.sav"
    df = pd.DataFrame({"rid": ["r1", "r2", "r3"], "a1": [4.0, 5.0, float("nan")]})
    pyreadstat.write_sav(
        df, str(p), variable_value_labels={"a1": {4.0: "Agree", 5.0: "Strongly agree"}}
    )
    out = read_raw(p)
    assert out["a1"].tolist()[:2] == ["Agree", "Strongly agree"]
    assert pd.isna(out.loc[2, "a1"])


def test_stata_file(tmp_path):
    p = tmp_path / "s.dta"
    pd.DataFrame({"rid": ["r1", "r2"], "a1": [4, 2]}).to_stata(p, write_index=False)
    out = read_raw(p)
    assert out["a1"].tolist() == ["4", "2"]


def test_atomic_write_failure_keeps_old_file(tmp_path):
    p = tmp_path / "out.json"
    write_json({"a": 1}, p)
    with pytest.raises(RuntimeError), atomic_open(p) as fh:
        fh.write('{"a": 2')
        raise RuntimeError("killed mid-write")
    assert p.read_text(encoding="utf-8") == '{\n  "a": 1\n}\n'
    assert [f.name for f in tmp_path.iterdir()] == ["out.json"]  # no temporary file left


def test_parquet_is_byte_identical(tmp_path):
    df = pd.DataFrame({"x": [1, 2], "y": pd.Categorical(["a", "b"])})
    write_parquet(df, tmp_path / "a.parquet")
    write_parquet(df, tmp_path / "b.parquet")
    assert sha256_file(tmp_path / "a.parquet") == sha256_file(tmp_path / "b.parquet")


def test_json_nan_becomes_null(tmp_path):
    import numpy as np

    write_json({"b": np.float64("nan"), "a": np.int64(3)}, tmp_path / "x.json")
    assert (tmp_path / "x.json").read_text(encoding="utf-8") == '{\n  "a": 3,\n  "b": null\n}\n'


def test_stale_temporary_file_of_a_killed_write_is_removed(tmp_path):
    stale = tmp_path / ".out.json.abc123.tmp"
    stale.write_text("half", encoding="utf-8")
    write_json({"a": 1}, tmp_path / "out.json")
    assert sorted(f.name for f in tmp_path.iterdir()) == ["out.json"]


def test_outputs_get_umask_permissions_and_secrets_stay_private(tmp_path):
    import os
    import stat

    old = os.umask(0o027)
    try:
        write_json({"a": 1}, tmp_path / "shared.json")
        with atomic_open(tmp_path / "secret.key", private=True) as fh:
            fh.write("k\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "shared.json").stat().st_mode) == 0o640
    assert stat.S_IMODE((tmp_path / "secret.key").stat().st_mode) == 0o600


@pytest.mark.parametrize(
    "data",
    [
        b"id,text\n1,a\n2,b\n",
        b"id,text\r\n1,a\r\n2,b\r\n",
        b"id,text\r1,a\r2,b",
        b'\xef\xbb\xbfid,text\n1,"two\r\nlines"\n2,Jos\xc3\xa9\n',
        b"id;text\n1;a\n\n2;b\n\n\n",
        b"title row\nid,text\n1,\n,\n2,\xe2\x80\x94 dash\n",
        b"id,text\n1,a\x0bb\n2,c\xe2\x80\xa8d\n",
    ],
)
def test_utf8_bytes_read_as_the_decoded_text_is(tmp_path, data):
    # a UTF-8 file is parsed from its bytes (no decoded copy: memory at 10^6 rows); a declared
    # encoding takes the text path (decode, record ends, skip rows, re-encode): the same frame
    p = tmp_path / "raw.csv"
    p.write_bytes(data)
    skip = 1 if data.startswith(b"title") else 0
    fast = read_raw(p, skip_rows=skip)
    text = read_raw(p, skip_rows=skip, encoding="utf-8-sig")
    pd.testing.assert_frame_equal(fast, text)
    assert len(fast) == 2


def test_nul_byte_in_utf8_file_names_its_line(tmp_path):
    p = tmp_path / "raw.csv"
    p.write_bytes(b"id,text\n1,a\n2,b\x00c\n")
    with pytest.raises(SurveyError, match="line 3 holds a NUL byte"):
        read_raw(p)
