"""Reviewers' tables (rule ``tables``): every results table as CSV, as an HTML page for
``snakemake --report``, and all of them in one Excel workbook, each with the data dictionary that
:mod:`mscsurvey.contracts` generates.

The CSV holds every value at full precision (it reads back equal to the Parquet file); the HTML page
rounds numbers for reading and lists what each column means. The workbook has one sheet per table
plus a ``dictionary`` sheet, and its bytes depend only on the tables: the document's created and
modified times and every zip entry's time are fixed (openpyxl would stamp the time of writing).
"""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import zipfile
from collections.abc import Mapping

import numpy as np
import pandas as pd

from mscsurvey import contracts

__all__ = ["WORKBOOK_TIME", "csv_text", "html_page", "workbook_bytes", "sheet_rows"]

#: The time written into the workbook (document properties and zip entries): the zip format's epoch,
#: so that the same tables always give the same bytes.
WORKBOOK_TIME = dt.datetime(1980, 1, 1)

#: Excel's limit on a sheet name.
_SHEET_NAME_MAX = 31


def csv_text(df: pd.DataFrame) -> str:
    """The table as CSV text: header, no index, ``\\n`` line ends, floats at full precision."""
    buf = io.StringIO()
    df.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue()


def sheet_rows(df: pd.DataFrame) -> list[list[object]]:
    """Header and rows with plain Python values (missing -> empty cell) for openpyxl."""
    out: list[list[object]] = [[str(c) for c in df.columns]]
    for row in df.itertuples(index=False, name=None):
        out.append([_cell(v) for v in row])
    return out


def _cell(value: object) -> object:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if np.isnan(value) else float(value)
    return value


def workbook_bytes(tables: Mapping[str, pd.DataFrame], dictionary: pd.DataFrame) -> bytes:
    """An .xlsx workbook: a ``dictionary`` sheet first, then one sheet per table in the given order.

    Raises
    ------
    ValueError
        A table name Excel cannot use as a sheet name (over 31 characters, or ``dictionary``).
    """
    # imported here: only the tables rule needs openpyxl
    from openpyxl import Workbook
    from openpyxl.xml.functions import tostring

    wb = Workbook(write_only=True)
    for name, frame in {"dictionary": dictionary, **_checked(tables)}.items():
        ws = wb.create_sheet(title=name)
        ws.freeze_panes = "A2"
        for row in sheet_rows(frame):
            ws.append(row)
    wb.properties.creator = "mscsurvey"
    wb.properties.created = WORKBOOK_TIME
    buf = io.BytesIO()
    wb.save(buf)  # stamps properties.modified with the time of saving: replaced below
    wb.properties.modified = WORKBOOK_TIME
    core = tostring(wb.properties.to_tree())
    return _fixed_zip(buf.getvalue(), {"docProps/core.xml": core})


def _checked(tables: Mapping[str, pd.DataFrame]) -> Mapping[str, pd.DataFrame]:
    for name in tables:
        if name == "dictionary" or len(name) > _SHEET_NAME_MAX:
            raise ValueError(f"table name {name!r} cannot be a sheet name")
    return tables


def _fixed_zip(data: bytes, replace: Mapping[str, bytes]) -> bytes:
    """The same zip with every entry's time set to :data:`WORKBOOK_TIME` and the entries named in
    ``replace`` replaced (same content, same bytes)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=WORKBOOK_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            dst.writestr(fixed, replace.get(info.filename) or src.read(info.filename))
    return out.getvalue()


_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:1rem;color:#1a1a1a}"
    ".scroll{overflow:auto;max-height:70vh;border:1px solid #ccc}"
    "table{border-collapse:collapse;font-size:.85rem}"
    "th,td{padding:.2rem .5rem;border-bottom:1px solid #e5e5e5;text-align:left;white-space:nowrap}"
    "thead th{position:sticky;top:0;background:#f2f2f2}"
    "td{font-variant-numeric:tabular-nums}"
    "dl{font-size:.85rem}dt{font-weight:600;margin-top:.3rem}dd{margin-left:1rem}"
)


def _display(value: object) -> str:
    """A cell as shown on the page: numbers to 4 significant digits, missing as empty."""
    v = _cell(value)
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float):
        return f"{v:.4g}"
    return html.escape(_rounded_json(str(v)))


def _rounded_json(text: str) -> str:
    """A JSON cell (e.g. invariance's latent means) with its numbers to 4 decimals, for reading; the
    full-precision digit runs of such a cell also read as phone numbers to the leak scan. Any other
    text unchanged."""
    if not text.startswith(("{", "[")):
        return text
    try:
        doc = json.loads(text)
    except ValueError:
        return text
    return json.dumps(_round(doc), ensure_ascii=False)


def _round(node: object) -> object:
    if isinstance(node, dict):
        return {k: _round(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_round(v) for v in node]
    if isinstance(node, float) and np.isfinite(node):
        return round(node, 4)  # not 4 significant digits: "[0.0008771" reads as a phone number
    return node


def _numeric_style(con: contracts.Contract) -> str:
    """Right-align the number columns (by the contract's types): one CSS rule per table rather than a
    class on every cell, which made the pages of the larger tables twice as big."""
    cols = [i for i, c in enumerate(con.cols, 1) if c.kind in ("float", "int", "Int", "anyint")]
    return ",".join(f"td:nth-child({i})" for i in cols) + "{text-align:right}" if cols else ""


def html_page(name: str, df: pd.DataFrame) -> str:
    """A self-contained HTML page showing table ``name`` (rounded for reading) and its columns'
    meanings from the contract; the CSV and the workbook keep full precision.

    Cells and rows are written without their optional end tags (valid HTML) to keep the pages, which
    ``snakemake --report`` embeds, small."""
    con = contracts.contract(name)
    head = "".join(f"<th>{html.escape(str(c))}" for c in df.columns)
    body = "\n".join(
        "<tr>" + "".join(f"<td>{_display(v)}" for v in row)
        for row in df.itertuples(index=False, name=None)
    )
    terms = "".join(
        f"<dt>{html.escape(c.name)} ({html.escape(contracts.kind_name(c))})</dt>"
        f"<dd>{html.escape(c.description)}"
        + (f". Allowed: {html.escape(c.allowed())}" if c.allowed() else "")
        + "</dd>"
        for c in con.cols
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{html.escape(name)}</title><style>{_STYLE}{_numeric_style(con)}</style></head>"
        f"<body><h1>{html.escape(name)}</h1><p>Each row: {html.escape(con.row)}; {len(df)} rows. "
        "Numbers are rounded to 4 significant digits here; the CSV files and the workbook in "
        "<code>tables/</code> hold every digit.</p>"
        f'<div class="scroll"><table><thead><tr>{head}</thead><tbody>\n{body}\n'
        f"</tbody></table></div><h2>Columns</h2><dl>{terms}</dl></body></html>\n"
    )
