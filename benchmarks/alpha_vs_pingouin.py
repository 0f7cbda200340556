"""mscsurvey's Cronbach's alpha beside ``pingouin.cronbach_alpha`` on the same data: time and values.

    python benchmarks/alpha_vs_pingouin.py [--sizes 1000,10000,100000,1000000] [--repeats 5]

Data: the synthetic study's model (benchmarks/scale_data.py, 40 items). Two matrices per size:
the construct *trust* (4 items) on its listwise-complete rows, and all 40 items with each missing
answer replaced by its item's median (a complete respondents x 40 matrix; only for timing a wide
scale). Both libraries get the same complete rows: pingouin with ``nan_policy="listwise"`` (its
default, pairwise, differs) and mscsurvey's :func:`mscsurvey.reliability.cronbach_alpha` with the
Feldt interval (pingouin's interval is the same F-based formula, rounded to 3 decimals). Times are
the best of ``--repeats`` calls, the two libraries called alternately, after one warm-up call each;
the last column times mscsurvey's bootstrap CI (1,000 resamples, vectorised), which pingouin does not
offer. Not a test: it prints figures, with the load average (timings on a shared machine are
inflated).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pingouin as pg

from mscsurvey.codebook import load_codebook
from mscsurvey.reliability import cronbach_alpha

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from scale_data import clean_responses, codebook_40  # noqa: E402


def timed_pair(fa, fb, repeats: int) -> tuple[float, object, float, object]:
    """Best-of-``repeats`` times of two functions called alternately (a load burst from another
    process then hits both; the minimum is the least disturbed call), after one warm-up each."""
    out_a, out_b = fa(), fb()
    ta, tb = [], []
    for _ in range(repeats):
        t = time.perf_counter()
        out_a = fa()
        ta.append(time.perf_counter() - t)
        t = time.perf_counter()
        out_b = fb()
        tb.append(time.perf_counter() - t)
    return min(ta), out_a, min(tb), out_b


def load() -> str:
    return ", ".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,10000,100000,1000000")
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    root = HERE.parent
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True
    ).stdout.strip()
    print(f"# alpha vs pingouin, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {commit}")
    print(
        f"# {platform.node()}: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"pingouin {pg.__version__}, numpy {np.__version__}, pandas {pd.__version__}"
    )
    print(f"# command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    with tempfile.TemporaryDirectory() as tmp:
        cb = load_codebook(codebook_40(Path(tmp) / "codebook40.yaml"))
    print(
        f"\n{'data':<24} {'rows':>9} {'k':>3} {'mscsurvey s':>12} {'pingouin s':>11} "
        f"{'ratio':>7} {'|d alpha|':>10} {'CI (3 dp) equal':>16} {'boot s':>7}  load"
    )
    for n in (int(s) for s in args.sizes.split(",")):
        frame = clean_responses(cb, n)
        items = list(cb.items)
        x_all = frame[items].astype("float64")
        cases = {
            "trust, complete rows": x_all[list(cb.constructs["trust"].items)].dropna(),
            "40 items, median-filled": x_all.fillna(x_all.median()),
        }
        for name, x in cases.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t_ours, ours, t_pg, theirs = timed_pair(
                    lambda x=x: cronbach_alpha(x, method="feldt"),
                    lambda x=x: pg.cronbach_alpha(data=x, nan_policy="listwise"),
                    args.repeats,
                )
            a_ours = float(ours["alpha"].iloc[0])
            a_pg, ci_pg = float(theirs[0]), np.asarray(theirs[1], dtype=float)
            ci_ours = np.round([ours["ci_low"].iloc[0], ours["ci_high"].iloc[0]], 3)
            t = time.perf_counter()
            cronbach_alpha(x, method="bootstrap", n_boot=1000, seed=1)
            t_boot = time.perf_counter() - t
            print(
                f"{name:<24} {len(x):>9,} {x.shape[1]:>3} {t_ours:>12.5f} {t_pg:>11.5f} "
                f"{t_pg / t_ours:>6.1f}x {abs(a_ours - a_pg):>10.1e} "
                f"{str(bool(np.allclose(ci_ours, ci_pg, atol=1e-3))):>16} {t_boot:>7.2f}  {load()}",
                flush=True,
            )
    print("\nratio = pingouin time / mscsurvey time (above 1: mscsurvey is faster)")


if __name__ == "__main__":
    main()
