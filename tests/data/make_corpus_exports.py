"""Make the corpus of ordinary business exports that used to give wrong figures silently.

``python tests/data/make_corpus_exports.py [FOLDER]`` writes the files (by default into
``tests/data/generated/exports/``, which git ignores); ``tests/test_corpus_exports.py``
calls :func:`make` at test time.  Every file is byte-for-byte reproducible.

Each file dresses a set of real lines (what a person reading the export sees as
orders, returns and customers) the way business systems and Excel users do: totals
and subtotal rows, a customer table split across two files, return markers in
half-width kana and other words, amounts written inf / 1e308 / with currency codes,
the same file twice, recency in months, a bought-and-cancelled order, and definition
files with infinite weights or 200,000 levels of nesting.  Encodings (UTF-8, UTF-8
with BOM, CP932), formats (CSV, TSV, .xlsx by XlsxWriter and openpyxl) and layouts
(title lines, two header rows) vary across the files.

:data:`TX_TRUTH` holds the real lines of each transaction file and :data:`CU_TRUTH`
the real customers of each customer table; the test computes R/F/M from them with
plain pandas and compares.  What the checks must exclude or say is written by hand
in the test, not here.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
FOLDER = HERE / "generated" / "exports"
FIXED_TIME = dt.datetime(2024, 7, 1, 9, 0, 0)


@dataclass(frozen=True)
class Tx:
    """One real transaction line.

    Attributes:
        customer: the customer id.
        day: the order date (ISO).
        amount: the signed amount (a return or cancellation negative).
        order: the order key (the order id; a file without order ids gives each line its own).
        is_order: whether the line makes an order (a positive purchase, not a return).
    """

    customer: str
    day: str
    amount: float
    order: str
    is_order: bool = True


@dataclass(frozen=True)
class Cu:
    """One real customer of a customer-level export (recency in days)."""

    customer: str
    recency_days: float
    frequency: float
    monetary: float


#: The orders behind most transaction files (as-of date 2024-06-30: C002's 2023-05-01
#: order is outside the 365-day window).
BASE = [
    Tx("C001", "2024-06-28", 12000, "A001"), Tx("C001", "2024-05-10", 8000, "A002"),
    Tx("C001", "2024-01-15", 30000, "A003"), Tx("C002", "2024-06-01", 5000, "A004"),
    Tx("C002", "2023-05-01", 7000, "A005"), Tx("C003", "2024-03-03", 150000, "A006"),
    Tx("C004", "2024-06-30", 2500, "A007"), Tx("C004", "2024-06-30", 1500, "A008"),
    Tx("C005", "2023-12-24", 45000, "A009"),
]
PRODUCTS = ["化粧水", "美容液", "乳液", "クレンジング", "洗顔料", "日焼け止め", "ハンドクリーム", "シャンプー", "リップ"]

TX_TRUTH: dict[str, list[Tx]] = {}
CU_TRUTH: dict[str, list[Cu]] = {}
FILES: dict[str, bytes] = {}


def _slash(day: str) -> str:
    return day.replace("-", "/")


def _kanji(day: str) -> str:
    y, m, d = (int(x) for x in day.split("-"))
    return f"{y}年{m}月{d}日"


def _csv(rows: list[list], *, sep: str = ",", encoding: str = "utf-8", bom: bool = False,
         newline: str = "\r\n") -> bytes:
    """Delimited text as a spreadsheet saves it: cells holding the separator are quoted."""
    buf = io.StringIO()
    csv.writer(buf, delimiter=sep, lineterminator=newline).writerows(
        [["" if c is None else str(c) for c in row] for row in rows])
    return (b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode(encoding)


def _xlsxwriter(rows: list[list], *, sheet: str = "明細") -> bytes:
    """A workbook by XlsxWriter: text as text, numbers as numbers, datetimes as date cells."""
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
                                   "strings_to_urls": False})
    wb.set_properties({"created": FIXED_TIME})
    day = wb.add_format({"num_format": "yyyy/mm/dd"})
    ws = wb.add_worksheet(sheet)
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if v is None:
                continue
            if isinstance(v, dt.datetime):
                ws.write_datetime(r, c, v, day)
            elif isinstance(v, (int, float)):
                ws.write_number(r, c, v)
            else:
                ws.write_string(r, c, v)
    wb.close()
    return buf.getvalue()


def _openpyxl(rows: list[list], *, sheet: str = "顧客") -> bytes:
    """A workbook by openpyxl (every value as given; text that starts with = stays text)."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    wb.properties.created = wb.properties.modified = FIXED_TIME
    buf = io.BytesIO()
    wb.save(buf)
    return _fixed_zip_times(buf.getvalue())


def _fixed_zip_times(data: bytes) -> bytes:
    """The same workbook with every zip entry dated FIXED_TIME (openpyxl stamps 'now')."""
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def _add(name: str, data: bytes, *, tx: list[Tx] | None = None, cu: list[Cu] | None = None) -> None:
    FILES[name] = data
    if tx is not None:
        TX_TRUTH[name] = tx
    if cu is not None:
        CU_TRUTH[name] = cu


# --------------------------------------------------------------------------- 1. totals rows


def _totals() -> None:
    total = sum(t.amount for t in BASE)
    rows = [["注文番号", "会員番号", "注文日", "商品名", "金額"]]
    rows += [[t.order, t.customer, _slash(t.day), PRODUCTS[i], f"{t.amount:,.0f}"] for i, t in enumerate(BASE)]
    rows.append(["", "合計", "2024/06/30", "", f"{total:,.0f}"])  # dated: it used to become the top customer
    _add("tx_totals_bottom_cp932.csv", _csv(rows, encoding="cp932"), tx=BASE)

    # subtotal rows per month (the label in the product column, the id empty) and a grand total
    rows = [["注文日", "会員番号", "商品名", "数量", "単価"]]
    month = None
    for i, t in enumerate(sorted(BASE, key=lambda x: x.day)):
        if month is not None and t.day[:7] != month:
            rows.append(["", "", "小計", "", ""])
        month = t.day[:7]
        rows.append([_kanji(t.day), t.customer, PRODUCTS[i], "1", f"{t.amount:.0f}"])
    rows.append(["2024年6月30日", "", " 合 計 ", "9", f"{total:.0f}"])
    rows.append(["", "", "総　計", "", f"{total:.0f}"])
    tx = [Tx(t.customer, t.day, t.amount, f"line{i}") for i, t in enumerate(sorted(BASE, key=lambda x: x.day))]
    _add("tx_subtotals_label_bom.tsv", _csv(rows, sep="\t", bom=True), tx=tx)

    rows = [["売上明細（全店）", None, None], ["出力日: 2024/07/01", None, None], [None, None, None],
            ["CustomerID", "InvoiceDate", "Amount"]]
    rows += [[t.customer, dt.datetime.fromisoformat(t.day), t.amount] for t in BASE]
    rows.append(["Grand Total", dt.datetime(2024, 6, 30), total])
    tx = [Tx(t.customer, t.day, t.amount, f"line{i}") for i, t in enumerate(BASE)]
    _add("tx_grand_total_title.xlsx", _xlsxwriter(rows), tx=tx)

    people = [("K001", "2024-06-30", 12, 180000), ("K002", "2024-06-10", 4, 42000), ("K003", "2024-04-01", 1, 8000),
              ("K004", "2023-12-15", 2, 15000), ("K005", "2024-06-25", 7, 96000), ("K006", "2024-01-31", 3, 31000)]
    as_of = dt.date(2024, 6, 30)
    truth = [Cu(c, (as_of - dt.date.fromisoformat(d)).days, f, m) for c, d, f, m in people]
    rows = [["顧客ID", "最終購入日", "購入回数", "累計購入金額"]]
    rows += [[c, _slash(d), f, f"{m:,}"] for c, d, f, m in people]
    rows.append(["合計", "", sum(p[2] for p in people), f"{sum(p[3] for p in people):,}"])
    _add("cu_totals_bottom.csv", _csv(rows), cu=truth)

    # two header rows, a regional subtotal and a bracketed total (openpyxl)
    rows = [["顧客情報", "購買実績", None, None], ["会員番号", "経過日数", "購入回数", "購入金額"]]
    rows += [[c, (as_of - dt.date.fromisoformat(d)).days, f, m] for c, d, f, m in people[:3]]
    rows.append(["東日本 小計", None, sum(p[2] for p in people[:3]), sum(p[3] for p in people[:3])])
    rows += [[c, (as_of - dt.date.fromisoformat(d)).days, f, m] for c, d, f, m in people[3:]]
    rows.append(["【合計】", None, sum(p[2] for p in people), sum(p[3] for p in people)])
    _add("cu_totals_two_header_rows.xlsx", _openpyxl(rows), cu=truth)

    rows = [["顧客ID", "最終購入からの日数", "購入回数", "購入金額"]]
    rows += [[c, (as_of - dt.date.fromisoformat(d)).days, f, m] for c, d, f, m in people]
    rows += [["ＴＯＴＡＬ", "", "29", "372000"], ["合　計", "", "29", "372000"], ["", "Subtotal", "29", "372000"]]
    _add("cu_totals_fullwidth_cp932.csv", _csv(rows, encoding="cp932"), cu=truth)


# --------------------------------------------------------------------------- 2. split customer tables


def _split() -> None:
    as_of = dt.date(2024, 6, 30)
    east = [("E01", "2024-06-30", 10, 120000), ("E02", "2024-05-01", 3, 30000), ("E03", "2023-11-20", 1, 5000),
            ("S99", "2024-06-15", 6, 64000)]
    west = [("W01", "2024-06-30", 11, 250000), ("W02", "2024-02-02", 2, 12000), ("S99", "2024-01-01", 1, 999),
            ("W03", "2024-06-01", 4, 52000)]
    cu = lambda rows: [Cu(c, (as_of - dt.date.fromisoformat(d)).days, f, m) for c, d, f, m in rows]  # noqa: E731
    rows = [["顧客ID", "最終購入日", "購入回数", "累計購入金額"]] + [[c, _slash(d), f, m] for c, d, f, m in east]
    _add("cu_east.csv", _csv(rows), cu=cu(east))
    rows = [["会員番号", "最終購入日", "購入回数", "購入金額"]] + [[c, _kanji(d), f, f"￥{m:,}"] for c, d, f, m in west]
    _add("cu_west_cp932.csv", _csv(rows, encoding="cp932"), cu=cu(west))
    rows = [["顧客ID", "年代", "NPS"], ["E01", "30代", 9], ["W01", "40代", 10], ["S99", "20代", 6]]
    _add("cu_attributes.xlsx", _xlsxwriter(rows, sheet="属性"))


# --------------------------------------------------------------------------- 3. return markers


def _returns() -> None:
    words = ["ﾍﾝﾋﾟﾝ", "ｷｬﾝｾﾙ", "売上戻り", "戻り", "返金", "返品戻入", "赤伝", "マイナス伝票"]
    rows = [["注文番号", "会員番号", "注文日", "商品名", "金額", "取引区分"]]
    tx = []
    for i, t in enumerate(BASE):
        rows.append([t.order, t.customer, _slash(t.day), PRODUCTS[i], f"{t.amount:.0f}", "通常"])
        tx.append(t)
    for i, w in enumerate(words):  # returns written with a positive amount, each its own slip
        c = BASE[i % len(BASE)]
        rows.append([f"R{i:03d}", c.customer, "2024/06/29", PRODUCTS[i], "1000", w])
        tx.append(Tx(c.customer, "2024-06-29", -1000, f"R{i:03d}", False))
    rows.append(["A100", "C006", "2024/06/20", "リターンズ セット", "3300", "通常"])  # a product, not a return
    rows.append(["A101", "C006", "2024/06/21", "化粧水", "2200", "戻り便"])  # a delivery leg, not a return
    tx += [Tx("C006", "2024-06-20", 3300, "A100"), Tx("C006", "2024-06-21", 2200, "A101")]
    _add("tx_return_words_cp932.csv", _csv(rows, encoding="cp932"), tx=tx)

    # readings in katakana / hiragana / half-width: part of an order returned (same order id)
    rows = [["受注番号", "顧客番号", "受注日", "商品コード", "金額", "売上区分"]]
    tx = []
    for t in BASE:
        rows.append([t.order, t.customer, t.day, "SK-01", f"{t.amount:.0f}", "売上"])
        tx.append(t)
    for w, t in zip(["ヘンピン", "トリケシ", "へんきん", "きゃんせる", "ﾄﾘｹｼ"], BASE[:5]):
        rows.append([t.order, t.customer, "2024-06-30", "SK-01", "500", w])
        tx.append(Tx(t.customer, "2024-06-30", -500, t.order, False))
    _add("tx_return_readings.tsv", _csv(rows, sep="\t"), tx=tx)

    rows = [["InvoiceNo", "CustomerID", "InvoiceDate", "Description", "Amount", "Status"]]
    tx = []
    for t in BASE:
        rows.append([t.order, t.customer, _slash(t.day), "Lotion", t.amount, "Completed"])
        tx.append(t)
    for i, (w, t) in enumerate(zip(["Cancelled", "REFUND", "Void", "返品", "Return to stock"], BASE[::2])):
        rows.append([f"X{i}", t.customer, "2024/06/30", "Lotion", 750, w])
        tx.append(Tx(t.customer, "2024-06-30", -750, f"X{i}", False))
    rows.append(["A200", "C007", "2024/06/15", "Total care set", 4200, "Completed"])  # a product named Total…
    tx.append(Tx("C007", "2024-06-15", 4200, "A200"))
    _add("tx_return_words.xlsx", _openpyxl(rows, sheet="Orders"), tx=tx)


# --------------------------------------------------------------------------- 4. not finite, too large


def _huge() -> None:
    rows = [["会員番号", "購入日", "金額"]] + [[t.customer, _slash(t.day), f"{t.amount:.0f}"] for t in BASE]
    tx = [Tx(t.customer, t.day, t.amount, f"line{i}") for i, t in enumerate(BASE)]
    for bad in ["inf", "-inf", "NaN", "1e308", "1e308", "1e309", "2e13", "Infinity"]:
        rows.append(["C001", "2024/06/29", bad])
    rows.append(["C008", "2024/06/29", "1e13"])  # at the bound: read
    tx.append(Tx("C008", "2024-06-29", 1e13, "big"))
    _add("tx_inf_nan_huge.csv", _csv(rows), tx=tx)

    rows = [["顧客コード", "注文日", "数量", "単価"]]
    rows += [[t.customer, t.day, "2", f"{t.amount / 2:.1f}"] for t in BASE]
    rows += [["C002", "2024-06-29", "1e200", "1e200"], ["C002", "2024-06-29", "3", "9e12"],
             ["C003", "2024-06-29", "100000", "1e9"], ["C003", "2024-06-29", "1e14", "1"]]
    tx = [Tx(t.customer, t.day, t.amount, f"line{i}") for i, t in enumerate(BASE)]
    _add("tx_qty_price_overflow.tsv", _csv(rows, sep="\t", encoding="utf-8", bom=True), tx=tx)

    rows = [["会員番号", "経過日数", "購入回数", "購入金額", "NPS"],
            ["M01", 10, 5, 60000, 9], ["M02", 40, 2, 1e308, 7], ["M03", 200, "inf", 9000, 8],
            ["M04", 75, 3, 31000, "1e400"], ["M05", 5, 12, 130000, 10]]
    truth = [Cu("M01", 10, 5, 60000), Cu("M04", 75, 3, 31000), Cu("M05", 5, 12, 130000)]
    _add("cu_nonfinite.xlsx", _xlsxwriter(rows, sheet="顧客"), cu=truth)


# --------------------------------------------------------------------------- 5. currency codes


def _currency() -> None:
    spellings = ["{:,.0f} JPY", "JPY {:,.0f}", "JPY{:,.0f}", "{:,.0f}円", "¥{:,.0f}", "￥{:,.0f}", "{:.0f} jpy",
                 "ＪＰＹ {:,.0f}", "{:,.0f}"]
    rows = [["注文番号", "会員番号", "注文日", "金額"]]
    rows += [[t.order, t.customer, _slash(t.day), spellings[i].format(t.amount)] for i, t in enumerate(BASE)]
    _add("tx_jpy_codes.csv", _csv(rows), tx=BASE)

    usd = [Tx("U01", "2024-06-30", 12.5, "1"), Tx("U01", "2024-06-01", 40.0, "2"), Tx("U02", "2024-05-05", 7.25, "3"),
           Tx("U03", "2024-01-20", 120.0, "4"), Tx("U02", "2024-06-10", -7.25, "5", False)]
    spell = ["USD 12.50", "40.00 USD", "$7.25", "US$120.00", "-$7.25"]
    rows = [["注文番号", "会員番号", "注文日", "金額"]] + [[t.order, t.customer, _slash(t.day), s]
                                                  for t, s in zip(usd, spell)]
    _add("tx_usd_codes.csv", _csv(rows), tx=usd)

    rows = [["会員番号", "注文日", "金額"]] + [[t.customer, _slash(t.day), f"￥{t.amount:,.0f}"] for t in BASE]
    rows += [["C001", "2024/06/29", "$12.50"], ["C009", "2024/06/29", "USD 99.00"]]
    tx = [Tx(t.customer, t.day, t.amount, f"line{i}") for i, t in enumerate(BASE)]
    _add("tx_mixed_currencies_cp932.csv", _csv(rows, encoding="cp932"), tx=tx)

    gbp = [Tx("G01", "2024-06-30", 8.5, "1"), Tx("G02", "2024-06-02", 12.0, "2"), Tx("G01", "2024-03-03", 8.5, "3")]
    rows = [["InvoiceNo", "CustomerID", "InvoiceDate", "Amount"]]
    rows += [[t.order, t.customer, dt.datetime.fromisoformat(t.day), s]
             for t, s in zip(gbp, ["£8.50", "GBP 12.00", "8.50 GBP"])]
    _add("tx_gbp.xlsx", _xlsxwriter(rows, sheet="Sales"), tx=gbp)

    rows = [["顧客ID", "経過日数", "購入回数", "購入金額"], ["Y01", 3, 4, "50,000 JPY"], ["Y02", 90, 2, "JPY 12,000"],
            ["Y03", 200, 1, "¥8,000"], ["Y04", 15, 9, "USD 300"]]
    truth = [Cu("Y01", 3, 4, 50000), Cu("Y02", 90, 2, 12000), Cu("Y03", 200, 1, 8000)]
    _add("cu_currency_codes.csv", _csv(rows), cu=truth)


# --------------------------------------------------------------------------- 6. the same file twice


def _twins() -> None:
    rows = [["注文番号", "会員番号", "注文日", "金額"]] + [[t.order, t.customer, _slash(t.day), f"{t.amount:.0f}"]
                                                  for t in BASE]
    data = _csv(rows)
    _add("tx_twin_a.csv", data, tx=BASE)
    _add("tx_twin_b.csv", data, tx=BASE)
    rows = [["注文番号", "会員番号", "注文日", "金額"]] + [[t.order, t.customer, dt.datetime.fromisoformat(t.day),
                                                    t.amount] for t in BASE]
    _add("tx_twin_saved_as.xlsx", _xlsxwriter(rows), tx=BASE)


# --------------------------------------------------------------------------- 7. recency units, outcome columns


def _recency() -> None:
    months = [1, 2, 3, 4, 6, 9, 12, 1, 5, 11]
    history = [142.44, 329.08, 180.65, 675.83, 45.34, 134.83, 280.2, 46.42, 675.07, 101.64]
    spend = [0, 0, 0, 0, 0, 0, 0, 0, 29.99, 0]
    rows = [["customer_id", "recency", "history_segment", "history", "mens", "womens", "zip_code", "newbie",
             "channel", "segment", "visit", "conversion", "spend"]]
    for i, (m, h, s) in enumerate(zip(months, history, spend)):
        rows.append([f"H{i:03d}", m, "2) $100 - $200", h, 1, 0, "Urban", 0, "Web", "Mens E-Mail",
                     1 if s else 0, 1 if s else 0, s])
    truth = [Cu(f"H{i:03d}", m * 30, float("nan"), h) for i, (m, h) in enumerate(zip(months, history))]
    _add("cu_hillstrom_like.csv", _csv(rows), cu=truth)

    weeks = [1, 3, 8, 13, 26, 40, 52, 2]
    rows = [["会員番号", "recency", "frequency", "monetary"]]
    rows += [[f"W{i:02d}", w, 3, 20000] for i, w in enumerate(weeks)]
    _add("cu_recency_weeks.tsv", _csv(rows, sep="\t"), cu=[Cu(f"W{i:02d}", w * 7, 3, 20000) for i, w in enumerate(weeks)])

    rows = [["顧客ID", "経過月数", "購入回数", "購入金額"]] + [[f"N{i}", m, 2, 10000] for i, m in enumerate([1, 7, 30, 14])]
    _add("cu_recency_header_months_cp932.csv", _csv(rows, encoding="cp932"),
         cu=[Cu(f"N{i}", m * 30, 2, 10000) for i, m in enumerate([1, 7, 30, 14])])

    rows = [["顧客ID", "最終購入からの日数", "購入回数", "購入金額"]] + [[f"D{i}", d, 5, 60000] for i, d in enumerate([1, 4, 12])]
    _add("cu_recency_days_header.csv", _csv(rows), cu=[Cu(f"D{i}", d, 5, 60000) for i, d in enumerate([1, 4, 12])])


# --------------------------------------------------------------------------- 8. bought and cancelled


def _cancelled() -> None:
    rows = [["InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID"],
            ["536001", "22001", "1", "2011-06-01 09:00", "2.90", "16446"],
            ["581483", "23843", "80995", "2011-12-09 09:15", "2.08", "16446"],
            ["C581484", "23843", "-80995", "2011-12-09 09:27", "2.08", "16446"],
            ["541431", "23166", "74215", "2011-01-18 10:01", "1.04", "12346"],
            ["C541433", "23166", "-74215", "2011-01-18 10:17", "1.04", "12346"],
            ["536002", "22002", "4", "2011-12-01 10:00", "25.00", "17000"],
            ["536003", "22003", "2", "2011-11-01 10:00", "25.00", "17000"]]
    tx = [Tx("16446", "2011-06-01", 2.90, "536001"), Tx("16446", "2011-12-09", 168469.60, "581483"),
          Tx("16446", "2011-12-09", -168469.60, "C581484", False), Tx("12346", "2011-01-18", 77183.60, "541431"),
          Tx("12346", "2011-01-18", -77183.60, "C541433", False), Tx("17000", "2011-12-01", 100.0, "536002"),
          Tx("17000", "2011-11-01", 50.0, "536003")]
    _add("tx_bought_and_cancelled.csv", _csv(rows, newline="\n"), tx=tx)


# --------------------------------------------------------------------------- 9. hostile definitions


def _definitions() -> None:
    base = {"schema": "loyalty-definition", "version": 1, "name": "悪い定義"}
    d = dict(base, factors=[{"key": "recency", "weight": 30}, {"key": "frequency", "weight": 30},
                            {"key": "monetary", "weight": 40}])
    FILES["def_weight_infinity.json"] = json.dumps(d).replace('"weight": 40', '"weight": Infinity').encode()
    FILES["def_weight_1e308.json"] = json.dumps(d).replace('"weight": 30', '"weight": 1e308').encode()
    FILES["def_deep.json"] = ("[" * 200_000 + "]" * 200_000).encode()
    FILES["def_nan_cut.json"] = json.dumps(dict(base, rfm={"monetary": [10000, 30000, 50000, 1]})) \
        .replace("[10000, 30000, 50000, 1]", "[10000, 30000, 50000, NaN]").encode()


for _make in (_totals, _split, _returns, _huge, _currency, _twins, _recency, _cancelled, _definitions):
    _make()


def make(folder: Path = FOLDER) -> dict[str, Path]:
    """Write every file of the corpus into ``folder``.

    Returns:
        file name -> path.
    """
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, data in FILES.items():
        path = folder / name
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
        out[name] = path
    return out


if __name__ == "__main__":
    paths = make(Path(sys.argv[1]) if len(sys.argv) > 1 else FOLDER)
    print(f"{len(paths)} files in {next(iter(paths.values())).parent}")
