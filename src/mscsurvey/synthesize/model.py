"""The generative model file (``data/synthetic/model.yaml``), checked against the codebook.

:func:`parse_model` turns the YAML mapping into a typed, read-only :class:`Model`. Every construct,
item, group, category and label the model names must exist in the codebook; a problem is one
:class:`~mscsurvey.errors.SurveyError` naming the model key at fault.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from mscsurvey.codebook.spec import Codebook
from mscsurvey.errors import SurveyError
from mscsurvey.schema import schema_path, validate
from mscsurvey.synthesize.missingness import parse_sensitivity

__all__ = [
    "Cluster",
    "GroupModel",
    "Model",
    "validate_model",
    "parse_model",
    "load_published",
    "Published",
]

#: Generator kinds an identifier column can be filled by.
IDENTIFIER_KINDS = (
    "person_name",
    "first_name",
    "last_name",
    "email",
    "phone",
    "street_address",
    "city",
    "ipv4",
    "company",
)
#: Planted mess kinds, in the order they are generated and reported.
MESS_KINDS = ("duplicate", "speeder", "straightliner", "partial")
#: Identifier mention kinds in comments.
MENTION_KINDS = ("name", "email", "phone", "organisation", "street_address", "city")
SECONDARY_KINDS = ("url", "zip")


@dataclass(frozen=True)
class Cluster:
    """One MSC: its code, cluster-level group values, weight and ZIP3 prefixes."""

    id: str
    values: dict[str, str]
    weight: float
    zip3: tuple[str, ...]


@dataclass(frozen=True)
class GroupModel:
    """How one respondent-level group is drawn.

    ``shares`` are over the group's categories (normalised); ``missing`` over its missing labels, as
    shares of all respondents; ``given[other_group][category]`` replaces both for respondents in that
    category of another group.
    """

    id: str
    shares: dict[str, float]
    missing: dict[str, float]
    quota: bool
    given: dict[str, dict[str, tuple[dict[str, float], dict[str, float]]]]


@dataclass(frozen=True)
class Model:
    """The parsed model file. ``raw`` keeps the validated mapping (for the truth file)."""

    raw: dict[str, Any]
    n_rows: int
    fielded: tuple[date, date]
    last_opening: date
    window_days: int
    mean_delay_days: float
    start_hours: dict[int, float]
    duration: dict[str, Any]
    groups_first: tuple[str, ...]
    groups_last: tuple[str, ...]
    display_scale: str | None
    display_shown: int
    clusters: tuple[Cluster, ...]
    groups: dict[str, GroupModel]
    order: tuple[str, ...]  # constructs in topological order
    exogenous: tuple[str, ...]
    residual_correlation: np.ndarray  # over ``exogenous``
    paths: dict[str, dict[str, float]]
    group_effects: dict[str, dict[str, dict[str, float]]]
    msc_sd: dict[str, float]
    msc_correlation: float
    msc_centred: bool
    balanced: bool
    min_residual_variance: float
    loadings: dict[str, float]  # signed
    targets: dict[str, dict[str, float]]  # unpublished items: agree (%), dont_know (rate)
    categories: dict[str, dict[str, dict[int, float]]]  # item -> {"agree": .., "rest": ..}
    dont_know: dict[str, Any]
    mess: dict[str, dict[str, Any]]
    identifiers: dict[str, Any]
    comments: dict[str, Any]
    mc_n: int
    mc_seed_offset: int
    regressions: dict[str, tuple[str, ...]]
    #: planted non-invariance: (item, group, category index, shift of x*) per entry; empty = off
    intercept_shifts: tuple[tuple[str, str, int, float], ...] = ()
    # nonresponse and MAR skips (mscsurvey.synthesize.missingness); None (the default) = off
    sensitivity: dict[str, Any] | None = None


@dataclass(frozen=True)
class Published:
    """The published findings: per item its % (in the scale's agree codes) and n."""

    table: pd.DataFrame  # item, construct, measure, published_pct, published_n, ...

    def pct(self) -> dict[str, float]:
        return dict(zip(self.table["item"], self.table["published_pct"].astype(float), strict=True))

    def n(self) -> dict[str, int]:
        return dict(zip(self.table["item"], self.table["published_n"].astype(int), strict=True))


def _fail(msg: str, key: str, source: str) -> SurveyError:
    return SurveyError(msg, file=source, key=key)


def _mapping(value: Any, key: str, source: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(f"expected a mapping, got {value!r}", key, source)
    return value


def _intercept_shifts(
    raw: Any, cb: Codebook, source: str
) -> tuple[tuple[str, str, int, float], ...]:
    """``items.intercept_shifts``: a list of ``{item, group, category, shift}`` (absent: none)."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise _fail(f"expected a list, got {raw!r}", "items.intercept_shifts", source)
    out = []
    for k, entry in enumerate(raw):
        key = f"items.intercept_shifts[{k}]"
        e = _mapping(entry, key, source)
        item, group, cat = e.get("item"), e.get("group"), e.get("category")
        if item not in cb.items:
            raise _fail(f"'{item}' is not an item of the codebook", f"{key}.item", source)
        if group not in cb.groups:
            raise _fail(f"'{group}' is not a group of the codebook", f"{key}.group", source)
        cats = [str(c) for c in cb.groups[group].categories]
        if str(cat) not in cats:
            raise _fail(
                f"'{cat}' is not a category of group {group} (expected one of: {', '.join(cats)})",
                f"{key}.category",
                source,
            )
        shift = _number(e.get("shift"), f"{key}.shift", source, -3.0, 3.0)
        out.append((str(item), str(group), cats.index(str(cat)), shift))
    return tuple(out)


def _number(
    value: Any, key: str, source: str, lo: float = -math.inf, hi: float = math.inf
) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(f"expected a number, got {value!r}", key, source)
    if not lo <= float(value) <= hi:
        raise _fail(f"{value!r} is out of range ({lo} to {hi})", key, source)
    return float(value)


def _shares(value: Any, allowed: list[str], key: str, source: str) -> dict[str, float]:
    """A mapping label -> non-negative share whose labels are all in ``allowed`` (text-compared)."""
    raw = _mapping(value, key, source)
    out: dict[str, float] = {}
    names = {str(a): a for a in allowed}
    for label, share in raw.items():
        if str(label) not in names:
            raise _fail(
                f"'{label}' is not one of: {', '.join(map(str, allowed))}", f"{key}.{label}", source
            )
        out[str(label)] = _number(share, f"{key}.{label}", source, 0.0)
    if sum(out.values()) <= 0:
        raise _fail("shares must not all be zero", key, source)
    return out


def _normalised(shares: dict[str, float]) -> dict[str, float]:
    total = sum(shares.values())
    return {k: v / total for k, v in shares.items()}


def _date(value: Any, key: str, source: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise _fail(f"{value!r} is not a date YYYY-MM-DD", key, source) from None


def _topological(
    constructs: list[str], paths: dict[str, dict[str, float]], source: str
) -> tuple[str, ...]:
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(c: str, trail: list[str]) -> None:
        if state.get(c) == 2:
            return
        if state.get(c) == 1:
            cycle = " -> ".join([*trail, c])
            raise _fail(f"the paths form a cycle ({cycle})", "latent.paths", source)
        state[c] = 1
        for p in paths.get(c, {}):
            if p in constructs:
                visit(p, [*trail, c])
        state[c] = 2
        order.append(c)

    for c in constructs:
        visit(c, [])
    return tuple(order)


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.casefold().replace("\u2019", "'")))


def _contains_phrase(text: str, phrase: str) -> bool:
    return (
        re.search(rf"(?<![a-z]){re.escape(phrase.casefold())}(?![a-z])", text.casefold())
        is not None
    )


def _check_sentences(comments: dict[str, Any], cb: Codebook, source: str) -> None:
    sentences = _mapping(comments.get("sentences"), "comments.sentences", source)
    for cid, tones in sentences.items():
        if cid not in cb.constructs:
            raise _fail(
                f"'{cid}' is not a construct of the codebook", f"comments.sentences.{cid}", source
            )
        for tone in ("positive", "neutral", "negative"):
            texts = _mapping(tones, f"comments.sentences.{cid}", source).get(tone)
            if not texts:
                raise _fail(
                    "needs at least one sentence", f"comments.sentences.{cid}.{tone}", source
                )
            for i, text in enumerate(texts):
                key = f"comments.sentences.{cid}.{tone}[{i}]"
                own = [k for k in cb.constructs[cid].keywords if _contains_phrase(text, k)]
                if not own:
                    raise _fail(
                        f"'{text}' contains none of the construct's keywords "
                        f"({', '.join(cb.constructs[cid].keywords)})",
                        key,
                        source,
                    )
                for other, con in cb.constructs.items():
                    if other == cid:
                        continue
                    hit = [k for k in con.keywords if _contains_phrase(text, k)]
                    if hit:
                        raise _fail(
                            f"'{text}' contains keyword '{hit[0]}' of construct '{other}'",
                            key,
                            source,
                        )
    missing = [c for c in cb.constructs if c not in sentences]
    if missing:
        raise _fail(f"construct '{missing[0]}' has no sentences", "comments.sentences", source)
    neutral_texts = list(comments.get("openers", []))
    for kind, texts in _mapping(comments.get("mentions"), "comments.mentions", source).items():
        neutral_texts += [str(t) for t in texts]
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise _fail(f"expected text, got {t!r}", f"comments.mentions.{kind}[{i}]", source)
    for text in neutral_texts:
        for cid, con in cb.constructs.items():
            hit = [k for k in con.keywords if _contains_phrase(text, k)]
            if hit:
                raise _fail(
                    f"'{text}' contains keyword '{hit[0]}' of construct '{cid}' (openers and "
                    "identifier sentences must not point to a construct)",
                    "comments",
                    source,
                )


def validate_model(data: Any, *, source: str = "model") -> dict[str, Any]:
    """Check the model's shape, types and ranges against ``src/mscsurvey/data/schemas/model.schema.yaml``
    (:func:`parse_model` then checks its names against the codebook); return it unchanged.

    Raises
    ------
    SurveyError
        one line naming ``source`` and the key at fault, e.g. ``model.yaml: key
        'items.loadings.tr1': 1.2 is out of range (maximum 0.98)``.
    """
    validate(data, schema_path("model"), source=source)  # the schema fills no defaults
    return _mapping(data, "(top level)", source)


def parse_model(data: dict[str, Any], codebook: Codebook, *, source: str = "model") -> Model:
    """Validate the model mapping against ``codebook`` and build a :class:`Model`.

    Parameters
    ----------
    data
        the YAML mapping of ``data/synthetic/model.yaml``.
    codebook
        the study's codebook: every name in the model must be one of its constructs, items, groups,
        categories or labels.
    source
        the model file's name, for error messages.

    Raises
    ------
    SurveyError
        one line naming ``source`` and the key at fault.
    """
    cb = codebook
    m = validate_model(data, source=source)
    sv = _parse_survey(m, cb, source)
    survey, resp_groups = sv.pop("survey"), sv.pop("resp_groups")
    clusters, cluster_groups = _parse_clusters(m, cb, source)
    groups = _parse_groups(m, cb, resp_groups, source)
    la = _parse_latent(m, cb, source)
    lat, msc = la.pop("lat"), la.pop("msc")
    it = _parse_items(m, cb, source)
    dk = _check_dont_know(m, cb, resp_groups, source)
    mess = _check_mess(m, cb, sv["duration"], source)
    ids = _parse_identifiers(m, cb, clusters, cluster_groups, source)
    comments = _check_comments(m, cb, source)
    mc, regressions = _parse_monte_carlo(m, cb, source)

    return Model(
        raw=m,
        n_rows=sv["n_rows"],
        fielded=sv["fielded"],
        last_opening=sv["last_opening"],
        window_days=sv["window_days"],
        mean_delay_days=_number(
            survey.get("mean_delay_days"), "survey.mean_delay_days", source, 0.1
        ),
        start_hours=sv["start_hours"],
        duration=dict(sv["duration"]),
        groups_first=sv["groups_first"],
        groups_last=sv["groups_last"],
        display_scale=sv["display_scale"],
        display_shown=sv["display_shown"],
        clusters=tuple(clusters),
        groups=groups,
        order=la["order"],
        exogenous=la["exogenous"],
        residual_correlation=la["residual_correlation"],
        paths=la["paths"],
        group_effects=la["group_effects"],
        msc_sd=la["msc_sd"],
        msc_correlation=_number(
            msc.get("correlation", 0.0), "latent.msc_random_effect.correlation", source, 0, 1
        ),
        msc_centred=bool(msc.get("centred", False)),
        balanced=bool(lat.get("balanced_residuals", False)),
        min_residual_variance=_number(
            lat.get("min_residual_variance", 0.1), "latent.min_residual_variance", source, 0.01, 1
        ),
        loadings=it["loadings"],
        targets=it["targets"],
        categories=it["categories"],
        dont_know=dict(dk),
        mess={k: dict(v) for k, v in mess.items()},
        identifiers=dict(ids),
        comments=dict(comments),
        mc_n=int(_number(mc.get("n"), "monte_carlo.n", source, 1000)),
        mc_seed_offset=int(_number(mc.get("seed_offset", 1), "monte_carlo.seed_offset", source, 0)),
        regressions=regressions,
        intercept_shifts=it["intercept_shifts"],
        sensitivity=parse_sensitivity(m.get("sensitivity"), cb, source),
    )


def _parse_survey(m: dict[str, Any], cb: Codebook, source: str) -> dict[str, Any]:
    """``survey``: size, fielding period, start hours, durations, group order and display logic."""
    survey = _mapping(m.get("survey"), "survey", source)
    n_rows = int(_number(survey.get("n_rows"), "survey.n_rows", source, 50))
    fielded_raw = _mapping(survey.get("fielded"), "survey.fielded", source)
    fielded = (
        _date(fielded_raw.get("start"), "survey.fielded.start", source),
        _date(fielded_raw.get("end"), "survey.fielded.end", source),
    )
    last_opening = _date(survey.get("last_opening"), "survey.last_opening", source)
    window_days = int(_number(survey.get("window_days"), "survey.window_days", source, 1))
    if not fielded[0] <= last_opening <= fielded[1]:
        raise _fail("must fall inside the fielding period", "survey.last_opening", source)
    slack = (fielded[1] - last_opening).days
    if slack < window_days + 11:
        raise _fail(
            f"leaves {slack} days before the fielding end; the window ({window_days} days) and a "
            "duplicate's delay (up to 10 days) must fit",
            "survey.last_opening",
            source,
        )
    hours = {
        int(h): _number(w, f"survey.start_hour_weights.{h}", source, 0.0)
        for h, w in _mapping(
            survey.get("start_hour_weights"), "survey.start_hour_weights", source
        ).items()
    }
    if any(not 0 <= h <= 23 for h in hours):
        raise _fail("hours must be 0-23", "survey.start_hour_weights", source)
    duration = _mapping(survey.get("duration"), "survey.duration", source)
    for k in ("median_seconds", "sigma", "min_seconds", "left_open_share"):
        _number(duration.get(k), f"survey.duration.{k}", source, 0.0)

    resp_groups = [g for g, grp in cb.groups.items() if grp.level != "cluster"]
    first = tuple(survey.get("groups_first", []))
    last = tuple(survey.get("groups_last", []))
    for key, lst in (("survey.groups_first", first), ("survey.groups_last", last)):
        for g in lst:
            if g not in resp_groups:
                raise _fail(
                    f"'{g}' is not a respondent-level group of the codebook "
                    f"(expected one of: {', '.join(resp_groups)})",
                    key,
                    source,
                )
    unplaced = [g for g in resp_groups if g not in first and g not in last]
    if unplaced or len(set(first) | set(last)) != len(first) + len(last):
        raise _fail(
            f"every respondent-level group must be listed once in groups_first or groups_last "
            f"(unplaced: {', '.join(unplaced) or 'none'})",
            "survey",
            source,
        )
    display = survey.get("display_logic") or {}
    display_scale = display.get("scale")
    if display_scale is not None and display_scale not in cb.scales:
        raise _fail(
            f"'{display_scale}' is not a scale of the codebook",
            "survey.display_logic.scale",
            source,
        )
    display_shown = int(_number(display.get("shown", 0), "survey.display_logic.shown", source, 0))
    return {
        "survey": survey,
        "n_rows": n_rows,
        "fielded": fielded,
        "last_opening": last_opening,
        "window_days": window_days,
        "start_hours": hours,
        "duration": duration,
        "resp_groups": resp_groups,
        "groups_first": first,
        "groups_last": last,
        "display_scale": display_scale,
        "display_shown": display_shown,
    }


def _parse_clusters(
    m: dict[str, Any], cb: Codebook, source: str
) -> tuple[list[Cluster], list[str]]:
    """``clusters``: each MSC's id, cluster-level categories, weight and ZIP3s; and the cluster-level
    groups."""
    cluster_groups = [g for g, grp in cb.groups.items() if grp.level == "cluster"]
    clusters = []
    seen: set[str] = set()
    for i, c in enumerate(m.get("clusters") or []):
        key = f"clusters[{i}]"
        c = _mapping(c, key, source)
        cid = str(c.get("id", ""))
        if not cid or cid in seen:
            raise _fail(f"needs a unique id (got {cid!r})", f"{key}.id", source)
        seen.add(cid)
        values = {}
        for g in cluster_groups:
            v = c.get(g)
            if v not in cb.groups[g].categories:
                raise _fail(
                    f"{v!r} is not a category of group {g} "
                    f"(expected one of: {', '.join(cb.groups[g].categories)})",
                    f"{key}.{g}",
                    source,
                )
            values[g] = str(v)
        zips = tuple(str(z) for z in c.get("zip3", []))
        if not zips or any(not re.fullmatch(r"\d{3}", z) for z in zips):
            raise _fail("needs a list of 3-digit ZIP prefixes", f"{key}.zip3", source)
        clusters.append(
            Cluster(cid, values, _number(c.get("weight", 1.0), f"{key}.weight", source, 0.01), zips)
        )
    if not clusters:
        raise _fail("lists no clusters", "clusters", source)
    return clusters, cluster_groups


def _parse_groups(
    m: dict[str, Any], cb: Codebook, resp_groups: list[str], source: str
) -> dict[str, GroupModel]:
    """``groups``: each respondent-level group's shares, missing labels, quota and conditional shares."""
    groups_raw = _mapping(m.get("groups"), "groups", source)
    groups: dict[str, GroupModel] = {}
    for g in resp_groups:
        if g not in groups_raw:
            raise _fail(f"group '{g}' of the codebook has no shares", "groups", source)
    for g, spec in groups_raw.items():
        if g not in resp_groups:
            raise _fail(
                f"'{g}' is not a respondent-level group of the codebook", f"groups.{g}", source
            )
        grp = cb.groups[g]
        spec = _mapping(spec, f"groups.{g}", source)
        allowed = list(grp.categories) + list(grp.missing)

        def split(
            raw: Any, key: str, grp: Any = grp, allowed: list[str] = allowed
        ) -> tuple[dict[str, float], dict[str, float]]:
            sh = _normalised(_shares(raw, allowed, key, source))
            cats = {c: sh.get(c, 0.0) for c in grp.categories}
            if sum(cats.values()) <= 0:
                raise _fail("gives no share to any category", key, source)
            miss = {c: sh[c] for c in grp.missing if c in sh}
            return _normalised(cats), miss

        shares, missing = split(spec.get("shares"), f"groups.{g}.shares")
        given: dict[str, dict[str, tuple[dict[str, float], dict[str, float]]]] = {}
        for other, by_cat in (spec.get("given") or {}).items():
            if other not in groups_raw or list(groups_raw).index(other) >= list(groups_raw).index(
                g
            ):
                raise _fail(
                    f"'{other}' must be a group listed before '{g}'", f"groups.{g}.given", source
                )
            given[other] = {}
            for cat, sh in _mapping(by_cat, f"groups.{g}.given.{other}", source).items():
                if cat not in cb.groups[other].categories:
                    raise _fail(
                        f"'{cat}' is not a category of group {other}",
                        f"groups.{g}.given.{other}",
                        source,
                    )
                given[other][cat] = split(sh, f"groups.{g}.given.{other}.{cat}")
        quota = bool(spec.get("quota", False))
        if quota and given:
            raise _fail("a quota group cannot have `given` shares", f"groups.{g}", source)
        groups[g] = GroupModel(g, shares, missing, quota, given)
    return groups


def _parse_latent(m: dict[str, Any], cb: Codebook, source: str) -> dict[str, Any]:
    """``latent``: exogenous constructs and their correlations, paths (in topological order), group
    effects and the MSC random effect's SDs."""
    lat = _mapping(m.get("latent"), "latent", source)
    constructs = list(cb.constructs)
    exo = tuple(lat.get("exogenous", []))
    for c in exo:
        if c not in cb.constructs:
            raise _fail(f"'{c}' is not a construct of the codebook", "latent.exogenous", source)
    r = np.eye(len(exo))
    for a, row in (lat.get("residual_correlations") or {}).items():
        for b, v in _mapping(row, f"latent.residual_correlations.{a}", source).items():
            if a not in exo or b not in exo or a == b:
                raise _fail(
                    "correlations are between two different exogenous constructs",
                    f"latent.residual_correlations.{a}.{b}",
                    source,
                )
            val = _number(v, f"latent.residual_correlations.{a}.{b}", source, -0.99, 0.99)
            i, j = exo.index(a), exo.index(b)
            r[i, j] = r[j, i] = val
    if len(exo) and np.linalg.eigvalsh(r).min() <= 1e-6:
        raise _fail("is not positive definite", "latent.residual_correlations", source)
    ordered_groups = [g for g, grp in cb.groups.items() if grp.ordered]
    paths: dict[str, dict[str, float]] = {}
    for out, preds in _mapping(lat.get("paths") or {}, "latent.paths", source).items():
        if out not in cb.constructs:
            raise _fail(
                f"'{out}' is not a construct of the codebook", f"latent.paths.{out}", source
            )
        if out in exo:
            raise _fail("an exogenous construct has no paths", f"latent.paths.{out}", source)
        paths[out] = {}
        for p, v in _mapping(preds, f"latent.paths.{out}", source).items():
            if p not in cb.constructs and p not in ordered_groups:
                raise _fail(
                    f"'{p}' is neither a construct nor an ordered group of the codebook",
                    f"latent.paths.{out}.{p}",
                    source,
                )
            if p in cb.groups and cb.groups[p].level == "cluster":
                raise _fail(
                    "cluster-level groups enter as group effects, not paths",
                    f"latent.paths.{out}.{p}",
                    source,
                )
            paths[out][p] = _number(v, f"latent.paths.{out}.{p}", source, -2, 2)
    order = _topological(constructs, paths, source)
    effects: dict[str, dict[str, dict[str, float]]] = {}
    for c, by_group in (lat.get("group_effects") or {}).items():
        if c not in cb.constructs:
            raise _fail(f"'{c}' is not a construct", f"latent.group_effects.{c}", source)
        effects[c] = {}
        for g, by_cat in _mapping(by_group, f"latent.group_effects.{c}", source).items():
            if g not in cb.groups:
                raise _fail(f"'{g}' is not a group", f"latent.group_effects.{c}.{g}", source)
            effects[c][g] = _shares_any(
                by_cat, list(cb.groups[g].categories), f"latent.group_effects.{c}.{g}", source
            )
    msc, msc_sd = _msc_random_effect(lat, constructs, source)
    return {
        "lat": lat,
        "msc": msc,
        "order": order,
        "exogenous": exo,
        "residual_correlation": r,
        "paths": paths,
        "group_effects": effects,
        "msc_sd": msc_sd,
    }


def _msc_random_effect(
    lat: dict[str, Any], constructs: list[str], source: str
) -> tuple[dict[str, Any], dict[str, float]]:
    """``latent.msc_random_effect``: its mapping and each construct's SD (one for all, or per
    construct with a default)."""
    msc = _mapping(lat.get("msc_random_effect") or {}, "latent.msc_random_effect", source)
    sd_raw = msc.get("sd", 0.0)
    if isinstance(sd_raw, dict):
        default_sd = _number(
            sd_raw.get("default", 0.0), "latent.msc_random_effect.sd.default", source, 0
        )
        msc_sd = {
            c: _number(sd_raw.get(c, default_sd), f"latent.msc_random_effect.sd.{c}", source, 0, 1)
            for c in constructs
        }
    else:
        msc_sd = {
            c: _number(sd_raw, "latent.msc_random_effect.sd", source, 0, 1) for c in constructs
        }
    return msc, msc_sd


def _parse_items(m: dict[str, Any], cb: Codebook, source: str) -> dict[str, Any]:
    """``items``: loadings (negative for reversed items), targets, intercept shifts and category splits."""
    items = _mapping(m.get("items"), "items", source)
    lraw = _mapping(items.get("loadings"), "items.loadings", source)
    loadings = {}
    for iid, item in cb.items.items():
        if iid not in lraw:
            raise _fail(f"item '{iid}' has no loading", "items.loadings", source)
        lam = _number(lraw[iid], f"items.loadings.{iid}", source, 0.05, 0.98)
        loadings[iid] = -lam if item.reverse else lam
    extra = [i for i in lraw if i not in cb.items]
    if extra:
        raise _fail(f"'{extra[0]}' is not an item of the codebook", "items.loadings", source)
    targets = {}
    for iid, t in (items.get("targets") or {}).items():
        if iid not in cb.items:
            raise _fail(f"'{iid}' is not an item of the codebook", f"items.targets.{iid}", source)
        t = _mapping(t, f"items.targets.{iid}", source)
        targets[iid] = {
            "agree": _number(t.get("agree"), f"items.targets.{iid}.agree", source, 0.5, 99.5),
            "dont_know": _number(
                t.get("dont_know"), f"items.targets.{iid}.dont_know", source, 0, 0.9
            ),
        }
    shifts = _intercept_shifts(items.get("intercept_shifts"), cb, source)
    cat_raw = _mapping(items.get("categories"), "items.categories", source)
    overrides = items.get("overrides") or {}
    categories: dict[str, dict[str, dict[int, float]]] = {}
    for iid, item in cb.items.items():
        sc = cb.scales[item.scale]
        base = cat_raw.get(item.scale)
        if base is None:
            raise _fail(f"scale '{item.scale}' has no category split", "items.categories", source)
        spec = {**base, **overrides.get(iid, {})}
        split = {}
        for part, codes in (
            ("agree", list(sc.agree)),
            ("rest", [c for c in sc.codes if c not in sc.agree]),
        ):
            key = (
                f"items.overrides.{iid}.{part}"
                if part in overrides.get(iid, {})
                else f"items.categories.{item.scale}.{part}"
            )
            sh = _shares(
                {str(k): v for k, v in (spec.get(part) or {}).items()},
                [str(c) for c in codes],
                key,
                source,
            )
            split[part] = {
                int(k): v
                for k, v in _normalised({c: sh.get(str(c), 0.0) for c in map(str, codes)}).items()
            }
        categories[iid] = split
    return {
        "loadings": loadings,
        "targets": targets,
        "intercept_shifts": shifts,
        "categories": categories,
    }


def _check_dont_know(
    m: dict[str, Any], cb: Codebook, resp_groups: list[str], source: str
) -> dict[str, Any]:
    """``dont_know``: checked, returned as given."""
    dk = _mapping(m.get("dont_know"), "dont_know", source)
    _number(dk.get("person_weight"), "dont_know.person_weight", source, 0)
    _number(dk.get("blank_share"), "dont_know.blank_share", source, 0, 1)
    _number(dk.get("min_shown_answered"), "dont_know.min_shown_answered", source, 0, 1)
    for g, by_cat in (dk.get("shifts") or {}).items():
        if g not in resp_groups:
            raise _fail(f"'{g}' is not a respondent-level group", f"dont_know.shifts.{g}", source)
        _shares_any(by_cat, list(cb.groups[g].categories), f"dont_know.shifts.{g}", source)
    labels = _mapping(dk.get("labels") or {}, "dont_know.labels", source)
    for s, sc in cb.scales.items():
        if sc.missing and s in labels:
            _shares(labels[s], list(sc.missing), f"dont_know.labels.{s}", source)
    return dk


def _check_mess(
    m: dict[str, Any], cb: Codebook, duration: dict[str, Any], source: str
) -> dict[str, Any]:
    """``mess``: every planted kind's count and settings, checked, returned as given."""
    mess = _mapping(m.get("mess"), "mess", source)
    for kind in MESS_KINDS:
        spec = _mapping(mess.get(kind), f"mess.{kind}", source)
        _number(spec.get("count"), f"mess.{kind}.count", source, 0)
    sl = mess["straightliner"]
    if sl.get("scale") not in cb.scales:
        raise _fail(f"{sl.get('scale')!r} is not a scale", "mess.straightliner.scale", source)
    _shares(
        sl.get("labels"),
        list(cb.scales[sl["scale"]].codes.values()),
        "mess.straightliner.labels",
        source,
    )
    for kind in ("straightliner", "partial"):
        for k in ("median_seconds", "sigma"):
            _number(mess[kind].get(k), f"mess.{kind}.{k}", source, 0.01)
    _number(sl.get("genuine_min_items"), "mess.straightliner.genuine_min_items", source, 2)
    _number(mess["duplicate"].get("changed_share"), "mess.duplicate.changed_share", source, 0, 1)
    _number(mess["duplicate"].get("same_ip_share"), "mess.duplicate.same_ip_share", source, 0, 1)
    sp = mess["speeder"]
    lo, hi = sp.get("seconds", [60, 170])
    if not 0 < lo <= hi < float(duration["min_seconds"]):
        raise _fail("must be below the genuine minimum duration", "mess.speeder.seconds", source)
    noise = _mapping(mess.get("label_noise"), "mess.label_noise", source)
    _number(noise.get("share"), "mess.label_noise.share", source, 0, 0.5)
    _shares(
        noise.get("kinds"),
        ["leading_space", "trailing_space", "lower", "upper"],
        "mess.label_noise.kinds",
        source,
    )
    return mess


def _parse_identifiers(
    m: dict[str, Any],
    cb: Codebook,
    clusters: list[Cluster],
    cluster_groups: list[str],
    source: str,
) -> dict[str, Any]:
    """``identifiers``: a generator kind per identifier column; ``area_group`` added (the cluster-level
    group whose values have area codes)."""
    ids = _mapping(m.get("identifiers"), "identifiers", source)
    cols = _mapping(ids.get("columns"), "identifiers.columns", source)
    needed = [
        c
        for c in (*cb.identifiers.direct, *cb.identifiers.person)
        if c not in cb.identifiers.free_text
    ]
    for c in dict.fromkeys(needed):
        if c not in cols:
            raise _fail(
                f"identifier column '{c}' of the codebook has no generator kind "
                f"(one of: {', '.join(IDENTIFIER_KINDS)})",
                "identifiers.columns",
                source,
            )
    for c, kind in cols.items():
        if kind not in IDENTIFIER_KINDS:
            raise _fail(
                f"{kind!r} is not a generator kind (expected one of: {', '.join(IDENTIFIER_KINDS)})",
                f"identifiers.columns.{c}",
                source,
            )
    kinds = list(cols.values())
    # A name: one full-name column, or a first-name column (Qualtrics-style exports split the name).
    for need in (("person_name", "first_name"), ("email",)):
        if not set(need) & set(kinds):
            raise _fail(
                f"no column is filled by kind '{' or '.join(need)}'", "identifiers.columns", source
            )
    states = {cl.values.get(g) for cl in clusters for g in cluster_groups}
    area = _mapping(ids.get("area_codes"), "identifiers.area_codes", source)
    state_group = next(
        (g for g in cluster_groups if all(cl.values[g] in area for cl in clusters)), None
    )
    if state_group is None:
        raise _fail(
            f"needs area codes for the values of a cluster-level group (got {sorted(area)}; cluster "
            f"values: {sorted(s for s in states if s)})",
            "identifiers.area_codes",
            source,
        )
    ids = {**ids, "area_group": state_group}
    return ids


def _check_comments(m: dict[str, Any], cb: Codebook, source: str) -> dict[str, Any]:
    """``comments``: fill shares, mention kinds and sentences, checked, returned as given."""
    comments = _mapping(m.get("comments"), "comments", source)
    fill = _mapping(comments.get("fill"), "comments.fill", source)
    for c in cb.identifiers.free_text:
        if c not in fill:
            raise _fail(f"free-text column '{c}' has no fill share", "comments.fill", source)
        _number(fill[c], f"comments.fill.{c}", source, 0, 1)
    for k in ("identifier_share", "secondary_share", "own_name_share", "own_organisation_share"):
        _number(comments.get(k), f"comments.{k}", source, 0, 1)
    for k in ("helped_choice_noise", "helped_neutral_below", "positive_above", "negative_below"):
        _number(comments.get(k), f"comments.{k}", source)
    _shares(comments.get("mention_kinds"), list(MENTION_KINDS), "comments.mention_kinds", source)
    _shares(
        comments.get("secondary_kinds"), list(SECONDARY_KINDS), "comments.secondary_kinds", source
    )
    _shares(
        comments.get("name_forms"),
        ["full", "first", "upper", "lower"],
        "comments.name_forms",
        source,
    )
    for kind in (*MENTION_KINDS, *SECONDARY_KINDS, "name_own"):
        if not comments.get("mentions", {}).get(kind):
            raise _fail("needs at least one sentence", f"comments.mentions.{kind}", source)
    _check_sentences(comments, cb, source)
    return comments


def _parse_monte_carlo(
    m: dict[str, Any], cb: Codebook, source: str
) -> tuple[dict[str, Any], dict[str, tuple[str, ...]]]:
    """``monte_carlo``: its mapping and the regressions whose estimands truth.json carries."""
    mc = _mapping(m.get("monte_carlo"), "monte_carlo", source)
    regressions = {}
    for out, preds in _mapping(
        mc.get("regressions") or {}, "monte_carlo.regressions", source
    ).items():
        if out not in cb.constructs:
            raise _fail(f"'{out}' is not a construct", f"monte_carlo.regressions.{out}", source)
        for p in preds:
            if p not in cb.constructs and p not in cb.groups:
                raise _fail(
                    f"'{p}' is neither a construct nor a group",
                    f"monte_carlo.regressions.{out}",
                    source,
                )
        regressions[out] = tuple(preds)
    return mc, regressions


def _shares_any(value: Any, allowed: list[str], key: str, source: str) -> dict[str, float]:
    """A mapping category -> number (any sign) whose keys are categories in ``allowed``."""
    raw = _mapping(value, key, source)
    out = {}
    for k, v in raw.items():
        if str(k) not in allowed:
            raise _fail(f"'{k}' is not one of: {', '.join(allowed)}", f"{key}.{k}", source)
        out[str(k)] = _number(v, f"{key}.{k}", source, -3, 3)
    return out


def load_published(path: str, codebook: Codebook) -> Published:
    """Read ``published_findings.csv`` (item, construct, measure, published_pct, published_n, ...).

    Raises
    ------
    SurveyError
        when a column is missing, an item is not in the codebook, its construct disagrees with the
        codebook, or a % / n is out of range.
    """
    try:
        table = pd.read_csv(path, dtype={"item": str, "construct": str})
    except FileNotFoundError:
        raise SurveyError(
            "does not exist (expected the published findings)", file=str(path)
        ) from None
    for col in ("item", "construct", "published_pct", "published_n"):
        if col not in table.columns:
            raise SurveyError(f"has no column '{col}'", file=str(path))
    for i, rec in enumerate(table.itertuples(index=False), start=2):
        if rec.item not in codebook.items:
            raise SurveyError(
                f"item '{rec.item}' is not in the codebook", file=str(path), row=i, column="item"
            )
        if codebook.items[rec.item].construct != rec.construct:
            raise SurveyError(
                f"item '{rec.item}' belongs to construct '{codebook.items[rec.item].construct}' in the "
                f"codebook, not '{rec.construct}'",
                file=str(path),
                row=i,
                column="construct",
            )
        if not 0 < float(rec.published_pct) < 100 or int(rec.published_n) < 1:
            raise SurveyError("published % must be in (0, 100) and n >= 1", file=str(path), row=i)
    if table["item"].duplicated().any():
        dup = table.loc[table["item"].duplicated(), "item"].iloc[0]
        raise SurveyError(f"item '{dup}' is listed twice", file=str(path))
    return Published(table.reset_index(drop=True))
