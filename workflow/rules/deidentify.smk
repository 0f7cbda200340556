# Raw export -> de-identified responses: keyed pseudonyms, generalised quasi-identifiers,
# k-anonymity, scrubbed free text. Nothing identified is written under results/.


# One row chunk of the free-text columns, scrubbed with the whole raw file's roster (temporary: the
# deidentify job gathers the chunks into its output, which is byte-identical to a one-job run).
rule scrub_text:
    input:
        raw=lambda wc: dataset(wc).raw,
        codebook=lambda wc: dataset(wc).codebook,
    output:
        text=temp("{res}/deidentified/text/{scatteritem}.parquet"),
        counts=temp("{res}/deidentified/text/{scatteritem}.json"),
    log:
        "{res}/logs/scrub_text/{scatteritem}.log",
    benchmark:
        "{res}/benchmarks/scrub_text/{scatteritem}.tsv"
    wildcard_constraints:
        scatteritem=r"\d+-of-\d+",
    conda:
        "../../envs/mscsurvey.yaml"
    threads: 1
    # memory and minutes grow with the raw file: 1.9 GB peak and 13.5 min for a 73 MB export of 10^5
    # respondents (the whole deidentify at load 10, benchmarks/RESULTS.md section 9), ~2x that here
    resources:
        mem_mb=mem_mb(2000, 30),
        runtime=lambda wc, input: max(20, int(0.4 * input.size_mb)),
    params:
        settings=scrub_params,
    script:
        "../scripts/scrub_text.py"


rule deidentify:
    input:
        unpack(raw_input),
        unpack(scrubbed_input),
    output:
        responses="{res}/deidentified/responses.parquet",
        report=report(
            "{res}/deidentified/deid_report.json",
            caption="../report/deid_report.rst",
            category="1. De-identification",
        ),
    log:
        "{res}/logs/deidentify.log",
    benchmark:
        "{res}/benchmarks/deidentify.tsv"
    conda:
        "../../envs/mscsurvey.yaml"
    threads: 1
    # memory and minutes grow with the raw file: 1.9 GB peak and 13.5 min for a 73 MB export of 10^5
    # respondents (the whole deidentify at load 10, benchmarks/RESULTS.md section 9), ~2x that here
    resources:
        mem_mb=mem_mb(2000, 30),
        runtime=lambda wc, input: max(20, int(0.4 * input.size_mb)),
    params:
        settings=deidentify_params,
    script:
        "../scripts/deidentify.py"
