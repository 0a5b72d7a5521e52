"""Benchmark of loyalty.values on one-million-row columns.

Prints the median of five runs for each column shape (seconds), next to the
target from the task where there is one.  Not a pass/fail test.

    python bench/bench_values.py [--rows 1000000] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from loyalty.values import normalize_ids, parse_amounts, parse_dates  # noqa: E402


def _text(values) -> pd.Series:
    return pd.Series(values, dtype="str")


def _datetimes(rng: np.random.Generator, rows: int, distinct: int) -> np.ndarray:
    start = np.datetime64("2022-01-01T00:00:00")
    secs = rng.integers(0, 2 * 365 * 86400, distinct).astype("timedelta64[s]")
    return (start + secs)[rng.integers(0, distinct, rows)]


def columns(rows: int) -> list[tuple[str, str, pd.Series, float | None]]:
    """The benchmark columns: (label, parser, column, target seconds)."""
    rng = np.random.default_rng(42)
    amounts = rng.lognormal(8, 1.2, rows).round().astype(np.int64)
    iso = np.datetime_as_string(_datetimes(rng, rows, 300_000), unit="s")
    iso_space = np.char.replace(iso, "T", " ")
    slash = np.char.replace(iso_space, "-", "/")
    ids = np.char.mod("%06d", rng.integers(0, 50_000, rows))
    unique_ids = np.char.mod("C%07d", rng.permutation(rows))

    # Japanese-report style amounts: thousands separators, yen signs, negatives, blanks.
    full_width = str.maketrans("0123456789,", "０１２３４５６７８９，")
    styles = [
        "{:,}".format,
        "¥{:,}".format,
        "{:,}円".format,
        "▲{:,}".format,
        str,
        lambda v: f"{v:,}".translate(full_width),
    ]
    pick = rng.integers(0, len(styles), rows)
    messy_amounts = [styles[i](int(v)) for i, v in zip(pick, amounts)]
    messy_amounts[::50] = [""] * len(messy_amounts[::50])
    # Non-padded dates with times, era dates, Excel serials and a few bad cells.
    days = _datetimes(rng, rows, 300_000)
    d = pd.DatetimeIndex(days)
    base = (
        d.year.astype(str) + "/" + d.month.astype(str) + "/" + d.day.astype(str)
        + " " + d.hour.astype(str) + ":" + pd.Index(d.minute).map("{:02d}".format)
    ).to_numpy(dtype=object)
    era = ("R" + (d.year - 2018).astype(str) + "." + d.month.astype(str) + "." + d.day.astype(str)).to_numpy(
        dtype=object
    )
    serial = ((days.astype("datetime64[D]") - np.datetime64("1899-12-30")).astype(np.int64)).astype(str)
    choice = rng.integers(0, 10, rows)
    messy_dates = np.where(choice < 7, base, np.where(choice < 9, era, serial)).astype(object)
    messy_dates[::1000] = "2024/2/30"
    compact = np.char.replace(np.datetime_as_string(days, unit="D"), "-", "")
    fw_ids = np.char.add("\u3000", np.char.translate(ids, str.maketrans("0123456789", "０１２３４５６７８９")))

    return [
        ("amounts: plain integers", "amounts", _text(amounts.astype(str)), 0.1),
        ("amounts: plain decimals", "amounts", _text((amounts / 100).astype(str)), 0.1),
        ("amounts: Japanese-formatted (1,234 / ¥ / 円 / ▲)", "amounts", _text(messy_amounts), None),
        ("dates: ISO 'YYYY-MM-DDTHH:MM:SS', 300k distinct", "dates", _text(iso), 0.4),
        ("dates: 'YYYY-MM-DD HH:MM:SS', 300k distinct", "dates", _text(iso_space), 0.4),
        ("dates: 'YYYY/MM/DD HH:MM:SS', 300k distinct", "dates", _text(slash), 0.4),
        ("dates: 'YYYYMMDD' (CDNOW style)", "dates", _text(compact), None),
        ("dates: 'YYYY/M/D H:MM' (not zero-padded)", "dates", _text(base), None),
        ("dates: mixed (Y/M/D H:M, R6.1.5, serials, bad)", "dates", _text(messy_dates), None),
        ("ids: '000123', 50k distinct", "ids", _text(ids), 0.3),
        ("ids: 1M distinct", "ids", _text(unique_ids), 0.3),
        ("ids: '17850.0' float-ids", "ids", _text(np.char.add(ids, ".0")), 0.3),
        ("ids: full-width digits with U+3000", "ids", _text(fw_ids), None),
    ]


PARSERS = {"amounts": parse_amounts, "dates": parse_dates, "ids": normalize_ids}


def main() -> None:
    """Run the benchmark and print one line per column shape."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    print(f"loyalty.values, {args.rows:,} rows, median of {args.runs} runs")
    results: dict[str, float] = {}
    for label, kind, col, target in columns(args.rows):
        fn = PARSERS[kind]
        times = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            fn(col)
            times.append(time.perf_counter() - t0)
        med = statistics.median(times)
        goal = f"target <= {target:.2f} s" if target else "no target (must stay linear)"
        flag = "" if target is None else ("  ok" if med <= target else "  SLOW")
        print(f"  {label:<58} {med:7.3f} s   ({goal}){flag}")
        results[label] = med
    if args.rows >= 100_000:
        # Linearity: the same shapes at a quarter of the rows should take about a quarter of the time.
        print(f"linearity: time({args.rows:,}) / time({args.rows // 4:,}) for the lenient paths (4.0 = linear)")
        for label, kind, col, _ in columns(args.rows // 4):
            if label not in results or not any(w in label for w in ("Japanese", "mixed", "padded", "full-width")):
                continue
            times = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                PARSERS[kind](col)
                times.append(time.perf_counter() - t0)
            print(f"  {label:<58} {results[label] / statistics.median(times):5.2f}")


if __name__ == "__main__":
    main()
