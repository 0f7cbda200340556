"""Adapter for rule scrub_text: one row chunk of the raw export's free text -> scrubbed (Parquet)
and its counts (JSON). The roster is built from the whole raw file, as in one job."""

import logging

from mscsurvey.codebook.spec import load_codebook
from mscsurvey.io import read_raw, write_json, write_parquet
from mscsurvey.runner import NOTE, run_step
from mscsurvey.stages.deidentify import check_columns, scrub_free_text, scrubber_for


def main(smk):
    s = smk.params.settings
    part, parts = (int(x) for x in smk.wildcards.scatteritem.split("-of-"))
    raw = read_raw(smk.input.raw, **s["read_options"])
    codebook = load_codebook(smk.input.codebook)
    check_columns(raw, codebook, source=s["raw_name"])
    scrubber, _ = scrubber_for(raw, codebook)
    frame, counts = scrub_free_text(raw, codebook, scrubber, part=part, parts=parts)
    logging.getLogger("scrub_text").log(
        NOTE,  # counts only: never a text
        "chunk %d of %d: %d row(s), %d comment(s), %d scrubbed",
        *(part, parts, len(frame), counts["comments"], counts["comments_scrubbed"]),
    )
    write_parquet(frame, smk.output.text)
    write_json(counts, smk.output.counts)


smk = snakemake  # noqa: F821 (injected by Snakemake)
run_step(lambda: main(smk), rule=smk.rule, log=smk.log[0])
