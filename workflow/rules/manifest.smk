# Every output of a dataset -> results/manifest.json: each file's sha256 and size, the rule that made it,
# its inputs' digests, a hash of the rule's params, the code and package versions. `mscsurvey verify`
# checks a results folder against it.

# The project's work tree (two folders above this file), for the git commit and dirty flag.
MANIFEST_REPO = str(Path(str(workflow.current_basedir)).resolve().parents[1])


rule manifest:
    input:
        outputs=lambda wc: dataset_outputs(dataset(wc)),
    output:
        manifest=report(
            "{res}/manifest.json",
            caption="../report/manifest.rst",
            category="7. Audit",
        ),
    log:
        "{res}/logs/manifest.log",
    benchmark:
        "{res}/benchmarks/manifest.tsv"
    conda:
        "../../envs/mscsurvey.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        results=lambda wc: wc.res,
        secrets=lambda wc: [dataset(wc).key_file] if dataset(wc).key_file else [],
        repo=MANIFEST_REPO,
    script:
        "../scripts/manifest.py"
