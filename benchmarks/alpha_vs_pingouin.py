"""mscsurvey's reliability beside ``pingouin.cronbach_alpha`` on the same data: time and values.

    python benchmarks/alpha_vs_pingouin.py [--sizes 100000,1000000] [--repeats 5]

Data: the synthetic study's model (benchmarks/scale_data.py), all 40 items. Three cases per size,
each compared like with like:

- complete: each missing answer replaced by its item's median (no missing value: pingouin's
  listwise and pairwise are the same computation);
- pairwise: the items with their missing answers, pingouin's default ``nan_policy="pairwise"``
  beside ``scale_reliability(missing="pairwise")``;
- listwise: the same data, ``nan_policy="listwise"`` beside ``scale_reliability()`` (pingouin's
  interval then still counts every row, n - 1 degrees of freedom, so only alpha is compared).

mscsurvey's call is :func:`mscsurvey.stats.reliability.scale_reliability`: alpha, the Feldt interval at
full precision *and* the item statistics (mean, sd, corrected item-total r, alpha if deleted), which
pingouin does not compute; pingouin returns alpha and a CI rounded to 3 decimals. The two-pass
:func:`mscsurvey.stats.reliability.cronbach_alpha` (alpha and CI only) is timed as well. Both run with the same number of BLAS threads (``--blas-threads``, default 1).
Times are the best of ``--repeats`` calls, the libraries called alternately, after one warm-up call each. Not a test:
it prints figures, with the load average (timings on a shared machine are inflated).
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
from threadpoolctl import threadpool_limits

from mscsurvey.codebook.spec import load_codebook
from mscsurvey.stats.reliability import cronbach_alpha, scale_reliability

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
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument(
        "--blas-threads",
        type=int,
        default=1,
        help="BLAS threads for both libraries (1: on a shared, loaded machine a second BLAS "
        "thread waits for a busy core and is slower)",
    )
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
    print(f"# load before: {load()}")
    with tempfile.TemporaryDirectory() as tmp:
        cb = load_codebook(codebook_40(Path(tmp) / "codebook40.yaml"))
    print(
        f"\n{'data':<10} {'rows':>9} {'k':>3} {'mscsurvey s':>12} {'pingouin s':>11} "
        f"{'ratio':>7} {'|d alpha|':>10} {'CI equal':>9} {'two-pass s':>11}  load"
    )
    with threadpool_limits(args.blas_threads):
        for n in (int(s) for s in args.sizes.split(",")):
            run_size(cb, n, args.repeats)
    print(f"\n# load after: {load()}")
    print(f"BLAS threads: {args.blas_threads} for both libraries")
    print("ratio = pingouin time / mscsurvey time (above 1: mscsurvey is faster)")


def run_size(cb, n: int, repeats: int) -> None:
    """The three cases at ``n`` rows."""
    frame = clean_responses(cb, n)
    x = frame[list(cb.items)].astype("float64")
    cases = {
        "complete": (x.fillna(x.median()), "listwise"),
        "pairwise": (x, "pairwise"),
        "listwise": (x, "listwise"),
    }
    for name, (data, policy) in cases.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_ours, ours, t_pg, theirs = timed_pair(
                lambda d=data, p=policy: scale_reliability(d, missing=p),
                lambda d=data, p=policy: pg.cronbach_alpha(data=d, nan_policy=p),
                repeats,
            )
            t = time.perf_counter()
            cronbach_alpha(data, method="feldt")
            t_two = time.perf_counter() - t
        summary = ours[0].iloc[0]
        a_pg, ci_pg = float(theirs[0]), np.asarray(theirs[1], dtype=float)
        ci_ours = np.round([summary["ci_low"], summary["ci_high"]], 3)
        ci_equal = (
            "n/a" if name == "listwise" else str(bool(np.allclose(ci_ours, ci_pg, atol=1e-3)))
        )
        print(
            f"{name:<10} {int(summary['n']):>9,} {data.shape[1]:>3} {t_ours:>12.5f} "
            f"{t_pg:>11.5f} {t_pg / t_ours:>6.1f}x {abs(summary['alpha'] - a_pg):>10.1e} "
            f"{ci_equal:>9} {t_two:>11.5f}  {load()}",
            flush=True,
        )


if __name__ == "__main__":
    main()
