# Raw export -> de-identified responses: keyed pseudonyms, generalised quasi-identifiers,
# k-anonymity, scrubbed free text. Nothing identified is written under results/.


rule deidentify:
    input:
        unpack(raw_input),
    output:
        responses="{res}/deidentified/responses.parquet",
        report=report(
            "{res}/deidentified/deid_report.json",
            caption="../report/deid_report.rst",
            category="1. De-identification",
        ),
    log:
        "{res}/logs/deidentify.log",
    benchmark:
        "{res}/benchmarks/deidentify.tsv"
    conda:
        "../../envs/mscsurvey.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    params:
        settings=deidentify_params,
    script:
        "../scripts/deidentify.py"
