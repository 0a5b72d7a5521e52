"""Workbooks (.xlsx/.xlsm/.xls/.xlsb/.ods): the sheets, and one sheet's grid as a table.

The container is checked first (:mod:`loyalty.readers.xlsx_guard`); calamine
(through fastexcel) then reads a sheet's cells, every one as text, and the grid
is laid out like a text file: title rows skipped, the header found (one or two
rows), completely blank rows dropped.  By default the first sheet that has data
is read.  A large sheet is parsed in pieces (:mod:`loyalty.readers.xlsx_pieces`).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

import loyalty.readers.xlsx_pieces as pieces
from loyalty import limits as limits_mod
from loyalty.i18n import error
from loyalty.readers.layout import HEAD_SPAN, Header, Row, find_header
from loyalty.readers.table import RawTable, columns_to_frame, nonblank_mask, numbered_names, short
from loyalty.readers.xlsx_guard import check_workbook_container

def sheet_names(data: bytes, name: str, lim: limits_mod.Limits) -> list[str]:
    """Sheet names of a workbook, after the container checks.

    Args:
        data: the file's bytes.
        name: the file name, for messages.
        lim: the limits in force.

    Returns:
        The sheet names in workbook order.

    Raises:
        LoyaltyError: the workbook is damaged, encrypted or too large.
    """
    check_workbook_container(data, name, lim)
    import fastexcel

    try:
        return list(fastexcel.read_excel(data).sheet_names)
    except Exception as exc:  # fastexcel raises several calamine errors
        raise error("error.excel_unreadable", file=name, detail=short(exc)) from None


def _sheet_order(sheet: str | int | None, sheets: list[str], name: str) -> list[int]:
    """The sheet indexes to try, in order: the one asked for, or all of them."""
    if sheet is None:
        return list(range(len(sheets)))
    if isinstance(sheet, int):
        if not 0 <= sheet < len(sheets):
            raise error("error.sheet_not_found", file=name, sheet=str(sheet), sheets="、".join(sheets))
        return [sheet]
    if sheet not in sheets:
        raise error("error.sheet_not_found", file=name, sheet=sheet, sheets="、".join(sheets))
    return [sheets.index(sheet)]


def read_workbook(data: bytes, name: str, *, sheet: str | int | None = None,
                  limits: limits_mod.Limits) -> RawTable:
    """Read one sheet of a workbook: the one asked for, or the first that has data.

    Args:
        data: the file's bytes.
        name: the file name, for messages.
        sheet: the sheet name or 0-based index (default: the first sheet with data).
        limits: the limits in force.

    Returns:
        The table.

    Raises:
        LoyaltyError: encrypted, damaged or hostile workbook, no such sheet,
            too many rows or columns, or no sheet with data.
    """
    lim = limits
    threads = pieces.threads()
    before = pieces.cpu_times()
    kept = check_workbook_container(data, name, lim,
                                    keep_min=pieces.SPLIT_MIN_BYTES if threads > 1 else None)
    if kept:
        # the check took about a second on one core: were other cores idle meanwhile?
        threads = min(threads, 1 + int(pieces.spare_cores(before) + 0.5))
        if threads < 2:
            kept = {}
    import fastexcel

    try:
        reader = fastexcel.read_excel(data)
        sheets = list(reader.sheet_names)
    except Exception as exc:
        raise error("error.excel_unreadable", file=name, detail=short(exc)) from None
    if not sheets:
        raise error("error.no_data_rows", file=name)
    order = _sheet_order(sheet, sheets, name)
    parts = pieces.sheet_parts(data, sheets) if kept else {}
    for idx in order:
        batch = None
        if idx in parts and parts[idx] in kept:
            batch = pieces.load_in_pieces(data, parts[idx], kept.pop(parts[idx]), idx, threads,
                                          lim.LOYALTY_MAX_ROWS + 2)
        if batch is None:
            try:
                loaded = reader.load_sheet(idx, header_row=None, dtypes="string", skip_rows=0,
                                           n_rows=lim.LOYALTY_MAX_ROWS + 2)
                batch = loaded.to_arrow()
            except Exception as exc:
                raise error("error.excel_unreadable", file=name, detail=short(exc)) from None
        if batch.num_columns > lim.LOYALTY_MAX_COLUMNS:
            raise error("error.too_many_columns", file=name, columns=batch.num_columns,
                        limit=lim.LOYALTY_MAX_COLUMNS)
        table = _grid_to_table(batch, name, sheets[idx], sheets, lim)
        if table is not None and (table.rows > 0 or sheet is not None):
            return table
    raise error("error.no_data_rows", file=name)


def _text_arrays(batch: pa.RecordBatch) -> list[pa.Array]:
    """The grid's columns as large_string arrays (an all-empty column comes as nulls)."""
    out = []
    for col in batch.columns:
        if pa.types.is_null(col.type):
            col = pa.nulls(len(col), pa.large_string())
        elif not pa.types.is_large_string(col.type):
            col = pc.cast(col, pa.large_string())
        out.append(col)
    return out


def _first_row_with_content(columns: list[pa.Array]) -> int | None:
    """Index of the first row with a non-blank cell (None for a blank sheet).

    The top rows are looked at first; the whole sheet only when they are all blank.
    """
    n_rows = len(columns[0])
    for look in (min(HEAD_SPAN, n_rows), n_rows):
        keep = nonblank_mask([pa.chunked_array([c.slice(0, look)]) for c in columns], look)
        if keep is None:
            return 0  # no blank row at all
        if keep.any():
            return int(np.flatnonzero(keep)[0])
    return None


def _head_rows(columns: list[pa.Array], first: int) -> list[Row]:
    """The rows with content among the :data:`HEAD_SPAN` rows from ``first``, for :func:`find_header`."""
    values = [c.slice(first, HEAD_SPAN).to_pylist() for c in columns]
    rows = []
    for i, cells in enumerate(zip(*values)):
        filled = [j for j, c in enumerate(cells) if c is not None and c.strip()]
        if filled:
            rows.append(Row(first + i, first + i + 1, list(cells), filled[-1] + 1))
    return rows


def _grid_to_table(batch: pa.RecordBatch, name: str, sheet: str, sheets: list[str],
                   lim: limits_mod.Limits) -> RawTable | None:
    """A sheet's cells (every row, no header yet) as a :class:`RawTable`.

    The header is found among the first rows with content by the detector text
    files use (:func:`loyalty.readers.layout.find_header`); on the rest of the
    sheet only completely blank rows are found and dropped.

    Returns:
        The table, or None for a sheet without any content.

    Raises:
        LoyaltyError: too many rows.
    """
    if batch.num_rows == 0 or batch.num_columns == 0:
        return None
    columns = _text_arrays(batch)
    first = _first_row_with_content(columns)
    if first is None:
        return None
    rows = _head_rows(columns, first)
    if rows:
        header = find_header(rows)
    else:  # content only a Python string would call blank: no header, as for such a text file
        header = Header(top=first, data=first, names=numbered_names(len(columns)), header_row=None)
    n_rows = len(columns[0])
    start = header.data
    body = [pa.chunked_array([c.slice(start)]) for c in columns]
    keep = nonblank_mask(body, n_rows - start)
    row_numbers = np.arange(start + 1, n_rows + 1, dtype=np.int64)
    if keep is not None:
        mask = pa.array(keep)
        body = [c.filter(mask) for c in body]
        row_numbers = row_numbers[keep]
    if len(row_numbers) > lim.LOYALTY_MAX_ROWS:
        raise error("error.too_many_rows", file=name, rows=len(row_numbers), limit=lim.LOYALTY_MAX_ROWS)
    frame = columns_to_frame(dict(zip(header.names, body)), len(row_numbers))
    return RawTable(name=name, frame=frame, row_numbers=row_numbers,
                    field_count_ok=np.ones(len(row_numbers), dtype=bool), sheet=sheet, sheets=sheets,
                    header_row=header.header_row, notes=list(header.notes))
