"""The run configuration: load, validate against mscsurvey/data/schemas/config.schema.yaml, resolve."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mscsurvey.errors import SurveyError
from mscsurvey.schema import load_yaml, schema_path, validate

__all__ = [
    "load_config",
    "validate_config",
    "Dataset",
    "datasets",
    "Comparison",
    "comparisons",
    "load_codebooks",
    "path_warnings",
]


def validate_config(
    config: dict[str, Any], *, source: str = "config/config.yaml"
) -> dict[str, Any]:
    """Validate a config mapping (fills defaults) and cross-check its datasets."""
    cfg = validate(config, schema_path("config"), source=source)
    seen: dict[str, str] = {}
    for name, ds in cfg["datasets"].items():
        res = ds["results"].rstrip("/")
        if res in seen:
            raise SurveyError(
                f"results folder '{res}' is also used by dataset '{seen[res]}' (each dataset needs its own)",
                file=source,
                key=f"datasets.{name}.results",
            )
        seen[res] = name
        if "synthetic" in ds and Path(ds["raw"]).name != "survey.csv":
            raise SurveyError(
                "a synthetic dataset's raw file must be named survey.csv (its truth.json and "
                "pseudonym.key are written beside it)",
                file=source,
                key=f"datasets.{name}.raw",
            )
    _check_comparisons(cfg, source)
    _check_paths(cfg, source)
    return cfg


def _resolved(path: str) -> Path:
    """A config path as the file system sees it: ~ expanded, relative to the working directory,
    '.', '..' and symbolic links resolved (so './results/x' and 'results/x' are one folder)."""
    return Path(os.path.abspath(Path(path).expanduser())).resolve()


def _inside(a: str | Path, b: str | Path) -> bool:
    """Whether ``a`` is ``b`` or lies inside it (both resolved first)."""
    pa, pb = _resolved(str(a)), _resolved(str(b))
    return pa == pb or pb in pa.parents


def _key_file(name: str, ds: dict[str, Any]) -> str | None:
    if ds.get("key_file") is not None:
        return str(ds["key_file"])
    return str(Path(ds["raw"]).parent / "pseudonym.key") if "synthetic" in ds else None


def _folders(cfg: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Every results folder of the config: owner -> (config key, folder)."""
    out = {
        f"dataset '{n}'": (f"datasets.{n}.results", ds["results"])
        for n, ds in cfg["datasets"].items()
    }
    for n, comp in cfg.get("comparisons", {}).items():
        out[f"comparison '{n}'"] = (f"comparisons.{n}.results", comp["results"])
    return out


def _check_paths(cfg: dict[str, Any], source: str) -> None:
    """Paths compared after resolving them: no results folder holds the working directory, a raw file,
    a key file or another results folder, or lies in a raw data folder; a real dataset's raw file is
    there; a key file is a file."""
    folders = _folders(cfg)
    here = Path.cwd().resolve()
    for key, folder in folders.values():
        if _resolved(folder).exists() and not _resolved(folder).is_dir():
            raise SurveyError(
                f"'{folder}' is a file (expected a folder for the results)", file=source, key=key
            )
        if _inside(here, folder):
            raise SurveyError(
                f"folder '{folder}' holds the folder you run from (everything in it would be listed "
                "in the manifest and could be overwritten); expected a folder of its own, e.g. results",
                file=source,
                key=key,
            )
    items = list(folders.items())
    for i, (_owner, (key, folder)) in enumerate(items):
        for other, (_okey, ofolder) in items[:i]:
            if _inside(folder, ofolder) or _inside(ofolder, folder):
                same = _resolved(folder) == _resolved(ofolder)
                raise SurveyError(
                    f"folder '{folder}' {'is' if same else 'overlaps'} the results folder "
                    f"'{ofolder}' of {other} (each dataset and comparison needs a folder of its "
                    "own, neither inside the other)",
                    file=source,
                    key=key,
                )
    for name, ds in cfg["datasets"].items():
        _check_dataset_files(name, ds, folders, source)


def _check_dataset_files(
    name: str, ds: dict[str, Any], folders: dict[str, tuple[str, str]], source: str
) -> None:
    """The raw file and key file of one dataset: outside every results folder, raw data folders
    outside results; a real dataset's raw file exists; a key file is not a folder."""
    files = {f"datasets.{name}.raw": ("raw file", ds["raw"])}
    key_file = _key_file(name, ds)
    if key_file is not None:
        files[f"datasets.{name}.key_file"] = ("pseudonym key file", key_file)
    for key, (what, path) in files.items():
        for owner, (_fkey, folder) in folders.items():
            if _inside(path, folder):
                raise SurveyError(
                    f"{what} '{path}' is inside the results folder '{folder}' of {owner} (expected "
                    "it outside every results folder: results are shared, listed and hashed in the "
                    "manifest; identified data and keys never are)",
                    file=source,
                    key=key,
                )
        if _resolved(path).is_dir():
            raise SurveyError(
                f"'{path}' is a folder (expected the {what} itself)", file=source, key=key
            )
    # the raw file's own folder, unless the raw file sits in the project folder itself (or above it)
    raw_dirs = [Path("data/raw")]
    if not _inside(Path.cwd(), Path(ds["raw"]).parent):
        raw_dirs.append(Path(ds["raw"]).parent)
    for fkey, folder in folders.values():
        for data_dir in dict.fromkeys(raw_dirs):
            if _inside(folder, data_dir):
                raise SurveyError(
                    f"folder '{folder}' is inside the raw data folder '{data_dir}' (expected results "
                    "outside it, e.g. results: identified exports never go under a results folder)",
                    file=source,
                    key=fkey,
                )
    if "synthetic" not in ds and not _resolved(ds["raw"]).is_file():
        raise SurveyError(
            f"raw file '{ds['raw']}' does not exist (expected the raw survey export, relative to "
            "the folder you run from; a real dataset's results are never rebuilt without it)",
            file=source,
            key=f"datasets.{name}.raw",
        )


def path_warnings(cfg: dict[str, Any]) -> list[str]:
    """Warnings about the config's files that do not stop a run: a pseudonym key readable by other
    users (anyone who reads it can re-link pseudonyms to the people in the raw export)."""
    out = []
    for name, ds in cfg["datasets"].items():
        key_file = _key_file(name, ds)
        if key_file is None:
            continue
        path = _resolved(key_file)
        if path.is_file() and path.stat().st_mode & 0o077:
            mode = stat.S_IMODE(path.stat().st_mode)
            out.append(
                f"{key_file}: the pseudonym key of dataset '{name}' can be read by other users "
                f"(mode {mode:04o}); expected owner-only: chmod 600 {key_file}"
            )
    return out


def _check_comparisons(cfg: dict[str, Any], source: str) -> None:
    """Each comparison names two different datasets of the config and a folder of its own."""
    names = list(cfg["datasets"])
    folders = {f"dataset '{n}'": ds["results"].rstrip("/") for n, ds in cfg["datasets"].items()}
    for name, comp in cfg.get("comparisons", {}).items():
        key = f"comparisons.{name}.datasets"
        pair = comp["datasets"]
        if len(pair) != 2:
            raise SurveyError(
                f"lists {len(pair)} dataset(s) ({', '.join(pair) or 'none'}); expected two, earlier "
                f"first, e.g. [{', '.join(names[:2]) if len(names) > 1 else 'wave1, wave2'}]",
                file=source,
                key=key,
            )
        unknown = [d for d in pair if d not in cfg["datasets"]]
        if unknown:
            raise SurveyError(
                f"'{unknown[0]}' is not a dataset of this config (its datasets: {', '.join(names)}); "
                "name two of them under datasets:, earlier first",
                file=source,
                key=key,
            )
        if pair[0] == pair[1]:
            raise SurveyError(
                f"names dataset '{pair[0]}' twice; a comparison needs two different datasets, earlier first",
                file=source,
                key=key,
            )
        res = comp["results"].rstrip("/")
        for owner, other in folders.items():
            if _inside(res, other) or _inside(other, res):
                raise SurveyError(
                    f"folder '{res}' overlaps the results folder '{other}' of {owner} (each dataset "
                    "and comparison needs a folder of its own, neither inside the other), e.g. "
                    f"results/compare/{name}",
                    file=source,
                    key=f"comparisons.{name}.results",
                )
        folders[f"comparison '{name}'"] = res


def load_config(path: str | Path) -> dict[str, Any]:
    return validate_config(load_yaml(path) or {}, source=str(path))


@dataclass(frozen=True)
class Dataset:
    """One dataset of the config with its paths resolved."""

    name: str
    raw: str
    codebook: str
    results: str
    synthetic: dict[str, Any] | None
    key_file: str | None
    read_options: dict[str, Any]

    @property
    def raw_dir(self) -> str:
        return str(Path(self.raw).parent)


def datasets(cfg: dict[str, Any]) -> dict[str, Dataset]:
    out = {}
    for name, ds in cfg["datasets"].items():
        synthetic = ds.get("synthetic")
        key_file = ds.get("key_file")
        if key_file is not None:
            # a key kept in the home folder (~/.mscsurvey/pseudonym.key), as the README suggests
            key_file = str(Path(key_file).expanduser())
        elif synthetic is not None:
            key_file = str(Path(ds["raw"]).parent / "pseudonym.key")
        out[name] = Dataset(
            name=name,
            raw=ds["raw"],
            codebook=ds["codebook"],
            results=ds["results"].rstrip("/"),
            synthetic=synthetic,
            key_file=key_file,
            read_options={
                "fmt": ds["format"],
                "delimiter": ds["delimiter"],
                "encoding": ds["encoding"],
                "sheet": ds["sheet"],
                "skip_rows": ds["skip_rows"],
            },
        )
    return out


@dataclass(frozen=True)
class Comparison:
    """Two datasets of the config compared (``earlier`` first) and the folder the comparison writes."""

    name: str
    earlier: str
    later: str
    results: str


def comparisons(cfg: dict[str, Any]) -> dict[str, Comparison]:
    """The config's comparisons (validated by :func:`validate_config`), by name."""
    return {
        name: Comparison(
            name=name,
            earlier=comp["datasets"][0],
            later=comp["datasets"][1],
            results=comp["results"].rstrip("/"),
        )
        for name, comp in cfg.get("comparisons", {}).items()
    }


def load_codebooks(cfg: dict[str, Any], *, source: str = "config/config.yaml") -> dict[str, Any]:
    """Each dataset's codebook, loaded and validated; a codebook file that is not there is named by
    the config key that points at it."""
    from mscsurvey.codebook.spec import load_codebook

    out = {}
    for name, ds in datasets(cfg).items():
        if not Path(ds.codebook).is_file():
            raise SurveyError(
                f"codebook file '{ds.codebook}' does not exist (expected the path of a codebook "
                "YAML, relative to the folder you run from)",
                file=source,
                key=f"datasets.{name}.codebook",
            )
        out[name] = load_codebook(ds.codebook)
    return out
