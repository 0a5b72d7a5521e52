"""CSV/TSV/text exports the direct path declined: converted to UTF-8 first, then parsed.

This path reads UTF-16, EUC-JP, NUL characters, lone CRs, "|" or white-space
separators, quoted line breaks, rows with another field count, unclosed quotes
and encoding errors.  pyarrow's multithreaded reader parses the UTF-8 bytes when
the row numbers can be proven (:func:`_parse_fast`); otherwise the standard
library's csv reader does, record by record (:func:`_parse_careful`).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from loyalty import limits as limits_mod
from loyalty.i18n import error
from loyalty.readers.decode import to_utf8
from loyalty.readers.layout import HEAD_LINES, TextLayout, text_layout
from loyalty.readers.table import MB, empty_columns, short

#: ``(columns, row numbers, field counts ok, ",,,"-style rows skipped)``
Parsed = tuple[dict[str, pa.ChunkedArray], np.ndarray, np.ndarray, int]


@dataclass
class ConvertedText:
    """A text export parsed by the converting path, before the finishing step
    (:func:`loyalty.readers.text.finish_text_table`).

    Attributes:
        columns: column name -> large_string chunked array.
        row_numbers: the file line number of each row.
        ok: whether each row had the header's number of fields.
        empty_rows: ",,,"-style rows skipped.
        encoding: the encoding the file was in.
        layout: where the table starts.
        notes: notes to add after the layout's (NUL characters removed).
        apostrophes: whether the body holds an apostrophe at all.
    """

    columns: dict[str, pa.ChunkedArray]
    row_numbers: np.ndarray
    ok: np.ndarray
    empty_rows: int
    encoding: str
    layout: TextLayout
    notes: list[tuple[str, dict]]
    apostrophes: bool


def read_text_converted(data: bytes, name: str, lim: limits_mod.Limits) -> ConvertedText:
    """Convert a text export to UTF-8, lay it out and parse its body.

    Args:
        data: the file's bytes.
        name: the file name, for messages.
        lim: the limits in force.

    Returns:
        The parsed text.

    Raises:
        LoyaltyError: empty, binary, unknown encoding, malformed CSV, or over a limit.
    """
    buf, encoding, nul_removed = to_utf8(data, name)
    del data
    if b"\r" in buf:
        buf = buf.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    starts = _line_starts(buf, HEAD_LINES + 1)
    ends = [s - 1 for s in starts[1:]] + ([len(buf)] if len(starts) <= HEAD_LINES else [])
    lines = [buf[s:e].decode("utf-8") for s, e in zip(starts, ends)]
    if not any(ln.strip() for ln in lines) and len(buf.strip()) == 0:
        raise error("error.empty_file", file=name)
    layout = text_layout(lines, name, lim, blank_start=True)
    sep = "\t" if layout.delimiter == "whitespace" else layout.delimiter
    extra: list[tuple[str, dict]] = []
    if nul_removed:
        extra.append(("note.rel_nul_removed", {"count": nul_removed}))
    data_line = layout.data_line
    offset = starts[data_line] if data_line < len(starts) else len(buf)
    body = buf[offset:] if offset else buf
    del buf
    if layout.delimiter == "whitespace":
        body = re.sub(rb"(?m)^[ \t]+|[ \t]+$", b"", body)
        body = re.sub(rb"[ \t]+", b"\t", body)
    body = _without_trailing_blank_lines(body)
    parsed = _parse_fast(body, layout.names, sep, data_line, name, lim)
    if parsed is None:
        parsed = _parse_careful(body, layout.names, sep, data_line, name, lim)
    columns, row_numbers, ok, empty_rows = parsed
    return ConvertedText(columns, row_numbers, ok, empty_rows, encoding, layout, extra, b"'" in body)


def _line_starts(buf: bytes, count: int) -> list[int]:
    """Byte offsets of the first ``count`` lines (fewer when the text is shorter)."""
    starts = [0]
    pos = 0
    while len(starts) < count:
        nl = buf.find(b"\n", pos)
        if nl < 0:
            break
        pos = nl + 1
        starts.append(pos)
    return starts


def _without_trailing_blank_lines(body: bytes) -> bytes:
    """``body`` without the blank lines at its end (the last row keeps its trailing spaces)."""
    end = len(body)
    while end > 0 and body[end - 1] in b" \t\n":
        end -= 1
    if end == len(body):
        return body
    line_end = body.find(b"\n", end)
    return body[: line_end if line_end >= 0 else len(body)]


def _parse_fast(body: bytes, names: list[str], sep: str, data_line: int, name: str,
                lim: limits_mod.Limits) -> Parsed | None:
    """pyarrow's multithreaded CSV reader on UTF-8 bytes (the converting path).

    Gives up (returns None) on anything that would break the row-number mapping:
    blank lines, quoted newlines or unbalanced quotes.  Rows with more or fewer
    fields than the header are handled here when the file has no quotes (they
    are found by counting separators per line, padded or cut, and flagged);
    with quotes, the careful reader takes over.

    Returns:
        ``(columns, row numbers, field counts ok, 0)`` or None.

    Raises:
        LoyaltyError: too many rows.
    """
    if not body:
        return empty_columns(names), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool), 0
    first_nl = body.find(b"\n")
    first_line = body[: first_nl if first_nl >= 0 else len(body)]
    if not first_line.strip(b" \t") or re.search(rb"\n[ \t]*\n", body):
        return None
    lines = body.count(b"\n") + 1
    if lines > lim.LOYALTY_MAX_ROWS:
        raise error("error.too_many_rows", file=name, rows=lines, limit=lim.LOYALTY_MAX_ROWS)
    problems: list[int] = []

    def on_invalid(row):  # pyarrow hands over rows with a wrong field count
        problems.append(1)
        return "skip"

    try:
        table = pacsv.read_csv(
            pa.BufferReader(body),
            read_options=pacsv.ReadOptions(column_names=names, block_size=4 * MB, use_threads=True),
            parse_options=pacsv.ParseOptions(delimiter=sep, invalid_row_handler=on_invalid,
                                             newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.large_string() for n in names},
                strings_can_be_null=True, quoted_strings_can_be_null=True, null_values=[""]),
        )
    except (pa.ArrowInvalid, pa.ArrowException):
        return None
    ok = np.ones(lines, dtype=bool)
    if problems:
        if b'"' in body:
            return None
        ok = _field_counts(body, sep, lines) == len(names)
        if table.num_rows != int(ok.sum()):
            return None
    elif table.num_rows != lines:
        return None
    columns = dict(zip(names, table.columns))
    if not ok.all():
        columns = _with_odd_lines(columns, body, ok, names, sep)
    rows = np.arange(data_line + 1, data_line + 1 + lines, dtype=np.int64)
    return columns, rows, ok, 0


def _field_counts(body: bytes, sep: str, lines: int) -> np.ndarray:
    """Fields per line of a text without quotes (separators + 1), vectorised."""
    arr = np.frombuffer(body, dtype=np.uint8)
    newlines = np.flatnonzero(arr == 10)
    seps = np.flatnonzero(arr == ord(sep))
    del arr
    return np.bincount(np.searchsorted(newlines, seps), minlength=lines)[:lines] + 1


def _with_odd_lines(columns: dict[str, pa.ChunkedArray], body: bytes, ok: np.ndarray, names: list[str],
                    sep: str) -> dict[str, pa.ChunkedArray]:
    """Insert the lines with a wrong field count (padded or cut) among the good rows."""
    width = len(names)
    bad_idx = np.flatnonzero(~ok)
    starts = np.concatenate(([0], np.flatnonzero(np.frombuffer(body, dtype=np.uint8) == 10) + 1))
    cells = []
    for i in bad_idx:
        end = starts[i + 1] - 1 if i + 1 < len(starts) else len(body)
        parts = body[starts[i]:end].decode("utf-8").split(sep)
        parts = (parts + [""] * width)[:width]
        cells.append([c if c != "" else None for c in parts])
    good = int(ok.sum())
    order = np.empty(len(ok), dtype=np.int64)
    order[np.flatnonzero(ok)] = np.arange(good)
    order[bad_idx] = good + np.arange(len(bad_idx))
    take = pa.array(order)
    out = {}
    for j, n in enumerate(names):
        odd = pa.array([r[j] for r in cells], type=pa.large_string())
        both = pa.chunked_array(list(columns[n].chunks) + [odd], type=pa.large_string())
        out[n] = both.take(take)
    return out


def _parse_careful(body: bytes, names: list[str], sep: str, data_line: int, name: str,
                   lim: limits_mod.Limits) -> Parsed:
    """The standard library's csv reader: slower, but it knows on which line each
    record starts, and rows with too many or too few fields are kept (padded or
    cut) and flagged so the quality report can list them.  A quote left open at
    the end of the file (which would swallow every row after it) is refused with
    the line where it opened.  Lines are decoded one at a time and records are
    turned into Arrow arrays in batches, so memory stays near the table's size.

    Returns:
        ``(columns, row numbers, field counts ok, ",,,"-style rows skipped)``.

    Raises:
        LoyaltyError: a cell over the length limit, an unclosed quote, malformed
            CSV, or too many rows.
    """
    limit = lim.LOYALTY_MAX_CELL_CHARS + 1
    csv.field_size_limit(limit)  # process-wide, but every caller sets the same limit
    width = len(names)
    batch_rows = 100_000
    for strict in (True, False):
        lines = (ln.decode("utf-8") for ln in io.BytesIO(body))
        reader = csv.reader(lines, delimiter=sep, strict=strict)
        batches: list[pa.RecordBatch] = []
        current: list[list[str | None]] = [[] for _ in range(width)]
        starts: list[int] = []
        ok: list[bool] = []
        prev_line = 0
        count = 0
        empty_rows = 0
        try:
            for rec in reader:
                start = prev_line + 1
                prev_line = reader.line_num
                if not rec or all(not c.strip() for c in rec):
                    empty_rows += len(rec) > 1  # separators but no content (",,,")
                    continue
                ok.append(len(rec) == width)
                for j in range(width):
                    v = rec[j] if j < len(rec) else ""
                    current[j].append(v if v != "" else None)
                starts.append(data_line + start)
                count += 1
                if count > lim.LOYALTY_MAX_ROWS:
                    raise error("error.too_many_rows", file=name, rows=count, limit=lim.LOYALTY_MAX_ROWS)
                if len(current[0]) >= batch_rows if width else False:
                    batches.append(_batch(current, names))
                    current = [[] for _ in range(width)]
        except csv.Error as exc:
            row = data_line + prev_line + 1
            if "field larger than field limit" in str(exc):
                raise error("error.rel_field_too_long", file=name, row=row,
                            limit=lim.LOYALTY_MAX_CELL_CHARS) from None
            if "unexpected end of data" in str(exc):
                raise error("error.rel_unclosed_quote", file=name, row=row) from None
            if strict:
                continue  # e.g. "ab"cd: read leniently as abcd
            raise error("error.rel_csv_malformed", file=name, row=row, detail=short(exc)) from None
        break
    if width and current[0]:
        batches.append(_batch(current, names))
    if batches:
        table = pa.Table.from_batches(batches)
        columns = dict(zip(names, table.columns))
    else:
        columns = empty_columns(names)
    return columns, np.asarray(starts, dtype=np.int64), np.asarray(ok, dtype=bool), empty_rows


def _batch(columns: list[list[str | None]], names: list[str]) -> pa.RecordBatch:
    """Columns of cells (None = empty) as one Arrow record batch of large strings."""
    return pa.RecordBatch.from_arrays([pa.array(c, type=pa.large_string()) for c in columns], names=names)
