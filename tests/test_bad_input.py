"""The catalogue of malformed inputs: each gives one line naming the file, the row and column (or the
key) and what was expected; a non-zero exit; no traceback; the raw file unchanged. Inputs that real
exports legitimately have (a BOM, cp1252 bytes, a semicolon delimiter, an Excel title row, SPSS value
labels, a Stata file) are read correctly instead.

Data cases run the entry points the workflow's adapters call (read_raw -> deidentify -> clean ->
scales); config and codebook cases run ``mscsurvey check``; two cases run the workflow itself.

Issue 14's cases, and where each is a row: SPSS user-missing codes (``test_spss_user_missing_*``, and
Stata's in ``test_stata_missing_letters_*``); formula cells with no saved value, a vertical tab / form
feed / NEL / U+2028 inside an answer, end times before start times, a one-respondent survey
(``DATA_ERRORS``, ``test_control_characters_*``); everyone excluded (``TOO_FEW``); ``./results/mine``
beside ``results/mine``, nested dataset folders, a key inside results, ``results: data/raw``,
``results: /``, a key path that is a folder, a misspelt real raw file, the 600-byte alias bomb
(``CHECK_ERRORS``, ``test_the_alias_bomb_is_refused_fast``); a key readable by others and ``--config``
after the subcommand (``test_a_key_readable_by_others_*``). Disk full, permission denied, SIGTERM
(the brief's scratch folder), ``--unlock`` during a live run: tests/test_failure_paths.py. ``verify``
on a consistent edit, on changed inputs, on several datasets in one folder, and no absolute path in
the manifest: tests/test_manifest.py. Identical runs: tests/test_determinism.py.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import io
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import yaml

from mscsurvey.cli import main as cli
from mscsurvey.codebook.spec import load_codebook
from mscsurvey.errors import SurveyError
from mscsurvey.io import read_raw
from mscsurvey.settings import CleanSettings, ScalesSettings
from mscsurvey.stages.clean import clean
from mscsurvey.stages.deidentify import deidentify
from mscsurvey.stages.scales import run_scales

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "config/config.yaml").read_text(encoding="utf-8"))
CODEBOOK = yaml.safe_load((ROOT / "data/codebook.yaml").read_text(encoding="utf-8"))
N_ROWS = 60


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> pd.DataFrame:
    """The first rows of a synthetic raw export (text, as the survey platform wrote it)."""
    from workflow_helpers import snakemake, write_config

    work = tmp_path_factory.mktemp("raw")
    write_config(work, n_respondents=200)
    snakemake(work, "data/raw/survey.csv")
    raw = pd.read_csv(work / "data/raw/survey.csv", dtype=str, keep_default_na=False)
    return raw.head(N_ROWS)


def _stages(path: Path, settings: dict | None = None, **read_options):
    """What the deidentify and clean rules do with a raw file (a fixed test key); ``settings``
    overrides the config's clean block."""
    cb = load_codebook(ROOT / "data/codebook.yaml")
    d = CONFIG["deidentify"]
    out, _ = deidentify(
        read_raw(path, **read_options),
        cb,
        key=b"k" * 32,
        k=d["k"],
        quasi_identifiers=d.get("quasi_identifiers"),
        pseudonym_length=d["pseudonym_length"],
        source=path.name,
    )
    block = CONFIG["clean"] | (settings or {})
    return clean(out, cb, settings=CleanSettings.parse(block), source=path.name)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _csv(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False).encode("utf-8")


def _set(col: str, row: int, value: str) -> Callable[[pd.DataFrame], bytes]:
    def make(df: pd.DataFrame) -> bytes:
        df = df.copy()
        df.loc[row, col] = value
        return _csv(df)

    return make


def _ragged(df: pd.DataFrame) -> bytes:
    lines = df.to_csv(index=False).splitlines()
    lines[4] += ",extra,fields"
    return ("\n".join(lines) + "\n").encode("utf-8")


def _dup_column(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False).replace("tr2", "tr1", 1).encode("utf-8")


def _same_id(df: pd.DataFrame) -> bytes:
    return _csv(df.assign(respondent_id=df["respondent_id"].iloc[0]))


def _xlsx(df: pd.DataFrame, *, title: str | None = None) -> bytes:
    """An Excel export (sheet 'export'), with a title row above the header when given."""
    buf = io.BytesIO()
    with pd.ExcelWriter(buf) as xw:
        if title is not None:
            pd.DataFrame([[title]]).to_excel(xw, sheet_name="export", index=False, header=False)
        df.to_excel(xw, sheet_name="export", index=False, startrow=0 if title is None else 1)
    return buf.getvalue()


def _xlsx_dup_column(df: pd.DataFrame) -> bytes:
    return _xlsx(df.rename(columns={"tr2": "tr1"}))


def _unclosed_quote(df: pd.DataFrame) -> bytes:
    # a last row (spreadsheet row 62) whose first field opens a quote nothing closes
    return _csv(df) + b'"R_unclosed,2020-06-01 10:00:00\n'


def _xlsx_formula(df: pd.DataFrame) -> bytes:
    """An .xlsx written by a script: tr1 of sheet row 5 is a formula with no saved value."""
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(_xlsx(df)))
    sheet = book["export"]
    column = [c.value for c in sheet[1]].index("tr1") + 1
    sheet.cell(row=5, column=column).value = '=IF(1=1,"Agree","Disagree")'
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _nul(df: pd.DataFrame) -> bytes:
    lines = _csv(df).split(b"\n")
    lines[3] = b"\x00" + lines[3]  # line 4
    return b"\n".join(lines)


def _blank_line(df: pd.DataFrame) -> bytes:
    """A blank line after the second response: the unknown label of data row 6 is then on row 8."""
    lines = _set("tr1", 5, "Agreee")(df).split(b"\n")
    return b"\n".join([*lines[:3], b"", *lines[3:]])


# name -> (file name, bytes from the base frame, fragments the one-line message must contain[,
# the dataset's read options: sheet, skip_rows, delimiter, encoding])
# Row numbers are those a person sees in a spreadsheet: the header is row 1, data row i is row i + 2.
DATA_ERRORS = {
    "empty file": ("empty.csv", lambda df: b"", ["empty.csv", "is empty", "expected a header"]),
    "header only": (
        "header.csv",
        lambda df: (",".join(df.columns) + "\n").encode(),
        ["header.csv", "no responses"],
    ),
    "duplicate column names": (
        "dup.csv",
        _dup_column,
        ["dup.csv", "'tr1' appears twice", "unique name"],
    ),
    "missing required column": (
        "missing.csv",
        lambda df: _csv(df.drop(columns=["tr2"])),
        ["missing.csv", "'tr2'", "is missing"],
    ),
    "missing respondent id column": (
        "noid.csv",
        lambda df: _csv(df.drop(columns=["respondent_id"])),
        ["noid.csv", "respondent_id", "is missing"],
    ),
    "unknown label": (
        "label.csv",
        _set("tr1", 5, "Agreee"),
        ["label.csv row 7, column tr1", "'Agreee' is not a label", "expected one of"],
    ),
    "numeric code out of range": (
        "code.csv",
        _set("tr1", 5, "7"),
        ["code.csv row 7, column tr1", "code 7 is out of range", "expected a code 1 to 5"],
    ),
    "grouping category not in the codebook": (
        "group.csv",
        _set("sector", 3, "Aerospace"),
        ["group.csv row 5, column sector", 'a masked value ("AAAAAAAAA"', "expected one of"],
    ),
    "duplicate respondent ids": (
        "ids.csv",
        _same_id,
        ["ids.csv row 3, column respondent_id", "repeats the respondent id of row 2"],
    ),
    "row with too many fields": (
        "ragged.csv",
        _ragged,
        ["ragged.csv", "row 5 has 63 fields but the header has 61"],
    ),
    "timestamp that is not one": (
        "ts.csv",
        _set("start_time", 2, "yesterday"),
        ["ts.csv row 4, column start_time", "is not a timestamp"],
    ),
    "birth date in another format": (
        "bd.csv",
        _set("birth_date", 2, "31/02/1980"),
        ["bd.csv row 4, column birth_date", "is not a date YYYY-MM-DD"],
    ),
    "unreadable format": ("answers.json", lambda df: b"{}", ["answers.json", "expected csv, xlsx"]),
    "bytes that are no text encoding": (
        "binary.csv",
        lambda df: b"respondent_id,tr1\n\x81\x8d\x8f\x90\x9d,1\n",
        ["binary.csv", "is not UTF-8 or cp1252 text"],
    ),
    "blank respondent id": (
        "blank.csv",
        _set("respondent_id", 3, ""),
        ["blank.csv row 5, column respondent_id", "is empty", "expected a respondent id"],
    ),
    "answer between two codes": (
        "half.csv",
        _set("tr1", 5, "4.5"),
        ["half.csv row 7, column tr1", "4.5 is not a whole-number code", "expected a code 1 to 5"],
    ),
    "quote never closed": (
        "quote.csv",
        _unclosed_quote,
        ["quote.csv", "row 62 opens a quote that is never closed"],
    ),
    "Excel title row with no skip_rows": (
        "title.xlsx",
        lambda df: _xlsx(df, title="Survey export, June 2020"),
        ["title.xlsx", "none of the codebook's columns is in the header", "skip_rows"],
    ),
    "Excel sheet that is not there": (
        "sheet.xlsx",
        _xlsx,
        ["sheet.xlsx", "has no sheet 'Responses'", "'export'", "datasets.<name>.sheet"],
        {"sheet": "Responses"},
    ),
    "CSV saved with an .xlsx name": (
        "csv.xlsx",
        _csv,
        ["csv.xlsx", "cannot be read as an Excel workbook", "format: csv"],
    ),
    "Excel column name twice": (
        "dup.xlsx",
        _xlsx_dup_column,
        ["dup.xlsx", "'tr1' appears twice", "unique name"],
    ),
    "Excel formula cell with no saved value": (
        "formula.xlsx",
        _xlsx_formula,
        ["formula.xlsx row 5, column tr1: cell ", "is a formula with no saved value", "as CSV"],
    ),
    "NUL byte in a CSV": ("nul.csv", _nul, ["nul.csv: line 4 holds a NUL byte", "expected text"]),
    "end times before start times (columns swapped)": (
        "swapped.csv",
        lambda df: _csv(df.rename(columns={"start_time": "end_time", "end_time": "start_time"})),
        [
            "swapped.csv row 2, column end_time: ends before its start in column start_time in 60",
            "most rows end before they start: are identifiers.timestamps.start and .end",
        ],
    ),
    "one end time before its start": (
        "clock.csv",
        _set("end_time", 4, "2019-01-01 00:00:00"),
        ["clock.csv row 6, column end_time: ends before its start", "in 1 of 60 timed row(s)"],
    ),
    "a survey with one respondent": (
        "one.csv",
        lambda df: _csv(df.head(1)),
        ["one.csv: 1 of 1 respondents remain after the exclusions", "clean.min_analysed_n = 30"],
    ),
    "an answer longer than a spreadsheet cell can be": (
        "long.csv",
        _set("comment_helped", 5, "x" * 40_000),
        ["long.csv row 7, column comment_helped: holds 40,000 characters", "at most 32,767"],
    ),
    "a header name beyond the CSV reader's field limit": (
        "widehead.csv",
        lambda df: _csv(df.rename(columns={"comment_other": "c" * 200_000})),
        ["widehead.csv: has a header row that cannot be read", "field larger than field limit"],
    ),
    "a blank line in the middle keeps the row numbers": (
        "blankline.csv",
        _blank_line,
        ["blankline.csv row 8, column tr1", "'Agreee' is not a label"],
    ),
    "damaged SPSS file": (
        "broken.sav",
        lambda df: b"$FL2 not really",
        ["broken.sav", "cannot be read as an SPSS .sav file"],
    ),
}


@pytest.mark.parametrize("case", DATA_ERRORS)
def test_malformed_data_gives_one_line_and_leaves_the_file(base, tmp_path, case):
    name, make, fragments, *options = DATA_ERRORS[case]
    path = tmp_path / name
    path.write_bytes(make(base))
    before = _sha(path)
    with pytest.raises(SurveyError) as err:
        _stages(path, **(options[0] if options else {}))
    message = str(err.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    assert _sha(path) == before


# Settings that leave too few respondents: (clean settings, fragments of the one line)
TOO_FEW = {
    "everyone a speeder": (
        {"speeder_min_seconds": 10**9},
        ["everyone.csv: 0 of 60 respondents remain after the exclusions", "speeder 55,", "lower"],
    ),
    "answered share above what anyone answered": (
        {"min_answered_share": 1.0, "min_analysed_n": 59},
        ["respondents remain after the exclusions", "too_little_answered", "= 59"],
    ),
}


@pytest.mark.parametrize("case", TOO_FEW)
def test_an_analysed_sample_below_the_minimum_stops(base, tmp_path, case):
    settings, fragments = TOO_FEW[case]
    path = tmp_path / "everyone.csv"
    path.write_bytes(_csv(base))
    before = _sha(path)
    with pytest.raises(SurveyError) as err:
        _stages(path, settings)
    for fragment in fragments:
        assert fragment in str(err.value), (fragment, str(err.value))
    assert _sha(path) == before


def test_missing_file_is_named(tmp_path):
    with pytest.raises(SurveyError, match=r"nope.csv: does not exist \(expected the raw survey"):
        read_raw(tmp_path / "nope.csv")


# What real exports have and must be read as they are: (file name, bytes)
READABLE = {
    "semicolon delimiter": ("semi.csv", lambda df: df.to_csv(index=False, sep=";").encode()),
    "tab delimiter": ("tab.csv", lambda df: df.to_csv(index=False, sep="\t").encode()),
    "UTF-8 byte-order mark": ("bom.csv", lambda df: b"\xef\xbb\xbf" + _csv(df)),
    "cp1252 (latin-1) bytes": (
        "latin.csv",
        lambda df: df.assign(city="Españ Café").to_csv(index=False).encode("cp1252"),
    ),
    "CRLF line ends": ("crlf.csv", lambda df: _csv(df).replace(b"\n", b"\r\n")),
    "pipe delimiter": ("pipe.csv", lambda df: df.to_csv(index=False, sep="|").encode()),
    "UTF-16 with tabs (Excel's 'Unicode Text')": (
        "unicode.txt",
        lambda df: df.to_csv(index=False, sep="\t").encode("utf-16"),
    ),
}


@pytest.mark.parametrize("case", READABLE)
def test_what_exports_legitimately_have_is_read(base, tmp_path, case):
    name, make = READABLE[case]
    path = tmp_path / name
    path.write_bytes(make(base))
    raw = read_raw(path)
    assert [c for c in raw.columns if c != "_source_row"] == list(base.columns)
    assert raw["tr1"].fillna("").tolist() == base["tr1"].tolist()
    assert _stages(path).validation["received"] == N_ROWS


def test_excel_with_a_title_row_is_read(base, tmp_path):
    xlsx = tmp_path / "export.xlsx"
    xlsx.write_bytes(_xlsx(base, title="Survey export, June 2020"))
    raw = read_raw(xlsx, sheet="export", skip_rows=1)
    assert raw["tr1"].fillna("").tolist() == base["tr1"].tolist()
    assert raw["_source_row"].iloc[0] == 3  # title row 1, header row 2
    assert _stages(xlsx, sheet="export", skip_rows=1).validation["received"] == N_ROWS


def _coded(base: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, dict[int, str]]]:
    """The base frame as SPSS/Stata store it: every item a number with value labels (the scale's
    codes, and 8, 9, ... for its "don't know" answers), other columns text."""
    df = base.copy()
    labels: dict[str, dict[int, str]] = {}
    for item, spec in CODEBOOK["items"].items():
        scale = CODEBOOK["scales"][spec["scale"]]
        value_labels = {int(c): lab for c, lab in scale["codes"].items()}
        value_labels |= {8 + i: lab for i, lab in enumerate(scale.get("missing", []))}
        code = {lab.strip().casefold(): c for c, lab in value_labels.items()}
        df[item] = [code[v.strip().casefold()] if v.strip() else None for v in df[item]]
        df[item] = df[item].astype("float64")
        labels[item] = value_labels
    return df, labels


@pytest.mark.parametrize("kind", ["sav", "dta"])
def test_spss_and_stata_value_labels_give_the_csvs_answers(base, tmp_path, kind):
    pyreadstat = pytest.importorskip("pyreadstat")
    frame, labels = _coded(base)
    path = tmp_path / f"export.{kind}"
    write = pyreadstat.write_sav if kind == "sav" else pyreadstat.write_dta
    write(frame, str(path), variable_value_labels=labels)
    raw = read_raw(path)
    assert raw.loc[5, "tr1"] in CODEBOOK["scales"]["agree5"]["codes"].values()
    csv = tmp_path / "export.csv"
    csv.write_bytes(_csv(base))
    from_labels, from_csv = _stages(path), _stages(csv)
    items = list(CODEBOOK["items"])
    assert from_labels.validation | {"source": "export.csv"} == from_csv.validation
    pd.testing.assert_frame_equal(from_labels.responses[items], from_csv.responses[items])


def test_spss_user_missing_codes_are_the_codebooks_missing_categories(base, tmp_path):
    """SPSS "don't know" codes declared user-missing (8-10) are read as their labels, so they count as
    the codebook's missing answers (pyreadstat alone reads them as blank: 'answered too little')."""
    pyreadstat = pytest.importorskip("pyreadstat")
    frame, labels = _coded(base)
    ranges = {item: [{"lo": 8, "hi": 10}] for item in labels}
    path = tmp_path / "user_missing.sav"
    pyreadstat.write_sav(frame, str(path), variable_value_labels=labels, missing_ranges=ranges)
    raw = read_raw(path)
    items = list(labels)
    dont_know = (frame[items] >= 8).to_numpy()
    assert dont_know.sum() > 0
    # every declared-missing answer is read as its label (none as a blank)
    read = raw[items].to_numpy()
    expected = [
        labels[c][int(v)]
        for c, v in zip(items * len(frame), frame[items].to_numpy().ravel(), strict=True)
        if v >= 8
    ]
    assert list(read[dont_know]) == expected
    csv = tmp_path / "export.csv"
    csv.write_bytes(_csv(base))
    assert _stages(path).validation | {"source": "export.csv"} == _stages(csv).validation


def test_spss_user_missing_code_without_a_label_is_named(base, tmp_path):
    """A user-missing code with no value label and no missing category in the codebook: one line
    naming row, column and the code (never read as a blank)."""
    pyreadstat = pytest.importorskip("pyreadstat")
    frame, labels = _coded(base)
    frame.loc[4, "tr1"] = 99.0
    path = tmp_path / "unlabelled.sav"
    pyreadstat.write_sav(
        frame, str(path), variable_value_labels=labels, missing_ranges={"tr1": [99]}
    )
    before = _sha(path)
    with pytest.raises(SurveyError) as err:
        _stages(path)
    assert str(err.value).startswith(
        "unlabelled.sav row 6, column tr1: 'user-missing 99' is not a label of scale agree5"
    ), str(err.value)
    assert "scales.agree5.missing" in str(err.value)
    assert _sha(path) == before


@pytest.mark.parametrize("char", ["\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029"])
def test_control_characters_inside_an_answer_stay_in_their_row(base, tmp_path, char):
    """Only CR/LF end a CSV record: a vertical tab, form feed, NEL or line separator inside a comment
    stays in it (str.splitlines made one respondent two)."""
    df = base.copy()
    df.loc[3, "comment_helped"] = f"first{char}second"
    path = tmp_path / "ctl.csv"
    path.write_bytes(_csv(df))
    raw = read_raw(path)
    assert len(raw) == N_ROWS
    assert raw.loc[3, "comment_helped"] == f"first{char}second"
    assert raw["respondent_id"].tolist() == base["respondent_id"].tolist()


def test_a_construct_nobody_answered_fails_the_gate_with_its_reason(base, tmp_path):
    df = base.copy()
    items = CODEBOOK["constructs"]["financing"]["items"]
    df[items] = ""
    path = tmp_path / "nofinancing.csv"
    path.write_bytes(_csv(df))
    result = _stages(path)
    cb = load_codebook(ROOT / "data/codebook.yaml")
    scales = run_scales(
        result.responses, cb, settings=ScalesSettings.parse(CONFIG["scales"]), seed=1
    )
    row = scales.reliability.set_index("construct").loc["financing"]
    assert row["status"] == "failed" and row["n_complete"] == 0
    assert str(row["reason"]).startswith(f"item {items[0]} has no answers; kept with a warning")
    # the error gate stops on it (here on the first of the failed constructs, named with its reason)
    with pytest.raises(SurveyError, match=r"key 'scales.gate': construct '\w+' failed the reli"):
        run_scales(
            result.responses,
            cb,
            settings=ScalesSettings.parse(CONFIG["scales"] | {"gate": "error"}),
            seed=1,
        )


def _check(tmp_path: Path, cfg: dict | None = None, cb: dict | str | None = None) -> list[str]:
    """Run ``mscsurvey check`` on a config and codebook written to tmp_path; its stderr lines."""
    cfg = copy.deepcopy(cfg or CONFIG)
    cb_path = tmp_path / "codebook.yaml"
    text = cb if isinstance(cb, str) else yaml.safe_dump(cb or CODEBOOK, sort_keys=False)
    cb_path.write_text(text, encoding="utf-8")
    for ds in cfg["datasets"].values():
        if ds["codebook"] == "data/codebook.yaml":
            ds["codebook"] = str(cb_path)
    cfg_path = tmp_path / "config.yaml"
    cfg_path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        rc = cli(["--config", str(cfg_path), "check"])
    assert rc != 0
    return err.getvalue().splitlines()


def _edit(doc: dict, path: str, value) -> dict:
    """A copy of doc with the value at a dotted path replaced (``DELETE`` removes it)."""
    out = copy.deepcopy(doc)
    *parents, last = path.split(".")
    node = out
    for p in parents:
        node = node[p]
    if value == "DELETE":
        del node[last]
    else:
        node[last] = value
    return out


# name -> (config or None, codebook or None, fragments of the one line)
CHECK_ERRORS = {
    "codebook construct lists an unknown item": (
        None,
        _edit(CODEBOOK, "constructs.trust.items", ["tr1", "tr2", "tr3", "tr4", "zz9"]),
        ["codebook.yaml: key 'constructs.trust.items'", "item 'zz9' is not defined"],
    ),
    "an item in two constructs": (
        None,
        _edit(CODEBOOK, "constructs.power_dynamics.items", ["pd1", "pd2", "pd3", "pd4", "tr1"]),
        ["key 'constructs.power_dynamics.items'", "'tr1' is listed in two constructs"],
    ),
    "a scale without agreement codes": (
        None,
        _edit(CODEBOOK, "scales.agree5.agree", "DELETE"),
        ["key 'scales.agree5.agree'", "is required"],
    ),
    "agreement code not on the scale": (
        None,
        _edit(CODEBOOK, "scales.agree5.agree", [9]),
        ["key 'scales.agree5.agree'", "code 9 is not one of the scale's codes"],
    ),
    "item on an undefined scale": (
        None,
        _edit(CODEBOOK, "items.tr1.scale", "agree7"),
        ["key 'items.tr1.scale'", "scale 'agree7' is not defined"],
    ),
    "unknown key in the codebook": (
        None,
        _edit(CODEBOOK, "constructs.trust.colour", "red"),
        ["key 'constructs.trust.colour'", "unknown key", "allowed here"],
    ),
    "codebook that is not YAML": (
        None,
        "scales:\n  agree5: [1, 2\nitems: {}\n",
        ["codebook.yaml: line 3", "is not valid YAML"],
    ),
    "minimum share above one": (
        None,
        _edit(CODEBOOK, "constructs.trust.min_answered", 1.5),
        ["key 'constructs.trust.min_answered'", "out of range (maximum 1)"],
    ),
    "config with a typo'd key": (
        _edit(CONFIG, "clean.speeder_min_secs", 5),
        None,
        ["config.yaml: key 'clean.speeder_min_secs'", "unknown key"],
    ),
    "a negative k": (
        _edit(CONFIG, "deidentify.k", -5),
        None,
        ["config.yaml: key 'deidentify.k'", "-5 is out of range (minimum 1)"],
    ),
    "a number given as text": (
        _edit(CONFIG, "clean.min_answered_share", "half"),
        None,
        ["key 'clean.min_answered_share'", "expected number, got 'half'"],
    ),
    "a gate that does not exist": (
        _edit(CONFIG, "scales.gate", "ignore"),
        None,
        ["key 'scales.gate'", "expected one of: warn, exclude, error"],
    ),
    "a codebook file that is not there": (
        _edit(CONFIG, "datasets.msc.codebook", "nowhere.yaml"),
        None,
        ["key 'datasets.msc.codebook'", "'nowhere.yaml' does not exist"],
    ),
    "two datasets writing to one folder": (
        _edit(CONFIG, "datasets.copy", copy.deepcopy(CONFIG["datasets"]["msc"])),
        None,
        ["key 'datasets.copy.results'", "also used by dataset 'msc'"],
    ),
    "a driver that is not in the codebook": (
        _edit(
            CONFIG,
            "analyses.models.shared_purpose.predictors",
            ["trust", "happiness"],
        ),
        None,
        ["key 'analyses.models.shared_purpose.predictors'", "'happiness' is neither a construct"],
    ),
    "./results beside results: one folder spelled twice": (
        _edit(CONFIG, "datasets.copy", dict(CONFIG["datasets"]["msc"], results="./results")),
        None,
        ["key 'datasets.copy.results'", "folder './results' is the results folder 'results' of"],
    ),
    "a dataset folder nested in another's": (
        _edit(CONFIG, "datasets.copy", dict(CONFIG["datasets"]["msc"], results="results/inner")),
        None,
        ["key 'datasets.copy.results'", "'results/inner' overlaps the results folder 'results'"],
    ),
    "a key file inside the results folder": (
        _edit(CONFIG, "datasets.msc.key_file", "results/keys/pseudonym.key"),
        None,
        [
            "key 'datasets.msc.key_file'",
            "pseudonym key file 'results/keys/pseudonym.key' is inside",
        ],
    ),
    "results in the raw data folder": (
        _edit(CONFIG, "datasets.msc.results", "data/raw"),
        None,
        ["key 'datasets.msc.raw'", "raw file 'data/raw/survey.csv' is inside the results folder"],
    ),
    "results under the raw data folder": (
        _edit(CONFIG, "datasets.msc.results", "data/raw/out"),
        None,
        ["key 'datasets.msc.results'", "'data/raw/out' is inside the raw data folder 'data/raw'"],
    ),
    "results: / (the whole disk)": (
        _edit(CONFIG, "datasets.msc.results", "/"),
        None,
        ["key 'datasets.msc.results'", "folder '/' holds the folder you run from"],
    ),
    "results: . (the project itself)": (
        _edit(CONFIG, "datasets.msc.results", "."),
        None,
        ["key 'datasets.msc.results'", "folder '.' holds the folder you run from"],
    ),
    "a real dataset's raw file misspelt": (
        _edit(
            _edit(CONFIG, "datasets.msc.synthetic", "DELETE"),
            "datasets.msc.raw",
            "data/raw/survey.cvs",
        ),
        None,
        ["key 'datasets.msc.raw'", "raw file 'data/raw/survey.cvs' does not exist"],
    ),
    "a key file that is a folder": (
        _edit(CONFIG, "datasets.msc.key_file", "data"),
        None,
        ["key 'datasets.msc.key_file'", "'data' is a folder (expected the pseudonym key file"],
    ),
    "a raw file that is a folder": (
        _edit(_edit(CONFIG, "datasets.msc.synthetic", "DELETE"), "datasets.msc.raw", "data"),
        None,
        ["key 'datasets.msc.raw'", "'data' is a folder (expected the raw file itself)"],
    ),
    "a comparison writing into a dataset's folder": (
        _edit(
            _edit(CONFIG, "datasets.w2", dict(CONFIG["datasets"]["msc"], results="out/w2")),
            "comparisons",
            {"waves": {"datasets": ["msc", "w2"], "results": "out/w2/../w2/cmp"}},
        ),
        None,
        ["key 'comparisons.waves.results'", "overlaps the results folder 'out/w2' of dataset 'w2'"],
    ),
    "a YAML alias bomb in the codebook": (
        None,
        "a: &a [x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n"
            for i in range(8)
        ),
        ["codebook.yaml: expands to more than 200,000 values through its aliases"],
    ),
    "a codebook nested beyond reason": (
        None,
        "scales: " + "[" * 50_000 + "]" * 50_000 + "\n",
        ["codebook.yaml: is nested too deeply to read"],
    ),
    "a codebook path that is a folder": (
        _edit(CONFIG, "datasets.msc.codebook", "data"),
        None,
        ["key 'datasets.msc.codebook'", "codebook file 'data' does not exist"],
    ),
    "results: .. (the folder holding the project)": (
        _edit(CONFIG, "datasets.msc.results", ".."),
        None,
        ["key 'datasets.msc.results'", "folder '..' holds the folder you run from"],
    ),
    "a results folder that is a file": (
        _edit(CONFIG, "datasets.msc.results", "README.md"),
        None,
        ["key 'datasets.msc.results'", "'README.md' is a file (expected a folder for the results)"],
    ),
    "a key written twice in the codebook": (
        None,
        yaml.safe_dump(CODEBOOK, sort_keys=False).replace(
            "\nitems:\n", "\nitems:\n  tr1: {text: first, scale: agree5}\n", 1
        ),
        ["codebook.yaml: line ", "key 'tr1' appears twice in one mapping (first on line "],
    ),
}


@pytest.mark.parametrize("case", CHECK_ERRORS)
def test_bad_config_or_codebook_gives_one_line(tmp_path, case):
    cfg, cb, fragments = CHECK_ERRORS[case]
    lines = _check(tmp_path, cfg, cb)
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def test_catalogue_size():
    singles = sum(1 for name in globals() if name.startswith("test_")) - 4  # less the table tests
    n = len(DATA_ERRORS) + len(READABLE) + len(CHECK_ERRORS) + len(TOO_FEW) + singles
    assert n >= 70


def test_debug_shows_the_traceback(tmp_path, monkeypatch):
    """MSCSURVEY_DEBUG=1: the error is raised (with its traceback) instead of printed as one line."""
    monkeypatch.setenv("MSCSURVEY_DEBUG", "1")
    with pytest.raises(SurveyError, match=r"key 'deidentify.k'"):
        _check(tmp_path, _edit(CONFIG, "deidentify.k", -5))


def _real_study(tmp_path: Path, raw_bytes: bytes) -> Path:
    """A study on 'real' data (no synthetic block, no key file) in tmp_path; the raw file's path."""
    from workflow_helpers import write_config

    raw = tmp_path / "export.csv"
    raw.write_bytes(raw_bytes)
    write_config(tmp_path, n_respondents=None)
    cfg_path = tmp_path / "config/config.yaml"
    cfg = yaml.safe_load(cfg_path.read_text(encoding="utf-8"))
    ds = cfg["datasets"]["msc"]
    del ds["synthetic"]
    ds["raw"] = str(raw)
    ds.pop("published", None)
    cfg_path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    return raw


@pytest.mark.slow
def test_real_data_without_a_key_stops_with_one_line(base, tmp_path):
    """No pseudonym key for real data: one line naming the dataset and how to provide a key, no
    traceback, nothing written; a key too short is named with its length, and MSCSURVEY_DEBUG
    shows the traceback."""
    from workflow_helpers import snakemake

    raw = _real_study(tmp_path, _csv(base))
    before = _sha(raw)
    target = "results/deidentified/responses.parquet"
    proc = snakemake(tmp_path, target, check=False)
    assert proc.returncode != 0
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr[-2000:]
    assert "dataset 'msc' has no pseudonym key" in errors[0]
    assert "MSCSURVEY_PSEUDONYM_KEY" in errors[0] and "datasets.msc.key_file" in errors[0]
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / target).exists()
    assert _sha(raw) == before

    env = {"MSCSURVEY_PSEUDONYM_KEY": "abc", "MSCSURVEY_DEBUG": "1"}
    proc = snakemake(tmp_path, target, env=env, check=False)
    assert proc.returncode != 0
    assert "Traceback" in proc.stderr
    assert "environment variable MSCSURVEY_PSEUDONYM_KEY is 3 bytes long" in proc.stderr
    assert not (tmp_path / target).exists()


@pytest.mark.slow
def test_the_workflow_stops_with_one_line_and_keeps_raw_and_later_results(base, tmp_path):
    """Real data with an unknown label, after a good run: the run stops with one line and no
    traceback, the raw file is unchanged, and results of steps that did not run are intact. (The
    failing step's own earlier outputs are removed by Snakemake before it reruns: its rule.)"""
    from workflow_helpers import snakemake

    raw = _real_study(tmp_path, _csv(base))
    env = {"MSCSURVEY_PSEUDONYM_KEY": "ab" * 32}
    target = "results/scales/scores.parquet"
    snakemake(tmp_path, target, env=env)
    scores = tmp_path / target
    kept = _sha(scores)

    raw.write_bytes(_set("tr1", 5, "Agreee")(base))
    before = _sha(raw)
    proc = snakemake(tmp_path, target, env=env, check=False)
    assert proc.returncode != 0
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "export.csv row 7, column tr1" in errors[0], proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    assert _sha(raw) == before
    assert _sha(scores) == kept  # scales did not run: its earlier result stands


def test_a_key_readable_by_others_is_warned_about(tmp_path):
    """A pseudonym key other users can read: `check` warns (one line, how to fix it) and goes on."""
    key = tmp_path / "pseudonym.key"
    key.write_text("ab" * 32 + "\n", encoding="utf-8")
    key.chmod(0o644)
    cfg = _edit(CONFIG, "datasets.msc.key_file", str(key))
    cfg_path = tmp_path / "config.yaml"
    cfg_path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        rc = cli(["check", "--config", str(cfg_path)])  # the option after the subcommand works too
    warnings = [line for line in err.getvalue().splitlines() if line.startswith("warning:")]
    assert warnings == [
        f"warning: {key}: the pseudonym key of dataset 'msc' can be read by other users (mode 0644); "
        f"expected owner-only: chmod 600 {key}"
    ]
    assert rc == 0
    key.chmod(0o600)
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        assert cli(["--config", str(cfg_path), "check"]) == 0
    assert "warning:" not in err.getvalue()


def test_size_limits_are_named(base, tmp_path, monkeypatch):
    """A raw file, or an .xlsx's unpacked contents, beyond the size limit: one line with the sizes
    (limits lowered here so the test writes kilobytes, not gigabytes); a folder given as the raw file
    is named as one."""
    import mscsurvey.io as mio

    monkeypatch.setattr(mio, "MAX_RAW_BYTES", 1000)
    csv = tmp_path / "big.csv"
    csv.write_bytes(_csv(base))
    with pytest.raises(SurveyError, match=r"big.csv: is [\d,]+ bytes \(expected at most 1,000: "):
        read_raw(csv)
    xlsx = tmp_path / "small.xlsx"
    xlsx.write_bytes(_xlsx(base.head(3)))
    monkeypatch.setattr(mio, "MAX_RAW_BYTES", xlsx.stat().st_size + 1)
    with pytest.raises(
        SurveyError, match=r"small.xlsx: unpacks to [\d,]+ bytes \(expected at most"
    ):
        read_raw(xlsx)
    with pytest.raises(SurveyError, match=r": is a folder \(expected the raw survey export file\)"):
        read_raw(tmp_path)


def test_the_alias_bomb_is_refused_before_it_is_expanded(tmp_path):
    """The 600-byte bomb took 104 s to reject. A bomb of 9^13 (~2.5 x 10^12) values, which no
    machine could expand, is refused with the same one line: the count is bounded while the aliases
    are resolved, not after (the seconds are a benchmark's business, not this test's)."""
    from mscsurvey.schema import load_yaml

    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(12)
    )
    path = tmp_path / "codebook.yaml"
    path.write_text(bomb, encoding="utf-8")
    with pytest.raises(
        SurveyError, match="expands to more than 200,000 values through its aliases"
    ):
        load_yaml(path)


def test_stata_missing_letters_are_the_codebooks_missing_categories(base, tmp_path):
    """Stata's .a-.z user-missing values, labelled, read as their labels (not as blanks)."""
    pyreadstat = pytest.importorskip("pyreadstat")
    frame, labels = _coded(base)
    items = list(labels)
    letters = {}
    for item in items:
        lab = dict(labels[item])
        # Stata: the "don't know" codes (8, 9, ...) become the missing letters a, b, ...
        for code in [c for c in lab if c >= 8]:
            letter = "abcdefghij"[code - 8]
            lab[letter] = lab.pop(code)
            frame[item] = frame[item].astype(object).where(frame[item] != code, letter)
        labels[item] = lab
        letters[item] = [k for k in lab if isinstance(k, str)]
    path = tmp_path / "user_missing.dta"
    pyreadstat.write_dta(
        frame, str(path), variable_value_labels=labels, missing_user_values=letters
    )
    csv = tmp_path / "export.csv"
    csv.write_bytes(_csv(base))
    assert _stages(path).validation | {"source": "export.csv"} == _stages(csv).validation


def test_a_symlink_to_another_results_folder_is_the_same_folder(tmp_path, monkeypatch):
    """Paths are compared after resolving symbolic links: a link to another dataset's folder is
    refused like the folder itself."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "alias").symlink_to(tmp_path / "out", target_is_directory=True)
    cfg = _edit(CONFIG, "datasets.msc.results", "out")
    cfg = _edit(cfg, "datasets.copy", dict(CONFIG["datasets"]["msc"], results="alias"))
    for ds in cfg["datasets"].values():
        ds["codebook"] = str(ROOT / "data/codebook.yaml")
    lines = _check(tmp_path, cfg)
    assert len(lines) == 1
    assert "key 'datasets.copy.results': folder 'alias' is the results folder 'out'" in lines[0]


def test_a_config_that_is_not_utf8_is_one_line(tmp_path):
    """A config saved in another encoding: one line naming the file (not a UnicodeDecodeError)."""
    cfg_path = tmp_path / "config.yaml"
    cfg_path.write_bytes("seed: 1\n# caf\u00e9\n".encode("cp1252"))
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        assert cli(["--config", str(cfg_path), "check"]) == 2
    assert (
        err.getvalue().strip()
        == f"error: {cfg_path}: is not UTF-8 text (invalid continuation byte at byte 13)"
    )
