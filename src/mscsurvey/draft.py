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
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mscsurvey.clean import normalise_answer

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


def _counts(s: pd.Series) -> dict[str, tuple[str, int]]:
    """Normalised answer -> (its most frequent spelling in the data, how many answers)."""
    raw = s.dropna().astype(str).str.strip()
    raw = raw[raw != ""]
    norm = raw.map(normalise_answer)
    out: dict[str, tuple[str, int]] = {}
    for key, grp in raw.groupby(norm, sort=True):
        vc = grp.value_counts()
        best = sorted(vc.index[vc == vc.max()])[0]
        out[str(key)] = (str(best), int(len(grp)))
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
    text = text[text != ""]
    if len(text) == 0:
        return None
    for what, pat in (("e-mail", _EMAIL), ("IP", _IPV4), ("IP", _IPV6), ("phone", _PHONE)):
        share = text.map(lambda v, p=pat: bool(p.match(v))).mean()
        if share >= 0.8 and not (what == "phone" and text.str.fullmatch(r"\d{1,6}").mean() > 0.5):
            return what
    return None


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
    """
    value_labels = value_labels or {}
    variable_labels = variable_labels or {}
    cols = [c for c in df.columns if c != "_source_row"]
    n = len(df)
    notes: dict[str, list[str]] = {"unnamed": [], "unplaced": [], "review": []}
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
    why: dict[str, str] = {}
    counts = {c: _counts(df[c]) for c in cols}
    # SPSS/Stata value labels make a scale when 2+ columns share a set of 3+ labels (a battery)
    label_sets: dict[tuple[Any, ...], int] = {}
    for vl in value_labels.values():
        key = tuple(sorted((str(code), str(lab)) for code, lab in vl.items()))
        label_sets[key] = label_sets.get(key, 0) + 1
    batteries = {
        c: vl
        for c, vl in value_labels.items()
        if len(vl) >= 3
        and label_sets[tuple(sorted((str(code), str(lab)) for code, lab in vl.items()))] >= 2
    }
    taken: set[str] = set()

    for c in cols:
        if not _NAME.match(str(c)):
            notes["unnamed"].append(str(c))
            taken.add(c)
    # Identifiers first: a column that might identify someone is never analysed or quoted.
    for c in cols:
        if c in taken:
            continue
        low = str(c).lower()
        values = df[c]
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
            elif unique_share > 0.9 and len(nonnull) >= 20 and _scale_kind(counts[c], None) is None:
                if ids["respondent_id"] is None:
                    ids["respondent_id"] = c
                    why[c] = "every answer is different: taken as the response id"
                else:
                    ids["direct"].append(c)
                    why[c] = "nearly every answer is different: it may identify a person; dropped"
            else:
                continue
        taken.add(c)
    if "_start" in ids and "_end" in ids:
        ids["timestamps"] = {"start": ids.pop("_start"), "end": ids.pop("_end")}
    else:  # one timestamp alone cannot give a duration: leave it to the student
        for key in ("_start", "_end"):
            if key in ids:
                col = ids.pop(key)
                ids["direct"].append(col)
                why[col] += "; no matching start/end column was found, so it is dropped"

    # Response scales: columns sharing one label family (or one value-label set) share one scale.
    scales: dict[str, DraftScale] = {}
    items: dict[str, dict[str, Any]] = {}
    unknown_sets: dict[tuple[str, ...], list[str]] = {}
    for c in cols:
        if c in taken:
            continue
        kind = _scale_kind(counts[c], batteries.get(c))
        missing = [sp for key, (sp, _) in counts[c].items() if _MISSING.match(key)]
        if kind is None:
            labels = tuple(sorted(k2 for k2 in counts[c] if not _MISSING.match(k2)))
            if 3 <= len(labels) <= 11:
                unknown_sets.setdefault(labels, []).append(c)
            continue
        how, what = kind
        if how == "family":
            fam, _pos = what
            name = fam.name
            if name not in scales:
                codes = {i + 1: _canonical(p) for i, p in enumerate(fam.positions)}
                scales[name] = DraftScale(name, codes, [], [], fam.agree_label, how)
                top = len(fam.positions)
                scales[name].agree = list(range(top - fam.top + 1, top + 1))
            sc = scales[name]
            for key, (spelling, _) in counts[c].items():
                if key in _pos:  # the data's spelling wins over the canonical one
                    sc.codes[_pos[key] + 1] = spelling
        elif how == "value labels":
            labels = {int(float(code)): str(lab).strip() for code, lab in what.items()}
            real = {code: lab for code, lab in labels.items() if not _MISSING.match(lab.casefold())}
            missing += [lab for lab in labels.values() if _MISSING.match(lab.casefold())]
            key = tuple(sorted(real.items()))
            name = next(
                (s for s, sc in scales.items() if tuple(sorted(sc.codes.items())) == key), None
            )
            if name is None:
                name = (
                    f"labels{len(real)}"
                    if f"labels{len(real)}" not in scales
                    else f"labels{len(real)}_{len(scales)}"
                )
                ordered = sorted(real)
                top = max(1, len(ordered) // 2 - (len(ordered) % 2 == 0 and len(ordered) > 4))
                scales[name] = DraftScale(
                    name, dict(sorted(real.items())), [], ordered[-top:], "agreed", how
                )
        else:
            top_code = what
            name = f"codes1to{top_code}"
            if name not in scales:
                codes = {i: str(i) for i in range(1, top_code + 1)}
                agree = [top_code - 1, top_code] if top_code >= 4 else [top_code]
                scales[name] = DraftScale(name, codes, [], agree, "agreed", how)
        sc = scales[name]
        for m in missing:
            if m.casefold() not in {x.casefold() for x in sc.missing}:
                sc.missing.append(m)
        sc.columns.append(c)
        items[c] = {"scale": name, "text": _item_text(c, variable_labels), "hint": None}
        taken.add(c)
    # Label sets nobody recognises, shared by 3+ columns (a battery), are scales of unknown order.
    for labels, columns in unknown_sets.items():
        if len(columns) < 3:
            continue
        name = f"scale{len([s for s in scales.values() if s.how == 'unknown']) + 1}"
        spell = {key: counts[columns[0]][key][0] for key in labels if key in counts[columns[0]]}
        codes = {i + 1: spell.get(key, key) for i, key in enumerate(labels)}
        sc = DraftScale(name, codes, [], [len(codes)], "agreed", "unknown", list(columns))
        scales[name] = sc
        for c in columns:
            items[c] = {"scale": name, "text": _item_text(c, variable_labels), "hint": None}
            taken.add(c)

    # Constructs from item-name prefixes (tr1..tr4 -> tr), one scale per construct.
    constructs: dict[str, list[str]] = {}
    for c in items:
        m = _ITEM.match(c)
        prefix = m.group("prefix") if m else c
        constructs.setdefault(prefix, []).append(c)
    for prefix, members in list(constructs.items()):
        by_scale: dict[str, list[str]] = {}
        for c in members:
            by_scale.setdefault(items[c]["scale"], []).append(c)
        if len(by_scale) > 1:
            del constructs[prefix]
            for s, cs in by_scale.items():
                constructs[f"{prefix}_{s}"] = cs
    _reverse_hints(df, items, scales, constructs)

    # Grouping variables and the cluster column.
    groups: dict[str, dict[str, Any]] = {}
    cluster: dict[str, Any] | None = None
    for c in cols:
        if c in taken:
            continue
        cats = {key: v for key, v in counts[c].items() if not _MISSING.match(key)}
        missing = [sp for key, (sp, _) in counts[c].items() if _MISSING.match(key)]
        if 2 <= len(cats) <= 15:
            ordered = sorted(cats.values(), key=lambda sv: (-sv[1], sv[0]))
            ranked = _numeric_order([sp for sp, _ in ordered])
            small = [sp for sp, cnt in ordered if cnt < k]
            groups[c] = {
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
                groups[c]["categories"] = ranked
                groups[c]["counts"] = [by[r] for r in ranked]
                groups[c]["reference"] = ranked[0]
            taken.add(c)
        elif len(cats) > 15 and n / len(cats) >= 5 and cluster is None:
            cluster = {"column": c, "n_values": len(cats), "per_value": n / len(cats)}
            taken.add(c)
    if cluster is not None:
        for g, spec in groups.items():
            per = df.groupby(df[cluster["column"]].map(normalise_answer))[g].agg(
                lambda s: s.dropna().map(normalise_answer).nunique()
            )
            spec["level"] = "cluster" if len(per) and per.max() <= 1 else "respondent"
    qi = ["age_band"] if ids["birth_date"] else []
    qi += [g for g in groups if _DEMOGRAPHIC.search(g.lower())]
    ids["quasi_identifiers"] = qi
    notes["unplaced"] = [c for c in cols if c not in taken]
    notes["why"] = [f"{c}: {w}" for c, w in why.items()]
    return Draft(source, n, scales, items, constructs, groups, cluster, ids, notes)


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
        coded = {}
        for c in members:
            sc = scales[items[c]["scale"]]
            lookup = {normalise_answer(lab): code for code, lab in sc.codes.items()}
            lookup.update({str(code): code for code in sc.codes})
            coded[c] = df[c].map(normalise_answer).map(lookup).astype("float64")
        frame = pd.DataFrame(coded)
        # Flip the most negative item, then look again: with two reversed items of four, every
        # item-rest correlation starts near zero.
        flipped: dict[str, float] = {}
        while len(flipped) < len(members) - 1:
            rs = {}
            for c in members:
                if c in flipped:
                    continue
                rest = frame.drop(columns=c).mean(axis=1)
                ok = frame[c].notna() & rest.notna()
                if ok.sum() < 10 or frame[c][ok].std() == 0 or rest[ok].std() == 0:
                    continue
                rs[c] = float(np.corrcoef(frame[c][ok], rest[ok])[0, 1])
            if not rs or min(rs.values()) >= 0:
                break
            worst = min(rs, key=lambda c: rs[c])
            flipped[worst] = rs[worst]
            frame[worst] = -frame[worst]
        for c, r in flipped.items():
            items[c]["hint"] = (
                f"probably reverse-keyed: its codes correlate r = {r:.2f} with the mean of the rest "
                "of its construct (a hint from the data, not a fact: read the wording; if it is "
                "worded the other way, set reverse: true)"
            )


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
        "# draft: false. Keys and their meaning: workflow/schemas/codebook.schema.yaml and data/codebook.yaml."
    )
    w("# No value of an identifier or free-text column is written here (this file goes into git).")
    w("codebook_version: 1")
    w("# the pipeline refuses to run this file until you set draft: false")
    w("draft: true")
    w("")
    w("study:")
    w('  title: "TODO: the survey\'s title"')
    w('  short_title: "TODO: a short title"')
    w("  unit: respondent")
    w("")
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
    w(
        "# Constructs guessed from item-name prefixes (tr1..tr4 -> tr). TODO for each: give it a name and a"
    )
    w(
        "# label, check that its items measure one thing, and mark reverse-keyed items `reverse: true`"
    )
    w("# under items: (the draft cannot read the wording; hints below come from correlations).")
    w("constructs:" if d.constructs else "constructs: {}  # TODO: no item columns found")
    for cid, members in d.constructs.items():
        w(f"  {_q(cid)}:  # TODO: name and check this construct")
        w(f"    label: {_q(cid)}")
        w(f"    items: {_flow(members)}")
        w("    min_answered: 0.66")
    w("")
    w(
        "# Items: `text` is the question's wording (TODO: paste it where it is only the column name);"
    )
    w("# `short` is the label used in charts.")
    w("items:" if d.items else "items: {}  # TODO")
    for iid, it in d.items.items():
        if it["hint"]:
            w(f"  # {iid}: {it['hint']}")
        w(f"  {_q(iid)}: {{scale: {_q(it['scale'])}, reverse: false, text: {_q(it['text'])}}}")
    w("")
    if d.cluster:
        c = d.cluster
        w(
            f"# Cluster candidate: {c['n_values']} values, {c['per_value']:.0f} respondents per value on"
        )
        w(
            "# average. If respondents are nested in it (a site, team, collaborative), keep it; else delete."
        )
        w("cluster:")
        w(f"  column: {_q(c['column'])}")
        w(f"  label: {_q(c['column'])}")
        w("")
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
        w("    categories:")
        for cat, cnt in zip(g["categories"], g["counts"], strict=True):
            small = (
                f"  # only {cnt} respondent(s): suppressed; merge it?" if cnt < k else f"  # {cnt}"
            )
            w(f"      - {_q(cat)}{small}")
        if g["missing"]:
            w(f"    missing: {_flow(g['missing'])}")
        if g["ordered"]:
            w("    ordered: true  # categories hold numbers: put in numeric order")
            w(f"    reference: {_q(g['reference'])}  # the lowest category")
        else:
            w("    ordered: false")
            w(f"    reference: {_q(g['reference'])}  # the most frequent category")
        if "level" in g:
            note = "  # constant within each cluster" if g["level"] == "cluster" else ""
            w(f"    level: {g['level']}{note}")
        w(f"    compare: {'true' if g['compare'] else 'false'}")
    w("")
    ids = d.identifiers
    w("# Identifier columns: REVIEW every one. Reasons the draft chose them:")
    for line in d.notes["why"]:
        w(f"#   {line}")
    w("identifiers:")
    if ids["respondent_id"]:
        w(f"  respondent_id: {_q(ids['respondent_id'])}  # REVIEW: replaced by a keyed pseudonym")
    else:
        w("  # TODO: no response-id column found; name the column holding one id per response")
        w('  respondent_id: "TODO: the response id column"')
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
