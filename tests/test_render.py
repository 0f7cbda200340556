"""Rendering: display helpers escape for each route, the YAML header and parameters are handled like
Quarto/papermill, a tiny notebook renders to offline HTML without code and to a deterministic PDF,
a failing cell gives one line and leaves no output, and the Quarto route is taken when quarto exists."""

from __future__ import annotations

import os
import stat
import textwrap

import pytest

from mscsurvey.errors import SurveyError
from mscsurvey.report.render import (
    Doc,
    inject_parameters,
    read_notebook,
    split_front_matter,
)
from mscsurvey.stages.brief import render_brief

NOTEBOOK = """\
# %% [markdown]
# ---
# title: "A tiny brief"
# format:
#   html: {embed-resources: true}
#   typst: {papersize: a4}
# ---
# # First section
#
# Some text.

# %% tags=["parameters"]
value = 1
renderer = "quarto"

# %%
import warnings

warnings.warn("this warning must not reach the brief")
from mscsurvey.report.render import Doc

doc = Doc(renderer, ".")
doc.para(f"The value is {value} and costs $200 < $300.")
doc.table([{"a": "x", "b": "1"}], {"a": "A", "b": "B"}, caption="A table", numeric=["b"])

# %% [markdown]
# # Second section

# %%
{body}
"""


def _notebook(tmp_path, body="doc.quote('Fine words.', '– Role, ST')"):
    path = tmp_path / "tiny.py"
    path.write_text(NOTEBOOK.replace("{body}", body), encoding="utf-8")
    return path


def _render(tmp_path, nb, **kw):
    out = tmp_path / "out"
    return render_brief(
        nb,
        params={"value": 42},
        workdir=tmp_path,
        html_out=out / "brief.html",
        pdf_out=out / "brief.pdf",
        metadata={"title": "Tiny study", "date": "2026-11-23"},
        use_quarto=False,
        **kw,
    )


# -- display helpers --------------------------------------------------------------------------------


def _collect(doc, monkeypatch):
    shown = []
    monkeypatch.setattr(doc, "_show", shown.append)
    return shown


def test_doc_escapes_html(monkeypatch):
    doc = Doc("jupyter", ".")
    shown = _collect(doc, monkeypatch)
    doc.para("<b>$200</b> & more")
    doc.quote("I <3 it", "– MSC staff, WA")
    doc.heading("Trust", 2)
    doc.heading("Trust", 2)
    assert shown[0] == "<p>&lt;b&gt;$200&lt;/b&gt; &amp; more</p>"
    assert "I &lt;3 it" in shown[1] and "– MSC staff, WA" in shown[1]
    assert shown[2] == shown[3] == "<h2>Trust</h2>"  # anchors are given on the whole page


def test_headings_get_unique_anchors_a_contents_and_linked_references():
    from mscsurvey.report.render import (
        _headings,
        anchor_headings,
        link_references,
        table_of_contents,
    )

    body = anchor_headings(
        '<h1 id="Survey-findings">Survey findings</h1><h2>Trust</h2>'
        "<h1>Who perceives what</h1><h2>Trust</h2><h2>Trust</h2><h1>Methods</h1>"
        '<p>Ranked by share (see Methods). As Figure 1 shows.</p><figure id="figure-1">'
        '<figcaption><span class="label">Figure 1.</span> x</figcaption></figure>'
    )
    heads = _headings(body)
    assert [h[1] for h in heads] == [
        "survey-findings",
        "survey-findings-trust",
        "who-perceives-what",
        "who-perceives-what-trust",
        "who-perceives-what-trust-2",
        "methods",
    ]
    toc = table_of_contents(heads)
    assert toc.count("<li>") == 6 and toc.count('href="#') == 6
    assert toc.startswith('<ol><li><a href="#survey-findings">')
    linked = link_references(body, heads)
    assert '(see <a href="#methods">Methods</a>)' in linked
    assert 'As <a href="#figure-1">Figure 1</a> shows' in linked
    assert '<span class="label">Figure 1.</span>' in linked  # the label itself is not a link


def test_doc_escapes_markdown_for_quarto(monkeypatch):
    doc = Doc("quarto", ".")
    shown = _collect(doc, monkeypatch)
    doc.para("$200 to $300 *not* math")
    doc.table([{"a": "x|y"}], {"a": "A"}, caption="Cap")
    assert shown[0] == r"\$200 to \$300 \*not\* math"
    assert r"x\|y" in shown[1] and shown[1].endswith(": Cap")


def test_doc_rejects_an_unknown_renderer():
    with pytest.raises(ValueError, match="renderer must be"):
        Doc("latex", ".")


# -- notebook handling ------------------------------------------------------------------------------


def test_front_matter_and_parameters(tmp_path):
    nb = read_notebook(_notebook(tmp_path))
    front = split_front_matter(nb)
    assert front["title"] == "A tiny brief" and "typst" in front["format"]
    assert nb.cells[0].source.startswith("# First section")
    at = inject_parameters(nb, {"value": 42, "renderer": "jupyter"})
    assert at == 2 and "parameters" in nb.cells[1].metadata["tags"]
    assert nb.cells[at].metadata["tags"] == ["injected-parameters"]
    assert "value = 42" in nb.cells[at].source and "renderer = 'jupyter'" in nb.cells[at].source


def test_parameters_without_a_parameters_cell_come_first(tmp_path):
    path = tmp_path / "plain.py"
    path.write_text("# %%\nx = 1\n", encoding="utf-8")
    nb = read_notebook(path)
    assert inject_parameters(nb, {"x": 2}) == 0


def test_missing_notebook_is_one_line(tmp_path):
    with pytest.raises(SurveyError, match="does not exist"):
        read_notebook(tmp_path / "nope.py")


# -- the Jupyter route ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("render")
    nb = _notebook(tmp)
    result = _render(tmp, nb)
    return tmp, result


def test_render_writes_offline_html_without_code(rendered):
    tmp, result = rendered
    page = result.html.read_text(encoding="utf-8")
    assert result.route == "jupyter"
    assert "<h1" in page and "First section" in page and "Second section" in page
    assert "Tiny study" in page and "2026-11-23" in page
    assert "The value is 42 and costs $200 &lt; $300." in page
    assert "Fine words." in page and "– Role, ST" in page
    for code in ("jp-InputArea", "input_area", "import warnings", "doc.para", "value = 42"):
        assert code not in page
    for remote in ("<script", "cdn.", "https://", "http://"):
        assert remote not in page
    assert "this warning" not in page and "Warning" not in page
    assert set(result.timings) == {"read", "execute", "html", "typst_source", "pdf"}


def test_render_writes_a_pdf_with_the_text(rendered):
    from pypdf import PdfReader

    _, result = rendered
    reader = PdfReader(result.pdf)
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Tiny study" in text and "First section" in text
    assert "The value is 42" in text and "Fine words." in text


def test_render_is_deterministic(rendered, tmp_path):
    tmp, first = rendered
    again = _render(tmp_path, _notebook(tmp_path))
    assert again.pdf.read_bytes() == first.pdf.read_bytes()
    assert again.html.read_bytes() == first.html.read_bytes()


def test_failing_cell_is_one_line_and_writes_nothing(tmp_path):
    nb = _notebook(tmp_path, body="doc.para('before')\n1 / 0")
    with pytest.raises(SurveyError) as err:
        _render(tmp_path, nb)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"{nb} cell 5, line ")
    assert message.endswith("ZeroDivisionError: division by zero")
    out = tmp_path / "out"
    assert not out.exists() or list(out.iterdir()) == []


def test_failing_cell_keeps_the_previous_outputs(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "brief.html").write_text("old", encoding="utf-8")
    (out / "brief.pdf").write_bytes(b"old")
    nb = _notebook(tmp_path, body="raise KeyError('missing_table')")
    with pytest.raises(SurveyError, match="KeyError: 'missing_table'"):
        _render(tmp_path, nb)
    assert (out / "brief.html").read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in out.iterdir()) == ["brief.html", "brief.pdf"]


def test_bad_parameter_names_the_injected_cell(tmp_path):
    nb = _notebook(tmp_path)
    with pytest.raises(SurveyError, match="injected parameters cell: NameError"):
        render_brief(
            nb,
            params={"value": float("nan")},  # repr 'nan' is not a Python literal
            workdir=tmp_path,
            html_out=tmp_path / "b.html",
            pdf_out=tmp_path / "b.pdf",
            use_quarto=False,
        )
    assert not (tmp_path / "b.html").exists() and not (tmp_path / "b.pdf").exists()


# -- the Quarto route -------------------------------------------------------------------------------


def _fake_quarto(tmp_path, *, fail=False):
    """A stand-in `quarto` that records its arguments and writes both outputs."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    script = bindir / "quarto"
    script.write_text(
        textwrap.dedent(
            f"""\
            #!/bin/sh
            printf '%s\\n' "$@" > {tmp_path}/quarto-args.txt
            {"echo 'ERROR: something broke' >&2; exit 1" if fail else ""}
            out=""
            prev=""
            for a in "$@"; do
              if [ "$prev" = "--output-dir" ]; then out="$a"; fi
              prev="$a"
            done
            mkdir -p "$out"
            echo '<html>quarto</html>' > "$out/tiny.html"
            echo '%PDF-quarto' > "$out/tiny.pdf"
            """
        ),
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return bindir


def test_quarto_is_used_when_on_path(tmp_path, monkeypatch):
    bindir = _fake_quarto(tmp_path)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    nb = _notebook(tmp_path)
    result = render_brief(
        nb,
        params={"value": 42},
        workdir=tmp_path,
        html_out=tmp_path / "out" / "brief.html",
        pdf_out=tmp_path / "out" / "brief.pdf",
        metadata={"title": "Tiny study"},
    )
    assert result.route == "quarto"
    assert result.html.read_text(encoding="utf-8").strip() == "<html>quarto</html>"
    args = (tmp_path / "quarto-args.txt").read_text(encoding="utf-8").splitlines()
    assert args[0] == "render" and args[1].endswith("tiny.py")
    assert "--execute-dir" in args and str(tmp_path) in args
    assert "value:42" in args and "renderer:quarto" in args and "title:Tiny study" in args


def test_quarto_failure_is_one_line_and_writes_nothing(tmp_path, monkeypatch):
    bindir = _fake_quarto(tmp_path, fail=True)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(SurveyError, match="quarto render failed: ERROR: something broke"):
        render_brief(
            _notebook(tmp_path),
            params={},
            workdir=tmp_path,
            html_out=tmp_path / "out" / "brief.html",
            pdf_out=tmp_path / "out" / "brief.pdf",
        )
    assert list((tmp_path / "out").iterdir()) == []


def test_quarto_requested_but_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SurveyError, match="quarto was requested but is not on PATH"):
        render_brief(
            _notebook(tmp_path),
            params={},
            workdir=tmp_path,
            html_out=tmp_path / "h.html",
            pdf_out=tmp_path / "p.pdf",
            use_quarto=True,
        )
