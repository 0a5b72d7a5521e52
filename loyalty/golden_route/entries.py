"""F2 conversion and loyalty now, per entry product or category (see
:mod:`loyalty.golden_route`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from loyalty import cohorts
from loyalty.golden_route.patterns import wilson_interval
from loyalty.golden_route.settings import GoldenRouteSettings


def entry_table(fp: pd.DataFrame, loyal: pd.Series, cohort: pd.Series, by: str,
                settings: GoldenRouteSettings) -> tuple[pd.DataFrame, dict]:
    """F2 conversion and loyalty now, per entry product or category.

    Within the cohort (every customer observed at least ``min_history_days`` ≥
    ``f2_days``): f2 = customers whose second order came within ``f2_days`` of the
    first; f2_rate = f2 / customers; loyal_rate = loyal now / customers;
    loyal_rate_f2 = loyal now / f2 (among converters: repeat *and* loyal).  Entries
    with fewer than ``min_customers`` customers are hidden.

    Args:
        fp: :func:`first_purchases`.
        loyal: boolean Series (index customer_id).
        cohort: boolean Series (index customer_id).
        by: "product" or "category".
        settings: the settings.

    Returns:
        (table, totals): table columns entry, customers, f2, f2_rate(_low/_high),
        loyal, loyal_rate(_low/_high), loyal_rate_f2, sorted by loyal_rate then
        f2_rate then customers (descending); totals = the same figures over the whole
        cohort plus ``hidden`` (entries hidden) and ``available`` (False when the
        data has no such column).
    """
    z = settings.z
    col = f"first_{by}"
    inside = cohort.reindex(fp.index, fill_value=False).to_numpy(dtype=bool)
    d = pd.DataFrame({
        "entry": fp[col] if col in fp else pd.Series(np.nan, index=fp.index, dtype="str"),
        "f2": cohorts.converted_within(fp["second_order_days"].to_numpy(dtype=float), settings.f2_days),
        "loyal": loyal.reindex(fp.index, fill_value=False).to_numpy(dtype=bool),
    }, index=fp.index)[inside]
    n, f2, ly = len(d), int(d["f2"].sum()), int(d["loyal"].sum())
    totals = {"customers": n, "f2": f2, "loyal": ly, "f2_rate": f2 / n if n else np.nan,
              "loyal_rate": ly / n if n else np.nan,
              "loyal_rate_f2": int((d["f2"] & d["loyal"]).sum()) / f2 if f2 else np.nan,
              "hidden": 0, "available": col in fp}
    columns = ["entry", "customers", "f2", "f2_rate", "f2_rate_low", "f2_rate_high", "loyal", "loyal_rate",
               "loyal_rate_low", "loyal_rate_high", "loyal_rate_f2"]
    d = d[d["entry"].notna()]
    if not len(d):
        return pd.DataFrame(columns=columns), totals
    d = d.assign(both=d["f2"] & d["loyal"])
    g = d.groupby("entry", sort=True).agg(customers=("f2", "size"), f2=("f2", "sum"), loyal=("loyal", "sum"),
                                          both=("both", "sum"))
    keep = g["customers"] >= settings.min_customers
    totals["hidden"] = int((~keep).sum())
    g = g[keep].reset_index()
    for k in ("customers", "f2", "loyal", "both"):
        g[k] = g[k].astype(np.int64)
    n_, f_, l_ = (g[k].to_numpy(float) for k in ("customers", "f2", "loyal"))
    with np.errstate(invalid="ignore", divide="ignore"):
        g["f2_rate"] = f_ / n_
        g["f2_rate_low"], g["f2_rate_high"] = wilson_interval(f_, n_, z)
        g["loyal_rate"] = l_ / n_
        g["loyal_rate_low"], g["loyal_rate_high"] = wilson_interval(l_, n_, z)
        g["loyal_rate_f2"] = np.where(f_ > 0, g["both"].to_numpy(float) / f_, np.nan)
    g = g.sort_values(["loyal_rate", "f2_rate", "customers", "entry"], ascending=[False, False, False, True],
                      kind="stable")
    return g[columns].reset_index(drop=True), totals
