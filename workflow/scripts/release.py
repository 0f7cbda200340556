"""Adapter for rule release: copies of the brief, its figures, the Data Walk and the aggregate tables
(small cells blank) into the public folder, and its README."""

import logging
import shutil
from pathlib import Path

from mscsurvey.contracts import dictionary
from mscsurvey.io import atomic_open, atomic_path, read_json, read_parquet
from mscsurvey.runner import run_step
from mscsurvey.stages.release import readme_text, suppress_small_cells
from mscsurvey.stages.tables import csv_text, workbook_bytes


def copy_file(src, dst):
    with atomic_path(dst) as tmp:
        shutil.copyfile(src, tmp)


def main(smk):
    p = smk.params
    log = logging.getLogger("release")
    copy_file(smk.input.html, smk.output.html)
    copy_file(smk.input.pdf, smk.output.pdf)
    # a folder output: Snakemake removes it if the job fails, so no half-copied folder is taken as done
    shutil.copytree(smk.input.figures, smk.output.figures, ignore=shutil.ignore_patterns(".*"))
    shutil.copytree(smk.input.walk, smk.output.walk, ignore=shutil.ignore_patterns(".*"))
    tables_dir = Path(smk.output.tables)
    tables_dir.mkdir(parents=True, exist_ok=True)
    suppressed, public = {}, {}
    for name, counts in p.tables.items():
        table, n = suppress_small_cells(
            read_parquet(getattr(smk.input, f"table_{name}")), counts, min_n=p.min_group_n
        )
        if n:
            suppressed[name] = n
        public[name] = table
        with atomic_open(tables_dir / f"{name}.csv") as fh:
            table.to_csv(fh, index=False, lineterminator="\n")
    # the same tables (small cells blank) in one workbook, with the data dictionary of their columns
    columns = dictionary(public)
    with atomic_open(tables_dir / "dictionary.csv") as fh:
        fh.write(csv_text(columns))
    with atomic_path(tables_dir / "tables.xlsx") as tmp:
        tmp.write_bytes(workbook_bytes(public, columns))
    public = Path(smk.output.readme).parent
    files = []
    for f in sorted(public.iterdir()):
        if f.name.startswith("."):
            continue
        if f.is_dir():
            inside = [q for q in f.iterdir() if q.is_file() and not q.name.startswith(".")]
            kinds = ", ".join(sorted({q.suffix.lstrip(".") for q in inside}))
            files.append(f"{f.name}/ ({len(inside)} files: {kinds})")
        else:
            files.append(f.name)
    files = sorted({*files, "README.txt"})
    text = readme_text(
        dataset=p.dataset,
        disclosure=read_json(smk.input.disclosure),
        files=files,
        tables=suppressed,
        synthetic=p.synthetic,
    )
    with atomic_open(smk.output.readme) as fh:
        fh.write(text)
    log.info("public files %d; table rows suppressed for small cells: %s", len(files), suppressed)


smk = snakemake  # noqa: F821 (injected by Snakemake)
run_step(lambda: main(smk), rule=smk.rule, log=smk.log[0])
