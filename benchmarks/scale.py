"""How the analysis stages grow with the number of respondents: 1k, 10k, 100k and 1M respondents x 40
items of the synthetic study's model (see benchmarks/scale_data.py for how the data are drawn).

    python benchmarks/scale.py [--sizes 1000,10000,100000,1000000] [--workdir DIR] [--keep] [--raw]

With ``--raw`` every size also gets an identified raw export (``scale_data.raw_export``: the
generator's answers resampled, a name, e-mail, phone, address and IP per respondent, a distinct
comment for one respondent in five) and two stages run first: ``deidentify`` (reading the CSV,
pseudonyms, screening every typed cell, generalising, scrubbing the comments with every detector,
k-anonymity, the leak check) and ``clean`` (on the de-identified table). The analysis stages still
read the latent model's clean table (``scale_data.clean_responses``).

Per size and stage, in a fresh Python process each (so that peak memory is the stage's own): seconds
to read the stage's Parquet inputs, to compute, to write its outputs, and the process's peak resident
memory (``resource.getrusage(RUSAGE_SELF).ru_maxrss``) beside the resident memory after the imports.
The stages are the workflow's adapters' library calls:

- ``scales``: scores, reliability (alpha with a bootstrap CI of 1,000 resamples, omega, item
  statistics) and the CFA of all constructs (``run_scales``, ``scales.alpha_ci: bootstrap``);
- ``agreement``: % agreed per item with Wilson CIs and the response distribution;
- ``subgroups``: group means, Welch/Kruskal/Games-Howell, one-vs-rest, mixed-model check;
- ``regressions``: the study's two driver models (OLS with cluster and HC3 SEs, mixed model,
  dominance analysis);
- ``brief_numbers``: every number of the brief (its size must not grow with n);
- ``figures`` and ``brief``: the figures, and the notebook rendered to HTML and PDF (their time and
  size must not grow with n either).

Then the growth of each stage per tenfold n (the exponent b of time ~ n^b between sizes) and whether
the 1M run meets the target (the four analysis stages <= 120 s in total, each <= 4 GiB peak). Not a
test: it prints figures, with the load average (timings on a shared machine are inflated).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
STAGES = ("scales", "agreement", "subgroups", "regressions", "brief_numbers", "figures", "brief")
ANALYSES = STAGES[:4]
#: stages that start from the identified raw export (``--raw``): de-identification (every detector)
#: and cleaning of the de-identified table
RAW_STAGES = ("deidentify", "clean")
#: rows of the project's own generator export that raw_export resamples answers from
BASE_ROWS = 2000
SEED = 20200601


def _rss_mb() -> float:
    """Peak resident memory of this process so far (MB): VmHWM, which starts afresh at exec. (A
    child's ru_maxrss would start at its parent's peak: Linux copies it at fork.)"""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _config() -> dict:
    import yaml

    from mscsurvey.schema import schema_path, validate

    with open(ROOT / "config" / "config.yaml", encoding="utf-8") as fh:
        cfg = yaml.safe_load(fh)
    cfg["scales"]["alpha_ci"] = "bootstrap"
    cfg["scales"]["bootstrap_resamples"] = 1000
    # the schema fills the defaults the typed settings are built from (no path checks: a benchmark
    # runs from any folder)
    return validate(cfg, schema_path("config"), source="config/config.yaml")


def child(stage: str, folder: Path, codebook_path: Path) -> dict[str, float]:
    """Run one stage as the workflow's adapter does; return its timings and memory."""
    t0 = time.perf_counter()
    import pyarrow.parquet  # noqa: F401 (imported here so that its import is not timed as a read)

    from mscsurvey.codebook.spec import load_codebook
    from mscsurvey.io import read_parquet, write_json, write_parquet
    from mscsurvey.settings import Settings
    from mscsurvey.stages import agreement, scales, subgroups
    from mscsurvey.stages import regressions as regression
    from mscsurvey.stages.brief_numbers import brief_numbers

    cb = load_codebook(codebook_path)
    cfg = _config()
    read_parquet(folder / "warmup.parquet")  # the first Parquet read imports more modules
    imported = time.perf_counter() - t0
    base_rss = _rss_mb()
    out: dict[str, float] = {"import_s": imported, "base_rss_mb": base_rss}
    t = time.perf_counter()
    if stage in RAW_STAGES:
        out.update(raw_stage(stage, folder, cb, cfg))
        out["peak_rss_mb"] = _rss_mb()
        return out
    if stage == "scales":
        responses = read_parquet(folder / "clean.parquet", scales.input_columns(cb))
        out["read_s"] = time.perf_counter() - t
        t = time.perf_counter()
        res = scales.run_scales(
            responses, cb, settings=Settings.from_config(cfg).scales, seed=cfg["seed"]
        )
        out["compute_s"] = time.perf_counter() - t
        t = time.perf_counter()
        write_parquet(res.scores, folder / "scores.parquet")
        write_parquet(res.reliability, folder / "reliability.parquet")
        write_parquet(res.items, folder / "item_stats.parquet")
        write_parquet(res.cfa_fit, folder / "cfa_fit.parquet")
        write_parquet(res.cfa_loadings, folder / "cfa_loadings.parquet")
    elif stage == "agreement":
        responses = read_parquet(folder / "clean.parquet", agreement.input_columns(cb))
        out["read_s"] = time.perf_counter() - t
        t = time.perf_counter()
        items = agreement.item_agreement(responses, cb, ci_level=cfg["analyses"]["ci_level"])
        dist = agreement.agreement_distribution(responses, cb)
        published = agreement.compare_published(
            items, agreement.read_published(ROOT / "data" / "published_findings.csv", cb)
        )
        out["compute_s"] = time.perf_counter() - t
        t = time.perf_counter()
        write_parquet(items, folder / "agreement.parquet")
        write_parquet(dist, folder / "agreement_distribution.parquet")
        write_parquet(published, folder / "published_vs_reproduced.parquet")
    elif stage == "subgroups":
        scores = read_parquet(folder / "scores.parquet", subgroups.input_columns(cb))
        reliability = read_parquet(folder / "reliability.parquet")
        out["read_s"] = time.perf_counter() - t
        t = time.perf_counter()
        res = subgroups.subgroup_analysis(
            scores,
            cb,
            reliability=reliability,
            min_group_n=cfg["analyses"]["min_group_n"],
            ci_level=cfg["analyses"]["ci_level"],
        )
        out["compute_s"] = time.perf_counter() - t
        t = time.perf_counter()
        write_parquet(res.means, folder / "subgroups.parquet")
        write_parquet(res.tests, folder / "subgroup_tests.parquet")
        write_parquet(res.pairwise, folder / "pairwise.parquet")
    elif stage == "regressions":
        models = cfg["analyses"]["models"]
        scores = read_parquet(folder / "scores.parquet", regression.input_columns(models, cb))
        reliability = read_parquet(folder / "reliability.parquet")
        out["read_s"] = time.perf_counter() - t
        t = time.perf_counter()
        res = regression.run_models(
            scores,
            cb,
            models,
            reliability=reliability,
            ci_level=cfg["analyses"]["ci_level"],
            top=cfg["analyses"]["top_drivers"],
        )
        out["compute_s"] = time.perf_counter() - t
        t = time.perf_counter()
        write_parquet(res.regressions, folder / "regressions.parquet")
        write_parquet(res.importance, folder / "importance.parquet")
        write_parquet(res.drivers, folder / "drivers.parquet")
    elif stage == "brief_numbers":
        tables = ("responses", "scores", "reliability", "agreement", "published", "subgroups")
        tables += ("subgroup_tests", "regressions", "importance", "drivers")
        files = {"responses": "clean", "published": "published_vs_reproduced"}
        columns = {  # as the brief_numbers adapter reads them
            "responses": [cb.identifiers.pseudonym, *cb.identifiers.free_text]
            + list(cfg["brief"]["quote_attribution"])
            + [cb.cluster],
            "scores": list(cb.constructs),
        }
        data = {
            n: read_parquet(folder / f"{files.get(n, n)}.parquet", columns.get(n)) for n in tables
        }
        n = len(data["responses"])
        out["read_s"] = time.perf_counter() - t
        t = time.perf_counter()
        numbers = brief_numbers(
            codebook=cb,
            settings=Settings.from_config(cfg).numbers(),
            validation={
                "received": n,
                "analysed": n,
                "excluded": {},
                "flow": [{"step": "received", "n": n}, {"step": "analysed", "n": n}],
            },
            deid_report=json.loads((folder / "deid_report.json").read_text(encoding="utf-8")),
            **data,
        )
        out["compute_s"] = time.perf_counter() - t
        t = time.perf_counter()
        write_json(numbers, folder / "numbers.json")
        out["numbers_json_bytes"] = (folder / "numbers.json").stat().st_size
    elif stage == "figures":
        from mscsurvey.report.figures import FigureStyle
        from mscsurvey.stages.figures import build_figures

        names = {"distribution": "agreement_distribution", "published": "published_vs_reproduced"}
        tables = ("agreement", "distribution", "published", "subgroups", "subgroup_tests")
        tables += ("regressions", "importance", "reliability")
        data = {n: read_parquet(folder / f"{names.get(n, n)}.parquet") for n in tables}
        out["read_s"] = time.perf_counter() - t
        t = time.perf_counter()
        build_figures(
            codebook=cb,
            **data,
            models=cfg["analyses"]["models"],
            thresholds=cfg["scales"]["thresholds"],
            style=FigureStyle.from_settings(Settings.from_config(cfg).figures),
            out_dir=folder / "figures",
        )
        out["compute_s"] = time.perf_counter() - t
        t = time.perf_counter()
    elif stage == "brief":
        from mscsurvey.audit.provenance import provenance
        from mscsurvey.data import notebook_path
        from mscsurvey.stages.brief import render_brief

        out["read_s"] = 0.0
        t = time.perf_counter()
        prov = provenance(config=cfg, inputs={"numbers": folder / "numbers.json"}, repo=ROOT)
        write_json(prov, folder / "provenance.json")
        render_brief(
            notebook_path(),
            params={
                "numbers": str(folder / "numbers.json"),
                "provenance": str(folder / "provenance.json"),
                "figures_dir": str(folder / "figures"),
            },
            workdir=folder,
            html_out=folder / "brief.html",
            pdf_out=folder / "brief.pdf",
            metadata={"title": "Scale benchmark", "subtitle": "", "date": prov["run_date"]},
        )
        out["compute_s"] = time.perf_counter() - t
        t = time.perf_counter()
        out["html_bytes"] = (folder / "brief.html").stat().st_size
        out["pdf_bytes"] = (folder / "brief.pdf").stat().st_size
    else:
        raise SystemExit(f"unknown stage {stage!r}")
    out["write_s"] = time.perf_counter() - t
    out["peak_rss_mb"] = _rss_mb()
    return out


def raw_stage(stage: str, folder: Path, cb, cfg: dict) -> dict[str, float]:
    """De-identify the raw export or clean the de-identified table, as the workflow's adapters do."""
    from mscsurvey.io import read_parquet, read_raw, write_json, write_parquet
    from mscsurvey.privacy.pseudonym import PseudonymKey
    from mscsurvey.settings import Settings
    from mscsurvey.stages.clean import clean
    from mscsurvey.stages.deidentify import deidentify

    out: dict[str, float] = {}
    t = time.perf_counter()
    if stage == "deidentify":
        raw = read_raw(folder / "raw.csv")
        out["read_s"] = time.perf_counter() - t
        t = time.perf_counter()
        responses, report = deidentify(
            raw,
            cb,
            key=PseudonymKey(bytes(range(32)), "file"),
            k=cfg["deidentify"]["k"],
            quasi_identifiers=None,
            pseudonym_length=cfg["deidentify"]["pseudonym_length"],
            source="raw.csv",
        )
        out["compute_s"] = time.perf_counter() - t
        out["comments"] = report["free_text"]["comments"]
        t = time.perf_counter()
        write_parquet(responses, folder / "deidentified.parquet")
        write_json(report, folder / "deid_report_raw.json")
    else:
        deid = read_parquet(folder / "deidentified.parquet")
        out["read_s"] = time.perf_counter() - t
        t = time.perf_counter()
        res = clean(deid, cb, settings=Settings.from_config(cfg).clean, source="raw.csv")
        out["compute_s"] = time.perf_counter() - t
        t = time.perf_counter()
        write_parquet(res.responses, folder / "clean_from_raw.parquet")
        write_parquet(res.exclusions, folder / "exclusions.parquet")
        write_json(res.validation, folder / "validation.json")
    out["write_s"] = time.perf_counter() - t
    return out


def make_raw(folder: Path, codebook_path: Path, n: int) -> float:
    """Write the identified raw export of ``n`` rows (raw.csv): see scale_data.raw_export."""
    sys.path.insert(0, str(HERE))
    from scale_data import base_export, raw_export

    from mscsurvey.codebook.spec import load_codebook

    t = time.perf_counter()
    cached = codebook_path.parent / "base.parquet"
    if cached.exists():
        base = pd_read(cached)
    else:
        base = base_export(codebook_path, BASE_ROWS, SEED)
        base.to_parquet(cached)
    frame = raw_export(base, load_codebook(codebook_path), n, seed=SEED)
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_csv(folder / "raw.csv", index=False)
    return time.perf_counter() - t


def pd_read(path: Path):
    import pandas as pd

    return pd.read_parquet(path)


def make_data(folder: Path, codebook_path: Path, n: int) -> float:
    sys.path.insert(0, str(HERE))
    from scale_data import clean_responses

    from mscsurvey.codebook.spec import load_codebook
    from mscsurvey.io import write_parquet

    t = time.perf_counter()
    frame = clean_responses(load_codebook(codebook_path), n, seed=SEED)
    folder.mkdir(parents=True, exist_ok=True)
    write_parquet(frame, folder / "clean.parquet")
    write_parquet(frame.head(5), folder / "warmup.parquet")
    deid = ROOT / "results" / "deidentified" / "deid_report.json"
    report = json.loads(deid.read_text(encoding="utf-8")) if deid.exists() else {}
    (folder / "deid_report.json").write_text(json.dumps(report), encoding="utf-8")
    return time.perf_counter() - t


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + (
        os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else ""
    )
    return env


def run_make(folder: Path, codebook_path: Path, n: int, raw: bool = False) -> float:
    """Draw the data in a process of its own (this one stays small: see _rss_mb)."""
    proc = subprocess.run(
        [sys.executable, __file__, "--make", str(n), "--folder", str(folder)]
        + ["--codebook", str(codebook_path)]
        + (["--raw"] if raw else []),
        capture_output=True,
        text=True,
        env=_env(),
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"drawing {n} respondents failed")
    return float(json.loads(proc.stdout.strip().splitlines()[-1])["seconds"])


def run_child(stage: str, folder: Path, codebook_path: Path) -> dict[str, float]:
    env = _env()
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, __file__, "--child", stage, "--folder", str(folder)]
        + ["--codebook", str(codebook_path)],
        capture_output=True,
        text=True,
        env=env,
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"stage {stage} failed at {folder.name}")
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    res["process_s"] = time.perf_counter() - t
    res["stage_s"] = res["read_s"] + res["compute_s"] + res["write_s"]
    return res


def load() -> str:
    return ", ".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,10000,100000,1000000")
    ap.add_argument("--stages", default=",".join(STAGES))
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument(
        "--raw",
        action="store_true",
        help="also start from an identified raw export: de-identify and clean stages first",
    )
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--make", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--folder", type=Path, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--codebook", type=Path, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.folder, args.codebook)))
        return
    if args.make:
        seconds = make_data(args.folder, args.codebook, args.make)
        if args.raw:
            seconds += make_raw(args.folder, args.codebook, args.make)
        print(json.dumps({"seconds": seconds}))
        return
    sys.path.insert(0, str(HERE))
    from scale_data import codebook_40

    sizes = [int(s) for s in args.sizes.split(",")]
    stages = [s for s in args.stages.split(",") if s]
    if args.raw:
        stages = [*RAW_STAGES, *(s for s in stages if s not in RAW_STAGES)]
    work = args.workdir or Path(tempfile.mkdtemp(prefix="mscsurvey-scale-"))
    cb_path = codebook_40(work / "codebook40.yaml")
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    print(
        f"# scale benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {commit} (+ work tree)"
    )
    print(f"# {platform.node()}: {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"# command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    results: dict[int, dict[str, dict[str, float]]] = {}
    try:
        for n in sizes:
            folder = work / f"n{n}"
            gen = run_make(folder, cb_path, n, raw=args.raw)
            print(f"\nn = {n:,}: data drawn in {gen:.1f} s (load {load()})")
            print(
                f"{'stage':<14} {'read s':>7} {'compute s':>10} {'write s':>8} {'stage s':>8}"
                f" {'peak MB':>8} {'base MB':>8}  load"
            )
            results[n] = {}
            for stage in stages:
                r = run_child(stage, folder, cb_path)
                results[n][stage] = r
                extra = ""
                if "comments" in r:
                    extra = f"  {int(r['comments']):,} comments"
                if "numbers_json_bytes" in r:
                    extra = f"  numbers.json {int(r['numbers_json_bytes']):,} B"
                if "html_bytes" in r:
                    extra = f"  HTML {int(r['html_bytes']):,} B, PDF {int(r['pdf_bytes']):,} B"
                print(
                    f"{stage:<14} {r['read_s']:>7.2f} {r['compute_s']:>10.2f} {r['write_s']:>8.2f}"
                    f" {r['stage_s']:>8.2f} {r['peak_rss_mb']:>8.0f} {r['base_rss_mb']:>8.0f}"
                    f"  {load()}{extra}",
                    flush=True,
                )
            for label, group in (("raw stages", RAW_STAGES), ("analyses total", ANALYSES)):
                done = [s for s in group if s in results[n]]
                if done:
                    total = sum(results[n][s]["stage_s"] for s in done)
                    peak = max(results[n][s]["peak_rss_mb"] for s in done)
                    print(f"{label:<14} {total:>36.2f} {peak:>8.0f}")
        if len(sizes) > 1:
            print("\ngrowth: exponent b of stage time ~ n^b between consecutive sizes")
            steps = list(zip(sizes, sizes[1:], strict=False))
            print(f"{'stage':<14} " + " ".join(f"{a:>9,}->{b:<9,}" for a, b in steps))
            for stage in stages:
                bs = []
                for a, b in steps:
                    ta, tb = results[a][stage]["stage_s"], results[b][stage]["stage_s"]
                    bs.append(
                        math.log(tb / ta) / math.log(b / a) if ta > 0 and tb > 0 else math.nan
                    )
                print(f"{stage:<14} " + " ".join(f"{v:>19.2f}" for v in bs))
        big = max(sizes)
        if all(s in results[big] for s in ANALYSES):
            total = sum(results[big][s]["stage_s"] for s in ANALYSES)
            peak = max(results[big][s]["peak_rss_mb"] for s in ANALYSES)
            ok = total <= 120 and peak <= 4096
            print(
                f"\nn = {big:,}: analysis stages {total:.1f} s, peak {peak:.0f} MB: "
                f"{'meets' if ok else 'misses'} the target (<= 120 s, <= 4096 MB)"
            )
        if "brief_numbers" in stages:
            sizes_b = {n: int(results[n]["brief_numbers"]["numbers_json_bytes"]) for n in sizes}
            print(
                "numbers.json bytes by n: " + ", ".join(f"{n:,}: {b:,}" for n, b in sizes_b.items())
            )
    finally:
        if args.keep or args.workdir:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
