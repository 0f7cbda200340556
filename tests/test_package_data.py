"""Schemas, the brief's notebook and its assets are package data: a wheel holds them and a plain
(non-editable) install finds them with the source tree out of sys.path."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from mscsurvey import data

ROOT = Path(__file__).resolve().parents[1]

#: Every file the package must ship beside its code (relative to the mscsurvey package).
SHIPPED = [
    "data/schemas/config.schema.yaml",
    "data/schemas/codebook.schema.yaml",
    "data/notebook/brief.py",
    "data/notebook/assets/brief.css",
    "data/notebook/assets/brief-template.typ",
    "data/notebook/assets/brief.lua",
]


def _pip(*args: str, cwd: Path) -> None:
    # pip's build isolation fetches setuptools >= 77 (the venv's own is older), as `make env`'s
    # editable install does
    subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet", *args],
        cwd=cwd,
        check=True,
    )


@pytest.fixture(scope="module")
def source_copy(tmp_path_factory) -> Path:
    """The project's packaging inputs copied away, so building writes nothing into the work tree."""
    dst = tmp_path_factory.mktemp("src_copy")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, dst / name)
    shutil.copytree(
        ROOT / "src", dst / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    return dst


def test_accessors_point_at_existing_files():
    assert data.schema_path("config").name == "config.schema.yaml"
    assert data.schema_path("codebook").is_file()
    assert data.notebook_path().is_file()
    assert {p.name for p in data.assets_dir().iterdir()} >= {"brief.css", "brief.lua"}
    with pytest.raises(FileNotFoundError, match="nothing.schema.yaml"):
        data.schema_path("nothing")


def test_wheel_holds_the_package_data(source_copy, tmp_path):
    _pip("wheel", "--no-deps", "-w", str(tmp_path), ".", cwd=source_copy)
    (wheel,) = tmp_path.glob("mscsurvey-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [f for f in SHIPPED if f"mscsurvey/{f}" not in names]
    assert not missing, f"the wheel lacks {missing}"


def test_plain_install_finds_schemas_and_notebook(source_copy, tmp_path):
    target = tmp_path / "site"
    _pip(
        "install",
        "--no-deps",
        "--target",
        str(target),
        ".",
        cwd=source_copy,
    )
    # -S: no site processing, so the editable install's path hook (pointing at src/) is not loaded;
    # the venv's site-packages come after the target only for the dependencies (yaml, jsonschema).
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(target), sysconfig.get_paths()["purelib"]])
    )
    probe = (
        "import sys, mscsurvey\n"
        "from mscsurvey import data\n"
        "from mscsurvey.codebook.spec import load_codebook\n"
        f"src = {str(ROOT / 'src')!r}\n"
        "assert src not in sys.path, sys.path\n"
        "print(mscsurvey.__file__)\n"
        "print(data.schema_path('config'))\n"
        "print(data.notebook_path())\n"
        "print(data.assets_dir() / 'brief-template.typ')\n"
        # the study's codebook validates against the installed schema
        f"load_codebook({str(ROOT / 'data' / 'codebook.yaml')!r})\n"
    )
    out = subprocess.run(
        [sys.executable, "-S", "-c", probe], env=env, capture_output=True, text=True, cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == 4
    for line in lines:
        assert Path(line).is_relative_to(target), line
        assert Path(line).is_file(), line
