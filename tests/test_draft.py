"""`mscsurvey codebook draft`: what it infers from the default synthetic export, a hand-made 7-point
CSV and an SPSS file; the draft is valid YAML that loads once `draft: false` is set; no identifier or
free-text value reaches it."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from mscsurvey.cli import main
from mscsurvey.codebook.draft import draft_codebook, render_draft
from mscsurvey.codebook.spec import load_codebook, normalise_label, parse_codebook
from mscsurvey.errors import SurveyError
from mscsurvey.io import read_raw
from mscsurvey.schema import load_yaml
from mscsurvey.synthesize import generate, load_published, parse_model, write_outputs

ROOT = Path(__file__).resolve().parents[1]
CODEBOOK = ROOT / "data" / "codebook.yaml"


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    """The default study's synthetic export (480 rows, seed 11), as `snakemake data/raw/survey.csv`
    would write it."""
    cb = load_codebook(CODEBOOK)
    model = parse_model(load_yaml(ROOT / "data" / "synthetic" / "model.yaml"), cb)
    published = load_published(str(ROOT / "data" / "published_findings.csv"), cb)
    res = generate(cb, model, published, seed=11, n_respondents=480)
    d = tmp_path_factory.mktemp("raw")
    write_outputs(res, raw=d / "survey.csv", truth=d / "truth.json", key=d / "pseudonym.key")
    return d / "survey.csv"


@pytest.fixture(scope="module")
def drafted(export, tmp_path_factory) -> tuple[str, dict]:
    out = tmp_path_factory.mktemp("draft") / "codebook.yaml"
    assert main(["codebook", "draft", str(export), "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    return text, yaml.safe_load(text)


def _undrafted(text: str, tmp: Path) -> Path:
    """The student's one edit: draft: true -> draft: false."""
    assert text.count("\ndraft: true\n") == 1
    p = tmp / "codebook.yaml"
    p.write_text(text.replace("\ndraft: true\n", "\ndraft: false\n"), encoding="utf-8")
    return p


def test_draft_finds_every_item_with_its_scale_and_code_order(drafted):
    _, d = drafted
    truth = load_codebook(CODEBOOK)
    assert set(d["items"]) == set(truth.items)
    for iid, item in truth.items.items():
        # same label set -> same scale name, with the codebook's name for the two families
        assert d["items"][iid]["scale"] == item.scale, iid
    for name, sc in truth.scales.items():
        got = {int(c): normalise_label(v) for c, v in d["scales"][name]["codes"].items()}
        assert got == {c: normalise_label(v) for c, v in sc.codes.items()}, name
        assert {normalise_label(m) for m in d["scales"][name]["missing"]} <= {
            normalise_label(m) for m in sc.missing
        }
        assert "Don't know" in d["scales"][name]["missing"]
    assert d["scales"]["agree5"]["agree"] == [4, 5]
    # constructs from prefixes hold the codebook's constructs' items
    assert sorted(sorted(v["items"]) for v in d["constructs"].values()) == sorted(
        sorted(c.items) for c in truth.constructs.values()
    )


def _cluster_accepted(text: str) -> str:
    """The student's edit when respondents are nested in the proposed cluster: uncomment it and the
    groups' `level: cluster` lines."""
    text = re.sub(r"^# (cluster:|  column: |  label: )", r"\1", text, flags=re.M)
    return re.sub(
        r"^    # level: cluster .*\n    # with the cluster$", "    level: cluster", text, flags=re.M
    )


def test_draft_flags_identifiers_groups_and_cluster(drafted):
    text, d = drafted
    # the cluster is proposed in a comment, never set: nesting is not in the data
    assert "cluster" not in d and "level" not in str(d["groups"])
    assert "# cluster:\n#   column: msc\n" in text
    d = yaml.safe_load(_cluster_accepted(text))
    ids = d["identifiers"]
    assert ids["respondent_id"] == "respondent_id"
    for col in ["name", "email", "phone", "ip_address", "street_address", "city", "organisation"]:
        assert col in ids["direct"], col
    assert ids["birth_date"]["column"] == "birth_date"
    assert ids["zip"]["column"] == "zip"
    assert ids["timestamps"] == {"start": "start_time", "end": "end_time"}
    assert ids["person"] == ["email"]
    assert set(ids["free_text"]) == {"comment_helped", "comment_other"}
    truth = load_codebook(CODEBOOK)
    assert set(d["groups"]) == set(truth.groups)
    assert d["cluster"]["column"] == "msc"
    for gid, grp in truth.groups.items():
        assert set(d["groups"][gid]["categories"]) == set(grp.categories), gid
    # constant within MSC in the synthetic model -> level: cluster
    assert {g for g, v in d["groups"].items() if v.get("level") == "cluster"} == {
        g for g, v in truth.groups.items() if v.level == "cluster"
    }
    # numeric bands come in numeric order, starting at the lowest
    assert d["groups"]["income"]["categories"] == list(truth.groups["income"].categories)
    assert d["groups"]["income"]["ordered"] is True
    assert d["groups"]["income"]["missing"] == ["Prefer not to say"]


def test_draft_hints_the_reverse_keyed_items(drafted):
    text, _ = drafted
    truth = load_codebook(CODEBOOK)
    hinted = set(re.findall(r"# (\w+): probably reverse-keyed", text))
    assert hinted == {i for i, it in truth.items.items() if it.reverse}


def test_draft_is_refused_until_the_student_sets_draft_false(drafted, tmp_path):
    text, d = drafted
    assert d["draft"] is True
    assert "the pipeline refuses to run this file until you set draft: false" in text
    p = tmp_path / "draft.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(
        SurveyError, match=r"draft\.yaml: key 'draft': is still marked 'draft: true'"
    ):
        load_codebook(p)
    cb = load_codebook(_undrafted(text, tmp_path))
    assert len(cb.items) == 36 and cb.cluster is None
    cb = load_codebook(_undrafted(_cluster_accepted(text), tmp_path))
    assert len(cb.items) == 36 and cb.cluster == "msc"


def test_draft_never_writes_identifier_or_free_text_values(export, drafted):
    text, _ = drafted
    raw = read_raw(export)
    columns = [
        "respondent_id", "name", "email", "phone", "ip_address", "street_address", "city",
        "organisation", "zip", "birth_date", "start_time", "end_time", "comment_helped",
        "comment_other",
    ]  # fmt: skip
    checked = 0
    for col in columns:
        for value in raw[col].dropna().astype(str).str.strip().unique():
            if len(value) >= 4:
                assert value not in text, (col, value)
                checked += 1
    assert checked > 3000


def test_planted_identifier_values_stay_out_of_a_drafted_csv(tmp_path):
    """Identifiers found by their values only (odd column names), planted, absent from the draft."""
    n = 40
    df = pd.DataFrame(
        {
            "rid": [f"X{i:04d}q" for i in range(n)],
            "contact": [f"person{i}@example.org" for i in range(n)],
            "tel_no": [f"(206) 555-{i:04d}" for i in range(n)],
            "host": [f"10.0.{i}.{i + 7}" for i in range(n)],
            "feedback": [f"Working with partner number {i} taught us a great deal about trust." for i in range(n)],
            "q1": ["Agree", "Disagree", "Strongly agree", "Neither agree nor disagree"] * 10,
            "q2": ["Agree", "Strongly disagree", "Strongly agree", "Disagree"] * 10,
        }
    )  # fmt: skip
    p = tmp_path / "s.csv"
    df.to_csv(p, index=False)
    text = render_draft(draft_codebook(read_raw(p), source=str(p)))
    d = yaml.safe_load(text)
    assert d["identifiers"]["respondent_id"] == "rid"
    assert set(d["identifiers"]["direct"]) == {"contact", "tel_no", "host"}
    assert d["identifiers"]["person"] == ["contact"]
    assert d["identifiers"]["free_text"] == ["feedback"]
    for col in ["rid", "contact", "tel_no", "host", "feedback"]:
        for value in df[col]:
            assert value not in text
    assert "@" not in text.replace("e-mail", "")


def test_seven_point_csv(tmp_path):
    labels = [
        "Strongly disagree", "Disagree", "Somewhat disagree", "Neither agree nor disagree",
        "Somewhat agree", "Agree", "Strongly agree",
    ]  # fmt: skip
    rows = 42
    df = pd.DataFrame(
        {
            "id": range(1, rows + 1),
            "team": ["Blue", "Red", "Green"] * 14,
            "att_1": [labels[i % 7] for i in range(rows)],
            "att_2": [labels[(i + 1) % 7] for i in range(rows)],
            "att_3": [labels[(6 - i) % 7] if i % 5 else "Prefer not to say" for i in range(rows)],
        }
    )
    p = tmp_path / "seven.csv"
    df.to_csv(p, index=False, sep=";")
    out = tmp_path / "cb.yaml"
    assert main(["codebook", "draft", str(p), "-o", str(out), "--delimiter", ";"]) == 0
    d = yaml.safe_load(out.read_text())
    assert list(d["scales"]) == ["agree7"]
    assert [d["scales"]["agree7"]["codes"][c] for c in range(1, 8)] == labels
    assert d["scales"]["agree7"]["missing"] == ["Prefer not to say"]
    assert d["scales"]["agree7"]["agree"] == [5, 6, 7]
    assert d["constructs"] == {
        "att": {"label": "att", "items": ["att_1", "att_2", "att_3"], "min_answered": 0.66}
    }
    assert d["groups"]["team"]["categories"] == ["Blue", "Green", "Red"]  # ties: alphabetical
    assert d["identifiers"]["respondent_id"] == "id"
    d["draft"] = False
    parse_codebook(d, source="cb.yaml")


def test_spss_value_labels_give_codes_and_wording(tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    n = 30
    df = pd.DataFrame(
        {
            "caseid": [float(i) for i in range(n)],
            "sat_1": [float(1 + i % 4) for i in range(n)],
            "sat_2": [float(1 + (i * 3) % 4) if i % 7 else 9.0 for i in range(n)],
            "region": [float(1 + i % 2) for i in range(n)],
        }
    )
    labels = {1.0: "Poor", 2.0: "Okay", 3.0: "Good", 4.0: "Great", 9.0: "Don't know"}
    p = tmp_path / "s.sav"
    pyreadstat.write_sav(
        df,
        str(p),
        column_labels=["Case", "How good is the food?", "How good is the service?", "Region"],
        variable_value_labels={
            "sat_1": labels,
            "sat_2": labels,
            "region": {1.0: "North", 2.0: "South"},
        },
    )
    out = tmp_path / "cb.yaml"
    assert main(["codebook", "draft", str(p), "-o", str(out)]) == 0
    d = yaml.safe_load(out.read_text())
    (name,) = d["scales"]
    # an unknown label set: the file's codes give the order (Poor < Okay < Good < Great)
    assert d["scales"][name]["codes"] == {1: "Poor", 2: "Okay", 3: "Good", 4: "Great"}
    assert d["scales"][name]["missing"] == ["Don't know"]
    assert d["items"]["sat_1"]["text"] == "How good is the food?"
    assert d["items"]["sat_2"]["scale"] == name
    # a coded group: the file's value labels name its codes
    assert d["groups"]["region"]["categories"] == {1: "North", 2: "South"}
    d["draft"] = False
    parse_codebook(d, source="cb.yaml")


def test_integer_codes_are_flagged_for_review(tmp_path):
    df = pd.DataFrame(
        {"resp": range(30), **{f"x{j}": [1 + (i + j) % 5 for i in range(30)] for j in (1, 2, 3)}}
    )
    p = tmp_path / "codes.csv"
    df.to_csv(p, index=False)
    text = render_draft(draft_codebook(read_raw(p), source=str(p)))
    d = yaml.safe_load(text)
    assert d["scales"]["codes1to5"]["codes"] == {i: str(i) for i in range(1, 6)}
    assert "REVIEW: answers are bare codes" in text


def test_output_file_is_not_overwritten_without_force(tmp_path, capsys):
    df = pd.DataFrame({"id": range(10), "q1": ["Agree", "Disagree"] * 5, "q2": ["Agree"] * 10})
    p = tmp_path / "s.csv"
    df.to_csv(p, index=False)
    out = tmp_path / "cb.yaml"
    out.write_text("mine\n")
    assert main(["codebook", "draft", str(p), "-o", str(out)]) == 2
    assert out.read_text() == "mine\n"
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--force" in err and str(out) in err
    assert main(["codebook", "draft", str(p), "-o", str(out), "--force"]) == 0
    assert yaml.safe_load(out.read_text())["draft"] is True
    # stdout by default, same text
    capsys.readouterr()
    assert main(["codebook", "draft", str(p)]) == 0
    assert capsys.readouterr().out == out.read_text()
