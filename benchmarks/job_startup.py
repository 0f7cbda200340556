"""What a job of the default study costs before it computes anything, and Snakemake's own start-up.

For each adapter in ``workflow/scripts/`` a fresh interpreter runs the adapter's lines above
``smk = snakemake`` (its imports and definitions, i.e. everything a job does before ``main``) and
reports that process's wall and CPU seconds. Then ``snakemake --version`` (Snakemake's imports,
its plugins included) and a no-op ``snakemake --cores 2`` in the project (both best of
``--repeats``). Subtracting the imports from each rule's CPU in ``cold_run.py`` gives the work
itself: what no scheduling and no persistent worker could remove.

    python benchmarks/job_startup.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Runs in the child: exec the adapter's head, print wall and CPU of the whole process so far.
_CHILD = """
import resource, sys, time
t0 = time.perf_counter()
src = open(sys.argv[1], encoding="utf-8").read().split("\\nsmk = snakemake")[0]
exec(compile(src, sys.argv[1], "exec"), {"__name__": "adapter"})
ru = resource.getrusage(resource.RUSAGE_SELF)
print(time.perf_counter() - t0, ru.ru_utime + ru.ru_stime)
"""


def _best(cmd: list[str], repeats: int, cwd: Path) -> tuple[float, float]:
    """Best wall and CPU (children's rusage) of ``repeats`` runs of ``cmd``."""
    best = (float("inf"), float("inf"))
    for _ in range(repeats):
        before = os.times()
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, check=True, capture_output=True)
        wall = time.perf_counter() - t0
        after = os.times()
        cpu = (after.children_user - before.children_user) + (
            after.children_system - before.children_system
        )
        best = min(best, (wall, cpu))
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    print(f"# job start-up, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"# load average before: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'adapter':22s} {'wall s':>7s} {'cpu s':>7s}   (best of {args.repeats})")
    total = 0.0
    for script in sorted((ROOT / "workflow" / "scripts").glob("*.py")):
        runs = []
        for _ in range(args.repeats):
            out = subprocess.run(
                [sys.executable, "-c", _CHILD, str(script)],
                cwd=ROOT,
                check=True,
                capture_output=True,
                text=True,
            ).stdout.split()
            runs.append((float(out[0]), float(out[1])))
        wall, cpu = min(runs)
        total += cpu
        print(f"{script.stem:22s} {wall:7.2f} {cpu:7.2f}")
    print(f"{'sum (one job each)':22s} {'':7s} {total:7.2f}")
    snakemake = str(Path(sys.executable).with_name("snakemake"))
    wall, cpu = _best([snakemake, "--version"], args.repeats, ROOT)
    print(f"snakemake --version    {wall:7.2f} {cpu:7.2f}   (Snakemake's imports and plugins)")
    wall, cpu = _best([snakemake, "--cores", "2", "-q"], args.repeats, ROOT)
    print(f"no-op in the project   {wall:7.2f} {cpu:7.2f}   (run the study first)")
    print(f"# load average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
