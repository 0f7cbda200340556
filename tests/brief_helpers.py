"""Small hand-made tables in the formats of the scales and analyses stages, for the figure and brief
tests (the mini codebook's constructs ``alpha`` and ``beta``, groups ``colour`` and ``size``)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def agreement_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "item": ["a1", "a2", "a3", "b1", "b2"],
            "construct": ["alpha", "alpha", "alpha", "beta", "beta"],
            "agree_label": ["agreed"] * 3 + ["said yes"] * 2,
            "short": ["First", "Second", "Third", "Yes/no one", "Yes/no two"],
            "text": ["First statement."] * 5,
            "reverse": [False, True, False, False, False],
            "n": [40, 38, 0, 20, 22],
            "n_agree": [30, 19, 0, 15, 11],
            "pct_agree": [75.0, 50.0, np.nan, 75.0, 50.0],
            "ci_low": [60.0, 34.0, np.nan, 53.0, 30.0],
            "ci_high": [86.0, 66.0, np.nan, 89.0, 70.0],
            "ci_level": 0.95,
        }
    )


def distribution_table() -> pd.DataFrame:
    rows = []
    for item, counts in {"a1": [2, 3, 5, 20, 10], "a2": [4, 6, 9, 12, 7]}.items():
        n = sum(counts)
        for code, (label, k) in enumerate(
            zip(["SD", "D", "N", "A", "SA"], counts, strict=True), start=1
        ):
            rows.append(
                {
                    "item": item,
                    "construct": "alpha",
                    "code": code,
                    "label": label,
                    "agree": code >= 4,
                    "n": k,
                    "pct": 100 * k / n,
                    "n_answering": n,
                }
            )
    for item, counts in {"b1": [5, 15], "b2": [11, 11]}.items():
        for code, (label, k) in enumerate(zip(["No", "Yes"], counts, strict=True)):
            rows.append(
                {
                    "item": item,
                    "construct": "beta",
                    "code": code,
                    "label": label,
                    "agree": code == 1,
                    "n": k,
                    "pct": 100 * k / sum(counts),
                    "n_answering": sum(counts),
                }
            )
    return pd.DataFrame(rows)


def subgroup_table(construct: str = "alpha") -> pd.DataFrame:
    """colour: Red and Green reported, Blue suppressed (n < 10); size: both reported."""
    nan = np.nan
    return pd.DataFrame(
        {
            "construct": construct,
            "group": ["colour", "colour", "colour", "size", "size"],
            "category": ["Red", "Green", "Blue", "Small", "Large"],
            "category_order": [0, 1, 2, 0, 1],
            "level": ["respondent"] * 3 + ["cluster"] * 2,
            "mean": [3.9, 3.2, nan, 3.4, 3.7],
            "ci_low": [3.6, 2.9, nan, 3.1, 3.4],
            "ci_high": [4.2, 3.5, nan, 3.7, 4.0],
            "n": pd.array([20, 25, pd.NA, 24, 21], dtype="Int64"),
            "suppressed": [False, False, True, False, False],
            "note": ["", "", "n < 10", "", ""],
            "mean_rest": [3.2, 3.9, nan, 3.7, 3.4],
            "n_rest": pd.array([25, 20, pd.NA, 21, 24], dtype="Int64"),
            "diff_vs_rest": [0.7, -0.7, nan, -0.3, 0.3],
            "hedges_g": [0.8, -0.8, nan, -0.3, 0.3],
            "p_holm": [0.01, 0.01, nan, 0.4, 0.4],
            "ci_level": 0.95,
        }
    )


def group_tests(construct: str = "alpha") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "construct": construct,
            "group": ["colour", "size"],
            "level": ["respondent", "cluster"],
            "welch_p_holm": [0.004, 0.3],
            "mixed_p_holm": [np.nan, 0.5],
        }
    )


def regression_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "model": "m",
            "outcome": "alpha",
            "term": ["Intercept", "beta", "size", "colour[Green]", "colour[Blue]"],
            "predictor": [None, "beta", "size", "colour", "colour"],
            "coding": [
                "intercept",
                "standardised score",
                "linear score 1..k, z-scored",
                "dummy vs reference",
                "dummy vs reference",
            ],
            "reference": [None, None, None, "Red", "Red"],
            "estimate": [0.0, 0.45, -0.1, -0.3, 0.2],
            "ci_low": [-0.1, 0.3, -0.3, -0.55, -0.1],
            "ci_high": [0.1, 0.6, 0.1, -0.05, 0.5],
            "p": [0.9, 0.001, 0.3, 0.02, 0.2],
            "n": pd.array([45] * 5, dtype="Int64"),
            "n_clusters": pd.array([6] * 5, dtype="Int64"),
            "r2": 0.41,
            "ci_level": 0.95,
            "status": "estimated",
            "note": "",
        }
    )


def importance_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "model": "m",
            "outcome": "alpha",
            "predictor": ["beta", "colour", "size"],
            "label": ["Beta", "Colour", "Size"],
            "general_dominance": [0.25, 0.12, 0.04],
            "share": [0.61, 0.29, 0.10],
            "rank": [1, 2, 3],
        }
    )


def reliability_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "construct": ["alpha", "beta"],
            "label": ["Alpha", "Beta"],
            "n_items": [3, 2],
            "n_complete": [40, 20],
            "alpha": [0.82, 0.55],
            "alpha_ci_low": [0.74, 0.31],
            "alpha_ci_high": [0.88, 0.71],
            "omega_total": [0.84, np.nan],
            "status": ["ok", "failed"],
            "included": [True, True],
            "reason": ["", ""],
        }
    )


def published_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "item": ["a1", "b1"],
            "construct": ["alpha", "beta"],
            "statement": ["they agree with the first", "they say yes"],
            "published_pct": [77.0, 90.0],
            "published_n": [41, 20],
            "reproduced_pct": [75.0, 75.0],
            "ci_low": [60.0, 53.0],
            "ci_high": [86.0, 89.0],
            "reproduced_n": [40, 20],
            "n_difference": [-1, 0],
            "ci_contains_published": [True, False],
        }
    )


def drivers_table() -> pd.DataFrame:
    sentence = "alpha is most strongly associated with beta (+), colour and size (-)."
    return pd.DataFrame(
        {
            "model": "m",
            "outcome": "alpha",
            "rank": pd.array([1, 2, 3], dtype="Int64"),
            "predictor": ["beta", "colour", "size"],
            "label": ["beta", "colour", "size"],
            "general_dominance": [0.25, 0.12, 0.04],
            "share": [0.61, 0.29, 0.10],
            "direction": ["+", "categorical", "-"],
            "detail": [
                "standardised coefficient +0.45",
                "highest Blue (+0.20 SD), lowest Green (-0.30 SD) vs Red",
                "standardised coefficient -0.10",
            ],
            "sentence": sentence,
        }
    )


def quote_codebook(mini_codebook_dict: dict) -> dict:
    """The mini codebook with free-text columns, a pseudonym column and quote keywords."""
    import copy

    cb = copy.deepcopy(mini_codebook_dict)
    cb["constructs"]["alpha"]["keywords"] = ["first", "statement"]
    cb["constructs"]["beta"]["keywords"] = ["yes"]
    cb["identifiers"]["pseudonym"] = "pid"
    cb["identifiers"]["free_text"] = ["comment"]
    return cb


def quote_responses() -> pd.DataFrame:
    """Twelve respondents; with k = 3 the (Blue, Small) cell (2 people) and the respondent without
    a colour must never be quoted."""
    rows = [
        # pid, colour, size, comment
        ("p01", "Red", "Small", "The first statement says it all for me."),
        ("p02", "Red", "Small", "I think the first meeting set the tone."),
        ("p03", "Red", "Small", "I first met [NAME] at the statement workshop and it went well."),
        ("p04", "Red", "Small", "[NAME] [EMAIL] [PHONE] first [URL]"),
        ("p05", "Green", "Large", "Yes, the yes votes carried the day in the end."),
        ("p06", "Green", "Large", "Our first statement of intent still guides us."),
        ("p07", "Green", "Large", None),
        ("p08", "Blue", "Small", "The first statement matters most to the small group I lead."),
        ("p09", "Blue", "Small", "Yes, yes and yes again from the small group."),
        ("p10", None, "Large", "My first statement would be: keep going together."),
        ("p11", "Red", "Large", "Only one of us here, first statement fan."),
        ("p12", "Green", "Small", "Too short"),
    ]
    df = pd.DataFrame(rows, columns=["pid", "colour", "size", "comment"])
    df["colour"] = pd.Categorical(df["colour"], categories=["Red", "Green", "Blue"])
    df["size"] = pd.Categorical(df["size"], categories=["Small", "Large"])
    df["site"] = ["s1", "s1", "s2", "s2", "s3", "s3", "s3", "s4", "s4", "s5", "s5", "s6"]
    return df


def scores_table() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    df = quote_responses()[["pid", "site", "colour", "size"]]
    return df.assign(alpha=rng.uniform(1, 5, len(df)), beta=rng.uniform(0, 1, len(df)))


def validation_report() -> dict:
    return {
        "received": 15,
        "analysed": 12,
        "excluded": {"duplicate": 1, "speeder": 2},
        "flow": [
            {"step": "received", "n": 15},
            {"step": "excluded: duplicate", "n": 1, "remaining": 14},
            {"step": "excluded: speeder", "n": 2, "remaining": 12},
            {"step": "analysed", "n": 12},
        ],
    }


def deid_report() -> dict:
    return {
        "columns_dropped": ["name", "email"],
        "generalised": {"birth_date": "age band 'age_band' (18-29, 30-39)", "zip": "dropped"},
        "k_anonymity": {
            "k_requested": 3,
            "k_achieved": 3,
            "quasi_identifiers": ["colour", "age_band"],
            "suppressions_total": 4,
            "records_fully_suppressed": 1,
        },
        "free_text": {
            "comments": 11,
            "comments_scrubbed": 2,
            "placeholders": {"NAME": 2, "EMAIL": 1, "PHONE": 1, "URL": 1},
        },
    }


#: Phrases of the default study's frame (an MSC survey with clinics as clusters, published findings,
#: driver models, comments and timings): a brief of a study without those must contain none of them.
FRAME_PHRASES = (
    "clustered by",
    "random intercept per",
    "published findings",
    "Published vs reproduced",
    "Input: published",
    "What drives",
    "Quotes are",
    "respondents' own comments",
    "completed too fast",
    "0 free-text comments",
    "agreement categories",
    "% agreed",
    "disagreement (the low end",
    "Who perceives what",
    "Direct identifiers were removed",
    "TODO",
    "MSC",
)
