"""Cold run of the default study in a temporary copy of the project, then a no-op rerun, then an edit
of a figure setting. Prints wall and CPU time per rule (from each rule's Snakemake benchmark file),
the total, the no-op time (best of three reruns; all three printed) and the rules an edit of
``figures.dpi`` reruns. The critical path (the chain of jobs with the most CPU seconds, from
``snakemake --dag``) and the floor it and the total CPU set are printed too: less sensitive to the
machine's load than wall times (other processes inflate CPU seconds less).

    python benchmarks/cold_run.py [--cores 2] [--keep]

The copy holds the work tree's files that git tracks or would track (no results, no raw data, no
.snakemake), so the run starts from nothing: synthesize -> ... -> brief HTML + PDF -> manifest. The
copy's own ``src/`` is put first on PYTHONPATH, so the code measured is the work tree's. Not a test:
it prints figures (and the load average beside them: on a shared machine timings are inflated).

With ``--hashes FILE``, the sha256 of every file under results/ (logs and benchmark files left out:
they hold times) is written to FILE after the cold run, to show that a change to the workflow leaves
every output byte as it was (``diff`` two such files).

Targets (issue 20, benchmarks/RESULTS.md): cold run <= 20 s with 2 cores, figure edit <= 8 s, no-op
rerun <= 1.5 s.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))


def load() -> str:
    """The 1-, 5- and 15-minute load averages, as ``uptime`` prints them."""
    return ", ".join(f"{v:.2f}" for v in os.getloadavg())


def copy_project(dest: Path) -> None:
    """Copy the files git tracks or would track (untracked, not ignored) into ``dest``."""
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    for rel in filter(None, out.decode().split("\0")):
        src = ROOT / rel
        if not src.is_file():  # deleted in the work tree but still in the index
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)


def env_for(workdir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(workdir / "src") + (
        os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else ""
    )
    env.pop("MSCSURVEY_PSEUDONYM_KEY", None)
    return env


def snakemake(workdir: Path, cores: int, *args: str) -> tuple[float, str]:
    t0 = time.perf_counter()
    proc = subprocess.run(
        [SNAKEMAKE, "--cores", str(cores), *args],
        cwd=workdir,
        env=env_for(workdir),
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-5000:])
        raise SystemExit(f"snakemake {' '.join(args)} failed ({proc.returncode})")
    return wall, proc.stdout + proc.stderr


def rule_times(workdir: Path) -> dict[str, dict[str, float]]:
    """Each rule's benchmark file: wall seconds, CPU seconds and peak RSS (MB)."""
    files = {p.stem: p for p in (workdir / "results" / "benchmarks").glob("*.tsv")}
    for rule in ("synthesize", "synthetic_truth"):  # written beside the raw export
        syn = workdir / "data" / "raw" / "logs" / f"{rule}.benchmark.tsv"
        if syn.exists():
            files[rule] = syn
    out = {}
    for rule, path in files.items():
        with open(path, encoding="utf-8") as fh:
            row = list(csv.DictReader(fh, delimiter="\t"))[-1]
        out[rule] = {
            "s": float(row["s"]),
            "cpu": float(row["cpu_time"]),
            "rss": float(row["max_rss"]),
        }
    return out


ORDER = [
    "synthesize",
    "synthetic_truth",
    "deidentify",
    "clean",
    "scales",
    "cfa",
    "invariance",
    "agreement",
    "subgroups",
    "regressions",
    "sensitivity",
    "figures_overview",
    "figures_subgroups",
    "figure_part",
    "figures",
    "brief_numbers",
    "brief",
    "manifest",
]


def planned(workdir: Path, cores: int) -> list[str]:
    _, text = snakemake(workdir, cores, "--dry-run", "--quiet", "rules")
    rules = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit() and parts[0] not in ("total", "job", "rule"):
            rules.append(parts[0])
    # the job table is printed more than once; "all" is the target rule, not work
    rules = [r for r in dict.fromkeys(rules) if r != "all"]
    return sorted(rules, key=lambda r: ORDER.index(r) if r in ORDER else len(ORDER))


def job_graph(workdir: Path, cores: int) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The cold run's jobs (id -> benchmark name: the rule, ``figures_<part>`` for a figure job) and
    their edges, from ``snakemake --dag --forceall`` (prints the graph, runs nothing)."""
    _, dot = snakemake(workdir, cores, "--dag", "--forceall", "--quiet")
    jobs = {}
    for m in re.finditer(r'^\s*(\d+)\[label = "([^"]+)"', dot, re.M):
        rule, *wildcards = m.group(2).split("\\n")
        if rule == "figure_part":
            rule = "figures_" + wildcards[0].split(": ", 1)[1]
        jobs[m.group(1)] = rule
    edges = [(a, b) for a, b in re.findall(r"^\s*(\d+) -> (\d+)", dot, re.M)]
    return jobs, edges


def critical_path(
    jobs: dict[str, str], edges: list[tuple[str, str]], times: dict[str, dict[str, float]]
) -> tuple[list[str], float]:
    """The chain of jobs with the most CPU seconds from the first job to the last: with any number
    of cores the run takes at least this long (plus Snakemake's start-up), whatever the load.
    A longest path in a DAG: each job's longest chain ending in it, from its inputs' chains."""
    cpu = {j: times.get(rule, {}).get("cpu", 0.0) for j, rule in jobs.items()}
    preds: dict[str, list[str]] = {j: [] for j in jobs}
    for a, b in edges:
        preds[b].append(a)
    best: dict[str, tuple[float, list[str]]] = {}

    def chain(j: str) -> tuple[float, list[str]]:
        if j not in best:
            before = max((chain(p) for p in preds[j]), default=(0.0, []))
            best[j] = (before[0] + cpu[j], [*before[1], jobs[j]])
        return best[j]

    total, path = max((chain(j) for j in jobs), key=lambda c: c[0])
    return [r for r in path if r != "all"], total


def timeline(workdir: Path) -> list[tuple[float, float, str]]:
    """(start s, end s, rule) of every job of the first run, from Snakemake's log (whole seconds:
    the log stamps them so), to show when a core sat idle."""
    log = sorted((workdir / ".snakemake" / "log").glob("*.snakemake.log"))[0]
    now = t0 = None
    started: dict[str, tuple[str, float]] = {}
    rule = None
    jobs = []
    for line in log.read_text(encoding="utf-8").splitlines():
        if m := re.match(r"\[(\w{3} \w{3}\s+\d+ [\d:]+ \d{4})\]", line):
            now = datetime.strptime(m.group(1), "%a %b %d %H:%M:%S %Y")
            t0 = t0 or now
        elif m := re.match(r"(?:local)?(?:rule|checkpoint) (\w+):", line):
            rule = m.group(1)
        elif (m := re.match(r"\s+jobid: (\d+)", line)) and rule:
            started[m.group(1)] = (rule, (now - t0).total_seconds())
            rule = None
        elif (m := re.match(r"Finished jobid: (\d+)", line)) and m.group(1) in started:
            name, begin = started.pop(m.group(1))
            jobs.append((begin, (now - t0).total_seconds(), name))
    return sorted(jobs)


def write_hashes(workdir: Path, out: Path) -> int:
    """sha256 and path of every output under results/ (not logs or benchmark files), sorted."""
    root = workdir / "results"
    lines = []
    for f in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = f.relative_to(workdir).as_posix()
        if rel.startswith(("results/logs/", "results/benchmarks/")):
            continue
        lines.append(f"{hashlib.sha256(f.read_bytes()).hexdigest()}  {rel}\n")
    out.write_text("".join(lines), encoding="utf-8")
    return len(lines)


def edit_dpi(workdir: Path) -> str:
    cfg = workdir / "config" / "config.yaml"
    text = cfg.read_text(encoding="utf-8")
    new = text.replace("  dpi: 200\n", "  dpi: 220\n", 1)
    if new == text:
        raise SystemExit("config/config.yaml has no 'dpi: 200' line to edit")
    cfg.write_text(new, encoding="utf-8")
    return "figures.dpi 200 -> 220"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--keep", action="store_true", help="keep the temporary copy")
    ap.add_argument("--hashes", type=Path, help="write the outputs' sha256 here after the cold run")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="mscsurvey-cold-"))
    try:
        copy_project(tmp)
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        print(f"# cold run, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {commit} (+ work tree)")
        print(f"# {platform.node()}: {os.cpu_count()} CPUs, Python {platform.python_version()}")
        print(f"# command: {SNAKEMAKE} --cores {args.cores} (in {tmp})")
        load_before = load()
        cold, _ = snakemake(tmp, args.cores)
        load_after = load()
        times = rule_times(tmp)
        if args.hashes:
            print(f"wrote the sha256 of {write_hashes(tmp, args.hashes)} outputs to {args.hashes}")
        print(f"\nload average before: {load_before}; after: {load_after}")
        print(f"\n{'rule':<14} {'wall s':>7} {'cpu s':>7} {'max RSS MB':>11}")
        for rule in sorted(times, key=lambda r: ORDER.index(r) if r in ORDER else len(ORDER)):
            t = times[rule]
            print(f"{rule:<14} {t['s']:>7.2f} {t['cpu']:>7.2f} {t['rss']:>11.0f}")
        summed = sum(t["s"] for t in times.values())
        print(f"{'sum of rules':<14} {summed:>7.2f}")
        print(f"{'cold run':<14} {cold:>7.2f}   (wall, incl. Snakemake start-up and DAG)")
        cpu = sum(t["cpu"] for t in times.values())
        print(
            f"{'CPU of rules':<14} {cpu:>7.2f}   (less sensitive to other processes than wall time)"
        )
        print("\njob timeline of the cold run (s from the first job; one # per second):")
        for begin, end, name in timeline(tmp):
            print(
                f"  {name:<18} {begin:>4.0f} {end:>4.0f}  {' ' * int(begin)}{'#' * max(1, int(end - begin))}"
            )
        path, along = critical_path(*job_graph(tmp, args.cores), times)
        floor = max(along, cpu / args.cores)
        print(f"{'critical path':<14} {along:>7.2f}   (CPU s: {' -> '.join(path)})")
        print(
            f"{'floor':<14} {floor:>7.2f}   (the larger of the critical path and CPU / "
            f"{args.cores} cores: no schedule of these jobs finishes sooner)"
        )
        noops = []
        for _ in range(3):
            noop, text = snakemake(tmp, args.cores)
            if "Nothing to be done" not in text:
                print("warning: the rerun was not a no-op:\n" + text[-2000:])
            noops.append(noop)
        noop = min(noops)
        each = ", ".join(f"{v:.2f}" for v in noops)
        print(f"{'no-op rerun':<14} {noop:>7.2f}   (best of 3: {each}; load {load()})")
        what = edit_dpi(tmp)
        rules = planned(tmp, args.cores)
        rerun, _ = snakemake(tmp, args.cores)
        print(f"\nedit {what}: reruns {', '.join(rules)}")
        print(f"{'edit rerun':<14} {rerun:>7.2f}   (load {load()})")
        verdict = "meets" if cold <= 20 and noop <= 1.5 and rerun <= 8 else "misses"
        print(f"\n{verdict} the targets (cold <= 20 s, edit <= 8 s, no-op <= 1.5 s)")
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
