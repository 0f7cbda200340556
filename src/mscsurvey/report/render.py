"""The brief's rendering steps: read, parameterise and execute the notebook; HTML page; Typst; PDF.

:func:`mscsurvey.stages.brief.render_brief` (rule ``brief``) chains them. Two routes, one source (``mscsurvey/data/notebook/brief.py``, a jupytext percent script whose first markdown cell is
Quarto's YAML header):

- **Quarto** (when ``quarto`` is on PATH): ``quarto render`` with the Jupyter engine and the
  parameters passed with ``-P``; the header's ``html`` and ``typst`` formats give both files.
- **Without Quarto**: jupytext reads the notebook; the parameters are injected papermill-style (a cell
  tagged ``injected-parameters`` after the ``parameters`` cell); nbclient executes it with one kernel;
  nbconvert's ``basic`` template exports the outputs only (no code, no prompts) into a page of our own
  with embedded CSS and images as data URIs (no CDN, no JavaScript); pandoc (pypandoc-binary) turns
  that HTML into Typst with our template and Lua filter; ``typst.compile`` writes the PDF with a fixed
  timestamp and only the bundled fonts (plus matplotlib's DejaVu, the figures' font), so the same
  inputs give the same PDF.

Both outputs are written atomically: a failing cell raises :class:`~mscsurvey.errors.SurveyError` naming
the notebook cell and the exception in one line, and leaves no output file behind.

:class:`Doc` is what the notebook uses to show things: headings, paragraphs, lists, tables, figures,
quotes and caveats as HTML (Jupyter route) or Markdown (Quarto route), escaped for each.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import html
import logging
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mscsurvey.data import assets_dir
from mscsurvey.errors import SurveyError

__all__ = [
    "ASSETS",
    "Doc",
    "read_notebook",
    "split_front_matter",
    "inject_parameters",
    "execute_notebook",
    "notebook_html",
    "html_to_typst",
    "compile_pdf",
    "clean_outputs",
]

log = logging.getLogger(__name__)

#: The brief's static assets (CSS, Typst template, Lua filter) beside the notebook.
ASSETS = assets_dir()

_FRONT = re.compile(r"\A\s*---\s*\n(.*?)\n---\s*(?:\n|\Z)", re.DOTALL)


# --------------------------------------------------------------------------------------------------
# What the notebook displays
# --------------------------------------------------------------------------------------------------


def _md_escape(text: str) -> str:
    """Escape Markdown (and Quarto math/shortcode) characters in plain text."""
    return re.sub(r"([\\`*_{}\[\]<>#|$@~^])", r"\\\1", str(text))


@dataclass
class Doc:
    """Display helpers of the brief notebook, for either route.

    Parameters
    ----------
    renderer : {"jupyter", "quarto"}
        ``jupyter``: HTML outputs (escaped, images embedded as data URIs); ``quarto``: Markdown
        outputs Quarto turns into HTML and Typst itself.
    figures_dir : str
        Folder of the figure files.

    Examples
    --------
    >>> doc = Doc("jupyter", "results/figures")
    >>> doc.para("88% agreed (n = 433).")  # doctest: +SKIP
    """

    renderer: str = "jupyter"
    figures_dir: str = "."
    _figure_count: int = field(default=0, repr=False)
    _table_count: int = field(default=0, repr=False)

    def __post_init__(self) -> None:
        if self.renderer not in ("jupyter", "quarto"):
            raise ValueError(f"renderer must be 'jupyter' or 'quarto', got {self.renderer!r}")

    @property
    def html_mode(self) -> bool:
        return self.renderer == "jupyter"

    def _show(self, text: str) -> None:
        from IPython.display import HTML, Markdown, display

        display(HTML(text) if self.html_mode else Markdown(text))

    def esc(self, text: Any) -> str:
        """Escape plain text for the current renderer."""
        return html.escape(str(text), quote=False) if self.html_mode else _md_escape(str(text))

    def heading(self, text: str, level: int = 2) -> None:
        """A section heading (level 1 = section, 2 = subsection)."""
        if self.html_mode:
            # ids are given on the whole page (anchor_headings), markdown headings included
            self._show(f"<h{level}>{self.esc(text)}</h{level}>")
        else:
            self._show(f"{'#' * level} {self.esc(text)}")

    def para(self, text: str, *, cls: str | None = None, emphasis: bool = False) -> None:
        """A paragraph of plain text (``emphasis``: italic)."""
        body = self.esc(text)
        if self.html_mode:
            body = f"<em>{body}</em>" if emphasis else body
            attr = f' class="{cls}"' if cls else ""
            self._show(f"<p{attr}>{body}</p>")
        else:
            self._show(f"*{body}*" if emphasis else body)

    def bullets(self, items: Sequence[str], *, cls: str | None = None) -> None:
        """A bulleted list of plain-text items."""
        if not items:
            return
        if self.html_mode:
            attr = f' class="{cls}"' if cls else ""
            lis = "".join(f"<li>{self.esc(i)}</li>" for i in items)
            self._show(f"<ul{attr}>{lis}</ul>")
        else:
            self._show("\n".join(f"- {self.esc(i)}" for i in items))

    def caveat(self, text: str) -> None:
        """A visible warning box (reliability caveats)."""
        if self.html_mode:
            self._show(f'<div class="caveat"><p>{self.esc(text)}</p></div>')
        else:
            self._show(f'::: {{.callout-warning appearance="simple"}}\n{self.esc(text)}\n:::')

    def quote(self, text: str, attribution: str) -> None:
        """A respondent's comment with its attribution ("– ROLE, STATE")."""
        if self.html_mode:
            self._show(
                f'<blockquote class="quote"><p>“{self.esc(text)}”</p>'
                f'<p class="attribution">{self.esc(attribution)}</p></blockquote>'
            )
        else:
            self._show(f"> “{self.esc(text)}”\n>\n> {self.esc(attribution)}")

    def table(
        self,
        rows: Sequence[Mapping[str, Any]],
        columns: Mapping[str, str],
        *,
        caption: str = "",
        numeric: Sequence[str] = (),
    ) -> None:
        """A table of ``rows`` (mappings) showing ``columns`` (key -> header), numbers right-aligned."""
        if not rows:
            return
        keys = list(columns)
        if self.html_mode:
            right = ' class="num" style="text-align: right"'
            head = "".join(
                f"<th{right if k in numeric else ''}>{self.esc(columns[k])}</th>" for k in keys
            )
            body = "".join(
                "<tr>"
                + "".join(
                    f"<td{right if k in numeric else ''}>{self.esc(r.get(k, ''))}</td>"
                    for k in keys
                )
                + "</tr>"
                for r in rows
            )
            self._table_count += 1
            n = self._table_count
            cap = (
                f'<caption><span class="label">Table {n}.</span> {self.esc(caption)}</caption>'
                if caption
                else ""
            )
            self._show(
                f'<div class="table-scroll"><table class="data" id="table-{n}">{cap}<thead><tr>'
                f"{head}</tr></thead><tbody>{body}</tbody></table></div>"
            )
        else:

            def cell(v: Any) -> str:
                return self.esc(v).replace("\n", " ")

            lines = [
                "| " + " | ".join(cell(columns[k]) for k in keys) + " |",
                "|" + "|".join("---:" if k in numeric else ":---" for k in keys) + "|",
            ]
            lines += ["| " + " | ".join(cell(r.get(k, "")) for k in keys) + " |" for r in rows]
            if caption:
                lines += ["", f": {self.esc(caption)}"]
            self._show("\n".join(lines))

    def figure(self, file: str | None, *, caption: str, alt: str) -> None:
        """A figure of the figures folder with its caption and alt text (nothing if ``file`` is None)."""
        if not file:
            return
        path = Path(self.figures_dir) / file
        self._figure_count += 1
        n = self._figure_count
        if self.html_mode:
            # the SVG twin: a fifth of the PNG's bytes, sharp at any zoom, vector in the PDF
            svg = path.with_suffix(".svg")
            src, kind = (svg, "svg+xml") if svg.is_file() else (path, "png")
            data = base64.b64encode(src.read_bytes()).decode("ascii")
            self._show(
                f'<figure id="figure-{n}"><img src="data:image/{kind};base64,{data}" '
                f'alt="{html.escape(alt)}" width="100%"><figcaption><span class="label">'
                f"Figure {n}.</span> {self.esc(caption)}</figcaption></figure>"
            )
        else:
            alt_attr = alt.replace('"', "'")
            self._show(
                f"![{self.esc(caption)}]({path.resolve().as_posix()})"
                f'{{#fig-{self._figure_count} fig-alt="{alt_attr}"}}'
            )


# --------------------------------------------------------------------------------------------------
# The Jupyter route, step by step
# --------------------------------------------------------------------------------------------------


def read_notebook(path: str | os.PathLike[str]) -> Any:
    """Read a notebook (``.ipynb`` or a jupytext script) as an nbformat node."""
    import jupytext

    p = Path(path)
    if not p.exists():
        raise SurveyError("does not exist (expected the brief notebook)", file=str(p))
    return jupytext.read(p)


def split_front_matter(nb: Any) -> dict[str, Any]:
    """Remove the YAML header from the first markdown cell and return it as a mapping."""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        m = _FRONT.match(cell.source)
        if not m:
            return {}
        try:
            meta = yaml.safe_load(m.group(1)) or {}
        except yaml.YAMLError as exc:
            raise SurveyError(f"the notebook's YAML header is not valid YAML ({exc})") from None
        cell.source = cell.source[m.end() :].lstrip("\n")
        return meta if isinstance(meta, dict) else {}
    return {}


def inject_parameters(nb: Any, params: Mapping[str, Any]) -> int:
    """Insert a cell assigning ``params`` after the ``parameters``-tagged cell (papermill-style).

    Returns the index of the injected cell. Without a ``parameters`` cell, the injected cell comes
    first. Values must be representable as Python literals (``repr``).
    """
    import nbformat

    lines = ["# Parameters injected by mscsurvey.report.render"]
    lines += [f"{name} = {value!r}" for name, value in params.items()]
    cell = nbformat.v4.new_code_cell("\n".join(lines))
    cell.metadata["tags"] = ["injected-parameters"]
    at = 0
    for i, c in enumerate(nb.cells):
        if "parameters" in c.get("metadata", {}).get("tags", []):
            at = i + 1
            break
    nb.cells.insert(at, cell)
    return at


def _cell_lines(path: Path) -> list[int]:
    """1-based line numbers where the cells of a percent-format script start."""
    if path.suffix == ".ipynb":
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [i + 1 for i, line in enumerate(lines) if line.startswith("# %%")]


def execute_notebook(
    nb: Any,
    *,
    workdir: str | os.PathLike[str],
    source: str | os.PathLike[str],
    injected_at: int | None = None,
    kernel_name: str = "python3",
    timeout: int = 600,
) -> None:
    """Run every cell of ``nb`` in one kernel started in ``workdir``.

    Raises
    ------
    SurveyError
        One line naming the notebook, the failing cell (number among the notebook's own cells, its
        first line in the source file, its first line of code) and the exception.
    """
    from nbclient import NotebookClient

    client = NotebookClient(
        nb,
        kernel_name=kernel_name,
        timeout=timeout,
        allow_errors=False,
        resources={"metadata": {"path": str(workdir)}},
    )
    # The kernel's own stderr (start-up notices, C-level warnings) goes to the log, not the console.
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as kernel_err:
        try:
            _execute(client, nb, source, injected_at, timeout, kernel_err)
        finally:
            kernel_err.seek(0)
            for line in kernel_err.read().splitlines():
                if line.strip():
                    log.info("kernel: %s", line.strip())


def _execute(
    client: Any, nb: Any, source: Any, injected_at: int | None, timeout: int, stderr: Any
) -> None:
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    try:
        client.execute(stderr=stderr)
    except CellExecutionError as exc:
        raise SurveyError(_cell_error(nb, source, injected_at, exc.ename, exc.evalue)) from None
    except CellTimeoutError:
        raise SurveyError(
            f"a cell ran longer than {timeout} s (set a longer timeout or fix the cell)",
            file=str(source),
        ) from None
    except DeadKernelError as exc:
        raise SurveyError(f"the notebook's kernel died ({exc})", file=str(source)) from None


def _cell_error(nb: Any, source: Any, injected_at: int | None, ename: str, evalue: str) -> str:
    src = Path(str(source))
    for i, cell in enumerate(nb.cells):
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if not errors:
            continue
        own = i if injected_at is None or i < injected_at else i - 1
        if injected_at is not None and i == injected_at:
            where = "the injected parameters cell"
        else:
            starts = _cell_lines(src)
            first = next((ln.strip() for ln in cell.source.splitlines() if ln.strip()), "")
            line = f", line {starts[own]}" if own < len(starts) else ""
            where = f"cell {own + 1}{line} ({first[:60]})"
        err = errors[0]
        value = " ".join(str(err.get("evalue", evalue)).split())
        return f"{src} {where}: {err.get('ename', ename)}: {value}"
    value = " ".join(str(evalue).split())
    return f"{src}: {ename}: {value}"


def clean_outputs(nb: Any) -> list[str]:
    """Drop stderr streams (warnings, logging) from the outputs; return them for the log."""
    dropped = []
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i}"  # stable ids: the same notebook gives the same HTML
        kept = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                dropped.append(str(out.get("text", "")).strip())
                continue
            kept.append(out)
        if cell.cell_type == "code":
            cell.outputs = kept
            cell.execution_count = None
    return [d for d in dropped if d]


_ANCHOR = re.compile(r'<a class="anchor-link" href="#[^"]*">.*?</a>', re.DOTALL)
_HEADING = re.compile(r'<h([12])\b[^>]*\bid="([^"]+)"[^>]*>(.*?)</h\1>', re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def anchor_headings(body: str) -> str:
    """Give every section (h1) and subsection (h2) an id of its own: "survey-findings" and, below
    it, "survey-findings-trust" ("Trust" is a heading in several sections), numbered on a repeat."""
    seen: dict[str, int] = {}
    section = ""

    def slug_of(text: str) -> str:
        return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60].strip("-") or "section"

    def repl(m: re.Match[str]) -> str:
        nonlocal section
        level, attrs, inner = m.group(1), m.group(2), m.group(3)
        slug = slug_of(html.unescape(_TAG.sub("", inner)))
        if level == "2" and section:
            slug = f"{section}-{slug}"
        seen[slug] = seen.get(slug, 0) + 1
        if seen[slug] > 1:
            slug = f"{slug}-{seen[slug]}"
        if level == "1":
            section = slug
        attrs = re.sub(r'\s*\bid="[^"]*"', "", attrs)
        return f'<h{level} id="{slug}"{attrs}>{inner}</h{level}>'

    return re.sub(r"<h([12])\b([^>]*)>(.*?)</h\1>", repl, body, flags=re.DOTALL)


def _headings(body: str) -> list[tuple[int, str, str]]:
    """(level, id, text) of every section (h1) and subsection (h2) of the page, in order."""
    return [
        (int(level), anchor, html.unescape(_TAG.sub("", inner)).strip())
        for level, anchor, inner in _HEADING.findall(body)
    ]


def table_of_contents(headings: Sequence[tuple[int, str, str]]) -> str:
    """The sections as a nested list of links (subsections under their section)."""
    out, open_sub = ["<ol>"], False
    for i, (level, anchor, text) in enumerate(headings):
        link = f'<a href="#{html.escape(anchor)}">{html.escape(text)}</a>'
        if level == 1:
            if open_sub:
                out.append("</ol></li>")
                open_sub = False
            elif i:
                out.append("</li>")
            out.append(f"<li>{link}")
        else:
            if not open_sub:
                out.append("<ol>")
                open_sub = True
            out.append(f"<li>{link}</li>")
    out.append("</ol></li></ol>" if open_sub else ("</li></ol>" if headings else "</ol>"))
    return "".join(out)


def link_references(body: str, headings: Sequence[tuple[int, str, str]]) -> str:
    """Turn "see Methods" into a link to the Methods section, and "Figure 3" / "Table 2" in running
    text into links to that figure or table (their labels are left alone)."""
    sections = {text: anchor for level, anchor, text in headings if level == 1}

    def see(m: re.Match[str]) -> str:
        name = m.group(2)
        if name not in sections:
            return m.group(0)
        return f'{m.group(1)}<a href="#{html.escape(sections[name])}">{name}</a>'

    body = re.sub(r"(\b[Ss]ee )([A-Z][\w ]*[\w])(?=[).,;])", see, body)

    def ref(m: re.Match[str]) -> str:
        kind, n = m.group(1), m.group(2)
        target = f"{kind.lower()}-{n}"
        if f'id="{target}"' not in body:
            return m.group(0)
        return f'<a href="#{target}">{kind} {n}</a>'

    # "Figure 3" in text, not in a label ("<span class="label">Figure 3.</span>")
    return re.sub(r'(?<!class="label">)\b(Figure|Table) (\d+)\b(?!\.</span>)', ref, body)


_TITLE_BLOCK = re.compile(r'<header class="title-block">.*?</header>', re.DOTALL)
_SCREEN_ONLY = re.compile(
    r'<nav class="toc".*?</nav>|<details class="toc">.*?</details>|<footer class="notice-bar".*?</footer>',
    re.DOTALL,
)


def notebook_html(
    nb: Any,
    *,
    title: str,
    subtitle: str = "",
    date: str = "",
    css: str = "",
    workdir: str | os.PathLike[str] = ".",
    notice: str = "",
) -> str:
    """The executed notebook as one self-contained HTML page: outputs only, our CSS, no scripts.

    ``notice`` (e.g. that the data are synthetic) is shown above the title and in a bar fixed to
    the foot of the window, so that every screenful says it."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="basic",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"path": str(workdir)}})
    body = anchor_headings(_ANCHOR.sub("", body))
    headings = _headings(body)
    body = link_references(body, headings)
    toc = table_of_contents(headings)
    notice_html = f'<p class="notice" role="note">{html.escape(notice)}</p>' if notice else ""
    head = (
        f'<header class="title-block">{notice_html}<p class="kicker">Research brief</p>'
        f'<h1 class="title">{html.escape(title)}</h1>'
        + (f'<p class="subtitle">{html.escape(subtitle)}</p>' if subtitle else "")
        + (f'<p class="date">{html.escape(date)}</p>' if date else "")
        + "</header>"
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>\n{css}\n</style>\n</head>\n"
        f'<body>\n<div class="page">\n<nav class="toc" aria-label="Contents"><p>Contents</p>'
        f"{toc}</nav>\n"
        f'<main class="brief">\n{head}\n<details class="toc"><summary>Contents</summary>{toc}'
        f"</details>\n{body}\n</main>\n</div>\n"
        + (
            f'<footer class="notice-bar" role="note">{html.escape(notice)}</footer>\n'
            if notice
            else ""
        )
        + "</body>\n</html>\n"
    )


def html_to_typst(
    page: str,
    *,
    workdir: str | os.PathLike[str],
    template: str | os.PathLike[str],
    lua_filter: str | os.PathLike[str] | None = None,
    metadata: Mapping[str, str] | None = None,
) -> str:
    """Convert the HTML page to Typst with pandoc; images are extracted into ``workdir/media``."""
    import pypandoc

    page = _TITLE_BLOCK.sub("", page)  # the Typst template sets its own title block
    page = _SCREEN_ONLY.sub("", page)  # the contents menus and the notice bar are for screens
    page = _extract_images(page, Path(workdir) / "media")
    args = [
        "--standalone",
        "--quiet",
        f"--template={Path(template).resolve()}",
        "-V",
        "papersize=a4",
    ]
    if lua_filter:
        args.append(f"--lua-filter={Path(lua_filter).resolve()}")
    for key, value in (metadata or {}).items():
        if value:
            args += ["-M", f"{key}={value}"]
    try:
        return pypandoc.convert_text(
            page, "typst", format="html", extra_args=args, cworkdir=str(workdir)
        )
    except RuntimeError as exc:
        raise SurveyError(
            f"pandoc could not convert the brief to Typst: {_one_line(exc)}"
        ) from None


_DATA_URI = re.compile(r'src="data:image/(png|jpeg|gif|svg\+xml);base64,([A-Za-z0-9+/=\s]+)"')


def _extract_images(page: str, media: Path) -> str:
    """Write every embedded image to ``media/<sha256>.<ext>`` and point its ``src`` there."""
    media.mkdir(parents=True, exist_ok=True)

    def repl(m: re.Match[str]) -> str:
        data = base64.b64decode(m.group(2))
        ext = {"jpeg": "jpg", "svg+xml": "svg"}.get(m.group(1), m.group(1))
        name = f"{hashlib.sha256(data).hexdigest()[:20]}.{ext}"
        (media / name).write_bytes(data)
        return f'src="media/{name}"'

    return _DATA_URI.sub(repl, page)


def _fonts() -> list[str]:
    import matplotlib

    paths = [str(Path(matplotlib.get_data_path()) / "fonts" / "ttf")]
    own = ASSETS / "fonts"
    if own.is_dir():
        paths.append(str(own))
    return paths


def compile_pdf(
    typ: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    root: str | os.PathLike[str],
    timestamp: _dt.datetime | int = 0,
) -> None:
    """Compile a Typst file to PDF with the bundled fonts only and a fixed timestamp."""
    import typst

    try:
        pdf, warnings = typst.compile_with_warnings(
            str(typ),
            root=str(root),
            font_paths=_fonts(),
            ignore_system_fonts=True,
            timestamp=timestamp,
        )
    except Exception as exc:  # typst.TypstError and friends
        raise SurveyError(f"typst could not compile the brief: {_one_line(exc)}") from None
    # e.g. "document did not converge": the PDF is written but its figure numbers may be wrong
    for warning in warnings:
        log.warning("typst: %s", _one_line(warning))
    Path(out).write_bytes(pdf)


def _one_line(exc: BaseException) -> str:
    text = getattr(exc, "message", None) or str(exc)
    return " ".join(str(text).split())[:500]
