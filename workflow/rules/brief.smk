# Everything upstream -> the research brief: its numbers (numbers.json), then the notebook rendered to
# HTML and PDF with the provenance it was made from. (The quote attribution's groups are checked
# against every codebook in common.smk, before any job runs.)

# The project's work tree (two folders above this file), for the git state in the provenance.
BRIEF_REPO = str(Path(str(workflow.current_basedir)).resolve().parents[1])
# The notebook and its assets are the package's data (wherever mscsurvey is installed).
from mscsurvey.data import assets_dir as _assets_dir
from mscsurvey.data import notebook_path as _notebook_path

BRIEF_SOURCE = {
    "notebook": str(_notebook_path()),
    "css": str(_assets_dir() / "brief.css"),
    "template": str(_assets_dir() / "brief-template.typ"),
    "lua": str(_assets_dir() / "brief.lua"),
}

# The tables the brief reads: other rules' outputs.
BRIEF_TABLES = {
    "responses": rules.clean.output.responses,
    "validation": rules.clean.output.validation,
    "deid_report": rules.deidentify.output.report,
    "scores": rules.scales.output.scores,
    "reliability": rules.scales.output.reliability,
    "invariance": rules.invariance.output.invariance,
    "agreement": rules.agreement.output.agreement,
    "published": rules.agreement.output.published,
    "subgroups": rules.subgroups.output.means,
    "subgroup_tests": rules.subgroups.output.tests,
    "regressions": rules.regressions.output.regressions,
    "importance": rules.regressions.output.importance,
    "drivers": rules.regressions.output.drivers,
    "imputed": rules.sensitivity.output.imputed,
}
if SETTINGS.weights is not None:
    BRIEF_TABLES["weighted"] = rules.weighted.output.weighted


rule brief_numbers:
    input:
        unpack(quote_inputs),
        **BRIEF_TABLES,
        codebook=lambda wc: dataset(wc).codebook,
    output:
        numbers=report(
            "{res}/brief/numbers.json",
            caption="../report/brief_numbers.rst",
            category="6. Brief",
        ),
    log:
        "{res}/logs/brief_numbers.log",
    benchmark:
        "{res}/benchmarks/brief_numbers.tsv"
    priority: PRIORITY["brief_numbers"]
    conda:
        "../../envs/mscsurvey.yaml"
    threads: 1
    resources:
        # peak 0.15 GB on the study, 0.6 GB at 10^6 respondents
        mem_mb=mem_mb(1000, 20),
        runtime=10,
    # only what the numbers read (mscsurvey.settings.NumbersSettings): a figure or CFA setting
    # does not rerun this rule
    params:
        seed=SETTINGS.seed,
        # the brief says so when its data are synthetic (what made them, what they match)
        synthetic=lambda wc: dataset(wc).synthetic or None,
        k=SETTINGS.deidentify.k,
        thresholds=SETTINGS.scales.thresholds.as_dict(),
        analyses=SETTINGS.analyses.as_dict(),
        brief=SETTINGS.brief.as_dict(),
    script:
        "../scripts/brief_numbers.py"


rule brief:
    input:
        **BRIEF_SOURCE,
        **BRIEF_TABLES,
        numbers=rules.brief_numbers.output.numbers,
        figures=rules.figures.output.figures,
    output:
        html=report(
            "{res}/brief/brief.html",
            caption="../report/brief.rst",
            category="6. Brief",
        ),
        pdf=report(
            "{res}/brief/brief.pdf",
            caption="../report/brief.rst",
            category="6. Brief",
        ),
        provenance="{res}/brief/provenance.json",
    log:
        "{res}/logs/brief.log",
    benchmark:
        "{res}/benchmarks/brief.tsv"
    conda:
        "../../envs/mscsurvey.yaml"
    threads: 1
    resources:
        mem_mb=3000,
        runtime=20,
    params:
        # hashed into the provenance: this dataset's config only (see brief_config)
        config=brief_config,
        tables=list(BRIEF_TABLES),
        # the work tree for git, not a file prefix (the notebook sits inside it in a checkout)
        repo=lambda wc: BRIEF_REPO,
    script:
        "../scripts/brief.py"
