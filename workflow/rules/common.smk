# Validates config and codebooks and runs every cross-check before any job runs; builds the typed
# settings (mscsurvey.settings) that rules pass on as narrow params; holds every input function.
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
from mscsurvey.settings import Settings
from mscsurvey.settings import cross_check

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
    # typed once; the rules pass on only the blocks they use (so an edit reruns only those rules)
    SETTINGS = Settings.from_config(config, source=_CONFIG_SOURCE)
    # settings naming constructs and groups (driver models, quote attribution), against every codebook
    cross_check(
        SETTINGS,
        CODEBOOKS,
        codebook_paths={n: ds.codebook for n, ds in DATASETS.items()},
        source=_CONFIG_SOURCE,
    )
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
        "seed": ds.synthetic.get("seed", SETTINGS.seed),
        "n_respondents": ds.synthetic.get("n_respondents"),
    }


def deidentify_params(wildcards):
    """The dataset's raw-file settings and the deidentify block without text_chunks (the chunk count
    changes the jobs, not the output)."""
    ds = dataset(wildcards)
    block = {
        k: v for k, v in SETTINGS.deidentify.as_dict().items() if k != "text_chunks"
    }
    return {
        "dataset": ds.name,
        "raw_name": ds.raw,
        "synthetic": ds.synthetic is not None,
        "read_options": ds.read_options,
        **block,
    }


def scrubbed_input(wildcards):
    """The scrub_text chunks of the free text (none when deidentify.text_chunks is 1)."""
    if SETTINGS.deidentify.text_chunks == 1:
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


def output_of(rule, name, ds):
    """A rule's named output (rules.<rule>.output.<name>) for one dataset: its {res} filled in."""
    return expand(getattr(getattr(rules, rule).output, name), res=ds.results)[0]


# The final outputs of a dataset's stages, as (rule, output name): what rule all and the manifest ask for.
DATASET_OUTPUTS = [
    ("deidentify", "responses"),
    ("deidentify", "report"),
    ("clean", "responses"),
    ("clean", "exclusions"),
    ("clean", "validation"),
    *[("scales", n) for n in ("scores", "reliability", "item_stats")],
    ("cfa", "cfa_fit"),
    ("cfa", "cfa_loadings"),
    ("invariance", "invariance"),
    ("agreement", "agreement"),
    ("agreement", "published"),
    ("subgroups", "means"),
    ("regressions", "regressions"),
    ("regressions", "drivers"),
    ("sensitivity", "imputed"),
    ("figures", "figures"),
    ("brief", "html"),
    ("brief", "pdf"),
    ("walk", "site"),
]


def dataset_outputs(ds):
    """The final outputs of every stage of one dataset (what its manifest covers)."""
    outs = list(DATASET_OUTPUTS)
    if SETTINGS.weights is not None:
        outs.insert(
            outs.index(("sensitivity", "imputed")) + 1, ("weighted", "weighted")
        )
    return (
        [output_of(rule, name, ds) for rule, name in outs]
        + [f"{ds.results}/{f}" for f in TABLES_FILES]
        + release_outputs(ds)
    )


def brief_config(wildcards):
    """The config a dataset's brief is made from (its provenance hashes it): this dataset only, and
    without the comparisons and deidentify.text_chunks, which change none of its outputs; so an edit
    of another dataset or of a comparison does not rerun this brief."""
    ds = dataset(wildcards)
    out = {k: v for k, v in config.items() if k != "comparisons"}
    out["datasets"] = {ds.name: config["datasets"][ds.name]}
    out["deidentify"] = {
        k: v for k, v in config["deidentify"].items() if k != "text_chunks"
    }
    return out


# The public-use release (workflow/rules/release.smk): microdata on or off, its outputs, the brief's
# quote inputs.
RELEASE_MICRODATA = SETTINGS.release.microdata


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
    outs = [("release_microdata", "disclosure")]
    outs += [
        ("release", n) for n in ("readme", "html", "pdf", "figures", "walk", "tables")
    ]
    if RELEASE_MICRODATA:
        outs += [
            ("release_microdata", "microdata"),
            ("release_microdata", "microdata_csv"),
        ]
    return [output_of(rule, name, ds) for rule, name in outs]


def quote_inputs(wildcards):
    """The disclosure report, the public-use microdata (quotes are attributed only by cells it cannot
    single out) when released, and the dataset's reviewed-quotes file when the config names one.
    """
    ds = dataset(wildcards)
    files = {"disclosure": output_of("release_microdata", "disclosure", ds)}
    if RELEASE_MICRODATA:
        files["microdata"] = output_of("release_microdata", "microdata", ds)
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
        files[f"{role}_scores"] = output_of("scales", "scores", ds)
        files[f"{role}_reliability"] = output_of("scales", "reliability", ds)
        files[f"{role}_responses"] = output_of("clean", "responses", ds)
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


# Which ready job a busy machine starts first: the one with the longest chain of work still after it
# before the brief (benchmarks/RESULTS.md section 0). Without this, Snakemake started agreement,
# sensitivity and invariance before subgroups, whose chain (subgroup charts -> brief) is the longest:
# 10 s of a 50 s cold run with the critical path waiting. Only the order of jobs changes, not outputs.
PRIORITY = {
    "scales": 90,
    "subgroups": 80,
    "sensitivity": 70,
    "cfa": 70,
    "invariance": 60,
    "figure_part:subgroups": 55,
    "regressions": 50,
    "agreement": 50,
    "release_microdata": 40,
    "figure_part:overview": 40,
    "brief_numbers": 40,
}


def figure_part_priority(wildcards):
    return PRIORITY.get(f"figure_part:{wildcards.part}", 0)


def all_outputs(wildcards):
    """Every dataset's outputs and its audit manifest (a synthetic one's ground truth too), and
    every comparison's tables."""
    out = [f"{rawdir}/truth.json" for rawdir in SYNTHETIC]
    for ds in DATASETS.values():
        out += [*dataset_outputs(ds), f"{ds.results}/manifest.json"]
    for comp in COMPARISONS.values():
        out += comparison_outputs(comp)
    return out


# The figure jobs (workflow/rules/figures.smk): the table each name of
# mscsurvey.report.figure_index.part_tables means, as (rule, output name).
FIGURE_TABLES = {
    "agreement": ("agreement", "agreement"),
    "distribution": ("agreement", "distribution"),
    "published": ("agreement", "published"),
    "subgroups": ("subgroups", "means"),
    "subgroup_tests": ("subgroups", "tests"),
    "regressions": ("regressions", "regressions"),
    "importance": ("regressions", "importance"),
    "reliability": ("scales", "reliability"),
}


def figure_part_input(wildcards):
    """The tables one figure job draws from, and the codebook."""
    ds = dataset(wildcards)
    tables = {
        name: output_of(*FIGURE_TABLES[name], ds)
        for name in part_tables(wildcards.part)
    }
    return {**tables, "codebook": ds.codebook}
