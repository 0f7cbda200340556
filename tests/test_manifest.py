"""The audit manifest (mscsurvey.audit.manifest) and `mscsurvey verify`: every file hashed with the rule
that made it, its inputs' digests and a params hash; a tampered, deleted or added file is named."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import pytest

from mscsurvey.audit.manifest import build_manifest, verify, write_manifest
from mscsurvey.cli import main as cli
from mscsurvey.errors import SurveyError

ROOT = Path(__file__).resolve().parents[1]


def _record(mdir, output, **rec):
    mdir.mkdir(parents=True, exist_ok=True)
    name = base64.urlsafe_b64encode(output.encode()).decode()
    (mdir / name).write_text(json.dumps(rec), encoding="utf-8")


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """A small results folder with Snakemake-style job records, in a working directory."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data/in.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (tmp_path / "data/secret.key").write_text("0123abcd\n", encoding="utf-8")
    res = tmp_path / "results"
    (res / "clean").mkdir(parents=True)
    (res / "figures").mkdir()
    (res / "logs").mkdir()
    (res / "clean/table.parquet").write_bytes(b"PAR1 table")
    (res / "figures/a.png").write_bytes(b"png a")
    (res / "figures/b.svg").write_text("<svg/>", encoding="utf-8")
    (res / "logs/clean.log").write_text("INFO 3 rows in, 2 out\n", encoding="utf-8")
    mdir = tmp_path / ".snakemake/metadata"
    _record(
        mdir,
        "results/clean/table.parquet",
        rule="clean",
        input=["data/in.csv", "data/secret.key"],
        params=["{'k': 5}"],
        code="script",
    )
    _record(
        mdir, "results/figures", rule="figures", input=["results/clean/table.parquet"], params=[]
    )
    return tmp_path


def _build(**kw):
    return build_manifest(
        "results", secrets=["data/secret.key"], git={"commit": "abc", "dirty": False}, **kw
    )


def test_every_file_with_digest_size_rule_inputs_and_params(folder):
    m = _build()
    files = {f["path"]: f for f in m["files"]}
    assert sorted(files) == [
        "results/clean/table.parquet",
        "results/figures/a.png",
        "results/figures/b.svg",
        "results/logs/clean.log",
    ]
    t = files["results/clean/table.parquet"]
    assert t["sha256"] == hashlib.sha256(b"PAR1 table").hexdigest() and t["size"] == 10
    assert t["rule"] == "clean"
    ins = {i["path"]: i for i in t["inputs"]}
    assert ins["data/in.csv"]["sha256"] == hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    # the key is named, never hashed
    assert ins["data/secret.key"] == {"path": "data/secret.key", "sha256": None, "secret": True}
    # other params, another hash
    _record(
        folder / ".snakemake/metadata",
        "results/clean/table.parquet",
        rule="clean",
        input=["data/in.csv"],
        params=["{'k': 6}"],
        code="script",
    )
    assert _build()["files"][0]["params_sha256"] != t["params_sha256"]
    # files of a folder output carry the folder's job; a log its rule's name
    assert files["results/figures/a.png"]["rule"] == "figures"
    assert files["results/figures/a.png"]["output"] == "results/figures"
    assert files["results/logs/clean.log"]["rule"] == "clean"
    assert m["git"] == {"commit": "abc", "dirty": False}
    assert "0123abcd" not in json.dumps(m)


def test_verify_names_changed_missing_and_unlisted_files(folder):
    write_manifest(_build(exclude=["results/logs/clean.log"]), "results/manifest.json")
    n, diffs = verify("results/manifest.json")
    assert (n, diffs) == (3, [])
    (folder / "results/figures/a.png").write_bytes(b"png A")
    (folder / "results/figures/b.svg").unlink()
    (folder / "results/clean/extra.csv").write_text("x\n", encoding="utf-8")
    _, diffs = verify("results/manifest.json")
    assert sorted((d.kind, d.path) for d in diffs) == [
        ("changed", "results/figures/a.png"),
        ("missing", "results/figures/b.svg"),
        ("unlisted", "results/clean/extra.csv"),
    ]


def test_no_manifest_is_a_clear_error(folder):
    with pytest.raises(SurveyError, match=r"results/manifest.json: no manifest"):
        verify("results/manifest.json")
    with pytest.raises(SurveyError, match="results folder 'nowhere' not found"):
        build_manifest("nowhere")


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A whole run of a small synthetic study."""
    from workflow_helpers import snakemake, write_config

    work = tmp_path_factory.mktemp("audited")
    write_config(work, n_respondents=200)
    snakemake(work, "results/manifest.json")
    return work


@pytest.mark.slow
def test_verify_command_on_a_finished_run(finished, monkeypatch, capsys):
    tmp_path = finished
    monkeypatch.chdir(tmp_path)
    m = json.loads((tmp_path / "results/manifest.json").read_text(encoding="utf-8"))
    rules = {f["path"]: f.get("rule") for f in m["files"]}
    assert rules["results/deidentified/responses.parquet"] == "deidentify"
    assert rules["results/brief/brief.pdf"] == "brief"
    deid = next(f for f in m["files"] if f["path"] == "results/deidentified/responses.parquet")
    assert {"path": "data/raw/pseudonym.key", "sha256": None, "secret": True} in deid["inputs"]
    assert cli(["verify"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-2].endswith("checked: ok")
    digest = hashlib.sha256((tmp_path / "results/manifest.json").read_bytes()).hexdigest()
    assert lines[-1] == f"msc: sha256 of results/manifest.json: {digest}"
    assert not [ln for ln in lines if ln.startswith(("CHAIN", "STALE", "NOTE"))], lines
    scores = tmp_path / "results/scales/scores.parquet"
    figure = tmp_path / "results/figures/index.json"
    kept = scores.read_bytes(), figure.read_bytes()
    try:
        scores.write_bytes(kept[0] + b"\0")
        figure.unlink()
        assert cli(["verify", "--dataset", "msc"]) == 1
        out = capsys.readouterr().out
        assert "CHANGED results/scales/scores.parquet" in out
        assert "MISSING results/figures/index.json" in out
        assert out.count("CHANGED") == 1 and out.count("MISSING") == 1
        assert "UNLISTED" not in out
    finally:
        scores.write_bytes(kept[0])
        figure.write_bytes(kept[1])
    assert cli(["verify"]) == 0
    capsys.readouterr()
    assert cli(["verify", "--dataset", "nope"]) == 2
    assert "dataset 'nope' is not in the config (expected one of: msc)" in capsys.readouterr().err


@pytest.mark.slow
def test_snakemake_report_is_one_self_contained_page(finished):
    from workflow_helpers import snakemake

    snakemake(finished, "--report", "report.html")
    page = (finished / "report.html").read_text(encoding="utf-8", errors="replace")
    # the categories of the captions (workflow/report/) and every rule of the DAG
    for text in ["1. De-identification", "3. Scales", "6. Brief", "7. Audit"]:
        assert text in page, text
    for rule in ["deidentify", "clean", "scales", "regressions", "figures", "brief", "manifest"]:
        assert f'"rule": "{rule}"' in page, rule
    # every caption's opening words (but the comparison's and the weighted analysis': this config
    # compares no waves and has no weights), and
    # every figure by name
    compare_rule = (ROOT / "workflow/rules/compare.smk").read_text(encoding="utf-8")
    captions = [
        c
        for c in sorted((ROOT / "workflow/report").glob("*.rst"))
        if f"report/{c.name}" not in compare_rule
        # the weighted rule runs only with a `weights:` config section (the default has none)
        and c.name != "weighted.rst"
    ]
    assert len(captions) >= 19
    for caption in captions:
        opening = " ".join(caption.read_text(encoding="utf-8").split()[:4])
        # the captions travel inside the page's JSON (non-ASCII as \u escapes)
        assert json.dumps(opening)[1:-1] in page, (caption.name, opening)
    svgs = sorted(p.name for p in (finished / "results/figures").glob("*.svg"))
    assert svgs
    for name in svgs:
        assert name in page, name
    # the figures travel as SVG, not PNG: the report stays small
    assert not any(p.name in page for p in (finished / "results/figures").glob("*.png"))
    # self-contained: no script, style sheet or image fetched from elsewhere
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=[\"']https?:", page)


def test_a_file_edited_with_its_entry_breaks_the_chain(folder):
    """Editing a table and rewriting its own manifest entry passes the file check, but every entry
    made from it still records the old digest: verify names each as a broken chain."""
    write_manifest(_build(exclude=["results/logs/clean.log"]), "results/manifest.json")
    table = folder / "results/clean/table.parquet"
    table.write_bytes(b"PAR1 forged")
    m = json.loads((folder / "results/manifest.json").read_text(encoding="utf-8"))
    entry = next(f for f in m["files"] if f["path"] == "results/clean/table.parquet")
    entry["sha256"] = hashlib.sha256(b"PAR1 forged").hexdigest()
    entry["size"] = len(b"PAR1 forged")
    (folder / "results/manifest.json").write_text(json.dumps(m), encoding="utf-8")
    _, diffs = verify("results/manifest.json")
    assert sorted((d.kind, d.path) for d in diffs) == [
        ("chain", "results/figures/a.png"),
        ("chain", "results/figures/b.svg"),
    ]
    assert diffs[0].detail.startswith("made from results/clean/table.parquet with sha256 ")
    assert "but the manifest lists that input as" in diffs[0].detail


def test_an_input_outside_the_folder_changed_or_absent(folder):
    """An input outside the results folder that changed since the run makes its outputs stale; one
    that is not here (raw data are rarely shared) is a note, not a failure."""
    write_manifest(_build(exclude=["results/logs/clean.log"]), "results/manifest.json")
    (folder / "data/in.csv").write_text("a,b\n1,3\n", encoding="utf-8")
    _, diffs = verify("results/manifest.json")
    assert [(d.kind, d.path) for d in diffs] == [("stale", "data/in.csv")]
    assert "1 listed file(s) were made from another version (first: results/clean/table" in (
        diffs[0].detail
    )
    (folder / "data/in.csv").unlink()
    _, diffs = verify("results/manifest.json")
    assert [(d.kind, d.path) for d in diffs] == [("unchecked", "data/in.csv")]


def test_no_absolute_path_and_other_results_folders_inside(folder):
    """Snakemake records the workflow's own files with absolute paths: the manifest holds them
    relative to the working directory. Another dataset's results folder inside this one (with its
    own manifest) is a note, not 193 unlisted files."""
    _record(
        folder / ".snakemake/metadata",
        "results/clean/table.parquet",
        rule="clean",
        input=[str(folder / "data/in.csv")],
        params=[],
    )
    m = _build(exclude=["results/logs/clean.log"])
    assert str(folder) not in json.dumps(m)
    table = next(f for f in m["files"] if f["path"] == "results/clean/table.parquet")
    assert [i["path"] for i in table["inputs"]] == ["data/in.csv"]
    write_manifest(m, "results/manifest.json")
    wave = folder / "results/wave1"
    (wave / "clean").mkdir(parents=True)
    (wave / "clean/table.parquet").write_bytes(b"PAR1 wave")
    write_manifest(build_manifest("results/wave1"), "results/wave1/manifest.json")
    (folder / "results/compare/waves").mkdir(parents=True)
    (folder / "results/compare/waves/means.csv").write_text("x\n", encoding="utf-8")
    _, diffs = verify("results/manifest.json")
    assert [(d.kind, d.path) for d in diffs] == [
        ("unchecked", "results/compare/"),
        ("unchecked", "results/wave1/"),
    ]
    assert verify("results/wave1/manifest.json") == (1, [])
