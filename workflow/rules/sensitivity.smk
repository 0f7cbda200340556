# Clean responses -> sensitivity analyses: multiple imputation of the item answers (always) and, when
# the config has a `weights:` section, survey-weighted estimates beside the unweighted ones.


rule sensitivity:
    input:
        responses=rules.clean.output.responses,
        codebook=lambda wc: dataset(wc).codebook,
    output:
        imputed="{res}/analyses/imputed.parquet",
    log:
        "{res}/logs/sensitivity.log",
    benchmark:
        "{res}/benchmarks/sensitivity.tsv"
    priority: PRIORITY["sensitivity"]
    conda:
        "../../envs/mscsurvey.yaml"
    threads: 1
    resources:
        mem_mb=mem_mb(1000, 100),
        runtime=30,
    params:
        models=SETTINGS.analyses.models,
        settings=SETTINGS.sensitivity.as_dict(),
        # the imputations' seed when sensitivity.seed is null
        seed=SETTINGS.seed,
    script:
        "../scripts/sensitivity.py"


rule weighted:
    input:
        responses=rules.clean.output.responses,
        codebook=lambda wc: dataset(wc).codebook,
    output:
        weighted="{res}/analyses/weighted.parquet",
    log:
        "{res}/logs/weighted.log",
    benchmark:
        "{res}/benchmarks/weighted.tsv"
    conda:
        "../../envs/mscsurvey.yaml"
    threads: 1
    resources:
        mem_mb=mem_mb(1000, 50),
        runtime=20,
    params:
        models=SETTINGS.analyses.models,
        weights=SETTINGS.weights.as_dict() if SETTINGS.weights else None,
        ci_level=SETTINGS.analyses.ci_level,
        config_source=_CONFIG_SOURCE,
    script:
        "../scripts/sensitivity.py"
