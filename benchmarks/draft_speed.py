"""How long `mscsurvey codebook draft` takes on a wide export (target: < 10 s for a few thousand rows x
~150 columns).

    python benchmarks/draft_speed.py [--rows 4000] [--items 135] [--repeat 3]

The export is tests/inventory.py's simulated inventory (six-point items named q_<number>, ten background
columns, no id), written as CSV to a temporary folder. Timed: the whole command in a fresh process
(imports included, as a student runs it) with ``--constructs 5`` and without (parallel analysis picks
the number), best of ``--repeat``; then the in-process stages of one draft (read, draft, render). Not a
test: it prints figures, with the load average (a shared machine inflates them).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from inventory import inventory  # noqa: E402

from mscsurvey.codebook.draft import draft_codebook, render_draft  # noqa: E402
from mscsurvey.io import read_raw  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=4000)
    ap.add_argument("--items", type=int, default=135)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print(f"load average before: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp:
        df, _, _ = inventory(n=args.rows, n_items=args.items)
        path = Path(tmp) / "inventory.csv"
        df.to_csv(path, index=False)
        print(f"export: {len(df)} rows x {df.shape[1]} columns ({args.items} items)")
        cli = [
            sys.executable,
            "-m",
            "mscsurvey.cli",
            "codebook",
            "draft",
            str(path),
            "--force",
            "-o",
        ]
        for extra in (["--constructs", "5"], []):
            best = float("inf")
            for i in range(args.repeat):
                out = Path(tmp) / f"cb{i}.yaml"
                t = time.perf_counter()
                subprocess.run([*cli, str(out), *extra], check=True, capture_output=True)
                best = min(best, time.perf_counter() - t)
            print(
                f"command {' '.join(extra) or '(parallel analysis)'}: best of {args.repeat}: {best:.2f} s"
            )
        t0 = time.perf_counter()
        raw = read_raw(path)
        t1 = time.perf_counter()
        draft = draft_codebook(raw, source=str(path), n_constructs=5)
        t2 = time.perf_counter()
        render_draft(draft)
        t3 = time.perf_counter()
        print(f"in process: read {t1 - t0:.2f} s, draft {t2 - t1:.2f} s, render {t3 - t2:.2f} s")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
