"""Adapter for rule figures: analyses and reliability tables -> PNG/SVG figures and index.json."""

import logging

import pandas as pd

from mscsurvey.codebook import load_codebook
from mscsurvey.figures import FigureStyle, build_figures
from mscsurvey.runner import run_step

TABLES = ("agreement", "distribution", "published", "subgroups", "subgroup_tests")
TABLES += ("regressions", "importance", "reliability")


def main(smk):
    index = build_figures(
        codebook=load_codebook(smk.input.codebook),
        **{name: pd.read_parquet(getattr(smk.input, name)) for name in TABLES},
        models=dict(smk.params.models),
        thresholds=dict(smk.params.thresholds),
        style=FigureStyle.from_config(smk.params.style, notice=smk.params.notice),
        out_dir=smk.output.figures,
        min_n=smk.params.min_group_n,
    )
    logging.getLogger("figures").info("wrote %d figures (PNG and SVG)", len(index))


smk = snakemake  # noqa: F821 (injected by Snakemake)
run_step(lambda: main(smk), rule=smk.rule, log=smk.log[0])
