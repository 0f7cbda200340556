"""Adapter for rule scales: clean responses -> scores, reliability, item statistics, CFA tables,
measurement invariance."""

import logging

from mscsurvey.codebook.spec import load_codebook
from mscsurvey.io import read_parquet, write_parquet, write_table
from mscsurvey.runner import run_step
from mscsurvey.settings import ScalesSettings
from mscsurvey.stages.scales import input_columns, run_scales


def main(smk):
    log = logging.getLogger("scales")
    cb = load_codebook(smk.input.codebook)
    result = run_scales(
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
    fit = result.cfa_fit.iloc[0]
    log.info(
        "CFA (%s): n %s, chi2 %.2f, df %s, CFI %.3f, RMSEA %.3f, SRMR %.3f %s",
        fit["method"],
        fit["n"],
        fit["chi2"],
        fit["df"],
        fit["cfi"],
        fit["rmsea"],
        fit["srmr"],
        fit["note"],
    )
    inv = result.invariance
    tested = inv[inv["level"] == "scalar"]
    log.info(
        "invariance: %d construct x group tests, scalar holds in %d, partial scalar in %d, "
        "%d not tested",
        inv.groupby(["construct_set", "group_variable"]).ngroups,
        int(tested["holds"].fillna(False).sum()),
        int(((inv["level"] == "partial_scalar") & inv["holds"].fillna(False)).sum()),
        int((inv["level"] == "not_tested").sum()),
    )
    write_parquet(result.scores, smk.output.scores)
    write_table(result.reliability, smk.output.reliability, "reliability")
    write_table(result.items, smk.output.item_stats, "item_stats")
    write_table(result.cfa_fit, smk.output.cfa_fit, "cfa_fit")
    write_table(result.cfa_loadings, smk.output.cfa_loadings, "cfa_loadings")
    write_table(result.invariance, smk.output.invariance, "invariance")


smk = snakemake  # noqa: F821 (injected by Snakemake)
run_step(lambda: main(smk), rule=smk.rule, log=smk.log[0])
