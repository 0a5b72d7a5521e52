"""The one fit/forecast API of predictive CLV, for the command line and the app alike.

:func:`fit` makes the customer summary from the transaction lines, fits a purchase model
of the registry (BG/NBD by default) with the automatic penalizer retry, and fits the
Gamma-Gamma spend model; :func:`forecast` turns the fitted models into per-customer
P(alive), expected purchases, expected value and discounted CLV over a horizon.  The app
caches the two steps apart (moving the horizon only re-forecasts); the CLI calls
:func:`run`, which is just the two in a row.  :func:`holdout_check` is the calibration/holdout
check with the same retry.

The automatic penalizer retry: when a fit is refused with a hint that regularisation
may help (a :class:`LoyaltyError` with ``field="penalizer"``: no convergence, or a
parameter the data cannot pin down), it is fitted again with the next larger penalizer
of :data:`AUTO_PENALIZERS` (0.001, then 0.01).  Which penalizer was used, and why (the
refusal of the requested one), is returned as a :class:`PenalizerChoice` for the caller
to show; nothing here prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, TypeVar

import numpy as np
import pandas as pd

from loyalty.clv.common import DAYS_PER_MONTH, check_horizon, check_penalizer, unit_days
from loyalty.clv.gamma_gamma import GammaGammaFit, expected_average_value, fit_gamma_gamma, require_q_above_one
from loyalty.clv.holdout import compare, holdout_summary
from loyalty.clv.predict import clv_arrays
from loyalty.clv.registry import DEFAULT_MODEL, MODELS, get_model
from loyalty.clv.summary import summary_from_transactions
from loyalty.errors import LoyaltyError

#: Penalizers tried in turn, above the requested one, when a fit needs regularisation.
AUTO_PENALIZERS: tuple[float, ...] = (0.001, 0.01)

_T = TypeVar("_T")


@dataclass(frozen=True)
class PenalizerChoice:
    """Which penalizer a fit used, and why.

    Attributes:
        requested: the penalizer asked for.
        used: the penalizer of the returned fit (larger than ``requested`` only after a retry).
        auto: whether the automatic retry was on.
        reason: why ``requested`` was not enough (the refusal of the first attempt), or
            None when the fit succeeded with it.
    """

    requested: float
    used: float
    auto: bool
    reason: LoyaltyError | None = None


def penalizer_ladder(penalizer: Any, auto: bool) -> tuple[float, ...]:
    """The penalizers a fit tries, in order: the requested one, then (with ``auto``) the
    larger ones of :data:`AUTO_PENALIZERS`.

    Raises:
        LoyaltyError: the penalizer is not a number >= 0.
    """
    pen = check_penalizer(penalizer)
    return (pen, *(p for p in AUTO_PENALIZERS if p > pen)) if auto else (pen,)


def with_penalizer_retry(attempt: Callable[[float], _T], penalizer: Any, auto: bool) -> tuple[_T, PenalizerChoice]:
    """Call ``attempt(penalizer)`` along :func:`penalizer_ladder` until one succeeds.

    Args:
        attempt: fits with the penalizer it is given.
        penalizer: the requested penalizer.
        auto: retry with larger penalizers when a refusal says regularisation may help.

    Returns:
        (what ``attempt`` returned, the penalizer choice).

    Raises:
        LoyaltyError: a refusal regularisation cannot help (at once), or the last
            attempt's refusal.
    """
    ladder = penalizer_ladder(penalizer, auto)
    first: LoyaltyError | None = None
    for pen in ladder:
        try:
            return attempt(pen), PenalizerChoice(requested=ladder[0], used=pen, auto=bool(auto), reason=first)
        except LoyaltyError as exc:
            if exc.field != "penalizer" or pen == ladder[-1]:
                raise
            first = first or exc
    raise AssertionError("unreachable: the ladder is never empty")


@dataclass(frozen=True)
class CLVFit:
    """The fitted models of one data set and calibration setting (before any horizon).

    Attributes:
        model: key of the purchase model (:data:`loyalty.clv.registry.MODELS`).
        summary: the per-customer summary the models were fitted on.
        purchase_fit: the purchase model's fit (a BGNBDFit for "bgnbd").
        gamma_gamma: the Gamma-Gamma fit, or None when it could not be made.
        gamma_gamma_reason: why there is no Gamma-Gamma fit (too few repeat buyers,
            q <= 1, no convergence), else None.
        penalizer: the penalizer both fits used, and why.
    """

    model: str
    summary: pd.DataFrame
    purchase_fit: Any
    gamma_gamma: GammaGammaFit | None
    gamma_gamma_reason: LoyaltyError | None
    penalizer: PenalizerChoice

    @property
    def time_unit(self) -> str:
        """"days" or "weeks"."""
        return str(self.summary.attrs["time_unit"])

    @property
    def calibration_end(self) -> pd.Timestamp:
        """The last day of the calibration period."""
        return pd.Timestamp(self.summary.attrs["calibration_end"])

    @property
    def report(self) -> dict[str, Any]:
        """The summary's counts (rows, purchase days, dropped days, ...)."""
        return dict(self.summary.attrs.get("report", {}))

    def params_dict(self) -> dict[str, dict[str, float | None]]:
        """The fitted parameters, JSON-serialisable (the CLI's ``--json``, DESIGN §5).

        Returns:
            ``{model name: {parameters..., "loglik"}, "gamma_gamma": {"p", "q", "gamma"}}``
            with float values, e.g. ``{"bgnbd": {"r", "alpha", "a", "b", "loglik"}, ...}``;
            the gamma_gamma values are None without a Gamma-Gamma fit.
        """
        gg: dict[str, float | None]
        if self.gamma_gamma is None:
            gg = {"p": None, "q": None, "gamma": None}
        else:
            gg = dict(self.gamma_gamma.params())
        return {MODELS[self.model].name: dict(self.purchase_fit.params()), "gamma_gamma": gg}


@dataclass(frozen=True)
class CLVResult:
    """What :func:`forecast` returns: the fitted models and the per-customer values.

    Attributes:
        fitted: the fitted models.
        customers: one row per calibration customer: customer_id, frequency, recency, T,
            monetary_value, p_alive, expected_purchases (over the horizon),
            expected_avg_value, clv.  The last two are NaN without a Gamma-Gamma fit.
        horizon_months: the CLV horizon in months.
        monthly_discount_rate: the discount rate per month.
    """

    fitted: CLVFit
    customers: pd.DataFrame
    horizon_months: int = 12
    monthly_discount_rate: float = 0.01

    @property
    def model(self) -> str:
        """Key of the purchase model."""
        return self.fitted.model

    @property
    def purchase_fit(self) -> Any:
        """The purchase model's fit."""
        return self.fitted.purchase_fit

    @property
    def gamma_gamma(self) -> GammaGammaFit | None:
        """The Gamma-Gamma fit, or None."""
        return self.fitted.gamma_gamma

    @property
    def gamma_gamma_reason(self) -> LoyaltyError | None:
        """Why there is no Gamma-Gamma fit, or None."""
        return self.fitted.gamma_gamma_reason

    @property
    def penalizer(self) -> PenalizerChoice:
        """The penalizer the fits used, and why."""
        return self.fitted.penalizer

    @property
    def report(self) -> dict[str, Any]:
        """The summary's counts."""
        return self.fitted.report

    @property
    def calibration_end(self) -> pd.Timestamp:
        """The calibration end date used."""
        return self.fitted.calibration_end

    @property
    def time_unit(self) -> str:
        """"days" or "weeks"."""
        return self.fitted.time_unit

    def params_dict(self) -> dict[str, dict[str, float | None]]:
        """As :meth:`CLVFit.params_dict`."""
        return self.fitted.params_dict()


def _fit_spend(summary: pd.DataFrame, penalizer: float) -> tuple[GammaGammaFit | None, LoyaltyError | None]:
    """The Gamma-Gamma fit, or None and the reason (it is optional: purchases are forecast without it)."""
    try:
        gg = fit_gamma_gamma(summary, penalizer=penalizer)
        require_q_above_one(gg)
    except LoyaltyError as err:
        return None, err
    return gg, None


def fit(
    tx: pd.DataFrame,
    *,
    calibration_end: Any = None,
    time_unit: str = "weeks",
    penalizer: float = 0.0,
    auto_penalizer: bool = True,
    model: str = DEFAULT_MODEL,
) -> CLVFit:
    """Summary -> purchase model (with the penalizer retry) -> Gamma-Gamma.

    Args:
        tx: typed transaction lines (customer_id, order_date, amount; is_return, is_fee
            where the quality step made them).
        calibration_end: fit on purchases up to this day (inclusive); default the last
            order date.  Later rows are ignored.
        time_unit: "days" or "weeks".
        penalizer: L2 regularisation of both fits (see :func:`loyalty.clv.bgnbd.fit_bgnbd`).
        auto_penalizer: retry with 0.001, then 0.01 when the fit needs regularisation.
        model: key of a registered purchase model.

    Returns:
        CLVFit.  When the Gamma-Gamma model cannot be fitted, ``gamma_gamma`` is None
        and ``gamma_gamma_reason`` says why.

    Raises:
        LoyaltyError: bad input, or the purchase model cannot be fitted.
    """
    spec = get_model(model)
    unit_days(time_unit)
    start = check_penalizer(penalizer)
    summary = summary_from_transactions(tx, calibration_end=calibration_end, time_unit=time_unit)
    purchase_fit, choice = with_penalizer_retry(lambda pen: spec.fit(summary, pen), start, auto_penalizer)
    gg, reason = _fit_spend(summary, choice.used)
    return CLVFit(model=spec.key, summary=summary, purchase_fit=purchase_fit, gamma_gamma=gg,
                  gamma_gamma_reason=reason, penalizer=choice)


def forecast(fitted: CLVFit, horizon_months: int = 12, monthly_discount_rate: float = 0.01) -> CLVResult:
    """Per-customer P(alive), expected purchases, expected value and discounted CLV.

    Args:
        fitted: what :func:`fit` returned.
        horizon_months: forecast horizon for expected purchases and CLV, in months (1-1200).
        monthly_discount_rate: discount rate per month for CLV (0 <= d < 1).

    Returns:
        CLVResult; without a Gamma-Gamma fit expected_avg_value and clv are NaN and the
        purchase forecasts are still there.

    Raises:
        LoyaltyError: bad horizon or discount rate.
    """
    horizon, d = check_horizon(horizon_months, monthly_discount_rate)
    spec, bg, gg = MODELS[fitted.model], fitted.purchase_fit, fitted.gamma_gamma
    s = fitted.summary
    x, tx, T, m = (s[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T", "monetary_value"))
    month_len = DAYS_PER_MONTH / unit_days(fitted.time_unit)
    if gg is not None:
        value = np.asarray(expected_average_value(gg, x, m), dtype=float)
        clv, expected = clv_arrays(bg, value, x, tx, T, horizon, d, month_len)
    else:
        value = np.full_like(x, np.nan)
        clv = np.full_like(x, np.nan)
        expected = spec.expected_purchases(bg, horizon * month_len, x, tx, T)
    customers = pd.DataFrame({
        "customer_id": s.index.to_numpy(),
        "frequency": s["frequency"].to_numpy(),
        "recency": tx,
        "T": T,
        "monetary_value": m,
        "p_alive": spec.p_alive(bg, x, tx, T),
        "expected_purchases": expected,
        "expected_avg_value": value,
        "clv": clv,
    })
    return CLVResult(fitted=fitted, customers=customers, horizon_months=horizon, monthly_discount_rate=d)


def run(
    tx: pd.DataFrame,
    *,
    calibration_end: Any = None,
    time_unit: str = "weeks",
    horizon_months: int = 12,
    monthly_discount_rate: float = 0.01,
    penalizer: float = 0.0,
    auto_penalizer: bool = True,
    model: str = DEFAULT_MODEL,
) -> CLVResult:
    """:func:`fit` then :func:`forecast` (the horizon and rate are checked first, before any fitting).

    Args:
        tx, calibration_end, time_unit, penalizer, auto_penalizer, model: as for :func:`fit`.
        horizon_months, monthly_discount_rate: as for :func:`forecast`.

    Returns:
        CLVResult.

    Raises:
        LoyaltyError: as :func:`fit` and :func:`forecast`.
    """
    unit_days(time_unit)
    check_horizon(horizon_months, monthly_discount_rate)
    fitted = fit(tx, calibration_end=calibration_end, time_unit=time_unit, penalizer=penalizer,
                 auto_penalizer=auto_penalizer, model=model)
    return forecast(fitted, horizon_months, monthly_discount_rate)


@dataclass(frozen=True)
class HoldoutCheck:
    """What :func:`holdout_check` returns.

    Attributes:
        comparison: predicted against actual holdout purchases per calibration-frequency
            bucket (:func:`loyalty.clv.holdout.compare`).
        penalizer: the penalizer the calibration fit used, and why.
    """

    comparison: pd.DataFrame
    penalizer: PenalizerChoice


def holdout_check(
    tx: pd.DataFrame,
    calibration_end: Any,
    observation_end: Any,
    *,
    time_unit: str = "weeks",
    penalizer: float = 0.0,
    auto_penalizer: bool = True,
    model: str = DEFAULT_MODEL,
) -> HoldoutCheck:
    """The calibration/holdout check with the automatic penalizer retry.

    Args:
        tx: typed transaction lines.
        calibration_end: last day of the calibration period.
        observation_end: last day of the holdout period (after calibration_end).
        time_unit, penalizer, auto_penalizer, model: as for :func:`fit`.

    Returns:
        HoldoutCheck.

    Raises:
        LoyaltyError: bad input, no holdout period, or the model cannot be fitted.
    """
    spec = get_model(model)
    start = check_penalizer(penalizer)
    summary = holdout_summary(tx, calibration_end, observation_end, time_unit)
    purchase_fit, choice = with_penalizer_retry(lambda pen: spec.fit(summary, pen), start, auto_penalizer)
    return HoldoutCheck(comparison=compare(summary, purchase_fit), penalizer=choice)
