"""Spans of found identifiers and how overlapping spans from several detectors are merged.

Kept apart from :mod:`mscsurvey.privacy.scrub` so that every detector layer (patterns, roster, named
entities) can return spans without importing the others.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Span", "PRIORITY", "merge"]

#: Equal-length overlapping spans: the earlier type in this order wins (more specific first).
PRIORITY = [
    "SSN",
    "EMAIL",
    "URL",
    "IP_ADDRESS",
    "PHONE",
    "DATE",
    "AGE",
    "ADDRESS",
    "HANDLE",
    "ID_NUMBER",
    "NAME",
    "ORGANIZATION",
    "LOCATION",
    "ZIP",
    "IDENTIFIER",
]


@dataclass(frozen=True, order=True)
class Span:
    """A found identifier: ``text[start:end]`` is replaced by ``[kind]``."""

    start: int
    end: int
    kind: str

    @property
    def length(self) -> int:
        return self.end - self.start


def _rank(span: Span) -> tuple[int, int]:
    prio = PRIORITY.index(span.kind) if span.kind in PRIORITY else len(PRIORITY)
    return (-span.length, prio)


def merge(spans: list[Span]) -> list[Span]:
    """Merge overlapping spans into their union, typed by the longest member (ties: priority).

    The result does not depend on the order of ``spans`` (determinism across detectors)."""
    spans = [s for s in spans if s.end > s.start]
    if not spans:
        return []
    spans = sorted(spans, key=lambda s: (s.start, -s.end, s.kind))
    merged: list[Span] = []
    group = [spans[0]]
    end = spans[0].end
    for s in spans[1:]:
        if s.start < end:
            group.append(s)
            end = max(end, s.end)
        else:
            merged.append(Span(group[0].start, end, min(group, key=_rank).kind))
            group, end = [s], s.end
    merged.append(Span(group[0].start, end, min(group, key=_rank).kind))
    return merged
