"""Adapter for rules synthesize (codebook + model + published findings -> survey.csv and the key) and
synthetic_truth (the same -> truth.json, with the Monte Carlo estimands): the two run in parallel,
so de-identification starts without waiting for the Monte Carlo."""

import logging

from mscsurvey.codebook.spec import load_codebook
from mscsurvey.runner import run_step
from mscsurvey.schema import load_yaml
from mscsurvey.synthesize import generate, load_published, write_outputs


def main(smk):
    cb = load_codebook(smk.input.codebook)
    s = smk.params.settings
    paths = {k: getattr(smk.output, k, None) for k in ("raw", "truth", "key")}
    result = generate(
        cb,
        load_yaml(smk.input.model),
        load_published(smk.input.published, cb),
        seed=s["seed"],
        n_respondents=s["n_respondents"],
        model_source=str(smk.input.model),
        estimands=paths["truth"] is not None,
    )
    write_outputs(result, **paths)
    counts = ", ".join(f"{k} {v}" for k, v in result.counts.items())
    wrote = ", ".join(str(p) for p in paths.values() if p is not None)
    logging.getLogger(__name__).info("wrote %s: %s", wrote, counts)


smk = snakemake  # noqa: F821 (injected by Snakemake)
run_step(lambda: main(smk), rule=smk.rule, log=smk.log[0])
