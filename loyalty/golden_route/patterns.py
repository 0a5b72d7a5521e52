"""Patterns and their intervals: share among loyal customers and among the rest
(Wilson), lift (Katz), the verdict and the order of the table, and the
one-glance summary (see :mod:`loyalty.golden_route`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from loyalty.golden_route.settings import _ORDER, _SPEC, SUMMARY_ATTRIBUTES, GoldenRouteSettings


def wilson_interval(x, n, z: float = 1.959963984540054) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a proportion x / n (vectorised).

    Args:
        x: successes (array-like).
        n: trials (array-like, same shape); n = 0 gives NaN.
        z: the normal quantile (1.96 for 95 %).

    Returns:
        (low, high) arrays.
    """
    x = np.asarray(x, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x / n
        denom = 1.0 + z * z / n
        centre = (p + z * z / (2.0 * n)) / denom
        half = z * np.sqrt(p * (1.0 - p) / n + z * z / (4.0 * n * n)) / denom
    low = np.where(n > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
    high = np.where(n > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    return low, high


def katz_interval(a, n1, c, n2, z: float = 1.959963984540054) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ratio of two proportions (a/n1) / (c/n2) with Katz's log interval (vectorised).

    When a or c is 0, 0.5 is added to a and c and 1 to n1 and n2 (Haldane–Anscombe).

    Args:
        a: events in group 1; n1: size of group 1.
        c: events in group 2; n2: size of group 2.
        z: the normal quantile.

    Returns:
        (ratio, low, high) arrays (NaN where a group is empty).
    """
    a, n1, c, n2 = (np.asarray(v, dtype=float) for v in (a, n1, c, n2))
    zero = (a == 0) | (c == 0)
    a = np.where(zero, a + 0.5, a)
    c = np.where(zero, c + 0.5, c)
    n1 = np.where(zero, n1 + 1.0, n1)
    n2 = np.where(zero, n2 + 1.0, n2)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = (a / n1) / (c / n2)
        se = np.sqrt(np.maximum(1.0 / a - 1.0 / n1 + 1.0 / c - 1.0 / n2, 0.0))
        low = ratio * np.exp(-z * se)
        high = ratio * np.exp(z * se)
    bad = (n1 <= 0) | (n2 <= 0)
    return tuple(np.where(bad, np.nan, v) for v in (ratio, low, high))


@dataclass
class PatternTable:
    """Patterns of the cohort's first purchases.

    Attributes:
        shown: one row per pattern that passed the minimums, sorted (see module doc):
            attribute, value, group, customers, loyal, rest, loyal_known, rest_known,
            share_loyal(_low/_high), share_rest(_low/_high), lift(_low/_high),
            loyal_rate(_low/_high), verdict.
        hidden: number of patterns hidden for having too few customers.
    """

    shown: pd.DataFrame
    hidden: int


_PATTERN_COLUMNS = ["attribute", "value", "group", "customers", "loyal", "rest", "loyal_known", "rest_known",
                    "share_loyal", "share_loyal_low", "share_loyal_high", "share_rest", "share_rest_low",
                    "share_rest_high", "lift", "lift_low", "lift_high", "loyal_rate", "loyal_rate_low",
                    "loyal_rate_high", "verdict"]


def pattern_table(values: pd.DataFrame, loyal: pd.Series, cohort: pd.Series,
                  settings: GoldenRouteSettings) -> PatternTable:
    """Share among loyal customers, share among the rest, lift and intervals per pattern.

    Args:
        values: :func:`attribute_values` (index customer_id).
        loyal: boolean Series (same index): loyal now.
        cohort: boolean Series (same index): customers with enough history.
        settings: minimums and confidence level.

    Returns:
        :class:`PatternTable`.
    """
    z = settings.z
    inside = cohort.reindex(values.index, fill_value=False).to_numpy(dtype=bool)
    is_loyal = loyal.reindex(values.index, fill_value=False).to_numpy(dtype=bool)[inside]
    v = values[inside]
    long = v.assign(_loyal=is_loyal).melt(id_vars="_loyal", var_name="attribute", value_name="value")
    long = long[long["value"].notna()]
    if not len(long) or not is_loyal.any() or is_loyal.all():
        return PatternTable(pd.DataFrame(columns=_PATTERN_COLUMNS), 0)
    counts = long.groupby(["attribute", "value"], sort=False)["_loyal"].agg(["size", "sum"])
    known = long.groupby("attribute", sort=False)["_loyal"].agg(["size", "sum"])
    out = counts.reset_index().rename(columns={"size": "customers", "sum": "loyal"})
    out["customers"] = out["customers"].astype(np.int64)
    out["loyal"] = out["loyal"].astype(np.int64)
    out["rest"] = out["customers"] - out["loyal"]
    out["loyal_known"] = out["attribute"].map(known["sum"]).astype(np.int64)
    out["rest_known"] = out["attribute"].map(known["size"] - known["sum"]).astype(np.int64)
    out = out[~(out["attribute"].eq("first_coupon") & out["value"].eq(""))]  # = first_price "full"
    keep = (out["customers"] >= settings.min_customers) & (out["loyal"] >= settings.min_loyal)
    hidden = int((~keep).sum())
    out = out[keep].reset_index(drop=True)
    a, n1 = out["loyal"].to_numpy(float), out["loyal_known"].to_numpy(float)
    c, n2 = out["rest"].to_numpy(float), out["rest_known"].to_numpy(float)
    out.insert(2, "group", out["attribute"].map({k: a.group for k, a in _SPEC.items()}).astype("str"))
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share_loyal"] = a / n1
        out["share_loyal_low"], out["share_loyal_high"] = wilson_interval(a, n1, z)
        out["share_rest"] = c / n2
        out["share_rest_low"], out["share_rest_high"] = wilson_interval(c, n2, z)
        out["lift"], out["lift_low"], out["lift_high"] = katz_interval(a, n1, c, n2, z)
        out["loyal_rate"] = a / (a + c)
        out["loyal_rate_low"], out["loyal_rate_high"] = wilson_interval(a, a + c, z)
    out["verdict"] = np.select([out["lift_low"] > 1.0, out["lift_high"] < 1.0], ["golden", "avoid"], "neutral")
    out["verdict"] = out["verdict"].astype("str")
    # golden: surest strong lift first (lower bound); neutral: by lift; avoid: surest weak lift first
    out["_rank"] = out["verdict"].map({"golden": 0, "neutral": 1, "avoid": 2})
    out["_key"] = np.select([out["verdict"] == "golden", out["verdict"] == "avoid"],
                            [-out["lift_low"], out["lift_high"]], -out["lift"])
    out["_attr"] = out["attribute"].map(_ORDER)
    out = out.sort_values(["_rank", "_key", "customers", "_attr", "value"],
                          ascending=[True, True, False, True, True], kind="stable")
    return PatternTable(out[_PATTERN_COLUMNS].reset_index(drop=True), hidden)


def route_summary(patterns: pd.DataFrame, n: int = 6,
                  attributes: tuple[str, ...] | None = None) -> pd.DataFrame:
    """The golden route in a few lines: per attribute, the golden pattern with the
    highest lower bound of the lift; the ``n`` attributes with the highest such bounds.

    Only what a shop can act on when it acquires and nurtures is considered
    (:data:`SUMMARY_ATTRIBUTES`: first order, acquisition, the second order), not
    demographics, current engagement or later purchase counts.

    Args:
        patterns: :attr:`PatternTable.shown`.
        n: how many lines.
        attributes: the attributes considered (default :data:`SUMMARY_ATTRIBUTES`).

    Returns:
        The chosen rows of ``patterns`` (same columns), by lift_low descending.
    """
    keys = SUMMARY_ATTRIBUTES if attributes is None else attributes
    golden = patterns[(patterns["verdict"] == "golden") & patterns["attribute"].isin(list(keys))]
    best = golden.sort_values(["lift_low", "customers"], ascending=[False, False], kind="stable")
    return best.drop_duplicates("attribute").head(n).reset_index(drop=True)
