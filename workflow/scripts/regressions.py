"""Adapter for rule regressions: construct scores -> driver models, relative importance, drivers."""

from mscsurvey.codebook.spec import load_codebook
from mscsurvey.io import read_parquet, write_table
from mscsurvey.runner import run_step
from mscsurvey.stages.regressions import input_columns, run_models


def main(smk):
    cb = load_codebook(smk.input.codebook)
    models = dict(smk.params.models)
    result = run_models(
        read_parquet(smk.input.scores, input_columns(models, cb)),
        cb,
        models,
        reliability=read_parquet(smk.input.reliability),
        ci_level=smk.params.ci_level,
        top=smk.params.top_drivers,
        min_n=smk.params.min_group_n,
        source=smk.params.config_source,
    )
    write_table(result.regressions, smk.output.regressions, "regressions")
    write_table(result.importance, smk.output.importance, "importance")
    write_table(result.drivers, smk.output.drivers, "drivers")


smk = snakemake  # noqa: F821 (injected by Snakemake)
run_step(lambda: main(smk), rule=smk.rule, log=smk.log[0])
