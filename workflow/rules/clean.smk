# De-identified responses -> coded, validated, analysable responses plus an exclusion log.


rule clean:
    input:
        responses=rules.deidentify.output.responses,
        codebook=lambda wc: dataset(wc).codebook,
    output:
        responses="{res}/clean/responses.parquet",
        exclusions="{res}/clean/exclusions.parquet",
        validation=report(
            "{res}/clean/validation.json",
            caption="../report/validation.rst",
            category="2. Cleaning",
        ),
    log:
        "{res}/logs/clean.log",
    benchmark:
        "{res}/benchmarks/clean.tsv"
    conda:
        "../../envs/mscsurvey.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    params:
        settings=SETTINGS.clean.as_dict(),
        raw_name=lambda wc: dataset(wc).raw,
    script:
        "../scripts/clean.py"
