"""A survey without a respondent id (issue 15, part 2): each row's pseudonym is an HMAC of its row
number and its content; unique, stable for the same file, new for a row that moves or changes."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json

import pandas as pd
import pytest
import yaml

from mscsurvey.codebook.draft import draft_codebook, render_draft
from mscsurvey.codebook.spec import parse_codebook
from mscsurvey.io import read_raw
from mscsurvey.privacy.pseudonym import PseudonymKey
from mscsurvey.stages.deidentify import deidentify

KEY = PseudonymKey(bytes(range(32)), "file")


@pytest.fixture
def cb(mini_codebook_dict):
    data = copy.deepcopy(mini_codebook_dict)
    del data["identifiers"]["respondent_id"]
    return parse_codebook(data, source="cb.yaml")


def _raw(tmp_path, rows: list[list[str]]) -> pd.DataFrame:
    cols = ["name", "site", "colour", "size", "a1", "a2", "a3", "b1", "b2"]
    p = tmp_path / "raw.csv"
    pd.DataFrame(rows, columns=cols).to_csv(p, index=False)
    return read_raw(p)


def _run(raw, cb):
    return deidentify(
        raw, cb, key=KEY, k=1, quasi_identifiers=[], pseudonym_length=16, source="raw.csv"
    )


ROW = ["Ann Lee", "S1", "Red", "Small", "Agree", "Disagree", "Agree", "Yes", "No"]
OTHER = ["Bo Chen", "S2", "Blue", "Large", "Disagree", "Agree", "Agree", "No", "No"]


def test_row_pseudonyms_are_keyed_on_position_and_content(cb, tmp_path):
    assert cb.identifiers.respondent_id is None
    raw = _raw(tmp_path, [ROW, OTHER, ROW])  # rows 2 and 4 are identical
    out, report = _run(raw, cb)
    pids = out["pid"].tolist()
    assert len(set(pids)) == 3  # identical content, different rows: different pseudonyms
    # the documented recipe: HMAC-SHA256(key, JSON [row number, [values in column order]])
    expected = hmac.new(
        bytes(KEY), json.dumps([2, ROW], separators=(",", ":")).encode(), hashlib.sha256
    ).hexdigest()[:16]
    assert pids[0] == expected
    assert report["pseudonyms"]["from"] == "row position and content"
    assert "no respondent id column" in report["pseudonyms"]["note"]
    assert "Ann Lee" not in json.dumps(report) and "name" in report["columns_dropped"]
    # stable: the same file gives the same pseudonyms
    assert _run(_raw(tmp_path, [ROW, OTHER, ROW]), cb)[0]["pid"].tolist() == pids


def test_reordering_or_editing_gives_the_moved_rows_new_pseudonyms(cb, tmp_path):
    pids = _run(_raw(tmp_path, [ROW, OTHER]), cb)[0]["pid"].tolist()
    swapped = _run(_raw(tmp_path, [OTHER, ROW]), cb)[0]["pid"].tolist()
    assert not set(pids) & set(swapped)
    edited = _run(_raw(tmp_path, [ROW, [*OTHER[:4], "Agree", *OTHER[5:]]]), cb)[0]["pid"].tolist()
    assert edited[0] == pids[0] and edited[1] != pids[1]


def test_the_draft_of_an_export_without_id_needs_no_edit_for_it(tmp_path):
    df = pd.DataFrame({"q1": ["Agree", "Disagree"] * 5, "q2": ["Disagree", "Agree"] * 5})
    p = tmp_path / "s.csv"
    df.to_csv(p, index=False)
    text = render_draft(draft_codebook(read_raw(p), source=str(p)))
    assert "TODO: the response id" not in text
    d = yaml.safe_load(text)
    assert d["identifiers"]["respondent_id"] is None
    d["draft"] = False
    assert parse_codebook(d, source="cb.yaml").identifiers.respondent_id is None
