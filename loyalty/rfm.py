"""Turning a measure into a 1–5 score: thresholds, quantiles, or taken as is.

Threshold mode, four ascending cut points ``c1 < c2 < c3 < c4``:

* higher is better (frequency, monetary, …): score = 1 + number of cuts the
  value reaches (``value >= cut``).  F with [2, 3, 6, 10]: 10 orders → F5,
  1 order → F1; M with [10000, 30000, 50000, 100000]: ¥100,000 → M5, ¥9,999 → M1.
* lower is better (recency, discount share): score = 5 − number of cuts the value
  exceeds (``value > cut``).  R with [30, 60, 90, 179]: 30 days → R5,
  179 days → R2, 180 days → R1 (the seeds' 「30日以内」 and 「180日以上」).

Quantile mode: five equal-count bins where ties allow.  A value's score is
``1 + floor(5 × k / n)`` where k is the number of customers strictly worse than
it; equal values always share a score, so the result does not depend on row
order.  When ties swallow a bin, it is reported as collapsed.

As-is mode: the value already is a 1–5 score (satisfaction, a sales rating);
it is rounded and clipped to 1–5.

Missing values: for R/F/M a missing value scores 1 (no order, no spend); for
other factors it stays missing and the factor is left out of that customer's
weighted average (see :mod:`loyalty.scoring`).
"""

from __future__ import annotations

import numpy as np


def threshold_scores(values: np.ndarray, cuts, higher_is_better: bool) -> np.ndarray:
    """Scores 1–5 from four ascending cut points (NaN stays NaN).

    Args:
        values: the measure per customer (float array).
        cuts: four ascending numbers.
        higher_is_better: direction (see module docstring).

    Returns:
        float array of scores 1–5, NaN where the value is NaN.
    """
    v = np.asarray(values, dtype=float)
    c = np.asarray(cuts, dtype=float)
    if higher_is_better:
        s = 1.0 + np.searchsorted(c, v, side="right")
    else:
        s = 5.0 - np.searchsorted(c, v, side="left")
    s[np.isnan(v)] = np.nan
    return s


def quantile_scores(values: np.ndarray, higher_is_better: bool) -> tuple[np.ndarray, list[int]]:
    """Scores 1–5 by equal-count bins, ties sharing a score.

    Args:
        values: the measure per customer (NaN = missing, left out of the bins).
        higher_is_better: direction.

    Returns:
        ``(scores, collapsed)``: float scores (NaN where missing) and the sorted
        list of scores (1–5) that no customer received.
    """
    v = np.asarray(values, dtype=float)
    ok = ~np.isnan(v)
    n = int(ok.sum())
    s = np.full(v.shape, np.nan)
    if n == 0:
        return s, [1, 2, 3, 4, 5]
    srt = np.sort(v[ok])
    if higher_is_better:
        worse = np.searchsorted(srt, v[ok], side="left")
    else:
        worse = n - np.searchsorted(srt, v[ok], side="right")
    s[ok] = 1 + (5 * worse) // n
    present = set(np.unique(s[ok]).astype(int).tolist())
    return s, [k for k in range(1, 6) if k not in present]


def quantile_cut_summary(values: np.ndarray, scores: np.ndarray) -> list[tuple[float, float] | None]:
    """For display: the (min, max) value range of each score 1–5 (None when empty)."""
    v = np.asarray(values, dtype=float)
    out: list[tuple[float, float] | None] = []
    for k in range(1, 6):
        sel = v[scores == k]
        out.append((float(np.nanmin(sel)), float(np.nanmax(sel))) if sel.size else None)
    return out


def as_is_scores(values: np.ndarray) -> np.ndarray:
    """Values that already are 1–5 scores: rounded and clipped (NaN stays NaN)."""
    v = np.asarray(values, dtype=float)
    return np.clip(np.round(v), 1, 5)
