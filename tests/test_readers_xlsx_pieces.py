"""loyalty.readers.xlsx_pieces: a large sheet parsed in pieces on several threads gives
the same table as one piece."""

import io
import os

import pytest
import xlsxwriter

import loyalty.readers.xlsx_pieces as pieces_mod
from loyalty.readers import read_table
from loyalty.readers.xlsx_pieces import cut_points


def _orders_book(rows: int = 300) -> bytes:
    """A sheet with a title line, a blank line, the header in row 3, all from column B,
    text ids with leading zeros, Excel dates, numbers, a blank row every 37th data row
    and a note column (F) filled only on every 50th data row."""
    import datetime

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("注文")
    day = wb.add_format({"num_format": "yyyy/mm/dd"})
    ws.write_string(0, 1, "注文明細 2024年")  # nothing in column A: the used range starts at B
    for c, head in enumerate(["会員番号", "注文日", "金額", "数量", "メモ"]):
        ws.write_string(2, 1 + c, head)
    for i in range(rows):
        r = 3 + i
        if i % 37 == 36:
            continue
        ws.write_string(r, 1, f"{i:06d}")
        ws.write_datetime(r, 2, datetime.datetime(2024, 1, 1) + datetime.timedelta(days=i % 366), day)
        ws.write_number(r, 3, i * 10 + 0.5)
        ws.write_number(r, 4, i % 7)
        if i % 50 == 0:
            ws.write_string(r, 5, f"メモ&<{i}>")
    wb.close()
    return buf.getvalue()


def _rewrite_sheet(data: bytes, change) -> bytes:
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            body = src.read(info)
            out.writestr(info.filename, change(body) if info.filename == "xl/worksheets/sheet1.xml" else body)
    return buf.getvalue()


@pytest.fixture
def pieces(monkeypatch):
    """Every worksheet counts as large and is cut into three pieces; records what each cut read returned."""
    outcomes = []
    real = pieces_mod.load_in_pieces

    def spy(*args, **kwargs):
        out = real(*args, **kwargs)
        outcomes.append(out is not None)
        return out

    monkeypatch.setattr(pieces_mod, "SPLIT_MIN_BYTES", 1)
    monkeypatch.setattr(pieces_mod, "threads", lambda: 3)
    monkeypatch.setattr(pieces_mod, "spare_cores", lambda before: 2.0)
    monkeypatch.setattr(pieces_mod, "load_in_pieces", spy)
    return outcomes


def _same_table(a, b):
    assert a.frame.equals(b.frame)
    assert list(a.frame.columns) == list(b.frame.columns)
    assert a.row_numbers.tolist() == b.row_numbers.tolist()
    assert (a.header_row, a.notes, a.sheet, a.sheets) == (b.header_row, b.notes, b.sheet, b.sheets)


def test_a_sheet_read_in_pieces_gives_the_same_table_as_one_piece(pieces, monkeypatch):
    data = _orders_book()
    monkeypatch.setattr(pieces_mod, "SPLIT_MIN_BYTES", 1 << 40)
    whole = read_table(data, "orders.xlsx")
    assert pieces == []  # under the size limit: one piece, as always
    monkeypatch.setattr(pieces_mod, "SPLIT_MIN_BYTES", 1)
    cut = read_table(data, "orders.xlsx")
    assert pieces == [True]
    _same_table(cut, whole)
    # exact values, counted by hand from the way _orders_book writes the sheet
    blank = [i for i in range(300) if i % 37 == 36]  # 36, 73, ..., 295: 8 blank rows
    assert cut.rows == 300 - len(blank) == 292
    assert list(cut.frame.columns) == ["会員番号", "注文日", "金額", "数量", "メモ"]
    assert cut.header_row == 3 and cut.notes == [("note.skipped_title_lines", {"lines": 2})]
    assert cut.row_numbers[:3].tolist() == [4, 5, 6]
    assert cut.row_numbers[36:38].tolist() == [41, 42]  # row 40 (data row 36) is blank
    assert cut.row_numbers[-1] == 3 + 299 + 1 == 303
    assert cut.frame["会員番号"].iloc[[0, 35, 36, -1]].tolist() == ["000000", "000035", "000037", "000299"]
    assert cut.frame["金額"].iloc[[0, 1]].tolist() == ["0.5", "10.5"]
    assert cut.frame["数量"].iloc[[0, 6, 7]].tolist() == ["0", "6", "0"]
    notes = cut.frame["メモ"].dropna().tolist()
    assert notes == [f"メモ&<{i}>" for i in range(0, 300, 50)]


def test_unusual_sheet_xml_is_read_in_one_piece(pieces, monkeypatch):
    data = _orders_book(120)
    commented = _rewrite_sheet(data, lambda x: x.replace(b'<row r="30"', b'<!-- <row r="31"> --><row r="30"', 1))
    table = read_table(commented, "c.xlsx")
    assert pieces == [False]
    assert table.rows == 120 - 3 and table.frame["会員番号"].iloc[-1] == "000119"
    # rows out of order (a late row written first): a piece would hold a row outside its range
    pieces.clear()
    late = b'<row r="123"'

    def move_last_row_first(xml: bytes) -> bytes:
        start = xml.index(late)
        end = xml.index(b"</row>", start) + len(b"</row>")
        row = xml[start:end]
        xml = xml[:start] + xml[end:]
        at = xml.index(b"<sheetData>") + len(b"<sheetData>")
        return xml[:at] + row + xml[at:]

    shuffled = read_table(_rewrite_sheet(data, move_last_row_first), "s.xlsx")
    assert pieces == [False]
    monkeypatch.setattr(pieces_mod, "SPLIT_MIN_BYTES", 1 << 40)
    _same_table(shuffled, read_table(data, "s.xlsx"))


def test_cut_points_are_at_row_tags_in_order():
    rows = b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (i, i, i) for i in range(1, 101))
    xml = bytearray(b"<worksheet><sheetData>" + rows + b"</sheetData></worksheet>")
    body, end, cuts = cut_points(xml, 4)
    assert xml[body:body + 4] == b"<row" and xml[end:end + 12] == b"</sheetData>"
    assert len(cuts) == 3
    for pos, row in cuts:
        assert xml[pos:pos + 10 + len(str(row))] == b'<row r="%d">' % row
    assert [row for _, row in cuts] == sorted({row for _, row in cuts})
    assert cut_points(bytearray(b"<x:worksheet><x:sheetData>" + rows + b"</x:sheetData></x:worksheet>"), 2) is None
    assert cut_points(bytearray(xml.replace(b'<row r="60">', b'<![CDATA[x]]><row r="60">')), 2) is None
    unnumbered = bytearray(xml)
    for i in range(40, 70):
        unnumbered = unnumbered.replace(b'<row r="%d">' % i, b'<row spans="1:1">')
    assert cut_points(unnumbered, 2) is None  # the row where the cut falls has no number


@pytest.mark.parametrize("cores, expected", [(1, 1), (2, 2), (3, 3), (4, 4), (16, 4)])
def test_a_sheet_is_cut_into_one_piece_per_core_up_to_four(monkeypatch, cores, expected):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)), raising=False)
    assert pieces_mod.threads() == expected


def test_pieces_go_through_temporary_files_where_there_is_no_memfd(pieces, monkeypatch):
    data = _orders_book(90)
    in_memory = read_table(data, "m.xlsx")
    monkeypatch.delattr(os, "memfd_create", raising=False)
    fds_before = len(os.listdir("/proc/self/fd"))
    on_disk = read_table(data, "m.xlsx")
    assert pieces == [True, True]
    assert len(os.listdir("/proc/self/fd")) == fds_before  # nothing left open
    _same_table(on_disk, in_memory)
    assert on_disk.rows == 90 - 2 and on_disk.frame["会員番号"].iloc[-1] == "000089"
    assert pieces_mod.SPLIT_MIN_BYTES == 1


@pytest.mark.parametrize("idle, total, cores, expected", [
    (50, 100, 2, 1.0), (0, 100, 2, 0.0), (100, 100, 2, 2.0), (30, 120, 4, 1.0),
])
def test_spare_cores_are_the_idle_share_of_the_machine(monkeypatch, idle, total, cores, expected):
    monkeypatch.setattr(pieces_mod, "cpu_times", lambda: (1000 + idle, 5000 + total))
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)), raising=False)
    assert pieces_mod.spare_cores((1000, 5000)) == pytest.approx(expected)


@pytest.mark.parametrize("spare, expected", [(0.2, []), (0.6, [True]), (1.0, [True])])
def test_a_busy_machine_reads_a_large_sheet_in_one_piece(pieces, monkeypatch, spare, expected):
    monkeypatch.setattr(pieces_mod, "spare_cores", lambda before: spare)
    table = read_table(_orders_book(60), "b.xlsx")
    assert pieces == expected
    assert table.rows == 60 - 1 and table.frame["会員番号"].iloc[-1] == "000059"
