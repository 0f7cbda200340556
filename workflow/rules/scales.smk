# Clean responses -> construct scores, reliability per construct (with the gate) and item statistics
# (rule scales); the confirmatory factor model of all constructs (ML/FIML, and WLSMV when enough
# respondents answered every item: rule cfa); measurement invariance of each construct across the
# compared groups (rule invariance). Three jobs, each from the clean responses, so the two cores share
# them and the analyses that need only the scores start before the CFA is done (issue 20).


rule scales:
    input:
        responses=rules.clean.output.responses,
        codebook=lambda wc: dataset(wc).codebook,
    output:
        scores="{res}/scales/scores.parquet",
        reliability="{res}/scales/reliability.parquet",
        item_stats="{res}/scales/item_stats.parquet",
    log:
        "{res}/logs/scales.log",
    benchmark:
        "{res}/benchmarks/scales.tsv"
    priority: PRIORITY["scales"]
    conda:
        "../../envs/mscsurvey.yaml"
    threads: 1
    resources:
        # peak 0.2 GB on the study, 1.0 GB at 10^6 respondents x 40 items (18 MB of Parquet)
        mem_mb=mem_mb(1000, 70),
        runtime=20,
    params:
        settings=SETTINGS.scales.for_job("scales"),
        seed=SETTINGS.seed,
    script:
        "../scripts/scales.py"


rule cfa:
    input:
        responses=rules.clean.output.responses,
        codebook=lambda wc: dataset(wc).codebook,
    output:
        cfa_fit="{res}/scales/cfa_fit.parquet",
        cfa_loadings="{res}/scales/cfa_loadings.parquet",
    log:
        "{res}/logs/cfa.log",
    benchmark:
        "{res}/benchmarks/cfa.tsv"
    priority: PRIORITY["cfa"]
    conda:
        "../../envs/mscsurvey.yaml"
    threads: 1
    resources:
        # fitted on at most scales.cfa_max_n respondents (a seeded sample)
        mem_mb=mem_mb(1000, 70),
        runtime=20,
    params:
        settings=SETTINGS.scales.for_job("cfa"),
        seed=SETTINGS.seed,
    script:
        "../scripts/cfa.py"


rule invariance:
    input:
        responses=rules.clean.output.responses,
        codebook=lambda wc: dataset(wc).codebook,
    output:
        invariance="{res}/scales/invariance.parquet",
    log:
        "{res}/logs/invariance.log",
    benchmark:
        "{res}/benchmarks/invariance.tsv"
    priority: PRIORITY["invariance"]
    conda:
        "../../envs/mscsurvey.yaml"
    threads: 1
    resources:
        mem_mb=mem_mb(1000, 70),
        runtime=20,
    params:
        settings=SETTINGS.scales.for_job("invariance"),
        seed=SETTINGS.seed,
    script:
        "../scripts/invariance.py"
