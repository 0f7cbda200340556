"""Brief numbers: formatting without "nan"/"None", quotes attributed only for cells of at least k
(hand-made frame with a cell smaller than k), reproducible quote choice, takeaways read back from the
tables, caveats for weak and failed scales, subgroup sentences that skip suppressed cells, flow and
de-identification summaries, provenance (config hash, git state with and without git, run date)."""

from __future__ import annotations

import hashlib
import json
import subprocess

import numpy as np
import pandas as pd
import pytest
from brief_helpers import (
    agreement_table,
    deid_report,
    drivers_table,
    group_tests,
    importance_table,
    published_table,
    quote_codebook,
    quote_responses,
    regression_table,
    reliability_table,
    scores_table,
    subgroup_table,
    validation_report,
)

from mscsurvey.audit.provenance import config_hash, git_state, provenance, run_date
from mscsurvey.codebook.spec import parse_codebook
from mscsurvey.data import notebook_path
from mscsurvey.errors import SurveyError
from mscsurvey.settings import NumbersSettings
from mscsurvey.stages.brief_numbers import (
    brief_numbers,
    deidentification_summary,
    exclusion_flow,
    fmt_int,
    fmt_num,
    fmt_p,
    fmt_pct,
    placeholder_share,
    reliability_summary,
    select_quotes,
    subgroup_sentences,
    takeaways,
)

MODELS = {"m": {"outcome": "alpha", "predictors": ["beta", "colour", "size"]}}


@pytest.fixture(scope="module")
def cb(mini_codebook_dict):
    return parse_codebook(quote_codebook(mini_codebook_dict), source="mini")


def _strings(obj):
    if isinstance(obj, dict):
        for v in obj.values():
            yield from _strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _strings(v)
    elif isinstance(obj, str):
        yield obj


# -- formatting -------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, np.nan, pd.NA, float("inf"), "x"])
def test_missing_values_format_as_a_dash(value):
    assert fmt_pct(value) == fmt_num(value) == fmt_int(value) == "–"
    assert fmt_p(value) == "p –"


def test_formats():
    assert fmt_pct(87.99) == "88%"
    assert fmt_num(0.8123) == "0.81"
    assert fmt_int(433.0) == "433"
    assert fmt_p(0.0004) == "p < 0.001" and fmt_p(0.0123) == "p = 0.012"


# -- quotes -----------------------------------------------------------------------------------------


def test_placeholder_share():
    assert placeholder_share("[NAME] [EMAIL] hello") == pytest.approx(2 / 3)
    assert placeholder_share("I met [NAME] today.") == pytest.approx(1 / 4)
    assert placeholder_share("") == 1.0


def test_quotes_only_for_cells_of_at_least_k(cb):
    responses = quote_responses()
    quotes = select_quotes(
        responses, cb, attribution=["colour", "size"], k=3, seed=1, per_construct=10
    )
    shown = {q["text"]: q["attribution"] for qs in quotes.values() for q in qs}
    # (Blue, Small) has 2 respondents < k = 3, (Red, Large) 1: never quoted; nor a missing colour
    assert not any("small group" in t for t in shown)
    assert "Only one of us here, first statement fan." not in shown
    assert not any(t.startswith("My first statement") for t in shown)
    # any placeholder, even an occasional [NAME]: never quoted (issue 13, condition a)
    assert not any("[EMAIL]" in t or "[NAME]" in t for t in shown)
    # too short: skipped
    assert "Too short" not in shown
    assert set(shown.values()) <= {"– Red, Small", "– Green, Large"}
    assert set(shown) == {
        "The first statement says it all for me.",
        "I think the first meeting set the tone.",
        "Our first statement of intent still guides us.",
        "Yes, the yes votes carried the day in the end.",
    }
    # the yes/no comment belongs to beta (its keyword), the rest to alpha
    assert [q["text"] for q in quotes["beta"]] == ["Yes, the yes votes carried the day in the end."]


def test_quotes_with_k_one_may_show_the_small_cells_but_never_without_attribution(cb):
    quotes = select_quotes(
        quote_responses(), cb, attribution=["colour", "size"], k=1, seed=1, per_construct=10
    )
    texts = [q["text"] for qs in quotes.values() for q in qs]
    assert any("small group" in t for t in texts)
    assert not any(t.startswith("My first statement") for t in texts)  # colour unknown


def test_quote_choice_is_reproducible_and_limited(cb):
    kw = {"attribution": ["colour", "size"], "k": 3, "per_construct": 2}
    a = select_quotes(quote_responses(), cb, seed=7, **kw)
    b = select_quotes(quote_responses().sample(frac=1, random_state=3), cb, seed=7, **kw)
    assert a == b  # the row order does not matter
    assert len(a["alpha"]) == 2
    firsts = {
        select_quotes(quote_responses(), cb, seed=s, **kw)["alpha"][0]["text"] for s in range(12)
    }
    assert len(firsts) > 1  # the seed decides


def test_no_attribution_means_no_quotes(cb):
    quotes = select_quotes(quote_responses(), cb, attribution=[], k=1, seed=1)
    assert quotes == {"alpha": [], "beta": []}


def test_attribution_must_be_a_group(cb):
    with pytest.raises(SurveyError, match="attribution column 'role' is not a group"):
        select_quotes(quote_responses(), cb, attribution=["role"], k=3, seed=1)


# -- findings ---------------------------------------------------------------------------------------


def test_first_takeaway_reads_back_from_the_agreement_table(cb):
    ag = agreement_table()
    statements = {"a1": "they agree with the first"}
    take = takeaways(ag, cb, models=MODELS, statements=statements)
    first = take[0]
    row = ag.set_index("item").loc[first["item"]]
    assert first["text"] == (
        f"{round(row['pct_agree'])}% of respondents agreed that they agree with the first "
        f"(n = {row['n']})."
    )
    assert first["pct"] == row["pct_agree"] and first["n"] == row["n"]


def test_reliability_caveats_for_weak_and_failed(cb):
    rel = reliability_table()
    out = reliability_summary(rel, cb, thresholds={"ok": 0.7, "weak": 0.6})
    assert out["summary"] == (
        "1 of 2 scales reached acceptable reliability (Cronbach's α ≥ 0.70); "
        "Beta failed (α < 0.60)."
    )
    assert [c["construct"] for c in out["caveats"]] == ["beta"]
    assert out["caveats"][0]["text"].startswith("Caveat: Beta did not reach acceptable reliability")
    rel.loc[1, ["status", "included"]] = ["failed", False]
    out = reliability_summary(rel, cb, thresholds={"ok": 0.7, "weak": 0.6})
    assert "left out of the subgroup and driver analyses" in out["caveats"][0]["text"]
    rel.loc[1, "status"] = "weak"
    out = reliability_summary(rel, cb, thresholds={"ok": 0.7, "weak": 0.6})
    assert "weak reliability" in out["caveats"][0]["text"]


def test_subgroup_sentences_skip_suppressed_cells(cb):
    means = pd.concat([subgroup_table("alpha"), subgroup_table("beta")])
    tests = pd.concat([group_tests("alpha"), group_tests("beta")])
    out = subgroup_sentences(means, tests, cb, alpha=0.05)
    texts = [s["text"] for s in out["alpha"]]
    assert len(texts) == 2  # Red higher, Green lower; Blue suppressed; size: mixed p 0.5
    assert texts[0].startswith("Red (colour) rated alpha higher than other respondents (mean 3.90")
    assert "Holm-adjusted p = 0.010" in texts[0]
    assert not any("Blue" in t for t in texts)
    # a cluster-level group is judged by its mixed-model test
    tests.loc[tests["group"] == "size", "mixed_p_holm"] = 0.01
    texts = [s["text"] for s in subgroup_sentences(means, tests, cb)["alpha"]]
    assert any(t.startswith("alpha differed by size: highest for Large") for t in texts)
    assert any("site-level mixed-model test, Holm-adjusted p = 0.010" in t for t in texts)


def test_exclusion_flow_and_deidentification_summary(cb):
    flow = exclusion_flow(validation_report())
    assert flow["sentence"] == (
        "Of 15 responses received, 12 were analysed; 3 were excluded "
        "(1 duplicate submission, 2 completed too fast)."
    )
    assert [r["step"] for r in flow["rows"]] == [
        "Received",
        "Excluded: duplicate submission",
        "Excluded: completed too fast",
        "Analysed",
    ]
    deid = deidentification_summary(deid_report(), cb)
    assert deid["k_achieved"] == "3" and deid["suppressions"] == "4"
    text = " ".join(deid["sentences"])
    assert "k = 3 on colour and age band: achieved k = 3 after suppressing 4 values" in text
    assert "birth date → age band; zip → dropped" in text
    assert "[NAME] 2" in text


def _numbers(cb, synthetic=None, **config):
    cfg = {
        "seed": 1,
        "deidentify": {"k": 3},
        "scales": {"thresholds": {"ok": 0.7, "weak": 0.6}},
        "analyses": {"models": MODELS, "ci_level": 0.95, "min_group_n": 10},
        "brief": {"quote_attribution": ["colour", "size"], "quotes_per_construct": 2},
    }
    cfg.update(config)
    return brief_numbers(
        codebook=cb,
        settings=NumbersSettings.parse(cfg),
        synthetic=synthetic,
        responses=quote_responses(),
        validation=validation_report(),
        deid_report=deid_report(),
        scores=scores_table(),
        reliability=reliability_table(),
        agreement=agreement_table(),
        published=published_table(),
        subgroups=pd.concat([subgroup_table("alpha"), subgroup_table("beta")]),
        subgroup_tests=pd.concat([group_tests("alpha"), group_tests("beta")]),
        regressions=regression_table(),
        importance=importance_table(),
        drivers=drivers_table(),
    )


def test_brief_numbers_has_every_section_and_no_missing_words(cb):
    n = _numbers(cb)
    assert set(n) >= {
        "study",
        "sample",
        "takeaways",
        "constructs",
        "subgroups",
        "drivers",
        "reliability",
        "published",
        "exclusions",
        "deidentification",
        "methods",
        "settings",
    }
    text = json.dumps(n, ensure_ascii=False)
    assert json.loads(text) == n  # plain JSON
    for s in _strings(n):
        for word in ("nan", "None", "NaN", "<NA>"):
            assert word not in s.split(), (word, s)
    assert n["sample"]["sentence"] == "12 of 15 survey responses were analysed, from 6 sites."
    assert n["takeaways"][0]["item"] == "a1"
    alpha = n["constructs"][0]
    assert alpha["items"][2]["pct"] == "–"  # never answered
    assert alpha["caveat"] is None and n["constructs"][1]["caveat"].startswith("Caveat: Beta")
    assert all(q["attribution"] in ("– Red, Small", "– Green, Large") for q in alpha["quotes"])
    assert n["drivers"][0]["fit"].startswith("The model explains 41% of the variance in alpha")
    assert n["published"]["summary"].startswith("1 of 2 published percentages")
    # the same inputs give the same numbers (quotes included)
    assert _numbers(cb) == n


def test_brief_numbers_with_no_published_findings(cb):
    n = brief_numbers(
        codebook=cb,
        settings=NumbersSettings.parse({"analyses": {"models": MODELS}}),
        responses=quote_responses(),
        validation=validation_report(),
        deid_report=deid_report(),
        scores=scores_table(),
        reliability=reliability_table(),
        agreement=agreement_table(),
        published=published_table().iloc[:0],
        subgroups=subgroup_table(),
        subgroup_tests=group_tests(),
        regressions=regression_table(),
        importance=importance_table(),
        drivers=drivers_table(),
    )
    assert n["published"] == {"n_items": 0, "rows": [], "summary": ""}
    assert all(t["kind"] != "published" for t in n["takeaways"])
    assert all(c["quotes"] == [] for c in n["constructs"])  # no attribution configured


def test_synthetic_data_says_so_everywhere_in_the_numbers(cb):
    synthetic = {"model": "data/synthetic/model.yaml", "published": "data/published_findings.csv"}
    n = _numbers(cb, synthetic=synthetic)
    syn = n["synthetic"]
    assert syn["is_synthetic"] and syn["banner"].startswith("Synthetic data")
    assert "data/synthetic/model.yaml" in syn["methods"]
    assert "data/published_findings.csv" in syn["methods"]
    assert "by construction" in n["published"]["summary"]
    assert "generated by the synthetic model" in n["methods"]["findings"]
    assert "respondents' own comments" not in n["methods"]["findings"]
    quotes = [q for c in n["constructs"] for q in c["quotes"]]
    assert quotes and all(q["generated"] is True for q in quotes)
    # real data: none of it
    real = _numbers(cb)
    assert real["synthetic"] == {"is_synthetic": False}
    assert "by construction" not in real["published"]["summary"]
    assert "respondents' own comments" in real["methods"]["findings"]


# -- provenance -------------------------------------------------------------------------------------


def test_config_hash_is_canonical():
    a = {"seed": 1, "analyses": {"ci_level": 0.95, "models": {}}}
    b = {"analyses": {"models": {}, "ci_level": 0.95}, "seed": 1}
    assert config_hash(a) == config_hash(b)
    assert config_hash(a) != config_hash({**a, "seed": 2})
    assert len(config_hash(a)) == 64


def test_git_state_tolerates_no_git(tmp_path, monkeypatch):
    assert git_state(tmp_path) == {"commit": None, "dirty": None}  # not a work tree
    assert git_state(None) == {"commit": None, "dirty": None}
    monkeypatch.setenv("PATH", str(tmp_path))  # no git at all
    assert git_state(tmp_path) == {"commit": None, "dirty": None}


def test_git_state_of_a_repository(tmp_path):
    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "a.txt").write_text("a", encoding="utf-8")
    git("add", "a.txt")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "a")
    state = git_state(tmp_path)
    assert len(state["commit"]) == 40 and state["dirty"] is False
    (tmp_path / "a.txt").write_text("b", encoding="utf-8")
    assert git_state(tmp_path)["dirty"] is True


def test_run_date_honours_source_date_epoch(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    assert run_date() == "1970-01-01"
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert len(run_date()) == 10


def test_provenance_digests_files_and_folders(tmp_path):
    (tmp_path / "t.parquet").write_bytes(b"table")
    (tmp_path / "figs").mkdir()
    (tmp_path / "figs" / "a.png").write_bytes(b"png")
    prov = provenance(
        config={"seed": 1},
        inputs={"table": tmp_path / "t.parquet", "figures": tmp_path / "figs"},
        repo=tmp_path,
    )
    assert set(prov) == {"run_date", "git", "config_sha256", "inputs", "packages"}
    assert prov["inputs"]["table"]["sha256"] == hashlib.sha256(b"table").hexdigest()
    assert list(prov["inputs"]["figures"]["files"]) == ["a.png"]
    assert prov["packages"]["pandas"] == pd.__version__
    assert prov["git"] == {"commit": None, "dirty": None}


# -- end to end: the brief of a small synthetic study ------------------------------------------------

SECTIONS = (
    "Key takeaways",
    "Survey findings",
    "Who perceives what",
    "What drives",
    "Reliability of the measures",
    "Published vs reproduced",
    "Methods",
    "Provenance",
)


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    from workflow_helpers import snakemake, write_config

    work = tmp_path_factory.mktemp("brief_study")
    write_config(work, n_respondents=240)
    snakemake(work)
    return work


def _visible_text(page: str) -> str:
    """The HTML's text as a reader sees it (no tags, no embedded images, no CSS)."""
    import html as _html
    import re

    page = re.sub(r"<style.*?</style>", " ", page, flags=re.DOTALL)
    page = re.sub(r'src="data:[^"]*"', "", page)
    page = re.sub(r"<[^>]+>", " ", page)
    return " ".join(_html.unescape(page).split())


def _squash(text: str) -> str:
    """Text without whitespace and with straight quotes and hyphens, to compare PDF and JSON text."""
    for a, b in (("’", "'"), ("‘", "'"), ("“", '"'), ("”", '"'), ("‐", "-"), ("\u00ad", "")):
        text = text.replace(a, b)
    return "".join(text.split())


@pytest.mark.slow
def test_brief_outputs_exist(study):
    res = study / "results"
    for rel in (
        "brief/brief.html",
        "brief/brief.pdf",
        "brief/numbers.json",
        "brief/provenance.json",
        "figures/index.json",
        "logs/brief.log",
        "benchmarks/brief.tsv",
        "benchmarks/figures.tsv",
    ):
        assert (res / rel).is_file(), rel
    assert not list(res.rglob("*.tmp")) and not list(res.glob(".*tmpdir"))


@pytest.mark.slow
def test_html_has_every_section_and_figure_and_no_code(study):
    res = study / "results"
    page = (res / "brief" / "brief.html").read_text(encoding="utf-8")
    text = _visible_text(page)
    for section in SECTIONS:
        assert section in text, section
    index = json.loads((res / "figures" / "index.json").read_text(encoding="utf-8"))
    numbers = json.loads((res / "brief" / "numbers.json").read_text(encoding="utf-8"))
    # an outcome's subgroup figure, and that of every construct with a subgroup finding
    with_subgroup_figure = {
        s["construct"] for s in numbers["subgroups"] if s["outcome"] or s["sentences"]
    }
    shown = [
        e
        for e in index
        if e["kind"] in ("likert", "drivers", "reliability", "published")
        or (e["kind"] == "subgroups" and e["construct"] in with_subgroup_figure)
    ]
    assert page.count('<figure id="figure-') == len(shown) >= 10
    for e in shown:
        assert e["caption"] in text
    # measurement invariance: the Methods say how it was tested; a marked comparison has its footnote
    assert "measurement invariance" in text and "Chen 2007" in text
    inv = numbers["invariance"]
    marked = [s for c in numbers["subgroups"] for s in c["sentences"] if s.endswith(inv["mark"])]
    assert bool(marked) <= bool(inv["note"]) and (not marked or inv["note"] in text)
    for c in numbers["subgroups"]:  # a sentence is marked exactly when its construct x group is
        st = inv["status"].get(c["construct"], {})
        for s in c["sentences"]:
            assert not (s.endswith(inv["mark"]) and all(not v["mark"] for v in st.values()))
    assert "jp-InputArea" not in page and "input_area" not in page
    assert "<pre" not in page and "<script" not in page
    for word in ("Traceback", "Warning", "nan", "None", "NaN"):
        assert word not in text.split(), word
    assert "Traceback" not in text and "Warning" not in text


@pytest.mark.slow
def test_pdf_has_pages_and_the_takeaways(study):
    from pypdf import PdfReader

    res = study / "results"
    reader = PdfReader(res / "brief" / "brief.pdf")
    assert len(reader.pages) > 1
    text = _squash(" ".join(p.extract_text() for p in reader.pages))
    numbers = json.loads((res / "brief" / "numbers.json").read_text(encoding="utf-8"))
    assert numbers["takeaways"]
    for t in numbers["takeaways"]:
        assert _squash(t["text"]) in text, t["text"]
    assert _squash(numbers["study"]["title"]) in text
    # the synthetic default says so on every page (header or footer) and in Methods
    banner = numbers["synthetic"]["banner"]
    for page in reader.pages:
        assert _squash(banner) in _squash(page.extract_text())
    assert _squash(numbers["synthetic"]["methods"]) in text


@pytest.mark.slow
def test_first_takeaway_equals_the_agreement_table(study):
    import re

    res = study / "results"
    numbers = json.loads((res / "brief" / "numbers.json").read_text(encoding="utf-8"))
    first = numbers["takeaways"][0]
    assert first["kind"] == "agreement"
    ag = pd.read_parquet(res / "analyses" / "agreement.parquet").set_index("item")
    row = ag.loc[first["item"]]
    pct, n = re.match(r"(\d+)% of respondents .* \(n = (\d+)\)\.$", first["text"]).groups()
    assert int(pct) == round(row["pct_agree"]) and int(n) == row["n"]
    page = (res / "brief" / "brief.html").read_text(encoding="utf-8")
    assert first["text"].replace("'", "&#x27;") in page or first["text"] in _visible_text(page)


@pytest.mark.slow
def test_quotes_come_only_from_cells_of_at_least_k(study):
    res = study / "results"
    numbers = json.loads((res / "brief" / "numbers.json").read_text(encoding="utf-8"))
    clean = pd.read_parquet(res / "clean" / "responses.parquet")
    k = numbers["settings"]["k"]
    cells = clean.groupby(["role", "state"], observed=True).size()
    quotes = [q for c in numbers["constructs"] for q in c["quotes"]]
    assert quotes
    text = _visible_text((res / "brief" / "brief.html").read_text(encoding="utf-8"))
    for q in quotes:
        role, state = q["attribution"].removeprefix("– ").rsplit(", ", 1)
        assert cells[(role, state)] >= k
        assert q["text"] in text and q["attribution"] in text
    small = {f"– {r}, {s}" for (r, s), size in cells.items() if size < k}
    assert not any(q["attribution"] in small for q in quotes)


@pytest.mark.slow
def test_figure_setting_reruns_only_figures_and_brief(study):
    from workflow_helpers import planned_jobs, write_config

    cfg = study / "config" / "config.yaml"
    original = cfg.read_text(encoding="utf-8")
    try:
        write_config(study, n_respondents=240, figures__palette="colorbrewer")
        # release: the public copies of the brief and figures (issue 13); walk: the Data Walk;
        # figure_part: the figure jobs the figures rule gathers (issue 20)
        assert planned_jobs(study) - {"all"} == {
            "figure_part",
            "figures",
            "brief",
            "walk",
            "release",
            "manifest",
        }
    finally:
        cfg.write_text(original, encoding="utf-8")
    assert planned_jobs(study) == set()


@pytest.mark.slow
def test_unknown_attribution_group_stops_before_any_job(study):
    from workflow_helpers import snakemake, write_config

    cfg = study / "config" / "config.yaml"
    original = cfg.read_text(encoding="utf-8")
    try:
        write_config(study, n_respondents=240, brief__quote_attribution=["rol", "state"])
        proc = snakemake(study, "--dry-run", check=False)
    finally:
        cfg.write_text(original, encoding="utf-8")
    assert proc.returncode != 0
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "key 'brief.quote_attribution'" in errors[0]
    assert "'rol' is not a group of the codebook" in errors[0]


def test_driver_summaries_list_controls_after_the_ranked_predictors(cb):
    """A model's controls (role "control" in drivers.parquet) come after its ranked predictors,
    with "control" for a rank, and are named in the methods table; the caveat covers them too."""
    from mscsurvey.stages.brief_numbers import driver_summaries

    models = {"m": {"outcome": "alpha", "predictors": ["colour", "size"], "controls": ["beta"]}}
    drv = drivers_table().assign(
        rank=pd.array([pd.NA, 1, 2], dtype="Int64"),
        role=["control", "predictor", "predictor"],
        sentence="alpha is most strongly associated with colour and size (-), controlling for beta.",
    )
    (d,) = driver_summaries(
        drv, regression_table(), cb, models=models, reliability=reliability_table()
    )
    assert [(p["rank"], p["predictor"]) for p in d["predictors"]] == [
        ("1", "colour"),
        ("2", "size"),
        ("control", "beta"),
    ]
    assert d["controls"] == ["beta"] and d["controls_config"] == ["beta"]
    assert d["caveat"].startswith("Caveat: beta has")  # a failed control is read with caution
    n = _numbers(cb, analyses={"models": models, "ci_level": 0.95, "min_group_n": 10})
    (row,) = n["methods"]["models"]
    assert row["predictors"] == "colour, size" and row["controls"] == "beta"
    assert "controls it adjusts for are listed after them" in n["methods"]["drivers_short"]
    (plain,) = _numbers(cb)["methods"]["models"]
    assert plain["controls"] == "none"


# -- the Data Walk, as a person sees it (headless Chromium) -----------------------------------------


@pytest.mark.slow
def test_data_walk_pages_have_menu_steps_and_numbers(study):
    from mscsurvey.report.walk import walk_pages

    site = study / "results" / "walk"
    pages = json.loads((site / "pages.json").read_text(encoding="utf-8"))
    numbers = json.loads((study / "results" / "brief" / "numbers.json").read_text("utf-8"))
    index = json.loads((study / "results" / "figures" / "index.json").read_text("utf-8"))
    expected = [f"{p.slug}.html" for p in walk_pages(numbers, index)]
    assert [p["file"] for p in pages] == expected
    who = any(s["sentences"] for s in numbers["subgroups"])
    drivers = any(d.get("estimated", True) for d in numbers["drivers"])
    assert expected[0] == "index.html" and expected[-1] == "about.html"
    assert ("who.html" in expected) is who and ("drivers.html" in expected) is drivers
    assert len(expected) == len(numbers["constructs"]) + 2 + who + drivers
    for i, name in enumerate(expected):
        page = (site / name).read_text(encoding="utf-8")
        assert page.count('aria-current="page">') == 2  # sidebar and phone menu
        assert ('rel="prev"' in page) is (i > 0) and ('rel="next"' in page) is (
            i < len(expected) - 1
        )
        assert numbers["synthetic"]["banner"] in page
        assert "http://" not in page and "https://" not in page  # no external request
    trust = (site / "trust.html").read_text(encoding="utf-8")
    for item in numbers["constructs"][0]["items"]:
        assert f"(n = {item['n']})" in trust
    for q in numbers["constructs"][0]["quotes"]:
        assert _html_text(q["text"]) in trust


def _html_text(text: str) -> str:
    import html as _html

    return _html.escape(text, quote=True)


@pytest.mark.slow
@pytest.mark.parametrize("width", [360, 390, 1280])
def test_data_walk_reads_on_a_phone_and_a_desktop(study, width):
    from browser import LINKS, NO_ALT, OVERFLOW, TEXT_COLOURS, Browser, contrast, require_chromium

    require_chromium()
    site = study / "results" / "walk"
    with Browser() as b:
        for page in sorted(site.glob("*.html")):
            b.open(page, width)
            assert b.eval(OVERFLOW) <= 0, f"{page.name} scrolls sideways at {width} px"
            assert b.eval(NO_ALT) == [], page.name
            for href in b.eval(LINKS):
                target = href.split("#")[0]
                assert target and (site / target).is_file(), (page.name, href)
            for fg, bg, tag in b.eval(TEXT_COLOURS):
                assert contrast(fg, bg) >= 4.5, (page.name, tag, fg, bg)


@pytest.mark.slow
@pytest.mark.parametrize("width", [360, 390, 1280])
def test_brief_html_reads_on_a_phone_and_a_desktop(study, width):
    from browser import LINKS, NO_ALT, OVERFLOW, TEXT_COLOURS, Browser, contrast, require_chromium

    require_chromium()
    page = study / "results" / "brief" / "brief.html"
    with Browser() as b:
        b.open(page, width)
        assert b.eval(OVERFLOW) <= 0, f"the brief scrolls sideways at {width} px"
        assert b.eval(NO_ALT) == []
        ids = set(b.eval("Array.from(document.querySelectorAll('[id]')).map(e => e.id)"))
        links = b.eval(LINKS)
        assert links and all(h.startswith("#") and h[1:] in ids for h in links), links
        for fg, bg, tag in b.eval(TEXT_COLOURS):
            assert contrast(fg, bg) >= 4.5, (tag, fg, bg)
        # the contents: every section and subsection, each link to a unique anchor
        toc = b.eval("Array.from(document.querySelectorAll('nav.toc a')).map(a => a.textContent)")
        heads = b.eval(
            "Array.from(document.querySelectorAll('main h1[id], main h2[id]')).map(h => h.id)"
        )
        assert len(toc) == len(heads) == len(set(heads)) >= 20
        # figures are SVG (PNG only as a fallback), numbered, and "see Methods" links to Methods
        kinds = b.eval("Array.from(document.images).map(i => i.src.slice(0, 26))")
        assert kinds and all(k == "data:image/svg+xml;base64," for k in kinds)
        assert b.eval("document.querySelector('a[href=\"#methods\"]') !== null")
    assert page.stat().st_size < 1_000_000


@pytest.mark.slow
def test_every_construct_with_a_subgroup_finding_shows_its_subgroup_figure(study, tmp_path):
    # issue 15 part 5: not only the driver models' outcomes. The study's numbers with a finding
    # given to every construct that is not an outcome, rendered by the brief's own notebook.
    import html as _html
    import re

    from mscsurvey.stages.brief import render_brief

    res = study / "results"
    numbers = json.loads((res / "brief" / "numbers.json").read_text(encoding="utf-8"))
    index = json.loads((res / "figures" / "index.json").read_text(encoding="utf-8"))
    alt = {e["construct"]: e["alt"] for e in index if e["kind"] == "subgroups"}
    found = [s for s in numbers["subgroups"] if not s["outcome"] and s["construct"] in alt][:2]
    assert found
    for s in found:
        s["sentences"] = [f"A finding about {s['label']}."]
    (tmp_path / "numbers.json").write_text(json.dumps(numbers), encoding="utf-8")
    render_brief(
        notebook_path(),
        params={"numbers": str(tmp_path / "numbers.json")}
        | {
            "provenance": str(res / "brief" / "provenance.json"),
            "figures_dir": str(res / "figures"),
        },
        workdir=tmp_path,
        html_out=tmp_path / "brief.html",
        pdf_out=tmp_path / "brief.pdf",
        metadata={"title": "Subgroup figures"},
        use_quarto=False,
    )
    page = (tmp_path / "brief.html").read_text(encoding="utf-8")
    who = page[page.index(">Who perceives what</h1>") :]
    for s in numbers["subgroups"]:
        shown = 'alt="' + _html.escape(alt[s["construct"]]) + '"' in who
        assert shown == bool(s["outcome"] or s["sentences"]), s["construct"]
    # each under its own heading, after its finding, before the next heading
    for s in found:
        start = who.index(">" + _html.escape(s["label"], quote=False) + "</h2>")
        section = who[start : start + who[start:].index("</figure>")]
        assert not re.search(r"<h[12][ >]", section), s["construct"]
        assert f"A finding about {s['label']}." in section
        assert 'alt="' + _html.escape(alt[s["construct"]]) + '"' in section


@pytest.mark.slow
def test_pdf_pages_never_end_with_a_heading_nor_half_empty(study, tmp_path):
    # issue 17 part 2: no heading as a page's last line; no page more than half empty unless the
    # next page starts a top-level section (figures float to the next page when they do not fit)
    from pdf_pages import page_problems

    res = study / "results" / "brief"
    page = (res / "brief.html").read_text(encoding="utf-8")
    assert page_problems(res / "brief.pdf", page, tmp_path / "pages") == []


def test_codebook_appendix_has_every_question_scale_and_group(cb):
    from mscsurvey.stages.brief_numbers import codebook_appendix

    app = codebook_appendix(cb)
    items = [i for con in app["constructs"] for i in con["items"]]
    assert [i["item"] for i in items] == [i for c in cb.constructs.values() for i in c.items]
    assert all(i["text"] for i in items)
    reversed_ = {i["item"] for i in items if i["reverse"] == "yes"}
    assert reversed_ == {i.id for i in cb.items.values() if i.reverse}
    assert [s["name"] for s in app["scales"]] == list(cb.scales)
    assert app["scales"][0]["codes"].startswith("1 = ")
    assert [g["label"] for g in app["groups"]] == [g.label for g in cb.groups.values()]
