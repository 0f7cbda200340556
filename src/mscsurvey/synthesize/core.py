"""The generator: a seeded raw survey export, its ground truth and a pseudonym key.

:func:`generate` draws everything in memory (deterministic for a seed); :func:`write_outputs` writes the
three files atomically. The steps, in order:

1. respondents: genuine (analysed) respondents with exact MSC and quota-group counts; planted
   respondents (speeders, straight-liners, partial responses) drawn freely;
2. MSC random intercepts, then the Monte Carlo population, which fixes the latent residual variances
   and centring; then the sample's latent scores;
3. display logic and "don't know": for every item exactly as many genuine answerers as its target n;
4. continuous item responses cut at thresholds calibrated on the genuine answerers, so every item's
   % agree is its target (a published item's to the rounding of the published %); a genuine respondent
   giving one identical answer to every answered item of a scale has their noise redrawn;
5. planted rows, duplicates, timestamps, identities and comments;
6. the export (text labels, stray whitespace and case) and truth.json, with the Monte Carlo estimands.
"""

from __future__ import annotations

import hmac
import math
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from faker import Faker

from mscsurvey.codebook.spec import Codebook
from mscsurvey.errors import SurveyError
from mscsurvey.io import atomic_open, write_json
from mscsurvey.synthesize import estimands as est
from mscsurvey.synthesize.export import (
    BLANK,
    DONT_KNOW,
    TIMESTAMP,
    item_labels,
    label_noise,
    open_dates,
    start_times,
    to_csv_text,
    truncated_lognormal,
)
from mscsurvey.synthesize.identities import birth_dates, make_roster, vocabulary, write_comments
from mscsurvey.synthesize.latent import (
    People,
    apply_thresholds,
    calibrate_thresholds,
    category_counts,
    dont_know_scores,
    draw_people,
    item_offsets,
    item_responses,
    largest_remainder,
    latent_scores,
    msc_effects,
)
from mscsurvey.synthesize.missingness import apply_sensitivity
from mscsurvey.synthesize.model import MESS_KINDS, Model, Published, parse_model

__all__ = ["GENERATOR_VERSION", "Synthetic", "generate", "write_outputs", "synthetic_key"]

GENERATOR_VERSION = "1.0.0"

#: Independent random streams (children of one SeedSequence), in a fixed order.
_STREAMS = (
    "people",
    "msc",
    "latent",
    "items",
    "dont_know",
    "display",
    "planted",
    "resample",
    "times",
    "identities",
    "comments",
    "export",
)
_KEY_SALT = b"mscsurvey-synthetic-key"


@dataclass(frozen=True)
class Synthetic:
    """What :func:`generate` returns.

    Attributes
    ----------
    survey
        the raw export, every column as text (blank = ``""``), in file order.
    truth
        the ground truth written to ``truth.json`` (see ``data/synthetic/README.md``).
    key
        the synthetic pseudonym key (hex).
    counts
        rows written, by kind of mess, for logging.
    """

    survey: pd.DataFrame
    truth: dict[str, Any]
    key: str
    counts: dict[str, int] = field(default_factory=dict)

    def csv_text(self) -> str:
        return to_csv_text(self.survey)


def synthetic_key(seed: int) -> str:
    """The synthetic dataset's pseudonym key: HMAC-SHA256 of the seed under a fixed, public salt.

    Not a secret: it only pseudonymises synthetic people, and anyone with the seed can rebuild it.
    """
    return hmac.new(_KEY_SALT, str(seed).encode(), "sha256").hexdigest()


def _scaled(count: float, factor: float) -> int:
    if count <= 0:
        return 0
    return max(1, int(math.floor(count * factor + 0.5)))


def _wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    if n == 0:
        return float("nan"), float("nan")
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return 100 * (centre - half), 100 * (centre + half)


def _straightlined(answers: np.ndarray, scale_cols: list[list[int]], min_items: int) -> np.ndarray:
    """Rows giving one identical code to every answered item of some scale (>= min_items answered)."""
    flag = np.zeros(answers.shape[0], dtype=bool)
    for cols in scale_cols:
        a = answers[:, cols].astype(float)
        a[a <= 0] = np.nan
        n = np.sum(~np.isnan(a), axis=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-missing rows
            spread = np.nanmax(a, axis=1) - np.nanmin(a, axis=1)
        flag |= (n >= min_items) & (spread == 0)
    return flag


def _group_text(people: People, codebook: Codebook) -> dict[str, np.ndarray]:
    out = {}
    for g, grp in codebook.groups.items():
        cats = np.array(grp.categories, dtype=object)
        col = cats[people.true[g]]
        miss = people.missing[g]
        if grp.missing:
            labels = np.array(grp.missing, dtype=object)
            col = np.where(miss >= 0, labels[np.clip(miss, 0, None)], col)
        out[g] = col
    return out


def generate(
    codebook: Codebook,
    model: Model | dict[str, Any],
    published: Published,
    *,
    seed: int,
    n_respondents: int | None = None,
    model_source: str = "model",
    estimands: bool = True,
) -> Synthetic:
    """Generate the synthetic raw survey export and its ground truth.

    Parameters
    ----------
    codebook
        the study's codebook (the only source of item, construct, group and identifier names).
    model
        the generative model (:func:`~mscsurvey.synthesize.model.parse_model`, or its YAML mapping).
    published
        the published findings the items are calibrated to
        (:func:`~mscsurvey.synthesize.model.load_published`).
    seed
        one seed for every random choice; the same seed gives byte-identical outputs.
    n_respondents
        raw rows to write; None takes the model's ``survey.n_rows``. Published n's, the how-much
        subset and the planted counts are scaled by ``n_respondents / n_rows``.
    estimands
        False skips the Monte Carlo estimands (step 10, most of the time): ``truth["estimands"]`` is
        then None. The export and the key are the same bytes either way: the Monte Carlo is the
        last step and draws only from its own stream. (The workflow writes the export in one job
        and the truth in another, so de-identification need not wait for the Monte Carlo.)

    Returns
    -------
    Synthetic

    Raises
    ------
    SurveyError
        when the model does not fit the codebook, or ``n_respondents`` is too small for the targets.

    Notes
    -----
    Each step of the module docstring is a helper below, called in order; every random stream is
    drawn from in the same order as when this was one function, so a seed gives the same bytes.
    """
    cb = codebook
    spec = model if isinstance(model, Model) else parse_model(model, cb, source=model_source)
    n_rows = int(n_respondents or spec.n_rows)
    factor = n_rows / spec.n_rows
    counts = {k: _scaled(float(spec.mess[k]["count"]), factor) for k in MESS_KINDS}
    n_gen = n_rows - sum(counts.values())
    if n_gen < 30:
        raise SurveyError(
            f"n_respondents {n_rows} leaves {n_gen} genuine respondents after the planted mess "
            "(need at least 30)",
            key="datasets.<name>.synthetic.n_respondents",
        )
    rngs = {
        name: np.random.default_rng(s)
        for name, s in zip(_STREAMS, np.random.SeedSequence(seed).spawn(len(_STREAMS)), strict=True)
    }
    items = list(cb.items)
    people = _respondents(spec, cb, n_gen, counts, rngs)  # 1
    lat = _latent(spec, cb, int(seed), people, rngs)  # 2
    shown = _display(spec, cb, people, factor, rngs["display"])  # 3
    target_n, target_k = _targets(spec, items, shown.shown_g, published, factor, n_rows)
    dk = _dont_know(spec, cb, people.gen, shown.shown_g, target_n, rngs["dont_know"])
    resp = _responses(
        spec, cb, lat.eta_g, people.gen, dk, shown.shown_g, (target_n, target_k), rngs
    )
    planted = _planted_answers(spec, cb, people, lat.eta_p, shown.shown_p, dk, resp, rngs)  # 5
    originals, answers_d = _duplicates(
        spec, items, resp.answers_g, counts["duplicate"], resp.scale_codes, rngs["planted"]
    )
    times = _timestamps(spec, people, originals, rngs["times"])  # 6
    ids = _identities(spec, cb, int(seed), people, lat.eta_g, times, originals, rngs)  # 7
    answers = np.vstack([resp.answers_g, planted.answers_p, answers_d])  # 8
    dk_label = np.vstack([dk.label_g, planted.dk_label_p, dk.label_g[originals]])
    exp = _export(spec, cb, int(seed), people, times, ids, originals, answers, dk_label, rngs)
    run = _Run(
        spec=spec,
        cb=cb,
        seed=int(seed),
        n_rows=n_rows,
        factor=factor,
        counts=counts,
        published=published,
        people=people,
        lat=lat,
        shown=shown,
        target_n=target_n,
        target_k=target_k,
        resp=resp,
        planted=planted,
        originals=originals,
        times=times,
        ids=ids,
        exp=exp,
    )
    truth = _truth(run, _monte_carlo(run) if estimands else None)  # 9, 10
    log_counts = {
        "rows": len(exp.rids),
        "analysed": n_gen,
        **{k: len(truth["planted"][k]) for k in MESS_KINDS},
        "label_noise": len(exp.noise),
        "comments": sum(truth["counts"]["comments"].values()),
        "comments_with_identifiers": truth["counts"]["comments_with_identifiers"],
    }
    if exp.sens_truth is not None:
        exp.sens_truth["respondent_ids"] = sorted(
            exp.rids[i] for i in np.flatnonzero(exp.responded)
        )
        truth["sensitivity"] = exp.sens_truth
    return Synthetic(survey=exp.survey, truth=truth, key=synthetic_key(seed), counts=log_counts)


# 1. Respondents -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _People:
    msc_counts: np.ndarray  # genuine respondents per MSC
    gen: People  # genuine respondents
    pl: People  # planted respondents
    kind_pl: np.ndarray  # each planted respondent's kind

    @property
    def n_gen(self) -> int:
        return len(self.gen.msc)

    @property
    def n_pl(self) -> int:
        return len(self.kind_pl)


def _respondents(
    spec: Model, cb: Codebook, n_gen: int, counts: dict[str, int], rngs: dict[str, Any]
) -> _People:
    """Genuine respondents with exact MSC and quota-group counts; planted ones drawn freely."""
    weights = np.array([c.weight for c in spec.clusters])
    msc_counts = largest_remainder(weights, n_gen)
    gen = draw_people(spec, cb, n_gen, rngs["people"], quota=True, msc_counts=msc_counts)
    planted_kinds = ["speeder"] * counts["speeder"] + ["straightliner"] * counts["straightliner"]
    planted_kinds += ["partial"] * counts["partial"]
    pl = draw_people(spec, cb, len(planted_kinds), rngs["planted"], quota=False)
    return _People(msc_counts, gen, pl, np.array(planted_kinds, dtype=object))


# 2. MSC intercepts, Monte Carlo population, latent scores ----------------------------------------


@dataclass(frozen=True)
class _Latent:
    u: np.ndarray  # MSC random intercepts
    mc_seed: int
    mc_rng: np.random.Generator  # drawn from again by the Monte Carlo estimands (step 9)
    mc_people: People
    mc_eta: np.ndarray
    params: Any  # latent.LatentParams fixed on the Monte Carlo population
    eta_g: np.ndarray
    eta_p: np.ndarray


def _latent(spec: Model, cb: Codebook, seed: int, p: _People, rngs: dict[str, Any]) -> _Latent:
    u = msc_effects(spec, cb, p.msc_counts, rngs["msc"])
    mc_seed = seed + spec.mc_seed_offset
    mc_rng = np.random.default_rng(mc_seed)
    mc_people = draw_people(spec, cb, spec.mc_n, mc_rng, quota=False)
    mc_eta, params = latent_scores(spec, cb, mc_people, u, mc_rng)
    eta_g, _ = latent_scores(spec, cb, p.gen, u, rngs["latent"], params, balance=spec.balanced)
    eta_p, _ = latent_scores(spec, cb, p.pl, u, rngs["latent"], params)
    return _Latent(u, mc_seed, mc_rng, mc_people, mc_eta, params, eta_g, eta_p)


# 3. Display logic and "don't know" ---------------------------------------------------------------


@dataclass(frozen=True)
class _Shown:
    block: np.ndarray  # items of the display-logic scale
    n_shown_block: int
    p_shown: float
    shown_g: np.ndarray  # genuine respondents x items
    shown_p: np.ndarray  # planted respondents x items


def _display(
    spec: Model, cb: Codebook, p: _People, factor: float, rng: np.random.Generator
) -> _Shown:
    items = list(cb.items)
    n_gen, n_pl, n_items = p.n_gen, p.n_pl, len(items)
    block = np.array(
        [spec.display_scale is not None and cb.items[i].scale == spec.display_scale for i in items]
    )
    n_shown_block = (
        min(n_gen, int(math.floor(spec.display_shown * factor + 0.5))) if block.any() else n_gen
    )
    p_shown = n_shown_block / n_gen
    shown_g = np.ones((n_gen, n_items), dtype=bool)
    if block.any():
        subset = np.zeros(n_gen, dtype=bool)
        subset[rng.choice(n_gen, size=n_shown_block, replace=False)] = True
        shown_g[:, block] = subset[:, None]
    shown_p = np.ones((n_pl, n_items), dtype=bool)
    if block.any():
        shown_p[:, block] = (rng.random(n_pl) < p_shown)[:, None]
    return _Shown(block, n_shown_block, p_shown, shown_g, shown_p)


def _targets(
    spec: Model,
    items: list[str],
    shown_g: np.ndarray,
    published: Published,
    factor: float,
    n_rows: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Each item's genuine answerers and agreeing answerers (published, else the model's target)."""
    pub_pct, pub_n = published.pct(), published.n()
    target_n = np.zeros(len(items), dtype=int)
    target_k = np.zeros(len(items), dtype=int)
    for j, iid in enumerate(items):
        shown_n = int(shown_g[:, j].sum())
        if iid in pub_n:
            nj = int(math.floor(pub_n[iid] * factor + 0.5))
            kj = int(math.floor(pub_pct[iid] * nj / 100 + 0.5))
        elif iid in spec.targets:
            t = spec.targets[iid]
            nj = int(math.floor(shown_n * (1 - t["dont_know"]) + 0.5))
            kj = int(math.floor(t["agree"] * nj / 100 + 0.5))
        else:
            raise SurveyError(
                f"item '{iid}' is neither published nor given a target", key="items.targets"
            )
        if not 1 <= nj <= shown_n:
            raise SurveyError(
                f"item '{iid}' needs {nj} answerers but only {shown_n} genuine respondents see it "
                f"(n_respondents {n_rows} is too small for the model)",
                key="survey.n_rows",
            )
        target_n[j], target_k[j] = nj, kj
    return target_n, target_k


@dataclass(frozen=True)
class _DontKnow:
    answered_g: np.ndarray
    dk_cut: np.ndarray  # per item: the don't-know score below which a respondent answers
    blank_g: np.ndarray
    label_g: np.ndarray  # which missing label a non-answer takes


def _dont_know(
    spec: Model,
    cb: Codebook,
    gen: People,
    shown_g: np.ndarray,
    target_n: np.ndarray,
    rng: np.random.Generator,
) -> _DontKnow:
    """Exactly ``target_n`` answerers per item (lowest don't-know scores); some non-answers blank."""
    n_gen, n_items = shown_g.shape
    s_g, _theta_g = dont_know_scores(spec, cb, gen, rng)
    answered_g = np.zeros((n_gen, n_items), dtype=bool)
    dk_cut = np.zeros(n_items)
    for j in range(n_items):
        idx = np.flatnonzero(shown_g[:, j])
        order = idx[np.argsort(s_g[idx, j], kind="stable")]  # low score answers
        answered_g[order[: target_n[j]], j] = True
        if target_n[j] < order.size:
            dk_cut[j] = 0.5 * (s_g[order[target_n[j] - 1], j] + s_g[order[target_n[j]], j])
        else:
            dk_cut[j] = np.inf
    dk = spec.dont_know
    non = shown_g & ~answered_g
    blank_g = non & (rng.random((n_gen, n_items)) < float(dk["blank_share"]))
    allowed_blank = np.floor((1 - float(dk["min_shown_answered"])) * shown_g.sum(axis=1)).astype(
        int
    )
    for i in np.flatnonzero(blank_g.sum(axis=1) > allowed_blank):
        cols = np.flatnonzero(blank_g[i])
        keep = rng.choice(cols, size=allowed_blank[i], replace=False)
        blank_g[i, np.setdiff1d(cols, keep)] = False
    return _DontKnow(answered_g, dk_cut, blank_g, _dk_labels(spec, cb, rng, n_gen))


def _dk_labels(spec: Model, cb: Codebook, rng: np.random.Generator, n: int) -> np.ndarray:
    """Which of its scale's missing labels each respondent x item would give (model weights)."""
    dk = spec.dont_know
    out = np.zeros((n, len(cb.items)), dtype=int)
    for j, iid in enumerate(cb.items):
        sc = cb.scales[cb.items[iid].scale]
        if not sc.missing:
            continue
        w = dk.get("labels", {}).get(sc.name, {})
        p = np.array([float(w.get(lab, 0.0)) for lab in sc.missing])
        if p.sum() <= 0:
            p = np.eye(len(sc.missing))[0]
        out[:, j] = rng.choice(len(sc.missing), size=n, p=p / p.sum())
    return out


# 4. Item responses and calibrated thresholds -----------------------------------------------------


@dataclass(frozen=True)
class _Responses:
    scale_codes: dict[str, list[int]]
    thresholds: dict[str, np.ndarray]
    answers_g: np.ndarray
    redrawn: int  # genuine respondents whose noise was redrawn (straight-lining)


def _check_agree_codes(cb: Codebook) -> None:
    for i in cb.items:
        sc = cb.scales[cb.items[i].scale]
        top = sorted(sc.codes)[-len(sc.agree) :]
        if sorted(sc.agree) != top:
            raise SurveyError(
                f"the generator needs the agree codes of scale {sc.name} to be its highest codes",
                key=f"scales.{sc.name}.agree",
            )


def _responses(
    spec: Model,
    cb: Codebook,
    eta_g: np.ndarray,
    gen: People,
    dk: _DontKnow,
    shown_g: np.ndarray,
    targets: tuple[np.ndarray, np.ndarray],
    rngs: dict[str, Any],
) -> _Responses:
    """Continuous responses cut at thresholds calibrated on the genuine answerers; straight-liners'
    noise redrawn until none is left."""
    target_n, target_k = targets
    items = list(cb.items)
    scale_codes = {i: list(cb.scales[cb.items[i].scale].codes) for i in items}
    _check_agree_codes(cb)
    scale_cols = [[j for j, i in enumerate(items) if cb.items[i].scale == s] for s in cb.scales]
    check_min = int(spec.mess["straightliner"]["genuine_min_items"])
    off_g = item_offsets(spec, cb, gen)  # planted non-invariance (None unless the model plants it)
    xs_g = item_responses(eta_g, cb, spec.loadings, rngs["items"], off_g)
    thresholds: dict[str, np.ndarray] = {}
    codes_g = np.zeros(shown_g.shape, dtype=int)
    redrawn = 0
    for _attempt in range(200):
        for j, iid in enumerate(items):
            ans = dk.answered_g[:, j]
            cnt = category_counts(
                int(target_n[j]), int(target_k[j]), spec.categories[iid], scale_codes[iid]
            )
            thresholds[iid] = calibrate_thresholds(xs_g[ans, j], cnt)
            codes_g[:, j] = apply_thresholds(xs_g[:, j], thresholds[iid], scale_codes[iid])
        answers_g = np.where(
            dk.answered_g, codes_g, np.where(dk.blank_g | ~shown_g, BLANK, DONT_KNOW)
        )
        bad = np.flatnonzero(_straightlined(answers_g, scale_cols, check_min))
        if bad.size == 0:
            break
        redrawn += int(bad.size)
        xs_g[bad] = item_responses(
            eta_g[bad], cb, spec.loadings, rngs["resample"], None if off_g is None else off_g[bad]
        )
    else:  # pragma: no cover - would need an absurd model
        raise SurveyError(
            "could not avoid straight-lining genuine respondents", key="items.loadings"
        )
    return _Responses(scale_codes, thresholds, answers_g, redrawn)


# 5. Planted rows ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Planted:
    answers_p: np.ndarray
    dk_label_p: np.ndarray
    straight_label: dict[int, str]  # straight-liner (planted index) -> the label given throughout


def _planted_answers(
    spec: Model,
    cb: Codebook,
    p: _People,
    eta_p: np.ndarray,
    shown_p: np.ndarray,
    dk: _DontKnow,
    resp: _Responses,
    rngs: dict[str, Any],
) -> _Planted:
    """Partial responses, speeders' random answers and straight-liners' one label per scale."""
    rp = rngs["planted"]
    n_pl, n_items = shown_p.shape
    answers_p = np.full((n_pl, n_items), BLANK, dtype=int)
    dk_label_p = _dk_labels(spec, cb, rp, n_pl)
    _partial_answers(spec, cb, p, eta_p, shown_p, dk, resp, answers_p, rp)
    items = list(cb.items)
    for row in np.flatnonzero(p.kind_pl == "speeder"):
        for j in np.flatnonzero(shown_p[row]):
            codes = resp.scale_codes[items[j]]
            answers_p[row, j] = codes[int(rp.integers(len(codes)))]
        dk_cells = shown_p[row] & (rp.random(n_items) < float(spec.mess["speeder"]["dont_know"]))
        answers_p[row, dk_cells] = DONT_KNOW
    straight_label = _straightliner_answers(spec, cb, p, shown_p, answers_p, rp)
    return _Planted(answers_p, dk_label_p, straight_label)


def _partial_answers(
    spec: Model,
    cb: Codebook,
    p: _People,
    eta_p: np.ndarray,
    shown_p: np.ndarray,
    dk: _DontKnow,
    resp: _Responses,
    answers_p: np.ndarray,
    rp: np.random.Generator,
) -> None:
    """Fill the partial respondents' rows of ``answers_p`` (in place) up to their stopping point."""
    is_partial = p.kind_pl == "partial"
    if not is_partial.any():
        return
    items = list(cb.items)
    pl_part = p.pl.take(np.flatnonzero(is_partial))
    xs_p = item_responses(eta_p[is_partial], cb, spec.loadings, rp, item_offsets(spec, cb, pl_part))
    s_p, _ = dont_know_scores(spec, cb, p.pl.take(np.flatnonzero(is_partial)), rp)
    codes_p = np.column_stack(
        [
            apply_thresholds(xs_p[:, j], resp.thresholds[i], resp.scale_codes[i])
            for j, i in enumerate(items)
        ]
    )
    ans_p = np.where(s_p <= dk.dk_cut, codes_p, DONT_KNOW)
    lo, hi = spec.mess["partial"]["stop_share"]
    part_rows = np.flatnonzero(is_partial)
    for r, row in enumerate(part_rows):
        cols = np.flatnonzero(shown_p[row])
        stop = max(1, int(math.floor(rp.uniform(lo, hi) * cols.size)))
        answers_p[row, cols[:stop]] = ans_p[r, cols[:stop]]


def _straightliner_answers(
    spec: Model,
    cb: Codebook,
    p: _People,
    shown_p: np.ndarray,
    answers_p: np.ndarray,
    rp: np.random.Generator,
) -> dict[int, str]:
    """Fill the straight-liners' rows of ``answers_p`` (in place); return each one's label."""
    items = list(cb.items)
    sl = spec.mess["straightliner"]
    sl_labels = {str(k): float(v) for k, v in sl["labels"].items()}
    straight_label: dict[int, str] = {}
    for row in np.flatnonzero(p.kind_pl == "straightliner"):
        names = list(sl_labels)
        prob = np.array([sl_labels[x] for x in names])
        label = names[int(rp.choice(len(names), p=prob / prob.sum()))]
        straight_label[int(row)] = label
        for s in cb.scales:
            cols = [j for j in np.flatnonzero(shown_p[row]) if cb.items[items[j]].scale == s]
            if not cols:
                continue
            sc = cb.scales[s]
            if s == sl["scale"]:
                code = next(c for c, lab in sc.codes.items() if lab == label)
            else:
                code = list(sc.codes)[int(rp.integers(len(sc.codes)))]
            answers_p[row, cols] = code
    return straight_label


def _duplicates(
    spec: Model,
    items: list[str],
    answers_g: np.ndarray,
    n_dup: int,
    scale_codes: dict[str, list[int]],
    rp: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Genuine respondents submitting twice (their rows) and the second submission's answers, a
    share of them moved one step."""
    n_gen = answers_g.shape[0]
    originals = np.sort(rp.choice(n_gen, size=n_dup, replace=False)) if n_dup else np.array([], int)
    answers_d = answers_g[originals].copy()
    for r in range(n_dup):
        cols = np.flatnonzero(answers_d[r] > 0)
        k = max(
            1, int(math.floor(float(spec.mess["duplicate"]["changed_share"]) * cols.size + 0.5))
        )
        for j in rp.choice(cols, size=min(k, cols.size), replace=False):
            codes = scale_codes[items[j]]
            c = int(answers_d[r, j])
            if c == min(codes):
                step = 1
            elif c == max(codes):
                step = -1
            else:
                step = 1 if rp.random() < 0.5 else -1
            answers_d[r, j] = c + step
    return originals, answers_d


# 6. Timestamps ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Times:
    opens: list[Any]  # each MSC's opening date
    msc_all: np.ndarray  # MSC of every person (genuine, then planted)
    starts: list[datetime]
    durations: np.ndarray  # seconds, per person
    ends: list[datetime]
    dup_starts: list[datetime]
    dup_ends: list[datetime]


def _timestamps(spec: Model, p: _People, originals: np.ndarray, rt: np.random.Generator) -> _Times:
    opens = open_dates(rt, len(spec.clusters), spec.fielded[0], spec.last_opening)
    msc_all = np.concatenate([p.gen.msc, p.pl.msc])
    starts = start_times(
        rt,
        opens,
        msc_all,
        window_days=spec.window_days,
        mean_delay_days=spec.mean_delay_days,
        hour_weights=spec.start_hours,
    )
    durations = _durations(spec, p, rt)
    ends = [s + timedelta(seconds=int(d)) for s, d in zip(starts, durations, strict=True)]
    dur = spec.duration
    d_lo, d_hi = spec.mess["duplicate"]["delay_hours"]
    n_dup = len(originals)
    dup_secs = (
        truncated_lognormal(
            rt, n_dup, float(dur["median_seconds"]), float(dur["sigma"]), float(dur["min_seconds"])
        )
        .round()
        .astype(int)
    )
    dup_starts = [
        ends[int(o)] + timedelta(seconds=int(rt.uniform(d_lo, d_hi) * 3600)) for o in originals
    ]
    dup_ends = [s + timedelta(seconds=int(d)) for s, d in zip(dup_starts, dup_secs, strict=True)]
    field_end = datetime.combine(spec.fielded[1], datetime.max.time())
    if (
        max([*ends, *dup_ends], default=field_end) > field_end
    ):  # pragma: no cover - model checks slack
        raise SurveyError("a response ends after the fielding period", key="survey.last_opening")
    return _Times(opens, msc_all, starts, durations, ends, dup_starts, dup_ends)


def _durations(spec: Model, p: _People, rt: np.random.Generator) -> np.ndarray:
    """Seconds each person took: genuine ones lognormal (a share left open for hours), planted
    ones by kind."""
    n_gen = p.n_gen
    dur = spec.duration
    secs = truncated_lognormal(
        rt, n_gen, float(dur["median_seconds"]), float(dur["sigma"]), float(dur["min_seconds"])
    )
    left_open = rt.random(n_gen) < float(dur["left_open_share"])
    h_lo, h_hi = dur["left_open_hours"]
    secs = np.where(left_open, rt.uniform(h_lo, h_hi, n_gen) * 3600, secs)
    secs_p = np.zeros(p.n_pl)
    for kind in ("speeder", "straightliner", "partial"):
        sel = np.flatnonzero(p.kind_pl == kind)
        if not sel.size:
            continue
        if kind == "speeder":
            lo, hi = spec.mess["speeder"]["seconds"]
            secs_p[sel] = rt.uniform(lo, hi, sel.size)
        else:
            secs_p[sel] = truncated_lognormal(
                rt,
                sel.size,
                float(spec.mess[kind]["median_seconds"]),
                float(spec.mess[kind]["sigma"]),
                float(dur["min_seconds"]),
            )
    return np.concatenate([secs, secs_p]).round().astype(int)


# 7. Identities and comments -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Identities:
    gtext: dict[str, np.ndarray]  # group -> each person's answer as text
    roster: pd.DataFrame
    births: list[Any]
    dup_ips: list[str]
    comments: Any  # identities.Comments


def _identities(
    spec: Model,
    cb: Codebook,
    seed: int,
    p: _People,
    eta_g: np.ndarray,
    times: _Times,
    originals: np.ndarray,
    rngs: dict[str, Any],
) -> _Identities:
    fake = Faker("en_US")
    fake.seed_instance(seed)
    ri = rngs["identities"]
    vocab = vocabulary(cb, spec)
    fn = spec.identifiers.get("first_names") or {}
    gtext = {
        g: np.concatenate([_group_text(p.gen, cb)[g], _group_text(p.pl, cb)[g]]) for g in cb.groups
    }
    gender = (
        [str(x) for x in gtext[fn["group"]]]
        if fn.get("group") in cb.groups
        else [""] * (p.n_gen + p.n_pl)
    )
    roster = make_roster(spec, cb, times.msc_all, gender, fake, ri, vocab)
    age = spec.identifiers["age"]
    births = birth_dates([s.date() for s in times.starts], fake, int(age["min"]), int(age["max"]))
    dup_ips = [
        roster.at[int(o), "ipv4"]
        if ri.random() < float(spec.mess["duplicate"]["same_ip_share"])
        else fake.ipv4_public()
        for o in originals
    ]
    comments = write_comments(spec, cb, eta_g, roster.iloc[: p.n_gen], fake, rngs["comments"])
    return _Identities(gtext, roster, births, dup_ips, comments)


# 8. The export ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Export:
    survey: pd.DataFrame  # sorted by start time, every column text
    rids: list[str]  # respondent ids in generation order
    row_of: dict[int, int]  # generation index -> file row (header is row 1)
    noise: list[dict[str, Any]]
    answers: np.ndarray  # every row's codes after the sensitivity step
    kind_row: np.ndarray
    responded: np.ndarray | None
    sens_truth: dict[str, Any] | None
    rid_sorted: list[str]  # respondent ids in file order


def _export(
    spec: Model,
    cb: Codebook,
    seed: int,
    p: _People,
    times: _Times,
    ids: _Identities,
    originals: np.ndarray,
    answers: np.ndarray,
    dk_label: np.ndarray,
    rngs: dict[str, Any],
) -> _Export:
    n_gen, n_pl, n_dup = p.n_gen, p.n_pl, len(originals)
    n_all = n_gen + n_pl + n_dup
    person = np.concatenate([np.arange(n_gen + n_pl), originals]).astype(int)
    kind_row = np.array(["genuine"] * n_gen + list(p.kind_pl) + ["duplicate"] * n_dup, dtype=object)
    sens_truth = responded = None
    if spec.sensitivity is not None:  # off by default: no answer changes, no random number drawn
        answers, responded, sens_truth = _sensitivity(spec, cb, p.gen, answers, person, n_gen, seed)
    start_all = [*times.starts, *times.dup_starts]
    re_ = rngs["export"]
    rids = _respondent_ids(spec.identifiers["respondent_id"], n_all, re_)
    frame = _identifier_columns(spec, cb, rids, start_all, times, ids, person, rngs["identities"])
    partial_row = kind_row == "partial"
    for g, grp in cb.groups.items():
        if grp.level == "cluster":
            frame[g] = ids.gtext[g][person]
    for g in spec.groups_first:
        frame[g] = ids.gtext[g][person]
    items = list(cb.items)
    labels = item_labels(answers, dk_label, cb)
    for iid in items:
        frame[iid] = labels[iid]
    for c in cb.identifiers.free_text:
        texts = np.array([t or "" for t in ids.comments.text[c]] + [""] * n_pl, dtype=object)
        frame[c] = texts[person]
    for g in spec.groups_last:
        frame[g] = np.where(partial_row, "", ids.gtext[g][person])
    survey = pd.DataFrame({k: np.asarray(v, dtype=object) for k, v in frame.items()})

    order = sorted(range(n_all), key=lambda r: (start_all[r], r))
    survey = survey.iloc[order].reset_index(drop=True)
    row_of = {orig: pos + 2 for pos, orig in enumerate(order)}  # header is row 1
    noise_cols = items + [g for g in cb.groups if g != cb.cluster]
    nz = spec.mess["label_noise"]
    noise = label_noise(
        survey,
        noise_cols,
        float(nz["share"]),
        {str(k): float(v) for k, v in nz["kinds"].items()},
        re_,
    )
    survey = survey.astype(str)
    rid_sorted = survey[cb.identifiers.respondent_id].tolist()
    return _Export(
        survey, rids, row_of, noise, answers, kind_row, responded, sens_truth, rid_sorted
    )


def _respondent_ids(rid_spec: dict[str, Any], n: int, rng: np.random.Generator) -> list[str]:
    """``n`` distinct random respondent ids: the prefix and ``length`` alphanumerics."""
    alphabet = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"))
    rids: list[str] = []
    seen: set[str] = set()
    while len(rids) < n:
        rid = str(rid_spec["prefix"]) + "".join(
            alphabet[rng.integers(0, alphabet.size, int(rid_spec["length"]))]
        )
        if rid not in seen:
            seen.add(rid)
            rids.append(rid)
    return rids


def _identifier_columns(
    spec: Model,
    cb: Codebook,
    rids: list[str],
    start_all: list[datetime],
    times: _Times,
    ids: _Identities,
    person: np.ndarray,
    ri: np.random.Generator,
) -> dict[str, list[Any] | np.ndarray]:
    """The export's leading columns: id, timestamps, the roster's identifiers (some hidden), ZIP,
    birth date and the cluster."""
    n_persons = len(times.msc_all)  # genuine and planted people (duplicates are not persons)
    idc = cb.identifiers
    ids_spec = spec.identifiers
    col_kind = dict(ids_spec["columns"])
    frame: dict[str, list[Any] | np.ndarray] = {}
    frame[idc.respondent_id] = rids
    if idc.timestamps:
        end_all = [*times.ends, *times.dup_ends]
        frame[idc.timestamps["start"]] = [s.strftime(TIMESTAMP) for s in start_all]
        frame[idc.timestamps["end"]] = [e.strftime(TIMESTAMP) for e in end_all]
    ip_col = next((c for c, k in col_kind.items() if k == "ipv4"), None)
    ip_values = [*ids.roster["ipv4"].tolist(), *ids.dup_ips]
    if ip_col:
        frame[ip_col] = ip_values
    missing_ids = {str(k): float(v) for k, v in (ids_spec.get("missing") or {}).items()}
    for c, kind in col_kind.items():
        if c == ip_col:
            continue
        values = ids.roster[kind].to_numpy(dtype=object)[person]
        if c in missing_ids:
            hide = ri.random(n_persons) < missing_ids[c]
            values = np.where(hide[person], "", values)
        frame[c] = values
    if idc.zip:
        z = ids.roster["zip"].to_numpy(dtype=object)
        hide = ri.random(n_persons) < missing_ids.get(idc.zip["column"], 0.0)
        frame[idc.zip["column"]] = np.where(hide, "", z)[person]
    if idc.birth_date:
        b = np.array([d.isoformat() for d in ids.births], dtype=object)
        hide = ri.random(n_persons) < missing_ids.get(idc.birth_date["column"], 0.0)
        frame[idc.birth_date["column"]] = np.where(hide, "", b)[person]
    if cb.cluster:
        clusters = np.array([c.id for c in spec.clusters], dtype=object)
        frame[cb.cluster] = clusters[times.msc_all][person]
    return frame


# 9. Estimands (Monte Carlo) -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Run:
    """Every step's result, for the Monte Carlo estimands and the truth."""

    spec: Model
    cb: Codebook
    seed: int
    n_rows: int
    factor: float
    counts: dict[str, int]
    published: Published
    people: _People
    lat: _Latent
    shown: _Shown
    target_n: np.ndarray
    target_k: np.ndarray
    resp: _Responses
    planted: _Planted
    originals: np.ndarray
    times: _Times
    ids: _Identities
    exp: _Export


def _monte_carlo(run: _Run) -> dict[str, Any]:
    """The estimands on the Monte Carlo population, answered as the sample is (same display share,
    don't-know rates and thresholds)."""
    spec, cb, lat, shown = run.spec, run.cb, run.lat, run.shown
    items = list(cb.items)
    mc_rng = lat.mc_rng
    mc_shown = np.ones((spec.mc_n, len(items)), dtype=bool)
    if shown.block.any():
        mc_shown[:, shown.block] = (mc_rng.random(spec.mc_n) < shown.p_shown)[:, None]
    s_mc, _ = dont_know_scores(spec, cb, lat.mc_people, mc_rng)
    xs_mc = item_responses(
        lat.mc_eta, cb, spec.loadings, mc_rng, item_offsets(spec, cb, lat.mc_people)
    )
    codes_mc = np.full((spec.mc_n, len(items)), np.nan)
    dk_rate = {}
    for j, iid in enumerate(items):
        shown_n = int(shown.shown_g[:, j].sum())
        rate = 1 - run.target_n[j] / shown_n
        dk_rate[iid] = rate
        sel = mc_shown[:, j]
        cut = np.quantile(s_mc[sel, j], 1 - rate) if rate > 0 else np.inf
        ans = sel & (s_mc[:, j] <= cut)
        codes_mc[ans, j] = apply_thresholds(
            xs_mc[ans, j], run.resp.thresholds[iid], run.resp.scale_codes[iid]
        )
    estimands = _estimands(spec, cb, codes_mc, lat.mc_eta, lat.mc_people)
    estimands["monte_carlo"] = {
        "n": spec.mc_n,
        "seed": lat.mc_seed,
        "how_much_shown_share": shown.p_shown,
        "dont_know_rate": dk_rate,
    }
    return estimands


# 10. Truth ----------------------------------------------------------------------------------------


def _truth(run: _Run, estimands: dict[str, Any] | None) -> dict[str, Any]:
    spec, exp = run.spec, run.exp
    n_gen = run.people.n_gen
    return {
        "generator": {
            "name": "mscsurvey.synthesize",
            "version": GENERATOR_VERSION,
            "model_version": spec.raw.get("model_version"),
            "seed": run.seed,
            "n_rows": run.n_rows,
            "n_analysed": n_gen,
            "scale_factor": run.factor,
        },
        "counts": _counts_truth(run),
        "clusters": _clusters_truth(run),
        "latent": _latent_truth(run),
        "calibration": _calibration(run),
        "estimands": estimands,
        "planted": _planted_truth(run),
        "comments": sorted(
            (
                {
                    **_at(exp, t["person"]),
                    "column": t["column"],
                    "construct": t["construct"],
                    "tone": t["tone"],
                }
                for t in run.ids.comments.topics
            ),
            key=lambda x: (x["row"], x["column"]),
        ),
    }


def _at(exp: _Export, orig: int) -> dict[str, Any]:
    """A generated row's file row and respondent id."""
    row = exp.row_of[orig]
    return {"row": row, "respondent_id": exp.rid_sorted[row - 2]}


def _planted_truth(run: _Run) -> dict[str, Any]:
    """Where every planted row, duplicate, label-noise cell and comment identifier ended up."""
    exp, p, n_items = run.exp, run.people, len(run.cb.items)
    n_gen, n_pl = p.n_gen, p.n_pl
    originals = run.originals
    planted: dict[str, Any] = {k: [] for k in MESS_KINDS}
    for r in range(n_gen, n_gen + n_pl):
        k = str(exp.kind_row[r])
        rec = _at(exp, r)
        if k == "speeder":
            rec["duration_seconds"] = int(run.times.durations[r])
        elif k == "straightliner":
            rec["label"] = run.planted.straight_label[r - n_gen]
        elif k == "partial":
            rec["answered_share"] = round(float((exp.answers[r] != BLANK).sum()) / n_items, 4)
        planted[k].append(rec)
    for d in range(len(originals)):
        r = n_gen + n_pl + d
        rec = _at(exp, r)
        rec["original_row"] = exp.row_of[int(originals[d])]
        rec["original_respondent_id"] = exp.rid_sorted[exp.row_of[int(originals[d])] - 2]
        planted["duplicate"].append(rec)
    for k in MESS_KINDS:
        planted[k].sort(key=lambda rec: rec["row"])
    planted["label_noise"] = sorted(
        ({"row": int(x["index"]) + 2, "column": x["column"], "kind": x["kind"]} for x in exp.noise),
        key=lambda x: (x["row"], x["column"]),
    )
    mentions = []
    dup_of = {int(o): n_gen + n_pl + d for d, o in enumerate(originals)}
    for m in run.ids.comments.mentions:
        for r in [m["person"], *([dup_of[m["person"]]] if m["person"] in dup_of else [])]:
            mentions.append(
                {**_at(exp, r), "column": m["column"], "type": m["type"], "value": m["value"]}
            )
    planted["comment_identifiers"] = sorted(
        mentions, key=lambda x: (x["row"], x["column"], x["value"])
    )
    gen_rows = sorted(exp.row_of[r] for r in range(n_gen))
    planted["analysed_rows"] = gen_rows
    planted["analysed_respondent_ids"] = [exp.rid_sorted[r - 2] for r in gen_rows]
    planted["counts"] = {**run.counts, "label_noise": len(exp.noise)}
    return planted


def _calibration(run: _Run) -> dict[str, Any]:
    """Per item: the target and what the genuine answers reached (with a Wilson interval)."""
    cb, spec = run.cb, run.spec
    pub_pct, pub_n = run.published.pct(), run.published.n()
    answers_g, shown_g = run.resp.answers_g, run.shown.shown_g
    calibration = {}
    for j, iid in enumerate(cb.items):
        a = answers_g[:, j]
        n_ans = int((a > 0).sum())
        agree = int(np.isin(a, cb.scales[cb.items[iid].scale].agree).sum())
        lo_ci, hi_ci = _wilson(agree, n_ans)
        calibration[iid] = {
            "published": iid in pub_n,
            "target_n": int(run.target_n[j]),
            "target_pct": (float(pub_pct[iid]) if iid in pub_pct else spec.targets[iid]["agree"]),
            "published_n": int(pub_n[iid]) if iid in pub_n else None,
            "n": n_ans,
            "agree": agree,
            "pct": 100 * agree / n_ans,
            "wilson_low": lo_ci,
            "wilson_high": hi_ci,
            "shown": int(shown_g[:, j].sum()),
            "dont_know": int(((a == DONT_KNOW) & shown_g[:, j]).sum()),
            "blank": int(((a == BLANK) & shown_g[:, j]).sum()),
        }
    return calibration


def _counts_truth(run: _Run) -> dict[str, Any]:
    """Rows by kind, redraws, complete cases, scored respondents, group composition, comments."""
    cb, p, exp = run.cb, run.people, run.exp
    items = list(cb.items)
    answers_g = run.resp.answers_g
    keyed_g = est.keyed_codes(np.where(answers_g > 0, answers_g, np.nan).astype(float), cb)
    listwise = {
        cid: int((~np.isnan(keyed_g[:, [items.index(i) for i in con.items]])).all(axis=1).sum())
        for cid, con in cb.constructs.items()
    }
    scores_g = est.construct_scores(keyed_g, cb)
    composition = {}
    for g, grp in cb.groups.items():
        rep = p.gen.reported(g)
        composition[g] = {c: int((rep == k).sum()) for k, c in enumerate(grp.categories)}
        for lab_i, lab in enumerate(grp.missing):
            composition[g][lab] = int((p.gen.missing[g] == lab_i).sum())
    comments = run.ids.comments
    return {
        "rows": len(exp.rids),
        "analysed": p.n_gen,
        "persons": p.n_gen + p.n_pl,
        "planted": run.counts,
        "how_much_shown": int(run.shown.n_shown_block),
        "straightline_redraws": run.resp.redrawn,
        "listwise_complete": listwise,
        "scored": {c: int((~np.isnan(v)).sum()) for c, v in scores_g.items()},
        "groups": composition,
        "comments": {
            c: int(sum(t is not None for t in comments.text[c])) for c in cb.identifiers.free_text
        },
        "comments_with_identifiers": len({(m["person"], m["column"]) for m in comments.mentions}),
    }


def _clusters_truth(run: _Run) -> dict[str, Any]:
    """Per MSC: its values, weight, ZIP3s, respondents, opening date and random effects."""
    constructs = list(run.cb.constructs)
    person = np.concatenate([np.arange(run.people.n_gen + run.people.n_pl), run.originals]).astype(
        int
    )
    msc_all = run.times.msc_all
    clusters_truth = {}
    for m, cl in enumerate(run.spec.clusters):
        clusters_truth[cl.id] = {
            **cl.values,
            "weight": cl.weight,
            "zip3": list(cl.zip3),
            "n_analysed": int(run.people.msc_counts[m]),
            "n_rows": int((msc_all[person] == m).sum()),
            "survey_opened": run.times.opens[m].isoformat(),
            "random_effects": {c: float(run.lat.u[m, k]) for k, c in enumerate(constructs)},
        }
    return clusters_truth


def _latent_truth(run: _Run) -> dict[str, Any]:
    """The latent model as drawn: loadings, thresholds, correlations, paths, variances."""
    spec, cb, params = run.spec, run.cb, run.lat.params
    constructs = list(cb.constructs)
    latent_corr = np.corrcoef(run.lat.mc_eta, rowvar=False)
    shifts = [
        {"item": i, "group": g, "category": str(cb.groups[g].categories[c]), "shift": v}
        for i, g, c, v in spec.intercept_shifts
    ]
    return {
        "constructs": constructs,
        "order": list(spec.order),
        "exogenous": list(spec.exogenous),
        "loadings": dict(spec.loadings),
        **({"intercept_shifts": shifts} if spec.intercept_shifts else {}),
        "thresholds": {i: run.resp.thresholds[i].tolist() for i in cb.items},
        "residual_correlations": {
            a: {b: float(spec.residual_correlation[x, y]) for y, b in enumerate(spec.exogenous)}
            for x, a in enumerate(spec.exogenous)
        },
        "correlations": {
            a: {b: float(latent_corr[x, y]) for y, b in enumerate(constructs)}
            for x, a in enumerate(constructs)
        },
        "paths": spec.paths,
        "group_effects": spec.group_effects,
        "residual_variances": params.psi,
        "r2": {c: 1 - v for c, v in params.psi.items()},
        "centring_means": params.mean,
        "ordered_scores": {
            g: {"mean": params.score_mean[g], "sd": params.score_sd[g]} for g in params.score_mean
        },
        "msc_random_effect_sd": spec.msc_sd,
        "msc_random_effect_correlation": spec.msc_correlation,
        "msc_random_effect_centred": spec.msc_centred,
        "balanced_residuals": spec.balanced,
        "dont_know_person_weight": float(spec.dont_know["person_weight"]),
    }


def _sensitivity(spec, cb, gen, answers, person, n_gen, seed):
    """Nonresponse and MAR skips (:mod:`mscsurvey.synthesize.missingness`) on the genuine rows; a
    nonrespondent's duplicate submission is blank too."""
    nr = spec.sensitivity.get("nonresponse")
    reported = None
    if nr is not None:
        cats = np.array([*cb.groups[nr["group"]].categories, ""], dtype=object)
        reported = cats[gen.reported(nr["group"])]  # -1 (unreported) picks ""
    new_g, responded, truth = apply_sensitivity(
        spec.sensitivity, cb, answers[:n_gen], reported, seed
    )
    out = answers.copy()
    out[:n_gen] = new_g
    rows = np.arange(len(person))
    of_genuine = (rows >= n_gen) & (
        person < n_gen
    )  # duplicates (planted rows are their own person)
    silent = of_genuine & ~responded[np.minimum(person, n_gen - 1)]
    out[silent] = BLANK
    return out, responded, truth


def _estimands(
    spec: Model, cb: Codebook, codes: np.ndarray, eta: np.ndarray, people: People
) -> dict[str, Any]:
    keyed = est.keyed_codes(codes, cb)
    scores = est.construct_scores(keyed, cb)
    items = list(cb.items)
    alpha, alpha_n = {}, {}
    for cid, con in cb.constructs.items():
        alpha[cid], alpha_n[cid] = est.cronbach_alpha(keyed[:, [items.index(i) for i in con.items]])
    corr = est.item_correlations(keyed, scores, eta, cb)
    reported = {g: people.reported(g) for g in cb.groups}
    regression, r2, rel, reg_n = {}, {}, {}, {}
    for outcome, preds in spec.regressions.items():
        y, x, terms, blocks = est.design(outcome, preds, scores, reported, cb)
        coefs, r2[outcome] = est.standardised_ols(y, x, terms)
        regression[outcome] = coefs
        shares = est.shapley_r2(y, x, blocks)
        rel[outcome] = dict(zip(preds, shares, strict=True))
        reg_n[outcome] = int(y.size)
    return {
        "alpha": alpha,
        "alpha_n": alpha_n,
        "item_total_correlation": corr["item_total"],
        "item_rest_correlation": corr["item_rest"],
        "item_latent_correlation": corr["item_latent"],
        "agree_pct": est.agree_pct(codes, cb),
        "construct_mean": {c: float(np.nanmean(v)) for c, v in scores.items()},
        "construct_sd": {c: float(np.nanstd(v)) for c, v in scores.items()},
        "scored_share": {c: float(np.mean(~np.isnan(v))) for c, v in scores.items()},
        "regression": regression,
        "regression_r2": r2,
        "regression_n": reg_n,
        "relative_importance": rel,
        "group_means": est.group_means(scores, reported, cb),
    }


def write_outputs(
    result: Synthetic,
    *,
    raw: str | Path | None = None,
    truth: str | Path | None = None,
    key: str | Path | None = None,
) -> None:
    """Write the export (CSV, UTF-8), ``truth.json`` and the key file (one hex line), atomically:
    each one given a path."""
    if raw is not None:
        with atomic_open(raw) as fh:
            fh.write(result.csv_text())
    if truth is not None:
        if result.truth.get("estimands") is None:
            raise ValueError("truth.json needs the estimands: generate(..., estimands=True)")
        write_json(result.truth, truth)
    if key is not None:
        with atomic_open(key, private=True) as fh:
            fh.write(result.key + "\n")
