"""Scores, the loyalty score, tiers and segments — re-run on every slider move.

* R, F, M scores 1–5 from the definition's ``rfm`` section (:mod:`loyalty.rfm`);
  a customer-level export may bring its own R/F/M scores, which are then used.
* Each other factor becomes a 1–5 score by its mode and cuts.
* Loyalty score (0–100) = Σ weightᵢ × scoreᵢ / 5, weights summing to 100.  A
  factor the data lacks entirely is left out and the remaining weights are
  rescaled to 100 (the result says so).  A customer missing one factor's value
  (no survey answer) is scored on the factors he has, weights rescaled the same way.
* Tier: 最重要顧客 (``top``) when score ≥ tiers.top, 中堅層 (``middle``) when
  ≥ tiers.middle, else 低貢献層 (``low``).
* Named RFM segment from the rules, first match wins.

The :class:`Scorer` keeps the per-customer arrays and the quantile scores of one
feature table, so a slider move costs a few vectorised passes (no Python loop
per customer).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from loyalty.definition import RFM_KEYS, TIER_KEYS, Definition, factor_catalogue
from loyalty.rfm import as_is_scores, quantile_scores
from loyalty.segments import compile_rules, segment_keys

_GIVEN = {"recency": "r_score_given", "frequency": "f_score_given", "monetary": "m_score_given"}
_RFM_SOURCE = {"recency": "recency_days", "frequency": "frequency", "monetary": "monetary"}
_AXIS = {"recency": "r", "frequency": "f", "monetary": "m"}


@dataclass
class ScoreResult:
    """The scored customers and what the user should know about them.

    Attributes:
        frame: per customer (index customer_id): r_score, f_score, m_score,
            rfm_total, score_<factor> and points_<factor> for every factor used,
            loyalty_score, tier (top/middle/low), rfm_segment (segment key).
        weights: the effective weights (summing to 100) of the factors used.
        dropped: factor keys left out because the data has no values for them.
        collapsed: factor/axis key -> scores no customer received (quantile mode).
        missing_values: factor key -> number of customers without a value.
    """

    frame: pd.DataFrame
    weights: dict[str, float]
    dropped: list[str] = field(default_factory=list)
    collapsed: dict[str, list[int]] = field(default_factory=dict)
    missing_values: dict[str, int] = field(default_factory=dict)


_YES = {"あり", "有", "有り", "はい", "済", "○", "〇", "◯", "yes", "y", "true", "1"}
_NO = {"なし", "無", "無し", "いいえ", "未", "×", "✕", "no", "n", "false", "0"}


def _yes_no(col: pd.Series) -> np.ndarray | None:
    """A text column of yes/no answers (あり/なし, ○/×, yes/no) as 1/0; None otherwise."""
    text = col.astype("str").str.strip().str.lower()
    yes, no = text.isin(_YES), text.isin(_NO)
    answered = col.notna()
    if not (yes | no)[answered].all() or not answered.any():
        return None
    return np.where(yes, 1.0, np.where(no, 0.0, np.nan))


_SCORE_OF_CODE = np.array([np.nan, 1.0, 2.0, 3.0, 4.0, 5.0])
_MAX_PATTERN_BITS = 12  # factors with gaps handled by lookup tables (2**12 patterns at most)


class Scorer:
    """Scores one feature table under any definition.

    Everything that does not depend on the definition is kept between calls:
    the float array and missing mask of each column, and quantile/as-is scores.
    A score is an int8 code 1–5 (0 = no value), so threshold scores are four
    comparisons and each factor's points are a lookup in a 6-entry table per
    pattern of missing values; the result is identical to evaluating
    ``Σ weightᵢ × scoreᵢ / 5`` rescaled over the factors a customer has.

    Args:
        features: the customer features frame (index customer_id).
    """

    def __init__(self, features: pd.DataFrame):
        self.index = features.index
        self.n = len(features)
        self._cols: dict[str, np.ndarray | None] = {}
        self._nan: dict[str, np.ndarray] = {}
        self._features = features
        self._quantiles: dict[tuple[str, bool], tuple[np.ndarray, list[int]]] = {}
        self._fixed_codes: dict[tuple, tuple[np.ndarray, list[int]]] = {}

    def values(self, source: str) -> np.ndarray | None:
        """The float array of a feature column (None when absent or all missing)."""
        if source not in self._cols:
            f = self._features
            if source == "tenure_years":
                arr = f["tenure_days"].to_numpy(dtype=float) / 365.0 if "tenure_days" in f else None
            elif source in f:
                col = f[source]
                try:
                    arr = col.to_numpy(dtype=float, na_value=np.nan)
                except (TypeError, ValueError):
                    arr = _yes_no(col)
            else:
                arr = None
            if arr is not None:
                nan = np.isnan(arr)
                if nan.all():
                    arr = None
                else:
                    self._nan[source] = nan
            self._cols[source] = arr
        return self._cols[source]

    def _quantile(self, source: str, higher: bool) -> tuple[np.ndarray, list[int]]:
        key = (source, higher)
        if key not in self._quantiles:
            self._quantiles[key] = quantile_scores(self.values(source), higher)
        return self._quantiles[key]

    def _fixed(self, mode: str, source: str, higher: bool) -> tuple[np.ndarray, list[int]]:
        """int8 codes of a definition-independent score (quantile or as-is), cached."""
        key = (mode, source, higher)
        if key not in self._fixed_codes:
            if mode == "quantile":
                s, col = self._quantile(source, higher)
            else:
                s, col = as_is_scores(self.values(source)), []
            self._fixed_codes[key] = (np.nan_to_num(s, nan=0.0).astype(np.int8), col)
        codes, col = self._fixed_codes[key]
        return codes.copy(), col  # the frame built from it must not share the cache

    def _threshold(self, source: str, cuts, higher: bool) -> np.ndarray:
        """int8 codes 1–5 from four ascending cuts (0 where the value is missing).

        Same rule as :func:`loyalty.rfm.threshold_scores`: higher is better →
        1 + number of cuts reached (``value >= cut``); lower is better → 5 −
        number of cuts exceeded (``value > cut``).
        """
        v = self.values(source)
        if higher:
            s = np.ones(self.n, dtype=np.int8)
            for c in np.asarray(cuts, dtype=float):
                s += v >= c
        else:
            s = np.full(self.n, 5, dtype=np.int8)
            for c in np.asarray(cuts, dtype=float):
                s -= v > c
        nan = self._nan[source]
        if nan.any():
            s[nan] = 0
        return s

    def rfm_scores(self, definition: Definition) -> tuple[dict[str, np.ndarray | None], dict[str, list[int]]]:
        """R, F, M scores (int8 arrays 1–5, a missing value scoring 1; None when the data has no such measure)."""
        out: dict[str, np.ndarray | None] = {}
        collapsed: dict[str, list[int]] = {}
        for axis in RFM_KEYS:
            given = self.values(_GIVEN[axis])
            raw = self.values(_RFM_SOURCE[axis])
            higher = axis != "recency"
            if raw is None and given is not None:
                s, _ = self._fixed("as_is", _GIVEN[axis], higher)
            elif raw is None:
                out[axis] = None
                continue
            elif definition.rfm.mode == "quantile":
                s, col = self._fixed("quantile", _RFM_SOURCE[axis], higher)
                if col:
                    collapsed[axis] = col
            else:
                s = self._threshold(_RFM_SOURCE[axis], getattr(definition.rfm, axis), higher)
            out[axis] = np.where(s == 0, np.int8(1), s) if (s == 0).any() else s
        return out, collapsed

    def score(self, definition: Definition) -> ScoreResult:
        """Score every customer under ``definition``.

        Args:
            definition: the definition.

        Returns:
            :class:`ScoreResult`.
        """
        catalogue = factor_catalogue()
        rfm, collapsed = self.rfm_scores(definition)
        cols: dict[str, np.ndarray] = {}
        for axis in RFM_KEYS:
            if rfm[axis] is not None:
                cols[f"{_AXIS[axis]}_score"] = rfm[axis]
        if all(rfm[a] is not None for a in RFM_KEYS):
            cols["rfm_total"] = (rfm["recency"].astype(np.int16) + rfm["frequency"] + rfm["monetary"]).astype(np.int16)

        codes: dict[str, np.ndarray] = {}  # factor -> int8 codes, 0 = no value
        dropped: list[str] = []
        missing: dict[str, int] = {}
        for fs in definition.factors:
            info = catalogue[fs.key]
            if fs.key in RFM_KEYS:
                s = rfm[fs.key]
                if s is None:
                    dropped.append(fs.key)
                    continue
                codes[fs.key] = s
                continue
            raw = self.values(info.source)
            if raw is None:
                dropped.append(fs.key)
                continue
            higher = info.direction == "higher"
            mode = fs.effective_mode()
            if mode in ("as_is", "quantile"):
                s, col = self._fixed(mode, info.source, higher)
                if col:
                    collapsed[fs.key] = col
            else:
                s = self._threshold(info.source, fs.effective_cuts(), higher)
            n_missing = int(np.count_nonzero(s == 0))
            if n_missing:
                missing[fs.key] = n_missing
            codes[fs.key] = s

        used = {k: float(definition.weights()[k]) for k in codes}
        total_w = sum(used.values())
        weights = {k: (w / total_w * 100.0 if total_w > 0 else 0.0) for k, w in used.items()}
        if codes:
            points = _points(codes, weights, missing)
            loyalty = points[0].copy()
            for p in points[1:]:
                loyalty += p
            for (k, c), p in zip(codes.items(), points):
                if k not in RFM_KEYS:
                    cols[f"score_{k}"] = _SCORE_OF_CODE.take(c)
                cols[f"points_{k}"] = p
        else:
            loyalty = np.zeros(self.n)
        loyalty = np.round(loyalty, 6)
        cols["loyalty_score"] = loyalty
        top, middle = definition.tiers["top"], definition.tiers["middle"]
        tier_idx = np.where(loyalty >= top, np.int8(0), np.where(loyalty >= middle, np.int8(1), np.int8(2)))
        cols["tier"] = pd.Categorical.from_codes(tier_idx, categories=list(TIER_KEYS))
        if all(rfm[a] is not None for a in RFM_KEYS):
            table, keys = compile_rules(definition.segments)
            cell = (rfm["recency"].astype(np.int16) - 1) * 25 + (rfm["frequency"] - 1) * 5 + (rfm["monetary"] - 1)
            cols["rfm_segment"] = pd.Categorical.from_codes(table.ravel().take(cell), categories=keys)
        else:
            cols["rfm_segment"] = pd.Categorical.from_codes(np.full(self.n, -1, dtype=np.int8),
                                                            categories=segment_keys(definition.segments))
        frame = pd.DataFrame(cols, index=self.index, copy=False)
        return ScoreResult(frame=frame, weights=weights, dropped=dropped, collapsed=collapsed,
                           missing_values=missing)


def _points(codes: dict[str, np.ndarray], weights: dict[str, float], missing: dict[str, int]) -> list[np.ndarray]:
    """Each factor's points per customer: weight × score / 5, rescaled to the factors he has.

    The arithmetic is exactly ``((wᵢ × sᵢ) / 5) × 100 / Σ_present wⱼ`` (the sum
    taken in factor order), evaluated once per (pattern of missing factors,
    score) and looked up per customer.

    Args:
        codes: factor -> int8 codes (0 = no value), in definition order.
        weights: factor -> effective weight.
        missing: factor -> number of customers without a value.

    Returns:
        One float64 array per factor, in the order of ``codes``.
    """
    keys = list(codes)
    gaps = [k for k in keys if missing.get(k)]
    if len(gaps) > _MAX_PATTERN_BITS:
        return _points_direct(codes, weights)
    n_patterns = 1 << len(gaps)
    bit = {k: i for i, k in enumerate(gaps)}
    # pattern: bit i set when gap factor i has a value
    pattern = np.zeros(len(next(iter(codes.values()))), dtype=np.int32)
    for k in gaps:
        pattern |= (codes[k] != 0).view(np.int8).astype(np.int32) << bit[k]
    scale = []
    for pat in range(n_patterns):
        wsum = None
        for k in keys:
            present = (pat >> bit[k]) & 1 if k in bit else 1
            term = weights[k] * present
            wsum = term if wsum is None else wsum + term
        scale.append(100.0 / wsum if wsum > 0 else 0.0)
    out = []
    for k in keys:
        w = weights[k]
        table = np.zeros((n_patterns, 6))
        for pat in range(n_patterns):
            if k in bit and not (pat >> bit[k]) & 1:
                continue
            table[pat, 1:] = [(w * s) / 5.0 * scale[pat] for s in (1.0, 2.0, 3.0, 4.0, 5.0)]
        idx = codes[k].astype(np.intp) if n_patterns == 1 else (pattern * 6 + codes[k]).astype(np.intp)
        out.append(table.ravel().take(idx))
    return out


def _points_direct(codes: dict[str, np.ndarray], weights: dict[str, float]) -> list[np.ndarray]:
    """:func:`_points` evaluated array by array (for many factors with gaps)."""
    S = np.vstack([_SCORE_OF_CODE.take(c) for c in codes.values()])
    W = np.array([weights[k] for k in codes])[:, None]
    present = ~np.isnan(S)
    wsum = (W * present).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(wsum > 0, 100.0 / wsum, 0.0)
    points = np.where(present, W * S / 5.0, 0.0) * scale
    return list(points)


def score(features: pd.DataFrame, definition: Definition) -> ScoreResult:
    """Score a feature table once (see :class:`Scorer` to score it repeatedly)."""
    return Scorer(features).score(definition)


def weights_used(definition: Definition, scored: pd.DataFrame) -> tuple[dict[str, float], list[str]]:
    """The weights a score frame was computed with, read back from its columns.

    A factor the scoring used has a ``points_<factor>`` column; the others were
    not in the data and the remaining weights were rescaled to 100.

    Args:
        definition: the definition the frame was scored with.
        scored: :attr:`ScoreResult.frame`.  A score frame without any points
            column used none of the factors (none was in the data); a frame that
            is not a score frame (no ``loyalty_score``) is taken to have used them all.

    Returns:
        ``({factor: weight after rescaling}, [factors left out])``, in the definition's order.
    """
    known = "loyalty_score" in scored.columns or any(str(c).startswith("points_") for c in scored.columns)
    dropped = [f.key for f in definition.factors if known and f"points_{f.key}" not in scored.columns]
    used = {f.key: float(f.weight) for f in definition.factors if f.key not in dropped}
    total = sum(used.values())
    return {k: (w * 100.0 / total if total > 0 else 0.0) for k, w in used.items()}, dropped
