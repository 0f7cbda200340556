"""The figure folder assembled from per-kind parts: the kinds, their order, and the gather step.

The figures rule is split into a few Snakemake jobs, each drawing some kinds of figure (likert,
subgroups, drivers, reliability, published) or a slice of one kind's constructs (:data:`FIGURE_PARTS`),
so that both cores draw and the Likert charts start as soon as the agreement table exists; :func:`gather_figures` then copies the parts into the one folder the brief reads and
writes the index in the order one job would have written it. This module imports only the standard
library, so the gather job starts in a fraction of the time a drawing job needs (no matplotlib).

Example
-------
>>> gather_figures(["parts/likert", "parts/subgroups"], "results/figures")  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from mscsurvey.errors import SurveyError

__all__ = [
    "FIGURE_KINDS",
    "FIGURE_PARTS",
    "KIND_TABLES",
    "atomic_dir",
    "gather_figures",
    "part_tables",
    "shard",
    "write_index",
]

# The order of the figures in the index (and so in the brief): one job's drawing order.
FIGURE_KINDS = ("likert", "subgroups", "drivers", "reliability", "published")

# The tables each kind draws from (names of build_figures' keyword arguments).
KIND_TABLES = {
    "likert": ("agreement", "distribution"),
    "subgroups": ("subgroups", "subgroup_tests"),
    "drivers": ("regressions", "importance"),
    "reliability": ("reliability",),
    "published": ("published",),
}

# What each figure job draws: (kind, shard i, of n shards), a shard being a contiguous slice of the
# kind's constructs (or models). Two jobs for two cores: the subgroup charts (the most expensive kind,
# ten charts of many panels) and the rest. Measured at load ~1.5 (CPU s of each rule's benchmark
# file): one job drawing everything 9.5; three jobs (the subgroup charts halved) 4.4 + 4.0 + 4.0, as a
# job's start-up (Python, pandas, matplotlib, Snakemake's preamble, ~1.4 s) is paid per job and a third
# job waits for a core anyway. The Likert charts start once the agreement table exists.
FIGURE_PARTS = {
    "overview": (("likert", 0, 1), ("drivers", 0, 1), ("reliability", 0, 1), ("published", 0, 1)),
    "subgroups": (("subgroups", 0, 1),),
}

INDEX = "index.json"


def part_tables(part: str) -> tuple[str, ...]:
    """The tables (names of build_figures' keyword arguments) the figure job ``part`` reads."""
    names = [t for kind, _, _ in FIGURE_PARTS[part] for t in KIND_TABLES[kind]]
    return tuple(dict.fromkeys(names))


def shard(items: Sequence[Any], i: int, n: int) -> list[Any]:
    """The ``i``-th of ``n`` contiguous slices of ``items`` (sizes differ by at most one; the
    slices in order are ``items`` in order, so the gathered index keeps one job's order)."""
    items = list(items)
    q, r = divmod(len(items), n)
    start = i * q + min(i, r)
    return items[start : start + q + (1 if i < r else 0)]


@contextlib.contextmanager
def atomic_dir(target: Path) -> Iterator[Path]:
    """Yield a fresh temporary folder beside ``target``; it replaces ``target`` if the block succeeds."""
    for stale in target.parent.glob(f".{target.name}.*.tmpdir"):
        shutil.rmtree(stale, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmpdir", dir=target.parent))
    try:
        yield tmp
        old = None
        if target.exists():
            old = target.with_name(f".{target.name}.old.tmpdir")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(target, old)
        os.replace(tmp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write_index(index: list[dict[str, Any]], path: Path) -> None:
    """Write the index as :func:`mscsurvey.io.write_json` does (indented, sorted keys, UTF-8).

    Written here rather than with ``write_json`` so that the gather job need not import pandas; the
    entries are plain JSON values already, so the bytes are the same.
    """
    text = json.dumps(index, indent=2, sort_keys=True, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")


def gather_figures(
    parts: Sequence[str | os.PathLike[str]], out_dir: str | os.PathLike[str]
) -> list[dict[str, Any]]:
    """Copy the figures of every part folder into ``out_dir`` and write their joint index.

    Parameters
    ----------
    parts : sequence of path-like
        Folders written by :func:`mscsurvey.stages.figures.build_figure_part`, each named for its part
        (:data:`FIGURE_PARTS`) and holding its ``index.json``.
    out_dir : path-like
        The figure folder. Built in a temporary folder beside it that replaces it only when every
        file is copied (a failure leaves the previous folder).

    Returns
    -------
    list of dict
        The joint index, its entries in :data:`FIGURE_KINDS` order whatever the order of ``parts``
        (within a kind, in the order of the parts in :data:`FIGURE_PARTS`, then each part's own
        order); equal to the index one ``build_figures`` call writes.

    Raises
    ------
    SurveyError
        A part has no ``index.json`` or its index names a file the part does not hold.
    """
    entries: list[dict[str, Any]] = []
    sources: dict[str, Path] = {}
    # parts in FIGURE_PARTS order (a folder is named for its part), so shards of a kind stay in order
    rank_part = {name: i for i, name in enumerate(FIGURE_PARTS)}
    for part in sorted(map(Path, parts), key=lambda p: rank_part.get(p.name, len(rank_part))):
        path = part / INDEX
        if not path.is_file():
            raise SurveyError(
                "no figure index (expected the figure job's index.json)", file=str(path)
            )
        for entry in json.loads(path.read_text(encoding="utf-8")):
            for name in (entry["file"], entry["svg"]):
                if not (part / name).is_file():
                    raise SurveyError(
                        f"the index names {name}, which the folder lacks", file=str(path)
                    )
                sources[name] = part / name
            entries.append(entry)
    rank = {kind: i for i, kind in enumerate(FIGURE_KINDS)}
    # sorted() is stable: figures of one kind keep their part's order
    index = sorted(entries, key=lambda e: rank.get(e["kind"], len(rank)))
    target = Path(out_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_dir(target) as out:
        for name, src in sources.items():
            # copyfile, not copy2: the copies get a fresh mtime, newer than the parts they came from
            shutil.copyfile(src, out / name)
        write_index(index, out / INDEX)
    return index
