"""What a run shows on the console: one line per finished step, a short summary, where the brief is.

Snakemake prints every job's rule, inputs, outputs, resources and wildcards: over 200 lines for the
default study, in which a failed reliability check or a suppressed group is easy to miss. ``mscsurvey
run`` starts Snakemake with the same arguments, keeps its full output in Snakemake's own log file
(``.snakemake/log/``), and shows instead:

* a line per finished step with its time, from the step's benchmark file
  (``results/benchmarks/<rule>.tsv``), and its log (``results/logs/<rule>.log``);
* at the end, the warnings that matter, from those logs (failed or weak reliability, suppressed
  groups, exclusions, ...), each once;
* where the brief, the Data Walk and the manifest are;
* on a failure, the one-line error the step wrote, its log's path and Snakemake's exit code.

The parsing is done by pure functions (:func:`parse_jobs`, :func:`step_line`, :func:`warnings_of`) fed
with Snakemake's output line by line, so it is tested without running Snakemake.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

__all__ = ["Job", "JobTracker", "benchmark_seconds", "step_line", "warnings_of", "error_of", "run"]

_RULE = re.compile(r"^(?:local)?rule (\w+):\s*$")
_LOG = re.compile(r"^\s+log: (\S+)")
_JOBID = re.compile(r"^\s+jobid: (\d+)")
_FINISHED = re.compile(r"^Finished jobid: (\d+) \(Rule: (\w+)\)")
_ERROR = re.compile(r"^Error in rule (\w+):")
_SECONDS = re.compile(r"rule \w+ finished in ([\d.]+) s")
_LEVEL = re.compile(r"^(WARNING|ERROR|NOTE) [\w.]+: (.*)$")
_NOTHING = re.compile(r"Nothing to be done")


@dataclass
class Job:
    """One Snakemake job as its block of output announces it."""

    rule: str
    jobid: str = ""
    log: str = ""


@dataclass
class JobTracker:
    """Follows Snakemake's output: which job has which rule and log, which have finished or failed."""

    jobs: dict[str, Job] = field(default_factory=dict)
    finished: list[Job] = field(default_factory=list)
    failed: list[Job] = field(default_factory=list)
    nothing_to_do: bool = False
    _current: Job | None = None

    def feed(self, line: str) -> Job | None:
        """Read one line; return the job it finishes, if it does."""
        if m := _RULE.match(line):
            self._current = Job(m.group(1))
        elif self._current and (m := _LOG.match(line)):
            self._current.log = m.group(1).rstrip(",")
        elif self._current and (m := _JOBID.match(line)):
            known = self.jobs.get(m.group(1))
            if self.failed and self.failed[-1] is self._current and known is not None:
                self.failed[-1] = known  # "Error in rule X: jobid N": the job announced earlier
            else:
                self._current.jobid = m.group(1)
                self.jobs[m.group(1)] = self._current
        elif m := _FINISHED.match(line):
            job = self.jobs.get(m.group(1), Job(m.group(2), m.group(1)))
            self.finished.append(job)
            return job
        elif m := _ERROR.match(line):
            self._current = Job(m.group(1))
            self.failed.append(self._current)
        elif _NOTHING.search(line):
            self.nothing_to_do = True
        return None


def _read(path: str) -> list[str]:
    p = Path(path)
    return p.read_text(encoding="utf-8", errors="replace").splitlines() if p.is_file() else []


def benchmark_seconds(job: Job) -> float | None:
    """The step's wall seconds from its Snakemake benchmark file (``<results>/benchmarks/<rule>.tsv``
    beside ``<results>/logs/<rule>.log``; logs hold no timings, so identical runs have identical
    logs)."""
    if "/logs/" not in job.log:
        return None
    tsv = Path(job.log.replace("/logs/", "/benchmarks/", 1)).with_suffix(".tsv")
    lines = _read(str(tsv))
    if len(lines) < 2:
        return None
    try:
        return float(lines[1].split("\t")[0])
    except ValueError:
        return None


def step_line(job: Job, log_lines: Sequence[str], seconds: float | None = None) -> str:
    """``"  done  scales                7.9 s   results/logs/scales.log"`` (the time from
    ``seconds``, else from a "finished in N s" line of the log)."""
    if seconds is None:
        found = next((m.group(1) for ln in reversed(log_lines) if (m := _SECONDS.search(ln))), None)
        seconds = float(found) if found else None
    took = f"{seconds:6.1f} s" if seconds is not None else "        "
    where = f"   {job.log}" if job.log else ""
    return f"  done  {job.rule:<22}{took}{where}"


def warnings_of(job: Job, log_lines: Iterable[str], level: str = "WARNING") -> list[str]:
    """The lines of a step's log at ``level`` (WARNING, or NOTE for key facts), as
    ``"<rule>: <message>"``."""
    return [
        f"{job.rule}: {m.group(2)}"
        for ln in log_lines
        if (m := _LEVEL.match(ln.strip())) and m.group(1) == level
    ]


def error_of(job: Job, log_lines: Sequence[str]) -> str:
    """The one-line error a failed step wrote (its log's last ERROR line), or a pointer to its log."""
    errors = [
        m.group(2) for ln in log_lines if (m := _LEVEL.match(ln.strip())) and m.group(1) == "ERROR"
    ]
    return errors[-1] if errors else f"see {job.log or 'the Snakemake log'}"


def _lines(stream: TextIO) -> Iterator[str]:
    for line in iter(stream.readline, ""):
        yield line.rstrip("\n")


def _outputs(results: Iterable[str]) -> list[str]:
    out = []
    for res in sorted(set(results)):
        for rel, what in (
            ("brief/brief.html", "brief (HTML)"),
            ("brief/brief.pdf", "brief (PDF)"),
            ("walk/index.html", "Data Walk"),
            ("tables/tables.xlsx", "tables"),
            ("public/README.txt", "public folder"),
            ("manifest.json", "manifest"),
        ):
            if (Path(res) / rel).exists():
                out.append(f"  {what:<14}{Path(res) / rel}")
    return out


def run(
    snakemake_args: Sequence[str], *, out: TextIO = sys.stdout, snakemake: str = "snakemake"
) -> int:
    """Run Snakemake with ``snakemake_args``, showing a line per finished step and a summary.

    Returns Snakemake's exit code.
    """
    start = time.monotonic()
    proc = subprocess.Popen(
        [snakemake, *snakemake_args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )
    tracker = JobTracker()
    seen_warnings: list[str] = []
    notes: list[str] = []
    full_log = ""
    assert proc.stdout is not None
    for line in _lines(proc.stdout):
        if "Complete log" in line:
            full_log = line.split(":", 1)[1].strip()
        job = tracker.feed(line)
        if job is None or job.rule == "all":
            continue
        log_lines = _read(job.log)
        print(step_line(job, log_lines, benchmark_seconds(job)), file=out, flush=True)
        for w in warnings_of(job, log_lines):
            if w not in seen_warnings:
                seen_warnings.append(w)
        notes += warnings_of(job, log_lines, "NOTE")
    code = proc.wait()
    elapsed = time.monotonic() - start
    results = [str(Path(j.log).parent.parent) for j in tracker.finished if "/logs/" in j.log]
    if code != 0:
        for job in tracker.failed:
            print(f"  FAILED {job.rule}: {error_of(job, _read(job.log))}", file=out)
        print(
            f"The run stopped (snakemake exit code {code}) after {elapsed:.0f} s; the full output is "
            f"in {full_log or '.snakemake/log/'}.",
            file=out,
        )
        return code
    if tracker.nothing_to_do and not tracker.finished:
        print("Nothing to do: every output is up to date.", file=out)
    else:
        steps = sum(j.rule != "all" for j in tracker.finished)
        print(f"{steps} steps done in {elapsed:.0f} s.", file=out)
    if notes:
        print("Summary:", file=out)
        for n in notes:
            print(f"  - {n}", file=out)
    if seen_warnings:
        print(f"Warnings ({len(seen_warnings)}):", file=out)
        for w in seen_warnings:
            print(f"  - {w}", file=out)
    where = _outputs(results or ["results"])
    if where:
        print("Outputs:", file=out)
        print("\n".join(where), file=out)
    if full_log:
        print(f"Snakemake's full output: {full_log}", file=out)
    return code
