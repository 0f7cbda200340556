"""Screening of typed cells and safe messages (mscsurvey.privacy.screen)."""

from __future__ import annotations

import pandas as pd
import pytest

from mscsurvey.privacy.screen import display_value, masked, other_answer, screen_cells
from mscsurvey.privacy.scrub import Scrubber


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Other: a church", True),
        ("other - my cousin's clinic", True),
        ("Other (please specify): Yakima", True),
        ("Other, tribal council", True),
        ("Other", False),  # the category itself
        ("Other government", False),  # another category that starts with the word
        ("Otherwise", False),
        ("Public health", False),
    ],
)
def test_other_answer(value, expected):
    assert other_answer(value, "Other") is expected


def test_masked_shows_shape_and_length_only():
    text = masked("Priya Raghunathan")
    assert "Priya" not in text and "Raghunathan" not in text
    assert text == 'a masked value ("AAAAA AAAAAAAAAAA", 17 characters)'
    long = masked("x" * 60 + "@example.org")
    assert "example" not in long and long.endswith("72 characters)")


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("Agreee", True),  # a slip of a label: the student needs to see it
        ("strongly  agre", True),
        ("7", True),  # a scale code
        ("Purple", False),  # no label is close: anyone's words
        ("Priya Raghunathan", False),
        ("555-0142", False),
        ("Agree, call 555 201 7788", False),  # long, and a phone
    ],
)
def test_display_value_shows_only_slips_of_labels(value, shown):
    labels = ["Strongly disagree", "Disagree", "Agree", "Strongly agree"]
    text, typed = display_value(value, labels, Scrubber(None))
    assert typed is shown
    assert (value.split()[0] in text) is shown


def test_screen_cells_maps_other_answers_and_suppresses_identifiers():
    # exercised end to end on the default codebook in tests/test_deidentify.py; here the kinds
    from mscsurvey.codebook.spec import load_codebook

    cb = load_codebook("data/codebook.yaml")
    raw = pd.DataFrame(
        {
            "msc": ["CL-C01"] * 6 + ["call me: +44 20 7946 0018"],
            "sector": ["Health care"] * 5 + ["Other: jroe@example.org", "Housing"],
            "tr1": ["Agree"] * 6 + ["4"],
        }
    )
    rows = pd.Series(range(2, 9))
    changed, report = screen_cells(raw, cb, Scrubber(None), k=5, rows=rows)
    assert report["other_specified_dropped"] == {"sector": 1}
    assert changed["sector"].tolist()[5] == "Other"
    assert report["values_suppressed"] == {"msc": 1}
    assert pd.isna(changed["msc"].iloc[6]) and "tr1" not in changed
    assert report["suppressed_cells"] == [{"source_row": 8, "column": "msc"}]
