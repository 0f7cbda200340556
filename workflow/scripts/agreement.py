"""Adapter for rule agreement: clean responses -> % agreed per item, response distribution, and the
comparison with the dataset's published percentages (an empty table when it has none)."""

import logging

from mscsurvey.codebook.spec import load_codebook
from mscsurvey.io import read_parquet, write_table
from mscsurvey.runner import run_step
from mscsurvey.stages.agreement import (
    agreement_distribution,
    compare_published,
    empty_comparison,
    input_columns,
    item_agreement,
    read_published,
)


def main(smk):
    cb = load_codebook(smk.input.codebook)
    responses = read_parquet(smk.input.responses, input_columns(cb))
    min_n = smk.params.min_group_n
    agreement = item_agreement(responses, cb, ci_level=smk.params.ci_level, min_n=min_n)
    published_path = getattr(smk.input, "published", None)
    if published_path:
        comparison = compare_published(agreement, read_published(published_path, cb))
    else:
        logging.getLogger("agreement").info("no published findings: empty comparison table")
        comparison = empty_comparison()
    logging.getLogger("agreement").info(  # counts only
        "responses in %d; items %d (suppressed, n < %d: %d); published compared %d, inside the "
        "CI %d",
        len(responses),
        len(agreement),
        min_n,
        int(agreement["suppressed"].sum()),
        len(comparison),
        int(comparison["ci_contains_published"].sum()) if len(comparison) else 0,
    )
    write_table(agreement, smk.output.agreement, "agreement")
    write_table(
        agreement_distribution(responses, cb, min_n=min_n),
        smk.output.distribution,
        "agreement_distribution",
    )
    write_table(comparison, smk.output.published, "published_vs_reproduced")


smk = snakemake  # noqa: F821 (injected by Snakemake)
run_step(lambda: main(smk), rule=smk.rule, log=smk.log[0])
