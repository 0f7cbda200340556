"""The figures drawn as several jobs (parts) and gathered equal the figures one job draws, byte for byte."""

from __future__ import annotations

import hashlib
import json

import pytest
from test_figures import all_tables

from mscsurvey.codebook.spec import parse_codebook
from mscsurvey.errors import SurveyError
from mscsurvey.report.figure_index import FIGURE_PARTS, gather_figures, part_tables, shard
from mscsurvey.stages.figures import build_figure_part, build_figures


@pytest.fixture(scope="module")
def mini(mini_codebook_dict):
    return parse_codebook(mini_codebook_dict, source="tests/data/mini_codebook.yaml")


def _digests(folder) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def _parts(tmp_path, mini, names) -> list:
    tables = all_tables(mini)
    common = {k: tables.pop(k) for k in ("codebook", "models", "thresholds", "style")}
    parts = []
    for part in names:
        out = tmp_path / "parts" / part
        # each part gets only its own tables, as the figure_part rule reads only those
        own = {name: tables[name] for name in part_tables(part)}
        build_figure_part(part, tables=own, out_dir=out, min_n=1, **common)
        parts.append(out)
    return parts


def test_gathered_kinds_equal_the_one_job_folder_byte_for_byte(tmp_path, mini):
    one = build_figures(**all_tables(mini), out_dir=tmp_path / "one")
    # drawn in reverse order and passed shuffled: neither order may change a byte
    parts = _parts(tmp_path, mini, list(FIGURE_PARTS)[::-1])
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
    # each part holds its own figures only, with its own index
    sub = json.loads((tmp_path / "parts" / "subgroups" / "index.json").read_text("utf-8"))
    assert [e["file"] for e in sub] == ["subgroups_alpha.png", "subgroups_beta.png"]
    overview = json.loads((tmp_path / "parts" / "overview" / "index.json").read_text("utf-8"))
    assert "subgroups" not in {e["kind"] for e in overview} and len(overview) == 5


def test_shards_of_a_kind_gather_in_construct_order(tmp_path, mini, monkeypatch):
    # a kind split across jobs (the subgroup charts in two halves) keeps one job's order
    import mscsurvey.report.figure_index as fi
    import mscsurvey.stages.figures as figs

    parts = {
        "overview": fi.FIGURE_PARTS["overview"],
        "subgroups1": (("subgroups", 0, 2),),
        "subgroups2": (("subgroups", 1, 2),),
    }
    monkeypatch.setattr(fi, "FIGURE_PARTS", parts)
    monkeypatch.setattr(figs, "FIGURE_PARTS", parts)
    one = build_figures(**all_tables(mini), out_dir=tmp_path / "one")
    made = _parts(tmp_path, mini, ["subgroups2", "overview", "subgroups1"])
    assert gather_figures(made, tmp_path / "gathered") == one
    assert _digests(tmp_path / "one") == _digests(tmp_path / "gathered")
    second = json.loads((tmp_path / "parts" / "subgroups2" / "index.json").read_text("utf-8"))
    assert [e["file"] for e in second] == ["subgroups_beta.png"]


@pytest.mark.parametrize(
    ("n_items", "n", "expected"),
    [(5, 2, [[0, 1, 2], [3, 4]]), (2, 3, [[0], [1], []]), (0, 2, [[], []]), (4, 1, [[0, 1, 2, 3]])],
)
def test_shards_are_contiguous_slices_that_cover_the_items_in_order(n_items, n, expected):
    assert [shard(range(n_items), i, n) for i in range(n)] == expected


def test_gather_refuses_a_part_without_its_index_or_a_listed_file(tmp_path, mini):
    parts = _parts(tmp_path, mini, ("overview", "subgroups"))
    (parts[0] / "published.svg").unlink()
    with pytest.raises(SurveyError, match=r"overview/index.json.*names published.svg"):
        gather_figures(parts, tmp_path / "figures")
    (parts[0] / "index.json").unlink()
    with pytest.raises(SurveyError, match="no figure index"):
        gather_figures(parts, tmp_path / "figures")
    assert not (tmp_path / "figures").exists()  # nothing half-written


def test_an_unknown_part_is_refused(tmp_path, mini):
    tables = all_tables(mini)
    common = {k: tables.pop(k) for k in ("codebook", "models", "thresholds", "style")}
    with pytest.raises(ValueError, match="unknown figure part"):
        build_figure_part("pie", tables=tables, out_dir=tmp_path / "x", **common)
