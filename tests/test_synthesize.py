"""Synthesize: the synthetic raw export reproduces the published findings exactly, carries every
published direction, plants the mess it says it plants, and writes a complete ground truth.

The default dataset is generated once per module (config seed, model's size). Scores, subgroup means
and regressions are recomputed here from the CSV text, independently of the generator's own code.
"""

from __future__ import annotations

import hmac
import itertools
import json
import math
import re
import runpy
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import yaml
from statsmodels.stats.proportion import proportion_confint

from mscsurvey.codebook.spec import load_codebook, normalise_label
from mscsurvey.errors import SurveyError
from mscsurvey.io import read_raw
from mscsurvey.schema import load_yaml
from mscsurvey.settings import CleanSettings
from mscsurvey.stages.clean import exclusion_flags
from mscsurvey.synthesize import (
    generate,
    load_published,
    parse_model,
    synthetic_key,
    write_outputs,
)

ROOT = Path(__file__).resolve().parents[1]
CODEBOOK = ROOT / "data" / "codebook.yaml"
MODEL = ROOT / "data" / "synthetic" / "model.yaml"
PUBLISHED = ROOT / "data" / "published_findings.csv"
SP_MODEL = ["trust", "equity", "power_dynamics", "community_voice", "income", "role", "sector"]
SC_MODEL = ["power_dynamics", "equity", "shared_purpose", "trust", "income", "role", "sector"]

# Every key data/synthetic/README.md documents (dotted paths into truth.json).
DOCUMENTED_KEYS = [
    "generator.name",
    "generator.version",
    "generator.model_version",
    "generator.seed",
    "generator.n_rows",
    "generator.n_analysed",
    "generator.scale_factor",
    "counts.rows",
    "counts.analysed",
    "counts.persons",
    "counts.planted",
    "counts.how_much_shown",
    "counts.straightline_redraws",
    "counts.listwise_complete",
    "counts.scored",
    "counts.groups",
    "counts.comments",
    "counts.comments_with_identifiers",
    "clusters",
    "latent.constructs",
    "latent.order",
    "latent.exogenous",
    "latent.loadings",
    "latent.thresholds",
    "latent.residual_correlations",
    "latent.correlations",
    "latent.paths",
    "latent.group_effects",
    "latent.residual_variances",
    "latent.r2",
    "latent.centring_means",
    "latent.ordered_scores",
    "latent.msc_random_effect_sd",
    "latent.msc_random_effect_correlation",
    "latent.msc_random_effect_centred",
    "latent.balanced_residuals",
    "latent.dont_know_person_weight",
    "calibration",
    "estimands.monte_carlo.n",
    "estimands.monte_carlo.seed",
    "estimands.monte_carlo.how_much_shown_share",
    "estimands.monte_carlo.dont_know_rate",
    "estimands.alpha",
    "estimands.alpha_n",
    "estimands.item_total_correlation",
    "estimands.item_rest_correlation",
    "estimands.item_latent_correlation",
    "estimands.agree_pct",
    "estimands.construct_mean",
    "estimands.construct_sd",
    "estimands.scored_share",
    "estimands.regression",
    "estimands.regression_r2",
    "estimands.regression_n",
    "estimands.relative_importance",
    "estimands.group_means",
    "planted.duplicate",
    "planted.speeder",
    "planted.straightliner",
    "planted.partial",
    "planted.label_noise",
    "planted.comment_identifiers",
    "planted.analysed_rows",
    "planted.analysed_respondent_ids",
    "planted.counts",
    "comments",
]


@pytest.fixture(scope="module")
def cb():
    return load_codebook(CODEBOOK)


@pytest.fixture(scope="module")
def model_dict():
    return load_yaml(MODEL)


@pytest.fixture(scope="module")
def config():
    with open(ROOT / "config" / "config.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@pytest.fixture(scope="module")
def published(cb):
    return load_published(str(PUBLISHED), cb)


@pytest.fixture(scope="module")
def written(cb, model_dict, published, config, tmp_path_factory):
    """The default dataset, written to files as the rule writes it."""
    res = generate(cb, model_dict, published, seed=config["seed"])
    out = tmp_path_factory.mktemp("synth")
    paths = {
        k: out / f for k, f in (("raw", "survey.csv"), ("truth", "truth.json"), ("key", "k.key"))
    }
    write_outputs(res, **paths)
    return res, paths


@pytest.fixture(scope="module")
def truth(written):
    return json.loads(written[1]["truth"].read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def raw(written):
    """The CSV as the pipeline reads it (text columns, blank = missing, ``_source_row``)."""
    return read_raw(written[1]["raw"])


def _code(series: pd.Series, lookup: dict) -> pd.Series:
    return series.map(lambda v: lookup.get(normalise_label(v)), na_action="ignore").astype(float)


@pytest.fixture(scope="module")
def analysed(raw, truth, cb):
    """Analysed respondents: answers as codes (as answered), keyed codes, scores and groups."""
    ids = set(truth["planted"]["analysed_respondent_ids"])
    a = raw[raw[cb.identifiers.respondent_id].isin(ids)].reset_index(drop=True)
    codes, keyed = {}, {}
    for iid, item in cb.items.items():
        sc = cb.scales[item.scale]
        codes[iid] = _code(a[iid], sc.lookup())
        keyed[iid] = sc.min + sc.max - codes[iid] if item.reverse else codes[iid]
    codes, keyed = pd.DataFrame(codes), pd.DataFrame(keyed)
    scores = {}
    for cid, con in cb.constructs.items():
        m = keyed[list(con.items)]
        scores[cid] = m.mean(axis=1).where(m.notna().sum(axis=1) >= con.min_items())
    groups = {
        g: a[g].map(lambda v, g=g: cb.groups[g].lookup().get(normalise_label(v))) for g in cb.groups
    }
    return SimpleNamespace(
        frame=a, codes=codes, keyed=keyed, scores=pd.DataFrame(scores), groups=pd.DataFrame(groups)
    )


# --- calibration -----------------------------------------------------------------------------------


def test_every_published_item_reproduced_exactly(analysed, published, cb):
    for rec in published.table.itertuples(index=False):
        x = analysed.codes[rec.item].dropna()
        n = len(x)
        k = int(x.isin(cb.scales[cb.items[rec.item].scale].agree).sum())
        assert n == rec.published_n, f"{rec.item}: n {n} != published {rec.published_n}"
        pct = 100 * k / n
        assert math.floor(pct + 0.5) == rec.published_pct, (
            f"{rec.item}: {pct:.2f}% vs {rec.published_pct}"
        )
        lo, hi = proportion_confint(k, n, alpha=0.05, method="wilson")
        assert 100 * lo <= rec.published_pct <= 100 * hi


def test_dont_know_answers_present_and_block_shown_to_a_subset(analysed, cb, truth):
    for iid, item in cb.items.items():
        missing = {normalise_label(x) for x in cb.scales[item.scale].missing}
        dk = analysed.frame[iid].dropna().map(normalise_label).isin(missing).sum()
        assert dk > 0, f"{iid} has no don't-know answers"
    how_much = [i for i, it in cb.items.items() if it.scale == "howmuch4"]
    shown = analysed.frame[how_much].notna().any(axis=1).sum()
    assert shown == truth["counts"]["how_much_shown"] == 200


def test_listwise_complete_cases_stay_workable(analysed, cb):
    for cid, con in cb.constructs.items():
        complete = int(analysed.codes[list(con.items)].notna().all(axis=1).sum())
        scale = cb.items[con.items[0]].scale
        assert complete >= (250 if scale == "agree5" else 90), f"{cid}: {complete} complete"


# --- determinism -----------------------------------------------------------------------------------


def test_same_seed_same_bytes_other_seed_other_data(
    cb, model_dict, published, config, written, tmp_path
):
    again = generate(cb, model_dict, published, seed=config["seed"])
    paths = {k: tmp_path / f for k, f in (("raw", "s.csv"), ("truth", "t.json"), ("key", "k.key"))}
    write_outputs(again, **paths)
    for k in paths:
        assert paths[k].read_bytes() == written[1][k].read_bytes(), k
    other = generate(cb, model_dict, published, seed=config["seed"] + 1)
    assert other.csv_text() != written[0].csv_text()
    assert (
        other.truth["planted"]["analysed_respondent_ids"]
        != written[0].truth["planted"]["analysed_respondent_ids"]
    )


def test_key_is_the_documented_hmac(written, config):
    expected = hmac.new(
        b"mscsurvey-synthetic-key", str(config["seed"]).encode(), "sha256"
    ).hexdigest()
    assert written[1]["key"].read_text(encoding="utf-8") == expected + "\n"
    assert synthetic_key(config["seed"]) == expected


# --- columns, labels, clusters ---------------------------------------------------------------------


def test_every_codebook_column_present_with_codebook_labels(raw, cb):
    ids = cb.identifiers
    expected = [*cb.items, *cb.groups, cb.cluster, *ids.raw_columns(), *ids.free_text]
    assert not [c for c in expected if c not in raw.columns]
    for iid, item in cb.items.items():
        sc = cb.scales[item.scale]
        allowed = {normalise_label(x) for x in [*sc.codes.values(), *sc.missing]}
        values = set(raw[iid].dropna().map(normalise_label))
        assert values <= allowed, f"{iid}: {values - allowed}"
    for g, grp in cb.groups.items():
        allowed = {normalise_label(x) for x in [*grp.categories, *grp.missing]}
        values = set(raw[g].dropna().map(normalise_label))
        assert values <= allowed, f"{g}: {values - allowed}"


def test_labels_carry_stray_whitespace_and_case(raw, truth, cb):
    noise = truth["planted"]["label_noise"]
    assert noise
    for cell in noise[:50]:
        value = raw.loc[raw["_source_row"] == cell["row"], cell["column"]].iloc[0]
        canonical = {lab for sc in cb.scales.values() for lab in [*sc.codes.values(), *sc.missing]}
        canonical |= {c for g in cb.groups.values() for c in [*g.categories, *g.missing]}
        assert value not in canonical and normalise_label(value) in {
            normalise_label(c) for c in canonical
        }
    cells = sum(raw[c].notna().sum() for c in [*cb.items, *[g for g in cb.groups]])
    assert 0.015 < len(noise) / cells < 0.025


def test_twenty_two_mscs_with_constant_cluster_values(raw, cb):
    msc = raw[cb.cluster]
    assert msc.nunique() == 22
    for g, grp in cb.groups.items():
        if grp.level == "cluster":
            per = raw.groupby(msc)[g].agg(lambda s: s.map(normalise_label).nunique())
            assert (per == 1).all(), g
    state = raw.groupby(msc)["state"].first().map(normalise_label)
    assert (state == "ca").sum() == 13 and (state == "wa").sum() == 9
    assert all(m.startswith(s.upper()) for m, s in state.items())
    funding = raw.groupby(msc)["funding"].first().map(normalise_label)
    wa_public = funding[state == "wa"].eq("public funding").mean()
    assert wa_public > 0.7


def test_tribal_sector_is_reportable(analysed):
    assert (analysed.groups["sector"] == "Tribal community or nation").sum() >= 20


# --- identifiers ---------------------------------------------------------------------------------


def test_identifier_formats(raw, cb, analysed):
    ids = cb.identifiers
    rid = raw[ids.respondent_id]
    assert rid.str.fullmatch(r"R_[A-Za-z0-9]{15}").all() and rid.is_unique
    assert raw["name"].str.fullmatch(r"\S+ \S+.*").all()
    assert raw["email"].str.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]+").all()
    digits = raw["phone"].dropna().str.replace(r"\D", "", regex=True)
    assert digits.str.len().between(10, 11).all()
    assert raw["phone"].dropna().str.replace(r"\d", "9", regex=True).nunique() >= 4  # mixed formats
    z = raw[ids.zip["column"]].dropna()
    assert z.str.fullmatch(r"\d{5}").all()
    state = raw.loc[z.index, "state"].map(normalise_label)
    assert (
        z[state == "ca"].str.match(r"9[0-6]").all() and z[state == "wa"].str.match(r"9[89]").all()
    )
    start = pd.to_datetime(raw[ids.timestamps["start"]], format="%Y-%m-%d %H:%M:%S")
    end = pd.to_datetime(raw[ids.timestamps["end"]], format="%Y-%m-%d %H:%M:%S")
    assert start.min() >= pd.Timestamp("2020-06-01") and end.max() <= pd.Timestamp("2021-10-01")
    birth = pd.to_datetime(raw[ids.birth_date["column"]], format="%Y-%m-%d")
    age = (start - birth).dt.days / 365.25
    assert age.dropna().between(22, 76).all()
    genuine = (end - start).dt.total_seconds()[
        raw[ids.respondent_id].isin(analysed.frame[ids.respondent_id])
    ]
    assert 10 * 60 < genuine.median() < 18 * 60


def test_roster_names_avoid_codebook_and_comment_words(raw, cb, model_dict):
    texts = [i.text for i in cb.items.values()] + [
        k for c in cb.constructs.values() for k in c.keywords
    ]
    for tones in model_dict["comments"]["sentences"].values():
        texts += [t for lst in tones.values() for t in lst]
    vocab = {w for t in texts for w in re.findall(r"[a-z]+", t.casefold())}
    tokens = {w for n in raw["name"] for w in re.findall(r"[a-z]+", n.casefold())}
    assert not tokens & vocab


# --- planted mess ----------------------------------------------------------------------------------


def test_planted_counts_match_the_model(truth, model_dict, raw):
    planted = truth["planted"]
    for kind in ("duplicate", "speeder", "straightliner", "partial"):
        assert len(planted[kind]) == model_dict["mess"][kind]["count"], kind
    n_planted = sum(len(planted[k]) for k in ("duplicate", "speeder", "straightliner", "partial"))
    assert len(raw) == model_dict["survey"]["n_rows"]
    assert len(planted["analysed_respondent_ids"]) == len(raw) - n_planted
    rows = [
        r["row"] for k in ("duplicate", "speeder", "straightliner", "partial") for r in planted[k]
    ]
    assert len(set(rows)) == n_planted and not set(rows) & set(planted["analysed_rows"])
    by_row = raw.set_index("_source_row")
    for kind in ("duplicate", "speeder", "straightliner", "partial"):
        for rec in planted[kind]:
            assert by_row.at[rec["row"], "respondent_id"] == rec["respondent_id"]


def test_duplicates_are_the_same_person_later(truth, raw, cb):
    by_row = raw.set_index("_source_row")
    for rec in truth["planted"]["duplicate"]:
        dup, orig = by_row.loc[rec["row"]], by_row.loc[rec["original_row"]]
        assert rec["original_row"] < rec["row"]
        assert dup["name"] == orig["name"] and dup["email"] == orig["email"]
        assert dup["respondent_id"] != orig["respondent_id"]
        same = sum(normalise_label(str(dup[i])) == normalise_label(str(orig[i])) for i in cb.items)
        assert same >= 0.8 * len(cb.items)


def _duration(raw: pd.DataFrame, cb) -> pd.Series:
    ts = cb.identifiers.timestamps
    fmt = "%Y-%m-%d %H:%M:%S"
    return (
        pd.to_datetime(raw[ts["end"]], format=fmt) - pd.to_datetime(raw[ts["start"]], format=fmt)
    ).dt.total_seconds()


def test_speeders_straightliners_partials(truth, raw, cb):
    by_row = raw.set_index("_source_row")
    dur = pd.Series(_duration(raw, cb).to_numpy(), index=raw["_source_row"])
    for rec in truth["planted"]["speeder"]:
        assert 60 <= dur[rec["row"]] <= 170
    agree5 = [i for i, it in cb.items.items() if it.scale == "agree5"]
    for rec in truth["planted"]["straightliner"]:
        answers = by_row.loc[rec["row"], agree5].map(normalise_label)
        assert answers.nunique() == 1 and answers.iloc[0] == normalise_label(rec["label"])
    for rec in truth["planted"]["partial"]:
        row = by_row.loc[rec["row"]]
        assert row[list(cb.identifiers.free_text)].isna().all()
        assert row[list(cb.items)].notna().mean() < 0.46
        answered = np.flatnonzero(row[list(cb.items)].notna().to_numpy())
        assert answered.size >= 1
        assert row[list(cb.items)].iloc[answered.max() + 1 :].isna().all()  # blank after stopping
        assert row[list(cb.identifiers.free_text)].isna().all()


def test_genuine_respondents_look_genuine(analysed, raw, cb):
    dur = _duration(raw, cb)[raw["respondent_id"].isin(analysed.frame["respondent_id"])]
    assert dur.min() >= 300
    agree5 = [i for i, it in cb.items.items() if it.scale == "agree5"]
    c = analysed.codes[agree5]
    answered = c.notna().sum(axis=1)
    spread = c.max(axis=1) - c.min(axis=1)
    assert not ((answered >= 15) & (spread == 0)).any()
    how_much = [i for i, it in cb.items.items() if it.scale == "howmuch4"]
    sees_block = analysed.frame[how_much].notna().any(axis=1)
    shown = np.where(sees_block, len(cb.items), len(cb.items) - len(how_much))
    assert (analysed.frame[list(cb.items)].notna().sum(axis=1) >= 0.7 * shown).all()


def test_clean_stage_rules_find_exactly_the_planted_rows(raw, truth, cb, config):
    """The clean stage's exclusion rules with the config's defaults flag each planted row for its
    own reason only, and nothing else."""
    df = raw.copy()
    df["person_pid"] = df["email"].str.casefold()
    df["duration_seconds"] = _duration(raw, cb)
    flags = exclusion_flags(
        df,
        pd.DataFrame({i: _code(df[i], cb.scale_of(i).lookup()) for i in cb.items}),
        cb,
        CleanSettings.parse(config["clean"]),
    )
    expected = pd.Series("", index=df.index)
    reason = {
        "duplicate": "duplicate",
        "partial": "too_little_answered",
        "speeder": "speeder",
        "straightliner": "straightliner",
    }
    row_index = {r: i for i, r in enumerate(df["_source_row"])}
    for kind, name in reason.items():
        for rec in truth["planted"][kind]:
            expected[row_index[rec["row"]]] = name
    got = flags["reason"].fillna("").astype(str)
    assert (got == expected).all()
    flagged = flags[["duplicate", "too_little_answered", "speeder", "straightliner"]].sum(axis=1)
    assert flagged.max() == 1  # one kind of mess per planted row


# --- directions and drivers ------------------------------------------------------------------------


def test_published_subgroup_directions_hold(analysed, cb):
    s, g = analysed.scores, analysed.groups

    def mean(c, group, cat):
        return s[c][g[group] == cat].mean()

    def others(c, group, cat):
        return s[c][g[group].notna() & (g[group] != cat)].mean()

    geo = cb.groups["geography"].categories  # small -> large
    for c in ("shared_purpose", "systems_change"):
        m = [mean(c, "geography", x) for x in geo]
        assert m[0] < m[1] < m[2], (c, m)
        assert mean(c, "funding", "Public funding") > mean(c, "funding", "No public funding"), c
        tribal = "Tribal community or nation"
        assert mean(c, "sector", tribal) > others(c, "sector", tribal), c
        assert mean(c, "sector", "Public health") < others(c, "sector", "Public health"), c
    sp = "shared_purpose"
    assert mean(sp, "sector", "Social services") < others(sp, "sector", "Social services")
    roles = {r: mean(sp, "role", r) for r in cb.groups["role"].categories}
    middle = ["Leadership or steering committee", "Committee member", "Community resident"]
    for r in middle:
        assert roles["MSC staff"] > roles[r], roles
        for low in ("Informal participant", "Contracted partner"):
            assert roles[low] < roles[r], roles
    m = [mean("trust", "geography", x) for x in geo]
    assert m[0] > m[1] > m[2], m


def _ols(analysed, cb, outcome, predictors):
    d = pd.concat([analysed.scores, analysed.groups], axis=1)[[outcome, *predictors]].dropna()
    x = {}
    for p in predictors:
        if p in cb.constructs:
            x[p] = d[p]
        elif cb.groups[p].ordered:
            x[p] = d[p].map({c: k + 1 for k, c in enumerate(cb.groups[p].categories)}).astype(float)
        else:
            for cat in cb.groups[p].categories:
                if cat != cb.groups[p].reference:
                    x[f"{p}[{cat}]"] = (d[p] == cat).astype(float)
    x = pd.DataFrame(x)
    numeric = [p for p in predictors if p in cb.constructs or cb.groups[p].ordered]
    for p in numeric:
        x[p] = (x[p] - x[p].mean()) / x[p].std()
    y = (d[outcome] - d[outcome].mean()) / d[outcome].std()
    return y, x, numeric


def _shapley(y, x, predictors):
    blocks = {p: [c for c in x.columns if c == p or c.startswith(f"{p}[")] for p in predictors}
    cache = {}

    def r2(subset):
        key = frozenset(subset)
        if key not in cache:
            cols = [c for p in key for c in blocks[p]]
            cache[key] = sm.OLS(y, sm.add_constant(x[cols])).fit().rsquared if cols else 0.0
        return cache[key]

    k = len(predictors)
    out = {}
    for p in predictors:
        rest = [q for q in predictors if q != p]
        out[p] = sum(
            math.factorial(n)
            * math.factorial(k - n - 1)
            / math.factorial(k)
            * (r2({*sub, p}) - r2(sub))
            for n in range(k)
            for sub in itertools.combinations(rest, n)
        )
    return out


@pytest.mark.parametrize(
    ("outcome", "predictors", "top"),
    [
        ("shared_purpose", SP_MODEL, {"trust", "equity", "income"}),
        ("systems_change", SC_MODEL, {"power_dynamics", "equity", "shared_purpose"}),
    ],
)
def test_published_drivers_are_the_largest(analysed, cb, outcome, predictors, top):
    """Among the numeric predictors (constructs, income score), the published drivers have the three
    largest positive standardised OLS coefficients and the three largest Shapley R² shares; role and
    sector enter as dummy blocks and rank where they fall."""
    y, x, numeric = _ols(analysed, cb, outcome, predictors)
    fit = sm.OLS(y, sm.add_constant(x)).fit()
    coefs = fit.params[numeric]
    assert set(coefs.sort_values(ascending=False).index[:3]) == top, coefs.round(3).to_dict()
    assert (coefs[list(top)] > 0).all()
    shares = _shapley(y, x, predictors)
    ranked = [p for p in sorted(shares, key=shares.get, reverse=True) if p in numeric]
    assert set(ranked[:3]) == top, shares


# --- truth -----------------------------------------------------------------------------------------


def test_truth_has_every_documented_key(truth, cb):
    for dotted in DOCUMENTED_KEYS:
        node = truth
        for part in dotted.split("."):
            assert part in node, dotted
            node = node[part]
    readme = (ROOT / "data" / "synthetic" / "README.md").read_text(encoding="utf-8")
    for dotted in DOCUMENTED_KEYS:
        assert re.search(rf"`{re.escape(dotted)}[`\[]", readme), (
            f"README does not document {dotted}"
        )


def test_truth_values_are_coherent(truth, cb):
    est, lat = truth["estimands"], truth["latent"]
    for cid in cb.constructs:
        assert 0.6 < est["alpha"][cid] < 0.95, (cid, est["alpha"][cid])
    for iid, item in cb.items.items():
        assert (lat["loadings"][iid] < 0) == item.reverse
        thr = lat["thresholds"][iid]
        assert len(thr) == len(cb.scales[item.scale].codes) - 1 and thr == sorted(thr)
        assert est["item_latent_correlation"][iid] > 0.3
    for outcome, preds in (("shared_purpose", SP_MODEL), ("systems_change", SC_MODEL)):
        terms = est["regression"][outcome]
        for p in preds:
            assert p in terms or any(t.startswith(f"{p}[") for t in terms)
        assert set(est["relative_importance"][outcome]) == set(preds)
    for cid in cb.constructs:
        for g in cb.compared_groups():
            assert set(est["group_means"][cid][g]) == set(cb.groups[g].categories)
    for c, v in lat["residual_variances"].items():
        assert 0.05 < v <= 1.0, c
    assert (
        est["monte_carlo"]["n"] >= 100_000
        and est["monte_carlo"]["seed"] != truth["generator"]["seed"]
    )


def test_population_estimands_order_the_drivers(truth):
    reg = truth["estimands"]["regression"]
    sp = reg["shared_purpose"]
    assert min(sp["trust"], sp["equity"], sp["income"]) > max(
        sp["power_dynamics"], sp["community_voice"]
    )
    sc = reg["systems_change"]
    assert min(sc["power_dynamics"], sc["equity"], sc["shared_purpose"]) > max(
        sc["trust"], sc["income"]
    )


# --- comments --------------------------------------------------------------------------------------


def test_comments_fill_rates_topics_and_identifiers(raw, analysed, cb, truth):
    c1, c2 = cb.identifiers.free_text
    n = len(analysed.frame)
    assert abs(analysed.frame[c1].notna().sum() / n - 0.40) < 0.01
    assert abs(analysed.frame[c2].notna().sum() / n - 0.20) < 0.01
    comments = pd.concat([raw[c1], raw[c2]]).dropna()
    keywords = [k for con in cb.constructs.values() for k in con.keywords]
    pattern = re.compile(r"(?<![a-z])(" + "|".join(map(re.escape, keywords)) + r")(?![a-z])", re.I)
    assert comments.map(lambda t: bool(pattern.search(t))).all()
    roster = set(raw["name"]) | set(raw["organisation"]) | set(raw["city"].dropna())
    roster |= set(raw["street_address"].dropna()) | {n.split()[0] for n in raw["name"]}
    roster_re = re.compile(
        r"(?<![A-Za-z])("
        + "|".join(map(re.escape, sorted(roster, key=len, reverse=True)))
        + r")(?![A-Za-z])",
        re.I,
    )
    contact = re.compile(r"[^@\s]+@[^@\s]+\.[a-z]+|\(?\d{3}\)?[-. ]?\d{3}[-. ]?\d{4}")
    hits = comments.map(lambda t: bool(roster_re.search(t) or contact.search(t)))
    assert hits.sum() >= 60
    share = hits.sum() / len(comments)
    assert 0.15 <= share <= 0.30
    by_row = raw.set_index("_source_row")
    names = {n.casefold() for n in raw["name"]} | {n.split()[0].casefold() for n in raw["name"]}
    for rec in truth["planted"]["comment_identifiers"]:
        assert rec["value"] in by_row.at[rec["row"], rec["column"]]
        if rec["type"] == "NAME":  # a roster name: full, first name only, any case
            assert rec["value"].casefold() in names, rec
        if rec["type"] == "ORGANIZATION":
            assert rec["value"] in set(raw["organisation"]), rec


# --- other sizes and errors ------------------------------------------------------------------------


def test_smaller_survey_scales_the_targets(cb, model_dict, published):
    res = generate(cb, model_dict, published, seed=7, n_respondents=240)
    assert len(res.survey) == 240
    factor = 240 / model_dict["survey"]["n_rows"]
    for rec in published.table.itertuples(index=False):
        cal = res.truth["calibration"][rec.item]
        assert cal["n"] == math.floor(rec.published_n * factor + 0.5)
        assert abs(cal["pct"] - rec.published_pct) <= 50 / cal["n"] + 0.5
    assert res.truth["planted"]["counts"]["duplicate"] == math.floor(10 * factor + 0.5)


def test_model_errors_name_the_key(cb, model_dict):
    bad = json.loads(json.dumps(model_dict))
    bad["latent"]["paths"]["shared_purpose"]["nonsense"] = 0.2
    with pytest.raises(SurveyError, match=r"latent\.paths\.shared_purpose\.nonsense"):
        parse_model(bad, cb, source="model.yaml")
    bad = json.loads(json.dumps(model_dict))
    bad["comments"]["sentences"]["trust"]["positive"] = ["Everything went fine."]
    with pytest.raises(SurveyError, match="none of the construct's keywords"):
        parse_model(bad, cb, source="model.yaml")
    bad = json.loads(json.dumps(model_dict))
    bad["latent"]["paths"]["shared_purpose"]["trust"] = 1.5
    with pytest.raises(SurveyError, match="residual variance"):
        generate(cb, bad, load_published(str(PUBLISHED), cb), seed=1)


def test_adapter_writes_the_three_outputs(tmp_path, config):
    out = {
        k: str(tmp_path / f)
        for k, f in (("raw", "survey.csv"), ("truth", "truth.json"), ("key", "pseudonym.key"))
    }
    smk = SimpleNamespace(
        input=SimpleNamespace(codebook=str(CODEBOOK), model=str(MODEL), published=str(PUBLISHED)),
        output=SimpleNamespace(**out),
        params=SimpleNamespace(settings={"seed": 3, "n_respondents": 120}),
        log=[str(tmp_path / "synthesize.log")],
        rule="synthesize",
    )
    runpy.run_path(
        str(ROOT / "workflow" / "scripts" / "synthesize.py"), init_globals={"snakemake": smk}
    )
    assert len(Path(out["raw"]).read_text(encoding="utf-8").splitlines()) == 121
    assert json.loads(Path(out["truth"]).read_text(encoding="utf-8"))["generator"]["seed"] == 3
    log = Path(smk.log[0]).read_text(encoding="utf-8")
    assert "rows 120" in log and "speeder" in log
    assert Path(out["key"]).read_text(encoding="utf-8").strip() == synthetic_key(3)


def test_export_job_without_estimands_writes_the_same_bytes(tmp_path, config):
    """The workflow's two synthesize jobs: the export and key made without the Monte Carlo estimands
    are byte-identical to those of the full run, and the truth cannot be written without them."""
    base = SimpleNamespace(
        input=SimpleNamespace(codebook=str(CODEBOOK), model=str(MODEL), published=str(PUBLISHED)),
        params=SimpleNamespace(settings={"seed": 4, "n_respondents": 150}),
    )
    runs = {
        "full": {"raw": "survey.csv", "truth": "truth.json", "key": "pseudonym.key"},
        "export": {"raw": "survey.csv", "key": "pseudonym.key"},
        "truth": {"truth": "truth.json"},
    }
    for name, files in runs.items():
        (tmp_path / name).mkdir()
        smk = SimpleNamespace(
            **vars(base),
            output=SimpleNamespace(**{k: str(tmp_path / name / f) for k, f in files.items()}),
            log=[str(tmp_path / name / "synthesize.log")],
            rule=name,
        )
        runpy.run_path(
            str(ROOT / "workflow" / "scripts" / "synthesize.py"), init_globals={"snakemake": smk}
        )
    for f in ("survey.csv", "pseudonym.key"):
        assert (tmp_path / "export" / f).read_bytes() == (tmp_path / "full" / f).read_bytes()
    assert (tmp_path / "truth" / "truth.json").read_bytes() == (
        tmp_path / "full" / "truth.json"
    ).read_bytes()
    assert not (tmp_path / "export" / "truth.json").exists()
    partial = generate(
        load_codebook(CODEBOOK),
        load_yaml(MODEL),
        load_published(str(PUBLISHED), load_codebook(CODEBOOK)),
        seed=4,
        n_respondents=150,
        estimands=False,
    )
    assert partial.truth["estimands"] is None
    with pytest.raises(ValueError, match="estimands"):
        write_outputs(partial, truth=tmp_path / "t.json")


def test_split_name_columns_of_another_study():
    """The example study's export has first- and last-name columns instead of one name column: each
    is filled with the matching part of the same person's name; a model with no name column at all
    is refused, naming the key."""
    example = ROOT / "examples" / "wellbeing"
    cb = load_codebook(example / "codebook.yaml")
    model = load_yaml(example / "model.yaml")
    res = generate(cb, model, load_published(str(example / "published_findings.csv"), cb), seed=5)
    survey = res.survey
    first, last = survey["RecipientFirstName"], survey["RecipientLastName"]
    assert (first.str.len() > 0).all() and (last.str.len() > 0).all()
    assert not first.str.contains(" ").any()
    # e-mails of the {first}.{last}@ pattern are built from the two columns of the same row
    dotted = survey["RecipientEmail"].str.split("@").str[0].str.contains(r"\.")
    local = (first.str.lower() + "." + last.str.lower()).str.replace(r"[^a-z.]", "", regex=True)
    assert (
        survey.loc[dotted, "RecipientEmail"].str.split("@").str[0] == local[dotted]
    ).mean() > 0.95
    bad = json.loads(json.dumps(model))
    bad["identifiers"]["columns"]["RecipientFirstName"] = "city"
    with pytest.raises(SurveyError, match=r"identifiers\.columns.*person_name or first_name"):
        parse_model(bad, cb, source="model.yaml")
