"""Clean-stage responses of any size from the synthetic study's latent model (for benchmarks/scale.py).

The project's generator (:func:`mscsurvey.synthesize.generate`) writes a raw, identified export: fake
names, e-mails, addresses and comments for every row (Faker, one Python call per value) that the
de-identify and clean stages then undo. That is the point of the default study but it is not what the
analysis stages read, and at 10^6 rows it would take far longer than the stages measured. So this
draws the *clean* table directly from the same model's latent functions
(:mod:`mscsurvey.synthesize.latent`): respondents' MSCs and groups, MSC random intercepts, latent
construct scores, continuous item responses cut at thresholds calibrated to the published (or
targeted) percentages, and "don't know" answers by the model's propensity scores. What it leaves out:
the planted mess (duplicates, speeders, ... are removed by the clean stage anyway), the display logic
of the how-much block (every item is shown), free-text comments (empty columns), and the residual
balancing of the default sample.

Forty items: the default codebook has 36; :func:`codebook_40` adds a fourth item to each of the four
three-item constructs governance, shared data, financing and sustainability (a copy of the
construct's first item: same scale, loading and targets), as a benchmark-only codebook.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from mscsurvey.codebook.spec import Codebook, load_codebook
from mscsurvey.synthesize import load_published, parse_model
from mscsurvey.synthesize.latent import (
    calibrate_thresholds,
    category_counts,
    draw_people,
    item_responses,
    latent_scores,
    msc_effects,
)

ROOT = Path(__file__).resolve().parents[1]
CODEBOOK = ROOT / "data" / "codebook.yaml"
MODEL = ROOT / "data" / "synthetic" / "model.yaml"
PUBLISHED = ROOT / "data" / "published_findings.csv"

#: construct -> (new item, item it copies)
EXTRA_ITEMS = {
    "governance": ("gv4", "gv1"),
    "shared_data": ("sd4", "sd1"),
    "financing": ("fi4", "fi1"),
    "sustainability": ("su4", "su1"),
}


def codebook_40(dest: Path) -> Path:
    """Write the 40-item benchmark codebook to ``dest`` and return its path."""
    with open(CODEBOOK, encoding="utf-8") as fh:
        cb = yaml.safe_load(fh)
    for construct, (new, src) in EXTRA_ITEMS.items():
        item = copy.deepcopy(cb["items"][src])
        item["short"] = f"{item['short']} (benchmark copy)"
        cb["items"][new] = item
        cb["constructs"][construct]["items"].append(new)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(yaml.safe_dump(cb, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return dest


def _source(item: str) -> str:
    """The default item a benchmark item copies (itself for the default items)."""
    for new, src in EXTRA_ITEMS.values():
        if item == new:
            return src
    return item


def clean_responses(codebook: Codebook, n: int, *, seed: int = 20200601) -> pd.DataFrame:
    """``n`` respondents as the clean stage writes them: the pseudonym, the cluster column and every
    group (categorical, missing = not reported), one ``Int16`` column per item holding the
    reverse-keyed code (missing = "don't know" or not answered), empty comment columns.

    Vectorised over respondents (numpy); the cost is a few sorts of ``n`` values per item.
    """
    base = load_codebook(CODEBOOK)
    with open(MODEL, encoding="utf-8") as fh:
        spec = parse_model(yaml.safe_load(fh), base, source=str(MODEL))
    published = load_published(str(PUBLISHED), base)
    pub_pct, pub_n = published.pct(), published.n()
    rng = np.random.default_rng(seed)
    people = draw_people(spec, codebook, n, rng, quota=False)
    counts = np.bincount(people.msc, minlength=len(spec.clusters))
    u = msc_effects(spec, codebook, counts, rng)
    # the population draw fixes residual variances and centring, as the generator's Monte Carlo does
    mc = draw_people(spec, codebook, min(spec.mc_n, 200_000), rng, quota=False)
    _, params = latent_scores(spec, codebook, mc, u, rng)
    eta, _ = latent_scores(spec, codebook, people, u, rng, params)
    items = list(codebook.items)
    loadings = {i: spec.loadings[_source(i)] for i in items}
    xs = item_responses(eta, codebook, loadings, rng)
    # "don't know": the model's propensity (person weight x theta + logistic noise), cut per item
    dk = spec.dont_know
    theta = rng.standard_normal(n)
    for g, by_cat in (dk.get("shifts") or {}).items():
        table = np.array([by_cat.get(c, 0.0) for c in codebook.groups[g].categories])
        theta = theta + table[people.true[g]]
    n_gen = spec.n_rows - sum(int(m["count"]) for m in spec.mess.values() if "count" in m)
    shown_default = {
        i: (spec.display_shown if base.items[i].scale == spec.display_scale else n_gen)
        for i in base.items
    }
    out: dict[str, object] = {}
    for j, iid in enumerate(items):
        src = _source(iid)
        if src in pub_n:
            answer_share = pub_n[src] / shown_default[src]
            agree_pct = pub_pct[src]
        else:
            answer_share = 1.0 - spec.targets[src]["dont_know"]
            agree_pct = spec.targets[src]["agree"]
        s = float(dk["person_weight"]) * theta + rng.logistic(size=n)
        answered = s <= np.quantile(s, answer_share)
        scale = codebook.scales[codebook.items[iid].scale]
        codes = list(scale.codes)
        n_ans = int(answered.sum())
        cnt = category_counts(
            n_ans, int(round(agree_pct * n_ans / 100)), spec.categories[src], codes
        )
        thr = calibrate_thresholds(xs[answered, j], cnt)
        code = np.asarray(codes)[np.searchsorted(thr, xs[:, j], side="right")]
        if codebook.items[iid].reverse:
            code = scale.min + scale.max - code
        col = pd.array(code.astype(np.int16), dtype="Int16")
        col[~answered] = pd.NA
        out[iid] = col
    frame: dict[str, object] = {
        codebook.identifiers.pseudonym: pd.array(
            np.char.add("p", np.arange(n).astype("U8")), dtype="str"
        ),
        codebook.cluster: pd.array(
            np.array([c.id for c in spec.clusters], dtype=object)[people.msc], dtype="string"
        ),
    }
    for g, grp in codebook.groups.items():
        idx = people.reported(g) if g in people.missing else people.true[g]
        frame[g] = pd.Categorical.from_codes(np.asarray(idx, dtype=np.int64), grp.categories)
    frame.update(out)
    for col in codebook.identifiers.free_text:
        frame[col] = pd.array([None] * n, dtype="str")
    return pd.DataFrame(frame)


def base_export(codebook_path: Path, n: int, seed: int) -> pd.DataFrame:
    """The project's own identified export (:func:`mscsurvey.synthesize.generate`) of ``n`` rows, as
    text: the source of :func:`raw_export`'s answer patterns, timestamps, places and organisations."""
    import io

    from mscsurvey.schema import load_yaml
    from mscsurvey.synthesize import generate, write_outputs

    cb = load_codebook(CODEBOOK)
    result = generate(
        cb,
        load_yaml(str(MODEL)),
        load_published(str(PUBLISHED), cb),
        seed=seed,
        n_respondents=n,
        model_source=str(MODEL),
    )
    folder = Path(codebook_path).parent / "base"
    folder.mkdir(parents=True, exist_ok=True)
    write_outputs(
        result, raw=folder / "survey.csv", truth=folder / "truth.json", key=folder / "key"
    )
    text = (folder / "survey.csv").read_text(encoding="utf-8")
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


def _digits(rng: np.random.Generator, n: int, width: int) -> np.ndarray:
    return np.char.zfill(rng.integers(0, 10**width, n).astype(f"U{width}"), width)


def raw_export(
    base: pd.DataFrame, codebook: Codebook, n: int, seed: int, comment_share: float = 0.2
) -> pd.DataFrame:
    """An identified raw export of ``n`` respondents, vectorised (numpy string arrays).

    Each row's answers, groups, MSC, timestamps, birth date, ZIP, city and organisation are those of
    a row of ``base`` drawn at random (the generator's export: its labels, "Other: ..." answers,
    blanks and mess); every respondent gets their own id, name (Faker's first and last names), e-mail,
    phone, street address and IP address. One respondent in ``1 / comment_share`` has one comment,
    distinct from every other (benchmarks/detect_throughput.py's mix: the generator's clean comments
    and planted identifiers, one in four with an identifier), in one of the free-text columns.
    """
    import sys

    from faker.providers.address.en_US import Provider as Address
    from faker.providers.person.en_US import Provider as Person

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from detect_throughput import comments

    rng = np.random.default_rng(seed)
    out = base.iloc[rng.integers(0, len(base), n)].reset_index(drop=True)
    for new, src in EXTRA_ITEMS.values():
        out[new] = out[src]
    first = np.array(list(Person.first_names))[rng.integers(0, len(Person.first_names), n)]
    last = np.array(list(Person.last_names))[rng.integers(0, len(Person.last_names), n)]
    index = np.arange(n).astype("U7")
    out["respondent_id"] = np.char.add("R_", np.char.zfill(index, 7))
    out["name"] = np.char.add(np.char.add(first, " "), last)
    local = np.char.add(np.char.add(np.char.lower(first), "."), np.char.lower(last))
    out["email"] = np.char.add(np.char.add(local, index), "@example.org")
    out["phone"] = np.char.add(
        np.char.add(
            np.char.add("(", np.char.add(rng.integers(201, 990, n).astype("U3"), ") ")),
            np.char.add(_digits(rng, n, 3), "-"),
        ),
        _digits(rng, n, 4),
    )
    suffixes = np.array(list(Address.street_suffixes))[rng.integers(0, 20, n)]
    number = rng.integers(1, 99999, n).astype("U5")
    out["street_address"] = np.char.add(
        np.char.add(np.char.add(number, " "), last), np.char.add(" ", suffixes)
    )
    octets = [rng.integers(1, 255, n).astype("U3") for _ in range(4)]
    out["ip_address"] = np.char.add(
        np.char.add(np.char.add(octets[0], "."), np.char.add(octets[1], ".")),
        np.char.add(np.char.add(octets[2], "."), octets[3]),
    )
    free = list(codebook.identifiers.free_text)
    for c in free:
        out[c] = ""
    has = np.flatnonzero(rng.random(n) < comment_share)
    texts = np.array(comments(len(has), seed=seed), dtype=object)
    column = rng.integers(0, len(free), len(has))
    for j, c in enumerate(free):
        values = out[c].to_numpy(dtype=object)
        values[has[column == j]] = texts[column == j]
        out[c] = values
    return out.astype(str)
