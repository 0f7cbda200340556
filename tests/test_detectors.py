"""Free-text detection layer by layer (patterns, roster, named entities), the public API, and recall
per kind on planted identifiers with the over-scrubbing rate on clean comments (tests/planted.py)."""

from __future__ import annotations

import unicodedata

import planted
import pytest

from mscsurvey.privacy import scrub
from mscsurvey.privacy.entities import (
    dictionary_name_spans,
    fold,
    ordinary_words,
    tag_many,
    word_like_names,
)
from mscsurvey.privacy.patterns import pattern_spans
from mscsurvey.privacy.scrub import Scrubber, Span, detect, detect_many, fold_with_offsets


def found(text: str) -> list[tuple[str, str]]:
    """(matched text, kind) of the pattern layer's merged spans."""
    return [(text[s.start : s.end], s.kind) for s in scrub.merge(pattern_spans(text))]


@pytest.fixture(scope="module")
def patterns_only() -> Scrubber:
    return Scrubber(ner=False)


@pytest.fixture(scope="module")
def full() -> Scrubber:
    return Scrubber(planted.roster())


# --- the pattern layer, alone ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, value, kind",
    [
        ("my SSN is 123-45-6789.", "123-45-6789", "SSN"),
        ("ssn 078 05 1120 on file", "078 05 1120", "SSN"),
        ("SSN: 123456789", "123456789", "SSN"),
        ("social security number 219.09.9999", "219.09.9999", "SSN"),
        ("born 9/20/1972 in Ohio", "9/20/1972", "DATE"),
        ("DOB 09/20/72", "09/20/72", "DATE"),
        ("on 2020-04-12 we met", "2020-04-12", "DATE"),
        ("born March 3, 1962", "March 3, 1962", "DATE"),
        ("born march 3 1962", "march 3 1962", "DATE"),
        ("the 3rd of March 1962", "3rd of March 1962", "DATE"),
        ("on 14 Feb. 2021", "14 Feb. 2021", "DATE"),
        ("on Sept. 9th", "Sept. 9th", "DATE"),
        ("born 20.9.1972", "20.9.1972", "DATE"),
        ("born on 19720920", "19720920", "DATE"),
        ("birthday is 9/20", "9/20", "DATE"),
        ("on Tuesday, May 5, 2020", "Tuesday, May 5, 2020", "DATE"),
        ("I am 92 and proud", "I am 92", "AGE"),
        ("she is aged 93", "aged 93", "AGE"),
        ("a 95-year-old volunteer", "95-year-old", "AGE"),
        ("he just turned 101", "turned 101", "AGE"),
        ("I'm ninety-one years old", "I'm ninety-one years old", "AGE"),
        ("she is 97 years of age", "she is 97 years of age", "AGE"),
        ("call +44 20 7946 0958 today", "+44 20 7946 0958", "PHONE"),
        ("whatsapp +52 55 1234 5678", "+52 55 1234 5678", "PHONE"),
        ("or +91 98765 43210", "+91 98765 43210", "PHONE"),
        ("mobile +234 803 123 4567", "+234 803 123 4567", "PHONE"),
        ("office 020 7946 0959", "020 7946 0959", "PHONE"),
        ("ring 0044 161 496 0000", "0044 161 496 0000", "PHONE"),
        ("mail jroe [at] yvmh [dot] org", "jroe [at] yvmh [dot] org", "EMAIL"),
        ("write name at domain dot org", "name at domain dot org", "EMAIL"),
        ("j.roe(at)clinic(dot)net", "j.roe(at)clinic(dot)net", "EMAIL"),
        ("kmensah at sunbelt.org please", "kmensah at sunbelt.org", "EMAIL"),
        ("priya_r @ yvmh.com", "priya_r @ yvmh.com", "EMAIL"),
        ("see yvmh.org/team", "yvmh.org/team", "URL"),
        ("see www.riversideclinic.com now", "www.riversideclinic.com", "URL"),
        ("follow @maria_r for updates", "@maria_r", "HANDLE"),
        ("ping @DrOkafor.", "@DrOkafor", "HANDLE"),
        ("from 10.0.12.7", "10.0.12.7", "IP_ADDRESS"),
        ("from fe80::1ff:fe23:4567:890a", "fe80::1ff:fe23:4567:890a", "IP_ADDRESS"),
        ("I live at 1200 Calle Verde", "1200 Calle Verde", "ADDRESS"),
        ("Avenida Juárez 455, Oaxaca", "Avenida Juárez 455", "ADDRESS"),
        ("mail PO Box 44", "PO Box 44", "ADDRESS"),
        ("P.O. Box 912 works", "P.O. Box 912", "ADDRESS"),
        ("Rural Route 2 Box 15", "Rural Route 2 Box 15", "ADDRESS"),
        ("out on RR 3 past the church", "RR 3", "ADDRESS"),
        ("we live at 4410 Maple Hollow", "4410 Maple Hollow", "ADDRESS"),
        ("MRN 00482913 was wrong", "00482913", "ID_NUMBER"),
        ("account # AC-998123", "AC-998123", "ID_NUMBER"),
        ("plate 7ABC123", "7ABC123", "ID_NUMBER"),
        ("VIN 1HGCM82633A004352", "1HGCM82633A004352", "ID_NUMBER"),
        ("licence D1234567", "D1234567", "ID_NUMBER"),
        ("member ID XKT448210", "XKT448210", "ID_NUMBER"),
        ("card 4532 1234 5678 9012", "4532 1234 5678 9012", "ID_NUMBER"),
        ("case #A77-1204", "A77-1204", "ID_NUMBER"),
        ("DOB: 1972/09/20", "1972/09/20", "DATE"),
        ("born Sept 20th, 1972", "Sept 20th, 1972", "DATE"),
        ("call +44 (0)20 7946 0958", "+44 (0)20 7946 0958", "PHONE"),
        ("+81 3-1234-5678 office", "+81 3-1234-5678", "PHONE"),
        ("jroe{at}yvmh{dot}org", "jroe{at}yvmh{dot}org", "EMAIL"),
        ("jroe @ yvmh . org", "jroe @ yvmh . org", "EMAIL"),
        ("jroe at yvmh dot co dot uk", "jroe at yvmh dot co dot uk", "EMAIL"),
        ("HC 65 Box 12", "HC 65 Box 12", "ADDRESS"),
        ("Medicare number 1EG4-TE5-MK73", "1EG4-TE5-MK73", "ID_NUMBER"),
        ("born 03-Mar-1962", "03-Mar-1962", "DATE"),
        ("DOB Mar-03-1962", "Mar-03-1962", "DATE"),
        ("March the 3rd, 1962", "March the 3rd, 1962", "DATE"),
        ("born may 1, 1985", "may 1, 1985", "DATE"),
        ("she's 96 now", "she's 96", "AGE"),
        ("1200 Calle Verde, Apt 3B", "1200 Calle Verde, Apt 3B", "ADDRESS"),
    ],
)
def test_pattern_layer_finds_each_kind(text, value, kind):
    assert (value, kind) in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "In 2019 we started; by 2021 we had grown.",
        "The budget was $75,000 and $1.2 million the next year.",
        "About 40% of partners came, 12 of 30 stayed.",
        "Our 3 key points were shared; 4 community centers joined.",
        "Strongly agree, agree, neutral, disagree, strongly disagree.",
        "Meetings from 2020-2021 at 10:30 lasted 1.5 hours.",
        "COVID-19 hit in FY2021 and again in Q3; K-12 schools closed.",
        "We served 350 households across 5 neighborhoods in 2023.",
        "Version 2.0 of the dashboard, e.g. the maps, i.e. the layers.",
        "Rates dropped from 12.5% to 9.8% over two years (n = 214).",
        "I am 45 and have been in this role for 3 years.",
        "We met 3 times a month for 90 minutes, rated 4 out of 5.",
        "The 1990s were different; in the 21st century we use Zoom.",
        "Section 508 and Title V funds, 2 FTEs, 10 partners at 1 table.",
    ],
)
def test_pattern_layer_leaves_ordinary_text(text, patterns_only):
    assert found(text) == []
    assert patterns_only.scrub(text) == (text, {})


# --- the roster layer, alone (no patterns, no model) ---------------------------------------------


@pytest.fixture(scope="module")
def roster_only() -> Scrubber:
    return Scrubber(planted.roster(), patterns=False, ner=False)


def test_fold_with_offsets_maps_back():
    nfd = unicodedata.normalize("NFD", "José Ibáñez")
    folded, offsets = fold_with_offsets(nfd)
    assert folded == "Jose Ibanez"
    assert len(offsets) == len(folded)
    assert fold("ﬁle Trần") == "file Tran"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("José Ibáñez helped", "[NAME] helped"),
        (unicodedata.normalize("NFD", "José Ibáñez helped"), "[NAME] helped"),
        ("jose ibanez helped", "[NAME] helped"),
        ("Ask Priya Raghu...", "Ask [NAME] [NAME]..."),
        ("we thank Priya Raghun", "we thank [NAME] [NAME]"),
        ("Chidinma's team", "[NAME]'s team"),
        ("Okonkwo-Adeyemi and Okonkwo", "[NAME] and [NAME]"),
        ("Trần Thị Hồng ran it", "[NAME] ran it"),
        ("Rose Okafor and Mark Hall came", "[NAME] and [NAME] came"),
        ("Thanks, Rose!", "Thanks, [NAME]!"),
        ("Mark's notes", "[NAME]'s notes"),
        ("ask Dr. Hall", "ask Dr. [NAME]"),
        (
            "at the Yakima Valley Health Alliance in Zanesburgh",
            "at the [ORGANIZATION] in [LOCATION]",
        ),
    ],
)
def test_roster_forms(roster_only, text, expected):
    assert roster_only.scrub(text)[0] == expected


@pytest.mark.parametrize(
    "text",
    [
        "Trust rose over the year and we hit the mark.",
        "The town hall was full; I hope it continues.",
        "We will apply for a grant; faith in the process grew.",
        "Transparent decisions, marketing and willing partners.",
        "Roses and hallways; marked, granted, hopeful.",
    ],
)
def test_roster_words_used_as_ordinary_words_are_kept(roster_only, full, text):
    assert roster_only.scrub(text) == (text, {})
    assert full.scrub(text) == (text, {})


def test_ordinary_words_come_from_the_model():
    words = ordinary_words()
    assert {"rose", "mark", "hope", "grant", "will", "trust", "hall"} <= words
    assert "priya" not in words and "oyelaran" not in words
    # WordNet also lists first names; those are names unless they are common words too
    assert "heather" in words and "heather" not in word_like_names()
    assert {"rose", "mark", "hope", "grant", "will", "faith", "young", "white"} <= word_like_names()


def test_sentence_initial_roster_names_are_replaced(roster_only, full):
    r = planted.roster() | {"heather": "NAME", "blake": "NAME"}
    for s in (Scrubber(r, patterns=False, ner=False), Scrubber(r)):
        assert (
            s.scrub("Fine. Heather here, happy to help.")[0] == "Fine. [NAME] here, happy to help."
        )
        assert s.scrub("Blake has been great")[0] == "[NAME] has been great"
    # the model reads these as a modal and a verb (in other contexts it may tag "Hope" a proper noun)
    for text in ("Will we get funding?", "Hope this helps."):
        assert full.scrub(text) == (text, {})


# --- the named-entity layer, alone ----------------------------------------------------------------


def test_model_tags_people_places_and_organisations():
    texts = [
        "Thanks to Dr. Nguyen Van Minh and the Yakima Valley Health Alliance.",
        "I moved from Tulsa last year.",
        "Medicaid and the Board helped in Texas.",
    ]
    tagged = tag_many(texts)
    kinds = [
        {(t[s.start : s.end], s.kind) for s in tg.entities}
        for t, tg in zip(texts, tagged, strict=True)
    ]
    assert ("Nguyen Van Minh", "NAME") in kinds[0]
    assert ("Yakima Valley Health Alliance", "ORGANIZATION") in kinds[0]
    assert ("Tulsa", "LOCATION") in kinds[1]
    assert kinds[2] == set()  # states are allowed; ordinary-word organisations are kept


@pytest.mark.parametrize(
    "text, name",
    [
        ("talked to marcus oyelaran yesterday", "marcus"),
        ("talked to marcus oyelaran yesterday", "oyelaran"),
        ("thanks to Kiki for the snacks", "Kiki"),
        ("my supervisor guadalupe was great", "guadalupe"),
        ("shoutout to tony from the clinic", "tony"),
        ("ask siobhan about it", "siobhan"),
        ("big thanks to our nurse bex", "bex"),
        ("our CHW lupita did it", "lupita"),
    ],
)
def test_name_dictionary_in_name_context(text, name):
    spans = dictionary_name_spans(text)
    assert name in [text[s.start : s.end] for s in spans]


def test_name_dictionary_needs_context():
    assert dictionary_name_spans("we will hope for the best and mark it") == []
    assert dictionary_name_spans("the maria clinic plan") == []
    assert dictionary_name_spans("thanks to grant funding we could ask questions") == []


# --- the API ---------------------------------------------------------------------------------------


def test_detect_runs_every_layer_but_the_roster():
    text = "Ask Priya Raghunathan, born March 3, 1962, at +44 20 7946 0958; Okafor too"
    got = [(text[s.start : s.end], s.kind) for s in detect(text)]
    assert got == [
        ("Priya", "NAME"),
        ("Raghunathan", "NAME"),
        ("March 3, 1962", "DATE"),
        ("+44 20 7946 0958", "PHONE"),
        ("Okafor", "NAME"),
    ]
    assert detect_many([text, "nothing here"]) == [detect(text), []]
    assert all(isinstance(s, Span) for s in detect(text))


def test_scrub_many_equals_scrub_and_is_deterministic(full):
    texts = [p.text for p in planted.planted_corpus(3, per_kind=5)] + ["", "ok"]
    many = full.scrub_many(texts)
    assert many == [full.scrub(t) for t in texts]
    assert many == Scrubber(planted.roster()).scrub_many(texts)


def test_placeholders_are_exported():
    for kind in planted.KINDS + ["LOCATION", "ORGANIZATION", "IDENTIFIER"]:
        assert kind in scrub.PLACEHOLDERS.values()
        assert kind in scrub.KINDS
    assert scrub.NAME_TYPE == "NAME" and scrub.OTHER_TYPE == "IDENTIFIER"


# --- planted identifiers: recall per kind, over-scrubbing -------------------------------------------

#: Thresholds set below the recall measured on seeds 1-7 (benchmarks/RESULTS.md): every kind 100%
#: but DATE 99%, ADDRESS 97.5%, NAME 96.5% (roster on); these seeds were not used while writing the
#: detectors.
RECALL_MIN = {k: 0.95 for k in planted.KINDS} | {"NAME": 0.9, "ADDRESS": 0.9}
RECALL_MIN_NO_ROSTER = {"NAME": 0.85}
OVERSCRUB_MAX = 0.05


@pytest.mark.parametrize("seed", [101, 202])
def test_recall_per_kind_on_planted_identifiers(full, seed):
    corpus = planted.planted_corpus(seed, per_kind=30)
    spans = full.spans_many([p.text for p in corpus])
    for kind in planted.KINDS:
        got = [planted.covered(p, s) for p, s in zip(corpus, spans, strict=True) if p.kind == kind]
        assert sum(got) / len(got) >= RECALL_MIN[kind], kind


def test_names_without_a_roster():
    corpus = [p for p in planted.planted_corpus(303, per_kind=40) if p.kind == "NAME"]
    spans = detect_many([p.text for p in corpus])
    rate = sum(planted.covered(p, s) for p, s in zip(corpus, spans, strict=True)) / len(corpus)
    assert rate >= RECALL_MIN_NO_ROSTER["NAME"]


def test_overscrubbing_on_clean_comments(full):
    texts = planted.clean_synthetic() + planted.clean_synthetic("examples/wellbeing/model.yaml")
    texts += planted.CLEAN_HANDWRITTEN
    changed = [t for t, (_, c) in zip(texts, full.scrub_many(texts), strict=True) if c]
    assert len(changed) / len(texts) <= OVERSCRUB_MAX
    # the generator's own comments are never changed
    synthetic = planted.clean_synthetic()
    assert not any(c for _, c in full.scrub_many(synthetic))
