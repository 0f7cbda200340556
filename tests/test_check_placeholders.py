"""`mscsurvey check` once `draft: false` (issue 15, part 6): leftover TODO text in any codebook value is
an error naming each key; data columns the codebook ignores are a note, not an error."""

from __future__ import annotations

import pandas as pd

from mscsurvey.codebook.check import check_data, ignored_columns, placeholders
from mscsurvey.codebook.spec import parse_codebook


def test_placeholders_name_each_key_holding_todo_text():
    data = {
        "study": {"title": "TODO: the survey's title", "unit": "respondent"},
        "constructs": {"f1": {"label": "Factor 1", "items": ["q1", "TODO"]}},
        "items": {"q1": {"text": "I am TODO-listed", "scale": "s"}},
        "TODO_key": "fine",  # a key is not a value
        "n": 3,
    }
    assert placeholders(data) == ["study.title", "constructs.f1.items[1]", "items.q1.text"]
    assert placeholders({"study": {"title": "Big Five"}}) == []


def test_ignored_columns_are_a_note(mini_codebook_dict):
    cb = parse_codebook(mini_codebook_dict, source="cb.yaml")
    cols = ["rid", "name", "site", "colour", "size", "a1", "a2", "a3", "b1", "b2", "age", "shoe"]
    raw = pd.DataFrame(
        [["1", "X", "S1", "Red", "Small", *["Agree"] * 3, "Yes", "No", "40", "9"]] * 3, columns=cols
    )
    raw.insert(0, "_source_row", range(2, 5))
    assert ignored_columns(raw, cb) == ["age", "shoe"]
    found = check_data(raw, cb, source="raw.csv", min_group_n=1)
    notes = [f.message for f in found if f.level == "note"]
    assert "error" not in {f.level for f in found} and len(notes) == 1
    assert "raw.csv: 2 column(s)" in notes[0] and "left out: age, shoe" in notes[0]
