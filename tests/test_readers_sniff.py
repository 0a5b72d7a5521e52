"""loyalty.readers.sniff: what kind of file this is, and the files refused before any parsing."""

import gzip

import pytest

from loyalty import limits
from loyalty.errors import LoyaltyError
from loyalty.readers import read_table
from loyalty.readers.sniff import gunzip, sniff_kind


@pytest.mark.parametrize("data, name, kind", [
    (b"PAR1\x00\x00", "export.bin", "parquet"),        # magic bytes, whatever the name
    (b"\x00\x01", "export.parquet", "parquet"),        # the name, when the bytes say nothing
    (b"PK\x03\x04rest", "orders.csv", "excel"),        # a zip container is a workbook
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "orders.xls", "excel"),
    ("会員番号,金額\n1,2\n".encode(), "orders.xlsx", "text"),  # a CSV named like a workbook
    ("会員番号,金額\n1,2\n".encode(), "orders.csv.gz", "text"),
])
def test_the_kind_comes_from_magic_bytes_first_then_the_name(data, name, kind):
    assert sniff_kind(data, name) == kind


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


def test_a_gzip_file_is_read_as_its_content_under_its_own_name():
    data = "会員番号,金額\n0001,100\n".encode()
    table = read_table(gzip.compress(data), "orders.csv.gz")
    assert table.name == "orders.csv.gz"
    assert table.frame.to_dict("list") == {"会員番号": ["0001"], "金額": ["100"]}
    assert gunzip(gzip.compress(data), "orders.csv.gz", limits.Limits()) == data
