# Clean responses -> construct scores, reliability per construct (with the gate), item statistics and a
# confirmatory factor model of all constructs (ML/FIML, and WLSMV when enough respondents answered every
# item), and measurement invariance of each construct across the compared groups.


rule scales:
    input:
        responses=rules.clean.output.responses,
        codebook=lambda wc: dataset(wc).codebook,
    output:
        scores="{res}/scales/scores.parquet",
        reliability="{res}/scales/reliability.parquet",
        item_stats="{res}/scales/item_stats.parquet",
        cfa_fit="{res}/scales/cfa_fit.parquet",
        cfa_loadings="{res}/scales/cfa_loadings.parquet",
        invariance="{res}/scales/invariance.parquet",
    log:
        "{res}/logs/scales.log",
    benchmark:
        "{res}/benchmarks/scales.tsv"
    conda:
        "../../envs/mscsurvey.yaml"
    threads: 1
    resources:
        # peak 0.2 GB on the study, 1.0 GB at 10^6 respondents x 40 items (18 MB of Parquet)
        mem_mb=mem_mb(1000, 70),
        runtime=20,
    params:
        settings=SETTINGS.scales.as_dict(),
        seed=SETTINGS.seed,
    script:
        "../scripts/scales.py"
