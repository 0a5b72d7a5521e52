"""Predictive customer lifetime value: purchase models, Gamma-Gamma spend, contract renewals.

From typed transaction lines to per-customer forecasts:

* how likely the customer is still "alive" (still buying from us),
* how many purchases we should expect from them over the next months,
* how much a purchase of theirs is worth on average, and
* their discounted customer lifetime value (CLV) over a horizon.

The package, one module per concern:

========================  ===================================================================
``summary``               transaction lines -> per-customer (x, t_x, T, m_x), the per-day rule
``bgnbd``                 BG/NBD (Fader, Hardie & Lee 2005): fit, P(alive), expected purchases
``pareto_nbd``            Pareto/NBD (Schmittlein, Morrison & Colombo 1987): the same, customers
                          may leave at any time (also before a repeat purchase)
``mbgnbd``                MBG/NBD (Batislam, Denizel & Filiztekin 2007): BG/NBD in which
                          customers may also leave right after their first purchase
``hypergeometric``        the 2F1 of the Pareto/NBD likelihood, fast and exact near w = 1
``sbg``                   shifted-beta-geometric (Fader & Hardie 2007) for contracts: renewals,
                          survival, retention, DERL (Fader & Hardie 2010)
``gamma_gamma``           Gamma-Gamma spend model (Fader & Hardie 2013): fit, expected value
``fitting``               inputs, weighted grouping, the optimiser and the fit checks all share
``registry``              the purchase models by key (``clv --model``), what each offers
``predict``               P(alive), expected purchases and discounted CLV for any registered fit
``holdout``               the calibration/holdout comparison (FHL 2005, Figure 5)
``api``                   :func:`fit` / :func:`forecast` (and :func:`run`, :func:`holdout_check`):
                          the one entry point of the CLI and the app, with the penalizer retry
``contracts``             survivors tables and contract lines -> the sBG fit, DERL per contract
``choice``                every purchase model on one holdout; the one that forecasts best
``alive``                 does P(alive) separate customers, P(alive) by silence, the churn-risk list
``common``                time units, dates, argument checks
========================  ===================================================================

Everything is vectorised over customers (no Python loop per customer).  Errors a user
can cause raise :class:`loyalty.errors.LoyaltyError` with a catalogue message
(``clv.error.*``, Japanese and English) that says what to do.
"""

from loyalty.clv.api import (
    AUTO_PENALIZERS,
    CLVFit,
    CLVResult,
    HoldoutCheck,
    PenalizerChoice,
    fit,
    forecast,
    holdout_check,
    penalizer_ladder,
    run,
)
from loyalty.clv.alive import PAliveCheck, check_p_alive, churn_risk, p_alive_by_recency
from loyalty.clv.bgnbd import BGNBDFit, bgnbd_loglik, fit_bgnbd, simulate_summary
from loyalty.clv.choice import ModelComparison, compare_models
from loyalty.clv.common import DAYS_PER_MONTH, TIME_UNITS
from loyalty.clv.fitting import MIN_CUSTOMERS
from loyalty.clv.gamma_gamma import (
    MIN_REPEAT_BUYERS_GAMMA_GAMMA,
    GammaGammaFit,
    expected_average_value,
    fit_gamma_gamma,
    gamma_gamma_loglik,
)
from loyalty.clv.holdout import FREQUENCY_BUCKETS, holdout_comparison
from loyalty.clv.mbgnbd import MBGNBDFit
from loyalty.clv.pareto_nbd import ParetoNBDFit
from loyalty.clv.predict import customer_lifetime_value, expected_purchases, probability_alive
from loyalty.clv.registry import CONTRACT_MODELS, DEFAULT_MODEL, MODELS, Model, get_model
from loyalty.clv.sbg import SBGFit
from loyalty.clv.summary import summary_from_transactions

__all__ = [
    "AUTO_PENALIZERS",
    "CONTRACT_MODELS",
    "DAYS_PER_MONTH",
    "DEFAULT_MODEL",
    "FREQUENCY_BUCKETS",
    "MIN_CUSTOMERS",
    "MIN_REPEAT_BUYERS_GAMMA_GAMMA",
    "MODELS",
    "TIME_UNITS",
    "BGNBDFit",
    "CLVFit",
    "CLVResult",
    "GammaGammaFit",
    "HoldoutCheck",
    "MBGNBDFit",
    "ModelComparison",
    "PAliveCheck",
    "Model",
    "ParetoNBDFit",
    "PenalizerChoice",
    "SBGFit",
    "bgnbd_loglik",
    "check_p_alive",
    "churn_risk",
    "compare_models",
    "customer_lifetime_value",
    "expected_average_value",
    "expected_purchases",
    "fit",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "forecast",
    "gamma_gamma_loglik",
    "get_model",
    "holdout_check",
    "holdout_comparison",
    "p_alive_by_recency",
    "penalizer_ladder",
    "probability_alive",
    "run",
    "simulate_summary",
    "summary_from_transactions",
]
