"""loyalty.readers.decode: the encodings Japanese systems write, decoded strictly."""

import pytest

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


def test_unknown_encoding_is_refused_with_the_line():
    data = "a,b\n1,2\n".encode() + b"\x81\xff\xfe,3\n"
    with pytest.raises(LoyaltyError) as exc:
        read_table(data, "odd.csv")
    assert exc.value.row == 3 and "CSV UTF-8" in str(exc.value)
