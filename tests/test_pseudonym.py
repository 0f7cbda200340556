"""Keyed pseudonyms and key loading (mscsurvey.privacy.pseudonym)."""

from __future__ import annotations

import hashlib
import hmac

import pandas as pd
import pytest

from mscsurvey.errors import SurveyError
from mscsurvey.privacy.pseudonym import (
    KEY_COMMAND,
    load_key,
    method_label,
    person_keys,
    pseudonymise,
)

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
IDS = pd.Series(["R_1a2B3c4D5e6F7g8", "R_9z8Y7x6W5v4U3t2", None, "R_1a2B3c4D5e6F7g8"])
ENV = "MSCSURVEY_TEST_KEY"


def test_stable_across_calls_with_the_same_key():
    a = pseudonymise(IDS, KEY, 16)
    b = pseudonymise(IDS.copy(), KEY, 16)
    pd.testing.assert_series_equal(a, b)
    assert a[0] == a[3] and a[0] != a[1]
    assert pd.isna(a[2])
    assert a.str.len().dropna().eq(16).all()


def test_differs_with_another_key():
    a = pseudonymise(IDS, KEY, 16).dropna()
    b = pseudonymise(IDS, OTHER_KEY, 16).dropna()
    assert not (a == b).any()


def test_is_the_hmac_not_a_plain_hash():
    pid = pseudonymise(IDS, KEY, 64)[0]
    value = IDS[0].encode()
    assert pid == hmac.new(KEY, value, hashlib.sha256).hexdigest()
    assert pid != hashlib.sha256(value).hexdigest()
    assert pid != hashlib.sha256(KEY + value).hexdigest()


def test_truncation_and_method_label():
    assert pseudonymise(IDS, KEY, 12)[0] == pseudonymise(IDS, KEY, 64)[0][:12]
    assert method_label(16) == "HMAC-SHA256, truncated to 16 hex"
    with pytest.raises(ValueError, match="between 1 and 64"):
        pseudonymise(IDS, KEY, 65)


def test_collision_among_distinct_inputs_is_an_error():
    many = pd.Series([f"R_{i}" for i in range(300)])
    with pytest.raises(SurveyError, match="same pseudonym.*pseudonym_length"):
        pseudonymise(many, KEY, 1)  # 16 possible values for 300 ids


def test_person_keys_normalise_email():
    df = pd.DataFrame({"email": ["  Ada.Lovelace@Example.ORG", "ada.lovelace@example.org ", None]})
    keys = person_keys(df, ["email"])
    assert keys[0] == keys[1] == "ada.lovelace@example.org"
    assert pd.isna(keys[2])
    pids = pseudonymise(keys, KEY, 16)
    assert pids[0] == pids[1]


def test_missing_key_error_says_how_to_provide_one(monkeypatch, tmp_path):
    monkeypatch.delenv(ENV, raising=False)
    missing = tmp_path / "pseudonym.key"
    with pytest.raises(SurveyError) as err:
        load_key(env_var=ENV, key_file=missing, synthetic=False, dataset="msc")
    msg = str(err.value)
    assert "\n" not in msg
    assert ENV in msg and str(missing) in msg
    assert KEY_COMMAND in msg and "secrets.token_hex(32)" in msg
    assert "outside the repository and the results" in msg
    with pytest.raises(SurveyError, match=r"datasets\.study2\.key_file"):
        load_key(env_var=ENV, key_file=None, synthetic=False, dataset="study2")


def test_short_key_is_an_error(monkeypatch, tmp_path):
    monkeypatch.setenv(ENV, "00ff00ff")  # 4 bytes
    with pytest.raises(SurveyError, match="4 bytes long; it must be at least 16"):
        load_key(env_var=ENV, key_file=None, synthetic=False, dataset="msc")
    monkeypatch.delenv(ENV)
    short = tmp_path / "short.key"
    short.write_text("tooshort\n")
    with pytest.raises(SurveyError, match="at least 16 bytes"):
        load_key(env_var=ENV, key_file=short, synthetic=False, dataset="msc")


def test_env_var_beats_file(monkeypatch, tmp_path):
    key_file = tmp_path / "pseudonym.key"
    key_file.write_text(OTHER_KEY.hex() + "\n")
    monkeypatch.setenv(ENV, KEY.hex())
    key = load_key(env_var=ENV, key_file=key_file, synthetic=True, dataset="msc")
    assert bytes(key) == KEY and key.source == "env"
    monkeypatch.setenv(ENV, "   ")  # blank counts as unset
    key = load_key(env_var=ENV, key_file=key_file, synthetic=True, dataset="msc")
    assert bytes(key) == OTHER_KEY and key.source == "file"


def test_key_file_hex_or_raw_text(monkeypatch, tmp_path):
    monkeypatch.delenv(ENV, raising=False)
    f = tmp_path / "k"
    f.write_text("  correct horse battery staple  \n")
    assert bytes(load_key(env_var=ENV, key_file=f, synthetic=False, dataset="d")) == (
        b"correct horse battery staple"
    )
    f.write_text(KEY.hex().upper())
    assert bytes(load_key(env_var=ENV, key_file=f, synthetic=False, dataset="d")) == KEY


def test_key_repr_hides_the_key(monkeypatch):
    monkeypatch.setenv(ENV, KEY.hex())
    key = load_key(env_var=ENV, key_file=None, synthetic=False, dataset="d")
    assert KEY.hex() not in repr(key) and KEY.hex() not in str(key)
    assert "32 bytes from env" in repr(key)
