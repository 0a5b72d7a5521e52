"""Benchmark: the deliverables for 100,000 customers — the workbook, personas, lists, handout.

The customer base is synthetic (fixed seed) with the columns a BtoC shop's data gives
(R/F/M inputs, order dates, attributes, engagement, NPS), scored with the BtoC preset.
Cases, each in its own fresh process (so peak memory is its own):

* ``workbook``           — :func:`loyalty.workbook.workbook_bytes` as the app builds it
  (XlsxWriter + Arrow body; personas built inside): 10 sheets, 100k customer rows.
* ``workbook fast=False`` — the same sheets, every cell through XlsxWriter.
* ``personas``           — tier and segment personas (:func:`loyalty.personas.build_personas`).
* ``lists zip``          — every tier/segment list as CSV in one ZIP (UTF-8 with BOM).
* ``handout``            — the one-page HTML with its two charts (vl-convert; the first
  call in a process also starts its engine, which is part of the figure).

For openpyxl, see ``bench/bench_export.py`` (one 100k-row formatted sheet: ~26 s).
Time is the median of ``--runs`` runs; peak memory is the process's peak resident set
size during the runs minus its size just before them (VmHWM / VmRSS).

Usage::

    python bench/bench_workbook.py [--customers 100000] [--runs 3] [--only NAME]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from measure import reset_peak_rss, status_kib  # noqa: E402
from loyalty import definition as defn  # noqa: E402
from loyalty.export import excel_bytes  # noqa: E402
from loyalty.features import Features  # noqa: E402
from loyalty.handout import handout_html  # noqa: E402
from loyalty.ltv import customer_ltv  # noqa: E402
from loyalty.personas import build_personas  # noqa: E402
from loyalty.scoring import score  # noqa: E402
from loyalty.targets import target_lists_zip  # noqa: E402
from loyalty.workbook import workbook_bytes, workbook_sheets  # noqa: E402

AS_OF = date(2024, 12, 31)


def customer_base(n: int, seed: int = 0) -> Features:
    """A synthetic BtoC customer-feature table with ``n`` customers (deterministic)."""
    rng = np.random.default_rng(seed)
    as_of = pd.Timestamp(AS_OF)
    recency = rng.integers(0, 730, n).astype(float)
    frequency = rng.geometric(0.35, n) - 1
    aov = rng.lognormal(8.5, 0.4, n).round()
    monetary = aov * frequency
    tenure = recency + rng.integers(0, 1000, n)
    orders_total = frequency + rng.integers(0, 5, n)

    def pick(values, p=None):
        return pd.Series(np.asarray(values)[rng.choice(len(values), n, p=p)], dtype="str")

    nps = rng.integers(0, 11, n).astype(float)
    nps[rng.random(n) < 0.45] = np.nan
    frame = pd.DataFrame({
        "recency_days": recency,
        "frequency": frequency,
        "monetary": monetary,
        "first_order": as_of - pd.to_timedelta(tenure, unit="D"),
        "last_order": as_of - pd.to_timedelta(recency, unit="D"),
        "tenure_days": tenure.astype(float),
        "orders_total": orders_total,
        "revenue_total": aov * orders_total,
        "aov": aov,
        "discount_share": rng.random(n).round(2),
        "orders_per_year": frequency.astype(float),
        "age_band": pick(["20代", "30代", "40代", "50代", "60代以上"], [0.2, 0.3, 0.25, 0.15, 0.1]),
        "gender": pick(["女性", "男性", "回答しない"], [0.8, 0.15, 0.05]),
        "region": pick(["北海道・東北", "関東", "中部", "近畿", "中国・四国", "九州・沖縄"]),
        "acquisition_channel": pick(["紹介", "Instagram", "検索", "アフィリエイト", "LINE"]),
        "email_open_rate": (rng.random(n) * 80).round(1),
        "email_click_rate": (rng.random(n) * 20).round(1),
        "logins": rng.poisson(8, n).astype(float),
        "events": rng.poisson(0.4, n).astype(float),
        "sns_reactions": rng.poisson(5, n).astype(float),
        "reviews": np.minimum(rng.poisson(1, n), orders_total).astype(float),
        "inquiries": rng.poisson(0.7, n).astype(float),
        "nps": nps,
        "satisfaction": np.where(np.isnan(nps), np.nan, rng.integers(1, 6, n)),
    }, index=pd.Index([f"{i:07d}" for i in range(1, n + 1)], name="customer_id", dtype="str"))
    return Features(frame=frame, as_of=AS_OF, window_days=365, source="transactions")


def _setup(n: int):
    features = customer_base(n)
    d = defn.preset("b2c")
    scored = score(features.frame, d).frame
    return features, scored, d, customer_ltv(features.frame)


CASES = {
    "workbook": lambda f, s, d, ltv: workbook_bytes(f, s, d, "ja", source="bench", ltv=ltv),
    "workbook fast=False": lambda f, s, d, ltv: excel_bytes(workbook_sheets(f, s, d, "ja", source="bench", ltv=ltv),
                                                            fast=False),
    "personas (tiers + segments)": lambda f, s, d, ltv: (build_personas(f.frame, s, d, "ja")
                                                         + build_personas(f.frame, s, d, "ja", by="segment")),
    "lists zip (utf-8-sig)": lambda f, s, d, ltv: target_lists_zip(f.frame, s, d, "ja")[0],
    "handout (html + 2 charts)": lambda f, s, d, ltv: handout_html(f, s, d, "ja", source="bench").encode(),
}


def measure(name: str, n: int, runs: int) -> dict:
    """Run one case ``runs`` times in this process; time, peak memory and output size."""
    args = _setup(n)
    before = reset_peak_rss()
    times, size = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        out = CASES[name](*args)
        times.append(time.perf_counter() - start)
        size = len(out) if isinstance(out, (bytes, str)) else 0
        del out
    return {"name": name, "seconds": statistics.median(times), "all": times,
            "peak_mib": (status_kib("VmHWM") - before) / 1024, "size_mb": size / 1e6}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", help="run one case in this process and print JSON")
    args = parser.parse_args()
    if args.only:
        print(json.dumps(measure(args.only, args.customers, args.runs)))
        return
    print(f"{args.customers:,} customers; median of {args.runs} runs; peak = extra RSS")
    print(f"{'case':30} {'median s':>9} {'runs':>20} {'peak MiB':>9} {'size MB':>8}")
    for name in CASES:
        proc = subprocess.run([sys.executable, __file__, "--customers", str(args.customers), "--runs",
                               str(args.runs), "--only", name], capture_output=True, text=True, check=True)
        r = json.loads(proc.stdout)
        runs = "/".join(f"{t:.2f}" for t in r["all"])
        print(f"{name:30} {r['seconds']:9.2f} {runs:>20} {r['peak_mib']:9.0f} {r['size_mb']:8.1f}", flush=True)


if __name__ == "__main__":
    main()
