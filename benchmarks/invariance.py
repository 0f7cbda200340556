"""What measurement invariance and the ordinal analyses add to the ``scales`` stage.

    python benchmarks/invariance.py [--responses results/clean/responses.parquet] [--n 100000]

1. The default study: the clean responses of a run (``--responses``; default
   ``results/clean/responses.parquet``, else drawn from the synthetic model with
   ``benchmarks/scale_data.py`` at 575 respondents): seconds for ``run_scales`` as a whole and for its
   three new parts, each timed alone: :func:`mscsurvey.stages.scales.invariance_table` (every construct x
   compared group, configural to strict, partial scalar where needed), the ordinal reliability
   (polychoric matrix, ordinal alpha and omega of each construct) and :func:`mscsurvey.stages.scales.wlsmv_fit`.
2. A seeded sample of ``--n`` respondents drawn from the same model (``scale_data.clean_responses``):
   the same three parts (invariance and WLSMV on the stage's seeded ``cfa_max_n`` sample, as the CFA;
   polychorics on every respondent).

Each timing is the best of ``--repeat`` runs (default 3) in this process, wall-clock and CPU seconds,
with the load average (the machine is shared: wall-clock timings are inflated when it is busy). Not a test: it prints a table.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
SEED = 20200601


def _best(fn, repeat: int) -> tuple[str, object]:
    """Best wall-clock and CPU seconds of ``repeat`` runs, as text, and the last result."""
    wall, cpu, out = float("inf"), float("inf"), None
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        wall = min(wall, time.perf_counter() - t)
        cpu = min(cpu, time.process_time() - c)
    return f"{wall:7.2f} s wall {cpu:7.2f} s cpu", out


def _ordinal_all(responses: pd.DataFrame, cb) -> int:
    from mscsurvey.stages.scales import _ordinal, keyed_items

    done = 0
    for cid in cb.constructs:
        x = keyed_items(responses, cb, cid).dropna()
        if len(x) >= 3:
            _ordinal(x)
            done += 1
    return done


def _measure(label: str, responses: pd.DataFrame, cb, repeat: int, whole: bool) -> None:
    from mscsurvey.stages.scales import invariance_table, run_scales, wlsmv_fit

    print(
        f"\n{label}: {len(responses):,} respondents, {len(cb.items)} items, load {os.getloadavg()}"
    )
    if whole:
        t, _ = _best(lambda: run_scales(responses, cb, seed=SEED), repeat)
        print(f"  run_scales (everything)          {t}")
    t, inv = _best(lambda: invariance_table(responses, cb, seed=SEED), repeat)
    pairs = inv.groupby(["construct_set", "group_variable"]).ngroups
    tested = int((inv["level"] == "scalar").sum())
    print(f"  invariance_table                 {t}  ({pairs} construct x group, {tested} tested)")
    t, k = _best(lambda: _ordinal_all(responses, cb), repeat)
    print(f"  ordinal alpha + omega            {t}  ({k} constructs)")
    t, w = _best(lambda: wlsmv_fit(responses, cb, seed=SEED), repeat)
    what = "not fitted (< 200 complete)" if w is None else f"n = {int(w['n'].iloc[0])}"
    print(f"  wlsmv_fit                        {t}  ({what})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--responses", default=str(ROOT / "results" / "clean" / "responses.parquet"))
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from mscsurvey.codebook.spec import load_codebook
    from mscsurvey.stages.scales import input_columns

    sys.path.insert(0, str(HERE))
    from scale_data import clean_responses

    cb = load_codebook(ROOT / "data" / "codebook.yaml")
    path = Path(args.responses)
    if path.exists():
        study = pd.read_parquet(path, columns=input_columns(cb))
        label = f"default study ({path})"
    else:
        study = clean_responses(cb, 575, seed=SEED)
        label = "default-size sample of the synthetic model (no run found)"
    _measure(label, study, cb, args.repeat, whole=True)
    big = clean_responses(cb, args.n, seed=SEED)
    _measure(f"seeded sample of {args.n:,}", big, cb, 1, whole=False)


if __name__ == "__main__":
    main()
