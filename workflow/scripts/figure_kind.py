"""Adapter for rule figure_kind: one kind's tables -> its PNG/SVG figures and part of the index."""

import logging

import pandas as pd

from mscsurvey.codebook import load_codebook
from mscsurvey.figure_index import KIND_TABLES
from mscsurvey.figures import FigureStyle, build_figure_kind
from mscsurvey.runner import run_step


def main(smk):
    kind = smk.wildcards.kind
    index = build_figure_kind(
        kind,
        codebook=load_codebook(smk.input.codebook),
        tables={name: pd.read_parquet(getattr(smk.input, name)) for name in KIND_TABLES[kind]},
        models=dict(smk.params.models),
        thresholds=dict(smk.params.thresholds),
        style=FigureStyle.from_config(smk.params.style, notice=smk.params.notice),
        out_dir=smk.output.part,
        min_n=smk.params.min_group_n,
    )
    logging.getLogger("figures").info("wrote %d %s figures (PNG and SVG)", len(index), kind)


smk = snakemake  # noqa: F821 (injected by Snakemake)
run_step(lambda: main(smk), rule=smk.rule, log=smk.log[0])
