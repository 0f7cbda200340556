"""Two cold runs in different folders give byte-identical data, tables and figures.

Only files that record when or how fast a run went may differ: logs and benchmarks (timings), and the
brief and the manifest, which state their run date. The manifests themselves agree on every other
file: digest, size, producing rule, inputs' digests, params and code hashes, package versions.
"""

from __future__ import annotations

import hashlib
import json

import pytest
from workflow_helpers import snakemake, write_config

pytestmark = pytest.mark.slow

# Files allowed to differ between two runs, and why.
VARYING = {
    "logs": "timings",
    "benchmarks": "timings",
}
VARYING_FILES = {"brief.html", "brief.pdf", "manifest.json", "provenance.json"}


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
        snakemake(work)
        runs.append(work)
    a, b = (_digests(w / "results") for w in runs)
    assert a, "no outputs"
    assert {".parquet", ".json"} <= {f[f.rfind(".") :] for f in a}
    assert a.keys() == b.keys()
    differ = sorted(f for f in a if a[f] != b[f])
    assert differ == []
    (meta_a, files_a), (meta_b, files_b) = (_manifest(w) for w in runs)
    assert meta_a == meta_b
    assert files_a.keys() == {f"results/{f}" for f in a}
    assert [f for f in files_a if files_a[f] != files_b[f]] == []
    raw = [(w / "data/raw/survey.csv").read_bytes() for w in runs]
    assert raw[0] == raw[1]
