"""The Data Walk: a small static website of the study, one page per topic, made from the brief's numbers.

The study this project reproduces was published as a "Data Walk": a few short pages a reader walks
through (what the collaboratives are, then one topic per page), each with its key takeaways, the
survey's findings with their n, respondents' quotes and a menu. This module makes that site from the
same ``numbers.json`` and figure index the brief reads, so no number is computed or typed twice (the
rule's entry, writing the site, is :func:`mscsurvey.stages.walk.build_walk`):

* ``index.html``: the overview (the study, the sample, every key takeaway, a card per topic);
* one page per construct: its description, the findings with n (a sentence per item and a table),
  its chart, subgroup findings, reliability, quotes with their attribution;
* ``who.html`` (who perceives what: the subgroup findings), ``drivers.html`` (what drives the
  outcomes, when the study has driver models) and ``about.html`` (data, de-identification, methods);
* a menu on every page (a sidebar on wide screens, a disclosure menu on phones; no script), previous
  and next links, and, for synthetic data, a notice on every page.

Pages are plain HTML5 with one small inline stylesheet; figures are the figures rule's SVG files,
copied beside the pages and referenced by relative paths, so the site works from the file system with
no server and makes no external request.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Page", "walk_pages", "render_page", "CSS"]

#: The site's stylesheet (inline in every page). Text colours pass WCAG AA on their backgrounds:
#: #1a1a1a/#fff 17:1, #555/#fff 7.5:1, #005a8c/#fff 7.2:1, #8f3b00/#fdf1e8 7.0:1.
CSS = """
:root { --text: #1a1a1a; --muted: #555; --accent: #005a8c; --rule: #d6d6d6; --bg: #f6f6f4;
  --sans: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif;
  --serif: "Libertinus Serif", Georgia, "Times New Roman", serif; }
* { box-sizing: border-box; }
html { background: var(--bg); }
body { margin: 0; color: var(--text); font: 17px/1.55 var(--serif); }
a { color: var(--accent); }
.notice { margin: 0; padding: 0.5rem 1rem; font: bold 0.9rem/1.4 var(--sans); color: #8f3b00;
  background: #fdf1e8; border-bottom: 2px solid #d55e00; text-align: center; }
header.site { padding: 0.8rem 1rem; background: #fff; border-bottom: 3px solid var(--accent);
  font-family: var(--sans); }
header.site .kicker { margin: 0; font-size: 0.75rem; font-weight: bold; letter-spacing: 0.08em;
  color: var(--accent); text-transform: uppercase; }
header.site .study { margin: 0.1rem 0 0; font-size: 1.05rem; font-weight: bold; }
.layout { display: flex; gap: 2rem; max-width: 72rem; margin: 0 auto; padding: 1rem; }
nav.menu { flex: 0 0 14rem; font-family: var(--sans); font-size: 0.92rem; }
nav.menu ol { list-style: none; margin: 0; padding: 0; position: sticky; top: 1rem; }
nav.menu li a { display: block; padding: 0.35rem 0.6rem; border-left: 3px solid transparent;
  text-decoration: none; }
nav.menu li a[aria-current="page"] { border-left-color: var(--accent); font-weight: bold;
  color: var(--text); background: #fff; }
details.menu { display: none; font-family: var(--sans); margin: 0 0 1rem; }
details.menu summary { cursor: pointer; padding: 0.5rem 0.7rem; background: #fff;
  border: 1px solid var(--rule); font-weight: bold; }
details.menu ol { margin: 0; padding: 0.4rem 0 0.4rem 1.6rem; background: #fff;
  border: 1px solid var(--rule); border-top: 0; }
details.menu li { padding: 0.25rem 0; }
main { flex: 1 1 auto; min-width: 0; background: #fff; padding: 1.5rem 2rem 2rem;
  box-shadow: 0 1px 3px rgba(0, 0, 0, 0.08); }
h1, h2, h3 { font-family: var(--sans); line-height: 1.25; }
h1 { font-size: 1.7rem; margin: 0 0 0.6rem; }
h2 { font-size: 1.25rem; margin: 1.8rem 0 0.6rem; }
.lead { font-style: italic; color: var(--muted); }
.takeaways { background: #eef5fa; border-left: 4px solid var(--accent); padding: 0.6rem 1rem 0.6rem 2rem; }
.takeaways li { margin: 0.3rem 0; }
figure { margin: 1.2rem 0; }
figure img { display: block; width: 100%; height: auto; }
figure .scroll img { min-width: 0; }
figcaption { font: 0.85rem/1.4 var(--sans); color: var(--muted); margin-top: 0.4rem; }
blockquote { margin: 1rem 0; padding: 0.2rem 0 0.2rem 1rem; border-left: 3px solid var(--rule);
  font-style: italic; }
blockquote footer { font: normal 0.85rem var(--sans); color: var(--muted); text-align: right; }
.caveat { background: #fdf1e8; border-left: 4px solid #d55e00; padding: 0.5rem 0.9rem; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; font: 0.88rem/1.4 var(--sans); min-width: 100%; }
th, td { text-align: left; padding: 0.35rem 0.5rem; border-bottom: 1px solid var(--rule);
  vertical-align: top; }
td.num, th.num { text-align: right; white-space: nowrap; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(14rem, 1fr)); gap: 0.8rem;
  padding: 0; list-style: none; }
.cards li { border: 1px solid var(--rule); padding: 0.7rem 0.9rem; font-family: var(--sans); }
.cards li a { font-weight: bold; }
.cards li p { margin: 0.3rem 0 0; font-size: 0.88rem; color: var(--muted); }
nav.steps { display: flex; justify-content: space-between; gap: 1rem; margin-top: 2.5rem;
  padding-top: 1rem; border-top: 1px solid var(--rule); font-family: var(--sans); }
nav.steps a { max-width: 48%; }
footer.site { max-width: 72rem; margin: 0 auto; padding: 1rem; font: 0.8rem var(--sans);
  color: var(--muted); }
@media (max-width: 760px) {
  body { font-size: 16px; }
  .layout { display: block; padding: 0.5rem; }
  nav.menu { display: none; }
  details.menu { display: block; }
  main { padding: 1rem; }
  h1 { font-size: 1.4rem; }
  /* a chart keeps a readable size and scrolls inside its own box */
  figure .scroll img { min-width: 600px; }
}
"""


# Page names of the walk's own pages (a construct of the same id gets a prefixed name).
_RESERVED = frozenset({"index", "who", "drivers", "about", "pages"})


@dataclass(frozen=True)
class Page:
    """One page of the walk: its file name, its title in the menu, and its body (HTML)."""

    slug: str
    title: str
    body: str
    blurb: str = ""
    figures: tuple[str, ...] = field(default=())


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _para(text: str | None, cls: str = "") -> str:
    if not text:
        return ""
    attr = f' class="{cls}"' if cls else ""
    return f"<p{attr}>{_e(text)}</p>\n"


def _bullets(items: Sequence[str], cls: str = "") -> str:
    if not items:
        return ""
    attr = f' class="{cls}"' if cls else ""
    return f"<ul{attr}>" + "".join(f"<li>{_e(t)}</li>" for t in items) + "</ul>\n"


def _figure(entry: Mapping[str, Any] | None) -> tuple[str, tuple[str, ...]]:
    if not entry:
        return "", ()
    svg = str(entry["svg"])
    caption = entry.get("caption") or entry.get("title") or ""
    return (
        f'<figure><div class="scroll"><img src="figures/{_e(svg)}" '
        f'alt="{_e(entry.get("alt", ""))}"></div>'
        f"<figcaption>{_e(caption)}</figcaption></figure>\n",
        (svg,),
    )


def _quotes(quotes: Sequence[Mapping[str, str]]) -> str:
    return "".join(
        f"<blockquote><p>{_e(q['text'])}</p><footer>{_e(q['attribution'])}"
        + (" (generated comment)" if q.get("generated") else "")
        + "</footer></blockquote>\n"
        for q in quotes
    )


def _table(rows: Sequence[Mapping[str, Any]], columns: Mapping[str, str], numeric=()) -> str:
    if not rows:
        return ""
    head = "".join(
        f'<th scope="col"{" class=num" if c in numeric else ""}>{_e(t)}</th>'
        for c, t in columns.items()
    )
    body = "".join(
        "<tr>"
        + "".join(
            f"<td{' class=num' if c in numeric else ''}>{_e(r.get(c, ''))}</td>" for c in columns
        )
        + "</tr>"
        for r in rows
    )
    return (
        f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>\n"
    )


def _construct_page(
    c: Mapping[str, Any], numbers: Mapping[str, Any], likert: Sequence[Mapping[str, Any]]
) -> Page:
    """One construct's page; ``likert``: its Likert figure(s) (a wide construct's come in parts)."""
    parts = [f"<h1>{_e(c['label'])}</h1>\n", _para(c.get("description"), "lead")]
    parts.append("<h2>Findings</h2>\n" + _para(c.get("summary")))
    parts.append(_bullets([i["sentence"] for i in c.get("items", []) if i.get("sentence")]))
    svgs: tuple[str, ...] = ()
    for entry in likert:
        fig, found = _figure(entry)
        parts.append(fig)
        svgs += found
    parts.append(
        _table(
            c.get("items", []),
            {"text": "Item", "pct": f"% {c.get('agree_label', 'agreed')}", "ci": "CI", "n": "n"},
            numeric=("pct", "ci", "n"),
        )
    )
    if c.get("caveat"):
        parts.append(f'<p class="caveat">{_e(c["caveat"])}</p>\n')
    sub = next((s for s in numbers.get("subgroups", []) if s["construct"] == c["id"]), None)
    if sub and (sub.get("sentences") or sub.get("none")):
        head = numbers.get("headings", {}).get("walk_who_construct", "Who perceives it differently")
        parts.append(f"<h2>{_e(head)}</h2>\n")
        parts.append(_bullets(sub["sentences"]) if sub["sentences"] else _para(sub["none"]))
    rel = next(
        (r for r in numbers.get("reliability", {}).get("rows", []) if r["construct"] == c["id"]),
        None,
    )
    if rel:
        parts.append(
            _para(
                f"Reliability of the {c['label']} score: Cronbach's α = {rel['alpha']} "
                f"(CI {rel['ci']}, n = {rel['n']}, {rel['n_items']} items)."
            )
        )
    if c.get("quotes"):
        parts.append("<h2>In their words</h2>\n" + _quotes(c["quotes"]))
    blurb = c.get("summary") or ""
    slug = c["id"] if c["id"] not in _RESERVED else f"construct-{c['id']}"
    return Page(slug, c["label"], "".join(parts), blurb, svgs)


def _overview(numbers: Mapping[str, Any], topics: Sequence[Page]) -> Page:
    study = numbers.get("study", {})
    parts = [f"<h1>{_e(study.get('title', 'Survey findings'))}</h1>\n"]
    parts.append(_para(study.get("description"), "lead"))
    syn = numbers.get("synthetic") or {}
    if syn.get("is_synthetic"):
        parts.append(f'<p class="caveat">{_e(syn["methods"])}</p>\n')
    parts.append(_para(numbers.get("sample", {}).get("sentence")))
    takeaways = [t["text"] for t in numbers.get("takeaways", [])]
    if takeaways:
        parts.append("<h2>Key takeaways</h2>\n" + _bullets(takeaways, "takeaways"))
    parts.append('<h2>Walk through the findings</h2>\n<ol class="cards">')
    for p in topics:
        parts.append(f'<li><a href="{_e(p.slug)}.html">{_e(p.title)}</a>{_para(p.blurb)}</li>')
    parts.append("</ol>\n")
    return Page("index", "Overview", "".join(parts))


def _who(
    numbers: Mapping[str, Any], figures: Mapping[tuple[str, str | None], Mapping[str, Any]]
) -> Page | None:
    subs = [s for s in numbers.get("subgroups", []) if s.get("sentences")]
    if not subs:
        return None
    # headings from numbers.json (mscsurvey.report.phrasing); older numbers files: the default study's
    words = numbers.get("headings", {})
    title = words.get("walk_who") or "Who perceives what"
    parts = [f"<h1>{_e(title)}</h1>\n", _para(numbers.get("methods", {}).get("subgroups"))]
    svgs: list[str] = []
    for s in subs:
        parts.append(f"<h2>{_e(s['label'])}</h2>\n" + _bullets(s["sentences"]))
        fig, found = _figure(figures.get(("subgroups", s["construct"])))
        parts.append(fig)
        svgs += found
    blurb = words.get("walk_who_blurb", "How answers differ between groups.")
    return Page("who", title, "".join(parts), blurb, tuple(svgs))


def _drivers(
    numbers: Mapping[str, Any], figures: Mapping[tuple[str, str | None], Mapping[str, Any]]
) -> Page | None:
    drivers = [d for d in numbers.get("drivers", []) if d.get("estimated", True)]
    if not drivers:
        return None
    words = numbers.get("headings", {})
    title = words.get("walk_drivers") or "What drives the outcomes"
    parts = [f"<h1>{_e(title)}</h1>\n"]
    parts.append(_para(numbers.get("methods", {}).get("drivers_short")))
    svgs: list[str] = []
    for d in drivers:
        parts.append(
            f"<h2>{_e(d['label'])}</h2>\n" + _para(d.get("sentence")) + _para(d.get("fit"))
        )
        if d.get("caveat"):
            parts.append(f'<p class="caveat">{_e(d["caveat"])}</p>\n')
        fig, found = _figure(figures.get(("drivers", d["model"])))
        parts.append(fig)
        svgs += found
        parts.append(
            _table(
                d.get("predictors", []),
                {"rank": "Rank", "label": "Predictor", "share": "Share of R²"}
                | {"direction": "Direction", "detail": "Estimate"},
                numeric=("rank", "share"),
            )
        )
    blurb = words.get("walk_drivers_blurb", "")
    return Page("drivers", title, "".join(parts), blurb, tuple(svgs))


def _about(numbers: Mapping[str, Any]) -> Page:
    methods = numbers.get("methods", {})
    syn = numbers.get("synthetic") or {}
    parts = ["<h1>About the data</h1>\n"]
    if syn.get("is_synthetic"):
        parts.append(_para(syn["methods"]))
    parts.append("<h2>Respondents</h2>\n" + _para(numbers.get("exclusions", {}).get("sentence")))
    parts.append("<h2>De-identification</h2>\n")
    parts.append(
        "".join(_para(s) for s in numbers.get("deidentification", {}).get("sentences", []))
    )
    parts.append("<h2>Measures and analyses</h2>\n")
    for key in ("findings", "agreement", "scores", "subgroups", "drivers"):
        parts.append(_para(methods.get(key)))
    rel = numbers.get("reliability", {})
    parts.append(_para(rel.get("summary")))
    pub = numbers.get("published", {})
    if pub.get("n_items"):
        parts.append("<h2>Published and reproduced</h2>\n" + _para(pub.get("summary")))
    blurb = "How the survey was run, de-identified and analysed."
    return Page("about", "About the data", "".join(parts), blurb)


def walk_pages(numbers: Mapping[str, Any], figure_index: Sequence[Mapping[str, Any]]) -> list[Page]:
    """The pages of the walk, in reading order: overview, constructs, who, drivers, about."""
    figures = {(f["kind"], f.get("model") or f.get("construct")): f for f in figure_index}
    likert: dict[str, list[Mapping[str, Any]]] = {}
    for f in figure_index:
        if f["kind"] == "likert":
            likert.setdefault(str(f["construct"]), []).append(f)
    topics = [
        _construct_page(c, numbers, likert.get(c["id"], [])) for c in numbers.get("constructs", [])
    ]
    topics += [p for p in (_who(numbers, figures), _drivers(numbers, figures)) if p is not None]
    topics.append(_about(numbers))
    return [_overview(numbers, topics), *topics]


def _menu(pages: Sequence[Page], current: str) -> str:
    items = "".join(
        f'<li><a href="{_e(p.slug)}.html"'
        + (' aria-current="page"' if p.slug == current else "")
        + f">{_e(p.title)}</a></li>"
        for p in pages
    )
    return items


def render_page(page: Page, pages: Sequence[Page], study: Mapping[str, Any], notice: str) -> str:
    """One page as a complete HTML document (menu, previous/next links, notice, inline CSS)."""
    slugs = [p.slug for p in pages]
    i = slugs.index(page.slug)
    prev_link = (
        f'<a rel="prev" href="{_e(pages[i - 1].slug)}.html">← {_e(pages[i - 1].title)}</a>'
        if i > 0
        else "<span></span>"
    )
    next_link = (
        f'<a rel="next" href="{_e(pages[i + 1].slug)}.html">{_e(pages[i + 1].title)} →</a>'
        if i + 1 < len(pages)
        else "<span></span>"
    )
    short = study.get("short_title") or study.get("title") or "Survey"
    menu = _menu(pages, page.slug)
    notice_html = f'<p class="notice" role="note">{_e(notice)}</p>\n' if notice else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(page.title)} – {_e(short)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        f"{notice_html}"
        f'<header class="site"><p class="kicker">Data Walk</p><p class="study">{_e(short)}</p>'
        "</header>\n"
        '<div class="layout">\n'
        f'<nav class="menu" aria-label="Pages"><ol>{menu}</ol></nav>\n'
        f'<main>\n<details class="menu"><summary>Menu: {_e(page.title)}</summary><ol>{menu}</ol>'
        f"</details>\n{page.body}"
        f'<nav class="steps" aria-label="Previous and next">{prev_link}{next_link}</nav>\n</main>\n'
        "</div>\n"
        f'<footer class="site">Page {i + 1} of {len(pages)}. Every number comes from the '
        "study's data through the mscsurvey pipeline"
        + (f"; {_e(notice.lower())}" if notice else "")
        + ".</footer>\n</body>\n</html>\n"
    )
