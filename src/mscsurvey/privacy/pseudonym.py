"""Keyed pseudonyms: HMAC-SHA256 of an identifier under a secret key, truncated.

A plain hash of a respondent id or an e-mail address is not a pseudonym: ids come from small spaces and
e-mail addresses from guessable ones, so anyone can hash candidates until one matches. With a keyed hash
(HMAC) nobody without the key can do that. The key lives outside the repository and the results (an
environment variable or a key file); the de-identified data, not the key, is the durable artefact, so
losing the key loses only the ability to link new data to old pseudonyms.
"""

from __future__ import annotations

import hmac
import os
from pathlib import Path

import pandas as pd

from mscsurvey.errors import SurveyError

__all__ = [
    "MIN_KEY_BYTES",
    "KEY_COMMAND",
    "PseudonymKey",
    "load_key",
    "pseudonymise",
    "normalise_person_key",
    "person_keys",
    "method_label",
]

#: The shortest key accepted (128 bits).
MIN_KEY_BYTES = 16

#: A one-line command that prints a good key (256 random bits as hex).
KEY_COMMAND = 'python -c "import secrets; print(secrets.token_hex(32))"'


class PseudonymKey(bytes):
    """The key's bytes, remembering where they came from (``"env"`` or ``"file"``) but never shown.

    ``repr`` hides the bytes so that a key printed by accident in a log or traceback reveals nothing.
    """

    source: str

    def __new__(cls, value: bytes, source: str) -> PseudonymKey:
        obj = super().__new__(cls, value)
        obj.source = source
        return obj

    def __repr__(self) -> str:
        return f"PseudonymKey(<{len(self)} bytes from {self.source}>)"

    __str__ = __repr__


def _parse_key(text: str) -> bytes:
    """One hex line -> its bytes; any other text -> its UTF-8 bytes (surrounding whitespace stripped)."""
    text = text.strip()
    if len(text) % 2 == 0 and text and all(c in "0123456789abcdefABCDEF" for c in text):
        return bytes.fromhex(text)
    return text.encode("utf-8")


def _how_to_provide(env_var: str, key_file: str | None, synthetic: bool, dataset: str) -> str:
    file_hint = (
        f"write it to the key file {key_file}"
        if key_file
        else f"set datasets.{dataset}.key_file in the config to a file holding it"
    )
    synth = (
        " (for the synthetic dataset the synthesize rule writes this key file; rerun it)"
        if synthetic and key_file
        else ""
    )
    return (
        f"set the environment variable {env_var} to the key, or {file_hint}{synth}; "
        f"create a key with: {KEY_COMMAND}; keep the key outside the repository and the results "
        "folder, and keep a copy: the same key gives the same pseudonyms on a rerun"
    )


def load_key(
    *, env_var: str, key_file: str | os.PathLike[str] | None, synthetic: bool, dataset: str
) -> PseudonymKey:
    """Read the pseudonym key from the environment variable, else from the key file.

    Parameters
    ----------
    env_var
        name of the environment variable that may hold the key (it wins over the file when set and
        not empty).
    key_file
        file holding the key on one line (hex, or any text), or None when the dataset has none.
    synthetic
        whether the dataset is the generated synthetic default (changes the hint in the error).
    dataset
        the dataset's name in the config (named in the error).

    Returns
    -------
    PseudonymKey
        the key's bytes; a hex line is decoded, other text is taken as UTF-8. ``.source`` is
        ``"env"`` or ``"file"``.

    Raises
    ------
    SurveyError
        when no key is provided (the message says how to provide one) or the key is shorter than
        16 bytes.
    """
    value = os.environ.get(env_var, "")
    if value.strip():
        key, source, where = _parse_key(value), "env", f"environment variable {env_var}"
    elif key_file is not None and Path(key_file).is_file():
        raw = Path(key_file).read_bytes().strip()
        try:
            key = _parse_key(raw.decode("utf-8"))
        except UnicodeDecodeError:
            key = raw  # binary key file: its bytes are the key
        source, where = "file", f"key file {key_file}"
        if not key:
            raise SurveyError(
                f"the key file is empty; {_how_to_provide(env_var, str(key_file), synthetic, dataset)}",
                file=str(key_file),
            )
    elif key_file is not None and Path(key_file).exists():
        raise SurveyError(
            "is a folder, not a key file (expected a file holding the key on one line); "
            f"{_how_to_provide(env_var, None, synthetic, dataset)}",
            file=str(key_file),
        )
    else:
        missing = f" (the key file {key_file} does not exist)" if key_file is not None else ""
        raise SurveyError(
            f"dataset '{dataset}' has no pseudonym key{missing}: "
            f"{_how_to_provide(env_var, None if key_file is None else str(key_file), synthetic, dataset)}"
        )
    if len(key) < MIN_KEY_BYTES:
        raise SurveyError(
            f"the pseudonym key in the {where} is {len(key)} bytes long; it must be at least "
            f"{MIN_KEY_BYTES} bytes (32 random bytes recommended): create one with: {KEY_COMMAND}"
        )
    return PseudonymKey(key, source)


def pseudonymise(values: pd.Series, key: bytes, length: int) -> pd.Series:
    """HMAC-SHA256(key, value) as hex, truncated to ``length`` characters; missing stays missing.

    Parameters
    ----------
    values
        identifiers as text (they are hashed exactly as given: normalise them first if needed).
    key
        the secret key (see :func:`load_key`).
    length
        hex characters kept (12-64); 16 hex = 64 bits, ample for surveys of any size.

    Returns
    -------
    pandas.Series
        pseudonyms (``str`` dtype), same index as ``values``.

    Raises
    ------
    ValueError
        if ``length`` is outside 1..64.
    SurveyError
        if two distinct inputs get the same pseudonym (raise ``pseudonym_length``).
    """
    if not 1 <= length <= 64:
        raise ValueError(f"length must be between 1 and 64 hex characters, got {length}")
    key = bytes(key)
    present = values.notna()
    uniques = pd.unique(values[present].astype(str))
    # hmac.digest: the one-shot C path (no HMAC object per value); same bytes as hmac.new(...)
    table = {v: hmac.digest(key, v.encode("utf-8"), "sha256").hex()[:length] for v in uniques}
    if len(set(table.values())) != len(table):
        raise SurveyError(
            f"two different identifiers got the same pseudonym at {length} hex characters; "
            "increase deidentify.pseudonym_length in the config"
        )
    out = pd.Series(pd.NA, index=values.index, dtype="str")
    out[present] = values[present].astype(str).map(table)
    return out


def normalise_person_key(value: object) -> str | None:
    """Normal form of a value that identifies a person (e-mail, phone): trimmed, inner whitespace
    collapsed, case-folded; blank -> None."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    text = " ".join(str(value).split()).casefold()
    return text or None


def person_keys(frame: pd.DataFrame, columns: list[str] | tuple[str, ...]) -> pd.Series:
    """One normalised key per row from the person columns (joined by a unit separator).

    A row whose person columns are all blank gets a missing key (and so no person pseudonym).
    """
    parts = [frame[c].map(normalise_person_key).astype(object) for c in columns]
    if not parts:
        return pd.Series(pd.NA, index=frame.index, dtype="str")
    blank = pd.concat([p.isna() for p in parts], axis=1).all(axis=1)
    # column-wise concatenation (object arrays: Python's own str +), not a row-wise join
    keys = parts[0].fillna("").astype(str)
    for part in parts[1:]:
        keys = keys + "\x1f" + part.fillna("").astype(str)
    return keys.where(~blank).astype("str")


def method_label(length: int) -> str:
    """How pseudonyms are made, for reports."""
    return f"HMAC-SHA256, truncated to {length} hex"
