"""Adapter for rule brief: record the provenance, then render the notebook to HTML and PDF."""

import logging

from mscsurvey.audit.provenance import provenance
from mscsurvey.io import read_json, write_json
from mscsurvey.runner import run_step
from mscsurvey.stages.brief import render_brief


def main(smk):
    inputs = {name: getattr(smk.input, name) for name in [*smk.params.tables, "figures"]}
    prov = provenance(config=dict(smk.params.config), inputs=inputs, repo=smk.params.repo)
    write_json(prov, smk.output.provenance)
    numbers = read_json(smk.input.numbers)
    study = numbers["study"]
    notice = (numbers.get("synthetic") or {}).get("banner", "")
    result = render_brief(
        smk.input.notebook,
        params={"numbers": smk.input.numbers, "provenance": smk.output.provenance}
        | {"figures_dir": smk.input.figures},
        workdir=".",
        html_out=smk.output.html,
        pdf_out=smk.output.pdf,
        metadata={"title": study["title"], "subtitle": study["short_title"]}
        | {"date": prov["run_date"], "notice": notice},
    )
    # no timings in the log (two identical runs give identical logs); the benchmark file has them
    logging.getLogger("brief").info("route %s", result.route)


smk = snakemake  # noqa: F821 (injected by Snakemake)
run_step(lambda: main(smk), rule=smk.rule, log=smk.log[0])
