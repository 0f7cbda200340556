"""Rule ``brief``: execute the brief's notebook with the run's numbers and write its HTML and PDF.

Two routes (see :mod:`mscsurvey.report.render` for the conversions each uses): ``quarto render`` when
Quarto is on PATH, else the notebook executed by nbclient and converted here step by step (HTML page,
Typst source, PDF). Both outputs are written atomically, or neither.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import logging
import os
import shutil
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mscsurvey.errors import SurveyError
from mscsurvey.io import atomic_path, scratch_dir
from mscsurvey.report.render import (
    ASSETS,
    clean_outputs,
    compile_pdf,
    execute_notebook,
    html_to_typst,
    inject_parameters,
    notebook_html,
    read_notebook,
    split_front_matter,
)

__all__ = ["RenderResult", "render_brief"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RenderResult:
    """What :func:`render_brief` did: the route, the files and the seconds each step took."""

    route: str
    html: Path
    pdf: Path
    timings: dict[str, float]
    front_matter: dict[str, Any]


def _timestamp(date: str | None) -> _dt.datetime | int:
    if not date:
        return 0
    try:
        d = _dt.date.fromisoformat(date)
    except ValueError:
        return 0
    return _dt.datetime(d.year, d.month, d.day, tzinfo=_dt.UTC)


@contextlib.contextmanager
def _timer(timings: dict[str, float], name: str) -> Iterator[None]:
    t0 = time.perf_counter()
    yield
    timings[name] = round(time.perf_counter() - t0, 3)


def render_brief(
    notebook: str | os.PathLike[str],
    *,
    params: Mapping[str, Any],
    workdir: str | os.PathLike[str],
    html_out: str | os.PathLike[str],
    pdf_out: str | os.PathLike[str],
    metadata: Mapping[str, str] | None = None,
    assets: str | os.PathLike[str] | None = None,
    kernel_name: str = "python3",
    timeout: int = 600,
    use_quarto: bool | None = None,
) -> RenderResult:
    """Execute the brief notebook with ``params`` and write ``html_out`` and ``pdf_out``.

    Parameters
    ----------
    notebook : path-like
        The brief source (jupytext percent script or ``.ipynb``) with a ``parameters``-tagged cell.
    params : mapping
        Values injected after the ``parameters`` cell (each ``repr``-able). ``renderer`` is set to
        ``"jupyter"`` or ``"quarto"`` by the route.
    workdir : path-like
        The kernel's working directory (relative paths in ``params`` are relative to it).
    html_out, pdf_out : path-like
        The two outputs; both are written, atomically, or neither.
    metadata : mapping, optional
        ``title``, ``subtitle`` and ``date`` of the title block (override the notebook header's).
        ``date`` (ISO) also fixes the PDF's timestamp. ``notice`` (e.g. "Synthetic data: ...") is
        shown on the title page and on every page (HTML: a bar at the window's foot; PDF: each
        page's header and footer).
    assets : path-like, optional
        Folder with ``brief.css``, ``brief-template.typ`` and ``brief.lua`` (default: the
        ``assets`` folder beside the notebook, else :data:`ASSETS`).
    kernel_name : str, optional
        Jupyter kernel to run the notebook.
    timeout : int, optional
        Seconds a cell may run.
    use_quarto : bool, optional
        Force (True) or forbid (False) the Quarto route; default: Quarto when it is on PATH.

    Returns
    -------
    RenderResult

    Raises
    ------
    SurveyError
        A failing cell (notebook, cell, exception in one line), pandoc or typst failing, or quarto
        failing; no output file is written then.
    """
    nb_path = Path(notebook)
    workdir = Path(workdir).resolve()
    html_out, pdf_out = Path(html_out), Path(pdf_out)
    meta = {k: str(v) for k, v in (metadata or {}).items() if v is not None}
    quarto = shutil.which("quarto") if use_quarto in (None, True) else None
    if use_quarto and not quarto:
        raise SurveyError("quarto was requested but is not on PATH")
    timings: dict[str, float] = {}
    if assets is None:
        assets = nb_path.parent / "assets" if (nb_path.parent / "assets").is_dir() else ASSETS

    with atomic_path(html_out) as html_tmp, atomic_path(pdf_out) as pdf_tmp:
        if quarto:
            with _timer(timings, "quarto"):
                _render_quarto(
                    quarto,
                    nb_path,
                    params={**params, "renderer": "quarto"},
                    workdir=workdir,
                    html_tmp=html_tmp,
                    pdf_tmp=pdf_tmp,
                    metadata=meta,
                )
            return RenderResult("quarto", html_out, pdf_out, timings, {})
        nb, front = _executed(
            nb_path,
            params,
            workdir=workdir,
            kernel_name=kernel_name,
            timeout=timeout,
            timings=timings,
        )
        head = {
            "title": meta.get("title") or str(front.get("title", "Research brief")),
            "subtitle": meta.get("subtitle") or str(front.get("subtitle", "") or ""),
            "date": meta.get("date") or str(front.get("date", "") or ""),
            "notice": meta.get("notice", ""),
        }
        assets = Path(assets)
        with _timer(timings, "html"):
            page = _html_page(nb, head, workdir=workdir, css_file=assets / "brief.css")
            html_tmp.write_text(page, encoding="utf-8")
        _write_pdf(page, head, assets=assets, pdf_out=pdf_out, pdf_tmp=pdf_tmp, timings=timings)
    return RenderResult("jupyter", html_out, pdf_out, timings, front)


def _executed(
    nb_path: Path,
    params: Mapping[str, Any],
    *,
    workdir: Path,
    kernel_name: str,
    timeout: int,
    timings: dict[str, float],
) -> tuple[Any, dict[str, Any]]:
    """Jupyter route, step 1: the notebook read, its parameters injected, executed; its front matter."""
    with _timer(timings, "read"):
        nb = read_notebook(nb_path)
        front = split_front_matter(nb)
        at = inject_parameters(nb, {**params, "renderer": "jupyter"})
    with _timer(timings, "execute"):
        execute_notebook(
            nb,
            workdir=workdir,
            source=nb_path,
            injected_at=at,
            kernel_name=kernel_name,
            timeout=timeout,
        )
    for text in clean_outputs(nb):
        log.warning("notebook stderr (not shown in the brief): %s", text[:2000])
    return nb, front


def _html_page(nb: Any, head: Mapping[str, str], *, workdir: Path, css_file: Path) -> str:
    """Jupyter route, step 2: the executed notebook's outputs as one self-contained HTML page."""
    css = css_file.read_text(encoding="utf-8") if css_file.exists() else ""
    return notebook_html(
        nb,
        title=head["title"],
        subtitle=head["subtitle"],
        date=head["date"],
        css=css,
        workdir=workdir,
        notice=head["notice"],
    )


def _write_pdf(
    page: str,
    head: Mapping[str, str],
    *,
    assets: Path,
    pdf_out: Path,
    pdf_tmp: Path,
    timings: dict[str, float],
) -> None:
    """Jupyter route, step 3: the HTML page converted to Typst (template, Lua filter), compiled."""
    with scratch_dir(pdf_out, "brief-typst") as scratch:
        tmp = str(scratch)
        with _timer(timings, "typst_source"):
            typ = html_to_typst(
                page,
                workdir=tmp,
                template=assets / "brief-template.typ",
                lua_filter=assets / "brief.lua" if (assets / "brief.lua").exists() else None,
                metadata=dict(head),
            )
            (Path(tmp) / "brief.typ").write_text(typ, encoding="utf-8")
        with _timer(timings, "pdf"):
            compile_pdf(
                Path(tmp) / "brief.typ", pdf_tmp, root=tmp, timestamp=_timestamp(head["date"])
            )


def _render_quarto(
    quarto: str,
    notebook: Path,
    *,
    params: Mapping[str, Any],
    workdir: Path,
    html_tmp: Path,
    pdf_tmp: Path,
    metadata: Mapping[str, str],
) -> None:
    with scratch_dir(pdf_tmp, "brief-quarto") as scratch:
        tmp = str(scratch)
        src_dir = Path(tmp) / "src"
        shutil.copytree(
            notebook.parent,
            src_dir,
            ignore=shutil.ignore_patterns("*.ipynb", "__pycache__", ".*.tmpdir"),
        )
        src = src_dir / notebook.name
        out_dir = Path(tmp) / "out"
        cmd = [
            quarto,
            "render",
            str(src),
            "--execute-dir",
            str(workdir),
            "--output-dir",
            str(out_dir),
        ]
        for key, value in params.items():
            cmd += ["-P", f"{key}:{value}"]
        for key, value in metadata.items():
            if value:
                cmd += ["-M", f"{key}:{value}"]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            last = [ln for ln in (proc.stderr or proc.stdout).splitlines() if ln.strip()]
            raise SurveyError(
                f"quarto render failed: {last[-1] if last else f'exit code {proc.returncode}'}",
                file=str(notebook),
            )
        for name, target in (
            (f"{notebook.stem}.html", html_tmp),
            (f"{notebook.stem}.pdf", pdf_tmp),
        ):
            found = out_dir / name
            if not found.exists():
                raise SurveyError(f"quarto render wrote no {name}", file=str(notebook))
            shutil.copyfile(found, target)
