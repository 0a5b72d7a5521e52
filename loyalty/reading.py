"""Reading exports: CSV/TSV/text (UTF-8, UTF-8 with BOM, CP932, EUC-JP, UTF-16), .xlsx/.xls/.ods, gzip and Parquet.

Every cell comes back as text (pandas ``str`` dtype, missing = NaN) so that
customer ids keep their leading zeros; typing is the job of :mod:`loyalty.values`
once the column mapping says which column plays which role.  Each data row keeps
the row number a user sees in a spreadsheet or a text editor (the header is row 1
in a plain export), so the quality report can point at it.

Decoding order (DESIGN §7): UTF-8 (BOM-tolerant) first, then CP932, then EUC-JP;
UTF-16 is recognised by its BOM or its NUL bytes.  Decoding is strict: a file that
fits none of them is refused with a message saying how to re-save it, never
decoded with errors ignored (that would silently destroy Japanese text).  Text is
decoded and checked in chunks and kept as UTF-8 bytes, so reading a large file
needs a few times its size in memory, not ten.

Decisions worth knowing (README "Reliability"):

* Completely empty rows (blank lines, or rows whose every cell is blank, such as
  ``,,,``) are not data rows: they are skipped and do not count as rows read (a
  note says how many ``,,,`` rows a text file had).
* Two header rows (a group row above the real header, often with merged cells):
  the lower row names the columns; the group label above is put in front only
  where the lower name is blank or repeated ("最終購入 日付").
* A text cell that begins with an apostrophe followed by ``= + - @``, tab, CR or LF
  is a cell defused against formula injection (:func:`loyalty.export.neutralize`,
  OWASP's advice): the one apostrophe is removed, so a file this app exported
  reads back unchanged.  Workbooks need no such step (Excel stores the apostrophe
  as a prefix flag, not as text).
* A few NUL characters in a text file are removed (and counted in a note).

A large worksheet (32 MB or more of XML once inflated) is parsed in pieces, one
per core, at the same time: calamine parses a sheet on one core and always the
whole of it.  The inflated XML that the container check produces anyway is cut
at ``<row>`` tags into runs of rows, each run becomes a copy of the workbook
(stored, not deflated again) with marker cells that pin its grid to A1, and the
grids are checked and stacked.  The table is the same as from one piece (the
tests compare both); a sheet with anything unusual (comments, CDATA, prefixed
tags, rows out of order) is read in one piece.

Hostile workbooks are refused before any parsing: password-protected (OLE2 with an
``EncryptedPackage``), too many zip entries, too large once decompressed, an
abnormal compression ratio, a zip entry that inflates to more than its directory
says (a forged zip bomb), or an XML part that declares a DOCTYPE/ENTITY (the
"billion laughs").  The limits are named settings in :mod:`loyalty.limits`.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import os
import re
import struct
import tempfile
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from loyalty import limits as limits_mod
from loyalty.i18n import error

TEXT_SUFFIXES = {".csv", ".tsv", ".txt", ".dat", ".tab"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
PARQUET_SUFFIXES = {".parquet", ".pq"}

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_GZIP_MAGIC = b"\x1f\x8b"
_PARQUET_MAGIC = b"PAR1"
_MB = 1024 * 1024
_CHUNK = 8 * _MB

#: Workbook zip entries must start their XML root element within this many
#: decompressed bytes; everything before it (the prolog) is checked for DOCTYPE.
XML_PROLOG_MAX = 64 * 1024


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
    kind = _sniff_kind(data, name)
    if kind != "excel":
        return []
    _check_workbook_container(data, name, limits_mod.current())
    import fastexcel

    try:
        return list(fastexcel.read_excel(data).sheet_names)
    except Exception as exc:  # fastexcel raises several calamine errors
        raise error("error.excel_unreadable", file=name, detail=_short(exc)) from None


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
    if len(data) > lim.LOYALTY_MAX_FILE_MB * _MB:
        raise error("error.file_too_large", file=name, size_mb=len(data) // _MB,
                    limit_mb=lim.LOYALTY_MAX_FILE_MB)
    if len(data) == 0:
        raise error("error.empty_file", file=name)
    if data[:2] == _GZIP_MAGIC:
        data = _gunzip(data, name, lim)
        name_inner = name[:-3] if name.lower().endswith(".gz") else name
        table = read_table(data, name_inner, sheet=sheet, limits=lim)
        table.name = name
        return table
    kind = _sniff_kind(data, name)
    if kind == "excel":
        table = _read_workbook(data, name, sheet, lim)
    elif kind == "parquet":
        table = _read_parquet(data, name, lim)
    else:
        table = _read_text(data, name, lim)
    if table.rows == 0:
        raise error("error.no_data_rows", file=name)
    _check_cell_lengths(table, lim)
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
    if p.stat().st_size > lim.LOYALTY_MAX_FILE_MB * _MB:
        raise error("error.file_too_large", file=p.name, size_mb=p.stat().st_size // _MB,
                    limit_mb=lim.LOYALTY_MAX_FILE_MB)
    return read_table(p.read_bytes(), p.name, sheet=sheet, limits=lim)


# ---------------------------------------------------------------------------
# format sniffing


_HTML_HEAD = re.compile(rb"^\s*(?:<!doctype\s+html|<html|<table|<head|<body|<meta|<style|<!--)", re.IGNORECASE)
_SPREADSHEET_ML = b"urn:schemas-microsoft-com:office:spreadsheet"


def _sniff_kind(data: bytes, name: str) -> str:
    suffix = Path(name.lower().removesuffix(".gz")).suffix
    head = data[:8]
    if head.startswith(_PARQUET_MAGIC) or suffix in PARQUET_SUFFIXES:
        return "parquet"
    if head.startswith(_ZIP_MAGIC) or head.startswith(_OLE_MAGIC):
        return "excel"
    if suffix in EXCEL_SUFFIXES:
        # named like a workbook but not a zip/OLE container: a web page or an
        # "XML Spreadsheet 2003" saved with .xls (common from Japanese systems),
        # a CSV with the wrong name, or damage
        if _looks_like_text(data):
            _refuse_markup(data, name)
            return "text"
        raise error("error.excel_corrupt", file=name)
    if _looks_like_text(data):
        _refuse_markup(data, name)
    return "text"


def _refuse_markup(data: bytes, name: str) -> None:
    """Refuse a web page or an XML spreadsheet given as a table file."""
    sample = data[:4096]
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            sample = sample[: len(sample) // 2 * 2].decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            return
    sample = sample.removeprefix(b"\xef\xbb\xbf")
    if _SPREADSHEET_ML in data[:65536]:
        raise error("error.rel_xml_spreadsheet", file=name)
    if _HTML_HEAD.match(sample):
        raise error("error.rel_html_table", file=name)


def _looks_like_text(data: bytes) -> bool:
    sample = data[:4096]
    if sample.startswith((b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")):
        return True
    if _utf16_without_bom(sample):
        return True
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return controls <= len(sample) * 0.01 or (controls <= 2 and len(sample) >= 64)


def _utf16_without_bom(sample: bytes) -> str | None:
    if len(sample) < 4:
        return None
    even = sample[0::2]
    odd = sample[1::2]
    if odd.count(0) > len(odd) * 0.4 and even.count(0) < len(even) * 0.1:
        return "utf-16-le"
    if even.count(0) > len(even) * 0.4 and odd.count(0) < len(odd) * 0.1:
        return "utf-16-be"
    return None


def _gunzip(data: bytes, name: str, lim: limits_mod.Limits) -> bytes:
    """Decompress a gzip file whose content must fit the file-size limit.

    A first pass only counts the decompressed bytes (nothing is kept), so a
    gzip bomb is refused without ever holding its content in memory.
    """
    cap = lim.LOYALTY_MAX_FILE_MB * _MB
    if len(data) >= 18 and struct.unpack("<I", data[-4:])[0] > cap:
        # the trailer's size field (of the last member, modulo 4 GiB) already says so;
        # a trailer that understates the size is caught by the counting pass below
        raise error("error.rel_gzip_too_large", file=name, limit_mb=lim.LOYALTY_MAX_FILE_MB)
    try:
        size = 0
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as gz:
            while chunk := gz.read(_CHUNK):
                size += len(chunk)
                if size > cap:
                    raise error("error.rel_gzip_too_large", file=name, limit_mb=lim.LOYALTY_MAX_FILE_MB)
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as gz:
            return gz.read()
    except (OSError, EOFError, zlib.error) as exc:
        raise error("error.gzip_corrupt", file=name, detail=_short(exc)) from None


# ---------------------------------------------------------------------------
# text files: decoding


_JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
_HALFWIDTH_KANA = re.compile(r"[\uff61-\uff9f]")


def decode_text(data: bytes, name: str) -> tuple[str, str]:
    """Decode a text export, strictly, trying the encodings Japanese systems use.

    Args:
        data: the raw bytes.
        name: the file name, for messages.

    Returns:
        ``(text, encoding)`` where encoding is one of "utf-8-sig", "utf-8",
        "cp932", "euc_jp", "utf-16".

    Raises:
        LoyaltyError: binary data, or no encoding fits.
    """
    utf8, encoding, _ = _to_utf8(data, name, keep_nul=False)
    return utf8.decode("utf-8"), encoding


def _to_utf8(data: bytes, name: str, *, keep_nul: bool = True) -> tuple[bytes, str, int]:
    """Check or convert a text export to UTF-8 bytes, chunk by chunk.

    Args:
        data: the raw bytes.
        name: the file name, for messages.
        keep_nul: refuse NUL characters (False) or remove a few of them (True).

    Returns:
        ``(utf8, encoding, nul_removed)``: the text as UTF-8 without BOM, the
        encoding it was in (see :func:`decode_text`) and how many NUL characters
        were removed.

    Raises:
        LoyaltyError: binary data, or no encoding fits (with the line of the
            first byte that is not UTF-8).
    """
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    elif (enc := _utf16_without_bom(data[:4096])) is not None:
        candidates = [enc]
    else:
        if not _looks_like_text(data):
            raise error("error.binary_file", file=name)
        candidates = ["utf-8", "cp932", "euc_jp"]
    first_failure: int | None = None
    result: tuple[bytes, str] | None = None
    for enc in candidates:
        if enc in ("utf-8", "utf-8-sig"):
            body = data[3:] if enc == "utf-8-sig" else data
            bad = _utf8_error_at(body)
            if bad is None:
                result = (body, enc)
                break
            first_failure = bad + (3 if enc == "utf-8-sig" else 0)
            continue
        converted = _transcode(data, enc)
        if converted is None:
            continue
        if enc == "cp932" and _kana_soup(converted):
            # EUC-JP bytes often decode as CP932 too, as half-width katakana soup.
            euc = _transcode(data, "euc_jp")
            if euc is not None and _JAPANESE.search(euc[:_MB].decode("utf-8", "ignore")):
                converted, enc = euc, "euc_jp"
        result = (converted, "utf-16" if enc.startswith("utf-16") else enc)
        break
    if result is None:
        line = data[:first_failure].count(b"\n") + 1 if first_failure is not None else None
        raise error("error.unknown_encoding", file=name, row=line)
    utf8, encoding = result
    nul = utf8.count(b"\x00")
    if nul:
        if not keep_nul or nul > max(len(utf8) // 100, 1):
            raise error("error.binary_file", file=name)
        utf8 = utf8.replace(b"\x00", b"")
    return utf8, encoding, nul


def _utf8_error_at(data: bytes) -> int | None:
    """Offset of the first byte that is not valid UTF-8, or None (checked in chunks)."""
    dec = codecs.getincrementaldecoder("utf-8")()
    for start in range(0, len(data), _CHUNK):
        try:
            dec.decode(data[start:start + _CHUNK])
        except UnicodeDecodeError:
            return _exact_utf8_error(data, start)
    try:
        dec.decode(b"", final=True)
    except UnicodeDecodeError:
        return _exact_utf8_error(data, max(0, len(data) - _CHUNK))
    return None


def _exact_utf8_error(data: bytes, near: int) -> int:
    start = near
    while start > 0 and near - start < 4 and 0x80 <= data[start] < 0xC0:
        start -= 1  # back to the first byte of a character
    try:
        data[start:start + _CHUNK + 4].decode("utf-8")
    except UnicodeDecodeError as exc:
        return start + exc.start
    return start


def _transcode(data: bytes, encoding: str) -> bytes | None:
    """``data`` in ``encoding`` converted to UTF-8 bytes, or None when it does not decode."""
    dec = codecs.getincrementaldecoder(encoding)()
    out: list[bytes] = []
    try:
        for start in range(0, len(data), _CHUNK):
            out.append(dec.decode(data[start:start + _CHUNK]).encode("utf-8"))
        out.append(dec.decode(b"", final=True).encode("utf-8"))
    except (UnicodeDecodeError, UnicodeEncodeError):
        return None
    text = b"".join(out)
    if encoding.startswith("utf-16"):
        text = text.removeprefix("\ufeff".encode())
    return text


def _kana_soup(utf8: bytes) -> bool:
    sample = utf8[:_MB].decode("utf-8", "ignore")
    return len(_HALFWIDTH_KANA.findall(sample)) > len(_JAPANESE.findall(sample))


# ---------------------------------------------------------------------------
# text files: layout


def _detect_delimiter(lines: list[str]) -> str:
    """Pick the field separator from the first lines: the candidate whose count is
    the same (and positive) on most records; else whitespace runs; else comma.

    Records are read with each candidate as a CSV reader would (a quoted cell may
    hold separators and line breaks), so a memo column full of commas, tabs or
    line breaks does not mislead the choice.
    """
    text = "\n".join(lines)
    best, best_score = None, 0.0
    for cand in (",", "\t", ";", "|"):
        if cand not in text:
            continue
        try:
            counts = [len(rec) - 1 for rec in csv.reader(io.StringIO(text), delimiter=cand)
                      if any(c.strip() for c in rec)]
        except csv.Error:
            counts = [_count_outside_quotes(ln, cand) for ln in lines]
        positive = [c for c in counts if c > 0]
        if not positive:
            continue
        mode = max(set(positive), key=positive.count)
        score = sum(1 for c in counts if c == mode) / len(counts) + mode * 1e-3
        if score > best_score:
            best, best_score = cand, score
    if best is not None and best_score >= 0.6:
        return best
    tokens = [len(ln.split()) for ln in lines]
    if tokens and min(tokens) >= 2 and max(set(tokens), key=tokens.count) >= 2:
        return "whitespace"
    return best or ","


def _count_outside_quotes(line: str, ch: str) -> int:
    if '"' not in line:
        return line.count(ch)
    count, quoted = 0, False
    for c in line:
        if c == '"':
            quoted = not quoted
        elif c == ch and not quoted:
            count += 1
    return count


def _split_line(line: str, sep: str) -> list[str]:
    if sep == "whitespace":
        return line.split()
    try:
        return next(csv.reader([line], delimiter=sep), [])
    except csv.Error:
        return line.split(sep)


def _header_line(lines: list[str], first: int, delimiter: str) -> int:
    """Skip title lines above the table: the header is the first of the first
    non-blank records that has the table's usual number of fields.

    Records, not lines, are counted (a quoted cell may hold line breaks), and
    each record is attributed to the line it starts on.
    """
    counts: list[tuple[int, int]] = []  # (line index, fields)
    if delimiter == "whitespace":
        counts = [(i, len(lines[i].split())) for i in range(first, min(len(lines), first + 60))
                  if lines[i].strip()]
    else:
        chunk = lines[first:first + 60]
        reader = csv.reader(io.StringIO("\n".join(chunk)), delimiter=delimiter)
        prev = 0
        try:
            for rec in reader:
                start = first + prev
                prev = reader.line_num
                if rec and any(c.strip() for c in rec):
                    counts.append((start, len(rec)))
        except csv.Error:
            pass
    if len(counts) < 2:
        return counts[0][0] if counts else first
    values = [c for _, c in counts]
    top = max(values.count(c) for c in set(values))
    tied = {c for c in set(values) if values.count(c) == top}
    # a tie between the first record's width and a wider one (rows with an extra
    # field) keeps the first record as the header; otherwise the wider wins
    mode = values[0] if values[0] in tied and values[0] >= 2 else max(tied)
    return next((i for i, c in counts if c == mode), first)


_VALUE_LIKE = re.compile(r"^[\s¥￥$+\-−－▲△(（]*[0-9０-９][0-9０-９,，./\-:年月日 T]*[円%)）]?$")
_ERA_DATE = re.compile(r"^\s*(?:令和|平成|昭和|大正|明治|[RHSTMrhstm]\s*\d)")


def _value_like(cell: str | None) -> bool:
    text = (cell or "").strip()
    return bool(text and (_VALUE_LIKE.match(text) or _ERA_DATE.match(text)))


def _looks_like_header(cells: list[str]) -> bool:
    """A first line is a header unless every non-empty cell looks like a value."""
    values = [c.strip() for c in cells if c and c.strip()]
    if not values:
        return False
    return not all(_VALUE_LIKE.match(v) for v in values)


def _is_group_row(upper: list[str | None], lower: list[str | None], below: list[list[str | None]]) -> bool:
    """Whether ``upper`` is a group row above the real header ``lower``.

    Both rows hold only text (no cell looks like a number or a date); the upper
    row has at least two labels and a blank or repeated label (merged cells
    leave blanks); and the rows below have value columns (numbers, dates) that
    the lower row names.  A title line (one label) or an all-text table never
    qualifies.
    """
    if len(upper) != len(lower):  # a group row spans the same columns as the header
        return False
    width = len(upper)
    up = [(c or "").strip() for c in upper]
    lo = [(c or "").strip() for c in lower]
    up_filled = [c for c in up if c]
    lo_filled = [c for c in lo if c]
    if len(up_filled) < 2 or len(lo_filled) < len(up_filled):
        return False
    if any(_value_like(c) for c in up_filled + lo_filled):
        return False
    gaps = any(not u and lw for u, lw in zip(up, lo))
    repeats = len(set(up_filled)) < len(up_filled)
    if not (gaps or repeats):
        return False
    for j in range(width):
        cells = [(r[j] or "").strip() for r in below if j < len(r) and r[j] and str(r[j]).strip()]
        if lo[j] and cells and sum(_value_like(c) for c in cells) * 2 >= len(cells):
            return True
    return False


def _combined_names(upper: list[str | None], lower: list[str | None]) -> list[str]:
    """Column names from two header rows: the lower name, with the group label
    (carried right across merged/blank cells) in front where the lower name is
    blank or repeated."""
    width = max(len(upper), len(lower))
    up = [(upper[j] or "").strip() if j < len(upper) else "" for j in range(width)]
    lo = [(lower[j] or "").strip() if j < len(lower) else "" for j in range(width)]
    carried, label = [], ""
    for u in up:
        label = u or label
        carried.append(label)
    counts: dict[str, int] = {}
    for n in lo:
        counts[n] = counts.get(n, 0) + 1
    names = []
    for g, n in zip(carried, lo):
        if n and counts[n] == 1:
            names.append(n)
        elif n:
            names.append(f"{g} {n}".strip())
        else:
            names.append(g)
    return names


# ---------------------------------------------------------------------------
# text files: reading


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


_HEAD_LINES = 200


@dataclass
class _Layout:
    """Where the table starts in a text file and what its columns are called."""

    delimiter: str
    first: int  # 0-based index of the header line (or of the first data line without header)
    data_line: int  # 0-based index of the first data line
    names: list[str]
    header_row: int | None
    notes: list[tuple[str, dict]]


def _text_layout(lines: list[str], name: str, lim: limits_mod.Limits, *,
                 blank_start: bool = False) -> _Layout | None:
    """Delimiter, title lines, header (one or two rows) and column names from the first lines.

    Args:
        lines: the first lines of the file (decoded, without line ends).
        name: the file name, for messages.
        lim: limits (the column count is checked here).
        blank_start: when none of the lines has content, lay the table out from
            the first line anyway (instead of returning None).

    Returns:
        The layout, or None when none of the lines has content (and not ``blank_start``).

    Raises:
        LoyaltyError: more columns than allowed.
    """
    first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if first is None:
        if not blank_start:
            return None
        first = 0
    sample = [ln for ln in lines[first:first + 50] if ln.strip()]
    delimiter = _detect_delimiter(sample)
    first = _header_line(lines, first, delimiter)

    def cells(i: int) -> list[str]:
        return _split_line(lines[i], delimiter) if i < len(lines) else []

    head_cells = cells(first)
    has_header = _looks_like_header(head_cells)
    notes: list[tuple[str, dict]] = []
    if has_header:
        data_line = first + 1
        below = [cells(i) for i in range(first + 2, min(len(lines), first + 22)) if lines[i].strip()]
        if first + 1 < len(lines) and lines[first + 1].strip() and _is_group_row(head_cells, cells(first + 1), below):
            head_cells = _combined_names(head_cells, cells(first + 1))
            notes.append(("note.rel_two_header_rows", {"upper": first + 1, "lower": first + 2}))
            data_line = first + 2
        names = _clean_names(head_cells)
        header_row: int | None = data_line
        if first > 0:
            notes.insert(0, ("note.skipped_title_lines", {"lines": first}))
    else:
        names = [f"列{i + 1}" for i in range(len(head_cells))]
        data_line = first
        header_row = None
    if len(names) > lim.LOYALTY_MAX_COLUMNS:
        raise error("error.too_many_columns", file=name, columns=len(names), limit=lim.LOYALTY_MAX_COLUMNS)
    return _Layout(delimiter, first, data_line, names, header_row, notes)


def _read_text(data: bytes, name: str, lim: limits_mod.Limits) -> RawTable:
    """A text export: the direct path when it applies, else the converting path."""
    table = _read_text_direct(data, name, lim)
    if table is None:
        table = _read_text_converted(data, name, lim)
    return table


# -- the direct path: the file's own bytes straight to pyarrow


#: Delimiters the direct path takes: none of them (nor the quote, CR or LF) can be
#: the second byte of a CP932 character, so CP932 bytes can be split before decoding.
_DIRECT_DELIMITERS = (",", "\t", ";")
_PREFIX = 64 * 1024


def _prefix_encoding(data: bytes) -> str | None:
    """The encoding the direct path would read ``data`` with, judged from its start:
    "utf-8-sig", "utf-8" or "cp932"; None for anything else (UTF-16, EUC-JP,
    binary, undecidable), which the converting path handles."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    head = data[:_PREFIX]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or _utf16_without_bom(head[:4096]) or not _looks_like_text(data):
        return None
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3 and len(data) > len(head):  # a character cut at the end of the prefix
            return "utf-8"
    sample = data[:_MB]
    try:
        text = sample.decode("cp932")
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 1 or len(data) == len(sample):
            return None
        text = sample[:exc.start].decode("cp932")
    # EUC-JP often decodes as CP932 half-width katakana soup: the converting path decides
    if _HALFWIDTH_KANA.search(text) and len(_HALFWIDTH_KANA.findall(text)) > len(_JAPANESE.findall(text)):
        return None
    return "cp932"


def _read_text_direct(data: bytes, name: str, lim: limits_mod.Limits) -> RawTable | None:
    """Read a CSV/TSV export without converting or copying its body.

    Only the first lines are decoded in Python (layout); the body goes to
    pyarrow's multithreaded reader as a zero-copy slice of ``data``.  UTF-8 is
    read as text columns (pyarrow checks that every cell is UTF-8); CP932 is read
    as binary columns and decoded column by column (:func:`_cp932_column`).

    Row numbers are proven, not assumed: the rows pyarrow returns must be exactly
    the body's lines minus its empty lines, with every row having the header's
    number of fields.  Without any quote in the body that needs no counting (with
    empty lines not skipped, pyarrow turns each line into one row or refuses a
    line); otherwise the lines are counted and the empty lines located.  Anything
    else (a quoted line break, an unclosed quote, a wrong field count, a NUL, a
    CR that does not end a line, a byte that is not in the encoding) is left to
    :func:`_read_text_converted`, which handles each case.

    Returns:
        The table, or None when the converting path must read the file.

    Raises:
        LoyaltyError: too many rows or columns.
    """
    encoding = _prefix_encoding(data)
    if encoding is None or data.find(b"\x00") >= 0:
        return None
    if data.find(b"\r") >= 0 and data.count(b"\r") != data.count(b"\r\n"):
        return None  # a CR that does not end a line
    start = 3 if encoding == "utf-8-sig" else 0
    line_starts = [start]
    pos = start
    while len(line_starts) <= _HEAD_LINES:
        nl = data.find(b"\n", pos)
        if nl < 0:
            break
        pos = nl + 1
        line_starts.append(pos)
    ends = [s - 1 for s in line_starts[1:]] + ([len(data)] if len(line_starts) <= _HEAD_LINES else [])
    try:
        lines = [data[s:e].decode(encoding).removesuffix("\r") for s, e in zip(line_starts, ends)]
    except UnicodeDecodeError:
        return None
    layout = _text_layout(lines, name, lim)
    if layout is None or layout.delimiter not in _DIRECT_DELIMITERS or layout.data_line >= len(line_starts):
        return None
    offset = line_starts[layout.data_line]
    # trailing blank lines are not rows; the last row keeps its trailing spaces
    end = len(data)
    while end > offset and data[end - 1] in b" \t\r\n":
        end -= 1
    if end <= offset:
        return None
    nl = data.find(b"\n", end)
    end = len(data) if nl < 0 else nl
    if data[end - 1:end] == b"\r":
        end -= 1
    names = layout.names
    kind = pa.large_binary() if encoding == "cp932" else pa.large_string()
    table, blank = None, np.zeros(0, dtype=np.int64)
    table_had_empty_lines: bool | None = False
    has_quotes = data.find(b'"', offset, end) >= 0
    if not has_quotes and len(names) >= 2:
        # no quotes: every line is one row or pyarrow raises (an empty line has one
        # field), so the rows are the lines, in order, without counting them
        if (end - offset) // len(names) > lim.LOYALTY_MAX_ROWS:
            _check_line_count(data, offset, end, name, lim)
        table = _arrow_text(data, offset, end, names, layout.delimiter, kind, quoted=False, skip_empty=False)
        lines_in_body = table.num_rows if table is not None else 0
        table_had_empty_lines = None  # unknown: empty lines came back as rows of empty cells
    if table is None:
        # quotes or empty lines: count the lines and prove the rows match them
        lines_in_body = _check_line_count(data, offset, end, name, lim)
        table = _arrow_text(data, offset, end, names, layout.delimiter, kind, quoted=has_quotes, skip_empty=True)
        if table is None:
            return None
        table_had_empty_lines = False  # pyarrow skipped them: they are located below
        if table.num_rows != lines_in_body:
            # only empty lines (skipped by pyarrow) may explain the difference; a quoted
            # line break also merges lines, and never as many as the empty lines found
            blank = _empty_line_indexes(data, offset, end)
            if blank is None or table.num_rows != lines_in_body - len(blank):
                return None
    columns = {}
    for n, col in zip(names, table.columns):
        if encoding == "cp932":
            col = _cp932_column(col)
            if col is None:
                return None
        columns[n] = col
    del table
    rows = np.arange(layout.data_line + 1, layout.data_line + 1 + lines_in_body, dtype=np.int64)
    if len(blank):
        rows = np.delete(rows, blank)
    return _finish_text_table(columns, rows, np.ones(len(rows), dtype=bool), name, encoding, layout,
                              apostrophes=data.find(b"'", offset, end) >= 0, empty_rows=0, lim=lim,
                              empty_lines=None if len(blank) or table_had_empty_lines is False
                              else lambda: _count_empty_lines(data, offset, end))


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
            read_options=pacsv.ReadOptions(column_names=names, block_size=4 * _MB, use_threads=True),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=quoted,
                                             ignore_empty_lines=skip_empty),
            convert_options=pacsv.ConvertOptions(column_types={n: kind for n in names}, strings_can_be_null=True,
                                                 quoted_strings_can_be_null=True, null_values=[""]),
        )
    except (pa.ArrowInvalid, pa.ArrowException):
        return None


#: More empty lines than this in the body: the converting path reads the file.
_MAX_EMPTY_LINES = 10_000


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


def _cp932_column(col: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """A large_binary column of CP932 bytes as a large_string column (None if a value does not decode).

    ASCII columns are reinterpreted without a copy.  Other columns are decoded
    by Python's strict cp932 codec either once per distinct value (columns that
    repeat their values: names, categories, channels; the distinct values are
    found across all chunks at once) or as one buffer per chunk with a line
    break between cells (columns of mostly distinct values); a line break can
    never be part of a CP932 character, so a cell that does not decode on its
    own does not decode in the buffer either.
    """
    text = pa.chunked_array([c.view(pa.large_string()) for c in col.chunks], pa.large_string())
    if len(col) == 0 or pc.all(pc.string_is_ascii(text)).as_py() is not False:
        return text  # no copy: large_binary and large_string share a layout
    sample = col.slice(0, 4096)
    try:
        if len(pc.unique(sample)) * 4 < len(sample):
            enc = pc.dictionary_encode(col)
            dictionary = enc.chunk(0).dictionary
            decoded = pa.array([v.decode("cp932") for v in dictionary.to_pylist()], pa.large_string())
            return pa.chunked_array([decoded.take(c.indices) for c in enc.chunks], pa.large_string())
        return pa.chunked_array([_decode_as_buffer(c) for c in col.chunks], pa.large_string())
    except UnicodeDecodeError:
        return None


def _decode_as_buffer(arr: pa.Array) -> pa.Array:
    cells = pc.fill_null(arr, b"")
    joined = pc.binary_join(pa.array([cells], pa.list_(cells.type)), pa.scalar(b"\n", cells.type))[0].as_py()
    utf8 = joined.decode("cp932").encode("utf-8")
    buf = np.frombuffer(utf8, dtype=np.uint8)
    breaks = np.flatnonzero(buf == 10)
    offsets = np.empty(len(arr) + 1, dtype=np.int64)
    offsets[0] = 0
    offsets[1:-1] = breaks
    offsets[-1] = len(utf8)
    # each cell after the first starts one byte (the line break) after the previous end
    starts = offsets[:-1].copy()
    starts[1:] += 1
    lengths = offsets[1:] - starts
    data = np.delete(buf, breaks) if len(breaks) else buf
    new_offsets = np.zeros(len(arr) + 1, dtype=np.int64)
    np.cumsum(lengths, out=new_offsets[1:])
    validity = arr.buffers()[0] if arr.null_count else None
    if validity is not None and arr.offset:
        validity = pc.is_valid(arr).buffers()[1]
    return pa.LargeStringArray.from_buffers(len(arr), pa.py_buffer(new_offsets), pa.py_buffer(data), validity,
                                            arr.null_count)


def _finish_text_table(columns: dict[str, pa.ChunkedArray], rows: np.ndarray, ok: np.ndarray, name: str,
                       encoding: str, layout: _Layout, *, apostrophes: bool, empty_rows: int,
                       lim: limits_mod.Limits, notes: list[tuple[str, dict]] | None = None,
                       empty_lines=None) -> RawTable:
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
    """
    notes = list(layout.notes) + list(notes or [])
    keep = _nonblank_mask(list(columns.values()), len(rows))
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
    frame = _columns_to_frame(columns, len(rows))
    return RawTable(name=name, frame=frame, row_numbers=rows, field_count_ok=ok, encoding=encoding,
                    delimiter=layout.delimiter, header_row=layout.header_row, notes=notes)


def _nonblank_mask(columns: list[pa.ChunkedArray], n: int) -> np.ndarray | None:
    """Rows with at least one non-blank cell, or None when every row has one.

    A cell is blank when it is missing, empty or only white space.  Columns are
    checked one by one and the check stops as soon as no row is blank so far
    (usually after the first column).
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
            col_blank = _np_blank(col)
        blank = col_blank if blank is None else blank & col_blank
        if not blank.any():
            return None
    if blank is None:
        return None
    return ~blank


def _np_blank(col: pa.ChunkedArray) -> np.ndarray:
    blank = pc.or_kleene(pc.is_null(col), pc.or_kleene(pc.equal(pc.binary_length(col), 0), pc.utf8_is_space(col)))
    return np.asarray(pc.fill_null(blank, True).to_numpy(zero_copy_only=False), dtype=bool)


def _columns_to_frame(columns: dict[str, pa.ChunkedArray], n: int) -> pd.DataFrame:
    """Text columns as a DataFrame of ``str`` columns (no copy of the text)."""
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


# -- the converting path: decode/convert to UTF-8 first, then pyarrow or the csv module


def _read_text_converted(data: bytes, name: str, lim: limits_mod.Limits) -> RawTable:
    """Read a text export that the direct path declined: UTF-16, EUC-JP, NUL
    characters, lone CRs, "|" or white-space separators, quoted line breaks,
    rows with another field count, unclosed quotes, encoding errors."""
    buf, encoding, nul_removed = _to_utf8(data, name)
    del data
    if b"\r" in buf:
        buf = buf.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    starts = _line_starts(buf, _HEAD_LINES + 1)
    ends = [s - 1 for s in starts[1:]] + ([len(buf)] if len(starts) <= _HEAD_LINES else [])
    lines = [buf[s:e].decode("utf-8") for s, e in zip(starts, ends)]
    if not any(ln.strip() for ln in lines) and len(buf.strip()) == 0:
        raise error("error.empty_file", file=name)
    layout = _text_layout(lines, name, lim, blank_start=True)
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
    return _finish_text_table(columns, row_numbers, ok, name, encoding, layout, apostrophes=b"'" in body,
                              empty_rows=empty_rows, lim=lim, notes=extra)


def _without_trailing_blank_lines(body: bytes) -> bytes:
    end = len(body)
    while end > 0 and body[end - 1] in b" \t\n":
        end -= 1
    if end == len(body):
        return body
    line_end = body.find(b"\n", end)
    return body[: line_end if line_end >= 0 else len(body)]


def _parse_fast(body: bytes, names: list[str], sep: str, data_line: int, name: str,
                lim: limits_mod.Limits):
    """pyarrow's multithreaded CSV reader on UTF-8 bytes (the converting path).

    Gives up (returns None) on anything that would break the row-number mapping:
    blank lines, quoted newlines or unbalanced quotes.  Rows with more or fewer
    fields than the header are handled here when the file has no quotes (they
    are found by counting separators per line, padded or cut, and flagged);
    with quotes, the careful reader takes over.

    Returns:
        ``(columns, row numbers, field counts ok, 0)`` or None.
    """
    if not body:
        return _empty_columns(names), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool), 0
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
            read_options=pacsv.ReadOptions(column_names=names, block_size=4 * _MB, use_threads=True),
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
                   lim: limits_mod.Limits):
    """The standard library's csv reader: slower, but it knows on which line each
    record starts, and rows with too many or too few fields are kept (padded or
    cut) and flagged so the quality report can list them.  A quote left open at
    the end of the file (which would swallow every row after it) is refused with
    the line where it opened.  Lines are decoded one at a time and records are
    turned into Arrow arrays in batches, so memory stays near the table's size.

    Returns:
        ``(columns, row numbers, field counts ok, ",,,"-style rows skipped)``.
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
            raise error("error.rel_csv_malformed", file=name, row=row, detail=_short(exc)) from None
        break
    if width and current[0]:
        batches.append(_batch(current, names))
    if batches:
        table = pa.Table.from_batches(batches)
        columns = dict(zip(names, table.columns))
    else:
        columns = _empty_columns(names)
    return columns, np.asarray(starts, dtype=np.int64), np.asarray(ok, dtype=bool), empty_rows


def _batch(columns: list[list[str | None]], names: list[str]) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays([pa.array(c, type=pa.large_string()) for c in columns], names=names)


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


def _arrow_to_frame(table: pa.Table, names: list[str]) -> pd.DataFrame:
    cols = {}
    for n, col in zip(names, table.columns):
        if not pa.types.is_large_string(col.type):
            col = pc.cast(col, pa.large_string())
        cols[n] = col
    return _columns_to_frame(cols, table.num_rows)


def _empty_columns(names: list[str]) -> dict[str, pa.ChunkedArray]:
    return {n: pa.chunked_array([pa.array([], pa.large_string())]) for n in names}


def _clean_names(cells: list[str]) -> list[str]:
    """Header names: trimmed, NFKC-normalised, blanks named 列N, duplicates numbered."""
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


# ---------------------------------------------------------------------------
# workbooks


_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
_WORKBOOK_PARTS = ("[Content_Types].xml", "content.xml", "xl/workbook.xml", "xl/workbook.bin")


def _check_workbook_container(data: bytes, name: str, lim: limits_mod.Limits, *,
                               keep_min: int | None = None) -> dict[str, bytearray]:
    """Refuse encrypted, damaged and bomb-like workbooks before parsing anything.

    Checks, in order: OLE2 container (password-protected .xlsx, or a legacy .xls
    that calamine reads); zip directory (entry count, total declared size, ratio
    of each large entry); then every XML part is inflated once, streaming, to
    check that it is no larger than the directory says (a forged size would let
    a bomb through) and that its prolog declares no DOCTYPE/ENTITY.

    Args:
        data: the file's bytes.
        name: the file name (for messages).
        lim: the limits in force.
        keep_min: when given and exactly one worksheet part (``xl/worksheets/*.xml``)
            is at least this large once inflated, its inflated bytes are kept and
            returned (they are produced by the check anyway).

    Returns:
        ``{zip entry name: inflated bytes}`` for the kept part (usually empty).

    Raises:
        LoyaltyError: encrypted, damaged, too large, bomb-like or DOCTYPE/ENTITY.
    """
    lower = name.lower()
    if data.startswith(_OLE_MAGIC):
        if _ENCRYPTED in data:
            raise error("error.excel_encrypted", file=name)
        if lower.endswith((".xlsx", ".xlsm")):
            raise error("error.excel_corrupt", file=name)
        return {}  # legacy .xls: calamine reads it
    if not data.startswith(_ZIP_MAGIC):
        raise error("error.excel_corrupt", file=name)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise error("error.excel_corrupt", file=name) from None
    if len(infos) > lim.LOYALTY_XLSX_MAX_ENTRIES:
        raise error("error.excel_too_many_entries", file=name, entries=len(infos),
                    limit=lim.LOYALTY_XLSX_MAX_ENTRIES)
    names = {i.filename for i in infos}
    if not names & set(_WORKBOOK_PARTS):
        raise error("error.rel_zip_not_workbook", file=name)
    total = sum(i.file_size for i in infos)
    if total > lim.LOYALTY_XLSX_MAX_UNCOMPRESSED_MB * _MB:
        raise error("error.excel_too_large_uncompressed", file=name, size_mb=total // _MB,
                    limit_mb=lim.LOYALTY_XLSX_MAX_UNCOMPRESSED_MB)
    for info in infos:
        if info.file_size > 10 * _MB and info.file_size > lim.LOYALTY_XLSX_MAX_RATIO * max(info.compress_size, 1):
            raise error("error.excel_bomb", file=name, entry=info.filename,
                        ratio=info.file_size // max(info.compress_size, 1))
    big = [i.filename for i in infos if keep_min is not None and _is_worksheet_part(i.filename)
           and i.file_size >= keep_min]
    keep = big[0] if len(big) == 1 else None
    kept: dict[str, bytearray] = {}
    for info in infos:
        if info.filename.lower().endswith((".xml", ".rels", ".bin")):
            out = _check_entry(data, info, name, keep=info.filename == keep)
            if out is not None:
                kept[info.filename] = out
    return kept


def _is_worksheet_part(entry: str) -> bool:
    return entry.startswith("xl/worksheets/") and entry.endswith(".xml") and entry.count("/") == 2


def _check_entry(data: bytes, info: zipfile.ZipInfo, name: str, *, keep: bool = False) -> bytearray | None:
    """Inflate one zip entry from its raw bytes, as a workbook reader would,
    stopping as soon as it exceeds its declared size; check its XML prolog.
    With ``keep``, the inflated bytes are returned (None if they do not match the
    declared size exactly)."""
    off = info.header_offset
    if data[off:off + 4] != _ZIP_MAGIC:
        raise error("error.excel_corrupt", file=name)
    n_len, x_len = struct.unpack_from("<HH", data, off + 26)
    start = off + 30 + n_len + x_len
    raw = memoryview(data)[start:start + info.compress_size]
    if info.flag_bits & 0x1:
        raise error("error.excel_encrypted", file=name)
    into = bytearray(info.file_size) if keep else None
    if info.compress_type == zipfile.ZIP_STORED:
        produced, head = len(raw), bytes(raw[:XML_PROLOG_MAX])
        if produced < info.file_size:
            raise error("error.excel_corrupt", file=name)
        if into is not None and produced == info.file_size:
            into[:] = raw
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        produced, head = _inflate_count(raw, info.file_size, info.CRC, name, into=into)
    else:
        raise error("error.excel_corrupt", file=name)
    if produced > info.file_size:
        raise error("error.rel_excel_size_mismatch", file=name, entry=info.filename)
    if info.filename.lower().endswith((".xml", ".rels")):
        _check_prolog(head, name, info.filename)
    return into if into is not None and produced == info.file_size else None


def _inflate_count(raw: memoryview, declared: int, crc: int, name: str, *,
                   into: bytearray | None = None) -> tuple[int, bytes]:
    """Decompressed size of a raw deflate stream, stopping just past ``declared``;
    also the first :data:`XML_PROLOG_MAX` bytes.  A stream that ends early, is
    damaged, or whose CRC-32 differs from the directory's is a corrupt workbook.
    With ``into`` (``declared`` bytes long), the inflated bytes are also written there."""
    d = zlib.decompressobj(-15)
    produced = 0
    check = 0
    head = b""
    pos = 0
    step = _MB
    try:
        while pos < len(raw) or d.unconsumed_tail:
            if d.unconsumed_tail:
                chunk = d.decompress(d.unconsumed_tail, step)
            else:
                chunk = d.decompress(raw[pos:pos + step], step)
                pos += step
            if len(head) < XML_PROLOG_MAX:
                head += chunk[: XML_PROLOG_MAX - len(head)]
            if into is not None and produced + len(chunk) <= declared:
                into[produced:produced + len(chunk)] = chunk
            produced += len(chunk)
            check = zlib.crc32(chunk, check)
            if produced > declared:
                return produced, head
            if d.eof:
                break
    except zlib.error:
        raise error("error.excel_corrupt", file=name) from None
    if not d.eof or check != crc:
        raise error("error.excel_corrupt", file=name)
    return produced, head


_ROOT_START = re.compile(rb"<[A-Za-z_]")


def _check_prolog(head: bytes, name: str, entry: str) -> None:
    """Refuse an XML part whose prolog declares a DOCTYPE or an ENTITY.

    The prolog is everything before the root element; it must end within
    :data:`XML_PROLOG_MAX` bytes (real workbooks need about a hundred).
    """
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head[: len(head) // 2 * 2].decode("utf-16", "ignore").encode("utf-8")
    root = _ROOT_START.search(head)
    prolog = head[: root.start()] if root else head
    upper = prolog.upper()
    if b"<!DOCTYPE" in upper or b"<!ENTITY" in upper:
        raise error("error.excel_xml_entities", file=name, entry=entry)
    if root is None and len(head) >= XML_PROLOG_MAX:
        raise error("error.excel_xml_entities", file=name, entry=entry)


def _read_workbook(data: bytes, name: str, sheet: str | int | None,
                   lim: limits_mod.Limits) -> RawTable:
    threads = _threads()
    before = _cpu_times()
    kept = _check_workbook_container(data, name, lim,
                                     keep_min=_SPLIT_MIN_BYTES if threads > 1 else None)
    if kept:
        # the check took about a second on one core: were other cores idle meanwhile?
        threads = min(threads, 1 + int(_spare_cores(before) + 0.5))
        if threads < 2:
            kept = {}
    import fastexcel

    try:
        reader = fastexcel.read_excel(data)
        sheets = list(reader.sheet_names)
    except Exception as exc:
        raise error("error.excel_unreadable", file=name, detail=_short(exc)) from None
    if not sheets:
        raise error("error.no_data_rows", file=name)
    if sheet is None:
        order = list(range(len(sheets)))
    elif isinstance(sheet, int):
        if not 0 <= sheet < len(sheets):
            raise error("error.sheet_not_found", file=name, sheet=str(sheet), sheets="、".join(sheets))
        order = [sheet]
    else:
        if sheet not in sheets:
            raise error("error.sheet_not_found", file=name, sheet=sheet, sheets="、".join(sheets))
        order = [sheets.index(sheet)]
    parts = _sheet_parts(data, sheets) if kept else {}
    for idx in order:
        batch = None
        if idx in parts and parts[idx] in kept:
            batch = _load_in_pieces(data, parts[idx], kept.pop(parts[idx]), idx, threads,
                                    lim.LOYALTY_MAX_ROWS + 2)
        if batch is None:
            try:
                loaded = reader.load_sheet(idx, header_row=None, dtypes="string", skip_rows=0,
                                           n_rows=lim.LOYALTY_MAX_ROWS + 2)
                batch = loaded.to_arrow()
            except Exception as exc:
                raise error("error.excel_unreadable", file=name, detail=_short(exc)) from None
        if batch.num_columns > lim.LOYALTY_MAX_COLUMNS:
            raise error("error.too_many_columns", file=name, columns=batch.num_columns,
                        limit=lim.LOYALTY_MAX_COLUMNS)
        table = _grid_to_table(batch, name, sheets[idx], sheets, lim)
        if table is not None and (table.rows > 0 or sheet is not None):
            return table
    raise error("error.no_data_rows", file=name)


#: A worksheet part at least this large once inflated is parsed in pieces, one per
#: core: calamine parses a whole sheet on one core whatever ``n_rows`` says.
_SPLIT_MIN_BYTES = 32 * _MB
#: The text of the marker cells that pin every piece's grid to cell A1.
_SENTINEL = "loyalty\u00b7piece\u00b7marker"
_SENTINEL_XML = _SENTINEL.encode("utf-8")
_ROW_TAG = re.compile(rb'<row\b[^>]*?\sr="([0-9]+)"')


def _threads() -> int:
    """Most pieces to parse a large sheet in: the cores this process may use, at most 4
    (fewer when other work keeps them busy: see :func:`_spare_cores`)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(cores, 4))


def _cpu_times() -> tuple[int, int] | None:
    """(idle, total) CPU time of the whole machine so far, in clock ticks (None where
    the system does not say)."""
    try:
        with open("/proc/stat", "rb") as fh:
            fields = [int(v) for v in fh.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    if len(fields) < 5:
        return None
    return fields[3] + fields[4], sum(fields[:8])


def _spare_cores(before: tuple[int, int] | None) -> float:
    """Cores left idle by everything on the machine since ``before`` (a
    :func:`_cpu_times` reading); plenty when unknown.

    A sheet is cut only into as many pieces as can really run side by side:
    cutting costs about 15% more CPU time in all (the kept XML, writing the
    pieces, stacking their grids), which a busy machine would not give back.
    """
    after = _cpu_times()
    if before is None or after is None or after[1] <= before[1]:
        return float(_threads())
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return cores * (after[0] - before[0]) / (after[1] - before[1])


def _sheet_parts(data: bytes, sheets: list[str]) -> dict[int, str]:
    """Zip entry of each worksheet, by sheet index (empty when anything is unusual).

    Read from ``xl/workbook.xml`` and its relationships; the prologs were already
    checked for DOCTYPE/ENTITY, so ElementTree expands no entities here.
    """
    import posixpath
    import xml.etree.ElementTree as ET

    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        book = ET.fromstring(zf.read("xl/workbook.xml"))
        rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    except Exception:
        return {}
    targets = {}
    for rel in rels:
        if rel.tag.endswith("Relationship") and rel.get("TargetMode") != "External":
            target = rel.get("Target") or ""
            target = target[1:] if target.startswith("/") else posixpath.normpath("xl/" + target)
            targets[rel.get("Id")] = target
    names, out = [], {}
    for el in book.iter():
        if el.tag.endswith("}sheet"):
            rid = next((v for k, v in el.attrib.items() if k.endswith("}id")), None)
            if rid in targets and _is_worksheet_part(targets[rid]):
                out[len(names)] = targets[rid]
            names.append(el.get("name"))
    return out if names == sheets else {}


def _cut_points(xml: bytearray, pieces: int) -> tuple[int, int, list[tuple[int, int]]] | None:
    """Where to cut a worksheet's rows into ``pieces`` of about equal size.

    Returns:
        (end of ``<sheetData>``, start of ``</sheetData>``, [(byte offset of a
        ``<row`` tag, its row number), ...]), or None when the part is unusual
        (a namespace prefix, comments or CDATA, a cut row without ``r``, rows out
        of order): the sheet is then read in one piece.
    """
    start = xml.find(b"<sheetData>")
    end = xml.rfind(b"</sheetData>")
    if start < 0 or end < start:
        return None
    body = start + len(b"<sheetData>")
    if _has_markup_declaration(xml, body, end):
        return None
    cuts: list[tuple[int, int]] = []
    for k in range(1, pieces):
        pos = xml.find(b"<row ", body + (end - body) * k // pieces, end)
        if pos < 0:
            break
        m = _ROW_TAG.match(xml, pos)
        if m is None:
            return None
        row = int(m.group(1))
        if cuts and (pos <= cuts[-1][0] or row <= cuts[-1][1]):
            continue
        if row < 2:
            return None
        cuts.append((pos, row))
    return (body, end, cuts) if cuts else None


def _has_markup_declaration(xml: bytearray, start: int, end: int) -> bool:
    """True when ``xml[start:end]`` holds ``<!`` (a comment or CDATA section).

    Looks for ``!`` first (rare in sheet XML, and found at memchr speed), and
    only when there are many of them for the two-byte pattern."""
    pos = xml.find(b"!", start, end)
    for _ in range(10_000):
        if pos < 0:
            return False
        if pos > 0 and xml[pos - 1] == 0x3C:  # "<"
            return True
        pos = xml.find(b"!", pos + 1, end)
    return xml.find(b"<!", start, end) >= 0


def _marker_row(row: int) -> bytes:
    return (b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>' % (row, row)) + _SENTINEL_XML + b"</t></is></c></row>"


def _piece_workbook(target, data: bytes, entry: str, xml: bytearray, body: int, end: int,
                    lo: int, hi: int, first_row: int | None, next_row: int | None) -> None:
    """Write to ``target`` (a path or binary file) a copy of the workbook whose
    worksheet ``entry`` holds only the rows in ``xml[lo:hi]``, with a marker cell
    in column A of row 1 (when the piece does not start the sheet) and of row
    ``next_row`` (when it does not end it).  Entries are stored uncompressed:
    nothing is deflated again."""
    src = zipfile.ZipFile(io.BytesIO(data))
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as out:
        for info in src.infolist():
            if info.filename == entry:
                with out.open(zipfile.ZipInfo(entry), "w") as f:
                    view = memoryview(xml)
                    f.write(view[:body])
                    if first_row is not None:
                        f.write(_marker_row(1))
                    f.write(view[lo:hi])
                    if next_row is not None:
                        f.write(_marker_row(next_row))
                    f.write(view[end:])
            elif not info.is_dir():
                out.writestr(zipfile.ZipInfo(info.filename), src.read(info))


def _load_in_pieces(data: bytes, entry: str, xml: bytearray, idx: int, threads: int,
                    n_rows: int) -> pa.RecordBatch | None:
    """Load one large worksheet as row ranges parsed at the same time (calamine
    releases the GIL), giving the same grid as one ``load_sheet`` would.

    Each piece is the workbook with that sheet cut down to a run of rows, plus
    marker cells in column A (so every piece's grid starts at A1 and ends where
    the next piece starts).  The pieces' grids are checked (markers where they
    belong, nothing outside the piece's rows), cut to their rows and stacked; the
    empty columns left of and right of the sheet's used range are dropped, as
    calamine does.

    Returns:
        The grid (row 0 = sheet row 1), or None when the sheet should be read the
        ordinary way (unusual XML, a check failed, or a piece did not load).
    """
    from concurrent.futures import ThreadPoolExecutor

    import fastexcel

    found = _cut_points(xml, threads)
    if found is None:
        return None
    body, end, cuts = found
    bounds = [body] + [pos for pos, _ in cuts] + [end]
    firsts = [None] + [row for _, row in cuts]
    nexts = [row for _, row in cuts] + [None]

    # Files, not bytes: fastexcel opens a path at once but copies bytes slowly.  An
    # in-memory file (memfd) where the system has one, else a temporary file.  Either
    # way the pieces (together about the size of the inflated sheet) are not counted
    # in this process's resident size; each is freed once calamine has read it.
    paths: list[str] = []
    fds: dict[int, int] = {}

    def write(k: int) -> None:
        with open(paths[k], "wb") as f:
            _piece_workbook(f, data, entry, xml, body, end, bounds[k], bounds[k + 1], firsts[k], nexts[k])

    def load(k: int) -> pa.RecordBatch:
        try:
            return fastexcel.read_excel(paths[k]).load_sheet(idx, header_row=None, dtypes="string",
                                                             skip_rows=0).to_arrow()
        finally:
            if k in fds:
                os.close(fds.pop(k))
            elif os.path.exists(paths[k]):
                os.unlink(paths[k])

    try:
        with tempfile.TemporaryDirectory(prefix="loyalty-pieces-") as tmp:
            for k in range(len(bounds) - 1):
                if hasattr(os, "memfd_create") and os.path.isdir("/proc/self/fd"):
                    fds[k] = os.memfd_create(f"loyalty-piece{k}")
                    paths.append(f"/proc/self/fd/{fds[k]}")
                else:
                    paths.append(os.path.join(tmp, f"piece{k}.xlsx"))
            with ThreadPoolExecutor(max_workers=len(paths)) as pool:
                list(pool.map(write, range(len(paths))))
                del xml  # the inflated sheet is no longer needed while calamine works
                grids = [_utf8_columns(b) for b in pool.map(load, range(len(paths)))]
    except Exception:
        return None
    finally:
        for fd in fds.values():
            os.close(fd)
    pieces: list[list[pa.Array]] = []
    for k, grid in enumerate(grids):
        lo = 0 if firsts[k] is None else firsts[k] - 1
        height = len(grid[0]) if grid else 0
        if nexts[k] is not None and height != nexts[k]:
            return None  # a row beyond the piece, or the marker missing
        hi = height if nexts[k] is None else nexts[k] - 1
        if not grid or not _markers_only(grid, 0 if firsts[k] is not None else None,
                                          hi if nexts[k] is not None else None, lo):
            return None
        pieces.append([c.slice(lo, max(hi - lo, 0)) for c in grid])
    width = max(len(g) for g in pieces)
    columns = []
    for c in range(width):
        parts = [g[c] if c < len(g) else pa.nulls(len(g[0]), pa.string()) for g in pieces]
        columns.append(pa.concat_arrays(parts))
    del grids, pieces
    used = [i for i, col in enumerate(columns) if col.null_count < len(col)]
    if not used:
        return pa.RecordBatch.from_arrays([], names=[])
    columns = [col.slice(0, n_rows) for col in columns[used[0]:used[-1] + 1]]
    return pa.RecordBatch.from_arrays(columns, names=[f"c{i}" for i in range(len(columns))])


def _utf8_columns(batch: pa.RecordBatch) -> list[pa.Array]:
    """A piece's columns as string arrays (an all-empty column comes as nulls);
    :func:`_text_arrays` makes them large_string once the pieces are stacked."""
    return [pa.nulls(len(col), pa.string()) if pa.types.is_null(col.type)
            else col if pa.types.is_string(col.type) else pc.cast(col, pa.string())
            for col in batch.columns]


def _markers_only(grid: list[pa.Array], top: int | None, bottom: int | None, lo: int) -> bool:
    """True when a piece's grid has its marker cells where they were put and
    nothing else outside the piece's own rows (rows ``lo`` to ``bottom``)."""
    col_a = grid[0]
    for row in (top, bottom):
        if row is None:
            continue
        if col_a[row].as_py() != _SENTINEL or any(c[row].is_valid for c in grid[1:]):
            return False
    if top is not None and lo > 1:
        # rows 2 .. lo of the sheet belong to earlier pieces: they must be empty here
        if any(c.slice(1, lo - 1).null_count != lo - 1 for c in grid):
            return False
    return True


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
        filled += ~_np_blank(pa.chunked_array([col]))
    return filled


#: Rows at the top of a sheet looked at to find the header (title rows above it are skipped).
_SHEET_HEAD_ROWS = 60


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
        keep = _nonblank_mask([pa.chunked_array([c]) for c in columns], len(columns[0]))
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
    has_header = _looks_like_header([c or "" for c in head_cells])
    notes: list[tuple[str, dict]] = []
    if has_header:
        start = header_idx + 1
        header_row = header_idx + 1
        skipped = header_idx
        upper_idx = header_idx - 1 if header_idx > 0 and has_content(header_idx - 1) else None
        pair = None
        if upper_idx is not None:
            below = [cells(i) for i in range(header_idx + 1, min(n_rows, header_idx + 21))]
            if _is_group_row(cells(upper_idx), head_cells, below):
                pair = (upper_idx, header_idx)
        if pair is None and header_idx + 1 < n_rows and has_content(header_idx + 1):
            below = [cells(i) for i in range(header_idx + 2, min(n_rows, header_idx + 22))]
            if _is_group_row(head_cells, cells(header_idx + 1), below):
                pair = (header_idx, header_idx + 1)
        if pair is not None:
            up, low = pair
            head_cells = _combined_names(cells(up), cells(low))
            notes.append(("note.rel_two_header_rows", {"upper": up + 1, "lower": low + 1}))
            start, header_row, skipped = low + 1, low + 1, up
        names = _clean_names(head_cells)
        if skipped > 0:
            notes.insert(0, ("note.skipped_title_lines", {"lines": skipped}))
    else:
        names = [f"列{i + 1}" for i in range(len(columns))]
        start = header_idx
        header_row = None
    body = [pa.chunked_array([c.slice(start)]) for c in columns]
    keep = _nonblank_mask(body, n_rows - start)
    row_numbers = np.arange(start + 1, n_rows + 1, dtype=np.int64)
    if keep is not None:
        mask = pa.array(keep)
        body = [c.filter(mask) for c in body]
        row_numbers = row_numbers[keep]
    if len(row_numbers) > lim.LOYALTY_MAX_ROWS:
        raise error("error.too_many_rows", file=name, rows=len(row_numbers), limit=lim.LOYALTY_MAX_ROWS)
    frame = _columns_to_frame(dict(zip(names, body)), len(row_numbers))
    return RawTable(name=name, frame=frame, row_numbers=row_numbers,
                    field_count_ok=np.ones(len(row_numbers), dtype=bool), sheet=sheet, sheets=sheets,
                    header_row=header_row, notes=notes)


# ---------------------------------------------------------------------------
# parquet


def _read_parquet(data: bytes, name: str, lim: limits_mod.Limits) -> RawTable:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(io.BytesIO(data))
        meta = pf.metadata
    except Exception as exc:
        raise error("error.parquet_unreadable", file=name, detail=_short(exc)) from None
    if meta.num_columns > lim.LOYALTY_MAX_COLUMNS:
        raise error("error.too_many_columns", file=name, columns=meta.num_columns,
                    limit=lim.LOYALTY_MAX_COLUMNS)
    if meta.num_rows > lim.LOYALTY_MAX_ROWS:
        raise error("error.too_many_rows", file=name, rows=meta.num_rows, limit=lim.LOYALTY_MAX_ROWS)
    try:
        table = pf.read()
    except Exception as exc:
        raise error("error.parquet_unreadable", file=name, detail=_short(exc)) from None
    names = _clean_names([str(c) for c in table.column_names])
    frame = _arrow_to_frame(table, names)
    rows = np.arange(2, 2 + len(frame), dtype=np.int64)
    return RawTable(name=name, frame=frame, row_numbers=rows,
                    field_count_ok=np.ones(len(frame), dtype=bool), header_row=1)


# ---------------------------------------------------------------------------
# checks


def _check_cell_lengths(table: RawTable, lim: limits_mod.Limits) -> None:
    """Refuse a cell longer than the limit (in characters), naming its row and column.

    Byte lengths come free with Arrow strings and a character never takes less
    than a byte, so characters are only counted in a column whose longest cell
    has more bytes than the limit allows characters.
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
    """A text column of a :class:`RawTable` frame as an Arrow chunked array (no copy)."""
    arr = pa.array(s.array) if isinstance(s.dtype, pd.StringDtype) else pa.array(s.astype("str").array)
    return arr if isinstance(arr, pa.ChunkedArray) else pa.chunked_array([arr])


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]
