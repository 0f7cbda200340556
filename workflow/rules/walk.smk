# The brief's numbers and figures -> the Data Walk: a static site, one page per topic, readable on a
# phone and from the file system (no server, no external request).


rule walk:
    input:
        numbers=rules.brief_numbers.output.numbers,
        figures=rules.figures.output.figures,
    output:
        # not in `snakemake --report`: a folder cannot be embedded in its one HTML page
        site=directory("{res}/walk"),
    log:
        "{res}/logs/walk.log",
    benchmark:
        "{res}/benchmarks/walk.tsv"
    conda:
        "../../envs/mscsurvey.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    script:
        "../scripts/walk.py"
