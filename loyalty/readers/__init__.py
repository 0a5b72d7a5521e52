"""Reading untrusted table files: CSV/TSV/text, .xlsx/.xls/.ods, gzip and Parquet.

The public API is :func:`read_table` (bytes, as uploaded), :func:`read_path` (a
local file, for the command line), :func:`list_sheets`, :func:`decode_text`,
:class:`RawTable` and :func:`values_text`.  One module per concern:

==================  ==========================================================
``sniff``           what kind of file this is (magic bytes, markup refusal, gzip)
``decode``          bytes to text (UTF-8/BOM, CP932, EUC-JP, UTF-16; DESIGN §7)
``layout``          where the table starts: separator, title lines, the header
``text``            CSV/TSV: the direct path and the finishing step
``text_careful``    CSV/TSV: the converting path (fast pyarrow, careful csv)
``xlsx_guard``      workbook container checks before any native reader runs
``xlsx``            workbook sheets and one sheet's grid as a table
``xlsx_pieces``     a large sheet parsed in pieces on several cores
``parquet``         Parquet files
``table``           :class:`RawTable` and helpers the readers share
==================  ==========================================================

Adding a file format is one module with a reader function (the signature of
:data:`Reader`) plus one line in :data:`READERS` (and, for a new kind, one rule in
:func:`loyalty.readers.sniff.sniff_kind` that names it).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from loyalty import limits as limits_mod
from loyalty.i18n import error
from loyalty.readers.decode import decode_text
from loyalty.readers.parquet import read_parquet
from loyalty.readers.sniff import (EXCEL_SUFFIXES, GZIP_MAGIC, PARQUET_SUFFIXES, TEXT_SUFFIXES, gunzip,
                                   sniff_kind)
from loyalty.readers.table import MB, RawTable, check_cell_lengths, values_text
from loyalty.readers.text import read_text
from loyalty.readers.xlsx import read_workbook, sheet_names

__all__ = ["EXCEL_SUFFIXES", "PARQUET_SUFFIXES", "READERS", "TEXT_SUFFIXES", "RawTable", "Reader",
           "decode_text", "list_sheets", "read_path", "read_table", "values_text"]

#: A reader: ``(data, name, *, sheet, limits) -> RawTable``; ``sheet`` matters to workbooks only.
Reader = Callable[..., RawTable]

#: The reader of each kind of file :func:`loyalty.readers.sniff.sniff_kind` tells apart.
READERS: dict[str, Reader] = {
    "text": read_text,
    "excel": read_workbook,
    "parquet": read_parquet,
}


def list_sheets(data: bytes, name: str) -> list[str]:
    """Sheet names of a workbook (an empty list for text files).

    Args:
        data: the file's bytes.
        name: the file name (used for messages and to tell the format).

    Returns:
        The sheet names in workbook order.

    Raises:
        LoyaltyError: the workbook is damaged, encrypted or too large.
    """
    if sniff_kind(data, name) != "excel":
        return []
    return sheet_names(data, name, limits_mod.current())


def read_table(data: bytes, name: str, *, sheet: str | int | None = None,
               limits: limits_mod.Limits | None = None) -> RawTable:
    """Read one table from the bytes of an uploaded or local file.

    Args:
        data: the file's bytes.
        name: the file name as the user knows it (messages name it).
        sheet: for workbooks, the sheet name or 0-based index (default: the first
            sheet that has data).
        limits: size limits (default: :func:`loyalty.limits.current`).

    Returns:
        A :class:`RawTable`.

    Raises:
        LoyaltyError: empty file, binary junk, unknown encoding, damaged or
            encrypted workbook, over a limit, or no data rows.
    """
    lim = limits or limits_mod.current()
    if len(data) > lim.LOYALTY_MAX_FILE_MB * MB:
        raise error("error.file_too_large", file=name, size_mb=len(data) // MB,
                    limit_mb=lim.LOYALTY_MAX_FILE_MB)
    if len(data) == 0:
        raise error("error.empty_file", file=name)
    if data[:2] == GZIP_MAGIC:
        data = gunzip(data, name, lim)
        name_inner = name[:-3] if name.lower().endswith(".gz") else name
        table = read_table(data, name_inner, sheet=sheet, limits=lim)
        table.name = name
        return table
    table = READERS[sniff_kind(data, name)](data, name, sheet=sheet, limits=lim)
    if table.rows == 0:
        raise error("error.no_data_rows", file=name)
    check_cell_lengths(table, lim)
    return table


def read_path(path: str | Path, *, sheet: str | int | None = None) -> RawTable:
    """Read a local file (the command line's entry point).

    Args:
        path: the file path.
        sheet: sheet name or index for workbooks.

    Returns:
        A :class:`RawTable` named after the file.

    Raises:
        LoyaltyError: the file does not exist or cannot be read (see :func:`read_table`).
    """
    p = Path(path)
    if not p.is_file():
        raise error("error.file_not_found", file=str(path))
    lim = limits_mod.current()
    if p.stat().st_size > lim.LOYALTY_MAX_FILE_MB * MB:
        raise error("error.file_too_large", file=p.name, size_mb=p.stat().st_size // MB,
                    limit_mb=lim.LOYALTY_MAX_FILE_MB)
    return read_table(p.read_bytes(), p.name, sheet=sheet, limits=lim)
