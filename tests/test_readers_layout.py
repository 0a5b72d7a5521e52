"""loyalty.readers.layout: one header detector for text files and sheets.

The same layouts are written as a CSV and as a sheet, and both must give the same
table (column names, header row, data row numbers, notes).  Before the detector was
one function, text files and sheets each had their own and they disagreed; the
cases marked "changed" below were read differently before, for the reason given:

* text counted a line's fields, so the empty fields Excel adds when it saves a sheet
  as CSV made a title line ("注文一覧,,,") or a title with a date far to the right
  as wide as the table, and it was taken for the header; a table that starts to the
  right of a title line ("注文一覧,,,,,") likewise;
* sheets counted filled cells, so a header with an unnamed first column (",顧客,日付")
  or a first data row with an empty cell (a file without header) was skipped as a
  title line, and the row under it was taken for the header;
* text looked for a group row only below the row it took for the header, so a
  group row written without trailing separators ("顧客情報,,購入情報") was skipped as
  a title line instead of being combined;
* text split the header line by itself, so a header cell with a line break
  ("購入\\n日", quoted) was cut in two and its second half read as data.

The one case where a text file reads worse than before (as sheets always did): a
title line with more cells than the table has columns is taken for the header.
"""

import csv
import io

import pytest

from loyalty.readers import read_table
from loyalty.readers.layout import Header, Row, find_header, usual_reach
from tests.readers_books import xlsx_book

H = ["会員番号", "購入日", "金額", "店舗"]
D = [["0001", "2024/05/01", "1000", "渋谷"], ["0002", "2024/05/02", "2000", "新宿"],
     ["0003", "2024/05/03", "3000", "池袋"], ["0004", "2024/05/04", "4000", "上野"]]
H3 = H[:3]
D3 = [r[:3] for r in D]
SKIP1 = ("note.skipped_title_lines", {"lines": 1})

#: name: (rows of cells, (column names, header row, data row numbers, notes))
SAME = {
    "plain": ([H, *D], (H, 1, [2, 3, 4, 5], [])),
    "title_lines": ([["注文一覧"], ["出力日: 2024/07/01"], [], H, *D],
                    (H, 4, [5, 6, 7, 8], [("note.skipped_title_lines", {"lines": 3})])),
    # changed (text): the title line and the blank line Excel pads with commas
    "excel_padded_title": ([["注文一覧", "", "", ""], ["", "", "", ""], H, *D],
                           (H, 3, [4, 5, 6, 7], [("note.skipped_title_lines", {"lines": 2})])),
    # changed (text): a title with a date in the last column
    "title_and_date_at_the_right": ([["注文一覧", "", "", "2024/07/01"], H, *D], (H, 2, [3, 4, 5, 6], [SKIP1])),
    # changed (text): the same in a table of three columns
    "narrow_title_and_date_at_the_right": ([["注文一覧", "", "2024/07/01"], H3, *D3],
                                           (H3, 2, [3, 4, 5, 6], [SKIP1])),
    "key_value_title": ([["出力日", "2024/07/01"], H, *D], (H, 2, [3, 4, 5, 6], [SKIP1])),
    # changed (sheets): a header with an unnamed first column
    "unnamed_first_column": ([["", "顧客", "日付", "金額"], *[[str(i), f"C{i}", f"2024/05/0{i}", f"{i}00"]
                                                               for i in range(1, 5)]],
                             (["列1", "顧客", "日付", "金額"], 1, [2, 3, 4, 5], [])),
    # changed (sheets): no header, and an empty cell in the first row
    "no_header_sparse_first_row": ([["1", "", "2024/05/01", "100"], ["2", "x", "2024/05/02", "200"],
                                    ["3", "y", "2024/05/03", "300"], ["4", "z", "2024/05/04", "400"]],
                                   (["列1", "列2", "列3", "列4"], None, [1, 2, 3, 4], [])),
    "no_header": ([r[:3] for r in D], (["列1", "列2", "列3"], None, [1, 2, 3, 4], [])),
    "merged_group_row": ([["顧客情報", "", "購入情報", ""], H, *D],
                         (H, 2, [3, 4, 5, 6], [("note.rel_two_header_rows", {"upper": 1, "lower": 2})])),
    "repeated_group_row": ([["", "", "今回", "今回", "前回", "前回"], ["会員番号", "氏名", "購入日", "金額", "購入日", "金額"],
                            ["0001", "山田", "2024/05/01", "1000", "2024/04/01", "800"],
                            ["0002", "佐藤", "2024/05/02", "2000", "", ""]],
                           (["会員番号", "氏名", "今回 購入日", "今回 金額", "前回 購入日", "前回 金額"], 2, [3, 4],
                            [("note.rel_two_header_rows", {"upper": 1, "lower": 2})])),
    "title_then_group_row": ([["注文一覧"], ["顧客情報", "", "購入情報", ""], H, *D],
                             (H, 3, [4, 5, 6, 7], [SKIP1, ("note.rel_two_header_rows", {"upper": 2, "lower": 3})])),
    # changed (text): the table starts to the right of the title
    "table_right_of_the_title": ([["注文一覧", "", "", "", "", ""], ["", "", "", "", "会員番号", "金額"],
                                  *[["", "", "", "", f"000{i}", f"{i}000"] for i in range(1, 5)]],
                                 (["列1", "列2", "列3", "列4", "会員番号", "金額"], 2, [3, 4, 5, 6], [SKIP1])),
    "far_down_the_file": ([[]] * 70 + [["注文一覧"], H, *D],
                          (H, 72, [73, 74, 75, 76], [("note.skipped_title_lines", {"lines": 71})])),
}


def _csv(rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue().encode("utf-8")


def _read(kind: str, rows: list[list[str]]):
    data = _csv(rows) if kind == "csv" else xlsx_book({"注文": rows})
    return read_table(data, f"orders.{kind}")


def _layout(table):
    return list(table.frame.columns), table.header_row, table.row_numbers.tolist(), table.notes


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
@pytest.mark.parametrize("case", sorted(SAME))
def test_text_files_and_sheets_find_the_same_header(case, kind):
    rows, expected = SAME[case]
    assert _layout(_read(kind, rows)) == expected


def test_a_header_cell_with_a_line_break_is_one_name():
    """changed (text): the header record spans two lines, so the data starts on line 3."""
    rows = [["会員番号", "購入\n日", "金額"], ["0001", "2024/05/01", "1000"], ["0002", "2024/05/02", "2000"]]
    names = ["会員番号", "購入 日", "金額"]
    assert _layout(_read("csv", rows)) == (names, 1, [3, 4], [])
    assert _layout(_read("xlsx", rows)) == (names, 1, [2, 3], [])


def test_a_group_row_without_trailing_separators_is_combined():
    """changed (text): the group row states fewer fields than the header."""
    data = "顧客情報,,購入情報\n会員番号,購入日,金額,店舗\n0001,2024/05/01,1000,渋谷\n".encode()
    assert _layout(read_table(data, "g.csv")) == (H, 2, [3], [("note.rel_two_header_rows", {"upper": 1, "lower": 2})])


def test_a_text_header_with_an_unnamed_last_column():
    """A text record states its empty last field, so the header is as wide as the data.
    (A sheet does not say where a row ends: there such a header counts as a title line,
    as it always did.)"""
    data = "会員番号,購入日,金額,\n" + "".join(f"000{i},2024/05/0{i},{i}000,メモ{i}\n" for i in range(1, 5))
    assert _layout(read_table(data.encode(), "m.csv")) == (H3 + ["列4"], 1, [2, 3, 4, 5], [])


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_title_line_wider_than_the_table_is_taken_for_the_header(kind):
    """The known limit of the rule, on both paths: a title with more cells than the table
    has columns reaches as far as the rows below and is as full as a header."""
    rows = [["売上明細", "2024年1月", "店舗:渋谷", "担当:山田"], H3, *D3]
    assert _layout(_read(kind, rows)) == (["売上明細", "2024年1月", "店舗:渋谷", "担当:山田"], 1, [2, 3, 4, 5, 6], [])


def test_file_without_header_gets_numbered_columns():
    table = read_table(b"00004 0001 19970101  2  29.33\n00004 0001 19970118  2  29.73\n", "sample.txt")
    assert table.header_row is None
    assert list(table.frame.columns) == ["列1", "列2", "列3", "列4", "列5"]
    assert table.row_numbers.tolist() == [1, 2]


def test_duplicate_and_blank_headers_are_named():
    table = read_table(b"id,amount,amount,\n1,2,3,4\n", "d.csv")
    assert list(table.frame.columns) == ["id", "amount", "amount (2)", "列4"]


@pytest.mark.parametrize("reaches, expected", [
    ([4, 4, 4], 4),
    ([1, 4, 4, 3], 4),
    ([3, 4], 3),           # a tie with the first row's reach keeps it (a header over an extra field)
    ([3, 4, 4, 3], 3),
    ([1, 3], 3),           # ... unless the first row is a single cell: the farther reach wins
    ([1, 1, 2, 2, 3], 2),
])
def test_the_usual_reach_is_the_most_common_and_ties_keep_the_first_row(reaches, expected):
    assert usual_reach(reaches) == expected


def test_find_header_on_rows_directly():
    rows = [Row(0, 1, ["注文一覧", "", "", ""], 4),
            Row(2, 3, ["会員番号", "購入日", "金額", ""], 4),
            Row(3, 4, ["0001", "2024/05/01", "1000", "メモ"], 4),
            Row(4, 6, ["0002", "2024/05/02", "2000", "改行\nあり"], 4)]
    assert find_header(rows) == Header(top=2, data=3, names=["会員番号", "購入日", "金額", "列4"], header_row=3,
                                       notes=[("note.skipped_title_lines", {"lines": 2})])
    assert find_header([]) == Header(top=0, data=0, names=[], header_row=None)
    values = [Row(5, 6, ["0001", "2024/05/01", "1000"], 3), Row(6, 8, ["0002", "2024/05/02", "2,000"], 3)]
    assert find_header(values) == Header(top=5, data=5, names=["列1", "列2", "列3"], header_row=None)
