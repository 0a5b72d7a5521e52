"""Reading exports: CSV/TSV/text (UTF-8, UTF-8 with BOM, CP932, EUC-JP, UTF-16), .xlsx/.xls/.ods, gzip and Parquet.

Every cell comes back as text (pandas ``str`` dtype, missing = NaN) so that
customer ids keep their leading zeros; typing is the job of :mod:`loyalty.values`
once the column mapping says which column plays which role.  Each data row keeps
the row number a user sees in a spreadsheet or a text editor (the header is row 1
in a plain export), so the quality report can point at it.

Decoding order (DESIGN §7): UTF-8 (BOM-tolerant) first, then CP932, then EUC-JP;
UTF-16 is recognised by its BOM or its NUL bytes.  Decoding is strict: a file that
fits none of them is refused with a message saying how to re-save it, never
decoded with errors ignored (that would silently destroy Japanese text).
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import unicodedata
import zipfile
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


def _sniff_kind(data: bytes, name: str) -> str:
    suffix = Path(name.lower().removesuffix(".gz")).suffix
    head = data[:8]
    if head.startswith(_PARQUET_MAGIC) or suffix in PARQUET_SUFFIXES:
        return "parquet"
    if head.startswith(_ZIP_MAGIC) or head.startswith(_OLE_MAGIC):
        return "excel"
    if suffix in EXCEL_SUFFIXES:
        # named like a workbook but not a zip/OLE container: damaged or mislabelled
        if _looks_like_text(data):
            return "text"
        raise error("error.excel_corrupt", file=name)
    return "text"


def _looks_like_text(data: bytes) -> bool:
    sample = data[:4096]
    if sample.startswith((b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")):
        return True
    if _utf16_without_bom(sample):
        return True
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return controls <= len(sample) * 0.01


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
    cap = lim.LOYALTY_MAX_FILE_MB * _MB * 8
    out = io.BytesIO()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as gz:
            while True:
                chunk = gz.read(8 * _MB)
                if not chunk:
                    break
                out.write(chunk)
                if out.tell() > cap:
                    raise error("error.file_too_large", file=name, size_mb=out.tell() // _MB,
                                limit_mb=cap // _MB)
    except (OSError, EOFError) as exc:
        raise error("error.gzip_corrupt", file=name, detail=_short(exc)) from None
    return out.getvalue()


# ---------------------------------------------------------------------------
# text files


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
    decoded: dict[str, str] = {}
    first_failure: UnicodeDecodeError | None = None
    for enc in candidates:
        try:
            decoded[enc] = data.decode(enc)
        except UnicodeDecodeError as exc:
            first_failure = first_failure or exc
            continue
        if enc in ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"):
            break
    if not decoded:
        line = data[: first_failure.start].count(b"\n") + 1 if first_failure else None
        raise error("error.unknown_encoding", file=name, row=line)
    if "cp932" in decoded and "euc_jp" in decoded:
        # EUC-JP bytes often decode as CP932 too, as half-width katakana soup.
        cp, eu = decoded["cp932"], decoded["euc_jp"]
        if len(_HALFWIDTH_KANA.findall(cp)) > len(_JAPANESE.findall(cp)) and _JAPANESE.search(eu):
            return eu, "euc_jp"
        return cp, "cp932"
    enc, text = next(iter(decoded.items()))
    if "\x00" in text:
        raise error("error.binary_file", file=name)
    return text, "utf-16" if enc.startswith("utf-16") else enc


def _detect_delimiter(lines: list[str]) -> str:
    """Pick the field separator from the first lines: the candidate whose count is
    the same (and positive) on most lines; else whitespace runs; else comma."""
    best, best_score = None, 0.0
    for cand in (",", "\t", ";", "|"):
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


def _header_line(lines: list[str], first: int, delimiter: str) -> int:
    """Skip title lines above the table: the header is the first of the first
    non-blank lines that has the table's usual number of fields."""
    idx = [i for i in range(first, min(len(lines), first + 60)) if lines[i].strip()]
    if delimiter == "whitespace":
        counts = [len(lines[i].split()) for i in idx]
    else:
        counts = [len(next(csv.reader([lines[i]], delimiter=delimiter), [])) for i in idx]
    if len(counts) < 2:
        return first
    mode = max(set(counts), key=lambda c: (counts.count(c), c))
    return next((i for i, c in zip(idx, counts) if c == mode), first)


def _looks_like_header(cells: list[str]) -> bool:
    """A first line is a header unless every non-empty cell looks like a value."""
    values = [c.strip() for c in cells if c and c.strip()]
    if not values:
        return False
    value_like = re.compile(r"^[\s¥￥$+\-−－▲△(（]*[0-9０-９][0-9０-９,，./\-:年月日 T]*[円%)）]?$")
    return not all(value_like.match(v) for v in values)


def _read_text(data: bytes, name: str, lim: limits_mod.Limits) -> RawTable:
    text, encoding = decode_text(data, name)
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    # find the first non-blank line (the header, or the first data row)
    lines = text.split("\n")
    first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if first is None:
        raise error("error.empty_file", file=name)
    sample = [ln for ln in lines[first:first + 50] if ln.strip()]
    delimiter = _detect_delimiter(sample)
    first = _header_line(lines, first, delimiter)
    if delimiter == "whitespace":
        body = "\n".join(lines)
        body = re.sub(r"(?m)^[ \t]+|[ \t]+$", "", body)
        body = re.sub(r"[ \t]+", "\t", body)
        lines = body.split("\n")
        sep = "\t"
    else:
        sep = delimiter
    head_cells = next(csv.reader([lines[first]], delimiter=sep))
    has_header = _looks_like_header(head_cells)
    if has_header:
        names = _clean_names(head_cells)
        data_start = first + 1  # 0-based line index of the first data line
        header_row = first + 1
    else:
        names = [f"列{i + 1}" for i in range(len(head_cells))]
        data_start = first
        header_row = None
    if len(names) > lim.LOYALTY_MAX_COLUMNS:
        raise error("error.too_many_columns", file=name, columns=len(names),
                    limit=lim.LOYALTY_MAX_COLUMNS)
    notes: list[tuple[str, dict]] = []
    if first > 0 and has_header:
        notes.append(("note.skipped_title_lines", {"lines": first}))
    body_lines = lines[data_start:]
    while body_lines and not body_lines[-1].strip():
        body_lines.pop()
    frame, row_numbers, ok = _parse_fast(body_lines, names, sep, data_start)
    if frame is None:
        frame, row_numbers, ok = _parse_careful(body_lines, names, sep, data_start)
    if len(frame) > lim.LOYALTY_MAX_ROWS:
        raise error("error.too_many_rows", file=name, rows=len(frame), limit=lim.LOYALTY_MAX_ROWS)
    return RawTable(name=name, frame=frame, row_numbers=row_numbers, field_count_ok=ok,
                    encoding=encoding, delimiter=delimiter, header_row=header_row, notes=notes)


def _parse_fast(body_lines: list[str], names: list[str], sep: str, data_start: int):
    """pyarrow's multithreaded CSV reader; gives up (returns None) on anything
    that would break the row-number mapping: blank lines, quoted newlines, or
    rows with a different number of fields."""
    if not body_lines:
        return _empty_frame(names), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
    if any(not ln.strip() for ln in body_lines):
        return None, None, None
    problems: list[int] = []

    def on_invalid(row):  # pyarrow hands over rows with a wrong field count
        problems.append(1)
        return "skip"

    payload = "\n".join(body_lines).encode("utf-8")
    try:
        table = pacsv.read_csv(
            io.BytesIO(payload),
            read_options=pacsv.ReadOptions(column_names=names, block_size=16 * _MB),
            parse_options=pacsv.ParseOptions(delimiter=sep, invalid_row_handler=on_invalid,
                                             newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=True, quoted_strings_can_be_null=True, null_values=[""]),
        )
    except (pa.ArrowInvalid, pa.ArrowException):
        return None, None, None
    if problems or table.num_rows != len(body_lines):
        return None, None, None
    frame = _arrow_to_frame(table, names)
    rows = np.arange(data_start + 1, data_start + 1 + len(frame), dtype=np.int64)
    return frame, rows, np.ones(len(frame), dtype=bool)


def _parse_careful(body_lines: list[str], names: list[str], sep: str, data_start: int):
    """The standard library's csv reader: slower, but it knows on which line each
    record starts, and rows with too many or too few fields are kept (padded or
    cut) and flagged so the quality report can list them."""
    reader = csv.reader(io.StringIO("\n".join(body_lines)), delimiter=sep)
    width = len(names)
    records: list[list[str]] = []
    starts: list[int] = []
    ok: list[bool] = []
    prev_line = 0
    for rec in reader:
        start = prev_line + 1
        prev_line = reader.line_num
        if not rec or all(not c.strip() for c in rec):
            continue
        ok.append(len(rec) == width)
        if len(rec) < width:
            rec = rec + [""] * (width - len(rec))
        elif len(rec) > width:
            rec = rec[:width]
        records.append(rec)
        starts.append(data_start + start)
    cols = list(zip(*records)) if records else [()] * width
    frame = pd.DataFrame({n: pd.array(list(c), dtype="str") for n, c in zip(names, cols)})
    frame = frame.replace("", np.nan) if len(frame) else frame
    return frame, np.asarray(starts, dtype=np.int64), np.asarray(ok, dtype=bool)


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


def _check_workbook_container(data: bytes, name: str, lim: limits_mod.Limits) -> None:
    """Refuse encrypted, damaged and bomb-like workbooks before parsing anything."""
    lower = name.lower()
    if data.startswith(_OLE_MAGIC):
        if "E\x00n\x00c\x00r\x00y\x00p\x00t\x00e\x00d\x00P\x00a\x00c\x00k\x00a\x00g\x00e".encode() in data:
            raise error("error.excel_encrypted", file=name)
        if lower.endswith((".xlsx", ".xlsm")):
            raise error("error.excel_corrupt", file=name)
        return  # legacy .xls: calamine reads it
    if not data.startswith(_ZIP_MAGIC):
        raise error("error.excel_corrupt", file=name)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise error("error.excel_corrupt", file=name) from None
    if len(infos) > lim.LOYALTY_XLSX_MAX_ENTRIES:
        raise error("error.excel_too_many_entries", file=name, entries=len(infos),
                    limit=lim.LOYALTY_XLSX_MAX_ENTRIES)
    total = sum(i.file_size for i in infos)
    if total > lim.LOYALTY_XLSX_MAX_UNCOMPRESSED_MB * _MB:
        raise error("error.excel_too_large_uncompressed", file=name, size_mb=total // _MB,
                    limit_mb=lim.LOYALTY_XLSX_MAX_UNCOMPRESSED_MB)
    for info in infos:
        if info.file_size > 10 * _MB and info.file_size > lim.LOYALTY_XLSX_MAX_RATIO * max(info.compress_size, 1):
            raise error("error.excel_bomb", file=name, entry=info.filename,
                        ratio=info.file_size // max(info.compress_size, 1))
    for info in infos:
        if info.filename.endswith(".xml") or info.filename.endswith(".rels"):
            try:
                with zf.open(info) as fh:
                    head = fh.read(4096)
            except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError):
                raise error("error.excel_corrupt", file=name) from None
            if b"<!ENTITY" in head or b"<!DOCTYPE" in head:
                raise error("error.excel_xml_entities", file=name, entry=info.filename)


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
    head_cells = [None if pd.isna(v) else str(v) for v in grid.iloc[header_idx].tolist()]
    has_header = _looks_like_header([c or "" for c in head_cells])
    notes: list[tuple[str, dict]] = []
    if has_header:
        names = _clean_names(head_cells)
        start = header_idx + 1
        header_row = header_idx + 1
        if header_idx > 0:
            notes.append(("note.skipped_title_lines", {"lines": header_idx}))
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
        table = pq.read_table(io.BytesIO(data))
    except Exception as exc:
        raise error("error.parquet_unreadable", file=name, detail=_short(exc)) from None
    if table.num_columns > lim.LOYALTY_MAX_COLUMNS:
        raise error("error.too_many_columns", file=name, columns=table.num_columns,
                    limit=lim.LOYALTY_MAX_COLUMNS)
    if table.num_rows > lim.LOYALTY_MAX_ROWS:
        raise error("error.too_many_rows", file=name, rows=table.num_rows, limit=lim.LOYALTY_MAX_ROWS)
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
