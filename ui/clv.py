"""Streamlit helpers of the 予測LTV page (purchase models): cached calls of the one CLV API,
the small tables the page shows, and its charts.

The fits go through :func:`loyalty.clv.compare_models` (the automatic model choice on a
holdout), :func:`loyalty.clv.fit` / :func:`loyalty.clv.forecast` and
:func:`loyalty.clv.holdout_check` (the same calls as ``python -m loyalty clv``, so the
page and the CLI give the same figures), cached per data set and settings with
``st.cache_resource`` (the cached objects are never mutated): the fits apart from the
horizon and discount rate, so moving those two only recomputes the forecasts.  Every
rule (the model choice, whether P(alive) separates customers, the churn-risk list) is in
:mod:`loyalty.clv`; this module only calls and lays out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from loyalty import clv, ltv
from loyalty.clv.fitting import meaning_key
from loyalty.errors import LoyaltyError
from loyalty.fmt import format_pct, format_score, format_yen
from ui import state
from ui.metrics import ACTUAL_COLOR, PREDICTED_COLOR

TIERS = ["top", "middle", "low"]
#: Penalizers the page offers (the automatic retry adds loyalty.clv.AUTO_PENALIZERS).
PENALIZERS = [0.0, 0.0001, 0.001, 0.01, 0.1]
HORIZONS = [3, 6, 12, 24, 36, 60]
#: Holdout lengths (months before the calibration end) of the model choice and the fit check.
HOLDOUT_MONTHS = (3, 6, 12)
#: The model choices of the page: automatic, then every registered purchase model.
AUTO = "auto"
#: How each parameter is shown in the parameters table (else its own name).
PARAM_SYMBOLS = {"alpha": "α (alpha)", "beta": "β (beta)", "gamma": "γ (gamma)"}
#: Churn-risk customers shown on screen (the download has all of them).
RISK_ROWS = 100


@dataclass(frozen=True)
class Settings:
    """What the user chose in the settings box."""

    calibration_end: date
    unit: str
    horizon: int
    rate: float
    penalizer: float
    auto: bool
    model: str = AUTO
    holdout: int | None = None


@dataclass(frozen=True)
class Fit:
    """A CLV fit attempt: the result, or the error, and the penalizer actually used
    (the last one tried when the fit failed)."""

    result: clv.CLVResult | None
    error: LoyaltyError | None
    penalizer: float

    @property
    def first_error(self) -> LoyaltyError | None:
        """Why the requested penalizer was not enough (when a larger one was used)."""
        return self.result.penalizer.reason if self.result is not None else None

    def next_penalizer(self) -> float | None:
        """The next penalizer the page offers above the one that failed, or None."""
        return next((p for p in PENALIZERS if p > self.penalizer), None)


# --------------------------------------------------------------------------- cached fits


@st.cache_resource(show_spinner=False, max_entries=8)
def _fit(key: str, calibration_end: date, unit: str, penalizer: float, auto: bool, model: str,
         _tx: pd.DataFrame) -> tuple[clv.CLVFit | None, LoyaltyError | None]:
    try:
        return clv.fit(_tx, calibration_end=calibration_end, time_unit=unit, penalizer=penalizer,
                       auto_penalizer=auto, model=model), None
    except LoyaltyError as exc:
        return None, exc


@st.cache_resource(show_spinner=False, max_entries=16)
def _forecast(key: str, calibration_end: date, unit: str, penalizer: float, auto: bool, model: str, horizon: int,
              rate: float, _fitted: clv.CLVFit) -> clv.CLVResult:
    return clv.forecast(_fitted, horizon, rate)


def clv_fit(dataset, s: Settings, model: str) -> Fit:
    """Predictive CLV for the data set, settings and model (errors returned and cached, not raised).

    Args:
        dataset: the session's data set (with transactions).
        s: the page's settings.
        model: the purchase model's key.

    Returns:
        Fit.
    """
    key = state.dataset_key()
    fitted, err = _fit(key, s.calibration_end, s.unit, s.penalizer, s.auto, model, dataset.transactions.frame)
    if err is not None:
        return Fit(None, err, clv.penalizer_ladder(s.penalizer, s.auto)[-1])
    result = _forecast(key, s.calibration_end, s.unit, s.penalizer, s.auto, model, s.horizon, s.rate, fitted)
    return Fit(result, None, result.penalizer.used)


@st.cache_resource(show_spinner=False, max_entries=8)
def _compare(key: str, split: date, calibration_end: date, unit: str, penalizer: float, auto: bool,
             _tx: pd.DataFrame) -> tuple[clv.ModelComparison | None, LoyaltyError | None]:
    try:
        return clv.compare_models(_tx, split, calibration_end, time_unit=unit, penalizer=penalizer,
                                  auto_penalizer=auto), None
    except LoyaltyError as exc:
        return None, exc


def comparison(dataset, s: Settings) -> tuple[clv.ModelComparison | None, LoyaltyError | None]:
    """Every purchase model fitted up to ``holdout`` months before the calibration end and
    compared on those months (cached); (None, None) when the data is too short for a holdout."""
    if s.holdout is None:
        return None, None
    split = holdout_split(s.calibration_end, s.holdout)
    return _compare(state.dataset_key(), split, s.calibration_end, s.unit, s.penalizer, s.auto,
                    dataset.transactions.frame)


@st.cache_resource(show_spinner=False, max_entries=16)
def _holdout(key: str, calibration_end: date, observation_end: date, unit: str, penalizer: float, auto: bool,
             model: str, _tx: pd.DataFrame):
    try:
        check = clv.holdout_check(_tx, calibration_end, observation_end, time_unit=unit, penalizer=penalizer,
                                  auto_penalizer=auto, model=model)
    except LoyaltyError as exc:
        return None, exc, clv.penalizer_ladder(penalizer, auto)[-1]
    return check.comparison, None, check.penalizer.used


def holdout(dataset, calibration_end: date, observation_end: date, unit: str, penalizer: float, auto: bool,
            model: str):
    """The calibration/holdout check of one model, cached per data set and settings.

    Returns:
        (comparison frame, None, penalizer used) or (None, error, penalizer).
    """
    return _holdout(state.dataset_key(), calibration_end, observation_end, unit, penalizer, auto, model,
                    dataset.transactions.frame)


# --------------------------------------------------------------------------- page tables


def date_bounds(tx: pd.DataFrame, as_of: date | None) -> tuple[date, date, date]:
    """(first order day, last order day, default calibration end: the as-of date within them)."""
    first_day = pd.Timestamp(tx["order_date"].min()).date()
    last_day = pd.Timestamp(tx["order_date"].max()).date()
    return first_day, last_day, min(max(as_of or last_day, first_day), last_day)


def holdout_choices(first_day: date, calibration_end: date) -> list[int]:
    """The holdout lengths (months) shorter than the span of data up to the calibration end."""
    span_months = (calibration_end.year - first_day.year) * 12 + calibration_end.month - first_day.month
    return [m for m in HOLDOUT_MONTHS if m < span_months]


def holdout_split(calibration_end: date, months: int) -> date:
    """The calibration end of the fit check: ``months`` before the page's calibration end."""
    return (pd.Timestamp(calibration_end) - pd.DateOffset(months=int(months))).date()


def model_label(model: str) -> str:
    """The model's short name (BG/NBD, Pareto/NBD, MBG/NBD)."""
    return state.t(f"clv.model_short.{model}")


def comparison_view(comp: clv.ModelComparison) -> pd.DataFrame:
    """The comparison as the page's small table: one row per model, figures as text."""
    t = state.t
    rows = []
    for r in comp.table().itertuples(index=False):
        fitted = bool(r.fitted)
        rows.append({
            "model": model_label(r.model) + ("  ✓" if r.chosen else ""),
            "rmse": format_score(r.rmse, 3) if fitted else t("clv.choice.not_fitted"),
            "mae": format_score(r.mae, 3) if fitted else "—",
            "totals": t("clv.choice.totals", predicted=format_score(r.predicted, 0), actual=format_score(r.actual, 0),
                        error=("+" if r.tracking_error > 0 else "") + format_pct(r.tracking_error)) if fitted else "—",
            "penalizer": f"{r.penalizer:g}" if fitted else "—",
            "spread": (format_pct(r.spread) + ("" if r.separates else t("clv.choice.no_separation")))
            if fitted else "—",
        })
    return pd.DataFrame(rows)


def choice_reason(comp: clv.ModelComparison) -> str:
    """Why the model was chosen, in words (the catalogue's ``clv.choice.reason.*``)."""
    best = comp.score(comp.chosen)
    others = [model_label(k) for k in comp.tied if k != comp.chosen]
    lowest = min((s for s in comp.scores if s.fit is not None), key=lambda s: s.rmse)
    return state.t(f"clv.choice.reason.{comp.reason}", model=model_label(comp.chosen),
                   rmse=format_score(best.rmse, 3), others=state.join_list(others) if others else "—",
                   best=model_label(lowest.model))


def penalty_what(model: str, params: tuple[str, ...]) -> str:
    """What the parameters that ran off describe, in the UI language (「離脱のしやすさ」)."""
    meanings = list(dict.fromkeys(state.t(meaning_key(model, p)) for p in params))
    if state.lang() == "ja":
        return "・".join(f"「{m}」" for m in meanings)
    return " / ".join(meanings)


def tier_table(cust: pd.DataFrame, tiers: pd.Series) -> pd.DataFrame:
    """Per tier: customers, mean P(alive), mean expected purchases, CLV mean / total / share."""
    by = {
        "p_alive": ltv.value_by_group(cust["p_alive"], tiers, order=TIERS),
        "purchases": ltv.value_by_group(cust["expected_purchases"], tiers, order=TIERS),
        "clv": ltv.value_by_group(cust["clv"], tiers, order=TIERS),
    }
    return pd.DataFrame({
        "customers": by["p_alive"]["customers"],
        "p_alive": by["p_alive"]["mean"],
        "purchases": by["purchases"]["mean"],
        "clv_mean": by["clv"]["mean"],
        "clv_total": by["clv"]["total"],
        "clv_share": by["clv"]["share"],
    })


def ranked_customers(cust: pd.DataFrame, tiers: pd.Series, labels: dict[str, str], by: str,
                     columns: list[str], rows: int | None = None) -> pd.DataFrame:
    """Customers by ``by`` (clv or expected purchases), highest first, with their tier label.

    Args:
        cust: per-customer values indexed by customer_id.
        tiers: tier key per customer.
        labels: tier key -> label.
        by: the column to rank by.
        columns: the columns to return.
        rows: only the first ``rows`` (all when None).
    """
    order = cust[by].sort_values(ascending=False, kind="stable", na_position="last").index
    if rows is not None:
        order = order[:rows]
    out = cust.loc[order].reset_index()
    out.insert(1, "tier_label", tiers.reindex(order).map(labels).astype("str").to_numpy())
    return out[columns]


def risk_table(risk: pd.DataFrame, tiers: pd.Series, labels: dict[str, str], rows: int | None = None) -> pd.DataFrame:
    """The churn-risk list (:func:`loyalty.clv.churn_risk`) with each customer's tier label."""
    out = risk if rows is None else risk.head(rows)
    out = out.copy()
    out.insert(1, "tier_label", tiers.reindex(out["customer_id"].to_numpy()).map(labels).astype("str").to_numpy())
    return out


def param_table(result: clv.CLVResult, unit_label: str) -> pd.DataFrame:
    """One row per fitted parameter (purchase model, its log-likelihood, Gamma-Gamma):
    model, param, value and stderr (formatted), meaning."""
    t = state.t
    fit, gg = result.purchase_fit, result.gamma_gamma
    model = clv.MODELS[result.model]
    label = t(f"clv.model_short.{result.model}")
    rows = [(label, PARAM_SYMBOLS.get(p, p), getattr(fit, p), fit.stderr.get(p), t(f"clv.param.{p}", unit=unit_label))
            for p in model.params]
    rows.append((label, t("clv.param.loglik_name"), fit.loglik, None, t("clv.param.loglik")))
    if gg is not None:
        rows += [("Gamma-Gamma", PARAM_SYMBOLS.get(p, p), getattr(gg, p), gg.stderr.get(p), t(f"clv.param.{p}"))
                 for p in ("p", "q", "gamma")]
    params = pd.DataFrame(rows, columns=["model", "param", "value", "stderr", "meaning"])
    params["value"] = [format_score(v, 3) for v in params["value"]]
    params["stderr"] = [format_score(v, 3) for v in params["stderr"]]
    return params


def param_reading(result: clv.CLVResult, unit_label: str) -> str:
    """How to read the fitted parameters: the mean purchase rate r/alpha, the model's mean
    drop-out (a/(a+b) per purchase, or s/beta per time unit for Pareto/NBD), and the
    population mean spend p*gamma/(q-1)."""
    fit, gg = result.purchase_fit, result.gamma_gamma
    dropout = fit.s / fit.beta if result.model == "pareto" else fit.a / (fit.a + fit.b)
    return state.t(f"clv.param.derived.{result.model}", rate=format_score(fit.r / fit.alpha, 3), unit=unit_label,
                   dropout=format_pct(dropout) if result.model != "pareto" else format_score(dropout, 4),
                   value=format_yen(gg.population_mean_value) if gg is not None else "—")


# --------------------------------------------------------------------------- charts


def p_alive_histogram(customers: pd.DataFrame, *, p_title: str, count_title: str, kind_title: str,
                      one_time_label: str, repeat_label: str) -> alt.Chart:
    """Customers per P(alive) band of 0.1, one-time buyers and repeat buyers stacked."""
    p = customers["p_alive"].to_numpy(dtype=float)
    band = np.clip(np.floor(p * 10).astype(int), 0, 9)
    one = customers["frequency"].to_numpy() == 0
    rows = []
    for flag, label in ((True, one_time_label), (False, repeat_label)):
        counts = np.bincount(band[one == flag], minlength=10)
        for i, c in enumerate(counts):
            rows.append({"low": i / 10, "high": (i + 1) / 10, "kind": label, "count": int(c)})
    data = pd.DataFrame(rows)
    scale = alt.Scale(domain=[one_time_label, repeat_label], range=["#AAB7B8", PREDICTED_COLOR])
    return alt.Chart(data).mark_bar(stroke="white").encode(
        x=alt.X("low:Q", bin="binned", title=p_title, scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(labelAngle=0)),
        x2="high:Q",
        y=alt.Y("count:Q", title=count_title, stack="zero"),
        color=alt.Color("kind:N", title=kind_title, scale=scale),
        tooltip=[alt.Tooltip("kind:N", title=kind_title), alt.Tooltip("low:Q", title=p_title, format=".1f"),
                 alt.Tooltip("count:Q", title=count_title, format=",")],
    ).properties(height=340)


def holdout_chart(comparison: pd.DataFrame, *, bucket_title: str, mean_title: str, predicted_label: str,
                  actual_label: str, series_title: str) -> alt.Chart:
    """Mean holdout purchases per calibration-frequency bucket: predicted vs actual (FHL 2005 Fig. 5)."""
    rows = comparison[comparison["frequency_bucket"] != "total"]
    order = list(rows["frequency_bucket"])
    data = pd.concat([
        pd.DataFrame({"bucket": rows["frequency_bucket"], "series": predicted_label,
                      "mean": rows["predicted_mean"], "customers": rows["customers"]}),
        pd.DataFrame({"bucket": rows["frequency_bucket"], "series": actual_label,
                      "mean": rows["actual_mean"], "customers": rows["customers"]}),
    ])
    scale = alt.Scale(domain=[predicted_label, actual_label], range=[PREDICTED_COLOR, ACTUAL_COLOR])
    return alt.Chart(data).mark_line(point=alt.OverlayMarkDef(size=70)).encode(
        x=alt.X("bucket:O", title=bucket_title, sort=order, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("mean:Q", title=mean_title),
        color=alt.Color("series:N", title=series_title, scale=scale),
        strokeDash=alt.StrokeDash("series:N", scale=alt.Scale(domain=[predicted_label, actual_label],
                                                              range=[[6, 3], [1, 0]]), legend=None),
        tooltip=[alt.Tooltip("bucket:O", title=bucket_title), alt.Tooltip("series:N", title=series_title),
                 alt.Tooltip("mean:Q", title=mean_title, format=".2f"),
                 alt.Tooltip("customers:Q", format=",")],
    ).properties(height=380)
