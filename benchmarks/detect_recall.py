"""Recall per kind of planted identifiers and the over-scrubbing rate on clean comments.

Run: .venv/bin/python benchmarks/detect_recall.py [seeds...]   (default seeds 1 2 3)

Recall: share of planted identifiers whose every letter and digit is inside a found span (any kind),
with the roster layer (the planted people as roster) and without it (``detect``: patterns + NER).
Over-scrubbing: share of clean comments (the synthetic generator's, and hand-written ones using roster
words as ordinary words) in which anything is replaced.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import planted  # noqa: E402

from mscsurvey.privacy.scrub import Scrubber  # noqa: E402


def recall(scrubber: Scrubber, seed: int, per_kind: int = 40) -> dict[str, tuple[int, int]]:
    corpus = planted.planted_corpus(seed, per_kind)
    spans = scrubber.spans_many([p.text for p in corpus])
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for p, s in zip(corpus, spans, strict=True):
        out[p.kind][0] += planted.covered(p, s)
        out[p.kind][1] += 1
    return {k: (v[0], v[1]) for k, v in out.items()}


def misses(scrubber: Scrubber, seed: int, per_kind: int = 40) -> list[tuple[str, str, str]]:
    corpus = planted.planted_corpus(seed, per_kind)
    spans = scrubber.spans_many([p.text for p in corpus])
    return [
        (p.kind, p.form, p.value)
        for p, s in zip(corpus, spans, strict=True)
        if not planted.covered(p, s)
    ]


def overscrub(scrubber: Scrubber) -> dict[str, tuple[int, int]]:
    sets = {
        "synthetic": planted.clean_synthetic(),
        "wellbeing": planted.clean_synthetic("examples/wellbeing/model.yaml"),
        "handwritten": planted.CLEAN_HANDWRITTEN,
    }
    out = {}
    for name, texts in sets.items():
        changed = sum(bool(s) for s in scrubber.spans_many(texts))
        out[name] = (changed, len(texts))
    return out


def main(seeds: list[int]) -> None:
    configs = {
        "all layers + roster": Scrubber(planted.roster()),
        "detect (patterns + NER)": Scrubber(None),
        "patterns only": Scrubber(None, ner=False),
    }
    for label, scrubber in configs.items():
        print(f"== {label}")
        total: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for seed in seeds:
            for kind, (hit, n) in recall(scrubber, seed).items():
                total[kind][0] += hit
                total[kind][1] += n
        for kind, (hit, n) in total.items():
            print(f"  recall {kind:<11} {hit:>4}/{n:<4} {hit / n:6.1%}")
        for name, (c, n) in overscrub(scrubber).items():
            print(f"  over-scrubbed {name:<11} {c:>4}/{n:<4} {c / n:6.1%}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1, 2, 3])
