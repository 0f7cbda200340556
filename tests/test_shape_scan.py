"""The shape scan (mscsurvey.privacy.shape_scan): identifier shapes in outputs, not only the raw values."""

from __future__ import annotations

import json

import pandas as pd

from mscsurvey.privacy.scrub import detect_many
from mscsurvey.privacy.shape_scan import run_dates, scan_shapes, visible_text


def _results(tmp_path):
    res = tmp_path / "results"
    (res / "clean").mkdir(parents=True)
    (res / "brief").mkdir()
    (res / "benchmarks").mkdir()
    pd.DataFrame(
        {
            "pid": ["3fa2b81c9d0e4f11", "a0b1c2d3e4f5a6b7"],  # keyed pseudonyms: not reported
            "comment": ["mail jo.roe@example.org please", "fine [NAME] thanks"],
        }
    ).to_parquet(res / "clean" / "responses.parquet")
    (res / "clean" / "report.json").write_text(
        json.dumps({"notes": ["call 555-201-7788"], "n": 3}), encoding="utf-8"
    )
    (res / "brief" / "brief.html").write_text(
        "<html><head><style>.a{color:#123456}</style></head><body><h1>Trust</h1>"
        '<p>Rendered 2026-12-03.</p><img alt="ring 555-201-7799" src="x.png">'
        "<p>Wilson intervals.</p></body></html>",
        encoding="utf-8",
    )
    (res / "brief" / "provenance.json").write_text(
        json.dumps({"run_date": "2026-12-03", "commit": "0123456789abcdef0123"}), encoding="utf-8"
    )
    (res / "benchmarks" / "x.tsv").write_text("s\n555-201-7700\n", encoding="utf-8")
    return res


def test_shapes_are_found_masked_and_placed(tmp_path):
    res = _results(tmp_path)
    found, searched = scan_shapes(
        [res],
        detect_many,
        vocabulary={"wilson", "trust", "intervals"},
        skip_columns=["pid"],
        allowed_dates=run_dates(res / "brief" / "provenance.json"),
    )
    where = {(f.file.split("results/")[1], f.needle_type, f.position) for f in found}
    assert ("clean/responses.parquet", "shape:EMAIL", "column comment") in where
    assert ("clean/report.json", "shape:PHONE", "$.notes[0]") in where
    assert any(f.file.endswith("brief.html") and f.needle_type == "shape:PHONE" for f in found)
    text = " ".join(f.value_masked for f in found)
    assert "jo.roe" not in text and "555-201-7788" not in text
    # not reported: pseudonyms, placeholders, the run's own date, run metadata, the benchmarks
    assert not any("provenance" in f.file or "benchmarks" in f.file for f in found)
    assert not any(f.needle_type == "shape:DATE" for f in found)
    assert len(found) == 3 and searched >= 5


def test_visible_text_skips_markup_and_keeps_alt():
    pieces = visible_text('<style>p{}</style><p>Hello <b>there</b></p><img alt="A chart">')
    assert pieces == ["Hello", "there", "A chart"]


def test_a_library_path_in_a_log_is_not_a_url(tmp_path):
    """A Python warning in a log names its library's source file ("linear_model.py:2257" has a web
    address's shape): a file that exists on this machine is the run's own; a typed address is not."""
    import mscsurvey.stats.reliability as lib

    logs = tmp_path / "results" / "logs"
    logs.mkdir(parents=True)
    (logs / "x.log").write_text(
        f"WARNING py.warnings: {lib.__file__}:2257: RuntimeWarning: divide by zero\n"
        "WARNING typed: see /srv/www/yvmh-health.org/staff.html for details\n",
        encoding="utf-8",
    )
    found, _ = scan_shapes([tmp_path / "results"], detect_many)
    assert [(f.needle_type, f.position) for f in found] == [("shape:URL", "line 2")]
