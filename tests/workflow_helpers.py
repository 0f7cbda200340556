"""Run the Snakemake workflow on a small synthetic study in a temporary folder (for end-to-end tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))


def write_config(
    workdir: Path,
    *,
    n_respondents: int | None = 240,
    source: str = "config/config.yaml",
    **overrides,
) -> Path:
    """Write ``config/config.yaml`` in ``workdir``: the project's config (or ``source``, e.g. an
    example study's), with the synthetic datasets' files taken from the repository and a smaller
    sample; raw data and results stay relative, inside ``workdir``."""
    with open(ROOT / source, encoding="utf-8") as fh:
        cfg = yaml.safe_load(fh)
    for ds in cfg["datasets"].values():
        ds["codebook"] = str(ROOT / ds["codebook"])
        if ds.get("published"):
            ds["published"] = str(ROOT / ds["published"])
        if ds.get("synthetic"):
            ds["synthetic"]["model"] = str(ROOT / ds["synthetic"]["model"])
            ds["synthetic"]["published"] = str(ROOT / ds["synthetic"]["published"])
            if n_respondents is not None:
                ds["synthetic"]["n_respondents"] = n_respondents
    for dotted, value in overrides.items():
        node = cfg
        *parents, last = dotted.split("__")
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = value
    path = workdir / "config" / "config.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return path


def snakemake(
    workdir: Path, *args: str, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run the project's Snakefile with ``workdir`` as working directory (``env``: extra variables;
    no pseudonym key from the caller's environment otherwise)."""
    extra = env or {}
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.pop("MSCSURVEY_PSEUDONYM_KEY", None)
    env.update(extra)
    cmd = [
        SNAKEMAKE,
        "-s",
        str(ROOT / "Snakefile"),
        "--directory",
        str(workdir),
        "--cores",
        "2",
        *args,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=workdir)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"snakemake {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}"
        )
    return proc


def planned_jobs(workdir: Path, *args: str) -> set[str]:
    """Names of the rules a dry run would execute."""
    # targets first: --quiet takes several values and would swallow them
    proc = snakemake(workdir, *args, "--dry-run", "--quiet", "rules")
    jobs = set()
    for line in proc.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit() and parts[0] not in ("total", "job", "rule"):
            jobs.add(parts[0])
    return jobs
