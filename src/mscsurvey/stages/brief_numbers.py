"""Every number and sentence of the research brief, computed from the tables the other stages wrote.

:func:`brief_numbers` collects what the brief shows into one JSON-ready mapping (``numbers.json``), so
the notebook only formats and never computes: key takeaways, per-construct findings with quotes,
subgroup and driver sentences, the reliability summary with its caveats, the exclusion flow, the
de-identification summary and the methods. What the brief was made from
(``provenance.json``) is :mod:`mscsurvey.audit.provenance`, kept apart because it changes from run to
run while ``numbers.json`` does not.

Rules the brief keeps:

- A number is written as it will be read ("88%", "n = 433", "p = 0.003"); a missing value is "–" or
  the sentence is left out, never "nan" or "None".
- Small cells are never shown: suppressed subgroup cells give no sentence, and a free-text comment is
  quoted only when the respondent's attribution cell (e.g. role × state) has at least ``k`` respondents
  (config ``deidentify.k``), attributed only as "– ROLE, STATE".
- Quotes are chosen reproducibly: the config's seed orders the candidates.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mscsurvey.codebook.spec import Codebook
from mscsurvey.errors import SurveyError
from mscsurvey.report import phrasing
from mscsurvey.report.sensitivity_text import brief_sentences
from mscsurvey.settings import AnalysesSettings, NumbersSettings

__all__ = [
    "MISSING",
    "fmt_pct",
    "fmt_num",
    "fmt_p",
    "fmt_int",
    "placeholder_share",
    "select_quotes",
    "quotes_summary",
    "suppression_summary",
    "release_summary",
    "takeaways",
    "construct_findings",
    "subgroup_sentences",
    "driver_summaries",
    "reliability_summary",
    "published_summary",
    "exclusion_flow",
    "deidentification_summary",
    "brief_numbers",
]

MISSING = phrasing.MISSING
fmt_pct, fmt_num, fmt_int, fmt_p = (
    phrasing.fmt_pct,
    phrasing.fmt_num,
    phrasing.fmt_int,
    phrasing.fmt_p,
)

#: Readable names of the clean stage's exclusion reasons (others are shown with "_" as spaces).
EXCLUSION_REASONS = {
    "no_cluster": "no cluster (empty, or suppressed as an identifier)",
    "duplicate": "duplicate submission",
    "too_little_answered": "answered too few items",
    "speeder": "completed too fast",
    "straightliner": "same answer to every item",
}

# The same reasons in a sentence, where a count comes first ("10 duplicate submissions").
EXCLUSION_PHRASES = {
    "no_cluster": ("had no cluster left to analyse", "had no cluster left to analyse"),
    "duplicate": ("duplicate submission", "duplicate submissions"),
    "too_little_answered": ("answered too few items", "answered too few items"),
    "speeder": ("completed too fast", "completed too fast"),
    "straightliner": ("gave the same answer to every item", "gave the same answer to every item"),
}

PLACEHOLDER = re.compile(r"\[[A-Z][A-Z_]*\]")
_GENERALISED_HEAD = re.compile(r" '| \(|,")

# --------------------------------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------------------------------


# the formatting and word rules live in the phrasing module; kept under these names for callers
_finite = phrasing._finite
_lower_first = phrasing.lower_first
_join = phrasing.join


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return df.to_dict("records") if len(df) else []


# --------------------------------------------------------------------------------------------------
# Quotes
# --------------------------------------------------------------------------------------------------


def placeholder_share(text: str) -> float:
    """Share of a comment's words that are scrubbing placeholders such as ``[NAME]``."""
    words = text.split()
    if not words:
        return 1.0
    return sum(1 for w in words if PLACEHOLDER.search(w)) / len(words)


def _quote_key(text: str) -> str:
    """Lower-case letters and spaces only, without a short lead-in ("Honestly, ..."): two comments
    whose keys contain one another say the same thing."""
    head, sep, rest = text.partition(",")
    if sep and len(head.split()) <= 4 and rest.strip():
        text = rest
    return " ".join(re.sub(r"[^a-z ]+", " ", text.lower()).split())


def _keyword_pattern(keywords: Sequence[str]) -> re.Pattern[str] | None:
    words = [re.escape(k.strip()) for k in keywords if k.strip()]
    if not words:
        return None
    return re.compile(r"\b(?:" + "|".join(words) + r")", re.IGNORECASE)


def select_quotes(
    responses: pd.DataFrame,
    codebook: Codebook,
    *,
    attribution: Sequence[str],
    k: int,
    seed: int,
    per_construct: int = 2,
    max_placeholder_share: float = 0.2,
    min_chars: int = 20,
    max_chars: int = 320,
    released: pd.DataFrame | None = None,
    reviewed: pd.DataFrame | None = None,
    require_review: bool = False,
    detector: Callable[[str], Sequence[Any]] | None = None,
    with_pid: bool = False,
) -> dict[str, list[dict[str, str]]]:
    """Up to ``per_construct`` scrubbed comments per construct, attributed only by safe groups.

    Parameters
    ----------
    responses : pandas.DataFrame
        The analysed (clean) responses: the codebook's free-text columns (already scrubbed), the
        pseudonym and the ``attribution`` group columns.
    codebook : Codebook
        Constructs (``keywords`` pick the comments) and the free-text columns.
    attribution : sequence of str
        Group columns naming a quoted person (e.g. ``["role", "state"]``). Empty: no quote is shown.
    k : int
        A comment is quoted only when its author's attribution cell (the combination of the
        ``attribution`` categories) has at least ``k`` respondents among ``responses`` and at least
        ``k`` compatible records in ``released``.
    seed : int
        Orders the candidates (the same seed gives the same quotes).
    per_construct : int, optional
        Quotes per construct.
    max_placeholder_share : float, optional
        Kept for older configs: a comment holding any placeholder is never quoted now.
    min_chars, max_chars : int, optional
        Length limits of a quote.
    released : pandas.DataFrame, optional
        The public-use microdata after suppression (its key variables); None: no microdata is
        released, and the cell is counted on ``responses`` alone.
    reviewed : pandas.DataFrame, optional
        A reviewed-quotes file (:func:`mscsurvey.privacy.quotes.read_reviewed`): only approved comments are
        quoted. None with ``require_review``: nothing is quoted.
    require_review : bool, optional
        Real (non-synthetic) data: quote only reviewed, approved comments.
    detector : callable, optional
        text -> spans found (default :func:`mscsurvey.privacy.quotes.detect`); a comment with any is refused.
    with_pid : bool, optional
        Also return each quote's pseudonym (``pid``) and ``column``: for the review file, never for
        the brief.

    Returns
    -------
    dict
        Construct id -> list of ``{"text", "attribution"}`` (attribution "– MSC staff, WA"). Each
        comment and each respondent is quoted at most once in the brief.

    Raises
    ------
    SurveyError
        If an attribution column is not a group of the codebook or not in ``responses``.

    Notes
    -----
    A respondent with a missing attribution category is never quoted (the cell is unknown). Candidates
    match one of the construct's keywords at a word start, case-insensitively; they are sorted by
    (respondent id, column) before a seeded permutation, so the choice does not depend on row order.
    """
    from mscsurvey.privacy.quotes import approved, detect

    del max_placeholder_share  # superseded: any placeholder refuses a comment (condition a)
    out: dict[str, list[dict[str, str]]] = {cid: [] for cid in codebook.constructs}
    attribution = list(attribution)
    if not attribution or per_construct < 1 or (require_review and reviewed is None):
        return out
    _check_attribution(attribution, codebook, responses)
    text_cols = [c for c in codebook.identifiers.free_text if c in responses]
    if not text_cols:
        return out
    # 1. candidates: safe cell, length, no placeholder, nothing found by the detectors
    cands = _quote_candidates(
        responses,
        codebook,
        text_cols,
        attribution=attribution,
        safe=_attribution_safe(responses, attribution, k=k, released=released),
        detector=detector or detect,
        lengths=(min_chars, max_chars),
    )
    # 2. a seeded order, independent of row order; 3. the pick per construct
    keys = approved(reviewed) if require_review else None
    _pick_quotes(out, _seeded_order(cands, seed), codebook, per_construct, keys, with_pid)
    return out


def _seeded_order(cands: list[dict[str, str]], seed: int) -> list[dict[str, str]]:
    """The candidates sorted by (respondent, column), then permuted by ``seed``: the order does not
    depend on the rows' order in the file."""
    cands = sorted(cands, key=lambda c: (c["pid"], c["column"]))
    rng = np.random.default_rng(seed)
    ranks = rng.permutation(len(cands)) if cands else np.array([], dtype=int)
    return [c for _, c in sorted(zip(ranks.tolist(), cands, strict=True), key=lambda t: t[0])]


def _pick_quotes(
    out: dict[str, list[dict[str, str]]],
    order: list[dict[str, str]],
    codebook: Codebook,
    per_construct: int,
    keys: Any,
    with_pid: bool,
) -> None:
    """Fill ``out`` per construct in ``order``: a keyword match, at most one quote per respondent and
    per comment, and (``keys`` not None: real data) only comments a reviewer approved."""
    from mscsurvey.privacy.quotes import is_approved

    used_keys: list[str] = []
    used_pid: set[str] = set()
    for cid, con in codebook.constructs.items():
        pattern = _keyword_pattern(con.keywords)
        if pattern is None:
            continue
        for c in order:
            if len(out[cid]) >= per_construct:
                break
            key = _quote_key(c["text"])
            if c["pid"] in used_pid or not pattern.search(c["text"]):
                continue
            if keys is not None and not is_approved(keys, c["pid"], c["text"], cid):
                continue  # (c): real data, not approved by a reviewer
            if any(key in other or other in key for other in used_keys):
                continue  # the same comment with another lead-in
            shown = {"text": c["text"], "attribution": c["attribution"]}
            out[cid].append(
                {**shown, "pid": c["pid"], "column": c["column"]} if with_pid else shown
            )
            used_keys.append(key)
            used_pid.add(c["pid"])


def _check_attribution(
    attribution: Sequence[str], codebook: Codebook, responses: pd.DataFrame
) -> None:
    for col in attribution:
        if col not in codebook.groups:
            raise SurveyError(
                f"attribution column '{col}' is not a group of the codebook "
                f"(expected some of: {', '.join(codebook.groups)})",
                key="brief.quote_attribution",
            )
        if col not in responses:
            raise SurveyError(
                f"attribution column '{col}' is not in the clean responses",
                key="brief.quote_attribution",
            )


def _quote_candidates(
    responses: pd.DataFrame,
    codebook: Codebook,
    text_cols: Sequence[str],
    *,
    attribution: Sequence[str],
    safe: pd.Series,
    detector: Callable[[str], Sequence[Any]],
    lengths: tuple[int, int],
) -> list[dict[str, str]]:
    """Every comment that may be quoted: its author's cell is safe, its length within ``lengths``,
    and it holds no placeholder and nothing the detectors find (condition a)."""
    from mscsurvey.privacy.quotes import normalise_comment

    pid = codebook.identifiers.pseudonym if codebook.identifiers.pseudonym in responses else None
    attr = responses[list(attribution)].astype("string")
    cands = []
    for col in text_cols:
        texts = responses[col].astype("string")
        for idx in responses.index[safe & texts.notna()]:
            text = normalise_comment(str(texts[idx]))
            if not (lengths[0] <= len(text) <= lengths[1]):
                continue
            if PLACEHOLDER.search(text) or detector(text):
                continue  # (a): a placeholder, or an identifier the scrubbing missed
            who = ", ".join(str(attr.at[idx, c]) for c in attribution)
            cands.append(
                {
                    "pid": str(responses.at[idx, pid]) if pid else str(idx),
                    "column": col,
                    "text": text,
                    "attribution": f"– {who}",
                }
            )
    return cands


def _attribution_safe(
    responses: pd.DataFrame,
    attribution: Sequence[str],
    *,
    k: int,
    released: pd.DataFrame | None,
) -> pd.Series:
    """(b): the author's attribution cell has at least ``k`` members among ``responses`` and at least
    ``k`` compatible records in ``released`` (when given)."""
    from mscsurvey.stages.release import attribution_cell_sizes

    attr = responses[list(attribution)].astype("string")
    known = attr.notna().all(axis=1)
    # each respondent's cell and its size by groupby codes: a row-wise string join took ~50 s for
    # 10^6 respondents
    cell = attr.groupby(list(attribution), dropna=True, sort=False).ngroup()
    codes = cell.fillna(-1).to_numpy(dtype=np.int64)
    sizes = np.bincount(codes[codes >= 0], minlength=1)
    cell_size = np.where(codes >= 0, sizes[np.maximum(codes, 0)], 0)
    safe = known & pd.Series(cell_size >= k, index=responses.index)
    if released is not None and safe.any():
        in_file = attribution_cell_sizes(released, attribution, attr[safe])
        safe.loc[in_file.index] = in_file.to_numpy() >= k
    return safe


def suppression_summary(
    agreement: pd.DataFrame,
    subgroups: pd.DataFrame,
    regressions: pd.DataFrame,
    reliability: pd.DataFrame,
    *,
    min_n: int,
) -> dict[str, Any]:
    """What the minimum cell size withheld, as counts and one Methods sentence."""

    def count(df: pd.DataFrame, mask_col: str) -> int:
        return int(df[mask_col].fillna(False).astype(bool).sum()) if mask_col in df else 0

    items = count(agreement, "suppressed")
    cells = count(subgroups, "suppressed")
    models = 0
    if "note" in regressions and len(regressions):
        notes = regressions.loc[regressions["status"] == "skipped", "note"].astype(str)
        models = int(notes.str.contains("min_group_n").sum())
    rel = 0
    if "n_complete" in reliability and len(reliability):
        rel = int((pd.to_numeric(reliability["n_complete"], errors="coerce") < min_n).sum())
    parts = [
        f"{n} {one if n == 1 else many}"
        for n, one, many in (
            (items, "item percentage", "item percentages"),
            (cells, "subgroup cell", "subgroup cells"),
            (models, "driver model", "driver models"),
            (rel, "reliability estimate", "reliability estimates"),
        )
        if n
    ]
    text = phrasing.suppression_sentence(min_n, parts)
    return {
        "min_n": min_n,
        "items": items,
        "subgroup_cells": cells,
        "models": models,
        "reliability": rel,
        "text": text,
    }


def release_summary(disclosure: Mapping[str, Any] | None, codebook: Codebook) -> dict[str, Any]:
    """The public-use release in one Methods sentence (empty without a disclosure report)."""
    if not disclosure:
        return {"text": ""}
    keys = [
        _lower_first(codebook.groups[k].label)
        if k in codebook.groups
        else (codebook.cluster_label if k == codebook.cluster else k.replace("_", " "))
        for k in disclosure.get("key_variables", [])
    ]
    before = disclosure.get("risk_before") or {}
    after = disclosure.get("risk_after") or {}
    risk = (
        (before.get("expected_reidentifications"), after.get("expected_reidentifications"))
        if before and after
        else None
    )
    text = phrasing.release_sentence(
        keys,
        released=bool(disclosure.get("microdata_released")),
        k_achieved=disclosure.get("k_achieved"),
        k_requested=disclosure.get("k_requested"),
        k_before=disclosure.get("k_before"),
        suppressions=disclosure.get("suppressions_total"),
        risk=risk,
    )
    return {"text": text}


def quotes_summary(
    quotes: Mapping[str, list[dict[str, str]]],
    *,
    attribution: Sequence[str],
    k: int,
    synthetic: bool,
    reviewed: bool,
    released: bool,
    too_few: int | None = None,
) -> dict[str, Any]:
    """How many comments are quoted, and the Methods sentence saying which checks they passed (or
    why none is shown): ``n``, ``status`` (shown, none, withheld_review, no_attribution), ``text``."""
    n = sum(len(v) for v in quotes.values())
    cell = " × ".join(_lower_first(str(a)) for a in attribution)
    if too_few is not None:
        status = "too_few"
    elif not attribution:
        status = "no_attribution"
    elif not synthetic and not reviewed:
        status = "withheld_review"
    else:
        status = "shown" if n else "none"
    text = phrasing.quotes_text(
        status, cell=cell, k=k, released=released, synthetic=synthetic, too_few=too_few
    )
    return {"n": n if status in ("shown", "none") else 0, "status": status, "text": text}


# --------------------------------------------------------------------------------------------------
# Findings
# --------------------------------------------------------------------------------------------------


def _item_sentence(rec: Mapping[str, Any], statements: Mapping[str, str], words: str) -> str:
    return phrasing.item_sentence(
        words=words,
        text=str(rec.get("text") or rec.get("short") or rec["item"]).strip(),
        short=str(rec.get("short") or rec["item"]),
        pct=rec["pct_agree"],
        n=rec["n"],
        statement=statements.get(str(rec["item"])),
        suppressed=bool(rec.get("suppressed", False)),
        note=str(rec.get("note") or ""),
    )


def _words(codebook: Codebook, cid: str) -> str:
    """What agreeing means on the scale of a construct's first item (:func:`phrasing.agree_words`)."""
    return phrasing.agree_words(
        codebook.scales[codebook.items[codebook.constructs[cid].items[0]].scale]
    )


def _outcomes(models: Mapping[str, Mapping[str, Any]]) -> list[str]:
    return list(dict.fromkeys(str(m["outcome"]) for m in models.values()))


def construct_findings(
    agreement: pd.DataFrame,
    codebook: Codebook,
    *,
    scores: pd.DataFrame | None = None,
    statements: Mapping[str, str] | None = None,
    min_n: int = 1,
) -> list[dict[str, Any]]:
    """Per construct: its items' agreement (as displayed) and a one-sentence summary.

    An item the agreement stage suppressed (fewer than ``analyses.min_group_n`` answers) shows no
    number; a construct mean resting on fewer than ``min_n`` scored respondents is not shown either.

    Returns
    -------
    list of dict
        In codebook order: ``id``, ``label``, ``description``, ``agree_label``, ``n_items``,
        ``items`` (``item``, ``short``, ``text``, ``n``, ``pct`` "88%", ``ci`` "85–91%",
        ``pct_value`` (unrounded), ``sentence``), ``summary``, ``n_scored`` and ``mean`` (of the
        construct score, when ``scores`` is given), ``scale`` ("1 = strongly disagree … 5 =
        strongly agree").
    """
    statements = statements or {}
    out = []
    for cid, con in codebook.constructs.items():
        ag = agreement[agreement["construct"] == cid].set_index("item")
        ag = ag.reindex([i for i in con.items if i in ag.index]).reset_index()
        items = []
        for rec in _records(ag):
            small = bool(rec.get("suppressed", False))
            items.append(
                {
                    "item": rec["item"],
                    "short": str(rec.get("short") or rec["item"]),
                    "text": str(rec.get("text") or ""),
                    "n": MISSING if small else fmt_int(rec["n"]),
                    "suppressed": small,
                    "pct": fmt_pct(rec["pct_agree"]),
                    "pct_value": float(rec["pct_agree"]) if _finite(rec["pct_agree"]) else None,
                    "ci": (
                        f"{float(rec['ci_low']):.0f}–{float(rec['ci_high']):.0f}%"
                        if _finite(rec.get("ci_low")) and _finite(rec.get("ci_high"))
                        else MISSING
                    ),
                    "sentence": _item_sentence(rec, statements, _words(codebook, cid)),
                }
            )
        scale = codebook.scales[codebook.items[con.items[0]].scale]
        agree_label = phrasing.agree_words(scale)
        answered = ag.dropna(subset=["pct_agree"])
        summary = phrasing.construct_summary(
            con.label,
            agree_label,
            answered,
            suppressed=any(i["suppressed"] for i in items),
            single=items[0]["sentence"] if items else None,
        )
        entry: dict[str, Any] = {
            "id": cid,
            "label": con.label,
            "description": con.description,
            "agree_label": agree_label,
            "n_items": len(con.items),
            "items": items,
            "summary": summary,
            "scale": f"{scale.min} = {scale.codes[scale.min].lower()} … "
            f"{scale.max} = {scale.codes[scale.max].lower()}",
            "n_scored": None,
            "mean": MISSING,
        }
        if scores is not None and cid in scores:
            s = pd.to_numeric(scores[cid], errors="coerce").dropna()
            shown = len(s) >= max(min_n, 1)
            entry["n_scored"] = int(len(s))
            entry["mean"] = fmt_num(s.mean()) if shown else MISSING
            entry["sd"] = fmt_num(s.std(ddof=1)) if shown and len(s) > 1 else MISSING
        out.append(entry)
    return out


def takeaways(
    agreement: pd.DataFrame,
    codebook: Codebook,
    *,
    models: Mapping[str, Mapping[str, Any]],
    statements: Mapping[str, str] | None = None,
    drivers: pd.DataFrame | None = None,
    subgroup: Mapping[str, list[dict[str, Any]]] | None = None,
    reliability: Mapping[str, Any] | None = None,
    published: Mapping[str, Any] | None = None,
    scores: pd.DataFrame | None = None,
    min_n: int = 1,
) -> list[dict[str, Any]]:
    """The key takeaways, in order, each ``{"text", "kind", ...}`` with what it was read from.

    1. For each driver model's outcome construct (config order): its most-endorsed item
       (``kind: agreement`` with ``item``, ``pct`` (unrounded) and ``n``).
    2. The construct with the lowest mean score (reverse-keyed items flipped, as a position between
       its scale's ends), when it is not an outcome and ``scores`` are given
       (``kind: agreement_low``).
    3. Each model's driver sentence (``kind: drivers``).
    4. The clearest subgroup difference of each outcome (``kind: subgroup``).
    5. Reliability, when a scale is weak or failed (``kind: reliability``), and the published
       comparison (``kind: published``).
    """
    statements = statements or {}
    out: list[dict[str, Any]] = []
    outcomes = [o for o in _outcomes(models) if o in codebook.constructs]
    for cid in outcomes:
        ag = agreement[agreement["construct"] == cid].dropna(subset=["pct_agree"])
        if ag.empty:
            continue
        rec = ag.loc[ag["pct_agree"].idxmax()].to_dict()
        out.append(
            {
                "kind": "agreement",
                "construct": cid,
                "item": rec["item"],
                "pct": float(rec["pct_agree"]),
                "n": int(rec["n"]),
                "text": _item_sentence(rec, statements, _words(codebook, cid)),
            }
        )
    low = _least_endorsed(scores, codebook, outcomes=outcomes, min_n=min_n)
    if low is not None:
        out.append(low)
    if drivers is not None and len(drivers):
        for model in models:
            d = drivers[drivers["model"] == model]
            if len(d):
                out.append({"kind": "drivers", "model": model, "text": str(d["sentence"].iloc[0])})
    for cid in outcomes:
        sents = (subgroup or {}).get(cid) or []
        if sents:
            out.append({"kind": "subgroup", "construct": cid, "text": sents[0]["text"]})
    if reliability and reliability.get("caveats"):
        out.append({"kind": "reliability", "text": reliability["summary"]})
    if published and published.get("n_items"):
        out.append({"kind": "published", "text": published["summary"]})
    return out


def _least_endorsed(
    scores: pd.DataFrame | None, codebook: Codebook, *, outcomes: Sequence[str], min_n: int
) -> dict[str, Any] | None:
    """The construct whose reverse-keyed score sits lowest on its scale (raw item percentages would
    rank a construct of reverse-worded items by the opposite of what it measures)."""
    if scores is None:
        return None
    found = []
    for cid, con in codebook.constructs.items():
        if cid not in scores:
            continue
        s = pd.to_numeric(scores[cid], errors="coerce").dropna()
        scale = codebook.scales[codebook.items[con.items[0]].scale]
        if len(s) >= max(min_n, 1) and scale.max > scale.min:
            found.append(((s.mean() - scale.min) / (scale.max - scale.min), cid, s, scale))
    if len(found) < 2:
        return None
    _, cid, s, scale = min(found, key=lambda t: t[0])
    if cid in outcomes:
        return None
    flipped = sum(1 for i in codebook.constructs[cid].items if codebook.items[i].reverse)
    text = phrasing.least_endorsed(
        codebook.constructs[cid].label,
        mean=float(s.mean()),
        n=len(s),
        scale=scale,
        reversed_items=flipped,
    )
    return {"kind": "agreement_low", "construct": cid, "mean": float(s.mean()), "text": text}


def _group_p(tests: pd.DataFrame, construct: str, group: str) -> tuple[float, str]:
    row = tests[(tests["construct"] == construct) & (tests["group"] == group)]
    if row.empty:
        return float("nan"), ""
    rec = row.iloc[0]
    if str(rec.get("level", "")) == "cluster" and _finite(rec.get("mixed_p_holm")):
        return float(rec["mixed_p_holm"]), "mixed"
    if _finite(rec.get("welch_p_holm")):
        return float(rec["welch_p_holm"]), "welch"
    return float("nan"), ""


def subgroup_sentences(
    subgroups: pd.DataFrame,
    tests: pd.DataFrame,
    codebook: Codebook,
    *,
    alpha: float = 0.05,
) -> dict[str, list[dict[str, Any]]]:
    """Sentences on subgroup differences that are reportable and clear, per construct.

    A group that is constant within clusters (``level`` cluster in the table, as the codebook says) is
    judged by its mixed-model test
    (Holm-adjusted across the table; the honest test when respondents share their cluster's value):
    when it is below ``alpha`` the sentence names the highest and lowest reported categories. For a
    respondent-level group every reported (not suppressed) category whose one-vs-rest difference has
    a Holm-adjusted p below ``alpha`` gets a sentence with its direction, both means, Hedges' g and n.
    Suppressed cells never give a sentence.

    Returns
    -------
    dict
        Construct id -> list of ``{"group", "category", "text", "p"}`` in order of p.
    """
    out: dict[str, list[dict[str, Any]]] = {}
    for cid, con in codebook.constructs.items():
        rows: list[dict[str, Any]] = []
        m = subgroups[subgroups["construct"] == cid]
        scale = codebook.scales[codebook.items[con.items[0]].scale]
        span = phrasing.scale_span(scale)
        for group in dict.fromkeys(m["group"]):
            grp = codebook.groups.get(group)
            glabel = _lower_first(grp.label) if grp else group
            cells = m[(m["group"] == group) & ~m["suppressed"].astype(bool)].dropna(subset=["mean"])
            if cells.empty:
                continue
            level = (
                str(cells["level"].iloc[0])
                if "level" in cells
                else (grp.level if grp is not None else "respondent")
            )
            if level == "cluster":
                p, _ = _group_p(tests, cid, group)
                if not (_finite(p) and p < alpha) or len(cells) < 2:
                    continue
                hi = cells.loc[cells["mean"].idxmax()]
                lo = cells.loc[cells["mean"].idxmin()]
                text = phrasing.subgroup_cluster_sentence(
                    con.label, glabel, hi, lo, span=span, unit=codebook.cluster_noun, p=p
                )
                rows.append({"group": group, "category": None, "text": text, "p": p})
                continue
            for rec in _records(cells):
                p = rec.get("p_holm")
                if not (_finite(p) and float(p) < alpha) or not _finite(rec.get("diff_vs_rest")):
                    continue
                text = phrasing.subgroup_category_sentence(con.label, glabel, rec, span=span)
                rows.append({"group": group, "category": rec["category"], "text": text, "p": p})
        rows.sort(key=lambda r: r["p"])
        out[cid] = rows
    return out


def driver_summaries(
    drivers: pd.DataFrame,
    regressions: pd.DataFrame,
    codebook: Codebook,
    *,
    models: Mapping[str, Mapping[str, Any]],
    reliability: pd.DataFrame | None = None,
) -> list[dict[str, Any]]:
    """Per driver model (config order): the sentence, fit, predictors in rank order and caveats.

    ``predictors`` lists the ranked predictors, then the model's controls (``rank`` "control": in
    the model and its R² shares, never ranked); ``controls`` their labels.
    """
    status = {}
    if reliability is not None and len(reliability):
        status = dict(zip(reliability["construct"], reliability["status"].astype(str), strict=True))
    out = []
    for model, spec in models.items():
        outcome = str(spec["outcome"])
        label = codebook.constructs[outcome].label if outcome in codebook.constructs else outcome
        d = drivers[drivers["model"] == model].sort_values("rank", na_position="last")
        reg = regressions[regressions["model"] == model]
        controls = [str(c) for c in spec.get("controls") or []]
        entry: dict[str, Any] = {
            "model": model,
            "outcome": outcome,
            "label": label,
            "predictors_config": [str(p) for p in spec["predictors"]],
            "controls_config": controls,
            "estimated": bool(len(d)),
        }
        if not len(d):
            notes = reg["note"].dropna().astype(str)
            why = next((n for n in notes if n), "")
            entry["sentence"] = phrasing.not_estimated(label, why)
            entry["predictors"] = []
            out.append(entry)
            continue
        fit = reg.dropna(subset=["r2"])
        r2 = float(fit["r2"].iloc[0]) if len(fit) else float("nan")
        n = fit["n"].iloc[0] if len(fit) else None
        nc = fit["n_clusters"].iloc[0] if len(fit) else None
        entry["sentence"] = str(d["sentence"].iloc[0])
        entry["r2"] = fmt_num(r2)
        entry["n"] = fmt_int(n)
        entry["n_clusters"] = fmt_int(nc)
        unit = codebook.cluster_noun if codebook.cluster else None
        entry["fit"] = phrasing.driver_fit(label, r2, n, nc, unit)
        preds = []
        for rec in _records(d):
            is_control = str(rec.get("role")) == "control"
            preds.append(
                {
                    "rank": "control" if is_control else fmt_int(rec["rank"]),
                    "predictor": rec["predictor"],
                    "label": str(rec["label"]),
                    "share": fmt_pct(100 * float(rec["share"]))
                    if _finite(rec["share"])
                    else MISSING,
                    "direction": {"+": "positive", "-": "negative"}.get(
                        str(rec["direction"]), "by category"
                    ),
                    "detail": str(rec["detail"]),
                }
            )
        entry["predictors"] = preds
        entry["controls"] = [p["label"] for p in preds if p["rank"] == "control"]
        weak = [
            codebook.constructs[c].label
            for c in [outcome, *[str(p) for p in spec["predictors"]], *controls]
            if c in codebook.constructs and status.get(c) in ("weak", "failed")
        ]
        entry["caveat"] = phrasing.driver_caveat(weak)
        out.append(entry)
    return out


def reliability_summary(
    reliability: pd.DataFrame,
    codebook: Codebook,
    *,
    thresholds: Mapping[str, float],
    min_n: int = 1,
    ci_level: float = 0.95,
) -> dict[str, Any]:
    """Reliability rows as displayed, a one-sentence summary and a caveat per weak or failed scale.

    A construct whose α rests on fewer than ``min_n`` complete respondents shows no α, interval or ω.
    The interval's level is the table's ``ci_level`` (else ``ci_level``).
    """
    ok_t, weak_t = float(thresholds["ok"]), float(thresholds["weak"])
    rows, caveats = [], []
    for rec in _records(reliability):
        n_complete = rec.get("n_complete")
        if _finite(n_complete) and float(n_complete) < min_n:
            rec = {**rec, "alpha": None, "alpha_ci_low": None, "alpha_ci_high": None}
            rec["omega_total"] = None
        cid = str(rec["construct"])
        label = str(
            rec.get("label")
            or (codebook.constructs[cid].label if cid in codebook.constructs else cid)
        )
        status = str(rec.get("status") or MISSING)
        ci = (
            f"{fmt_num(rec.get('alpha_ci_low'))}–{fmt_num(rec.get('alpha_ci_high'))}"
            if _finite(rec.get("alpha_ci_low")) and _finite(rec.get("alpha_ci_high"))
            else MISSING
        )
        rows.append(
            {
                "construct": cid,
                "label": label,
                "n_items": fmt_int(rec.get("n_items")),
                "n": fmt_int(rec.get("n_complete")),
                "alpha": fmt_num(rec.get("alpha")),
                "ci": ci,
                "omega": fmt_num(rec.get("omega_total")),
                "status": status,
                "included": bool(rec.get("included", True)),
            }
        )
        use = (
            "it was left out of the subgroup and driver analyses"
            if not bool(rec.get("included", True))
            else "its score is still reported and analysed; read it with great caution"
        )
        level = phrasing.fmt_level(rec["ci_level"] if _finite(rec.get("ci_level")) else ci_level)
        text = phrasing.reliability_caveat(
            label, status, rec.get("alpha"), ci, level=level, ok=ok_t, weak=weak_t, use=use
        )
        if text:
            caveats.append({"construct": cid, "status": status, "text": text})
    summary = phrasing.reliability_sentence(rows, ok=ok_t, weak=weak_t)
    return {
        "thresholds": {"ok": fmt_num(ok_t), "weak": fmt_num(weak_t)},
        "rows": rows,
        "caveats": caveats,
        "summary": summary,
    }


def published_summary(
    published: pd.DataFrame, codebook: Codebook, *, ci_level: float = 0.95
) -> dict[str, Any]:
    """Published vs reproduced rows as displayed and a one-sentence summary (empty table: n_items 0)."""
    n = len(published)
    if n == 0:
        return {"n_items": 0, "rows": [], "summary": ""}
    inside = int(published["ci_contains_published"].fillna(False).astype(bool).sum())
    max_dn = int(published["n_difference"].abs().max()) if "n_difference" in published else None
    rows = []
    for rec in _records(published):
        item = str(rec["item"])
        rows.append(
            {
                "item": item,
                "construct": str(rec["construct"]),
                "short": codebook.items[item].short if item in codebook.items else item,
                "statement": str(rec.get("statement") or ""),
                "published": f"{fmt_pct(rec['published_pct'])} (n = {fmt_int(rec['published_n'])})",
                "reproduced": (
                    f"{fmt_pct(rec['reproduced_pct'])} (n = {fmt_int(rec['reproduced_n'])})"
                    if _finite(rec["reproduced_pct"])
                    else "not shown (too few answers)"
                ),
                "ci": (
                    f"{float(rec['ci_low']):.0f}–{float(rec['ci_high']):.0f}%"
                    if _finite(rec.get("ci_low")) and _finite(rec.get("ci_high"))
                    else MISSING
                ),
                "inside": "yes" if bool(rec.get("ci_contains_published")) else "no",
            }
        )
    if "ci_level" in published and published["ci_level"].notna().any():
        ci_level = float(published["ci_level"].dropna().iloc[0])
    summary = phrasing.published_sentence(n, inside, max_dn, level=phrasing.fmt_level(ci_level))
    return {"n_items": n, "n_inside": inside, "rows": rows, "summary": summary}


def exclusion_flow(validation: Mapping[str, Any], *, timed: bool = True) -> dict[str, Any]:
    """The clean stage's flow from received to analysed, as rows and a sentence (``timed`` False:
    the survey has no completion times, so no "completed too fast" row with nobody in it)."""
    rows = []
    for step in validation.get("flow", []):
        name = str(step.get("step", ""))
        if name == "excluded: no_cluster" and not step.get("n"):
            continue  # checked on every study with a cluster; shown only when it excluded someone
        if name == "excluded: speeder" and not timed and not step.get("n"):
            continue  # no timings: the speeder rule could not apply
        if name.startswith("excluded: "):
            reason = name.split(": ", 1)[1]
            label = f"Excluded: {EXCLUSION_REASONS.get(reason, reason.replace('_', ' '))}"
        else:
            label = name[:1].upper() + name[1:]
        rows.append(
            {
                "step": label,
                "n": fmt_int(step.get("n")),
                "remaining": fmt_int(step.get("remaining")) if "remaining" in step else "",
            }
        )
    received, analysed = validation.get("received"), validation.get("analysed")
    excluded = validation.get("excluded") or {}
    # in the order the clean stage applied them (its flow), then any reason the flow does not list
    order = [
        str(st.get("step", "")).split(": ", 1)[1]
        for st in validation.get("flow", [])
        if str(st.get("step", "")).startswith("excluded: ")
    ]
    order += [k for k in excluded if k not in order]
    parts = []
    for k in order:
        v = excluded.get(k)
        if v:
            one, many = EXCLUSION_PHRASES.get(k, (k.replace("_", " "),) * 2)
            parts.append(f"{fmt_int(v)} {one if v == 1 else many}")
    sentence = phrasing.exclusion_sentence(received, analysed, sum(excluded.values()), parts)
    return {
        "received": fmt_int(received),
        "analysed": fmt_int(analysed),
        "rows": rows,
        "sentence": sentence,
    }


def deidentification_summary(report: Mapping[str, Any], codebook: Codebook) -> dict[str, Any]:
    """What de-identification did, as sentences (never a value of an identifier).

    Direct identifiers are counted among the dropped columns the codebook names as identifiers;
    the other dropped columns are columns the codebook does not use, said apart."""
    ka = report.get("k_anonymity") or {}
    qi = [
        codebook.groups[q].label.lower() if q in codebook.groups else q.replace("_", " ")
        for q in ka.get("quasi_identifiers", [])
    ]
    supp = ka.get("suppressions_total", ka.get("suppressions"))
    if isinstance(supp, list):
        supp = len(supp)
    ft = report.get("free_text") or {}
    ph = dict(sorted((ft.get("placeholders") or {}).items(), key=lambda kv: (-kv[1], kv[0])))
    dropped = list(report.get("columns_dropped") or [])
    generalised = report.get("generalised") or {}
    declared = set(codebook.identifiers.raw_columns())
    direct = [c for c in dropped if c in declared]
    sentences = [
        phrasing.identifier_sentence(
            len(direct),
            len(dropped) - len(direct),
            has_id=codebook.identifiers.respondent_id is not None,
        )
    ]
    if generalised:
        sentences.append(
            "Quasi-identifiers were generalised: "
            + "; ".join(
                f"{k.replace('_', ' ')} → {_GENERALISED_HEAD.split(str(v))[0]}"
                for k, v in generalised.items()
            )
            + "."
        )
    if ka:
        sentences.append(
            f"k-anonymity was enforced with k = {fmt_int(ka.get('k_requested'))} on "
            f"{_join(qi) or 'the quasi-identifiers'}: achieved k = {fmt_int(ka.get('k_achieved'))} "
            f"after suppressing {fmt_int(supp)} values"
            + (
                f" ({fmt_int(ka.get('records_fully_suppressed'))} records fully suppressed)"
                if _finite(ka.get("records_fully_suppressed"))
                else ""
            )
            + "."
        )
    if ft and (ft.get("comments") or codebook.identifiers.free_text):  # no comments: no sentence
        total = sum(ph.values())
        sentences.append(
            f"{fmt_int(ft.get('comments_scrubbed'))} of {fmt_int(ft.get('comments'))} free-text "
            f"comments were scrubbed, replacing {fmt_int(total)} identifiers with placeholders ("
            + ", ".join(f"[{k}] {v}" for k, v in ph.items())
            + ")."
            if ph
            else f"No identifier was found in the {fmt_int(ft.get('comments'))} free-text comments."
        )
    return {
        "k_requested": fmt_int(ka.get("k_requested")),
        "k_achieved": fmt_int(ka.get("k_achieved")),
        "suppressions": fmt_int(supp),
        "quasi_identifiers": qi,
        "placeholders": {k: fmt_int(v) for k, v in ph.items()},
        "columns_dropped": len(dropped),
        "direct_identifiers": len(direct),
        "sentences": sentences,
    }


def _mostly_agreement(codebook: Codebook) -> bool:
    """Most items are on agreement scales: the answers are perceptions ("Who perceives what")."""
    on = [phrasing.is_agreement_scale(codebook.scale_of(i)) for i in codebook.items]
    return sum(on) > len(on) / 2


def _used_scales(codebook: Codebook) -> list[Any]:
    names = dict.fromkeys(codebook.items[i].scale for i in codebook.items)
    return [codebook.scales[n] for n in names]


def _methods(
    codebook: Codebook,
    *,
    models: Mapping[str, Mapping[str, Any]],
    settings: AnalysesSettings,
    drivers: list[dict[str, Any]],
    synthetic: bool = False,
    quoted: bool = True,
    published: bool = False,
) -> dict[str, Any]:
    """The Methods paragraphs (:func:`phrasing.methods_text`) and the driver models' table."""
    scales = {codebook.items[i].scale for i in codebook.items}
    used = Counter(phrasing.agree_words(codebook.scale_of(i)) for i in codebook.items)
    first, *rest = sorted(used, key=lambda w: -used[w])  # the most used first, as agree_phrase
    whose = (
        "comments generated by the synthetic model (no person wrote them)"
        if synthetic
        else "respondents' own comments"
    )
    model_rows = []
    labels = {**{g: x.label for g, x in codebook.groups.items()}}
    labels.update({c: x.label for c, x in codebook.constructs.items()})
    for d in drivers:
        spec = models[d["model"]]
        model_rows.append(
            {
                "model": d["model"],
                "outcome": labels.get(d["outcome"], d["outcome"]),
                "predictors": ", ".join(labels.get(p, p) for p in spec["predictors"]),
                "controls": ", ".join(labels.get(p, p) for p in spec.get("controls") or [])
                or "none",
                "n": d.get("n", MISSING),
                "r2": d.get("r2", MISSING),
            }
        )
    text = phrasing.methods_text(
        words=first + (f" (or {' or '.join(rest)})" if rest else ""),
        agreement=all(phrasing.is_agreement_scale(codebook.scales[s]) for s in scales),
        level=phrasing.fmt_level(float(settings.ci_level)),
        min_n=int(settings.min_group_n),
        unit=codebook.cluster_noun if codebook.cluster else None,
        quotes=whose if quoted else None,
        models=bool(models),
        controls=any(spec.get("controls") for spec in models.values()),
        published=published,
        dont_know=any(codebook.scales[s].missing for s in scales),
    )
    return {**text, "models": model_rows}


def codebook_appendix(codebook: Codebook) -> dict[str, Any]:
    """The codebook as a reader of the brief needs it: every question's wording, its response scale,
    the constructs and their items (reverse keying marked), the grouping variables.

    Returns
    -------
    dict
        ``scales`` (name, label, the codes and their labels, what counts as agreement, labels coded
        missing), ``constructs`` (label, description and, per item, its id, wording, scale and
        whether it is reverse-keyed) and ``groups`` (label and categories in order).
    """
    scales = []
    for sc in codebook.scales.values():
        scales.append(
            {
                "name": sc.name,
                "label": sc.label,
                "codes": "; ".join(f"{code} = {lab}" for code, lab in sc.codes.items()),
                "agree": ", ".join(sc.codes[c] for c in sc.agree if c in sc.codes),
                "missing": ", ".join(sc.missing) or MISSING,
            }
        )
    constructs = []
    for con in codebook.constructs.values():
        items = [
            {
                "item": item.id,
                "text": item.text or item.short,
                "scale": codebook.scales[item.scale].label,
                "reverse": phrasing.flag(item.reverse),
            }
            for item in codebook.items_of(con.id)
        ]
        constructs.append({"label": con.label, "description": con.description, "items": items})
    groups = [
        {
            "label": g.label,
            "categories": "; ".join(g.categories),
            "ordered": phrasing.flag(g.ordered),
        }
        for g in codebook.groups.values()
    ]
    return {"scales": scales, "constructs": constructs, "groups": groups}


def synthetic_notice(synthetic: Mapping[str, Any] | None, codebook: Codebook) -> dict[str, Any]:
    """What a brief made from synthetic data says about it, in each place a reader looks.

    Parameters
    ----------
    synthetic
        the dataset's ``synthetic:`` block of the config (the generator's model and the published
        percentages it was calibrated to), or None for real data.

    Returns
    -------
    dict
        ``is_synthetic`` and, when it is, ``banner`` (title page, every page), ``methods`` (how
        the data were made), ``quotes`` (that comments are generated) and ``published`` (that
        agreement with the published percentages is by construction).
    """
    if not synthetic:
        return {"is_synthetic": False}

    def shown(path: Any) -> str:  # as the config gives it; an absolute path by its name only
        return str(path) if not Path(str(path)).is_absolute() else Path(str(path)).name

    model = shown(synthetic.get("model", "the generator's model"))
    target = shown(synthetic["published"]) if synthetic.get("published") else None
    unit = codebook.cluster_noun if codebook.cluster else None
    return {
        "is_synthetic": True,
        "banner": phrasing.SYNTHETIC_BANNER,
        **phrasing.synthetic_texts(model, target, unit),
    }


def brief_numbers(
    *,
    codebook: Codebook,
    settings: NumbersSettings,
    synthetic: Mapping[str, Any] | None = None,
    responses: pd.DataFrame,
    validation: Mapping[str, Any],
    deid_report: Mapping[str, Any],
    scores: pd.DataFrame,
    reliability: pd.DataFrame,
    agreement: pd.DataFrame,
    published: pd.DataFrame,
    subgroups: pd.DataFrame,
    subgroup_tests: pd.DataFrame,
    regressions: pd.DataFrame,
    importance: pd.DataFrame,
    drivers: pd.DataFrame,
    invariance: pd.DataFrame | None = None,
    released: pd.DataFrame | None = None,
    reviewed: pd.DataFrame | None = None,
    disclosure: Mapping[str, Any] | None = None,
    imputed: pd.DataFrame | None = None,
    weighted: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Every number and sentence the brief shows, from the stages' tables.

    Long because it is the one list of the ~25 sections of ``numbers.json``, each one call to the
    section functions above (in four commented steps); splitting it would only scatter that list.

    Parameters
    ----------
    codebook : Codebook
        Study title, labels, scales, groups and quote keywords.
    settings : NumbersSettings
        What the numbers read of the config (:class:`~mscsurvey.settings.NumbersSettings`:
        ``seed``, ``deidentify.k``, ``scales.thresholds``, ``analyses``, ``brief``).
    responses, validation, deid_report : DataFrame, mapping, mapping
        The clean responses (free text for quotes), the clean stage's validation report and the
        de-identification report.
    scores, reliability : pandas.DataFrame
        The scales stage's scores and reliability tables.
    agreement, published, subgroups, subgroup_tests, regressions, importance, drivers : DataFrame
        The analyses stage's tables.
    invariance : DataFrame, optional
        The scales stage's measurement invariance table: subgroup sentences of a construct that is
        not scalar-invariant across their group get a mark (:func:`invariance_marks`).
    released : pandas.DataFrame, optional
        The public-use microdata (quotes are attributed only by cells with at least k compatible
        released records); None when no microdata is released.
    reviewed : pandas.DataFrame, optional
        The reviewed-quotes file (real data: only its approved comments are quoted).
    disclosure : mapping, optional
        The release stage's ``disclosure.json`` (the public-use file's k, suppressions and risk).
    imputed, weighted : pandas.DataFrame, optional
        The sensitivity analyses' tables (``sensitivity``: their Methods paragraphs and takeaways).

    Returns
    -------
    dict
        ``study``, ``sample``, ``takeaways``, ``constructs``, ``subgroups``, ``drivers``,
        ``reliability``, ``published``, ``exclusions``, ``deidentification``, ``methods`` and
        ``settings`` -- every value already formatted for reading. Figures are not named here:
        the notebook finds them in the figure index by kind and construct (so a figure setting
        does not change the numbers).

    Raises
    ------
    SurveyError
        If the config's quote attribution names a column that is not a group of the codebook.
    """
    # 1. settings and the sections' findings
    st = _settings(settings)
    models, min_n, alpha = st["models"], st["min_n"], st["alpha"]
    statements = _statements(published)
    constructs = construct_findings(
        agreement, codebook, scores=scores, statements=statements, min_n=min_n
    )
    quotes, quote_info = _quotes(
        responses, codebook, st, released=released, reviewed=reviewed, synthetic=synthetic
    )
    rel = reliability_summary(
        reliability, codebook, thresholds=st["thresholds"], min_n=min_n, ci_level=st["ci_level"]
    )
    caveat = {c["construct"]: c["text"] for c in rel["caveats"]}
    sub = subgroup_sentences(subgroups, subgroup_tests, codebook, alpha=alpha)
    for c in constructs:
        c["quotes"] = quotes.get(c["id"], [])
        c["caveat"] = caveat.get(c["id"])
    drv = driver_summaries(drivers, regressions, codebook, models=models, reliability=reliability)
    pub = published_summary(published, codebook, ci_level=st["ci_level"])
    # 2. synthetic data: said where the published comparison and the quotes are read
    notice = synthetic_notice(synthetic, codebook)
    if notice["is_synthetic"]:
        pub["summary"] = (pub["summary"] + " " + notice["published"]).strip()
        for qs in quotes.values():
            for q in qs:
                q["generated"] = True  # shown as "(generated comment)" after the attribution
    flow = exclusion_flow(validation, timed=codebook.identifiers.timestamps is not None)
    # 3. takeaways, then the invariance marks (their footnote is in the subgroup section)
    take = takeaways(
        agreement,
        codebook,
        models=models,
        statements=statements,
        drivers=drivers,
        subgroup=sub,
        reliability=rel,
        published=pub,
        scores=scores,
        min_n=min_n,
    )
    inv = invariance_marks(invariance, codebook)
    mark_subgroup_sentences(sub, inv)
    outcomes = [o for o in _outcomes(models) if o in codebook.constructs]
    has = _sections(codebook, responses, models=models, published=pub, subgroups=subgroups)
    # 4. everything gathered, formatted for reading
    return {
        "study": _study(codebook),
        "sample": _sample(flow, responses, codebook),
        "takeaways": take,
        "constructs": constructs,
        "outcomes": outcomes,
        "subgroups": _subgroup_summary(sub, codebook, outcomes, alpha),
        "drivers": drv,
        "reliability": rel,
        "published": pub,
        "exclusions": flow,
        "deidentification": deidentification_summary(deid_report, codebook),
        "methods": _methods(
            codebook,
            models=models,
            settings=st["analyses"],
            drivers=drv,
            synthetic=notice["is_synthetic"],
            quoted=has["comments"],
            published=has["published"],
        ),
        "has": has,
        "headings": phrasing.headings(
            driver_labels=[d["label"] for d in drv],
            published=has["published"],
            groups=has["groups"],
            level=phrasing.fmt_level(st["ci_level"]),
            agreement=_mostly_agreement(codebook),
            group_labels=[g.label for g in codebook.groups.values()],
        ),
        "settings": _shown_settings(st, codebook),
        "synthetic": notice,
        "codebook": codebook_appendix(codebook),
        "invariance": inv,
        "quotes": quote_info,
        "release": release_summary(disclosure, codebook),
        "suppression": suppression_summary(
            agreement, subgroups, regressions, reliability, min_n=min_n
        ),
        "sensitivity": brief_sentences(codebook, models, imputed=imputed, weighted=weighted),
    }


def _settings(settings: NumbersSettings) -> dict[str, Any]:
    """The settings the brief's sections read (the typed settings: the schema's defaults)."""
    analyses = settings.analyses
    ci_level = float(analyses.ci_level)
    return {
        "analyses": analyses,
        "models": analyses.models,
        "ci_level": ci_level,
        "alpha": round(1 - ci_level, 10),
        "thresholds": settings.thresholds.as_mapping(),
        "brief": settings.brief,
        "k": int(settings.k),
        "min_n": int(analyses.min_group_n),
        "seed": int(settings.seed),
        "attribution": list(settings.brief.quote_attribution),
    }


def _statements(published: pd.DataFrame) -> dict[str, str]:
    """Item -> the published finding's statement (where the published table words one)."""
    if not (len(published) and "statement" in published):
        return {}
    return {
        str(i): str(s)
        for i, s in zip(published["item"], published["statement"], strict=True)
        if isinstance(s, str) and s.strip()
    }


def _quotes(
    responses: pd.DataFrame,
    codebook: Codebook,
    st: Mapping[str, Any],
    *,
    released: pd.DataFrame | None,
    reviewed: pd.DataFrame | None,
    synthetic: Mapping[str, Any] | None,
) -> tuple[dict[str, list[dict[str, str]]], dict[str, Any]]:
    """The quotes per construct and their Methods summary (:func:`quotes_summary`)."""
    min_n, k = st["min_n"], st["k"]
    # no quote from a sample under the minimum cell size, whatever the attribution cells
    enough = len(responses) >= min_n
    quotes = select_quotes(
        responses,
        codebook,
        attribution=st["attribution"] if enough else [],
        k=k,
        seed=st["seed"],
        per_construct=int(st["brief"].quotes_per_construct),
        max_placeholder_share=float(st["brief"].max_placeholder_share),
        released=released,
        reviewed=reviewed,
        require_review=not synthetic,  # real data: only reviewed, approved comments
    )
    info = quotes_summary(
        quotes,
        attribution=[codebook.groups[g].label for g in st["attribution"]],
        too_few=None if enough else min_n,
        k=k,
        synthetic=bool(synthetic),
        reviewed=reviewed is not None,
        released=released is not None,
    )
    return quotes, info


def _study(codebook: Codebook) -> dict[str, str]:
    return {
        "title": str(codebook.study.get("title", "Survey brief")),
        "short_title": str(codebook.study.get("short_title", "")),
        "description": str(codebook.study.get("description", "")),
        "cluster_label": codebook.cluster_label,
    }


def _sample(flow: Mapping[str, Any], responses: pd.DataFrame, codebook: Codebook) -> dict[str, Any]:
    """Responses received and analysed, clusters, and the sentence saying so."""
    n_clusters = (
        int(responses[codebook.cluster].nunique())
        if codebook.cluster and codebook.cluster in responses
        else None
    )
    return {
        "received": flow["received"],
        "analysed": flow["analysed"],
        "n_clusters": fmt_int(n_clusters),
        "sentence": phrasing.sample_sentence(
            flow["analysed"], flow["received"], n_clusters, codebook.cluster_noun
        ),
    }


def _subgroup_summary(
    sub: Mapping[str, list[dict[str, Any]]],
    codebook: Codebook,
    outcomes: Sequence[str],
    alpha: float,
) -> list[dict[str, Any]]:
    """Per construct, its subgroup sentences, or the sentence saying there is no clear difference."""
    out = []
    for cid, con in codebook.constructs.items():
        sents = sub.get(cid, [])
        out.append(
            {
                "construct": cid,
                "label": con.label,
                "outcome": cid in outcomes,
                "sentences": [s["text"] for s in sents],
                "none": phrasing.subgroup_none(con.label, alpha) if not sents else None,
            }
        )
    return out


def _shown_settings(st: Mapping[str, Any], codebook: Codebook) -> dict[str, Any]:
    """The settings the brief states (k, minimum cell, confidence level, seed, attribution)."""
    return {
        "k": st["k"],
        "min_group_n": st["min_n"],
        "ci_level": phrasing.fmt_level(st["ci_level"]),
        "alpha": fmt_num(st["alpha"]),
        "seed": st["seed"],
        "quote_attribution": [codebook.groups[g].label for g in st["attribution"]],
    }


def _sections(
    codebook: Codebook,
    responses: pd.DataFrame,
    *,
    models: Mapping[str, Any],
    published: Mapping[str, Any],
    subgroups: pd.DataFrame,
) -> dict[str, bool]:
    """Which sections the study has: a section, or a sentence about it, exists only with its content."""
    return {
        "comments": bool([c for c in codebook.identifiers.free_text if c in responses]),
        "cluster": bool(codebook.cluster),
        "models": bool(models),
        "published": bool(published["n_items"]),
        "groups": bool(codebook.groups) and len(subgroups) > 0,
        "timings": codebook.identifiers.timestamps is not None,
    }


# --------------------------------------------------------------------------------------------------
# Measurement invariance: which subgroup comparisons rest on a construct measured alike
# --------------------------------------------------------------------------------------------------

INVARIANCE_MARK = "†"


def _holds(value: Any) -> bool:
    return not pd.isna(value) and bool(value)


def invariance_marks(invariance: pd.DataFrame | None, codebook: Codebook) -> dict[str, Any]:
    """Per construct x compared group, whether a comparison of means across that group is on a
    scalar-invariant measure (``scales/invariance.parquet``), and the brief's texts about it.

    Returns
    -------
    dict
        ``status``: construct -> group -> ``{"status", "freed", "mark"}`` with status ``scalar``
        (scalar invariance holds: no mark), ``partial`` (holds only with the ``freed`` intercepts
        free), ``not_scalar`` or ``not_tested``; ``mark`` is True for all but ``scalar``.
        ``methods``: the Methods paragraph; ``note``: the subgroup section's footnote for the mark
        (empty when nothing is marked or no table was given).
    """
    status: dict[str, dict[str, dict[str, Any]]] = {}
    if invariance is None or not len(invariance):
        return {"status": status, "methods": "", "note": "", "mark": INVARIANCE_MARK}
    for (cid, gid), t in invariance.groupby(["construct_set", "group_variable"], sort=False):
        lv = t.set_index("level")
        st, freed = "not_tested", []
        if "scalar" in lv.index and _holds(lv.loc["scalar", "holds"]):
            st = "scalar"
        elif "partial_scalar" in lv.index and _holds(lv.loc["partial_scalar", "holds"]):
            st = "partial"
            freed = [x for x in str(lv.loc["partial_scalar", "freed_intercepts"]).split(", ") if x]
        elif "scalar" in lv.index and not pd.isna(lv.loc["scalar", "holds"]):
            st = "not_scalar"
        status.setdefault(str(cid), {})[str(gid)] = {
            "status": st,
            "freed": freed,
            "mark": st != "scalar",
        }
    marked = any(v["mark"] for g in status.values() for v in g.values())
    methods = phrasing.invariance_methods(INVARIANCE_MARK)
    note = phrasing.invariance_note(INVARIANCE_MARK) if marked else ""
    return {"status": status, "methods": methods, "note": note, "mark": INVARIANCE_MARK}


def mark_subgroup_sentences(
    sentences: dict[str, list[dict[str, Any]]], marks: Mapping[str, Any]
) -> None:
    """Append the invariance mark to each subgroup sentence (in place) whose construct is not
    scalar-invariant across its group (:func:`invariance_marks`)."""
    status = marks.get("status", {})
    for cid, rows in sentences.items():
        for row in rows:
            info = status.get(cid, {}).get(row.get("group"))
            if info and info["mark"]:
                row["text"] = f"{row['text']} {marks['mark']}"
