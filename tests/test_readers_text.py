"""loyalty.readers.text and text_careful: separators, quoting and row numbers of text exports."""

from loyalty.readers import read_table


def test_whitespace_separated_cdnow_style_with_crlf():
    data = b" customer_id  date number_of_cds  dollar_value\r\n 00001 19970101  1   11.77\r\n 00002 19970112  5   77.00\r\n"
    table = read_table(data, "cdnow.txt")
    assert table.delimiter == "whitespace"
    assert list(table.frame.columns) == ["customer_id", "date", "number_of_cds", "dollar_value"]
    assert table.frame["customer_id"].tolist() == ["00001", "00002"]
    assert table.row_numbers.tolist() == [2, 3]


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
