"""The run configuration: load, validate against workflow/schemas/config.schema.yaml, resolve."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mscsurvey.errors import SurveyError
from mscsurvey.schema import load_yaml, schema_path, validate

__all__ = ["load_config", "validate_config", "Dataset", "datasets", "load_codebooks"]


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
    return cfg


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
        if key_file is None and synthetic is not None:
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
