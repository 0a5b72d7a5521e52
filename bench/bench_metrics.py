"""Benchmark of the metrics pages' domain code (LTV, NPS, retention, cohorts, F2,
Pareto, predictive CLV) on 1,000,000 transaction lines.

Prints figures; passes or fails nothing.  Each figure is the median wall time of
``--runs`` (default 3) runs; peak memory is measured once with tracemalloc in a
separate run (tracing slows the code down).

The data: ``--lines`` clean transaction lines (default 1,000,000) of ``--customers``
customers (default one per ten lines; each orders at least once) over three years, orders of 1–3 lines, about
2% return lines, heavy-tailed purchase counts, a 0–10 NPS answer for about 55% of
customers and a satisfaction answer with it (fixed seed).  Lines are built directly
as the clean frame the pipeline produces, so reading and mapping are not part of
these figures (see the data benchmarks for those).

With ``--app`` the pages themselves are timed with Streamlit's AppTest on the same
data: the first render of each tab (caches cold) and a rerun after moving a control
(caches warm), which is what a user waits for.

Usage: python bench/bench_metrics.py [--runs 3] [--lines 1000000] [--customers N] [--app]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from measure import timed  # noqa: E402
from loyalty import clv, cohorts, ltv, nps, pareto, retention  # noqa: E402
from loyalty.features import build_features  # noqa: E402
from loyalty.quality import QualityReport, Transactions  # noqa: E402

SEED = 20241101
START = np.datetime64("2023-11-01", "D")
DAYS = 3 * 365


def make_transactions(lines: int, customers: int, seed: int = SEED) -> pd.DataFrame:
    """A clean transaction frame (the pipeline's output columns) of ``lines`` lines.

    Args:
        lines: number of lines.
        customers: number of distinct customers.
        seed: random seed.

    Returns:
        DataFrame with customer_id, order_date, amount, is_return, order_key, discount.
    """
    rng = np.random.default_rng(seed)
    per_order = rng.choice([1, 2, 3], size=lines, p=[0.6, 0.3, 0.1])
    order_of_line = np.repeat(np.arange(len(per_order)), per_order)[:lines]
    n_orders = int(order_of_line[-1]) + 1
    # heavy-tailed activity: a customer's weight ~ lognormal; each order picks a customer by weight
    weight = rng.lognormal(0.0, 1.2, size=customers)
    cust_of_order = rng.choice(customers, size=n_orders, p=weight / weight.sum())
    cust_of_order[:customers] = rng.permutation(customers)  # everyone orders at least once
    first_day = rng.integers(0, DAYS, size=customers)
    span = DAYS - first_day
    day_of_order = first_day[cust_of_order] + (rng.random(n_orders) * span[cust_of_order]).astype(np.int64)
    # every customer's first order is on their first day
    firsts = np.unique(cust_of_order, return_index=True)[1]
    day_of_order[firsts] = first_day[cust_of_order[firsts]]
    amount = np.round(rng.lognormal(8.2, 0.6, size=lines))
    is_return = rng.random(lines) < 0.02
    amount = np.where(is_return, -amount, amount)
    day = day_of_order[order_of_line] + np.where(is_return, rng.integers(3, 22, size=lines), 0)
    day = np.minimum(day, DAYS - 1)
    ids = np.char.zfill(cust_of_order[order_of_line].astype(str), 7)
    return pd.DataFrame({
        "customer_id": pd.array(ids, dtype="str"),
        "order_date": (START + day.astype("timedelta64[D]")).astype("datetime64[us]"),
        "amount": amount.astype(float),
        "is_return": is_return,
        "order_key": order_of_line.astype(np.int64),
        "discount": np.where(rng.random(lines) < 0.3, 500.0, 0.0),
    })


def survey(index: pd.Index, seed: int = SEED) -> pd.DataFrame:
    """NPS (0–10, ~45% blank) and satisfaction (1–5, blank with NPS) per customer."""
    rng = np.random.default_rng(seed + 1)
    answered = rng.random(len(index)) < 0.55
    score = rng.integers(0, 11, size=len(index)).astype(float)
    sat = np.clip(np.round(score / 2.5) + 1, 1, 5)
    return pd.DataFrame({"nps": np.where(answered, score, np.nan), "satisfaction": np.where(answered, sat, np.nan)},
                        index=index)


def _transactions(tx: pd.DataFrame) -> Transactions:
    """Wrap the frame as the pipeline's Transactions (every row used)."""
    return Transactions(frame=tx, report=QualityReport(rows_read=len(tx), rows_used=len(tx)), has_order_id=True)




def peak_mb(fn: Callable[[], Any]) -> float:
    """Peak traced memory of one call, in MB."""
    gc.collect()
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1e6


def report(name: str, fn: Callable[[], Any], runs: int, *, memory: bool = True) -> Any:
    """Time ``fn``, print one line, return its result."""
    seconds, result = timed(fn, runs)
    mem = f"{peak_mb(fn):8.1f} MB" if memory else "        —"
    print(f"  {name:<52} {seconds:8.3f} s  {mem}")
    return result


def bench_domain(tx: pd.DataFrame, runs: int) -> None:
    """Time every domain function the two pages call."""
    print(f"\n{len(tx):,} lines, {tx['customer_id'].nunique():,} customers (median of {runs} runs, peak memory)")
    clean = _transactions(tx)
    report("features (build_features, for context)", lambda: build_features(clean), runs)
    feats = build_features(clean).frame
    feats = feats.join(survey(feats.index))
    rng = np.random.default_rng(SEED)
    f_score = pd.Series(rng.integers(1, 6, size=len(feats)), index=feats.index)
    tiers = pd.Series(rng.choice(["top", "middle", "low"], size=len(feats)), index=feats.index)

    print(" once per data set (cached by the pages)")
    orders = report("customer_orders (lines -> orders)", lambda: retention.customer_orders(tx), runs)
    print(f"    ({len(orders):,} orders)")
    print(" continuity tab")
    report("period_retention, month", lambda: retention.period_retention(orders, "month"), runs)
    report("period_retention, quarter", lambda: retention.period_retention(orders, "quarter"), runs)
    report("cohort_table, month", lambda: cohorts.cohort_table(orders, "month"), runs)
    report("f2_conversion, 90 days", lambda: cohorts.f2_conversion(orders, 90), runs)
    report("f2_by_cohort, 90 days, month", lambda: cohorts.f2_by_cohort(orders, 90, "month"), runs)
    print(" LTV tab (every control move)")
    report("customer_ltv (margin 40%, discount 5%)",
           lambda: ltv.customer_ltv(feats, margin=0.4, discount_rate=0.05), runs)
    values = ltv.customer_ltv(feats, margin=0.4, discount_rate=0.05)
    report("value_by_group (per tier)", lambda: ltv.value_by_group(values, tiers, order=["top", "middle", "low"]),
           runs)
    report("sort customers by LTV (the table)", lambda: values.sort_values(ascending=False), runs)
    print(" NPS tab (every control move)")
    report("nps + distribution + satisfaction", lambda: (nps.nps(feats["nps"]), nps.nps_distribution(feats["nps"]),
                                                        nps.satisfaction_distribution(feats["satisfaction"])), runs)
    report("nps_by_group (per tier, with satisfaction)",
           lambda: nps.nps_by_group(feats["nps"], tiers, order=["top", "middle", "low"],
                                    satisfaction=feats["satisfaction"]), runs)
    report("nps_rfm_matrix + groups + summary", lambda: nps.nps_rfm_summary(
        nps.nps_rfm_groups(f_score, feats["nps"]), feats, feats["nps"], feats["satisfaction"]), runs)
    print(" Pareto tab (every control move)")
    report("pareto (all-time revenue) + curve + table", lambda: (lambda p: (p.curve(200), p.table()))(
        pareto.pareto(feats["revenue_total"])), runs)
    print(" predictive CLV page (cached per settings)")
    report("clv.run (weeks, 12 months, penalizer 0.001)",
           lambda: clv.run(tx, time_unit="weeks", penalizer=0.001), runs)
    cal = pd.Timestamp(tx["order_date"].max()) - pd.DateOffset(months=6)
    report("clv.holdout_comparison (6-month holdout)", lambda: clv.holdout_comparison(
        tx, cal, tx["order_date"].max(), time_unit="weeks", penalizer=0.001), runs)


def bench_app(tx: pd.DataFrame, runs: int) -> None:
    """Time the two pages in AppTest on ``tx`` (a monkeypatched data set)."""
    from streamlit.testing.v1 import AppTest

    import ui.state
    from loyalty.i18n import t
    from loyalty.pipeline import Dataset

    ds = Dataset(tables=[], transactions=_transactions(tx), customers=None)
    ui.state.dataset = lambda: ds  # the pages read the data set through ui.state
    ui.state.dataset_key = lambda: "bench"
    plain = ui.state.build_features

    def with_survey(dataset, as_of=None, window_days=365):  # NPS and satisfaction, as a customer table adds
        feats = plain(dataset, as_of=as_of, window_days=window_days)
        feats.frame = feats.frame.join(survey(feats.frame.index))
        return feats

    ui.state.build_features = with_survey

    def run(at: AppTest) -> float:
        t0 = time.perf_counter()
        at.run(timeout=600)
        assert not at.exception, [e.value for e in at.exception]
        return time.perf_counter() - t0

    print(f"\nPages in AppTest on {len(tx):,} lines (first = cold caches; rerun = after a control move)")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    print(f"  {'app start (features, scores)':<52} {run(at):8.3f} s")
    at.switch_page("pages/metrics.py")
    print(f"  {'metrics page, LTV tab':<52} {run(at):8.3f} s")
    moves = []
    for v in (40, 60, 80)[:max(runs, 1)]:
        at.slider(key="w_metrics_margin").set_value(v)
        moves.append(run(at))
    print(f"  {'  gross-margin slider move (median)':<52} {statistics.median(moves):8.3f} s")
    for tab, control in (("metrics.tab.nps", ("slider", "w_metrics_high_f", (3, 5, 4))),
                         ("metrics.tab.continuity", ("segmented_control", "w_metrics_period",
                                                     ("quarter", "month", "quarter"))),
                         ("metrics.tab.pareto", ("slider", "w_metrics_pareto_top", (10, 30, 20)))):
        at.session_state["metrics_tab"] = t(tab)
        print(f"  {'metrics page, ' + t(tab, 'en') + ' tab':<52} {run(at):8.3f} s")
        kind, key, values = control
        moves = []
        for v in values[:max(runs, 1)]:
            getattr(at, kind)(key=key).set_value(v)
            moves.append(run(at))
        print(f"  {'  ' + key + ' move (median)':<52} {statistics.median(moves):8.3f} s")
    at.switch_page("pages/clv.py")
    print(f"  {'CLV page (fit + forecasts)':<52} {run(at):8.3f} s")
    at.select_slider(key="w_clv_horizon").set_value(24)
    print(f"  {'  horizon 12 -> 24 months (fits cached, new forecast)':<52} {run(at):8.3f} s")
    at.select_slider(key="w_clv_horizon").set_value(12)
    print(f"  {'  back to 12 months (all cached)':<52} {run(at):8.3f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--customers", type=int, default=None)
    ap.add_argument("--app", action="store_true", help="also time the pages in AppTest")
    args = ap.parse_args()
    t0 = time.perf_counter()
    tx = make_transactions(args.lines, args.customers or max(args.lines // 10, 1))
    print(f"generated {len(tx):,} lines in {time.perf_counter() - t0:.1f} s")
    bench_domain(tx, args.runs)
    if args.app:
        bench_app(tx, args.runs)


if __name__ == "__main__":
    main()
