"""The phrasing rules (mscsurvey.report.phrasing) and the brief's numbers built with them: agreement
language only on an agreement scale, the confidence level from the settings, sections and sentences
only for what the study has, the least-endorsed takeaway from reverse-keyed scores."""

from __future__ import annotations

import copy

import pandas as pd
import pytest
from brief_helpers import (
    FRAME_PHRASES,
    agreement_table,
    deid_report,
    drivers_table,
    group_tests,
    importance_table,
    published_table,
    quote_codebook,
    quote_responses,
    regression_table,
    reliability_table,
    scores_table,
    subgroup_table,
    validation_report,
)

from mscsurvey.codebook.spec import Scale, parse_codebook
from mscsurvey.report import phrasing
from mscsurvey.settings import NumbersSettings
from mscsurvey.stages.brief_numbers import (
    brief_numbers,
    deidentification_summary,
    exclusion_flow,
    takeaways,
)

MODELS = {"m": {"outcome": "alpha", "predictors": ["beta", "colour", "size"]}}


def _scale(codes, agree, agree_label="agreed"):
    return Scale("s", "S", dict(codes), (), tuple(agree), agree_label)


def _strings(obj):
    if isinstance(obj, dict):
        for v in obj.values():
            yield from _strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _strings(v)
    elif isinstance(obj, str):
        yield obj


# -- the rules ----------------------------------------------------------------------------------------


def test_agree_words_follow_the_scale():
    agree5 = _scale({1: "Strongly disagree", 2: "Disagree", 3: "Neutral", 4: "Agree", 5: "Strongly agree"}, [4, 5])  # fmt: skip
    assert phrasing.is_agreement_scale(agree5) and phrasing.agree_words(agree5) == "agreed"
    bare = _scale({c: str(c) for c in range(1, 7)}, [5, 6])
    assert not phrasing.is_agreement_scale(bare)
    assert phrasing.agree_words(bare) == "chose 5 or 6 on the 1–6 scale"
    accuracy = _scale(
        {1: "Very inaccurate", 2: "Moderately inaccurate", 3: "Slightly inaccurate",
         4: "Slightly accurate", 5: "Moderately accurate", 6: "Very accurate"},
        [5, 6],
    )  # fmt: skip
    assert phrasing.agree_words(accuracy) == "chose “very accurate” or “moderately accurate”"
    howmuch = _scale({1: "Not at all", 2: "A little", 3: "A lot"}, [3], 'said "a lot"')
    assert phrasing.agree_words(howmuch) == 'said "a lot"'  # the codebook's own words win


@pytest.mark.parametrize(("level", "text"), [(0.95, "95%"), (0.9, "90%"), (0.995, "99.5%")])
def test_confidence_level_as_read(level, text):
    assert phrasing.fmt_level(level) == text
    assert phrasing.headings(driver_labels=[], published=False, groups=True, level=text)["ci"] == (
        f"{text} CI"
    )


def _methods(**kw):
    args = dict(words="agreed", agreement=True, level="95%", min_n=10, unit="clinic",
                quotes="respondents' own comments", models=True, controls=True, published=True)  # fmt: skip
    return " ".join(phrasing.methods_text(**{**args, **kw}).values())


def test_methods_speak_only_of_what_the_study_has():
    full = _methods()
    for phrase in ("clustered by clinic", "random intercept per clinic", "published findings",
                   "Quotes are respondents' own comments", "controls", "agreement categories"):  # fmt: skip
        assert phrase in full, phrase
    bare = _methods(unit=None, quotes=None, published=False, controls=False, agreement=False,
                    words="chose 5 or 6 on the 1–6 scale")  # fmt: skip
    for phrase in ("cluster", "random intercept", "published", "Quotes", "controls", "agreement"):
        assert phrase not in bare, phrase
    assert "HC3" in bare and "chose 5 or 6 on the 1–6 scale" in bare
    assert phrasing.methods_text(
        words="agreed", agreement=True, level="90%", min_n=10, unit=None, quotes=None,
        models=False, controls=False, published=False,
    )["drivers_short"] == ""  # fmt: skip
    assert "Wilson 90% confidence" in _methods(level="90%")


def test_headings_exist_only_with_their_content():
    none = phrasing.headings(driver_labels=[], published=False, groups=False, level="95%")
    assert none["drivers"] == none["published"] == none["subgroups"] == ""
    some = phrasing.headings(driver_labels=["Trust"], published=True, groups=True, level="95%")
    assert some["drivers"] == "What drives trust" and some["published"]
    assert some["subgroups"] == "Who perceives what"
    other = phrasing.headings(
        driver_labels=["A", "B", "C"], published=False, groups=True, level="95%", agreement=False
    )
    assert (
        other["drivers"] == "What drives the outcomes" and other["subgroups"] == "How groups differ"
    )


def test_identifier_sentence_counts_only_identifiers():
    s = phrasing.identifier_sentence(0, 3, has_id=False)
    assert "Direct identifiers" not in s and "3 columns the codebook does not use" in s
    assert "row position" in s
    assert phrasing.identifier_sentence(2, 0, has_id=True).startswith(
        "Direct identifiers were removed (2 columns dropped) and respondent ids"
    )


# -- the brief's numbers ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cb_dict(mini_codebook_dict):
    return quote_codebook(mini_codebook_dict)


def _numbers(cb, *, ci_level=0.95, models=MODELS, published=None, validation=None):
    cfg = {
        "seed": 1,
        "deidentify": {"k": 3},
        "scales": {"thresholds": {"ok": 0.7, "weak": 0.6}},
        "analyses": {"models": models, "ci_level": ci_level, "min_group_n": 10},
        "brief": {"quote_attribution": ["colour", "size"], "quotes_per_construct": 2},
    }
    return brief_numbers(
        codebook=cb,
        settings=NumbersSettings.parse(cfg),
        responses=quote_responses(),
        validation=validation or validation_report(),
        deid_report=deid_report(),
        scores=scores_table(),
        reliability=reliability_table(),
        agreement=agreement_table(),
        published=published_table() if published is None else published,
        subgroups=pd.concat([subgroup_table("alpha"), subgroup_table("beta")]),
        subgroup_tests=pd.concat([group_tests("alpha"), group_tests("beta")]),
        regressions=regression_table(),
        importance=importance_table(),
        drivers=drivers_table(),
    )


def test_ci_level_changes_the_brief(cb_dict):
    cb = parse_codebook(cb_dict, source="mini")
    at90 = _numbers(cb, ci_level=0.9)
    assert at90["settings"]["ci_level"] == "90%" and at90["headings"]["ci"] == "90% CI"
    assert "Wilson 90% confidence intervals" in at90["methods"]["agreement"]
    assert "shown with 90% confidence intervals" in at90["methods"]["subgroups"]
    at95 = _numbers(cb)
    assert "Wilson 95% confidence intervals" in at95["methods"]["agreement"]
    assert "reproduced 90% confidence intervals" in at90["published"]["summary"]
    # a table that states its own level keeps it (the reliability stage's Feldt intervals)
    pub = published_table().assign(ci_level=0.95)
    assert (
        "reproduced 95% confidence"
        in _numbers(cb, ci_level=0.9, published=pub)["published"]["summary"]
    )


def test_a_study_without_cluster_published_models_or_comments_has_none_of_their_language(cb_dict):
    d = copy.deepcopy(cb_dict)
    del d["cluster"]
    d["scales"]["agree5"]["codes"] = {
        1: "Never",
        2: "Rarely",
        3: "Sometimes",
        4: "Often",
        5: "Always",
    }
    d["scales"]["agree5"]["missing"] = []
    d["scales"]["agree5"]["agree_label"] = "said often or always"
    d["identifiers"]["free_text"] = []
    d["identifiers"]["direct"] = []
    cb = parse_codebook(d, source="mini")
    untimed = {  # no timings: nobody is a speeder, and the flow says so with a 0
        "received": 15,
        "analysed": 14,
        "excluded": {"duplicate": 1, "speeder": 0},
        "flow": [
            {"step": "received", "n": 15},
            {"step": "excluded: duplicate", "n": 1, "remaining": 14},
            {"step": "excluded: speeder", "n": 0, "remaining": 14},
            {"step": "analysed", "n": 14},
        ],
    }
    n = _numbers(cb, models={}, published=published_table().iloc[:0], validation=untimed)
    assert n["has"] == {
        "comments": False, "cluster": False, "models": False, "published": False,
        "groups": True, "timings": False,
    }  # fmt: skip
    assert n["headings"]["drivers"] == n["headings"]["published"] == ""
    # no agreement scale: the study's words, not "agreed"
    assert n["headings"]["subgroups"] == "How groups differ"
    assert "said often or always" in n["methods"]["findings"]
    text = " ".join(s for k, v in n.items() if k not in ("codebook", "quotes") for s in _strings(v))
    for phrase in FRAME_PHRASES:
        assert phrase not in text, phrase
    assert "chose “yes”" in text  # the yes/no scale: its counted category by its label


def test_the_default_frame_keeps_its_sections(cb_dict):
    cb = parse_codebook(cb_dict, source="mini")
    n = _numbers(cb)
    assert n["headings"]["drivers"] == "What drives alpha"
    assert n["headings"]["published"] == "Published vs reproduced"
    assert "clustered by site" in n["methods"]["drivers"]
    assert "random intercept per site" in n["methods"]["subgroups"]
    assert "Quotes are respondents' own comments" in n["methods"]["findings"]


def test_least_endorsed_takeaway_reads_reverse_keyed_scores(cb_dict):
    """Raw item percentages rank alpha lowest (10% vs 90%); its reverse-keyed score sits high on its
    scale (4.5 on 1-5) and beta's low (0.2 on 0-1): the takeaway names beta, from the scores."""
    cb = parse_codebook(cb_dict, source="mini")
    ag = agreement_table().assign(pct_agree=[10.0, 10.0, 10.0, 90.0, 90.0])
    scores = pd.DataFrame({"alpha": [4.5] * 12, "beta": [0.2] * 12})
    out = takeaways(ag, cb, models={}, scores=scores, min_n=10)
    (low,) = [t for t in out if t["kind"] == "agreement_low"]
    assert low["construct"] == "beta" and "mean 0.20 on its 0–1 scale" in low["text"]
    # too few scored respondents: no takeaway rather than one from unreversed percentages
    assert not [t for t in takeaways(ag, cb, models={}, scores=scores, min_n=13) if t["kind"] == "agreement_low"]  # fmt: skip
    assert not [t for t in takeaways(ag, cb, models={}) if t["kind"] == "agreement_low"]


def test_no_speeder_row_without_timings_and_identifier_counts(cb_dict):
    v = validation_report()
    v["flow"] = [*v["flow"][:2], {"step": "excluded: speeder", "n": 0, "remaining": 14}]
    assert any("too fast" in r["step"] for r in exclusion_flow(v)["rows"])
    assert not any("too fast" in r["step"] for r in exclusion_flow(v, timed=False)["rows"])
    cb = parse_codebook(cb_dict, source="mini")
    rep = {**deid_report(), "columns_dropped": ["name", "unused1", "unused2"]}
    first = deidentification_summary(rep, cb)["sentences"][0]
    assert "(1 column dropped)" in first and "2 columns the codebook does not use" in first
    d = copy.deepcopy(cb_dict)
    d["identifiers"]["free_text"] = []
    none = {
        **deid_report(),
        "free_text": {"comments": 0, "comments_scrubbed": 0, "placeholders": {}},
    }
    sents = deidentification_summary(none, parse_codebook(d, source="mini"))["sentences"]
    assert not [s for s in sents if "free-text" in s]  # no comments: nothing said of them
    assert [s for s in deidentification_summary(none, cb)["sentences"] if "free-text" in s]


def test_figure_captions_speak_of_clusters_only_when_the_study_has_one():
    from mscsurvey.report import phrasing as ph

    with_unit = ph.subgroup_caption("Trust", "95% CI", "MSC")
    assert with_unit.endswith(
        "adj. p: the group's Holm-adjusted test (MSC-level groups: mixed model)."
    )
    without = ph.subgroup_caption("Trust", "95% CI", None)
    assert "mixed model" not in without and without.endswith("Holm-adjusted test.")
    clustered = ph.driver_caption("Trust", "95% CI", ["Role in the MSC"], "clinic")
    assert "(standard errors clustered by clinic)" in clustered
    assert ", then the controls (role in the MSC), adjusted for and not ranked;" in clustered
    plain = ph.driver_caption("Trust", "95% CI", [], None)
    assert "clustered" not in plain and "(heteroskedasticity-robust (HC3) standard errors)" in plain
    assert "controls" not in plain


def test_synthetic_and_imputation_methods_name_a_cluster_only_when_there_is_one():
    from mscsurvey.report import phrasing as ph

    with_unit = ph.synthetic_texts("model.yaml", None, "MSC")["methods"]
    assert "drew respondents, their MSCs, answers, generated comments" in with_unit
    assert "with documented population values" in with_unit
    without = ph.synthetic_texts("model.yaml", "published.csv", None)["methods"]
    assert "drew respondents, answers, generated comments" in without and "their" not in without
    assert "match the published findings (published.csv)" in without
    mi = ph.imputation_method(20, 0.05, 0.31, "clinic")
    assert "every other item, the respondent's groups and clinic predicting each item." in mi
    assert "ranges from 0.05 to 0.31." in mi
    plain = ph.imputation_method(20, 0.05, 0.31, None)
    assert "every other item, the respondent's groups predicting each item." in plain


def test_quotes_text_by_status():
    from mscsurvey.report import phrasing as ph

    assert ph.quotes_text("too_few", too_few=10) == (
        "No comments are quoted: fewer than 10 respondents were analysed."
    )
    shown = ph.quotes_text("shown", cell="role × state", k=5, released=True, synthetic=False)
    assert shown.startswith("Comments are quoted only when the respondent's role × state cell")
    assert "at least 5 records of the public-use microdata" in shown
    assert shown.endswith("; every quote was approved by a reviewer.")
    assert "reviewer" not in ph.quotes_text("none", cell="role", k=5, synthetic=True)


def test_weighting_method_names_clusters_only_with_a_cluster():
    from mscsurvey.report import phrasing

    with_cluster = phrasing.weighting_method("no trimming", 1.23, "MSC")
    without = phrasing.weighting_method("no trimming", 1.23, None)
    assert "MSCs as clusters" in with_cluster and "Kish design effect 1.23" in with_cluster
    assert "cluster" not in without and "respondents as the sampling units" in without
