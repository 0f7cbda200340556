"""Codebook schema and cross-checks: each mistake gives one line naming the key."""

from __future__ import annotations

import pytest
import yaml

from mscsurvey.codebook.spec import load_codebook, normalise_label, parse_codebook
from mscsurvey.errors import SurveyError


def test_study_codebook_loads(root):
    cb = load_codebook(root / "data" / "codebook.yaml")
    assert min(len(c.items) for c in cb.constructs.values()) >= 3
    assert max(len(c.items) for c in cb.constructs.values()) <= 5
    assert cb.cluster == "msc"
    assert set(cb.compared_groups()) >= {
        "geography",
        "funding",
        "sector",
        "role",
        "state",
        "income",
    }
    # every item belongs to exactly one construct and has a scale
    assert sum(len(c.items) for c in cb.constructs.values()) == len(cb.items)
    assert all(it.scale in cb.scales for it in cb.items.values())


def test_min_items_rounds_up(mini_codebook_dict):
    cb = parse_codebook(mini_codebook_dict, source="mini.yaml")
    assert cb.constructs["alpha"].min_items() == 2  # default 0.66: 2 of 3
    assert cb.constructs["beta"].min_items() == 1  # 0.5 of 2


@pytest.mark.parametrize(
    ("share", "n", "need"),
    [(0.66, 3, 2), (0.66, 4, 3), (0.66, 5, 4), (1.0, 4, 4), (0.5, 4, 2), (0.01, 3, 1)],
)
def test_min_items(share, n, need):
    from mscsurvey.codebook.spec import Construct

    c = Construct("c", "c", "", tuple(f"i{j}" for j in range(n)), share, ())
    assert c.min_items() == need


def _err(d, match):
    with pytest.raises(SurveyError, match=match) as exc:
        parse_codebook(d, source="data/codebook.yaml")
    assert "\n" not in str(exc.value)
    return str(exc.value)


def test_unknown_construct_item(codebook_dict):
    codebook_dict["constructs"]["trust"]["items"].append("tr9")
    _err(codebook_dict, r"key 'constructs.trust.items': item 'tr9' is not defined")


def test_item_in_two_constructs(codebook_dict):
    codebook_dict["constructs"]["governance"]["items"].append("tr1")
    _err(codebook_dict, r"item 'tr1' is listed in two constructs \('trust' and 'governance'\)")


def test_scale_without_agreement_codes(codebook_dict):
    del codebook_dict["scales"]["agree5"]["agree"]
    _err(codebook_dict, r"key 'scales.agree5.agree': is required but missing")


def test_agreement_code_not_in_scale(codebook_dict):
    codebook_dict["scales"]["agree5"]["agree"] = [4, 6]
    _err(codebook_dict, r"scales.agree5.agree.*code 6 is not one of the scale's codes")


def test_item_with_unknown_scale(codebook_dict):
    codebook_dict["items"]["tr1"]["scale"] = "agree7"
    _err(codebook_dict, r"key 'items.tr1.scale': scale 'agree7' is not defined")


def test_orphan_item(codebook_dict):
    codebook_dict["items"]["zz1"] = {"scale": "agree5", "text": "x"}
    _err(codebook_dict, r"item 'zz1' belongs to no construct")


def test_reference_not_a_category(codebook_dict):
    codebook_dict["groups"]["role"]["reference"] = "Staff"
    _err(codebook_dict, r"groups.role.reference.*'Staff' is not one of the categories")


def test_unknown_key_in_codebook(codebook_dict):
    codebook_dict["items"]["tr1"]["reversed"] = True
    _err(codebook_dict, r"key 'items.tr1.reversed': unknown key")


def test_construct_mixing_scales(codebook_dict):
    codebook_dict["items"]["tr1"]["scale"] = "howmuch4"
    _err(codebook_dict, r"constructs.trust.items.*mixes response scales")


def test_identifier_that_is_analysed(codebook_dict):
    codebook_dict["identifiers"]["direct"].append("sector")
    _err(codebook_dict, r"identifiers.direct.*'sector' is also an item or group column")


def test_quasi_identifier_unknown(codebook_dict):
    codebook_dict["identifiers"]["quasi_identifiers"].append("shoe_size")
    _err(codebook_dict, r"quasi-identifier 'shoe_size' is neither a group nor a generalised column")


def test_duplicate_label_in_scale(codebook_dict):
    codebook_dict["scales"]["agree5"]["missing"].append(" AGREE ")
    _err(codebook_dict, r"scales.agree5.*label 'agree' is used twice")


def test_draft_codebook_is_refused(tmp_path, codebook_dict):
    codebook_dict["draft"] = True
    p = tmp_path / "codebook.yaml"
    p.write_text(yaml.safe_dump(codebook_dict), encoding="utf-8")
    with pytest.raises(SurveyError, match=r"still marked 'draft: true'"):
        load_codebook(p)
    assert load_codebook(p, allow_draft=True).draft


@pytest.mark.parametrize(
    ("raw", "norm"),
    [
        (" Strongly  AGREE ", "strongly agree"),
        ("Don\u2019t know", "don't know"),
        ("agree", "agree"),
    ],
)
def test_normalise_label(raw, norm):
    assert normalise_label(raw) == norm
