# Clean responses -> sensitivity analyses: multiple imputation of the item answers (always) and, when
# the config has a `weights:` section, survey-weighted estimates beside the unweighted ones.


rule sensitivity:
    input:
        responses="{res}/clean/responses.parquet",
        codebook=lambda wc: dataset(wc).codebook,
    output:
        imputed="{res}/analyses/imputed.parquet",
    log:
        "{res}/logs/sensitivity.log",
    benchmark:
        "{res}/benchmarks/sensitivity.tsv"
    conda:
        "../../envs/mscsurvey.yaml"
    threads: 1
    resources:
        mem_mb=mem_mb(1000, 100),
        runtime=30,
    params:
        models=config["analyses"]["models"],
        imputations=config["sensitivity"]["imputations"],
        max_n=config["sensitivity"]["max_n"],
        seed=(
            config["sensitivity"]["seed"]
            if config["sensitivity"]["seed"] is not None
            else config["seed"]
        ),
    script:
        "../scripts/sensitivity.py"


rule weighted:
    input:
        responses="{res}/clean/responses.parquet",
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
        models=config["analyses"]["models"],
        weights=config.get("weights"),
        ci_level=config["analyses"]["ci_level"],
        config_source=_CONFIG_SOURCE,
    script:
        "../scripts/sensitivity.py"
