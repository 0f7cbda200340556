"""The gate in front of the named-entity model (mscsurvey.privacy.gate): which texts skip the model,
and that skipping it changes no scrubbed output."""

from __future__ import annotations

from pathlib import Path

import planted
import pytest

from mscsurvey.codebook.spec import load_codebook
from mscsurvey.privacy.entities import tag_many
from mscsurvey.privacy.gate import OPENERS, common_words, gate_lexicon, needs_model
from mscsurvey.privacy.leaks import codebook_vocabulary
from mscsurvey.privacy.scrub import Scrubber, build_roster
from mscsurvey.schema import load_yaml
from mscsurvey.synthesize import generate, load_published

ROOT = Path(__file__).resolve().parents[1]
CODEBOOK = ROOT / "data" / "codebook.yaml"


@pytest.fixture(scope="module")
def cb():
    return load_codebook(CODEBOOK)


@pytest.fixture(scope="module")
def vocabulary(cb) -> frozenset[str]:
    return frozenset(codebook_vocabulary(cb))


@pytest.mark.parametrize(
    "text",
    [
        "The hospital partners have far more influence than the rest of us.",
        "We have no common metrics, so it is hard to show progress.",
        "Honestly, I think these partnerships will last beyond the current year.",
        "i don't know, we'll see",
        "",
    ],
)
def test_ordinary_text_skips_the_model(text, vocabulary):
    assert not needs_model(text, gate_lexicon(vocabulary))


@pytest.mark.parametrize(
    "text",
    [
        "talked to marcus yesterday about funding",  # a name in lower case
        "We met with Keoni about the plan.",  # a capital inside a sentence
        "Seattle was great.",  # a capitalised noun starting a sentence
        "Time helped a lot this year.",  # the model tags this "Time" as an organisation
        "the meeting in yakima was useful",  # a place WordNet lists, in lower case
        "the meeting in kilowatt was useful",  # a rare word: the model calls it a place
        "ask dr zhou",  # a title
        "Will we get funding?",  # a name that is also a word, capitalised
        "parkers came",  # a surname that looks like an inflection of a common word
        "we served 350 households",  # a digit
        "our MSC is great",  # capitals
        "thanks to mei-ling zhou for running the meetings",
        "José helped",  # accents: outside the lexicon
    ],
)
def test_anything_name_like_goes_to_the_model(text, vocabulary):
    assert needs_model(text, gate_lexicon(vocabulary))


def test_lexicon_words_are_never_tagged():
    """The model keeps no entity on any word the gate lets through, in lower case in sentences that
    invite a name or a place, nor on the sentence openers; rare words do get tagged there
    (test_anything_name_like_goes_to_the_model), which is why the lexicon is small."""
    lower = sorted(common_words())
    templates = [
        "we talked about {w} yesterday and it went well",
        "the meeting in {w} was useful",
        "thanks to {w} for the help",
    ]
    texts = [t.format(w=w) for w in lower for t in templates]
    openers = ["{W}, we did well.", "{W}, the partners came together.", "{W} the work went on."]
    texts += [t.format(W=w.capitalize()) for w in sorted(OPENERS) for t in openers]
    tagged = [
        (t, [t[s.start : s.end] for s in tag.entities])
        for t, tag in zip(texts, tag_many(texts), strict=True)
        if tag.entities
    ]
    assert tagged == []


def _corpora() -> dict[str, list[str]]:
    out = {
        "synthetic": planted.clean_synthetic(),
        "wellbeing": planted.clean_synthetic("examples/wellbeing/model.yaml"),
        "handwritten": planted.CLEAN_HANDWRITTEN,
    }
    for seed in (101, 202, 303):
        out[f"planted {seed}"] = [p.text for p in planted.planted_corpus(seed)]
    return out


@pytest.fixture(scope="module")
def generated(cb) -> list[tuple[list[str], dict[str, str]]]:
    """The synthetic generator's comments and roster, for three seeds."""
    model = load_yaml(ROOT / "data" / "synthetic" / "model.yaml")
    published = load_published(str(ROOT / "data" / "published_findings.csv"), cb)
    out = []
    for seed in (1, 2, 3):
        survey = generate(cb, model, published, seed=seed, n_respondents=600).survey
        texts = [t for c in cb.identifiers.free_text for t in survey[c].dropna().astype(str)]
        out.append((texts, build_roster(survey, dict(cb.identifiers.roster))))
    return out


def _same_output(scrubber: Scrubber, texts: list[str]) -> int:
    """Assert the gated and ungated scrubber agree text for text; return how many texts skipped
    the model."""
    gated = scrubber.scrub_many(texts)
    scrubber.gate = False
    try:
        ungated = scrubber.scrub_many(texts)
    finally:
        scrubber.gate = True
    differ = [(t, g[0], u[0]) for t, g, u in zip(texts, gated, ungated, strict=True) if g != u]
    assert differ == []
    lexicon = gate_lexicon(scrubber.known_words)
    return sum(not needs_model(t, lexicon) for t in texts)


def test_gate_changes_no_output_on_the_corpora(vocabulary):
    with_roster = Scrubber(planted.roster(), known_words=vocabulary)
    no_roster = Scrubber(None)
    skipped = {}
    for name, texts in _corpora().items():
        skipped[name] = _same_output(with_roster, texts)
        _same_output(no_roster, texts)
    # not vacuous: clean comments do skip the model; no planted identifier does
    assert skipped["synthetic"] >= 60
    assert all(skipped[f"planted {s}"] == 0 for s in (101, 202, 303))


def test_gate_changes_no_output_on_generated_comments(generated, vocabulary):
    skipped = 0
    for texts, roster in generated:
        skipped += _same_output(Scrubber(roster, known_words=vocabulary), texts)
    assert skipped >= 20


def test_roster_words_in_skipped_texts_still_read_the_model():
    """A roster name that is also an ordinary word ("Hope") in a text that skipped the model: the
    roster asks for the model's tags, which are then computed for that text alone."""
    roster = {"hope castellanos": "NAME", "hope": "NAME", "castellanos": "NAME"}
    texts = ["we hope it continues", "i hope so.", "we can hope for the best"]
    scrubber = Scrubber(roster)
    calls = []
    original = scrubber._tag_one
    scrubber._tag_one = lambda t: calls.append(t) or original(t)
    assert not any(needs_model(t) for t in texts)
    _same_output(scrubber, texts)
    assert calls  # the deferred model ran
    assert [s for s, _ in scrubber.scrub_many(texts)] == texts  # "hope" is a word here
