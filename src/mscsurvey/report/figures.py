"""Figures of the brief: pure drawing functions (tidy frame in, matplotlib Figure out) and one saver.

Computing and drawing are separate: every function here takes the tables the analyses stage wrote and
draws them; none reads a file or computes a statistic beyond arranging rows (ordering, splitting a
Likert scale around its agreement boundary, the overall mean of a group from its two halves). Titles
state the finding and are computed from the same rows, so a title never disagrees with its chart.

One style for every chart (:class:`FigureStyle`, from the config's ``figures:`` block): a
colour-blind-safe palette (Okabe–Ito, or ColorBrewer's RdBu/Dark2), one font size, one width. Colour is
never the only cue: statuses also differ by marker shape, the Likert bars carry their labels in a legend
in scale order, and non-significant driver terms are hollow.

Files are deterministic: :func:`save_figure` writes PNG and SVG with fixed metadata (no date, no software
version), a fixed SVG hash salt and text kept as text (``svg.fonttype: none``), so the same tables give
byte-identical files.

Example
-------
>>> style = FigureStyle()
>>> fig = reliability_figure(reliability, thresholds={"ok": 0.7, "weak": 0.6}, style=style)
>>> save_figure(fig, "results/figures/reliability", dpi=style.dpi)  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import math
import os
import textwrap
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.colors import to_hex, to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from mscsurvey.codebook.spec import Codebook
from mscsurvey.io import atomic_path, write_json
from mscsurvey.report import phrasing
from mscsurvey.report.figure_index import FIGURE_KINDS, FIGURE_PARTS, atomic_dir, part_tables, shard

__all__ = [
    "FigureStyle",
    "Palette",
    "PALETTES",
    "style_context",
    "likert_sides",
    "likert_title",
    "likert_figure",
    "likert_parts",
    "MAX_LIKERT_ROWS",
    "LIKERT_PART_ROWS",
    "subgroup_title",
    "subgroup_figure",
    "driver_title",
    "driver_figure",
    "reliability_title",
    "reliability_figure",
    "published_title",
    "published_figure",
    "save_figure",
    "build_figures",
    "build_figure_part",
]

MISSING = "–"


@dataclass(frozen=True)
class Palette:
    """Colours of one named palette.

    ``disagree`` and ``agree`` are the strong (far from the centre) and light (near the centre) ends of
    the two halves of a diverging Likert scale; ``neutral`` is the middle category. ``accent`` marks
    estimates, ``contrast`` a second series (published values), ``muted`` reference lines and
    non-significant terms; ``status`` colours reliability ok/weak/failed markers, ``status_text`` the
    same statuses as text (darker shades: every text colour has at least 4.5:1 contrast on white,
    WCAG AA; the amber marker colour is 2.25:1).
    """

    name: str
    disagree: tuple[str, str]
    agree: tuple[str, str]
    neutral: str
    accent: str
    contrast: str
    negative: str
    muted: str
    status: Mapping[str, str]
    status_text: Mapping[str, str]


# Okabe & Ito (2008) colour-universal design; ColorBrewer RdBu (diverging) and Dark2 (qualitative).
PALETTES: dict[str, Palette] = {
    "okabe-ito": Palette(
        name="okabe-ito",
        disagree=("#D55E00", "#F2C48D"),
        agree=("#0072B2", "#9FD3F2"),
        neutral="#CFCFCF",
        accent="#0072B2",
        contrast="#D55E00",
        negative="#D55E00",
        muted="#6E6E6E",
        status={"ok": "#009E73", "weak": "#E69F00", "failed": "#D55E00"},
        status_text={"ok": "#222222", "weak": "#8A5A00", "failed": "#A13F00"},
    ),
    "colorbrewer": Palette(
        name="colorbrewer",
        disagree=("#CA0020", "#F4A582"),
        agree=("#0571B0", "#92C5DE"),
        neutral="#D9D9D9",
        accent="#0571B0",
        contrast="#CA0020",
        negative="#CA0020",
        muted="#6E6E6E",
        status={"ok": "#1B9E77", "weak": "#D95F02", "failed": "#E7298A"},
        status_text={"ok": "#222222", "weak": "#A34700", "failed": "#B0126A"},
    ),
}

STATUS_MARKERS = {"ok": "o", "weak": "s", "failed": "X"}


@dataclass(frozen=True)
class FigureStyle:
    """The look of every figure (the config's ``figures:`` block).

    Parameters
    ----------
    dpi : int
        Resolution of the PNG files.
    width : float
        Figure width in inches (the brief's text width is about 6.5 in on A4).
    palette : str
        A key of :data:`PALETTES`.
    font_size : float
        Base font size in points; titles are 1.5 pt larger, notes 1 pt smaller.
    notice : str
        A line every figure carries in its lower right corner (e.g. that the data are synthetic,
        so a figure copied out of the brief still says so); empty for none.
    """

    dpi: int = 200
    width: float = 7.0
    palette: str = "okabe-ito"
    font_size: float = 9.0
    notice: str = ""

    def __post_init__(self) -> None:
        if self.palette not in PALETTES:
            raise ValueError(f"palette must be one of {', '.join(PALETTES)}, got {self.palette!r}")
        if self.dpi < 50 or self.width <= 0 or self.font_size <= 0:
            raise ValueError(
                f"dpi, width and font_size must be positive (got {self.dpi}, {self.width}, "
                f"{self.font_size})"
            )

    @property
    def colours(self) -> Palette:
        return PALETTES[self.palette]

    @classmethod
    def from_config(cls, settings: Mapping[str, Any] | None, *, notice: str = "") -> FigureStyle:
        """Build from the config's ``figures:`` block (missing keys take the defaults)."""
        settings = dict(settings or {})
        return cls(
            dpi=int(settings.get("dpi", cls.dpi)),
            width=float(settings.get("width", cls.width)),
            palette=str(settings.get("palette", cls.palette)),
            font_size=float(settings.get("font_size", cls.font_size)),
            notice=notice,
        )

    def wrap(self, text: str, share: float = 1.0, size: float | None = None) -> str:
        """Wrap ``text`` to fit ``share`` of the figure width at font ``size``."""
        size = size or self.font_size
        chars = max(12, int(share * self.width * 72 / (0.6 * size)))
        return "\n".join(textwrap.wrap(text, chars, break_on_hyphens=False)) or text


def _rc(style: FigureStyle) -> dict[str, Any]:
    fs = style.font_size
    return {
        "font.family": ["DejaVu Sans"],
        "font.size": fs,
        "axes.titlesize": fs + 0.5,
        "axes.titleweight": "bold",
        "axes.titlelocation": "left",
        "axes.labelsize": fs,
        "axes.edgecolor": "#4D4D4D",
        "axes.linewidth": 0.6,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "xtick.labelsize": fs - 0.5,
        "ytick.labelsize": fs - 0.5,
        "xtick.color": "#333333",
        "ytick.color": "#333333",
        "xtick.major.width": 0.6,
        "ytick.major.width": 0.6,
        "legend.fontsize": fs - 0.5,
        "legend.frameon": False,
        "figure.titlesize": fs + 1.5,
        "figure.titleweight": "bold",
        "figure.facecolor": "white",
        "savefig.facecolor": "white",
        "svg.fonttype": "none",
        "svg.hashsalt": "mscsurvey",
        "svg.id": "figure",
        "path.simplify": True,
        "text.parse_math": False,
        "hatch.linewidth": 0.6,
    }


@contextlib.contextmanager
def style_context(style: FigureStyle) -> Iterator[None]:
    """Matplotlib settings of every figure (fonts, sizes, deterministic SVG) for the block."""
    with mpl.rc_context(_rc(style)):
        yield


def _new_figure(style: FigureStyle, height: float) -> Figure:
    with style_context(style):
        return Figure(figsize=(style.width, max(1.6, height)), layout="constrained")


def _suptitle(fig: Figure, style: FigureStyle, title: str, subtitle: str | None = None) -> None:
    text = style.wrap(title, 0.98, style.font_size + 1.5)
    if subtitle:
        text += "\n" + style.wrap(subtitle, 0.98, style.font_size)
    fig.suptitle(text, x=0.01, ha="left", fontsize=style.font_size + 1.5, fontweight="bold")


def _pct(value: float) -> str:
    return MISSING if value is None or not math.isfinite(value) else f"{value:.0f}%"


def _num(value: float, digits: int = 2) -> str:
    return MISSING if value is None or not math.isfinite(value) else f"{value:.{digits}f}"


def _ci(df: pd.DataFrame | None, default: float = 0.95) -> str:
    """``"95% CI"`` from a table's ``ci_level`` column (else ``default``)."""
    level = default
    if df is not None and "ci_level" in df and df["ci_level"].notna().any():
        level = float(df["ci_level"].dropna().iloc[0])
    return f"{phrasing.fmt_level(level)} CI"


def _ramp(strong: str, light: str, n: int) -> list[str]:
    """``n`` colours from ``strong`` to ``light`` (one colour: halfway)."""
    a, b = np.array(to_rgb(strong)), np.array(to_rgb(light))
    if n == 1:
        return [to_hex((a + b) / 2)]
    return [to_hex(a + (b - a) * t) for t in np.linspace(0, 1, n)]


_lower_first = phrasing.lower_first
_join = phrasing.join


# --------------------------------------------------------------------------------------------------
# Likert distribution
# --------------------------------------------------------------------------------------------------


def likert_sides(codes: Sequence[int], agree: Sequence[int]) -> dict[str, list[int]]:
    """Split a scale's codes into the left (disagree) side, the split neutral and the right side.

    Agreement codes go right. When the scale has an odd number of codes and the middle one sits just
    below the agreement codes, it is the neutral category, drawn half either side of zero. Every other
    code goes left, nearest the centre first.

    Parameters
    ----------
    codes : sequence of int
        The scale's codes, low to high.
    agree : sequence of int
        The codes counted as agreement.

    Returns
    -------
    dict
        ``left`` (codes, nearest the centre first), ``neutral`` (zero or one code), ``right`` (codes,
        nearest the centre first).
    """
    codes = sorted(codes)
    right = [c for c in codes if c in set(agree)]
    rest = [c for c in codes if c not in set(agree)]
    neutral: list[int] = []
    if len(codes) % 2 == 1 and right:
        middle = codes[len(codes) // 2]
        if middle in rest and codes.index(middle) + 1 == codes.index(min(right)):
            neutral = [middle]
    left = sorted((c for c in rest if c not in neutral), reverse=True)
    return {"left": left, "neutral": neutral, "right": right}


#: Most items in one Likert figure. A construct with more items is drawn as several figures of at
#: most :data:`LIKERT_PART_ROWS` items each, of about equal size ("(1 of 4)"): one chart of 40 rows
#: would be shrunk to unreadable labels or clipped at an A4 page's foot.
MAX_LIKERT_ROWS = 18

#: Most items in one part of a split construct: 10 rows keep a part with its caption within half an
#: A4 page at the brief's text width (labels ≥ 7.5 pt there), so in the PDF it stays in the text
#: instead of floating (the Typst template floats figures taller than half a page).
LIKERT_PART_ROWS = 10


def likert_parts(
    n_items: int, max_rows: int = MAX_LIKERT_ROWS, part_rows: int = LIKERT_PART_ROWS
) -> list[range]:
    """The rows of each figure of a construct's Likert chart: all ``n_items`` in one figure up to
    ``max_rows``, else the fewest parts of at most ``part_rows`` rows, in order, their sizes
    differing by at most one (40 items: four of 10; 25 items: 9, 8, 8).

    Examples
    --------
    >>> [len(p) for p in likert_parts(25)]
    [9, 8, 8]
    >>> likert_parts(5)
    [range(0, 5)]
    """
    if max_rows < 1 or part_rows < 1:
        raise ValueError(f"max_rows and part_rows must be at least 1, got {max_rows}, {part_rows}")
    if n_items <= max_rows:
        return [range(0, n_items)]
    count = math.ceil(n_items / part_rows)
    size, extra = divmod(n_items, count)
    parts, start = [], 0
    for k in range(count):
        stop = start + size + (1 if k < extra else 0)
        parts.append(range(start, stop))
        start = stop
    return parts


def likert_title(agreement: pd.DataFrame, *, label: str) -> str:
    """``"Shared purpose: 78–96% agreed"`` from a construct's rows of the agreement table."""
    rows = agreement.dropna(subset=["pct_agree"])
    suppressed = "suppressed" in agreement and agreement["suppressed"].astype(bool).any()
    if rows.empty:
        return phrasing.likert_title(label, "", None, None, suppressed=bool(suppressed))
    lo, hi = float(rows["pct_agree"].min()), float(rows["pct_agree"].max())
    words = str(rows["agree_label"].iloc[0])
    return phrasing.likert_title(label, words, lo, hi, suppressed=bool(suppressed))


def _likert_labels(agreement: pd.DataFrame, style: FigureStyle) -> list[str]:
    """Each item's short wording, wrapped to the label column; negatively worded items get †."""
    reverse = (
        agreement["reverse"].fillna(False).astype(bool)
        if "reverse" in agreement
        else pd.Series(False, index=agreement.index)
    )
    return [
        style.wrap(str(s) + (" †" if r else ""), 0.3)
        for s, r in zip(agreement["short"], reverse, strict=True)
    ]


def likert_figure(
    distribution: pd.DataFrame,
    agreement: pd.DataFrame,
    *,
    label: str,
    style: FigureStyle,
    title: str | None = None,
) -> Figure:
    """Diverging stacked bars of one construct's items: disagreement left, agreement right.

    Parameters
    ----------
    distribution : pandas.DataFrame
        The construct's rows of ``agreement_distribution.parquet``: ``item``, ``code``, ``label``,
        ``agree``, ``pct``, ``n_answering``.
    agreement : pandas.DataFrame
        The construct's rows of ``agreement.parquet``: ``item``, ``short``, ``n``, ``pct_agree``,
        ``agree_label`` and optionally ``reverse`` (negatively worded items are marked †); their
        order is the order of the bars (top to bottom).
    label : str
        The construct's label.
    style : FigureStyle
        Look of the figure.
    title : str, optional
        Defaults to :func:`likert_title`.

    Returns
    -------
    matplotlib.figure.Figure
        One bar per item, labelled with its short wording; the right-hand column gives "% agreed" and
        the item's n. Items nobody answered get no bar and "no answers".
    """
    pal = style.colours
    items = list(agreement["item"])
    codes = sorted(int(c) for c in distribution["code"].unique())
    agree_codes = sorted(int(c) for c in distribution.loc[distribution["agree"], "code"].unique())
    sides = likert_sides(codes, agree_codes)
    labels = distribution.drop_duplicates("code").set_index("code")["label"].astype(str).to_dict()
    colours: dict[int, str] = {}
    for c, col in zip(
        sides["left"], reversed(_ramp(*pal.disagree, len(sides["left"]))), strict=True
    ):
        colours[c] = col
    for c, col in zip(
        sides["right"], reversed(_ramp(*pal.agree, len(sides["right"]))), strict=True
    ):
        colours[c] = col
    for c in sides["neutral"]:
        colours[c] = pal.neutral
    pct = distribution.pivot_table(index="item", columns="code", values="pct", aggfunc="sum")
    pct = pct.reindex(index=items, columns=codes).fillna(0.0)

    row_labels = _likert_labels(agreement, style)
    # a row fits two lines of label; longer wordings get taller rows, never overlapping labels
    lines = max((t.count("\n") + 1 for t in row_labels), default=1)
    fig = _new_figure(style, max(0.34, 0.13 * lines + 0.08) * len(items) + 1.25)
    with style_context(style):
        ax = fig.add_subplot()
        y = np.arange(len(items))
        for i, item in enumerate(items):
            row = pct.loc[item]
            half = float(sum(row[c] for c in sides["neutral"])) / 2
            start = -half
            for c in sides["left"]:
                w = float(row[c])
                ax.barh(i, -w, left=start, height=0.62, color=colours[c], linewidth=0)
                start -= w
            for c in sides["neutral"]:
                ax.barh(i, 2 * half, left=-half, height=0.62, color=colours[c], linewidth=0)
            start = half
            for c in sides["right"]:
                w = float(row[c])
                ax.barh(i, w, left=start, height=0.62, color=colours[c], linewidth=0)
                start += w
        ax.axvline(0, color="#333333", linewidth=0.8)
        ax.set_xlim(-100, 100)
        ticks = [-100, -50, 0, 50, 100]
        ax.set_xticks(ticks, [f"{abs(t)}%" for t in ticks])
        ax.set_yticks(y, row_labels)
        ax.set_ylim(len(items) - 0.4, -0.6)
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_visible(False)
        ax.grid(axis="x", color="#E5E5E5", linewidth=0.6)
        ax.set_axisbelow(True)
        agree_label = str(agreement["agree_label"].iloc[0]) if len(agreement) else "agreed"
        ax.text(
            1.02,
            1.0,
            f"% {agree_label}",
            transform=ax.transAxes,
            ha="left",
            va="bottom",
            fontsize=style.font_size - 0.5,
            fontweight="bold",
        )
        for i, rec in enumerate(agreement.to_dict("records")):
            n = int(rec["n"]) if pd.notna(rec["n"]) else 0
            text = f"{_pct(rec['pct_agree'])}  (n = {n})" if n else "no answers"
            if bool(rec.get("suppressed", False)):  # too few answers: no number, no bar
                text = f"suppressed ({rec.get('note') or 'too few answers'})"
            ax.text(
                1.02,
                i,
                text,
                transform=ax.get_yaxis_transform(),
                ha="left",
                va="center",
                fontsize=style.font_size - 0.5,
            )
        order = sorted(codes)
        handles = [Patch(facecolor=colours[c], label=labels.get(c, str(c))) for c in order]
        ax.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.12 if len(items) > 2 else -0.3),
            # one row up to 5 labels; longer scales (7-point) in two rows, or the legend overflows
            ncol=len(order) if len(order) <= 5 else math.ceil(len(order) / 2),
            handlelength=1.2,
            columnspacing=1.0,
        )
        _suptitle(fig, style, title or likert_title(agreement, label=label))
    return fig


# --------------------------------------------------------------------------------------------------
# Subgroups
# --------------------------------------------------------------------------------------------------


def _test_p(tests: pd.DataFrame | None, group: str) -> tuple[float, str]:
    """The adjusted p of a group's omnibus test: the mixed model's for a cluster-level group (the
    honest test when the group is constant within clusters), Welch's ANOVA otherwise."""
    if tests is None or tests.empty:
        return float("nan"), ""
    row = tests[tests["group"] == group]
    if row.empty:
        return float("nan"), ""
    rec = row.iloc[0]
    if str(rec.get("level", "")) == "cluster" and pd.notna(rec.get("mixed_p_holm")):
        return float(rec["mixed_p_holm"]), "mixed model"
    p = rec.get("welch_p_holm")
    return (float(p), "Welch") if pd.notna(p) else (float("nan"), "")


def subgroup_title(
    means: pd.DataFrame,
    tests: pd.DataFrame | None,
    *,
    label: str,
    group_labels: Mapping[str, str],
    alpha: float = 0.05,
) -> str:
    """The clearest subgroup difference of one construct, in words.

    The group whose omnibus test has the smallest adjusted p (if below ``alpha``) names the categories
    with the highest and lowest reported mean, e.g. "Shared purpose differs most by role in the MSC:
    highest among MSC staff, lowest among informal participants"; otherwise "no clear differences".
    """
    best: tuple[float, str] | None = None
    for group in dict.fromkeys(means["group"]):
        p, _ = _test_p(tests, group)
        if math.isfinite(p) and p < alpha and (best is None or p < best[0]):
            best = (p, group)
    if best is None:
        return phrasing.subgroup_title(label, None)
    rows = means[(means["group"] == best[1]) & ~means["suppressed"]].dropna(subset=["mean"])
    hi = rows.loc[rows["mean"].idxmax(), "category"]
    lo = rows.loc[rows["mean"].idxmin(), "category"]
    return phrasing.subgroup_title(label, group_labels.get(best[1], best[1]), str(hi), str(lo))


def _overall_mean(rows: pd.DataFrame) -> float:
    """The mean over a group's reported respondents, from any row's own and rest means and n's."""
    ok = rows[~rows["suppressed"]].dropna(subset=["mean", "mean_rest", "n", "n_rest"])
    if ok.empty:
        ok = rows[~rows["suppressed"]].dropna(subset=["mean", "n"])
        if ok.empty:
            return float("nan")
        return float(np.average(ok["mean"], weights=ok["n"].astype(float)))
    r = ok.iloc[0]
    n, n_rest = float(r["n"]), float(r["n_rest"])
    return float((r["mean"] * n + r["mean_rest"] * n_rest) / (n + n_rest))


def _balance(groups: Sequence[str], sizes: Mapping[str, int]) -> list[list[str]]:
    """Split groups (in order) into two columns of about equal rows."""
    if len(groups) <= 1:
        return [list(groups)]
    total = sum(sizes[g] + 2 for g in groups)
    left, acc = [], 0
    for g in groups:
        if acc and acc + (sizes[g] + 2) / 2 > total / 2:
            break
        left.append(g)
        acc += sizes[g] + 2
    right = [g for g in groups if g not in left]
    return [left, right] if right else [left]


def subgroup_figure(
    means: pd.DataFrame,
    tests: pd.DataFrame | None,
    *,
    label: str,
    group_labels: Mapping[str, str],
    style: FigureStyle,
    scale_note: str = "",
    title: str | None = None,
) -> Figure:
    """Forest plot of one construct's mean per category of every compared group.

    Parameters
    ----------
    means : pandas.DataFrame
        The construct's rows of ``subgroups.parquet``: ``group``, ``category``, ``category_order``,
        ``mean``, ``ci_low``, ``ci_high``, ``n``, ``suppressed``, ``note``, ``mean_rest``, ``n_rest``.
    tests : pandas.DataFrame or None
        The construct's rows of ``subgroup_tests.parquet`` (each group's adjusted p).
    label : str
        The construct's label.
    group_labels : mapping
        Group id -> label (header rows).
    style : FigureStyle
        Look of the figure.
    scale_note : str, optional
        The x-axis label, e.g. "Mean score (1 = strongly disagree, 5 = strongly agree)".
    title : str, optional
        Defaults to :func:`subgroup_title`.

    Returns
    -------
    matplotlib.figure.Figure
        Groups in two columns, each group a bold header row (label and the adjusted p of its omnibus
        test) followed by one row per category: the mean as a point with its CI and n, the group's
        overall mean as a dashed segment. A suppressed category has no point, only its note
        ("n < 10").
    """
    pal = style.colours
    groups = list(dict.fromkeys(means["group"]))
    sizes = {g: int((means["group"] == g).sum()) for g in groups}
    columns = _balance(groups, sizes)
    rows_per_col = max(sum(sizes[g] + 1 for g in col) for col in columns)
    fig = _new_figure(style, 0.23 * rows_per_col + 1.4)
    finite = means.loc[~means["suppressed"], ["ci_low", "ci_high"]].to_numpy(dtype=float)
    finite = finite[np.isfinite(finite)]
    if finite.size:
        lo, hi = float(finite.min()), float(finite.max())
        pad = max(0.05, 0.08 * (hi - lo))
        xlim = (lo - pad, hi + pad)
    else:
        xlim = (0.0, 1.0)
    small = style.font_size - 1
    with style_context(style):
        axes = fig.subplots(1, len(columns), squeeze=False)[0]
        for ax, col in zip(axes, columns, strict=True):
            ticks: list[str] = []
            headers: list[int] = []
            i = 0
            for group in col:
                rows = means[means["group"] == group].sort_values("category_order")
                p, _ = _test_p(tests, group)
                ticks.append(style.wrap(group_labels.get(group, group), 0.3, small))
                headers.append(i)
                if math.isfinite(p):
                    ax.text(
                        0.99,
                        i,
                        f"adj. p {_fmt_p(p, eq=True)}",
                        transform=ax.get_yaxis_transform(),
                        ha="right",
                        va="center",
                        fontsize=small - 0.5,
                        color="#333333",
                    )
                first = i + 1
                i += 1
                overall = _overall_mean(rows)
                for rec in rows.to_dict("records"):
                    cat = str(rec["category"])
                    if bool(rec["suppressed"]) or pd.isna(rec["mean"]):
                        ticks.append(cat)
                        ax.text(
                            overall if math.isfinite(overall) else sum(xlim) / 2,
                            i,
                            str(rec.get("note") or "") or "suppressed",
                            ha="center",
                            va="center",
                            fontsize=small - 0.5,
                            color=pal.muted,
                            fontstyle="italic",
                            gid="suppressed",
                            bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5},
                        )
                    else:
                        ticks.append(f"{cat} ({int(rec['n'])})")
                        ax.errorbar(
                            [rec["mean"]],
                            [i],
                            xerr=[[rec["mean"] - rec["ci_low"]], [rec["ci_high"] - rec["mean"]]],
                            fmt="o",
                            color=pal.accent,
                            markersize=4,
                            elinewidth=1.2,
                            capsize=0,
                        )
                    i += 1
                if math.isfinite(overall):
                    ax.vlines(
                        overall,
                        first - 0.45,
                        i - 0.55,
                        color=pal.muted,
                        linestyle="--",
                        linewidth=0.8,
                        zorder=0,
                    )
            ax.set_yticks(np.arange(len(ticks)), ticks)
            for j, tick in enumerate(ax.get_yticklabels()):
                if j in headers:
                    tick.set_fontweight("bold")
            ax.set_ylim(rows_per_col - 0.5, -0.6)
            ax.set_xlim(*xlim)
            ax.tick_params(axis="y", length=0, labelsize=small)
            ax.tick_params(axis="x", labelsize=small)
            ax.grid(axis="x", color="#EBEBEB", linewidth=0.6)
            ax.set_axisbelow(True)
            for h in headers[1:]:
                ax.axhline(h - 0.5, color="#BFBFBF", linewidth=0.5)
        for ax in axes:
            ax.set_xlabel("Mean score", fontsize=small)
        handles = [
            Line2D([], [], marker="o", color=pal.accent, label=f"mean with {_ci(means)} (n)"),
            Line2D([], [], color=pal.muted, linestyle="--", label="mean of the whole group"),
        ]
        fig.legend(
            handles=handles,
            loc="outside lower center",
            ncol=2,
            title=scale_note or None,
            title_fontsize=small,
        )
        _suptitle(
            fig,
            style,
            title or subgroup_title(means, tests, label=label, group_labels=group_labels),
        )
    return fig


def _fmt_p(p: float, *, eq: bool = False) -> str:
    """``0.012``, ``< 0.001`` (with ``eq``: ``= 0.012`` or ``< 0.001``)."""
    if not math.isfinite(p):
        return MISSING
    if p < 0.001:
        return "< 0.001"
    return f"= {p:.3f}" if eq else f"{p:.3f}"


# --------------------------------------------------------------------------------------------------
# Drivers
# --------------------------------------------------------------------------------------------------


def _split_roles(importance: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The model's predictors in rank order and its controls (``role == "control"``; a table
    without a ``role`` column has no controls)."""
    if "role" in importance:
        is_ctrl = importance["role"].astype(str).eq("control").to_numpy()
    else:
        is_ctrl = np.zeros(len(importance), dtype=bool)
    preds = importance[~is_ctrl].sort_values(["rank", "general_dominance"], ascending=[True, False])
    return preds, importance[is_ctrl]


def driver_title(importance: pd.DataFrame, *, outcome_label: str, top: int = 3) -> str:
    """``"Shared purpose: strongest drivers are trust, equitable processes and household income"``.

    Only predictors are named: controls (``role == "control"``) are never among the drivers.
    """
    imp = _split_roles(importance)[0].head(top)
    return phrasing.driver_title(outcome_label, [str(x) for x in imp["label"]])


def _term_label(rec: Mapping[str, Any], label: str) -> str:
    if rec["coding"] == "dummy vs reference":
        term = str(rec["term"])
        pred = str(rec["predictor"])
        return term[len(pred) + 1 : -1] if term.startswith(pred + "[") else term
    return label


def driver_figure(
    regressions: pd.DataFrame,
    importance: pd.DataFrame,
    *,
    outcome_label: str,
    labels: Mapping[str, str],
    style: FigureStyle,
    alpha: float = 0.05,
    title: str | None = None,
) -> Figure:
    """Standardised coefficients with CIs of one driver model, ordered by relative importance.

    Parameters
    ----------
    regressions : pandas.DataFrame
        The model's rows of ``regressions.parquet``: ``term``, ``predictor``, ``coding``,
        ``reference``, ``estimate``, ``ci_low``, ``ci_high``, ``p``, ``n``, ``r2``.
    importance : pandas.DataFrame
        The model's rows of ``importance.parquet``: ``predictor``, ``label``, ``share``, ``rank``.
    outcome_label : str
        The outcome construct's label.
    labels : mapping
        Predictor id -> label.
    style : FigureStyle
        Look of the figure.
    alpha : float, optional
        Terms with ``p < alpha`` are filled, others hollow and grey.
    title : str, optional
        Defaults to :func:`driver_title`.

    Returns
    -------
    matplotlib.figure.Figure
        One row per term, predictors in rank order (a categorical predictor as a header row with its
        reference category, then one row per category), then, under a "Controls" heading, the
        model's controls (``role == "control"`` in ``importance``: adjusted for, not ranked); the
        right-hand column gives each block's share of the explained variance (general dominance /
        R²).
    """
    pal = style.colours
    reg = regressions[regressions["coding"] != "intercept"]
    preds, ctrls = _split_roles(importance)
    imp = pd.concat([preds.assign(_control=False), ctrls.assign(_control=True)])
    rows: list[dict[str, Any]] = []
    for rec in imp.to_dict("records"):
        pred = rec["predictor"]
        if rec["_control"] and not any(r["kind"] == "section" for r in rows):
            rows.append(
                {"kind": "section", "label": "Controls (adjusted for, not ranked)", "share": ""}
            )
        terms = reg[reg["predictor"] == pred]
        label = labels.get(pred, str(rec.get("label", pred)))
        share = f"{100 * rec['share']:.0f}%" if pd.notna(rec.get("share")) else MISSING
        if len(terms) == 1 and terms["coding"].iloc[0] != "dummy vs reference":
            t = terms.iloc[0]
            extra = " (per category step)" if "linear score" in str(t["coding"]) else ""
            rows.append({"kind": "term", "label": label + extra, "share": share, **t.to_dict()})
        else:
            ref = (
                str(terms["reference"].dropna().iloc[0]) if terms["reference"].notna().any() else ""
            )
            rows.append(
                {"kind": "header", "label": f"{label} (vs {ref})" if ref else label, "share": share}
            )
            for t in terms.to_dict("records"):
                rows.append(
                    {"kind": "term", "label": "   " + _term_label(t, label), "share": "", **t}
                )
    fig = _new_figure(style, 0.24 * len(rows) + 1.6)
    with style_context(style):
        ax = fig.add_subplot()
        lows = [r["ci_low"] for r in rows if r["kind"] == "term" and pd.notna(r.get("ci_low"))]
        highs = [r["ci_high"] for r in rows if r["kind"] == "term" and pd.notna(r.get("ci_high"))]
        span = max([abs(v) for v in lows + highs] + [0.5])
        ax.set_xlim(-span * 1.08, span * 1.08)
        ticks = []
        for i, r in enumerate(rows):
            ticks.append(style.wrap(r["label"], 0.4, style.font_size - 0.5))
            if r["share"]:
                ax.text(
                    1.02,
                    i,
                    r["share"],
                    transform=ax.get_yaxis_transform(),
                    ha="left",
                    va="center",
                    fontsize=style.font_size - 0.5,
                )
            if r["kind"] != "term" or pd.isna(r.get("estimate")):
                continue
            sig = pd.notna(r.get("p")) and float(r["p"]) < alpha
            colour = (pal.accent if r["estimate"] >= 0 else pal.negative) if sig else pal.muted
            ax.errorbar(
                [r["estimate"]],
                [i],
                xerr=[[r["estimate"] - r["ci_low"]], [r["ci_high"] - r["estimate"]]],
                fmt="o",
                color=colour,
                markerfacecolor=colour if sig else "white",
                markersize=5,
                elinewidth=1.3,
                capsize=0,
            )
        ax.axvline(0, color="#333333", linewidth=0.8)
        ax.set_yticks(np.arange(len(rows)), ticks)
        for tick, r in zip(ax.get_yticklabels(), rows, strict=True):
            if r["kind"] == "header":
                tick.set_fontweight("bold")
            elif r["kind"] == "section":
                tick.set_fontstyle("italic")
                tick.set_color("#555555")
        for i, r in enumerate(rows):
            if r["kind"] == "section":
                ax.axhline(i - 0.5, color="#BBBBBB", linewidth=0.6)
        ax.set_ylim(len(rows) - 0.5, -0.7)
        ax.tick_params(axis="y", length=0)
        ax.grid(axis="x", color="#EBEBEB", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.set_xlabel(f"Standardised coefficient (outcome SDs) with {_ci(regressions)}")
        ax.text(
            1.02,
            1.0,
            "share of R²",
            transform=ax.transAxes,
            ha="left",
            va="bottom",
            fontsize=style.font_size - 0.5,
            fontweight="bold",
        )
        fit = regressions.dropna(subset=["r2"]) if "r2" in regressions else regressions.iloc[:0]
        subtitle = None
        if len(fit):
            n = fit["n"].iloc[0]
            subtitle = (
                f"R² = {float(fit['r2'].iloc[0]):.2f}, n = {int(n) if pd.notna(n) else MISSING}"
            )
        handles = [
            Line2D(
                [], [], marker="o", color=pal.accent, linestyle="", label=f"positive, p < {alpha}"
            ),
            Line2D(
                [], [], marker="o", color=pal.negative, linestyle="", label=f"negative, p < {alpha}"
            ),
            Line2D(
                [],
                [],
                marker="o",
                color=pal.muted,
                markerfacecolor="white",
                linestyle="",
                label="not significant",
            ),
        ]
        fig.legend(handles=handles, loc="outside lower center", ncol=3)
        _suptitle(
            fig, style, title or driver_title(importance, outcome_label=outcome_label), subtitle
        )
    return fig


# --------------------------------------------------------------------------------------------------
# Reliability
# --------------------------------------------------------------------------------------------------


def reliability_title(reliability: pd.DataFrame, *, thresholds: Mapping[str, float]) -> str:
    """``"8 of 10 scales are reliable (α ≥ 0.70); weak: Financing; failed: Shared data"``."""
    status = reliability["status"].astype(str)
    label_col = "label" if "label" in reliability else "construct"
    by_status = {
        s: reliability.loc[status == s, label_col].astype(str).tolist() for s in ("weak", "failed")
    }
    ok = int((status == "ok").sum())
    return phrasing.reliability_title(len(reliability), ok, float(thresholds["ok"]), by_status)


def reliability_figure(
    reliability: pd.DataFrame,
    *,
    thresholds: Mapping[str, float],
    style: FigureStyle,
    title: str | None = None,
) -> Figure:
    """Cronbach's alpha with its CI per construct, against the ok and weak thresholds.

    Parameters
    ----------
    reliability : pandas.DataFrame
        ``reliability.parquet``: ``construct``, ``label``, ``alpha``, ``alpha_ci_low``,
        ``alpha_ci_high``, ``n_complete``, ``status`` (ok|weak|failed).
    thresholds : mapping
        ``ok`` and ``weak`` alpha thresholds (config ``scales.thresholds``).
    style : FigureStyle
        Look of the figure.
    title : str, optional
        Defaults to :func:`reliability_title`.

    Returns
    -------
    matplotlib.figure.Figure
        One row per construct; status by colour and marker shape; zones below ``weak`` and between
        ``weak`` and ``ok`` shaded; alpha and n in the right-hand column.
    """
    pal = style.colours
    rel = reliability.reset_index(drop=True)
    fig = _new_figure(style, 0.3 * len(rel) + 1.5)
    with style_context(style):
        ax = fig.add_subplot()
        vals = rel[[c for c in ("alpha", "alpha_ci_low", "alpha_ci_high") if c in rel]]
        arr = vals.to_numpy(dtype=float)
        arr = arr[np.isfinite(arr)]
        lo = min([thresholds["weak"] - 0.1] + ([float(arr.min()) - 0.05] if arr.size else []))
        ax.set_xlim(max(-1.0, math.floor(lo * 10) / 10), 1.0)
        ax.axvspan(ax.get_xlim()[0], thresholds["weak"], color="#F2F2F2", zorder=0, linewidth=0)
        ax.axvspan(thresholds["weak"], thresholds["ok"], color="#F9F9F9", zorder=0, linewidth=0)
        for key, ls in (("weak", ":"), ("ok", "--")):
            ax.axvline(thresholds[key], color=pal.muted, linestyle=ls, linewidth=0.9)
        label_col = "label" if "label" in rel else "construct"
        for i, rec in enumerate(rel.to_dict("records")):
            status = str(rec.get("status", ""))
            colour = pal.status.get(status, pal.muted)
            a = rec.get("alpha", float("nan"))
            if pd.notna(a):
                lo_, hi_ = rec.get("alpha_ci_low", a), rec.get("alpha_ci_high", a)
                lo_ = a if pd.isna(lo_) else lo_
                hi_ = a if pd.isna(hi_) else hi_
                ax.errorbar(
                    [a],
                    [i],
                    xerr=[[a - lo_], [hi_ - a]],
                    fmt=STATUS_MARKERS.get(status, "o"),
                    color=colour,
                    markersize=6,
                    elinewidth=1.3,
                    capsize=0,
                )
            n = rec.get("n_complete")
            note = f"α = {_num(a)}" + (f"  (n = {int(n)})" if n is not None and pd.notna(n) else "")
            if status and status != "ok":
                note += f"  {status}"
            ax.text(
                1.02,
                i,
                note,
                transform=ax.get_yaxis_transform(),
                ha="left",
                va="center",
                fontsize=style.font_size - 0.5,
                color=pal.status_text.get(status, "#222222"),
            )
        ax.set_yticks(np.arange(len(rel)), [str(x) for x in rel[label_col]])
        ax.set_ylim(len(rel) - 0.5, -0.6)
        ax.tick_params(axis="y", length=0)
        ax.set_xlabel("Cronbach's alpha with 95% CI")
        ok, weak = thresholds["ok"], thresholds["weak"]
        legend = {
            "ok": f"ok (α ≥ {ok:.2f}, dashed)",
            "weak": f"weak ({weak:.2f} ≤ α < {ok:.2f}, dotted)",
            "failed": f"failed (α < {weak:.2f})",
        }
        handles = [
            Line2D(
                [],
                [],
                marker=STATUS_MARKERS[s],
                color=pal.status[s],
                linestyle="",
                label=legend[s],
            )
            for s in ("ok", "weak", "failed")
        ]
        fig.legend(handles=handles, loc="outside lower center", ncol=3)
        _suptitle(fig, style, title or reliability_title(rel, thresholds=thresholds))
    return fig


# --------------------------------------------------------------------------------------------------
# Published vs reproduced
# --------------------------------------------------------------------------------------------------


def published_title(published: pd.DataFrame) -> str:
    """``"All 18 published percentages lie inside the reproduced 95% CIs"`` (or "16 of 18 ...")."""
    inside = int(published["ci_contains_published"].fillna(False).astype(bool).sum())
    return phrasing.published_title(len(published), inside, _ci(published))


def published_figure(
    published: pd.DataFrame,
    *,
    item_labels: Mapping[str, str],
    construct_labels: Mapping[str, str],
    style: FigureStyle,
    title: str | None = None,
    agree_phrase: str = "",
) -> Figure:
    """Published % beside the reproduced % (with its CI) for every published item.

    Parameters
    ----------
    published : pandas.DataFrame
        ``published_vs_reproduced.parquet``: ``item``, ``construct``, ``published_pct``,
        ``published_n``, ``reproduced_pct``, ``ci_low``, ``ci_high``, ``reproduced_n``.
    item_labels, construct_labels : mapping
        Item id -> short wording; construct id -> label (header rows).
    style : FigureStyle
        Look of the figure.
    title : str, optional
        Defaults to :func:`published_title`.
    agree_phrase : str, optional
        What the % counts (:meth:`~mscsurvey.codebook.spec.Codebook.agree_phrase` of the items), for the
        axis label "% of respondents who ...".

    Returns
    -------
    matplotlib.figure.Figure
        Items grouped under their construct; the reproduced % as a filled dot with its CI, the
        published % as an open diamond; n's in the right-hand column.
    """
    pal = style.colours
    rows: list[dict[str, Any]] = []
    for construct, part in published.groupby("construct", sort=False):
        rows.append({"kind": "header", "label": construct_labels.get(construct, construct)})
        for rec in part.to_dict("records"):
            rows.append(
                {"kind": "item", "label": "   " + item_labels.get(rec["item"], rec["item"]), **rec}
            )
    fig = _new_figure(style, 0.24 * len(rows) + 1.5)
    with style_context(style):
        ax = fig.add_subplot()
        for i, r in enumerate(rows):
            if r["kind"] != "item":
                continue
            if pd.notna(r.get("reproduced_pct")):
                ax.errorbar(
                    [r["reproduced_pct"]],
                    [i],
                    xerr=[
                        [r["reproduced_pct"] - r["ci_low"]],
                        [r["ci_high"] - r["reproduced_pct"]],
                    ],
                    fmt="o",
                    color=pal.accent,
                    markersize=4.5,
                    elinewidth=1.3,
                    capsize=0,
                    zorder=2,
                )
            ax.plot(
                [r["published_pct"]],
                [i],
                marker="D",
                markersize=5.5,
                markerfacecolor="none",
                markeredgecolor=pal.contrast,
                markeredgewidth=1.2,
                linestyle="",
                zorder=3,
            )
            rn = r.get("reproduced_n")
            pn = r.get("published_n")
            ax.text(
                1.02,
                i,
                f"{int(rn) if pd.notna(rn) else MISSING} / {int(pn) if pd.notna(pn) else MISSING}",
                transform=ax.get_yaxis_transform(),
                ha="left",
                va="center",
                fontsize=style.font_size - 0.5,
            )
        ax.text(
            1.02,
            1.0,
            "n reproduced / published",
            transform=ax.transAxes,
            ha="left",
            va="bottom",
            fontsize=style.font_size - 1,
            fontweight="bold",
        )
        ax.set_yticks(np.arange(len(rows)), [style.wrap(r["label"], 0.4) for r in rows])
        for tick, r in zip(ax.get_yticklabels(), rows, strict=True):
            if r["kind"] == "header":
                tick.set_fontweight("bold")
        ax.set_ylim(len(rows) - 0.5, -0.7)
        ax.tick_params(axis="y", length=0)
        ax.set_xlim(0, 100)
        ax.set_xticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"])
        ax.grid(axis="x", color="#EBEBEB", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.set_xlabel(f"% of respondents who {agree_phrase}" if agree_phrase else "% agreeing")
        handles = [
            Line2D(
                [], [], marker="o", color=pal.accent, label=f"reproduced, with {_ci(published)}"
            ),
            Line2D(
                [],
                [],
                marker="D",
                color=pal.contrast,
                markerfacecolor="none",
                linestyle="",
                label="published",
            ),
        ]
        fig.legend(handles=handles, loc="outside lower center", ncol=2)
        _suptitle(fig, style, title or published_title(published))
    return fig


# --------------------------------------------------------------------------------------------------
# Saving and the whole set
# --------------------------------------------------------------------------------------------------


def save_figure(fig: Figure, stem: str | os.PathLike[str], *, dpi: int) -> list[Path]:
    """Write ``stem.png`` and ``stem.svg`` atomically and deterministically.

    PNG metadata carries no software version, SVG metadata no date or creator; SVG ids come from a
    fixed hash salt. The same figure gives byte-identical files.
    """
    stem = Path(stem)
    out = []
    with mpl.rc_context({"svg.hashsalt": "mscsurvey", "svg.fonttype": "none", "svg.id": "figure"}):
        for ext, meta in (
            ("png", {"Software": None}),
            ("svg", {"Date": None, "Creator": None}),
        ):
            target = stem.with_suffix(f".{ext}")
            with atomic_path(target) as tmp:
                fig.savefig(tmp, format=ext, dpi=dpi, metadata=meta)
            out.append(target)
            # The layout is solved while drawing the PNG; the SVG reuses it (half the time).
            fig.set_layout_engine("none")
    return out


def _alt_likert(agreement: pd.DataFrame, label: str, part: str = "") -> str:
    """The chart in words; ``part`` names the rows of a construct drawn over several figures."""
    parts = [
        f"{r['short']}: suppressed ({r.get('note') or 'too few answers'})"
        if bool(r.get("suppressed", False))
        else f"{r['short']}: {_pct(r['pct_agree'])} {r['agree_label']} (n = {int(r['n'])})"
        for r in agreement.to_dict("records")
    ]
    return (
        f"Diverging stacked bar chart of the answers to {part or f'the {len(parts)}'} {label} "
        f"items, disagreement to the left and agreement to the right. " + "; ".join(parts) + "."
    )


def _alt_subgroups(means: pd.DataFrame, label: str, group_labels: Mapping[str, str]) -> str:
    parts = []
    for group, rows in means.groupby("group", sort=False):
        cells = []
        for r in rows.sort_values("category_order").to_dict("records"):
            if r["suppressed"] or pd.isna(r["mean"]):
                cells.append(f"{r['category']} not shown (n < minimum)")
            else:
                cells.append(f"{r['category']} {r['mean']:.2f}")
        parts.append(f"{group_labels.get(group, group)}: " + ", ".join(cells))
    return f"Forest plot of mean {label} score by subgroup. " + "; ".join(parts) + "."


def _alt_drivers(reg: pd.DataFrame, imp: pd.DataFrame, outcome_label: str) -> str:
    preds, ctrls = _split_roles(imp)

    def describe(recs: pd.DataFrame) -> list[str]:
        parts = []
        for rec in recs.to_dict("records"):
            t = reg[reg["predictor"] == rec["predictor"]]
            if len(t) == 1 and t["coding"].iloc[0] != "dummy vs reference":
                parts.append(f"{rec['label']} {t['estimate'].iloc[0]:+.2f}")
            else:
                parts.append(f"{rec['label']} (categories {len(t)})")
        return parts

    text = (
        f"Dot plot of standardised regression coefficients predicting {outcome_label}, in order of "
        "relative importance: " + "; ".join(describe(preds))
    )
    if len(ctrls):
        text += "; then the controls, adjusted for and not ranked: " + "; ".join(describe(ctrls))
    return text + "."


def _controls_clause(imp: pd.DataFrame) -> str:
    """``", then the controls (role in the MSC, sector), adjusted for and not ranked"`` or ``""``."""
    ctrls = _split_roles(imp)[1]
    if ctrls.empty:
        return ""
    names = ", ".join(_lower_first(str(x)) for x in ctrls["label"])
    return f", then the controls ({names}), adjusted for and not ranked"


def _alt_reliability(rel: pd.DataFrame) -> str:
    label_col = "label" if "label" in rel else "construct"
    parts = [
        f"{r[label_col]} {_num(r.get('alpha', float('nan')))} ({r.get('status', MISSING)})"
        for r in rel.to_dict("records")
    ]
    return "Dot plot of Cronbach's alpha per scale: " + "; ".join(parts) + "."


def _alt_published(pub: pd.DataFrame, item_labels: Mapping[str, str]) -> str:
    parts = [
        f"{item_labels.get(r['item'], r['item'])}: published {r['published_pct']:.0f}%, "
        f"reproduced {_pct(r['reproduced_pct'])}"
        for r in pub.to_dict("records")
    ]
    return "Dot plot of published and reproduced percentages: " + "; ".join(parts) + "."


def _left_out(codebook: Codebook, items: Sequence[str]) -> str:
    """What the items' percentages leave out: the scales' missing labels (as the codebook words
    them, e.g. “don't know”) and skipped answers."""
    labels: list[str] = []
    for item in items:
        for label in codebook.scales[codebook.items[item].scale].missing:
            # "Don't know / not applicable" repeats the two labels it joins
            if " / " not in label and label.casefold() not in {x.casefold() for x in labels}:
                labels.append(label)
    shown = ", ".join(f"“{x[0].lower() + x[1:] if x[1:2].islower() else x}”" for x in labels)
    return f"{shown} and skipped answers" if shown else "skipped answers"


def _scale_note(codebook: Codebook, construct: str) -> str:
    items = codebook.items_of(construct)
    if not items:
        return "Mean score"
    scale = codebook.scales[items[0].scale]
    lo, hi = scale.min, scale.max
    return f"Mean score from {lo} = {scale.codes[lo].lower()} to {hi} = {scale.codes[hi].lower()}"


def build_figures(
    *,
    codebook: Codebook,
    agreement: pd.DataFrame,
    distribution: pd.DataFrame,
    subgroups: pd.DataFrame,
    subgroup_tests: pd.DataFrame,
    regressions: pd.DataFrame,
    importance: pd.DataFrame,
    reliability: pd.DataFrame,
    published: pd.DataFrame,
    models: Mapping[str, Mapping[str, Any]],
    thresholds: Mapping[str, float],
    style: FigureStyle,
    out_dir: str | os.PathLike[str],
    min_n: int = 1,
) -> list[dict[str, Any]]:
    """Draw and save every figure of the brief into ``out_dir`` and write ``index.json``.

    Parameters
    ----------
    codebook : Codebook
        Labels of constructs, items, groups and scales.
    agreement, distribution, subgroups, subgroup_tests, regressions, importance, published : DataFrame
        The analyses stage's tables.
    reliability : pandas.DataFrame
        The scales stage's reliability table.
    models : mapping
        The config's ``analyses.models`` (their order is the order of the driver figures).
    thresholds : mapping
        The config's ``scales.thresholds``.
    style : FigureStyle
        Look of every figure.
    out_dir : path-like
        Folder of the figures. The figures are drawn into a temporary folder beside it that
        replaces ``out_dir`` only when every figure is written (a failed run leaves no partial
        folder).

    Returns
    -------
    list of dict
        The index: one entry per figure with ``file`` (PNG name), ``svg``, ``kind`` (likert |
        subgroups | drivers | reliability | published), ``construct``, ``group`` (list of groups for
        a subgroup figure), ``model``, ``title`` and ``alt`` (alt text). Also written to
        ``out_dir/index.json``.

    Notes
    -----
    ``min_n`` (config ``analyses.min_group_n``): a reliability estimate resting on fewer complete
    respondents is not drawn; items and subgroup cells come suppressed from the analyses tables.
    """
    tables = {
        "agreement": agreement,
        "distribution": distribution,
        "subgroups": subgroups,
        "subgroup_tests": subgroup_tests,
        "regressions": regressions,
        "importance": importance,
        "reliability": reliability,
        "published": published,
    }
    return _write_kinds(
        tuple((kind, 0, 1) for kind in FIGURE_KINDS),
        codebook=codebook,
        tables=tables,
        models=models,
        thresholds=thresholds,
        style=style,
        out_dir=out_dir,
        min_n=min_n,
    )


def build_figure_part(
    part: str,
    *,
    codebook: Codebook,
    tables: Mapping[str, pd.DataFrame],
    models: Mapping[str, Mapping[str, Any]],
    thresholds: Mapping[str, float],
    style: FigureStyle,
    out_dir: str | os.PathLike[str],
    min_n: int = 1,
) -> list[dict[str, Any]]:
    """Draw the figures of one figure job (some kinds, or a slice of one kind) into ``out_dir``.

    The ``figure_part`` rule runs one job per part of :data:`mscsurvey.report.figure_index.FIGURE_PARTS`
    in parallel; :func:`mscsurvey.report.figure_index.gather_figures` joins the parts into the folder and
    index that :func:`build_figures` writes in one call (same files, same bytes).

    Parameters
    ----------
    part : str
        A key of :data:`mscsurvey.report.figure_index.FIGURE_PARTS`.
    tables : mapping of str to DataFrame
        The tables the part draws from (:func:`mscsurvey.report.figure_index.part_tables`); others are
        ignored.
    codebook, models, thresholds, style, out_dir, min_n
        As in :func:`build_figures`.

    Returns
    -------
    list of dict
        This part's index entries (also written to ``out_dir/index.json``).
    """
    if part not in FIGURE_PARTS:
        raise ValueError(f"unknown figure part {part!r} (expected one of {tuple(FIGURE_PARTS)})")
    return _write_kinds(
        FIGURE_PARTS[part],
        codebook=codebook,
        tables={name: tables[name] for name in part_tables(part)},
        models=models,
        thresholds=thresholds,
        style=style,
        out_dir=out_dir,
        min_n=min_n,
    )


def _write_kinds(
    kinds: Sequence[tuple[str, int, int]],
    *,
    codebook: Codebook,
    tables: Mapping[str, pd.DataFrame],
    models: Mapping[str, Mapping[str, Any]],
    thresholds: Mapping[str, float],
    style: FigureStyle,
    out_dir: str | os.PathLike[str],
    min_n: int,
) -> list[dict[str, Any]]:
    """Draw ``kinds`` ((kind, shard i, of n) in order) into a fresh folder that replaces
    ``out_dir``; write the index."""
    tables = dict(tables)
    reliability = tables.get("reliability")
    if reliability is not None and "n_complete" in reliability and len(reliability):
        small = pd.to_numeric(reliability["n_complete"], errors="coerce") < min_n
        if small.any():
            reliability = reliability.copy()
            cols = [c for c in ("alpha", "alpha_ci_low", "alpha_ci_high") if c in reliability]
            reliability.loc[small, cols] = float("nan")
            tables["reliability"] = reliability
    target = Path(out_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_dir(target) as out:
        index: list[dict[str, Any]] = []
        emit = _emitter(out, style, index)
        with style_context(style):
            for kind, i, n in kinds:
                _KIND_BUILDERS[kind](
                    emit,
                    (i, n),
                    codebook=codebook,
                    tables=tables,
                    models=models,
                    thresholds=thresholds,
                    style=style,
                )
        write_json(index, out / "index.json")
        return index


_Emit = Callable[[Figure, str, str, dict[str, Any]], None]


def _likert_caption(codebook: Codebook, cid: str, ag: pd.DataFrame) -> str:
    """The caption of a construct's Likert figure (words from :mod:`mscsurvey.report.phrasing`)."""
    con = codebook.constructs[cid]
    return phrasing.likert_caption(
        len(ag),
        con.label,
        str(ag["agree_label"].iloc[0]),
        _left_out(codebook, con.items),
        reversed_items="reverse" in ag and bool(ag["reverse"].fillna(False).astype(bool).any()),
    )


def _likert_parts(
    codebook: Codebook,
    cid: str,
    ag: pd.DataFrame,
    head: pd.DataFrame,
    dist: pd.DataFrame,
    style: FigureStyle,
) -> Iterator[tuple[Figure, str, str, dict[str, Any]]]:
    """The Likert figure(s) of one construct: one figure, or for more than
    :data:`MAX_LIKERT_ROWS` items several (``likert_<id>-1`` ..., titled "(1 of 4)"), each with
    its own index entry carrying ``part`` and ``parts``. ``ag`` carries the scale's words for
    sentences, ``head`` the same rows with the chart's short column header."""
    label = codebook.constructs[cid].label
    title = likert_title(ag, label=label)
    caption = _likert_caption(codebook, cid, ag)
    parts = likert_parts(len(ag))
    for k, rows in enumerate(parts, start=1):
        sub = ag.iloc[rows.start : rows.stop]
        name, part_title, part_caption = f"likert_{cid}", title, caption
        if len(parts) > 1:
            name = f"likert_{cid}-{k}"
            part_title = f"{title} ({k} of {len(parts)})"
            part_caption = (
                f"{caption} Part {k} of {len(parts)}: items {rows.start + 1}–{rows.stop}."
            )
        fig = likert_figure(
            dist[dist["item"].isin(set(sub["item"]))],
            head.iloc[rows.start : rows.stop],
            label=label,
            style=style,
            title=part_title,
        )
        entry = {
            "kind": "likert",
            "construct": cid,
            "part": k,
            "parts": len(parts),
            "alt": _alt_likert(
                sub,
                label,
                f"items {rows.start + 1}–{rows.stop} of the {len(ag)}" if len(parts) > 1 else "",
            ),
            "caption": part_caption,
        }
        yield fig, name, part_title, entry


def _emitter(out: Path, style: FigureStyle, index: list[dict[str, Any]]) -> _Emit:
    """A function that stamps the notice on a figure, saves it and appends its index entry."""

    def emit(fig: Figure, name: str, title: str, entry: dict[str, Any]) -> None:
        if style.notice:
            # a super-x-label: the constrained layout keeps room for it below everything else
            fig.supxlabel(
                style.notice,
                x=0.995,
                ha="right",
                fontsize=style.font_size - 1.5,
                fontweight="bold",
                color="#8F3B00",
            )
        save_figure(fig, out / name, dpi=style.dpi)
        entry = {"construct": None, "group": None, "model": None, **entry}
        entry.update({"file": f"{name}.png", "svg": f"{name}.svg", "title": title})
        index.append(entry)

    return emit


def _labels(codebook: Codebook) -> tuple[dict[str, str], dict[str, str]]:
    """Group labels, and group plus construct labels."""
    group_labels = {g: grp.label for g, grp in codebook.groups.items()}
    return group_labels, {
        **group_labels,
        **{c: con.label for c, con in codebook.constructs.items()},
    }


def _likert_figures(
    emit: _Emit,
    part: tuple[int, int],
    *,
    codebook: Codebook,
    tables: Mapping[str, pd.DataFrame],
    models: Mapping[str, Mapping[str, Any]],
    thresholds: Mapping[str, float],
    style: FigureStyle,
) -> None:
    """One Likert chart per construct of the shard ``part`` = (i, n) of the constructs."""
    agreement, distribution = tables["agreement"], tables["distribution"]
    for cid, con in shard(codebook.constructs.items(), *part):
        ag = agreement[agreement["construct"] == cid]
        if ag.empty:
            continue
        ag = ag.set_index("item").reindex([i for i in con.items if i in set(ag["item"])])
        dist = distribution[distribution["construct"] == cid]
        # the words of this scale (mscsurvey.report.phrasing): "agreed" only on an agreement scale
        scale = codebook.scale_of(con.items[0])
        ag = ag.reset_index()
        head = ag.assign(agree_label=phrasing.agree_header(scale))
        ag = ag.assign(agree_label=phrasing.agree_words(scale))
        for fig, name, title, entry in _likert_parts(codebook, cid, ag, head, dist, style):
            emit(fig, name, title, entry)


def _subgroup_figures(
    emit: _Emit,
    part: tuple[int, int],
    *,
    codebook: Codebook,
    tables: Mapping[str, pd.DataFrame],
    models: Mapping[str, Mapping[str, Any]],
    thresholds: Mapping[str, float],
    style: FigureStyle,
) -> None:
    """One subgroup chart per construct of the shard ``part`` = (i, n) of the constructs."""
    subgroups, subgroup_tests = tables["subgroups"], tables["subgroup_tests"]
    group_labels, _ = _labels(codebook)
    unit = codebook.cluster_noun
    for cid, con in shard(codebook.constructs.items(), *part):
        m = subgroups[subgroups["construct"] == cid]
        if m.empty:
            continue
        t = subgroup_tests[subgroup_tests["construct"] == cid]
        title = subgroup_title(m, t, label=con.label, group_labels=group_labels)
        fig = subgroup_figure(
            m,
            t,
            label=con.label,
            group_labels=group_labels,
            style=style,
            scale_note=_scale_note(codebook, cid),
            title=title,
        )
        emit(
            fig,
            f"subgroups_{cid}",
            title,
            {
                "kind": "subgroups",
                "construct": cid,
                "group": list(dict.fromkeys(m["group"])),
                "alt": _alt_subgroups(m, con.label, group_labels),
                "caption": (
                    f"Mean {con.label} score by subgroup with its {_ci(m)} and n; the dashed "
                    "line is the mean of the group's respondents; categories too small to "
                    "report are marked, never shown; adj. p: the group's Holm-adjusted test "
                    f"({unit}-level groups: mixed model)."
                ),
            },
        )


def _drivers_figures(
    emit: _Emit,
    part: tuple[int, int],
    *,
    codebook: Codebook,
    tables: Mapping[str, pd.DataFrame],
    models: Mapping[str, Mapping[str, Any]],
    thresholds: Mapping[str, float],
    style: FigureStyle,
) -> None:
    """One driver chart per model of the shard ``part`` = (i, n) of the models, in config order."""
    regressions, importance = tables["regressions"], tables["importance"]
    _, labels = _labels(codebook)
    unit = codebook.cluster_noun
    for model, spec in shard(models.items(), *part):
        reg = regressions[regressions["model"] == model]
        reg = reg[reg["status"] == "estimated"]  # a column of every regressions table (contract)
        imp = importance[importance["model"] == model]
        if reg.empty or imp.empty:
            continue
        outcome = str(spec["outcome"])
        olabel = labels.get(outcome, outcome)
        title = driver_title(imp, outcome_label=olabel)
        fig = driver_figure(reg, imp, outcome_label=olabel, labels=labels, style=style, title=title)
        emit(
            fig,
            f"drivers_{model}",
            title,
            {
                "kind": "drivers",
                "model": model,
                "construct": outcome,
                "alt": _alt_drivers(reg, imp, olabel),
                "caption": (
                    f"Standardised coefficients of the {olabel} model with {_ci(reg)}s "
                    f"(standard errors clustered by {unit}), predictors in order of relative "
                    f"importance{_controls_clause(imp)}; right: each predictor's share of R² "
                    "(general dominance)."
                ),
            },
        )


def _reliability_figures(
    emit: _Emit,
    part: tuple[int, int],
    *,
    codebook: Codebook,
    tables: Mapping[str, pd.DataFrame],
    models: Mapping[str, Mapping[str, Any]],
    thresholds: Mapping[str, float],
    style: FigureStyle,
) -> None:
    """The reliability chart (one chart: drawn by the first shard only)."""
    if part[0] != 0:
        return
    reliability = tables["reliability"]
    _, labels = _labels(codebook)
    if not reliability.empty:
        rel = reliability.copy()
        if "label" not in rel:
            rel["label"] = [labels.get(c, c) for c in rel["construct"]]
        title = reliability_title(rel, thresholds=thresholds)
        fig = reliability_figure(rel, thresholds=thresholds, style=style, title=title)
        emit(
            fig,
            "reliability",
            title,
            {
                "kind": "reliability",
                "alt": _alt_reliability(rel),
                "caption": (
                    "Cronbach's α of each measure with its confidence interval, against the "
                    f"thresholds ok ≥ {thresholds['ok']:.2f} (dashed) and weak ≥ "
                    f"{thresholds['weak']:.2f} (dotted)."
                ),
            },
        )


def _published_figures(
    emit: _Emit,
    part: tuple[int, int],
    *,
    codebook: Codebook,
    tables: Mapping[str, pd.DataFrame],
    models: Mapping[str, Mapping[str, Any]],
    thresholds: Mapping[str, float],
    style: FigureStyle,
) -> None:
    """The published-vs-reproduced chart (one chart: drawn by the first shard only)."""
    if part[0] != 0:
        return
    published = tables["published"]
    _, labels = _labels(codebook)
    if not published.empty:
        item_labels = {i: it.short for i, it in codebook.items.items()}
        title = published_title(published)
        fig = published_figure(
            published,
            item_labels=item_labels,
            construct_labels=labels,
            style=style,
            title=title,
            agree_phrase=codebook.agree_phrase(
                [i for i in published["item"] if i in codebook.items]
            ),
        )
        emit(
            fig,
            "published",
            title,
            {
                "kind": "published",
                "alt": _alt_published(published, item_labels),
                "caption": (
                    "Published percentages (open diamonds) and the reproduced ones with their "
                    f"{_ci(published)}s (dots); right: reproduced and published n."
                ),
            },
        )


_KIND_BUILDERS = {
    "likert": _likert_figures,
    "subgroups": _subgroup_figures,
    "drivers": _drivers_figures,
    "reliability": _reliability_figures,
    "published": _published_figures,
}
