"""The README's tutorial, followed as a student would: a CSV they did not make, a drafted codebook, one
edit, a config of their own, a check and a run to the brief.

The "student's CSV" is the second example study's synthetic export (Qualtrics-style columns, a
7-point scale the default study does not have); its own codebook is never used: the run goes from the
codebook that ``mscsurvey codebook draft`` infers.
"""

from __future__ import annotations

import shutil

import pytest
import yaml
from workflow_helpers import snakemake, write_config

from mscsurvey.cli import main as cli

pytestmark = pytest.mark.slow


def test_from_a_csv_to_a_brief_with_a_drafted_codebook(tmp_path, monkeypatch, capsys):
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

    # 4. after review (here only the draft flag), check passes
    text = (work / "mystudy/codebook.yaml").read_text(encoding="utf-8")
    (work / "mystudy/codebook.yaml").write_text(
        text.replace("draft: true", "draft: false", 1), encoding="utf-8"
    )
    assert cli(["--config", "mystudy/config.yaml", "check"]) == 0

    # 5. the run, to the brief; nothing of the raw file's identifiers in the results
    snakemake(work, "--configfile", "mystudy/config.yaml")
    for name in ("brief.html", "brief.pdf"):
        assert (work / "results/mine/brief" / name).stat().st_size > 10_000
    capsys.readouterr()
    assert cli(["--config", "mystudy/config.yaml", "scan-leaks"]) == 0
    assert cli(["--config", "mystudy/config.yaml", "verify"]) == 0
    assert (work / "data/raw/export.csv").read_bytes() == raw_before
