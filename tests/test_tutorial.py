"""The README's tutorial, followed as a student would, on a survey shaped like a real inventory:
examples/bfi/bfi.csv (psychTools' bfi, items renamed q1..q25 in a shuffled order, no id column,
gender/education coded as numbers, age). Draft with --constructs 5, set the title and draft: false,
check, run to the brief; the drafted constructs are the true five scales and their reliability equals
R psych's alpha (tests/.../psych_lavaan_reference.json) to 3 decimals."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from brief_helpers import FRAME_PHRASES
from pdf_pages import page_problems
from sklearn.metrics import adjusted_rand_score
from workflow_helpers import ROOT, snakemake, write_config

from mscsurvey.cli import main as cli

pytestmark = pytest.mark.slow
REFERENCE = Path("/work/shared/reference/psych_lavaan_reference.json")
if not REFERENCE.exists():
    REFERENCE = ROOT / "tests/data/reference/psych_lavaan_reference.json"


def _visible_text(page: str) -> str:
    """The HTML's text as a reader sees it (no tags, styles or embedded images)."""
    import html

    page = re.sub(r"<style.*?</style>", " ", page, flags=re.DOTALL)
    page = re.sub(r'src="data:[^"]*"', "", page)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_from_a_numbered_inventory_to_a_brief(tmp_path, monkeypatch, capsys):
    work = tmp_path / "student"
    (work / "data/raw").mkdir(parents=True)
    shutil.copy(ROOT / "examples/bfi/bfi.csv", work / "data/raw/bfi.csv")
    raw_before = (work / "data/raw/bfi.csv").read_bytes()
    key = pd.read_csv(ROOT / "examples/bfi/key.csv")
    monkeypatch.chdir(work)

    # 2. draft the codebook: five constructs from the data
    assert cli(["codebook", "draft", "data/raw/bfi.csv", "--constructs", "5", "-o", "mystudy/codebook.yaml"]) == 0  # fmt: skip
    text = (work / "mystudy/codebook.yaml").read_text(encoding="utf-8")
    d = yaml.safe_load(text)
    found = {i: c for c, v in d["constructs"].items() for i in v["items"]}
    assert adjusted_rand_score(key["scale"], key["item"].map(found)) >= 0.85
    reversed_ = {i for i, it in d["items"].items() if it["reverse"]}
    assert reversed_ == set(key.loc[key["reverse"], "item"])
    assert set(d["groups"]) == {"gender", "education"} and "cluster" not in d
    assert d["identifiers"]["respondent_id"] is None

    # 3. the config and a key kept outside the study folder
    (work / "mystudy/config.yaml").write_text(
        "datasets:\n"
        "  mine:\n"
        "    raw: data/raw/bfi.csv\n"
        "    codebook: mystudy/codebook.yaml\n"
        "    results: results/mine\n"
        "    key_file: secrets/pseudonym.key\n"
        "clean:\n"
        "  straightline_min_items: 26   # more than the 25 items: straight-liners kept, as in R\n",
        encoding="utf-8",
    )
    (work / "secrets").mkdir()
    (work / "secrets/pseudonym.key").write_text("ab" * 32 + "\n", encoding="utf-8")

    # 4. check refuses the draft, then the leftover placeholder, naming the key
    capsys.readouterr()
    assert cli(["--config", "mystudy/config.yaml", "check"]) == 2
    assert "mystudy/codebook.yaml: key 'draft'" in capsys.readouterr().err
    text = text.replace("\ndraft: true\n", "\ndraft: false\n", 1)
    (work / "mystudy/codebook.yaml").write_text(text, encoding="utf-8")
    assert cli(["--config", "mystudy/config.yaml", "check"]) == 1
    err = capsys.readouterr().err
    assert re.findall(r"key '([^']+)': still holds the draft's placeholder", err) == ["study.title"]
    text = re.sub(r'title: "TODO[^"]*"', 'title: "Big Five Inventory (bfi)"', text, count=1)
    (work / "mystudy/codebook.yaml").write_text(text, encoding="utf-8")
    assert cli(["--config", "mystudy/config.yaml", "check"]) == 0
    captured = capsys.readouterr()
    assert "note: data/raw/bfi.csv: 1 column(s)" in captured.err and ": age (add" in captured.err

    # 5. the run, to the brief; reliability of each drafted construct equals psych's alpha (psych keeps
    # every listwise-complete row; the config above keeps the 4 straight-liners the default drops)
    snakemake(work, "--configfile", "mystudy/config.yaml")
    flow = json.loads((work / "results/mine/clean/validation.json").read_text())["excluded"]
    assert flow["straightliner"] == 0 and flow["too_little_answered"] == 4
    for name in ("brief.html", "brief.pdf"):
        assert (work / "results/mine/brief" / name).stat().st_size > 10_000
    # the brief speaks this study's words: none of the default study's frame (no cluster, published
    # findings, comments, timings or identifiers here; a six-point scale of bare codes, not agreement)
    page = (work / "results/mine/brief/brief.html").read_text(encoding="utf-8")
    seen = _visible_text(page)
    assert "Big Five Inventory (bfi)" in seen and "Reliability of the measures" in seen
    for phrase in FRAME_PHRASES:
        assert phrase not in seen, phrase
    assert "chose 5 or 6 on the 1–6 scale" in seen
    rel = pd.read_parquet(work / "results/mine/scales/reliability.parquet")
    ref = {r["construct"]: r for r in json.loads(REFERENCE.read_text())["bfi_reliability"]}
    scale_of = {}
    for c, v in d["constructs"].items():
        (scale,) = set(key.set_index("item").loc[v["items"], "scale"])
        scale_of[c] = scale
    assert sorted(scale_of.values()) == sorted(ref)
    for _, row in rel.iterrows():
        assert round(float(row["alpha"]), 3) == round(ref[scale_of[row["construct"]]]["alpha"], 3)
    capsys.readouterr()
    assert cli(["--config", "mystudy/config.yaml", "scan-leaks"]) == 0
    assert cli(["--config", "mystudy/config.yaml", "verify"]) == 0
    assert (work / "data/raw/bfi.csv").read_bytes() == raw_before
    # 6. its PDF's pages end well: no heading last, none half empty but before a section
    page = (work / "results/mine/brief/brief.html").read_text(encoding="utf-8")
    assert page_problems(work / "results/mine/brief/brief.pdf", page, tmp_path / "pages") == []


def test_one_construct_of_every_item_draws_in_parts_and_pages_well(tmp_path, monkeypatch):
    """The draft's old mistake kept on purpose (one construct holding all 25 items): its chart
    comes in three figures of 9, 8 and 8 items, all in the brief and the Data Walk, and the PDF's
    pages still end well."""
    work = tmp_path / "wide"
    (work / "data/raw").mkdir(parents=True)
    shutil.copy(ROOT / "examples/bfi/bfi.csv", work / "data/raw/bfi.csv")
    monkeypatch.chdir(work)
    assert cli(["codebook", "draft", "data/raw/bfi.csv", "--constructs", "1", "-o", "s/codebook.yaml"]) == 0  # fmt: skip
    text = (work / "s/codebook.yaml").read_text(encoding="utf-8")
    (construct,) = yaml.safe_load(text)["constructs"]
    text = text.replace("\ndraft: true\n", "\ndraft: false\n", 1)
    text = re.sub(r'title: "TODO[^"]*"', 'title: "All 25 items"', text, count=1)
    (work / "s/codebook.yaml").write_text(text, encoding="utf-8")
    (work / "s/config.yaml").write_text(
        "datasets:\n  mine:\n    raw: data/raw/bfi.csv\n    codebook: s/codebook.yaml\n"
        "    results: results/mine\n    key_file: secrets/pseudonym.key\n",
        encoding="utf-8",
    )
    (work / "secrets").mkdir()
    (work / "secrets/pseudonym.key").write_text("cd" * 32 + "\n", encoding="utf-8")
    snakemake(work, "--configfile", "s/config.yaml")
    res = work / "results/mine"
    index = json.loads((res / "figures/index.json").read_text(encoding="utf-8"))
    likert = [e for e in index if e["kind"] == "likert"]
    assert [(e["construct"], e["part"], e["parts"]) for e in likert] == [
        (construct, k, 3) for k in (1, 2, 3)
    ]
    page = (res / "brief/brief.html").read_text(encoding="utf-8")
    for e in likert:
        assert e["caption"] in page.replace("&#x27;", "'").replace("&quot;", '"')
    # the Data Walk's page of the construct shows both parts too
    walk = (res / "walk" / f"{construct}.html").read_text(encoding="utf-8")
    assert all(f'src="figures/{e["svg"]}"' in walk for e in likert)
    assert page_problems(res / "brief/brief.pdf", page, tmp_path / "pages") == []


def test_a_qualtrics_style_export_with_named_items_drafts_and_runs(tmp_path, monkeypatch, capsys):
    """The names-win path: the second example study's synthetic export (Qualtrics-style columns,
    item prefixes, a 7-point scale), drafted and run with only `draft: false` changed."""
    # someone else's export
    maker = tmp_path / "maker"
    write_config(maker, n_respondents=300, source="examples/wellbeing/config.yaml")
    snakemake(maker, "examples/wellbeing/raw/survey.csv")
    work = tmp_path / "student"
    (work / "data/raw").mkdir(parents=True)
    shutil.copy(maker / "examples/wellbeing/raw/survey.csv", work / "data/raw/export.csv")
    raw_before = (work / "data/raw/export.csv").read_bytes()
    monkeypatch.chdir(work)

    # 1. draft the codebook
    assert cli(["codebook", "draft", "data/raw/export.csv", "-o", "mystudy/codebook.yaml"]) == 0
    drafted = yaml.safe_load((work / "mystudy/codebook.yaml").read_text(encoding="utf-8"))
    assert drafted["draft"] is True
    assert set(drafted["scales"]) == {"agree7", "freq5"}
    assert len(drafted["constructs"]) == 6
    # Qualtrics' RecipientFirstName: a name column, its values scrubbed and scanned as names (as a
    # plain dropped column, a first name inside an ordinary word of the report stopped the run)
    assert drafted["identifiers"]["roster"]["RecipientFirstName"] == "NAME"

    # 2. the config (step 3 of the tutorial) and a key kept outside the study folder
    (work / "mystudy/config.yaml").write_text(
        "datasets:\n"
        "  mine:\n"
        "    raw: data/raw/export.csv\n"
        "    codebook: mystudy/codebook.yaml\n"
        "    results: results/mine\n"
        "    key_file: secrets/pseudonym.key\n",
        encoding="utf-8",
    )
    (work / "secrets").mkdir()
    (work / "secrets/pseudonym.key").write_text("ab" * 32 + "\n", encoding="utf-8")

    # 3. check refuses the draft, naming the key to change
    capsys.readouterr()
    assert cli(["--config", "mystudy/config.yaml", "check"]) == 2
    err = capsys.readouterr().err
    assert "mystudy/codebook.yaml: key 'draft'" in err and "set draft: false" in err

    # 4. after review (here only the draft flag and the title), check passes
    text = (work / "mystudy/codebook.yaml").read_text(encoding="utf-8")
    text = re.sub(r'title: "TODO[^"]*"', 'title: "Clinic staff wellbeing"', text, count=1)
    (work / "mystudy/codebook.yaml").write_text(
        text.replace("draft: true", "draft: false", 1), encoding="utf-8"
    )
    assert cli(["--config", "mystudy/config.yaml", "check"]) == 0

    # 5. the run, to the brief; nothing of the raw file's identifiers in the results
    snakemake(work, "--configfile", "mystudy/config.yaml")
    for name in ("brief.html", "brief.pdf"):
        assert (work / "results/mine/brief" / name).stat().st_size > 10_000
    # the brief carries the title the student gave it (this study has a cluster and comments, so
    # the default study's frame phrases are not what is checked here: the bfi test does that)
    page = (work / "results/mine/brief/brief.html").read_text(encoding="utf-8")
    seen = _visible_text(page)
    assert "Clinic staff wellbeing" in seen and "Reliability of the measures" in seen
    capsys.readouterr()
    assert cli(["--config", "mystudy/config.yaml", "scan-leaks"]) == 0
    assert cli(["--config", "mystudy/config.yaml", "verify"]) == 0
    assert (work / "data/raw/export.csv").read_bytes() == raw_before
