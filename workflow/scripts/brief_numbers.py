"""Adapter for rule brief_numbers: every table upstream -> every number and sentence of the brief."""

import logging

from mscsurvey.codebook.spec import load_codebook
from mscsurvey.io import read_json, read_parquet, write_json
from mscsurvey.privacy.quotes import read_reviewed
from mscsurvey.runner import run_step
from mscsurvey.settings import NumbersSettings
from mscsurvey.stages.brief_numbers import brief_numbers

TABLES = ("responses", "scores", "reliability", "agreement", "published", "subgroups")
TABLES += ("subgroup_tests", "regressions", "importance", "drivers", "invariance")
OPTIONAL = ("imputed", "weighted")


def main(smk):
    p = smk.params
    settings = NumbersSettings.parse(
        {"seed": p.seed, "deidentify": {"k": p.k}, "scales": {"thresholds": p.thresholds}}
        | {"analyses": p.analyses, "brief": p.brief}
    )
    cb = load_codebook(smk.input.codebook)
    # the two respondent-level tables are read for the columns the brief uses only (quotes: the
    # pseudonym, free text and attribution groups; the cluster count; construct scores)
    columns = {
        "responses": [cb.identifiers.pseudonym, *cb.identifiers.free_text]
        + list(settings.brief.quote_attribution)
        + ([cb.cluster] if cb.cluster else []),
        "scores": list(cb.constructs),
    }
    microdata = getattr(smk.input, "microdata", None)
    reviewed = getattr(smk.input, "quotes_reviewed", None)
    numbers = brief_numbers(
        codebook=cb,
        synthetic=p.synthetic,
        settings=settings,
        validation=read_json(smk.input.validation),
        deid_report=read_json(smk.input.deid_report),
        **{name: read_parquet(getattr(smk.input, name), columns.get(name)) for name in TABLES},
        released=read_parquet(microdata) if microdata else None,
        reviewed=read_reviewed(reviewed) if reviewed else None,
        disclosure=read_json(smk.input.disclosure),
        # the sensitivity analyses (weighted only when the config has weights)
        **{n: read_parquet(getattr(smk.input, n)) for n in OPTIONAL if hasattr(smk.input, n)},
    )
    logging.getLogger("brief_numbers").info(  # counts only
        "tables in %d; takeaways %d; sections %d; quotes %d (%s)",
        len(TABLES),
        len(numbers.get("takeaways", [])),
        len(numbers),
        numbers["quotes"]["n"],
        numbers["quotes"]["status"],
    )
    write_json(numbers, smk.output.numbers)


smk = snakemake  # noqa: F821 (injected by Snakemake)
run_step(lambda: main(smk), rule=smk.rule, log=smk.log[0])
