"""Two cold runs in different folders give byte-identical files: data, tables, figures, logs, the brief.

Only what records how fast a run went, or when, may differ: the benchmark files (runtime, memory) and
the manifest (its ``created`` time, and the benchmark files' digests). The brief and its provenance
state the run date (UTC day) and the git state: the same for two runs on one day from one commit (the
test fixes the day with SOURCE_DATE_EPOCH). The manifests agree on every other file: digest, size,
producing rule, inputs' digests, params and code hashes, package versions; and hold no absolute path.
"""

from __future__ import annotations

import hashlib
import json

import pytest
from workflow_helpers import snakemake, write_config

pytestmark = pytest.mark.slow

# Files allowed to differ between two runs, and why.
VARYING = {
    "benchmarks": "timings",
}
VARYING_FILES = {"manifest.json", "synthesize.benchmark.tsv", "synthetic_truth.benchmark.tsv"}
DAY = {"SOURCE_DATE_EPOCH": "1767225600"}  # 2026-01-01
# State the git commit and dirty flag of the code that made them.
STAMPED = {
    "brief/brief.html",
    "brief/brief.pdf",
    "brief/provenance.json",
    # the public folder's copies of the brief carry the same stamp
    "public/brief.html",
    "public/brief.pdf",
}


def _digests(folder):
    out = {}
    for f in sorted(folder.rglob("*")):
        rel = f.relative_to(folder)
        if f.is_dir() or rel.parts[0] in VARYING or f.name in VARYING_FILES:
            continue
        out[str(rel)] = hashlib.sha256(f.read_bytes()).hexdigest()
    return out


def _varies(path: str) -> bool:
    parts = path.split("/")[1:]  # below results/
    return parts[0] in VARYING or parts[-1] in VARYING_FILES


def _manifest(work):
    """The run's manifest without its timestamp, git state and the entries of varying files."""
    m = json.loads((work / "results/manifest.json").read_text(encoding="utf-8"))
    files = {}
    for f in m.pop("files"):
        if not _varies(f["path"]):
            inputs = [i for i in f.get("inputs", []) if not _varies(i["path"])]
            files[f["path"]] = f | {"inputs": inputs}
    del m["created"], m["git"]  # git: other edits to the work tree may land between the runs
    return m, files


def test_two_cold_runs_are_byte_identical(tmp_path):
    runs = []
    for name in ("first", "second"):
        work = tmp_path / name
        write_config(work, n_respondents=200)
        snakemake(work, env=DAY)
        runs.append(work)
    a, b = (_digests(w / "results") for w in runs)
    assert {"logs/clean.log", "brief/brief.pdf", "brief/provenance.json"} <= a.keys()
    logs = [_digests(w / "data/raw/logs") for w in runs]
    assert logs[0] == logs[1] and "synthesize.log" in logs[0]
    assert a, "no outputs"
    assert {".parquet", ".json"} <= {f[f.rfind(".") :] for f in a}
    assert a.keys() == b.keys()
    differ = sorted(f for f in a if a[f] != b[f])
    gits = [json.loads((w / "results/brief/provenance.json").read_text())["git"] for w in runs]
    if (
        gits[0] != gits[1]
    ):  # the work tree was edited between the runs: the brief states its git state
        differ = [f for f in differ if f not in STAMPED]
    assert differ == []
    for w in runs:
        text = (w / "results/manifest.json").read_text(encoding="utf-8")
        assert str(w) not in text and '"/' not in text, "an absolute path in the manifest"
    (meta_a, files_a), (meta_b, files_b) = (_manifest(w) for w in runs)
    assert meta_a == meta_b
    # the manifest rule's own log is written after the manifest: not listed in it
    assert files_a.keys() == {f"results/{f}" for f in a} - {"results/logs/manifest.log"}
    assert [f for f in files_a if files_a[f] != files_b[f]] == []
    raw = [(w / "data/raw/survey.csv").read_bytes() for w in runs]
    assert raw[0] == raw[1]
