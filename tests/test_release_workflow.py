"""End to end (issue 13): the workflow on a small synthetic study writes the public-use folder; it holds
no restricted file (no pseudonym, person pseudonym, source row or free text of the analysed responses
outside the brief's quotes), the public microdata is k-anonymous on every key variable with k at least
deidentify.k, the manifest labels public and restricted files, every quote's attribution cell has at
least k analysed respondents and k compatible released records, and `mscsurvey quotes` writes its
review file only outside the public folder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from workflow_helpers import snakemake, write_config

from mscsurvey.codebook.spec import load_codebook
from mscsurvey.privacy.kanonymity import k_achieved
from mscsurvey.stages.release import RECORD_ID, attribution_cell_sizes

pytestmark = pytest.mark.slow

N = 320


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    work = tmp_path_factory.mktemp("release")
    write_config(work, n_respondents=N)
    snakemake(work)
    return work


@pytest.fixture(scope="module")
def config(study):
    return yaml.safe_load((study / "config" / "config.yaml").read_text(encoding="utf-8"))


def test_public_folder_has_what_may_leave_the_team(study):
    pub = study / "results" / "public"
    for rel in (
        "README.txt",
        "disclosure.json",
        "microdata.parquet",
        "microdata.csv",
        "brief.html",
        "brief.pdf",
        "figures/index.json",
        "tables/agreement.csv",
        "tables/subgroups.csv",
        "tables/regressions.csv",
        "tables/reliability.csv",
    ):
        assert (pub / rel).is_file(), rel
    # only Snakemake's own marker of a folder output
    hidden = {p.name for p in pub.rglob(".*")}
    assert hidden <= {".snakemake_timestamp"}, hidden
    readme = (pub / "README.txt").read_text(encoding="utf-8")
    assert "RESTRICTED" in readme and "k = 5" in readme and "SYNTHETIC" in readme


def test_public_folder_holds_no_restricted_data(study, config):
    cb = load_codebook(config["datasets"]["msc"]["codebook"])
    clean = pd.read_parquet(study / "results" / "clean" / "responses.parquet")
    pub = study / "results" / "public"
    md = pd.read_parquet(pub / "microdata.parquet")
    assert set(md.columns) == {RECORD_ID, *cb.key_variables, *cb.items}
    numbers = json.loads((study / "results" / "brief" / "numbers.json").read_text("utf-8"))
    quoted = {q["text"] for c in numbers["constructs"] for q in c["quotes"]}
    pids = set(clean[cb.identifiers.pseudonym].astype(str))
    comments = {
        " ".join(str(t).split())
        for col in cb.identifiers.free_text
        for t in clean[col].dropna()
        if len(str(t)) >= 20
    }
    text_files = [
        p for p in pub.rglob("*") if p.suffix in (".csv", ".json", ".txt", ".html", ".svg")
    ]
    assert len(text_files) > 10
    for path in text_files:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert not any(pid in text for pid in pids), f"a pseudonym in {path.name}"
        found = {c for c in comments if c in text}
        # a comment may only appear as (part of) a quote of the brief
        assert all(any(c in q for q in quoted) for c in found), f"a comment in {path.name}"
    for path in pub.rglob("*.csv"):
        cols = set(pd.read_csv(path, nrows=0).columns)
        assert not cols & {"pid", "person_pid", "source_row", *cb.identifiers.free_text}, path.name


def test_public_microdata_meets_k_on_every_key_variable(study, config):
    cb = load_codebook(config["datasets"]["msc"]["codebook"])
    md = pd.read_parquet(study / "results" / "public" / "microdata.parquet")
    k = int(config["deidentify"]["k"])
    assert k_achieved(md, cb.key_variables) >= k
    rep = json.loads((study / "results" / "public" / "disclosure.json").read_text("utf-8"))
    assert rep["k_achieved"] >= k and rep["k_requested"] == k
    assert rep["key_variables"] == cb.key_variables
    assert rep["risk_after"]["records_above_threshold"] == 0
    assert (
        rep["risk_before"]["expected_reidentifications"]
        > rep["risk_after"]["expected_reidentifications"]
    )
    csv = pd.read_csv(study / "results" / "public" / "microdata.csv")
    assert len(csv) == len(md) and list(csv.columns) == list(md.columns)


def test_quotes_only_from_cells_of_k_in_the_public_microdata(study, config):
    cb = load_codebook(config["datasets"]["msc"]["codebook"])
    k = int(config["deidentify"]["k"])
    attribution = config["brief"]["quote_attribution"]
    clean = pd.read_parquet(study / "results" / "clean" / "responses.parquet")
    md = pd.read_parquet(study / "results" / "public" / "microdata.parquet")
    numbers = json.loads((study / "results" / "brief" / "numbers.json").read_text("utf-8"))
    quotes = [q for c in numbers["constructs"] for q in c["quotes"]]
    assert quotes, "the synthetic default quotes comments without a review file"
    assert numbers["quotes"]["status"] == "shown"
    labels = {g: set(cb.groups[g].categories) for g in attribution}
    for q in quotes:
        assert "[" not in q["text"]
        values = q["attribution"].removeprefix("– ").split(", ")
        cell = pd.DataFrame([dict(zip(attribution, values, strict=True))])
        assert all(v in labels[g] for g, v in zip(attribution, values, strict=True))
        assert attribution_cell_sizes(md, attribution, cell).iloc[0] >= k
        analysed = (clean[attribution].astype(str) == cell.iloc[0]).all(axis=1).sum()
        assert analysed >= k


def test_manifest_labels_public_and_restricted(study):
    m = json.loads((study / "results" / "manifest.json").read_text("utf-8"))
    access = {e["path"]: e["access"] for e in m["files"]}
    assert access["results/public/microdata.parquet"] == "public"
    assert access["results/public/brief.pdf"] == "public"
    assert access["results/clean/responses.parquet"] == "restricted"
    assert access["results/deidentified/responses.parquet"] == "restricted"
    assert access["results/scales/scores.parquet"] == "restricted"
    for path, label in access.items():
        assert label == ("public" if path.startswith("results/public/") else "restricted"), path


def test_quotes_command_writes_a_review_file_outside_the_public_folder(study):
    exe = str(Path(sys.executable).with_name("mscsurvey"))
    inside = subprocess.run(
        [exe, "quotes", "-o", "results/public/review.csv"],
        cwd=study,
        capture_output=True,
        text=True,
    )
    assert inside.returncode == 2 and "restricted" in inside.stderr
    assert not (study / "results" / "public" / "review.csv").exists()
    done = subprocess.run(
        [exe, "quotes", "-o", "review/quotes.csv"], cwd=study, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    review = pd.read_csv(study / "review" / "quotes.csv", keep_default_na=False)
    assert len(review) > 0 and set(review["decision"]) == {""}
    assert {"pseudonym", "sha256", "construct", "text", "attribution", "note"} <= set(review)


def test_microdata_switched_off_is_not_planned(tmp_path):
    write_config(tmp_path, n_respondents=N, release__microdata=False)
    plan = snakemake(tmp_path, "--dry-run").stdout
    assert "public/disclosure.json" in plan and "public/README.txt" in plan
    assert "microdata.parquet" not in plan and "microdata.csv" not in plan
