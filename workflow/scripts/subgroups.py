"""Adapter for rule subgroups: construct scores -> group means, tests and pairwise comparisons."""

import logging

import pandas as pd

from mscsurvey.codebook import load_codebook
from mscsurvey.io import write_parquet
from mscsurvey.runner import run_step
from mscsurvey.subgroups import subgroup_analysis


def main(smk):
    scores = pd.read_parquet(smk.input.scores)
    result = subgroup_analysis(
        scores,
        load_codebook(smk.input.codebook),
        reliability=pd.read_parquet(smk.input.reliability),
        min_group_n=smk.params.min_group_n,
        ci_level=smk.params.ci_level,
    )
    means = result.means
    suppressed = int(means["suppressed"].sum()) if "suppressed" in means else 0
    logging.getLogger("subgroups").info(  # counts only
        "respondents in %d; group cells %d (%d suppressed); tests %d; pairs %d",
        len(scores),
        len(means),
        suppressed,
        len(result.tests),
        len(result.pairwise),
    )
    write_parquet(result.means, smk.output.means)
    write_parquet(result.tests, smk.output.tests)
    write_parquet(result.pairwise, smk.output.pairwise)


run_step(snakemake, main)  # noqa: F821 (injected by Snakemake)
