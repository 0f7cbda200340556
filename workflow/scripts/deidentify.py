"""Adapter for rule deidentify: raw export -> de-identified responses (Parquet) and report (JSON)."""

import logging
from pathlib import Path

from mscsurvey.codebook.spec import load_codebook
from mscsurvey.io import read_json, read_parquet, read_raw, write_json, write_parquet
from mscsurvey.privacy.pseudonym import load_key
from mscsurvey.runner import NOTE, run_step
from mscsurvey.stages.deidentify import deidentify, gather_free_text


def _main(smk):
    s = smk.params.settings
    key = load_key(
        env_var=s["key_env"],
        key_file=smk.input.get("key"),
        synthetic=s["synthetic"],
        dataset=s["dataset"],
    )
    raw = read_raw(smk.input.raw, **s["read_options"])
    scrubbed = None
    texts = smk.input.get("texts")
    if texts:  # free text scrubbed by scrub_text jobs over row chunks
        chunks = [
            (read_parquet(t), read_json(c)) for t, c in zip(texts, smk.input.counts, strict=True)
        ]
        scrubbed = gather_free_text(chunks, len(raw), source=s["raw_name"])
    responses, report = deidentify(
        raw,
        load_codebook(smk.input.codebook),
        key=key,
        k=s["k"],
        quasi_identifiers=s.get("quasi_identifiers"),
        pseudonym_length=s["pseudonym_length"],
        source=s["raw_name"],
        scrubbed=scrubbed,
    )
    ka, ft = report["k_anonymity"], report["free_text"]
    logging.getLogger("deidentify").log(
        NOTE,  # counts only: never a value
        "rows in %d, out %d; k %d achieved %d with %d suppression(s); %d of %d comment(s) "
        "scrubbed, placeholders %s",
        *(report["rows_in"], report["rows_out"], ka["k_requested"], ka["k_achieved"]),
        *(ka["suppressions_total"], ft["comments_scrubbed"], ft["comments"], ft["placeholders"]),
    )
    write_parquet(responses, smk.output.responses)
    write_json(report, smk.output.report)


def main(smk):
    try:
        _main(smk)
    except BaseException:
        # The scrub_text chunks hold scrubbed text that has not passed the leak check yet: when this
        # job stops (a leak found, bad input), they go too, as a one-job run writes nothing.
        for f in [*smk.input.get("texts", []), *smk.input.get("counts", [])]:
            Path(f).unlink(missing_ok=True)
        raise


smk = snakemake  # noqa: F821 (injected by Snakemake)
run_step(lambda: main(smk), rule=smk.rule, log=smk.log[0])
