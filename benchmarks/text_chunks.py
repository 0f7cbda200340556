"""What splitting de-identification's free text into row chunks (deidentify.text_chunks, rule
scrub_text) buys: each chunk job's fixed cost and its share of the scrubbing, measured in-process.

Run: .venv/bin/python benchmarks/text_chunks.py RAW.csv CODEBOOK.yaml [chunks ...]   (default 1 2 4 8)

(RAW.csv: e.g. the raw export ``benchmarks/scale.py --raw --keep`` writes.) Per chunk count J it
times chunk 1 of J (read the raw file, build the scrubber from the whole file's roster, scrub the
chunk: what one scrub_text job does) and prints the projected wall time of the free-text work on J
nodes (the slowest chunk ~ chunk 1; chunks are near-equal in rows) beside the one-job time, and
checks that the J chunks gathered equal the one-job scrubbing. Not a test: figures with the load.
"""

from __future__ import annotations

import os
import sys
import time

from mscsurvey.codebook.spec import load_codebook
from mscsurvey.io import read_raw
from mscsurvey.stages.deidentify import gather_free_text, scrub_free_text, scrubber_for


def main(raw_path: str, codebook_path: str, counts: list[int]) -> None:
    print(f"# {raw_path}: load {', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    t = time.perf_counter()
    raw = read_raw(raw_path)
    read_s = time.perf_counter() - t
    cb = load_codebook(codebook_path)
    t = time.perf_counter()
    scrubber, _ = scrubber_for(raw, cb)
    build_s = time.perf_counter() - t
    print(
        f"rows {len(raw):,}; read {read_s:.2f} s; scrubber (roster matcher, models) {build_s:.2f} s"
    )
    t = time.perf_counter()
    whole = scrub_free_text(raw, cb, scrubber)
    print(f"one job, first pass (cold caches): scrub {time.perf_counter() - t:.2f} s")
    print(f"{'jobs':>5} {'chunk 1 scrub s':>16} {'job s':>8} {'speed-up':>9}  same as one job")
    # the J jobs are timed after the one-job pass above, so each with the same warm caches; the
    # speed-up is against the first count's job (1 by default), timed the same way
    base = None
    for j in counts:
        t = time.perf_counter()
        chunks = [scrub_free_text(raw, cb, scrubber, part=1, parts=j)]
        first_s = time.perf_counter() - t
        chunks += [scrub_free_text(raw, cb, scrubber, part=i, parts=j) for i in range(2, j + 1)]
        frame, counts_ = gather_free_text(chunks, len(raw), source=raw_path)
        same = frame.equals(whole[0]) and counts_ == whole[1]
        job_s = read_s + build_s + first_s
        base = base or job_s
        print(f"{j:>5} {first_s:>16.2f} {job_s:>8.2f} {base / job_s:>8.2f}x  {same}")
    print(f"# load {', '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], [int(a) for a in sys.argv[3:]] or [1, 2, 4, 8])
