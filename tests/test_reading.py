"""Reading exports: encodings, separators, workbooks, row numbers, bad files."""

import io

import pytest
import xlsxwriter

from loyalty.errors import LoyaltyError
from loyalty.reading import decode_text, read_table

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
