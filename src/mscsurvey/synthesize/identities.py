"""Synthetic people: names, contact details and the free-text comments that mention them.

All values come from a seeded ``Faker("en_US")`` instance and a numpy generator, called in a fixed
order, so the same seed gives the same people. Names whose tokens are ordinary words of the codebook's
texts or of the comment sentences are refused (a surname "Long" or a first name "Grant" would make a
de-identifier scrub ordinary words), as are tokens of four letters or more found inside such a word (the
scrubber matches longer roster tokens inside words).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from faker import Faker

from mscsurvey.codebook.spec import Codebook
from mscsurvey.synthesize.model import Model

__all__ = [
    "vocabulary",
    "name_allowed",
    "make_roster",
    "birth_dates",
    "Comments",
    "write_comments",
    "MENTION_TYPES",
]

#: Placeholder-style type of each comment mention kind (roster kinds take the codebook's type).
MENTION_TYPES = {"email": "EMAIL", "phone": "PHONE", "url": "URL", "zip": "ZIP"}
#: Comment mention kind -> identifier generator kind.
_MENTION_SOURCE = {
    "name": "person_name",
    "email": "email",
    "phone": "phone",
    "organisation": "company",
    "street_address": "street_address",
    "city": "city",
}


def vocabulary(codebook: Codebook, model: Model) -> frozenset[str]:
    """Lower-case words of every text a comment or chart may show: items, constructs (labels,
    descriptions, keywords), groups, scales, the study, and the comment sentences."""
    texts: list[str] = []
    for item in codebook.items.values():
        texts += [item.text, item.short]
    for con in codebook.constructs.values():
        texts += [con.label, con.description, *con.keywords]
    for grp in codebook.groups.values():
        texts += [grp.label, *grp.categories, *grp.missing]
    for sc in codebook.scales.values():
        texts += [sc.label, sc.agree_label, *sc.codes.values(), *sc.missing]
    texts += [str(v) for v in codebook.study.values()]
    com = model.comments
    for tones in com["sentences"].values():
        for lst in tones.values():
            texts += list(lst)
    for lst in com["mentions"].values():
        texts += [re.sub(r"\{[a-z_]+\}", " ", t) for t in lst]
    texts += list(com.get("openers", []))
    words: set[str] = set()
    for t in texts:
        words |= set(re.findall(r"[a-z]+", t.casefold()))
    return frozenset(words)


def name_allowed(name: str, vocab: frozenset[str], joined: str) -> bool:
    """False when a token of ``name`` is a vocabulary word, or (4+ letters) sits inside one.

    ``joined`` is the vocabulary joined by newlines (so a substring test never spans two words).
    """
    for token in re.findall(r"[a-z]+", name.casefold()):
        if token in vocab or (len(token) >= 4 and token in joined):
            return False
    return True


def _slug(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.casefold())


def _weighted(rng: np.random.Generator, options: dict[str, float]) -> str:
    keys = list(options)
    p = np.array([options[k] for k in keys], dtype=float)
    return keys[int(rng.choice(len(keys), p=p / p.sum()))]


def _pools(model: Model, fake: Faker) -> tuple[list[list[str]], list[list[str]]]:
    """Per MSC: its organisations and cities (no name shared between MSCs)."""
    ids = model.identifiers
    used_orgs: set[str] = set()
    used_cities: set[str] = set()
    org_pool: list[list[str]] = []
    city_pool: list[list[str]] = []
    for _ in range(len(model.clusters)):
        org_pool.append(_distinct(fake.company, int(ids["organisations_per_msc"]), used_orgs))
        city_pool.append(_distinct(fake.city, int(ids["cities_per_msc"]), used_cities))
    return org_pool, city_pool


def _distinct(draw: Callable[[], str], k: int, used: set[str]) -> list[str]:
    """``k`` draws not in ``used`` (each added to it)."""
    out: list[str] = []
    while len(out) < k:
        value = draw()
        if value not in used:
            used.add(value)
            out.append(value)
    return out


def _email(
    first: str,
    last: str,
    domain: str,
    patterns: dict[str, float],
    emails: set[str],
    rng: np.random.Generator,
) -> str:
    """A new e-mail address in one of the weighted patterns (a number appended on a collision);
    added to ``emails``."""
    pattern = _weighted(rng, patterns)
    local = pattern.split("@")[0].format(
        first=_slug(first),
        last=_slug(last),
        f=_slug(first)[:1],
        nn=f"{int(rng.integers(100)):02d}",
    )
    email = f"{local}@{domain}"
    while email in emails:
        email = f"{local}{int(rng.integers(10, 1000))}@{domain}"
    emails.add(email)
    return email


def _phone(area_codes: list[str], formats: dict[str, float], rng: np.random.Generator) -> str:
    """A phone number with one of the state's area codes, in one of the weighted formats."""
    exchange = int(rng.integers(200, 1000))
    if exchange % 100 == 11:  # N11 codes are not exchanges
        exchange += 1
    return _weighted(rng, formats).format(
        a=area_codes[int(rng.integers(len(area_codes)))],
        e=f"{exchange:03d}",
        l=f"{int(rng.integers(10000)):04d}",
    )


def make_roster(
    model: Model,
    codebook: Codebook,
    msc: np.ndarray,
    gender: list[str | None],
    fake: Faker,
    rng: np.random.Generator,
    vocab: frozenset[str],
) -> pd.DataFrame:
    """One row of identifying values per person.

    Parameters
    ----------
    msc
        each person's MSC (index into ``model.clusters``): organisations, cities and ZIP prefixes come
        from the MSC's pools, phone area codes from its state.
    gender
        each person's reported gender label (or None), choosing faker's name list.

    Returns
    -------
    DataFrame
        columns ``first``, ``last``, ``person_name``, ``first_name``, ``last_name``, ``email``,
        ``phone``, ``street_address``, ``city``, ``zip``, ``ipv4``, ``company`` (the generator kinds)
        and ``msc``.
    """
    ids = model.identifiers
    joined = "\n".join(sorted(vocab))
    org_pool, city_pool = _pools(model, fake)

    fn = ids.get("first_names") or {}
    by_gender = {fn.get("female"): fake.first_name_female, fn.get("male"): fake.first_name_male}
    if fn.get("nonbinary"):
        by_gender[fn["nonbinary"]] = fake.first_name_nonbinary
    area_group = ids["area_group"]
    area = {k: [str(a) for a in v] for k, v in ids["area_codes"].items()}
    formats = {str(k): float(v) for k, v in ids["phone_formats"].items()}
    patterns = {str(k): float(v) for k, v in ids["email_patterns"].items()}

    rows: list[dict[str, Any]] = []
    names: set[str] = set()
    emails: set[str] = set()
    for i in range(msc.size):
        m = int(msc[i])
        draw_first = by_gender.get(gender[i], fake.first_name)
        while True:
            first, last = draw_first(), fake.last_name()
            full = f"{first} {last}"
            if full not in names and name_allowed(full, vocab, joined):
                break
        names.add(full)
        org = org_pool[m][int(rng.integers(len(org_pool[m])))]
        work = rng.random() < float(ids["work_email_share"])
        domain = _slug(org)[:24] + ".org" if work else fake.free_email_domain()
        email = _email(first, last, domain, patterns, emails, rng)
        phone = _phone(area[model.clusters[m].values[area_group]], formats, rng)
        zip3 = model.clusters[m].zip3[int(rng.integers(len(model.clusters[m].zip3)))]
        rows.append(
            {
                "first": first,
                "last": last,
                "person_name": full,
                "first_name": first,
                "last_name": last,
                "email": email,
                "phone": phone,
                "street_address": fake.street_address(),
                "city": city_pool[m][int(rng.integers(len(city_pool[m])))],
                "zip": f"{zip3}{int(rng.integers(100)):02d}",
                "ipv4": fake.ipv4_public(),
                "company": org,
                "msc": m,
            }
        )
    return pd.DataFrame(rows)


def birth_dates(first_start: list[date], fake: Faker, min_age: int, max_age: int) -> list[date]:
    """A birth date per person making them ``min_age``..``max_age`` years old on ``first_start``."""

    def years_before(d: date, years: int) -> date:
        try:
            return d.replace(year=d.year - years)
        except ValueError:  # 29 February
            return d.replace(year=d.year - years, day=28)

    out = []
    for d in first_start:
        lo = years_before(d, max_age + 1)
        lo = lo.fromordinal(lo.toordinal() + 1)
        hi = years_before(d, min_age)
        out.append(fake.date_between(start_date=lo, end_date=hi))
    return out


@dataclass
class Comments:
    """Comments of the genuine respondents.

    Attributes
    ----------
    text
        free-text column -> one text (or None) per genuine respondent.
    mentions
        one record per identifier written into a comment: ``person`` (genuine index), ``column``,
        ``type`` (NAME, EMAIL, PHONE, ORGANIZATION, ADDRESS, LOCATION, URL, ZIP) and ``value`` (the
        text as written).
    topics
        one record per comment: ``person``, ``column``, ``construct``, ``tone``.
    """

    text: dict[str, list[str | None]]
    mentions: list[dict[str, Any]]
    topics: list[dict[str, Any]]


def _sentence_case(opener: str, sentence: str) -> str:
    lower_first = len(sentence) > 1 and (
        sentence[1].islower() or (sentence[1] == " " and sentence[0] != "I")
    )
    if opener and sentence[0].isupper() and lower_first:
        sentence = sentence[0].lower() + sentence[1:]
    return opener + sentence


def _topic(
    e: np.ndarray, helped: bool, com: dict[str, Any], rng: np.random.Generator
) -> tuple[int, str]:
    """A comment's construct (index) and tone: in the "what helped" column the construct where the
    person is highest (with noise), elsewhere a random one, the tone following the person's score."""
    if helped:
        cidx = int(np.argmax(e + rng.gumbel(size=e.size) * float(com["helped_choice_noise"])))
        return cidx, "positive" if e[cidx] > float(com["helped_neutral_below"]) else "neutral"
    cidx = int(rng.integers(e.size))
    if e[cidx] > float(com["positive_above"]):
        return cidx, "positive"
    if e[cidx] < float(com["negative_below"]):
        return cidx, "negative"
    return cidx, "neutral"


def _mention(
    kind: str,
    i: int,
    roster: pd.DataFrame,
    same_msc: list[int],
    com: dict[str, Any],
    rng: np.random.Generator,
) -> tuple[str, str]:
    """The template kind and the value a comment of person ``i`` mentions: a name (own, or a peer's
    of the same MSC, in one of the name forms), an organisation (own or the MSC's) or the person's
    own identifier of that kind."""
    me = roster.iloc[i]
    if kind == "name":
        own = rng.random() < float(com["own_name_share"])
        n = len(roster)
        peers = [j for j in same_msc if j != i] or [j for j in range(n) if j != i]
        who = roster.iloc[i if own else peers[int(rng.integers(len(peers)))]]
        form = _weighted(rng, com["name_forms"])
        value = {
            "full": who["person_name"],
            "first": who["first"],
            "upper": who["person_name"].upper(),
            "lower": who["person_name"].lower(),
        }[form]
        return ("name_own" if own else "name"), value
    if kind == "organisation" and rng.random() >= float(com["own_organisation_share"]):
        pool = sorted({str(roster.iloc[j]["company"]) for j in same_msc})
        return kind, pool[int(rng.integers(len(pool)))]
    return kind, str(me[_MENTION_SOURCE[kind]])


def write_comments(
    model: Model,
    codebook: Codebook,
    eta: np.ndarray,
    roster: pd.DataFrame,
    fake: Faker,
    rng: np.random.Generator,
) -> Comments:
    """Write the free-text comments of the genuine respondents.

    Parameters
    ----------
    eta
        latent scores of the genuine respondents (codebook construct order): a comment's construct
        and tone follow them.
    roster
        :func:`make_roster` rows of the genuine respondents (same order), whose values comments
        mention: every name or organisation a comment names is one of these rows' values, so it is in
        the export's roster columns.
    """
    com = model.comments
    cols = list(codebook.identifiers.free_text)
    constructs = list(codebook.constructs)
    n = eta.shape[0]
    kind_column = {k: c for c, k in model.identifiers["columns"].items()}
    roster_types = codebook.identifiers.roster
    text: dict[str, list[str | None]] = {c: [None] * n for c in cols}
    filled: list[tuple[str, int]] = []
    for c in cols:
        k = int(np.floor(float(com["fill"][c]) * n + 0.5))
        for i in sorted(rng.choice(n, size=k, replace=False).tolist()):
            filled.append((c, i))
    n_id = int(np.floor(float(com["identifier_share"]) * len(filled) + 0.5))
    with_id = set(rng.choice(len(filled), size=n_id, replace=False).tolist()) if filled else set()
    by_msc: dict[int, list[int]] = {}
    for i, m in enumerate(roster["msc"].tolist()):
        by_msc.setdefault(int(m), []).append(i)

    def source_kind(kind: str) -> str | None:
        """The generator kind whose column a mention's value comes from (a name: the full-name
        column, else the first-name column)."""
        src = _MENTION_SOURCE.get(kind)
        if kind == "name" and src not in kind_column and "first_name" in kind_column:
            return "first_name"
        return src

    def mention_type(kind: str) -> str:
        src = source_kind(kind)
        col = kind_column.get(src) if src else None
        if col in roster_types:
            return str(roster_types[col])
        return MENTION_TYPES.get(kind, kind.upper())

    mentions: list[dict[str, Any]] = []
    topics: list[dict[str, Any]] = []
    first_col = cols[0] if cols else None
    for f, (c, i) in enumerate(filled):
        cidx, tone = _topic(eta[i], c == first_col, com, rng)
        options = com["sentences"][constructs[cidx]][tone]
        opener = com["openers"][int(rng.integers(len(com["openers"])))]
        parts = [_sentence_case(opener, options[int(rng.integers(len(options)))])]
        topics.append({"person": i, "column": c, "construct": constructs[cidx], "tone": tone})
        if f in with_id:
            me = roster.iloc[i]
            kinds = dict(com["mention_kinds"])
            for kind in list(kinds):
                if source_kind(kind) not in kind_column:
                    kinds.pop(kind)
            kind = _weighted(rng, kinds)
            template_kind, value = _mention(kind, i, roster, by_msc[int(me["msc"])], com, rng)
            values = {kind: value}
            templates = com["mentions"][template_kind]
            parts.append(templates[int(rng.integers(len(templates)))].format(**values))
            mentions.append({"person": i, "column": c, "type": mention_type(kind), "value": value})
            if rng.random() < float(com["secondary_share"]):
                second = _weighted(rng, com["secondary_kinds"])
                value2 = fake.url() if second == "url" else str(me["zip"])
                templates = com["mentions"][second]
                parts.append(
                    templates[int(rng.integers(len(templates)))].format(**{second: value2})
                )
                mentions.append(
                    {"person": i, "column": c, "type": mention_type(second), "value": value2}
                )
        text[c][i] = " ".join(parts)
    return Comments(text, mentions, topics)
