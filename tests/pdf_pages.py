"""How the brief's PDF pages end, as a reader turning them sees it (issue 17 part 2): no page's last
line is a heading, and no page is more than half empty unless the next page starts a top-level
section. Used on the default study's brief (test_brief.py) and the bfi tutorial's (test_tutorial.py).

The fill of a page is measured on its pixels (pdftoppm, poppler-utils), not its text: a figure is
ink too. The running header and footer (the top and bottom 8% of the page) are left out."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest


def squash(text: str) -> str:
    """Text without whitespace and with straight quotes and hyphens, to compare PDF and HTML text."""
    for a, b in (("’", "'"), ("‘", "'"), ("“", '"'), ("”", '"'), ("‐", "-"), ("\u00ad", "")):
        text = text.replace(a, b)
    return "".join(text.split())


def headings(page: str, levels: str = "12") -> set[str]:
    """The squashed text of the HTML page's headings of the given levels."""
    found = re.findall(rf"<h[{levels}][^>]*>(.*?)</h[{levels}]>", page, flags=re.DOTALL)
    return {squash(html.unescape(re.sub(r"<[^>]+>", "", h))) for h in found}


def _body_lines(text: str) -> list[str]:
    """A page's lines without the running header (first line) and the footer (page number)."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return [ln for ln in lines[1:] if not re.search(r"\d+ / \d+\s*$", ln)]


def page_fill(image: Path) -> float:
    """How far down a page's body the ink reaches (0 empty .. 1 full), from a grey-scale raster."""
    from PIL import Image

    with Image.open(image) as im:
        w, h = im.size
        px = im.load()
        top, bottom = int(h * 0.08), int(h * 0.92)
        inked = [y for y in range(top, bottom) if any(px[x, y] < 200 for x in range(w))]
    return (max(inked) - top) / (bottom - top) if inked else 0.0


def page_problems(pdf: Path, page: str, scratch: Path) -> list[str]:
    """Every page-end problem of ``pdf`` (the brief's HTML ``page`` names its headings)."""
    from pypdf import PdfReader

    if shutil.which("pdftoppm") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("pdftoppm is not installed; .ci/run installs poppler-utils")
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    any_heading, sections = headings(page), headings(page, "1")
    texts = [_body_lines(p.extract_text()) for p in PdfReader(pdf).pages]
    scratch.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "20", "-gray", str(pdf), str(scratch / "p")], check=True)
    images = sorted(scratch.glob("p-*.pgm"))
    assert len(images) == len(texts) > 1
    problems = []
    for number, body in enumerate(texts, start=1):
        if not body:
            problems.append(f"page {number} has no text")
        elif squash(body[-1]) in any_heading:
            problems.append(f"page {number} ends with the heading {body[-1]!r}")
    for i, image in enumerate(images[:-1]):
        nxt = texts[i + 1]
        if nxt and squash(nxt[0]) in sections:
            continue
        fill = page_fill(image)
        if fill < 0.5:
            problems.append(f"page {i + 1} is {1 - fill:.0%} empty")
    return problems
