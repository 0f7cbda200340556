# mscsurvey: raw survey -> de-identified -> clean -> scales -> analyses -> figures -> brief.
# Set-up only: the rules live in workflow/rules/, one file per stage; the logic in src/mscsurvey/.
from snakemake.utils import min_version

min_version("9.0")


include: "workflow/rules/common.smk"


# Row chunks of de-identification's free-text work (rule scrub_text): one Snakemake job each, so a
# cluster run spreads them over nodes; 1 = scrubbed inside rule deidentify (no extra job).
scattergather:
    scrub=SETTINGS.deidentify.text_chunks,


# {res}: a dataset's results folder; {rawdir}: a synthetic dataset's raw folder; {cmp}: a comparison's
# folder (all from config).
wildcard_constraints:
    res=_alternatives(BY_RESULTS),
    rawdir=_alternatives(SYNTHETIC),
    cmp=_alternatives(BY_COMPARISON),


include: "workflow/rules/synthesize.smk"
include: "workflow/rules/deidentify.smk"
include: "workflow/rules/clean.smk"
include: "workflow/rules/scales.smk"
include: "workflow/rules/analyses.smk"
include: "workflow/rules/sensitivity.smk"
include: "workflow/rules/tables.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/brief.smk"
include: "workflow/rules/walk.smk"
include: "workflow/rules/release.smk"
include: "workflow/rules/manifest.smk"
include: "workflow/rules/compare.smk"


rule all:
    default_target: True
    input:
        all_outputs,
