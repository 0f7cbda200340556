"""Adapter for rule synthesize: codebook + model + published findings -> survey.csv, truth.json, key."""

import logging

from mscsurvey.codebook.spec import load_codebook
from mscsurvey.runner import run_step
from mscsurvey.schema import load_yaml
from mscsurvey.synthesize import generate, load_published, write_outputs


def main(smk):
    cb = load_codebook(smk.input.codebook)
    s = smk.params.settings
    result = generate(
        cb,
        load_yaml(smk.input.model),
        load_published(smk.input.published, cb),
        seed=s["seed"],
        n_respondents=s["n_respondents"],
        model_source=str(smk.input.model),
    )
    write_outputs(result, raw=smk.output.raw, truth=smk.output.truth, key=smk.output.key)
    counts = ", ".join(f"{k} {v}" for k, v in result.counts.items())
    logging.getLogger(__name__).info("wrote %s: %s", smk.output.raw, counts)


smk = snakemake  # noqa: F821 (injected by Snakemake)
run_step(lambda: main(smk), rule=smk.rule, log=smk.log[0])
