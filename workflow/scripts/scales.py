"""Adapter for rule scales: clean responses -> scores, reliability, item statistics."""

import logging

from mscsurvey.codebook.spec import load_codebook
from mscsurvey.io import read_parquet, write_parquet, write_table
from mscsurvey.runner import run_step
from mscsurvey.settings import ScalesSettings
from mscsurvey.stages.scales import input_columns, run_scores


def main(smk):
    log = logging.getLogger("scales")
    cb = load_codebook(smk.input.codebook)
    result = run_scores(
        read_parquet(smk.input.responses, input_columns(cb)),
        cb,
        settings=ScalesSettings.parse(smk.params.settings),
        seed=smk.params.seed,
    )
    c = result.counts()
    log.info(
        "constructs: %d ok, %d weak, %d failed (%d excluded); respondents scored: %d",
        c["ok"],
        c["weak"],
        c["failed"],
        c["excluded"],
        c["respondents"],
    )
    for rec in result.reliability.itertuples(index=False):
        if rec.status != "ok":
            log.warning("construct %s %s: %s", rec.construct, rec.status, rec.reason)
    write_parquet(result.scores, smk.output.scores)
    write_table(result.reliability, smk.output.reliability, "reliability")
    write_table(result.items, smk.output.item_stats, "item_stats")


smk = snakemake  # noqa: F821 (injected by Snakemake)
run_step(lambda: main(smk), rule=smk.rule, log=smk.log[0])
