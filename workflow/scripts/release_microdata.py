"""Adapter for rule release_microdata: analysed responses -> the public-use microdata (k-anonymous on
the key variables) and the disclosure report."""

import logging

from mscsurvey.codebook.spec import load_codebook
from mscsurvey.io import atomic_open, read_parquet, write_json, write_parquet
from mscsurvey.runner import run_step
from mscsurvey.settings import ReleaseSettings
from mscsurvey.stages.release import disclosure_report, microdata_columns, public_microdata


def main(smk):
    cb = load_codebook(smk.input.codebook)
    p = smk.params
    release = ReleaseSettings.parse(p.release)
    keys = cb.key_variables
    source = (
        "codebook"
        if cb.identifiers.key_variables
        else "default: quasi-identifiers, groups, cluster"
    )
    responses = read_parquet(smk.input.responses)
    analysed = responses[microdata_columns(responses, cb, keys)]
    microdata, suppressions = public_microdata(analysed, cb, keys=keys, k=p.k, seed=p.seed)
    released = release.microdata
    report = disclosure_report(
        analysed,
        microdata,
        suppressions,
        keys=keys,
        key_source=source,
        k=p.k,
        risk_threshold=float(release.risk_threshold),
        microdata_released=released,
        min_group_n=p.min_group_n,
    )
    if released:
        write_parquet(microdata, smk.output.microdata)
        with atomic_open(smk.output.microdata_csv) as fh:
            microdata.to_csv(fh, index=False, lineterminator="\n")
    write_json(report, smk.output.disclosure)
    logging.getLogger("release_microdata").info(  # counts only
        "records %d; key variables %d; k requested %d, before %d, achieved %d; suppressed %d; "
        "expected re-identifications %.1f -> %.1f; microdata released: %s",
        report["records"],
        len(keys),
        report["k_requested"],
        report["k_before"],
        report["k_achieved"],
        report["suppressions_total"],
        report["risk_before"]["expected_reidentifications"],
        report["risk_after"]["expected_reidentifications"],
        released,
    )


smk = snakemake  # noqa: F821 (injected by Snakemake)
run_step(lambda: main(smk), rule=smk.rule, log=smk.log[0])
