"""Free-text detection throughput: comments per second on this machine, with and without the
named-entity model, by batch size, and where the time goes (layer by layer).

Run: .venv/bin/python benchmarks/detect_throughput.py [n_comments]   (default 2000)

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


def comments(n: int, seed: int = 1) -> list[str]:
    """``n`` distinct comments (the scrubber runs each distinct text once, so repeats would flatter
    it): a clean comment or a planted one, with a distinct made-up word making each unique."""
    rng = random.Random(seed)
    clean = planted.clean_synthetic() + planted.CLEAN_HANDWRITTEN
    dirty = [p.text for p in planted.planted_corpus(seed, per_kind=max(1, n // 40))]
    out = [rng.choice(dirty) if rng.random() < 0.25 else rng.choice(clean) for _ in range(n)]
    return [f"{t} (see {_letters(i)})" for i, t in enumerate(out)]


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


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
