"""Tiers at every period end: the period ends, the scoring at each, and what moved.

See :mod:`loyalty.movement` for the semantics.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from loyalty.definition import TIER_KEYS, Definition
from loyalty.features import Features, default_as_of
from loyalty.i18n import error
from loyalty.movement.timeline import Timeline
from loyalty.quality import Transactions, require_rows
from loyalty.scoring import ScoreResult, Scorer

#: How often a period ends, and the pandas frequency of its calendar ends.
EVERY = {"month": "ME", "week": "W-SUN", "quarter": "QE-DEC"}
NOT_YET = "not_yet"
#: Every state a customer can be in at a period end, in display order.
STATES = (*TIER_KEYS, NOT_YET)


@dataclass(frozen=True)
class PeriodEnd:
    """One period end.

    Attributes:
        as_of: the day the tiers are computed at.
        partial: the period is not over: it ends at the as-of date, before its calendar end.
    """

    as_of: date
    partial: bool = False


def period_ends(first: date, as_of: date, every: str = "month", count: int | None = None) -> list[PeriodEnd]:
    """The period ends from the first one on or after ``first`` up to ``as_of``.

    Args:
        first: the first day of the data.
        as_of: the as-of date; it is the last period end (partial unless it is a
            calendar period end itself).
        every: "month", "week" (ISO weeks, ending on Sunday) or "quarter".
        count: keep only the last ``count`` period ends (None: all).

    Returns:
        The period ends in date order.

    Raises:
        LoyaltyError: unknown ``every`` or a count below 1.
    """
    if every not in EVERY:
        raise error("movement.error.every", value=every, choices=", ".join(EVERY))
    if count is not None and int(count) < 1:
        raise error("movement.error.periods", value=count)
    ends = [PeriodEnd(d.date()) for d in pd.date_range(first, as_of, freq=EVERY[every])]
    if not ends or ends[-1].as_of != as_of:
        ends.append(PeriodEnd(as_of, partial=True))
    return ends[-int(count):] if count else ends


def data_period_ends(tx: Transactions, as_of: date | None = None, every: str = "month",
                     count: int | None = None) -> list[PeriodEnd]:
    """:func:`period_ends` of a transaction table: from its first line up to ``as_of``.

    Args:
        tx: the typed transactions.
        as_of: the last period end (default: the latest order date, as everywhere).
        every: "month", "week" or "quarter".
        count: keep only the last ``count`` period ends.

    Returns:
        The period ends in date order.

    Raises:
        LoyaltyError: no usable line, unknown ``every`` or a count below 1.
    """
    require_rows(tx)
    first = pd.Timestamp(tx.frame["order_date"].min()).date()
    return period_ends(first, as_of or default_as_of(tx), every, count)


@dataclass
class Movement:
    """Tiers at every period end and the flows between consecutive ones.

    Attributes:
        every: "month", "week" or "quarter".
        window_days: the definition's window.
        periods: the period ends, in date order.
        customer_ids: every customer at the last period end (sorted ids).
        tiers: int8 array (customers × periods): the index of the tier in
            :data:`~loyalty.definition.TIER_KEYS` (0 = top), −1 = not yet a customer.
        summary: one row per period end: ``as_of``, ``partial``, ``customers``,
            ``not_yet``, customers per tier (``top``, ``middle``, ``low``), ``revenue``
            and per tier ``revenue_<tier>`` and ``revenue_share_<tier>`` (a fraction; NaN
            when the window has no revenue).
    """

    every: str
    window_days: int
    periods: list[PeriodEnd]
    customer_ids: pd.Index
    tiers: np.ndarray
    summary: pd.DataFrame

    def states(self, k: int) -> np.ndarray:
        """Every customer's state key at period end ``k`` (``top`` … ``not_yet``)."""
        return np.array(STATES, dtype=object)[self._state_codes(k)]

    def _state_codes(self, k: int) -> np.ndarray:
        """Index into :data:`STATES` per customer at period end ``k`` (not yet = last)."""
        col = self.tiers[:, k]
        return np.where(col < 0, len(STATES) - 1, col).astype(np.intp)

    def flows(self) -> pd.DataFrame:
        """Customers per (state before, state after) between consecutive period ends.

        Returns:
            Columns ``from_as_of``, ``to_as_of``, ``from``, ``to``, ``customers``; pairs
            without customers are left out; ordered by period, then :data:`STATES`.
        """
        size = len(STATES)
        rows = []
        for k in range(1, len(self.periods)):
            pairs = self._state_codes(k - 1) * size + self._state_codes(k)
            counts = np.bincount(pairs, minlength=size * size).reshape(size, size)
            for i, j in zip(*np.nonzero(counts)):
                rows.append({"from_as_of": self.periods[k - 1].as_of, "to_as_of": self.periods[k].as_of,
                             "from": STATES[i], "to": STATES[j], "customers": int(counts[i, j])})
        return pd.DataFrame(rows, columns=["from_as_of", "to_as_of", "from", "to", "customers"])

    def moved(self, k: int, direction: str, tier: str = "top") -> pd.Index:
        """The customers who left (``"out"``) or entered (``"in"``) ``tier`` at period end ``k``.

        Args:
            k: a period end after the first (1 … len(periods) − 1).
            direction: "out" (in the tier at k − 1, not at k) or "in" (the reverse;
                new customers included).
            tier: a tier key.

        Returns:
            Their ids (sorted).

        Raises:
            ValueError: k out of range or an unknown direction.
        """
        if not 1 <= k < len(self.periods):
            raise ValueError(f"period {k} has no previous period end")
        code = TIER_KEYS.index(tier)
        before, after = self.tiers[:, k - 1] == code, self.tiers[:, k] == code
        if direction == "out":
            return self.customer_ids[before & ~after]
        if direction == "in":
            return self.customer_ids[after & ~before]
        raise ValueError(f"direction must be 'out' or 'in', not {direction!r}")

    def to_dict(self) -> dict:
        """The ``movement --json`` contract (DESIGN §5), with a few more keys.

        Returns:
            ``{"every", "window_days", "periods": [{"as_of", "partial", "customers",
            "not_yet", "tiers": {"top", "middle", "low"}, "revenue_share": {…}}, …],
            "flows": [{"from_as_of", "to_as_of", "from", "to", "customers"}, …]}``
            with dates as ``YYYY-MM-DD`` and a share without revenue as null.
        """
        periods = []
        for row in self.summary.itertuples(index=False):
            r = row._asdict()
            periods.append({
                "as_of": r["as_of"].isoformat(), "partial": bool(r["partial"]),
                "customers": int(r["customers"]), "not_yet": int(r["not_yet"]),
                "tiers": {k: int(r[k]) for k in TIER_KEYS},
                "revenue_share": {k: _share(r[f"revenue_share_{k}"]) for k in TIER_KEYS}})
        flows = [{**row, "from_as_of": row["from_as_of"].isoformat(), "to_as_of": row["to_as_of"].isoformat()}
                 for row in self.flows().to_dict("records")]
        return {"every": self.every, "window_days": self.window_days, "periods": periods, "flows": flows}


def _share(value: float) -> float | None:
    """A revenue share for JSON: six decimals, null when the window has no revenue."""
    return None if np.isnan(value) else round(float(value), 6)


def compute(timeline: Timeline, definition: Definition, periods: Sequence[PeriodEnd], every: str = "month") -> Movement:
    """Score every customer at every period end under ``definition``.

    Args:
        timeline: the arranged lines.
        definition: the definition (its window, cut points, factors and tiers; its
            as-of date is not used: each period end is the as-of date).
        periods: the period ends (:func:`period_ends`), in date order.
        every: how the period ends were chosen (recorded).

    Returns:
        :class:`Movement`.

    Raises:
        LoyaltyError: no line on or before the first period end.
    """
    ends = [p.as_of for p in periods]
    last_day = int(np.datetime64(ends[-1], "D").astype(np.int64))
    present = timeline.first_line <= last_day
    position = np.cumsum(present) - 1  # row in ``tiers`` of each customer of the timeline
    tiers = np.full((int(present.sum()), len(ends)), -1, dtype=np.int8)
    rows_out = []
    for k, (rows, features) in enumerate(timeline.frames(ends, definition.window_days)):
        codes = Scorer(features.frame).score(definition).frame["tier"].cat.codes.to_numpy()
        tiers[position[rows], k] = codes
        rows_out.append(_period_row(periods[k], codes, features.frame["monetary"].to_numpy(dtype=float),
                                    len(tiers)))
    return Movement(every=every, window_days=int(definition.window_days), periods=list(periods),
                    customer_ids=timeline.uniques[present], tiers=tiers, summary=pd.DataFrame(rows_out))


def _period_row(period: PeriodEnd, codes: np.ndarray, monetary: np.ndarray, universe: int) -> dict:
    """One row of :attr:`Movement.summary`: customers and revenue per tier, as
    :func:`loyalty.summary.group_summary` (the overview) counts them.

    Args:
        period: the period end.
        codes: each customer's tier (index into TIER_KEYS).
        monetary: each customer's monetary value.
        universe: the customers at the last period end (the rest are not yet customers).
    """
    tiers = len(TIER_KEYS)
    counts = np.bincount(codes, minlength=tiers)
    known = ~np.isnan(monetary)
    revenue = np.bincount(codes[known], weights=monetary[known], minlength=tiers)
    total = float(np.nansum(monetary)) if len(monetary) else 0.0
    row = {"as_of": period.as_of, "partial": period.partial, "customers": len(codes),
           "not_yet": universe - len(codes)}
    row.update({k: int(counts[i]) for i, k in enumerate(TIER_KEYS)})
    row["revenue"] = total
    row.update({f"revenue_{k}": float(revenue[i]) for i, k in enumerate(TIER_KEYS)})
    row.update({f"revenue_share_{k}": float(revenue[i] / total) if total else np.nan for i, k in enumerate(TIER_KEYS)})
    return row


def scores_at(timeline: Timeline, definition: Definition, as_of: date) -> tuple[Features, ScoreResult]:
    """Features and scores at one period end (what :func:`compute` scored there)."""
    features = timeline.features_at(as_of, definition.window_days)
    return features, Scorer(features.frame).score(definition)
