"""The mscsurvey command: the checks a person runs outside the workflow, and the workflow itself.

mscsurvey run                  run the whole workflow, one line per finished step
mscsurvey check                validate the config, the codebooks and each raw file (read-only)
mscsurvey scan-leaks           search a dataset's results folder for identifier values and shapes
mscsurvey verify               check a dataset's results folder against its manifest.json
mscsurvey codebook draft FILE  infer a draft codebook from a raw export (for review)
mscsurvey quotes -o FILE       write a dataset's candidate quotes to a CSV for a person to review
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from mscsurvey.errors import SurveyError
from mscsurvey.runner import debug_enabled, os_error_line

__all__ = ["main"]


def _check(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mscsurvey.codebook.check import check_data, placeholders
    from mscsurvey.config import datasets, load_codebooks, load_config, path_warnings
    from mscsurvey.io import read_raw
    from mscsurvey.settings import Settings, cross_check

    errors = 0
    cfg = load_config(args.config)
    codebooks = load_codebooks(cfg, source=args.config)
    for warning in path_warnings(cfg):
        print(f"warning: {warning}", file=sys.stderr)
    # what the workflow checks before any job (workflow/rules/common.smk): the settings' own
    # cross-checks, and the driver models and quote attribution against every codebook
    cross_check(
        Settings.from_config(cfg, source=args.config),
        codebooks,
        codebook_paths={n: ds.codebook for n, ds in datasets(cfg).items()},
        source=args.config,
    )
    for name, ds in datasets(cfg).items():
        cb = codebooks[name]
        todo = placeholders(cb.raw)
        for key in todo:
            print(
                f"error: {ds.codebook}: key '{key}': still holds the draft's placeholder text "
                "(TODO ...); write the real value",
                file=sys.stderr,
            )
        errors += len(todo)
        print(
            f"{ds.name}: codebook {ds.codebook} {'ok' if not todo else f'has {len(todo)} placeholder(s)'}"
            f" ({len(cb.constructs)} constructs, {len(cb.items)} items, {len(cb.groups)} groups); "
            f"results in {ds.results}/"
        )
        if not Path(ds.raw).is_file():
            made = "the workflow generates it" if ds.synthetic else "not checked"
            print(f"{ds.name}: raw file {ds.raw} is not there yet ({made})")
            continue
        # read-only: the raw file is read as the deidentify stage reads it, never written
        found = check_data(
            read_raw(ds.raw, **ds.read_options),
            cb,
            source=ds.raw,
            min_group_n=cfg["analyses"]["min_group_n"],
            k=cfg["deidentify"]["k"],
            config=args.config,
        )
        for f in found:
            print(f"{f.level}: {f.message}", file=sys.stderr)
        n_err = sum(f.level == "error" for f in found)
        n_warn = sum(f.level == "warning" for f in found)
        errors += n_err
        print(
            f"{ds.name}: data {ds.raw} checked against {ds.codebook}: {n_err} error(s), "
            f"{n_warn} warning(s)"
        )
    if errors:
        print(f"{args.config}: {errors} error(s) in the codebooks or data; fix them before running")
        return 1
    print(f"{args.config}: ok")
    return 0


# The project's own texts, whose words and dotted names are not identifiers when outputs repeat them:
# the package (code, schemas, notebook) and, in a source checkout, the workflow and config folders.
PROJECT_TEXTS = [
    __import__("pathlib").Path(__file__).resolve().parent,
    *(
        __import__("pathlib").Path(__file__).resolve().parents[2] / d
        for d in ("workflow", "config")
    ),
]


def _scan_leaks(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mscsurvey.codebook.spec import load_codebook
    from mscsurvey.io import read_raw
    from mscsurvey.privacy.leaks import codebook_vocabulary, project_vocabulary, roster_values, scan
    from mscsurvey.privacy.scrub import detect_many
    from mscsurvey.privacy.shape_scan import metadata_tokens, own_tokens, run_dates, scan_shapes
    from mscsurvey.stages.deidentify import PERSON_COLUMN

    total = 0
    for ds in _chosen(args).values():
        codebook = load_codebook(ds.codebook)
        needles = roster_values(read_raw(ds.raw, **ds.read_options), codebook)
        n_values = sum(len(v) for v in needles.values())
        findings = scan([ds.results], needles)
        for f in findings:
            print(f"LEAK {f.file} ({f.position}): {f.needle_type} {f.value_masked}")
        print(
            f"{ds.name}: searched {ds.results}/ for {n_values} identifier values of {ds.raw}: "
            f"{len(findings)} found"
        )
        shapes, searched = scan_shapes(
            [ds.results],
            detect_many,
            vocabulary=codebook_vocabulary(codebook) | project_vocabulary(),
            skip_columns=[codebook.identifiers.pseudonym, PERSON_COLUMN],
            allowed_dates=run_dates(Path(ds.results) / "brief" / "provenance.json"),
            own=own_tokens([*PROJECT_TEXTS, ds.codebook]) | metadata_tokens(Path(ds.results)),
        )
        for f in shapes:
            print(f"SHAPE {f.file} ({f.position}): {f.needle_type[6:]} {f.value_masked}")
        print(
            f"{ds.name}: searched {searched} texts of {ds.results}/ for identifier shapes "
            f"(e-mails, phones, SSNs, dates, addresses, ID numbers, URLs, handles, IP addresses, "
            f"ZIP codes, people's names, places): {len(shapes)} found"
        )
        total += len(findings) + len(shapes)
    return 1 if total else 0


def _chosen(args: argparse.Namespace) -> dict:
    from mscsurvey.config import datasets, load_config

    chosen = datasets(load_config(args.config))
    if args.dataset:
        if args.dataset not in chosen:
            raise SurveyError(
                f"dataset '{args.dataset}' is not in the config (expected one of: {', '.join(chosen)})",
                file=args.config,
                key="datasets",
            )
        chosen = {args.dataset: chosen[args.dataset]}
    return chosen


def _verify(args: argparse.Namespace) -> int:
    from mscsurvey.audit.manifest import MANIFEST_NAME, NOTES, manifest_digest, verify

    bad = 0
    for ds in _chosen(args).values():
        path = f"{ds.results}/{MANIFEST_NAME}"
        n, diffs = verify(path)
        failures = [d for d in diffs if d.kind not in NOTES]
        for d in diffs:
            print(f"{'NOTE ' if d.kind in NOTES else ''}{d.kind.upper()} {d.path}: {d.detail}")
        verdict = "ok" if not failures else f"{len(failures)} differ"
        print(f"{ds.name}: {n} files of {path} checked: {verdict}")
        # the honest tamper evidence: this digest, recorded elsewhere (a commit, a signed note)
        print(f"{ds.name}: sha256 of {path}: {manifest_digest(path)}")
        bad += len(failures)
    return 1 if bad else 0


def _draft(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mscsurvey.codebook.draft import draft_codebook, render_draft
    from mscsurvey.io import atomic_open, read_raw

    if args.output and Path(args.output).exists() and not args.force:
        raise SurveyError(
            "already exists; the draft is not written over it (choose another -o file or add --force)",
            file=args.output,
        )
    sheet: str | int = int(args.sheet) if str(args.sheet).isdigit() else args.sheet
    df = read_raw(
        args.data_file,
        fmt=args.format,
        delimiter=args.delimiter,
        encoding=args.encoding,
        sheet=sheet,
        skip_rows=args.skip_rows,
    )
    value_labels, variable_labels = {}, {}
    kind = args.format if args.format != "auto" else Path(args.data_file).suffix.lower().lstrip(".")
    if kind in ("sav", "dta"):
        import pyreadstat

        reader = pyreadstat.read_sav if kind == "sav" else pyreadstat.read_dta
        _, meta = reader(args.data_file, metadataonly=True)
        value_labels = meta.variable_value_labels
        variable_labels = {
            c: lab for c, lab in zip(meta.column_names, meta.column_labels, strict=True) if lab
        }
    draft = draft_codebook(
        df,
        source=args.data_file,
        value_labels=value_labels,
        variable_labels=variable_labels,
        k=args.k,
        n_constructs=args.constructs,
    )
    text = render_draft(draft, k=args.k)
    if args.output:
        with atomic_open(args.output) as fh:
            fh.write(text)
        print(
            f"{args.output}: draft codebook written; review it, then set draft: false",
            file=sys.stderr,
        )
    else:
        sys.stdout.write(text)
    return 0


def _quotes(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mscsurvey.codebook.spec import load_codebook
    from mscsurvey.config import datasets, load_config
    from mscsurvey.io import read_parquet
    from mscsurvey.privacy.quotes import review_candidates, write_review_file

    chosen = _chosen(args)
    if len(chosen) > 1:
        raise SurveyError(
            f"the config has {len(chosen)} datasets: name one with --dataset", file=args.config
        )
    (ds,) = chosen.values()
    cfg = load_config(args.config)
    responses = Path(ds.results, "clean", "responses.parquet")
    if not responses.is_file():
        raise SurveyError("not found: run the workflow first", file=str(responses))
    microdata = Path(ds.results, "public", "microdata.parquet")
    candidates = review_candidates(
        read_parquet(responses),
        load_codebook(ds.codebook),
        attribution=cfg["brief"]["quote_attribution"],
        k=int(cfg["deidentify"]["k"]),
        seed=int(cfg["seed"]),
        per_construct=args.per_construct,
        released=read_parquet(microdata) if microdata.is_file() else None,
    )
    publics = [Path(d.results, "public") for d in datasets(cfg).values()]
    out = write_review_file(candidates, args.output, public_dirs=publics, force=args.force)
    print(
        f"{ds.name}: {len(candidates)} candidate quotes written to {out} (restricted: keep it out "
        f"of results/public/); mark decision approve or reject, then set "
        f"datasets.{ds.name}.quotes_reviewed in {args.config}"
    )
    return 0


def _run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mscsurvey.console import run

    snakemake = str(Path(sys.executable).with_name("snakemake"))
    extra = list(args.snakemake_args)
    if args.config != "config/config.yaml" and "--configfile" not in extra:
        extra += ["--configfile", args.config]
    if not any(a == "--cores" or a.startswith("--cores=") or a == "-c" for a in extra):
        extra = ["--cores", "2", *extra]
    return run(extra, snakemake=snakemake if Path(snakemake).exists() else "snakemake")


#: What each command does and an example, shown by ``--help`` as plain sentences.
HELP = {
    "mscsurvey": (
        "Run the survey pipeline and the checks a person makes around it. Each command has its "
        "own help: mscsurvey COMMAND --help.",
        "mscsurvey check",
    ),
    "run": (
        "Run the whole workflow with Snakemake (2 cores unless you give --cores), showing one line "
        "per finished step with its time, then the warnings that matter and where the brief is. "
        "Any further arguments go to Snakemake.",
        "mscsurvey run --cores 2",
    ),
    "check": (
        "Validate the config and every dataset's codebook, as the workflow does before any job, "
        "and check each raw file that exists against its codebook. The raw file is only read, "
        "never changed, and no message shows a value that could identify someone.",
        "mscsurvey --config config/config.yaml check",
    ),
    "scan-leaks": (
        "Search every file of a dataset's results folder for the identifier values of its raw "
        "file (names, e-mails, phones, addresses and the other identifier columns) and for "
        "identifier shapes such as e-mail addresses, phone numbers and dates. Each finding names "
        "the file and the place, and the value is masked. The exit status is 1 when anything is "
        "found.",
        "mscsurvey scan-leaks --dataset msc",
    ),
    "verify": (
        "Check a dataset's results folder against its manifest.json and name every file that "
        "changed, is missing or is not listed. The manifest's digest is printed so that it can be "
        "recorded elsewhere.",
        "mscsurvey verify --dataset msc",
    ),
    "codebook": (
        "Tools for writing a codebook. The only one is draft.",
        "mscsurvey codebook draft data/raw/survey.csv -o data/codebook.yaml",
    ),
    "codebook draft": (
        "Infer a draft codebook from a raw export: the items and their response scales, groups, "
        "identifier columns and free text. Review the draft by hand, then set draft: false in it.",
        "mscsurvey codebook draft data/raw/survey.csv -o data/codebook.yaml",
    ),
    "quotes": (
        "Write the candidate quotes of a dataset to a CSV that a person marks approve or reject. "
        "Keep that file out of the public folder. Real data are quoted only from such a reviewed "
        "file.",
        "mscsurvey quotes --dataset msc -o review/quotes.csv",
    ),
}


def _parser(sub, name: str, short: str) -> argparse.ArgumentParser:
    """A subcommand whose --help shows its description and an example."""
    description, example = HELP[name]
    return sub.add_parser(
        name.split()[-1],
        help=short,
        description=description,
        epilog=f"Example: {example}",
    )


def main(argv: Sequence[str] | None = None) -> int:
    description, example = HELP["mscsurvey"]
    parser = argparse.ArgumentParser(
        prog="mscsurvey", description=description, epilog=f"Example: {example}"
    )
    parser.add_argument("--config", default="config/config.yaml", help="the run configuration")
    sub = parser.add_subparsers(dest="command", required=True)
    r = _parser(sub, "run", "run the workflow, showing one line per finished step and a summary")
    r.add_argument("snakemake_args", nargs=argparse.REMAINDER, help="arguments for Snakemake")
    _parser(sub, "check", "validate the config, the codebooks and the raw data against them")
    p = _parser(sub, "scan-leaks", "search results for identifier values and shapes")
    p.add_argument("--dataset", help="only this dataset of the config")
    p = _parser(sub, "verify", "check results folders against their manifest.json")
    p.add_argument("--dataset", help="only this dataset of the config")
    p = _parser(sub, "codebook", "codebook tools (draft)")
    csub = p.add_subparsers(dest="codebook_command", required=True)
    d = _parser(csub, "codebook draft", "infer a draft codebook from a raw export (review it!)")
    d.add_argument("data_file", help="the raw export: CSV, xlsx, SPSS .sav or Stata .dta")
    d.add_argument("-o", "--output", help="write the draft here (default: standard output)")
    d.add_argument("--force", action="store_true", help="overwrite an existing -o file")
    d.add_argument("--format", default="auto", choices=["auto", "csv", "xlsx", "sav", "dta"])
    d.add_argument("--sheet", default="0", help="Excel sheet name or 0-based index")
    d.add_argument("--skip-rows", type=int, default=0, help="rows above the header row")
    d.add_argument("--delimiter", help="CSV delimiter (detected if not given)")
    d.add_argument("--encoding", help="text encoding (UTF-8 or cp1252 detected if not given)")
    d.add_argument("--k", type=int, default=5, help="smallest group size analyses publish")
    d.add_argument(
        "--constructs",
        type=int,
        metavar="N",
        help="split the item battery into N constructs by factor analysis (default: names, or "
        "parallel analysis when names say nothing)",
    )
    q = _parser(sub, "quotes", "write candidate quotes to a CSV for a person to review")
    q.add_argument("-o", "--output", required=True, help="the review CSV (outside results/public/)")
    q.add_argument("--dataset", help="the dataset (needed when the config has several)")
    q.add_argument("--per-construct", type=int, default=5, help="candidates per construct")
    q.add_argument("--force", action="store_true", help="overwrite an existing -o file")
    # --config is accepted after the subcommand too ('mscsurvey check --config x.yaml'); not after
    # `run`, whose options go to Snakemake (where --config means something else)
    for name, sp in [*sub.choices.items(), ("codebook draft", d)]:
        if name not in ("run", "codebook"):
            sp.add_argument("--config", default=argparse.SUPPRESS, help="the run configuration")
    # `run` passes what it does not know to Snakemake (argparse's REMAINDER misses "--cores")
    args, rest = parser.parse_known_args(argv)
    if args.command == "run":
        args.snakemake_args = [*rest, *args.snakemake_args]
    elif rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.command == "codebook":
        args.command = "codebook draft"
    commands = {
        "run": _run,
        "check": _check,
        "scan-leaks": _scan_leaks,
        "verify": _verify,
        "codebook draft": _draft,
        "quotes": _quotes,
    }
    try:
        return commands[args.command](args)
    except SurveyError as exc:
        if debug_enabled():
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # permission denied, disk full, a file vanishing mid-read: one line too
        if debug_enabled():
            raise
        print(f"error: {os_error_line(exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
