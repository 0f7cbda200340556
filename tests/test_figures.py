"""Figures: every kind drawn from a small hand-made table, titles that state the finding, suppressed
cells without a point, colour-blind-safe palettes, and byte-identical PNG/SVG files across runs."""

from __future__ import annotations

import copy
import hashlib
import json
import re
from dataclasses import replace

import matplotlib
import numpy as np
import pandas as pd
import pytest
from brief_helpers import (
    agreement_table,
    distribution_table,
    group_tests,
    importance_table,
    published_table,
    regression_table,
    reliability_table,
    subgroup_table,
)
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from mscsurvey.codebook.spec import parse_codebook
from mscsurvey.report.figures import (
    PALETTES,
    FigureStyle,
    driver_figure,
    driver_title,
    likert_figure,
    likert_sides,
    likert_title,
    published_figure,
    published_title,
    reliability_figure,
    reliability_title,
    save_figure,
    subgroup_figure,
    subgroup_title,
)
from mscsurvey.settings import FigureSettings
from mscsurvey.stages.figures import build_figures

# the config schema's look (FigureStyle has no defaults of its own), narrower and smaller here
DEFAULT_STYLE = FigureStyle.from_settings()
STYLE = replace(DEFAULT_STYLE, width=6.0, font_size=8)


@pytest.fixture(scope="module")
def mini(mini_codebook_dict):
    return parse_codebook(mini_codebook_dict, source="tests/data/mini_codebook.yaml")


def all_tables(mini) -> dict:
    return {
        "codebook": mini,
        "agreement": agreement_table(),
        "distribution": distribution_table(),
        "subgroups": pd.concat([subgroup_table("alpha"), subgroup_table("beta")]),
        "subgroup_tests": pd.concat([group_tests("alpha"), group_tests("beta")]),
        "regressions": regression_table(),
        "importance": importance_table(),
        "reliability": reliability_table(),
        "published": published_table(),
        "models": {"m": {"outcome": "alpha", "predictors": ["beta", "colour", "size"]}},
        "thresholds": {"ok": 0.7, "weak": 0.6},
        "style": STYLE,
    }


def _points(fig: Figure, axes=None) -> list[tuple[float, float]]:
    """(x, y) of every plotted marker (of ``axes``, default all)."""
    out = []
    for ax in axes or fig.axes:
        for line in ax.lines:
            if line.get_marker() not in (None, "None", "", " "):
                out += list(zip(line.get_xdata(), line.get_ydata(), strict=True))
    return out


# -- the Likert split -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("codes", "agree", "expected"),
    [
        ([1, 2, 3, 4, 5], [4, 5], {"left": [2, 1], "neutral": [3], "right": [4, 5]}),
        ([1, 2, 3, 4], [4], {"left": [3, 2, 1], "neutral": [], "right": [4]}),
        ([0, 1], [1], {"left": [0], "neutral": [], "right": [1]}),
        ([1, 2, 3, 4, 5], [5], {"left": [4, 3, 2, 1], "neutral": [], "right": [5]}),
    ],
)
def test_likert_sides(codes, agree, expected):
    assert likert_sides(codes, agree) == expected


# -- each kind from a hand table --------------------------------------------------------------------


def test_likert_figure_and_title():
    ag = agreement_table().query("construct == 'alpha'")
    assert likert_title(ag, label="Alpha") == "Alpha: 50–75% agreed"
    assert likert_title(ag.iloc[:1], label="Alpha") == "Alpha: 75% agreed"
    fig = likert_figure(
        distribution_table().query("construct == 'alpha'"), ag, label="Alpha", style=STYLE
    )
    assert isinstance(fig, Figure)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "75%  (n = 40)" in texts and "no answers" in texts  # a3 was never answered
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["First", "Second †", "Third"]  # a2 is negatively worded
    # agreement to the right: the bars of codes 4 and 5 start at or right of zero
    bars = [p for p in fig.axes[0].patches if p.get_width() > 0]
    assert any(p.get_x() >= 0 for p in bars) and any(p.get_x() < 0 for p in bars)


def test_subgroup_figure_has_no_point_for_a_suppressed_cell():
    means, tests = subgroup_table(), group_tests()
    fig = subgroup_figure(
        means,
        tests,
        label="Alpha",
        group_labels={"colour": "Colour", "size": "Size"},
        style=STYLE,
        scale_note="Mean score from 1 to 5",
    )
    ticks = [t.get_text() for ax in fig.axes for t in ax.get_yticklabels()]
    assert "Blue" in ticks  # labelled, without an n
    assert "Red (20)" in ticks and not any(t.startswith("Blue (") for t in ticks)
    ax = next(a for a in fig.axes if "Blue" in [t.get_text() for t in a.get_yticklabels()])
    blue_y = [t.get_text() for t in ax.get_yticklabels()].index("Blue")
    assert all(y != blue_y for _, y in _points(fig, [ax]))
    notes = [t for t in ax.texts if t.get_gid() == "suppressed"]
    assert [t.get_text() for t in notes] == ["n < 10"]
    assert notes[0].get_position()[1] == blue_y
    # four reported cells, four points
    assert len(_points(fig)) == 4


def test_subgroup_title_names_the_clearest_group():
    title = subgroup_title(
        subgroup_table(), group_tests(), label="Alpha", group_labels={"colour": "Colour"}
    )
    assert title == "Alpha differs most by colour: highest for Red, lowest for Green"
    quiet = group_tests().assign(welch_p_holm=0.5)
    assert subgroup_title(subgroup_table(), quiet, label="Alpha", group_labels={}) == (
        "Alpha: no clear differences between subgroups"
    )


def test_driver_figure_orders_by_importance():
    reg, imp = regression_table(), importance_table()
    assert driver_title(imp, outcome_label="Alpha") == (
        "Alpha: strongest drivers are beta, colour and size"
    )
    fig = driver_figure(
        reg,
        imp,
        outcome_label="Alpha",
        labels={"beta": "Beta", "colour": "Colour", "size": "Size"},
        style=STYLE,
    )
    ticks = [t.get_text().strip() for t in fig.axes[0].get_yticklabels()]
    assert ticks == ["Beta", "Colour (vs Red)", "Green", "Blue", "Size (per category step)"]
    ys = sorted(y for _, y in _points(fig))
    assert ys == [0, 2, 3, 4]  # no point on the header row of the categorical block
    shares = [t.get_text() for t in fig.axes[0].texts]
    assert {"61%", "29%", "10%"} <= set(shares)


def _with_control(imp: pd.DataFrame) -> pd.DataFrame:
    """colour as a control: unranked, though its share (29%) is above size's (10%)."""
    imp = imp.assign(role=["predictor", "control", "predictor"])
    return imp.assign(rank=pd.array([1, pd.NA, 2], dtype="Int64"))


def test_driver_figure_shows_controls_after_the_ranked_predictors(tmp_path, mini):
    reg, imp = regression_table(), _with_control(importance_table())
    assert driver_title(imp, outcome_label="Alpha") == "Alpha: strongest drivers are beta and size"
    fig = driver_figure(
        reg,
        imp,
        outcome_label="Alpha",
        labels={"beta": "Beta", "colour": "Colour", "size": "Size"},
        style=STYLE,
    )
    ticks = [t.get_text().strip() for t in fig.axes[0].get_yticklabels()]
    assert ticks == [
        "Beta",
        "Size (per category step)",
        "Controls (adjusted for, not ranked)",
        "Colour (vs Red)",
        "Green",
        "Blue",
    ]
    assert sorted(y for _, y in _points(fig)) == [0, 1, 4, 5]  # nothing on the two heading rows
    assert {"61%", "29%", "10%"} <= {t.get_text() for t in fig.axes[0].texts}
    index = build_figures(**{**all_tables(mini), "importance": imp}, out_dir=tmp_path / "f")
    (entry,) = [e for e in index if e["kind"] == "drivers"]
    assert entry["title"] == "alpha: strongest drivers are beta and size"
    assert "then the controls (colour), adjusted for and not ranked" in entry["caption"]
    assert entry["alt"].endswith(
        "then the controls, adjusted for and not ranked: Colour (categories 2)."
    )


def test_reliability_figure_and_title():
    rel = reliability_table()
    assert reliability_title(rel, thresholds={"ok": 0.7, "weak": 0.6}) == (
        "1 of 2 scales are reliable (α ≥ 0.70); failed: Beta"
    )
    fig = reliability_figure(rel, thresholds={"ok": 0.7, "weak": 0.6}, style=STYLE)
    xs = sorted(round(x, 2) for x, _ in _points(fig))
    assert xs == [0.55, 0.82]
    vlines = [
        line.get_xdata()[0] for line in fig.axes[0].lines if line.get_linestyle() in (":", "--")
    ]
    assert sorted(vlines) == [0.6, 0.7]
    # a construct without an alpha gets no point and a dash
    rel.loc[1, "alpha"] = np.nan
    fig = reliability_figure(rel, thresholds={"ok": 0.7, "weak": 0.6}, style=STYLE)
    assert len(_points(fig)) == 1
    assert any(t.get_text().startswith("α = –") for t in fig.axes[0].texts)


def test_published_figure_and_title():
    pub = published_table()
    assert published_title(pub) == "1 of 2 published percentages lie inside the reproduced 95% CIs"
    assert published_title(pub.iloc[:1]) == (
        "All 1 published percentages lie inside the reproduced 95% CIs"
    )
    fig = published_figure(
        pub,
        item_labels={"a1": "First", "b1": "Yes/no one"},
        construct_labels={"alpha": "Alpha", "beta": "Beta"},
        style=STYLE,
    )
    pts = _points(fig)
    assert (77.0, 1) in pts and (75.0, 1) in pts and (90.0, 3) in pts


def test_palettes_are_valid_and_style_is_checked():
    for pal in PALETTES.values():
        for colour in (*pal.disagree, *pal.agree, pal.neutral, pal.accent, *pal.status.values()):
            matplotlib.colors.to_rgb(colour)
    with pytest.raises(ValueError, match="palette must be one of"):
        replace(DEFAULT_STYLE, palette="rainbow")
    style = FigureStyle.from_settings(FigureSettings.parse({"dpi": 300, "palette": "colorbrewer"}))
    # the keys not given take the config schema's defaults
    assert (style.dpi, style.palette, style.width, style.font_size) == (300, "colorbrewer", 7.0, 9)


# -- files ------------------------------------------------------------------------------------------


def _digests(folder):
    return {
        f.name: hashlib.sha256(f.read_bytes()).hexdigest()
        for f in sorted(folder.iterdir())
        if f.is_file()
    }


def test_build_figures_writes_every_kind_with_an_index(tmp_path, mini):
    index = build_figures(**all_tables(mini), out_dir=tmp_path / "figures")
    kinds = [e["kind"] for e in index]
    assert kinds == [
        "likert",
        "likert",
        "subgroups",
        "subgroups",
        "drivers",
        "reliability",
        "published",
    ]
    files = {f.name for f in (tmp_path / "figures").iterdir()}
    for e in index:
        assert e["file"] in files and e["svg"] in files
        assert e["title"] and e["alt"] and e["caption"]
    on_disk = json.loads((tmp_path / "figures" / "index.json").read_text(encoding="utf-8"))
    assert on_disk == index
    assert index[0]["title"] == "alpha: 50–75% agreed"  # the mini codebook has no labels
    assert "First: 75% agreed (n = 40)" in index[0]["alt"]
    assert index[0]["caption"].endswith(
        "† Negatively worded: reverse-scored, so a high answer counts against the measure."
    )
    assert "†" not in index[1]["caption"]
    # what the percentages leave out: the scale's missing labels from the codebook
    assert "(“don't know” and skipped answers left out)" in index[0]["caption"]
    # nothing but the figures and the index; no temporary folder left beside it
    assert files == {"index.json"} | {e["file"] for e in index} | {e["svg"] for e in index}
    assert [p.name for p in tmp_path.iterdir()] == ["figures"]


def test_figures_are_byte_identical_across_runs(tmp_path, mini):
    build_figures(**all_tables(mini), out_dir=tmp_path / "a")
    build_figures(**all_tables(mini), out_dir=tmp_path / "b")
    a, b = _digests(tmp_path / "a"), _digests(tmp_path / "b")
    assert a == b and len(a) == 15
    svg = (tmp_path / "a" / "reliability.svg").read_text(encoding="utf-8")
    assert "<dc:date>" not in svg and "Matplotlib v" not in svg
    assert "<text" in svg  # text kept as text (svg.fonttype none), searchable and accessible
    png = (tmp_path / "a" / "reliability.png").read_bytes()
    assert b"Software" not in png and b"matplotlib" not in png.lower()


def test_png_resolution_follows_the_style(tmp_path):
    from PIL import Image

    fig = reliability_figure(reliability_table(), thresholds={"ok": 0.7, "weak": 0.6}, style=STYLE)
    png, svg = save_figure(fig, tmp_path / "r", dpi=250)
    with Image.open(png) as im:
        assert round(im.info["dpi"][0]) == 250
        assert im.size[0] == round(6.0 * 250)
    assert svg.suffix == ".svg" and svg.exists()


def test_rebuilding_replaces_the_folder(tmp_path, mini):
    out = tmp_path / "figures"
    build_figures(**all_tables(mini), out_dir=out)
    (out / "stale.png").write_bytes(b"old")
    build_figures(**all_tables(mini), out_dir=out)
    assert not (out / "stale.png").exists()


def test_a_failure_leaves_the_previous_folder(tmp_path, mini):
    out = tmp_path / "figures"
    build_figures(**all_tables(mini), out_dir=out)
    before = _digests(out)
    tables = all_tables(mini)
    tables["agreement"] = tables["agreement"].drop(columns=["short"])
    with pytest.raises(KeyError):
        build_figures(**tables, out_dir=out)
    assert _digests(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figures"]


def test_legend_markers_differ_by_status_not_only_colour():
    fig = reliability_figure(reliability_table(), thresholds={"ok": 0.7, "weak": 0.6}, style=STYLE)
    markers = {h.get_marker() for h in fig.legends[0].legend_handles if isinstance(h, Line2D)}
    assert len(markers) == 3


def test_every_figure_of_synthetic_data_says_so(tmp_path, mini):
    tables = all_tables(mini)
    tables["style"] = replace(
        DEFAULT_STYLE, dpi=100, width=6.0, font_size=8, notice="Synthetic data"
    )
    index = build_figures(**tables, out_dir=tmp_path / "figures")
    for e in index:
        svg = (tmp_path / "figures" / e["svg"]).read_text(encoding="utf-8")
        assert ">Synthetic data<" in svg, e["svg"]
    plain = build_figures(**all_tables(mini), out_dir=tmp_path / "plain")
    for e in plain:
        assert "Synthetic data" not in (tmp_path / "plain" / e["svg"]).read_text(encoding="utf-8")


def test_every_text_colour_of_every_figure_passes_wcag_aa(tmp_path, mini):
    # text drawn on white: at least 4.5:1 (the amber 'weak' marker colour is 2.25:1, so status text
    # uses a darker shade of it)
    import re

    from browser import contrast

    for palette in PALETTES:
        tables = all_tables(mini)
        tables["style"] = replace(DEFAULT_STYLE, dpi=100, width=6.0, font_size=8, palette=palette)
        index = build_figures(**tables, out_dir=tmp_path / palette)
        for e in index:
            svg = (tmp_path / palette / e["svg"]).read_text(encoding="utf-8")
            for tag in re.findall(r"<text[^>]*>", svg):
                m = re.search(r"fill: ?#([0-9a-fA-F]{6})", tag)
                rgb = tuple(int(m.group(1)[i : i + 2], 16) for i in (0, 2, 4)) if m else (0, 0, 0)
                ratio = contrast(f"rgb{rgb}", "rgb(255, 255, 255)")
                assert ratio >= 4.5, (palette, e["svg"], m.group(1) if m else "black", ratio)


# -- wide constructs --------------------------------------------------------------------------------


def test_likert_parts_are_few_contiguous_and_even():
    from mscsurvey.report.figures import LIKERT_PART_ROWS, MAX_LIKERT_ROWS, likert_parts

    assert [len(p) for p in likert_parts(40)] == [10, 10, 10, 10]
    assert [len(p) for p in likert_parts(25)] == [9, 8, 8]
    assert [len(p) for p in likert_parts(19)] == [10, 9]
    assert likert_parts(MAX_LIKERT_ROWS) == [range(0, MAX_LIKERT_ROWS)]
    for n in (1, 17, 18, 19, 36, 37, 40, 100):
        parts = likert_parts(n)
        assert [i for p in parts for i in p] == list(range(n))
        assert len(parts) == 1 or max(len(p) for p in parts) <= LIKERT_PART_ROWS
        assert max(len(p) for p in parts) - min(len(p) for p in parts) <= 1
    with pytest.raises(ValueError):
        likert_parts(5, max_rows=0)


def _wide(mini_codebook_dict, n_items: int = 40):
    """The mini codebook with a construct ``wide`` of ``n_items`` five-point items, and its rows of
    the agreement and distribution tables (item k: k% strongly agree, the rest spread evenly)."""
    d = copy.deepcopy(mini_codebook_dict)
    items = [f"w{k:02d}" for k in range(1, n_items + 1)]
    d["constructs"]["wide"] = {"items": items, "label": "Wide measure"}
    for k, item in enumerate(items, start=1):
        d["items"][item] = {"scale": "agree5", "text": f"Statement {k}.", "short": f"Item {k:02d}"}
    cb = parse_codebook(d, source="tests/data/mini_codebook.yaml")
    agree = pd.DataFrame(
        {
            "item": items,
            "construct": "wide",
            "agree_label": "agreed",
            "short": [f"Item {k:02d}" for k in range(1, n_items + 1)],
            "text": "A statement.",
            "reverse": [k % 7 == 0 for k in range(1, n_items + 1)],
            "n": 100,
            "n_agree": [k + (100 - k) // 4 for k in range(1, n_items + 1)],
            "ci_level": 0.95,
        }
    )
    agree["pct_agree"] = agree["n_agree"].astype(float)
    agree["ci_low"], agree["ci_high"] = agree["pct_agree"] - 5, agree["pct_agree"] + 5
    labels = ["SD", "D", "N", "A", "SA"]
    dist = pd.DataFrame(
        [
            {
                "item": item,
                "construct": "wide",
                "code": code,
                "label": labels[code - 1],
                "agree": code >= 4,
                "n": n,
                "pct": float(n),
                "n_answering": 100,
            }
            for k, item in enumerate(items, start=1)
            for code, n in zip(range(1, 6), [(100 - k) // 4] * 4 + [k], strict=True)
        ]
    )
    return cb, agree, dist


def test_a_40_item_construct_is_split_into_readable_figures(tmp_path, mini_codebook_dict):
    cb, agree, dist = _wide(mini_codebook_dict, 40)
    tables = all_tables(cb)
    tables["agreement"] = pd.concat([tables["agreement"], agree], ignore_index=True)
    tables["distribution"] = pd.concat([tables["distribution"], dist], ignore_index=True)
    tables["style"] = DEFAULT_STYLE  # the default look: 7 in wide, 9 pt
    index = build_figures(**tables, out_dir=tmp_path / "figures")
    wide = [e for e in index if e["construct"] == "wide" and e["kind"] == "likert"]
    assert [(e["part"], e["parts"], e["file"]) for e in wide] == [
        (k, 4, f"likert_wide-{k}.png") for k in (1, 2, 3, 4)
    ]
    # one finding for the whole construct, numbered parts: "Wide measure: 25–55% agreed (1 of 4)"
    assert [e["title"] for e in wide] == [
        f"Wide measure: 25–55% agreed ({k} of 4)" for k in (1, 2, 3, 4)
    ]
    assert [e["caption"].rsplit("Part ", 1)[1] for e in wide] == [
        "1 of 4: items 1–10.",
        "2 of 4: items 11–20.",
        "3 of 4: items 21–30.",
        "4 of 4: items 31–40.",
    ]
    assert "answers to items 11–20 of the 40 Wide measure items" in wide[1]["alt"]
    assert "Item 15: 36% agreed (n = 100)" in wide[1]["alt"]
    assert "Item 10" not in wide[1]["alt"] and "Item 21" not in wide[1]["alt"]
    # every item in exactly one part, in the codebook's order; a construct of few items stays whole
    order = []
    for e in wide:
        svg = (tmp_path / "figures" / e["svg"]).read_text(encoding="utf-8")
        order += re.findall(r">(Item \d\d)(?: †)?<", svg)
    assert order == [f"Item {k:02d}" for k in range(1, 41)]
    assert [e["file"] for e in index if e["construct"] == "alpha" and e["kind"] == "likert"] == [
        "likert_alpha.png"
    ]
    # each part with its caption fits half an A4 page's text (9.9 in) at the brief's text width
    # (6.5 in), so the PDF keeps it in the text; labels are at least 7 pt there
    from PIL import Image

    text_width = (210 - 2 * 22) / 25.4
    for e in wide:
        with Image.open(tmp_path / "figures" / e["file"]) as im:
            w, h = im.size
        # + 0.55 in: three caption lines at 8.5 pt and the space above them
        assert h / w * text_width + 0.55 <= (297 - 24 - 22) / 25.4 / 2, e["file"]
    rows = agree.iloc[:10]
    fig = likert_figure(dist[dist["item"].isin(rows["item"])], rows, label="W", style=DEFAULT_STYLE)
    sizes = {t.get_fontsize() for t in fig.axes[0].get_yticklabels()}
    assert min(sizes) * text_width / DEFAULT_STYLE.width >= 7.0
