"""The leak scan (mscsurvey.privacy.leaks): matching rules, decoding, masking."""

from __future__ import annotations

import json

import pandas as pd

from mscsurvey.codebook.spec import load_codebook
from mscsurvey.io import write_json, write_parquet
from mscsurvey.privacy.leaks import (
    NAME_TOKEN,
    Needles,
    mask,
    roster_values,
    scan,
    scan_frame,
    scan_text,
)

NEEDLES = {
    "name": ["Ottoline Vasquerra"],
    "email": ["o.vasquerra@quillfeather.org"],
    "phone": ["(555) 123-4567"],
    "respondent_id": ["R_1a2B3c4D5e6F7g8", "17"],
    "city": ["Ada"],
    NAME_TOKEN: ["Ottoline", "Vasquerra", "Li"],
}


def kinds(findings):
    return sorted(f.needle_type for f in findings)


def test_mask():
    assert mask("John Smith") == "J*** S****"
    assert mask("o.vasquerra@quillfeather.org") == "o.v********@q***********.o**"
    assert mask("(555) 123-4567") == "(5**) 1**-4***"


def test_full_values_case_insensitive_and_whitespace_tolerant():
    found = scan_text("ask OTTOLINE   vasquerra or O.Vasquerra@QuillFeather.ORG", NEEDLES, name="t")
    # one finding per span: the tokens inside the full name and the e-mail are not repeated
    assert kinds(found) == ["email", "name"]


def test_phone_in_any_layout():
    for text in ["555.123.4567", "+1 555 123 4567", "5551234567", "1-555-123-4567 x12"]:
        assert kinds(scan_text(f"call {text}", NEEDLES, name="t")) == ["phone"], text
    assert scan_text("call 555.123.4568 or 2020 555 1234", NEEDLES, name="t") == []


def test_tokens_and_short_values_only_as_whole_words():
    assert scan_text("reliable Adams ottolines", NEEDLES, name="t") == []
    assert kinds(scan_text("Li met us in ADA", NEEDLES, name="t")) == ["city", NAME_TOKEN]
    # small numeric ids are not searched (indistinguishable from any number)
    assert scan_text("row 17 of 2017", NEEDLES, name="t") == []
    assert kinds(scan_text("id r_1a2b3c4d5e6f7g8", NEEDLES, name="t")) == ["respondent_id"]


def test_scan_decodes_parquet_and_json(tmp_path):
    df = pd.DataFrame({"source_row": [2, 3], "comment": ["fine", "thanks Vasquerra!"]})
    write_parquet(df, tmp_path / "out" / "a.parquet")
    write_json({"note": "call 555 123 4567", "n": 3}, tmp_path / "out" / "r.json")
    (tmp_path / "out" / "plain.txt").write_text("nothing here\n")
    findings = scan([tmp_path / "out"], Needles(NEEDLES))
    positions = {(f.file.rsplit("/", 1)[-1], f.needle_type, f.position) for f in findings}
    assert ("a.parquet", NAME_TOKEN, "column comment, row 3") in positions
    assert ("r.json", "phone", "$.note, offset 5") in positions
    assert not any(f.file.endswith("plain.txt") for f in findings)
    assert "Vasquerra" not in json.dumps([f.__dict__ for f in findings])


def test_scan_frame_names_source_rows():
    df = pd.DataFrame({"source_row": [10, 11], "x": [None, "o.vasquerra@quillfeather.org"]})
    (f,) = scan_frame(df, NEEDLES, name="frame")
    assert f.position == "column x, row 11" and f.needle_type == "email"


def test_roster_values_from_the_codebook(root):
    cb = load_codebook(root / "data" / "codebook.yaml")
    raw = pd.DataFrame(
        {
            "respondent_id": ["R_1", "R_2"],
            "name": ["Ottoline White", " Xu Vasquerra "],
            "email": ["o@x.org", None],
            "phone": ["555-123-4567", ""],
            "street_address": ["1 Elm St", None],
            "city": ["Ada", "Public health"],
            "ip_address": ["10.0.0.1", None],
            "organisation": ["Quillfeather", None],
            "tr1": ["Agree", "Agree"],
        }
    )
    needles = roster_values(raw, cb)
    assert needles["name"] == ["Ottoline White", "Xu Vasquerra"]
    assert needles["phone"] == ["555-123-4567"]
    assert needles["respondent_id"] == ["R_1", "R_2"]
    # words of the codebook itself ("White", "Public health") fill outputs legitimately
    assert needles["city"] == ["Ada"]
    assert needles[NAME_TOKEN] == ["Ottoline", "Vasquerra", "Xu"]
    assert "tr1" not in needles


def test_words_the_project_writes_are_not_name_tokens(root):
    cb = load_codebook(root / "data" / "codebook.yaml")
    raw = pd.DataFrame({"respondent_id": ["R_1"], "name": ["Ottoline Wilson"]})
    needles = roster_values(raw, cb)
    # "Wilson" is a word of the library (Wilson confidence intervals); the full name stays a needle
    assert needles[NAME_TOKEN] == ["Ottoline"]
    assert needles["name"] == ["Ottoline Wilson"]
    found = scan_text("Wilson 95% intervals; ask ottoline wilson", needles, name="t")
    assert kinds(found) == ["name"]


def test_binary_files_searched_for_long_values_only(tmp_path):
    png = b"\x89PNG\r\n\x1a\n\x00\xff Li \x00\xfe"
    (tmp_path / "noise.png").write_bytes(png)
    assert scan([tmp_path], NEEDLES) == []  # a two-letter token among random bytes is noise
    (tmp_path / "noise.png").write_bytes(png + b"o.vasquerra@quillfeather.org\x00")
    assert kinds(scan([tmp_path], NEEDLES)) == ["email"]


def test_embedded_images_are_skipped_but_the_page_text_is_not(tmp_path):
    page = '<img src="data:image/png;base64,QUxpIExp+/Li=="> <p>Thanks, Li!</p>'
    (tmp_path / "brief.html").write_text(page, encoding="utf-8")
    found = scan([tmp_path], NEEDLES)
    assert kinds(found) == [NAME_TOKEN]
    assert found[0].position == f"offset {page.index('Li!')}"


def test_pdf_text_is_searched(tmp_path):
    import typst

    (tmp_path / "b.typ").write_text(
        "= Brief\nA comment from Ottoline Vasquerra.\n", encoding="utf-8"
    )
    typst.compile(str(tmp_path / "b.typ"), output=str(tmp_path / "b.pdf"))
    (tmp_path / "b.typ").unlink()
    found = scan([tmp_path], NEEDLES)
    assert "name" in kinds(found)
    assert any(f.position.startswith("page 1") for f in found)


def test_needles_do_not_match_across_joined_values():
    # an organisation "Le Inc" must not be found in the column names "role" + "income"
    frame = pd.DataFrame({"role": ["staff"], "income": ["low"], "note": ["from Le Inc"]})
    found = scan_frame(frame, {"organisation": ["Le Inc"]}, name="f")
    assert [f.position for f in found] == ["column note, row 0"]
    values = pd.DataFrame({"a": ["role", "income", "ok"]})
    assert scan_frame(values, {"organisation": ["Le Inc"]}, name="f") == []


def test_one_word_name_columns_are_matched_as_whole_words(root):
    """A first-name column (Qualtrics' RecipientFirstName) holds one word per value: as a substring
    "Lisa" would be found in "normalisation" and "Whit" in "whitespace", so such a value is a name token
    (whole words only), while a full name in the same column stays a substring needle."""
    cb = load_codebook(root / "examples" / "wellbeing" / "codebook.yaml")
    raw = pd.DataFrame(
        {
            "ResponseId": ["R_1", "R_2"],
            "RecipientFirstName": ["Lisa", "Ottoline Vasquerra"],
            "RecipientLastName": ["Whit", "Quillfeather"],
        }
    )
    needles = roster_values(raw, cb)
    assert needles["RecipientFirstName"] == ["Ottoline Vasquerra"]
    assert needles["RecipientLastName"] == []
    assert needles[NAME_TOKEN] == ["Lisa", "Ottoline", "Quillfeather", "Vasquerra", "Whit"]
    assert scan_text('{"person_normalisation": "whitespace collapsed"}', needles, name="t") == []
    found = scan_text("Thanks to Lisa and WHIT; ask ottoline vasquerra", needles, name="t")
    assert kinds(found) == ["RecipientFirstName", "name_token", "name_token"]


def _scan_every_cell(df: pd.DataFrame, nd: Needles, name: str) -> list:
    """The per-cell scan scan_frame replaced: every present cell of a column, in row order, searched
    as one joined text; findings in Needles.find's order (literals, then phone numbers)."""
    from mscsurvey.privacy.leaks import Finding, mask

    out = []
    for col in df.columns:
        s = df[col]
        if not (pd.api.types.is_string_dtype(s) or isinstance(s.dtype, pd.CategoricalDtype)):
            continue
        present = s.notna().to_numpy()
        values = [str(v) for v in s[present]]
        rows = [r for r, p in zip(df["source_row"], present, strict=True) if p]
        starts, pos = [], 0
        for v in values:
            starts.append(pos)
            pos += len(v) + 1
        for kind, value, offset in nd.find("\x00".join(values)):
            i = max(j for j, st in enumerate(starts) if st <= offset)
            out.append(Finding(name, kind, mask(value), f"column {col}, row {rows[i]}"))
    return out


def test_scan_frame_searches_each_distinct_value_once_and_reports_every_row():
    nd = Needles({"name": ["Ada Lovelace"], "phone": ["555-123-4567"], NAME_TOKEN: ["Ada"]})
    cells = ["fine", "call 555 123 4567", "ask Ada", None, "fine", "ada lovelace", "ask Ada"]
    df = pd.DataFrame(
        {
            "source_row": range(2, 2 + len(cells)),
            "comment": pd.Series(cells, dtype="string"),
            "group": pd.Categorical(["a", "ask Ada", "a", "b", "ask Ada", "b", "a"]),
            "n": range(len(cells)),
        }
    )
    found = scan_frame(df, nd, name="out")
    assert found == _scan_every_cell(df, nd, "out")
    assert [f.position for f in found if "comment" in f.position] == [
        "column comment, row 4",
        "column comment, row 7",
        "column comment, row 8",
        "column comment, row 3",  # the phone number pass comes after the literal needles
    ]


def test_digits_inside_a_hash_are_not_a_phone_number():
    # at 10^6 respondents some 16-hex pseudonyms hold a respondent's ten phone digits by chance
    nd = Needles({"phone": ["(555) 123-4567"]})
    assert scan_text("pid a5551234567fbc0e", nd, name="t") == []
    assert scan_text("5551234567abcdef", nd, name="t") == []
    # typed forms are still found: glued to words, with an extension, in a short or digit-only token
    for text in ("call5551234567", "555-123-4567x204", "ref 5551234567ok", "15551234567"):
        assert [f.needle_type for f in scan_text(text, nd, name="t")] == ["phone"], text
    df = pd.DataFrame({"source_row": [2, 3], "pid": ["a5551234567fbc0e", "5551234567"]})
    assert [f.position for f in scan_frame(df, nd, name="out")] == ["column pid, row 3"]


def test_an_all_digit_pseudonym_in_a_column_of_hashes_is_not_a_phone_number():
    nd = Needles({"phone": ["(555) 123-4567"]})
    hashes = pd.DataFrame({"source_row": [2, 3], "pid": ["0123456789abcdef", "1555123456700000"]})
    assert scan_frame(hashes, nd, name="out") == []
    # a column of digits only is not a column of hashes: its phone numbers are found
    digits = pd.DataFrame({"source_row": [2, 3], "ref": ["155512345670000", "000000000000"]})
    assert [f.position for f in scan_frame(digits, nd, name="out")] == ["column ref, row 2"]


def test_scanning_a_column_in_slices_of_values_finds_what_one_pass_finds(monkeypatch):
    # a column is searched in slices of distinct values (memory at 10^6 rows): slices of 1, 2 and 3
    # values give the findings, in the order, of one pass over the whole column
    import mscsurvey.privacy.leaks as leaks

    nd = Needles(NEEDLES)
    cells = [
        "ask Ottoline",
        "o.vasquerra@quillfeather.org wrote",
        "fine",
        "call (555) 123-4567 or 555.123.4567",
        "Li and ada",
        "R_1a2B3c4D5e6F7g8",
        "pid a5551234567fbc0e",
        "OTTOLINE  VASQUERRA",
        "fine",
        None,
    ]
    df = pd.DataFrame({"source_row": range(2, 2 + len(cells)), "comment": cells})
    whole = scan_frame(df, nd, name="out")
    assert len(whole) >= 7
    for size in (1, 2, 3):
        monkeypatch.setattr(leaks, "_VALUES_AT_ONCE", size)
        assert scan_frame(df, nd, name="out") == whole, size
