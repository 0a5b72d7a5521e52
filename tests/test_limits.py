"""Every limit in loyalty.limits is a named, documented setting that is enforced:
each test lowers one limit through its environment variable (the way an
administrator would) and shows that a file just over it is refused with a
message naming the file, and one at it is read.  Workbook checks are shown to
happen before any parsing (the Excel parser is replaced by one that fails)."""

from __future__ import annotations

import dataclasses
import gzip
import io
import re
import tomllib
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import xlsxwriter

from loyalty import limits
from loyalty.errors import LoyaltyError
from loyalty.readers import read_path, read_table
from tests.helpers import ROOT



def _rows_csv(n: int, extra: str = "") -> bytes:
    lines = ["会員番号,購入日,金額"] + [f"{i:04d},2024/05/01,{100 + i}{extra}" for i in range(n)]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _xlsx(rows: list[list]) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("注文")
    for r, row in enumerate(rows):
        ws.write_row(r, 0, row)
    wb.close()
    return buf.getvalue()


def _parquet(n_rows: int, n_cols: int) -> bytes:
    table = pa.table({f"c{j}": [str(i) for i in range(n_rows)] for j in range(n_cols)})
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def _refused(data: bytes, name: str, words: str) -> LoyaltyError:
    with pytest.raises(LoyaltyError) as info:
        read_table(data, name)
    assert info.value.file == name and words in info.value.message("ja"), info.value.message("ja")
    return info.value


@pytest.fixture
def no_parser(monkeypatch):
    """Fail loudly if the Excel parser is reached (the checks must come first)."""
    import fastexcel

    def boom(*a, **k):
        raise AssertionError("the workbook was parsed before the limit was checked")

    monkeypatch.setattr(fastexcel, "read_excel", boom)


# ------------------------------------------------------------------ the settings themselves


def test_defaults_and_names():
    d = limits.Limits()
    assert dataclasses.asdict(d) == {
        "LOYALTY_MAX_FILE_MB": 1000, "LOYALTY_MAX_ROWS": 20_000_000, "LOYALTY_MAX_COLUMNS": 1000,
        "LOYALTY_MAX_CELL_CHARS": 32_767, "LOYALTY_XLSX_MAX_UNCOMPRESSED_MB": 1000,
        "LOYALTY_XLSX_MAX_ENTRIES": 10_000, "LOYALTY_XLSX_MAX_RATIO": 200,
        "LOYALTY_MAX_AMOUNT": 10_000_000_000_000,
    }


def test_every_limit_has_an_enforcement_test_here():
    source = Path(__file__).read_text(encoding="utf-8")
    for f in dataclasses.fields(limits.Limits):
        assert f'setenv("{f.name}"' in source, f"{f.name} has no test that sets it"


def test_amounts_beyond_the_amount_limit_are_bad_amounts(monkeypatch):
    from loyalty.pipeline import InputFile, load_dataset

    monkeypatch.setenv("LOYALTY_MAX_AMOUNT", "1,000")
    data = "会員番号,購入日,金額\n1,2024/05/01,1000\n2,2024/05/01,1001\n3,2024/05/01,-1001\n".encode()
    r = load_dataset([InputFile("amounts.csv", data)]).transactions.report
    assert (r.rows_used, r.excluded_by_reason["bad_amount"]) == (1, 2)
    assert r.excluded["row"].tolist() == [3, 4]


def test_environment_overrides_and_separators(monkeypatch):
    monkeypatch.setenv("LOYALTY_MAX_ROWS", "1_000")
    monkeypatch.setenv("LOYALTY_MAX_COLUMNS", " 2,000 ")
    lim = limits.current()
    assert (lim.LOYALTY_MAX_ROWS, lim.LOYALTY_MAX_COLUMNS, lim.LOYALTY_MAX_FILE_MB) == (1000, 2000, 1000)


@pytest.mark.parametrize("value", ["200MB", "-5", "0", "1.5", "ten", "1,00"])
def test_a_bad_setting_is_reported_not_ignored(monkeypatch, value):
    monkeypatch.setenv("LOYALTY_MAX_FILE_MB", value)
    with pytest.raises(LoyaltyError) as info:
        read_table(b"a,b\n1,2\n", "x.csv")
    msg = info.value.message("ja")
    assert "LOYALTY_MAX_FILE_MB" in msg and value in msg and "1,000" in msg
    assert "LOYALTY_MAX_FILE_MB" in info.value.message("en")


def test_upload_limit_in_the_streamlit_config_is_the_file_limit():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] == limits.Limits().LOYALTY_MAX_FILE_MB


# ------------------------------------------------------------------ file size


def test_file_size(monkeypatch, tmp_path):
    monkeypatch.setenv("LOYALTY_MAX_FILE_MB", "1")
    big = _rows_csv(60_000)  # about 1.3 MB
    assert len(big) > 2**20
    err = _refused(big, "big.csv", "ファイルが大きすぎます")
    assert "上限 1 MB" in err.message("ja")
    path = tmp_path / "big.csv"
    path.write_bytes(big)
    with pytest.raises(LoyaltyError):
        read_path(path)  # the command line checks the size before reading the file
    assert read_table(_rows_csv(40_000), "ok.csv").rows == 40_000  # under 1 MB


def test_file_size_applies_to_gzip_content_once_decompressed(monkeypatch):
    monkeypatch.setenv("LOYALTY_MAX_FILE_MB", "1")
    packed = gzip.compress(_rows_csv(60_000), mtime=0)
    assert len(packed) < 2**20 < len(gzip.decompress(packed))
    _refused(packed, "orders.csv.gz", "gzip を展開すると上限 1 MB を超えます")
    assert read_table(gzip.compress(_rows_csv(10), mtime=0), "orders.csv.gz").rows == 10


# ------------------------------------------------------------------ rows


def test_rows_in_a_text_file(monkeypatch):
    monkeypatch.setenv("LOYALTY_MAX_ROWS", "3")
    _refused(_rows_csv(4), "four.csv", "行が多すぎます（4行、上限 3行）")
    assert read_table(_rows_csv(3), "three.csv").rows == 3


def test_rows_in_a_text_file_read_by_the_careful_parser(monkeypatch):
    monkeypatch.setenv("LOYALTY_MAX_ROWS", "3")
    quoted = '"会員番号","購入日","金額"\n' + "".join(f'"{i}","2024/05/01","1,0{i}0"\n\n' for i in range(4))
    _refused(quoted.encode(), "quoted.csv", "行が多すぎます")


def test_rows_in_a_workbook(monkeypatch):
    monkeypatch.setenv("LOYALTY_MAX_ROWS", "3")
    rows = [["会員番号", "購入日", "金額"]] + [[f"{i:04d}", "2024/05/01", 100] for i in range(4)]
    _refused(_xlsx(rows), "four.xlsx", "行が多すぎます")
    assert read_table(_xlsx(rows[:4]), "three.xlsx").rows == 3


def test_rows_in_parquet_are_checked_from_its_metadata(monkeypatch):
    monkeypatch.setenv("LOYALTY_MAX_ROWS", "3")
    _refused(_parquet(4, 2), "four.parquet", "行が多すぎます（4行")
    assert read_table(_parquet(3, 2), "three.parquet").rows == 3


# ------------------------------------------------------------------ columns


def test_columns(monkeypatch):
    monkeypatch.setenv("LOYALTY_MAX_COLUMNS", "3")
    _refused(b"a,b,c,d\n1,2,3,4\n", "wide.csv", "列が多すぎます（4列、上限 3列）")
    _refused(_xlsx([["a", "b", "c", "d"], [1, 2, 3, 4]]), "wide.xlsx", "列が多すぎます（4列")
    _refused(_parquet(2, 4), "wide.parquet", "列が多すぎます（4列")
    assert list(read_table(b"a,b,c\n1,2,3\n", "ok.csv").frame.columns) == ["a", "b", "c"]


# ------------------------------------------------------------------ cell length


def test_cell_length(monkeypatch):
    monkeypatch.setenv("LOYALTY_MAX_CELL_CHARS", "10")
    err = _refused("会員番号,メモ\n1,短い\n2,とても長いメモがここにあります\n".encode(), "memo.csv",
                   "セルの文字数が多すぎます（15文字、上限 10文字）")
    assert (err.row, err.column) == (3, "メモ")
    assert read_table("会員番号,メモ\n1,ちょうど十文字のメモ\n".encode(), "ok.csv").rows == 1


def test_cell_length_stops_an_unclosed_quote_swallowing_the_file(monkeypatch):
    monkeypatch.setenv("LOYALTY_MAX_CELL_CHARS", "20")
    text = '会員番号,メモ\n1,"閉じ忘れ\n' + "".join(f"{i},次の行\n" for i in range(2, 30))
    err = _refused(text.encode(), "open.csv", "上限 20 文字を超えています")
    assert err.row == 2


# ------------------------------------------------------------------ workbook containers


@pytest.mark.slow
def test_decompressed_size_is_checked_before_parsing(monkeypatch, no_parser):
    monkeypatch.setenv("LOYALTY_XLSX_MAX_UNCOMPRESSED_MB", "1")
    rows = [["会員番号", "メモ"]] + [[f"{i:05d}", f"メモ{i}" * 5] for i in range(20_000)]
    book = _xlsx(rows)
    total = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(book)).infolist())
    assert total > 2**20 > len(book)
    _refused(book, "big.xlsx", "展開後のサイズが大きすぎます")


def test_entry_count_is_checked_before_parsing(monkeypatch, no_parser):
    book = _xlsx([["会員番号", "金額"], ["1", 100]])
    entries = len(zipfile.ZipFile(io.BytesIO(book)).infolist())
    monkeypatch.setenv("LOYALTY_XLSX_MAX_ENTRIES", str(entries - 1))
    _refused(book, "parts.xlsx", f"{entries:,}個の要素、上限 {entries - 1:,}")


def _high_ratio_book() -> bytes:
    """A real workbook whose sheet is 11.6 MB of one repeated row (deflate level 9: ratio ~290)."""
    src = zipfile.ZipFile(io.BytesIO(_xlsx([["会員番号", "購入日", "金額"], ["0001", "2024/05/01", 100]])))
    xml = src.read("xl/worksheets/sheet1.xml").decode()
    row = ('<row><c t="inlineStr"><is><t>0001</t></is></c>'
           '<c t="inlineStr"><is><t>2024/05/01</t></is></c><c><v>100</v></c></row>')
    body = xml.replace("</sheetData>", row * 110_000 + "</sheetData>").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for info in src.infolist():
            z.writestr(info.filename, body if info.filename == "xl/worksheets/sheet1.xml" else src.read(info))
    return out.getvalue()


def test_compression_ratio(monkeypatch):
    book = _high_ratio_book()
    info = zipfile.ZipFile(io.BytesIO(book)).getinfo("xl/worksheets/sheet1.xml")
    ratio = info.file_size // info.compress_size
    assert info.file_size > 10 * 2**20 and 200 < ratio < 1000
    err = _refused(book, "ratio.xlsx", f"{ratio:,} 倍に展開されます")
    assert "xl/worksheets/sheet1.xml" in err.message("ja")
    monkeypatch.setenv("LOYALTY_XLSX_MAX_RATIO", "1000")
    assert read_table(book, "ratio.xlsx").rows == 110_001


def test_the_limits_table_in_the_readme_names_each_setting_once():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for f in dataclasses.fields(limits.Limits):
        assert len(re.findall(rf"^\| `{f.name}` \|", readme, re.M)) == 1, f.name
