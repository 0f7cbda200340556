"""Seconds the sensitivity analyses add: multiple imputation and survey weights (issue 19).

Two measurements, in one process each step timed with ``time.perf_counter``:

1. the default study: ``imputed_table`` (m = 20) and ``respondent_design`` + ``weighted_table`` (raked
   to role margins in proportion to the respondents' own counts x 3, trimmed at 5 x median) on
   ``results/clean/responses.parquet`` (run ``make run`` first);
2. large surveys: clean responses of 10^4 .. 10^6 respondents drawn from the synthetic model
   (``benchmarks/scale_data.py``): the imputation runs on its seeded sample of ``max_n``
   (``sensitivity.max_n``, default 5,000), the weights on every respondent.

Usage: ``.venv/bin/python benchmarks/sensitivity.py [--sizes 10000 100000 1000000] [--out FILE]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from scale_data import clean_responses  # noqa: E402

from mscsurvey.codebook.spec import load_codebook  # noqa: E402
from mscsurvey.settings import SensitivitySettings, WeightsSettings  # noqa: E402
from mscsurvey.stages.sensitivity import imputed_table, respondent_design, weighted_table  # noqa: E402


def _weights_cfg(responses: pd.DataFrame) -> WeightsSettings:
    counts = responses["role"].value_counts()
    margins = {"role": {str(k): float(v) * 3 for k, v in counts.items() if v > 0}}
    return WeightsSettings.parse({"margins": margins, "trim": 5})


def measure(responses: pd.DataFrame, cb, models: dict, m: int) -> dict:
    t0 = time.perf_counter()
    settings = SensitivitySettings.parse({"imputations": m})  # max_n: the schema's default
    imp = imputed_table(responses, cb, models, settings, seed=20200601)
    t1 = time.perf_counter()
    design, counts = respondent_design(responses, cb, _weights_cfg(responses))
    weighted_table(responses, cb, models, design, counts)
    t2 = time.perf_counter()
    return {
        "n": len(responses),
        "n_imputed": int(imp["n"].max()),
        "imputation_s": round(t1 - t0, 2),
        "weights_s": round(t2 - t1, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--m", type=int, default=20)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    cb = load_codebook(ROOT / "data" / "codebook.yaml")
    models = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())["analyses"]["models"]
    rows = []
    study = ROOT / "results" / "clean" / "responses.parquet"
    if study.exists():
        rows.append(
            {"data": "default study", **measure(pd.read_parquet(study), cb, models, args.m)}
        )
        print(rows[-1], flush=True)
    for n in args.sizes:
        responses = clean_responses(cb, n)
        rows.append({"data": f"synthetic {n}", **measure(responses, cb, models, args.m)})
        print(rows[-1], flush=True)
    if args.out:
        args.out.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
