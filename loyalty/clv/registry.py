"""The registry of purchase models: one entry per model the app and the CLI can fit.

Each entry says how to fit the model on a customer summary and how to predict with the
fit (P(alive), expected purchases); :mod:`loyalty.clv.api` and :mod:`loyalty.clv.predict`
only go through it, so adding a model is: write its module (``fit(frequency, recency, T,
*, weights, penalizer, time_unit)`` + the two predictions, on float arrays), add one
:class:`Model` to :data:`MODELS`, add ``clv.model.<key>``, ``clv.model_short.<key>``, a
``clv.meaning.<param>`` (what the fit-refusal message says the parameter describes;
``clv.meaning.<key>.<param>`` where the name means something else in that model) and a
``clv.param.<param>`` (the page's parameter table) per parameter to the catalogue.

The CLI's ``clv --model KEY`` offers the keys of :data:`MODELS` plus the contractual
model ``sbg`` (:data:`CONTRACT_MODELS`, :mod:`loyalty.clv.sbg`: renewals, not purchases,
so it has no P(alive) or purchase forecast and is not in this registry); its JSON prints
the fit's ``params()`` under :attr:`Model.name`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Protocol

import numpy as np
import pandas as pd

import loyalty.clv.bgnbd as bgnbd
import loyalty.clv.mbgnbd as mbgnbd
import loyalty.clv.pareto_nbd as pareto_nbd
from loyalty.clv.common import summary_arrays
from loyalty.i18n import error


class PurchaseFit(Protocol):
    """What every purchase model's fit offers (BGNBDFit is one)."""

    loglik: float
    n_customers: int
    n_groups: int
    time_unit: str | None
    penalizer: float
    stderr: dict[str, float]

    def params(self) -> dict[str, float]:
        """The parameters and ``loglik`` as plain floats (what the CLI's JSON prints)."""
        ...


@dataclass(frozen=True)
class Model:
    """One purchase model.

    Attributes:
        key: the model's key (``clv --model KEY``, ``clv.model.<key>`` in the catalogue).
        name: the key its parameters are printed under in the CLI's JSON (DESIGN §5).
        params: its parameter names, in the order the app lists them.
        fit_type: the class of its fits (to find the model of a fit).
        fit: ``fit(summary, penalizer) -> fit``; raises LoyaltyError with
            ``field="penalizer"`` when a larger penalizer may help.
        p_alive: ``p_alive(fit, x, t_x, T) -> ndarray`` on float arrays.
        expected_purchases: ``expected_purchases(fit, t, x, t_x, T) -> ndarray``: purchases
            expected in the next ``t`` periods.
    """

    key: str
    name: str
    params: tuple[str, ...]
    fit_type: type
    fit: Callable[[pd.DataFrame, float], Any]
    p_alive: Callable[[Any, np.ndarray, np.ndarray, np.ndarray], np.ndarray]
    expected_purchases: Callable[[Any, float, np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def _summary_fit(module: Any) -> Callable[[pd.DataFrame, float], Any]:
    """``fit(summary, penalizer)`` for a model module whose ``fit`` takes (x, t_x, T) arrays."""
    def fit(summary: pd.DataFrame, penalizer: float) -> Any:
        x, tx, T = summary_arrays(summary, ("frequency", "recency", "T"))
        unit = summary.attrs.get("time_unit") if isinstance(summary.attrs, dict) else None
        return module.fit(x, tx, T, penalizer=penalizer, time_unit=unit)
    return fit


#: The purchase models, by key.  The first is the default.
MODELS: dict[str, Model] = {
    "bgnbd": Model(
        key="bgnbd", name="bgnbd", params=bgnbd.PARAMS, fit_type=bgnbd.BGNBDFit, fit=_summary_fit(bgnbd),
        p_alive=bgnbd.p_alive, expected_purchases=bgnbd.expected_purchases,
    ),
    "pareto": Model(
        key="pareto", name="pareto_nbd", params=pareto_nbd.PARAMS, fit_type=pareto_nbd.ParetoNBDFit,
        fit=_summary_fit(pareto_nbd), p_alive=pareto_nbd.probability_alive,
        expected_purchases=pareto_nbd.expected_purchases,
    ),
    "mbgnbd": Model(
        key="mbgnbd", name="mbgnbd", params=mbgnbd.PARAMS, fit_type=mbgnbd.MBGNBDFit, fit=_summary_fit(mbgnbd),
        p_alive=mbgnbd.probability_alive, expected_purchases=mbgnbd.expected_purchases,
    ),
}

#: The contractual model ``clv --model`` also offers (fitted on renewals: :mod:`loyalty.clv.sbg`).
CONTRACT_MODELS: tuple[str, ...] = ("sbg",)

#: The model fitted when none is named.
DEFAULT_MODEL: str = next(iter(MODELS))


def get_model(key: Any) -> Model:
    """The registered model ``key``.

    Raises:
        LoyaltyError: no such model (the message lists the known ones).
    """
    if not isinstance(key, str) or key not in MODELS:
        raise error("clv.error.unknown_model", field="model", model=str(key), models=", ".join(MODELS))
    return MODELS[key]


def model_of(fit: Any) -> Model:
    """The registered model a fit belongs to.

    Raises:
        TypeError: ``fit`` is not a fit of a registered model (a programming error).
    """
    for model in MODELS.values():
        if isinstance(fit, model.fit_type):
            return model
    raise TypeError(f"not a fit of a registered CLV model: {type(fit).__name__}")
