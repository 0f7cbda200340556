# Reviewers' tables: every aggregate results table as CSV (full precision), as an HTML page that
# `snakemake --report` shows as a table, and all of them in one Excel workbook with a data dictionary
# sheet; the dictionary is generated from the table contracts (src/mscsurvey/contracts.py).
from mscsurvey.contracts import CONTRACTS, TABLES

# `weighted` exists only when the config asks for survey weights (rule weighted).
REVIEWER_TABLES = [t for t in TABLES if t != "weighted" or config.get("weights")]


# Report category of each table: the stage folder it comes from.
TABLE_CATEGORY = {
    n: "3. Scales" if CONTRACTS[n].path.startswith("scales/") else "4. Analyses"
    for n in REVIEWER_TABLES
}
# The rule's files under a results folder (what the manifest covers: common.smk dataset_outputs).
TABLES_FILES = [
    *[f"tables/{n}.csv" for n in REVIEWER_TABLES],
    *[f"tables/html/{n}.html" for n in REVIEWER_TABLES],
    "tables/dictionary.csv",
    "tables/tables.xlsx",
]


rule tables:
    input:
        **{n: f"{{res}}/{CONTRACTS[n].path}" for n in REVIEWER_TABLES},
    output:
        **{f"csv_{n}": f"{{res}}/tables/{n}.csv" for n in REVIEWER_TABLES},
        **{
            f"html_{n}": report(
                f"{{res}}/tables/html/{n}.html",
                caption=f"../report/{n}.rst",
                category=TABLE_CATEGORY[n],
            )
            for n in REVIEWER_TABLES
        },
        dictionary="{res}/tables/dictionary.csv",
        workbook="{res}/tables/tables.xlsx",
    log:
        "{res}/logs/tables.log",
    benchmark:
        "{res}/benchmarks/tables.tsv"
    conda:
        "../../envs/mscsurvey.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        tables=REVIEWER_TABLES,
    script:
        "../scripts/tables.py"
