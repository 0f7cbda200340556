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
    "NOTES",
    "PUBLIC_DIR",
    "Difference",
    "access_of",
    "build_manifest",
    "manifest_digest",
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


def _portable(path: str) -> str:
    """A path as the manifest records it: relative to the working directory (Snakemake records the
    workflow's own files, e.g. the brief's notebook, with absolute paths, which differ between two
    checkouts), ``~/...`` under the home folder, never absolute."""
    p = Path(path).expanduser()
    if not p.is_absolute():
        return p.as_posix()
    here = Path.cwd()
    try:
        return p.relative_to(here).as_posix()
    except ValueError:
        pass
    try:
        return "~/" + p.relative_to(Path.home()).as_posix()
    except ValueError:
        return Path(os.path.relpath(p, here)).as_posix()


def _inputs(
    paths: Iterable[str], secrets: set[str], digests: dict[str, str | None]
) -> list[dict[str, Any]]:
    """The job's inputs with their digests; ``digests`` caches them by path for the whole manifest
    (every file is finished by then, and the same tables and the figures folder are inputs of many
    jobs: 500 files were hashed 11,700 times)."""
    out = []
    for p in sorted({_portable(q) for q in paths}):
        if os.path.normpath(p) in secrets:
            # a secret (the pseudonym key): named, never hashed into results
            out.append({"path": p, "sha256": None, "secret": True})
        else:
            if p not in digests:
                digests[p] = _digest(Path(p).expanduser())
            out.append({"path": p, "sha256": digests[p]})
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
    secret = {os.path.normpath(_portable(s)) for s in secrets}
    excluded = sorted({Path(e).as_posix() for e in exclude})
    skip = {os.path.normpath(e) for e in excluded} | {os.path.normpath(root / MANIFEST_NAME)}
    entries = []
    digests: dict[str, str | None] = {}
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
            entry["inputs"] = _inputs(rec.get("input") or [], secret, digests)
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
    """A file that does not match its manifest: ``changed``, ``missing`` or ``unlisted``; an entry
    whose recorded input digest is not the manifest's digest of that input (``chain``); an input
    outside the results folder that changed since the run (``stale``). ``unchecked`` is a note, not a
    failure: an input outside the folder that is not here (raw data are rarely shared), or a folder
    under the results folder that this manifest's run did not write (another dataset's results)."""

    path: str
    kind: str
    detail: str


#: Kinds of :class:`Difference` that are notes, not failures.
NOTES = frozenset({"unchecked"})


def manifest_digest(manifest_path: str | os.PathLike[str]) -> str:
    """sha256 of the manifest file itself. Recorded elsewhere (a commit, a signed note, the paper's
    supplement), it is the tamper evidence: a file edited together with its manifest entry passes
    :func:`verify` only if every digest chained to it was rewritten too, and then the manifest's own
    digest no longer matches the recorded one."""
    return sha256_file(manifest_path)


def _read_manifest(mpath: Path) -> tuple[list[dict[str, Any]], Path, dict[str, Any]]:
    if not mpath.is_file():
        raise SurveyError(f"{mpath}: no manifest (expected one written by the workflow's run)")
    try:
        manifest = read_json(mpath)
        files = manifest["files"]
        root = Path(manifest["results"])
        for e in files:
            e["path"], e["sha256"]  # noqa: B018 (a KeyError here means no manifest)
    except (ValueError, KeyError, TypeError) as exc:
        raise SurveyError(f"{mpath}: not a manifest ({exc})") from None
    return files, root, manifest


def _listed_digest(folder: str, by_path: dict[str, str]) -> str | None:
    """A folder output's digest (as :func:`_digest` computes it) from the manifest's own entries."""
    prefix = folder.rstrip("/") + "/"
    inside = sorted((p[len(prefix) :], d) for p, d in by_path.items() if p.startswith(prefix))
    if not inside:
        return None
    h = hashlib.sha256()
    for rel, digest in inside:
        h.update(f"{rel}\0{digest}\n".encode())
    return h.hexdigest()


def _chain(files: list[dict[str, Any]], root: Path) -> list[Difference]:
    """Each entry's recorded input digests against the manifest's entries for those inputs (inside
    the results folder) or against the files on disk (outside it)."""
    by_path = {os.path.normpath(e["path"]): e["sha256"] for e in files}
    on_disk: dict[str, str | None] = {}
    diffs: list[Difference] = []
    stale: dict[str, list[str]] = {}
    for e in files:
        for inp in e.get("inputs") or []:
            if inp.get("secret") or inp.get("sha256") is None:
                continue
            path = os.path.normpath(inp["path"])
            if _inside_root(path, root):
                listed = by_path.get(path) or _listed_digest(path, by_path)
                if listed != inp["sha256"]:
                    now = f"{listed[:12]}…" if listed else "no entry"
                    diffs.append(
                        Difference(
                            e["path"],
                            "chain",
                            f"made from {inp['path']} with sha256 {inp['sha256'][:12]}…, but the "
                            f"manifest lists that input as {now}",
                        )
                    )
                continue
            if path not in on_disk:
                on_disk[path] = _digest(Path(path).expanduser())
            if on_disk[path] is not None and on_disk[path] != inp["sha256"]:
                stale.setdefault(inp["path"], []).append(e["path"])
            elif on_disk[path] is None:
                stale.setdefault(inp["path"], [])
    for path, entries in sorted(stale.items()):
        if entries:
            diffs.append(
                Difference(
                    path,
                    "stale",
                    f"changed since the run: {len(entries)} listed file(s) were made from another "
                    f"version (first: {entries[0]}); rerun the workflow",
                )
            )
        else:
            diffs.append(Difference(path, "unchecked", "an input of the run, not here to check"))
    return diffs


def _inside_root(path: str, root: Path) -> bool:
    r = os.path.normpath(root)
    return path == r or path.startswith(r.rstrip("/") + "/") or r == "."


def _unlisted(
    root: Path, listed: set[str], skip: set[str], files: list[dict[str, Any]]
) -> list[Difference]:
    """Files under the results folder the manifest does not list. Only the folders this run wrote
    (and files directly in the folder) are searched: another dataset's results folder under this one
    (it has its own manifest) or a comparison's folder is noted as unchecked, not unlisted."""
    if not root.is_dir():
        return []
    paths = [os.path.normpath(e["path"]) for e in files] + sorted(skip)
    tops = {
        Path(q).relative_to(root).parts[0]
        for q in paths
        if _inside_root(q, root) and q != os.path.normpath(root)
    }
    diffs = []
    for child in sorted(root.iterdir()):
        if child.is_dir() and (child.name not in tops or (child / MANIFEST_NAME).is_file()):
            diffs.append(
                Difference(
                    child.as_posix() + "/", "unchecked", "not written by this manifest's run"
                )
            )
            continue
        found = [child] if child.is_file() else sorted(q for q in child.rglob("*") if q.is_file())
        for f in found:
            n = os.path.normpath(f)
            if n not in listed and n not in skip:
                diffs.append(Difference(f.as_posix(), "unlisted", "not in the manifest"))
    return diffs


def verify(
    manifest_path: str | os.PathLike[str], *, ignore: Iterable[str] = ()
) -> tuple[int, list[Difference]]:
    """Compare a results folder with its manifest (paths relative to the working directory).

    Returns the number of files checked and every difference: a changed digest or size, a listed file
    that is gone, a file the manifest does not list (other than the manifest, the files it says it
    excluded, and ``ignore``), an entry whose recorded input digest is not the manifest's digest of
    that input (a file edited together with its own entry breaks the chain downstream), an input
    outside the folder that changed since the run; and notes (kind in :data:`NOTES`) for what could
    not be checked.
    """
    mpath = Path(manifest_path)
    files, root, manifest = _read_manifest(mpath)
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
                    f"size {p.stat().st_size} (manifest {e.get('size')})",
                )
            )
    diffs += _chain(files, root)
    ignored = [*manifest.get("excluded", []), *ignore]
    skip = {os.path.normpath(mpath)} | {os.path.normpath(i) for i in ignored}
    diffs += _unlisted(root, listed, skip, files)
    return len(files), diffs
