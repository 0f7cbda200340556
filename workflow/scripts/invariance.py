"""Adapter for rule invariance: clean responses -> measurement invariance of each construct across
each compared group."""

import logging

from mscsurvey.codebook.spec import load_codebook
from mscsurvey.io import read_parquet, write_table
from mscsurvey.runner import run_step
from mscsurvey.settings import ScalesSettings
from mscsurvey.stages.scales import input_columns, invariance_table


def main(smk):
    log = logging.getLogger("invariance")
    cb = load_codebook(smk.input.codebook)
    inv = invariance_table(
        read_parquet(smk.input.responses, input_columns(cb)),
        cb,
        settings=ScalesSettings.parse(smk.params.settings),
        seed=smk.params.seed,
    )
    tested = inv[inv["level"] == "scalar"]
    log.info(
        "invariance: %d construct x group tests, scalar holds in %d, partial scalar in %d, "
        "%d not tested",
        inv.groupby(["construct_set", "group_variable"]).ngroups,
        int(tested["holds"].fillna(False).sum()),
        int(((inv["level"] == "partial_scalar") & inv["holds"].fillna(False)).sum()),
        int((inv["level"] == "not_tested").sum()),
    )
    write_table(inv, smk.output.invariance, "invariance")


smk = snakemake  # noqa: F821 (injected by Snakemake)
run_step(lambda: main(smk), rule=smk.rule, log=smk.log[0])
