"""CSV/TSV/text exports: the direct path, and the finishing step both text paths share.

A text export is read by the direct path when it applies (UTF-8 or CP932, a comma,
tab or semicolon, nothing unusual): only the first lines are decoded in Python,
the body goes to pyarrow's multithreaded reader as a zero-copy slice of the file.
Anything else goes to the converting path (:mod:`loyalty.readers.text_careful`).

Decisions worth knowing (README "Reliability"):

* Completely empty rows (blank lines, or rows whose every cell is blank, such as
  ``,,,``) are not data rows: they are skipped and do not count as rows read (a
  note says how many ``,,,`` rows a text file had).
* A text cell that begins with an apostrophe followed by ``= + - @``, tab, CR or LF
  is a cell defused against formula injection (:func:`loyalty.export.neutralize`,
  OWASP's advice): the one apostrophe is removed, so a file this app exported
  reads back unchanged.  Workbooks need no such step (Excel stores the apostrophe
  as a prefix flag, not as text).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

import loyalty.readers.text_careful as text_careful
from loyalty import limits as limits_mod
from loyalty.i18n import error
from loyalty.readers.decode import cp932_column, prefix_encoding
from loyalty.readers.layout import HEAD_LINES, TextLayout, text_layout
from loyalty.readers.table import MB, RawTable, columns_to_frame, nonblank_mask

#: Delimiters the direct path takes: none of them (nor the quote, CR or LF) can be
#: the second byte of a CP932 character, so CP932 bytes can be split before decoding.
_DIRECT_DELIMITERS = (",", "\t", ";")
#: More empty lines than this in the body: the converting path reads the file.
_MAX_EMPTY_LINES = 10_000


def read_text(data: bytes, name: str, *, sheet: str | int | None = None,
              limits: limits_mod.Limits) -> RawTable:
    """Read a text export: the direct path when it applies, else the converting path.

    Args:
        data: the file's bytes.
        name: the file name, for messages.
        sheet: ignored (text files have no sheets).
        limits: the limits in force.

    Returns:
        The table.

    Raises:
        LoyaltyError: unknown encoding, binary data, malformed CSV, or over a limit.
    """
    table = _read_text_direct(data, name, limits)
    if table is None:
        text = text_careful.read_text_converted(data, name, limits)
        table = finish_text_table(text.columns, text.row_numbers, text.ok, name, text.encoding, text.layout,
                                  apostrophes=text.apostrophes, empty_rows=text.empty_rows, lim=limits,
                                  notes=text.notes)
    return table


def _direct_head(data: bytes, encoding: str) -> tuple[list[int], list[str]] | None:
    """Byte offsets and decoded text of the first :data:`HEAD_LINES` lines (None if they do not decode)."""
    start = 3 if encoding == "utf-8-sig" else 0
    line_starts = [start]
    pos = start
    while len(line_starts) <= HEAD_LINES:
        nl = data.find(b"\n", pos)
        if nl < 0:
            break
        pos = nl + 1
        line_starts.append(pos)
    ends = [s - 1 for s in line_starts[1:]] + ([len(data)] if len(line_starts) <= HEAD_LINES else [])
    try:
        return line_starts, [data[s:e].decode(encoding).removesuffix("\r") for s, e in zip(line_starts, ends)]
    except UnicodeDecodeError:
        return None


def _body_end(data: bytes, offset: int) -> int | None:
    """End of the body that starts at ``offset``: trailing blank lines are not rows,
    but the last row keeps its trailing spaces (None when the body is empty)."""
    end = len(data)
    while end > offset and data[end - 1] in b" \t\r\n":
        end -= 1
    if end <= offset:
        return None
    nl = data.find(b"\n", end)
    end = len(data) if nl < 0 else nl
    if data[end - 1:end] == b"\r":
        end -= 1
    return end


def _read_text_direct(data: bytes, name: str, lim: limits_mod.Limits) -> RawTable | None:
    """Read a CSV/TSV export without converting or copying its body.

    Only the first lines are decoded in Python (layout); the body goes to
    pyarrow's multithreaded reader as a zero-copy slice of ``data``.  UTF-8 is
    read as text columns (pyarrow checks that every cell is UTF-8); CP932 is read
    as binary columns and decoded column by column (:func:`cp932_column`).
    Anything unusual (a quoted line break, an unclosed quote, a wrong field count,
    a NUL, a CR that does not end a line, a byte that is not in the encoding) is
    left to the converting path, which handles each case.

    Returns:
        The table, or None when the converting path must read the file.

    Raises:
        LoyaltyError: too many rows or columns.
    """
    encoding = prefix_encoding(data)
    if encoding is None or data.find(b"\x00") >= 0:
        return None
    if data.find(b"\r") >= 0 and data.count(b"\r") != data.count(b"\r\n"):
        return None  # a CR that does not end a line
    head = _direct_head(data, encoding)
    if head is None:
        return None
    line_starts, lines = head
    layout = text_layout(lines, name, lim)
    if layout is None or layout.delimiter not in _DIRECT_DELIMITERS or layout.data_line >= len(line_starts):
        return None
    offset = line_starts[layout.data_line]
    end = _body_end(data, offset)
    if end is None:
        return None
    kind = pa.large_binary() if encoding == "cp932" else pa.large_string()
    body = _direct_body(data, offset, end, layout, kind, name, lim)
    if body is None:
        return None
    table, lines_in_body, blank, empty_lines_unknown = body
    columns = {}
    for n, col in zip(layout.names, table.columns):
        if encoding == "cp932":
            col = cp932_column(col)
            if col is None:
                return None
        columns[n] = col
    del table
    rows = np.arange(layout.data_line + 1, layout.data_line + 1 + lines_in_body, dtype=np.int64)
    if len(blank):
        rows = np.delete(rows, blank)
    return finish_text_table(columns, rows, np.ones(len(rows), dtype=bool), name, encoding, layout,
                             apostrophes=data.find(b"'", offset, end) >= 0, empty_rows=0, lim=lim,
                             empty_lines=(lambda: _count_empty_lines(data, offset, end))
                             if empty_lines_unknown else None)


def _direct_body(data: bytes, offset: int, end: int, layout: TextLayout, kind: pa.DataType, name: str,
                 lim: limits_mod.Limits) -> tuple[pa.Table, int, np.ndarray, bool] | None:
    """The body ``data[offset:end]`` read by pyarrow, with proof of its row numbers.

    Row numbers are proven, not assumed: the rows pyarrow returns must be exactly
    the body's lines minus its empty lines, with every row having the header's
    number of fields.  Without any quote in the body that needs no counting (with
    empty lines not skipped, pyarrow turns each line into one row or refuses a
    line); otherwise the lines are counted and the empty lines located.

    Returns:
        ``(table, lines in the body, indexes of the empty lines pyarrow skipped,
        whether empty lines may have come back as rows of empty cells)``, or None
        when the converting path must read the file.

    Raises:
        LoyaltyError: too many rows.
    """
    names = layout.names
    has_quotes = data.find(b'"', offset, end) >= 0
    if not has_quotes and len(names) >= 2:
        # no quotes: every line is one row or pyarrow raises (an empty line has one
        # field), so the rows are the lines, in order, without counting them
        if (end - offset) // len(names) > lim.LOYALTY_MAX_ROWS:
            _check_line_count(data, offset, end, name, lim)
        table = _arrow_text(data, offset, end, names, layout.delimiter, kind, quoted=False, skip_empty=False)
        if table is not None:
            return table, table.num_rows, np.zeros(0, dtype=np.int64), True
    # quotes or empty lines: count the lines and prove the rows match them
    lines_in_body = _check_line_count(data, offset, end, name, lim)
    table = _arrow_text(data, offset, end, names, layout.delimiter, kind, quoted=has_quotes, skip_empty=True)
    if table is None:
        return None
    blank = np.zeros(0, dtype=np.int64)
    if table.num_rows != lines_in_body:
        # only empty lines (skipped by pyarrow) may explain the difference; a quoted
        # line break also merges lines, and never as many as the empty lines found
        blank = _empty_line_indexes(data, offset, end)
        if blank is None or table.num_rows != lines_in_body - len(blank):
            return None
    return table, lines_in_body, blank, False


def _count_empty_lines(data: bytes, offset: int, end: int) -> int:
    """Number of empty lines in the body (they are not ",,," rows and get no note)."""
    found = _empty_line_indexes(data, offset, end, limit=None)
    return len(found)


def _check_line_count(data: bytes, offset: int, end: int, name: str, lim: limits_mod.Limits) -> int:
    """Lines in ``data[offset:end]`` (the body has no final line break).

    Raises:
        LoyaltyError: more lines than :attr:`Limits.LOYALTY_MAX_ROWS`.
    """
    lines = data.count(b"\n", offset, end) + 1
    if lines > lim.LOYALTY_MAX_ROWS:
        raise error("error.too_many_rows", file=name, rows=lines, limit=lim.LOYALTY_MAX_ROWS)
    return lines


def _arrow_text(data: bytes, offset: int, end: int, names: list[str], delimiter: str, kind: pa.DataType, *,
                quoted: bool, skip_empty: bool) -> pa.Table | None:
    """pyarrow's multithreaded CSV reader on ``data[offset:end]`` (a zero-copy slice).

    Args:
        quoted: the body may hold quoted line breaks (blocks are then split
            where no quote is open).
        skip_empty: let pyarrow skip empty lines (else an empty line is an error).

    Returns:
        Every column as ``kind``, or None when pyarrow refuses the text (a row
        with another field count, bytes that are not UTF-8 in a text column, …).
    """
    try:
        return pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(data)[offset:end]),
            read_options=pacsv.ReadOptions(column_names=names, block_size=4 * MB, use_threads=True),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=quoted,
                                             ignore_empty_lines=skip_empty),
            convert_options=pacsv.ConvertOptions(column_types={n: kind for n in names}, strings_can_be_null=True,
                                                 quoted_strings_can_be_null=True, null_values=[""]),
        )
    except (pa.ArrowInvalid, pa.ArrowException):
        return None


def _empty_line_indexes(data: bytes, offset: int, end: int, *,
                        limit: int | None = _MAX_EMPTY_LINES) -> np.ndarray | None:
    """0-based indexes (within the body ``data[offset:end]``) of the empty lines
    pyarrow skips, found with ``bytes.find`` (no pass in Python over the lines).

    Returns:
        The sorted indexes, or None when there are more than ``limit``.
    """
    stops: list[int] = []  # position of the "\n" that ends each empty line
    for pattern in (b"\n\n", b"\n\r\n"):
        pos = data.find(pattern, offset - 1, end)
        while pos >= 0:
            stops.append(pos + len(pattern) - 1)
            if limit is not None and len(stops) > limit:
                return None
            pos = data.find(pattern, pos + 1, end)
    if not stops:
        return np.zeros(0, dtype=np.int64)
    stops.sort()
    out, counted, prev = [], 0, offset
    for stop in stops:
        counted += data.count(b"\n", prev, stop)
        out.append(counted)
        prev = stop
    return np.asarray(out, dtype=np.int64)


def finish_text_table(columns: dict[str, pa.ChunkedArray], rows: np.ndarray, ok: np.ndarray, name: str,
                      encoding: str, layout: TextLayout, *, apostrophes: bool, empty_rows: int,
                      lim: limits_mod.Limits, notes: list[tuple[str, dict]] | None = None,
                      empty_lines: Callable[[], int] | None = None) -> RawTable:
    """Drop all-blank rows, undo export apostrophes and wrap up a text table.

    Args:
        columns: column name -> large_string chunked array.
        rows: the file row number of each row.
        ok: whether each row had the header's number of fields.
        name: file name.
        encoding: the encoding read.
        layout: the file's layout.
        apostrophes: whether the body holds an apostrophe at all (False skips that step).
        empty_rows: ",,,"-style rows already skipped by the caller.
        lim: limits.
        notes: notes to add after the layout's.
        empty_lines: when empty lines came back as rows of empty cells, a callable
            giving how many there were (they are dropped without a note, unlike
            ",,," rows).

    Returns:
        The :class:`RawTable`.

    Raises:
        LoyaltyError: too many rows.
    """
    notes = list(layout.notes) + list(notes or [])
    keep = nonblank_mask(list(columns.values()), len(rows))
    if keep is not None:
        mask = pa.array(keep)
        columns = {n: c.filter(mask) for n, c in columns.items()}
        empty_rows += int((~keep).sum()) - (empty_lines() if empty_lines is not None else 0)
        rows, ok = rows[keep], ok[keep]
    if empty_rows:
        notes.append(("note.rel_empty_rows_skipped", {"count": empty_rows}))
    if len(rows) > lim.LOYALTY_MAX_ROWS:
        raise error("error.too_many_rows", file=name, rows=len(rows), limit=lim.LOYALTY_MAX_ROWS)
    quoted = 0
    if apostrophes:
        columns, quoted = _strip_neutralising_apostrophes(columns)
    if quoted:
        notes.append(("note.rel_apostrophes_removed", {"count": quoted}))
    frame = columns_to_frame(columns, len(rows))
    return RawTable(name=name, frame=frame, row_numbers=rows, field_count_ok=ok, encoding=encoding,
                    delimiter=layout.delimiter, header_row=layout.header_row, notes=notes)


_NEUTRALISED = r"^'+[=+\-@\t\r\n]"


def _strip_neutralising_apostrophes(columns: dict[str, pa.ChunkedArray]) -> tuple[dict[str, pa.ChunkedArray], int]:
    """Undo :func:`loyalty.export.neutralize` on text cells: one leading apostrophe
    in front of (more apostrophes and) ``= + - @``, tab, CR or LF is removed.

    Returns:
        ``(columns, cells changed)``.
    """
    changed = 0
    out = dict(columns)
    for n, col in columns.items():
        if not len(col) or not pc.any(pc.starts_with(col, "'")).as_py():
            continue
        hit = pc.fill_null(pc.match_substring_regex(col, _NEUTRALISED), False)
        k = int(pc.sum(hit).as_py() or 0)
        if not k:
            continue
        out[n] = pc.if_else(hit, pc.utf8_slice_codeunits(col, 1), col)
        changed += k
    return out, changed
