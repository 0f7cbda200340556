"""Free-text scrubbing (mscsurvey.privacy.scrub): presidio patterns offline, the roster, overlaps."""

from __future__ import annotations

import socket

import pandas as pd
import pytest

from mscsurvey.codebook.spec import load_codebook
from mscsurvey.privacy import scrub
from mscsurvey.privacy.leaks import codebook_vocabulary
from mscsurvey.privacy.scrub import (
    Scrubber,
    build_roster,
    name_tokens,
    offline_email_recognizer,
    value_kind,
)

ROSTER_COLUMNS = {
    "name": "NAME",
    "organisation": "ORGANIZATION",
    "city": "LOCATION",
    "street_address": "ADDRESS",
}


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "respondent_id": ["R_1a2B3c4D5e6F7g8", "R_9z8Y7x6W5v4U3t2", "R_0q0Q0q0Q0q0Q0q0"],
            "name": ["Johanna Smithers", "Maria O'Neil-Vasquez", "Li Wu"],
            "email": ["jsmithers@quillfeather.org", "maria.v@corp.internal", None],
            "phone": ["(555) 123-4567", "555.987.6543", "+1 555 222 3333"],
            "organisation": ["Quillfeather Health Alliance", "Verbena Labs", None],
            "city": ["Zanesburgh", "Ada", None],
            "street_address": ["4567 W. Oak Avenue Apt 5", "12 Elm St", None],
        }
    )


@pytest.fixture(scope="module")
def scrubber(raw) -> Scrubber:
    roster = build_roster(raw, ROSTER_COLUMNS, other_columns=["email", "phone", "respondent_id"])
    return Scrubber(roster)


def scrubbed(s: Scrubber, text: str) -> str:
    return s.scrub(text)[0]


# --- patterns ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("write to someone@example.com today", "write to [EMAIL] today"),
        ("WRITE TO SOMEONE.ELSE@EXAMPLE.CO.UK", "WRITE TO [EMAIL]"),
        ("call (555) 123-4568 now", "call [PHONE] now"),
        ("call 555.123.4569", "call [PHONE]"),
        ("call +1 555 123 4570!", "call [PHONE]!"),
        ("call 1-800-555-0199 x204", "call [PHONE]"),
        ("call 001-415-555-0100 or 4155550101", "call [PHONE] or [PHONE]"),
        ("desk 555-0123", "desk [PHONE]"),
        ("see https://www.example.org/about?id=3 and www.quux.net", "see [URL] and [URL]"),
        ("from 192.168.10.23 and 2001:db8::ff00:42:8329", "from [IP_ADDRESS] and [IP_ADDRESS]"),
        ("zip 02139 or 94110-1234.", "zip [ZIP] or [ZIP]."),
        ("at 123 Main St, Boston", "at [ADDRESS], Boston"),
        ("at 4567 W. Oak Avenue Apt 5 today", "at [ADDRESS] today"),
        ("at 88 maple ct ne, suite 210", "at [ADDRESS]"),
        ("at 1600 Pennsylvania Avenue NW", "at [ADDRESS]"),
        ("at 742 Evergreen Terrace", "at [ADDRESS]"),
        ("at 12 Birch Glen", "at [ADDRESS]"),
    ],
)
def test_each_pattern_type(text, expected):
    # the pattern layers alone (the named-entity layer would also replace "Boston")
    assert scrubbed(Scrubber(ner=False), text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "We met 3 times at the park and 4 community centers joined.",
        "Our 10 key points were shared in 2020-2021; $35,000 came from 2 funders.",
        "Meetings at 10:30 were hard; e.g. parking. It worked, i.e. mostly.",
        "Roughly 40% of partners came, 12 of 30 stayed.",
    ],
)
def test_ordinary_numbers_are_kept(text):
    assert scrubbed(Scrubber(), text) == text


def test_no_false_positive_on_codebook_texts(root):
    cb = load_codebook(root / "data" / "codebook.yaml")
    texts = [i.text for i in cb.items.values()] + [c.description for c in cb.constructs.values()]
    texts += [cb.study["description"]]
    plain = Scrubber()
    for t in texts:
        assert plain.scrub(t) == (t, {}), t
    # with a roster of realistic names, organisations and places, matched inside words, the
    # codebook's own words are left alone (e.g. "King" in "making", "Ross" in "across")
    raw = pd.DataFrame(
        {
            "name": ["Gina King", "Ross Mar", "Al Cross", "Dana Ellis"],
            "organisation": ["Trevo Partners LLC", None, None, None],
            "city": ["Lake Ann", None, None, None],
        }
    )
    roster = build_roster(raw, {"name": "NAME", "organisation": "ORGANIZATION", "city": "LOCATION"})
    s = Scrubber(roster, known_words=codebook_vocabulary(cb))
    for t in texts:
        assert s.scrub(t) == (t, {}), t
    # ... while the same names as words, or inside other words, are still removed (the named-entity
    # layer takes the whole of "kingsley", a name, where the roster alone took its "king")
    assert (
        scrubbed(s, "gina said it; ROSS agreed; kingsley")
        == "[NAME] said it; [NAME] agreed; [NAME]"
    )
    assert (
        Scrubber(roster, known_words=codebook_vocabulary(cb), ner=False).scrub("kingsley")[0]
        == "[NAME]sley"
    )


def test_email_recognizer_is_offline(monkeypatch):
    """tldextract must validate e-mail domains from its bundled list, never from the network."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args[:1])
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    scrub._offline_tld_extractor.cache_clear()
    rec = offline_email_recognizer()
    found = rec.analyze("mail ada@example.org or bob@sub.example.co.uk", ["EMAIL_ADDRESS"])
    assert sorted((r.start, r.end) for r in found) == [(5, 20), (24, 45)]
    assert rec.analyze("not an email: ada@localhost", ["EMAIL_ADDRESS"]) == []
    assert attempts == []


# --- the roster --------------------------------------------------------------------------------


def test_name_tokens():
    assert name_tokens("Dr. Maria O'Neil-Vasquez Jr.") == [
        "Maria",
        "O'Neil-Vasquez",
        "O'Neil",
        "Vasquez",
        "Neil",
    ]
    assert name_tokens("Li Wu") == ["Li", "Wu"]
    assert name_tokens("J. K. Lowry") == ["Lowry"]


def test_build_roster_types(raw):
    roster = build_roster(raw, ROSTER_COLUMNS, other_columns=["email", "phone", "respondent_id"])
    assert roster["johanna smithers"] == "NAME"
    assert roster["smithers"] == "NAME" and roster["li"] == "NAME" and roster["neil"] == "NAME"
    assert roster["quillfeather health alliance"] == "ORGANIZATION"
    assert roster["ada"] == "LOCATION"
    assert roster["12 elm st"] == "ADDRESS"
    assert roster["maria.v@corp.internal"] == "EMAIL"
    assert roster["(555) 123-4567"] == "PHONE"
    assert roster["r_1a2b3c4d5e6f7g8"] == "IDENTIFIER"
    assert all(k == k.casefold() for k in roster)


def test_value_kind():
    assert value_kind("a@b.org") == "EMAIL"
    assert value_kind("10.0.0.1") == "IP_ADDRESS"
    assert value_kind("fe80::1") == "IP_ADDRESS"
    assert value_kind("+1 (555) 123-4567 x89") == "PHONE"
    assert value_kind("R_1a2B3c") == "IDENTIFIER"


def test_roster_odd_casing_and_inside_words(scrubber):
    text = "jOHANNA sMITHERS and JohannaSmithers met mariasfriend at quillfeather health ALLIANCE"
    out, counts = scrubber.scrub(text)
    assert out == "[NAME] and [NAME][NAME] met [NAME]sfriend at [ORGANIZATION]"
    assert counts == {"NAME": 4, "ORGANIZATION": 1}


def test_short_tokens_only_as_whole_words(scrubber):
    out = scrubbed(scrubber, "Li and WU were reliable; a wuss? Ada's adapter in Ada.")
    assert out == "[NAME] and [NAME] were reliable; a wuss? [LOCATION]'s adapter in [LOCATION]."


def test_places_addresses_and_exact_identifier_values(scrubber):
    out, counts = scrubber.scrub(
        "From zanesburgh; I live at 12 elm st, mail maria.v@CORP.internal, id r_1a2b3c4d5e6f7g8"
    )
    assert out == "From [LOCATION]; I live at [ADDRESS], mail [EMAIL], id [IDENTIFIER]"
    assert counts == {"LOCATION": 1, "ADDRESS": 1, "EMAIL": 1, "IDENTIFIER": 1}


def test_overlaps_longest_span_wins(scrubber):
    # presidio's URL recognizer fires inside the e-mail address; the name roster too
    out, counts = scrubber.scrub("Write JSmithers@QuillFeather.org or jsmithers@quillfeather.org")
    assert out == "Write [EMAIL] or [EMAIL]"
    assert counts == {"EMAIL": 2}
    # an organisation containing a person's name is one organisation
    assert scrubbed(scrubber, "at Verbena Labs") == "at [ORGANIZATION]"
    # a roster address that the address pattern also finds is replaced once
    assert scrubber.scrub("at 4567 w. oak avenue apt 5")[1] == {"ADDRESS": 1}


def test_merge_unions_partial_overlaps():
    spans = [scrub.Span(0, 5, "NAME"), scrub.Span(3, 12, "URL"), scrub.Span(20, 22, "ZIP")]
    assert scrub._merge(spans) == [scrub.Span(0, 12, "URL"), scrub.Span(20, 22, "ZIP")]


def test_scrub_series(scrubber):
    s = pd.Series(["Ask Li.", None, "Nothing here.", "Call 555-123-9999 or Li"])
    out, counts, changed = scrubber.scrub_series(s)
    assert out.tolist()[0] == "Ask [NAME]."
    assert pd.isna(out[1])
    assert out[2] == "Nothing here."
    assert out[3] == "Call [PHONE] or [NAME]"
    assert counts == {"NAME": 2, "PHONE": 1}
    assert changed == 2
