# The public-use release (<results>/public/): what may leave the team, after every exclusion. First the
# optional public-use microdata, k-anonymous on the codebook's key variables, and the disclosure report
# (the brief's quotes are checked against it); then, after the brief, copies of the brief, its figures
# and the aggregate tables (small cells blank) with a README saying what is public and what is not.


rule release_microdata:
    input:
        responses=rules.clean.output.responses,
        codebook=lambda wc: dataset(wc).codebook,
    output:
        **release_microdata_outputs(),
    log:
        "{res}/logs/release_microdata.log",
    benchmark:
        "{res}/benchmarks/release_microdata.tsv"
    priority: PRIORITY["release_microdata"]
    conda:
        "../../envs/mscsurvey.yaml"
    threads: 1
    resources:
        mem_mb=mem_mb(1000, 20),
        runtime=20,
    params:
        k=SETTINGS.deidentify.k,
        seed=SETTINGS.seed,
        release=SETTINGS.release.as_dict(),
        min_group_n=SETTINGS.analyses.min_group_n,
    script:
        "../scripts/release_microdata.py"


rule release:
    input:
        **{
            f"table_{name}": f"{{res}}/{path}"
            for name, (path, _counts) in PUBLIC_TABLES.items()
        },
        disclosure=rules.release_microdata.output.disclosure,
        html=rules.brief.output.html,
        pdf=rules.brief.output.pdf,
        figures=rules.figures.output.figures,
        walk=rules.walk.output.site,
    output:
        html="{res}/public/brief.html",
        pdf="{res}/public/brief.pdf",
        figures=directory("{res}/public/figures"),
        walk=directory("{res}/public/walk"),
        tables=directory("{res}/public/tables"),
        readme="{res}/public/README.txt",
    log:
        "{res}/logs/release.log",
    benchmark:
        "{res}/benchmarks/release.tsv"
    conda:
        "../../envs/mscsurvey.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        dataset=lambda wc: dataset(wc).name,
        synthetic=lambda wc: dataset(wc).synthetic is not None,
        min_group_n=SETTINGS.analyses.min_group_n,
        tables={name: list(counts) for name, (_path, counts) in PUBLIC_TABLES.items()},
    script:
        "../scripts/release.py"
