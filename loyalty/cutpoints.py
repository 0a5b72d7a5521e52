"""R/F/M cut points that fit the data: customers per score, cut points kept in
order, and a suggestion from the data rounded to numbers people read.

**Customers per score** (:func:`score_counts`): the same rule as
:func:`loyalty.rfm.threshold_scores`, counted from the sorted values with four
binary searches (no pass over the customers per slider move).  A customer
without a value scores 1, as in :class:`loyalty.scoring.Scorer`.

**Kept in order** (:func:`push_apart`): the cut a user moves stays where it was
put; the cuts beside it that it ran into are pushed along, one ``gap`` apart,
so four cut points always rise.

**Suggestion** (:func:`suggest`), offered when the top tier is very small
(below :data:`TOP_SMALL` = 5% of the customers) or very large (above
:data:`TOP_LARGE` = 40%):

1. each axis's cut points are quantiles of the customers' values at the levels
   0.2 / 0.4 / 0.6 / 0.8 (five groups of about equal size): F2/M2 start at the 20%
   quantile, F5/M5 at the 80% quantile.  Recency is "lower is better", so its levels
   are mirrored: R5 = within the 20% quantile of days, R2 = within the 80% one
   (:func:`quantile_cuts`);
2. each is rounded to a readable number (:func:`readable_days`,
   :func:`readable_count`, :func:`readable_amount`):

   * days: the nearest of :data:`DAY_LADDER` (1, 3, 7, 14, 21, 30, 45, 60, 90,
     120, 150, 180, 240, 270, 365 … days), beyond it the nearest multiple of 365;
   * orders: the nearest whole number, at least :data:`FREQUENCY_FLOOR` (2: F1 is
     one order or none, as in the seeds);
   * amounts: the nearest multiple of a step from the 1-2-5 series (1, 2, 5, 10,
     20, 50, …) in the data's currency: the largest such step that is at most a
     quarter of the value (:data:`AMOUNT_STEP_SHARE`) and at least the currency's
     smallest step (:data:`AMOUNT_MIN_STEP`: ¥1,000, £/$/€ 10).  £1,917 → £2,000
     (step 200), £443 → £400 (step 100), ¥45,000 → ¥50,000 (step 10,000);

3. a rounded cut that does not rise above the one before it becomes the next
   readable number above that one (the next day on the ladder, one more order,
   one more amount step), so the cuts are distinct and ascending;
4. the definition is scored with those cut points.  When its top tier lies
   outside :data:`TARGET_TOP` (5%–25%), the levels move: towards the top
   (:data:`LEVELS_STRICTER`) when the top tier is too large, towards the bottom
   (:data:`LEVELS_LOOSER`) when too small; the first level set whose top tier
   falls in the band is taken, else the one closest to it.

Weights, tier cut-offs and everything else stay as the definition has them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from loyalty.definition import RFM_KEYS, Definition, RFMSetting
from loyalty.fmt import CURRENCIES

__all__ = [
    "AMOUNT_MIN_STEP", "AMOUNT_STEP_SHARE", "DAY_LADDER", "FREQUENCY_FLOOR", "LEVELS_LOOSER", "LEVELS_STRICTER",
    "QUINTILES", "TARGET_TOP", "TOP_LARGE", "TOP_SMALL", "AxisValues", "Impact", "Suggestion", "impact",
    "prepared_axes", "push_apart", "quantile_cuts", "readable_amount", "readable_count", "readable_days", "score_counts", "suggest",
    "top_tier_flag", "uses_rfm",
]

#: A top tier below this share of the customers is "very small": a suggestion is offered.
TOP_SMALL = 0.05
#: A top tier above this share is "very large": a suggestion is offered.
TOP_LARGE = 0.40
#: The band (inclusive) a suggestion aims the top tier's share at.
TARGET_TOP = (0.05, 0.25)
#: Quantile levels of the four cut points: five groups of about equal size.
QUINTILES = (0.2, 0.4, 0.6, 0.8)
#: Level sets tried, in order, when the quintiles give a top tier above the band.
LEVELS_STRICTER = ((0.3, 0.5, 0.7, 0.9), (0.4, 0.6, 0.8, 0.95))
#: Level sets tried, in order, when the quintiles give a top tier below the band.
LEVELS_LOOSER = ((0.1, 0.3, 0.5, 0.7), (0.05, 0.2, 0.4, 0.6))
#: Readable numbers of days (beyond the last: multiples of 365).
DAY_LADDER = (1, 3, 7, 14, 21, 30, 45, 60, 90, 120, 150, 180, 240, 270, 365, 450, 540, 730)
#: The lowest F2 cut: F1 is one order (or none in the window).
FREQUENCY_FLOOR = 2
#: An amount is rounded to a 1-2-5 step of at most this share of it.
AMOUNT_STEP_SHARE = 0.25
#: The smallest amount step per currency (also the lowest amount cut).
AMOUNT_MIN_STEP = {"JPY": 1000, "USD": 10, "GBP": 10, "EUR": 10}

_HIGHER = {"recency": False, "frequency": True, "monetary": True}
_SOURCE = {"recency": "recency_days", "frequency": "frequency", "monetary": "monetary"}


# --- customers per score -------------------------------------------------------------


@dataclass(frozen=True)
class AxisValues:
    """One axis's values prepared for counting: sorted, without the missing ones.

    Attributes:
        sorted: the values that are present, ascending (float).
        missing: customers without a value (they score 1).
    """

    sorted: np.ndarray
    missing: int

    @classmethod
    def of(cls, values) -> "AxisValues":
        """Prepare an array of values (NaN = missing)."""
        v = np.asarray(values, dtype=float)
        ok = ~np.isnan(v)
        return cls(sorted=np.sort(v[ok]), missing=int(v.size - ok.sum()))

    @property
    def n(self) -> int:
        """All customers (with and without a value)."""
        return int(self.sorted.size) + self.missing


def score_counts(axis: AxisValues, cuts, higher_is_better: bool) -> tuple[int, int, int, int, int]:
    """Customers per score 1–5 under four ascending cut points.

    Higher is better: score = 1 + cuts reached (``value >= cut``); lower is
    better: score = 5 − cuts exceeded (``value > cut``).  Missing values score 1.

    Args:
        axis: the prepared values.
        cuts: four ascending cut points.
        higher_is_better: the axis's direction.

    Returns:
        The counts of scores 1, 2, 3, 4, 5.
    """
    c = np.asarray(cuts, dtype=float)
    side = "left" if higher_is_better else "right"
    edges = np.concatenate(([0], np.searchsorted(axis.sorted, c, side=side), [axis.sorted.size]))
    per_bin = np.diff(edges)  # bins from the smallest values up
    counts = per_bin if higher_is_better else per_bin[::-1]
    out = [int(x) for x in counts]
    out[0] += axis.missing
    return tuple(out)


# --- keeping cut points in order ------------------------------------------------------


def push_apart(cuts, moved: int, gap: float) -> list[float]:
    """Cut points made strictly ascending around the one just moved.

    The moved cut keeps its value; each cut after it is raised to at least the
    one before it plus ``gap``, each cut before it lowered to at most the one
    after it minus ``gap``.  Cuts already in order are left as they are.

    Args:
        cuts: the cut points as the widgets hold them.
        moved: the index of the cut the user moved.
        gap: the smallest distance between two cuts (a slider's step).

    Returns:
        The cut points, strictly ascending (rounded to the decimals of ``gap``).
    """
    out = [float(x) for x in cuts]
    digits = max(0, -math.floor(math.log10(gap))) if gap < 1 else 0
    for j in range(moved + 1, len(out)):
        out[j] = round(max(out[j], out[j - 1] + gap), digits)
    for j in range(moved - 1, -1, -1):
        out[j] = round(min(out[j], out[j + 1] - gap), digits)
    return out


# --- readable numbers -----------------------------------------------------------------


def readable_days(x: float) -> int:
    """Days rounded to the nearest of :data:`DAY_LADDER` (beyond it: a multiple of 365)."""
    if x > DAY_LADDER[-1]:
        return int(max(2, round(x / 365)) * 365)
    return min(DAY_LADDER, key=lambda d: (abs(d - x), d))


def readable_count(x: float) -> int:
    """Orders rounded half up to a whole number, at least :data:`FREQUENCY_FLOOR`."""
    return max(FREQUENCY_FLOOR, int(math.floor(x + 0.5)))


def amount_step(x: float, currency: str) -> int:
    """The 1-2-5 step an amount is rounded to (see the module docstring)."""
    smallest = AMOUNT_MIN_STEP.get(currency, AMOUNT_MIN_STEP["JPY"])
    step = smallest
    limit = abs(x) * AMOUNT_STEP_SHARE
    for exponent in range(0, 16):
        for unit in (1, 2, 5):
            s = unit * 10 ** exponent
            if smallest <= s <= limit:
                step = s
    return step


def readable_amount(x: float, currency: str) -> int:
    """An amount rounded half up to its step, at least the currency's smallest step."""
    step = amount_step(x, currency)
    return max(AMOUNT_MIN_STEP.get(currency, AMOUNT_MIN_STEP["JPY"]), int(math.floor(x / step + 0.5)) * step)


def _next_readable(axis: str, x: float, currency: str) -> float:
    """The next readable number above ``x`` on an axis."""
    if axis == "recency":
        return next((d for d in DAY_LADDER if d > x), (math.floor(x / 365) + 1) * 365)
    if axis == "frequency":
        return math.floor(x) + 1
    step = amount_step(x, currency)
    return (math.floor(x / step) + 1) * step


def readable_cuts(axis: str, raw, currency: str) -> list[float]:
    """Four raw cut points rounded to readable numbers, distinct and ascending.

    Args:
        axis: "recency", "frequency" or "monetary".
        raw: four ascending raw cut points (quantiles).
        currency: the data's currency (ISO code) for amounts.

    Returns:
        The rounded cut points.
    """
    rounding = {"recency": readable_days, "frequency": readable_count,
                "monetary": lambda x: readable_amount(x, currency)}[axis]
    out: list[float] = []
    for x in raw:
        r = float(rounding(float(x)))
        if out and r <= out[-1]:
            r = float(_next_readable(axis, out[-1], currency))
        out.append(r)
    return out


# --- the suggestion -------------------------------------------------------------------


@dataclass(frozen=True)
class Impact:
    """What a definition does to the customers, for a before/after comparison.

    Attributes:
        customers: all customers.
        top: customers in the top tier.
        top_share: ``top / customers``.
        top_revenue_share: the top tier's share of revenue (monetary; NaN without amounts).
        counts: axis -> customers per score 1–5.
    """

    customers: int
    top: int
    top_share: float
    top_revenue_share: float
    counts: dict[str, tuple[int, int, int, int, int]]


@dataclass(frozen=True)
class Suggestion:
    """Cut points suggested from the data, and what they change.

    Attributes:
        cuts: axis -> the four suggested cut points.
        levels: the quantile levels they come from.
        currency: the currency the amounts were rounded in.
        before: the definition as it is.
        after: the definition with the suggested cut points.
    """

    cuts: dict[str, list[float]]
    levels: tuple[float, ...]
    currency: str
    before: Impact
    after: Impact

    @property
    def in_target(self) -> bool:
        """Whether the top tier's share after the change lies in :data:`TARGET_TOP`."""
        return TARGET_TOP[0] <= self.after.top_share <= TARGET_TOP[1]


def top_tier_flag(share: float) -> str | None:
    """"small" below :data:`TOP_SMALL`, "large" above :data:`TOP_LARGE`, else None."""
    if share != share:
        return None
    if share < TOP_SMALL:
        return "small"
    if share > TOP_LARGE:
        return "large"
    return None


def impact(frame, money, definition: Definition, axes: dict[str, AxisValues]) -> Impact:
    """Sum up a scored definition: its top tier and its customers per score.

    Args:
        frame: the score frame (:attr:`loyalty.scoring.ScoreResult.frame`) of ``definition``.
        money: the customers' monetary values in the frame's order (None without amounts).
        definition: the definition the frame was scored with.
        axes: axis -> prepared values (:meth:`AxisValues.of`).

    Returns:
        The :class:`Impact`.
    """
    top = (frame["tier"] == "top").to_numpy()
    n = int(top.size)
    revenue_share = float("nan")
    if money is not None:
        total = float(np.nansum(money))
        revenue_share = float(np.nansum(money[top]) / total) if total else float("nan")
    counts = {}
    for axis, values in axes.items():
        if definition.rfm.mode == "threshold":
            counts[axis] = score_counts(values, getattr(definition.rfm, axis), _HIGHER[axis])
        else:
            scores = frame[f"{axis[0]}_score"].to_numpy()
            counts[axis] = tuple(int((scores == k).sum()) for k in range(1, 6))
    return Impact(customers=n, top=int(top.sum()), top_share=float(top.sum() / n) if n else float("nan"),
                  top_revenue_share=revenue_share, counts=counts)


def uses_rfm(definition: Definition) -> bool:
    """Whether any of R, F, M carries weight in the definition (else cut points change nothing)."""
    return any(f.key in RFM_KEYS and f.weight > 0 for f in definition.factors)


def prepared_axes(scorer) -> dict[str, AxisValues] | None:
    """R, F and M values of a scorer's customers, prepared for counting.

    Args:
        scorer: a :class:`loyalty.scoring.Scorer`.

    Returns:
        axis -> :class:`AxisValues`, or None when one of them is missing from the data.
    """
    axes = {}
    for axis in RFM_KEYS:
        values = scorer.values(_SOURCE[axis])
        if values is None:
            return None
        axes[axis] = AxisValues.of(values)
    return axes


def quantile_cuts(axis: AxisValues, levels, higher_is_better: bool) -> list[float]:
    """Raw cut points at quantile levels, ascending.

    ``levels`` are the shares of customers below each cut on a "higher is better"
    axis (the share scoring 5 is ``1 − levels[-1]``).  On a "lower is better" axis
    the levels are mirrored (``1 − l``, in reverse), so the same share scores 5.

    Args:
        axis: the prepared values (at least one present).
        levels: four ascending levels in (0, 1).
        higher_is_better: the axis's direction.

    Returns:
        Four ascending raw cut points (numpy's linear interpolation).
    """
    at = list(levels) if higher_is_better else [1.0 - x for x in reversed(levels)]
    return [float(x) for x in np.quantile(axis.sorted, at)]


def suggest(scorer, definition: Definition, currency: str = "JPY",
            axes: dict[str, AxisValues] | None = None) -> Suggestion | None:
    """Cut points from the customers' R/F/M quantiles, rounded to readable numbers.

    Args:
        scorer: a :class:`loyalty.scoring.Scorer` of the customers.
        definition: the working definition (its weights and tier cut-offs are kept).
        currency: the data's currency (a key of :data:`loyalty.fmt.CURRENCIES`).
        axes: the scorer's :func:`prepared_axes`, when already at hand.

    Returns:
        The :class:`Suggestion`, or None when the data lacks recency, frequency or
        monetary values (a customer table with given scores, say) or the definition
        gives R, F and M no weight.
    """
    if currency not in CURRENCIES:
        currency = "JPY"
    axes = axes if axes is not None else prepared_axes(scorer)
    if axes is None or not uses_rfm(definition):
        return None
    money = scorer.values("monetary")
    before = impact(scorer.score(definition).frame, money, definition, axes)

    def attempt(levels) -> tuple[tuple, dict[str, list[float]], Impact]:
        cuts = {axis: readable_cuts(axis, quantile_cuts(axes[axis], levels, _HIGHER[axis]), currency)
                for axis in RFM_KEYS}
        changed = definition.copy(rfm=RFMSetting(mode="threshold", **cuts))
        return levels, cuts, impact(scorer.score(changed).frame, money, changed, axes)

    tried = [attempt(QUINTILES)]
    share = tried[0][2].top_share
    more = LEVELS_STRICTER if share > TARGET_TOP[1] else LEVELS_LOOSER if share < TARGET_TOP[0] else ()
    for levels in more:
        tried.append(attempt(levels))
        if TARGET_TOP[0] <= tried[-1][2].top_share <= TARGET_TOP[1]:
            break

    def distance(item) -> float:
        s = item[2].top_share
        return 0.0 if TARGET_TOP[0] <= s <= TARGET_TOP[1] else min(abs(s - TARGET_TOP[0]), abs(s - TARGET_TOP[1]))

    levels, cuts, after = min(tried, key=distance)  # ties: the earliest (quintiles first)
    return Suggestion(cuts=cuts, levels=tuple(levels), currency=currency, before=before, after=after)
