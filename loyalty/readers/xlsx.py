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

from loyalty import limits as limits_mod
from loyalty.i18n import error
from loyalty.readers import xlsx_pieces as pieces
from loyalty.readers.layout import combined_names, is_group_row, looks_like_header
from loyalty.readers.table import RawTable, clean_names, columns_to_frame, nonblank_mask, np_blank, short
from loyalty.readers.xlsx_guard import check_workbook_container

#: Rows at the top of a sheet looked at to find the header (title rows above it are skipped).
_SHEET_HEAD_ROWS = 60


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


def _row_cells(columns: list[pa.Array], i: int) -> list[str | None]:
    if not columns or i < 0 or i >= len(columns[0]):
        return []
    return [c[i].as_py() for c in columns]


def _filled_per_row(columns: list[pa.Array]) -> np.ndarray:
    """Non-blank cells per row (blank: missing, empty or only white space)."""
    filled = np.zeros(len(columns[0]) if columns else 0, dtype=np.int64)
    for col in columns:
        filled += ~np_blank(pa.chunked_array([col]))
    return filled


def _grid_to_table(batch: pa.RecordBatch, name: str, sheet: str, sheets: list[str],
                   lim: limits_mod.Limits) -> RawTable | None:
    """A sheet's cells (every row, no header yet) as a :class:`RawTable`.

    The header is looked for among the first :data:`_SHEET_HEAD_ROWS` rows only
    (title rows above it are skipped, a group row above or below it is combined);
    on the rest of the sheet only completely blank rows are found and dropped.
    """
    if batch.num_rows == 0 or batch.num_columns == 0:
        return None
    columns = _text_arrays(batch)
    head_n = min(len(columns[0]), _SHEET_HEAD_ROWS + 22)
    head_cols = [c.slice(0, head_n) for c in columns]
    filled_head = _filled_per_row(head_cols)
    head = [int(c) for c in filled_head[:_SHEET_HEAD_ROWS] if c > 0]
    if not head:
        keep = nonblank_mask([pa.chunked_array([c]) for c in columns], len(columns[0]))
        if keep is None or not keep.any():
            return None  # (None cannot happen here: the first rows are blank)
        # data only further down: the header search starts at the first row with content
        return _grid_to_table_from_first_data_row(columns, int(np.flatnonzero(keep)[0]), name, sheet, sheets, lim)
    # skip title rows: the header is the first row at least as full as the table's usual row
    mode = max(set(head), key=lambda c: (head.count(c), c))
    header_idx = next(i for i in range(len(filled_head)) if filled_head[i] >= mode)
    return _sheet_table(columns, head_cols, filled_head, header_idx, name, sheet, sheets, lim)


def _grid_to_table_from_first_data_row(columns: list[pa.Array], first: int, name: str, sheet: str,
                                       sheets: list[str], lim: limits_mod.Limits) -> RawTable | None:
    shifted = [c.slice(first) for c in columns]
    table = _grid_to_table(pa.RecordBatch.from_arrays(shifted, names=[f"c{i}" for i in range(len(shifted))]),
                           name, sheet, sheets, lim)
    if table is None:
        return None
    table.row_numbers = table.row_numbers + first
    if table.header_row is not None:
        table.header_row += first
    table.notes = [(k, _shift_note(k, v, first)) for k, v in table.notes]
    if table.header_row is not None and not any(k == "note.skipped_title_lines" for k, _ in table.notes):
        table.notes.insert(0, ("note.skipped_title_lines", {"lines": first}))
    return table


def _shift_note(key: str, values: dict, by: int) -> dict:
    if key == "note.rel_two_header_rows":
        return {"upper": values["upper"] + by, "lower": values["lower"] + by}
    if key == "note.skipped_title_lines":
        return {"lines": values["lines"] + by}
    return values


def _sheet_table(columns: list[pa.Array], head_cols: list[pa.Array], filled: np.ndarray, header_idx: int,
                 name: str, sheet: str, sheets: list[str], lim: limits_mod.Limits) -> RawTable:
    n_rows = len(columns[0])

    def cells(i: int) -> list[str | None]:
        return _row_cells(head_cols, i) if i < len(head_cols[0]) else _row_cells(columns, i)

    def has_content(i: int) -> bool:
        return i < len(filled) and filled[i] > 0

    head_cells = cells(header_idx)
    has_header = looks_like_header([c or "" for c in head_cells])
    notes: list[tuple[str, dict]] = []
    if has_header:
        start = header_idx + 1
        header_row = header_idx + 1
        skipped = header_idx
        upper_idx = header_idx - 1 if header_idx > 0 and has_content(header_idx - 1) else None
        pair = None
        if upper_idx is not None:
            below = [cells(i) for i in range(header_idx + 1, min(n_rows, header_idx + 21))]
            if is_group_row(cells(upper_idx), head_cells, below):
                pair = (upper_idx, header_idx)
        if pair is None and header_idx + 1 < n_rows and has_content(header_idx + 1):
            below = [cells(i) for i in range(header_idx + 2, min(n_rows, header_idx + 22))]
            if is_group_row(head_cells, cells(header_idx + 1), below):
                pair = (header_idx, header_idx + 1)
        if pair is not None:
            up, low = pair
            head_cells = combined_names(cells(up), cells(low))
            notes.append(("note.rel_two_header_rows", {"upper": up + 1, "lower": low + 1}))
            start, header_row, skipped = low + 1, low + 1, up
        names = clean_names(head_cells)
        if skipped > 0:
            notes.insert(0, ("note.skipped_title_lines", {"lines": skipped}))
    else:
        names = [f"列{i + 1}" for i in range(len(columns))]
        start = header_idx
        header_row = None
    body = [pa.chunked_array([c.slice(start)]) for c in columns]
    keep = nonblank_mask(body, n_rows - start)
    row_numbers = np.arange(start + 1, n_rows + 1, dtype=np.int64)
    if keep is not None:
        mask = pa.array(keep)
        body = [c.filter(mask) for c in body]
        row_numbers = row_numbers[keep]
    if len(row_numbers) > lim.LOYALTY_MAX_ROWS:
        raise error("error.too_many_rows", file=name, rows=len(row_numbers), limit=lim.LOYALTY_MAX_ROWS)
    frame = columns_to_frame(dict(zip(names, body)), len(row_numbers))
    return RawTable(name=name, frame=frame, row_numbers=row_numbers,
                    field_count_ok=np.ones(len(row_numbers), dtype=bool), sheet=sheet, sheets=sheets,
                    header_row=header_row, notes=notes)
