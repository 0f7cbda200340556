"""What a run was made from: git state, config hash, input digests, package versions, run date.

The brief's ``provenance.json`` (rule ``brief``) and the results manifest (rule ``manifest``) both
record these; they change from run to run, so they are kept out of ``numbers.json``.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import platform
import subprocess
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from mscsurvey.io import sha256_file

__all__ = [
    "PACKAGES",
    "config_hash",
    "git_state",
    "input_digest",
    "package_versions",
    "run_date",
    "provenance",
]

#: Packages whose versions the provenance records (those that shape the numbers and the brief).
PACKAGES = (
    "mscsurvey",
    "snakemake",
    "pandas",
    "numpy",
    "pyarrow",
    "scipy",
    "statsmodels",
    "pingouin",
    "semopy",
    "pandera",
    "presidio-analyzer",
    "matplotlib",
    "nbclient",
    "nbconvert",
    "jupytext",
    "pypandoc-binary",
    "typst",
)


def config_hash(config: Mapping[str, Any]) -> str:
    """sha256 of the config's canonical JSON (sorted keys, no whitespace, UTF-8)."""
    text = json.dumps(
        config, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def git_state(repo: str | os.PathLike[str] | None) -> dict[str, Any]:
    """``commit`` and ``dirty`` of the git work tree at ``repo``; both None without git or a repo."""
    state: dict[str, Any] = {"commit": None, "dirty": None}
    if repo is None:
        return state
    try:
        commit = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=20,
        )
        if commit.returncode != 0:
            return state
        status = subprocess.run(
            ["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=20,
        )
    except (OSError, subprocess.SubprocessError):
        return state
    state["commit"] = commit.stdout.strip() or None
    state["dirty"] = bool(status.stdout.strip()) if status.returncode == 0 else None
    return state


def package_versions(names: Sequence[str] = PACKAGES) -> dict[str, str]:
    """Installed versions of ``names`` (``"not installed"`` when absent), plus Python's."""
    out = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def run_date() -> str:
    """Today's date (UTC, ISO), or the date of ``SOURCE_DATE_EPOCH`` when set (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return _dt.datetime.fromtimestamp(int(epoch), tz=_dt.UTC).date().isoformat()
    return _dt.datetime.now(tz=_dt.UTC).date().isoformat()


def input_digest(path: str | os.PathLike[str]) -> dict[str, Any]:
    """``{"path", "sha256"}`` of a file; of a folder also ``files`` (each file's digest), its
    ``sha256`` being the digest of the sorted ``relative path NUL digest`` lines."""
    p = Path(path)
    if not p.is_dir():
        return {"path": p.as_posix(), "sha256": sha256_file(p)}
    members = {
        f.relative_to(p).as_posix(): sha256_file(f)
        for f in sorted(q for q in p.rglob("*") if q.is_file())
    }
    listing = "".join(f"{rel}\0{digest}\n" for rel, digest in members.items())
    return {
        "path": p.as_posix(),
        "sha256": hashlib.sha256(listing.encode("utf-8")).hexdigest(),
        "files": members,
    }


def provenance(
    *,
    config: Mapping[str, Any],
    inputs: Mapping[str, str | os.PathLike[str]],
    repo: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """What the brief was made from: run date, git state, config hash, input digests, versions.

    Parameters
    ----------
    config : mapping
        The validated config the brief was made from, hashed as canonical JSON (the workflow
        passes its dataset's part: no other dataset, comparison or ``deidentify.text_chunks``,
        which change none of its outputs, so editing them does not rerun the brief).
    inputs : mapping
        Name -> path of every table the brief reads. A file's entry is ``{"path", "sha256"}``; a
        folder's ``{"path", "sha256", "files"}`` with every file's digest in ``files`` and, as
        ``sha256``, the digest of the sorted ``relative path NUL digest`` lines.
    repo : path-like, optional
        The project's work tree (for the git commit and whether it had uncommitted changes).

    Returns
    -------
    dict
        ``run_date``, ``git`` (``commit``, ``dirty``), ``config_sha256``, ``inputs`` (name ->
        ``{"path", "sha256"}``), ``packages``.
    """
    return {
        "run_date": run_date(),
        "git": git_state(repo),
        "config_sha256": config_hash(config),
        "inputs": {name: input_digest(path) for name, path in sorted(inputs.items())},
        "packages": package_versions(),
    }
