"""The calibration/holdout check: fit on the calibration period, compare with what happened next.

Fader, Hardie & Lee (2005), Figure 5: for each calibration customer the conditional
expectation of purchases in the holdout period is compared with the purchase days
actually observed there, per calibration-frequency bucket 0, 1, ..., 6, "7+".
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from loyalty.clv.predict import expected_purchases
from loyalty.clv.registry import DEFAULT_MODEL, get_model, model_of
from loyalty.clv.summary import summary_from_transactions
from loyalty.i18n import error

#: Calibration-frequency buckets of the comparison: 0, 1, ..., 6 and "7+".
FREQUENCY_BUCKETS: int = 7


def holdout_summary(tx: pd.DataFrame, calibration_end: Any, observation_end: Any,
                    time_unit: str = "weeks") -> pd.DataFrame:
    """The customer summary with its holdout columns.

    Args:
        tx: typed transaction lines (customer_id, order_date, amount, ...).
        calibration_end: last day of the calibration period.
        observation_end: last day of the holdout period (after calibration_end).
        time_unit: "days" or "weeks".

    Returns:
        :func:`loyalty.clv.summary_from_transactions` with ``frequency_holdout``,
        ``monetary_value_holdout`` and ``duration_holdout``.

    Raises:
        LoyaltyError: as the summary, or when observation_end is not after calibration_end.
    """
    summary = summary_from_transactions(
        tx, calibration_end=calibration_end, observation_end=observation_end, time_unit=time_unit
    )
    if "duration_holdout" not in summary.columns:
        raise error("clv.error.no_holdout", field="observation_end")
    return summary


def compare(summary: pd.DataFrame, fit: Any) -> pd.DataFrame:
    """Predicted against actual holdout purchases per calibration-frequency bucket.

    Args:
        summary: a summary with holdout columns (:func:`holdout_summary`).
        fit: a purchase model fitted on that summary.

    Returns:
        DataFrame with columns frequency_bucket ("0".."6", "7+", "total"), customers,
        predicted_mean, actual_mean, predicted_total, actual_total.  ``attrs`` hold the
        fit's parameters (under its model's name, e.g. ``attrs["bgnbd"]``),
        ``duration_holdout`` and ``time_unit``.
    """
    duration = float(summary["duration_holdout"].iloc[0])
    pred = np.asarray(
        expected_purchases(fit, duration, summary["frequency"].to_numpy(), summary["recency"].to_numpy(),
                           summary["T"].to_numpy()),
        dtype=float,
    )
    actual = summary["frequency_holdout"].to_numpy(dtype=float)
    bucket = np.minimum(summary["frequency"].to_numpy(), FREQUENCY_BUCKETS)
    n_b = np.bincount(bucket, minlength=FREQUENCY_BUCKETS + 1)
    pred_b = np.bincount(bucket, weights=pred, minlength=FREQUENCY_BUCKETS + 1)
    act_b = np.bincount(bucket, weights=actual, minlength=FREQUENCY_BUCKETS + 1)
    labels = [str(k) for k in range(FREQUENCY_BUCKETS)] + [f"{FREQUENCY_BUCKETS}+"]
    with np.errstate(invalid="ignore", divide="ignore"):
        out = pd.DataFrame(
            {
                "frequency_bucket": labels + ["total"],
                "customers": np.append(n_b, n_b.sum()).astype(np.int64),
                "predicted_mean": np.append(pred_b / n_b, pred.sum() / len(pred)),
                "actual_mean": np.append(act_b / n_b, actual.sum() / len(actual)),
                "predicted_total": np.append(pred_b, pred.sum()),
                "actual_total": np.append(act_b, actual.sum()),
            }
        )
    out.attrs[model_of(fit).name] = fit.params()
    out.attrs["duration_holdout"] = duration
    out.attrs["time_unit"] = summary.attrs.get("time_unit")
    return out


def holdout_comparison(
    tx: pd.DataFrame,
    calibration_end: Any,
    observation_end: Any,
    time_unit: str = "weeks",
    penalizer: float = 0.0,
    model: str = DEFAULT_MODEL,
) -> pd.DataFrame:
    """Fit on the calibration period, compare forecasts with what happened next.

    The purchase model is fitted on purchases up to ``calibration_end`` with the given
    penalizer (no automatic retry: :func:`loyalty.clv.api.holdout_check` adds it).

    Args:
        tx: typed transaction lines (customer_id, order_date, amount, ...).
        calibration_end: last day of the calibration period.
        observation_end: last day of the holdout period (after calibration_end).
        time_unit: "days" or "weeks".
        penalizer: L2 regularisation of the fit.
        model: key of a registered purchase model.

    Returns:
        As :func:`compare`.

    Raises:
        LoyaltyError: as :func:`holdout_summary` and the model's fit.
    """
    spec = get_model(model)
    summary = holdout_summary(tx, calibration_end, observation_end, time_unit)
    return compare(summary, spec.fit(summary, penalizer))
