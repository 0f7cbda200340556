# The embedded default: a synthetic raw survey export (with PII and mess) and its ground truth.


rule synthesize:
    input:
        unpack(synthetic_input),
    output:
        raw="{rawdir}/survey.csv",
        truth="{rawdir}/truth.json",
        key="{rawdir}/pseudonym.key",
    log:
        "{rawdir}/logs/synthesize.log",
    benchmark:
        "{rawdir}/logs/synthesize.benchmark.tsv"
    conda:
        "../../envs/mscsurvey.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        settings=synthetic_params,
    script:
        "../scripts/synthesize.py"
