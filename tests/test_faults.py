"""A run killed mid-rule (SIGKILL) leaves nothing that looks complete, and the next run resumes to
results identical to an uninterrupted run."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import time

import pytest
from workflow_helpers import ROOT, SNAKEMAKE, snakemake, write_config

pytestmark = pytest.mark.slow

SKIP = {"logs", "benchmarks"}
# The brief and the manifest state when and from which commit they were made (run date, git state at
# that moment); their provenance's inputs are compared separately below.
RUN_STAMPED = {"brief.html", "brief.pdf", "provenance.json", "manifest.json"}


def _digests(folder):
    return {
        str(f.relative_to(folder)): hashlib.sha256(f.read_bytes()).hexdigest()
        for f in sorted(folder.rglob("*"))
        if f.is_file() and f.relative_to(folder).parts[0] not in SKIP and f.name not in RUN_STAMPED
    }


def _made_from(folder):
    """What the brief was made from: the provenance without its run date and git state."""
    prov = json.loads((folder / "brief" / "provenance.json").read_text(encoding="utf-8"))
    return {k: v for k, v in prov.items() if k not in {"run_date", "git"}}


def _kill_when_started(work, rule: str, timeout: float = 120) -> None:
    env = dict(os.environ, PATH=f"{os.path.dirname(SNAKEMAKE)}{os.pathsep}{os.environ['PATH']}")
    proc = subprocess.Popen(
        [SNAKEMAKE, "-s", str(ROOT / "Snakefile"), "--directory", str(work), "--cores", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        start_new_session=True,
    )
    log = work / "results" / "logs" / f"{rule}.log"
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if log.exists() and f"rule {rule} started" in log.read_text(encoding="utf-8"):
                os.killpg(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.01)
        else:
            raise AssertionError(f"rule {rule} never started (or the run ended first)")
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def test_killed_run_resumes_to_identical_results(tmp_path):
    reference = tmp_path / "reference"
    write_config(reference, n_respondents=200)
    snakemake(reference)
    expected = _digests(reference / "results")

    work = tmp_path / "killed"
    write_config(work, n_respondents=200)
    _kill_when_started(work, "deidentify")
    # Nothing that looks complete but is not: every finished-looking file equals the reference.
    after_kill = {
        f: d for f, d in _digests(work / "results").items() if not f.split("/")[-1].endswith(".tmp")
    }
    assert all(expected.get(f) == d for f, d in after_kill.items()), sorted(after_kill)
    assert "clean/responses.parquet" not in after_kill

    # Snakemake keeps its directory lock after a kill (it cannot tell a dead run from a live one):
    # the documented next step is --unlock, then the same command resumes; the workflow profile
    # reruns the jobs marked incomplete.
    snakemake(work, "--unlock")
    snakemake(work)
    assert _digests(work / "results") == expected
    assert _made_from(work / "results") == _made_from(reference / "results")
    assert not list((work / "results").rglob("*.tmp"))
