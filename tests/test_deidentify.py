"""De-identification (mscsurvey.stages.deidentify): errors, generalisation, and a planted-identifier leak test."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from faker import Faker

from mscsurvey.codebook.spec import load_codebook
from mscsurvey.errors import SurveyError
from mscsurvey.io import write_json, write_parquet
from mscsurvey.privacy.leaks import NAME_TOKEN, roster_values, scan
from mscsurvey.privacy.pseudonym import PseudonymKey, pseudonymise
from mscsurvey.stages.deidentify import PERSON_COLUMN, SOURCE_ROW, age_bands, deidentify, zip3

ROOT = Path(__file__).resolve().parents[1]
SOURCE = "data/raw/survey.csv"
KEY = PseudonymKey(bytes(range(32)), "file")
IDENTIFIER_COLUMNS = [
    "respondent_id",
    "name",
    "email",
    "phone",
    "street_address",
    "city",
    "zip",
    "ip_address",
    "organisation",
]


# --------------------------------------------------------------------------------------------------
# A raw export of ~60 respondents with the codebook's columns and planted identifiers everywhere


def _background() -> str:
    """Text that legitimately fills the outputs: the codebook and the code that writes the report.
    Planted name tokens must not occur in it, so that a plain substring search is a valid test."""
    parts = [(ROOT / "data" / "codebook.yaml").read_text(encoding="utf-8")]
    for module in (
        "stages/deidentify",
        "privacy/leaks",
        "privacy/scrub",
        "privacy/kanonymity",
        "privacy/pseudonym",
        "io",
    ):
        parts.append((ROOT / "src" / "mscsurvey" / f"{module}.py").read_text(encoding="utf-8"))
    return "\n".join(parts).casefold()


def _phone_layouts(d: str) -> list[str]:
    a, b, c = d[:3], d[3:6], d[6:]
    return [
        f"({a}) {b}-{c}",
        f"{a}.{b}.{c}",
        f"+1 {a} {b} {c}",
        f"{a}-{b}-{c}",
        f"{a}{b}{c}",
        f"+1-{a}-{b}-{c}x{d[-3:]}",
        f"001-{a}-{b}-{c}",
        f"1 ({a}) {b}.{c}",
    ]


# Two people with short name tokens (< 4 letters): matched as whole words only.
SHORT_NAMED = [("Bo", "Vantreskova"), ("Ky", "Ostrowiakas")]


def make_raw(codebook, *, n: int = 60, seed: int = 11) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """The raw frame (as read_raw returns it) and the planted identifier strings by kind."""
    fake = Faker("en_US")
    fake.seed_instance(seed)
    rng = np.random.default_rng(seed)
    background = _background()

    def unusual(token: str) -> bool:
        t = token.casefold()
        return len(t) >= 5 and t.isalpha() and t not in background and not re.fullmatch("[a-f]+", t)

    people = list(SHORT_NAMED)
    used = {t.casefold() for p in people for t in p}
    while len(people) < n:
        first, last = fake.first_name(), fake.last_name()
        if unusual(first) and unusual(last) and not {first.casefold(), last.casefold()} & used:
            used |= {first.casefold(), last.casefold()}
            people.append((first, last))

    alnum = np.array(list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"))
    records = []
    digits = []
    for i, (first, last) in enumerate(people):
        d = f"{rng.integers(201, 990)}{rng.integers(200, 999)}{rng.integers(1000, 9999)}"
        digits.append(d)
        records.append(
            {
                "respondent_id": "R_" + "".join(rng.choice(alnum, 15)),
                "name": f"{first} {last}",
                "email": f"{first.lower()}.{last.lower()}{rng.integers(10, 99)}@{fake.domain_name()}",
                "phone": _phone_layouts(d)[i % 8],
                "street_address": fake.street_address(),
                "city": fake.city(),
                "zip": fake.zipcode(),
                "birth_date": fake.date_between(
                    pd.Timestamp("1945-01-01"), pd.Timestamp("2001-12-31")
                ).isoformat(),
                "ip_address": fake.ipv4() if i % 5 else fake.ipv6(),
                "organisation": fake.company(),
            }
        )
    raw = pd.DataFrame(records)
    starts = pd.Timestamp("2020-06-01") + pd.to_timedelta(rng.integers(0, 450 * 86400, n), unit="s")
    ends = starts + pd.to_timedelta(rng.integers(120, 3600, n), unit="s")
    raw["start_time"] = starts.strftime("%Y-%m-%d %H:%M:%S")
    raw["end_time"] = ends.strftime("%Y-%m-%d %H:%M:%S")
    raw[codebook.cluster] = [f"CA-{v:02d}" for v in rng.integers(1, 6, n)]
    for gid, g in codebook.groups.items():
        raw[gid] = rng.choice(list(g.categories) + list(g.missing), n)
    for iid in codebook.items:
        sc = codebook.scale_of(iid)
        raw[iid] = rng.choice(list(sc.codes.values()) + list(sc.missing), n)

    # Free text naming other respondents, in odd casing, inside words, in other layouts.
    in_text: list[str] = []
    helped, other = [], []
    for i in range(n):
        j = (i + 7) % n
        p = raw.iloc[j]
        first, last = people[j]
        kind = i % 7
        if kind == 0:
            text = (
                f"I worked with {p['name'].swapcase()} and {first}{last}; "
                f"{last.lower()}sfriend {first.upper()} too."
            )
        elif kind == 1:
            phone = _phone_layouts(digits[j])[(i + 3) % 8]
            in_text.append(phone)
            text = f"Email me at {p['email'].upper()} or call {phone}."
        elif kind == 2:
            text = (
                f"Our office at {p['street_address'].lower()} in {p['city'].upper()}, {p['zip']}."
            )
        elif kind == 3:
            site = "www." + p["email"].split("@")[1] + "/team"
            text = f"Server {p['ip_address']} logged it; see {p['organisation'].upper()} and {site}"
        elif kind == 4:
            nxt = raw.iloc[(j + 1) % n]["respondent_id"]
            text = f"My id was {p['respondent_id']} and hers {nxt.lower()}."
        elif kind == 5:
            text = "Bo and KY from the steering committee helped; trust grew a lot."
        else:
            text = None
        helped.append(text)
        other.append(f"Ask {first} at {p['organisation']}." if i % 3 == 0 else None)
    raw["comment_helped"] = helped
    raw["comment_other"] = other
    raw = raw.astype("str").where(raw.notna())
    raw.insert(0, "_source_row", range(2, 2 + n))

    planted: dict[str, list[str]] = {c: sorted(set(raw[c].dropna())) for c in IDENTIFIER_COLUMNS}
    planted["name_token"] = sorted({t for p in people for t in p})
    planted["phone_in_text"] = sorted(set(in_text))
    return raw, planted


@pytest.fixture(scope="module")
def codebook():
    """The study's codebook, with ZIP generalised to ZIP3 (the study drops it) so that path is tested."""
    import yaml

    from mscsurvey.codebook.spec import parse_codebook

    data = yaml.safe_load((ROOT / "data" / "codebook.yaml").read_text(encoding="utf-8"))
    data["identifiers"]["zip"]["method"] = "zip3"
    data["identifiers"]["quasi_identifiers"].append(data["identifiers"]["zip"]["output"])
    return parse_codebook(data, source="data/codebook.yaml")


@pytest.fixture(scope="module")
def planted(codebook):
    return make_raw(codebook)


@pytest.fixture
def raw(planted) -> pd.DataFrame:
    return planted[0].copy()


def run(raw, codebook, **kw):
    args = {"key": KEY, "k": 3, "quasi_identifiers": None, "pseudonym_length": 16, "source": SOURCE}
    args.update(kw)
    return deidentify(raw, codebook, **args)


# --------------------------------------------------------------------------------------------------
# Errors


def test_missing_item_column_names_file_column_and_what_it_is(raw, codebook):
    with pytest.raises(SurveyError) as err:
        run(raw.drop(columns=["tr4"]), codebook)
    msg = str(err.value)
    assert msg.startswith(SOURCE)
    assert "column 'tr4' (item of construct 'trust' in the codebook) is missing" in msg
    assert "\n" not in msg


def test_missing_identifier_column_and_case_hint(raw, codebook):
    with pytest.raises(SurveyError, match=r"column 'email' \(a person identifier.*is missing"):
        run(raw.drop(columns=["email"]), codebook)
    with pytest.raises(
        SurveyError, match=r"the file has 'Gender' \(column names are case-sensitive"
    ):
        run(raw.rename(columns={"gender": "Gender"}), codebook)


def test_duplicate_respondent_ids_name_both_rows(raw, codebook):
    raw.loc[7, "respondent_id"] = " " + raw.loc[2, "respondent_id"] + " "
    with pytest.raises(SurveyError) as err:
        run(raw, codebook)
    msg = str(err.value)
    assert f"{SOURCE} row 9, column respondent_id" in msg and "row 4" in msg
    assert raw.loc[2, "respondent_id"] not in msg


def test_empty_respondent_id(raw, codebook):
    raw.loc[3, "respondent_id"] = None
    with pytest.raises(SurveyError, match="row 5, column respondent_id: is empty"):
        run(raw, codebook)


def test_bad_birth_date_names_row_and_format_without_the_value(raw, codebook):
    raw.loc[4, "birth_date"] = "04/05/1980"
    with pytest.raises(SurveyError) as err:
        run(raw, codebook)
    msg = str(err.value)
    assert f"{SOURCE} row 6, column birth_date" in msg
    assert "YYYY-MM-DD" in msg and "99/99/9999" in msg and "04/05/1980" not in msg


def test_bad_timestamp_and_impossible_date(raw, codebook):
    raw.loc[0, "start_time"] = "2020-06-01"  # no time
    with pytest.raises(SurveyError, match="row 2, column start_time.*YYYY-MM-DD HH:MM:SS"):
        run(raw, codebook)
    raw.loc[0, "start_time"] = "2020-06-01 10:00:00"
    raw.loc[1, "birth_date"] = "1980-02-30"
    with pytest.raises(SurveyError, match="row 3, column birth_date"):
        run(raw, codebook)


def test_bad_zip(raw, codebook):
    raw.loc[2, "zip"] = "9411O"
    with pytest.raises(
        SurveyError, match="row 4, column zip: value shaped '9999A' is not a US ZIP"
    ):
        run(raw, codebook)


def test_unknown_quasi_identifier_from_config(raw, codebook):
    with pytest.raises(SurveyError, match=r"deidentify.quasi_identifiers.*'birth_date'"):
        run(raw, codebook, quasi_identifiers=["age_band", "birth_date"])


def test_identifier_typed_into_an_analysis_column_is_suppressed(raw, codebook):
    name = raw.loc[10, "name"]
    raw.loc[5, "tr1"] = f"Agree (ask {name})"
    raw.loc[6, "sector"] = (
        "Other: telephone jroe [at] yvmh [dot] org"  # `other: Other` in the codebook
    )
    raw.loc[7, "role"] = "Committee member, call 555-201-7788"
    raw.loc[8, "msc"] = "ask Jo at jroe@example.org"
    out, report = run(raw, codebook)
    scr = report["screening"]
    assert scr["values_suppressed"] == {"msc": 1, "role": 1, "tr1": 1}
    assert scr["other_specified_dropped"] == {"sector": 1}
    assert out.loc[6, "sector"] == "Other"
    assert out.loc[[5, 7, 8], ["tr1", "role", "msc"]].isna().to_numpy().diagonal().all()
    rows = raw["_source_row"]
    assert {"source_row": int(rows[7]), "column": "role"} in scr["suppressed_cells"]
    text = out.astype(str).to_string() + json.dumps(report)
    for needle in (name, "jroe", "yvmh", "555-201-7788", "telephone"):
        assert needle not in text


def test_a_cluster_name_shared_by_k_respondents_is_kept(raw, codebook):
    # a collaborative may be named after a person; its members share the value
    raw.loc[:5, "msc"] = "Zebulon Quixley Collaborative"
    out, report = run(raw, codebook)
    assert (out.loc[:5, "msc"] == "Zebulon Quixley Collaborative").all()
    assert "msc" not in report["screening"]["values_suppressed"]


# --------------------------------------------------------------------------------------------------
# What comes out


def test_output_columns_have_no_identifier(raw, codebook):
    out, report = run(raw, codebook)
    assert not set(out.columns) & set(codebook.identifiers.raw_columns())
    ids = codebook.identifiers
    assert list(out.columns[:3]) == [ids.pseudonym, PERSON_COLUMN, SOURCE_ROW]
    assert list(out.columns[-2:]) == list(ids.free_text)
    assert out[SOURCE_ROW].tolist() == raw["_source_row"].tolist()
    assert report["columns_dropped"] == [
        *IDENTIFIER_COLUMNS[:7],
        "birth_date",
        *IDENTIFIER_COLUMNS[7:],
        "start_time",
        "end_time",
    ]
    assert report["rows_in"] == report["rows_out"] == len(raw)
    assert report["pseudonyms"]["method"] == "HMAC-SHA256, truncated to 16 hex"
    assert report["pseudonyms"]["key_source"] == "file"
    # items and groups pass through untouched (k-anonymity may blank group QIs only)
    for c in list(codebook.items) + ["sector", "role", codebook.cluster]:
        assert out[c].tolist() == raw[c].tolist()


def test_pseudonyms_are_keyed_and_person_pids_match_across_submissions(raw, codebook):
    raw.loc[9, "email"] = "  " + raw.loc[3, "email"].upper()
    out, _ = run(raw, codebook)
    expected = pseudonymise(raw["respondent_id"], KEY, 16)
    assert out["pid"].tolist() == expected.tolist()
    assert out.loc[9, PERSON_COLUMN] == out.loc[3, PERSON_COLUMN]
    assert out[PERSON_COLUMN].nunique() == len(raw) - 1
    other, _ = run(raw, codebook, key=PseudonymKey(bytes(range(1, 33)), "env"))
    assert not (other["pid"] == out["pid"]).any()


def test_deterministic(raw, codebook, tmp_path):
    a, ra = run(raw, codebook)
    b, rb = run(raw.copy(), codebook)
    pd.testing.assert_frame_equal(a, b)
    assert ra == rb
    write_parquet(a, tmp_path / "a.parquet")
    write_parquet(b, tmp_path / "b.parquet")
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()


def test_age_bands_at_the_survey_start_date():
    birth = pd.to_datetime(
        pd.Series(["2000-06-02", "2000-06-01", "1990-01-01", "1950-12-31", "2005-01-01", None])
    )
    at = pd.to_datetime(pd.Series(["2020-06-01"] * 6))
    bands = age_bands(birth, at, [18, 30, 40, 50, 60, 70])
    # 19 the day before the 20th birthday; 20 on it; 30; 69; 15 -> missing; unknown -> missing
    assert bands.tolist()[:4] == ["18-29", "18-29", "30-39", "60-69"]
    assert bands.isna().tolist()[4:] == [True, True]
    assert age_bands(pd.to_datetime(pd.Series(["1940-01-01"])), at[:1], [18, 70]).tolist() == [
        "70+"
    ]


def test_age_band_column_and_report(raw, codebook):
    raw.loc[0, ["birth_date", "start_time", "end_time"]] = [
        "2004-06-02",
        "2020-06-01 09:00:00",
        "2020-06-01 09:20:00",
    ]  # 15 at the survey: under the first band
    raw.loc[1, ["birth_date", "start_time"]] = ["1950-06-01", "2020-06-01 09:00:00"]  # 70 that day
    raw.loc[2, "birth_date"] = None
    out, report = run(raw, codebook, k=1)
    assert pd.isna(out.loc[0, "age_band"]) and out.loc[1, "age_band"] == "70+"
    assert pd.isna(out.loc[2, "age_band"])
    assert report["age"]["below_first_band"] == 1
    assert report["age"]["below_first_band_rows"] == [2]
    assert report["age"]["birth_date_missing"] == 1
    assert set(out["age_band"].dropna()) <= {"18-29", "30-39", "40-49", "50-59", "60-69", "70+"}


def test_zip3():
    s = pd.Series(["02139", "2139", " 94110-1234 ", "03601", "89012", None, "941101234"])
    rows = pd.Series(range(2, 9))
    out, restricted = zip3(s, rows=rows, column="zip", source=SOURCE)
    assert out.tolist()[:5] == ["021", "021", "941", "000", "000"]
    assert pd.isna(out[5]) and out[6] == "941"
    assert restricted == 2


def test_zip_in_output_and_drop_method(raw, codebook, codebook_dict):
    raw.loc[0, "zip"] = "82301"
    out, report = run(raw, codebook, k=1)
    assert out.loc[0, "zip3"] == "000"
    assert out["zip3"].str.fullmatch(r"\d{3}").all()
    assert report["zip"]["restricted_to_000"] >= 1
    from mscsurvey.codebook.spec import parse_codebook

    codebook_dict["identifiers"]["zip"]["method"] = "drop"
    codebook_dict["identifiers"]["quasi_identifiers"] = ["age_band", "gender"]
    assert load_codebook(ROOT / "data" / "codebook.yaml").identifiers.zip["method"] == "drop"
    dropped = parse_codebook(codebook_dict, source="codebook.yaml")
    out, report = run(raw, dropped, k=1)
    assert "zip3" not in out.columns and "zip" not in out.columns
    assert report["generalised"]["zip"] == "dropped"


def test_month_and_duration(raw, codebook):
    raw.loc[0, ["start_time", "end_time"]] = ["2020-06-30 23:59:00", "2020-07-01 00:11:34"]
    raw.loc[1, ["start_time", "end_time"]] = ["2021-02-01T10:00", None]
    out, report = run(raw, codebook, k=1)
    assert out.loc[0, "survey_month"] == "2020-06" and out.loc[0, "duration_seconds"] == 754
    assert out.loc[1, "survey_month"] == "2021-02" and pd.isna(out.loc[1, "duration_seconds"])
    assert str(out["duration_seconds"].dtype) == "Int64"
    assert out["survey_month"].str.fullmatch(r"\d{4}-\d{2}").all()
    assert report["timestamps"] == {"missing": 1}


def test_an_end_before_its_start_stops_with_the_row(raw, codebook):
    """Set missing, a negative duration would switch the speeder rule off: it is an error naming the
    row and column (and, when every row has it, the swapped columns); no timestamp is printed."""
    raw.loc[2, ["start_time", "end_time"]] = ["2021-03-01 10:00:00", "2021-03-01 09:00:00"]
    row = int(raw.loc[2, "_source_row"]) if "_source_row" in raw else 4
    with pytest.raises(SurveyError) as err:
        run(raw, codebook, k=1)
    msg = str(err.value)
    assert f"row {row}, column end_time: ends before its start in column start_time in 1 of" in msg
    assert "2021" not in msg and "swapped" not in msg
    swapped = raw.rename(columns={"start_time": "end_time", "end_time": "start_time"})
    with pytest.raises(SurveyError, match="most rows end before they start: are identifiers"):
        run(swapped, codebook, k=1)


def test_k_anonymity_in_the_report(raw, codebook):
    out, report = run(raw, codebook, k=3)
    ka = report["k_anonymity"]
    assert ka["k_requested"] == 3 and ka["k_achieved"] >= 3
    assert ka["quasi_identifiers"] == list(codebook.identifiers.quasi_identifiers)
    assert ka["quasi_identifiers_from"] == "codebook"
    assert (
        ka["suppressions_total"]
        == len(ka["suppressions"])
        == sum(ka["suppressions_by_column"].values())
    )
    for s in ka["suppressions"]:
        row = out.index[out[SOURCE_ROW] == s[SOURCE_ROW]][0]
        assert pd.isna(out.loc[row, s["column"]])
        assert set(s) == {SOURCE_ROW, "column"}  # never the suppressed value itself
    full = out[ka["quasi_identifiers"]].isna().all(axis=1)
    assert sorted(out.loc[full, SOURCE_ROW]) == ka["records_fully_suppressed_rows"]
    # the config may narrow the set
    _, narrow = run(raw, codebook, k=3, quasi_identifiers=["gender"])
    assert narrow["k_anonymity"]["quasi_identifiers"] == ["gender"]
    assert narrow["k_anonymity"]["quasi_identifiers_from"] == "config"


# --------------------------------------------------------------------------------------------------
# The planted-identifier test


def _decoded_parquet_strings(path: Path) -> list[str]:
    df = pd.read_parquet(path)
    texts = [str(c) for c in df.columns]
    for c in df.columns:
        if pd.api.types.is_string_dtype(df[c]) or pd.api.types.is_object_dtype(df[c]):
            texts += [str(v) for v in df[c].dropna()]
    return texts


def _plain_search(folder: Path, needles: list[str]) -> list[tuple[str, str]]:
    """Case-insensitive substring search of every file's bytes and every decoded Parquet string;
    strings shorter than 4 characters are searched as whole words in decoded text only."""
    blobs: list[tuple[str, bytes | str]] = []
    for f in sorted(folder.rglob("*")):
        if f.is_file():
            blobs.append((f.name, f.read_bytes().lower()))
            if f.suffix == ".parquet":
                blobs.append(
                    (f.name + " (decoded)", "\n".join(_decoded_parquet_strings(f)).lower())
                )
            else:
                blobs.append((f.name + " (text)", f.read_text(encoding="utf-8").lower()))
    hits = []
    for needle in needles:
        low = needle.lower()
        for name, blob in blobs:
            if len(low) >= 4:
                found = (low.encode() if isinstance(blob, bytes) else low) in blob
            else:
                found = isinstance(blob, str) and re.search(rf"(?<!\w){re.escape(low)}(?!\w)", blob)
            if found:
                hits.append((name, needle))
    return hits


def test_planted_identifiers_do_not_leak(planted, codebook, tmp_path):
    raw, strings = planted
    everything = sorted({s for values in strings.values() for s in values})
    assert len(everything) >= 200
    assert any(len(s) < 4 for s in strings["name_token"])

    out, report = run(raw.copy(), codebook)
    folder = tmp_path / "deidentified"
    write_parquet(out, folder / "responses.parquet")
    write_json(report, folder / "deid_report.json")

    # the scrubber did its work: every kind of placeholder is there
    placeholders = report["free_text"]["placeholders"]
    for kind in ("NAME", "EMAIL", "PHONE", "URL", "IP_ADDRESS", "ZIP", "ADDRESS", "ORGANIZATION"):
        assert placeholders.get(kind, 0) > 0, kind
    assert placeholders["LOCATION"] > 0 and placeholders["IDENTIFIER"] > 0

    needles = roster_values(raw, codebook)
    assert scan([folder], needles) == []
    assert _plain_search(folder, everything) == []

    # The scan is able to fail: the raw frame written beside the outputs is found, every kind.
    write_parquet(raw, folder / "leaked.parquet")
    raw.to_csv(folder / "leaked.csv", index=False)
    findings = scan([folder], needles)
    assert {f.file for f in findings} == {
        str(folder / "leaked.parquet"),
        str(folder / "leaked.csv"),
    }
    kinds = {f.needle_type for f in findings}
    assert kinds >= {"respondent_id", "name", "email", "phone", "street_address", "city"}
    assert kinds >= {"ip_address", "organisation", NAME_TOKEN}
    found_values = {f.value_masked for f in findings}
    for value in strings["name"] + strings["email"]:
        assert re.sub(r"(?<=\w)\w", "*", value) in found_values
    # ... and the findings do not leak what they found
    dump = repr(findings)
    assert not any(v in dump for v in strings["name"] + strings["email"] + strings["phone"])
    hits = _plain_search(folder, everything)
    assert {n for n, _ in hits} >= {"leaked.csv", "leaked.parquet (decoded)"}


# --------------------------------------------------------------------------------------------------
# Free text scrubbed in row chunks (rule scrub_text, deidentify.text_chunks) = scrubbed in one job


def test_chunk_positions_cover_every_row_once_in_order():
    from mscsurvey.stages.deidentify import chunk_positions

    parts = [chunk_positions(10, i, 3) for i in (1, 2, 3)]
    assert [len(p) for p in parts] == [4, 3, 3]
    assert np.concatenate(parts).tolist() == list(range(10))
    # more chunks than rows: the extra chunks are empty, the rows still covered once
    assert np.concatenate([chunk_positions(2, i, 4) for i in range(1, 5)]).tolist() == [0, 1]
    with pytest.raises(ValueError):
        chunk_positions(10, 4, 3)


def _chunked(raw, codebook, parts):
    from mscsurvey.stages.deidentify import scrub_free_text, scrubber_for

    scrubber, _ = scrubber_for(raw, codebook)
    return [
        scrub_free_text(raw, codebook, scrubber, part=i, parts=parts) for i in range(1, parts + 1)
    ]


def test_free_text_scrubbed_in_chunks_gives_byte_identical_output(raw, codebook, tmp_path):
    from mscsurvey.stages.deidentify import gather_free_text

    one, one_report = run(raw, codebook)
    chunks = _chunked(raw, codebook, 3)
    assert [len(f) for f, _ in chunks] == [len(p) for p in np.array_split(np.arange(len(raw)), 3)]
    # the chunks go through Parquet and JSON between Snakemake jobs
    stored = []
    for i, (frame, counts) in enumerate(chunks):
        write_parquet(frame, tmp_path / f"{i}.parquet")
        write_json(counts, tmp_path / f"{i}.json")
        stored.append(
            (
                pd.read_parquet(tmp_path / f"{i}.parquet"),
                json.loads((tmp_path / f"{i}.json").read_text(encoding="utf-8")),
            )
        )
    scrubbed = gather_free_text(stored, len(raw), source=SOURCE)
    three, three_report = run(raw, codebook, scrubbed=scrubbed)
    assert one_report["free_text"]["comments_scrubbed"] > 0  # the planted comments were scrubbed
    assert three_report == one_report
    write_parquet(one, tmp_path / "one.parquet")
    write_parquet(three, tmp_path / "three.parquet")
    assert (tmp_path / "one.parquet").read_bytes() == (tmp_path / "three.parquet").read_bytes()


def test_chunks_of_another_raw_file_stop_with_the_file_named(raw, codebook):
    from mscsurvey.stages.deidentify import gather_free_text

    chunks = _chunked(raw, codebook, 2)
    with pytest.raises(SurveyError) as err:
        gather_free_text(chunks[:1], len(raw), source=SOURCE)
    msg = str(err.value)
    assert SOURCE in msg and "rerun de-identification" in msg
