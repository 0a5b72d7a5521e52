"""予測LTV: BG/NBD + Gamma-Gamma — settings, fitted parameters, P(alive), expected
purchases and CLV per customer and per tier, and the calibration/holdout check.

Drawing only: the fits go through :mod:`ui.clv` (cached calls of the one CLV API,
``loyalty.clv.fit`` / ``forecast`` / ``holdout_check``) and the tables it builds.
"""

from ui.router import ensure_router

ensure_router()

from datetime import date

import numpy as np
import pandas as pd
import streamlit as st

from loyalty.fmt import format_date, format_int, format_pct, format_score, format_yen
from ui import clv as uc
from ui import components, state
from ui import metrics as um
from ui.state import t


def _use_penalizer(value: float) -> None:
    st.session_state["w_clv_penalizer"] = value


def _settings(first_day: date, last_day: date, default_end: date) -> uc.Settings:
    """The settings box: calibration end, time unit, horizon, discount rate, penalizer, auto retry."""
    with st.container(border=True):
        c1, c2, c3, c4 = st.columns(4)
        cal_end = c1.date_input(t("clv.calibration_end"), value=default_end, min_value=first_day,
                                max_value=last_day, format="YYYY/MM/DD", key="w_clv_cal_end",
                                help=t("clv.calibration_end_help"), persist_state="session")
        unit = c2.segmented_control(t("clv.time_unit"), ["weeks", "days"], default="weeks", required=True,
                                    format_func=lambda u: t(f"clv.unit.{u}"), key="w_clv_unit",
                                    help=t("clv.time_unit_help"), persist_state="session")
        horizon = c3.select_slider(t("clv.horizon"), uc.HORIZONS, value=12,
                                   format_func=lambda m: t("clv.months", months=m), key="w_clv_horizon",
                                   help=t("clv.horizon_help"), persist_state="session")
        rate_pct = c4.number_input(t("clv.discount"), min_value=0.0, max_value=5.0, value=1.0, step=0.1,
                                   format="%.1f", key="w_clv_discount", persist_state="session",
                                   help=t("clv.discount_help"))
        rate = round(rate_pct / 100, 6)
        c5, c6, c7 = st.columns([2, 2, 4])
        penalizer = c5.select_slider(t("clv.penalizer"), uc.PENALIZERS, value=0.0,
                                     format_func=lambda p: f"{p:g}", key="w_clv_penalizer",
                                     help=t("clv.penalizer_help"), persist_state="session")
        auto = c6.toggle(t("clv.auto"), value=True, key="w_clv_auto", help=t("clv.auto_help"),
                         persist_state="session")
        c7.caption(t("clv.settings_note", yearly=format_pct((1 + rate) ** 12 - 1),
                     start=format_date(first_day), end=format_date(last_day)))
    return uc.Settings(calibration_end=cal_end, unit=unit, horizon=int(horizon), rate=rate,
                       penalizer=float(penalizer), auto=bool(auto))


def _fit_failed(fit: uc.Fit) -> None:
    """The model's own explanation, and a button to retry with the next penalizer."""
    state.show_error(fit.error)
    if fit.error.field == "penalizer":
        st.info(t("clv.nonconvergence"), icon=":material/lightbulb:")
        nxt = fit.next_penalizer()
        if nxt is not None:
            st.button(t("clv.retry", penalizer=f"{nxt:g}"), on_click=_use_penalizer, args=(nxt,),
                      key="clv_retry", icon=":material/refresh:")


def _penalizer_note(fit: uc.Fit) -> None:
    """Say that a penalizer was used automatically, and why."""
    if fit.first_error is not None:
        st.info(t("clv.auto_used", penalizer=f"{fit.penalizer:g}"), icon=":material/tune:")  # usable results
        st.caption(t("clv.auto_reason",
                     reason=fit.first_error.ja if state.lang() == "ja" else fit.first_error.en))


def _kpis(result, cust: pd.DataFrame, s: uc.Settings) -> None:
    """Customers, mean P(alive), expected purchases and CLV over the horizon."""
    has_value = result.gamma_gamma is not None
    k1, k2, k3, k4 = st.columns(4)
    k1.metric(t("clv.kpi.customers"), format_int(len(cust)),
              help=t("clv.kpi.customers_help", end=format_date(result.calibration_end)))
    k2.metric(t("clv.kpi.p_alive"), format_pct(cust["p_alive"].mean()), help=t("clv.kpi.p_alive_help"))
    k3.metric(t("clv.kpi.purchases", months=s.horizon), format_score(cust["expected_purchases"].sum()),
              help=t("clv.kpi.purchases_help"))
    k4.metric(t("clv.kpi.clv_total", months=s.horizon),
              format_yen(cust["clv"].sum()) if has_value else "—",
              help=t("clv.kpi.clv_help", mean=format_yen(cust["clv"].mean()) if has_value else "—"))
    if not has_value:
        gr = result.gamma_gamma_reason
        reason = (gr.ja if state.lang() == "ja" else gr.en) if gr else ""
        st.warning(t("clv.no_value", reason=reason), icon=":material/warning:")
    st.caption(t("clv.formula", months=s.horizon, rate=format_pct(s.rate, 1)))


def _tiers(result, cust: pd.DataFrame, tiers: pd.Series, tl: dict[str, str], feats, s: uc.Settings) -> None:
    """Per-tier chart, the P(alive) histogram and the per-tier table."""
    has_value = result.gamma_gamma is not None
    tier_table = uc.tier_table(cust, tiers)
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{t('clv.tier_chart', months=s.horizon)}**")
        col = "clv_mean" if has_value else "purchases"
        st.altair_chart(um.tier_value_bars(tier_table, tl, value_col=col,
                                           value_title=t("clv.col.clv_mean_yen") if has_value
                                           else t("clv.col.purchases"),
                                           tier_title=t("common.tier"),
                                           share_col="clv_share" if has_value else None,
                                           share_title=t("clv.col.clv_share"),
                                           fmt=",.0f" if has_value else ".2f"), width="stretch")
    with right:
        st.markdown(f"**{t('clv.p_alive_chart')}**")
        st.altair_chart(uc.p_alive_histogram(cust, p_title=t("clv.col.p_alive"),
                                             count_title=t("metrics.col.customers"),
                                             kind_title=t("clv.buyer_kind"),
                                             one_time_label=t("clv.one_time"),
                                             repeat_label=t("clv.repeat")), width="stretch")
    one = int((cust["frequency"] == 0).sum())
    st.info(t("clv.p_alive_note", one=format_int(one), share=format_pct(one / len(cust))), icon=":material/info:")
    st.markdown(f"**{t('clv.tier_table')}**")
    um.show(um.labelled(tier_table, tl), {
        "label": (t("common.tier"), "text"), "customers": (t("metrics.col.customers"), "int"),
        "p_alive": (t("clv.col.p_alive_mean"), "pct"),
        "purchases": (t("clv.col.purchases_mean", months=s.horizon), "float2"),
        "clv_mean": (t("clv.col.clv_mean"), "yen"), "clv_total": (t("clv.col.clv_total"), "yen"),
        "clv_share": (t("clv.col.clv_share"), "pct")}, key="clv_tier_table")
    st.caption(t("clv.tier_note", as_of=format_date(feats.as_of) if feats.as_of else "—",
                 missing=format_int(int(tiers.isna().sum()))))


def _customers(result, cust: pd.DataFrame, tiers: pd.Series, tl: dict[str, str], s: uc.Settings) -> None:
    """The customer list by predicted value, with its CSV download."""
    unit_label = t(f"clv.unit.{s.unit}")
    st.markdown(f"**{t('clv.customer_table')}**")
    ccols = {"customer_id": (t("col.customer_id"), "text"), "tier_label": (t("common.tier"), "text"),
             "p_alive": (t("clv.col.p_alive"), "pct"),
             "expected_purchases": (t("clv.col.purchases_n", months=s.horizon), "float2"),
             "expected_avg_value": (t("clv.col.avg_value"), "yen"),
             "clv": (t("clv.col.clv", months=s.horizon), "yen"),
             "frequency": (t("clv.col.frequency"), "int"),
             "recency": (t("clv.col.recency", unit=unit_label), "float1"),
             "T": (t("clv.col.T", unit=unit_label), "float1"),
             "monetary_value": (t("clv.col.monetary_value"), "yen")}
    by = "clv" if result.gamma_gamma is not None else "expected_purchases"

    def clv_table(rows=None):
        """Customers by predicted value, highest first (only the first ``rows`` when given)."""
        return uc.ranked_customers(cust, tiers, tl, by, list(ccols), rows)

    um.customer_list(clv_table, ccols, total=len(cust), key="clv", file_name="clv_by_customer.csv")


def _results_tab(result, res, feats, s: uc.Settings) -> None:
    """KPIs, per-tier values and the customer list."""
    cust = result.customers.set_index("customer_id")
    tiers = res.frame["tier"].reindex(cust.index)
    tl = components.tier_labels()
    _kpis(result, cust, s)
    _tiers(result, cust, tiers, tl, feats, s)
    _customers(result, cust, tiers, tl, s)


def _holdout_view(comp: pd.DataFrame, pen_used: float, fit: uc.Fit) -> None:
    """Predicted against actual holdout purchases: totals, chart and table."""
    total = comp[comp["frequency_bucket"] == "total"].iloc[0]
    pred, act = float(total["predicted_total"]), float(total["actual_total"])
    k1, k2, k3 = st.columns(3)
    k1.metric(t("clv.fit.predicted"), format_score(pred))
    k2.metric(t("clv.fit.actual"), format_int(act))
    k3.metric(t("clv.fit.error"), format_pct((pred - act) / act) if act else "—", help=t("clv.fit.error_help"))
    if pen_used != fit.penalizer:
        st.caption(t("clv.fit.penalizer_used", penalizer=f"{pen_used:g}"))
    st.altair_chart(uc.holdout_chart(comp, bucket_title=t("clv.fit.bucket"), mean_title=t("clv.fit.mean"),
                                     predicted_label=t("clv.fit.predicted_series"),
                                     actual_label=t("clv.fit.actual_series"),
                                     series_title=t("clv.fit.series")), width="stretch")
    view = comp.copy()
    view["bucket_label"] = [t("clv.fit.total") if b == "total" else b for b in view["frequency_bucket"]]
    um.show(view, {"bucket_label": (t("clv.fit.bucket"), "text"),
                   "customers": (t("metrics.col.customers"), "int"),
                   "predicted_mean": (t("clv.fit.predicted_mean"), "float2"),
                   "actual_mean": (t("clv.fit.actual_mean"), "float2"),
                   "predicted_total": (t("clv.fit.predicted_total"), "float1"),
                   "actual_total": (t("clv.fit.actual_total"), "int")}, key="clv_holdout_table")
    st.caption(t("clv.fit.reading"))


def _fit_tab(ds, fit: uc.Fit, first_day: date, s: uc.Settings) -> None:
    """The calibration/holdout check: choose the holdout length, see predicted vs actual."""
    st.caption(t("clv.fit_help"))
    choices = uc.holdout_choices(first_day, s.calibration_end)
    if not choices:
        st.info(t("clv.fit_too_short"), icon=":material/info:")
        return
    months = st.segmented_control(t("clv.holdout"), choices, default=choices[min(1, len(choices) - 1)],
                                  required=True, format_func=lambda m: t("clv.months", months=m),
                                  key="w_clv_holdout", persist_state="session")
    obs_end = s.calibration_end
    split = uc.holdout_split(s.calibration_end, months)
    st.caption(t("clv.holdout_split", cal_start=format_date(first_day), split=format_date(split),
                 obs_end=format_date(obs_end)))
    with st.spinner(t("clv.fitting")):
        comp, err, pen_used = uc.holdout(ds, split, obs_end, s.unit, float(fit.penalizer), s.auto)
    if comp is None:
        state.show_error(err)
    else:
        _holdout_view(comp, pen_used, fit)


def _params_tab(result, fit: uc.Fit, s: uc.Settings) -> None:
    """The fitted parameters, how to read them, and what the summary counted."""
    bg, gg = result.purchase_fit, result.gamma_gamma
    unit_label = t(f"clv.unit.{s.unit}")
    um.show(uc.param_table(result, unit_label), {
        "model": (t("clv.param.model"), "text"), "param": (t("clv.param.name"), "text"),
        "value": (t("clv.param.value"), "rtext"), "stderr": (t("clv.param.stderr"), "rtext"),
        "meaning": (t("clv.param.meaning"), "text")}, key="clv_params")
    st.markdown(uc.param_reading(result, unit_label))
    st.caption(t("clv.param.note", penalizer=f"{fit.penalizer:g}", groups=format_int(bg.n_groups),
                 customers=format_int(bg.n_customers), unit=unit_label))
    if gg is not None and np.isfinite(gg.frequency_monetary_corr):
        st.caption(t("clv.param.corr", corr=format_score(gg.frequency_monetary_corr, 2)))
    rep = result.report
    st.markdown(f"**{t('clv.report_title')}**")
    st.markdown(t("clv.report", rows=format_int(rep.get("rows")), days=format_int(rep.get("purchase_days")),
                  zero=format_int(rep.get("zero_value_purchase_days")),
                  negative=format_int(rep.get("dropped_negative_days")),
                  cancelled=format_int(rep.get("dropped_cancelled_days")),
                  later=format_int(rep.get("rows_after_calibration_end")),
                  none=format_int(rep.get("customers_without_purchase")),
                  end=format_date(result.calibration_end)))


def render() -> None:
    """The 予測LTV page: settings, the fit (or why it failed), and three tabs."""
    st.title(t("clv.title"))
    st.caption(t("clv.subtitle"))
    ds, feats, res = components.load_or_stop()
    if ds.transactions is None or not len(ds.transactions.frame):
        st.info(t("clv.needs_transactions"), icon=":material/info:")
        st.page_link("pages/data.py", label=t("common.go_data"), icon=":material/upload_file:")
        st.stop()
    first_day, last_day, default_end = uc.date_bounds(ds.transactions.frame, feats.as_of)
    with st.expander(t("clv.explain_title"), expanded=False, icon=":material/school:"):
        st.markdown(t("clv.explain"))
    s = _settings(first_day, last_day, default_end)
    with st.spinner(t("clv.fitting")):
        fit = uc.clv_fit(ds, s)
    if fit.result is None:
        _fit_failed(fit)
        st.stop()
    _penalizer_note(fit)
    tab_names = [t("clv.tab.results"), t("clv.tab.fit"), t("clv.tab.params")]
    tab_res, tab_fit, tab_params = st.tabs(tab_names, key="clv_tab", on_change="rerun")
    if tab_res.open:
        with tab_res:
            _results_tab(fit.result, res, feats, s)
    if tab_fit.open:
        with tab_fit:
            _fit_tab(ds, fit, first_day, s)
    if tab_params.open:
        with tab_params:
            _params_tab(fit.result, fit, s)


render()
