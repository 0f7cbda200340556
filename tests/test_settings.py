"""Typed settings (mscsurvey.settings): frozen, built once from the validated config, with every default
in the config schema only; the model.yaml schema's one-line errors; rules rerun only for the settings
they use."""

from __future__ import annotations

import ast
import copy
import dataclasses
import sys
from pathlib import Path

import pytest
import yaml

from mscsurvey.config import validate_config
from mscsurvey.errors import SurveyError
from mscsurvey.report.figures import FigureStyle
from mscsurvey.schema import load_yaml, schema_path
from mscsurvey.settings import (
    AnalysesSettings,
    BriefSettings,
    CleanSettings,
    DeidentifySettings,
    FigureSettings,
    NumbersSettings,
    ReleaseSettings,
    ScalesSettings,
    SensitivitySettings,
    Settings,
    Thresholds,
    WeightsSettings,
)
from mscsurvey.synthesize.model import validate_model

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = {
    "deidentify": DeidentifySettings,
    "clean": CleanSettings,
    "scales": ScalesSettings,
    "analyses": AnalysesSettings,
    "sensitivity": SensitivitySettings,
    "figures": FigureSettings,
    "release": ReleaseSettings,
    "brief": BriefSettings,
}
MINIMAL = {"datasets": {"d": {"raw": "data/raw/survey.csv", "codebook": "c.yaml", "results": "r"}}}
MINIMAL["datasets"]["d"]["synthetic"] = {"model": "m.yaml", "published": "p.csv"}


def _settings(**blocks) -> Settings:
    return Settings.from_config(validate_config({**copy.deepcopy(MINIMAL), **blocks}))


def _schema_defaults(node: dict) -> dict:
    """The defaults a block's schema fills in (nested blocks included)."""
    out = {}
    for key, sub in node.get("properties", {}).items():
        if "properties" in sub:
            out[key] = _schema_defaults(sub)
        elif "default" in sub:
            out[key] = sub["default"]
    return out


def test_settings_are_frozen_and_slotted():
    s = _settings(weights={"margins": {"role": {"a": 1}}})
    objects = [s, s.numbers(), s.scales.thresholds, s.weights, *(getattr(s, n) for n in SECTIONS)]
    for obj in objects:
        field = dataclasses.fields(obj)[0].name
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(obj, field, None)
        assert not hasattr(obj, "__dict__"), type(obj).__name__  # slots: no attribute slips in


def test_settings_classes_have_no_defaults_of_their_own():
    classes = [*SECTIONS.values(), Thresholds, WeightsSettings, NumbersSettings, Settings]
    for cls in classes:
        for f in dataclasses.fields(cls):
            assert f.default is dataclasses.MISSING, f"{cls.__name__}.{f.name}"
            assert f.default_factory is dataclasses.MISSING, f"{cls.__name__}.{f.name}"
    # the figure style's config fields too (notice is not a config key)
    style = {f.name: f for f in dataclasses.fields(FigureStyle)}
    for key in dataclasses.fields(FigureSettings):
        assert style[key.name].default is dataclasses.MISSING, key.name


@pytest.mark.parametrize("section", list(SECTIONS))
def test_every_default_is_the_schemas(section):
    """An empty block parses to exactly the schema's defaults, and a validated config to the same."""
    schema = load_yaml(schema_path("config"))["properties"][section]
    parsed = SECTIONS[section].parse().as_dict()
    assert parsed == _schema_defaults(schema)
    assert getattr(_settings(), section).as_dict() == parsed


def test_a_given_key_overrides_and_a_bad_one_is_one_line():
    s = ScalesSettings.parse({"gate": "exclude", "thresholds": {"ok": 0.8}})
    assert (s.gate, s.thresholds.ok, s.thresholds.weak) == ("exclude", 0.8, 0.6)
    with pytest.raises(SurveyError) as err:
        CleanSettings.parse({"speeder_min_seconds": "fast"}, source="config/config.yaml")
    assert str(err.value) == (
        "config/config.yaml: key 'clean.speeder_min_seconds': expected number, got 'fast'"
    )
    # a cross-check the schema cannot say, before any job (Settings.from_config in common.smk)
    with pytest.raises(SurveyError, match="key 'scales.thresholds': thresholds.weak"):
        _settings(scales={"thresholds": {"ok": 0.5, "weak": 0.6}})


def _literal_get_defaults() -> list[tuple[str, int, str, object]]:
    """Every ``x.get("<key>", <literal>)`` in src/ whose key is a key of the config schema's blocks."""
    schema = load_yaml(schema_path("config"))["properties"]
    defaults: dict[str, list] = {"seed": [schema["seed"]["default"]]}

    def walk(node):
        for key, sub in node.get("properties", {}).items():
            if "default" in sub:
                defaults.setdefault(key, []).append(sub["default"])
            walk(sub)

    for name in SECTIONS:
        walk(schema[name])
    hits = []
    for path in sorted((ROOT / "src").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if node.func.attr != "get" or len(node.args) != 2:
                continue
            key, default = node.args
            if isinstance(key, ast.Constant) and key.value in defaults:
                try:
                    value = ast.literal_eval(default)
                except ValueError:
                    continue
                if value in defaults[key.value]:
                    hits.append((str(path.relative_to(ROOT)), node.lineno, key.value, value))
    return hits


def test_no_code_repeats_a_schema_default():
    """A settings key read with ``.get(key, <the schema's default>)`` would be a second place for
    the default (issue 16: ``.get(..., 5)`` in brief.py and figures.py beside the schema's)."""
    assert _literal_get_defaults() == []


def test_the_default_check_finds_a_repeated_default(tmp_path, monkeypatch):
    """The check above can fail: a module reading ``min_group_n`` with the schema's 10 is found."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "bad.py").write_text('def f(s):\n    return s.get("min_group_n", 10)\n')
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert _literal_get_defaults() == [("src/bad.py", 2, "min_group_n", 10)]


# -- model.yaml --------------------------------------------------------------------------------------


def _model() -> dict:
    return load_yaml(ROOT / "data" / "synthetic" / "model.yaml")


def test_the_shipped_models_pass_their_schema_unchanged():
    for path in (ROOT / "data/synthetic/model.yaml", ROOT / "examples/wellbeing/model.yaml"):
        data = load_yaml(path)
        assert validate_model(copy.deepcopy(data), source=str(path)) == data


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda m: m["items"]["loadings"].__setitem__("tr1", 1.2),
            "model.yaml: key 'items.loadings.tr1': 1.2 is out of range (maximum 0.98)",
        ),
        (
            lambda m: m.__setitem__("surveys", {}),
            "model.yaml: key 'surveys': unknown key (allowed here: clusters, comments, dont_know, "
            "groups, identifiers, items, latent, mess, model_version, monte_carlo, sensitivity, "
            "survey)",
        ),
        (
            lambda m: m["survey"].__setitem__("n_rows", "many"),
            "model.yaml: key 'survey.n_rows': expected integer, got 'many'",
        ),
        (
            lambda m: m["mess"].pop("speeder"),
            "model.yaml: key 'mess.speeder': is required but missing",
        ),
        (
            lambda m: m["clusters"][0].__setitem__("zip3", ["9a1"]),
            "model.yaml: key 'clusters.0.zip3.0': '9a1' does not match the expected form "
            "^[0-9]{3}$",
        ),
    ],
)
def test_model_errors_are_one_line_naming_the_key(edit, expected):
    model = _model()
    edit(model)
    with pytest.raises(SurveyError) as err:
        validate_model(model, source="model.yaml")
    assert str(err.value) == expected
    assert "\n" not in str(err.value)


# -- the workflow ------------------------------------------------------------------------------------


def _params_changed(workdir: Path) -> set[str]:
    """The rules a dry run with ``--rerun-triggers params`` reruns because their own params changed
    (the summary's "params have changed" list; jobs downstream rerun for their updated inputs)."""
    from workflow_helpers import snakemake

    out = snakemake(workdir, "--dry-run", "--rerun-triggers", "params").stdout
    lines = out.split("params have changed since last execution:", 1)
    if len(lines) == 1:
        return set()
    listed = lines[1].strip().splitlines()[0]
    return {r.strip() for r in listed.split(",") if r.strip()}


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A small default study, run to the end."""
    from workflow_helpers import snakemake, write_config

    work = tmp_path_factory.mktemp("settings_study")
    write_config(work, n_respondents=120)
    snakemake(work)
    assert _params_changed(work) == set()
    return work


@pytest.mark.slow
@pytest.mark.parametrize(
    ("edit", "rules"),
    [
        # the look of the figures: the figure jobs only (not the brief's numbers)
        ({"figures__dpi": 300}, {"figure_part"}),
        # scales keys the scores do not read (issue 20: the CFA and invariance are their own jobs):
        # the jobs that read them only, not the scores and the analyses downstream of them
        ({"scales__cfa_max_n": 1000}, {"cfa", "invariance"}),
        # (the brief's provenance records the config, so the brief reruns for any key; listed here
        # only when no input of it reruns: the CFA tables are not an input of the brief)
        ({"scales__cfa_missing": "listwise"}, {"cfa", "brief"}),
        # a scales key the numbers do not read (they take scales.thresholds): the scales job only
        ({"scales__min_complete": 40}, {"scales"}),
        # a key the numbers read: brief_numbers only
        ({"brief__quotes_per_construct": 1}, {"brief_numbers"}),
    ],
)
def test_a_setting_reruns_only_the_rules_that_use_it(finished, edit, rules):
    from workflow_helpers import write_config

    cfg = finished / "config" / "config.yaml"
    original = cfg.read_text(encoding="utf-8")
    try:
        write_config(finished, n_respondents=120, **edit)
        assert _params_changed(finished) == rules
    finally:
        cfg.write_text(original, encoding="utf-8")


def test_config_yaml_has_no_key_the_settings_do_not_know():
    """Every block of the shipped config builds (no key left untyped)."""
    with open(ROOT / "config" / "config.yaml", encoding="utf-8") as fh:
        cfg = yaml.safe_load(fh)
    s = _settings(**{k: v for k, v in cfg.items() if k in SECTIONS})
    assert s.analyses.models == cfg["analyses"]["models"]
    assert s.brief.quote_attribution == tuple(cfg["brief"]["quote_attribution"])


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        (
            {"brief": {"quote_attribution": ["role", "shoe_size"]}},
            "key 'brief.quote_attribution': 'shoe_size' is not a group of the codebook",
        ),
        (
            {"scales": {"thresholds": {"ok": 0.6, "weak": 0.7}}},
            "key 'scales.thresholds': thresholds.weak (0.7) is above thresholds.ok (0.6)",
        ),
    ],
)
def test_check_runs_the_workflows_cross_checks(tmp_path, monkeypatch, capsys, block, expected):
    """``mscsurvey check`` stops on what common.smk stops on before any job, in one line."""
    from mscsurvey.cli import main

    monkeypatch.chdir(ROOT)
    with open(ROOT / "config" / "config.yaml", encoding="utf-8") as fh:
        cfg = yaml.safe_load(fh)
    cfg.update(block)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    assert main(["--config", str(path), "check"]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and expected in err[0] and err[0].startswith(f"error: {path}")
