"""Benchmark: tiers at 24 month-ends on the 1M-line export, against 24 separate scorings.

The file is the synthetic Japanese EC export of ``bench/synth.py`` (fixed seed, two
years of orders, 2023-01-01 … 2024-12-31), read and checked once through the app's
pipeline (not timed).  Then, in the same process:

* ``ours``   :class:`loyalty.movement.Timeline` (the lines arranged once) and
             :func:`loyalty.movement.compute`: features at every month-end by numpy
             passes over arrays sorted by day, each scored with the BtoC preset;
* ``naive``  the plain loop: ``loyalty.pipeline.build_features`` + ``Scorer.score``
             at each month-end.

Each is timed ``--runs`` times (median printed, with the CPU time and the load
average: other people share this 2-core machine); peak memory is measured once per
variant with tracemalloc in a separate run (tracing slows the code down).  The tier
counts of both are compared at every month-end and the result printed: a benchmark
of a wrong answer is worth nothing.  Target: ≤ 2 s for 24 month-ends on 1M lines.

    python bench/bench_movement.py [--runs 3] [--lines 1000000] [--periods 24] [--every month]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from measure import status_kib, traced_peak_mib  # noqa: E402

TODAY = date(2026, 1, 1)  # the synthetic data ends 2024-12-31: nothing is in the future
TARGET_S = 2.0


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def load(lines: int):
    """The synthetic export, read and checked by the app's pipeline (not timed)."""
    from bench.synth import csv_bytes, orders_table
    from loyalty.pipeline import InputFile, load_dataset

    data = csv_bytes(orders_table(lines))
    return load_dataset([InputFile(f"orders_{lines}.csv", data)], today=TODAY)


def ours(ds, d, periods, every: str):
    """Arrange the lines once, then score every period end."""
    from loyalty import movement

    timeline = movement.Timeline(ds.transactions, ds.customers)
    return movement.compute(timeline, d, periods, every)


def naive(ds, d, periods):
    """``build_features`` + ``Scorer.score`` at every period end: the tier counts per period end."""
    from loyalty.pipeline import build_features
    from loyalty.scoring import Scorer

    out = []
    for p in periods:
        scored = Scorer(build_features(ds, as_of=p.as_of, window_days=d.window_days).frame).score(d).frame
        out.append(scored["tier"].value_counts().reindex(["top", "middle", "low"], fill_value=0).tolist())
    return out


def timed(fn, runs: int) -> tuple[float, float, list[float], object]:
    """Median wall and CPU seconds over ``runs`` calls, every wall time, and the last result."""
    walls, cpus, result = [], [], None
    for _ in range(runs):
        w0, c0 = time.perf_counter(), _cpu()
        result = fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(_cpu() - c0)
    return statistics.median(walls), statistics.median(cpus), walls, result


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--lines", type=int, default=1_000_000)
    p.add_argument("--periods", type=int, default=24)
    p.add_argument("--every", choices=["month", "week", "quarter"], default="month")
    args = p.parse_args(argv)

    from loyalty import definition as defn
    from loyalty import movement
    from loyalty.pipeline import default_as_of

    t0 = time.perf_counter()
    ds = load(args.lines)
    first = ds.transactions.frame["order_date"].min().date()
    periods = movement.period_ends(first, default_as_of(ds), args.every, args.periods)
    d = defn.preset("b2c")
    print(f"2 cores, load average {os.getloadavg()[0]:.1f} at start; {args.lines:,} lines read and checked in "
          f"{time.perf_counter() - t0:.1f} s (not timed); {len(periods)} period ends "
          f"{periods[0].as_of} … {periods[-1].as_of}; median of {args.runs} runs\n")
    print("| variant | wall s (median) | cpu s | runs (s) | peak traced MiB | load | target |")
    print("|---|---|---|---|---|---|---|")
    results = {}
    for name, fn in (("ours", lambda: ours(ds, d, periods, args.every)), ("naive", lambda: naive(ds, d, periods))):
        load_avg = os.getloadavg()[0]
        wall, cpu, walls, results[name] = timed(fn, args.runs)
        peak = traced_peak_mib(fn)
        target = f"≤ {TARGET_S:g} s" if name == "ours" else ""
        print(f"| {name} | {wall:.2f} | {cpu:.2f} | {', '.join(f'{w:.2f}' for w in walls)} | {peak:.0f} "
              f"| {load_avg:.1f} | {target} |", flush=True)
    got = results["ours"].summary[["top", "middle", "low"]].to_numpy().tolist()
    same = got == results["naive"]
    print(f"\ncustomers at the last period end: {len(results['ours'].customer_ids):,}; tier counts "
          f"{'equal' if same else 'DIFFERENT'} at all {len(periods)} period ends "
          f"(last: top {got[-1][0]:,}, middle {got[-1][1]:,}, low {got[-1][2]:,}); "
          f"process peak RSS {status_kib('VmHWM') / 1024:,.0f} MiB")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
