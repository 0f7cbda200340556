# The brief's numbers and figures -> the Data Walk: a static site, one page per topic, readable on a
# phone and from the file system (no server, no external request).


rule walk:
    input:
        numbers="{res}/brief/numbers.json",
        figures="{res}/figures",
    output:
        site=report(
            directory("{res}/walk"),
            htmlindex="index.html",
            caption="../report/walk.rst",
            category="6. Brief",
        ),
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
