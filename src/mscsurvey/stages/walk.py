"""Rule ``walk``: the Data Walk site (pages built by :mod:`mscsurvey.report.walk`) written to its folder,
with the figures its pages show copied beside them."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mscsurvey.report.figure_index import atomic_dir
from mscsurvey.report.walk import render_page, walk_pages

__all__ = ["build_walk"]


def build_walk(
    numbers: Mapping[str, Any],
    figure_index: Sequence[Mapping[str, Any]],
    *,
    figures_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
) -> list[str]:
    """Write the Data Walk site into ``out_dir`` (replaced whole, atomically).

    Parameters
    ----------
    numbers
        the brief's ``numbers.json``.
    figure_index
        the figures rule's ``index.json``.
    figures_dir
        the folder of the figures (the SVG files the pages show are copied beside the pages).
    out_dir
        the site's folder.

    Returns
    -------
    list of str
        the pages written, in reading order (file names).
    """
    pages = walk_pages(numbers, figure_index)
    notice = (numbers.get("synthetic") or {}).get("banner", "")
    study = numbers.get("study", {})
    target = Path(out_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_dir(target) as tmp:
        (tmp / "figures").mkdir()
        for page in pages:
            text = render_page(page, pages, study, notice)
            (tmp / f"{page.slug}.html").write_text(text, encoding="utf-8")
            for svg in page.figures:
                shutil.copyfile(Path(figures_dir) / svg, tmp / "figures" / svg)
        listing = [f"{p.slug}.html" for p in pages]
        (tmp / "pages.json").write_text(
            json.dumps([{"file": f, "title": p.title} for f, p in zip(listing, pages, strict=True)])
            + "\n",
            encoding="utf-8",
        )
    return listing
