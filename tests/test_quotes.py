"""Quotes (issue 13): each of the three conditions refuses a crafted comment on its own (a: a
placeholder or an identifier the detectors find on a second pass; b: an attribution cell under k among
the analysed or among the compatible released records; c: real data without an approving reviewed
file), an approved reviewed quote is shown, the reviewed file is checked, and `mscsurvey quotes`
writes the candidates but never inside a public folder."""

from __future__ import annotations

import pandas as pd
import pytest
from brief_helpers import quote_codebook, quote_responses

from mscsurvey.codebook.spec import parse_codebook
from mscsurvey.errors import SurveyError
from mscsurvey.privacy.quotes import (
    comment_hash,
    detect,
    read_reviewed,
    review_candidates,
    write_review_file,
)
from mscsurvey.stages.brief_numbers import quotes_summary, select_quotes

ATTR = ["colour", "size"]


@pytest.fixture(scope="module")
def cb(mini_codebook_dict):
    return parse_codebook(quote_codebook(mini_codebook_dict), source="mini")


def shown(quotes):
    return {q["text"]: q["attribution"] for qs in quotes.values() for q in qs}


def crafted() -> pd.DataFrame:
    """quote_responses plus three Red/Small comments the scrubbing missed or marked."""
    df = quote_responses()
    extra = pd.DataFrame(
        {
            "pid": ["p13", "p14", "p15"],
            "colour": ["Red", "Red", "Red"],
            "size": ["Small", "Small", "Small"],
            "comment": [
                "Write to jo.roe@example.org about the first statement please.",
                "Call me on (206) 555-0142 about the first statement.",
                "The first statement, said [NAME], was the turning point.",
            ],
            "site": ["s7", "s7", "s7"],
        }
    )
    out = pd.concat([df, extra], ignore_index=True)
    for c in ATTR:
        out[c] = pd.Categorical(out[c], categories=df[c].cat.categories)
    return out


def test_detect_finds_what_scrubbing_should_have_removed():
    assert detect("Write to jo.roe@example.org today.")
    assert detect("Call (206) 555-0142 now.")
    assert detect("The first statement says it all for me.") == []


def test_a_placeholder_or_a_detected_identifier_refuses_a_comment(cb):
    q = shown(select_quotes(crafted(), cb, attribution=ATTR, k=3, seed=1, per_construct=20))
    assert "The first statement says it all for me." in q  # the same cell, clean text: shown
    assert not any("@" in t or "555" in t or "[NAME]" in t for t in q)
    # without the second pass the missed e-mail and phone would have been quoted
    blind = shown(
        select_quotes(
            crafted(), cb, attribution=ATTR, k=3, seed=1, per_construct=20, detector=lambda t: []
        )
    )
    assert any("@" in t for t in blind) and any("555" in t for t in blind)
    assert not any("[NAME]" in t for t in blind)  # the placeholder alone refuses it


def test_a_custom_detector_is_applied_to_the_scrubbed_text(cb):
    flag_tone = lambda text: ["hit"] if "tone" in text else []  # noqa: E731
    q = shown(
        select_quotes(
            quote_responses(),
            cb,
            attribution=ATTR,
            k=3,
            seed=1,
            per_construct=20,
            detector=flag_tone,
        )
    )
    assert "I think the first meeting set the tone." not in q
    assert "The first statement says it all for me." in q


def test_a_cell_under_k_among_the_analysed_is_refused(cb):
    q = shown(select_quotes(quote_responses(), cb, attribution=ATTR, k=3, seed=1, per_construct=20))
    # (Blue, Small) has 2 analysed respondents < 3
    assert not any("small group" in t for t in q)
    assert set(q.values()) == {"– Red, Small", "– Green, Large"}


def test_a_cell_under_k_among_the_compatible_released_records_is_refused(cb):
    # released microdata: Red/Small appears 3 times, Green/Large only twice, and nothing is blank
    released = pd.DataFrame(
        {
            "colour": ["Red", "Red", "Red", "Green", "Green", "Blue"],
            "size": ["Small", "Small", "Small", "Large", "Large", "Large"],
        }
    )
    q = shown(
        select_quotes(
            quote_responses(),
            cb,
            attribution=ATTR,
            k=3,
            seed=1,
            per_construct=20,
            released=released,
        )
    )
    assert q and set(q.values()) == {"– Red, Small"}
    # a suppressed size counts as compatible: Green with size blank lifts Green/Large to 3
    released.loc[5, ["colour", "size"]] = ["Green", None]
    q = shown(
        select_quotes(
            quote_responses(),
            cb,
            attribution=ATTR,
            k=3,
            seed=1,
            per_construct=20,
            released=released,
        )
    )
    assert "– Green, Large" in set(q.values())


def reviewed_file(tmp_path, rows):
    path = tmp_path / "reviewed.csv"
    pd.DataFrame(rows, columns=["pseudonym", "sha256", "construct", "decision", "note"]).to_csv(
        path, index=False
    )
    return read_reviewed(path)


def test_real_data_without_a_review_file_quotes_nothing_and_says_why(cb):
    quotes = select_quotes(
        quote_responses(), cb, attribution=ATTR, k=3, seed=1, per_construct=20, require_review=True
    )
    assert shown(quotes) == {}
    info = quotes_summary(
        quotes, attribution=["Colour"], k=3, synthetic=False, reviewed=False, released=True
    )
    assert info["status"] == "withheld_review" and "withheld pending review" in info["text"]


def test_real_data_quotes_only_approved_comments(cb, tmp_path):
    approve = "The first statement says it all for me."
    reject = "I think the first meeting set the tone."
    reviewed = reviewed_file(
        tmp_path,
        [
            ("p01", comment_hash(approve), "alpha", "approve", "ok"),
            ("p02", comment_hash(reject), "alpha", "reject", "too specific"),
            # approved, but the hash is of other text: the comment changed since review
            ("p06", comment_hash("something else"), "alpha", "approve", ""),
        ],
    )
    quotes = select_quotes(
        quote_responses(),
        cb,
        attribution=ATTR,
        k=3,
        seed=1,
        per_construct=20,
        reviewed=reviewed,
        require_review=True,
    )
    assert shown(quotes) == {approve: "– Red, Small"}
    assert [q["text"] for q in quotes["alpha"]] == [approve]


def test_an_approved_comment_still_needs_conditions_a_and_b(cb, tmp_path):
    small = "The first statement matters most to the small group I lead."  # (Blue, Small): 2 < 3
    reviewed = reviewed_file(tmp_path, [("p08", comment_hash(small), "", "approve", "")])
    quotes = select_quotes(
        quote_responses(),
        cb,
        attribution=ATTR,
        k=3,
        seed=1,
        per_construct=20,
        reviewed=reviewed,
        require_review=True,
    )
    assert shown(quotes) == {}


def test_reviewed_file_errors_name_file_row_and_column(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(
        "pseudonym,sha256,construct,decision,note\np1,abc,alpha,yes,\n", encoding="utf-8"
    )
    with pytest.raises(SurveyError, match=r"r.csv row 2, column decision"):
        read_reviewed(path)
    path.write_text(
        "pseudonym,sha256,construct,decision,note\np1,abc,alpha,approve,\n", encoding="utf-8"
    )
    with pytest.raises(SurveyError, match=r"row 2, column sha256"):
        read_reviewed(path)
    path.write_text("pseudonym,sha256\n", encoding="utf-8")
    with pytest.raises(SurveyError, match=r"column 'construct' is missing"):
        read_reviewed(path)


def test_review_candidates_and_the_file_refused_inside_a_public_folder(cb, tmp_path):
    cands = review_candidates(
        quote_responses(), cb, attribution=ATTR, k=3, seed=1, per_construct=5, released=None
    )
    assert len(cands) == 4
    assert set(cands["decision"]) == {""}
    for rec in cands.itertuples():
        assert rec.sha256 == comment_hash(rec.text)
    public = tmp_path / "results" / "public"
    public.mkdir(parents=True)
    with pytest.raises(SurveyError, match="restricted"):
        write_review_file(cands, public / "sub" / "q.csv", public_dirs=[public])
    out = write_review_file(cands, tmp_path / "q.csv", public_dirs=[public])
    back = read_reviewed(out)
    assert back["sha256"].tolist() == cands["sha256"].tolist()
    with pytest.raises(SurveyError, match="already exists"):
        write_review_file(cands, out, public_dirs=[public])
