"""Parquet files: every column read as text, like any other table file.

Parquet has a header (its schema) and no title rows, so the first data row is
row 2, as in a plain export.  Row and column counts are checked from the file's
metadata before any data is read.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from loyalty import limits as limits_mod
from loyalty.i18n import error
from loyalty.readers.table import RawTable, clean_names, columns_to_frame, short


def read_parquet(data: bytes, name: str, *, sheet: str | int | None = None,
                 limits: limits_mod.Limits) -> RawTable:
    """Read a Parquet file.

    Args:
        data: the file's bytes.
        name: the file name, for messages.
        sheet: ignored (Parquet files have no sheets).
        limits: the limits in force.

    Returns:
        The table, every column as text.

    Raises:
        LoyaltyError: unreadable, or too many rows or columns.
    """
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(io.BytesIO(data))
        meta = pf.metadata
    except Exception as exc:
        raise error("error.parquet_unreadable", file=name, detail=short(exc)) from None
    if meta.num_columns > limits.LOYALTY_MAX_COLUMNS:
        raise error("error.too_many_columns", file=name, columns=meta.num_columns,
                    limit=limits.LOYALTY_MAX_COLUMNS)
    if meta.num_rows > limits.LOYALTY_MAX_ROWS:
        raise error("error.too_many_rows", file=name, rows=meta.num_rows, limit=limits.LOYALTY_MAX_ROWS)
    try:
        table = pf.read()
    except Exception as exc:
        raise error("error.parquet_unreadable", file=name, detail=short(exc)) from None
    names = clean_names([str(c) for c in table.column_names])
    frame = _arrow_to_frame(table, names)
    rows = np.arange(2, 2 + len(frame), dtype=np.int64)
    return RawTable(name=name, frame=frame, row_numbers=rows,
                    field_count_ok=np.ones(len(frame), dtype=bool), header_row=1)


def _arrow_to_frame(table: pa.Table, names: list[str]) -> pd.DataFrame:
    """Every column of ``table`` cast to text, under ``names``."""
    cols = {}
    for n, col in zip(names, table.columns):
        if not pa.types.is_large_string(col.type):
            col = pc.cast(col, pa.large_string())
        cols[n] = col
    return columns_to_frame(cols, table.num_rows)
