# The embedded default: a synthetic raw survey export (with PII and mess) and its ground truth. Two
# jobs from the same seed: the export and key (what de-identification waits for), and truth.json,
# whose Monte Carlo estimands are most of the generator's time and run beside de-identification.


rule synthesize:
    input:
        unpack(synthetic_input),
    output:
        raw="{rawdir}/survey.csv",
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


rule synthetic_truth:
    input:
        unpack(synthetic_input),
    output:
        truth="{rawdir}/truth.json",
    log:
        "{rawdir}/logs/synthetic_truth.log",
    benchmark:
        "{rawdir}/logs/synthetic_truth.benchmark.tsv"
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
