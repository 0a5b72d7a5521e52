"""Reading exports: encodings, separators, workbooks, row numbers, bad files."""

import io

import pytest
import xlsxwriter

from loyalty.errors import LoyaltyError
from loyalty.readers import decode_text, read_table

TEXT = "会員番号,商品名,金額\n000123,①美容液㈱髙﨑,1000\n000456,化粧水,2000\n"


@pytest.mark.parametrize("encoding, expected", [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp932", "cp932"), ("euc_jp", "euc_jp"),
    ("utf-16", "utf-16"),
])
def test_encodings_are_detected_and_text_survives(encoding, expected):
    text = TEXT if encoding != "euc_jp" else TEXT.replace("①", "1").replace("㈱", "(株)").replace("髙", "高").replace("﨑", "崎")
    table = read_table(text.encode(encoding), "x.csv")
    assert table.encoding == expected
    assert table.frame["会員番号"].tolist() == ["000123", "000456"]
    assert table.frame.iloc[0, 1] == text.splitlines()[1].split(",")[1]


def test_shift_jis_extensions_need_cp932():
    data = "名前\n①㈱髙﨑\n".encode("cp932")
    with pytest.raises(UnicodeDecodeError):
        data.decode("shift_jis")
    assert decode_text(data, "a.csv") == ("名前\n①㈱髙﨑\n", "cp932")


def test_utf16_tab_separated_unicode_text_from_excel():
    data = "会員番号\t金額\r\n0001\t100\r\n".encode("utf-16")
    table = read_table(data, "unicode.txt")
    assert (table.encoding, table.delimiter) == ("utf-16", "\t")
    assert table.frame.to_dict("list") == {"会員番号": ["0001"], "金額": ["100"]}


def test_whitespace_separated_cdnow_style_with_crlf():
    data = b" customer_id  date number_of_cds  dollar_value\r\n 00001 19970101  1   11.77\r\n 00002 19970112  5   77.00\r\n"
    table = read_table(data, "cdnow.txt")
    assert table.delimiter == "whitespace"
    assert list(table.frame.columns) == ["customer_id", "date", "number_of_cds", "dollar_value"]
    assert table.frame["customer_id"].tolist() == ["00001", "00002"]
    assert table.row_numbers.tolist() == [2, 3]


def test_file_without_header_gets_numbered_columns():
    table = read_table(b"00004 0001 19970101  2  29.33\n00004 0001 19970118  2  29.73\n", "sample.txt")
    assert table.header_row is None
    assert list(table.frame.columns) == ["列1", "列2", "列3", "列4", "列5"]
    assert table.row_numbers.tolist() == [1, 2]


def test_semicolon_and_title_lines_and_blank_lines_keep_row_numbers():
    data = "注文一覧 2024年\n\n顧客ID;金額\n1;10\n\n2;20\n".encode("utf-8")
    table = read_table(data, "t.csv")
    assert table.delimiter == ";"
    assert table.header_row == 3
    assert table.frame["顧客ID"].tolist() == ["1", "2"]
    assert table.row_numbers.tolist() == [4, 6]
    assert ("note.skipped_title_lines", {"lines": 2}) in table.notes


def test_quoted_newlines_and_commas():
    data = '顧客ID,メモ,金額\n1,"改行\nあり",10\n2,"カンマ,あり","1,000"\n'.encode("utf-8")
    table = read_table(data, "q.csv")
    assert table.frame["メモ"].tolist() == ["改行\nあり", "カンマ,あり"]
    assert table.frame["金額"].tolist() == ["10", "1,000"]
    assert table.row_numbers.tolist() == [2, 4]


def test_duplicate_and_blank_headers_are_named():
    table = read_table(b"id,amount,amount,\n1,2,3,4\n", "d.csv")
    assert list(table.frame.columns) == ["id", "amount", "amount (2)", "列4"]


def _xlsx(sheets: dict) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if v is not None:
                    ws.write_string(r, c, v) if isinstance(v, str) else ws.write(r, c, v)
    wb.close()
    return buf.getvalue()


def test_xlsx_sheets_text_ids_and_excel_row_numbers():
    data = _xlsx({"説明": [["この下に表はありません"]],
                  "注文": [["注文明細 出力日 2024/07/01"], [], ["会員番号", "金額"], ["000123", 1200], ["000124", 99.5]]})
    first = read_table(data, "book.xlsx")
    assert first.sheets == ["説明", "注文"]
    assert first.sheet == "注文"  # the first sheet has no table: the first one with data is read
    table = read_table(data, "book.xlsx", sheet="注文")
    assert table.header_row == 3
    assert table.frame.to_dict("list") == {"会員番号": ["000123", "000124"], "金額": ["1200", "99.5"]}
    assert table.row_numbers.tolist() == [4, 5]
    with pytest.raises(LoyaltyError) as exc:
        read_table(data, "book.xlsx", sheet="ない")
    assert "説明、注文" in str(exc.value)


@pytest.mark.parametrize("data, name, words", [
    (b"", "empty.csv", "空です"),
    (b"\xef\xbb\xbf", "bom_only.csv", "空です"),
    ("顧客ID,金額\n".encode(), "header_only.csv", "データの行がありません"),
    (bytes(range(256)) * 20, "junk.csv", "バイナリ"),
    (b"PK\x03\x04garbage-not-a-zip", "broken.xlsx", "Excel ファイルとして読めません"),
    (b"\x00\x01\x02binary", "fake.xlsx", "Excel ファイルとして読めません"),
])
def test_bad_files_give_a_clear_japanese_message_naming_the_file(data, name, words):
    with pytest.raises(LoyaltyError) as exc:
        read_table(data, name)
    msg = str(exc.value)
    assert name in msg and words in msg
    assert exc.value.en and name in exc.value.message("en")


def test_truncated_xlsx_is_refused_clearly():
    data = _xlsx({"s": [["a", "b"], ["1", "2"]]})
    with pytest.raises(LoyaltyError) as exc:
        read_table(data[: len(data) // 2], "cut.xlsx")
    assert "cut.xlsx" in str(exc.value)


def test_unknown_encoding_is_refused_with_the_line():
    data = "a,b\n1,2\n".encode() + b"\x81\xff\xfe,3\n"
    with pytest.raises(LoyaltyError) as exc:
        read_table(data, "odd.csv")
    assert exc.value.row == 3 and "CSV UTF-8" in str(exc.value)


# --- large sheets are parsed in pieces on several threads (loyalty.readers.xlsx_pieces.load_in_pieces)


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
    import loyalty.readers.xlsx_pieces as reading

    outcomes = []
    real = reading.load_in_pieces

    def spy(*args, **kwargs):
        out = real(*args, **kwargs)
        outcomes.append(out is not None)
        return out

    monkeypatch.setattr(reading, "SPLIT_MIN_BYTES", 1)
    monkeypatch.setattr(reading, "threads", lambda: 3)
    monkeypatch.setattr(reading, "spare_cores", lambda before: 2.0)
    monkeypatch.setattr(reading, "load_in_pieces", spy)
    return outcomes


def _same_table(a, b):
    assert a.frame.equals(b.frame)
    assert list(a.frame.columns) == list(b.frame.columns)
    assert a.row_numbers.tolist() == b.row_numbers.tolist()
    assert (a.header_row, a.notes, a.sheet, a.sheets) == (b.header_row, b.notes, b.sheet, b.sheets)


def test_a_sheet_read_in_pieces_gives_the_same_table_as_one_piece(pieces, monkeypatch):
    import loyalty.readers.xlsx_pieces as reading

    data = _orders_book()
    monkeypatch.setattr(reading, "SPLIT_MIN_BYTES", 1 << 40)
    whole = read_table(data, "orders.xlsx")
    assert pieces == []  # under the size limit: one piece, as always
    monkeypatch.setattr(reading, "SPLIT_MIN_BYTES", 1)
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
    import loyalty.readers.xlsx_pieces as reading

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
    monkeypatch.setattr(reading, "SPLIT_MIN_BYTES", 1 << 40)
    _same_table(shuffled, read_table(data, "s.xlsx"))


def test_cut_points_are_at_row_tags_in_order():
    from loyalty.readers.xlsx_pieces import cut_points as _cut_points

    rows = b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (i, i, i) for i in range(1, 101))
    xml = bytearray(b"<worksheet><sheetData>" + rows + b"</sheetData></worksheet>")
    body, end, cuts = _cut_points(xml, 4)
    assert xml[body:body + 4] == b"<row" and xml[end:end + 12] == b"</sheetData>"
    assert len(cuts) == 3
    for pos, row in cuts:
        assert xml[pos:pos + 10 + len(str(row))] == b'<row r="%d">' % row
    assert [row for _, row in cuts] == sorted({row for _, row in cuts})
    assert _cut_points(bytearray(b"<x:worksheet><x:sheetData>" + rows + b"</x:sheetData></x:worksheet>"), 2) is None
    assert _cut_points(bytearray(xml.replace(b'<row r="60">', b'<![CDATA[x]]><row r="60">')), 2) is None
    unnumbered = bytearray(xml)
    for i in range(40, 70):
        unnumbered = unnumbered.replace(b'<row r="%d">' % i, b'<row spans="1:1">')
    assert _cut_points(unnumbered, 2) is None  # the row where the cut falls has no number


@pytest.mark.parametrize("cores, expected", [(1, 1), (2, 2), (3, 3), (4, 4), (16, 4)])
def test_a_sheet_is_cut_into_one_piece_per_core_up_to_four(monkeypatch, cores, expected):
    import os

    import loyalty.readers.xlsx_pieces as reading

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)), raising=False)
    assert reading.threads() == expected


def test_pieces_go_through_temporary_files_where_there_is_no_memfd(pieces, monkeypatch):
    import os

    import loyalty.readers.xlsx_pieces as reading

    data = _orders_book(90)
    in_memory = read_table(data, "m.xlsx")
    monkeypatch.delattr(os, "memfd_create", raising=False)
    fds_before = len(os.listdir("/proc/self/fd"))
    on_disk = read_table(data, "m.xlsx")
    assert pieces == [True, True]
    assert len(os.listdir("/proc/self/fd")) == fds_before  # nothing left open
    _same_table(on_disk, in_memory)
    assert on_disk.rows == 90 - 2 and on_disk.frame["会員番号"].iloc[-1] == "000089"
    assert reading.SPLIT_MIN_BYTES == 1


@pytest.mark.parametrize("idle, total, cores, expected", [
    (50, 100, 2, 1.0), (0, 100, 2, 0.0), (100, 100, 2, 2.0), (30, 120, 4, 1.0),
])
def test_spare_cores_are_the_idle_share_of_the_machine(monkeypatch, idle, total, cores, expected):
    import os

    import loyalty.readers.xlsx_pieces as reading

    monkeypatch.setattr(reading, "cpu_times", lambda: (1000 + idle, 5000 + total))
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)), raising=False)
    assert reading.spare_cores((1000, 5000)) == pytest.approx(expected)


@pytest.mark.parametrize("spare, expected", [(0.2, []), (0.6, [True]), (1.0, [True])])
def test_a_busy_machine_reads_a_large_sheet_in_one_piece(pieces, monkeypatch, spare, expected):
    import loyalty.readers.xlsx_pieces as reading

    monkeypatch.setattr(reading, "spare_cores", lambda before: spare)
    table = read_table(_orders_book(60), "b.xlsx")
    assert pieces == expected
    assert table.rows == 60 - 1 and table.frame["会員番号"].iloc[-1] == "000059"
