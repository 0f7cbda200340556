# Validates config and codebooks before any job runs, and holds every input function.
import re
import sys
from pathlib import Path

from snakemake.utils import update_config

from mscsurvey.config import comparisons as _comparisons
from mscsurvey.config import datasets as _datasets
from mscsurvey.config import load_codebooks
from mscsurvey.config import path_warnings
from mscsurvey.config import validate_config
from mscsurvey.errors import SurveyError
from mscsurvey.report.figure_index import FIGURE_PARTS
from mscsurvey.report.figure_index import part_tables
from mscsurvey.stages.release import PUBLIC_TABLES
from mscsurvey.schema import load_yaml

# The run's config: --configfile replaces config/config.yaml (rather than being merged into it, which
# would mix the default dataset into a student's own); --config key=value overrides either.
_CONFIG_SOURCE = (
    str(workflow.configfiles[-1]) if workflow.configfiles else "config/config.yaml"
)
if Path(_CONFIG_SOURCE).is_absolute():
    try:
        _CONFIG_SOURCE = str(Path(_CONFIG_SOURCE).relative_to(Path.cwd()))
    except ValueError:
        pass
try:
    # read (bounded: size, alias expansion) even when Snakemake has loaded a --configfile itself
    _from_file = load_yaml(_CONFIG_SOURCE)
    if not workflow.configfiles:
        _merged = _from_file or {}
        update_config(_merged, dict(config))
        config.clear()
        config.update(_merged)
    _validated = validate_config(dict(config), source=_CONFIG_SOURCE)
    config.clear()
    config.update(_validated)
    DATASETS = _datasets(config)
    COMPARISONS = _comparisons(config)
    CODEBOOKS = load_codebooks(config, source=_CONFIG_SOURCE)
    for _warning in path_warnings(config):
        sys.stderr.write(f"warning: {_warning}\n")
except SurveyError as exc:
    sys.stderr.write(f"error: {exc}\n")
    sys.exit(1)

BY_RESULTS = {ds.results: ds for ds in DATASETS.values()}
SYNTHETIC = {ds.raw_dir: ds for ds in DATASETS.values() if ds.synthetic}
BY_COMPARISON = {c.results: c for c in COMPARISONS.values()}


def _alternatives(values):
    return (
        "|".join(re.escape(v) for v in sorted(values, key=len, reverse=True)) or "(?!)"
    )


def mem_mb(floor, per_input_mb):
    """A rule's memory request (MB) growing with its inputs: 500 MB (Python and the libraries) plus
    `per_input_mb` per MB of input files (Parquet, compressed), never below `floor`. The factors are
    about 1.5 times the peaks measured up to 10^6 respondents (benchmarks/RESULTS.md).
    """
    return lambda wildcards, input: max(floor, int(500 + per_input_mb * input.size_mb))


def dataset(wildcards):
    return BY_RESULTS[wildcards.res]


def raw_input(wildcards):
    """The raw export and, when the dataset has one, its pseudonym key file."""
    ds = dataset(wildcards)
    files = {"raw": ds.raw, "codebook": ds.codebook}
    if ds.key_file:
        files["key"] = ds.key_file
    return files


def synthetic_input(wildcards):
    ds = SYNTHETIC[wildcards.rawdir]
    return {
        "codebook": ds.codebook,
        "model": ds.synthetic["model"],
        "published": ds.synthetic["published"],
    }


def synthetic_params(wildcards):
    ds = SYNTHETIC[wildcards.rawdir]
    # A dataset's own seed lets two synthetic waves of one model differ (default: the global seed).
    return {
        "seed": ds.synthetic.get("seed", config["seed"]),
        "n_respondents": ds.synthetic.get("n_respondents"),
    }


def deidentify_params(wildcards):
    ds = dataset(wildcards)
    return {
        "dataset": ds.name,
        "raw_name": ds.raw,
        "synthetic": ds.synthetic is not None,
        "read_options": ds.read_options,
        **config["deidentify"],
    }


def scrubbed_input(wildcards):
    """The scrub_text chunks of the free text (none when deidentify.text_chunks is 1)."""
    if config["deidentify"]["text_chunks"] == 1:
        return {}
    stem = f"{wildcards.res}/deidentified/text/{{scatteritem}}"
    return {
        "texts": scatter.scrub(f"{stem}.parquet"),
        "counts": scatter.scrub(f"{stem}.json"),
    }


def scrub_params(wildcards):
    """What a scrub_text job needs to read the raw file (not the k or key settings: a change of
    those does not rerun the chunks)."""
    ds = dataset(wildcards)
    return {"raw_name": ds.raw, "read_options": ds.read_options}


def published_input(wildcards):
    """The dataset's published findings CSV, when the config names one (else no input)."""
    path = config["datasets"][dataset(wildcards).name].get("published")
    return {"published": path} if path else {}


def dataset_outputs(ds):
    """The final outputs of every stage of one dataset (what its manifest covers)."""
    return [
        f"{ds.results}/deidentified/responses.parquet",
        f"{ds.results}/deidentified/deid_report.json",
        f"{ds.results}/clean/responses.parquet",
        f"{ds.results}/clean/exclusions.parquet",
        f"{ds.results}/clean/validation.json",
        f"{ds.results}/scales/scores.parquet",
        f"{ds.results}/scales/reliability.parquet",
        f"{ds.results}/scales/item_stats.parquet",
        f"{ds.results}/scales/cfa_fit.parquet",
        f"{ds.results}/scales/cfa_loadings.parquet",
        f"{ds.results}/scales/invariance.parquet",
        f"{ds.results}/analyses/agreement.parquet",
        f"{ds.results}/analyses/published_vs_reproduced.parquet",
        f"{ds.results}/analyses/subgroups.parquet",
        f"{ds.results}/analyses/regressions.parquet",
        f"{ds.results}/analyses/drivers.parquet",
        f"{ds.results}/analyses/imputed.parquet",
        *([f"{ds.results}/analyses/weighted.parquet"] if config.get("weights") else []),
        *[f"{ds.results}/{f}" for f in TABLES_FILES],
        f"{ds.results}/figures",
        f"{ds.results}/brief/brief.html",
        f"{ds.results}/brief/brief.pdf",
        f"{ds.results}/walk",
        *release_outputs(ds),
    ]


# The public-use release (workflow/rules/release.smk): microdata on or off, its outputs, the brief's
# quote inputs.
RELEASE_MICRODATA = bool(config["release"]["microdata"])


def release_microdata_outputs():
    out = {
        "disclosure": report(
            "{res}/public/disclosure.json",
            caption="../report/disclosure.rst",
            category="8. Release",
        )
    }
    if RELEASE_MICRODATA:
        out["microdata"] = "{res}/public/microdata.parquet"
        out["microdata_csv"] = "{res}/public/microdata.csv"
    return out


def release_outputs(ds):
    """A dataset's public-use files (what rule all and the manifest ask for)."""
    files = [
        f"{ds.results}/public/disclosure.json",
        f"{ds.results}/public/README.txt",
        f"{ds.results}/public/brief.html",
        f"{ds.results}/public/brief.pdf",
        f"{ds.results}/public/figures",
        f"{ds.results}/public/walk",
        f"{ds.results}/public/tables",
    ]
    if RELEASE_MICRODATA:
        files += [
            f"{ds.results}/public/microdata.parquet",
            f"{ds.results}/public/microdata.csv",
        ]
    return files


def quote_inputs(wildcards):
    """The disclosure report, the public-use microdata (quotes are attributed only by cells it cannot
    single out) when released, and the dataset's reviewed-quotes file when the config names one.
    """
    files = {"disclosure": f"{wildcards.res}/public/disclosure.json"}
    if RELEASE_MICRODATA:
        files["microdata"] = f"{wildcards.res}/public/microdata.parquet"
    reviewed = config["datasets"][dataset(wildcards).name].get("quotes_reviewed")
    if reviewed:
        files["quotes_reviewed"] = reviewed
    return files


def comparison_input(wildcards):
    """Both datasets' construct scores, reliability, clean responses and codebooks (earlier first)."""
    comp = BY_COMPARISON[wildcards.cmp]
    files = {}
    for role, name in (("earlier", comp.earlier), ("later", comp.later)):
        ds = DATASETS[name]
        files[f"{role}_scores"] = f"{ds.results}/scales/scores.parquet"
        files[f"{role}_reliability"] = f"{ds.results}/scales/reliability.parquet"
        files[f"{role}_responses"] = f"{ds.results}/clean/responses.parquet"
        files[f"{role}_codebook"] = ds.codebook
    return files


def comparison_outputs(comp):
    return [
        f"{comp.results}/construct_means.parquet",
        f"{comp.results}/construct_means.csv",
        f"{comp.results}/item_agreement.parquet",
        f"{comp.results}/item_agreement.csv",
        f"{comp.results}/html/construct_means.html",
        f"{comp.results}/html/item_agreement.html",
    ]


def all_outputs(wildcards):
    """Every dataset's outputs and its audit manifest, and every comparison's tables."""
    out = []
    for ds in DATASETS.values():
        out += [*dataset_outputs(ds), f"{ds.results}/manifest.json"]
    for comp in COMPARISONS.values():
        out += comparison_outputs(comp)
    return out


# The figure jobs (workflow/rules/figures.smk): the tables each part of the figures reads.
FIGURE_TABLES = {
    "agreement": "{res}/analyses/agreement.parquet",
    "distribution": "{res}/analyses/agreement_distribution.parquet",
    "published": "{res}/analyses/published_vs_reproduced.parquet",
    "subgroups": "{res}/analyses/subgroups.parquet",
    "subgroup_tests": "{res}/analyses/subgroup_tests.parquet",
    "regressions": "{res}/analyses/regressions.parquet",
    "importance": "{res}/analyses/importance.parquet",
    "reliability": "{res}/scales/reliability.parquet",
}


def figure_part_input(wildcards):
    """The tables one figure job draws from, and the codebook."""
    tables = {name: FIGURE_TABLES[name] for name in part_tables(wildcards.part)}
    return {**tables, "codebook": dataset(wildcards).codebook}
