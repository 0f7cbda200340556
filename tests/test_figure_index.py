"""The figures drawn as one job per kind and gathered equal the figures one job draws, byte for byte."""

from __future__ import annotations

import hashlib
import json

import pytest
from test_figures import all_tables

from mscsurvey.codebook import parse_codebook
from mscsurvey.errors import SurveyError
from mscsurvey.figure_index import FIGURE_KINDS, KIND_TABLES, gather_figures
from mscsurvey.figures import build_figure_kind, build_figures


@pytest.fixture(scope="module")
def mini(mini_codebook_dict):
    return parse_codebook(mini_codebook_dict, source="tests/data/mini_codebook.yaml")


def _digests(folder) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def _parts(tmp_path, mini, kinds) -> list:
    tables = all_tables(mini)
    common = {k: tables.pop(k) for k in ("codebook", "models", "thresholds", "style")}
    parts = []
    for kind in kinds:
        out = tmp_path / "parts" / kind
        # each kind gets only its own tables, as the figure_kind rule reads only those
        own = {name: tables[name] for name in KIND_TABLES[kind]}
        build_figure_kind(kind, tables=own, out_dir=out, min_n=1, **common)
        parts.append(out)
    return parts


def test_gathered_kinds_equal_the_one_job_folder_byte_for_byte(tmp_path, mini):
    one = build_figures(**all_tables(mini), out_dir=tmp_path / "one")
    # drawn in reverse order and passed shuffled: neither order may change a byte
    parts = _parts(tmp_path, mini, FIGURE_KINDS[::-1])
    gathered = gather_figures(parts[1:] + parts[:1], tmp_path / "gathered")
    assert gathered == one
    assert [e["kind"] for e in gathered] == [
        "likert",
        "likert",
        "subgroups",
        "subgroups",
        "drivers",
        "reliability",
        "published",
    ]
    a, b = _digests(tmp_path / "one"), _digests(tmp_path / "gathered")
    assert a == b and len(a) == 15
    index = json.loads((tmp_path / "gathered" / "index.json").read_text(encoding="utf-8"))
    assert index == one
    # each part holds its own kind only, with its own index
    likert = json.loads((tmp_path / "parts" / "likert" / "index.json").read_text("utf-8"))
    assert {e["kind"] for e in likert} == {"likert"} and len(likert) == 2


def test_gather_refuses_a_part_without_its_index_or_a_listed_file(tmp_path, mini):
    parts = _parts(tmp_path, mini, ("reliability", "published"))
    (parts[1] / "published.svg").unlink()
    with pytest.raises(SurveyError, match=r"published/index.json.*names published.svg"):
        gather_figures(parts, tmp_path / "figures")
    (parts[1] / "index.json").unlink()
    with pytest.raises(SurveyError, match="no figure index"):
        gather_figures(parts, tmp_path / "figures")
    assert not (tmp_path / "figures").exists()  # nothing half-written


def test_an_unknown_kind_is_refused(tmp_path, mini):
    tables = all_tables(mini)
    common = {k: tables.pop(k) for k in ("codebook", "models", "thresholds", "style")}
    with pytest.raises(ValueError, match="unknown figure kind"):
        build_figure_kind("pie", tables=tables, out_dir=tmp_path / "x", **common)
