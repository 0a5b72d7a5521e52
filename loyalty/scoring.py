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
from loyalty.rfm import as_is_scores, quantile_scores, threshold_scores
from loyalty.segments import assign

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


class Scorer:
    """Scores one feature table under any definition.

    Args:
        features: the customer features frame (index customer_id).
    """

    def __init__(self, features: pd.DataFrame):
        self.index = features.index
        self.n = len(features)
        self._cols: dict[str, np.ndarray | None] = {}
        self._features = features
        self._quantiles: dict[tuple[str, bool], tuple[np.ndarray, list[int]]] = {}

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
            if arr is not None and np.isnan(arr).all():
                arr = None
            self._cols[source] = arr
        return self._cols[source]

    def _quantile(self, source: str, higher: bool) -> tuple[np.ndarray, list[int]]:
        key = (source, higher)
        if key not in self._quantiles:
            self._quantiles[key] = quantile_scores(self.values(source), higher)
        return self._quantiles[key]

    def rfm_scores(self, definition: Definition) -> tuple[dict[str, np.ndarray | None], dict[str, list[int]]]:
        """R, F, M scores (int arrays, or None when the data has no such measure)."""
        out: dict[str, np.ndarray | None] = {}
        collapsed: dict[str, list[int]] = {}
        for axis in RFM_KEYS:
            given = self.values(_GIVEN[axis])
            raw = self.values(_RFM_SOURCE[axis])
            higher = axis != "recency"
            if raw is None and given is not None:
                s = as_is_scores(given)
            elif raw is None:
                out[axis] = None
                continue
            elif definition.rfm.mode == "quantile":
                s, col = self._quantile(_RFM_SOURCE[axis], higher)
                if col:
                    collapsed[axis] = col
            else:
                s = threshold_scores(raw, getattr(definition.rfm, axis), higher)
            out[axis] = np.nan_to_num(s, nan=1.0).astype(np.int8)
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

        scores: dict[str, np.ndarray] = {}
        dropped: list[str] = []
        missing: dict[str, int] = {}
        for fs in definition.factors:
            info = catalogue[fs.key]
            if fs.key in RFM_KEYS:
                s = rfm[fs.key]
                if s is None:
                    dropped.append(fs.key)
                    continue
                scores[fs.key] = s.astype(float)
                continue
            raw = self.values(info.source)
            if raw is None:
                dropped.append(fs.key)
                continue
            higher = info.direction == "higher"
            mode = fs.effective_mode()
            if mode == "as_is":
                s = as_is_scores(raw)
            elif mode == "quantile":
                s, col = self._quantile(info.source, higher)
                if col:
                    collapsed[fs.key] = col
            else:
                s = threshold_scores(raw, fs.effective_cuts(), higher)
            n_missing = int(np.isnan(s).sum())
            if n_missing:
                missing[fs.key] = n_missing
            scores[fs.key] = s

        used = {k: float(definition.weights()[k]) for k in scores}
        total_w = sum(used.values())
        weights = {k: (w / total_w * 100.0 if total_w > 0 else 0.0) for k, w in used.items()}
        if scores:
            S = np.vstack([scores[k] for k in scores])           # factors × customers
            W = np.array([weights[k] for k in scores])[:, None]  # factors × 1
            present = ~np.isnan(S)
            wsum = (W * present).sum(axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                scale = np.where(wsum > 0, 100.0 / wsum, 0.0)
            points = np.where(present, W * S / 5.0, 0.0) * scale
            loyalty = points.sum(axis=0)
            for i, k in enumerate(scores):
                if k not in RFM_KEYS:
                    cols[f"score_{k}"] = scores[k]
                cols[f"points_{k}"] = points[i]
        else:
            loyalty = np.zeros(self.n)
        loyalty = np.round(loyalty, 6)
        cols["loyalty_score"] = loyalty
        top, middle = definition.tiers["top"], definition.tiers["middle"]
        tier_idx = np.where(loyalty >= top, 0, np.where(loyalty >= middle, 1, 2))
        cols["tier"] = pd.Categorical.from_codes(tier_idx, categories=list(TIER_KEYS))
        if all(rfm[a] is not None for a in RFM_KEYS):
            codes, keys = assign(rfm["recency"], rfm["frequency"], rfm["monetary"], definition.segments)
            cols["rfm_segment"] = pd.Categorical.from_codes(codes.astype(np.int64), categories=keys)
        else:
            keys = [s.key for s in definition.segments]
            cols["rfm_segment"] = pd.Categorical([None] * self.n, categories=keys + ["other"])
        frame = pd.DataFrame(cols, index=self.index)
        return ScoreResult(frame=frame, weights=weights, dropped=dropped, collapsed=collapsed,
                           missing_values=missing)


def score(features: pd.DataFrame, definition: Definition) -> ScoreResult:
    """Score a feature table once (see :class:`Scorer` to score it repeatedly)."""
    return Scorer(features).score(definition)


def tier_label(key: str, definition: Definition | None, lang: str = "ja") -> str:
    """A tier's label: the definition's own name, else the catalogue's."""
    from loyalty.i18n import t

    if definition is not None and key in definition.tier_labels:
        return definition.tier_labels[key]
    return t(f"tier.{key}", lang)
