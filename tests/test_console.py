"""What a run shows on the console (mscsurvey.console), fed with Snakemake's own output."""

from __future__ import annotations

import io
import sys
from pathlib import Path

from mscsurvey.console import Job, JobTracker, error_of, run, step_line, warnings_of

SNAKEMAKE_OUTPUT = """\
Building DAG of jobs...
[Thu Dec  3 09:24:12 2026]
localrule scales:
    input: results/clean/responses.parquet, data/codebook.yaml
    output: results/scales/scores.parquet
    log: results/logs/scales.log
    jobid: 4
    reason: Missing output files
    wildcards: res=results
[Thu Dec  3 09:24:19 2026]
Finished jobid: 4 (Rule: scales)
localrule brief:
    log: results/logs/brief.log
    jobid: 9
Error in rule brief:
    jobid: 9
"""

SCALES_LOG = [
    "INFO mscsurvey: rule scales started",
    "NOTE scales: constructs: 8 ok, 1 weak",
    "WARNING scales: construct financing failed: alpha 0.595 is below the weak threshold 0.6",
    "INFO mscsurvey: rule scales finished in 7.87 s",
]


def test_the_tracker_follows_jobs_their_logs_and_failures():
    t = JobTracker()
    done = [j for j in (t.feed(ln) for ln in SNAKEMAKE_OUTPUT.splitlines()) if j]
    assert [(j.rule, j.jobid, j.log) for j in done] == [("scales", "4", "results/logs/scales.log")]
    assert [j.rule for j in t.failed] == ["brief"]


def test_a_step_line_has_its_time_and_its_log():
    job = Job("scales", "4", "results/logs/scales.log")
    assert (
        step_line(job, SCALES_LOG)
        == "  done  scales                   7.9 s   results/logs/scales.log"
    )
    assert warnings_of(job, SCALES_LOG) == [
        "scales: construct financing failed: alpha 0.595 is below the weak threshold 0.6"
    ]
    assert warnings_of(job, SCALES_LOG, "NOTE") == ["scales: constructs: 8 ok, 1 weak"]


def test_a_failed_step_shows_its_one_line_error():
    job = Job("clean", "3", "results/logs/clean.log")
    lines = ["INFO mscsurvey: rule clean started", "ERROR mscsurvey: survey.csv row 4: bad"]
    assert error_of(job, lines) == "survey.csv row 4: bad"
    assert error_of(job, []) == "see results/logs/clean.log"


def test_run_shows_steps_warnings_and_where_the_brief_is(tmp_path, monkeypatch):
    # a stand-in for snakemake that prints what snakemake prints and writes the step's log
    monkeypatch.chdir(tmp_path)
    (tmp_path / "results" / "logs").mkdir(parents=True)
    (tmp_path / "results" / "brief").mkdir()
    (tmp_path / "results" / "brief" / "brief.html").write_text("<html></html>")
    (tmp_path / "results" / "logs" / "scales.log").write_text("\n".join(SCALES_LOG) + "\n")
    (tmp_path / "results" / "benchmarks").mkdir()
    (tmp_path / "results" / "benchmarks" / "scales.tsv").write_text("s\th:m:s\n7.9123\t0:00:07\n")
    fake = tmp_path / "fake_snakemake.py"
    body = SNAKEMAKE_OUTPUT.split("localrule brief:")[0]
    fake.write_text(f"import sys\nsys.stdout.write({body!r})\n")
    out = io.StringIO()
    code = run([str(fake)], out=out, snakemake=sys.executable)
    text = out.getvalue()
    assert code == 0
    assert "  done  scales                   7.9 s   results/logs/scales.log" in text
    assert "1 steps done" in text
    assert "  - scales: construct financing failed" in text
    assert "  - scales: constructs: 8 ok, 1 weak" in text
    assert f"brief (HTML)  {Path('results') / 'brief' / 'brief.html'}" in text


def test_a_failed_run_says_which_step_and_its_exit_code(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    fake = tmp_path / "fake_snakemake.py"
    fake.write_text(
        f"import sys\nsys.stdout.write({SNAKEMAKE_OUTPUT!r})\nsys.exit(1)\n", encoding="utf-8"
    )
    out = io.StringIO()
    assert run([str(fake)], out=out, snakemake=sys.executable) == 1
    text = out.getvalue()
    assert "FAILED brief: see results/logs/brief.log" in text
    assert "snakemake exit code 1" in text
