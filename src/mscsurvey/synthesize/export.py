"""Rendering the survey platform's export: timestamps, text labels, stray whitespace and case, CSV.

Answers are held as integer matrices (rows x items) until here: a code of the item's scale, ``0`` for a
"don't know"-type answer (its label chosen separately) and ``-1`` for a blank cell.
"""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from mscsurvey.codebook.spec import Codebook

__all__ = [
    "DONT_KNOW",
    "BLANK",
    "truncated_lognormal",
    "open_dates",
    "start_times",
    "item_labels",
    "label_noise",
    "to_csv_text",
]

DONT_KNOW = 0
BLANK = -1
TIMESTAMP = "%Y-%m-%d %H:%M:%S"


def truncated_lognormal(
    rng: np.random.Generator, n: int, median: float, sigma: float, lower: float
) -> np.ndarray:
    """``n`` draws of a lognormal (``median``, ``sigma``) truncated below at ``lower`` (inverse CDF)."""
    lo = ndtr(np.log(lower / median) / sigma)
    u = lo + (1 - lo) * rng.random(n)
    u = np.clip(u, lo + 1e-12, 1 - 1e-12)
    return median * np.exp(sigma * ndtri(u))


def open_dates(rng: np.random.Generator, n_msc: int, start: date, last: date) -> list[date]:
    """The day each MSC opened its survey, uniform between ``start`` and ``last``."""
    span = (last - start).days
    return [start + timedelta(days=int(d)) for d in rng.integers(0, span + 1, size=n_msc)]


def start_times(
    rng: np.random.Generator,
    opens: list[date],
    msc: np.ndarray,
    *,
    window_days: int,
    mean_delay_days: float,
    hour_weights: dict[int, float],
) -> list[datetime]:
    """Start timestamps: the MSC's opening day + an exponential delay truncated to the window, at a
    working-hours-weighted hour and a uniform minute and second."""
    n = msc.size
    cap = 1 - np.exp(-window_days / mean_delay_days)
    delay = -mean_delay_days * np.log(1 - cap * rng.random(n))
    days = np.minimum(np.floor(delay).astype(int), window_days - 1)
    hours = np.array(sorted(hour_weights))
    p = np.array([hour_weights[h] for h in hours], dtype=float)
    hour = hours[rng.choice(hours.size, size=n, p=p / p.sum())]
    minute = rng.integers(0, 60, size=n)
    second = rng.integers(0, 60, size=n)
    return [
        datetime.combine(opens[int(msc[i])], datetime.min.time())
        + timedelta(
            days=int(days[i]), hours=int(hour[i]), minutes=int(minute[i]), seconds=int(second[i])
        )
        for i in range(n)
    ]


def item_labels(
    answers: np.ndarray, dk_label: np.ndarray, codebook: Codebook
) -> dict[str, np.ndarray]:
    """Text of every item cell: the scale's label of a code, the chosen missing label of a "don't
    know" (``dk_label`` indexes the scale's ``missing`` labels) or ``""`` for a blank."""
    out = {}
    for j, (iid, item) in enumerate(codebook.items.items()):
        sc = codebook.scales[item.scale]
        col = np.full(answers.shape[0], "", dtype=object)
        a = answers[:, j]
        for code, label in sc.codes.items():
            col[a == code] = label
        if sc.missing:
            missing = np.array(sc.missing, dtype=object)
            dk = a == DONT_KNOW
            col[dk] = missing[np.clip(dk_label[dk, j], 0, len(sc.missing) - 1)]
        out[iid] = col
    return out


_KINDS = ("leading_space", "trailing_space", "lower", "upper")


def _mess_up(value: str, kind: str) -> str:
    if kind == "leading_space":
        return " " + value
    if kind == "trailing_space":
        return value + " "
    if kind == "lower":
        return value.lower()
    return value.upper()


def label_noise(
    frame: pd.DataFrame,
    columns: list[str],
    share: float,
    kinds: dict[str, float],
    rng: np.random.Generator,
) -> list[dict[str, object]]:
    """Add stray whitespace or case to ``share`` of the non-blank cells of ``columns`` (exact count,
    in place). A change that would leave the text as it was (``upper`` of "CA") takes the next kind.

    Returns
    -------
    list of dict
        ``index`` (frame row position), ``column``, ``kind`` of every changed cell.
    """
    cells = [
        (r, c)
        for c in columns
        for r in np.flatnonzero(frame[c].to_numpy(dtype=object) != "").tolist()
    ]
    k = int(np.floor(share * len(cells) + 0.5))
    names = list(kinds)
    p = np.array([kinds[x] for x in names], dtype=float)
    picked = sorted(rng.choice(len(cells), size=k, replace=False).tolist()) if k else []
    chosen = rng.choice(len(names), size=len(picked), p=p / p.sum())
    out = []
    col_pos = {c: frame.columns.get_loc(c) for c in columns}
    for idx, kind_i in zip(picked, chosen, strict=True):
        r, c = cells[idx]
        value = str(frame.iat[r, col_pos[c]])
        order = [names[kind_i]] + [x for x in _KINDS if x != names[kind_i]]
        for kind in order:
            new = _mess_up(value, kind)
            if new != value:
                break
        frame.iat[r, col_pos[c]] = new
        out.append({"index": r, "column": c, "kind": kind})
    return out


def to_csv_text(frame: pd.DataFrame) -> str:
    """The export as CSV text: UTF-8, header row, ``\\n`` line ends, blanks as empty fields."""
    buf = io.StringIO()
    frame.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue()
