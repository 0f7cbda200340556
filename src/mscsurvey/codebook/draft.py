"""Draft a codebook from a raw export: a starting point a student reviews, never a codebook used as is.

:func:`draft_codebook` infers response scales (known ordered label families, SPSS/Stata value labels or
small integer codes), constructs (item-name prefixes), candidate identifier, timestamp and free-text
columns, grouping variables and a cluster column. :func:`render_draft` writes it as YAML whose comments
say what to check. The draft starts with ``draft: true``, which the pipeline refuses to run.

No value of an identifier or free-text column is ever written into the draft (the codebook goes into
git): only column names, response labels and group categories are.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mscsurvey.stages.clean import normalise_answer

__all__ = ["FAMILIES", "DraftScale", "Draft", "draft_codebook", "render_draft"]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}

# An ordered label family: each variant is a list of positions, low -> high, each position a set of
# accepted (normalised) spellings; `top` = how many top codes count as "agree".
_SD = {"strongly disagree"}
_D = {"disagree"}
_SWD = {"somewhat disagree", "slightly disagree", "mildly disagree", "tend to disagree"}
_N = {"neither agree nor disagree", "neither agree or disagree", "neutral", "undecided"}
_SWA = {"somewhat agree", "slightly agree", "mildly agree", "tend to agree"}
_A = {"agree"}
_SA = {"strongly agree"}


@dataclass(frozen=True)
class _Family:
    name: str
    positions: tuple[frozenset[str], ...]
    top: int
    agree_label: str


def _fam(name: str, top: int, agree_label: str, *positions: set[str]) -> _Family:
    return _Family(name, tuple(frozenset(p) for p in positions), top, agree_label)


#: Known ordered label families, smallest variant first within a name.
FAMILIES: tuple[_Family, ...] = (
    _fam("agree4", 2, "agreed", _SD, _D, _A, _SA),
    _fam("agree5", 2, "agreed", _SD, _D, _N, _A, _SA),
    _fam("agree6", 3, "agreed", _SD, _D, _SWD, _SWA, _A, _SA),
    _fam("agree7", 3, "agreed", _SD, _D, _SWD, _N, _SWA, _A, _SA),
    _fam(
        "howmuch4",
        1,
        'said "a lot"',
        {"not at all"},
        {"a little", "a little bit"},
        {"somewhat", "some", "moderately"},
        {"a lot", "a great deal", "very much"},
    ),
    _fam(
        "howmuch5",
        2,
        'said "quite a bit" or more',
        {"not at all"},
        {"a little", "a little bit"},
        {"somewhat", "a moderate amount", "moderately"},
        {"quite a bit", "a lot"},
        {"a great deal", "very much", "extremely"},
    ),
    _fam(
        "extent5",
        2,
        'said "to a great extent" or more',
        {"not at all", "to no extent"},
        {"to a small extent", "to a little extent"},
        {"to a moderate extent", "to some extent"},
        {"to a great extent", "to a large extent"},
        {"to a very great extent", "to a very large extent", "completely"},
    ),
    _fam("freq4", 2, "said often or always", {"never"}, {"sometimes"}, {"often"}, {"always"}),
    _fam(
        "freq5",
        2,
        "said often or always",
        {"never"},
        {"rarely", "seldom"},
        {"sometimes", "occasionally"},
        {"often", "usually", "most of the time", "very often"},
        {"always"},
    ),
    _fam(
        "satisfied4",
        2,
        "satisfied",
        {"very dissatisfied"},
        {"dissatisfied", "somewhat dissatisfied"},
        {"satisfied", "somewhat satisfied"},
        {"very satisfied"},
    ),
    _fam(
        "satisfied5",
        2,
        "satisfied",
        {"very dissatisfied"},
        {"dissatisfied", "somewhat dissatisfied"},
        {"neither satisfied nor dissatisfied", "neutral"},
        {"satisfied", "somewhat satisfied"},
        {"very satisfied"},
    ),
    _fam(
        "likely5",
        2,
        "likely",
        {"very unlikely", "extremely unlikely"},
        {"unlikely", "somewhat unlikely"},
        {"neither likely nor unlikely", "neutral"},
        {"likely", "somewhat likely"},
        {"very likely", "extremely likely"},
    ),
    _fam("quality4", 2, "good or better", {"poor"}, {"fair"}, {"good"}, {"excellent"}),
    _fam(
        "quality5",
        2,
        "very good or excellent",
        {"poor"},
        {"fair"},
        {"good"},
        {"very good"},
        {"excellent"},
    ),
)

# Answers that carry no position on a scale: they go to the scale's (or group's) `missing`.
_MISSING = re.compile(
    r"^(don'?t know|do not know|not sure|unsure|no opinion|can'?t say|not applicable|n/?a|"
    r"prefer not to (say|answer)|decline(d)? to (say|answer)|refused|no answer)\b"
)

# Column names of likely identifiers -> the roster placeholder their values get in free text (None:
# dropped, not scrubbed from free text).
_ID_NAMES: tuple[tuple[re.Pattern[str], str | None], ...] = (
    # also Qualtrics' RecipientFirstName/RecipientLastName (lower-cased, no separator)
    (re.compile(r"(first|last|full|given|family|sur)_?name$|(^|_)name$"), "NAME"),
    (re.compile(r"(^|_)e_?mail"), None),
    (re.compile(r"(^|_)(phone|tel|telephone|mobile|cell)"), None),
    (re.compile(r"(^|_)ip(_?address)?$|ipaddress"), None),
    (re.compile(r"street|address"), "ADDRESS"),
    (re.compile(r"(^|_)(city|town)$"), "LOCATION"),
    (re.compile(r"organi[sz]ation|employer|company|(^|_)org$"), "ORGANIZATION"),
    (re.compile(r"latitude|longitude|(^|_)(lat|lon|lng)$|location"), None),
    (re.compile(r"^recipient|externalreference|external_ref"), None),
)
_ID_COLUMN = re.compile(r"^(respondent_?id|response_?id|responseid|resp_?id|record_?id|id)$")
_BIRTH = re.compile(r"birth|(^|_)dob$")
_ZIP = re.compile(r"(^|_)(zip|zipcode|zip_code|postal|postcode|post_code)")
_START = re.compile(r"start")
_END = re.compile(r"(^|_)end|finish|submit")
_DEMOGRAPHIC = re.compile(r"gender|(^|_)sex|race|ethnic|(^|_)age")
# Background (demographic) columns by name: groups or covariates, never items. A name counts when one of
# these words stands alone or between "_"/digits ("age", "p1edu", "smoke", "ER"); a numbered battery
# (health_1..health_5) is still a battery.
_BACKGROUND = re.compile(
    r"(?:^|[_\d])(age|sex|gender|race|ethnic|ethnicity|edu|educ|education|degree|income|salary|"
    r"health|exercise|smoke|smoking|smoker|drink|drinking|alcohol|marital|married|religion|religious|"
    r"employment|employed|occupation|job|country|nationality|state|region|language|wellness|bmi|"
    r"height|weight|children|household|urban|rural|er|zipcode)(?:[_\d]|$)"
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.I)
_PHONE = re.compile(r"^\+?[\d\s().-]{7,20}$")
_IPV4 = re.compile(r"^(\d{1,3}\.){3}\d{1,3}$")
_IPV6 = re.compile(r"^[0-9a-f:]{6,39}$", re.I)
_INTEGER = re.compile(r"^\d+$")
_ITEM = re.compile(r"^(?P<prefix>[A-Za-z_]*?[A-Za-z])_?(?P<num>\d+)$")


@dataclass
class DraftScale:
    name: str
    codes: dict[int, str]
    missing: list[str]
    agree: list[int]
    agree_label: str
    how: str  # "family", "value labels", "integer codes" or "unknown"
    columns: list[str] = field(default_factory=list)


@dataclass
class Draft:
    """What the draft found; :func:`render_draft` turns it into commented YAML."""

    source: str
    n_rows: int
    scales: dict[str, DraftScale]
    items: dict[str, dict[str, Any]]  # item -> scale, text, hint
    constructs: dict[str, list[str]]
    groups: dict[str, dict[str, Any]]
    cluster: dict[str, Any] | None
    identifiers: dict[str, Any]
    notes: dict[str, list[str]]  # identifiers' reasons, unnamed columns, unplaced columns
    evidence: dict[str, list[str]] = field(default_factory=dict)  # construct -> comment lines
    covariates: dict[str, int] = field(default_factory=dict)  # numeric background column -> values
    battery: list[str] = field(
        default_factory=list
    )  # how the constructs were found (comment lines)


def _counts(s: pd.Series) -> dict[str, tuple[str, int]]:
    """Normalised answer -> (its most frequent spelling in the data, how many answers)."""
    raw = s.dropna().astype(str).str.strip()
    # each distinct spelling is normalised once (normalising every answer made wide files slow)
    spellings: dict[str, list[tuple[int, str]]] = {}
    for spelling, cnt in raw[raw != ""].value_counts(sort=False).items():
        key = normalise_answer(spelling)
        spellings.setdefault(str(key), []).append((int(cnt), str(spelling)))
    out: dict[str, tuple[str, int]] = {}
    for key in sorted(spellings):
        top = max(cnt for cnt, _ in spellings[key])
        best = sorted(sp for cnt, sp in spellings[key] if cnt == top)[0]
        # a number is spelled as its normal form: "1.0" (a float column with blanks) is 1
        best = key if _INTEGER.match(key) else best
        out[key] = (best, sum(cnt for cnt, _ in spellings[key]))
    return out


def _match_family(labels: set[str]) -> tuple[_Family, dict[str, int]] | None:
    """The smallest known family variant whose positions hold every label (one label a position)."""
    for fam in FAMILIES:
        pos: dict[str, int] = {}
        used: set[int] = set()
        for lab in labels:
            hit = [i for i, p in enumerate(fam.positions) if lab in p]
            if not hit or hit[0] in used:
                break
            pos[lab] = hit[0]
            used.add(hit[0])
        else:
            return fam, pos
    return None


def _canonical(position: frozenset[str]) -> str:
    """A readable spelling of a family position nobody answered ("strongly disagree" -> "Strongly disagree")."""
    text = sorted(position, key=len)[0]
    return text[0].upper() + text[1:]


def _scale_kind(
    counts: dict[str, tuple[str, int]], value_labels: dict[Any, str] | None
) -> tuple[str, Any] | None:
    """How a column looks like a response scale, or None."""
    labels = {k for k in counts if not _MISSING.match(k)}
    if len(labels) < 2:
        return None
    fam = _match_family(labels)
    if fam is not None:
        return "family", fam
    if (
        value_labels
    ):  # only batteries are passed (see draft_codebook): a lone labelled column is a group
        return "value labels", value_labels
    if all(_INTEGER.match(k) for k in labels):
        codes = sorted(int(k) for k in labels)
        if codes[0] in (0, 1) and codes[-1] <= 11 and len(codes) >= 3:
            return "integer codes", codes[-1]
    return None


def _is_free_text(values: pd.Series) -> bool:
    text = values.dropna().astype(str)
    if len(text) == 0:
        return False
    return bool(text.str.len().median() >= 25 and text.nunique() >= 0.3 * len(text))


def _value_pattern(values: pd.Series) -> str | None:
    """Which identifier pattern most of a column's values follow (e-mail, phone, IP), if any."""
    text = values.dropna().astype(str).str.strip()
    vc = text[text != ""].value_counts(sort=False)  # each distinct value is matched once
    if len(vc) == 0:
        return None
    total = vc.sum()

    def share(pat: re.Pattern[str], full: bool = False) -> float:
        hit = np.array([bool(pat.fullmatch(v) if full else pat.match(v)) for v in vc.index])
        return float(vc.to_numpy()[hit].sum() / total)

    for what, pat in (("e-mail", _EMAIL), ("IP", _IPV4), ("IP", _IPV6), ("phone", _PHONE)):
        if share(pat) >= 0.8 and not (what == "phone" and share(_SHORT_NUMBER, True) > 0.5):
            return what
    return None


_SHORT_NUMBER = re.compile(r"\d{1,6}")
_FIRST_NUMBER = re.compile(r"(\d[\d,]*(?:\.\d+)?)")


def _numeric_order(categories: list[str]) -> list[str] | None:
    """Categories in numeric order when every one holds a number ("Under $35,000", "1 to 2 years")."""
    keys = []
    for cat in categories:
        m = _FIRST_NUMBER.search(cat)
        if m is None:
            return None
        value = float(m.group(1).replace(",", ""))
        low = cat.casefold()
        # "Under 35" sorts before "35 to 49"; "200 or more" after "150 to 199"
        shift = -0.5 if re.search(r"under|less than|below|fewer", low) else 0.0
        shift = 0.5 if re.search(r"or more|more than|over|above|\+", low) else shift
        keys.append((value + shift, cat))
    return [cat for _, cat in sorted(keys)]


def _item_text(col: str, variable_labels: dict[str, str]) -> str:
    return (variable_labels.get(col) or col).strip() or col


def draft_codebook(
    df: pd.DataFrame,
    *,
    source: str,
    value_labels: dict[str, dict[Any, str]] | None = None,
    variable_labels: dict[str, str] | None = None,
    k: int = 5,
    n_constructs: int | None = None,
) -> Draft:
    """Infer a draft codebook from a raw export read by :func:`mscsurvey.io.read_raw`.

    Parameters
    ----------
    df
        the raw responses as text (``_source_row`` is ignored).
    source
        the data file's name, written in the draft's header comment.
    value_labels, variable_labels
        SPSS/Stata metadata (pyreadstat's ``variable_value_labels`` and column labels), if any: value
        labels give a scale's codes and their order, variable labels an item's wording.
    k
        the smallest group size analyses publish; smaller categories are pointed out.
    n_constructs
        the number of constructs an item battery is split into by factor analysis (default: parallel
        analysis suggests it); given, the battery is factor-analysed even when item names carry prefixes.
    """
    value_labels = value_labels or {}
    variable_labels = variable_labels or {}
    cols = [c for c in df.columns if c != "_source_row"]
    n = len(df)
    notes: dict[str, list[str]] = {"unnamed": [], "unplaced": [], "review": []}
    why: dict[str, str] = {}
    counts = {c: _counts(df[c]) for c in cols}
    taken: set[str] = set()
    for c in cols:
        if not _NAME.match(str(c)):
            notes["unnamed"].append(str(c))
            taken.add(c)
    # Identifiers first: a column that might identify someone is never analysed or quoted.
    ids = _identifiers(df, cols, counts, taken, why)
    background = _background(cols, taken)
    # Response scales: columns sharing one label family (or one value-label set) share one scale.
    scales, items = _scales(cols, counts, _batteries(value_labels), taken, background)
    _unknown_scales(cols, counts, scales, items, taken, background)
    for c in items:
        items[c]["text"] = _item_text(c, variable_labels)
    constructs, evidence, battery, moved = _constructs(df, items, scales, n_constructs)
    taken -= moved
    groups, cluster, covariates = _groups(df, cols, counts, taken, background, value_labels, k)
    qi = ["age_band"] if ids["birth_date"] else []
    qi += [g for g in groups if _DEMOGRAPHIC.search(g.lower())]
    ids["quasi_identifiers"] = qi
    notes["unplaced"] = [c for c in cols if c not in taken]
    notes["why"] = [f"{c}: {w}" for c, w in why.items()]
    return Draft(
        source, n, scales, items, constructs, groups, cluster, ids, notes,
        evidence=evidence, covariates=covariates, battery=battery,
    )  # fmt: skip


def _batteries(value_labels: dict[str, dict[Any, str]]) -> dict[str, dict[Any, str]]:
    """SPSS/Stata value labels make a scale when 2+ columns share a set of 3+ labels (a battery)."""
    label_sets: dict[tuple[Any, ...], int] = {}
    for vl in value_labels.values():
        key = tuple(sorted((str(code), str(lab)) for code, lab in vl.items()))
        label_sets[key] = label_sets.get(key, 0) + 1
    return {
        c: vl
        for c, vl in value_labels.items()
        if len(vl) >= 3
        and label_sets[tuple(sorted((str(code), str(lab)) for code, lab in vl.items()))] >= 2
    }


def _identifiers(
    df: pd.DataFrame,
    cols: list[str],
    counts: dict[str, dict[str, tuple[str, int]]],
    taken: set[str],
    why: dict[str, str],
) -> dict[str, Any]:
    """The identifier block: response id, direct and person identifiers, birth date, ZIP,
    timestamps, free text. Adds each identifier column to ``taken`` and its reason to ``why``."""
    ids: dict[str, Any] = {
        "respondent_id": None,
        "person": [],
        "direct": [],
        "roster": {},
        "birth_date": None,
        "zip": None,
        "timestamps": None,
        "free_text": [],
        "quasi_identifiers": [],
    }
    for c in cols:
        if c not in taken and _identifier(c, df[c], counts[c], ids, why):
            taken.add(c)
    if "_start" in ids and "_end" in ids:
        ids["timestamps"] = {"start": ids.pop("_start"), "end": ids.pop("_end")}
    else:  # one timestamp alone cannot give a duration: leave it to the student
        for key in ("_start", "_end"):
            if key in ids:
                col = ids.pop(key)
                ids["direct"].append(col)
                why[col] += "; no matching start/end column was found, so it is dropped"
    return ids


def _identifier(
    c: str,
    values: pd.Series,
    counts: dict[str, tuple[str, int]],
    ids: dict[str, Any],
    why: dict[str, str],
) -> bool:
    """Record column ``c`` in ``ids`` if its name or values say it identifies; False if not."""
    low = str(c).lower()
    nonnull = values.dropna()
    unique_share = nonnull.nunique() / max(len(nonnull), 1)
    if ids["respondent_id"] is None and _ID_COLUMN.match(low):
        ids["respondent_id"] = c
        why[c] = "its name says it is the response id"
    elif _BIRTH.search(low):
        ids["birth_date"] = c
        why[c] = "its name looks like a birth date; generalised to age bands"
    elif _ZIP.search(low):
        ids["zip"] = c
        why[c] = "its name looks like a ZIP/postal code"
    elif _START.search(low) and pd.to_datetime(nonnull, errors="coerce").notna().mean() > 0.9:
        ids.setdefault("_start", c)
        why[c] = "a start timestamp (becomes the survey month and the duration)"
    elif _END.search(low) and pd.to_datetime(nonnull, errors="coerce").notna().mean() > 0.9:
        ids.setdefault("_end", c)
        why[c] = "an end timestamp"
    else:
        named = next((ph for pat, ph in _ID_NAMES if pat.search(low)), "none")
        pattern = _value_pattern(values)
        if named != "none" or pattern:
            ids["direct"].append(c)
            if named not in ("none", None):
                ids["roster"][c] = named
            reason = (
                "its name suggests"
                if named != "none"
                else f"its values look like {pattern}s, which suggests"
            )
            why[c] = f"{reason} it identifies a person; dropped"
            if pattern == "e-mail" or (named != "none" and "mail" in low):
                ids["person"].append(c)
        elif _is_free_text(values):
            ids["free_text"].append(c)
            why[c] = "long, mostly unique text: free text, scrubbed of identifiers"
        elif unique_share > 0.9 and len(nonnull) >= 20 and _scale_kind(counts, None) is None:
            if ids["respondent_id"] is None:
                ids["respondent_id"] = c
                why[c] = "every answer is different: taken as the response id"
            else:
                ids["direct"].append(c)
                why[c] = "nearly every answer is different: it may identify a person; dropped"
        else:
            return False
    return True


def _scales(
    cols: list[str],
    counts: dict[str, dict[str, tuple[str, int]]],
    batteries: dict[str, dict[Any, str]],
    taken: set[str],
    background: set[str],
) -> tuple[dict[str, DraftScale], dict[str, dict[str, Any]]]:
    """Scales recognised by label family, value labels or bare codes, and their items (each
    added to ``taken``; ``text`` filled by the caller)."""
    scales: dict[str, DraftScale] = {}
    items: dict[str, dict[str, Any]] = {}
    for c in cols:
        if c in taken or c in background:
            continue
        kind = _scale_kind(counts[c], batteries.get(c))
        if kind is None:
            continue
        missing = [sp for key, (sp, _) in counts[c].items() if _MISSING.match(key)]
        how, what = kind
        if how == "family":
            name = _family_scale(scales, what, counts[c])
        elif how == "value labels":
            name = _labels_scale(scales, what, missing)
        else:
            name = _codes_scale(scales, what)
        sc = scales[name]
        for m in missing:
            if m.casefold() not in {x.casefold() for x in sc.missing}:
                sc.missing.append(m)
        sc.columns.append(c)
        items[c] = {"scale": name, "text": None, "hint": None}
        items[c]["reverse"] = False
        taken.add(c)
    return scales, items


def _family_scale(
    scales: dict[str, DraftScale], what: Any, counts: dict[str, tuple[str, int]]
) -> str:
    """The scale of a known label family (created on first use), spelled as the data spell it."""
    fam, _pos = what
    name = fam.name
    if name not in scales:
        codes = {i + 1: _canonical(p) for i, p in enumerate(fam.positions)}
        scales[name] = DraftScale(name, codes, [], [], fam.agree_label, "family")
        top = len(fam.positions)
        scales[name].agree = list(range(top - fam.top + 1, top + 1))
    sc = scales[name]
    for key, (spelling, _) in counts.items():
        if key in _pos:  # the data's spelling wins over the canonical one
            sc.codes[_pos[key] + 1] = spelling
    return name


def _labels_scale(scales: dict[str, DraftScale], what: dict[Any, str], missing: list[str]) -> str:
    """The scale of an SPSS/Stata value-label set (one per distinct set); its missing-value labels
    are added to ``missing``."""
    labels = {int(float(code)): str(lab).strip() for code, lab in what.items()}
    real = {code: lab for code, lab in labels.items() if not _MISSING.match(lab.casefold())}
    missing += [lab for lab in labels.values() if _MISSING.match(lab.casefold())]
    key = tuple(sorted(real.items()))
    name = next((s for s, sc in scales.items() if tuple(sorted(sc.codes.items())) == key), None)
    if name is None:
        name = (
            f"labels{len(real)}"
            if f"labels{len(real)}" not in scales
            else f"labels{len(real)}_{len(scales)}"
        )
        ordered = sorted(real)
        top = max(1, len(ordered) // 2 - (len(ordered) % 2 == 0 and len(ordered) > 4))
        scales[name] = DraftScale(
            name, dict(sorted(real.items())), [], ordered[-top:], "agreed", "value labels"
        )
    return name


def _codes_scale(scales: dict[str, DraftScale], top_code: int) -> str:
    """The scale of bare codes 1..top_code (created on first use)."""
    name = f"codes1to{top_code}"
    if name not in scales:
        codes = {i: str(i) for i in range(1, top_code + 1)}
        agree = [top_code - 1, top_code] if top_code >= 4 else [top_code]
        scales[name] = DraftScale(name, codes, [], agree, "agreed", "integer codes")
    return name


def _unknown_scales(
    cols: list[str],
    counts: dict[str, dict[str, tuple[str, int]]],
    scales: dict[str, DraftScale],
    items: dict[str, dict[str, Any]],
    taken: set[str],
    background: set[str],
) -> None:
    """Label sets nobody recognises, shared by 3+ columns (a battery), are scales of unknown order
    (added to ``scales`` and ``items``)."""
    unknown_sets: dict[tuple[str, ...], list[str]] = {}
    for c in cols:
        if c in taken or c in background:
            continue
        labels = tuple(sorted(k2 for k2 in counts[c] if not _MISSING.match(k2)))
        if 3 <= len(labels) <= 11:
            unknown_sets.setdefault(labels, []).append(c)
    for labels, columns in unknown_sets.items():
        if len(columns) < 3:
            continue
        name = f"scale{len([s for s in scales.values() if s.how == 'unknown']) + 1}"
        spell = {key: counts[columns[0]][key][0] for key in labels if key in counts[columns[0]]}
        codes = {i + 1: spell.get(key, key) for i, key in enumerate(labels)}
        sc = DraftScale(name, codes, [], [len(codes)], "agreed", "unknown", list(columns))
        scales[name] = sc
        for c in columns:
            items[c] = {"scale": name, "text": None, "hint": None}
            items[c]["reverse"] = False
            taken.add(c)


def _groups(
    df: pd.DataFrame,
    cols: list[str],
    counts: dict[str, dict[str, tuple[str, int]]],
    taken: set[str],
    background: set[str],
    value_labels: dict[str, dict[Any, str]],
    k: int,
) -> tuple[dict[str, dict[str, Any]], dict[str, Any] | None, dict[str, int]]:
    """Grouping variables (2-15 categories), a proposed cluster column and covariates."""
    groups: dict[str, dict[str, Any]] = {}
    cluster: dict[str, Any] | None = None
    covariates: dict[str, int] = {}
    n = len(df)
    for c in cols:
        if c in taken:
            continue
        cats = {key: v for key, v in counts[c].items() if not _MISSING.match(key)}
        if 2 <= len(cats) <= 15:
            missing = [sp for key, (sp, _) in counts[c].items() if _MISSING.match(key)]
            groups[c] = _group(cats, missing, k)
            groups[c]["codes"] = _group_codes(cats, value_labels.get(c))
            taken.add(c)
        elif len(cats) > 15 and c in background:
            # age with 67 values: a covariate (the codebook has no covariates yet; a comment says so)
            covariates[c] = len(cats)
        elif len(cats) > 15 and n / len(cats) >= 5 and cluster is None:
            # proposed in a comment only: whether respondents are nested in it is not in the data
            cluster = {"column": c, "n_values": len(cats), "per_value": n / len(cats)}
            taken.add(c)
    if cluster is not None:
        for g, spec in groups.items():
            per = df.groupby(df[cluster["column"]].map(normalise_answer))[g].agg(
                lambda s: s.dropna().map(normalise_answer).nunique()
            )
            spec["level"] = "cluster" if len(per) and per.max() <= 1 else "respondent"
    return groups, cluster, covariates


def _group(cats: dict[str, tuple[str, int]], missing: list[str], k: int) -> dict[str, Any]:
    """A group's categories (by count, or in numeric order for bands), reference and flags."""
    ordered = sorted(cats.values(), key=lambda sv: (-sv[1], sv[0]))
    ranked = _numeric_order([sp for sp, _ in ordered])
    small = [sp for sp, cnt in ordered if cnt < k]
    if len(cats) == 2 and all(_INTEGER.match(key) for key in cats):
        ranked = None  # two bare codes (sex 1/2): nothing says they are ordered
    spec = {
        "categories": [sp for sp, _ in ordered],
        "counts": [cnt for _, cnt in ordered],
        "missing": missing,
        "reference": ordered[0][0],
        "small": small,
        "compare": sum(cnt >= k for _, cnt in ordered) >= 2,
        "ordered": ranked is not None,
    }
    if ranked is not None:  # numeric bands (income, years): their order is known
        by = dict(ordered)
        spec["categories"] = ranked
        spec["counts"] = [by[r] for r in ranked]
        spec["reference"] = ranked[0]
    return spec


def _group_codes(
    cats: dict[str, tuple[str, int]], labels: dict[Any, str] | None
) -> dict[int, tuple[str, int]] | None:
    """A coded group's code -> (label, answers): from the file's value labels (SPSS/Stata: the data
    hold the labels) or, for bare integer codes, each code as its own label for the student to replace.
    None when the answers are words without codes."""
    if labels:
        out = {}
        for code, lab in sorted(labels.items(), key=lambda kv: float(kv[0])):
            text = str(lab).strip()
            if _MISSING.match(text.casefold()):
                continue
            hit = cats.get(normalise_answer(text)) or cats.get(str(int(float(code))))
            out[int(float(code))] = (text, hit[1] if hit else 0)
        return out if len(out) >= 2 else None
    if all(_INTEGER.match(key) for key in cats):
        return {
            int(key): (key, cnt)
            for key, (_, cnt) in sorted(cats.items(), key=lambda kv: int(kv[0]))
        }
    return None


def _background(cols: list[str], taken: set[str]) -> set[str]:
    """Columns whose names say they are background (age, sex, education, ...), not numbered items."""
    prefixes: dict[str, int] = {}
    for c in cols:
        m = _ITEM.match(str(c))
        if m:
            prefixes[m.group("prefix")] = prefixes.get(m.group("prefix"), 0) + 1
    out = set()
    for c in cols:
        m = _ITEM.match(str(c))
        if c in taken or (m and prefixes[m.group("prefix")] >= 2):
            continue
        if _BACKGROUND.search(str(c).lower()):
            out.add(c)
    return out


def _coded(df: pd.DataFrame, items: dict[str, dict[str, Any]], scales: dict[str, DraftScale],
           columns: list[str]) -> pd.DataFrame:  # fmt: skip
    """The columns' answers as their scale's codes (floats; missing answers NaN)."""
    coded = {}
    for c in columns:
        sc = scales[items[c]["scale"]]
        lookup = {normalise_answer(lab): code for code, lab in sc.codes.items()}
        lookup.update({str(code): code for code in sc.codes})
        # each distinct answer is normalised once (per answer it dominated the time on wide files)
        table = {v: lookup.get(normalise_answer(v)) for v in df[c].dropna().unique()}
        coded[c] = df[c].map(table).astype("float64")
    return pd.DataFrame(coded, index=df.index)


def _constructs(
    df: pd.DataFrame,
    items: dict[str, dict[str, Any]],
    scales: dict[str, DraftScale],
    n_constructs: int | None,
) -> tuple[dict[str, list[str]], dict[str, list[str]], list[str], set[str]]:
    """Constructs from item names when they carry them, else from the data (factor analysis).

    Names carry constructs when the items' prefixes (tr1..tr4 -> tr) make two or more multi-item
    groups, or one small one. When all items share one prefix (q1..q150) the names say nothing: the
    battery is factor-analysed, and a lone item outside it (health, ER) is background, not an item.

    Returns
    -------
    (constructs, evidence comment lines per construct, comment lines on the battery, columns that
    left the items)
    """
    by_prefix: dict[str, list[str]] = {}
    for c in items:
        m = _ITEM.match(c)
        by_prefix.setdefault(m.group("prefix") if m else c, []).append(c)
    multi = [p for p, cs in by_prefix.items() if len(cs) >= 2]
    from_data = n_constructs is not None or (len(multi) == 1 and len(by_prefix[multi[0]]) >= 6)
    if not from_data:
        constructs = _split_by_scale(by_prefix, items)
        _reverse_hints(df, items, scales, constructs)
        return constructs, {}, [], set()
    moved: set[str] = set()
    if len(multi) == 1:  # one battery: lone items beside it are background (health, ER, ...)
        for p, cs in list(by_prefix.items()):
            if p != multi[0] and len(cs) == 1:
                moved.add(cs[0])
                scales[items[cs[0]]["scale"]].columns.remove(cs[0])
                del items[cs[0]]
                del by_prefix[p]
        for name in [nm for nm, sc in scales.items() if not sc.columns]:
            del scales[name]
    _merge_integer_scales(items, scales)
    by_scale: dict[str, list[str]] = {}
    for c in items:
        by_scale.setdefault(items[c]["scale"], []).append(c)
    constructs: dict[str, list[str]] = {}
    evidence: dict[str, list[str]] = {}
    battery: list[str] = []
    for scale, cs in by_scale.items():
        if len(cs) < 4:
            constructs[f"{scale}_items"] = cs
            continue
        _factor_constructs(df, items, scales, cs, n_constructs, constructs, evidence, battery)
    return constructs, evidence, battery, moved


def _merge_integer_scales(items: dict[str, dict[str, Any]], scales: dict[str, DraftScale]) -> None:
    """Bare-code scales of one battery share the widest one: an item nobody answered 6 on reads as
    codes 1..5, but it is the same six-point question (and a construct's items need one scale)."""
    coded = [s for s in scales.values() if s.how == "integer codes"]
    if len(coded) < 2:
        return
    widest = max(coded, key=lambda s: (max(s.codes), len(s.columns)))
    for sc in coded:
        if sc is widest or not set(sc.codes) <= set(widest.codes):
            continue
        for c in sc.columns:
            items[c]["scale"] = widest.name
        widest.columns += sc.columns
        del scales[sc.name]


def _split_by_scale(
    by_prefix: dict[str, list[str]], items: dict[str, dict[str, Any]]
) -> dict[str, list[str]]:
    """Constructs from item-name prefixes (tr1..tr4 -> tr), one scale per construct."""
    constructs: dict[str, list[str]] = {}
    for prefix, members in by_prefix.items():
        by_scale: dict[str, list[str]] = {}
        for c in members:
            by_scale.setdefault(items[c]["scale"], []).append(c)
        if len(by_scale) > 1:
            for sc, cs in by_scale.items():
                constructs[f"{prefix}_{sc}"] = cs
        else:
            constructs[prefix] = members
    return constructs


def _factor_constructs(
    df: pd.DataFrame,
    items: dict[str, dict[str, Any]],
    scales: dict[str, DraftScale],
    columns: list[str],
    n_constructs: int | None,
    constructs: dict[str, list[str]],
    evidence: dict[str, list[str]],
    battery: list[str],
) -> None:
    """Factor-analyse one battery (items sharing a scale); add its proposed constructs, their evidence
    and the items' reverse keys and hints."""
    from mscsurvey.stats.efa import propose_constructs

    x = _coded(df, items, scales, columns).to_numpy()
    prop = propose_constructs(x, columns, n_factors=n_constructs)
    first = len(constructs)
    names = [f"factor{first + j + 1}" for j in range(len(prop.groups))]
    eig = ", ".join(f"{e:.2f}" for e in prop.eigenvalues[:8])
    battery.append(
        f"{len(columns)} items on scale {items[columns[0]]['scale']}: parallel analysis suggests "
        f"{prop.suggested} factor(s) (largest eigenvalues {eig}); "
        + (f"{n_constructs} asked for (--constructs)" if n_constructs else "that number is used")
        + f"; together they explain {100 * prop.share.sum():.0f}% of the items' variance"
    )
    index = {c: i for i, c in enumerate(columns)}
    for j, (name, members) in enumerate(zip(names, prop.groups, strict=True)):
        constructs[name] = members
        loads = ", ".join(f"{c} {prop.loadings[index[c], j]:+.2f}" for c in members)
        evidence[name] = [
            f"factor {j + 1} of {len(names)}: {100 * prop.share[j]:.1f}% of the items' variance; "
            f"primary loadings: {loads}"
        ]
        for c in members:
            lam = prop.loadings[index[c], j]
            hints = []
            if c in prop.reverse:
                items[c]["reverse"] = True
                hints.append(
                    f"reverse-keyed by the data: it loads {lam:+.2f} on {name}, against most of "
                    "that construct's items (read the wording; set reverse: false if it is not)"
                )
            if c in prop.weak:
                hints.append(
                    f"weak: its largest loading is {lam:+.2f} (on {name}); it may measure none of "
                    "the proposed constructs (consider leaving it out)"
                )
            items[c]["hint"] = "; ".join(hints) or None
            if c in prop.cross:
                g, v = prop.cross[c]
                other = names[g] if g < len(names) else f"factor {g + 1}"
                extra = f"cross-loading: also {v:+.2f} on {other}"
                items[c]["hint"] = f"{items[c]['hint']}; {extra}" if items[c]["hint"] else extra


def _reverse_hints(
    df: pd.DataFrame,
    items: dict[str, dict[str, Any]],
    scales: dict[str, DraftScale],
    constructs: dict[str, list[str]],
) -> None:
    """Flag items whose codes correlate negatively with the mean of the rest of their construct."""
    for members in constructs.values():
        if len(members) < 3:
            continue
        frame = _coded(df, items, scales, members).to_numpy(copy=True)
        # Flip the most negative item, then look again: with two reversed items of four, every
        # item-rest correlation starts near zero.
        flipped: dict[str, float] = {}
        while len(flipped) < len(members) - 1:
            rs = _item_rest(frame)
            rs = {c: r for c, r in zip(members, rs, strict=True) if c not in flipped and r == r}
            if not rs or min(rs.values()) >= 0:
                break
            worst = min(rs, key=lambda c: rs[c])
            flipped[worst] = rs[worst]
            frame[:, members.index(worst)] *= -1
        for c, r in flipped.items():
            items[c]["hint"] = (
                f"probably reverse-keyed: its codes correlate r = {r:.2f} with the mean of the rest "
                "of its construct (a hint from the data, not a fact: read the wording; if it is "
                "worded the other way, set reverse: true)"
            )


def _item_rest(frame: np.ndarray) -> np.ndarray:
    """Each column's correlation with the mean of the other columns' answers (the rest's mean over
    what a respondent answered; pairs where either is missing are left out; NaN when undefined).

    Vectorised over items: the rest's mean is the row sum minus the item over the row count minus
    one, so one pass costs O(rows x items) instead of a mean per item.
    """
    ok = ~np.isnan(frame)
    total = np.where(ok, frame, 0.0).sum(axis=1, keepdims=True)
    count = ok.sum(axis=1, keepdims=True)
    own = np.where(ok, frame, 0.0)
    n_rest = count - ok
    with np.errstate(invalid="ignore", divide="ignore"):
        rest = (total - own) / n_rest
    both = ok & (n_rest > 0)
    out = np.full(frame.shape[1], np.nan)
    for j in range(frame.shape[1]):
        b = both[:, j]
        if b.sum() < 10:
            continue
        x, y = frame[b, j], rest[b, j]
        if x.std() == 0 or y.std() == 0:
            continue
        out[j] = float(np.corrcoef(x, y)[0, 1])
    return out


def _count_note(cnt: int, k: int) -> str:
    return f"  # only {cnt} respondent(s): suppressed; merge it?" if cnt < k else f"  # {cnt}"


def _render_constructs(d: Draft, w: Any) -> None:
    """The constructs block: its header says where they came from (names or factor analysis)."""
    if d.battery:
        w(
            "# Constructs proposed from the data: the item names say nothing, so an exploratory factor"
        )
        w(
            "# analysis (maximum likelihood, varimax rotation) grouped the items, each by its largest"
        )
        w(
            "# loading. TODO for each: give it a name and a label, read its items' wording, check the"
        )
        w(
            "# reverse keys (from loading signs) and the weak and cross-loading items flagged under items:."
        )
        for line in d.battery:
            for part in _wrap(line, 98):
                w(f"# {part}")
    else:
        w(
            "# Constructs guessed from item-name prefixes (tr1..tr4 -> tr). TODO for each: give it a name"
        )
        w("# and a label, check that its items measure one thing, and mark reverse-keyed items")
        w(
            "# `reverse: true` under items: (the draft cannot read the wording; hints below come from"
        )
        w("# correlations).")
    w("constructs:" if d.constructs else "constructs: {}  # TODO: no item columns found")
    for cid, members in d.constructs.items():
        for line in d.evidence.get(cid, []):
            for part in _wrap(line):
                w(f"  # {part}")
        w(f"  {_q(cid)}:  # TODO: name and check this construct")
        label = f"Factor {cid[len('factor') :]}" if cid in d.evidence else cid
        w(f"    label: {_q(label)}")
        w(f"    items: {_flow(members)}")
        w("    min_answered: 0.66")


def _wrap(text: str, width: int = 96) -> list[str]:
    """Comment lines of at most ~width characters, broken only after ", " (an item and its loading
    stay on one line)."""
    lines = [""]
    for part in text.split(", "):
        if lines[-1] and len(lines[-1]) + len(part) + 2 > width:
            lines[-1] += ","
            lines.append(part)
        else:
            lines[-1] = f"{lines[-1]}, {part}" if lines[-1] else part
    return lines


def _q(value: Any) -> str:
    """A YAML scalar: names plain, everything else double-quoted (JSON strings are valid YAML)."""
    if isinstance(value, str) and _NAME.match(value) and value.lower() not in _YAML_WORDS:
        return value
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(value)


def _flow(values: list[Any]) -> str:
    return "[" + ", ".join(_q(v) for v in values) + "]"


def render_draft(d: Draft, *, k: int = 5) -> str:
    """The draft as YAML with comments telling the student what to check."""
    out: list[str] = []
    w = out.append
    w(f"# DRAFT codebook inferred from {d.source} ({d.n_rows} rows) by `mscsurvey codebook draft`.")
    w(
        "# Every choice below is a guess from the data: read each comment, fix what is wrong, then set"
    )
    w(
        "# draft: false. Keys and their meaning: mscsurvey/data/schemas/codebook.schema.yaml and data/codebook.yaml."
    )
    w("# No value of an identifier or free-text column is written here (this file goes into git).")
    w("codebook_version: 1")
    w("# the pipeline refuses to run this file until you set draft: false")
    w("draft: true")
    w("")
    w("study:")
    w('  title: "TODO: the survey\'s title"')
    w("  # short_title: a short title (optional: the brief's subtitle)")
    w("  unit: respondent")
    w("")
    _render_scales(d, w)
    _render_constructs(d, w)
    w("")
    _render_items(d, w)
    _render_groups(d, w, k)
    _render_identifiers(d, w)
    if d.notes["unplaced"]:
        w("")
        w(
            "# Columns the draft did not place (the pipeline drops columns the codebook does not name):"
        )
        w(f"#   {', '.join(d.notes['unplaced'])}")
    if d.notes["unnamed"]:
        w(
            "# Columns whose names a codebook cannot use (letters, digits and _ only; rename them in the"
        )
        w(
            f"# data file): {', '.join(json.dumps(c, ensure_ascii=False) for c in d.notes['unnamed'])}"
        )
    return "\n".join(out) + "\n"


def _render_scales(d: Draft, w: Callable[[str], None]) -> None:
    """The ``scales:`` block: each scale's codes, missing and agree codes, and its origin."""
    w(
        "# Response scales: codes ordered from low to high; `missing` answers carry no position (coded"
    )
    w('# missing); `agree` lists the codes counted in "% agreed".')
    if not d.scales:
        w("# No column looked like a response scale: write the scales yourself.")
        w("scales: {}  # TODO")
    else:
        w("scales:")
    for sc in d.scales.values():
        how = {
            "family": "a known label family; check the order and the labels nobody used",
            "value labels": "the file's value labels; codes and order come from the file",
            "integer codes": "REVIEW: answers are bare codes; replace each code's label with the "
            "wording the respondents saw and check that 1 is the low end",
            "unknown": "REVIEW: check the order of these labels (low -> high); the draft cannot know it",
        }[sc.how]
        w(f"  # used by {len(sc.columns)} column(s); from {how}")
        w(f"  {_q(sc.name)}:")
        w("    codes:")
        for code, label in sc.codes.items():
            w(f"      {code}: {_q(label)}")
        w(f"    missing: {_flow(sc.missing)}")
        top = ", ".join(_q(sc.codes[a]) for a in sc.agree)
        w(
            f'    agree: {_flow(sc.agree)}  # the top code(s): {top}; change if "agreed" means otherwise'
        )
        w(f"    agree_label: {_q(sc.agree_label)}")
    w("")


def _render_items(d: Draft, w: Callable[[str], None]) -> None:
    """The ``items:`` block, then the cluster candidate and covariates as comments."""
    w(
        "# Items: `text` is the question's wording (TODO: paste it where it is only the column name);"
    )
    w("# `short` is the label used in charts.")
    w("items:" if d.items else "items: {}  # TODO")
    for iid, it in d.items.items():
        if it["hint"]:
            w(f"  # {iid}: {it['hint']}")
        rev = "true" if it.get("reverse") else "false"
        w(f"  {_q(iid)}: {{scale: {_q(it['scale'])}, reverse: {rev}, text: {_q(it['text'])}}}")
    w("")
    if d.cluster:
        c = d.cluster
        w(
            f"# Cluster candidate, not set: {c['n_values']} values, {c['per_value']:.0f} respondents per"
        )
        w("# value on average. Only you know whether respondents are nested in it (a site, team,")
        w("# collaborative): if they are, remove the '# ' before these three lines.")
        w("# cluster:")
        w(f"#   column: {_q(c['column'])}")
        w(f"#   label: {_q(c['column'])}")
        w("")
    if d.covariates:
        w("# Numeric background columns (covariates): the codebook has no key for them yet, so the")
        w(
            "# pipeline leaves them out; band them into a group in your export's documentation if needed."
        )
        for col, nv in d.covariates.items():
            w(f"#   {col}: {nv} distinct values")
        w("")


def _render_groups(d: Draft, w: Callable[[str], None], k: int) -> None:
    """The ``groups:`` block: categories with their counts, reference, order and compare."""
    w(
        "# Grouping variables: categories are listed by how often they were answered (numeric bands in"
    )
    w(
        "# order). TODO for each: put them in display order, set `reference` (the regressions' baseline), `ordered: true` for an"
    )
    w("# ordered scale (income, education), and `compare` (subgroup comparisons).")
    w(
        f"# Categories with fewer than {k} respondents are suppressed in analyses: merge them or accept it."
    )
    w("groups:" if d.groups else "groups: {}")
    for gid, g in d.groups.items():
        w(f"  {_q(gid)}:")
        w(f"    label: {_q(gid)}")
        if g.get("codes"):
            bare = all(lab == str(code) for code, (lab, _) in g["codes"].items())
            note = (
                "  # REVIEW: replace each code's label with the answer it stands for"
                if bare
                else ""
            )
            w(f"    categories:{note}")
            for code, (lab, cnt) in g["codes"].items():
                w(f"      {code}: {_q(lab)}{_count_note(cnt, k)}")
        else:
            w("    categories:")
            for cat, cnt in zip(g["categories"], g["counts"], strict=True):
                w(f"      - {_q(cat)}{_count_note(cnt, k)}")
        if g["missing"]:
            w(f"    missing: {_flow(g['missing'])}")
        if g["ordered"]:
            w("    ordered: true  # categories hold numbers: put in numeric order")
            w(f"    reference: {_q(g['reference'])}  # the lowest category")
        else:
            w("    ordered: false")
            w(f"    reference: {_q(g['reference'])}  # the most frequent category")
        if g.get("level") == "cluster":
            w(
                "    # level: cluster  # constant within each value of the cluster candidate: uncomment"
            )
            w("    # with the cluster")
        w(f"    compare: {'true' if g['compare'] else 'false'}")
    w("")


def _render_identifiers(d: Draft, w: Callable[[str], None]) -> None:
    """The ``identifiers:`` block with the reasons the draft chose each column."""
    ids = d.identifiers
    w("# Identifier columns: REVIEW every one. Reasons the draft chose them:")
    for line in d.notes["why"]:
        w(f"#   {line}")
    w("identifiers:")
    if ids["respondent_id"]:
        w(f"  respondent_id: {_q(ids['respondent_id'])}  # REVIEW: replaced by a keyed pseudonym")
    else:
        w(
            "  # No response-id column found: each row gets a keyed pseudonym from its row number and"
        )
        w(
            "  # its content (README: 'No respondent id'). If a column holds one id per response, name it."
        )
        w("  respondent_id: null")
    w("  pseudonym: pid")
    w(
        f"  person: {_flow(ids['person'])}  # REVIEW: columns that identify a person across submissions"
    )
    w(f"  direct: {_flow(ids['direct'])}  # REVIEW: dropped")
    if ids["roster"]:
        w("  roster:  # REVIEW: their values are scrubbed from free text, with this placeholder")
        for col, ph in ids["roster"].items():
            w(f"    {_q(col)}: {ph}")
    if ids["birth_date"]:
        w(
            f"  birth_date: {{column: {_q(ids['birth_date'])}, output: age_band}}  # REVIEW: age bands"
        )
    if ids["zip"]:
        w(
            f"  zip: {{column: {_q(ids['zip'])}, output: zip3, method: drop}}  # REVIEW: zip3 keeps 3 digits"
        )
    if ids["timestamps"]:
        t = ids["timestamps"]
        w(
            f"  timestamps: {{start: {_q(t['start'])}, end: {_q(t['end'])}}}  # REVIEW: start and end"
        )
    w(f"  quasi_identifiers: {_flow(ids['quasi_identifiers'])}  # REVIEW: checked for k-anonymity")
    w(f"  free_text: {_flow(ids['free_text'])}  # REVIEW: scrubbed of identifiers before analysis")
