"""Config validation: defaults, unknown keys and wrong types give one line naming the key."""

from __future__ import annotations

import copy

import pytest

from mscsurvey.config import datasets, load_config, validate_config
from mscsurvey.errors import SurveyError


@pytest.fixture
def cfg(root):
    import yaml

    with open(root / "config" / "config.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def test_project_config_is_valid_and_gets_defaults(root):
    cfg = load_config(root / "config" / "config.yaml")
    assert cfg["deidentify"]["k"] == 5
    assert cfg["datasets"]["msc"]["format"] == "auto"  # a default filled in
    ds = datasets(cfg)["msc"]
    assert ds.results == "results"
    assert ds.key_file == "data/raw/pseudonym.key"


def test_a_key_file_in_the_home_folder_is_expanded(root, monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    cfg = load_config(root / "config" / "config.yaml")
    cfg["datasets"]["msc"]["key_file"] = "~/.mscsurvey/pseudonym.key"
    assert datasets(cfg)["msc"].key_file == str(tmp_path / ".mscsurvey/pseudonym.key")


def test_unknown_key_is_named(cfg):
    cfg["clean"]["speeder_min_secs"] = 100
    with pytest.raises(SurveyError) as exc:
        validate_config(cfg, source="config/config.yaml")
    msg = str(exc.value)
    assert "\n" not in msg
    assert msg.startswith("config/config.yaml: key 'clean.speeder_min_secs': unknown key")
    assert "speeder_min_seconds" in msg  # the allowed keys are listed


def test_unknown_top_level_key(cfg):
    cfg["sed"] = 1
    with pytest.raises(SurveyError, match=r"key 'sed': unknown key"):
        validate_config(cfg)


def test_wrong_type_is_named(cfg):
    cfg["clean"]["speeder_min_seconds"] = "fast"
    with pytest.raises(
        SurveyError, match=r"key 'clean.speeder_min_seconds': expected number, got 'fast'"
    ):
        validate_config(cfg)


def test_negative_k(cfg):
    cfg["deidentify"]["k"] = -1
    with pytest.raises(SurveyError, match=r"key 'deidentify.k': -1 is out of range"):
        validate_config(cfg)


def test_bad_enum(cfg):
    cfg["clean"]["duplicates"] = "keep_best"
    with pytest.raises(SurveyError, match=r"key 'clean.duplicates': 'keep_best' is not allowed"):
        validate_config(cfg)


def test_missing_required(cfg):
    del cfg["datasets"]["msc"]["codebook"]
    with pytest.raises(SurveyError, match=r"key 'datasets.msc.codebook': is required"):
        validate_config(cfg)


def test_two_datasets_cannot_share_results(cfg):
    cfg["datasets"]["other"] = copy.deepcopy(cfg["datasets"]["msc"])
    with pytest.raises(SurveyError, match=r"datasets.other.results.*also used by dataset 'msc'"):
        validate_config(cfg)


def test_validation_does_not_modify_its_input(cfg):
    before = copy.deepcopy(cfg)
    validate_config(cfg)
    assert cfg == before


def test_yaml_syntax_error_names_line(tmp_path):
    p = tmp_path / "config.yaml"
    p.write_text("seed: 1\ndatasets: [unclosed\n", encoding="utf-8")
    with pytest.raises(SurveyError, match=r"config.yaml: line \d+: is not valid YAML"):
        load_config(p)
