"""Rules ``figure_part`` and ``figures``: every figure of the brief drawn from the analyses' tables,
saved as PNG and SVG, with an index (``index.json``: file, kind, title, alt text, caption).

What each figure looks like is :mod:`mscsurvey.report.figures` (drawing); its words are
:mod:`mscsurvey.report.phrasing` (captions) and the alt texts here; which figures exist is the data's:
one Likert chart and one subgroup chart per construct with rows, one driver chart per estimated model,
one reliability and one published-vs-reproduced chart.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from mscsurvey.codebook.spec import Codebook
from mscsurvey.io import write_json
from mscsurvey.report import phrasing
from mscsurvey.report.figure_index import FIGURE_KINDS, FIGURE_PARTS, atomic_dir, part_tables, shard
from mscsurvey.report.figures import (
    MISSING,
    FigureStyle,
    _ci,
    _num,
    _pct,
    _split_roles,
    driver_figure,
    driver_title,
    is_category_block,
    likert_figure,
    likert_parts,
    likert_title,
    published_figure,
    published_title,
    reliability_figure,
    reliability_title,
    save_figure,
    style_context,
    subgroup_figure,
    subgroup_title,
)

__all__ = ["build_figures", "build_figure_part"]


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
            if not is_category_block(t):
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
            part_title, part_caption = phrasing.likert_part(
                title, caption, k, len(parts), rows.start + 1, rows.stop
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
    unit = codebook.cluster_noun if codebook.cluster else None  # no clustering words without one
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
                "caption": phrasing.subgroup_caption(con.label, _ci(m), unit),
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
    unit = codebook.cluster_noun if codebook.cluster else None  # no clustering words without one
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
                "caption": phrasing.driver_caption(
                    olabel, _ci(reg), [str(x) for x in _split_roles(imp)[1]["label"]], unit
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
                "caption": phrasing.reliability_caption(thresholds["ok"], thresholds["weak"]),
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
                "caption": phrasing.published_caption(_ci(published)),
            },
        )


_KIND_BUILDERS = {
    "likert": _likert_figures,
    "subgroups": _subgroup_figures,
    "drivers": _drivers_figures,
    "reliability": _reliability_figures,
    "published": _published_figures,
}
