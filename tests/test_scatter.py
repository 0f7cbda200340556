"""End to end: de-identification's free text scrubbed by 3 scrub_text jobs (deidentify.text_chunks)
gives byte-identical de-identified and clean outputs to the one-job run."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from workflow_helpers import planned_jobs, snakemake, write_config

pytestmark = pytest.mark.slow

TARGETS = [
    "results/deidentified/responses.parquet",
    "results/deidentified/deid_report.json",
    "results/clean/responses.parquet",
    "results/clean/exclusions.parquet",
    "results/clean/validation.json",
]


def _run(workdir: Path, chunks: int) -> dict[str, str]:
    write_config(workdir, deidentify__text_chunks=chunks)
    snakemake(workdir, *TARGETS)
    return {t: hashlib.sha256((workdir / t).read_bytes()).hexdigest() for t in TARGETS}


def test_three_text_chunks_give_the_same_bytes_as_one_job(tmp_path):
    one = tmp_path / "one"
    three = tmp_path / "three"
    assert "scrub_text" not in planned_jobs(_setup(one, 1), *TARGETS)
    assert "scrub_text" in planned_jobs(_setup(three, 3), *TARGETS)
    assert _run(one, 1) == _run(three, 3)
    # three chunk jobs ran, and their temporary chunk files are gone
    logs = sorted(p.name for p in (three / "results" / "logs" / "scrub_text").iterdir())
    assert logs == ["1-of-3.log", "2-of-3.log", "3-of-3.log"]
    assert not list((three / "results" / "deidentified").glob("text/*"))


def _setup(workdir: Path, chunks: int) -> Path:
    write_config(workdir, deidentify__text_chunks=chunks)
    return workdir


def test_a_failed_deidentify_leaves_no_scrubbed_chunk(tmp_path):
    # the chunks hold scrubbed text that has not passed the leak check: a stopped deidentify job
    # removes them (a one-job run writes nothing then either)
    write_config(tmp_path, deidentify__text_chunks=2, deidentify__quasi_identifiers=["no_such"])
    proc = snakemake(tmp_path, "results/deidentified/responses.parquet", check=False)
    assert proc.returncode != 0
    assert "quasi-identifier 'no_such'" in proc.stderr
    assert len(list((tmp_path / "results" / "logs" / "scrub_text").glob("*.log"))) == 2
    assert not [p for p in (tmp_path / "results").rglob("*") if "deidentified" in p.parts]
