"""Why a customer has his loyalty score: the points each factor gave."""

from __future__ import annotations

import numpy as np
import pandas as pd

from loyalty.definition import RFM_KEYS, Definition, factor_catalogue

_RFM_VALUE = {"recency": "recency_days", "frequency": "frequency", "monetary": "monetary"}
_RFM_SCORE = {"recency": "r_score", "frequency": "f_score", "monetary": "m_score"}


def factor_breakdown(customer_id: str, features: pd.DataFrame, scored: pd.DataFrame,
                     weights: dict[str, float], definition: Definition) -> pd.DataFrame:
    """One row per factor of the definition for one customer.

    Args:
        customer_id: the customer.
        features: the feature frame (index customer_id).
        scored: the score frame (same index).
        weights: the effective weights (ScoreResult.weights: factors the data lacks are absent).
        definition: the definition (for the factor order).

    Returns:
        Columns factor (key), value (the measure, NaN when missing), score (1–5,
        NaN when missing), weight (effective, 0 when the factor is not in the
        data), points (what it added to the loyalty score; they sum to it).

    Raises:
        KeyError: unknown customer.
    """
    f = features.loc[customer_id]
    s = scored.loc[customer_id]
    cat = factor_catalogue()
    rows = []
    for fs in definition.factors:
        key = fs.key
        if key in RFM_KEYS:
            col = _RFM_VALUE[key]
            value = f[col] if col in f.index else np.nan
            score = s[_RFM_SCORE[key]] if _RFM_SCORE[key] in s.index else np.nan
        else:
            source = cat[key].source
            if source == "tenure_years":
                value = f["tenure_days"] / 365.0 if "tenure_days" in f.index else np.nan
            else:
                value = f[source] if source in f.index else np.nan
            score = s[f"score_{key}"] if f"score_{key}" in s.index else np.nan
        points = s[f"points_{key}"] if f"points_{key}" in s.index else 0.0
        rows.append({"factor": key, "value": value, "score": float(score) if pd.notna(score) else np.nan,
                     "weight": float(weights.get(key, 0.0)), "points": float(points)})
    return pd.DataFrame(rows, columns=["factor", "value", "score", "weight", "points"])
