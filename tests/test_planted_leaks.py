"""Privacy end to end (issue 13's missing test): identifiers of every kind are planted into the raw
export of a small synthetic study (comments, a typed "Other: ..." answer, a cluster name, the roster),
the whole workflow runs, and then EVERY file under results/ is decoded (Parquet, PDF text, HTML, SVG,
CSV, JSON, the Data Walk, public/) and searched for each planted value, folded for case, accents,
spacing and punctuation. A failure names the file and the kind, never the value. `mscsurvey
scan-leaks` must come to the same verdict.

The raw identifier columns' own values (names, e-mails, phones, street addresses, IP addresses) are
searched too. Images (PNG) hold no text layer and are not searched; their SVG twins are.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from workflow_helpers import snakemake, write_config

pytestmark = pytest.mark.slow

N = 240


def nfd(s: str) -> str:
    return unicodedata.normalize("NFD", s)


#: (raw column, kind, cell text, values that must appear nowhere under results/). The people named
#: here are not in the raw name column unless listed in ROSTER: both the roster layer and the layers
#: that work without it (name context, dictionary, model) are exercised.
PLANTS = [
    ("comment_helped", "name", "Thanks to Priya Raghunathan for running the meetings.",
     ["Priya Raghunathan", "Raghunathan"]),
    ("comment_other", "name (accented)", "I spoke with José Ibáñez about the referral process.",
     ["José Ibáñez", "Ibáñez"]),
    ("comment_helped", "name (NFD)", nfd("Siobhán O'Callaghan kept everyone on track this year."),
     ["Siobhán O'Callaghan", "O'Callaghan"]),
    ("comment_other", "name (hyphenated)", "Our lead, Chidinma Okonkwo-Adeyemi, was wonderful.",
     ["Okonkwo-Adeyemi"]),
    ("comment_helped", "name (roster, ordinary words)",
     "Rose Okafor and Grant Whitfield kept the data group going.",
     ["Rose Okafor", "Okafor", "Grant Whitfield", "Whitfield"]),
    ("comment_other", "name (roster, lower case)",
     "talked to hope castellanos yesterday about funding", ["hope castellanos", "Castellanos"]),
    ("comment_helped", "name (lower case)", "marcus oyelaran ran the steering committee well.",
     ["marcus oyelaran", "Oyelaran"]),
    ("comment_other", "e-mail", "Please follow up with me: priya.r@yvmh-health.org.",
     ["priya.r@yvmh-health.org", "yvmh-health"]),
    ("comment_helped", "e-mail (obfuscated)",
     "Reach me at kmensah [at] riverside-clinic [dot] org if needed.",
     ["kmensah [at] riverside-clinic [dot] org", "kmensah", "riverside-clinic"]),
    ("comment_other", "e-mail (obfuscated)", "write to jroe at sunbeltfood dot net anytime",
     ["jroe at sunbeltfood dot net", "sunbeltfood"]),
    ("comment_helped", "phone (US)", "Call me at (509) 555-0187 after five.", ["(509) 555-0187"]),
    ("comment_other", "phone (international)", "From the UK office: +44 20 7946 0321.",
     ["+44 20 7946 0321"]),
    ("comment_helped", "phone (international)", "My mobile is +91 98765 43210, text first.",
     ["+91 98765 43210"]),
    ("comment_other", "street address", "Drop the forms at 1842 Kingfisher Lane please.",
     ["1842 Kingfisher Lane"]),
    ("comment_helped", "street address (no suffix)", "We moved to 1200 Calle Verde last spring.",
     ["1200 Calle Verde"]),
    ("comment_other", "PO box", "Mail still goes to PO Box 417 in town.", ["PO Box 417"]),
    ("comment_helped", "SSN", "My SSN is 536-22-8471 for the stipend.", ["536-22-8471"]),
    ("comment_other", "date (birth)", "I was born 9/20/1972 and joined in 2019.", ["9/20/1972"]),
    ("comment_helped", "date (birth)", "My birthday is March 3, 1962, we had cake.",
     ["March 3, 1962"]),
    ("comment_other", "age over 89", "I am 94 years old and still volunteering.",
     ["94 years old"]),
    ("comment_helped", "IP address", "The portal logged me from 203.0.113.77 every time.",
     ["203.0.113.77"]),
    ("comment_other", "URL", "See https://yvmh.org/staff/priya for the minutes.",
     ["yvmh.org/staff/priya", "yvmh.org"]),
    ("comment_helped", "social handle", "Follow @kmensah88 for the updates.",
     ["@kmensah88", "kmensah88"]),
    ("comment_other", "ZIP code", "Our office is in zip 98903 near the river.", ["98903"]),
    ("comment_helped", "record number", "My MRN 40718234 was printed on the form.", ["40718234"]),
    ("comment_other", "account number", "Payments went to account # AC-553201 each month.",
     ["AC-553201"]),
    ("sector", "typed Other answer (name)", "Other: Marcus Oyelaran's consulting firm",
     ["Marcus Oyelaran", "Oyelaran"]),
    ("sector", "typed Other answer (e-mail)", "Other: freelance, jdoe77@sunbelt.net",
     ["jdoe77@sunbelt.net", "jdoe77"]),
    ("msc", "cluster typed with a name", "Kwame Mensah's coalition", ["Kwame Mensah", "Mensah"]),
]  # fmt: skip

#: People written into the raw name column (the roster), including names that are ordinary words.
ROSTER = ["Priya Raghunathan", "José Ibáñez", "Siobhán O'Callaghan", "Rose Okafor",
          "Grant Whitfield", "Hope Castellanos", "Mark Hall"]  # fmt: skip

#: Raw identifier columns whose every value is searched as well.
RAW_COLUMNS = ["name", "email", "phone", "street_address", "ip_address"]


# ---------------------------------------------------------------- folding and matching


def fold(text: str) -> str:
    """Case, accents (also NFD), spacing and punctuation folded: words separated by one space."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " " + " ".join(re.findall(r"[^\W_]+", text)) + " "


def squash(text: str) -> str:
    """Folded, without the spaces."""
    return fold(text).replace(" ", "")


def digit_pattern(value: str) -> re.Pattern:
    """A number in any layout ("509 555 0187", "(509)555-0187", "5095550187"), not inside a longer
    number or a decimal."""
    digits = re.sub(r"\D", "", value)
    body = r"[\s().\-/+]{0,3}".join(digits)
    return re.compile(rf"(?<![\d.,])(?<!\d[.,]){body}(?![.,]?\d)")


class Needle:
    """One value to search for, with its kind (never printed); ``squashed``: also searched with
    every space and punctuation mark removed (the planted values; the raw columns' values are many
    and searched folded only)."""

    def __init__(self, kind: str, value: str, *, squashed: bool = True):
        self.kind, self.value = kind, value
        self.letters = bool(re.search(r"[^\W\d_]", value))
        self.folded = fold(value)
        self.words = set(self.folded.split())
        self.squashed = squash(value) if squashed and len(squash(value)) >= 8 else None
        self.digits = None if self.letters else re.sub(r"\D", "", value)
        self.pattern = None if self.letters else digit_pattern(value)

    def found_in(self, text: Searchable) -> bool:
        if self.pattern is not None:
            # the cheap test on the text's numbers first, the exact pattern only on a hit
            return self.digits in text.numbers and bool(self.pattern.search(text.raw))
        if self.words <= text.words and self.folded in text.folded:
            return True
        # "k m e n s a h", "kmensah(at)riverside-clinic(dot)org": long values only (short ones
        # would match inside ordinary words once spaces are gone)
        return self.squashed is not None and self.squashed in text.squashed


class Searchable:
    """A file's text in the forms the needles are searched in."""

    def __init__(self, raw: str):
        self.raw = raw
        self.folded = fold(raw)
        self.words = set(self.folded.split())
        self.squashed = self.folded.replace(" ", "")
        runs = re.findall(r"\d(?:[\s().\-/+]{0,3}\d)*", raw)
        self.numbers = " ".join(re.sub(r"\D", "", r) for r in runs)


# ---------------------------------------------------------------- decoding every results file


def parquet_text(path: Path) -> str:
    table = pq.read_table(path)
    df = table.to_pandas()
    parts = [" ".join(map(str, df.columns))]
    for col in df.columns:
        parts.extend(str(v) for v in df[col].tolist() if v is not None)
    return "\n".join(parts)


def pdf_text(path: Path) -> str:
    if shutil.which("pdftotext"):
        out = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
        )
        return out.stdout.decode("utf-8", errors="replace")
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


def xlsx_text(path: Path) -> str:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    return "\n".join(
        " ".join(str(c) for c in row if c is not None)
        for ws in wb.worksheets
        for row in ws.iter_rows(values_only=True)
    )


def markup_text(raw: str) -> str:
    """Text of HTML/SVG/XML as a reader sees it and as stored (attributes, alt texts); embedded
    base64 images are dropped (they hold no text)."""
    raw = re.sub(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=\s]+", " ", raw)
    return raw + "\n" + html.unescape(re.sub(r"<[^>]+>", " ", raw))


def decoded(path: Path) -> str | None:
    """Every file's text; None for a raster image (no text to search)."""
    suffix = path.suffix.lower()
    if suffix in (".png", ".jpg", ".jpeg", ".gif", ".webp"):
        return None
    if suffix == ".parquet":
        return parquet_text(path)
    if suffix == ".pdf":
        return pdf_text(path)
    if suffix == ".xlsx":
        return xlsx_text(path)
    raw = path.read_bytes().decode("utf-8", errors="replace")
    if suffix in (".html", ".htm", ".svg", ".xml"):
        return markup_text(raw)
    return raw


# ---------------------------------------------------------------- the study


def plant(raw: pd.DataFrame) -> tuple[pd.DataFrame, list[Needle]]:
    """The raw export with every planted identifier in a row of its own; the needles to search."""
    raw = raw.copy()
    needles = []
    for i, (column, kind, text, values) in enumerate(PLANTS):
        raw.loc[raw.index[2 * i], column] = text
        needles.extend(Needle(kind, v) for v in values)
    for j, person in enumerate(ROSTER):
        raw.loc[raw.index[-1 - 3 * j], "name"] = person
    for column in RAW_COLUMNS:
        for value in raw[column]:
            if value.strip():
                needles.append(Needle(f"raw {column} value", value.strip(), squashed=False))
    return raw, needles


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    work = tmp_path_factory.mktemp("planted")
    write_config(work, n_respondents=N)
    snakemake(work, "data/raw/survey.csv")
    path = work / "data" / "raw" / "survey.csv"
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    planted, needles = plant(raw)
    planted.to_csv(path, index=False)
    snakemake(work)
    return work, needles


def test_the_plants_reached_the_raw_export(study):
    work, needles = study
    raw = pd.read_csv(work / "data" / "raw" / "survey.csv", dtype=str, keep_default_na=False)
    text = Searchable("\n".join(raw.to_numpy().ravel()))
    # the search itself works: every planted value is found where it was planted
    missed = sorted({n.kind for n in needles if not n.found_in(text)})
    assert not missed, missed


def test_the_plants_went_through_deidentification(study):
    """Not a vacuous search: every planted comment reached the de-identified table with a
    placeholder where its identifier was; the typed "Other: ..." answers became the Other category
    and the cluster typed with a name was suppressed."""
    work, _ = study
    deid = pd.read_parquet(work / "results" / "deidentified" / "responses.parquet")
    deid = deid.set_index("source_row")
    for i, (column, kind, _text, _values) in enumerate(PLANTS):
        cell = deid.loc[2 * i + 2, column]  # raw row 2i is file line 2i + 2 (after the header)
        if column == "sector":
            assert cell == "Other", kind
        elif column == "msc":
            assert pd.isna(cell), kind
        else:
            assert re.search(r"\[[A-Z_]+\]", str(cell)), kind


def test_no_planted_identifier_anywhere_under_results(study):
    work, needles = study
    files = sorted(p for p in (work / "results").rglob("*") if p.is_file())
    searched, leaks = 0, []
    for path in files:
        text = decoded(path)
        if text is None:
            continue
        searched += 1
        found = Searchable(text)
        kinds = sorted({n.kind for n in needles if n.found_in(found)})
        leaks.extend(f"{path.relative_to(work)}: {kind}" for kind in kinds)
    suffixes = {p.suffix for p in files}
    assert {".parquet", ".pdf", ".html", ".svg", ".csv", ".json"} <= suffixes, suffixes
    assert any("walk" in p.parts for p in files) and any("public" in p.parts for p in files)
    assert searched > 50
    assert not leaks, "planted identifiers found (file: kind):\n" + "\n".join(leaks)


def test_scan_leaks_agrees(study):
    work, _ = study
    cli = str(Path(sys.executable).with_name("mscsurvey"))
    proc = subprocess.run([cli, "scan-leaks"], cwd=work, capture_output=True, text=True)
    lines = [ln for ln in proc.stdout.splitlines() if "found" in ln]
    assert len(lines) == 2 and all(ln.endswith(": 0 found") for ln in lines), proc.stdout[-3000:]
    assert proc.returncode == 0
    # scan-leaks masks what it prints: no planted value in its own output
    for _column, kind, _text, values in PLANTS:
        assert not any(fold(v) in fold(proc.stdout + proc.stderr) for v in values), kind
