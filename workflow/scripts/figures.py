"""Adapter for rule figures: the per-kind figure folders -> one figure folder and its index.json."""

import logging

from mscsurvey.report.figure_index import gather_figures
from mscsurvey.runner import run_step


def main(smk):
    index = gather_figures(list(smk.input.parts), smk.output.figures)
    logging.getLogger("figures").info("gathered %d figures (PNG and SVG)", len(index))


smk = snakemake  # noqa: F821 (injected by Snakemake)
run_step(lambda: main(smk), rule=smk.rule, log=smk.log[0])
