"""Which free-text comments may be quoted, and the reviewed-quotes file a person signs off.

A comment is quoted in the brief only when all of these hold (:func:`mscsurvey.stages.brief_numbers.select_quotes`):

a. its scrubbed text holds no placeholder (``[NAME]``...) and the free-text detectors find nothing in
   it when run again on the scrubbed text (:func:`detect`);
b. its author's attribution cell (``brief.quote_attribution``, e.g. role × state) has at least k
   members among the analysed respondents, and at least k records of the released microdata are
   compatible with it (:func:`mscsurvey.stages.release.attribution_cell_sizes`), so the quote cannot be
   matched to one of a handful of released records;
c. for real (non-synthetic) data, it is approved in a reviewed-quotes file (config
   ``datasets.<name>.quotes_reviewed``): a CSV with one row per comment, keyed by ``pseudonym`` and
   ``sha256`` (:func:`comment_hash`), with ``construct``, ``decision`` (approve / reject) and ``note``.
   ``mscsurvey quotes`` writes the candidates into such a file with ``decision`` blank.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from mscsurvey.errors import SurveyError
from mscsurvey.privacy import scrub

__all__ = [
    "REVIEW_COLUMNS",
    "DECISIONS",
    "detect",
    "normalise_comment",
    "comment_hash",
    "read_reviewed",
    "approved",
    "is_approved",
    "candidate_rows",
    "review_candidates",
    "write_review_file",
]

#: Columns of a reviewed-quotes file (``text``, ``attribution`` and ``column`` may be there too).
REVIEW_COLUMNS = ["pseudonym", "sha256", "construct", "decision", "note"]
DECISIONS = ("approve", "reject")


@functools.cache
def _pattern_scrubber() -> scrub.Scrubber:
    return scrub.Scrubber(None)


def detect(text: str) -> list[Any]:
    """Every identifier the free-text detectors find in ``text`` (a list of spans; empty: clean).

    Uses the module-level ``mscsurvey.privacy.scrub.detect`` (every layer of the free-text detection) when it
    exists, else the pattern recognizers of :class:`mscsurvey.privacy.scrub.Scrubber` without a roster.
    """
    layered = getattr(scrub, "detect", None)
    if callable(layered):
        return list(layered(text))
    return list(_pattern_scrubber().spans(text))


def normalise_comment(text: str) -> str:
    """A comment as quoted and hashed: whitespace runs as one space, no leading or trailing space."""
    return " ".join(str(text).split())


def comment_hash(text: str) -> str:
    """sha256 (hex) of the UTF-8 bytes of :func:`normalise_comment` of the scrubbed comment."""
    return hashlib.sha256(normalise_comment(text).encode("utf-8")).hexdigest()


def read_reviewed(path: str | Path) -> pd.DataFrame:
    """Read and check a reviewed-quotes CSV.

    Raises
    ------
    SurveyError
        The file is missing, lacks a column of :data:`REVIEW_COLUMNS`, or a row has a decision other
        than approve, reject or blank, or a malformed hash (named by file, row and column; the comment
        text is never printed).
    """
    p = Path(path)
    if not p.is_file():
        raise SurveyError(
            "reviewed-quotes file not found (write one with `mscsurvey quotes`)", file=str(p)
        )
    try:
        df = pd.read_csv(p, dtype="string", keep_default_na=False, encoding="utf-8-sig")
    except (ValueError, UnicodeDecodeError) as exc:
        raise SurveyError(f"not a readable CSV ({type(exc).__name__})", file=str(p)) from None
    lacking = [c for c in REVIEW_COLUMNS if c not in df.columns]
    if lacking:
        raise SurveyError(
            f"column '{lacking[0]}' is missing (expected columns: {', '.join(REVIEW_COLUMNS)})",
            file=str(p),
        )
    df["decision"] = df["decision"].str.strip().str.lower()
    for i, rec in enumerate(df.itertuples(index=False), start=2):
        if rec.decision not in ("", *DECISIONS):
            raise SurveyError(
                f"decision must be approve, reject or blank (got {len(rec.decision)} characters)",
                file=str(p),
                row=i,
                column="decision",
            )
        digest = str(rec.sha256).strip().lower()
        if len(digest) != 64 or any(ch not in "0123456789abcdef" for ch in digest):
            raise SurveyError(
                "sha256 must be 64 hexadecimal characters (as `mscsurvey quotes` writes it)",
                file=str(p),
                row=i,
                column="sha256",
            )
    df["sha256"] = df["sha256"].str.strip().str.lower()
    return df


def approved(reviewed: pd.DataFrame | None) -> set[tuple[str, str, str]]:
    """``(pseudonym, sha256, construct)`` of every approved row (construct blank: any construct)."""
    if reviewed is None or reviewed.empty:
        return set()
    ok = reviewed[reviewed["decision"] == "approve"]
    return {
        (str(p).strip(), str(h), str(c).strip())
        for p, h, c in zip(ok["pseudonym"], ok["sha256"], ok["construct"], strict=True)
    }


def is_approved(keys: set[tuple[str, str, str]], pseudonym: str, text: str, construct: str) -> bool:
    """Whether this comment is approved for this construct (or for any, with a blank construct)."""
    digest = comment_hash(text)
    return (pseudonym, digest, construct) in keys or (pseudonym, digest, "") in keys


def candidate_rows(quotes: dict[str, list[dict[str, str]]], columns: Sequence[str]) -> pd.DataFrame:
    """The review file's rows for the candidates of :func:`mscsurvey.stages.brief_numbers.select_quotes`."""
    rows = [
        {
            "pseudonym": q["pid"],
            "sha256": comment_hash(q["text"]),
            "construct": cid,
            "attribution": q["attribution"],
            "text": q["text"],
            "decision": "",
            "note": "",
        }
        for cid, qs in quotes.items()
        for q in qs
    ]
    return pd.DataFrame(rows, columns=list(columns))


def review_candidates(
    responses: pd.DataFrame,
    codebook: Any,
    *,
    attribution: Sequence[str],
    k: int,
    seed: int,
    per_construct: int,
    released: pd.DataFrame | None,
) -> pd.DataFrame:
    """The comments that pass checks (a) and (b), for a person to approve or reject: one row per
    candidate with ``pseudonym``, ``sha256``, ``construct``, ``attribution``, ``text`` and blank
    ``decision`` and ``note`` (in the brief's order of preference)."""
    from mscsurvey.stages.brief_numbers import select_quotes

    quotes = select_quotes(
        responses,
        codebook,
        attribution=attribution,
        k=k,
        seed=seed,
        per_construct=per_construct,
        released=released,
        with_pid=True,
    )
    columns = ["pseudonym", "sha256", "construct", "attribution", "text", "decision", "note"]
    return candidate_rows(quotes, columns)


def write_review_file(
    candidates: pd.DataFrame,
    output: str | Path,
    *,
    public_dirs: Sequence[str | Path],
    force: bool = False,
) -> Path:
    """Write the review CSV; refuse a path inside a public-use folder (the file holds respondents'
    comments and pseudonyms: it is restricted) or an existing file unless ``force``."""
    from mscsurvey.io import atomic_open

    out = Path(output).expanduser()
    target = out.resolve()
    for pub in public_dirs:
        p = Path(pub).resolve()
        if target == p or p in target.parents:
            raise SurveyError(
                f"is inside the public-use folder {pub}; the review file holds comments and "
                "pseudonyms and is restricted: write it outside every results/public/ folder",
                file=str(output),
            )
    if out.exists() and not force:
        raise SurveyError("already exists (use --force to overwrite it)", file=str(output))
    with atomic_open(out) as fh:
        candidates.to_csv(fh, index=False, lineterminator="\n")
    return out
