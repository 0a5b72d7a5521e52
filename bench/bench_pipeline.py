"""Benchmark: export file → scored tiers, ours against a plain-pandas script, same run.

Scenarios (synthetic Japanese EC exports from bench/synth.py, fixed seed,
written to a temporary folder and deleted afterwards unless --keep is given):

* ``csv-1m``     1,000,000-line CSV (UTF-8) through the app's pipeline:
                 load_dataset (reading + quality report) → build_features → Scorer.score.
* ``cp932-1m``   the same lines as a CP932 CSV (what Japanese systems export).
* ``xlsx-1m``    1,000,000-row .xlsx through the app's pipeline.
* ``xlsx-1m-narrow``  the same 1,000,000 lines as an .xlsx with five columns (order id,
                 member, order time, subtotal, 取引区分): an extract made for RFM.
* ``csv-10m`` / ``parquet-10m``  10,000,000 lines through loyalty.warehouse (DuckDB:
                 quality counts and per-customer features in SQL, out of core), scored in pandas;
                 stages: open, checking (quality counts + text rules, one scan), aggregating
                 (features, one scan, fetch and frame), sql (all of it), score.

Each scenario runs in its own process (peak memory = that process's peak RSS,
which includes Python, pandas and the file's bytes) and is timed --runs times;
the median wall time and CPU time are printed.  The plain-pandas baseline is the
script an analyst would write: pandas.read_csv / read_excel(engine="calamine") /
read_parquet, drop rows without id/date/amount, parse dates, one groupby per
R, F and M (orders = distinct order ids), pd.cut into 1–5 and a weighted score.
It has no quality report, no Japanese number/date handling and no row numbers.

Other people share this 2-core machine: the load average is printed with every
figure; compare ours and the baseline within one run, and prefer the CPU column
when the load is high.

    python bench/bench_pipeline.py [--scenarios csv-1m xlsx-1m ...] [--runs 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SCENARIOS = {
    # name: (lines, file format, variants, target seconds, target MB)
    "csv-1m": (1_000_000, "csv", ("ours", "pandas"), 1.0, 1000),
    "cp932-1m": (1_000_000, "csv-cp932", ("ours", "pandas"), 1.0, 1000),
    "xlsx-1m": (1_000_000, "xlsx", ("ours", "pandas"), 3.0, None),
    "xlsx-1m-narrow": (1_000_000, "xlsx-narrow", ("ours", "pandas"), 3.0, None),
    "csv-10m": (10_000_000, "csv", ("ours-duckdb", "pandas"), 3.0, 1500),
    "parquet-10m": (10_000_000, "parquet", ("ours-duckdb", "pandas"), 3.0, 1500),
}
TODAY = date(2026, 1, 1)  # the synthetic data ends 2024-12-31: nothing is in the future


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime + c.ru_utime + c.ru_stime


# ---------------------------------------------------------------------------
# what is timed


def ours(data: bytes, name: str) -> dict:
    """The app's pipeline on one file: reading + quality, features, scoring."""
    from loyalty import definition as defn
    from loyalty.pipeline import InputFile, assemble, build_features, read_inputs
    from loyalty.scoring import Scorer

    stages = {}
    t = time.perf_counter()
    infos = read_inputs([InputFile(name, data)])
    stages["read"] = time.perf_counter() - t
    t = time.perf_counter()
    ds = assemble(infos, today=TODAY)
    stages["quality"] = time.perf_counter() - t
    t = time.perf_counter()
    f = build_features(ds)
    stages["features"] = time.perf_counter() - t
    t = time.perf_counter()
    res = Scorer(f.frame).score(defn.preset("b2c"))
    stages["score"] = time.perf_counter() - t
    assert ds.transactions.report.balanced()
    return {"stages": stages, "customers": len(res.frame), "rows": ds.transactions.report.rows_read}


def ours_duckdb(path: Path) -> dict:
    """The warehouse path: DuckDB aggregates, pandas scores."""
    from loyalty import definition as defn
    from loyalty import warehouse
    from loyalty.scoring import Scorer

    stages = {}
    t = time.perf_counter()
    marks = [("open", t)]
    with warehouse.open_source(str(path)) as src:
        # progress steps: "reading", "checking" (quality counts + text rules: one scan),
        # "aggregating" (features: one scan, fetch, frame)
        result = warehouse.warehouse_features(src, today=TODAY,
                                              progress=lambda step: marks.append((step, time.perf_counter())))
    marks.append(("end", time.perf_counter()))
    for (step, start), (_, stop) in zip(marks, marks[1:]):
        if step != "reading":
            stages[step] = stages.get(step, 0.0) + stop - start
    stages["sql"] = time.perf_counter() - t
    t = time.perf_counter()
    res = Scorer(result.features.frame).score(defn.preset("b2c"))
    stages["score"] = time.perf_counter() - t
    return {"stages": stages, "customers": len(res.frame), "rows": result.report["rows_read"]}


def pandas_baseline(path: Path, data: bytes | None, fmt: str) -> dict:
    """A plain-pandas RFM script (see the module docstring)."""
    import io

    import numpy as np
    import pandas as pd

    cid, oid, when, amt, kind = "会員番号", "受注番号", "注文日時", "小計", "取引区分"
    stages = {}
    t = time.perf_counter()
    text_cols = {cid: str, oid: str}
    if fmt.startswith("xlsx"):
        df = pd.read_excel(io.BytesIO(data), engine="calamine", dtype=text_cols)
    elif fmt == "parquet":
        df = pd.read_parquet(path, columns=[cid, oid, when, amt, kind])
    else:
        enc = "cp932" if fmt == "csv-cp932" else "utf-8"
        source = io.BytesIO(data) if data is not None else path
        df = pd.read_csv(source, encoding=enc, dtype=text_cols, usecols=[cid, oid, when, amt, kind])
    stages["read"] = time.perf_counter() - t
    t = time.perf_counter()
    df = df.dropna(subset=[cid, when, amt])
    day = pd.to_datetime(df[when], format="%Y/%m/%d %H:%M:%S").dt.normalize() \
        if df[when].dtype == object or str(df[when].dtype) == "str" else df[when].dt.normalize()
    df = df.assign(day=day)
    as_of = df["day"].max()
    start = as_of - pd.Timedelta(days=365)
    buy = df[(df[amt] > 0) & (df[kind] != "返品")]
    orders = buy.groupby([cid, oid], sort=False)["day"].min().reset_index()
    last = orders.groupby(cid)["day"].max()
    recency = (as_of - last).dt.days
    frequency = orders[orders["day"] > start].groupby(cid).size().reindex(recency.index, fill_value=0)
    monetary = df[df["day"] > start].groupby(cid)[amt].sum().reindex(recency.index, fill_value=0)
    stages["features"] = time.perf_counter() - t
    t = time.perf_counter()
    r = pd.cut(recency, [-np.inf, 30, 60, 90, 179, np.inf], labels=[5, 4, 3, 2, 1]).astype(int)
    f = pd.cut(frequency, [-np.inf, 1, 2, 5, 9, np.inf], labels=[1, 2, 3, 4, 5]).astype(int)
    m = pd.cut(monetary, [-np.inf, 9999, 29999, 49999, 99999, np.inf], labels=[1, 2, 3, 4, 5]).astype(int)
    score = (r * 15 + f * 25 + m * 25) / 5 * 100 / 65
    tier = pd.cut(score, [-np.inf, 50, 80, np.inf], right=False, labels=["low", "middle", "top"])
    stages["score"] = time.perf_counter() - t
    return {"stages": stages, "customers": int(tier.notna().sum()), "rows": len(df)}


# ---------------------------------------------------------------------------
# child process: one variant, --runs times


def child(args) -> None:
    path = Path(args.path)
    fmt = args.fmt
    variant = args.variant
    data = None
    if not variant.startswith("ours-duckdb") and not (variant == "pandas" and fmt == "parquet"):
        data = path.read_bytes()
    # imports and first-call set-up are not the export's cost: done before timing
    import loyalty.pipeline  # noqa: F401
    import loyalty.scoring  # noqa: F401
    if variant == "ours-duckdb":
        import loyalty.warehouse  # noqa: F401
        import ibis  # noqa: F401

        ibis.duckdb.connect().disconnect()
    runs = []
    for _ in range(args.runs):
        load = os.getloadavg()[0]
        w0, c0 = time.perf_counter(), _cpu()
        if variant == "ours":
            out = ours(data, path.name)
        elif variant == "ours-duckdb":
            out = ours_duckdb(path)
        else:
            out = pandas_baseline(path, data, fmt)
        out["wall"] = time.perf_counter() - w0
        out["cpu"] = _cpu() - c0
        out["load"] = load
        runs.append(out)
    print(json.dumps({"runs": runs, "peak_mb": _peak_mb()}))


def _peak_mb() -> float:
    """This process's peak resident memory (VmHWM).  ``ru_maxrss`` would not do:
    on Linux it keeps the parent's peak across fork + exec, so a child started
    by a parent that had just generated a big file would report the parent's."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_variant(path: Path, fmt: str, variant: str, runs: int) -> dict:
    cmd = [sys.executable, __file__, "--child", "--path", str(path), "--fmt", fmt, "--variant", variant,
           "--runs", str(runs)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "failed"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scenarios", nargs="+", default=list(SCENARIOS), choices=list(SCENARIOS))
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--keep", metavar="DIR", help="keep (and reuse) the generated files in DIR")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--path", help=argparse.SUPPRESS)
    p.add_argument("--fmt", help=argparse.SUPPRESS)
    p.add_argument("--variant", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        child(args)
        return

    from bench.synth import write_orders

    tmp = None
    if args.keep:
        folder = Path(args.keep)
        folder.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="loyalty_bench_")
        folder = Path(tmp.name)
    print(f"2 cores, load average {os.getloadavg()[0]:.1f} at start; median of {args.runs} runs\n")
    print("| scenario | variant | wall s (median) | cpu s | peak MB | stages (median s) | load | target |")
    print("|---|---|---|---|---|---|---|---|")
    try:
        for name in args.scenarios:
            lines, fmt, variants, target_s, target_mb = SCENARIOS[name]
            for variant in variants:
                vfmt = fmt
                suffix = {"csv": ".csv", "csv-cp932": "_cp932.csv", "parquet": ".parquet", "xlsx": ".xlsx",
                          "xlsx-narrow": "_narrow.xlsx"}[vfmt]
                path = folder / f"orders_{lines}{suffix}"
                if not path.exists():
                    t0 = time.perf_counter()
                    write_orders(folder, lines, vfmt)
                    print(f"<!-- generated {path.name} in {time.perf_counter() - t0:.0f} s -->", flush=True)
                res = run_variant(path, vfmt, variant, args.runs)
                if "error" in res:
                    print(f"| {name} | {variant} | error: {res['error'][:80]} | | | | | |", flush=True)
                    continue
                runs = res["runs"]
                wall = statistics.median(r["wall"] for r in runs)
                cpu = statistics.median(r["cpu"] for r in runs)
                stages = {k: statistics.median(r["stages"][k] for r in runs) for k in runs[0]["stages"]}
                stage_text = ", ".join(f"{k} {v:.2f}" for k, v in stages.items())
                target = f"≤ {target_s:g} s" + (f", ≤ {target_mb} MB" if target_mb else "")
                load = statistics.median(r["load"] for r in runs)
                print(f"| {name} ({lines:,} lines, {runs[0]['customers']:,} customers) | {variant} | {wall:.2f} "
                      f"| {cpu:.2f} | {res['peak_mb']:.0f} | {stage_text} | {load:.1f} | {target} |", flush=True)
    finally:
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    main()
