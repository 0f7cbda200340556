"""End to end: the workflow on a small synthetic study in a temporary folder.

Checks what a person relies on: the outputs appear; a second run does nothing; a cleaning setting reruns
clean but not deidentify; the exclusions are exactly the mess the generator planted; no identifier of
the raw file reaches any file under results/.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from workflow_helpers import planned_jobs, snakemake, write_config

from mscsurvey.codebook.spec import load_codebook
from mscsurvey.io import read_raw
from mscsurvey.privacy.leaks import NAME_TOKEN, roster_values, scan

pytestmark = pytest.mark.slow

N = 320  # raw rows of the small study


@pytest.fixture(scope="module")
def study(tmp_path_factory, root):
    work = tmp_path_factory.mktemp("study")
    write_config(work, n_respondents=N)
    snakemake(work)
    return work


def test_outputs_exist(study):
    for rel in [
        "data/raw/survey.csv",
        "data/raw/truth.json",
        "results/deidentified/responses.parquet",
        "results/deidentified/deid_report.json",
        "results/clean/responses.parquet",
        "results/clean/exclusions.parquet",
        "results/clean/validation.json",
        "results/logs/deidentify.log",
        "results/logs/clean.log",
        "results/benchmarks/clean.tsv",
    ]:
        assert (study / rel).is_file(), rel
    assert not list((study / "results").rglob("*.tmp")), "a temporary file was left behind"


def test_second_run_has_nothing_to_do(study):
    assert planned_jobs(study) == set()


def test_cleaning_setting_reruns_clean_not_deidentify(study):
    cfg = study / "config" / "config.yaml"
    original = cfg.read_text(encoding="utf-8")
    try:
        write_config(study, n_respondents=N, clean__speeder_min_seconds=200)
        jobs = planned_jobs(study)
        assert "clean" in jobs
        assert "deidentify" not in jobs and "synthesize" not in jobs
    finally:
        cfg.write_text(original, encoding="utf-8")
    assert planned_jobs(study) == set()


def test_exclusions_are_the_planted_mess(study):
    truth = json.loads((study / "data/raw/truth.json").read_text(encoding="utf-8"))
    planted = truth["planted"]
    ex = pd.read_parquet(study / "results/clean/exclusions.parquet")
    kind = {
        "duplicate": "duplicate",
        "partial": "too_little_answered",
        "speeder": "speeder",
        "straightliner": "straightliner",
    }
    for planted_kind, reason in kind.items():
        rows = sorted(r["row"] for r in planted[planted_kind])
        assert sorted(ex.loc[ex["reason"] == reason, "source_row"]) == rows, planted_kind
    clean = pd.read_parquet(study / "results/clean/responses.parquet")
    assert sorted(clean["source_row"]) == sorted(planted["analysed_rows"])


def test_no_identifier_reaches_results(study, root):
    codebook = load_codebook(root / "data" / "codebook.yaml")
    raw = read_raw(study / "data/raw/survey.csv")
    needles = roster_values(raw, codebook)
    n_values = sum(len(v) for k, v in needles.items() if k != NAME_TOKEN)
    assert n_values >= 200 * 5  # names, e-mails, phones, addresses, ids... of every respondent
    assert scan([study / "results"], needles) == []
    # the scan can fail: the raw file itself is full of them
    assert len(scan([study / "data/raw/survey.csv"], needles)) >= n_values


def test_free_text_was_scrubbed(study):
    report = json.loads((study / "results/deidentified/deid_report.json").read_text("utf-8"))
    placeholders = report["free_text"]["placeholders"]
    assert sum(placeholders.values()) >= 20
    assert {"NAME", "EMAIL", "PHONE"} <= set(placeholders)
    clean = pd.read_parquet(study / "results/clean/responses.parquet")
    text = " ".join(clean["comment_helped"].dropna()) + " ".join(clean["comment_other"].dropna())
    assert "[NAME]" in text and "@" not in text


def test_config_typo_stops_the_run_with_one_line(tmp_path):
    write_config(tmp_path, n_respondents=N, clean__speeder_min_secs=100)
    proc = snakemake(tmp_path, "--dry-run", check=False)
    assert proc.returncode != 0
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        "error: config/config.yaml: key 'clean.speeder_min_secs': unknown key (allowed here: "
        "duplicates, min_analysed_n, min_answered_share, speeder_min_seconds, straightline_min_items)"
    ]
    assert "Traceback" not in proc.stderr


def test_real_data_without_a_key_stops_before_writing(study, tmp_path):
    import shutil

    raw = tmp_path / "export.csv"
    shutil.copy(study / "data/raw/survey.csv", raw)
    write_config(tmp_path, n_respondents=None)
    cfg_path = tmp_path / "config" / "config.yaml"
    import yaml

    cfg = yaml.safe_load(cfg_path.read_text(encoding="utf-8"))
    ds = cfg["datasets"]["msc"]
    del ds["synthetic"]
    ds["raw"] = str(raw)
    cfg_path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    before = raw.read_bytes()
    proc = snakemake(tmp_path, check=False)
    assert proc.returncode != 0
    assert "no pseudonym key" in proc.stderr and "MSCSURVEY_PSEUDONYM_KEY" in proc.stderr
    assert raw.read_bytes() == before  # the raw file is untouched
    assert not (tmp_path / "results" / "deidentified" / "responses.parquet").exists()


def test_every_table_meets_its_contract_and_reads_back_from_csv_and_workbook(study):
    from openpyxl import load_workbook

    from mscsurvey.contracts import CONTRACTS, TABLES, validate

    results = study / "results"
    written = [n for n, c in CONTRACTS.items() if (results / c.path).is_file()]
    assert {"agreement", "regressions", "reliability", "invariance", "exclusions"} <= set(written)
    for name in written:  # the writers checked them; a reader can rely on them
        validate(pd.read_parquet(results / CONTRACTS[name].path), name)
    tables = [n for n in TABLES if (results / CONTRACTS[n].path).is_file()]
    assert "exclusions" not in tables  # one row per respondent: restricted, not a reviewer's table
    wb = load_workbook(results / "tables/tables.xlsx", read_only=True)
    assert wb.sheetnames == ["dictionary", *tables]
    d = pd.read_csv(results / "tables/dictionary.csv", keep_default_na=False)
    for name in tables:
        parquet = pd.read_parquet(results / CONTRACTS[name].path)
        csv = pd.read_csv(results / f"tables/{name}.csv", keep_default_na=False, na_values=[""])
        assert list(csv.columns) == list(parquet.columns) and len(csv) == len(parquet)
        for col in CONTRACTS[name].cols:  # value by value, numbers to the last digit
            a, b = parquet[col.name], csv[col.name]
            if col.kind in ("float", "int", "Int", "anyint"):
                assert np.array_equal(a.astype("float64"), b.astype("float64"), equal_nan=True), (
                    name,
                    col.name,
                )
            elif col.kind in ("bool", "boolean", "anybool"):
                assert _flags(a) == _flags(b), (name, col.name)
            else:  # text: "" and missing are both an empty CSV cell
                assert a.fillna("").tolist() == b.fillna("").astype(str).tolist(), (name, col.name)
        sheet = list(wb[name].iter_rows(values_only=True))
        assert list(sheet[0]) == list(parquet.columns) and len(sheet) == len(parquet) + 1
        assert sorted(d.loc[d["table"] == name, "column"]) == sorted(parquet.columns)
        assert (results / f"tables/html/{name}.html").is_file()


def _flags(s: pd.Series) -> list[bool | None]:
    """True/False/None from a bool, nullable boolean or CSV-read column (missing -> None)."""
    return [None if m else bool(v) for v, m in zip(s.astype(object), s.isna(), strict=True)]
