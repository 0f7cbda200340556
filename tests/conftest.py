"""Shared fixtures: the project's paths and a small codebook for unit tests."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def study_codebook_dict() -> dict:
    with open(ROOT / "data" / "codebook.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@pytest.fixture
def codebook_dict(study_codebook_dict) -> dict:
    """A fresh, mutable copy of the study's codebook."""
    return copy.deepcopy(study_codebook_dict)


@pytest.fixture(scope="session")
def mini_codebook_dict() -> dict:
    with open(ROOT / "tests" / "data" / "mini_codebook.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)
