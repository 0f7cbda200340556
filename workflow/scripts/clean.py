"""Adapter for rule clean: de-identified Parquet -> coded responses, exclusions, validation report."""

import logging

import pandas as pd

from mscsurvey.codebook.spec import load_codebook
from mscsurvey.io import write_json, write_parquet, write_table
from mscsurvey.runner import NOTE, run_step
from mscsurvey.settings import CleanSettings
from mscsurvey.stages.clean import clean


def main(smk):
    log = logging.getLogger("clean")
    result = clean(
        pd.read_parquet(smk.input.responses),
        load_codebook(smk.input.codebook),
        settings=CleanSettings.parse(smk.params.settings),
        source=smk.params.raw_name,
    )
    v = result.validation
    log.log(
        NOTE,
        "received %d responses; excluded %s; analysed %d",
        v["received"],
        v["excluded"],
        v["analysed"],
    )
    write_parquet(result.responses, smk.output.responses)
    write_table(result.exclusions, smk.output.exclusions, "exclusions")
    write_json(v, smk.output.validation)


smk = snakemake  # noqa: F821 (injected by Snakemake)
run_step(lambda: main(smk), rule=smk.rule, log=smk.log[0])
