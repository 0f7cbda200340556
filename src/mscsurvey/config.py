"""The run configuration: load, validate against workflow/schemas/config.schema.yaml, resolve."""

from __future__ import annotations

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
    return cfg


def _inside(a: str, b: str) -> bool:
    """Whether folder ``a`` is ``b`` or lies inside it."""
    pa, pb = Path(a), Path(b)
    return pa == pb or pb in pa.parents


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
    from mscsurvey.codebook import load_codebook

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
