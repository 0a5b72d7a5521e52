"""Benchmark of loyalty.clv (BG/NBD + Gamma-Gamma, the package) against lifetimes 0.11.3.

Prints figures; passes or fails nothing.  For each data set: the median wall time of
``--runs`` (default 3) runs and the peak traced memory (tracemalloc, in a separate run so
tracing does not slow the timed ones) of

* building the customer summary from transactions (ours vs lifetimes'
  ``summary_data_from_transaction_data(freq="D")``),
* fitting BG/NBD (ours vs lifetimes' ``BetaGeoFitter``, on the same summary; a lifetimes
  ``ConvergenceError`` is caught and printed),
* our whole ``run`` (summary, both fits, P(alive), expected purchases, 12-month CLV; the
  penalizer of the fit above, without the automatic retry).

When our BG/NBD fit refuses the data (as on Online Retail), the fit and ``run`` are
repeated with ``penalizer=0.001``, which is what the error message suggests, and
lifetimes is tried with ``penalizer_coef=0.001`` too (its penalty is on the parameters,
ours on their logarithms, so the numbers differ).

Data sets (see ../shared/datasets/README.md):

* CDNOW master (23,570 customers): calibration = the whole period, 1997-01-01 .. 1998-06-30;
* UCI Online Retail: lines without CustomerID dropped, amount = Quantity * UnitPrice
  (cancellations are negative), calibration = the whole period, 2010-12-01 .. 2011-12-09;
* 1,000,000 customers simulated from a BG/NBD with the CDNOW parameters
  (r 0.243, alpha 4.414, a 0.793, b 2.426; T uniform on the day grid up to 78 weeks, seed 20240601).

Usage: python bench/bench_clv.py [--runs 3] [--skip-lifetimes] [--n-sim 1000000]
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import resource
import statistics
import sys
import time
import tracemalloc
import warnings
from pathlib import Path
from typing import Any, Callable

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from measure import timed  # noqa: E402
from loyalty import clv  # noqa: E402
from loyalty.clv import fitting  # noqa: E402
from loyalty.errors import LoyaltyError  # noqa: E402

DATASETS = ROOT.parent / "shared" / "datasets"
TRUE_PARAMS = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
SEED = 20240601




def peak_mib(fn: Callable[[], Any]) -> float:
    """Peak memory traced by tracemalloc during one call, in MiB."""
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def load_cdnow_master() -> pd.DataFrame:
    raw = pd.read_csv(
        DATASETS / "cdnow" / "CDNOW_master.txt",
        sep=r"\s+",
        header=0,
        names=["customer_id", "date", "cds", "dollars"],
        dtype={"customer_id": str, "date": str},
    )
    return pd.DataFrame(
        {
            "customer_id": raw["customer_id"],
            "order_date": pd.to_datetime(raw["date"], format="%Y%m%d"),
            "amount": raw["dollars"].astype(float),
        }
    )


def load_online_retail() -> pd.DataFrame:
    raw = pd.read_csv(
        DATASETS / "online_retail" / "online_retail.csv.gz",
        dtype={"CustomerID": str, "InvoiceNo": str, "StockCode": str},
    )
    raw = raw[raw["CustomerID"].notna()]
    return pd.DataFrame(
        {
            "customer_id": raw["CustomerID"].to_numpy(),
            "order_date": pd.to_datetime(raw["InvoiceDate"]),
            "amount": (raw["Quantity"] * raw["UnitPrice"]).astype(float).to_numpy(),
        }
    )


def fmt_params(d: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.4g}" for k, v in d.items())


def lifetimes_fit(summary: pd.DataFrame, penalizer: float = 0.0) -> Any:
    from lifetimes import BetaGeoFitter

    bgf = BetaGeoFitter(penalizer_coef=penalizer)
    bgf.fit(summary["frequency"], summary["recency"], summary["T"])
    return bgf


def bench_lifetimes_fit(summary: pd.DataFrame, runs: int, penalizer: float = 0.0) -> None:
    try:
        from lifetimes.utils import ConvergenceError
    except ImportError:  # pragma: no cover
        print("  lifetimes   : not installed")
        return
    captured = io.StringIO()  # lifetimes prints scipy's whole result before raising
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(captured):
            warnings.simplefilter("ignore")
            sec, bgf = timed(lambda: lifetimes_fit(summary, penalizer), runs)
            mem = peak_mib(lambda: lifetimes_fit(summary, penalizer))
        p = {k: float(bgf.params_[k]) for k in ("r", "alpha", "a", "b")}
        # lifetimes rescales time internally, so its stored likelihood is not comparable:
        # evaluate the paper's log-likelihood at its parameters instead.
        ll = clv.bgnbd_loglik(*p.values(), summary["frequency"], summary["recency"], summary["T"]).sum()
        label = "lifetimes fit" if not penalizer else f"lifetimes fit (penalizer_coef {penalizer:g})"
        print(f"  {label}: {sec:8.3f} s  peak {mem:8.1f} MiB  {fmt_params(p)}, loglik {ll:.6g}")
    except ConvergenceError as err:
        first = str(err).strip().splitlines()[0]
        scipy_msg = next((ln.split(":", 1)[1].strip() for ln in captured.getvalue().splitlines()
                          if ln.strip().startswith("message:")), "")
        print(f"  lifetimes fit (penalizer_coef {penalizer:g}): ConvergenceError: {first} [scipy: {scipy_msg}]")
    except Exception as err:  # noqa: BLE001 - a benchmark reports, it does not stop
        print(f"  lifetimes fit: {type(err).__name__}: {err}")


def bench_lifetimes_summary(tx: pd.DataFrame, runs: int) -> None:
    try:
        from lifetimes.utils import summary_data_from_transaction_data
    except ImportError:  # pragma: no cover
        return

    def go() -> pd.DataFrame:
        return summary_data_from_transaction_data(
            tx, "customer_id", "order_date", "amount", freq="D", freq_multiplier=7
        )

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sec, out = timed(go, runs)
            mem = peak_mib(go)
        print(f"  lifetimes summary: {sec:6.3f} s  peak {mem:8.1f} MiB  ({len(out):,} customers, keeps return days)")
    except Exception as err:  # noqa: BLE001
        print(f"  lifetimes summary: {type(err).__name__}: {err}")


def bench_transactions(name: str, tx: pd.DataFrame, runs: int, with_lifetimes: bool) -> None:
    print(f"\n== {name}: {len(tx):,} rows, {tx['customer_id'].nunique():,} customer ids, "
          f"{tx['order_date'].min():%Y-%m-%d} .. {tx['order_date'].max():%Y-%m-%d}; "
          "calibration = whole period, weeks")

    def summarise() -> pd.DataFrame:
        return clv.summary_from_transactions(tx, time_unit="weeks")

    sec, summary = timed(summarise, runs)
    mem = peak_mib(summarise)
    rep = summary.attrs["report"]
    print(f"  our summary      : {sec:6.3f} s  peak {mem:8.1f} MiB  ({rep['customers']:,} customers, "
          f"{rep['purchase_days']:,} purchase days, {rep['dropped_days']:,} return/cancelled days dropped, "
          f"{rep['customers_without_purchase']:,} customers with no purchase)")
    if with_lifetimes:
        bench_lifetimes_summary(tx, runs)
    print(f"  distinct (x, t_x, T): {fitting.group(summary['frequency'].to_numpy(float), summary['recency'].to_numpy(float), summary['T'].to_numpy(float)).n_groups:,}")

    penalizer = 0.0
    try:
        sec, fit = timed(lambda: clv.fit_bgnbd(summary), max(runs, 3))
        mem = peak_mib(lambda: clv.fit_bgnbd(summary))
        print(f"  our fit      : {sec:8.3f} s  peak {mem:8.1f} MiB  {fmt_params(fit.params())}")
    except LoyaltyError as err:
        print(f"  our fit      : LoyaltyError: {err.en}")
        # what the message suggests
        penalizer = 0.001
        sec, fit = timed(lambda: clv.fit_bgnbd(summary, penalizer=penalizer), max(runs, 3))
        mem = peak_mib(lambda: clv.fit_bgnbd(summary, penalizer=penalizer))
        print(f"  our fit (penalizer {penalizer:g}): {sec:6.3f} s  peak {mem:8.1f} MiB  {fmt_params(fit.params())}")
    if with_lifetimes:
        bench_lifetimes_fit(summary, runs)
        if penalizer:
            bench_lifetimes_fit(summary, runs, penalizer)
    try:
        gg = clv.fit_gamma_gamma(summary)
        print(f"  our Gamma-Gamma: {fmt_params(gg.params())} on {gg.n_customers:,} repeat buyers, "
              f"corr(x, m) {gg.frequency_monetary_corr:.3f}")
    except LoyaltyError as err:
        print(f"  our Gamma-Gamma: LoyaltyError: {err.en}")

    try:
        sec, res = timed(lambda: clv.run(tx, time_unit="weeks", penalizer=penalizer, auto_penalizer=False), runs)
        mem = peak_mib(lambda: clv.run(tx, time_unit="weeks", penalizer=penalizer, auto_penalizer=False))
        c = res.customers
        label = "our run (all)" if not penalizer else f"our run (all, penalizer {penalizer:g})"
        print(f"  {label}: {sec:7.3f} s  peak {mem:8.1f} MiB  total 12-month CLV {c['clv'].sum():,.0f}, "
              f"mean P(alive) {c['p_alive'].mean():.3f}")
    except LoyaltyError as err:
        print(f"  our run      : LoyaltyError: {err.en}")


def bench_simulated(n: int, runs: int, with_lifetimes: bool) -> None:
    t0 = time.perf_counter()
    s = clv.simulate_summary(n, **TRUE_PARAMS, max_T=78.0, time_unit="weeks", seed=SEED)
    sim = time.perf_counter() - t0
    print(f"\n== simulated BG/NBD customers: {n:,} (true {fmt_params(TRUE_PARAMS)}; "
          f"simulation {sim:.2f} s, not timed below)")
    x, tx, T = (s[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    print(f"  distinct (x, t_x, T): {fitting.group(x, tx, T).n_groups:,}; repeat buyers {(x > 0).mean():.1%}")
    sec, fit = timed(lambda: clv.fit_bgnbd(s), max(runs, 3))
    mem = peak_mib(lambda: clv.fit_bgnbd(s))
    print(f"  our fit      : {sec:8.3f} s  peak {mem:8.1f} MiB  {fmt_params(fit.params())}")

    def predict() -> None:
        clv.probability_alive(fit, x, tx, T)
        clv.expected_purchases(fit, 52.0, x, tx, T)

    sec, _ = timed(predict, runs)
    print(f"  our P(alive) + E[Y(52)] for all: {sec:.3f} s")
    if with_lifetimes:
        bench_lifetimes_fit(s, runs)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3, help="timed runs per figure (median is printed)")
    ap.add_argument("--skip-lifetimes", action="store_true", help="do not run lifetimes for comparison")
    ap.add_argument("--n-sim", type=int, default=1_000_000, help="simulated customers")
    args = ap.parse_args(argv)
    runs = max(args.runs, 3)
    with_lt = not args.skip_lifetimes

    import platform

    import numpy
    import scipy

    print(f"python {platform.python_version()}, numpy {numpy.__version__}, pandas {pd.__version__}, "
          f"scipy {scipy.__version__}; {runs} runs per figure (median); "
          "peak = tracemalloc peak of a separate run")
    if with_lt:
        try:
            import lifetimes

            print(f"lifetimes {lifetimes.__version__}")
        except ImportError:
            with_lt = False
            print("lifetimes not installed: comparison skipped")

    t0 = time.perf_counter()
    cdnow = load_cdnow_master()
    print(f"\nread CDNOW master in {time.perf_counter() - t0:.2f} s")
    bench_transactions("CDNOW master", cdnow, runs, with_lt)

    t0 = time.perf_counter()
    retail = load_online_retail()
    print(f"\nread Online Retail in {time.perf_counter() - t0:.2f} s (lines without CustomerID dropped)")
    bench_transactions("Online Retail", retail, runs, with_lt)

    bench_simulated(args.n_sim, runs, with_lt)
    print(f"\nprocess max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
