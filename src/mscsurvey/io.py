"""Reading raw exports and writing outputs atomically and deterministically.

Every output is written to a temporary file in the same folder and renamed into place, so a run killed
mid-write never leaves a file that looks complete.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import glob
import hashlib
import json
import math
import os
import re
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from io import BytesIO
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from mscsurvey.errors import SurveyError

if TYPE_CHECKING:
    import pandas as pd


__all__ = [
    "atomic_path",
    "atomic_open",
    "scratch_dir",
    "write_parquet",
    "write_table",
    "read_parquet",
    "write_json",
    "read_json",
    "read_raw",
    "integral_codes",
    "sha256_file",
    "to_jsonable",
]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], *, private: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds.

    The file gets the permissions a plain ``open`` would give (0666 less the umask), or owner-only
    (0600) when ``private`` (secrets such as the pseudonym key).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    # A run killed mid-write (SIGKILL skips the cleanup below) leaves its temporary file; one writer
    # per output at a time (Snakemake's rule), so earlier ones are stale.
    for stale in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        stale.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb") as fh:
            os.fsync(fh.fileno())
        # mkstemp creates 0600; results are meant to be shared like any file the user writes.
        os.chmod(tmp_path, 0o600 if private else 0o666 & ~_umask())
        os.replace(tmp_path, target)
    finally:
        tmp_path.unlink(missing_ok=True)


@contextlib.contextmanager
def scratch_dir(beside: str | os.PathLike[str], name: str) -> Iterator[Path]:
    """A temporary folder ``.<name>.*.tmpdir`` beside the output ``beside``, removed when the block
    ends however it ends. Kept beside the output, not in /tmp, so that one left by a run killed with
    SIGKILL (no cleanup can run) is found and removed by the next run of the same step."""
    folder = Path(beside).parent
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob(f".{glob.escape(name)}.*.tmpdir"):
        shutil.rmtree(stale, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".tmpdir", dir=folder)).resolve()
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _umask() -> int:
    """The process's umask (read by setting and restoring it: POSIX has no getter)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_open(
    path: str | os.PathLike[str], mode: str = "w", *, private: bool = False, **kwargs: Any
) -> Iterator[IO[Any]]:
    """Open a temporary file for writing that replaces ``path`` when the block succeeds."""
    if "b" not in mode:
        kwargs.setdefault("encoding", "utf-8")
        kwargs.setdefault("newline", "\n")
    with atomic_path(path, private=private) as tmp, open(tmp, mode, **kwargs) as fh:
        yield fh


def write_parquet(df: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write ``df`` to Parquet atomically, without the index; same frame -> same bytes."""
    with atomic_path(path) as tmp:
        df.to_parquet(tmp, index=False, engine="pyarrow", compression="zstd")


def write_table(df: pd.DataFrame, path: str | os.PathLike[str], table: str) -> None:
    """Check ``df`` against the contract of ``table`` (:mod:`mscsurvey.contracts`), then write it
    like :func:`write_parquet`; a table that breaks its contract is never written."""
    from mscsurvey.contracts import validate  # pandera is imported only by the writers that need it

    validate(df, table, file=str(path))
    write_parquet(df, path)


def read_parquet(
    path: str | os.PathLike[str], columns: Iterable[str] | None = None
) -> pd.DataFrame:
    """Read a Parquet file; with ``columns``, only those (column projection: the others are never
    decoded). Requested columns the file lacks are skipped, so the caller's own check names them."""
    import pandas as pd

    if columns is None:
        return pd.read_parquet(path, engine="pyarrow")
    import pyarrow.parquet as pq

    wanted = set(columns)
    names = [c for c in pq.read_schema(path).names if c in wanted]
    return pd.read_parquet(path, engine="pyarrow", columns=names)


def to_jsonable(obj: Any) -> Any:
    """Convert numpy/pandas scalars and NaN to plain JSON values (NaN -> null)."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, (str, bytes)):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    pd = sys.modules.get("pandas")  # not imported: no pandas value can be here
    if pd is not None and (obj is pd.NA or obj is pd.NaT):
        return None
    return obj


def write_json(obj: Any, path: str | os.PathLike[str]) -> None:
    """Write ``obj`` as indented JSON with sorted keys, atomically."""
    text = json.dumps(to_jsonable(obj), indent=2, sort_keys=True, ensure_ascii=False)
    with atomic_open(path) as fh:
        fh.write(text + "\n")


def read_json(path: str | os.PathLike[str]) -> Any:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def sha256_file(path: str | os.PathLike[str], chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def _decode(raw: bytes, path: Path, encoding: str | None) -> str:
    if encoding:
        try:
            return raw.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise SurveyError(
                f"cannot be read as {encoding} ({exc}); set datasets.<name>.encoding in config",
                file=str(path),
            ) from None
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode Text" export: UTF-16 with a byte-order mark (and tabs)
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Exports from Excel on Windows are usually cp1252 (a superset of latin-1's printable range).
        return raw.decode("cp1252", errors="strict")


_RECORD_END = re.compile(r"\r\n|\r|\n")


def _line_offset(text: str, lines: int) -> int:
    """The offset in ``text`` (record ends already LF) just after its first ``lines`` lines."""
    pos = 0
    for _ in range(lines):
        nl = text.find("\n", pos)
        if nl < 0:
            return len(text)
        pos = nl + 1
    return pos


def _csv_text(path: Path, encoding: str | None, skip_rows: int) -> str:
    """The file decoded, every record end LF, the first ``skip_rows`` lines and a final LF removed."""
    raw = path.read_bytes()
    if not raw.strip():
        raise SurveyError(
            "is empty (expected a header row and at least one response)", file=str(path)
        )
    try:
        text = _decode(raw, path, encoding)
    except UnicodeDecodeError as exc:
        raise SurveyError(
            f"is not UTF-8 or cp1252 text ({exc.reason} at byte {exc.start})", file=str(path)
        ) from None
    del raw  # at 10^6 respondents the file is ~0.7 GB: hold one copy of it at a time
    nul = text.find("\x00")
    if nul >= 0:
        raise SurveyError(
            f"line {text.count(chr(10), 0, nul) + 1} holds a NUL byte (expected text; a binary file or a "
            "damaged export?)",
            file=str(path),
        )
    # The CSV grammar (RFC 4180) ends a record only at CR or LF; str.splitlines would also split at a
    # vertical tab, form feed, NEL or U+2028 inside an answer, making one respondent two. Every
    # record end becomes LF (one string, not a list of lines: a list costs ~50 bytes per line more).
    text = _RECORD_END.sub("\n", text)
    text = text[_line_offset(text, skip_rows) :]
    return text[:-1] if text.endswith("\n") else text


def _parse_error(exc: Exception, path: Path, delimiter: str, skip_rows: int) -> SurveyError:
    """pandas' parser error as one line naming the row ("Expected 61 fields in line 5, saw 63")."""
    m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
    quote = re.search(r"EOF inside string starting at row (\d+)", str(exc))
    if quote is not None:
        # pandas counts rows from 0 at the header
        return SurveyError(
            f"row {int(quote.group(1)) + 1 + skip_rows} opens a quote that is never closed "
            '(expected a closing " before the end of the file)',
            file=str(path),
        )
    if m is None:
        return SurveyError(f"cannot be read as CSV ({str(exc).strip()})", file=str(path))
    expected, line, saw = (int(g) for g in m.groups())
    return SurveyError(
        f"row {line + skip_rows} has {saw} fields but the header has {expected} (expected one "
        f"value per column; a '{delimiter}' inside an unquoted answer splits it)",
        file=str(path),
    )


def _utf8_bytes(path: Path, encoding: str | None, skip_rows: int) -> bytes | None:
    """A UTF-8 file (no encoding given) as the bytes pandas parses: record ends LF, the first
    ``skip_rows`` lines removed; None for any other file (decoded by :func:`_csv_text`).

    Why bytes: the decoded text of a 0.7 GB export is 0.7-2.9 GB (1-4 bytes a character) and each
    step on it (record ends, the encoding back for pandas) held two copies; the bytes are validated
    in slices and held once. A final LF is kept (:func:`_csv_text` removes it): pandas reads it as a
    blank last row at most, and blank rows are dropped, so the frame is the same.
    """
    if encoding is not None:
        return None
    raw = path.read_bytes()
    if not raw or raw.isspace():
        raise SurveyError(
            "is empty (expected a header row and at least one response)", file=str(path)
        )
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(raw)
    try:
        for at in range(0, len(raw), _SLICE):
            decoder.decode(view[at : at + _SLICE], final=at + _SLICE >= len(raw))
    except UnicodeDecodeError:
        return None  # cp1252 and the like: the text path
    finally:
        view.release()
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    nul = raw.find(b"\x00")
    if nul >= 0:
        line = raw.count(b"\n", 0, nul) + 1
        raise SurveyError(
            f"line {line} holds a NUL byte (expected text; a binary file or a damaged export?)",
            file=str(path),
        )
    if b"\r" in raw:  # see _csv_text: only CR and LF end a record
        raw = re.sub(rb"\r\n|\r", b"\n", raw)
    at = 0
    for _ in range(skip_rows):
        nl = raw.find(b"\n", at)
        at = len(raw) if nl < 0 else nl + 1
    return raw[at:] if at else raw


# bytes of UTF-8 validated at a time (the decoded slice is dropped)
_SLICE = 1 << 24


def _read_csv(
    path: Path, delimiter: str | None, encoding: str | None, skip_rows: int
) -> pd.DataFrame:
    import pandas as pd

    data = _utf8_bytes(path, encoding, skip_rows)
    if data is None:
        text = _csv_text(path, encoding, skip_rows)
        # pandas reads bytes: a StringIO would hold the text as 4 bytes per character (~3 GB at 10^6)
        head = text[: _line_offset(text, 50)]
        data = text.encode("utf-8")
        del text
    else:
        head = data[: _byte_line_offset(data, 50)].decode("utf-8")
    if delimiter is None:
        sample = head.removesuffix("\n")
        try:
            delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = ","
    try:
        header = next(
            csv.reader([head[: _line_offset(head, 1)].removesuffix("\n")], delimiter=delimiter), []
        )
    except csv.Error as exc:  # e.g. a header field beyond the csv module's 128 KiB limit
        raise SurveyError(f"has a header row that cannot be read ({exc})", file=str(path)) from None
    _check_header(header, path)
    try:
        df = pd.read_csv(
            BytesIO(data),
            encoding="utf-8",
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skipinitialspace=False,
            # pandas would drop a blank line and so shift every later row number in messages
            skip_blank_lines=False,
        )
    except pd.errors.ParserError as exc:
        raise _parse_error(exc, path, delimiter, skip_rows) from None
    del data
    # a blank line is no respondent: dropped, the others keep the row number a spreadsheet shows
    rows = pd.Series(range(2 + skip_rows, 2 + skip_rows + len(df)), index=df.index)
    blank = df.isna().all(axis=1)
    df = df[~blank].reset_index(drop=True)
    df.insert(0, "_source_row", rows[~blank].to_numpy())
    return df


def _byte_line_offset(data: bytes, lines: int) -> int:
    """:func:`_line_offset` of bytes."""
    pos = 0
    for _ in range(lines):
        nl = data.find(b"\n", pos)
        if nl < 0:
            return len(data)
        pos = nl + 1
    return pos


def _check_header(header: list[str], path: Path, *, allow_blank: bool = False) -> None:
    names = [h.strip() for h in header]
    if not names or all(not n for n in names):
        raise SurveyError(
            "has no header row (expected column names in the first row)", file=str(path)
        )
    seen: dict[str, int] = {}
    for i, name in enumerate(names, start=1):
        if not name:
            if allow_blank:  # an Excel column with no heading (pandas: 'Unnamed: i')
                continue
            raise SurveyError(f"header column {i} has no name", file=str(path))
        if name in seen:
            raise SurveyError(
                f"column name '{name}' appears twice (columns {seen[name]} and {i}); "
                "every column needs a unique name",
                file=str(path),
            )
        seen[name] = i


def _check_unpacked_size(p: Path) -> None:
    """An .xlsx is a zip of XML: refuse one that unpacks beyond :data:`MAX_RAW_BYTES` (a small file
    can unpack to gigabytes) before openpyxl parses it. A file that is no zip is left to the reader's
    own message."""
    try:
        with zipfile.ZipFile(p) as zf:
            unpacked = sum(i.file_size for i in zf.infolist())
    except (zipfile.BadZipFile, OSError):
        return
    if unpacked > MAX_RAW_BYTES:
        raise SurveyError(
            f"unpacks to {unpacked:,} bytes (expected at most {MAX_RAW_BYTES:,}; an .xlsx is a zip "
            "archive: export the sheet as CSV, or check the file)",
            file=str(p),
        )


def _check_formulas(p: Path, sheet: str, skip_rows: int, header: list[str]) -> None:
    """Refuse formula cells that carry no saved value. openpyxl (pandas' reader) reads the value Excel
    saved with a formula and never evaluates one, so a workbook written by a script (no saved values)
    would read as blank answers. (No well-kept library here evaluates Excel formulas faithfully.)"""
    import openpyxl

    books = [openpyxl.load_workbook(p, read_only=True, data_only=d) for d in (False, True)]
    try:
        sheets = [b[sheet] for b in books]
        bad: list[tuple[int, int, str]] = []
        rows = zip(*(s.iter_rows(min_row=skip_rows + 2) for s in sheets), strict=False)
        for formulas, values in rows:
            for f, v in zip(formulas, values, strict=False):
                if getattr(f, "data_type", None) == "f" and v.value is None:
                    bad.append((f.row, f.column, f.coordinate))
    finally:
        for b in books:
            b.close()
    if bad:
        row, col, cell = bad[0]
        name = (
            header[col - 1] if 0 < col <= len(header) and header[col - 1] else f"Unnamed: {col - 1}"
        )
        more = f" [{len(bad) - 1} more formula cell(s) like it]" if len(bad) > 1 else ""
        raise SurveyError(
            f"cell {cell} of sheet '{sheet}' is a formula with no saved value (expected a value; "
            "mscsurvey reads the values Excel saves and does not evaluate formulas: open and save "
            f"the file in Excel or LibreOffice, or export it as CSV){more}",
            file=str(p),
            row=row,
            column=name,
        )


def _read_excel(p: Path, sheet: str | int, skip_rows: int) -> pd.DataFrame:
    """One sheet as text; the header row is checked as a CSV's is (pandas would rename a repeated
    column 'tr1.1' and go on). Blank header cells keep pandas' 'Unnamed: i' names."""
    import pandas as pd

    _check_unpacked_size(p)
    try:
        book = pd.ExcelFile(p)
    except (ValueError, zipfile.BadZipFile):
        raise SurveyError(
            "cannot be read as an Excel workbook (expected an .xlsx file saved by Excel; a CSV "
            "file needs the .csv suffix or datasets.<name>.format: csv in config)",
            file=str(p),
        ) from None
    with book:
        names = book.sheet_names
        if sheet not in names and not (
            isinstance(sheet, int) and not isinstance(sheet, bool) and 0 <= sheet < len(names)
        ):
            raise SurveyError(
                f"has no sheet {sheet!r} (expected a sheet name or 0-based index of: "
                f"{', '.join(repr(n) for n in names)}; set datasets.<name>.sheet in config)",
                file=str(p),
            )
        grid = pd.read_excel(book, sheet_name=sheet, header=None, dtype=str, skiprows=skip_rows)
        title = sheet if isinstance(sheet, str) else names[sheet]
    if grid.empty:
        raise SurveyError("has no header row (expected column names in the first row)", file=str(p))
    header = ["" if pd.isna(v) else str(v).strip() for v in grid.iloc[0]]
    _check_header(header, p, allow_blank=True)
    _check_formulas(p, title, skip_rows, header)
    df = grid.iloc[1:].reset_index(drop=True)
    df.columns = [h or f"Unnamed: {i}" for i, h in enumerate(header)]
    return df


_INTEGRAL_FLOAT = r"^\s*(-?\d+)\.0*\s*$"


def integral_codes(df: pd.DataFrame) -> pd.DataFrame:
    """Whole numbers stored as floats spelled as integers: "1.0" -> "1" (text columns; missing stays).

    SPSS and Stata keep numeric codes as doubles, so an unlabelled code reads as "1.0"; a codebook,
    a group's categories and the brief speak of 1.
    """
    return df.apply(
        lambda col: (
            col.str.replace(_INTEGRAL_FLOAT, r"\1", regex=True)
            if col.dtype == object or str(col.dtype).startswith("str")
            else col
        )
    )


def _user_missing_mask(df: pd.DataFrame, meta: Any, kind: str) -> pd.DataFrame:
    """Cells holding a value the file declares user-missing (SPSS missing values/ranges; Stata's
    .a-.z, which pyreadstat returns as the letter)."""
    import pandas as pd

    mask = pd.DataFrame(False, index=df.index, columns=df.columns)
    if kind == "sav":
        for col, ranges in (meta.missing_ranges or {}).items():
            values = pd.to_numeric(df[col], errors="coerce") if col in df else None
            if values is None:
                continue
            for r in ranges:
                lo, hi = r["lo"], r["hi"]
                if isinstance(lo, str) or isinstance(hi, str):
                    mask[col] |= df[col].astype("string").str.strip().between(lo, hi).fillna(False)
                else:
                    mask[col] |= values.between(lo, hi).fillna(False)
    else:
        for col, letters in (meta.missing_user_values or {}).items():
            if col in df:
                mask[col] = df[col].isin(list(letters)).fillna(False)
    return mask


def _read_stat(p: Path, kind: str) -> pd.DataFrame:
    """An SPSS/Stata file as text: value labels applied. A declared user-missing value (e.g. 8-10
    "don't know") keeps its label, so the codebook's missing categories match it; one without a label
    becomes 'user-missing <code>', which the clean stage names until the codebook lists it (pyreadstat
    would otherwise read it as blank: an answer silently turned into "not answered")."""
    import pyreadstat

    reader = pyreadstat.read_sav if kind == "sav" else pyreadstat.read_dta
    try:
        df, meta = reader(str(p), apply_value_formats=False, user_missing=True)
    except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError) as exc:
        what = "an SPSS .sav" if kind == "sav" else "a Stata .dta"
        raise SurveyError(
            f"cannot be read as {what} file ({exc}; expected a file saved by "
            f"{'SPSS' if kind == 'sav' else 'Stata'} or pyreadstat)",
            file=str(p),
        ) from None
    user_missing = _user_missing_mask(df, meta, kind)
    codes = df.copy()
    df = pyreadstat.set_value_labels(df, meta, formats_as_category=False)
    df = df.astype(object).where(df.notna(), None).astype("str").where(df.notna())
    for col in user_missing.columns[user_missing.any()]:
        rows = user_missing[col]
        labels = meta.variable_value_labels.get(col, {})
        unlabelled = rows & ~codes[col].isin(list(labels))
        if not unlabelled.any():
            continue
        shown = codes.loc[unlabelled, col].map(
            lambda v: f".{v}" if kind == "dta" else (f"{v:g}" if isinstance(v, float) else str(v))
        )
        df.loc[unlabelled, col] = ["user-missing " + v for v in shown]
    # SPSS and Stata keep an unanswered text question as '' (a CSV's empty field): missing
    return df.mask(df.apply(lambda col: col.str.strip().eq("")).fillna(False))


#: Largest raw export read (it is read into memory whole; a million respondents' CSV is ~0.5 GB).
MAX_RAW_BYTES = 2 * 1024**3
#: Longest answer read: Excel's own limit for one cell, so no survey platform's export exceeds it.
MAX_CELL_CHARS = 32_767


def _check_cell_sizes(df: pd.DataFrame, p: Path) -> None:
    """Refuse a cell longer than :data:`MAX_CELL_CHARS` (a broken quote that swallowed the rest of
    the file, or not a survey export), naming its row and column."""
    for col in df.columns:
        lengths = (
            df[col].str.len() if df[col].dtype == object or str(df[col].dtype) == "str" else None
        )
        if lengths is None or not (lengths > MAX_CELL_CHARS).any():
            continue
        first = int((lengths > MAX_CELL_CHARS).to_numpy().argmax())
        raise SurveyError(
            f"holds {int(lengths.iloc[first]):,} characters (expected at most {MAX_CELL_CHARS:,}, "
            "Excel's limit for one cell; a quote opened and never closed swallows the rows after it)",
            file=str(p),
            row=int(df["_source_row"].iloc[first]),
            column=str(col),
        )


def read_raw(
    path: str | os.PathLike[str],
    *,
    fmt: str = "auto",
    delimiter: str | None = None,
    encoding: str | None = None,
    sheet: str | int = 0,
    skip_rows: int = 0,
) -> pd.DataFrame:
    """Read a raw survey export as text columns, adding ``_source_row`` (the row number a person
    sees in a spreadsheet: the header is row 1 + ``skip_rows``).

    CSV (delimiter and encoding detected unless given), Excel (.xlsx) and SPSS (.sav) / Stata (.dta),
    whose value labels are used as the answers' labels. Every value is returned as text (or missing).
    """
    p = Path(path)
    if not p.exists():
        raise SurveyError("does not exist (expected the raw survey export)", file=str(p))
    if p.is_dir():
        raise SurveyError("is a folder (expected the raw survey export file)", file=str(p))
    if not p.is_file():  # a FIFO or a device (/dev/zero): reading it might never end
        raise SurveyError(
            "is not a regular file (expected the raw survey export file)", file=str(p)
        )
    if p.stat().st_size > MAX_RAW_BYTES:
        raise SurveyError(
            f"is {p.stat().st_size:,} bytes (expected at most {MAX_RAW_BYTES:,}: the file is read "
            "into memory whole; split the export or keep only the survey's columns)",
            file=str(p),
        )
    kind = fmt if fmt != "auto" else p.suffix.lower().lstrip(".")
    if kind in ("csv", "txt", "tsv"):
        df = _read_csv(p, delimiter, encoding, skip_rows)
    elif kind in ("xlsx", "xlsm"):
        df = _read_excel(p, sheet, skip_rows)
    elif kind in ("sav", "dta"):
        df = integral_codes(_read_stat(p, kind))
    else:
        raise SurveyError(
            f"has format '{kind}', which cannot be read (expected csv, xlsx, sav or dta; "
            "set datasets.<name>.format in config)",
            file=str(p),
        )
    df.columns = [str(c).strip() for c in df.columns]
    if len(df) == 0:
        raise SurveyError("has a header but no responses", file=str(p))
    if "_source_row" not in df.columns:
        df.insert(0, "_source_row", range(2 + skip_rows, 2 + skip_rows + len(df)))
    _check_cell_sizes(df, p)
    return df
