"""Adapter for rules sensitivity and weighted: clean responses -> imputed.parquet or weighted.parquet."""

import logging

from mscsurvey.codebook.spec import load_codebook
from mscsurvey.io import read_parquet, write_table
from mscsurvey.runner import run_step
from mscsurvey.settings import SensitivitySettings, WeightsSettings
from mscsurvey.stages.sensitivity import imputed_table, respondent_design, weighted_table


def main(smk):
    cb = load_codebook(smk.input.codebook)
    responses = read_parquet(smk.input.responses)
    p = smk.params
    log = logging.getLogger(smk.rule)
    if smk.rule == "sensitivity":
        settings = SensitivitySettings.parse(p.settings)
        table = imputed_table(responses, cb, dict(p.models), settings, seed=p.seed)
        log.info(
            "respondents %d; imputations %d; rows %d",
            len(responses),
            settings.imputations,
            len(table),
        )
        write_table(table, smk.output.imputed, "imputed")
        return
    weights = WeightsSettings.parse(p.weights, source=p.config_source)
    design, counts = respondent_design(responses, cb, weights, source=p.config_source)
    table = weighted_table(responses, cb, dict(p.models), design, counts, ci_level=p.ci_level)
    log.info(
        "respondents %d; weighted %d; trimmed %d; Kish deff %.3f",
        len(responses),
        counts["n_weighted"],
        counts["n_trimmed"],
        counts["kish_deff"],
    )  # counts only
    write_table(table, smk.output.weighted, "weighted")


smk = snakemake  # noqa: F821 (injected by Snakemake)
run_step(lambda: main(smk), rule=smk.rule, log=smk.log[0])
