# Clean responses and construct scores -> item agreement, subgroup comparisons and driver models.
# Three rules, so that a change to the driver models reruns only `regressions`.
from mscsurvey.codebook.models import validate_models

# The driver models name constructs and groups of every dataset's codebook: check before any job runs.
try:
    for _cb in CODEBOOKS.values():
        validate_models(config["analyses"]["models"], _cb, source=_CONFIG_SOURCE)
except SurveyError as exc:
    sys.stderr.write(f"error: {exc}\n")
    sys.exit(1)


rule agreement:
    input:
        unpack(published_input),
        responses="{res}/clean/responses.parquet",
        codebook=lambda wc: dataset(wc).codebook,
    output:
        agreement="{res}/analyses/agreement.parquet",
        distribution="{res}/analyses/agreement_distribution.parquet",
        published="{res}/analyses/published_vs_reproduced.parquet",
    log:
        "{res}/logs/agreement.log",
    benchmark:
        "{res}/benchmarks/agreement.tsv"
    conda:
        "../../envs/mscsurvey.yaml"
    threads: 1
    resources:
        # peak 0.2 GB on the study, 0.5 GB at 10^6 respondents
        mem_mb=mem_mb(1000, 25),
        runtime=10,
    params:
        ci_level=config["analyses"]["ci_level"],
        min_group_n=config["analyses"]["min_group_n"],
    script:
        "../scripts/agreement.py"


rule subgroups:
    input:
        scores="{res}/scales/scores.parquet",
        reliability="{res}/scales/reliability.parquet",
        codebook=lambda wc: dataset(wc).codebook,
    output:
        means="{res}/analyses/subgroups.parquet",
        tests="{res}/analyses/subgroup_tests.parquet",
        pairwise="{res}/analyses/pairwise.parquet",
    log:
        "{res}/logs/subgroups.log",
    benchmark:
        "{res}/benchmarks/subgroups.tsv"
    conda:
        "../../envs/mscsurvey.yaml"
    threads: 1
    resources:
        # peak 0.2 GB and 8 s on the study, 0.7 GB and 15 s at 10^6 respondents
        mem_mb=mem_mb(1000, 50),
        runtime=20,
    params:
        min_group_n=config["analyses"]["min_group_n"],
        ci_level=config["analyses"]["ci_level"],
    script:
        "../scripts/subgroups.py"


rule regressions:
    input:
        scores="{res}/scales/scores.parquet",
        reliability="{res}/scales/reliability.parquet",
        codebook=lambda wc: dataset(wc).codebook,
    output:
        regressions="{res}/analyses/regressions.parquet",
        importance="{res}/analyses/importance.parquet",
        drivers="{res}/analyses/drivers.parquet",
    log:
        "{res}/logs/regressions.log",
    benchmark:
        "{res}/benchmarks/regressions.tsv"
    conda:
        "../../envs/mscsurvey.yaml"
    threads: 1
    resources:
        # peak 0.25 GB on the study, 1.1 GB and 10 s at 10^6 respondents
        mem_mb=mem_mb(1000, 100),
        runtime=15,
    params:
        models=config["analyses"]["models"],
        ci_level=config["analyses"]["ci_level"],
        top_drivers=config["analyses"]["top_drivers"],
        min_group_n=config["analyses"]["min_group_n"],
        config_source=_CONFIG_SOURCE,
    script:
        "../scripts/regressions.py"
