"""A seeded planted-identifier generator: realistic comments with HIPAA Safe Harbor identifiers in many
surface forms, each planted value's offsets and kind known, plus clean comments for over-scrubbing.

Names come from a hand-written list of varied origins (not from Faker, whose lists the name-dictionary
layer uses, so recall is not measured on the detector's own data), in several forms: full, first
only, lower-case, upper-case, NFD-encoded, possessive, hyphenated, cut off ("Priya Raghu..."), and
with a title. The roster (``roster()``) holds the same people, for the roster layer.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]

#: People of varied origins (first, last); some share tokens with ordinary words ("Rose", "Hall").
PEOPLE = [
    ("Priya", "Raghunathan"),
    ("Marcus", "Oyelaran"),
    ("José", "Ibáñez"),
    ("Trần", "Thị Hồng"),
    ("Siobhán", "O'Callaghan"),
    ("Chidinma", "Okonkwo-Adeyemi"),
    ("Mei-Ling", "Zhou"),
    ("Björn", "Lindqvist"),
    ("Fatima", "Al-Hashimi"),
    ("Dolores", "Huerta-Vega"),
    ("Kwame", "Mensah"),
    ("Anastasia", "Wróblewska"),
    ("Rose", "Okafor"),
    ("Mark", "Hall"),
    ("Hope", "Castellanos"),
    ("Grant", "Whitfield"),
    ("Faith", "Nakamura"),
    ("Ngozi", "Eze"),
    ("Rahul", "Deshpande"),
    ("Guadalupe", "Ramírez"),
    ("Thandiwe", "Dlamini"),
    ("Aleksandr", "Volkov"),
    ("Keoni", "Kahananui"),
    ("Yusuf", "Demir"),
]
NICKNAMES = ["Bobby", "Lupe", "Sasha", "Kiki", "Ronnie", "Tash", "Deb", "Manny"]
ORGS = ["Yakima Valley Health Alliance", "Riverside Community Clinic", "Sunbelt Food Bank Network"]
CITIES = ["Zanesburgh", "Wapakoneta", "Tlaquepaque"]

#: Comment templates: {x} is the planted identifier.
TEMPLATES = [
    "Our coordinator helped a lot, reach them at {x} if needed.",
    "Honestly the partnership worked. {x} was the key.",
    "I would add that {x} made the difference for our clinic.",
    "Please follow up with me: {x}.",
    "For the record, {x}",
    "We met weekly and {x} kept notes for everyone.",
]
NAME_TEMPLATES = [
    "Thanks to {x} for running the meetings.",
    "{x} kept everyone on track this year.",
    "I spoke with {x} about the referral process.",
    "Our lead, {x}, was wonderful.",
    "talked to {x} yesterday about funding",
    "Great partnership, especially {x}",
]


@dataclass
class Planted:
    text: str
    kind: str
    start: int
    end: int
    form: str

    @property
    def value(self) -> str:
        return self.text[self.start : self.end]


@dataclass
class Corpus:
    planted: list[Planted] = field(default_factory=list)


def _digits(rng: random.Random, n: int) -> str:
    return "".join(str(rng.randrange(10)) for _ in range(n))


_MONTHS = "January February March April May June July August September October November December"


def _date(rng: random.Random) -> tuple[str, str]:
    y, m, d = rng.randrange(1930, 2024), rng.randrange(1, 13), rng.randrange(1, 29)
    mon = _MONTHS.split()[m - 1]
    suffix = {1: "st", 2: "nd", 3: "rd", 21: "st", 22: "nd", 23: "rd"}.get(d, "th")
    forms = {
        "m/d/yyyy": f"{m}/{d}/{y}",
        "mm/dd/yy": f"{m:02d}/{d:02d}/{y % 100:02d}",
        "iso": f"{y}-{m:02d}-{d:02d}",
        "d.m.yyyy": f"{d}.{m}.{y}",
        "Month d, yyyy": f"{mon} {d}, {y}",
        "Mon. d yyyy": f"{mon[:3]}. {d} {y}",
        "d Month yyyy": f"{d} {mon} {y}",
        "dth of Month yyyy": f"{d}{suffix} of {mon} {y}",
        "Month dth": f"{mon} {d}{suffix}",
        "lower month": f"{mon.lower()} {d}, {y}",
    }
    form = rng.choice(sorted(forms))
    return form, forms[form]


def _value(kind: str, rng: random.Random) -> tuple[str, str]:
    """(form, value) of a planted identifier of ``kind``; text before a "|" is a cue word written
    before the identifier, not part of it."""
    a, b, c = _digits(rng, 3), _digits(rng, 2), _digits(rng, 4)
    a = str(rng.randrange(100, 900)).replace("666", "667")
    b = str(rng.randrange(10, 100))
    c = str(rng.randrange(1000, 10000))
    if kind == "SSN":
        forms = {"dashes": f"{a}-{b}-{c}", "spaces": f"{a} {b} {c}", "none": f"SSN |{a}{b}{c}"}
    elif kind == "DATE":
        form, v = _date(rng)
        return form, rng.choice(["born |", "DOB |", "on |", ""]) + v
    elif kind == "AGE":
        n = rng.randrange(90, 106)
        forms = {
            "I am": f"I am |{n}",
            "aged": f"aged |{n}",
            "years old": f"{n} years old",
            "year-old": f"a |{n}-year-old",
            "turned": f"just turned |{n}",
        }
    elif kind in ("PHONE", "EMAIL", "URL", "HANDLE", "IP_ADDRESS"):
        forms = _contact_forms(kind, rng)
    else:
        forms = _place_and_record_forms(kind, rng)
    form = rng.choice(sorted(forms))
    return form, forms[form]


def _contact_forms(kind: str, rng: random.Random) -> dict[str, str]:
    if kind == "PHONE":
        forms = {
            "uk": f"+44 20 7946 {_digits(rng, 4)}",
            "mx": f"+52 55 {_digits(rng, 4)} {_digits(rng, 4)}",
            "in": f"+91 98{_digits(rng, 3)} {_digits(rng, 5)}",
            "ng": f"+234 803 {_digits(rng, 3)} {_digits(rng, 4)}",
            "de": f"+49 30 {_digits(rng, 8)}",
            "us": f"({rng.randrange(201, 990)}) 555-{_digits(rng, 4)}",
            "us dots": f"{rng.randrange(201, 990)}.555.{_digits(rng, 4)}",
            "uk national": f"020 7946 {_digits(rng, 4)}",
            "00 prefix": f"0044 161 496 {_digits(rng, 4)}",
        }
    elif kind == "EMAIL":
        user, dom = (
            rng.choice(["jroe", "m.okafor", "priya_r", "kmensah"]),
            rng.choice(["yvmh", "riverside-clinic", "sunbelt"]),
        )
        tld = rng.choice(["org", "com", "net"])
        forms = {
            "plain": f"{user}@{dom}.{tld}",
            "[at] [dot]": f"{user} [at] {dom} [dot] {tld}",
            "at dot": f"{user} at {dom} dot {tld}",
            "(at)(dot)": f"{user}(at){dom}(dot){tld}",
            "at .": f"{user} at {dom}.{tld}",
            "spaced @": f"{user} @ {dom}.{tld}",
        }
    elif kind == "URL":
        dom = rng.choice(["yvmh.org", "riversideclinic.com", "sunbeltfood.net"])
        forms = {
            "https": f"https://{dom}/staff/{_digits(rng, 3)}",
            "www": f"www.{dom}",
            "bare": f"{dom}/team",
            "http": f"http://www.{dom}",
        }
    elif kind == "HANDLE":
        forms = {
            "handle": "@" + rng.choice(["maria_r", "kmensah88", "priya.raghu", "DrOkafor"]),
        }
    elif kind == "IP_ADDRESS":
        forms = {
            "v4": ".".join(str(rng.randrange(1, 255)) for _ in range(4)),
            "v6": f"2001:db8:{rng.randrange(16**4):x}::{rng.randrange(16**4):x}",
        }
    return forms


def _place_and_record_forms(kind: str, rng: random.Random) -> dict[str, str]:
    if kind == "ZIP":
        z = str(rng.randrange(10000, 99999))
        forms = {"zip": f"zip |{z}", "zip+4": f"{z}-{_digits(rng, 4)}"}
    elif kind == "ADDRESS":
        n = rng.randrange(10, 9999)
        forms = {
            "usps": f"{n} {rng.choice(['Oak', 'Maple', 'Cedar'])} Street",
            "calle": f"{n} Calle {rng.choice(['Verde', 'Las Flores', 'del Sol'])}",
            "avenida": f"Avenida {rng.choice(['Juárez', 'Reforma'])} {n}",
            "no suffix": f"{n} {rng.choice(['Maple Hollow', 'Ocean Ridge', 'Kingfisher'])}",
            "po box": f"PO Box {rng.randrange(1, 999)}",
            "p.o. box": f"P.O. Box {rng.randrange(1, 999)}",
            "rural route": f"Rural Route {rng.randrange(1, 9)} Box {rng.randrange(1, 99)}",
            "rr": f"RR {rng.randrange(1, 9)}",
        }
    elif kind == "ID_NUMBER":
        letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(3))
        forms = {
            "mrn": f"MRN |{_digits(rng, 8)}",
            "record": f"medical record number |{_digits(rng, 7)}",
            "account": f"account # |AC-{_digits(rng, 6)}",
            "licence": f"licence |{letters[0]}{_digits(rng, 7)}",
            "plate": f"plate |{rng.randrange(1, 9)}{letters}{_digits(rng, 3)}",
            "vin": "VIN |1HGCM" + _digits(rng, 5) + "A" + _digits(rng, 6),
            "device": f"device serial |SN-{letters}{_digits(rng, 5)}",
            "bare digits": _digits(rng, 10),
            "member id": f"member ID |{letters}{_digits(rng, 6)}",
        }
    else:
        raise ValueError(kind)
    return forms


def _name(rng: random.Random) -> tuple[str, str]:
    first, last = rng.choice(PEOPLE)
    forms = {
        "full": f"{first} {last}",
        "first": first,
        "lower": f"{first} {last}".lower(),
        "upper": f"{first} {last}".upper(),
        "nfd": unicodedata.normalize("NFD", f"{first} {last}"),
        "possessive": f"{first}'s",
        "truncated": f"{first} {last[: max(4, len(last) // 2)]}...",
        "title": f"Dr. |{last}",
        "nickname": rng.choice(NICKNAMES),
    }
    form = rng.choice(sorted(forms))
    value = forms[form]
    if form == "possessive":
        value = value[:-2]  # the planted value is the name; "'s" follows it
        return form, value + "\0's"
    if form == "truncated":
        return form, value[:-3] + "\0..."
    return form, value


KINDS = [
    "SSN",
    "DATE",
    "AGE",
    "PHONE",
    "EMAIL",
    "URL",
    "HANDLE",
    "IP_ADDRESS",
    "ZIP",
    "ADDRESS",
    "ID_NUMBER",
    "NAME",
]


def planted_corpus(seed: int, per_kind: int = 40) -> list[Planted]:
    """``per_kind`` comments per kind, each with one planted identifier whose offsets are known."""
    rng = random.Random(seed)
    out: list[Planted] = []
    for kind in KINDS:
        for _ in range(per_kind):
            if kind == "NAME":
                form, value = _name(rng)
                template = rng.choice(NAME_TEMPLATES)
            else:
                form, value = _value(kind, rng)
                template = rng.choice(TEMPLATES)
            value, _, tail = value.partition("\0")
            cue, _, value = value.rpartition(
                "|"
            )  # a cue word ("MRN ", "born ") is not the identifier
            before, after = template.split("{x}")
            before += cue
            # a truncated name ends the comment ("Ask Priya Raghu...")
            after = tail if form == "truncated" else tail + after
            text = before + value + after
            out.append(Planted(text, kind, len(before), len(before) + len(value), form))
    return out


def roster() -> dict[str, str]:
    """The planted people, organisations and cities as a roster (see ``mscsurvey.privacy.scrub.build_roster``)."""
    import pandas as pd

    from mscsurvey.privacy.scrub import build_roster

    raw = pd.DataFrame(
        {
            "name": [f"{f} {ln}" for f, ln in PEOPLE],
            "organisation": (ORGS * 10)[: len(PEOPLE)],
            "city": (CITIES * 10)[: len(PEOPLE)],
        }
    )
    return build_roster(raw, {"name": "NAME", "organisation": "ORGANIZATION", "city": "LOCATION"})


#: Hand-written clean comments using roster words ("Rose", "Mark", "Hope", "Grant", "Hall", "Faith")
#: and numbers as ordinary words: none may be changed.
CLEAN_HANDWRITTEN = [
    "Attendance rose over the year and we hit the mark on referrals.",
    "The town hall meeting was the best part; I hope it continues.",
    "We will apply for another grant in 2025 if the funding holds.",
    "Trust rose slowly, but faith in the process grew.",
    "Our 3 key points: listen, follow through, share data.",
    "We opened 4 community centers and served 1,200 families.",
    "About 40% of partners came, 12 of 30 stayed through 2021.",
    "The budget was $75,000 for the first phase.",
    "Strongly agree that meetings were useful; neutral on the data portal.",
    "In 2019 we started with 6 partners and by 2022 we had 15.",
    "Young people and older adults both benefited.",
    "It was a white paper that got the mark of approval from the board.",
    "Meetings at 10:30 on Tuesdays worked better than evenings.",
    "We met 3 times a month, sometimes 2, for 90 minutes.",
    "The grant will cover transport; hope grows each quarter.",
    "COVID-19 slowed us down in FY2021, but we recovered by Q3.",
    "I have worked in public health for 25 years.",
    "Our hall was too small, so we moved to the library.",
    "The coalition rose to the challenge after the 2020 floods.",
    "We mark every milestone with a shared lunch.",
    "Medicaid managed care plans finally joined the table.",
    "Community Health Workers were the heart of the work.",
    "We used Zoom for most meetings and Google Drive for documents.",
    "The County Board of Supervisors approved the plan on Tuesday.",
    "Spanish-speaking families needed interpreters at every session.",
    "Our ACH focused on housing and behavioral health.",
    "The Steering Committee met monthly and the Data Workgroup biweekly.",
    "Latino and Black residents were underrepresented on the Leadership Team.",
    "The hospital and the school district shared data for the first time.",
    "Funding from the State ended in June, which hurt momentum.",
    "I am 45 and have been in this role for 3 years.",
    "Version 2.0 of the dashboard is much easier to use.",
    "We served 350 households across 5 neighborhoods in 2023.",
    "Rates dropped from 12.5% to 9.8% over two years.",
    "We hope the Accountable Communities of Health model continues.",
    "Public Health and Social Services finally talk to each other.",
    "Partners rated the collaboration 4 out of 5 on average.",
    "The Mark of Excellence award went to our food bank partners.",
    "Will the grant be renewed? Nobody knows yet.",
    "Rose-colored glasses aside, we made real progress.",
]


def clean_synthetic(model_file: str = "data/synthetic/model.yaml") -> list[str]:
    """Every opener + sentence comment the synthetic generator can write (no identifiers)."""
    com = yaml.safe_load((ROOT / model_file).read_text())["comments"]
    out = []
    openers = list(dict.fromkeys(com["openers"]))
    for tones in com["sentences"].values():
        for sentences in tones.values():
            for s in sentences:
                for op in openers:
                    lower = op and s[:1].isupper() and s[1:2].islower()
                    out.append(op + (s[0].lower() + s[1:] if lower else s))
    return out


def covered(p: Planted, spans) -> bool:
    """Whether every letter and digit of the planted value lies inside a found span."""
    inside = set()
    for s in spans:
        inside.update(range(s.start, s.end))
    return all(i in inside for i in range(p.start, p.end) if p.text[i].isalnum())
