"""Prototype of a faster text reader for loyalty/reading.py (a proposal, not used by the app).

What loyalty/reading.py does today for a text export: decode the whole file to
a Python str, normalise line ends, split it into a list of lines, test every
line for blanks in Python, join the lines again, encode back to UTF-8 and hand
that to pyarrow.  For 1,000,000 lines that is most of the reading time.

What this prototype does instead (same RawTable out, same row numbers):

1. Only the first 64 KB are decoded in Python, to sniff the delimiter, title
   lines and the header with reading.py's own helpers.
2. The body (the bytes after the header line) goes to pyarrow as it is, as a
   zero-copy slice.  UTF-8 files are read as string columns (pyarrow checks
   the UTF-8 itself).  A CP932 file is read as *binary* columns — safe because
   CP932 trail bytes never take the values of ``,`` ``\\t`` ``;`` ``"`` CR or LF —
   then each column is made text: pure-ASCII columns by a zero-copy cast, the
   others by decoding each distinct value once (dictionary encoding) with
   Python's strict cp932 codec.
3. The row-number mapping is verified without splitting lines: the number of
   newlines in the body must equal the number of rows pyarrow returned, there
   must be no blank line, and no row may have another field count.  Anything
   else goes back to the careful csv-module path, as today.

    from bench.proto_reading import read_text_fast
    raw = read_text_fast(data, "orders.csv")   # None: not handled, use loyalty.reading
"""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from loyalty.reading import RawTable, _clean_names, _detect_delimiter, _header_line, _looks_like_header

_SAFE_DELIMITERS = (",", "\t", ";")


def _encoding_of_prefix(head: bytes) -> str | None:
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head[:4096]:
        return None  # UTF-16: leave it to loyalty.reading
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3:  # cut in the middle of a character
            return "utf-8"
    try:
        head.decode("cp932")
        return "cp932"
    except UnicodeDecodeError as exc:
        return "cp932" if exc.start >= len(head) - 1 else None


def read_text_fast(data: bytes, name: str) -> RawTable | None:
    """Read a CSV/TSV export the fast way, or return None when it needs the careful path.

    Args:
        data: the file's bytes (not gzip).
        name: the file name.

    Returns:
        A RawTable identical to what loyalty.reading.read_table gives, or None.
    """
    head = data[:65536]
    encoding = _encoding_of_prefix(head)
    if encoding is None or b"\r" in head.replace(b"\r\n", b""):
        return None
    cut = head.rfind(b"\n")
    text = head[:cut if cut > 0 else len(head)].decode(encoding)
    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    lines = text.split("\n")
    first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if first is None:
        return None
    delimiter = _detect_delimiter([ln for ln in lines[first:first + 50] if ln.strip()])
    if delimiter not in _SAFE_DELIMITERS:
        return None
    first = _header_line(lines, first, delimiter)
    head_cells = next(csv.reader([lines[first]], delimiter=delimiter))
    if not _looks_like_header(head_cells):
        return None
    names = _clean_names(head_cells)
    data_start = first + 1
    # byte offset of the first data line
    offset = 0
    for _ in range(data_start):
        offset = data.index(b"\n", offset) + 1
    end = len(data)
    while end > offset and data[end - 1] in b"\r\n \t":
        end -= 1  # trailing blank lines are dropped, as reading.py does
    if end <= offset:
        return None
    if data.find(b"\n\n", offset - 1, end) >= 0 or data.find(b"\n\r\n", offset - 1, end) >= 0:
        return None  # blank lines inside: the careful path keeps the row numbers right
    body = pa.py_buffer(data)[offset:end]
    expected = data.count(b"\n", offset, end) + 1
    problems = []

    def on_invalid(row):
        problems.append(row)
        return "skip"

    col_type = pa.binary() if encoding == "cp932" else pa.large_string()
    try:
        table = pacsv.read_csv(
            pa.BufferReader(body),
            read_options=pacsv.ReadOptions(column_names=names, block_size=16 << 20),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=False,
                                             invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(column_types={n: col_type for n in names},
                                                 strings_can_be_null=True, quoted_strings_can_be_null=True,
                                                 null_values=[""]),
        )
    except (pa.ArrowInvalid, pa.ArrowException):
        return None
    if problems or table.num_rows != expected:
        return None
    cols = {}
    for n, col in zip(names, table.columns):
        if encoding == "cp932":
            col = _cp932_column(col)
            if col is None:
                return None
        cols[n] = col.to_pandas()
        if cols[n].dtype != "str":
            cols[n] = cols[n].astype("str")
    frame = pd.DataFrame(cols)
    rows = np.arange(data_start + 1, data_start + 1 + len(frame), dtype=np.int64)
    return RawTable(name=name, frame=frame, row_numbers=rows, field_count_ok=np.ones(len(frame), dtype=bool),
                    encoding=encoding, delimiter=delimiter, header_row=data_start,
                    notes=[("note.skipped_title_lines", {"lines": first})] if first else [])


def _cp932_column(col: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """A binary column of CP932 text as a string column (None if a value does not decode)."""
    arr = col.combine_chunks()
    as_text = arr.view(pa.string()).cast(pa.large_string())
    if pc.all(pc.string_is_ascii(as_text)).as_py() is not False:
        return pa.chunked_array([as_text])
    enc = pc.dictionary_encode(arr)
    try:
        decoded = [v.decode("cp932") for v in enc.dictionary.to_pylist()]
    except UnicodeDecodeError:
        return None
    return pa.chunked_array([pa.array(decoded, pa.large_string()).take(enc.indices)])
