# Two datasets of the config (e.g. survey waves) -> their construct means side by side with the
# difference (later - earlier), and "% agreed" per item, in the comparison's own folder.


rule compare:
    input:
        unpack(comparison_input),
    output:
        construct_means="{cmp}/construct_means.parquet",
        construct_means_csv="{cmp}/construct_means.csv",
        item_agreement="{cmp}/item_agreement.parquet",
        item_agreement_csv="{cmp}/item_agreement.csv",
        # what snakemake --report shows: the tables as tables, not Parquet bytes
        construct_means_html=report(
            "{cmp}/html/construct_means.html",
            caption="../report/construct_means.rst",
            category="8. Comparisons",
        ),
        item_agreement_html=report(
            "{cmp}/html/item_agreement.html",
            caption="../report/item_agreement_compared.rst",
            category="8. Comparisons",
        ),
    log:
        "{cmp}/logs/compare.log",
    benchmark:
        "{cmp}/benchmarks/compare.tsv"
    conda:
        "../../envs/mscsurvey.yaml"
    threads: 1
    resources:
        # two waves' scores and clean items; a few hundred MB at 10^5 respondents per wave
        mem_mb=mem_mb(1000, 40),
        runtime=10,
    params:
        names=lambda wc: [BY_COMPARISON[wc.cmp].earlier, BY_COMPARISON[wc.cmp].later],
        ci_level=SETTINGS.analyses.ci_level,
    script:
        "../scripts/compare.py"
