"""Benchmark: our customer-feature build against lifetimes' summary_data_from_transaction_data.

Both start from the same clean transaction frame in memory (read once,
outside the timing), so only the per-customer aggregation is compared:

* ours: :func:`loyalty.features.build_features` — recency, frequency and
  monetary in the window, first/last order, tenure, totals, AOV, discount
  share, returns (orders = distinct order ids);
* lifetimes 0.11.3: ``summary_data_from_transaction_data(df, customer_id_col,
  datetime_col, monetary_value_col, observation_period_end, freq="D")`` —
  frequency (repeat days), recency, T and mean monetary value;
* ours through DuckDB (:mod:`loyalty.warehouse`) on the same lines written
  to Parquet, for reference.

Files: the synthetic 1,000,000-line export (bench/synth.py) and, when
../shared/datasets is present, the UCI Online Retail lines (541,909).
Prints median wall and CPU time of --runs runs and the ratio lifetimes / ours.

    python bench/bench_features_vs_lifetimes.py [--lines 1000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
import warnings
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RETAIL = ROOT.parent / "shared" / "datasets" / "online_retail" / "online_retail.csv.gz"


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _time(fn, runs: int) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(runs):
        w0, c0 = time.perf_counter(), _cpu()
        fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(_cpu() - c0)
    return statistics.median(walls), statistics.median(cpus)


def compare(label: str, data: bytes, name: str, runs: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq
    from lifetimes.utils import summary_data_from_transaction_data

    from loyalty import warehouse
    from loyalty.features import build_features
    from loyalty.pipeline import InputFile, load_dataset

    ds = load_dataset([InputFile(name, data)], today=date(2026, 1, 1))
    tx = ds.transactions
    frame = tx.frame
    import pandas as pd

    pd_ts = frame["order_date"].max()
    as_of = pd_ts.date()
    # lifetimes wants a plain frame: id, datetime, value
    lt_input = pd.DataFrame({"customer_id": frame["customer_id"].astype(object),
                             "date": frame["order_date"], "amount": frame["amount"]})
    ours_wall, ours_cpu = _time(lambda: build_features(tx, as_of=as_of), runs)

    def lifetimes_run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            summary_data_from_transaction_data(lt_input, "customer_id", "date", monetary_value_col="amount",
                                               observation_period_end=pd_ts, freq="D")

    lt_wall, lt_cpu = _time(lifetimes_run, runs)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "lines.parquet"
        cols = ["customer_id", "order_date", "amount"] + (["order_id"] if "order_id" in frame else [])
        pq.write_table(pa.Table.from_pandas(frame[cols], preserve_index=False), path)

        def duck():
            with warehouse.open_source(str(path)) as src:
                warehouse.warehouse_features(src, as_of=as_of, today=date(2026, 1, 1))

        duck()  # first connection loads the engine
        dk_wall, dk_cpu = _time(duck, runs)
    n = len(frame)
    print(f"| {label} ({n:,} lines, {frame['customer_id'].nunique():,} customers) | {ours_wall:.3f} ({ours_cpu:.3f}) "
          f"| {lt_wall:.3f} ({lt_cpu:.3f}) | {lt_wall / ours_wall:.1f}× | {dk_wall:.3f} ({dk_cpu:.3f}) "
          f"| {os.getloadavg()[0]:.1f} |", flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lines", type=int, default=1_000_000)
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args()
    from bench.synth import csv_bytes, orders_table

    print(f"median of {args.runs} runs; seconds wall (cpu); 2 cores, shared\n")
    print("| file | ours: build_features | lifetimes summary_data_from_transaction_data | lifetimes ÷ ours "
          "| ours via DuckDB (Parquet) | load |")
    print("|---|---|---|---|---|---|")
    compare("synthetic export", csv_bytes(orders_table(args.lines)), "orders.csv", args.runs)
    if RETAIL.exists():
        compare("UCI Online Retail", RETAIL.read_bytes(), RETAIL.name, args.runs)
    else:
        print("(../shared/datasets not found: Online Retail skipped)")


if __name__ == "__main__":
    main()
