# Everything upstream -> the research brief: its numbers (numbers.json), then the notebook rendered to
# HTML and PDF with the provenance it was made from.
from mscsurvey.errors import SurveyError as _SurveyError

# Quotes are attributed by grouping variables: check they exist in every codebook before any job runs.
for _name, _cb in CODEBOOKS.items():
    _missing = [g for g in config["brief"]["quote_attribution"] if g not in _cb.groups]
    if _missing:
        _err = _SurveyError(
            f"'{_missing[0]}' is not a group of the codebook {DATASETS[_name].codebook} "
            f"(expected some of: {', '.join(_cb.groups)})",
            file=_CONFIG_SOURCE,
            key="brief.quote_attribution",
        )
        sys.stderr.write(f"error: {_err}\n")
        sys.exit(1)

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

BRIEF_TABLES = {
    "responses": "{res}/clean/responses.parquet",
    "validation": "{res}/clean/validation.json",
    "deid_report": "{res}/deidentified/deid_report.json",
    "scores": "{res}/scales/scores.parquet",
    "reliability": "{res}/scales/reliability.parquet",
    "invariance": "{res}/scales/invariance.parquet",
    "agreement": "{res}/analyses/agreement.parquet",
    "published": "{res}/analyses/published_vs_reproduced.parquet",
    "subgroups": "{res}/analyses/subgroups.parquet",
    "subgroup_tests": "{res}/analyses/subgroup_tests.parquet",
    "regressions": "{res}/analyses/regressions.parquet",
    "importance": "{res}/analyses/importance.parquet",
    "drivers": "{res}/analyses/drivers.parquet",
    "imputed": "{res}/analyses/imputed.parquet",
}
if config.get("weights"):
    BRIEF_TABLES["weighted"] = "{res}/analyses/weighted.parquet"


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
    conda:
        "../../envs/mscsurvey.yaml"
    threads: 1
    resources:
        # peak 0.15 GB on the study, 0.6 GB at 10^6 respondents
        mem_mb=mem_mb(1000, 20),
        runtime=10,
    params:
        seed=config["seed"],
        # the brief says so when its data are synthetic (what made them, what they match)
        synthetic=lambda wc: dataset(wc).synthetic or None,
        deidentify=config["deidentify"],
        scales=config["scales"],
        analyses=config["analyses"],
        brief=config["brief"],
    script:
        "../scripts/brief_numbers.py"


rule brief:
    input:
        **BRIEF_SOURCE,
        **BRIEF_TABLES,
        numbers="{res}/brief/numbers.json",
        figures="{res}/figures",
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
        config=config,
        tables=list(BRIEF_TABLES),
        # the work tree for git, not a file prefix (the notebook sits inside it in a checkout)
        repo=lambda wc: BRIEF_REPO,
    script:
        "../scripts/brief.py"
