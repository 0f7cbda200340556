# Clean responses and construct scores -> item agreement, subgroup comparisons and driver models.
# Three rules, so that a change to the driver models reruns only `regressions` (the models are
# checked against every codebook in common.smk, before any job runs).


rule agreement:
    input:
        unpack(published_input),
        responses=rules.clean.output.responses,
        codebook=lambda wc: dataset(wc).codebook,
    output:
        agreement="{res}/analyses/agreement.parquet",
        distribution="{res}/analyses/agreement_distribution.parquet",
        published="{res}/analyses/published_vs_reproduced.parquet",
    log:
        "{res}/logs/agreement.log",
    benchmark:
        "{res}/benchmarks/agreement.tsv"
    priority: PRIORITY["agreement"]
    conda:
        "../../envs/mscsurvey.yaml"
    threads: 1
    resources:
        # peak 0.2 GB on the study, 0.5 GB at 10^6 respondents
        mem_mb=mem_mb(1000, 25),
        runtime=10,
    params:
        ci_level=SETTINGS.analyses.ci_level,
        min_group_n=SETTINGS.analyses.min_group_n,
    script:
        "../scripts/agreement.py"


rule subgroups:
    input:
        scores=rules.scales.output.scores,
        reliability=rules.scales.output.reliability,
        codebook=lambda wc: dataset(wc).codebook,
    output:
        means="{res}/analyses/subgroups.parquet",
        tests="{res}/analyses/subgroup_tests.parquet",
        pairwise="{res}/analyses/pairwise.parquet",
    log:
        "{res}/logs/subgroups.log",
    benchmark:
        "{res}/benchmarks/subgroups.tsv"
    priority: PRIORITY["subgroups"]
    conda:
        "../../envs/mscsurvey.yaml"
    threads: 1
    resources:
        # peak 0.2 GB and 8 s on the study, 0.7 GB and 15 s at 10^6 respondents
        mem_mb=mem_mb(1000, 50),
        runtime=20,
    params:
        min_group_n=SETTINGS.analyses.min_group_n,
        ci_level=SETTINGS.analyses.ci_level,
    script:
        "../scripts/subgroups.py"


rule regressions:
    input:
        scores=rules.scales.output.scores,
        reliability=rules.scales.output.reliability,
        codebook=lambda wc: dataset(wc).codebook,
    output:
        regressions="{res}/analyses/regressions.parquet",
        importance="{res}/analyses/importance.parquet",
        drivers="{res}/analyses/drivers.parquet",
    log:
        "{res}/logs/regressions.log",
    benchmark:
        "{res}/benchmarks/regressions.tsv"
    priority: PRIORITY["regressions"]
    conda:
        "../../envs/mscsurvey.yaml"
    threads: 1
    resources:
        # peak 0.25 GB on the study, 1.1 GB and 10 s at 10^6 respondents
        mem_mb=mem_mb(1000, 100),
        runtime=15,
    params:
        models=SETTINGS.analyses.models,
        ci_level=SETTINGS.analyses.ci_level,
        top_drivers=SETTINGS.analyses.top_drivers,
        min_group_n=SETTINGS.analyses.min_group_n,
        config_source=_CONFIG_SOURCE,
    script:
        "../scripts/regressions.py"
