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
import re
import struct
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


def _read_text(data: bytes, name: str, lim: limits_mod.Limits) -> RawTable:
    buf, encoding, nul_removed = _to_utf8(data, name)
    del data
    if b"\r" in buf:
        buf = buf.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    starts = _line_starts(buf, _HEAD_LINES + 1)
    ends = [s - 1 for s in starts[1:]] + ([len(buf)] if len(starts) <= _HEAD_LINES else [])
    lines = [buf[s:e].decode("utf-8") for s, e in zip(starts, ends)]
    first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if first is None:
        if len(buf.strip()) == 0:
            raise error("error.empty_file", file=name)
        first = 0
    sample = [ln for ln in lines[first:first + 50] if ln.strip()]
    delimiter = _detect_delimiter(sample)
    first = _header_line(lines, first, delimiter)
    sep = "\t" if delimiter == "whitespace" else delimiter

    def cells(i: int) -> list[str]:
        return _split_line(lines[i], delimiter) if i < len(lines) else []

    head_cells = cells(first)
    has_header = _looks_like_header(head_cells)
    notes: list[tuple[str, dict]] = []
    if has_header:
        data_line = first + 1  # 0-based line index of the first data line
        below = [cells(i) for i in range(first + 2, min(len(lines), first + 22)) if lines[i].strip()]
        if first + 1 < len(lines) and lines[first + 1].strip() and _is_group_row(head_cells, cells(first + 1), below):
            head_cells = _combined_names(head_cells, cells(first + 1))
            notes.append(("note.rel_two_header_rows", {"upper": first + 1, "lower": first + 2}))
            data_line = first + 2
        names = _clean_names(head_cells)
        header_row = data_line
    else:
        names = [f"列{i + 1}" for i in range(len(head_cells))]
        data_line = first
        header_row = None
    if len(names) > lim.LOYALTY_MAX_COLUMNS:
        raise error("error.too_many_columns", file=name, columns=len(names),
                    limit=lim.LOYALTY_MAX_COLUMNS)
    if first > 0 and has_header:
        notes.insert(0, ("note.skipped_title_lines", {"lines": first}))
    if nul_removed:
        notes.append(("note.rel_nul_removed", {"count": nul_removed}))
    offset = starts[data_line] if data_line < len(starts) else len(buf)
    body = buf[offset:] if offset else buf
    del buf
    if delimiter == "whitespace":
        body = re.sub(rb"(?m)^[ \t]+|[ \t]+$", b"", body)
        body = re.sub(rb"[ \t]+", b"\t", body)
    body = _without_trailing_blank_lines(body)
    frame, row_numbers, ok, empty_rows = _parse_fast(body, names, sep, data_line, name, lim)
    if frame is None:
        frame, row_numbers, ok, empty_rows = _parse_careful(body, names, sep, data_line, name, lim)
    del body
    if empty_rows:
        notes.append(("note.rel_empty_rows_skipped", {"count": empty_rows}))
    if len(frame) > lim.LOYALTY_MAX_ROWS:
        raise error("error.too_many_rows", file=name, rows=len(frame), limit=lim.LOYALTY_MAX_ROWS)
    frame, quoted = _strip_neutralising_apostrophes(frame)
    if quoted:
        notes.append(("note.rel_apostrophes_removed", {"count": quoted}))
    return RawTable(name=name, frame=frame, row_numbers=row_numbers, field_count_ok=ok,
                    encoding=encoding, delimiter=delimiter, header_row=header_row, notes=notes)


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
    """pyarrow's multithreaded CSV reader on the UTF-8 bytes.

    Gives up (returns None) on anything that would break the row-number mapping:
    blank lines, quoted newlines or unbalanced quotes.  Rows with more or fewer
    fields than the header are handled here when the file has no quotes (they
    are found by counting separators per line, padded or cut, and flagged);
    with quotes, the careful reader takes over.
    """
    if not body:
        return _empty_frame(names), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool), 0
    give_up = None, None, None, 0
    first_nl = body.find(b"\n")
    first_line = body[: first_nl if first_nl >= 0 else len(body)]
    if not first_line.strip(b" \t") or re.search(rb"\n[ \t]*\n", body):
        return give_up
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
            read_options=pacsv.ReadOptions(column_names=names, block_size=16 * _MB),
            parse_options=pacsv.ParseOptions(delimiter=sep, invalid_row_handler=on_invalid,
                                             newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=True, quoted_strings_can_be_null=True, null_values=[""]),
        )
    except (pa.ArrowInvalid, pa.ArrowException):
        return give_up
    ok = np.ones(lines, dtype=bool)
    if problems:
        if b'"' in body:
            return give_up
        ok = _field_counts(body, sep, lines) == len(names)
        if table.num_rows != int(ok.sum()):
            return give_up
    elif table.num_rows != lines:
        return give_up
    frame = _arrow_to_frame(table, names)
    del table
    rows = np.arange(data_line + 1, data_line + 1 + lines, dtype=np.int64)
    if not ok.all():
        frame = _with_odd_lines(frame, body, ok, names, sep)
    keep = _nonblank_rows(frame)
    if keep is None:
        return frame, rows, ok, 0
    frame = frame.loc[keep].reset_index(drop=True)
    return frame, rows[keep], ok[keep], int((~keep).sum())


def _field_counts(body: bytes, sep: str, lines: int) -> np.ndarray:
    """Fields per line of a text without quotes (separators + 1), vectorised."""
    arr = np.frombuffer(body, dtype=np.uint8)
    newlines = np.flatnonzero(arr == 10)
    seps = np.flatnonzero(arr == ord(sep))
    del arr
    return np.bincount(np.searchsorted(newlines, seps), minlength=lines)[:lines] + 1


def _with_odd_lines(frame: pd.DataFrame, body: bytes, ok: np.ndarray, names: list[str],
                    sep: str) -> pd.DataFrame:
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
    odd = pd.DataFrame({n: pd.array([r[j] for r in cells], dtype="str") for j, n in enumerate(names)},
                       index=bad_idx)
    frame.index = np.flatnonzero(ok)
    return pd.concat([frame, odd]).sort_index().reset_index(drop=True)


def _nonblank_rows(frame: pd.DataFrame) -> np.ndarray | None:
    """Mask of rows with at least one non-blank cell, or None when all have one."""
    blank = None
    for col in frame.columns:
        s = frame[col]
        col_blank = (s.isna() | (s.str.strip() == "")).to_numpy(dtype=bool, na_value=True)
        blank = col_blank if blank is None else blank & col_blank
        if not blank.any():
            return None
    return ~blank if blank is not None else None


def _parse_careful(body: bytes, names: list[str], sep: str, data_line: int, name: str,
                   lim: limits_mod.Limits):
    """The standard library's csv reader: slower, but it knows on which line each
    record starts, and rows with too many or too few fields are kept (padded or
    cut) and flagged so the quality report can list them.  A quote left open at
    the end of the file (which would swallow every row after it) is refused with
    the line where it opened.  Lines are decoded one at a time and records are
    turned into Arrow arrays in batches, so memory stays near the table's size."""
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
        frame = _arrow_to_frame(pa.Table.from_batches(batches), names)
    else:
        frame = _empty_frame(names)
    return frame, np.asarray(starts, dtype=np.int64), np.asarray(ok, dtype=bool), empty_rows


def _batch(columns: list[list[str | None]], names: list[str]) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays([pa.array(c, type=pa.string()) for c in columns], names=names)


_NEUTRALISED = r"^'+[=+\-@\t\r\n]"


def _strip_neutralising_apostrophes(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Undo :func:`loyalty.export.neutralize` on text cells: one leading apostrophe
    in front of (more apostrophes and) ``= + - @``, tab, CR or LF is removed.

    Returns:
        ``(frame, cells changed)``; the frame is the same object when nothing changed.
    """
    changed = 0
    out = None
    for col in frame.columns:
        s = frame[col]
        if not len(s) or not s.str.startswith("'", na=False).any():
            continue
        hit = s.str.match(_NEUTRALISED, na=False)
        n = int(hit.sum())
        if not n:
            continue
        if out is None:
            out = frame.copy()
        out[col] = s.mask(hit, s.str.slice(1))
        changed += n
    return (out if out is not None else frame), changed


def _arrow_to_frame(table: pa.Table, names: list[str]) -> pd.DataFrame:
    cols = {}
    for n, col in zip(names, table.columns):
        if not pa.types.is_string(col.type) and not pa.types.is_large_string(col.type):
            col = pc.cast(col, pa.string())
        cols[n] = col.to_pandas()
        if cols[n].dtype != "str":
            cols[n] = cols[n].astype("str")
    return pd.DataFrame(cols)


def _empty_frame(names: list[str]) -> pd.DataFrame:
    return pd.DataFrame({n: pd.array([], dtype="str") for n in names})


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


def _check_workbook_container(data: bytes, name: str, lim: limits_mod.Limits) -> None:
    """Refuse encrypted, damaged and bomb-like workbooks before parsing anything.

    Checks, in order: OLE2 container (password-protected .xlsx, or a legacy .xls
    that calamine reads); zip directory (entry count, total declared size, ratio
    of each large entry); then every XML part is inflated once, streaming, to
    check that it is no larger than the directory says (a forged size would let
    a bomb through) and that its prolog declares no DOCTYPE/ENTITY.
    """
    lower = name.lower()
    if data.startswith(_OLE_MAGIC):
        if _ENCRYPTED in data:
            raise error("error.excel_encrypted", file=name)
        if lower.endswith((".xlsx", ".xlsm")):
            raise error("error.excel_corrupt", file=name)
        return  # legacy .xls: calamine reads it
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
    for info in infos:
        if info.filename.lower().endswith((".xml", ".rels", ".bin")):
            _check_entry(data, info, name)


def _check_entry(data: bytes, info: zipfile.ZipInfo, name: str) -> None:
    """Inflate one zip entry from its raw bytes, as a workbook reader would,
    stopping as soon as it exceeds its declared size; check its XML prolog."""
    off = info.header_offset
    if data[off:off + 4] != _ZIP_MAGIC:
        raise error("error.excel_corrupt", file=name)
    n_len, x_len = struct.unpack_from("<HH", data, off + 26)
    start = off + 30 + n_len + x_len
    raw = memoryview(data)[start:start + info.compress_size]
    if info.flag_bits & 0x1:
        raise error("error.excel_encrypted", file=name)
    if info.compress_type == zipfile.ZIP_STORED:
        produced, head = len(raw), bytes(raw[:XML_PROLOG_MAX])
        if produced < info.file_size:
            raise error("error.excel_corrupt", file=name)
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        produced, head = _inflate_count(raw, info.file_size, info.CRC, name)
    else:
        raise error("error.excel_corrupt", file=name)
    if produced > info.file_size:
        raise error("error.rel_excel_size_mismatch", file=name, entry=info.filename)
    if info.filename.lower().endswith((".xml", ".rels")):
        _check_prolog(head, name, info.filename)


def _inflate_count(raw: memoryview, declared: int, crc: int, name: str) -> tuple[int, bytes]:
    """Decompressed size of a raw deflate stream, stopping just past ``declared``;
    also the first :data:`XML_PROLOG_MAX` bytes.  A stream that ends early, is
    damaged, or whose CRC-32 differs from the directory's is a corrupt workbook."""
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
    _check_workbook_container(data, name, lim)
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
    for idx in order:
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


def _row_cells(grid: pd.DataFrame, i: int) -> list[str | None]:
    if i < 0 or i >= len(grid):
        return []
    return [None if pd.isna(v) else str(v) for v in grid.iloc[i].tolist()]


def _grid_to_table(batch: pa.RecordBatch, name: str, sheet: str, sheets: list[str],
                   lim: limits_mod.Limits) -> RawTable | None:
    if batch.num_rows == 0 or batch.num_columns == 0:
        return None
    grid = pd.DataFrame({f"c{i}": batch.column(i).to_pandas() for i in range(batch.num_columns)})
    nonempty = grid.notna() & (grid.astype("str").apply(lambda s: s.str.strip().str.len() > 0))
    filled = nonempty.sum(axis=1).to_numpy()
    if filled.max(initial=0) == 0:
        return None
    # skip title rows: the header is the first row at least as full as the table's usual row
    head = [int(c) for c in filled[:60] if c > 0]
    mode = max(set(head), key=lambda c: (head.count(c), c))
    header_idx = next(i for i in range(len(filled)) if filled[i] >= mode)
    head_cells = _row_cells(grid, header_idx)
    has_header = _looks_like_header([c or "" for c in head_cells])
    notes: list[tuple[str, dict]] = []
    if has_header:
        start = header_idx + 1
        header_row = header_idx + 1
        skipped = header_idx
        below_from = header_idx + 1
        upper_idx = header_idx - 1 if header_idx > 0 and filled[header_idx - 1] > 0 else None
        pair = None
        if upper_idx is not None:
            below = [_row_cells(grid, i) for i in range(below_from, min(len(grid), below_from + 20))]
            if _is_group_row(_row_cells(grid, upper_idx), head_cells, below):
                pair = (upper_idx, header_idx)
        if pair is None and header_idx + 1 < len(grid) and filled[header_idx + 1] > 0:
            below = [_row_cells(grid, i) for i in range(header_idx + 2, min(len(grid), header_idx + 22))]
            if _is_group_row(head_cells, _row_cells(grid, header_idx + 1), below):
                pair = (header_idx, header_idx + 1)
        if pair is not None:
            up, low = pair
            head_cells = _combined_names(_row_cells(grid, up), _row_cells(grid, low))
            notes.append(("note.rel_two_header_rows", {"upper": up + 1, "lower": low + 1}))
            start, header_row, skipped = low + 1, low + 1, up
        names = _clean_names(head_cells)
        if skipped > 0:
            notes.insert(0, ("note.skipped_title_lines", {"lines": skipped}))
    else:
        names = [f"列{i + 1}" for i in range(grid.shape[1])]
        start = header_idx
        header_row = None
    body = grid.iloc[start:]
    keep = nonempty.iloc[start:].any(axis=1).to_numpy()
    body = body.loc[keep]
    if len(body) > lim.LOYALTY_MAX_ROWS:
        raise error("error.too_many_rows", file=name, rows=len(body), limit=lim.LOYALTY_MAX_ROWS)
    row_numbers = (np.flatnonzero(keep) + start + 1).astype(np.int64)
    body = body.reset_index(drop=True)
    body.columns = names
    for n in names:
        if body[n].dtype != "str":
            body[n] = body[n].astype("str")
    return RawTable(name=name, frame=body, row_numbers=row_numbers,
                    field_count_ok=np.ones(len(body), dtype=bool), sheet=sheet, sheets=sheets,
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
    for col in table.frame.columns:
        s = table.frame[col]
        if not len(s):
            continue
        lengths = s.str.len()
        longest = lengths.max()
        if pd.notna(longest) and longest > lim.LOYALTY_MAX_CELL_CHARS:
            pos = int(lengths.to_numpy(dtype=float, na_value=0).argmax())
            raise error("error.cell_too_long", file=table.name, row=int(table.row_numbers[pos]),
                        column=col, length=int(longest), limit=lim.LOYALTY_MAX_CELL_CHARS)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]
