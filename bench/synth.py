"""Synthetic Japanese EC exports for the benchmarks (fixed seed, never committed).

The columns and their shapes follow the sample shop in ``sample_data/``: an order
number shared by the lines of one order, a zero-padded member number, a
``YYYY/MM/DD HH:MM:SS`` order time, product code/name/category, quantity, unit
price, discount, line subtotal, coupon code, sales channel and a 取引区分 column
where about 2% of the lines are returns (negative quantity and subtotal).
Customers follow a heavy-tailed purchase count, as real shops do.

    from bench.synth import write_orders
    path = write_orders(tmpdir, lines=1_000_000, fmt="csv")   # or "csv-cp932", "parquet", "xlsx"
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

HEADER = ["受注番号", "会員番号", "注文日時", "商品コード", "商品名", "カテゴリ", "数量", "単価",
          "値引額", "小計", "クーポンコード", "販売チャネル", "取引区分"]
#: The columns of a narrow extract (what an RFM export needs and no more): "xlsx-narrow".
NARROW = ["受注番号", "会員番号", "注文日時", "小計", "取引区分"]

_PRODUCTS = [
    ("SK-0101", "モイストローション 150mL", "スキンケア", 4180),
    ("SK-0111", "リペアセラムⅡ 30mL", "スキンケア", 7480),
    ("SK-0901", "はじめてのトライアルキット 7日分", "スキンケア", 1650),
    ("SK-0203", "クレンジングバーム 90g", "スキンケア", 3300),
    ("MK-0202", "スキンケアファンデーション 02 ナチュラル", "メイク", 4620),
    ("MK-0310", "ティントリップ 05 ローズ", "メイク", 2200),
    ("BD-0101", "ボディミルク 無香料 200mL", "ボディケア", 2640),
    ("HR-0104", "ダメージケアシャンプー 詰替", "ヘアケア", 1980),
    ("LT-2401", "限定コフレ 2024 ホリデー", "限定品", 8800),
    ("SP-0011", "コラーゲンドリンク 10本", "サプリ", 3960),
    ("GF-0001", "ギフトボックス（小）", "ギフト", 330),
]
_CHANNELS = ["公式EC", "公式アプリ", "楽天市場", "Amazon", "電話注文"]
_CHANNEL_P = [0.52, 0.17, 0.12, 0.09, 0.10]
_COUPONS = ["WELCOME10", "BDAY15", "SPRING500"]
_WRITE = pacsv.WriteOptions(include_header=False, quoting_style="none", batch_size=1 << 16)


def orders_table(lines: int, seed: int = 42, customers: int | None = None) -> pa.Table:
    """A transaction table of ``lines`` order lines, every column text.

    Args:
        lines: number of order lines.
        seed: random seed (the same seed gives the same table).
        customers: number of distinct members (default: one per ten lines).

    Returns:
        A pyarrow Table with the columns of :data:`HEADER` (all strings).
    """
    rng = np.random.default_rng(seed)
    n_cust = customers or max(lines // 10, 1)
    # orders of 1-3 lines; each order belongs to one customer and one moment
    per_order = rng.choice([1, 2, 3], size=lines, p=[0.6, 0.3, 0.1])
    order_of_line = np.repeat(np.arange(len(per_order)), per_order)[:lines]
    n_orders = int(order_of_line[-1]) + 1
    weights = rng.pareto(1.3, n_cust) + 1.0
    cust_of_order = rng.choice(n_cust, size=n_orders, p=weights / weights.sum())
    start = np.datetime64("2023-01-01T09:00:00", "s").astype(np.int64)
    span = 2 * 365 * 86400
    t_order = np.sort(rng.integers(0, span, n_orders)) + start
    cust = cust_of_order[order_of_line]
    ts = t_order[order_of_line]
    prod = rng.integers(0, len(_PRODUCTS), lines)
    price = np.array([p[3] for p in _PRODUCTS])[prod]
    qty = rng.choice([1, 1, 1, 2, 3], size=lines)
    ret = rng.random(lines) < 0.02
    qty = np.where(ret, -qty, qty)
    coupon_pick = rng.integers(0, len(_COUPONS) * 8, n_orders)[order_of_line]
    has_coupon = coupon_pick < len(_COUPONS)
    disc = np.where(has_coupon, (price * np.abs(qty) * 0.1).round().astype(np.int64), 0) * np.sign(qty)
    subtotal = price * qty - disc
    channel = rng.choice(len(_CHANNELS), size=n_orders, p=_CHANNEL_P)[order_of_line]

    def text(a) -> pa.Array:
        return pc.cast(pa.array(a), pa.string())

    order_no = text(order_of_line.astype(np.int64) + 2023000000001)
    member = pc.utf8_lpad(text(cust.astype(np.int64) + 1000), 7, "0")
    when = _timestamps_text(ts)
    codes = pa.array([p[0] for p in _PRODUCTS])
    names = pa.array([p[1] for p in _PRODUCTS])
    cats = pa.array([p[2] for p in _PRODUCTS])
    coupon = pa.array(_COUPONS).take(pa.array(coupon_pick % len(_COUPONS), mask=~has_coupon))
    return pa.table({
        "受注番号": order_no,
        "会員番号": member,
        "注文日時": when,
        "商品コード": codes.take(prod),
        "商品名": names.take(prod),
        "カテゴリ": cats.take(prod),
        "数量": text(qty),
        "単価": text(price),
        "値引額": text(disc),
        "小計": text(subtotal),
        "クーポンコード": coupon,
        "販売チャネル": pa.array(_CHANNELS).take(channel),
        "取引区分": pa.array(np.where(ret, "返品", "購入")),
    })


def _timestamps_text(ts: np.ndarray) -> pa.Array:
    """Epoch seconds as "YYYY/MM/DD HH:MM:SS" text (formatted once per distinct day and second)."""
    day, sec = np.divmod(ts, 86400)
    first = int(day.min())
    days = pc.strftime(pa.array(np.arange(first, int(day.max()) + 1).astype("datetime64[D]")),
                       format="%Y/%m/%d")
    clock = pc.strftime(pa.array(np.arange(86400).astype("datetime64[s]")), format="%H:%M:%S")
    return pc.binary_join_element_wise(days.take(pa.array(day - first)), clock.take(pa.array(sec)), " ")


def csv_bytes(table: pa.Table) -> bytes:
    """The table as a UTF-8 CSV export (header line, quotes only where needed)."""
    sink = pa.BufferOutputStream()
    sink.write((",".join(table.column_names) + "\n").encode("utf-8"))
    pacsv.write_csv(table, sink, _WRITE)
    return sink.getvalue().to_pybytes()


def write_orders(folder: str | Path, lines: int, fmt: str = "csv", seed: int = 42) -> Path:
    """Write a synthetic export into ``folder`` and return its path.

    Args:
        folder: a (temporary) directory.
        lines: number of order lines.
        fmt: "csv" (UTF-8), "csv-cp932", "parquet" (typed columns, as a warehouse
            extract would be), "xlsx" (one sheet, written with XlsxWriter) or
            "xlsx-narrow" (the same lines with the :data:`NARROW` columns only).
        seed: random seed.

    Returns:
        The file path.
    """
    folder = Path(folder)
    table = orders_table(lines, seed)
    if fmt == "csv":
        path = folder / f"orders_{lines}.csv"
        if lines <= 2_000_000:
            path.write_bytes(csv_bytes(table))
        else:
            with open(path, "wb") as fh:
                fh.write((",".join(table.column_names) + "\n").encode("utf-8"))
                with pacsv.CSVWriter(fh, table.schema, write_options=_WRITE) as w:
                    for batch in table.to_batches(max_chunksize=1 << 18):
                        w.write_batch(batch)
    elif fmt == "csv-cp932":
        path = folder / f"orders_{lines}_cp932.csv"
        path.write_bytes(csv_bytes(table).decode("utf-8").encode("cp932"))
    elif fmt == "parquet":
        import pyarrow.parquet as pq

        path = folder / f"orders_{lines}.parquet"
        typed = pa.table({
            "受注番号": table["受注番号"],
            "会員番号": table["会員番号"],
            "注文日時": pc.strptime(table["注文日時"], format="%Y/%m/%d %H:%M:%S", unit="s"),
            "商品コード": table["商品コード"],
            "商品名": table["商品名"],
            "カテゴリ": table["カテゴリ"],
            "数量": pc.cast(table["数量"], pa.int32()),
            "単価": pc.cast(table["単価"], pa.int64()),
            "値引額": pc.cast(table["値引額"], pa.int64()),
            "小計": pc.cast(table["小計"], pa.int64()),
            "クーポンコード": table["クーポンコード"],
            "販売チャネル": table["販売チャネル"],
            "取引区分": table["取引区分"],
        })
        pq.write_table(typed, path, row_group_size=1 << 20)
    elif fmt == "xlsx":
        path = folder / f"orders_{lines}.xlsx"
        _write_xlsx(table, path)
    elif fmt == "xlsx-narrow":
        path = folder / f"orders_{lines}_narrow.xlsx"
        _write_xlsx(table, path, NARROW)
    else:
        raise ValueError(fmt)
    return path


def _write_xlsx(table: pa.Table, path: Path, header: list[str] = HEADER) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    ws = wb.add_worksheet("注文明細")
    ws.write_row(0, 0, header)
    numeric = {"数量", "単価", "値引額", "小計"}
    cols = []
    for name in header:
        col = table[name]
        if name in numeric:
            cols.append(pc.cast(col, pa.int64()).to_numpy().tolist())
        else:
            cols.append(col.to_pylist())
    for i, row in enumerate(zip(*cols), start=1):
        ws.write_row(i, 0, row)
    wb.close()
