# Analyses and reliability tables -> the brief's figures (PNG and SVG) and their index.
# Only drawing: a change to the `figures:` config block reruns these rules and the brief, nothing else.
# One job per kind of figure (both cores draw; the Likert charts start once the agreement table
# exists), then a gather job copies the parts into the one folder the brief reads.
from mscsurvey.figure_index import FIGURE_KINDS, KIND_TABLES

FIGURE_TABLES = {
    "agreement": "{res}/analyses/agreement.parquet",
    "distribution": "{res}/analyses/agreement_distribution.parquet",
    "published": "{res}/analyses/published_vs_reproduced.parquet",
    "subgroups": "{res}/analyses/subgroups.parquet",
    "subgroup_tests": "{res}/analyses/subgroup_tests.parquet",
    "regressions": "{res}/analyses/regressions.parquet",
    "importance": "{res}/analyses/importance.parquet",
    "reliability": "{res}/scales/reliability.parquet",
}


def figure_kind_input(wildcards):
    """The tables one kind of figure draws from, and the codebook."""
    tables = {name: FIGURE_TABLES[name] for name in KIND_TABLES[wildcards.kind]}
    return {**tables, "codebook": dataset(wildcards).codebook}


rule figure_kind:
    input:
        unpack(figure_kind_input),
    output:
        part=directory("{res}/figure_parts/{kind}"),
    log:
        "{res}/logs/figures_{kind}.log",
    benchmark:
        "{res}/benchmarks/figures_{kind}.tsv"
    wildcard_constraints:
        kind="|".join(FIGURE_KINDS),
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
        "../scripts/figure_kind.py"


rule figures:
    input:
        parts=expand("{{res}}/figure_parts/{kind}", kind=FIGURE_KINDS),
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
        mem_mb=500,
        runtime=5,
    script:
        "../scripts/figures.py"
