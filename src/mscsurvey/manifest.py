"""The audit manifest of a results folder, and its verification.

``manifest.json`` lists every file under a dataset's results folder with its sha256 and size, the rule
that produced it, the sha256 of each of that rule's inputs, a hash of the params the rule ran with, and
the code version (git commit, dirty flag) and package versions of the run. ``verify`` compares a folder
with its manifest and names every file that changed, went missing or was added.

Which rule made a file, from which inputs and with which params is read from Snakemake's own record of
each finished job (``.snakemake/metadata``: one JSON per output, named by the urlsafe base64 of its path;
no public API exposes it to a job). A file with no record (benchmarks, or a run with
``--drop-metadata``) is still hashed; its rule is then taken from its place (``logs/<rule>.log``,
``benchmarks/<rule>.tsv``) or left empty.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mscsurvey.errors import SurveyError
from mscsurvey.io import read_json, sha256_file, write_json

__all__ = [
    "MANIFEST_NAME",
    "PUBLIC_DIR",
    "Difference",
    "access_of",
    "build_manifest",
    "verify",
    "write_manifest",
]

MANIFEST_NAME = "manifest.json"
FORMAT_VERSION = 1
#: The folder of a results folder whose files may leave the team (rule ``release``).
PUBLIC_DIR = "public"


def access_of(path: str | os.PathLike[str], results: str | os.PathLike[str]) -> str:
    """``public`` for a file of the release folder ``<results>/public/``, else ``restricted``.

    Only the release folder may leave the team (ICPSR's public-use file): it holds copies of the brief,
    figures and aggregate tables (small cells blank) and the k-anonymous microdata. Everything else
    (de-identified and clean responses, construct scores, the working tables, logs) is restricted:
    the working copies of aggregates included, since only the released copies were checked.
    """
    rel = Path(os.path.normpath(path)).relative_to(Path(os.path.normpath(results)))
    return "public" if rel.parts[:1] == (PUBLIC_DIR,) and len(rel.parts) > 1 else "restricted"


def _metadata(metadata_dir: Path, path: str) -> dict[str, Any] | None:
    """Snakemake's record of the job that produced ``path`` (relative to the working directory)."""
    f = metadata_dir / base64.urlsafe_b64encode(path.encode("utf-8")).decode("ascii")
    if not f.is_file():
        return None
    try:
        return json.loads(f.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _digest(path: Path) -> str | None:
    """sha256 of a file; of a folder, the sha256 of its sorted ``relative path NUL digest`` lines."""
    if path.is_file():
        return sha256_file(path)
    if path.is_dir():
        h = hashlib.sha256()
        for f in sorted(p for p in path.rglob("*") if p.is_file()):
            h.update(f"{f.relative_to(path).as_posix()}\0{sha256_file(f)}\n".encode())
        return h.hexdigest()
    return None


def _producer(rel: str, metadata_dir: Path) -> tuple[str | None, dict[str, Any] | None]:
    """(record key, record) for a file: its own record, or that of the folder output holding it."""
    parts = Path(rel).parts
    for i in range(len(parts), 0, -1):
        key = Path(*parts[:i]).as_posix()
        rec = _metadata(metadata_dir, key)
        if rec is not None:
            return key, rec
    return None, None


def _inputs(paths: Iterable[str], secrets: set[str]) -> list[dict[str, Any]]:
    out = []
    for p in sorted(set(paths)):
        if os.path.normpath(p) in secrets:
            # a secret (the pseudonym key): named, never hashed into results
            out.append({"path": p, "sha256": None, "secret": True})
        else:
            out.append({"path": p, "sha256": _digest(Path(p))})
    return out


def _json_sha256(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def build_manifest(
    results: str | os.PathLike[str],
    *,
    metadata_dir: str | os.PathLike[str] = ".snakemake/metadata",
    secrets: Iterable[str] = (),
    exclude: Iterable[str] = (),
    git: Mapping[str, Any] | None = None,
    packages: Mapping[str, str] | None = None,
    created: str | None = None,
) -> dict[str, Any]:
    """The manifest of every file under ``results`` (paths relative to the working directory).

    Parameters
    ----------
    results
        The results folder, relative to the working directory (as the workflow names it).
    metadata_dir
        Snakemake's job records.
    secrets
        Input paths never to hash (the pseudonym key).
    exclude
        Paths under ``results`` left out (the manifest itself, the manifest rule's own log).

    Each file's entry has ``access``: ``public`` (the release folder) or ``restricted``
    (:func:`access_of`).
    git, packages
        Code version and package versions of the run.
    created
        ISO timestamp of the manifest (default: now, UTC).
    """
    root = Path(results)
    if not root.is_dir():
        raise SurveyError(f"results folder '{root}' not found (expected the output of a run)")
    mdir = Path(metadata_dir)
    secret = {os.path.normpath(s) for s in secrets}
    excluded = sorted({Path(e).as_posix() for e in exclude})
    skip = {os.path.normpath(e) for e in excluded} | {os.path.normpath(root / MANIFEST_NAME)}
    entries = []
    for f in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = f.as_posix()
        if os.path.normpath(rel) in skip or f.name.endswith(".tmp"):
            continue
        entry: dict[str, Any] = {
            "path": rel,
            "sha256": sha256_file(f),
            "size": f.stat().st_size,
            "access": access_of(rel, root),
        }
        key, rec = _producer(rel, mdir)
        if rec is not None:
            entry["rule"] = rec.get("rule")
            if key != rel:
                entry["output"] = key
            entry["inputs"] = _inputs(rec.get("input") or [], secret)
            entry["params_sha256"] = _json_sha256(rec.get("params"))
            entry["code_sha256"] = _json_sha256(rec.get("code"))
        else:
            folder = f.parent.name
            entry["rule"] = f.stem if folder in ("logs", "benchmarks") else None
        entries.append(entry)
    return {
        "format_version": FORMAT_VERSION,
        "results": root.as_posix(),
        "created": created or _dt.datetime.now(tz=_dt.UTC).isoformat(timespec="seconds"),
        "git": dict(git or {}),
        "packages": dict(packages or {}),
        "excluded": excluded,
        "files": entries,
    }


def write_manifest(manifest: Mapping[str, Any], path: str | os.PathLike[str]) -> None:
    """Write the manifest atomically."""
    write_json(dict(manifest), path)


@dataclass(frozen=True)
class Difference:
    """A file that does not match its manifest: ``changed``, ``missing`` or ``unlisted``."""

    path: str
    kind: str
    detail: str


def verify(
    manifest_path: str | os.PathLike[str], *, ignore: Iterable[str] = ()
) -> tuple[int, list[Difference]]:
    """Compare a results folder with its manifest (paths relative to the working directory).

    Returns the number of files checked and every difference: a changed digest or size, a listed file
    that is gone, a file under the folder that the manifest does not list (other than the manifest,
    the files it says it excluded, and ``ignore``).
    """
    mpath = Path(manifest_path)
    if not mpath.is_file():
        raise SurveyError(f"{mpath}: no manifest (expected one written by the workflow's run)")
    try:
        manifest = read_json(mpath)
        files = manifest["files"]
        root = Path(manifest["results"])
    except (ValueError, KeyError, TypeError) as exc:
        raise SurveyError(f"{mpath}: not a manifest ({exc})") from None
    diffs: list[Difference] = []
    listed = set()
    for e in files:
        p = Path(e["path"])
        listed.add(os.path.normpath(p))
        if not p.is_file():
            diffs.append(Difference(p.as_posix(), "missing", "listed in the manifest, not found"))
            continue
        digest = sha256_file(p)
        if digest != e["sha256"]:
            diffs.append(
                Difference(
                    p.as_posix(),
                    "changed",
                    f"sha256 {digest[:12]}… (manifest {e['sha256'][:12]}…), "
                    f"size {p.stat().st_size} (manifest {e['size']})",
                )
            )
    ignored = [*manifest.get("excluded", []), *ignore]
    skip = {os.path.normpath(mpath)} | {os.path.normpath(i) for i in ignored}
    if root.is_dir():
        for f in sorted(q for q in root.rglob("*") if q.is_file()):
            n = os.path.normpath(f)
            if n not in listed and n not in skip:
                diffs.append(Difference(f.as_posix(), "unlisted", "not in the manifest"))
    return len(files), diffs
