"""Benchmark: a slider move re-scores N customers (loyalty.scoring.Scorer.score).

The feature table is synthetic (fixed seed) with the columns a real upload has:
recency, frequency, monetary, tenure, and engagement/survey columns with gaps
(SNS reactions, NPS, satisfaction).  The Scorer is built once (as the app keeps
it per feature table); each timed run scores one definition, alternating
between two slider positions so nothing is reused by accident.  Three
definitions are timed: the BtoC preset in threshold mode, the same in quantile
mode (ranks cached per column), and a six-factor definition.

Prints the median of --runs runs (milliseconds), CPU time, the load average
(other people share the machine) and the peak memory of this process.

    python bench/bench_rescore.py [--customers 100000 1000000] [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from loyalty import definition as defn  # noqa: E402
from loyalty.scoring import Scorer  # noqa: E402

TARGET_MS = {100_000: 15.0, 1_000_000: 100.0}


def features(n: int, seed: int = 7) -> pd.DataFrame:
    """A synthetic customer feature table of ``n`` customers."""
    rng = np.random.default_rng(seed)
    freq = rng.negative_binomial(1, 0.3, n).astype(np.int64)
    nps = rng.integers(0, 11, n).astype(float)
    nps[rng.random(n) < 0.7] = np.nan  # most customers never answered the survey
    sat = rng.integers(1, 6, n).astype(float)
    sat[rng.random(n) < 0.6] = np.nan
    ids = pd.Index(np.char.mod("%08d", np.arange(n)), name="customer_id", dtype="str")
    return pd.DataFrame({
        "recency_days": rng.integers(0, 720, n).astype(float),
        "frequency": freq,
        "monetary": np.round(rng.lognormal(9.5, 1.1, n) * (freq > 0)),
        "tenure_days": rng.integers(0, 2000, n).astype(float),
        "orders_per_year": freq.astype(float),
        "sns_reactions": rng.poisson(3, n).astype(float),
        "nps": nps,
        "satisfaction": sat,
        "email_open_rate": rng.uniform(0, 80, n),
    }, index=ids)


def definitions() -> dict[str, tuple[defn.Definition, defn.Definition]]:
    """Pairs of definitions (two slider positions) to alternate between."""
    b2c = defn.preset("b2c")
    moved = b2c.copy()
    moved.rfm.recency = [14, 60, 90, 179]
    quant_a, quant_b = b2c.copy(), b2c.copy(tiers={"top": 75.0, "middle": 45.0})
    quant_a.rfm.mode = quant_b.rfm.mode = "quantile"
    six = defn.from_dict({**b2c.to_dict(), "factors": [
        {"key": "recency", "weight": 20}, {"key": "frequency", "weight": 20}, {"key": "monetary", "weight": 20},
        {"key": "sns_reactions", "weight": 10}, {"key": "nps", "weight": 15}, {"key": "satisfaction", "weight": 15}]})
    six_b = six.copy(tiers={"top": 70.0, "middle": 40.0})
    return {"b2c threshold": (b2c, moved), "b2c quantile": (quant_a, quant_b), "6 factors": (six, six_b)}


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run(n: int, runs: int) -> None:
    frame = features(n)
    scorer = Scorer(frame)
    for name, (a, b) in definitions().items():
        scorer.score(a)  # first score fills the per-column caches (the app does it once per upload)
        walls, cpus = [], []
        for i in range(runs):
            d = a if i % 2 else b
            w0, c0 = time.perf_counter(), _cpu()
            scorer.score(d)
            walls.append((time.perf_counter() - w0) * 1000)
            cpus.append((_cpu() - c0) * 1000)
        target = TARGET_MS.get(n)
        print(f"{n:>9,} customers  {name:15s} median {statistics.median(walls):7.1f} ms"
              f"  (min {min(walls):6.1f}, cpu {statistics.median(cpus):6.1f} ms)"
              + (f"  target <= {target:.0f} ms" if target else ""))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--customers", type=int, nargs="+", default=[100_000, 1_000_000])
    p.add_argument("--runs", type=int, default=15)
    args = p.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f} (2 cores; other people's work adds noise)")
    for n in args.customers:
        run(n, args.runs)
    print(f"peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB;"
          f" load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
