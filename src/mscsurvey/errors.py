"""User-facing errors: one line that says what is wrong, where, and what was expected."""

from __future__ import annotations

__all__ = ["SurveyError", "where"]


def where(
    file: str | None = None,
    *,
    row: int | None = None,
    column: str | None = None,
    key: str | None = None,
) -> str:
    """Format a location as ``file row R, column C`` or ``file: key 'K'``."""
    parts = []
    if row is not None:
        parts.append(f"row {row}")
    if column is not None:
        parts.append(f"column {column}")
    if key is not None:
        parts.append(f"key '{key}'")
    loc = ", ".join(parts)
    if file and loc:
        return f"{file} {loc}" if row is not None or column is not None else f"{file}: {loc}"
    return file or loc


class SurveyError(Exception):
    """A problem with the user's data, codebook or configuration.

    Its message is a single line naming the file and the row/column or key, the offending value and
    what was expected. The workflow prints it without a traceback and exits non-zero.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        key: str | None = None,
    ) -> None:
        self.file, self.row, self.column, self.key = file, row, column, key
        loc = where(file, row=row, column=column, key=key)
        text = f"{loc}: {message}" if loc else message
        super().__init__(" ".join(text.split()))
