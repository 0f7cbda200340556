"""Adapter for rule tables: each results table as CSV and as an HTML page, the data dictionary as
CSV, and every table in one Excel workbook."""

import logging

from mscsurvey.contracts import dictionary, validate
from mscsurvey.io import atomic_open, atomic_path, read_parquet
from mscsurvey.runner import run_step
from mscsurvey.stages.tables import csv_text, html_page, workbook_bytes


def main(smk):
    names = list(smk.params.tables)
    frames = {}
    for name in names:
        path = getattr(smk.input, name)
        frames[name] = validate(read_parquet(path), name, file=path)
        with atomic_open(getattr(smk.output, f"csv_{name}")) as fh:
            fh.write(csv_text(frames[name]))
        with atomic_open(getattr(smk.output, f"html_{name}")) as fh:
            fh.write(html_page(name, frames[name]))
    columns = dictionary(names)
    with atomic_open(smk.output.dictionary) as fh:
        fh.write(csv_text(columns))
    with atomic_path(smk.output.workbook) as tmp:
        tmp.write_bytes(workbook_bytes(frames, columns))
    logging.getLogger("tables").info(
        "tables %d; rows %d; dictionary columns %d",
        len(frames),
        sum(len(f) for f in frames.values()),
        len(columns),
    )


smk = snakemake  # noqa: F821 (injected by Snakemake)
run_step(lambda: main(smk), rule=smk.rule, log=smk.log[0])
