"""Benchmark: writing a 100,000-customer scored table as a formatted workbook and as CSV.

Writers compared (each in its own fresh process, so peak memory is its own):

* ``excel_bytes``          — ours: XlsxWriter builds the workbook, Arrow writes the body.
* ``excel_bytes fast=False`` — ours, every cell through XlsxWriter (constant_memory).
* ``openpyxl``             — a straightforward formatted equivalent: ``ws.append`` per row,
  then number formats per cell, header style, freeze, autofilter, widths.
* ``openpyxl write_only``  — the same with openpyxl's streaming mode and styled cells.
* ``csv_bytes`` UTF-8 with BOM and CP932.

Time is the median of ``--runs`` runs (default 3).  Peak memory is the process's peak
resident set size during the runs minus its size just before them (the frame already
built), from ``/proc/self/status`` (VmHWM / VmRSS).

Usage::

    python bench/bench_export.py [--rows 100000] [--runs 3] [--only NAME]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from measure import reset_peak_rss, status_kib  # noqa: E402
from loyalty.export import Sheet, csv_bytes, excel_bytes  # noqa: E402

KINDS = {
    "顧客ID": "text",
    "最終購入日": "date",
    "経過日数": "int",
    "購入回数": "int",
    "購入金額": "yen",
    "Rスコア": "int",
    "Fスコア": "int",
    "Mスコア": "int",
    "総合スコア": "score",
    "ティア": "text",
    "セグメント": "text",
    "LTV": "yen",
    "構成比": "pct",
}


def scored_table(n: int, seed: int = 0) -> pd.DataFrame:
    """A realistic scored customer table with ``n`` rows (deterministic)."""
    rng = np.random.default_rng(seed)
    as_of = pd.Timestamp("2024-12-31")
    recency = rng.integers(0, 730, n)
    frequency = rng.geometric(0.35, n)
    monetary = (rng.lognormal(9.5, 1.0, n) * frequency).round()
    r = 5 - np.digitize(recency, [30, 60, 90, 180])
    f = np.digitize(frequency, [2, 3, 5, 10]) + 1
    m = np.digitize(monetary, [10_000, 30_000, 50_000, 100_000]) + 1
    score = (r * 30 + f * 20 + m * 50) / 5.0
    tier = np.where(score >= 80, "最重要顧客", np.where(score >= 50, "中堅層", "低貢献層"))
    segments = np.array(["Champions", "Loyal", "Potential", "At risk", "Hibernating", "新規・育成中"])
    return pd.DataFrame(
        {
            "顧客ID": pd.Series([f"{i:07d}" for i in rng.permutation(n) + 1], dtype="str"),
            "最終購入日": as_of - pd.to_timedelta(recency, unit="D"),
            "経過日数": recency,
            "購入回数": frequency,
            "購入金額": monetary,
            "Rスコア": r,
            "Fスコア": f,
            "Mスコア": m,
            "総合スコア": score,
            "ティア": pd.Series(tier, dtype="str"),
            "セグメント": pd.Series(segments[rng.integers(0, len(segments), n)], dtype="str"),
            "LTV": (monetary * rng.uniform(1.5, 4.0, n)).round(),
            "構成比": monetary / monetary.sum(),
        }
    )


# ------------------------------------------------------------------ writers


def write_ours(df: pd.DataFrame) -> bytes:
    return excel_bytes([Sheet("顧客スコア", df, KINDS, title=["ロイヤル顧客スコア一覧", "基準日 2024/12/31"])])


def write_ours_cells(df: pd.DataFrame) -> bytes:
    sheet = Sheet("顧客スコア", df, KINDS, title=["ロイヤル顧客スコア一覧", "基準日 2024/12/31"])
    return excel_bytes([sheet], fast=False)


_OPENPYXL_FORMATS = {
    "text": "@",
    "int": "#,##0",
    "yen": '"¥"#,##0;-"¥"#,##0',
    "score": "0.0",
    "pct": "0.0%",
    "date": "yyyy/mm/dd",
}


def _openpyxl_rows(df: pd.DataFrame):
    frame = df.astype(object).where(df.notna(), None)
    frame["最終購入日"] = df["最終購入日"].dt.to_pydatetime()
    return frame.itertuples(index=False, name=None)


def _openpyxl_widths(df: pd.DataFrame) -> list[float]:
    return [min(max(len(str(c)) * 2, int(df[c].astype(str).str.len().max())) + 2, 50) for c in df.columns]


def write_openpyxl(df: pd.DataFrame) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "顧客スコア"
    ws.append(list(df.columns))
    for row in _openpyxl_rows(df):
        ws.append(row)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    border = Border(bottom=Side(style="thin"))
    for cell in ws[1]:
        cell.font, cell.fill, cell.border = bold, fill, border
    for j, column in enumerate(df.columns, start=1):
        number_format = _OPENPYXL_FORMATS[KINDS[column]]
        for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
            cell.number_format = number_format
    for j, width in enumerate(_openpyxl_widths(df), start=1):
        ws.column_dimensions[get_column_letter(j)].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def write_openpyxl_write_only(df: pd.DataFrame) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, NamedStyle, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("顧客スコア")
    for j, width in enumerate(_openpyxl_widths(df), start=1):
        ws.column_dimensions[get_column_letter(j)].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(df.shape[1])}{len(df) + 1}"
    styles = []
    for column in df.columns:
        style = NamedStyle(name=f"col_{column}", number_format=_OPENPYXL_FORMATS[KINDS[column]])
        wb.add_named_style(style)
        styles.append(style.name)
    header = []
    for column in df.columns:
        cell = WriteOnlyCell(ws, value=column)
        cell.font, cell.fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
        header.append(cell)
    ws.append(header)
    for row in _openpyxl_rows(df):
        cells = []
        for value, style in zip(row, styles):
            cell = WriteOnlyCell(ws, value=value)
            cell.style = style
            cells.append(cell)
        ws.append(cells)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def write_csv(df: pd.DataFrame) -> bytes:
    return csv_bytes(df).data


def write_csv_cp932(df: pd.DataFrame) -> bytes:
    result = csv_bytes(df, encoding="cp932")
    assert result.replaced_cells == 0
    return result.data


WRITERS = {
    "excel_bytes (XlsxWriter + Arrow body)": write_ours,
    "excel_bytes fast=False (XlsxWriter per cell)": write_ours_cells,
    "openpyxl (formatted, normal mode)": write_openpyxl,
    "openpyxl (formatted, write_only)": write_openpyxl_write_only,
    "csv_bytes utf-8-sig": write_csv,
    "csv_bytes cp932": write_csv_cp932,
}


# ------------------------------------------------------------------ measuring


def measure(name: str, rows: int, runs: int) -> dict:
    """Run one writer ``runs`` times in this process; time and peak memory."""
    df = scored_table(rows)
    before = reset_peak_rss()
    times, size = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        data = WRITERS[name](df)
        times.append(time.perf_counter() - start)
        size = len(data)
        del data
    return {
        "name": name,
        "seconds": statistics.median(times),
        "all": times,
        "peak_mib": (status_kib("VmHWM") - before) / 1024,
        "size_mb": size / 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", help="run one writer in this process and print JSON")
    args = parser.parse_args()
    if args.only:
        print(json.dumps(measure(args.only, args.rows, args.runs)))
        return
    print(f"{args.rows:,} customers × {len(KINDS)} columns; median of {args.runs} runs; peak = extra RSS")
    print(f"{'writer':46} {'median s':>9} {'runs':>20} {'peak MiB':>9} {'size MB':>8}")
    for name in WRITERS:
        proc = subprocess.run(
            [sys.executable, __file__, "--rows", str(args.rows), "--runs", str(args.runs), "--only", name],
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(proc.stdout)
        runs = "/".join(f"{t:.2f}" for t in r["all"])
        print(f"{name:46} {r['seconds']:9.2f} {runs:>20} {r['peak_mib']:9.0f} {r['size_mb']:8.1f}", flush=True)


if __name__ == "__main__":
    main()
