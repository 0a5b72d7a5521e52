"""Which purchase model forecasts this data best: every registered model on one holdout.

Each model of :data:`loyalty.clv.registry.MODELS` (BG/NBD, Pareto/NBD, MBG/NBD) is fitted
on the calibration period (with the automatic penalizer retry) and asked for each
customer's purchases in the holdout that follows; the forecasts are compared with the
purchase days that actually happened there.

The criterion (:func:`choose`)
------------------------------
The models forecast a *mean* (the conditional expectation of purchases), and the squared
error is the scoring rule whose expectation that mean minimises (the absolute error
rewards the median, which is 0 for most customers of a shop, so it would prefer models
that under-forecast).  So the model with the lowest **root mean squared error of holdout
purchases per customer** (RMSE) is chosen, with one exception: when the difference of its
mean squared error from another model's is within :data:`TIE_SE` standard errors of the
paired difference (customer by customer: the same customers, the same holdout), the data
cannot tell the two apart as forecasters, and a model whose P(alive) separates customers
(:func:`loyalty.clv.alive.check_p_alive`, on the calibration fit) is preferred among those
tied with the best, since it can also rank customers by churn risk.  The aggregate
tracking error ((forecast total - actual total) / actual total) and the mean absolute
error are reported beside it for reading, not for choosing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from loyalty.clv.alive import check_p_alive
from loyalty.clv.api import PenalizerChoice, with_penalizer_retry
from loyalty.clv.common import check_penalizer
from loyalty.clv.holdout import holdout_summary
from loyalty.clv.registry import MODELS
from loyalty.errors import LoyaltyError

#: Two models whose mean squared errors differ by less than this many standard errors of
#: the paired difference are tied as forecasters.
TIE_SE: float = 2.0


@dataclass(frozen=True)
class ModelScore:
    """One model's holdout forecast (or why it could not be fitted).

    Attributes:
        model: the model key.
        fit: the calibration fit, or None.
        penalizer: the penalizer it used, or None without a fit.
        error: why it could not be fitted, or None.
        rmse, mae: root mean squared / mean absolute error of holdout purchases per customer.
        predicted, actual: total holdout purchases forecast / observed.
        spread: the 10th-90th percentile spread of P(alive) at the calibration end.
        separates: whether that P(alive) separates customers.
        squared: the squared error per customer (for the paired comparison).
    """

    model: str
    fit: Any = None
    penalizer: PenalizerChoice | None = None
    error: LoyaltyError | None = None
    rmse: float = float("nan")
    mae: float = float("nan")
    predicted: float = float("nan")
    actual: float = float("nan")
    spread: float = float("nan")
    separates: bool = False
    squared: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)

    @property
    def tracking_error(self) -> float:
        """(forecast total - actual total) / actual total; NaN without purchases or a fit."""
        return (self.predicted - self.actual) / self.actual if self.actual else float("nan")


@dataclass(frozen=True)
class ModelComparison:
    """Every model on one holdout, and the one chosen.

    Attributes:
        scores: one per registered model, in registry order.
        chosen: key of the chosen model (None when no model could be fitted).
        reason: ``"lowest_rmse"``, ``"tie_separates"`` (tied with the lowest RMSE, chosen
            because its P(alive) separates customers) or ``"only_fit"`` (the only model fitted).
        tied: keys of the models tied with the best (the best included).
        calibration_end, observation_end: the split and the end of the holdout (ISO dates).
        customers: calibration customers compared.
        duration: holdout length in the time unit.
    """

    scores: list[ModelScore]
    chosen: str | None
    reason: str
    tied: tuple[str, ...]
    calibration_end: str
    observation_end: str
    customers: int
    duration: float

    def score(self, model: str) -> ModelScore:
        """The score of ``model``."""
        return next(s for s in self.scores if s.model == model)

    def table(self) -> pd.DataFrame:
        """One row per model: model, rmse, mae, predicted, actual, tracking_error, penalizer,
        spread, separates, chosen (bool), fitted (bool)."""
        return pd.DataFrame([{
            "model": s.model, "rmse": s.rmse, "mae": s.mae, "predicted": s.predicted, "actual": s.actual,
            "tracking_error": s.tracking_error, "penalizer": s.penalizer.used if s.penalizer else float("nan"),
            "spread": s.spread, "separates": s.separates, "chosen": s.model == self.chosen,
            "fitted": s.fit is not None} for s in self.scores])


def _score(key: str, summary: pd.DataFrame, penalizer: float, auto: bool) -> ModelScore:
    """Fit one model on the calibration summary and score its holdout forecast."""
    spec = MODELS[key]
    try:
        fitted, choice = with_penalizer_retry(lambda pen: spec.fit(summary, pen), penalizer, auto)
    except LoyaltyError as exc:
        return ModelScore(model=key, error=exc)
    x, tx, T = (summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    duration = float(summary["duration_holdout"].iloc[0])
    predicted = np.asarray(spec.expected_purchases(fitted, duration, x, tx, T), dtype=float)
    actual = summary["frequency_holdout"].to_numpy(dtype=float)
    err = predicted - actual
    alive = check_p_alive(np.asarray(spec.p_alive(fitted, x, tx, T), dtype=float), x)
    return ModelScore(model=key, fit=fitted, penalizer=choice, rmse=float(np.sqrt(np.mean(err**2))),
                      mae=float(np.mean(np.abs(err))), predicted=float(predicted.sum()), actual=float(actual.sum()),
                      spread=alive.spread, separates=alive.separates, squared=err**2)


def choose(scores: list[ModelScore]) -> tuple[str | None, str, tuple[str, ...]]:
    """The chosen model by the module's criterion.

    Args:
        scores: the models' holdout scores (those without a fit are skipped).

    Returns:
        (chosen key or None, reason, keys tied with the best).
    """
    fitted = [s for s in scores if s.fit is not None]
    if not fitted:
        return None, "none", ()
    if len(fitted) == 1:
        return fitted[0].model, "only_fit", (fitted[0].model,)
    best = min(fitted, key=lambda s: s.rmse)
    tied = [s for s in fitted if s is best or _tied(best, s)]
    if not best.separates:
        separating = [s for s in tied if s.separates]
        if separating:
            pick = min(separating, key=lambda s: s.rmse)
            return pick.model, "tie_separates", tuple(s.model for s in tied)
    return best.model, "lowest_rmse", tuple(s.model for s in tied)


def _tied(best: ModelScore, other: ModelScore) -> bool:
    """Whether the paired difference of squared errors is within :data:`TIE_SE` standard errors of 0."""
    d = other.squared - best.squared
    if d.size < 2:
        return True
    se = float(np.std(d, ddof=1) / np.sqrt(d.size))
    return bool(abs(float(d.mean())) <= TIE_SE * se)


def compare_models(tx: pd.DataFrame, calibration_end: Any, observation_end: Any, *, time_unit: str = "weeks",
                   penalizer: float = 0.0, auto_penalizer: bool = True) -> ModelComparison:
    """Fit every purchase model on the calibration period and compare their holdout forecasts.

    Args:
        tx: typed transaction lines.
        calibration_end: last day of the calibration period.
        observation_end: last day of the holdout (after calibration_end).
        time_unit: "days" or "weeks".
        penalizer: the penalizer each fit starts from.
        auto_penalizer: retry with 0.001, then 0.01, when a fit needs regularisation.

    Returns:
        ModelComparison (models that cannot be fitted have their error and no figures).

    Raises:
        LoyaltyError: bad input or no holdout period.
    """
    start = check_penalizer(penalizer)
    summary = holdout_summary(tx, calibration_end, observation_end, time_unit)
    scores = [_score(key, summary, start, auto_penalizer) for key in MODELS]
    chosen, reason, tied = choose(scores)
    return ModelComparison(scores=scores, chosen=chosen, reason=reason, tied=tied,
                           calibration_end=summary.attrs["calibration_end"],
                           observation_end=summary.attrs["observation_end"], customers=len(summary),
                           duration=float(summary["duration_holdout"].iloc[0]))
