"""Adapter for rule walk: numbers.json and the figure index -> the Data Walk site."""

import logging
from pathlib import Path

from mscsurvey.io import read_json
from mscsurvey.runner import run_step
from mscsurvey.stages.walk import build_walk


def main(smk):
    pages = build_walk(
        read_json(smk.input.numbers),
        read_json(str(Path(smk.input.figures) / "index.json")),
        figures_dir=smk.input.figures,
        out_dir=smk.output.site,
    )
    logging.getLogger("walk").info("wrote %d pages", len(pages))


smk = snakemake  # noqa: F821 (injected by Snakemake)
run_step(lambda: main(smk), rule=smk.rule, log=smk.log[0])
