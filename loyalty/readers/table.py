"""The table every reader returns (:class:`RawTable`) and helpers the readers share.

Every cell comes back as text (pandas ``str`` dtype, missing = NaN) so that
customer ids keep their leading zeros; typing is the job of :mod:`loyalty.values`
once the column mapping says which column plays which role.  Each data row keeps
the row number a user sees in a spreadsheet or a text editor (the header is row 1
in a plain export), so the quality report can point at it.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from loyalty import limits as limits_mod
from loyalty.i18n import error

MB = 1024 * 1024
#: Bytes decoded or checked at a time (text decoding, UTF-8 checks, gzip).
CHUNK = 8 * MB


@dataclass
class RawTable:
    """One table as read from a file, before any column has a role.

    Attributes:
        name: the file name (as the user knows it).
        frame: the cells, every column text (``str`` dtype; NaN = empty cell).
        row_numbers: for each frame row, the 1-based row number in the file
            (a spreadsheet's row number; a text file's line number).
        field_count_ok: False for text rows whose number of fields differed from
            the header (they are padded or cut to fit and reported as excluded).
        encoding: the text encoding used, or None for workbooks and Parquet.
        delimiter: the field separator ("," "\\t" ";" "|" or "whitespace"), or None.
        sheet: the sheet read, for workbooks.
        sheets: all sheet names, for workbooks.
        header_row: the row number of the header, or None when the file has none.
        notes: catalogue keys (with values) of things worth telling the user.
    """

    name: str
    frame: pd.DataFrame
    row_numbers: np.ndarray
    field_count_ok: np.ndarray
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    header_row: int | None = 1
    notes: list[tuple[str, dict]] = field(default_factory=list)

    @property
    def rows(self) -> int:
        """Number of data rows read."""
        return len(self.frame)


def short(exc: BaseException) -> str:
    """The first line of an exception's text (at most 200 characters), for messages.

    Args:
        exc: the exception a library raised.

    Returns:
        Its first line, or its type name when it has no text.
    """
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


def clean_names(cells: list[str | None]) -> list[str]:
    """Header names: trimmed, NFKC-normalised, blanks named 列N, duplicates numbered.

    Args:
        cells: the header cells, left to right.

    Returns:
        One unique, non-empty name per cell.
    """
    out: list[str] = []
    seen: dict[str, int] = {}
    for i, c in enumerate(cells):
        n = unicodedata.normalize("NFKC", str(c) if c is not None else "").strip()
        n = n.replace("\n", " ").replace("\r", " ")
        if not n or n.lower() == "nan" or n.startswith("__UNNAMED__"):
            n = f"列{i + 1}"
        if n in seen:
            seen[n] += 1
            n = f"{n} ({seen[n]})"
        else:
            seen[n] = 1
        out.append(n)
    return out


def numbered_names(width: int) -> list[str]:
    """Names for the columns of a table without a header: 列1, 列2, …

    Args:
        width: the number of columns.

    Returns:
        ``width`` names.
    """
    return [f"列{i + 1}" for i in range(width)]


def np_blank(col: pa.ChunkedArray) -> np.ndarray:
    """Which cells of a text column are blank (missing, empty or only white space).

    Args:
        col: a string or large_string column.

    Returns:
        A boolean array, one value per cell.
    """
    blank = pc.or_kleene(pc.is_null(col), pc.or_kleene(pc.equal(pc.binary_length(col), 0), pc.utf8_is_space(col)))
    return np.asarray(pc.fill_null(blank, True).to_numpy(zero_copy_only=False), dtype=bool)


def nonblank_mask(columns: list[pa.ChunkedArray], n: int) -> np.ndarray | None:
    """Rows with at least one non-blank cell, or None when every row has one.

    A cell is blank when it is missing, empty or only white space.  Columns are
    checked one by one and the check stops as soon as no row is blank so far
    (usually after the first column).

    Args:
        columns: the table's text columns.
        n: the number of rows.

    Returns:
        A boolean mask of the rows to keep, or None when all are kept.
    """
    if n == 0:
        return None
    blank = None
    for col in columns:
        if col.null_count == 0 and (pc.min(pc.binary_length(col)).as_py() or 0) > 0:
            # no empty cell: only white-space cells can be blank
            space = pc.utf8_is_space(col)
            if not pc.any(space).as_py():
                return None
            col_blank = np.asarray(space.to_numpy(zero_copy_only=False), dtype=bool)
        else:
            col_blank = np_blank(col)
        blank = col_blank if blank is None else blank & col_blank
        if not blank.any():
            return None
    if blank is None:
        return None
    return ~blank


def columns_to_frame(columns: dict[str, pa.ChunkedArray], n: int) -> pd.DataFrame:
    """Text columns as a DataFrame of ``str`` columns (no copy of the text).

    Args:
        columns: column name -> string or large_string chunked array.
        n: the number of rows (used when there is no column).

    Returns:
        The frame.
    """
    if not columns:
        return pd.DataFrame(index=pd.RangeIndex(n))
    out = {}
    for name, col in columns.items():
        if not pa.types.is_large_string(col.type):
            col = col.cast(pa.large_string())
        if col.num_chunks == 0:
            col = pa.chunked_array([pa.array([], pa.large_string())])
        out[name] = pd.Series(pd.arrays.ArrowStringArray(col), copy=False)
    return pd.DataFrame(out, copy=False)


def empty_columns(names: list[str]) -> dict[str, pa.ChunkedArray]:
    """Columns without rows, one per name.

    Args:
        names: the column names.

    Returns:
        name -> an empty large_string column.
    """
    return {n: pa.chunked_array([pa.array([], pa.large_string())]) for n in names}


def check_cell_lengths(table: RawTable, lim: limits_mod.Limits) -> None:
    """Refuse a cell longer than the limit (in characters), naming its row and column.

    Byte lengths come free with Arrow strings and a character never takes less
    than a byte, so characters are only counted in a column whose longest cell
    has more bytes than the limit allows characters.

    Args:
        table: the table read.
        lim: the limits in force.

    Raises:
        LoyaltyError: a cell has more than ``LOYALTY_MAX_CELL_CHARS`` characters.
    """
    for col in table.frame.columns:
        s = table.frame[col]
        if not len(s):
            continue
        arr = values_text(s)
        if (pc.max(pc.binary_length(arr)).as_py() or 0) <= lim.LOYALTY_MAX_CELL_CHARS:
            continue
        lengths = pc.utf8_length(arr)
        longest = pc.max(lengths).as_py()
        if longest is not None and longest > lim.LOYALTY_MAX_CELL_CHARS:
            pos = int(np.nan_to_num(lengths.to_numpy(zero_copy_only=False).astype(float), nan=0).argmax())
            raise error("error.cell_too_long", file=table.name, row=int(table.row_numbers[pos]),
                        column=col, length=int(longest), limit=lim.LOYALTY_MAX_CELL_CHARS)


def values_text(s: pd.Series) -> pa.ChunkedArray:
    """A text column of a :class:`RawTable` frame as an Arrow chunked array (no copy).

    Args:
        s: one column of :attr:`RawTable.frame`.

    Returns:
        The column's cells as Arrow strings.
    """
    arr = pa.array(s.array) if isinstance(s.dtype, pd.StringDtype) else pa.array(s.astype("str").array)
    return arr if isinstance(arr, pa.ChunkedArray) else pa.chunked_array([arr])
