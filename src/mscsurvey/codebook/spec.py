"""The codebook: the one place where a study's items, constructs, scales, groups and identifiers live.

``load_codebook`` validates a YAML codebook against ``mscsurvey/data/schemas/codebook.schema.yaml``, then checks
its cross-references, and returns a typed, read-only :class:`Codebook` that every stage works from.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mscsurvey.errors import SurveyError
from mscsurvey.schema import load_yaml, schema_path, validate

__all__ = [
    "Scale",
    "Item",
    "Construct",
    "Group",
    "Identifiers",
    "Codebook",
    "load_codebook",
    "parse_codebook",
    "normalise_label",
]


def normalise_label(value: str) -> str:
    """Case- and whitespace-insensitive form of a response label (also folds curly quotes)."""
    text = str(value).replace("\u2019", "'").replace("\u2018", "'").replace("\u00a0", " ")
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class Scale:
    name: str
    label: str
    codes: dict[int, str]  # code -> label, ordered low -> high
    missing: tuple[str, ...]
    agree: tuple[int, ...]
    agree_label: str

    @property
    def min(self) -> int:
        return min(self.codes)

    @property
    def max(self) -> int:
        return max(self.codes)

    def lookup(self) -> dict[str, int | None]:
        """Normalised label (or code as text) -> code; missing labels -> None."""
        table: dict[str, int | None] = {}
        for code, label in self.codes.items():
            table[normalise_label(label)] = code
            table[str(code)] = code
        for label in self.missing:
            table[normalise_label(label)] = None
        return table

    def expected(self) -> str:
        """The labels a person may use, for error messages."""
        labels = [f"{lab} ({code})" for code, lab in self.codes.items()] + list(self.missing)
        return ", ".join(labels)


@dataclass(frozen=True)
class Item:
    id: str
    text: str
    short: str
    scale: str
    reverse: bool
    construct: str


@dataclass(frozen=True)
class Construct:
    id: str
    label: str
    description: str
    items: tuple[str, ...]
    min_answered: float
    keywords: tuple[str, ...]

    def min_items(self) -> int:
        """Number of items a respondent must answer to get a score (at least one)."""
        import math

        return max(1, math.ceil(self.min_answered * len(self.items) - 1e-9))


@dataclass(frozen=True)
class Group:
    id: str
    label: str
    categories: tuple[str, ...]
    missing: tuple[str, ...]
    ordered: bool
    reference: str
    level: str
    compare: bool
    codes: dict[str, str] = field(default_factory=dict)  # code in the data -> its label
    #: the category of "Other, please specify" answers ("Other: ..." maps to it; the text is dropped)
    other: str | None = None

    def lookup(self) -> dict[str, str | None]:
        """Normalised label (or code, for coded categories) -> canonical category; missing labels ->
        None."""
        table: dict[str, str | None] = {normalise_label(c): c for c in self.categories}
        for code, label in self.codes.items():
            table.setdefault(code, label)  # a label spelled like another code keeps its own meaning
        for label in self.missing:
            table[normalise_label(label)] = None
        return table


@dataclass(frozen=True)
class Identifiers:
    respondent_id: str | None  # None: no id column; pseudonyms from row position and content
    pseudonym: str
    person: tuple[str, ...]
    direct: tuple[str, ...]
    roster: dict[str, str]
    birth_date: dict[str, Any] | None
    zip: dict[str, Any] | None
    timestamps: dict[str, Any] | None
    quasi_identifiers: tuple[str, ...]
    free_text: tuple[str, ...]
    #: What an insider knows (release stage); empty when the codebook does not say (see
    #: :meth:`Codebook.key_variables`).
    key_variables: tuple[str, ...] = ()

    def raw_columns(self) -> list[str]:
        """Every raw column that de-identification consumes (none of them leaves it as is)."""
        cols = [*([self.respondent_id] if self.respondent_id else []), *self.person, *self.direct]
        cols += list(self.roster)
        if self.birth_date:
            cols.append(self.birth_date["column"])
        if self.zip:
            cols.append(self.zip["column"])
        if self.timestamps:
            cols += [self.timestamps["start"], self.timestamps["end"]]
        return list(dict.fromkeys(cols))

    def generalised_columns(self) -> list[str]:
        cols = []
        if self.birth_date:
            cols.append(self.birth_date["output"])
        if self.zip and self.zip["method"] != "drop":
            cols.append(self.zip["output"])
        if self.timestamps:
            cols += [self.timestamps["month"], self.timestamps["duration"]]
        return cols


@dataclass(frozen=True)
class Codebook:
    path: str
    draft: bool
    study: dict[str, Any]
    scales: dict[str, Scale]
    constructs: dict[str, Construct]
    items: dict[str, Item]
    groups: dict[str, Group]
    cluster: str | None
    cluster_label: str
    identifiers: Identifiers
    raw: dict[str, Any] = field(repr=False, compare=False)

    def items_of(self, construct: str) -> list[Item]:
        return [self.items[i] for i in self.constructs[construct].items]

    def scale_of(self, item: str) -> Scale:
        return self.scales[self.items[item].scale]

    def label_of(self, name: str) -> str:
        """A construct's or group's label; any other name (a dummy term, say) as it is."""
        if name in self.constructs:
            return self.constructs[name].label
        if name in self.groups:
            return self.groups[name].label
        return name

    @property
    def item_ids(self) -> list[str]:
        return list(self.items)

    @property
    def group_ids(self) -> list[str]:
        return list(self.groups)

    def compared_groups(self) -> list[str]:
        return [g for g, grp in self.groups.items() if grp.compare]

    @property
    def key_variables(self) -> list[str]:
        """The release stage's key variables: ``identifiers.key_variables`` when the codebook sets
        them, else the quasi-identifiers, every group and the cluster column (in that order)."""
        if self.identifiers.key_variables:
            return list(self.identifiers.key_variables)
        cols = [*self.identifiers.quasi_identifiers, *self.groups]
        if self.cluster:
            cols.append(self.cluster)
        return list(dict.fromkeys(cols))

    @property
    def cluster_noun(self) -> str:
        """The cluster label inside a sentence: "Clinic" -> "clinic"; an acronym ("MSC") unchanged."""
        label = self.cluster_label
        return label[:1].lower() + label[1:] if label[1:2].islower() else label

    def agree_phrase(self, items: Sequence[str] | None = None) -> str:
        """What counting as "agreeing" means for these items (default: all), from their scales'
        ``agree_label``, the most used first: ``agreed (or said "a lot")``."""
        counts = Counter(self.scale_of(i).agree_label for i in (items or self.items))
        first, *rest = sorted(counts, key=lambda label: -counts[label])
        return first + (f" (or {' or '.join(rest)})" if rest else "")


def _cross_check(cb: dict[str, Any], source: str) -> None:
    """What the schema cannot say: references between scales, items, constructs, groups and
    identifiers (the first problem raises, in this order)."""
    scales, items, constructs = cb["scales"], cb["items"], cb["constructs"]
    _check_scales(scales, source)
    _check_items(scales, items, constructs, source)
    _check_groups(cb["groups"], source)
    _check_identifiers(cb, source)


def _check_scales(scales: dict[str, Any], source: str) -> None:
    """Agreement codes among the codes; labels (missing ones included) distinct."""
    for name, sc in scales.items():
        codes = {int(c) for c in sc["codes"]}
        bad = [a for a in sc["agree"] if a not in codes]
        if bad:
            raise SurveyError(
                f"agreement code {bad[0]} is not one of the scale's codes ({', '.join(map(str, sorted(codes)))})",
                file=source,
                key=f"scales.{name}.agree",
            )
        labels = [normalise_label(v) for v in sc["codes"].values()] + [
            normalise_label(v) for v in sc["missing"]
        ]
        dup = {x for x in labels if labels.count(x) > 1}
        if dup:
            raise SurveyError(
                f"label '{sorted(dup)[0]}' is used twice in the scale (labels must be distinct)",
                file=source,
                key=f"scales.{name}",
            )


def _check_items(
    scales: dict[str, Any], items: dict[str, Any], constructs: dict[str, Any], source: str
) -> None:
    """Every item on a defined scale and in exactly one construct, whose items share a scale."""
    for iid, item in items.items():
        if item["scale"] not in scales:
            raise SurveyError(
                f"scale '{item['scale']}' is not defined (defined scales: {', '.join(scales)})",
                file=source,
                key=f"items.{iid}.scale",
            )
    owner: dict[str, str] = {}
    for cid, con in constructs.items():
        for iid in con["items"]:
            if iid not in items:
                raise SurveyError(
                    f"item '{iid}' is not defined under items: (add it there or remove it here)",
                    file=source,
                    key=f"constructs.{cid}.items",
                )
            if iid in owner:
                raise SurveyError(
                    f"item '{iid}' is listed in two constructs ('{owner[iid]}' and '{cid}'); "
                    "an item belongs to one construct",
                    file=source,
                    key=f"constructs.{cid}.items",
                )
            owner[iid] = cid
        item_scales = {items[i]["scale"] for i in con["items"]}
        if len(item_scales) > 1:
            raise SurveyError(
                f"mixes response scales ({', '.join(sorted(item_scales))}); a construct's items must "
                "share one scale",
                file=source,
                key=f"constructs.{cid}.items",
            )
    orphans = [i for i in items if i not in owner]
    if orphans:
        raise SurveyError(
            f"item '{orphans[0]}' belongs to no construct (list it under a construct's items)",
            file=source,
            key=f"items.{orphans[0]}",
        )


def _check_groups(groups: dict[str, Any], source: str) -> None:
    """References and "other" among the categories; category labels distinct."""
    for gid, grp in groups.items():
        ref = grp.get("reference")
        labels = list(_group_codes(grp).values()) or grp["categories"]
        if ref is not None and ref not in labels and str(ref) not in _group_codes(grp):
            raise SurveyError(
                f"reference level '{ref}' is not one of the categories ({', '.join(labels)})",
                file=source,
                key=f"groups.{gid}.reference",
            )
        if len(set(map(normalise_label, labels))) < len(labels):
            raise SurveyError(
                "two codes have the same label (each category needs its own label)",
                file=source,
                key=f"groups.{gid}.categories",
            )
        other = grp.get("other")
        if other is not None and other not in labels:
            raise SurveyError(
                f"'other' category '{other}' is not one of the categories ({', '.join(labels)})",
                file=source,
                key=f"groups.{gid}.other",
            )


def _check_identifiers(cb: dict[str, Any], source: str) -> None:
    """No identifier column analysed; key variables and quasi-identifiers are groups, the
    cluster or generalised columns."""
    items = cb["items"]
    ids = cb["identifiers"]
    analysis_cols = set(items) | set(cb["groups"])
    if cb.get("cluster"):
        analysis_cols.add(cb["cluster"]["column"])
    for key in ("direct", "person", "free_text"):
        for col in ids.get(key, []):
            if col in analysis_cols:
                raise SurveyError(
                    f"'{col}' is also an item or group column; an identifier column cannot be analysed",
                    file=source,
                    key=f"identifiers.{key}",
                )
    generalised = set()
    if ids.get("birth_date"):
        generalised.add(ids["birth_date"]["output"])
    if ids.get("zip") and ids["zip"]["method"] != "drop":
        generalised.add(ids["zip"]["output"])
    allowed_qi = generalised | set(cb["groups"])
    if cb.get("cluster"):
        allowed_qi.add(cb["cluster"]["column"])
    for col in ids.get("key_variables") or []:
        if col not in allowed_qi:
            raise SurveyError(
                f"key variable '{col}' is neither a group, the cluster column nor a generalised "
                f"column (expected some of: {', '.join(sorted(allowed_qi))})",
                file=source,
                key="identifiers.key_variables",
            )
    for col in ids.get("quasi_identifiers", []):
        if col not in allowed_qi:
            raise SurveyError(
                f"quasi-identifier '{col}' is neither a group nor a generalised column "
                f"(expected one of: {', '.join(sorted(allowed_qi))})",
                file=source,
                key="identifiers.quasi_identifiers",
            )


def _group_codes(grp: dict[str, Any]) -> dict[str, str]:
    """A group's code -> label map when its categories are given as one ({1: Male}), else {}.

    Codes are normalised as answers are ("1", not "1.0"), so a Stata float column's 1.0 finds 1.
    """
    cats = grp["categories"]
    if not isinstance(cats, dict):
        return {}
    return {str(int(k)): str(v) for k, v in cats.items()}


def _group(gid: str, g: dict[str, Any]) -> Group:
    codes = _group_codes(g)
    categories = tuple(codes.values()) if codes else tuple(g["categories"])
    ref = g.get("reference", categories[0])
    return Group(
        id=gid,
        label=g.get("label", gid),
        categories=categories,
        missing=tuple(g["missing"]),
        ordered=g["ordered"],
        reference=codes.get(str(ref), ref) if ref not in categories else ref,
        level=g["level"],
        compare=g["compare"],
        codes=codes,
        other=g.get("other"),
    )


def parse_codebook(data: dict[str, Any], *, source: str = "codebook") -> Codebook:
    """Validate a codebook mapping and build a :class:`Codebook`.

    Raises
    ------
    SurveyError
        naming ``source`` and the key at fault.
    """
    cb = validate(data, schema_path("codebook"), source=source)
    _cross_check(cb, source)
    scales = {
        name: Scale(
            name=name,
            label=sc.get("label", name),
            codes={int(k): v for k, v in sorted(sc["codes"].items(), key=lambda kv: int(kv[0]))},
            missing=tuple(sc["missing"]),
            agree=tuple(sorted(sc["agree"])),
            agree_label=sc["agree_label"],
        )
        for name, sc in cb["scales"].items()
    }
    owner = {i: cid for cid, con in cb["constructs"].items() for i in con["items"]}
    # Items keep the order in which constructs list them: the survey's order within a construct.
    items = {}
    for _cid, con in cb["constructs"].items():
        for iid in con["items"]:
            it = cb["items"][iid]
            items[iid] = Item(
                id=iid,
                text=it["text"].strip(),
                short=it.get("short", iid),
                scale=it["scale"],
                reverse=it["reverse"],
                construct=owner[iid],
            )
    constructs = {
        cid: Construct(
            id=cid,
            label=con.get("label", cid),
            description=con.get("description", ""),
            items=tuple(con["items"]),
            min_answered=con["min_answered"],
            keywords=tuple(con["keywords"]),
        )
        for cid, con in cb["constructs"].items()
    }
    groups = {gid: _group(gid, g) for gid, g in cb["groups"].items()}
    ids = cb["identifiers"]
    identifiers = Identifiers(
        respondent_id=ids["respondent_id"],
        pseudonym=ids["pseudonym"],
        person=tuple(ids["person"]),
        direct=tuple(ids["direct"]),
        roster=dict(ids["roster"]),
        birth_date=ids.get("birth_date"),
        zip=ids.get("zip"),
        timestamps=ids.get("timestamps"),
        quasi_identifiers=tuple(ids["quasi_identifiers"]),
        free_text=tuple(ids["free_text"]),
        key_variables=tuple(ids.get("key_variables") or ()),
    )
    cluster = cb.get("cluster") or {}
    return Codebook(
        path=source,
        draft=cb["draft"],
        study=cb.get("study", {}),
        scales=scales,
        constructs=constructs,
        items=items,
        groups=groups,
        cluster=cluster.get("column"),
        cluster_label=cluster.get("label", cluster.get("column", "cluster")),
        identifiers=identifiers,
        raw=cb,
    )


def load_codebook(path: str | Path, *, allow_draft: bool = False) -> Codebook:
    """Load and validate a codebook file; refuse one still marked ``draft: true``."""
    cb = parse_codebook(load_yaml(path) or {}, source=str(path))
    if cb.draft and not allow_draft:
        raise SurveyError(
            "is still marked 'draft: true'; review every item, scale, group and identifier it "
            "lists, then set draft: false",
            file=str(path),
            key="draft",
        )
    return cb
