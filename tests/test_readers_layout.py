"""loyalty.readers.layout: separators, title lines and header rows."""

from loyalty.readers import read_table


def test_file_without_header_gets_numbered_columns():
    table = read_table(b"00004 0001 19970101  2  29.33\n00004 0001 19970118  2  29.73\n", "sample.txt")
    assert table.header_row is None
    assert list(table.frame.columns) == ["列1", "列2", "列3", "列4", "列5"]
    assert table.row_numbers.tolist() == [1, 2]


def test_duplicate_and_blank_headers_are_named():
    table = read_table(b"id,amount,amount,\n1,2,3,4\n", "d.csv")
    assert list(table.frame.columns) == ["id", "amount", "amount (2)", "列4"]
