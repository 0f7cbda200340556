"""Item agreement: "% agreed" per item with a Wilson interval, the full response distribution, and the
comparison with a study's published percentages.

The clean stage stores every item **reverse-keyed** (higher = more of the construct). "% agreed with the
statement as worded" is about the answer as given, so reverse-keyed items are un-keyed first
(``as answered = min + max - keyed``) before the scale's ``agree`` codes are counted.

Item-level percentages do not depend on a construct's reliability: the reliability gate (which leaves
unreliable construct *scores* out of the subgroup and regression analyses) does not remove items here.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from mscsurvey import contracts
from mscsurvey.codebook.spec import Codebook
from mscsurvey.errors import SurveyError
from mscsurvey.stats.comparisons import check_level

__all__ = [
    "AGREEMENT_COLUMNS",
    "DISTRIBUTION_COLUMNS",
    "PUBLISHED_COLUMNS",
    "COMPARISON_COLUMNS",
    "input_columns",
    "as_answered",
    "wilson_ci",
    "item_agreement",
    "agreement_distribution",
    "read_published",
    "compare_published",
    "empty_comparison",
]

log = logging.getLogger(__name__)

AGREEMENT_COLUMNS = contracts.AGREEMENT.columns
DISTRIBUTION_COLUMNS = contracts.AGREEMENT_DISTRIBUTION.columns
#: Columns a published-findings CSV must have (``source`` and others are optional).
PUBLISHED_COLUMNS = ["item", "construct", "published_pct", "published_n", "statement"]
COMPARISON_COLUMNS = contracts.PUBLISHED_VS_REPRODUCED.columns


def as_answered(keyed: pd.Series, codebook: Codebook, item: str) -> pd.Series:
    """The code as the respondent gave it: un-key a reverse-keyed item (``min + max - keyed``).

    Parameters
    ----------
    keyed : pandas.Series
        The item's reverse-keyed codes (nullable integers) from the clean stage.
    codebook : Codebook
        The study's codebook.
    item : str
        The item id.

    Returns
    -------
    pandas.Series
        Nullable ``Int16`` codes on the scale's own orientation.
    """
    if item not in codebook.items:
        raise KeyError(f"item '{item}' is not in the codebook (items: {', '.join(codebook.items)})")
    scale = codebook.scale_of(item)
    s = keyed.astype("Int16")
    if codebook.items[item].reverse:
        s = (scale.min + scale.max - s).astype("Int16")
    return s


def wilson_ci(count: int, n: int, *, ci_level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion, in percent.

    Parameters
    ----------
    count : int
        Successes (respondents in the agree codes).
    n : int
        Trials (respondents answering the item).
    ci_level : float, keyword-only
        Confidence level.

    Returns
    -------
    (float, float)
        Lower and upper bound in percent; ``(nan, nan)`` when ``n == 0``.

    Notes
    -----
    With :math:`\\hat p = k/n` and :math:`z = \\Phi^{-1}(1 - \\alpha/2)`:

    .. math::

        \\frac{\\hat p + z^2/2n \\pm z\\sqrt{\\hat p(1-\\hat p)/n + z^2/4n^2}}{1 + z^2/n}

    computed by ``statsmodels.stats.proportion.proportion_confint(method="wilson")``.

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference.
    *JASA*, 22(158), 209-212.

    Examples
    --------
    >>> low, high = wilson_ci(457, 471)
    >>> round(low, 2), round(high, 2)
    (95.07, 98.22)
    """
    check_level(ci_level)
    if n < 0 or count < 0 or count > n:
        raise ValueError(f"need 0 <= count <= n, got count={count!r}, n={n!r}")
    if n == 0:
        return float("nan"), float("nan")
    low, high = proportion_confint(count, n, alpha=1 - ci_level, method="wilson")
    return 100.0 * float(low), 100.0 * float(high)


def input_columns(codebook: Codebook) -> list[str]:
    """The clean responses' columns the agreement stage reads (for column projection): the items."""
    return list(codebook.items)


def _items(responses: pd.DataFrame, codebook: Codebook) -> list[str]:
    missing = [i for i in codebook.items if i not in responses.columns]
    if missing:
        raise SurveyError(
            f"the responses lack item column(s) {', '.join(missing)} that the codebook lists "
            "(expected the clean stage's output)"
        )
    return list(codebook.items)


def item_agreement(
    responses: pd.DataFrame, codebook: Codebook, *, ci_level: float = 0.95, min_n: int = 1
) -> pd.DataFrame:
    """ "% agreed" (or "% a lot") per item with a Wilson confidence interval.

    Parameters
    ----------
    responses : pandas.DataFrame
        The clean stage's responses: one nullable integer column per item, reverse-keyed.
    codebook : Codebook
        The study's codebook (scales' ``agree`` codes, item texts).
    ci_level : float, keyword-only
        Confidence level of the Wilson interval.
    min_n : int, keyword-only
        Minimum respondents behind a published number (config ``analyses.min_group_n``): an item
        answered by fewer has its ``n_agree``, ``pct_agree`` and interval missing, ``suppressed``
        true and ``note`` "n < min_n" (``n`` is kept for the record; the brief does not show it).

    Returns
    -------
    pandas.DataFrame
        One row per item, in codebook order, with columns ``item``, ``construct``, ``scale``,
        ``agree_label`` (the scale's wording, e.g. "agreed"), ``short``, ``text``, ``reverse``,
        ``n`` (respondents answering, "don't know" excluded), ``n_agree`` (answers in the scale's
        ``agree`` codes, as answered), ``pct_agree`` (100 n_agree / n), ``ci_low``, ``ci_high``
        (Wilson interval, percent), ``ci_level``, ``n_missing`` (rows without an answer: "don't know",
        not applicable, skipped or not shown).

    Notes
    -----
    The agree codes refer to the statement as worded, so reverse-keyed items are un-keyed first
    (:func:`as_answered`). An item nobody answered has ``n = 0`` and missing percentages.
    """
    check_level(ci_level)
    rows = []
    for iid in _items(responses, codebook):
        item = codebook.items[iid]
        scale = codebook.scales[item.scale]
        x = as_answered(responses[iid], codebook, iid)
        answered = x.dropna()
        n = int(answered.size)
        k = int(answered.isin(scale.agree).sum())
        low, high = wilson_ci(k, n, ci_level=ci_level)
        small = 0 < n < min_n
        if small:
            low = high = float("nan")
        rows.append(
            {
                "item": iid,
                "construct": item.construct,
                "scale": item.scale,
                "agree_label": scale.agree_label,
                "short": item.short,
                "text": item.text,
                "reverse": bool(item.reverse),
                "n": n,
                "n_agree": pd.NA if small else k,
                "pct_agree": 100.0 * k / n if n and not small else float("nan"),
                "ci_low": low,
                "ci_high": high,
                "ci_level": float(ci_level),
                "n_missing": int(len(x) - n),
                "suppressed": small,
                "note": f"n < {min_n}" if small else "",
            }
        )
    out = pd.DataFrame(rows, columns=AGREEMENT_COLUMNS)
    return out.astype(
        {"n": "int64", "n_agree": "Int64", "n_missing": "int64", "suppressed": bool, "note": str}
    )


def agreement_distribution(
    responses: pd.DataFrame, codebook: Codebook, *, min_n: int = 1
) -> pd.DataFrame:
    """The full response distribution of every item, as answered (for diverging bar charts).

    Parameters
    ----------
    responses : pandas.DataFrame
        The clean stage's responses (reverse-keyed item codes).
    codebook : Codebook
        The study's codebook.

    Returns
    -------
    pandas.DataFrame
        One row per item and code of its scale (codes with no answers included, n = 0): ``item``,
        ``construct``, ``scale``, ``code``, ``label`` (the scale's label of the code), ``agree``
        (whether the code counts as agreement), ``n``, ``pct`` (percent of ``n_answering``),
        ``n_answering``, ``suppressed``. "Don't know" is not a code: it is left out, as in
        ``pct_agree``. An item answered by fewer than ``min_n`` respondents has its ``n`` and
        ``pct`` missing and ``suppressed`` true.
    """
    rows = []
    for iid in _items(responses, codebook):
        item = codebook.items[iid]
        scale = codebook.scales[item.scale]
        x = as_answered(responses[iid], codebook, iid).dropna()
        counts = x.value_counts()
        total = int(x.size)
        small = 0 < total < min_n
        for code, label in scale.codes.items():
            n = pd.NA if small else int(counts.get(code, 0))
            rows.append(
                {
                    "item": iid,
                    "construct": item.construct,
                    "scale": item.scale,
                    "code": int(code),
                    "label": label,
                    "agree": code in scale.agree,
                    "n": n,
                    "pct": 100.0 * n / total if total and not small else float("nan"),
                    "n_answering": total,
                    "suppressed": small,
                }
            )
    out = pd.DataFrame(rows, columns=DISTRIBUTION_COLUMNS)
    return out.astype({"code": "int64", "n": "Int64", "n_answering": "int64", "suppressed": bool})


def read_published(path: str | Path, codebook: Codebook) -> pd.DataFrame:
    """Read a published-findings CSV (one row per item) and check it against the codebook.

    Parameters
    ----------
    path : str or Path
        CSV with at least ``item``, ``construct``, ``published_pct`` (percent), ``published_n``,
        ``statement``.
    codebook : Codebook
        The codebook whose items the file must name.

    Returns
    -------
    pandas.DataFrame
        The file's rows, ``published_pct`` as float and ``published_n`` as int.

    Raises
    ------
    SurveyError
        A missing column, an item the codebook does not define, a construct that is not the item's,
        a duplicated item, or a percentage outside 0-100 (naming the file and the row).
    """
    path = str(path)
    try:
        df = pd.read_csv(path, dtype={"item": str, "construct": str, "statement": str})
    except FileNotFoundError:
        raise SurveyError(
            "does not exist (expected the published findings CSV)", file=path
        ) from None
    lacking = [c for c in PUBLISHED_COLUMNS if c not in df.columns]
    if lacking:
        raise SurveyError(
            f"lacks column(s) {', '.join(lacking)} (expected at least {', '.join(PUBLISHED_COLUMNS)})",
            file=path,
        )
    for pos, rec in enumerate(df.to_dict("records")):
        row = pos + 2  # header is row 1
        iid = rec["item"]
        if iid not in codebook.items:
            raise SurveyError(
                f"item '{iid}' is not in the codebook {codebook.path}",
                file=path,
                row=row,
                column="item",
            )
        if rec["construct"] != codebook.items[iid].construct:
            raise SurveyError(
                f"construct '{rec['construct']}' is not item {iid}'s construct in the codebook "
                f"('{codebook.items[iid].construct}')",
                file=path,
                row=row,
                column="construct",
            )
        pct = pd.to_numeric(rec["published_pct"], errors="coerce")
        if not (pd.notna(pct) and 0 <= pct <= 100):
            raise SurveyError(
                f"'{rec['published_pct']}' is not a percentage between 0 and 100",
                file=path,
                row=row,
                column="published_pct",
            )
        n = pd.to_numeric(rec["published_n"], errors="coerce")
        if not (pd.notna(n) and float(n).is_integer() and n >= 0):
            raise SurveyError(
                f"'{rec['published_n']}' is not a whole number of respondents",
                file=path,
                row=row,
                column="published_n",
            )
    dup = df["item"][df["item"].duplicated()]
    if len(dup):
        raise SurveyError(f"item '{dup.iloc[0]}' is listed twice", file=path, column="item")
    return df.astype({"published_pct": "float64", "published_n": "int64"})


def empty_comparison() -> pd.DataFrame:
    """The published-vs-reproduced table with no rows (a dataset without published findings)."""
    return pd.DataFrame(
        {
            "item": pd.Series(dtype="str"),
            "construct": pd.Series(dtype="str"),
            "statement": pd.Series(dtype="str"),
            "published_pct": pd.Series(dtype="float64"),
            "published_n": pd.Series(dtype="int64"),
            "reproduced_pct": pd.Series(dtype="float64"),
            "ci_low": pd.Series(dtype="float64"),
            "ci_high": pd.Series(dtype="float64"),
            "pct_difference": pd.Series(dtype="float64"),
            "reproduced_n": pd.Series(dtype="int64"),
            "n_difference": pd.Series(dtype="int64"),
            "ci_contains_published": pd.Series(dtype="bool"),
        },
        columns=COMPARISON_COLUMNS,
    )


def compare_published(agreement: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    """Set each published percentage beside the reproduced one and its confidence interval.

    Parameters
    ----------
    agreement : pandas.DataFrame
        Output of :func:`item_agreement`.
    published : pandas.DataFrame
        Output of :func:`read_published` (``item``, ``construct``, ``statement``, ``published_pct``,
        ``published_n``).

    Returns
    -------
    pandas.DataFrame
        One row per published item, in the file's order: ``item``, ``construct``, ``statement``,
        ``published_pct``, ``published_n``, ``reproduced_pct``, ``ci_low``, ``ci_high`` (the
        reproduced Wilson interval), ``pct_difference`` (reproduced - published, points),
        ``reproduced_n``, ``n_difference`` (reproduced - published), ``ci_contains_published``.

    Raises
    ------
    KeyError
        A published item absent from ``agreement``.

    Notes
    -----
    Published percentages are rounded to whole numbers; the interval check compares the rounded value
    with the unrounded interval.
    """
    if published.empty:
        return empty_comparison()
    lacking = [c for c in PUBLISHED_COLUMNS if c not in published.columns]
    if lacking:
        raise KeyError(f"published lacks column(s) {', '.join(lacking)}")
    unknown = sorted(set(published["item"]) - set(agreement["item"]))
    if unknown:
        raise KeyError(
            f"published item(s) {', '.join(unknown)} are not in the agreement table "
            f"(it has {', '.join(agreement['item'])})"
        )
    a = agreement.set_index("item")
    p = published.reset_index(drop=True)
    rep = a.loc[p["item"]]
    out = pd.DataFrame(
        {
            "item": p["item"].astype(str).to_numpy(),
            "construct": p["construct"].astype(str).to_numpy(),
            "statement": p["statement"].astype(str).to_numpy(),
            "published_pct": p["published_pct"].astype(float).to_numpy(),
            "published_n": p["published_n"].astype("int64").to_numpy(),
            "reproduced_pct": rep["pct_agree"].to_numpy(dtype=float),
            "ci_low": rep["ci_low"].to_numpy(dtype=float),
            "ci_high": rep["ci_high"].to_numpy(dtype=float),
            "reproduced_n": rep["n"].to_numpy(dtype="int64"),
        }
    )
    out["pct_difference"] = out["reproduced_pct"] - out["published_pct"]
    out["n_difference"] = out["reproduced_n"] - out["published_n"]
    out["ci_contains_published"] = np.asarray(
        (out["ci_low"] <= out["published_pct"]) & (out["published_pct"] <= out["ci_high"]),
        dtype=bool,
    )
    missed = out.loc[~out["ci_contains_published"], "item"].tolist()
    if missed:
        log.warning("published %% outside the reproduced interval for: %s", ", ".join(missed))
    return out[COMPARISON_COLUMNS]
