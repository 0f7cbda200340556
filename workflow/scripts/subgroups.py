"""Adapter for rule subgroups: construct scores -> group means, tests and pairwise comparisons."""

import logging

from mscsurvey.codebook.spec import load_codebook
from mscsurvey.io import read_parquet, write_table
from mscsurvey.runner import NOTE, run_step
from mscsurvey.stages.subgroups import input_columns, subgroup_analysis


def main(smk):
    cb = load_codebook(smk.input.codebook)
    scores = read_parquet(smk.input.scores, input_columns(cb))
    result = subgroup_analysis(
        scores,
        cb,
        reliability=read_parquet(smk.input.reliability),
        min_group_n=smk.params.min_group_n,
        ci_level=smk.params.ci_level,
    )
    means = result.means
    suppressed = int(means["suppressed"].sum()) if "suppressed" in means else 0
    logging.getLogger("subgroups").log(
        NOTE,  # counts only
        "respondents in %d; group cells %d (%d suppressed); tests %d; pairs %d",
        len(scores),
        len(means),
        suppressed,
        len(result.tests),
        len(result.pairwise),
    )
    write_table(result.means, smk.output.means, "subgroups")
    write_table(result.tests, smk.output.tests, "subgroup_tests")
    write_table(result.pairwise, smk.output.pairwise, "pairwise")


smk = snakemake  # noqa: F821 (injected by Snakemake)
run_step(lambda: main(smk), rule=smk.rule, log=smk.log[0])
