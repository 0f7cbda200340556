"""Free-text detection throughput: comments per second on this machine, with and without the
named-entity model, by batch size, and where the time goes (layer by layer).

Run: .venv/bin/python benchmarks/detect_throughput.py [n_comments]   (default 2000)
     .venv/bin/python benchmarks/detect_throughput.py --gate [n_comments [words|letters ...]]
     (the model's gate: comments per second with and without it, and the share of comments that
     skip it, on comments made unique by common words and/or by a made-up word)

The comments are a realistic mix: the synthetic generator's clean comments and planted-identifier
comments (tests/planted.py), 1 in 4 with an identifier. Reports the projected time for 10^6 comments.
"""

from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import planted  # noqa: E402

from mscsurvey.privacy import entities, patterns, scrub  # noqa: E402
from mscsurvey.privacy.scrub import Scrubber  # noqa: E402


def comments(n: int, seed: int = 1, distinct: str = "letters") -> list[str]:
    """``n`` distinct comments (the scrubber runs each distinct text once, so repeats would flatter
    it): a clean comment or a planted one, made unique by a distinct made-up word
    (``distinct="letters"``) or by a distinct run of common words (``"words"``; a made-up word
    sends every comment through the model's gate, see :mod:`mscsurvey.privacy.gate`)."""
    rng = random.Random(seed)
    clean = planted.clean_synthetic() + planted.CLEAN_HANDWRITTEN
    dirty = [p.text for p in planted.planted_corpus(seed, per_kind=max(1, n // 40))]
    out = [rng.choice(dirty) if rng.random() < 0.25 else rng.choice(clean) for _ in range(n)]
    unique = _letters if distinct == "letters" else _words
    return [f"{t} (see {unique(i)})" for i, t in enumerate(out)]


# Stop words: in the gate's lexicon, and no name or place.
_COMMON = [
    "again",
    "also",
    "always",
    "both",
    "each",
    "even",
    "ever",
    "here",
    "just",
    "many",
    "much",
    "next",
    "often",
    "only",
    "other",
    "same",
    "some",
    "still",
    "such",
    "then",
    "there",
    "these",
    "those",
    "very",
]


def _words(i: int) -> str:
    """A run of common words, distinct for each i."""
    words = []
    while True:
        words.append(_COMMON[i % len(_COMMON)])
        i //= len(_COMMON)
        if not i:
            return " ".join(words)


def _letters(i: int) -> str:
    """A word of letters only, distinct for each i (a digit would defeat the scrubber's fast path
    for comments without digits, as most are)."""
    word = ""
    while True:
        word += "bcdfghjklmnpqrstvwxz"[i % 20]
        i //= 20
        if not i:
            return word + "a"


def rate(fn, texts: list[str]) -> float:
    start = time.perf_counter()
    fn(texts)
    return len(texts) / (time.perf_counter() - start)


def main(n: int) -> None:
    texts = comments(n)
    print(f"{n} comments, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    roster = planted.roster()
    no_ner = Scrubber(roster, ner=False)
    no_ner.scrub_many(texts[:50])
    results = {"roster + patterns, no NER": rate(no_ner.scrub_many, texts)}
    for batch in (32, 256, 1024):
        full = Scrubber(roster, batch_size=batch)
        full.scrub_many(texts[:50])
        results[f"all layers, NER batch {batch}"] = rate(full.scrub_many, texts)
    for label, per_s in results.items():
        hours = 1e6 / per_s / 3600
        print(f"  {label:<30} {per_s:8.0f} comments/s   10^6 comments: {hours:5.2f} h")
    print("where the time goes (seconds for these comments):")
    layers = {
        "patterns: presidio + layer": lambda ts: [no_ner._pattern_spans(t) for t in ts],
        "  of which mscsurvey.privacy.patterns": lambda ts: [patterns.pattern_spans(t) for t in ts],
        "roster (folded trie regex)": lambda ts: [no_ner._roster_spans(t, None) for t in ts],
        "spaCy model (nlp.pipe)": lambda ts: entities.tag_many(ts),
        "name dictionary": lambda ts: [entities.dictionary_name_spans(t) for t in ts],
        "merge + replace": lambda ts: [scrub.merge([]) for _ in ts],
    }
    for label, fn in layers.items():
        start = time.perf_counter()
        fn(texts)
        print(f"  {label:<30} {time.perf_counter() - start:7.2f}")


def gate_main(n: int, kinds: tuple[str, ...] = ("words", "letters")) -> None:
    """Comments per second of the full scrubber (batch 256) with the model's gate and without it,
    on comments made unique by common words and by a made-up word."""
    from mscsurvey.codebook.spec import load_codebook
    from mscsurvey.privacy.gate import gate_lexicon, needs_model
    from mscsurvey.privacy.leaks import codebook_vocabulary

    roster = planted.roster()
    # the pipeline's scrubber knows the codebook's words (deidentify.py): so does the gate
    vocabulary = frozenset(codebook_vocabulary(load_codebook(ROOT / "data" / "codebook.yaml")))
    lexicon = gate_lexicon(vocabulary)
    print(f"{n} comments, {os.cpu_count()} cores")
    for distinct in kinds:
        texts = comments(n, distinct=distinct)
        start = time.perf_counter()
        skip = sum(not needs_model(t, lexicon) for t in texts)
        print(f"  the gate alone: {time.perf_counter() - start:.2f} s")
        print(f"  unique by {distinct}: {skip} of {n} comments ({skip / n:.1%}) skip the model")
        for gate in (True, False):
            scrubber = Scrubber(roster, known_words=vocabulary)
            scrubber.gate = gate
            scrubber.scrub_many(texts[:50])
            load = os.getloadavg()[0]
            start = time.perf_counter()
            scrubbed = scrubber.scrub_many(texts)
            seconds = time.perf_counter() - start
            print(
                f"    gate {'on ' if gate else 'off'}: {seconds:7.1f} s, {n / seconds:6.0f} comments/s,"
                f" 2x10^5 comments {2e5 / n * seconds / 60:5.1f} min on one core"
                f" (load {load:.1f} -> {os.getloadavg()[0]:.1f})"
            )
            if gate:
                gated = scrubbed
            elif scrubbed != gated:
                raise SystemExit("the gate changed a scrubbed comment")


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--gate"]:
        gate_main(int(args[1]) if len(args) > 1 else 2000, tuple(args[2:]) or ("words", "letters"))
    else:
        main(int(args[0]) if args else 2000)
