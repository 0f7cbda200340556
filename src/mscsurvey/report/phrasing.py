"""The brief's words: every sentence, heading and figure title, from numbers and the codebook's words.

One module of phrasing rules, pure and without I/O. Callers (:mod:`mscsurvey.stages.brief_numbers`,
:mod:`mscsurvey.stages.regressions`, :mod:`mscsurvey.report.figures`, :mod:`mscsurvey.report.walk`) pass what they
computed and the codebook's words (construct and group labels, the scale's labels, what counts as
"agreeing" on it, the cluster's name or None); nothing here reads a table or a file.

Rules these functions keep:

- A sentence exists only when its content does: no clustering language without a cluster, no
  published-findings language without published findings, no drivers without models, no quotes
  text without comments, no count of a thing the study did not have (speeders without timings).
- "% agreed" is said only of an agreement scale (its labels speak of agreeing); on another scale the
  codebook's own ``agree_label`` is used, or, when that still says "agreed", the top categories the
  codebook counts (e.g. "chose 5 or 6 on the 1–6 scale").
- Confidence levels and thresholds are arguments (``analyses.ci_level``, ``scales.thresholds``,
  ``analyses.min_group_n``, ``deidentify.k``), never fixed text.
- A number is written as it will be read ("88%", "n = 433", "p = 0.003"); missing is "–".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from mscsurvey.codebook.spec import Scale, normalise_label

__all__ = [
    "MISSING",
    "fmt_pct",
    "fmt_num",
    "fmt_int",
    "fmt_p",
    "fmt_level",
    "lower_first",
    "join",
    "is_agreement_scale",
    "agree_words",
    "agree_header",
    "scale_span",
    "item_sentence",
    "construct_summary",
    "least_endorsed",
    "subgroup_cluster_sentence",
    "subgroup_category_sentence",
    "subgroup_none",
    "driver_sentence",
    "not_estimated",
    "not_modelled",
    "driver_fit",
    "driver_caveat",
    "drivers_heading",
    "reliability_caveat",
    "reliability_sentence",
    "published_sentence",
    "sample_sentence",
    "exclusion_sentence",
    "suppression_sentence",
    "identifier_sentence",
    "methods_text",
    "groups_heading",
    "headings",
    "quotes_text",
    "release_sentence",
    "SYNTHETIC_BANNER",
    "synthetic_texts",
    "invariance_methods",
    "invariance_note",
    "imputation_method",
    "flag",
    "TABLE_CAPTIONS",
    "APPENDIX_INTRO",
    "predictors_caption",
    "items_caption",
    "likert_title",
    "likert_caption",
    "likert_part",
    "subgroup_caption",
    "controls_clause",
    "driver_caption",
    "reliability_caption",
    "published_caption",
    "subgroup_title",
    "driver_title",
    "reliability_title",
    "published_title",
]

MISSING = "–"


# --------------------------------------------------------------------------------------------------
# Numbers as read
# --------------------------------------------------------------------------------------------------


def _finite(value: Any) -> bool:
    try:
        return value is not None and value is not pd.NA and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def fmt_pct(value: Any) -> str:
    """``87.99`` -> ``"88%"``; missing -> ``"–"``."""
    return f"{float(value):.0f}%" if _finite(value) else MISSING


def fmt_num(value: Any, digits: int = 2) -> str:
    """``0.8123`` -> ``"0.81"``; missing -> ``"–"``."""
    return f"{float(value):.{digits}f}" if _finite(value) else MISSING


def fmt_int(value: Any) -> str:
    """``433.0`` -> ``"433"``; missing -> ``"–"``."""
    return f"{int(round(float(value)))}" if _finite(value) else MISSING


def fmt_p(value: Any) -> str:
    """A p-value as read: ``"p = 0.012"``, ``"p < 0.001"``; missing -> ``"p –"``."""
    if not _finite(value):
        return f"p {MISSING}"
    p = float(value)
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def fmt_level(level: float) -> str:
    """A confidence level as read: ``0.95`` -> ``"95%"``, ``0.9`` -> ``"90%"``, ``0.995`` -> ``"99.5%"``."""
    return f"{100 * float(level):g}%"


def lower_first(text: str) -> str:
    """A label inside a sentence: "Shared purpose" -> "shared purpose"; "MSC staff" unchanged."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def join(parts: Sequence[str], word: str = "and") -> str:
    """``["a", "b", "c"]`` -> ``"a, b and c"``."""
    parts = list(parts)
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + f" {word} " + parts[-1]


# --------------------------------------------------------------------------------------------------
# What "agreeing" means on a scale
# --------------------------------------------------------------------------------------------------


def is_agreement_scale(scale: Scale) -> bool:
    """True when the scale's own labels speak of agreeing ("Strongly agree", "Disagree", ...)."""
    return any("agree" in normalise_label(lab) for lab in scale.codes.values())


def agree_words(scale: Scale) -> str:
    """What choosing one of the scale's counted (top) categories means, as a verb phrase.

    "agreed" on an agreement scale; the codebook's ``agree_label`` when it is written for its scale
    ('said "a lot"'); otherwise the counted categories by the codebook's labels ('chose “very
    accurate” or “moderately accurate”'), or, for bare codes, "chose 5 or 6 on the 1–6 scale".
    """
    label = str(scale.agree_label)
    if is_agreement_scale(scale) or not normalise_label(label).startswith("agree"):
        return label
    top = sorted(scale.agree, reverse=True)
    if all(normalise_label(scale.codes[c]) == str(c) for c in top):
        return f"chose {join([str(c) for c in sorted(top)], 'or')} on the {scale_span(scale)} scale"
    return "chose " + join([f"“{lower_first(scale.codes[c])}”" for c in top], "or")


def agree_header(scale: Scale) -> str:
    """:func:`agree_words` short enough for a column header after "%" in a chart ("agreed",
    "chose 5–6", "chose top 2")."""
    words = agree_words(scale)
    if not words.startswith("chose "):
        return words
    top = sorted(scale.agree)
    if all(normalise_label(scale.codes[c]) == str(c) for c in top):
        return f"chose {top[0]}–{top[-1]}" if len(top) > 1 else f"chose {top[0]}"
    return (
        f"chose top {len(top)}" if len(top) > 1 else f"chose “{lower_first(scale.codes[top[0]])}”"
    )


def scale_span(scale: Scale) -> str:
    """``"1–5"``: the scale's lowest and highest codes."""
    return f"{scale.min}–{scale.max}"


# --------------------------------------------------------------------------------------------------
# Findings
# --------------------------------------------------------------------------------------------------


def _statement(words: str, text: str, statement: str | None) -> str:
    """ "agreed that they can describe ..." (a published statement, on an agreement scale) or
    'said "a lot" to “How much ...?”' (the item's wording)."""
    if statement and words.lower().startswith("agree"):
        return f"{words} that {statement.rstrip('.')}"
    return f"{words} with “{text}”" if words.lower().startswith("agree") else f"{words} to “{text}”"


def item_sentence(
    *,
    words: str,
    text: str,
    short: str,
    pct: Any,
    n: Any,
    statement: str | None = None,
    suppressed: bool = False,
    note: str = "",
) -> str:
    """One item's finding: "88% of respondents agreed with “...” (n = 433)."."""
    if suppressed:
        return (
            f"“{short}”: not shown, answered by too few respondents "
            f"({note or 'small cell'}; see Methods)."
        )
    return f"{fmt_pct(pct)} of respondents {_statement(words, text, statement)} (n = {fmt_int(n)})."


def construct_summary(
    label: str, words: str, answered: pd.DataFrame, *, suppressed: bool, single: str | None
) -> str:
    """A construct's range of item percentages in one sentence (``answered``: its answered rows of
    the agreement table, with ``pct_agree``, ``short``, ``n``)."""
    if answered.empty and suppressed:
        return (
            f"The items of {label.lower()} were answered by too few respondents to be shown "
            "(see Methods)."
        )
    if answered.empty:
        return f"No item of {label.lower()} was answered."
    if len(answered) == 1 and single:
        return single
    hi = answered.loc[answered["pct_agree"].idxmax()]
    lo = answered.loc[answered["pct_agree"].idxmin()]
    return (
        f"Across its {len(answered)} items, between {fmt_pct(lo['pct_agree'])} "
        f"(“{lo['short']}”, n = {fmt_int(lo['n'])}) and {fmt_pct(hi['pct_agree'])} "
        f"(“{hi['short']}”, n = {fmt_int(hi['n'])}) of respondents {words}."
    )


def least_endorsed(label: str, *, mean: float, n: int, scale: Scale, reversed_items: int) -> str:
    """The takeaway on the construct with the lowest score, read from reverse-keyed scores."""
    flipped = (
        f"; its {reversed_items} reverse-keyed item{'s' if reversed_items != 1 else ''} flipped"
        if reversed_items
        else ""
    )
    ends = (
        f"{scale.min} = {lower_first(scale.codes[scale.min])}, "
        f"{scale.max} = {lower_first(scale.codes[scale.max])}; "
        if normalise_label(scale.codes[scale.min]) != str(scale.min)
        else ""  # bare codes: "1 = 1" says nothing
    )
    return (
        f"{label} scored lowest of the measures: mean {fmt_num(mean)} on its "
        f"{scale.min}–{scale.max} scale ({ends}{flipped.removeprefix('; ')}"
        f"{'; ' if flipped else ''}n = {fmt_int(n)})."
    )


def subgroup_cluster_sentence(
    label: str,
    glabel: str,
    hi: Mapping[str, Any],
    lo: Mapping[str, Any],
    *,
    span: str,
    unit: str,
    p: float,
) -> str:
    """A cluster-level group's difference (mixed-model test)."""
    return (
        f"{label} differed by {glabel}: highest for {hi['category']} "
        f"(mean {fmt_num(hi['mean'])}, n = {fmt_int(hi['n'])}) and lowest for "
        f"{lo['category']} ({fmt_num(lo['mean'])}, n = {fmt_int(lo['n'])}) on a {span} scale; "
        f"{unit}-level mixed-model test, Holm-adjusted {fmt_p(p)}."
    )


def subgroup_category_sentence(
    label: str, glabel: str, rec: Mapping[str, Any], *, span: str
) -> str:
    """One category's difference from the other respondents (Welch test, Hedges' g)."""
    higher = float(rec["diff_vs_rest"]) > 0
    return (
        f"{rec['category']} ({glabel}) rated {lower_first(label)} "
        f"{'higher' if higher else 'lower'} than other respondents (mean "
        f"{fmt_num(rec['mean'])} vs {fmt_num(rec['mean_rest'])} on a {span} scale; Hedges' g = "
        f"{fmt_num(rec.get('hedges_g'))}; n = {fmt_int(rec['n'])}; Holm-adjusted "
        f"{fmt_p(rec.get('p_holm'))})."
    )


def subgroup_none(label: str, alpha: float) -> str:
    return (
        f"No subgroup differed clearly in {lower_first(label)} "
        f"(every Holm-adjusted p ≥ {alpha:.2f}, or too few respondents)."
    )


def driver_sentence(outcome: str, named: Sequence[str], controls: Sequence[str]) -> str:
    """ "Shared purpose is most strongly associated with trust (+) and ..., controlling for ..."."""
    tail = f", controlling for {join(controls)}" if controls else ""
    if named:
        return f"{outcome} is most strongly associated with {join(named)}{tail}."
    return f"{outcome}: no predictor could be ranked{tail}."


def not_estimated(label: str, why: str) -> str:
    return f"The {label.lower()} model could not be estimated" + (f" ({why})." if why else ".")


def not_modelled(outcome: str, note: str) -> str:
    return f"{outcome}: not modelled ({note})."


def driver_fit(label: str, r2: float, n: Any, n_clusters: Any, unit: str | None) -> str:
    return (
        f"The model explains {fmt_pct(100 * r2) if _finite(r2) else MISSING} of the variance in "
        f"{lower_first(label)} (R² = {fmt_num(r2)}; "
        f"n = {fmt_int(n)} respondents who answered every predictor"
        + (f", in {fmt_int(n_clusters)} {unit}s" if unit and _finite(n_clusters) else "")
        + ")."
    )


def driver_caveat(weak: Sequence[str]) -> str | None:
    """The caveat of a model involving weak or failed scales (None without any)."""
    if not weak:
        return None
    one = len(weak) == 1
    return (
        f"Caveat: {join(weak)} {'has' if one else 'have'} weak or failed reliability; read the "
        f"coefficients involving {'it' if one else 'them'} with caution."
    )


def drivers_heading(labels: Sequence[str]) -> str:
    """ "What drives shared purpose and trust" ("the outcomes" for three or more); "" with no model."""
    if not labels:
        return ""
    if len(labels) <= 2:
        return "What drives " + " and ".join(lower_first(x) for x in labels)
    return "What drives the outcomes"


def reliability_caveat(
    label: str, status: str, alpha: Any, ci: str, *, level: str, ok: float, weak: float, use: str
) -> str | None:
    """The caveat of a weak or failed scale (None for another status)."""
    alpha_txt = f"α = {fmt_num(alpha)}" + (f", {level} CI {ci}" if ci != MISSING else "")
    if status == "failed":
        return (
            f"Caveat: {label} did not reach acceptable reliability ({alpha_txt}; "
            f"below {weak:.2f}); {use}."
        )
    if status == "weak":
        return (
            f"Caveat: {label} has weak reliability ({alpha_txt}; between {weak:.2f} "
            f"and {ok:.2f}); read its score with caution."
        )
    return None


def reliability_sentence(rows: Sequence[Mapping[str, Any]], *, ok: float, weak: float) -> str:
    n = len(rows)
    n_ok = sum(r["status"] == "ok" for r in rows)
    if n == 0:
        return "No reliability estimates are available."
    if n_ok == n:
        return f"All {n} scales reached acceptable reliability (Cronbach's α ≥ {ok:.2f})."
    weak_l = [r["label"] for r in rows if r["status"] == "weak"]
    failed = [r["label"] for r in rows if r["status"] == "failed"]
    bits = []
    if weak_l:
        bits.append(f"{join(weak_l)} {'was' if len(weak_l) == 1 else 'were'} weak")
    if failed:
        bits.append(f"{join(failed)} failed (α < {weak:.2f})")
    return (
        f"{n_ok} of {n} scales reached acceptable reliability (Cronbach's α ≥ {ok:.2f}); "
        + "; ".join(bits)
        + "."
    )


def published_sentence(n: int, inside: int, max_dn: int | None, *, level: str) -> str:
    head = (
        f"All {n} published percentages lie inside the reproduced {level} confidence intervals"
        if inside == n
        else f"{inside} of {n} published percentages lie inside the reproduced {level} "
        "confidence intervals"
    )
    if max_dn is None:
        tail = ""
    elif max_dn == 0:
        tail = ", with the same item n's"
    else:
        tail = f"; item n's differ by at most {max_dn}"
    return head + tail + "."


def sample_sentence(analysed: str, received: str, n_clusters: int | None, unit: str | None) -> str:
    return (
        f"{analysed} of {received} survey responses were analysed"
        + (f", from {n_clusters} {unit}s" if n_clusters and unit else "")
        + "."
    )


def exclusion_sentence(received: Any, analysed: Any, excluded: int, parts: Sequence[str]) -> str:
    """ "Of 300 responses received, 280 were analysed; 20 were excluded (10 duplicate ...)."."""
    return f"Of {fmt_int(received)} responses received, {fmt_int(analysed)} were analysed" + (
        f"; {fmt_int(excluded)} were excluded ({', '.join(parts)})." if parts else "."
    )


def suppression_sentence(min_n: int, parts: Sequence[str]) -> str:
    """What the minimum cell size withheld (``parts``: "2 subgroup cells", ...)."""
    return (
        f"No number in this brief rests on fewer than {min_n} respondents (analyses.min_group_n): "
        "smaller cells are not shown and are left out of every test"
        + (f"; withheld for that reason: {join(parts)}." if parts else "; none had to be withheld.")
    )


def identifier_sentence(n_direct: int, n_unused: int, *, has_id: bool) -> str:
    """What became of the identifiers and of the columns the codebook does not use."""
    ids = (
        "respondent ids were replaced by keyed pseudonyms (HMAC-SHA256)"
        if has_id
        else "respondents, who had no id in the data, were given keyed pseudonyms (HMAC-SHA256) "
        "made from their row position and answers"
    )
    head = (
        f"Direct identifiers were removed ({n_direct} column{'s' if n_direct != 1 else ''} "
        f"dropped) and {ids}"
        if n_direct
        else ids[:1].upper() + ids[1:]
    )
    unused = (
        f"; {n_unused} column{'s' if n_unused != 1 else ''} the codebook does not use "
        f"{'were' if n_unused != 1 else 'was'} not carried over"
        if n_unused
        else ""
    )
    return head + unused + "."


# --------------------------------------------------------------------------------------------------
# Methods and headings
# --------------------------------------------------------------------------------------------------


def _findings_method(words: str, agreement: bool, quotes: str | None) -> str:
    ends = (
        "disagreement (the low end of the scale) to the left, agreement (the high end) to the right"
        if agreement
        else "the low end of each scale to the left, the high end to the right"
    )
    return (
        f"Each chart shows how respondents answered the items of one measure: {ends}, with the "
        f"share who {words} and the number answering each item."
        + (
            f" Quotes are {quotes}, shown only where the attribution keeps them among enough others."
            if quotes
            else ""
        )
    )


def _agreement_method(words: str, agreement: bool, level: str, dont_know: bool) -> str:
    what = (
        "“% agreed” is the share of respondents who answered an item on its scale and chose one "
        "of the scale's agreement categories"
        if agreement
        else "An item's percentage is the share of respondents who answered it on its scale and "
        f"chose one of the categories the codebook counts at its top (they {words})"
    )
    left_out = "“don't know” and skipped answers are" if dont_know else "skipped answers are"
    return (
        f"{what}; {left_out} left out of each item's n. Intervals are Wilson {level} confidence "
        "intervals."
    )


def _subgroup_method(level: str, min_n: int, unit: str | None) -> str:
    return (
        f"Subgroup means are shown with {level} confidence intervals; any category with fewer "
        f"than {min_n} respondents is suppressed (not shown and left out of every test). "
        "Differences are tested one category against the rest (Welch t-test, Hedges' g) and "
        "across categories (Welch ANOVA)"
        + (
            f"; for groups that are constant within a {unit} the test is a mixed model with a "
            f"random intercept per {unit}"
            if unit
            else ""
        )
        + ". p-values are Holm-adjusted across all comparisons."
    )


def _driver_methods(unit: str | None, published: bool, controls: bool) -> tuple[str, str]:
    se = (
        f", with standard errors clustered by {unit} (respondents are nested in {unit}s)"
        if unit
        else ", with heteroskedasticity-robust (HC3) standard errors"
    )
    long = (
        "Drivers are estimated by linear regression of construct scores with standardised "
        f"coefficients (outcome and predictors in standard deviations){se}"
        + (
            "; the published findings do not name their model, and this is the reading this "
            "project adopts"
            if published
            else ""
        )
        + ". Groups enter as dummies against their reference category (ordered groups as a linear "
        "score). Relative importance is general dominance: each predictor's share of the model's "
        "R²."
        + (
            " A model's controls are in the regression and its R² shares but are not ranked as "
            "drivers: the ranking is among the predictors."
            if controls
            else ""
        )
    )
    short = (
        "Each model is a linear regression of construct scores with standardised coefficients"
        + (f" and standard errors clustered by {unit}" if unit else "")
        + "; predictors are ordered by their share of the variance the model explains"
        + (
            ", and the controls it adjusts for are listed after them, not ranked"
            if controls
            else ""
        )
        + " (see Methods)."
    )
    return long, short


def methods_text(
    *,
    words: str,
    agreement: bool,
    level: str,
    min_n: int,
    unit: str | None,
    quotes: str | None,
    models: bool,
    controls: bool,
    published: bool,
    dont_know: bool = True,
) -> dict[str, str]:
    """The Methods paragraphs, each only with what the study has.

    Parameters
    ----------
    words : str
        What the counted categories mean (:func:`agree_words` of the items' scales).
    agreement : bool
        Every item is on an agreement scale.
    level : str
        The confidence level as read ("95%").
    min_n : int
        ``analyses.min_group_n``.
    unit : str or None
        The cluster's name inside a sentence, or None when the study has no cluster.
    quotes : str or None
        Whose comments the quotes are ("respondents' own comments"); None: no comment is quoted.
    models, controls, published, dont_know : bool
        The study has driver models, models with controls, published findings, answers coded
        missing (a scale's ``missing`` labels, e.g. "don't know").
    """
    long, short = _driver_methods(unit, published, controls) if models else ("", "")
    return {
        "findings": _findings_method(words, agreement, quotes),
        "agreement": _agreement_method(words, agreement, level, dont_know),
        "scores": (
            "A construct's score is the mean of its items (reverse-keyed items flipped), computed "
            "when the respondent answered enough of them; reliability is Cronbach's α with its "
            "confidence interval."
        ),
        "subgroups": _subgroup_method(level, min_n, unit),
        "drivers": long,
        "drivers_short": short,
    }


def groups_heading(agreement: bool) -> str:
    """The subgroup section's heading: perceptions on agreement scales, differences otherwise."""
    return "Who perceives what" if agreement else "How groups differ"


def headings(
    *,
    driver_labels: Sequence[str],
    published: bool,
    groups: bool,
    level: str,
    agreement: bool = True,
    group_labels: Sequence[str] = (),
) -> dict[str, str]:
    """The brief's (and the Data Walk's) section headings, column titles and page blurbs; "" for a
    section the study does not have (``agreement``: every item is on an agreement scale, so the
    answers are perceptions; ``group_labels``: the codebook's grouping variables)."""
    groups_by = join([lower_first(g) for g in group_labels]) or "group"
    return {
        "walk_who": groups_heading(agreement) if groups else "",
        "walk_who_construct": (
            "Who perceives it differently" if agreement else "How it differs by group"
        ),
        "walk_who_blurb": f"How answers differ by {groups_by}.",
        "walk_drivers": "What drives the outcomes" if driver_labels else "",
        "walk_drivers_blurb": "Which measures are most strongly associated with the outcomes.",
        "takeaways": "Key takeaways",
        "findings": "Survey findings",
        "subgroups": groups_heading(agreement) if groups else "",
        "other_measures": "Other measures",
        "quiet": "No subgroup differed clearly from the other respondents in: ",
        "drivers": drivers_heading(driver_labels),
        "reliability": "Reliability of the measures",
        "published": "Published vs reproduced" if published else "",
        "methods": "Methods",
        "ci": f"{level} CI",
    }


# --------------------------------------------------------------------------------------------------
# Figure titles (the finding of the chart)
# --------------------------------------------------------------------------------------------------


def likert_title(
    label: str, words: str, lo: float | None, hi: float | None, *, suppressed: bool
) -> str:
    """``"Shared purpose: 78–96% agreed"`` (``lo``/``hi``: the items' lowest and highest %)."""
    if lo is None or hi is None:
        return (
            f"{label}: suppressed (too few answers)"
            if suppressed
            else f"{label}: no item was answered"
        )
    if round(lo) == round(hi):
        return f"{label}: {hi:.0f}% {words}"
    return f"{label}: {lo:.0f}–{hi:.0f}% {words}"


def likert_caption(n: int, label: str, words: str, left_out: str, *, reversed_items: bool) -> str:
    """A Likert chart's caption: what is drawn, what counts and what was left out."""
    return (
        f"Answers to the {n} {label} items ({left_out} left out); right: the share who {words}, "
        "with each item's n."
        + (
            " † Negatively worded: reverse-scored, so a high answer counts against the measure."
            if reversed_items
            else ""
        )
    )


def likert_part(
    title: str, caption: str, k: int, parts: int, first: int, last: int
) -> tuple[str, str]:
    """Title and caption of part ``k`` of a construct drawn over ``parts`` figures (items
    ``first``..``last``)."""
    return f"{title} ({k} of {parts})", f"{caption} Part {k} of {parts}: items {first}–{last}."


def subgroup_caption(label: str, ci: str, unit: str | None) -> str:
    """A subgroup chart's caption; the mixed-model note only when the study has a cluster."""
    return (
        f"Mean {label} score by subgroup with its {ci} and n; the dashed line is the mean of the "
        "group's respondents; categories too small to report are marked, never shown; adj. p: the "
        "group's Holm-adjusted test"
        + (f" ({unit}-level groups: mixed model)" if unit else "")
        + "."
    )


def controls_clause(names: Sequence[str]) -> str:
    """``", then the controls (role in the MSC, sector), adjusted for and not ranked"`` or ``""``."""
    if not names:
        return ""
    return f", then the controls ({', '.join(lower_first(x) for x in names)}), adjusted for and not ranked"


def driver_caption(label: str, ci: str, controls: Sequence[str], unit: str | None) -> str:
    """A driver chart's caption; its standard errors as the model computed them (clustered by the
    study's cluster, else HC3)."""
    se = (
        f"standard errors clustered by {unit}"
        if unit
        else "heteroskedasticity-robust (HC3) standard errors"
    )
    return (
        f"Standardised coefficients of the {label} model with {ci}s ({se}), predictors in order "
        f"of relative importance{controls_clause(controls)}; right: each predictor's share of R² "
        "(general dominance)."
    )


def reliability_caption(ok: float, weak: float) -> str:
    return (
        "Cronbach's α of each measure with its confidence interval, against the thresholds "
        f"ok ≥ {ok:.2f} (dashed) and weak ≥ {weak:.2f} (dotted)."
    )


def published_caption(ci: str) -> str:
    return (
        "Published percentages (open diamonds) and the reproduced ones with their "
        f"{ci}s (dots); right: reproduced and published n."
    )


def subgroup_title(label: str, glabel: str | None, hi: str = "", lo: str = "") -> str:
    """``"Shared purpose differs most by role: highest for A, lowest for B"`` (``glabel`` None: none)."""
    if glabel is None:
        return f"{label}: no clear differences between subgroups"
    return f"{label} differs most by {lower_first(glabel)}: highest for {hi}, lowest for {lo}"


def driver_title(outcome: str, names: Sequence[str]) -> str:
    if not names:
        return f"{outcome}: no model could be estimated"
    return f"{outcome}: strongest drivers are {join([lower_first(x) for x in names])}"


def reliability_title(
    n: int, ok: int, threshold: float, by_status: Mapping[str, Sequence[str]]
) -> str:
    """``"8 of 10 scales are reliable (α ≥ 0.70); weak: Financing; failed: Shared data"``."""
    head = (
        f"All {n} scales are reliable (α ≥ {threshold:.2f})"
        if ok == n
        else f"{ok} of {n} scales are reliable (α ≥ {threshold:.2f})"
    )
    bits = [f"{s}: {', '.join(names)}" for s, names in by_status.items() if names]
    return head + ("; " + "; ".join(bits) if bits else "")


def published_title(n: int, inside: int, ci: str) -> str:
    """``"All 18 published percentages lie inside the reproduced 95% CIs"`` (``ci``: "95% CI")."""
    if inside == n:
        return f"All {n} published percentages lie inside the reproduced {ci}s"
    return f"{inside} of {n} published percentages lie inside the reproduced {ci}s"


# --------------------------------------------------------------------------------------------------
# Methods: quotes, the public release, synthetic data, invariance, imputation
# --------------------------------------------------------------------------------------------------


def quotes_text(
    status: str,
    *,
    cell: str = "",
    k: int = 0,
    released: bool = False,
    synthetic: bool = False,
    too_few: int | None = None,
) -> str:
    """The Methods sentence on quotes for a ``status`` (too_few, no_attribution, withheld_review,
    shown/none): why none is shown, or the checks a quoted comment passed (``cell``: the
    attribution groups joined by " × ")."""
    if status == "too_few":
        return f"No comments are quoted: fewer than {too_few} respondents were analysed."
    if status == "no_attribution":
        return "No comments are quoted (no attribution groups are configured)."
    if status == "withheld_review":
        return (
            "Quotes of respondents' comments were withheld pending review: none is shown "
            "until a person has approved each one in a reviewed-quotes file."
        )
    return (
        f"Comments are quoted only when the respondent's {cell} cell has at least {k} respondents"
        + (
            f" and at least {k} records of the public-use microdata could be its author"
            if released
            else ""
        )
        + ", attributed only by those categories; a comment holding any scrubbing placeholder, or "
        "in which the identifier detectors find anything on a second pass, is never quoted"
        + ("" if synthetic else "; every quote was approved by a reviewer")
        + "."
    )


def release_sentence(
    keys: Sequence[str],
    *,
    released: bool,
    k_achieved: Any = None,
    k_requested: Any = None,
    k_before: Any = None,
    suppressions: Any = None,
    risk: tuple[Any, Any] | None = None,
) -> str:
    """The public-use release in one Methods sentence; ``risk``: the expected re-identifications
    before and after, when the disclosure report has them."""
    tail = (
        f"; the expected number of re-identifications (sdcMicro's individual risk 1/f_k, no "
        f"weights) fell from {fmt_num(risk[0], 1)} to {fmt_num(risk[1], 1)}"
        if risk
        else ""
    )
    if released:
        head = (
            f"A public-use microdata file (items and {join(list(keys))}; no free text or pseudonyms) "
            f"is k-anonymous on all of these together: k = {fmt_int(k_achieved)} "
            f"(k = {fmt_int(k_requested)} requested; {fmt_int(k_before)} before) after suppressing "
            f"{fmt_int(suppressions)} values"
        )
    else:
        head = "No respondent-level file is released"
    return head + tail + "."


#: The brief's banner on every page of a brief made from synthetic data.
SYNTHETIC_BANNER = "Synthetic data: no real person answered this survey"


def synthetic_texts(model: str, target: str | None, unit: str | None) -> dict[str, str]:
    """What a brief made from synthetic data says about them (``methods``, ``quotes``,
    ``published``); ``target``: the published findings the generator was calibrated to; ``unit``:
    the cluster's name, None when the study has none."""
    calibrated = (
        f"calibrated so that its item percentages match the published findings ({target})"
        if target
        else "with documented population values"
    )
    return {
        "methods": (
            "These data are synthetic. The real study's responses are not public, so a "
            f"seeded generator (mscsurvey.synthesize, model {model}) drew respondents, "
            + (f"their {unit}s, " if unit else "")
            + "answers, generated comments and fake identifiers from a documented model "
            f"{calibrated}. Every number here shows what the pipeline computes from such data, "
            "not what any real participant said."
        ),
        "quotes": (
            "Comments are generated by the synthetic model, not written by people; they are shown "
            "to demonstrate how quotes are selected and attributed."
        ),
        "published": (
            "The generator was calibrated to these published percentages, so their agreement is by "
            "construction: it shows that the pipeline recovers what the generator put in, not a "
            "replication of the study."
        ),
    }


def invariance_methods(mark: str) -> str:
    """The Methods paragraph on measurement invariance; ``mark`` flags a comparison in question."""
    return (
        "Before comparing a measure's means across a grouping variable, we tested whether the "
        "measure works the same way in each group (measurement invariance): multi-group "
        "confirmatory factor models of its items by maximum likelihood, with loadings and then item "
        "intercepts constrained equal across groups (configural, metric, scalar levels), on the "
        "respondents who answered all its items and the groups with enough of them. A level was "
        "rejected when CFI fell by more than .01 together with a rise in RMSEA above .015 or in "
        "SRMR above .03 for loadings, .01 for intercepts (Chen 2007); where "
        "equal intercepts were rejected, intercepts were freed one at a time (partial invariance). "
        f"Comparisons marked {mark} are of a measure that is not fully scalar-invariant "
        "across that grouping variable (or could not be tested): part of such a difference may "
        "come from how the items are answered in the groups rather than from the construct."
    )


def invariance_note(mark: str) -> str:
    """The subgroup section's footnote for the invariance mark."""
    return (
        f"{mark} The measure is not fully scalar-invariant across this grouping variable "
        "(or invariance could not be tested): read the difference with caution (see Methods)."
    )


def imputation_method(m: int, fmi_low: float, fmi_high: float, unit: str | None) -> str:
    """The Methods paragraph on multiple imputation; the cluster among the predictors only when
    the study has one (``unit``)."""
    return (
        f'As a sensitivity analysis, missing item answers (skipped or "don\'t know") were imputed '
        f"{m} times by chained equations with predictive mean matching (as R's mice: each "
        "missing answer takes the observed answer of one of the five respondents whose "
        "predicted answer is closest, so answers stay on the items' scales), every other item, "
        + (f"the respondent's groups and {unit}" if unit else "the respondent's groups")
        + " predicting each item. Driver "
        "models and construct means were re-estimated in each completed data set and pooled "
        "by Rubin's rules with Barnard–Rubin degrees of freedom; the fraction of missing "
        f"information of the construct means ranges from {fmi_low:.2f} to {fmi_high:.2f}. "
        "This assumes answers are missing at random given what the respondent did answer; it "
        'treats "don\'t know" as a withheld answer rather than a position.'
    )


def weighting_method(trim: str, kish_deff: float, unit: str | None) -> str:
    """The Methods paragraph on the weighted sensitivity analysis; clusters as the design's PSUs only
    when the study has a cluster (``unit``), else respondents."""
    psus = f"{unit}s as clusters" if unit else "respondents as the sampling units"
    return (
        "As a second sensitivity analysis, respondents were weighted to the population margins given "
        "in the configuration (post-stratification on one margin, raking on several; "
        f"{trim}; Kish design effect {kish_deff:.2f}), and % agreed (logit intervals), construct "
        f"means and driver models were estimated by Taylor linearisation with {psus}. The brief "
        "leads with the unweighted estimates, which describe the respondents and match the published "
        "analysis; the weighted ones show whether the conclusions hold for the population the "
        "margins describe."
    )


def flag(value: bool) -> str:
    """A yes/no column of the codebook appendix: "yes" or empty."""
    return "yes" if value else ""


# --------------------------------------------------------------------------------------------------
# The brief's table captions (the notebook shows them; no caption is written there)
# --------------------------------------------------------------------------------------------------

#: Captions of the brief's fixed tables, by table.
TABLE_CAPTIONS = {
    "reliability": (
        "Reliability of each measure (Cronbach's α with its confidence interval, McDonald's ω)"
    ),
    "published": "Published and reproduced percentages",
    "exclusions": "From responses received to responses analysed",
    "models": "Driver models",
    "scales": "Response scales: codes from low to high",
    "groups": "Grouping variables and their categories, in the codebook's order",
    "provenance": (
        "What this brief was made from (digests: first 16 hex digits of the sha256; "
        "provenance.json has them in full)"
    ),
}

#: The codebook appendix's opening paragraph.
APPENDIX_INTRO = (
    "The questions as respondents saw them, grouped by the measure they belong to. A reverse-keyed "
    "item is worded against its measure: its answers are flipped before the measure's score is "
    "computed."
)


def predictors_caption(label: str, controls: bool) -> str:
    """A driver model's predictor table: in order of relative importance, controls last."""
    return f"Predictors of {label.lower()} in order of relative importance" + (
        "; controls (adjusted for, not ranked) last" if controls else ""
    )


def items_caption(label: str) -> str:
    """A measure's items in the codebook appendix."""
    return f"The {lower_first(label)} items"
