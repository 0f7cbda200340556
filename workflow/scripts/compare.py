"""Adapter for rule compare: two datasets' scores, reliability, clean items and codebooks -> the
construct means and item agreement compared (Parquet, CSV, and an HTML page for the report)."""

import logging

from mscsurvey.codebook.spec import load_codebook
from mscsurvey.io import atomic_open, read_parquet, write_table
from mscsurvey.runner import run_step
from mscsurvey.stages.agreement import input_columns
from mscsurvey.stages.compare import compare_construct_means, compare_item_agreement
from mscsurvey.stages.tables import csv_text, html_page


def main(smk):
    log = logging.getLogger("compare")
    names = tuple(smk.params.names)
    inp = smk.input
    cbs = (load_codebook(inp.earlier_codebook), load_codebook(inp.later_codebook))
    means = compare_construct_means(
        (read_parquet(inp.earlier_scores), read_parquet(inp.later_scores)),
        (read_parquet(inp.earlier_reliability), read_parquet(inp.later_reliability)),
        cbs,
        names=names,
        ci_level=smk.params.ci_level,
    )
    items = compare_item_agreement(
        tuple(
            read_parquet(path, input_columns(cb))
            for path, cb in zip((inp.earlier_responses, inp.later_responses), cbs, strict=True)
        ),
        cbs,
        names=names,
        ci_level=smk.params.ci_level,
    )
    compared = means[means["comparable"]]
    log.info(
        "%s -> %s: constructs %d compared, %d not comparable; CI excludes 0 for %d; "
        "respondents scored %s; items %d compared, %d not comparable",
        *names,
        len(compared),
        int((~means["comparable"]).sum()),
        int(((compared["ci_low"] > 0) | (compared["ci_high"] < 0)).sum()),
        ", ".join(
            f"{c}: {e}/{lat}"
            for c, e, lat in compared[["construct", "n_earlier", "n_later"]].itertuples(index=False)
        ),
        int(items["comparable"].sum()),
        int((~items["comparable"]).sum()),
    )
    for rec in means[means["note"] != ""].itertuples(index=False):
        log.warning("construct %s: %s", rec.construct, rec.note)
    write_table(means, smk.output.construct_means, "construct_means")
    write_table(items, smk.output.item_agreement, "item_agreement")
    for name, table in (("construct_means", means), ("item_agreement", items)):
        with atomic_open(getattr(smk.output, f"{name}_csv")) as fh:
            fh.write(csv_text(table))
        with atomic_open(getattr(smk.output, f"{name}_html")) as fh:
            fh.write(html_page(name, table))


smk = snakemake  # noqa: F821 (injected by Snakemake)
run_step(lambda: main(smk), rule=smk.rule, log=smk.log[0])
