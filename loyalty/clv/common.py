"""Settings and small helpers every CLV module shares: time units, dates, argument checks.

Times in the CLV models are in an explicit ``time_unit`` ("days" or "weeks");
dates are turned into whole days since 1970-01-01 so the summary can work on
integer arrays.  The checks here raise :class:`loyalty.errors.LoyaltyError`
with catalogue messages (``clv.error.*``) that say what to do.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from loyalty.i18n import error, t

#: Length in days of each supported time unit.  Anything else is rejected.
TIME_UNITS: dict[str, int] = {"days": 1, "weeks": 7}

#: Days in an average calendar month (365.25 / 12), used to turn CLV horizons in months
#: into the model's time unit.  (lifetimes uses 4.345 weeks or 30 days instead.)
DAYS_PER_MONTH: float = 365.25 / 12

#: Longest CLV horizon accepted, in months.
MAX_HORIZON_MONTHS: int = 1200


def unit_days(time_unit: Any) -> int:
    """Days in one ``time_unit``.

    Args:
        time_unit: "days" or "weeks".

    Returns:
        1 or 7.

    Raises:
        LoyaltyError: any other value.
    """
    if not isinstance(time_unit, str) or time_unit not in TIME_UNITS:
        raise error("clv.error.time_unit", field="time_unit", value=_shown(time_unit))
    return TIME_UNITS[time_unit]


def to_day(value: Any, which: str) -> int:
    """A date-like value -> whole days since 1970-01-01.

    Args:
        value: a date, Timestamp or "YYYY-MM-DD" text (a time of day is dropped).
        which: "calibration_end" or "observation_end": names the setting in messages.

    Returns:
        The day number.

    Raises:
        LoyaltyError: the value is not a date, or is empty.
    """
    name = {"ja": t(f"clv.date.{which}", "ja"), "en": t(f"clv.date.{which}", "en")}
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise error("clv.error.bad_date", field=which, name=name, value=_shown(value)) from exc
    if pd.isna(ts):
        raise error("clv.error.empty_date", field=which, name=name)
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return int(np.datetime64(ts.normalize().to_datetime64(), "D").astype(np.int64))


def _shown(value: Any) -> dict[str, str]:
    """A value the user gave, as messages show it: as typed in Japanese, repr() in English."""
    return {"ja": str(value), "en": repr(value)}


def day_to_timestamp(day: int) -> pd.Timestamp:
    """Whole days since 1970-01-01 -> Timestamp at midnight."""
    return pd.Timestamp(np.datetime64(int(day), "D"))


def as_float_array(values: Any) -> np.ndarray:
    """``values`` (scalar, list, array, Series) as a float ndarray."""
    return np.asarray(values, dtype=float)


def like(result: np.ndarray, *inputs: Any, name: str | None = None) -> Any:
    """``result`` shaped like the inputs: a Series with the first Series input's index
    (when the lengths match), a float for a 0-d result, else the array.

    Args:
        result: the computed values.
        *inputs: the arguments the values were computed from.
        name: name of the returned Series.

    Returns:
        Series, float or ndarray.
    """
    for item in inputs:
        if isinstance(item, pd.Series):
            if result.shape == (len(item),):
                return pd.Series(result, index=item.index, name=name)
            break
    if result.ndim == 0:
        return float(result)
    return result


def check_penalizer(penalizer: Any) -> float:
    """The L2 penalizer as a float.

    Raises:
        LoyaltyError: not a finite number >= 0.
    """
    try:
        value = float(penalizer)
    except (TypeError, ValueError):
        value = float("nan")
    if not (np.isfinite(value) and value >= 0):
        raise error("clv.error.bad_penalizer", field="penalizer", value=_shown(penalizer))
    return value


def check_time_unit(time_unit: Any) -> str | None:
    """None (unknown), "days" or "weeks", as given.

    Raises:
        LoyaltyError: any other value.
    """
    if time_unit is not None:
        unit_days(time_unit)
    return time_unit


def check_forecast_length(t: Any) -> float:
    """The length of a forecast period (in the fit's time unit) as a float >= 0.

    Raises:
        LoyaltyError: negative or not a number.
    """
    try:
        value = float(t)
    except (TypeError, ValueError):
        value = float("nan")
    if not (np.isfinite(value) and value >= 0.0):
        raise error("clv.error.bad_forecast_length", field="t", value=_shown(t))
    return value


def check_horizon(horizon_months: Any, monthly_discount_rate: Any) -> tuple[int, float]:
    """Validate a CLV horizon and discount rate.

    Args:
        horizon_months: whole months, 1 to :data:`MAX_HORIZON_MONTHS`.
        monthly_discount_rate: d with 0 <= d < 1.

    Returns:
        (horizon as int, rate as float).

    Raises:
        LoyaltyError: either is out of range or of the wrong type.
    """
    ok = isinstance(horizon_months, (int, np.integer)) and not isinstance(horizon_months, bool)
    if not ok or not 1 <= int(horizon_months) <= MAX_HORIZON_MONTHS:
        raise error("clv.error.bad_horizon", field="horizon_months", value=_shown(horizon_months),
                    most=MAX_HORIZON_MONTHS)
    try:
        d = float(monthly_discount_rate)
    except (TypeError, ValueError):
        d = float("nan")
    if not (np.isfinite(d) and 0.0 <= d < 1.0):
        raise error("clv.error.bad_discount", field="monthly_discount_rate", value=_shown(monthly_discount_rate))
    return int(horizon_months), d


def summary_arrays(summary: Any, columns: tuple[str, ...]) -> list[np.ndarray]:
    """The summary's ``columns`` as finite float arrays.

    Args:
        summary: a per-customer summary (DataFrame).
        columns: the columns needed.

    Returns:
        One float ndarray per column.

    Raises:
        LoyaltyError: not a DataFrame, a column missing, or a missing/non-numeric value.
    """
    if not isinstance(summary, pd.DataFrame):
        raise error("clv.error.summary_not_frame")
    missing = [c for c in columns if c not in summary.columns]
    if missing:
        raise error("clv.error.summary_missing", column=missing[0], names={"ja": "、".join(missing),
                                                                          "en": ", ".join(missing)})
    out = []
    for c in columns:
        arr = pd.to_numeric(summary[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        if not np.isfinite(arr).all():
            raise error("clv.error.summary_not_numeric", column=c, name=_shown(c))
        out.append(arr)
    return out
