"""loyalty.readers.xlsx: sheets, text ids and the row numbers Excel shows."""

import pytest

from loyalty.errors import LoyaltyError
from loyalty.readers import list_sheets, read_table
from tests.readers_books import xlsx_book


def test_xlsx_sheets_text_ids_and_excel_row_numbers():
    data = xlsx_book({"説明": [["この下に表はありません"]],
                      "注文": [["注文明細 出力日 2024/07/01"], [], ["会員番号", "金額"], ["000123", 1200],
                               ["000124", 99.5]]})
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


def test_sheets_are_listed_in_workbook_order_and_text_has_none():
    data = xlsx_book({"b": [["x"]], "a": [["y"]]})
    assert list_sheets(data, "book.xlsx") == ["b", "a"]
    assert list_sheets(b"a,b\n1,2\n", "t.csv") == []


def test_a_sheet_is_chosen_by_index_too():
    data = xlsx_book({"一": [["会員番号"], ["1"]], "二": [["会員番号"], ["2"]]})
    assert read_table(data, "book.xlsx", sheet=1).frame["会員番号"].tolist() == ["2"]
    with pytest.raises(LoyaltyError) as exc:
        read_table(data, "book.xlsx", sheet=2)
    assert "一、二" in str(exc.value)
