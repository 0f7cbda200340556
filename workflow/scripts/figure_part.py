"""Adapter for rule figure_part: one figure job's tables -> its PNG/SVG figures and part of the index."""

import logging

import pandas as pd

from mscsurvey.codebook.spec import load_codebook
from mscsurvey.report.figure_index import part_tables
from mscsurvey.report.figures import FigureStyle
from mscsurvey.runner import run_step
from mscsurvey.settings import FigureSettings, Thresholds
from mscsurvey.stages.figures import build_figure_part


def main(smk):
    part = smk.wildcards.part
    index = build_figure_part(
        part,
        codebook=load_codebook(smk.input.codebook),
        tables={name: pd.read_parquet(getattr(smk.input, name)) for name in part_tables(part)},
        models=dict(smk.params.models),
        thresholds=Thresholds.parse(smk.params.thresholds).as_mapping(),
        style=FigureStyle.from_settings(
            FigureSettings.parse(smk.params.style), notice=smk.params.notice
        ),
        out_dir=smk.output.part,
        min_n=smk.params.min_group_n,
    )
    logging.getLogger("figures").info("wrote %d figures of part %s (PNG, SVG)", len(index), part)


smk = snakemake  # noqa: F821 (injected by Snakemake)
run_step(lambda: main(smk), rule=smk.rule, log=smk.log[0])
