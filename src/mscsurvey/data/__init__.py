"""The files the library ships beside its code: JSON schemas, the brief's notebook and its assets.

They are package data (``[tool.setuptools.package-data]`` in pyproject.toml), found through
:mod:`importlib.resources`, so ``pip install .`` works as well as an editable install; the workflow's
rules take their paths from here too.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["data_path", "schema_path", "notebook_path", "assets_dir"]


def data_path(*parts: str) -> Path:
    """Path of a file or folder shipped in ``mscsurvey/data``.

    pip installs a package as plain files (never zipped), so the resource is a real path; Snakemake's
    ``validate()``, pandoc and Typst all need one.
    """
    res = resources.files(__name__).joinpath(*parts)
    path = Path(str(res))
    if not path.exists():
        raise FileNotFoundError(f"mscsurvey package data {'/'.join(parts)} is missing ({path})")
    return path


def schema_path(name: str) -> Path:
    """The JSON schema (YAML) ``<name>.schema.yaml``: ``config`` or ``codebook``."""
    return data_path("schemas", f"{name}.schema.yaml")


def notebook_path() -> Path:
    """The brief's notebook (a jupytext percent script)."""
    return data_path("notebook", "brief.py")


def assets_dir() -> Path:
    """The brief's static assets (CSS, Typst template, Lua filter), beside the notebook."""
    return data_path("notebook", "assets")
