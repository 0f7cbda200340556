# Analyses and reliability tables -> the brief's figures (PNG and SVG) and their index.
# Only drawing: a change to the `figures:` config block reruns this rule and the brief, nothing else.


rule figures:
    input:
        agreement="{res}/analyses/agreement.parquet",
        distribution="{res}/analyses/agreement_distribution.parquet",
        published="{res}/analyses/published_vs_reproduced.parquet",
        subgroups="{res}/analyses/subgroups.parquet",
        subgroup_tests="{res}/analyses/subgroup_tests.parquet",
        regressions="{res}/analyses/regressions.parquet",
        importance="{res}/analyses/importance.parquet",
        reliability="{res}/scales/reliability.parquet",
        codebook=lambda wc: dataset(wc).codebook,
    output:
        figures=report(
            directory("{res}/figures"),
            patterns=["{name}.png"],
            caption="../report/figures.rst",
            category="5. Figures",
        ),
    log:
        "{res}/logs/figures.log",
    benchmark:
        "{res}/benchmarks/figures.tsv"
    conda:
        "../../envs/mscsurvey.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    params:
        style=config["figures"],
        models=config["analyses"]["models"],
        thresholds=config["scales"]["thresholds"],
        # every figure of a synthetic dataset says so
        notice=lambda wc: "Synthetic data" if dataset(wc).synthetic else "",
        min_group_n=config["analyses"]["min_group_n"],
    script:
        "../scripts/figures.py"
