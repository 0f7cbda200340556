"""Adapter for rule regressions: construct scores -> driver models, relative importance, drivers."""

import pandas as pd

from mscsurvey.codebook import load_codebook
from mscsurvey.io import write_parquet
from mscsurvey.regression import run_models
from mscsurvey.runner import run_step


def main(smk):
    result = run_models(
        pd.read_parquet(smk.input.scores),
        load_codebook(smk.input.codebook),
        dict(smk.params.models),
        reliability=pd.read_parquet(smk.input.reliability),
        ci_level=smk.params.ci_level,
        top=smk.params.top_drivers,
        source=smk.params.config_source,
    )
    write_parquet(result.regressions, smk.output.regressions)
    write_parquet(result.importance, smk.output.importance)
    write_parquet(result.drivers, smk.output.drivers)


run_step(snakemake, main)  # noqa: F821 (injected by Snakemake)
