"""The mistakes a student makes with a new survey: each gives one line naming the file and what to
change in it, through `mscsurvey check` (which reads the raw file, read-only) and a workflow run."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest
import yaml

from mscsurvey.cli import main
from mscsurvey.codebook.spec import load_codebook
from mscsurvey.schema import load_yaml
from mscsurvey.synthesize import generate, load_published, parse_model

ROOT = Path(__file__).resolve().parents[1]
CODEBOOK = ROOT / "data" / "codebook.yaml"


@pytest.fixture(scope="module")
def base() -> pd.DataFrame:
    """The default study's synthetic export (300 rows), as text."""
    cb = load_codebook(CODEBOOK)
    model = parse_model(load_yaml(ROOT / "data" / "synthetic" / "model.yaml"), cb)
    published = load_published(str(ROOT / "data" / "published_findings.csv"), cb)
    res = generate(cb, model, published, seed=5, n_respondents=300)
    from io import StringIO

    return pd.read_csv(StringIO(res.csv_text()), dtype=str, keep_default_na=False)


def _study(tmp_path: Path, raw: pd.DataFrame, codebook: dict | None = None) -> tuple[Path, Path]:
    """A 'real' study in tmp_path: export.csv, codebook.yaml, config/config.yaml (config, raw)."""
    from workflow_helpers import write_config

    raw_path = tmp_path / "export.csv"
    raw.to_csv(raw_path, index=False)
    cb_path = tmp_path / "codebook.yaml"
    cb_path.write_text(
        yaml.safe_dump(codebook if codebook is not None else load_yaml(CODEBOOK), sort_keys=False),
        encoding="utf-8",
    )
    cfg_path = write_config(tmp_path, n_respondents=None)
    cfg = yaml.safe_load(cfg_path.read_text(encoding="utf-8"))
    ds = cfg["datasets"]["msc"]
    del ds["synthetic"]
    ds.pop("published", None)
    ds["raw"], ds["codebook"] = str(raw_path), str(cb_path)
    cfg_path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    return cfg_path, raw_path


def _check(cfg: Path, capsys) -> tuple[int, list[str], list[str]]:
    """Run `mscsurvey check`: exit code, error lines, warning lines."""
    code = main(["--config", str(cfg), "check"])
    err = capsys.readouterr().err.splitlines()
    return (
        code,
        [x for x in err if x.startswith("error:")],
        [x for x in err if x.startswith("warning:")],
    )


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_clean_data_passes(base, tmp_path, capsys):
    cfg, raw = _study(tmp_path, base)
    before = _sha(raw)
    code, errors, _ = _check(cfg, capsys)
    assert (code, errors) == (0, [])
    assert _sha(raw) == before  # read-only


def test_codebook_item_not_in_data(base, tmp_path, capsys):
    cfg, _ = _study(tmp_path, base.rename(columns={"tr4": "tr_4"}))
    code, errors, _ = _check(cfg, capsys)
    assert code == 1 and len(errors) == 1
    assert errors[0] == (
        f"error: {tmp_path}/export.csv: column 'tr4' (item of construct 'trust' in the codebook) "
        f"is missing (did you mean 'tr_4'?); rename the column in the data file or change 'tr4' "
        f"in {tmp_path}/codebook.yaml"
    )


def test_label_typo(base, tmp_path, capsys):
    raw = base.copy()
    raw.loc[3, "tr1"] = "Agre"
    raw.loc[8, "tr1"] = "agre "  # the same typo, folded as the clean stage folds it
    cfg, _ = _study(tmp_path, raw)
    code, errors, _ = _check(cfg, capsys)
    assert code == 1 and len(errors) == 1
    e = errors[0]
    assert e.startswith(
        f"error: {tmp_path}/export.csv row 5, column tr1: 'Agre' is not a label of "
    )
    assert "scale agree5 (did you mean 'Agree'? expected one of: Strongly disagree (1)," in e
    assert (
        f"fix the data or add it to scales.agree5.codes or scales.agree5.missing in "
        f"{tmp_path}/codebook.yaml) [1 more row(s) like it]"
    ) in e


def test_scale_mismatch_seven_points_on_a_five_point_scale(base, tmp_path, capsys):
    raw = base.copy()
    raw["tr1"] = [str(1 + i % 7) for i in range(len(raw))]
    cfg, _ = _study(tmp_path, raw)
    code, errors, _ = _check(cfg, capsys)
    assert code == 1 and len(errors) == 1
    assert errors[0].startswith(
        f"error: {tmp_path}/export.csv row 7, column tr1: column tr1 has codes 1-7 but scale "
        f"agree5 has codes 1-5: is it a 7-point scale? change scales.agree5 (or items.tr1.scale) "
        f"in {tmp_path}/codebook.yaml"
    )


def test_swapped_timestamp_columns_are_found_by_check(base, tmp_path, capsys):
    """End before start (the two columns swapped in the export): `check` names the column and the
    codebook key, with no timestamp in the line (the workflow would stop at deidentify)."""
    raw = base.rename(columns={"start_time": "end_time", "end_time": "start_time"})
    cfg, _ = _study(tmp_path, raw)
    code, errors, _ = _check(cfg, capsys)
    assert code == 1 and len(errors) == 1
    assert errors[0] == (
        f"error: {tmp_path}/export.csv row 2, column end_time: ends before its start in column "
        f"start_time in 300 of 300 timed row(s); are identifiers.timestamps.start and .end swapped "
        f"in {tmp_path}/codebook.yaml?"
    )


def test_group_category_with_one_member_is_a_warning(base, tmp_path, capsys):
    raw = base.copy()
    housing = raw.index[raw["sector"].str.strip().str.casefold() == "housing"]
    assert len(housing) > 1
    raw.loc[housing[1:], "sector"] = "Other"
    cfg, _ = _study(tmp_path, raw)
    code, errors, warnings = _check(cfg, capsys)
    assert code == 0 and errors == []
    one = [w for w in warnings if "'Housing'" in w]
    assert one == [
        f"warning: {tmp_path}/export.csv: group 'sector': category 'Housing' has 1 respondent "
        f"(fewer than analyses.min_group_n = 10 in {cfg}; raw rows, before exclusions): it will "
        f"be suppressed in comparisons; merge it with another category in "
        f"groups.sector.categories of {tmp_path}/codebook.yaml (and in the data), or leave it"
    ]


def test_only_one_category_of_a_compared_group(base, tmp_path, capsys):
    raw = base.copy()
    raw["state"] = "CA"
    cfg, _ = _study(tmp_path, raw)
    code, errors, warnings = _check(cfg, capsys)
    assert code == 0 and errors == []
    assert any(
        "group 'state' has compare: true but only 1 of its categories in the data (CA)" in w
        and f"set compare: false in groups.state of {tmp_path}/codebook.yaml" in w
        for w in warnings
    ), warnings


def test_category_not_in_the_codebook(base, tmp_path, capsys):
    raw = base.copy()
    raw.loc[2, "sector"] = "Heath care"
    raw.loc[6, "sector"] = "Aerospace"
    cfg, _ = _study(tmp_path, raw)
    code, errors, _ = _check(cfg, capsys)
    assert code == 1 and len(errors) == 2
    assert errors[0].startswith(
        f"error: {tmp_path}/export.csv row 4, column sector: 'Heath care' is not a category of "
        "group sector (did you mean 'Health care'? expected one of: Health care,"
    )
    # not a slip of a category: it could be anyone's words, so it is masked
    assert errors[1].startswith(
        f"error: {tmp_path}/export.csv row 8, column sector: a masked value "
        '("AAAAAAAAA", 9 characters) is not a category of group sector (expected one of:'
    )
    for e in errors:
        assert e.endswith(
            f"fix the data or add it to groups.sector.categories or groups.sector.missing in "
            f"{tmp_path}/codebook.yaml)"
        )


def test_draft_codebook_is_refused(base, tmp_path, capsys):
    cb = load_yaml(CODEBOOK)
    cb["draft"] = True
    cfg, _ = _study(tmp_path, base, cb)
    code = main(["--config", str(cfg), "check"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err
    assert err == (
        f"error: {tmp_path}/codebook.yaml: key 'draft': is still marked 'draft: true'; review "
        "every item, scale, group and identifier it lists, then set draft: false"
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("column", "row", "value", "expected"),
    [
        ("tr1", 3, "Agre", "did you mean 'Agree'? expected one of"),
        ("tr2", 3, "7", "if the question had 7 or more points, change scales.agree5 in"),
        ("sector", 3, "Heath care", "did you mean 'Health care'? expected one of"),
    ],
)
def test_the_workflow_names_the_file_to_change(base, tmp_path, column, row, value, expected):
    """The workflow run itself stops on the same mistakes with one line naming the codebook."""
    from workflow_helpers import snakemake

    raw = base.copy()
    raw.loc[row, column] = value
    _, raw_path = _study(tmp_path, raw)
    proc = snakemake(
        tmp_path,
        "results/clean/responses.parquet",
        env={"MSCSURVEY_PSEUDONYM_KEY": "ab" * 32},
        check=False,
    )
    assert proc.returncode != 0
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr[-2000:]
    assert f"export.csv row {row + 2}, column {column}:" in errors[0]
    assert expected in errors[0] and f"{tmp_path}/codebook.yaml" in errors[0]
    assert "Traceback" not in proc.stderr
