"""Adapter for rule cfa: clean responses -> the CFA of all constructs (fit indices, loadings)."""

import logging

from mscsurvey.codebook.spec import load_codebook
from mscsurvey.io import read_parquet, write_table
from mscsurvey.runner import run_step
from mscsurvey.settings import ScalesSettings
from mscsurvey.stages.scales import input_columns, run_cfa


def main(smk):
    log = logging.getLogger("cfa")
    cb = load_codebook(smk.input.codebook)
    fit, loadings = run_cfa(
        read_parquet(smk.input.responses, input_columns(cb)),
        cb,
        settings=ScalesSettings.parse(smk.params.settings),
        seed=smk.params.seed,
    )
    f = fit.iloc[0]
    log.info(
        "CFA (%s): n %s, chi2 %.2f, df %s, CFI %.3f, RMSEA %.3f, SRMR %.3f %s",
        f["method"],
        f["n"],
        f["chi2"],
        f["df"],
        f["cfi"],
        f["rmsea"],
        f["srmr"],
        f["note"],
    )
    write_table(fit, smk.output.cfa_fit, "cfa_fit")
    write_table(loadings, smk.output.cfa_loadings, "cfa_loadings")


smk = snakemake  # noqa: F821 (injected by Snakemake)
run_step(lambda: main(smk), rule=smk.rule, log=smk.log[0])
