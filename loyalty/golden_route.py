"""The golden route (ゴールデンルート): how today's loyal customers behaved when they were new.

Seed 002 describes a cycle: define the loyal customers, learn what their first
purchase and first weeks looked like, then acquire and nurture new customers who
behave the same way, measuring F2 conversion on *loyal* customers rather than on
any repeat buyer.  This module does the arithmetic; pure pandas/numpy, no
Streamlit, no loop per customer.

Definitions
-----------
* **Purchase order**: the order lines (``is_order_line`` of the typed lines: a
  positive amount, not a return, not a fee line; :mod:`loyalty.lines`) of one
  ``order_key``, dated on or before the as-of date.  Without an order id, all purchase lines of one customer on one day
  form one order (a one-day basket): otherwise a first purchase of three lines would
  look like one item followed by two "second orders" on day 0.
* **First order**: the customer's earliest order (same day: the one whose first line
  comes first in the data).  Its **main line** is the line with the highest amount
  (ties: the earlier line); the first product, category and channel are those of the
  main line.  Items = the sum of quantities of the first order's lines (a line
  without a quantity counts 1; without a quantity column, the number of lines).
  Value = the sum of its line amounts.  **Full price** = no line of it has a discount
  > 0 and none carries a coupon code.  Returns are ignored in the first-order
  profile; they count in the 30/90-day spend (net).
* **Days to the second order** = date of the second purchase − date of the first
  order, where the second purchase is the first order on a *later calendar day*
  (orders on the first day belong to the first purchase): the F2 rule of
  :func:`loyalty.cohorts.second_purchase`, the same as on the metrics page.  The
  bands stop at the longest band edge (14, 30, 45, 90, 180, 365 days) that fits in
  the minimum history, after which a customer is "no second order within H days".
* **First N days** = days 0…N after the first order (inclusive).
* **Cohort** (customers with enough history): first order at least
  ``min_history_days`` before the as-of date.  **Loyal** = the cohort customers whose
  tier under the working definition is in ``loyal_tiers`` (``top`` by default, or
  ``top`` and ``middle``); **rest** = the other cohort customers.
* **New customers**: first order within the last ``new_days`` days, i.e. on
  (as-of − new_days, as-of].

Patterns and lift
-----------------
A pattern is one value of one attribute ("first_price = full price").  For each
attribute only customers with a known value count (a customer missing from the
customer table has no acquisition channel).  With a = loyal customers with the
pattern, n1 = loyal customers with a known value, c = the rest with the pattern,
n2 = the rest with a known value:

* share_loyal = a / n1, share_rest = c / n2, each with a Wilson score interval;
* **lift** = share_loyal / share_rest (a risk ratio: "how many times more common is
  the pattern among loyal customers").  It is also the naive-Bayes likelihood ratio
  used by the route score below.  Interval: Katz's log method,
  exp(ln(lift) ± z·√(1/a − 1/n1 + 1/c − 1/n2)).  When a or c is 0, 0.5 is added to
  a and c and 1 to n1 and n2 (Haldane–Anscombe) for the lift and its interval;
* loyal_rate = a / (a + c): the share of customers with the pattern who are loyal
  now (Wilson interval);
* **verdict**: ``golden`` when the interval's lower end is above 1, ``avoid`` when
  its upper end is below 1, otherwise ``neutral``;
* patterns with fewer than ``min_customers`` customers (a + c) or fewer than
  ``min_loyal`` loyal customers (a) are hidden: with few customers a large lift
  happens by chance;
* order: golden patterns first, the surest first (lower end of the lift interval
  descending); then neutral ones by lift descending; then ``avoid`` ones, the surest
  first (upper end ascending); ties: more customers first.

Route score
-----------
For a new customer, route_score = Σ log2(lift) over the scored attributes whose
value is already known and whose pattern is shown (two times more common among
loyal customers = +1 point, half as common = −1).  The first product falls back to
the first category when the product's pattern is hidden.  Attributes that need
time (the second order) count only once they are known: a second order already
made, or "no second order within H days" once H days have passed.  Under the
naive-Bayes assumption (attributes independent within each group) 2 ** route_score
is how many times more common this combination is among loyal customers than
among the rest; correlated attributes make it overstate, so it is used to rank.  ``auc`` measures how well the score separates
loyal from the rest inside the cohort (in-sample, so optimistic).

This shows association, not cause: a pattern common among loyal customers does not
make a customer loyal by itself.

Limits (named, in :class:`GoldenRouteSettings`): ``min_history_days``
(:data:`MIN_HISTORY_FLOOR` … :data:`MAX_DAYS`), ``min_customers``, ``min_loyal``,
``f2_days``, ``new_days``, ``confidence``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from statistics import NormalDist

import numpy as np
import pandas as pd

from loyalty import cohorts, fmt, lines
from loyalty.i18n import error, t
from loyalty.quality import Transactions

__all__ = [
    "ATTRIBUTES",
    "COLUMN_KINDS",
    "FALLBACK",
    "SCORE_ATTRIBUTES",
    "SUMMARY_ATTRIBUTES",
    "GROUPS",
    "MAX_DAYS",
    "MIN_HISTORY_FLOOR",
    "SECOND_ORDER_EDGES",
    "AttributeSpec",
    "GoldenRoute",
    "GoldenRouteSettings",
    "PatternTable",
    "analyse",
    "attribute_label",
    "attribute_values",
    "auc",
    "entry_table",
    "first_purchases",
    "katz_interval",
    "pattern_label",
    "pattern_table",
    "route_scores",
    "route_summary",
    "wilson_interval",
]

#: The shortest minimum history: the first 90 days must be fully observed for everyone compared.
MIN_HISTORY_FLOOR = 90
#: The longest minimum history, F2 window or new-customer window (ten years).
MAX_DAYS = 3650
#: Band edges (days) of "days to the second order".
SECOND_ORDER_EDGES = (14, 30, 45, 90, 180, 365)
#: Band edges of item counts: 1, 2, 3–4, 5–9, 10–19, 20–49, 50+.
ITEM_EDGES = (2, 3, 5, 10, 20, 50)
#: Band edges of order counts in the first 30/90 days: 1, 2, 3–4, 5+.
ORDER_EDGES = (2, 3, 5)
#: Quantiles that cut money amounts into four bands (cohort quartiles, rounded).
MONEY_QUANTILES = (0.25, 0.5, 0.75)
#: Quantiles that cut engagement figures into three bands (low / middle / high).
ENGAGEMENT_QUANTILES = (1 / 3, 2 / 3)
#: Customer-table columns used as attributes (profile) and engagement (reference).
PROFILE_COLUMNS = ("age_band", "gender", "region", "industry", "company_size")
ENGAGEMENT_COLUMNS = ("email_open_rate", "email_click_rate", "logins", "events", "sns_reactions")
#: The score's product attribute falls back to this one when its pattern is hidden.
FALLBACK = {"first_product": "first_category"}

GROUPS = ("first_order", "acquisition", "early", "profile", "engagement")


@dataclass(frozen=True)
class AttributeSpec:
    """One attribute of the first-order profile.

    Attributes:
        key: attribute key (also the catalogue key ``golden.attr.<key>``).
        group: one of :data:`GROUPS`.
        horizon: days after the first order before the value is known (0 = at once).
    """

    key: str
    group: str
    horizon: int = 0


ATTRIBUTES: tuple[AttributeSpec, ...] = (
    AttributeSpec("first_product", "first_order"),
    AttributeSpec("first_category", "first_order"),
    AttributeSpec("first_items", "first_order"),
    AttributeSpec("first_lines", "first_order"),
    AttributeSpec("first_value", "first_order"),
    AttributeSpec("first_price", "first_order"),
    AttributeSpec("first_coupon", "first_order"),
    AttributeSpec("first_channel", "first_order"),
    AttributeSpec("acquisition_channel", "acquisition"),
    AttributeSpec("signup_lead", "acquisition"),
    AttributeSpec("second_order", "early"),  # known as soon as it happens (see module doc)
    AttributeSpec("orders_30", "early", 30),
    AttributeSpec("spend_30", "early", 30),
    AttributeSpec("orders_90", "early", 90),
    AttributeSpec("spend_90", "early", 90),
    *(AttributeSpec(c, "profile") for c in PROFILE_COLUMNS),
    *(AttributeSpec(c, "engagement") for c in ENGAGEMENT_COLUMNS),
)
_SPEC = {a.key: a for a in ATTRIBUTES}
_ORDER = {a.key: i for i, a in enumerate(ATTRIBUTES)}

#: Attributes the route score adds up by default: early *behaviour* only (the
#: first category stands in for a product whose pattern is hidden).
SCORE_ATTRIBUTES = ("first_product", "first_items", "first_value", "first_price", "first_channel",
                    "acquisition_channel", "second_order")

#: Attributes the one-glance summary of the route picks from (things a shop acts on).
SUMMARY_ATTRIBUTES = (*SCORE_ATTRIBUTES, "first_category", "first_coupon", "signup_lead")

#: Output column key -> display kind (see :class:`loyalty.export.Sheet`).
COLUMN_KINDS: dict[str, str] = {
    "attribute_label": "text", "value_label": "text", "verdict_label": "text", "lift_interval": "text",
    "loyal_rate_interval": "text",
    "customers": "int", "loyal": "int", "rest": "int",
    "share_loyal": "pct", "share_loyal_low": "pct", "share_loyal_high": "pct",
    "share_rest": "pct", "share_rest_low": "pct", "share_rest_high": "pct",
    "lift": "float", "lift_low": "float", "lift_high": "float",
    "loyal_rate": "pct", "loyal_rate_low": "pct", "loyal_rate_high": "pct",
    "entry": "text", "f2": "int", "f2_rate": "pct", "f2_rate_low": "pct", "f2_rate_high": "pct",
    "loyal_rate_f2": "pct",
    "customer_id": "text", "first_order": "date", "days_since_first": "int", "orders_so_far": "int",
    "first_product": "text", "first_category": "text", "first_items": "int", "first_value": "yen",
    "first_price": "text", "first_channel": "text", "acquisition_channel": "text",
    "second_order_days": "int", "route_score": "score", "matched": "text",
    "unknown": "int",
}


@dataclass(frozen=True)
class GoldenRouteSettings:
    """What the user tunes on the golden-route page (every limit named, with its default).

    Attributes:
        min_history_days: a customer is compared only when his first order is at least
            this many days before the as-of date (:data:`MIN_HISTORY_FLOOR` …
            :data:`MAX_DAYS`; default 180).
        loyal_tiers: tiers that count as loyal: ``("top",)`` (default) or
            ``("top", "middle")``.
        min_customers: a pattern is shown only when at least this many cohort
            customers have it (default 30).
        min_loyal: …and at least this many of them are loyal (default 5, at least 1).
        f2_days: F2 conversion = a second order within this many days of the first
            (default 90; at most ``min_history_days`` so everyone compared is observed).
        new_days: new customers = first order within this many days before the as-of
            date (default 90; at most ``min_history_days``).
        confidence: level of every interval (default 0.95).
        score_attributes: attributes the route score adds up (see :data:`SCORE_ATTRIBUTES`).
    """

    min_history_days: int = 180
    loyal_tiers: tuple[str, ...] = ("top",)
    min_customers: int = 30
    min_loyal: int = 5
    f2_days: int = 90
    new_days: int = 90
    confidence: float = 0.95
    score_attributes: tuple[str, ...] = SCORE_ATTRIBUTES

    def validate(self) -> "GoldenRouteSettings":
        """Check every setting.

        Returns:
            The settings themselves.

        Raises:
            LoyaltyError: a setting is out of range (the message names it and the range).
        """
        h = self.min_history_days
        if not (MIN_HISTORY_FLOOR <= int(h) <= MAX_DAYS):
            raise error("error.golden_setting", field="min_history_days", value=h,
                        low=MIN_HISTORY_FLOOR, high=MAX_DAYS)
        for name in ("f2_days", "new_days"):
            v = getattr(self, name)
            if not (1 <= int(v) <= int(h)):
                raise error("error.golden_setting", field=name, value=v, low=1, high=h)
        for name in ("min_customers", "min_loyal"):
            v = getattr(self, name)
            if not (1 <= int(v) <= 1_000_000):
                raise error("error.golden_setting", field=name, value=v, low=1, high=1_000_000)
        if not (0.5 <= float(self.confidence) < 1.0):
            raise error("error.golden_setting", field="confidence", value=self.confidence, low=0.5, high=0.999)
        if not self.loyal_tiers or not set(self.loyal_tiers) <= {"top", "middle", "low"} \
                or set(self.loyal_tiers) == {"top", "middle", "low"}:
            raise error("error.golden_setting", field="loyal_tiers", value="/".join(self.loyal_tiers),
                        low="top", high="top+middle")
        unknown = [a for a in self.score_attributes if a not in _SPEC]
        if unknown:
            raise error("error.golden_setting", field="score_attributes", value=", ".join(unknown),
                        low="first_product", high="second_order")
        return self

    @property
    def z(self) -> float:
        """The normal quantile of the interval level (1.96 for 95 %)."""
        return NormalDist().inv_cdf(0.5 + float(self.confidence) / 2.0)

    @property
    def second_order_cap(self) -> int:
        """H: the longest band edge of "days to the second order" within the minimum history."""
        fits = [e for e in SECOND_ORDER_EDGES if e <= int(self.min_history_days)]
        return fits[-1]


# --------------------------------------------------------------------------- statistics


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


def auc(score, positive) -> float:
    """Area under the ROC curve: the chance that a random positive scores above a
    random negative (ties count half).  Mann–Whitney on average ranks.

    Args:
        score: scores (array-like).
        positive: booleans, same length.

    Returns:
        The AUC, or NaN when either class is empty.
    """
    s = pd.Series(np.asarray(score, dtype=float))
    pos = np.asarray(positive, dtype=bool)
    n1, n0 = int(pos.sum()), int((~pos).sum())
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = s.rank(method="average").to_numpy()
    return float((ranks[pos].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0))


# ------------------------------------------------------------------ first purchases


def first_purchases(tx: Transactions, as_of: date) -> pd.DataFrame:
    """The first order and first weeks of every customer who ordered by the as-of date.

    Args:
        tx: clean transactions (:class:`loyalty.quality.Transactions`).
        as_of: lines after this date are ignored.

    Returns:
        A frame indexed by customer_id (str, sorted) with: first_order (datetime),
        days_since_first, orders_so_far, first_product, first_category, first_channel
        (only when mapped; of the main line), first_items, first_lines (distinct
        products, when product is mapped), first_value, first_discounted (1.0/0.0; only
        when discount or coupon is mapped), first_coupon (code, "" for none; when
        mapped), second_order_days (NaN without a second order), orders_30, orders_90,
        spend_30, spend_90 (net amounts, returns included).
    """
    f = tx.frame
    as_of_day = np.datetime64(as_of, "D").astype(np.int64)
    day = f["order_date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    valid = day <= as_of_day
    amount = np.nan_to_num(f["amount"].to_numpy(dtype=float), nan=0.0)
    purchase = valid & lines.order_line_mask(f)  # fee lines make no order (and are no entry product)
    ccode, uniques = pd.factorize(f["customer_id"], sort=True)  # integer codes: no string work below
    n = len(uniques)
    pos = np.flatnonzero(purchase & (ccode >= 0))
    c, d, a = ccode[pos].astype(np.int64), day[pos], amount[pos]
    if tx.has_order_id:
        k, _ = pd.factorize(f["order_key"].to_numpy()[pos])
    else:  # one order per customer and day
        k, _ = pd.factorize((c << 32) + (d - d.min() if len(d) else d))
    k = k.astype(np.int64)

    # one row per order: customer, first day, first line; sorted by customer, day, line
    n_orders = int(k.max()) + 1 if len(k) else 0
    o_c = np.zeros(n_orders, dtype=np.int64)
    o_c[k] = c
    o_d = np.full(n_orders, np.iinfo(np.int64).max)
    np.minimum.at(o_d, k, d)
    o_p = np.full(n_orders, np.iinfo(np.int64).max)
    np.minimum.at(o_p, k, pos)
    order = np.lexsort((o_p, o_d, o_c))
    o_c, o_d, o_k = o_c[order], o_d[order], order
    idx = np.arange(len(o_c))
    starts = np.r_[True, o_c[1:] != o_c[:-1]] if len(o_c) else np.zeros(0, dtype=bool)
    rank = idx - np.maximum.accumulate(np.where(starts, idx, 0)) if len(o_c) else idx
    first_c, first_d, first_k = o_c[rank == 0], o_d[rank == 0], o_k[rank == 0]

    out = pd.DataFrame(index=pd.Index(uniques[first_c], name="customer_id").astype("str"))
    first_day = np.full(n, np.nan)
    first_day[first_c] = first_d
    out["first_order"] = (first_d.astype("timedelta64[D]") + np.datetime64("1970-01-01", "D")).astype("datetime64[s]")
    out["days_since_first"] = (as_of_day - first_d).astype(np.int64)
    out["orders_so_far"] = np.bincount(o_c, minlength=n)[first_c].astype(np.int64)

    # the first order's lines; its main line = the highest amount, then the earlier line
    in_first = np.zeros(n_orders, dtype=bool)
    in_first[first_k] = True
    sel = in_first[k]
    fc, fk, fa, fp_ = c[sel], k[sel], a[sel], pos[sel]
    by_main = np.lexsort((fp_, -fa, fk))
    lead = np.r_[True, fk[by_main][1:] != fk[by_main][:-1]] if len(fk) else np.zeros(0, dtype=bool)
    main_c, main_pos = fc[by_main][lead], fp_[by_main][lead]
    main_at = np.full(n, -1, dtype=np.int64)
    main_at[main_c] = main_pos
    for role in ("product", "category", "channel"):
        if role in f:
            vals = f[role].iloc[main_at[first_c]].astype("str").str.strip()
            vals.index = out.index
            out[f"first_{role}"] = vals.where(vals.str.len() > 0)
    if "quantity" in f:
        q = f["quantity"].to_numpy(dtype=float)[fp_]
        q = np.where(np.isnan(q) | (q <= 0), 1.0, q)
    else:
        q = np.ones(len(fp_))
    out["first_items"] = np.bincount(fc, weights=q, minlength=n)[first_c]
    if "product" in f:
        prod, _ = pd.factorize(f["product"].iloc[fp_])
        ok = prod >= 0
        pairs = np.unique((fc[ok] << 32) + prod[ok].astype(np.int64))
        out["first_lines"] = np.bincount(pairs >> 32, minlength=n)[first_c].astype(float)
    out["first_value"] = np.bincount(fc, weights=fa, minlength=n)[first_c]
    has_disc, has_coupon = "discount" in f, "coupon" in f
    if has_disc or has_coupon:
        marked = np.zeros(len(fp_), dtype=bool)
        if has_disc:
            marked |= np.nan_to_num(f["discount"].to_numpy(dtype=float)[fp_], nan=0.0) > 0
        if has_coupon:
            code = f["coupon"].iloc[fp_].astype("str").str.strip()
            used = (code.notna() & (code.str.len() > 0)).to_numpy()
            marked |= used
            # the coupon of the first line (in file order) that carries one
            up = np.lexsort((fp_[used], fc[used]))
            uc = fc[used][up]
            head = np.r_[True, uc[1:] != uc[:-1]] if len(uc) else np.zeros(0, dtype=bool)
            coupon = pd.Series("", index=pd.RangeIndex(n), dtype="str")
            coupon.iloc[uc[head]] = code.to_numpy()[used][up][head]
            out["first_coupon"] = coupon.iloc[first_c].to_numpy()
        out["first_discounted"] = (np.bincount(fc, weights=marked, minlength=n)[first_c] > 0).astype(float)

    # the second purchase: the first order on a later day (the one F2 rule, loyalty.cohorts)
    first_of, second_of = cohorts.second_purchase(o_c, o_d, n)
    out["second_order_days"] = cohorts.days_to_second(first_of[first_c], second_of[first_c])

    # orders and net spend in the first 30/90 days (day 0 … day N after the first order)
    o_off = o_d - first_day[o_c]
    vc = ccode[valid]
    known = vc >= 0
    v_off = np.where(known, day[valid] - first_day[np.where(known, vc, 0)], np.nan)  # NaN: no order
    vamount = amount[valid]
    for days in (30, 90):
        out[f"orders_{days}"] = np.bincount(o_c, weights=o_off <= days, minlength=n)[first_c].astype(np.int64)
        keep = (v_off >= 0) & (v_off <= days)
        out[f"spend_{days}"] = np.bincount(vc[keep], weights=vamount[keep], minlength=n)[first_c]
    return out


# ------------------------------------------------------------------------ attributes


def _nice(x: float) -> float:
    """Round to two significant digits (4,387 → 4,400; 0.537 → 0.54)."""
    if not np.isfinite(x) or x == 0:
        return 0.0
    mag = 10.0 ** (np.floor(np.log10(abs(x))) - 1)
    return float(np.floor(abs(x) / mag + 0.5) * mag * np.sign(x))


def _edges(values: pd.Series, quantiles, *, nice: bool) -> list[float]:
    v = values.dropna().to_numpy(dtype=float)
    if not len(v):
        return []
    qs = np.quantile(v, quantiles)
    if nice:
        qs = [_nice(q) for q in qs]
    lo = float(np.min(v))
    return sorted({float(q) for q in qs if q > lo})


def _band(values: pd.Series, edges, prefix: str) -> pd.Series:
    """Codes ``<prefix>0`` … by edges (band i: edges[i-1] ≤ v < edges[i]); NaN stays NaN."""
    v = values.to_numpy(dtype=float)
    idx = np.searchsorted(np.asarray(edges, dtype=float), v, side="right")
    codes = pd.Series([f"{prefix}{i}" for i in range(len(edges) + 1)], dtype="str")
    out = pd.Series(codes.to_numpy()[idx], index=values.index, dtype="str")
    return out.where(~np.isnan(v))


def _count_labels(edges, unit_key: str, lang: str) -> dict[str, str]:
    """Labels of integer bands: "1点", "3〜4点", "50点以上"."""
    bounds = [1, *edges]
    out = {}
    for i, lo in enumerate(bounds):
        hi = bounds[i + 1] - 1 if i + 1 < len(bounds) else None
        if hi is None:
            out[f"n{i}"] = t(f"{unit_key}_ge", lang, n=fmt.format_int(lo))
        elif hi == lo:
            out[f"n{i}"] = t(unit_key, lang, n=int(lo))  # a count: English picks "1 item" / "2 items"
        else:
            out[f"n{i}"] = t(f"{unit_key}_range", lang, lo=fmt.format_int(lo), hi=fmt.format_int(hi))
    return out


def _range_labels(edges, prefix: str, lang: str, show) -> dict[str, str]:
    """Labels of bands cut at ``edges``: "¥3,000未満", "¥3,000〜¥5,000未満", "¥5,000以上"."""
    out = {}
    n = len(edges)
    for i in range(n + 1):
        if n == 0:
            out[f"{prefix}{i}"] = t("golden.band.all", lang)
        elif i == 0:
            out[f"{prefix}{i}"] = t("golden.band.lt", lang, hi=show(edges[0]))
        elif i == n:
            out[f"{prefix}{i}"] = t("golden.band.ge", lang, lo=show(edges[-1]))
        else:
            out[f"{prefix}{i}"] = t("golden.band.range", lang, lo=show(edges[i - 1]), hi=show(edges[i]))
    return out


def _number(x: float) -> str:
    return fmt.format_int(x) if float(x).is_integer() else fmt.format_score(x)


def attribute_values(fp: pd.DataFrame, customers: pd.DataFrame | None, cohort: pd.Series,
                     settings: GoldenRouteSettings, lang: str = "ja"
                     ) -> tuple[pd.DataFrame, dict[tuple[str, str], str], dict[tuple[str, str], int]]:
    """Turn first-purchase figures into categorical attribute values.

    Money and engagement bands are cut at quantiles of the cohort (money rounded to
    two significant digits) so that they mean the same for new customers.  A value
    is NaN when unknown: not in the data, or not observable yet (``horizon`` days
    have not passed since the first order; for the second order see the module doc).

    Args:
        fp: :func:`first_purchases`.
        customers: the feature frame (for customer-table columns: acquisition_channel,
            signup_date, age_band …), indexed by customer_id; may be None.
        cohort: boolean Series (index as ``fp``): customers with enough history.
        settings: the settings.
        lang: language of the value labels.

    Returns:
        (values, labels, ranks): values = one str column per available attribute
        (codes, NaN when unknown), in :data:`ATTRIBUTES` order; labels[(attribute,
        code)] = display text; ranks[(attribute, code)] = natural order of the value.
    """
    vals: dict[str, pd.Series] = {}
    labels: dict[tuple[str, str], str] = {}
    ranks: dict[tuple[str, str], int] = {}
    idx = fp.index
    elapsed = fp["days_since_first"].to_numpy()
    ref = fp[cohort.reindex(idx, fill_value=False).to_numpy(dtype=bool)]
    if not len(ref):
        ref = fp

    def text(key: str, s: pd.Series, *, none_label: str | None = None) -> None:
        s = s.astype("str")
        s = s.where(s.notna() & (s.str.len() > 0)) if none_label is None else s.fillna("")
        if s.notna().any():
            vals[key] = s
            for code in s.dropna().unique():
                labels[(key, code)] = none_label if (none_label is not None and code == "") else code

    def banded(key: str, s: pd.Series, codes_labels: dict[str, str], edges, prefix: str) -> None:
        vals[key] = _band(s, edges, prefix)
        for i, code in enumerate(codes_labels):
            labels[(key, code)] = codes_labels[code]
            ranks[(key, code)] = i

    for role in ("product", "category", "channel"):
        if f"first_{role}" in fp:
            text(f"first_{role}", fp[f"first_{role}"])
    banded("first_items", fp["first_items"], _count_labels(ITEM_EDGES, "golden.band.items", lang),
           ITEM_EDGES, "n")
    if "first_lines" in fp:
        banded("first_lines", fp["first_lines"], _count_labels(ITEM_EDGES, "golden.band.kinds", lang),
               ITEM_EDGES, "n")
    for key, col in (("first_value", "first_value"), ("spend_30", "spend_30"), ("spend_90", "spend_90")):
        e = _edges(ref[col], MONEY_QUANTILES, nice=True)
        banded(key, fp[col], _range_labels(e, "m", lang, fmt.format_yen), e, "m")
    if "first_discounted" in fp:
        d = fp["first_discounted"]
        vals["first_price"] = pd.Series(np.where(d > 0, "discounted", "full"), index=idx, dtype="str").where(d.notna())
        for i, code in enumerate(("full", "discounted")):
            labels[("first_price", code)] = t(f"golden.value.{code}", lang)
            ranks[("first_price", code)] = i
    if "first_coupon" in fp:
        text("first_coupon", fp["first_coupon"], none_label=t("golden.value.no_coupon", lang))
        ranks[("first_coupon", "")] = -1

    c = customers.reindex(idx) if customers is not None else pd.DataFrame(index=idx)
    if "acquisition_channel" in c:
        text("acquisition_channel", c["acquisition_channel"])
    if "signup_date" in c and c["signup_date"].notna().any():
        lead = (fp["first_order"] - pd.to_datetime(c["signup_date"]).dt.normalize()).dt.days.astype(float)
        code = np.select([lead < 0, lead == 0, lead <= 30], ["after", "same", "d30"], "older")
        vals["signup_lead"] = pd.Series(code, index=idx, dtype="str").where(lead.notna())
        for i, k in enumerate(("same", "d30", "older", "after")):
            labels[("signup_lead", k)] = t(f"golden.value.signup_{k}", lang)
            ranks[("signup_lead", k)] = i

    # days to the second order, censored at H; known once it happened or H days passed
    cap = settings.second_order_cap
    edges = [e for e in SECOND_ORDER_EDGES if e <= cap]
    d2 = fp["second_order_days"].to_numpy(dtype=float)
    band = np.searchsorted(np.asarray(edges, dtype=float), d2, side="left")  # d ≤ 14 → 0, 15–30 → 1 …
    code = np.where(np.isnan(d2) | (d2 > cap), "none", np.char.add("d", band.astype(str)))
    known = (~np.isnan(d2) & (d2 <= elapsed)) | (elapsed >= cap)
    vals["second_order"] = pd.Series(code, index=idx, dtype="str").where(known)
    lows = [0, *[e + 1 for e in edges[:-1]]]
    for i, (lo, hi) in enumerate(zip(lows, edges)):
        labels[("second_order", f"d{i}")] = (t("golden.band.days_le", lang, hi=hi) if i == 0 else
                                             t("golden.band.days_range", lang, lo=lo, hi=hi))
        ranks[("second_order", f"d{i}")] = i
    labels[("second_order", "none")] = t("golden.band.days_none", lang, days=cap)
    ranks[("second_order", "none")] = len(edges)

    order_labels = _count_labels(ORDER_EDGES, "golden.band.orders", lang)
    for n in (30, 90):
        ok = elapsed >= n
        banded(f"orders_{n}", fp[f"orders_{n}"].astype(float).where(ok), order_labels, ORDER_EDGES, "n")
        vals[f"spend_{n}"] = vals.pop(f"spend_{n}").where(ok)

    for col in PROFILE_COLUMNS:
        if col in c:
            text(col, c[col])
    for col in ENGAGEMENT_COLUMNS:
        if col in c and c[col].notna().any():
            s = pd.to_numeric(c[col], errors="coerce").astype(float)
            e = _edges(s[ref.index], ENGAGEMENT_QUANTILES, nice=False)
            if e:
                banded(col, s, _range_labels(e, "e", lang, _number), e, "e")

    ordered = {k: vals[k] for k in (a.key for a in ATTRIBUTES) if k in vals}
    # a band attribute whose values are all unknown carries nothing
    ordered = {k: v for k, v in ordered.items() if v.notna().any()}
    return pd.DataFrame(ordered, index=idx), labels, ranks


# -------------------------------------------------------------------------- patterns


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


# --------------------------------------------------------------------------- entries


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


# ------------------------------------------------------------------------- the score


def route_scores(values: pd.DataFrame, patterns: pd.DataFrame, who: pd.Series,
                 settings: GoldenRouteSettings, labels: dict[tuple[str, str], str] | None = None) -> pd.DataFrame:
    """Score customers by how well their early behaviour matches the loyal profile.

    route_score = Σ log2(lift) over :attr:`GoldenRouteSettings.score_attributes`
    whose value is known and whose pattern is shown (the first product falls back to
    the first category, see :data:`FALLBACK`).

    Args:
        values: :func:`attribute_values`.
        patterns: :attr:`PatternTable.shown`.
        who: boolean Series (index customer_id): the customers to score.
        settings: the settings.
        labels: value labels for ``matched`` (default: the codes).

    Returns:
        A frame indexed by customer_id with route_score, matched (the
        golden patterns the customer shows, labels joined by " / ", in the order of
        the score attributes), unknown (scored attributes whose value is not known
        yet — or not in the data — and for which no fallback stood in).
    """
    inside = who.reindex(values.index, fill_value=False).to_numpy(dtype=bool)
    v = values[inside]
    n = len(v)
    labels = labels or {}
    tables = {attr: g for attr, g in patterns.groupby("attribute", sort=False)}
    score = np.zeros(n)
    unknown = np.zeros(n, dtype=np.int64)
    matched = pd.Series("", index=v.index, dtype="str")

    def lookup(attr: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(lift, golden?, label) per customer for one attribute (NaN / False / "" when not shown)."""
        g = tables.get(attr)
        if attr not in v or g is None:
            return np.full(n, np.nan), np.zeros(n, dtype=bool), np.full(n, "", dtype=object)
        at = pd.Index(g["value"]).get_indexer(v[attr])  # -1: not shown (or unknown)
        ok = at >= 0
        pick = np.where(ok, at, 0)
        lift = np.where(ok, g["lift"].to_numpy(dtype=float)[pick], np.nan)
        gold = ok & (g["verdict"] == "golden").to_numpy()[pick]
        names = np.array([labels.get((attr, x), x) for x in g["value"]], dtype=object)  # per pattern
        return lift, gold, np.where(ok, names[pick], "")

    for attr in settings.score_attributes:
        if attr not in v:
            continue
        lift, gold, name = lookup(attr)
        missing_value = v[attr].isna().to_numpy()
        if attr in FALLBACK:
            flift, fgold, fname = lookup(FALLBACK[attr])
            use = np.isnan(lift) & ~np.isnan(flift)
            lift = np.where(use, flift, lift)
            gold = np.where(use, fgold, gold)
            name = np.where(use, fname, name)
            missing_value = missing_value & ~use
        unknown += missing_value
        score += np.nan_to_num(np.log2(lift), nan=0.0)
        if gold.any():
            piece = pd.Series(np.where(gold, name, ""), index=v.index, dtype="str")
            sep = np.where(gold & (matched != "").to_numpy(), " / ", "")
            matched = matched + pd.Series(sep, index=v.index, dtype="str") + piece
    return pd.DataFrame({"route_score": np.round(score, 6), "matched": matched, "unknown": unknown},
                        index=v.index)


# -------------------------------------------------------------------------- analysis


@dataclass
class GoldenRoute:
    """Everything the golden-route page shows.

    Attributes:
        settings: the settings used.
        as_of: the as-of date.
        cohort: customers with enough history; loyal: of them, loyal now.
        patterns: :class:`PatternTable`.
        summary: :func:`route_summary`.
        entries: "product"/"category" -> (:func:`entry_table` table, totals).
        new_customers: the on-route list (see :func:`analyse`), best match first.
        auc: how well the route score separates loyal from the rest in the cohort.
        labels: (attribute, code) -> display label.
        notes: catalogue keys (with values) worth telling the user.
    """

    settings: GoldenRouteSettings
    as_of: date
    cohort: int
    loyal: int
    patterns: PatternTable
    summary: pd.DataFrame
    entries: dict[str, tuple[pd.DataFrame, dict]]
    new_customers: pd.DataFrame
    auc: float
    labels: dict[tuple[str, str], str]
    notes: list[tuple[str, dict]] = field(default_factory=list)


def analyse(tx: Transactions | None, features: pd.DataFrame, tiers: pd.Series, as_of: date,
            settings: GoldenRouteSettings | None = None, lang: str = "ja", *,
            first: pd.DataFrame | None = None) -> GoldenRoute:
    """Run the whole golden-route analysis.

    Args:
        tx: clean transactions (None for a customer-level dataset: an error).
        features: the feature frame (index customer_id) with customer-table columns.
        tiers: tier key per customer (index customer_id), under the working definition.
        as_of: the as-of date.
        settings: the settings (defaults when None).
        lang: language of labels.
        first: :func:`first_purchases` of ``tx`` at ``as_of`` when already computed.

    Returns:
        :class:`GoldenRoute`.  new_customers columns: customer_id, route_score,
        matched, unknown, first_order, days_since_first, orders_so_far,
        second_order_days, first_product, first_category, first_items, first_value,
        first_price, first_channel, acquisition_channel (absent inputs leave their
        columns out).

    Raises:
        LoyaltyError: no transaction table, or a setting out of range.
    """
    settings = (settings or GoldenRouteSettings()).validate()
    if tx is None:
        raise error("error.golden_needs_transactions")
    fp = first if first is not None else first_purchases(tx, as_of)
    elapsed = fp["days_since_first"]
    cohort = elapsed >= settings.min_history_days
    tier = tiers.astype("str").reindex(fp.index)
    loyal = tier.isin(list(settings.loyal_tiers)) & cohort
    values, labels, _ = attribute_values(fp, features, cohort, settings, lang)
    notes: list[tuple[str, dict]] = []
    n_cohort, n_loyal = int(cohort.sum()), int(loyal.sum())
    if n_cohort == 0:
        notes.append(("golden.note.no_cohort", {"days": settings.min_history_days}))
    elif n_loyal == 0:
        notes.append(("golden.note.no_loyal", {}))
    elif n_loyal == n_cohort:
        notes.append(("golden.note.all_loyal", {}))
    patterns = pattern_table(values, loyal, cohort, settings)
    entries = {by: entry_table(fp, loyal, cohort, by, settings) for by in ("product", "category")}

    golden = patterns.shown[patterns.shown["verdict"] == "golden"]
    short = {(a, c): t("golden.short", lang, attribute=t(f"golden.short.{a}", lang), value=labels.get((a, c), c))
             for a, c in zip(golden["attribute"], golden["value"])}  # the labels "matched" can show
    fit = route_scores(values, patterns.shown, cohort, settings, short)
    quality = auc(fit["route_score"], loyal.reindex(fit.index).to_numpy(dtype=bool)) if len(fit) else float("nan")

    new = elapsed < settings.new_days
    scored = route_scores(values, patterns.shown, new, settings, short)
    sub = fp.loc[scored.index]
    table = pd.DataFrame({"first_order": sub["first_order"], "days_since_first": sub["days_since_first"],
                          "orders_so_far": sub["orders_so_far"]}, index=scored.index)
    for col in ("first_product", "first_category"):
        if col in sub:
            table[col] = sub[col]
    table["first_items"] = sub["first_items"].round(0).astype(np.int64)
    table["first_value"] = sub["first_value"]
    if "first_price" in values:
        price = {c: lab for (a, c), lab in labels.items() if a == "first_price"}
        table["first_price"] = values.loc[scored.index, "first_price"].map(price)
    if "first_channel" in sub:
        table["first_channel"] = sub["first_channel"]
    if "acquisition_channel" in features:
        table["acquisition_channel"] = features["acquisition_channel"].reindex(scored.index).astype("str")
    table["second_order_days"] = sub["second_order_days"].astype("Int64")
    table = scored.join(table)
    order = ["route_score", "matched", "unknown", "first_order", "days_since_first", "orders_so_far",
             "second_order_days", "first_product", "first_category", "first_items", "first_value", "first_price",
             "first_channel", "acquisition_channel"]
    table = table[[c for c in order if c in table]].rename_axis("customer_id").reset_index()
    table = table.sort_values(["route_score", "first_order", "customer_id"], ascending=[False, False, True],
                              kind="stable").reset_index(drop=True)
    if not len(table):
        notes.append(("golden.note.no_new", {"days": settings.new_days}))
    return GoldenRoute(settings=settings, as_of=as_of, cohort=n_cohort, loyal=n_loyal, patterns=patterns,
                       summary=route_summary(patterns.shown), entries=entries, new_customers=table,
                       auc=quality, labels=labels, notes=notes)


def attribute_label(key: str, lang: str = "ja") -> str:
    """The display name of an attribute (``golden.attr.<key>``)."""
    return t(f"golden.attr.{key}", lang)


def pattern_label(attribute: str, value: str, labels: dict[tuple[str, str], str], lang: str = "ja") -> str:
    """ "attribute: value" as the page and charts show it."""
    return t("golden.pattern", lang, attribute=attribute_label(attribute, lang),
             value=labels.get((attribute, value), value))
