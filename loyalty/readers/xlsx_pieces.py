"""A large worksheet parsed in pieces, one per core, at the same time.

calamine parses a sheet on one core and always the whole of it.  A worksheet of
32 MB or more of XML once inflated is therefore cut: the inflated XML that the
container check (:mod:`loyalty.readers.xlsx_guard`) produces anyway is cut at
``<row>`` tags into runs of rows, each run becomes a copy of the workbook (stored,
not deflated again) with marker cells that pin its grid to A1, and the grids are
checked and stacked.  The table is the same as from one piece (the tests compare
both); a sheet with anything unusual (comments, CDATA, prefixed tags, rows out of
order) is read in one piece.

The names here are looked up on this module at call time (``pieces.threads()``),
so tests can set them.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import zipfile

import pyarrow as pa
import pyarrow.compute as pc

from loyalty.readers.xlsx_guard import is_worksheet_part

#: A worksheet part at least this large once inflated is parsed in pieces, one per
#: core: calamine parses a whole sheet on one core whatever ``n_rows`` says.
SPLIT_MIN_BYTES = 32 * 1024 * 1024
#: The text of the marker cells that pin every piece's grid to cell A1.
_SENTINEL = "loyalty\u00b7piece\u00b7marker"
_SENTINEL_XML = _SENTINEL.encode("utf-8")
_ROW_TAG = re.compile(rb'<row\b[^>]*?\sr="([0-9]+)"')


def _cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def threads() -> int:
    """Most pieces to parse a large sheet in.

    Returns:
        The cores this process may use, at most 4 (the caller uses fewer when other
        work keeps them busy: see :func:`spare_cores`).
    """
    return max(1, min(_cores(), 4))


def cpu_times() -> tuple[int, int] | None:
    """CPU time of the whole machine so far.

    Returns:
        ``(idle, total)`` in clock ticks, or None where the system does not say.
    """
    try:
        with open("/proc/stat", "rb") as fh:
            fields = [int(v) for v in fh.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    if len(fields) < 5:
        return None
    return fields[3] + fields[4], sum(fields[:8])


def spare_cores(before: tuple[int, int] | None) -> float:
    """Cores left idle by everything on the machine since ``before`` (a
    :func:`cpu_times` reading); plenty when unknown.

    A sheet is cut only into as many pieces as can really run side by side:
    cutting costs about 15% more CPU time in all (the kept XML, writing the
    pieces, stacking their grids), which a busy machine would not give back.

    Args:
        before: a :func:`cpu_times` reading taken earlier (None when unknown).

    Returns:
        The number of idle cores over the interval (fractional).
    """
    after = cpu_times()
    if before is None or after is None or after[1] <= before[1]:
        return float(threads())
    return _cores() * (after[0] - before[0]) / (after[1] - before[1])


def sheet_parts(data: bytes, sheets: list[str]) -> dict[int, str]:
    """Zip entry of each worksheet, by sheet index (empty when anything is unusual).

    Read from ``xl/workbook.xml`` and its relationships; the prologs were already
    checked for DOCTYPE/ENTITY, so ElementTree expands no entities here.

    Args:
        data: the workbook's bytes.
        sheets: the sheet names as calamine lists them (the two must agree).

    Returns:
        ``{sheet index: zip entry}``.
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
            if rid in targets and is_worksheet_part(targets[rid]):
                out[len(names)] = targets[rid]
            names.append(el.get("name"))
    return out if names == sheets else {}


def cut_points(xml: bytearray, pieces: int) -> tuple[int, int, list[tuple[int, int]]] | None:
    """Where to cut a worksheet's rows into ``pieces`` of about equal size.

    Args:
        xml: the worksheet's inflated XML.
        pieces: how many pieces.

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
    """A row of the sheet XML holding only a marker cell in column A."""
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


def load_in_pieces(data: bytes, entry: str, xml: bytearray, idx: int, pieces: int,
                   n_rows: int) -> pa.RecordBatch | None:
    """Load one large worksheet as row ranges parsed at the same time (calamine
    releases the GIL), giving the same grid as one ``load_sheet`` would.

    Each piece is the workbook with that sheet cut down to a run of rows, plus
    marker cells in column A (so every piece's grid starts at A1 and ends where
    the next piece starts); :func:`_stack` checks and stacks the grids.

    Args:
        data: the workbook's bytes.
        entry: the worksheet's zip entry.
        xml: the worksheet's inflated XML (freed while calamine works).
        idx: the sheet's index.
        pieces: how many pieces to cut it into.
        n_rows: most rows to keep.

    Returns:
        The grid (row 0 = sheet row 1), or None when the sheet should be read the
        ordinary way (unusual XML, a check failed, or a piece did not load).
    """
    from concurrent.futures import ThreadPoolExecutor

    import fastexcel

    found = cut_points(xml, pieces)
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
    return _stack(grids, firsts, nexts, n_rows)


def _stack(grids: list[list[pa.Array]], firsts: list[int | None], nexts: list[int | None],
           n_rows: int) -> pa.RecordBatch | None:
    """The pieces' grids checked (markers where they belong, nothing outside the
    piece's rows), cut to their rows and stacked; the empty columns left of and
    right of the sheet's used range are dropped, as calamine does.

    Returns:
        The grid, or None when a check failed.
    """
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
    they become large_string once the pieces are stacked."""
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
