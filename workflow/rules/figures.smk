# Analyses and reliability tables -> the brief's figures (PNG and SVG) and their index.
# Only drawing: a change to the `figures:` config block reruns these rules and the brief, nothing else.
# A few figure jobs (mscsurvey.report.figure_index.FIGURE_PARTS: some kinds, or a slice of one kind's
# constructs) so that both cores draw and the Likert charts start once the agreement table exists;
# then a gather job copies the parts into the one folder the brief reads.
rule figure_part:
    input:
        unpack(figure_part_input),
    output:
        # temporary: the gather job copies them, so results/ holds each figure once
        part=temp(directory("{res}/figure_parts/{part}")),
    log:
        "{res}/logs/figures_{part}.log",
    benchmark:
        "{res}/benchmarks/figures_{part}.tsv"
    wildcard_constraints:
        part="|".join(FIGURE_PARTS),
    priority: figure_part_priority
    conda:
        "../../envs/mscsurvey.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    params:
        style=SETTINGS.figures.as_dict(),
        models=SETTINGS.analyses.models,
        thresholds=SETTINGS.scales.thresholds.as_dict(),
        # every figure of a synthetic dataset says so
        notice=lambda wc: "Synthetic data" if dataset(wc).synthetic else "",
        min_group_n=SETTINGS.analyses.min_group_n,
    script:
        "../scripts/figure_part.py"


rule figures:
    input:
        parts=expand(
            rules.figure_part.output.part, part=FIGURE_PARTS, allow_missing=True
        ),
    output:
        figures=report(
            directory("{res}/figures"),
            # the SVGs: a sixth of the PNGs' bytes, so the report stays small (issue 17)
            patterns=["{name}.svg"],
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
