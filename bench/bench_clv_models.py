"""Benchmark of loyalty.clv_models (Pareto/NBD, MBG/NBD, sBG) on simulated customers, against lifetimes.

Prints figures; passes or fails nothing.  For each model, ``--n`` customers (default
1,000,000) are drawn from the model itself (the generators in the modules; parameters
below), then:

* our fit: median wall time of ``--runs`` fits (default 3) and the peak memory Python
  allocated during one more fit (tracemalloc, in a separate run so tracing does not slow
  the timed ones); the fitted parameters against the true ones;
* lifetimes 0.11.3 on the same data in the same run (``ParetoNBDFitter``,
  ``ModifiedBetaGeoFitter``; it has no sBG), given the same weighted unique summary
  (lifetimes accepts ``weights``; ``--lifetimes-per-customer`` gives it one row per
  customer instead): median of ``--lifetimes-runs`` fits (default 1, it is slow), its
  parameters, and our log-likelihood at them (lifetimes rescales time internally, so its
  own likelihood is not comparable);
* P(alive) and expected purchases in 52 weeks for every customer (ours).

Our fits group identical (x, t_x, T) themselves, so they get the per-customer arrays.

Data (weeks; T uniform on the day grid up to 78 weeks):

* Pareto/NBD r 0.553, alpha 10.578, s 0.606, beta 11.668 (CDNOW sample, FHL 2005);
* MBG/NBD r 0.525, alpha 6.183, a 0.891, b 1.614 (CDNOW sample, lifetimes);
* sBG alpha 0.704, beta 1.182 (Fader & Hardie 2007, regular customers), each customer
  observed for 1..24 renewal decisions.

On a busy machine OpenBLAS threads make every L-BFGS-B iteration slow (scipy calls BLAS
there); ``--blas-threads 1`` sets OPENBLAS_NUM_THREADS / OMP_NUM_THREADS / MKL_NUM_THREADS
before numpy is imported, to show the difference.

Usage: python bench/bench_clv_models.py [--n 1000000] [--runs 3] [--skip-lifetimes]
       [--lifetimes-runs 1] [--lifetimes-per-customer] [--blas-threads N] [--seed 20240601]
"""

from __future__ import annotations

import argparse
import os
import sys


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000, help="simulated customers per model")
    ap.add_argument("--runs", type=int, default=3, help="timed runs of our fits (median printed)")
    ap.add_argument("--skip-lifetimes", action="store_true", help="do not run lifetimes")
    ap.add_argument("--lifetimes-runs", type=int, default=1, help="timed runs of lifetimes' fits")
    ap.add_argument("--lifetimes-per-customer", action="store_true",
                    help="give lifetimes one row per customer instead of the weighted unique summary")
    ap.add_argument("--blas-threads", type=int, default=None, help="limit BLAS threads (set before numpy loads)")
    ap.add_argument("--seed", type=int, default=20240601)
    return ap.parse_args(argv)


ARGS = _arguments(sys.argv[1:] if __name__ == "__main__" else [])
if ARGS.blas_threads:
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(ARGS.blas_threads)

import contextlib  # noqa: E402
import io  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Callable  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import scipy  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from measure import timed, traced_peak_mib  # noqa: E402
from loyalty.clv_models import mbgnbd, pareto_nbd, sbg  # noqa: E402
from loyalty.errors import LoyaltyError  # noqa: E402

PARETO = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.668}
MBG = {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}
SBG = {"alpha": 0.704, "beta": 1.182}


def fmt(d: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.4g}" for k, v in d.items())


def unique_summary(sim: dict[str, np.ndarray]) -> pd.DataFrame:
    frame = pd.DataFrame({"frequency": sim["frequency"], "recency": sim["recency"], "T": sim["T"]})
    return frame.value_counts().reset_index(name="weights")


def bench_ours(label: str, fit: Callable[[], Any], true: dict[str, float], runs: int) -> Any:
    try:
        sec, result = timed(fit, runs)
    except LoyaltyError as err:
        print(f"  our fit      : LoyaltyError: {err.en}")
        return None
    mem = traced_peak_mib(fit)
    params = {k: v for k, v in result.params().items() if k != "loglik"}
    print(f"  our fit      : {sec:8.3f} s  peak {mem:8.1f} MiB  {fmt(params)}, loglik {result.loglik:.8g}")
    off = {k: (params[k] - v) / result.stderr[k] for k, v in true.items()}
    print(f"                 (estimate - true) / standard error: {fmt(off)}")
    return result


def bench_lifetimes(cls_name: str, sim: dict[str, np.ndarray], loglik: Callable[..., np.ndarray],
                    names: tuple[str, ...], runs: int, per_customer: bool) -> None:
    import lifetimes

    cls = getattr(lifetimes, cls_name)
    if per_customer:
        data = pd.DataFrame({"frequency": sim["frequency"], "recency": sim["recency"], "T": sim["T"]})
        weights, how = None, f"{len(data):,} rows, one per customer"
    else:
        data = unique_summary(sim)
        weights, how = data["weights"], f"{len(data):,} weighted unique rows"

    def fit() -> Any:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            return cls().fit(data["frequency"], data["recency"], data["T"], weights=weights)

    try:
        sec, model = timed(fit, runs)
    except Exception as err:  # noqa: BLE001 - a benchmark reports, it does not stop
        print(f"  lifetimes    : {type(err).__name__}: {str(err).strip().splitlines()[0]} ({how})")
        return
    params = {k: float(model.params_[k]) for k in names}
    ll = float(loglik(*params.values(), sim["frequency"], sim["recency"], sim["T"]).sum())
    print(f"  lifetimes    : {sec:8.3f} s  ({how}, median of {runs})  {fmt(params)}, our loglik there {ll:.8g}")


def bench_predictions(module: Any, fitted: Any, sim: dict[str, np.ndarray], runs: int) -> None:
    x, tx, T = sim["frequency"], sim["recency"], sim["T"]

    def predict() -> tuple[np.ndarray, np.ndarray]:
        return module.probability_alive(fitted, x, tx, T), module.expected_purchases(fitted, 52.0, x, tx, T)

    sec, (p, e) = timed(predict, runs)
    print(f"  P(alive) + E[Y(52 weeks)] for all: {sec:.3f} s  (mean P(alive) {p.mean():.3f}, "
          f"of one-time buyers {p[x == 0].mean():.3f}; mean E[Y(52)] {e.mean():.3f})")


def noncontractual(name: str, module: Any, true: dict[str, float], lifetimes_cls: str, args: argparse.Namespace,
                with_lifetimes: bool) -> None:
    t0 = time.perf_counter()
    sim = module.simulate(args.n, *true.values(), max_T=78.0, days_per_unit=7, seed=args.seed)
    print(f"\n== {name}: {args.n:,} simulated customers (true {fmt(true)}; simulation "
          f"{time.perf_counter() - t0:.2f} s, not timed below)")
    print(f"  distinct (x, t_x, T): {len(unique_summary(sim)):,}; repeat buyers {(sim['frequency'] > 0).mean():.1%}")
    fitted = bench_ours(name, lambda: module.fit(sim["frequency"], sim["recency"], sim["T"], time_unit="weeks"),
                        true, max(args.runs, 1))
    if with_lifetimes:
        bench_lifetimes(lifetimes_cls, sim, module.loglik, module._NAMES, max(args.lifetimes_runs, 1),
                        args.lifetimes_per_customer)
    if fitted is not None:
        bench_predictions(module, fitted, sim, max(args.runs, 1))


def contractual(args: argparse.Namespace) -> None:
    t0 = time.perf_counter()
    renewals, active = sbg.simulate(args.n, *SBG.values(), max_periods=24, seed=args.seed)
    print(f"\n== sBG: {args.n:,} simulated contracts (true {fmt(SBG)}; observed for 1..24 renewal decisions; "
          f"simulation {time.perf_counter() - t0:.2f} s, not timed below)")
    print(f"  still active {active.mean():.1%}; lifetimes has no sBG model")
    fitted = bench_ours("sBG", lambda: sbg.fit(renewals, active), SBG, max(args.runs, 1))
    if fitted is not None:
        sec, value = timed(lambda: sbg.derl(fitted, renewals, 0.1), max(args.runs, 1))
        print(f"  DERL at 10% per period for all: {sec:.3f} s (mean {value.mean():.3f} payments)")


def main(args: argparse.Namespace) -> None:
    with_lifetimes = not args.skip_lifetimes
    versions = f"python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}"
    if with_lifetimes:
        try:
            import lifetimes

            versions += f", lifetimes {lifetimes.__version__}"
        except ImportError:
            with_lifetimes = False
            versions += "; lifetimes not installed: comparison skipped"
    blas = os.environ.get("OPENBLAS_NUM_THREADS", "unset")
    print(f"{versions}; OPENBLAS_NUM_THREADS={blas}; {args.runs} runs per figure of ours (median); "
          "peak = tracemalloc peak of a separate run")
    noncontractual("Pareto/NBD", pareto_nbd, PARETO, "ParetoNBDFitter", args, with_lifetimes)
    noncontractual("MBG/NBD", mbgnbd, MBG, "ModifiedBetaGeoFitter", args, with_lifetimes)
    contractual(args)
    print(f"\nprocess max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main(ARGS)
